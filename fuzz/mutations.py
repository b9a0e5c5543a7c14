"""Mutations of real documents, shared by the fuzz tests and the fuzz target.

Each mutation is a small edit that real files suffer (a line lost, doubled or
moved, a merge left half-done, an editor's line endings, a truncated
download) or that an attacker would try (structure characters, NUL, BOM).
"""

from __future__ import annotations

import random

#: Lines that look like structure to clipdoc or to CommonMark.
STRUCTURE_LINES = (
    "## 原始摘要",
    "## AI 摘要",
    "## 元数据",
    "## extra",
    "##",
    "##\tx",
    "   ## x",
    "\\## x",
    "# title",
    "**URL**: https://example.com",
    "- **来源**: x",
    "- **保存时间**: 2025-05-06T08:03:26Z",
    "- **保存时间**: 2025-05-06T08:03:26+00:00",
    "- **目录日期**: 2025-02-30",
    "- **k**: v",
    "- bad item",
    "<<<<<<< HEAD",
    "=======",
    ">>>>>>> topic",
    "|||||||",
    "```",
    "~~~",
    "<!--",
    "-->",
    "<pre>",
    "<div>",
    "- a",
    "> q",
    "&#13;",
    "",
    " ",
)
#: Characters worth inserting anywhere.
STRUCTURE_CHARACTERS = ("\r", "\n", "\r\n", "\x00", "\ufeff", "\u2028", "#", "\\", "`", "*", ":")


def mutate(text: str, choose: random.Random) -> str:
    """Apply one random mutation to ``text``."""
    lines = text.split("\n")
    operation = choose.randrange(10)
    index = choose.randrange(len(lines))
    if operation == 0:
        del lines[index]
    elif operation == 1:
        lines.insert(index, lines[index])
    elif operation == 2:
        other = choose.randrange(len(lines))
        lines[index], lines[other] = lines[other], lines[index]
    elif operation == 3:
        lines.insert(index, choose.choice(STRUCTURE_LINES))
    elif operation == 4:
        lines[index] = choose.choice(STRUCTURE_LINES)
    elif operation == 5:
        position = choose.randrange(len(text) + 1)
        return text[:position] + choose.choice(STRUCTURE_CHARACTERS) + text[position:]
    elif operation == 6:
        return text[: choose.randrange(len(text) + 1)]
    elif operation == 7:
        position = choose.randrange(len(text) + 1)
        noise = "".join(chr(choose.randrange(1, 0x3000)) for _ in range(choose.randrange(1, 20)))
        return text[:position] + noise + text[position:]
    elif operation == 8:
        return text.replace("\n", choose.choice(("\r\n", "\r")))
    else:
        lines[index : index + 1] = ["<<<<<<< HEAD", lines[index], "=======", ">>>>>>> topic"]
    return "\n".join(lines)
