"""Differential fuzzing: do Markdown readers see exactly clipdoc's sections?

Usage: python benchmarks/viewer_agreement.py [--documents N] [--seed S]
           [--batch B] [--only-batch I] [--minimize] [--out FILE]
           [--out-minimal FILE] [--no-node] [--full-parse] [--held-out] [--quiet]

Hostile bodies come from a grammar of CommonMark block structure (lists with
every marker, nested on one line and by indentation up to twelve deep, block
quotes, fences of every length, indentation and closing, indented code, the
seven kinds of HTML block with ordinary and odd whitespace after the tag
name, setext underlines, thematic breaks, tables, link reference
definitions, clipdoc's own heading lines, Git conflict markers, runs of
backslashes, carriage returns and ``&#13;``), nested in one another. Each
body goes into a section of a clipdoc document with sections around it (the
metadata section always follows), `clipdoc.render` writes the document once,
and every reader reads it:

* markdown-it-py, presets "commonmark", "default" and "gfm-like";
* cmark-gfm (the `cmarkgfm` package), plain and with GitHub's extensions;
* in one long-lived Node process (benchmarks/viewer_agreement.mjs, modules
  from build/js/node_modules): commonmark.js, and markdown-it with its
  "commonmark" preset, its default preset, and its default preset with html.

A document agrees when, in every reader, the 0-based lines of top-level
``##`` ATX headings are exactly the lines clipdoc reads as section headings
and no top-level setext heading exists (the pseudo-reader "clipdoc" checks
that clipdoc itself sees as many sections as were written).

The N documents are checked in batches of B: batch I of seed S is the same
documents whatever N is, so ``--seed S --batch B --only-batch I`` reproduces
one batch of a long run (and CI can check one batch per run). With
``--minimize`` each failing body is shrunk (lines deleted, lines shortened,
letters replaced by ``a``) while a reader still disagrees; the distinct
minimal bodies are printed with the readers that disagree on each. Exit
status 1 when any document disagrees.

HELD_OUT_SEEDS are seeds nobody has looked at the results of: run them with
``--held-out`` to check a fix of the escaping on documents it was not
tuned on.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from random import Random
from typing import IO, Any

import attrs
import cmarkgfm
from cmarkgfm.cmark import Options
from markdown_it import MarkdownIt

import clipdoc
from clipdoc import Clipping, Metadata, Section

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
NODE_HELPER = HERE / "viewer_agreement.mjs"
MODULES = Path(os.environ.get("CLIPDOC_JS_MODULES", ROOT / "build" / "js" / "node_modules"))

#: Seeds kept for checking a new escaping on documents it was not tuned on.
#: Drawn once with `secrets.randbelow(2**32)`; never run while developing.
HELD_OUT_SEEDS = (
    1_610_931_544,
    121_948_857,
    1_029_312_357,
    2_246_336_178,
    2_148_336_577,
    2_227_958_292,
    2_940_697_783,
    4_115_231_761,
)

# --------------------------------------------------------------------------
# The grammar of hostile bodies.

#: Whitespace after an HTML tag name that some readers take as whitespace.
ODD_SPACES = (
    "\x0b",
    "\x0c",
    "\xa0",
    "\u1680",
    "\u2000",
    "\u2028",
    "\u3000",
    "\ufeff",
    "\x1c",
    "\x1d",
    "\x1e",
    "\x1f",
    "\x85",
)
BULLETS = ("-", "+", "*")
MARKERS = (*BULLETS, *BULLETS, "1.", "1)", "2.", "0)", "123456789.", "1234567890.", "1234567890)")
TEXTS = (
    "a",
    "foo bar",
    "x y z",
    "`code`",
    "*em*",
    "<a>",
    "b\\",
    "1) c",
    "2. d",
    "# e",
    "a | b",
    "&amp;",
    "[a]",
    "<!-- c -->",
    "x ## y",
    "日本語",
)
INDENTS = ("", "", "", " ", "  ", "   ", "    ", "     ", "      ", "\t", " \t")
HEADINGS = ("## x", "##", "   ## x", "##\tx", "## x ##", "# x", "### x", "#", "    ## x", "\t## x")
CONFLICTS = ("<<<<<<< x", "=======", ">>>>>>> x", "||||||| x", "<<<<<<<", ">>>>>>>")
UNDERLINES = ("===", "---", "-", "- ", "=", "=======", "--- ", "  ===", "   ---", "-\t")
BREAKS = ("***", "---", "___", "- - -", "* * *", "_ _ _", " ***", "   ---", "-------")
BLANKS = ("", "", " ", "\t", "  \t ", "    ")
HTML_TAGS = ("script", "pre", "style", "textarea")


@dataclass
class Grammar:
    """Draws hostile bodies from ``rng``."""

    rng: Random
    max_depth: int = 3
    _kinds: list[tuple[str, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._kinds = [
            ("paragraph", 3),
            ("list", 4),
            ("quote", 2),
            ("fence", 4),
            ("indented", 1),
            ("html", 4),
            ("setext", 2),
            ("thematic", 1),
            ("table", 1),
            ("linkref", 1),
            ("heading", 2),
            ("conflict", 1),
            ("blank", 1),
            ("atom", 2),
        ]

    def body(self) -> str:
        r = self.rng
        lines: list[str] = []
        for index in range(r.randint(2, 8)):
            if index:
                separator = r.random()
                if separator < 0.35:
                    lines.append("")
                elif separator < 0.45:
                    lines.append(r.choice(BLANKS))
            lines += self.block(0)
        return "\n".join(self.mutate(line) for line in lines)

    def block(self, depth: int) -> list[str]:
        r = self.rng
        names = [name for name, _ in self._kinds]
        weights = [weight for _, weight in self._kinds]
        kind = r.choices(names, weights)[0]
        if depth >= self.max_depth and kind in ("list", "quote"):
            kind = "paragraph"
        lines: list[str] = getattr(self, f"_{kind}")(depth)
        return lines

    # -- leaf and container blocks ------------------------------------------

    def text(self) -> str:
        return self.rng.choice(TEXTS)

    def _paragraph(self, depth: int) -> list[str]:
        return [self.text() for _ in range(self.rng.randint(1, 3))]

    def _list(self, depth: int) -> list[str]:
        r = self.rng
        marker = r.choice(MARKERS)
        lines: list[str] = []
        for _ in range(r.randint(1, 3)):
            shape = r.random()
            if shape < 0.15:
                lines.append(marker + r.choice(("", "", " ", "\t")))
            elif shape < 0.35:
                lines.append(marker + " " + self.text())
            elif shape < 0.55:
                lines += self._nested_on_one_line(marker, depth)
            elif shape < 0.7:
                lines += self._nested_by_indentation(marker, depth)
            else:
                lines += self._item_with_block(marker, depth)
        return lines

    def _nested_on_one_line(self, marker: str, depth: int) -> list[str]:
        r = self.rng
        count = r.randint(2, 12)
        markers = [marker] + [r.choice((*BULLETS, "1.")) for _ in range(count - 1)]
        line = " ".join(markers)
        if r.random() < 0.7:
            line += " " + self.text()
        lines = [line]
        if r.random() < 0.6:
            # Something at the innermost item's indentation, or none.
            width = sum(len(m) + 1 for m in markers) if r.random() < 0.5 else r.choice((0, 2, 4))
            lines += self._indent(self.block(depth + 1), width)
        return lines

    def _nested_by_indentation(self, marker: str, depth: int) -> list[str]:
        r = self.rng
        lines: list[str] = []
        indent = 0
        for _level in range(r.randint(2, 12)):
            current = r.choice((*BULLETS, "1.")) if lines else marker
            lines.append(" " * indent + current + " " + self.text())
            indent += len(current) + r.choice((1, 1, 1, 2))
        if r.random() < 0.7:
            child = self.block(depth + 1)
            lines += self._indent(child, r.choice((indent, indent, 0, max(0, indent - 2))))
        return lines

    def _item_with_block(self, marker: str, depth: int) -> list[str]:
        r = self.rng
        child = self.block(depth + 1) or [""]
        gap = r.choice((" ", " ", "  ", "   ", "    ", "\t"))
        width = len(marker) + (4 if gap == "\t" else len(gap))
        if r.random() < 0.3:
            first, rest = marker, child  # the marker alone, the block under it
        else:
            first, rest = marker + (gap + child[0] if child[0] else ""), child[1:]
        if r.random() < 0.2:
            width = r.randint(0, width + 2)  # under- or over-indented
        return [first, *self._indent(rest, width, lazy=r.random() < 0.2)]

    def _indent(self, lines: Sequence[str], width: int, *, lazy: bool = False) -> list[str]:
        pad = " " * width
        out = []
        for index, line in enumerate(lines):
            if not line or (lazy and index and self.rng.random() < 0.5):
                out.append(line)
            else:
                out.append(pad + line)
        return out

    def _quote(self, depth: int) -> list[str]:
        r = self.rng
        prefix = r.choice(("> ", ">", "> > ", ">>", "> > > ", " > ", ">\t"))
        lazy = r.random() < 0.3
        lines = []
        for index, line in enumerate(self.block(depth + 1)):
            if lazy and index and line and r.random() < 0.5:
                lines.append(line)
            else:
                lines.append(prefix + line)
        return lines

    def _fence(self, depth: int) -> list[str]:
        r = self.rng
        char = r.choice("`~")
        length = r.randint(3, 5)
        indent = r.choice(INDENTS)
        info = r.choice(("", "", "py", " py", "a`b", "`", "~", "x y", "```"))
        lines = [indent + char * length + info]
        for _ in range(r.randint(0, 3)):
            lines.append(
                r.choice(
                    (
                        self.text(),
                        "## x",
                        "```",
                        "~~~",
                        "````",
                        "<!--",
                        "<pre>",
                        "",
                        "    x",
                        "- a",
                        "===",
                    )
                )
            )
        closing = r.random()
        closer_indent = r.choice(("", "", "", " ", "   ", "    ", "\t"))
        if closing < 0.35:
            lines.append(closer_indent + char * length)
        elif closing < 0.45:
            lines.append(closer_indent + char * (length - 1))
        elif closing < 0.55:
            lines.append(closer_indent + char * (length + 1))
        elif closing < 0.65:
            lines.append(closer_indent + ("~" if char == "`" else "`") * length)
        elif closing < 0.72:
            lines.append(char * length + " x")
        elif closing < 0.8:
            lines.append(char * length + r.choice((" ", "\t", " \t")))
        return lines  # otherwise unclosed

    def _indented(self, depth: int) -> list[str]:
        r = self.rng
        return [
            r.choice(("    ", "\t", "  \t", "     ", "   \t"))
            + r.choice((self.text(), "## x", "```", "<pre>", "---", "- a", "<!--"))
            for _ in range(r.randint(1, 3))
        ]

    def _html(self, depth: int) -> list[str]:
        r = self.rng
        kind = r.randint(1, 7)
        closer: str | None
        if kind == 1:
            tag = r.choice(HTML_TAGS)
            tag = r.choice((tag, tag, tag.upper(), tag.title()))
            after = r.choice((" ", "\t", ">", "", "", *ODD_SPACES, *ODD_SPACES, "x", "/"))
            rest = r.choice(("", "", "x", ">", " class=a>", f"></{tag}>"))
            opener = "<" + tag + after + rest
            closer = r.choice((f"</{tag}>", f"</{tag.lower()}>", f"x </{tag}> y", None, None))
        elif kind == 2:
            opener = r.choice(("<!--", "<!-->", "<!--->", "<!-- x", "<!-- x -->", "<!---->"))
            closer = r.choice(("-->", "x -->", "--->", None))
        elif kind == 3:
            opener = r.choice(("<?", "<?>", "<?php x", "<? x ?>"))
            closer = r.choice(("?>", "x ?>", None))
        elif kind == 4:
            opener = r.choice(
                ("<!DOCTYPE html", "<!doctype html", "<!x", "<!X y", "<!DOCTYPE>", "<!a>")
            )
            closer = r.choice((">", "x >", None))
        elif kind == 5:
            opener = r.choice(("<![CDATA[", "<![cdata[", "<![CDATA[x]]>", "<![Cdata[ x"))
            closer = r.choice(("]]>", "x ]]>", None))
        elif kind == 6:
            opener = r.choice(
                ("<div>", "<div", "</div>", "<table>", "<DIV class=x>", "<p>", "<ul>", "</td>")
            )
            closer = r.choice(("</div>", "", None))
        else:
            opener = r.choice(("<a>", "</a>", '<a href="x">', "<x-y>", "<span>", "<b/>"))
            closer = r.choice(("</a>", "", None))
        lines = [r.choice(("", "", "", " ", "  ", "   ", "    ")) + opener]
        for _ in range(r.randint(0, 2)):
            lines.append(r.choice((self.text(), "## x", "```", "", "---", "===", "~~~")))
        if closer is not None:
            lines.append(closer)
        return lines

    def _setext(self, depth: int) -> list[str]:
        r = self.rng
        underline = r.choice(("", "", " ", "  ", "   ", "    ")) + r.choice(UNDERLINES)
        return [self.text(), underline] if r.random() < 0.8 else [underline]

    def _thematic(self, depth: int) -> list[str]:
        return [self.rng.choice(BREAKS)]

    def _table(self, depth: int) -> list[str]:
        return self.rng.choice(
            (
                ["| a | b |", "| --- | --- |", "| c | d |"],
                ["a | b", "--- | ---"],
                ["|a|", "|-|", "## x"],
                ["a | b", "-|-", "c", "---"],
                ["| a |", "| :-: |", "```"],
            )
        )

    def _linkref(self, depth: int) -> list[str]:
        return self.rng.choice(
            (
                ["[a]: /u"],
                ['[a]: /u "t"'],
                ["[a]:", "/u", '"t'],
                ["[a]: <x> 't", "## x'"],
                ["[a]: /u", "==="],
                ["[a]:", "/u", "---"],
            )
        )

    def _heading(self, depth: int) -> list[str]:
        return [self.rng.choice(HEADINGS)]

    def _conflict(self, depth: int) -> list[str]:
        r = self.rng
        if r.random() < 0.5:
            return ["<<<<<<< ours", self.text(), "=======", self.text(), ">>>>>>> theirs"]
        return [r.choice(CONFLICTS)]

    def _blank(self, depth: int) -> list[str]:
        return [self.rng.choice(BLANKS) for _ in range(self.rng.randint(1, 2))]

    def _atom(self, depth: int) -> list[str]:
        r = self.rng
        return [
            r.choice(
                (
                    *HEADINGS,
                    *CONFLICTS,
                    *UNDERLINES,
                    *BREAKS,
                    "```",
                    "~~~",
                    "````",
                    "<!--",
                    "<?",
                    "<!X",
                    "<![CDATA[",
                    "<pre",
                    "<script>",
                    "<div>",
                    "-",
                    "1.",
                    ">",
                    "&#13;",
                    "\\",
                )
            )
        ]

    def mutate(self, line: str) -> str:
        """Backslash runs, carriage returns, entities and indentation, now and then."""
        r = self.rng
        roll = r.random()
        if roll < 0.06:
            stripped = line.lstrip(" ")
            line = line[: len(line) - len(stripped)] + "\\" * r.randint(1, 3) + stripped
        elif roll < 0.09:
            at = r.randint(0, len(line))
            line = line[:at] + "\r" + line[at:]
        elif roll < 0.11:
            at = r.randint(0, len(line))
            line = line[:at] + r.choice(("&#13;", "\\&#13;")) + line[at:]
        elif roll < 0.14:
            line = r.choice((" ", "  ", "   ", "    ", "\t")) + line
        elif roll < 0.16:
            line += r.choice((" ", "\t", "  "))
        return line


# --------------------------------------------------------------------------
# Documents.

SECTIONS = ("original_summary", "ai_summary", "extra")


@dataclass(frozen=True)
class Case:
    """A body in its document."""

    seed: int
    batch: int
    index: int
    section: str
    body: str
    template: Clipping  # the document, with an empty body where ``body`` goes
    extra_index: int

    def clipping(self, body: str | None = None) -> Clipping:
        body = self.body if body is None else body
        if self.section == "extra":
            extras = list(self.template.extra_sections)
            extras[self.extra_index] = Section(heading="hostile", body=body)
            return attrs.evolve(self.template, extra_sections=extras)
        if self.section == "original_summary":
            return attrs.evolve(self.template, original_summary=body)
        return attrs.evolve(self.template, ai_summary=body)

    def sections(self) -> int:
        clip = self.template
        known = [clip.original_summary, clip.ai_summary, clip.metadata]
        return sum(part is not None for part in known) + len(clip.extra_sections)


def batch_rng(seed: int, batch: int) -> Random:
    """The generator of batch ``batch`` of run ``seed`` (independent of the
    batch size and of the other batches)."""
    return Random(f"clipdoc-viewer-agreement:{seed}:{batch}")


def make_case(rng: Random, seed: int, batch: int, index: int) -> Case:
    body = Grammar(rng).body()
    section = rng.choice(SECTIONS)
    extras = [
        Section(heading=f"n{number}", body=rng.choice(("", "x", "y\n\nz")))
        for number in range(rng.randint(0, 2))
    ]
    extra_index = rng.randint(0, len(extras))
    if section == "extra":
        extras.insert(extra_index, Section(heading="hostile"))
    template = Clipping(
        title=rng.choice(("t", "A title")),
        url=rng.choice((None, "https://example.com/a")),
        original_summary=rng.choice((None, "o", "o\n\np")) if section != "original_summary" else "",
        ai_summary=rng.choice((None, "a")) if section != "ai_summary" else "",
        extra_sections=extras,
        # Always there, always last: a heading follows every hostile body.
        metadata=Metadata(source="x"),
    )
    return Case(seed, batch, index, section, body, template, extra_index)


def make_batch(seed: int, batch: int, size: int) -> list[Case]:
    rng = batch_rng(seed, batch)
    return [make_case(rng, seed, batch, index) for index in range(size)]


# --------------------------------------------------------------------------
# Readers.

_BOUNDARY = re.compile(r" {0,3}##(?:[ \t]|$)")


def clipdoc_boundaries(text: str) -> frozenset[int]:
    """The lines clipdoc reads as section headings (tests/test_commonmark.py)."""
    return frozenset(index for index, line in enumerate(text.split("\n")) if _BOUNDARY.match(line))


@dataclass(frozen=True)
class Reading:
    """What one reader sees: top-level ``##`` lines and top-level setext lines."""

    h2: frozenset[int]
    setext: tuple[int, ...]
    error: str | None = None

    def disagreement(self, boundaries: frozenset[int]) -> str | None:
        """Why this reading disagrees with clipdoc's sections, or None."""
        if self.error is not None:
            return f"error: {self.error}"
        reasons = []
        if self.h2 != boundaries:
            missing, extra = sorted(boundaries - self.h2), sorted(self.h2 - boundaries)
            reasons.append(f"h2 lines: missing {missing}, extra {extra}")
        if self.setext:
            reasons.append(f"setext heading at {list(self.setext)}")
        return "; ".join(reasons) or None


INLINE_RULES = ["inline", "linkify", "replacements", "smartquotes", "text_join"]


def markdown_it_reader(preset: str, *, full: bool = False) -> Callable[[str], Reading]:
    md = MarkdownIt(preset, {"linkify": False})
    if not full:
        # Only block structure matters: skip inline parsing.
        md.core.ruler.disable(INLINE_RULES, ignoreInvalid=True)

    def read(text: str) -> Reading:
        h2, setext = set(), []
        for token in md.parse(text):
            if token.type != "heading_open" or token.level != 0 or token.map is None:
                continue
            if token.markup in ("=", "-"):
                setext.append(token.map[0])
            elif token.tag == "h2":
                h2.add(token.map[0])
        return Reading(frozenset(h2), tuple(setext))

    return read


_CMARK_TAG = re.compile(
    r'<(/?)(blockquote|ul|ol|h[1-6])(?: data-sourcepos="(\d+):\d+-(\d+):\d+")?[^>]*>'
)


def cmark_reader(*, gfm: bool) -> Callable[[str], Reading]:
    render = cmarkgfm.github_flavored_markdown_to_html if gfm else cmarkgfm.markdown_to_html

    def read(text: str) -> Reading:
        # Raw HTML is omitted (no CMARK_OPT_UNSAFE): a body cannot fake a tag.
        html = render(text, options=Options.CMARK_OPT_SOURCEPOS)
        h2, setext, depth = set(), [], 0
        for closing, name, first, last in _CMARK_TAG.findall(html):
            if name[0] == "h":
                if not closing and depth == 0:
                    if first != last:
                        setext.append(int(first) - 1)
                    elif name == "h2":
                        h2.add(int(first) - 1)
            else:
                depth += -1 if closing else 1
        return Reading(frozenset(h2), tuple(setext))

    return read


def python_readers(*, full: bool = False) -> dict[str, Callable[[str], Reading]]:
    return {
        "markdown-it-py:commonmark": markdown_it_reader("commonmark", full=full),
        "markdown-it-py:default": markdown_it_reader("default", full=full),
        "markdown-it-py:gfm-like": markdown_it_reader("gfm-like", full=full),
        "cmark-gfm": cmark_reader(gfm=False),
        "cmark-gfm+gfm": cmark_reader(gfm=True),
    }


NODE_READERS = (
    "commonmark.js",
    "markdown-it:commonmark",
    "markdown-it:default",
    "markdown-it:default+html",
)
#: markdown-it's default preset turns raw HTML off, so it reads the lines of
#: an HTML block as Markdown: a reader configuration outside CommonMark,
#: which clipdoc does not escape for (docs/viewers.md lists what it shows).
WITHOUT_RAW_HTML = ("markdown-it-py:default", "markdown-it:default")


def in_the_bar(names: Iterable[str]) -> list[str]:
    """The readers whose agreement clipdoc promises: all but those with raw
    HTML off."""
    return [name for name in names if name not in WITHOUT_RAW_HTML]


def node_missing() -> str | None:
    """Why the Node readers cannot run here, or None."""
    if shutil.which("node") is None:
        return "needs Node (`node` is not on PATH)"
    absent = [name for name in ("commonmark", "markdown-it") if not (MODULES / name).is_dir()]
    if absent:
        return (
            f"needs {' and '.join(absent)} in {MODULES} (`cd build/js && npm install --prefix ."
            " commonmark@0.31.2 markdown-it@14.1.0`, as .ci/run does)"
        )
    return None


class NodeReaders:
    """One Node process running benchmarks/viewer_agreement.mjs; batches of
    documents go to it as one JSON array per line."""

    def __init__(self, *, full: bool = False) -> None:
        environment = dict(os.environ, CLIPDOC_JS_MODULES=str(MODULES))
        if full:
            environment["CLIPDOC_JS_FULL"] = "1"
        self._process = subprocess.Popen(
            [shutil.which("node") or "node", str(NODE_HELPER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            env=environment,
        )
        self._pending = 0

    def send(self, texts: Sequence[str], readers: Sequence[str] | None = None) -> None:
        """Ask about ``texts``; `receive` returns the answer. Node reads them
        while this process does other work."""
        assert self._process.stdin is not None
        request: Any = (
            list(texts) if readers is None else {"documents": list(texts), "readers": list(readers)}
        )
        self._process.stdin.write(json.dumps(request) + "\n")
        self._process.stdin.flush()
        self._pending += 1

    def receive(self) -> list[dict[str, Reading]]:
        assert self._process.stdout is not None
        assert self._pending > 0, "nothing was sent"
        self._pending -= 1
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError(f"the Node helper stopped (exit status {self._process.wait()})")
        answers: list[dict[str, dict[str, Any]]] = json.loads(line)
        return [
            {
                name: Reading(
                    frozenset(seen.get("h2", ())), tuple(seen.get("setext", ())), seen.get("error")
                )
                for name, seen in answer.items()
            }
            for answer in answers
        ]

    def read(
        self, texts: Sequence[str], readers: Sequence[str] | None = None
    ) -> list[dict[str, Reading]]:
        self.send(texts, readers)
        return self.receive()

    def drain(self) -> None:
        """Read and drop the answers still due (after an error mid-batch)."""
        while self._pending:
            self.receive()

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        self._process.wait(timeout=30)

    def __enter__(self) -> NodeReaders:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --------------------------------------------------------------------------
# Checking.


@dataclass
class Checker:
    """Every reader, Python ones here and JavaScript ones in Node."""

    python: dict[str, Callable[[str], Reading]]
    node: NodeReaders | None
    node_readers: Sequence[str] = NODE_READERS
    #: Documents per request to Node: Node reads one chunk while Python reads
    #: the one before.
    chunk: int = 100

    @property
    def names(self) -> list[str]:
        return ["clipdoc", *self.python, *(self.node_readers if self.node else ())]

    def disagreements(
        self, texts: Sequence[str], sections: Sequence[int], only: Sequence[str] | None = None
    ) -> list[dict[str, str]]:
        """For each document, the readers that disagree with clipdoc, and why.
        ``only``: ask just these readers."""
        python = {name: read for name, read in self.python.items() if only is None or name in only}
        node_names = (
            [name for name in self.node_readers if only is None or name in only]
            if self.node
            else []
        )
        results: list[dict[str, str]] = []
        chunks = [
            range(start, min(start + self.chunk, len(texts)))
            for start in range(0, len(texts), self.chunk)
        ]
        if node_names and self.node is not None and chunks:
            self.node.send([texts[i] for i in chunks[0]], node_names)
        try:
            check_clipdoc = only is None or "clipdoc" in only
            self._read_chunks(texts, sections, chunks, python, node_names, results, check_clipdoc)
        except BaseException:
            if self.node is not None:
                self.node.drain()
            raise
        return results

    def _read_chunks(
        self,
        texts: Sequence[str],
        sections: Sequence[int],
        chunks: list[range],
        python: dict[str, Callable[[str], Reading]],
        node_names: list[str],
        results: list[dict[str, str]],
        check_clipdoc: bool,
    ) -> None:
        for number, chunk in enumerate(chunks):
            if node_names and self.node is not None and number + 1 < len(chunks):
                self.node.send([texts[i] for i in chunks[number + 1]], node_names)
            found: list[dict[str, str]] = []
            for i in chunk:
                text = texts[i]
                boundaries = clipdoc_boundaries(text)
                wrong: dict[str, str] = {}
                if check_clipdoc and len(boundaries) != sections[i]:
                    wrong["clipdoc"] = f"{len(boundaries)} heading lines for {sections[i]} sections"
                for name, read in python.items():
                    reason = read(text).disagreement(boundaries)
                    if reason:
                        wrong[name] = reason
                found.append(wrong)
            if node_names and self.node is not None:
                for i, answer, wrong in zip(chunk, self.node.receive(), found, strict=True):
                    boundaries = clipdoc_boundaries(texts[i])
                    for name in node_names:
                        reason = answer[name].disagreement(boundaries)
                        if reason:
                            wrong[name] = reason
            results += found

    def check_cases(self, cases: Sequence[Case]) -> list[dict[str, str]]:
        texts = [clipdoc.render(case.clipping()) for case in cases]
        return self.disagreements(texts, [case.sections() for case in cases])


# --------------------------------------------------------------------------
# Minimizing.


def _delete_lines(body: str) -> list[str]:
    lines = body.split("\n")
    count, size, out = len(lines), len(lines) // 2, []
    while size >= 1:
        out += ["\n".join(lines[:start] + lines[start + size :]) for start in range(0, count, size)]
        size //= 2
    return out


def _join_lines(body: str) -> list[str]:
    # "-\n  - a" becomes "- - a": nesting by indentation, nesting on one line.
    lines = body.split("\n")
    out = []
    for at in range(1, len(lines)):
        joined = lines[at - 1] + " " + lines[at].lstrip(" \t")
        if len(joined) < len(lines[at - 1]) + 1 + len(lines[at]):
            out.append("\n".join([*lines[: at - 1], joined, *lines[at + 1 :]]))
    return out


def _dedent(body: str) -> list[str]:
    # Fewer spaces before every line from one on: nesting stays consistent.
    lines = body.split("\n")
    out = []
    for at in range(len(lines)):
        for width in (4, 2, 1):
            rest = [line[width:] if line[:width] == " " * width else line for line in lines[at:]]
            if rest != lines[at:]:
                out.append("\n".join(lines[:at] + rest))
    return out


def _delete_characters(body: str) -> list[str]:
    out = []
    for size in (8, 4, 2, 1):
        step = max(1, size // 2)
        offset = 0
        for line in body.split("\n"):
            for start in range(0, len(line) - size + 1, step):
                out.append(body[: offset + start] + body[offset + start + size :])
            offset += len(line) + 1
    return out


_ORDERED_MARKER = re.compile(r"[0-9]+[.)]")


def _simplify(body: str) -> list[str]:
    """Simpler, not smaller: list markers become "-", upper case letters
    lower case or "A", digits "1", whitespace a space, the rest "a"."""
    out = [body[: m.start()] + "-" + body[m.end() :] for m in _ORDERED_MARKER.finditer(body)]
    for at, char in enumerate(body):
        if char in "a- \n":
            continue
        if char in "+*":
            simpler = ["-", "a"]
        elif char.isascii() and char.isupper():
            simpler = [char.lower()] if char == "A" else [char.lower(), "A"]
        elif char.isdigit() and char != "1":
            simpler = ["1"]
        elif char.isspace():
            simpler = [" "]
        else:
            simpler = ["a"]
        out += [body[:at] + replacement + body[at + 1 :] for replacement in simpler]
    return out


#: The minimizer's passes, in order; each makes a body shorter or simpler.
PASSES: tuple[Callable[[str], list[str]], ...] = (
    _delete_lines,
    _join_lines,
    _dedent,
    _delete_characters,
    _simplify,
)


def minimize(
    body: str,
    still_fails: Callable[[list[str]], list[bool]],
    *,
    chunk: int = 48,
) -> str:
    """The smallest, simplest body found from ``body`` for which
    ``still_fails``; ``still_fails`` judges a list of candidates at once.
    Each pass runs until it finds nothing, and the passes run again until
    none finds anything."""
    passing: set[str] = set()  # candidates known not to fail
    improved = True
    while improved:
        improved = False
        for make in PASSES:
            while True:
                winner = _first_failing(make(body), body, passing, still_fails, chunk)
                if winner is None:
                    break
                body, improved = winner, True
    return body


def _first_failing(
    candidates: list[str],
    body: str,
    passing: set[str],
    still_fails: Callable[[list[str]], list[bool]],
    chunk: int,
) -> str | None:
    fresh = [c for c in dict.fromkeys(candidates) if c not in passing and c != body]
    for start in range(0, len(fresh), chunk):
        piece = fresh[start : start + chunk]
        verdicts = still_fails(piece)
        passing.update(c for c, bad in zip(piece, verdicts, strict=True) if not bad)
        for candidate, bad in zip(piece, verdicts, strict=True):
            if bad:
                return candidate
    return None


#: Readers with markdown-it's nesting limit of 20 (the "commonmark" presets).
NESTING_LIMIT_20 = frozenset(
    {"markdown-it-py:commonmark", "markdown-it-py:gfm-like", "markdown-it:commonmark"}
)
#: Readers that take no raw HTML (markdown-it's default preset).
HTML_OFF = frozenset({"markdown-it-py:default", "markdown-it:default"})
_ODD_AFTER_TAG = re.compile("<(?i:script|pre|style|textarea)[" + "".join(ODD_SPACES) + "]")
_ITEM_THEN_INDENTED_OPENER = re.compile(
    r"^ {0,3}(?:[-+*]|[0-9]{1,9}[.)])(?:[ \t].*)?\n[ \t]+(?:`{3,}|~{3,}|<)", re.MULTILINE
)
CLASSES = {
    "a": "(a) list item, then an indented fence or HTML opener",
    "b": "(b) odd whitespace after <pre, <script, <style, <textarea",
    "c": "(c) lists nested past markdown-it's nesting limit",
    "html-off": "readers without raw HTML read an HTML block's lines as Markdown",
    "other": "other",
}


def classify(body: str, readers: Iterable[str]) -> str:
    """A guess at which known class a minimal failing body belongs to."""
    names = set(readers)
    if _ODD_AFTER_TAG.search(body):
        return "b"
    if names and names <= NESTING_LIMIT_20:
        return "c"
    if names and names <= HTML_OFF:
        return "html-off"
    if _ITEM_THEN_INDENTED_OPENER.search(body):
        return "a"
    return "other"


@dataclass
class Minimal:
    body: str
    readers: dict[str, str]
    section: str
    first: tuple[int, int, int]  # seed, batch, index of the first document it came from
    count: int = 0


def minimize_case(
    checker: Checker, case: Case, wrong: dict[str, str]
) -> list[tuple[str, dict[str, str]]]:
    """Minimal bodies for a failing case: one for its first disagreeing
    reader, then others until every reader that disagreed is covered."""
    uncovered = [name for name in checker.names if name in wrong]
    found: list[tuple[str, dict[str, str]]] = []
    while uncovered:
        anchor = uncovered[0]

        def still_fails(bodies: list[str], anchor: str = anchor) -> list[bool]:
            texts = [clipdoc.render(case.clipping(b)) for b in bodies]
            verdicts = checker.disagreements(texts, [case.sections()] * len(texts), only=[anchor])
            return [anchor in verdict for verdict in verdicts]

        small = minimize(case.body, still_fails)
        text = clipdoc.render(case.clipping(small))
        readers = checker.disagreements([text], [case.sections()])[0]
        found.append((small, readers))
        uncovered = [name for name in uncovered if name not in readers and name != anchor]
    return found


# --------------------------------------------------------------------------
# The run.


@dataclass
class Summary:
    documents: int = 0
    failing: int = 0
    per_reader: dict[str, int] = field(default_factory=dict)
    minimal: dict[str, Minimal] = field(default_factory=dict)
    seconds: float = 0.0
    minimize_seconds: float = 0.0

    def add(self, wrong: dict[str, str]) -> None:
        self.documents += 1
        if wrong:
            self.failing += 1
        for name in wrong:
            self.per_reader[name] = self.per_reader.get(name, 0) + 1


def run_batch(
    checker: Checker, seed: int, batch: int, size: int
) -> list[tuple[Case, dict[str, str]]]:
    """Check batch ``batch`` of seed ``seed``: the failing cases and why."""
    cases = make_batch(seed, batch, size)
    return [
        (case, wrong)
        for case, wrong in zip(cases, checker.check_cases(cases), strict=True)
        if wrong
    ]


def run(
    checker: Checker,
    seeds: Iterable[int],
    documents: int,
    batch_size: int,
    *,
    only_batch: int | None,
    minimize_failures: bool,
    out: IO[str] | None,
    quiet: bool,
) -> Summary:
    summary = Summary()
    for seed in seeds:
        batches = range((documents + batch_size - 1) // batch_size)
        if only_batch is not None:
            batches = range(only_batch, only_batch + 1)
        for batch in batches:
            size = (
                min(batch_size, documents - batch * batch_size)
                if only_batch is None
                else batch_size
            )
            started = time.perf_counter()
            cases = make_batch(seed, batch, size)
            verdicts = checker.check_cases(cases)
            summary.seconds += time.perf_counter() - started
            for case, wrong in zip(cases, verdicts, strict=True):
                summary.add(wrong)
                if not wrong:
                    continue
                record: dict[str, Any] = {
                    "seed": seed,
                    "batch": batch,
                    "index": case.index,
                    "section": case.section,
                    "body": case.body,
                    "readers": wrong,
                }
                if minimize_failures:
                    started = time.perf_counter()
                    smalls = minimize_case(checker, case, wrong)
                    summary.minimize_seconds += time.perf_counter() - started
                    record["minimal"] = [{"body": b, "readers": r} for b, r in smalls]
                    for small, readers in smalls:
                        entry = summary.minimal.setdefault(
                            small, Minimal(small, readers, case.section, (seed, batch, case.index))
                        )
                        entry.count += 1
                if out is not None:
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
                    out.flush()
            if not quiet:
                print(
                    f"seed {seed} batch {batch}: {summary.documents} documents,"
                    f" {summary.failing} disagree, {len(summary.minimal)} minimal bodies",
                    file=sys.stderr,
                    flush=True,
                )
    return summary


def report(summary: Summary, names: Sequence[str], out_minimal: IO[str] | None) -> None:
    rate = summary.documents / summary.seconds if summary.seconds else 0.0
    print(f"documents checked: {summary.documents}")
    print(f"documents where a reader disagrees: {summary.failing}")
    width = max(len(name) for name in names)
    for name in names:
        print(f"  {name:<{width}}  {summary.per_reader.get(name, 0)}")
    print(f"speed: {rate:.0f} documents/second ({summary.seconds:.1f} s checking)")
    if summary.minimal:
        print(
            f"distinct minimal bodies: {len(summary.minimal)}"
            f" ({summary.minimize_seconds:.1f} s minimizing)"
        )
        entries = sorted(summary.minimal.values(), key=lambda e: (len(e.body), e.body))
        for key, title in CLASSES.items():
            group = [e for e in entries if classify(e.body, e.readers) == key]
            if group:
                print(f" {title}: {len(group)}")
            for entry in group:
                readers = ", ".join(name for name in names if name in entry.readers)
                print(f"  {json.dumps(entry.body)}  x{entry.count}  {readers}")
        for entry in entries if out_minimal is not None else ():
            assert out_minimal is not None
            record = {
                "body": entry.body,
                "readers": entry.readers,
                "class": classify(entry.body, entry.readers),
                "section": entry.section,
                "seed": entry.first[0],
                "batch": entry.first[1],
                "index": entry.first[2],
                "count": entry.count,
            }
            out_minimal.write(json.dumps(record, ensure_ascii=False) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--documents", type=int, default=2000, help="documents per seed (2000)")
    parser.add_argument("--seed", type=int, default=0, help="the run's seed (0)")
    parser.add_argument("--batch", type=int, default=1000, help="documents per batch (1000)")
    parser.add_argument(
        "--only-batch", type=int, metavar="I", help="check batch I of the seed only (--batch docs)"
    )
    parser.add_argument("--minimize", action="store_true", help="shrink each failing body")
    parser.add_argument("--out", type=Path, help="write each failing document as a JSON line")
    parser.add_argument(
        "--out-minimal", type=Path, help="write each distinct minimal body as a JSON line"
    )
    parser.add_argument("--no-node", action="store_true", help="the Python readers only")
    parser.add_argument(
        "--full-parse", action="store_true", help="parse inlines too (slower; same answers)"
    )
    parser.add_argument(
        "--held-out", action="store_true", help="run the held-out seeds instead of --seed"
    )
    parser.add_argument(
        "--without-raw-html",
        action="store_true",
        help="also markdown-it's default preset (raw HTML off; outside the promise)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args(argv)
    if args.documents < 1 or args.batch < 1:
        parser.error("--documents and --batch must be positive")

    node: NodeReaders | None = None
    if not args.no_node:
        missing = node_missing()
        if missing is None:
            node = NodeReaders(full=args.full_parse)
        else:
            print(f"JavaScript readers skipped: {missing}", file=sys.stderr)
    python = python_readers(full=args.full_parse)
    node_readers: Sequence[str] = NODE_READERS
    if not args.without_raw_html:
        python = {name: read for name, read in python.items() if name in in_the_bar(python)}
        node_readers = in_the_bar(NODE_READERS)
    checker = Checker(python, node, node_readers)
    seeds = HELD_OUT_SEEDS if args.held_out else (args.seed,)
    out = args.out.open("w", encoding="utf-8") if args.out else None
    out_minimal = args.out_minimal.open("w", encoding="utf-8") if args.out_minimal else None
    try:
        summary = run(
            checker,
            seeds,
            args.documents,
            args.batch,
            only_batch=args.only_batch,
            minimize_failures=args.minimize,
            out=out,
            quiet=args.quiet,
        )
        report(summary, checker.names, out_minimal)
    finally:
        for stream in (out, out_minimal):
            if stream is not None:
                stream.close()
        if node is not None:
            node.close()
    return 1 if summary.failing else 0


if __name__ == "__main__":
    sys.exit(main())
