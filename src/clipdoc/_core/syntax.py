"""The vocabulary of the format, shared by the reader, the writer and the models."""

from __future__ import annotations

import re
from typing import Final

ORIGINAL_SUMMARY: Final = "原始摘要"
AI_SUMMARY: Final = "AI 摘要"
METADATA: Final = "元数据"
KNOWN_HEADINGS: Final = (ORIGINAL_SUMMARY, AI_SUMMARY, METADATA)

SOURCE: Final = "来源"
KIND: Final = "类型"
SAVED_AT: Final = "保存时间"
CATALOG_DATE: Final = "目录日期"
KNOWN_LABELS: Final = (SOURCE, KIND, SAVED_AT, CATALOG_DATE)

# Canonical order: the known sections around the extra ones, the known
# metadata items before the extra ones. A lower rank comes first.
SECTION_RANK: Final = {ORIGINAL_SUMMARY: 0, AI_SUMMARY: 1, METADATA: 3}
EXTRA_SECTION_RANK: Final = 2
LABEL_RANK: Final = {label: rank for rank, label in enumerate(KNOWN_LABELS)}
EXTRA_ITEM_RANK: Final = len(KNOWN_LABELS)

TITLE_PREFIX: Final = "# "
URL_PREFIX: Final = "**URL**:"
ITEM_PREFIX: Final = "- **"
KEY_END: Final = "**:"

#: What a level-2 ATX heading starts with after its indentation [SEC-1].
HEADING_MARK: Final = r"##(?:[ \t]|$)"
#: A line CommonMark reads as a level-2 ATX heading at the top level; for
#: clipdoc it starts a section [SEC-1].
SECTION_HEADING: Final = re.compile(r" {0,3}" + HEADING_MARK)

#: The Git merge-conflict markers that open a conflict, open its base (diff3)
#: and close it, in column 1, seven characters each [ERR-1].
CONFLICT_OPEN: Final = "<<<<<<<"
CONFLICT_BASE: Final = "|||||||"
CONFLICT_CLOSE: Final = ">>>>>>>"
CONFLICT_MARKERS: Final = (CONFLICT_OPEN, CONFLICT_BASE, CONFLICT_CLOSE)
#: The line between the two sides of a conflict (alone, it is ordinary text).
CONFLICT_SEPARATOR: Final = "======="
#: A Git merge-conflict marker as Git writes it (column 1, seven characters,
#: then a space and a label, or the end of the line).
CONFLICT_MARKER: Final = re.compile(
    "(?:" + "|".join(re.escape(marker) for marker in CONFLICT_MARKERS) + ")(?: |$)"
)

#: How the heading of a section that recovery filled starts [REC-1].
UNPARSED_PREFIX: Final = "clipdoc: unparsed"


def has_line_break(text: str) -> bool:
    return "\n" in text or "\r" in text


def is_blank(line: str) -> bool:
    """Blank as CommonMark means it: nothing but spaces and tabs."""
    return not line.strip(" \t")


def one_line(text: str) -> str:
    """``text`` with each run of white space made one space, and none at
    either end: what ``re.sub(r"\\s+", " ", text).strip()`` makes (the two
    tell white space alike, by `str.isspace`), four times faster."""
    return " ".join(text.split())
