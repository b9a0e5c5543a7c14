"""Where Markdown renderers that depart from CommonMark show other sections.

Usage: python benchmarks/viewer_deviations.py [--documents N] [--seed S]
           [--renderers a,b] [--write docs/viewers.md] [--timeout T] [--quiet]

clipdoc's writer escapes body lines so that CommonMark readers (cmark-gfm,
commonmark.js, markdown-it, markdown-it-py: benchmarks/viewer_agreement.py)
see exactly clipdoc's sections. This script measures the renderers outside
that bar, which depart from CommonMark:

* mistune, as ``mistune.html`` configures it (plugins strikethrough,
  footnotes, table);
* marko (``marko.Markdown()``, its CommonMark parser);
* mistletoe, with the block tokens of its HTML renderer (HTML blocks on);
* commonmark.py (the ``commonmark`` package on PyPI);
* pandoc, reading CommonMark (``-f commonmark+sourcepos``) and its own
  Markdown (``-f markdown``, the default), in one long-lived process through
  a Lua filter that calls ``pandoc.read``;
* markdown-it with raw HTML off (its default preset), in Python and, when
  Node and build/js are there, in JavaScript.

Each is optional: a missing module or binary is skipped with a message.
The Python renderers run in worker processes (``--serve NAME``) and pandoc
in its own: a document not read within ``--timeout`` seconds (1), or that
makes the renderer fail, deviates, and the worker starts again. The
N documents are the ones viewer_agreement.py checks for the same seed (its
grammar of hostile bodies, its documents, batch by batch). A document
deviates for a renderer when that renderer's top-level ``##`` headings are
not exactly clipdoc's section heading lines, or it shows a top-level setext
heading. Renderers without source positions are mapped to lines by heading
text: clipdoc's section headings in these documents (the localized names of
the known sections, ``n0``, ``n1`` and ``hostile``) occur in no body, so
every section heading maps to its line and every other heading to a body
line.

Each failing body is shrunk with viewer_agreement's minimizer while the
renderer still deviates, and the minimal bodies are sorted into named
classes, each with the CommonMark 0.31.2 rule the renderer departs from;
every minimal body is also read by the CommonMark readers of
viewer_agreement.py (markdown-it-py, cmark-gfm and, with Node, commonmark.js
and markdown-it), which must agree with clipdoc on it.
``--write docs/viewers.md`` writes the report page. Exit status 1 when a
minimal body fits no class or a CommonMark reader disagrees on one: the
classes need a look.
"""

from __future__ import annotations

import argparse
import html
import importlib
import importlib.metadata
import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import viewer_agreement as va

import clipdoc

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BATCH = 1000  # viewer_agreement's batch size: the same documents for a seed

# --------------------------------------------------------------------------
# Top-level headings, and the lines they come from.


@dataclass(frozen=True)
class Heading:
    """A top-level heading as a renderer shows it."""

    level: int
    text: str
    line: int | None = None  # 0-based, when the renderer gives source positions
    setext: bool | None = None  # None: the renderer does not say


_ATX_LINE = re.compile(r"[ \t]*(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_STRICT_ATX = re.compile(r" {0,3}#{1,6}(?:[ \t]|$)")
_UNDERLINE = re.compile(r"[ \t]*(?:=+|-+)[ \t]*$")


def _key(text: str) -> str:
    """Text compared without markup: letters and digits only."""
    return "".join(char for char in text if char.isalnum())


@dataclass
class Locator:
    """Places headings without source positions on the lines of ``document``."""

    document: str
    lines: list[str] = field(init=False)
    sections: dict[str, int] = field(init=False)
    used: set[int] = field(init=False, default_factory=set)
    unplaced: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.lines = self.document.split("\n")
        self.sections = {}
        for line in sorted(va.clipdoc_boundaries(self.document)):
            text = self.lines[line].strip()[2:].strip()
            assert text not in self.sections, f"heading text {text!r} is not unique"
            self.sections[text] = line

    def _free(self, index: int) -> bool:
        return index not in self.used and index not in self.sections.values()

    def _atx(self, heading: Heading) -> int | None:
        want = _key(heading.text)
        for index, line in enumerate(self.lines):
            match = _ATX_LINE.match(line)
            if match and self._free(index) and len(match.group(1)) == heading.level:
                content = match.group(2) or ""
                if want in (_key(content), _key(html.unescape(content))):
                    return index
        return None

    def _setext(self, heading: Heading) -> int | None:
        want = _key(heading.text)
        for index in range(1, len(self.lines)):
            if not _UNDERLINE.match(self.lines[index]):
                continue
            for first in range(index - 1, max(-1, index - 5), -1):
                if not self.lines[first].strip() or not self._free(first):
                    break
                paragraph = html.unescape("".join(self.lines[first:index]))
                if _key(paragraph) == want:
                    return first
        return None

    def _marker(self, heading: Heading) -> int | None:
        """A line with the heading's ``#`` run anywhere (``<p>#``)."""
        run = re.compile(f"(?<!#)#{{{heading.level}}}(?!#)")
        for index, line in enumerate(self.lines):
            if self._free(index) and run.search(line):
                return index
        return None

    def place(self, heading: Heading) -> tuple[int, bool]:
        """The heading's line and whether it is a setext heading."""
        if heading.line is not None:
            line = heading.line
            if heading.setext is not None:
                return line, heading.setext
            return line, not (0 <= line < len(self.lines) and _STRICT_ATX.match(self.lines[line]))
        section = self.sections.get(heading.text.strip())
        if heading.level == 2 and not heading.setext and section is not None:
            self.used.add(section)
            return section, False
        order = [(self._atx, False), (self._setext, True)]
        if heading.setext:
            order.reverse()
        elif heading.setext is None:
            order.append((self._marker, False))
        for finder, is_setext in order:
            found = finder(heading)
            if found is not None:
                self.used.add(found)
                return found, is_setext if heading.setext is None else heading.setext
        # Nowhere to be found: a negative line, flagged as setext when unknown.
        self.unplaced += 1
        return -self.unplaced, heading.setext is not False


def reading(document: str, headings: Sequence[Heading]) -> va.Reading:
    """A renderer's top-level headings, as viewer_agreement compares them."""
    locator = Locator(document)
    h2: set[int] = set()
    setext: list[int] = []
    for heading in headings:
        line, is_setext = locator.place(heading)
        if is_setext:
            setext.append(line)
        elif heading.level == 2:
            h2.add(line)
    return va.Reading(frozenset(h2), tuple(setext))


# --------------------------------------------------------------------------
# The renderers.

ReadMany = Callable[[Sequence[str]], list[va.Reading]]


@dataclass
class Renderer:
    """One renderer: its name, version, what it is, and how it reads."""

    name: str
    version: str
    setup: str
    read_many: ReadMany
    close: Callable[[], None] = lambda: None


def _module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def _each(read_one: Callable[[str], list[Heading]]) -> ReadMany:
    def read_many(texts: Sequence[str]) -> list[va.Reading]:
        out = []
        for text in texts:
            try:
                out.append(reading(text, read_one(text)))
            except RecursionError as error:
                out.append(va.Reading(frozenset(), (), error=type(error).__name__))
        return out

    return read_many


def _mistune_text(tokens: Sequence[dict[str, Any]]) -> str:
    parts = []
    for token in tokens:
        parts.append(str(token.get("raw", "")))
        parts.append(_mistune_text(token.get("children", ())))
    return "".join(parts)


def mistune_renderer() -> Renderer | str:
    mistune = _module("mistune")
    if mistune is None:
        return "needs mistune (`pip install mistune`)"
    md = mistune.create_markdown(renderer=None, plugins=["strikethrough", "footnotes", "table"])

    def read_one(text: str) -> list[Heading]:
        tokens: list[dict[str, Any]] = md(text)
        return [
            Heading(
                token["attrs"]["level"],
                _mistune_text(token.get("children", ())),
                setext=token.get("style") == "setext",
            )
            for token in tokens
            if token["type"] == "heading"
        ]

    return Renderer(
        "mistune",
        _version("mistune"),
        "`mistune.create_markdown(plugins=[...])` as `mistune.html`: strikethrough, "
        "footnotes, table",
        _each(read_one),
    )


def _marko_text(element: Any) -> str:
    children = getattr(element, "children", "")
    if isinstance(children, str):
        return children
    return "".join(_marko_text(child) for child in children)


def marko_renderer() -> Renderer | str:
    marko = _module("marko")
    if marko is None:
        return "needs marko (`pip install marko`)"
    block = importlib.import_module("marko.block")
    md = marko.Markdown()

    def read_one(text: str) -> list[Heading]:
        out = []
        for child in md.parse(text).children:
            if isinstance(child, (block.Heading, block.SetextHeading)):
                setext = isinstance(child, block.SetextHeading)
                out.append(Heading(child.level, _marko_text(child), setext=setext))
        return out

    return Renderer("marko", _version("marko"), "`marko.Markdown()`", _each(read_one))


def mistletoe_renderer() -> Renderer | str:
    mistletoe = _module("mistletoe")
    if mistletoe is None:
        return "needs mistletoe (`pip install mistletoe`)"
    block_token = importlib.import_module("mistletoe.block_token")

    def read_many(texts: Sequence[str]) -> list[va.Reading]:
        # The HTML renderer adds HTML blocks to the block tokens while open.
        with mistletoe.HtmlRenderer():
            return _each(read_one)(texts)

    def read_one(text: str) -> list[Heading]:
        # mistletoe splits a string with str.splitlines: its line numbers
        # count pieces, which are mapped back to lines here.
        starts, offset = [], 0
        for piece in text.splitlines(keepends=True):
            starts.append(text.count("\n", 0, offset))
            offset += len(piece)
        out = []
        for child in mistletoe.Document(text).children:
            if isinstance(child, (block_token.Heading, block_token.SetextHeading)):
                setext = isinstance(child, block_token.SetextHeading)
                out.append(Heading(child.level, "", starts[child.line_number - 1], setext))
        return out

    return Renderer(
        "mistletoe",
        _version("mistletoe"),
        "`mistletoe.Document` inside `HtmlRenderer()` (as `mistletoe.markdown`)",
        read_many,
    )


def commonmark_py_renderer() -> Renderer | str:
    commonmark = _module("commonmark")
    if commonmark is None:
        return "needs commonmark.py (`pip install commonmark`)"
    parser = commonmark.Parser()

    def read_one(text: str) -> list[Heading]:
        out = []
        node = parser.parse(text).first_child
        while node is not None:
            if node.t == "heading":
                (first, _), (last, _) = node.sourcepos
                out.append(Heading(node.level, "", first - 1, first != last))
            node = node.nxt
        return out

    return Renderer(
        "commonmark.py", _version("commonmark"), "`commonmark.Parser()`", _each(read_one)
    )


#: A Lua filter that serves ``pandoc.read`` over standard input: a line
#: "FORMAT BYTES", then BYTES bytes of document; the answer is a line per
#: top-level heading (H, level, data-pos, text; tab-separated), then END.
PANDOC_SERVER = r"""
local function clean(s) return (s:gsub("%c", " ")) end
function Pandoc(doc)
  while true do
    local header = io.read("l")
    if not header then break end
    local format, size = header:match("^(%S+) (%d+)$")
    local text = ""
    if tonumber(size) > 0 then text = io.read(tonumber(size)) end
    local ok, parsed = pcall(pandoc.read, text, format)
    if ok then
      for _, block in ipairs(parsed.blocks) do
        if block.t == "Header" then
          io.write("H\t", block.level, "\t", block.attributes["data-pos"] or "", "\t",
                   clean(pandoc.utils.stringify(block.content)), "\n")
        end
      end
    else
      io.write("E\t", clean(tostring(parsed)), "\n")
    end
    io.write("END\n")
    io.flush()
  end
  return doc
end
"""

_DATA_POS = re.compile(r"(?:.*@)?(\d+):\d+-")


class Server:
    """A long-lived process answering one document at a time: it reads a
    line "READER BYTES" then BYTES bytes of UTF-8 document, and answers with
    lines ended by a line "END". A document it does not answer within
    ``timeout`` seconds restarts it."""

    def __init__(self, command: Sequence[str], timeout: float) -> None:
        self._command = list(command)
        self._timeout = timeout
        self._process = self._start()
        self._buffer = b""

    def _start(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            self._command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # pandoc's warnings (duplicate link references)
        )

    def _lines(self) -> Iterator[str]:
        """The answer's lines, up to END; TimeoutError past the deadline."""
        assert self._process.stdout is not None
        deadline = time.monotonic() + self._timeout
        descriptor = self._process.stdout.fileno()
        while True:
            while b"\n" in self._buffer:
                line, self._buffer = self._buffer.split(b"\n", 1)
                if line == b"END":
                    return
                yield line.decode("utf-8")
            ready, _, _ = select.select([descriptor], [], [], max(0, deadline - time.monotonic()))
            if not ready:
                raise TimeoutError
            chunk = os.read(descriptor, 65536)
            if not chunk:
                raise EOFError
            self._buffer += chunk

    def ask(self, reader: str, text: str) -> list[str] | str:
        """The answer's lines for ``text``, or why there is none."""
        assert self._process.stdin is not None
        data = text.encode("utf-8")
        try:
            self._process.stdin.write(f"{reader} {len(data)}\n".encode() + data)
            self._process.stdin.flush()
            return list(self._lines())
        except (TimeoutError, EOFError, BrokenPipeError) as error:
            self._process.kill()
            self._process.wait()
            self._process, self._buffer = self._start(), b""
            if isinstance(error, TimeoutError):
                return f"no answer within {self._timeout:g} s"
            return "the renderer's process stopped"

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        self._process.wait(timeout=30)


def _pandoc_headings(lines: list[str]) -> list[Heading] | str:
    out = []
    for line in lines:
        kind, *fields = line.split("\t")
        if kind == "E":
            return f"pandoc: {fields[0]}"
        level, position, content = fields
        match = _DATA_POS.match(position)
        first = int(match.group(1)) - 1 if match else None
        out.append(Heading(int(level), content, first))
    return out


def pandoc_renderer(name: str, timeout: float) -> Renderer | str:
    binary = shutil.which("pandoc")
    if binary is None:
        return "needs the `pandoc` binary (Debian: `apt-get install pandoc`)"
    done = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True)
    version = done.stdout.split("\n")[0].split()[-1]
    reader, setup = {
        "pandoc:commonmark": (
            "commonmark+sourcepos",
            "`pandoc -f commonmark+sourcepos`: its CommonMark reader, with source positions",
        ),
        "pandoc:markdown": (
            "markdown",
            "`pandoc -f markdown`: pandoc's Markdown, the default (headings placed by text)",
        ),
    }[name]
    folder = tempfile.TemporaryDirectory(prefix="clipdoc-pandoc-")
    script = Path(folder.name) / "server.lua"
    script.write_text(PANDOC_SERVER, encoding="utf-8")
    command = [binary, "-f", "markdown", "-o", "/dev/null", "--lua-filter", str(script)]
    server = Server([*command, "/dev/null"], timeout)

    def read_many(texts: Sequence[str]) -> list[va.Reading]:
        out = []
        for text in texts:
            answer = server.ask(reader, text)
            found = answer if isinstance(answer, str) else _pandoc_headings(answer)
            if isinstance(found, str):
                out.append(va.Reading(frozenset(), (), error=found))
            else:
                out.append(reading(text, found))
        return out

    def close() -> None:
        server.close()
        folder.cleanup()

    return Renderer(name, version, setup, read_many, close)


def markdown_it_py_renderer() -> Renderer:
    read = va.markdown_it_reader("default")
    return Renderer(
        "markdown-it-py:default",
        _version("markdown-it-py"),
        '`MarkdownIt("default")`: markdown-it\'s default preset, `html: false`',
        lambda texts: [read(text) for text in texts],
    )


def markdown_it_js_renderer() -> Renderer | str:
    missing = va.node_missing()
    if missing is not None:
        return missing
    node = va.NodeReaders()

    def read_many(texts: Sequence[str]) -> list[va.Reading]:
        answers = node.read(texts, ["markdown-it:default"])
        return [answer["markdown-it:default"] for answer in answers]

    package = json.loads((va.MODULES / "markdown-it" / "package.json").read_text("utf-8"))
    return Renderer(
        "markdown-it:default",
        str(package["version"]),
        "`markdownit()` (Node): the default preset, `html: false`",
        read_many,
        node.close,
    )


#: The renderers run in a worker process each, with a time limit per document.
IN_PROCESS: dict[str, Callable[[], Renderer | str]] = {
    "mistune": mistune_renderer,
    "marko": marko_renderer,
    "mistletoe": mistletoe_renderer,
    "commonmark.py": commonmark_py_renderer,
}
RENDERERS = (
    *IN_PROCESS,
    "pandoc:commonmark",
    "pandoc:markdown",
    "markdown-it-py:default",
    "markdown-it:default",
)


def serve(name: str) -> int:
    """The worker behind ``--serve NAME``: Server's protocol on standard
    input and output, each answer one line of JSON (a Reading)."""
    made = IN_PROCESS[name]()
    if isinstance(made, str):
        print(made, file=sys.stderr)
        return 1
    sys.setrecursionlimit(10_000)
    source, sink = sys.stdin.buffer, sys.stdout
    while header := source.readline():
        text = source.read(int(header.split()[1])).decode("utf-8")
        try:
            seen = made.read_many([text])[0]
        except Exception as error:  # a renderer that fails shows no sections
            seen = va.Reading(frozenset(), (), error=f"{type(error).__name__}: {error}"[:200])
        answer = {"h2": sorted(seen.h2), "setext": list(seen.setext), "error": seen.error}
        sink.write(json.dumps(answer) + "\nEND\n")
        sink.flush()
    return 0


def isolated_renderer(name: str, timeout: float) -> Renderer | str:
    """Renderer ``name`` in a worker process (``--serve``): a document it does
    not finish within ``timeout`` seconds, or that it fails on, deviates."""
    made = IN_PROCESS[name]()  # here too: for its version, or why it is missing
    if isinstance(made, str):
        return made
    server = Server([sys.executable, str(Path(__file__).resolve()), "--serve", name], timeout)

    def read_many(texts: Sequence[str]) -> list[va.Reading]:
        out = []
        for text in texts:
            answer = server.ask(name, text)
            if isinstance(answer, str):
                out.append(va.Reading(frozenset(), (), error=answer))
                continue
            seen = json.loads(answer[0])
            out.append(va.Reading(frozenset(seen["h2"]), tuple(seen["setext"]), seen["error"]))
        return out

    return Renderer(made.name, made.version, made.setup, read_many, server.close)


def load_renderer(name: str, timeout: float) -> Renderer | str:
    """Renderer ``name``, or why it cannot run here."""
    if name in IN_PROCESS:
        return isolated_renderer(name, timeout)
    if name.startswith("pandoc:"):
        return pandoc_renderer(name, timeout)
    if name == "markdown-it-py:default":
        return markdown_it_py_renderer()
    return markdown_it_js_renderer()


def load_renderers(
    wanted: Sequence[str], timeout: float, skipped: dict[str, str] | None = None
) -> list[Renderer]:
    """The renderers in ``wanted`` that can run here; ``skipped`` gets why
    the others cannot."""
    loaded = []
    for name in wanted:
        made = load_renderer(name, timeout)
        if isinstance(made, str):
            print(f"{name} skipped: {made}", file=sys.stderr)
            if skipped is not None:
                skipped[name] = made
        else:
            loaded.append(made)
    return loaded


# --------------------------------------------------------------------------
# Checking and minimizing.


@dataclass
class Failure:
    """A document a renderer deviates on, and its minimal body."""

    case: va.Case
    reason: str
    minimal: str = ""


def deviates(renderer: Renderer, texts: Sequence[str]) -> list[str | None]:
    """For each document, why ``renderer`` deviates from clipdoc's sections, or None."""
    readings = renderer.read_many(texts)
    return [
        seen.disagreement(va.clipdoc_boundaries(text))
        for seen, text in zip(readings, texts, strict=True)
    ]


def batches(seed: int, documents: int) -> Iterator[list[va.Case]]:
    """viewer_agreement's documents for ``seed``, batch by batch."""
    for batch in range((documents + BATCH - 1) // BATCH):
        yield va.make_batch(seed, batch, min(BATCH, documents - batch * BATCH))


def minimal_body(renderer: Renderer, case: va.Case) -> str:
    """The smallest body found from ``case.body`` on which ``renderer`` still deviates."""

    def still_fails(bodies: list[str]) -> list[bool]:
        texts = [clipdoc.render(case.clipping(body)) for body in bodies]
        return [reason is not None for reason in deviates(renderer, texts)]

    return va.minimize(case.body, still_fails)


# --------------------------------------------------------------------------
# Classes of deviation.


@dataclass(frozen=True)
class Deviation:
    """A named class of minimal bodies, and the CommonMark rule behind it."""

    key: str
    renderers: tuple[str, ...]
    title: str  # Markdown: what the renderer does
    rule: str  # Markdown: the CommonMark 0.31.2 rule it departs from
    matches: Callable[[str], bool]


def _search(pattern: str) -> Callable[[str], bool]:
    compiled = re.compile(pattern)
    return lambda body: compiled.search(body) is not None


_HTML1_OPEN = re.compile(r"^ {0,3}<(pre|script|style|textarea)(?=[ \t>]|$)", re.I | re.M)
_HTML1_END = re.compile(r"</(pre|script|style|textarea)>", re.I)


def _other_end_tag(body: str) -> bool:
    """An HTML block 1 whose first end tag is another tag, or in another case."""
    opener = _HTML1_OPEN.search(body)
    end = _HTML1_END.search(body, opener.end()) if opener else None
    return opener is not None and end is not None and end.group(1) != opener.group(1)


HTML_OPENER_1_TO_5 = (
    r"(?m)^ {0,3}(?:<(?i:pre|script|style|textarea)(?:[ \t>]|$)|<!--|<\?|<![A-Za-z]|<!\[CDATA\[)"
)
MARKDOWN_IT = ("markdown-it-py:default", "markdown-it:default")
CLASSES = (
    Deviation(
        "end-on-first-line",
        ("mistune", "pandoc:commonmark"),
        "An HTML comment or processing instruction whose end overlaps its start"
        " (`<!-->`, `<?>`) does not end on its first line: it runs on and hides the"
        " sections after it.",
        "§4.6 HTML blocks: a block whose first line meets the end condition (`-->`,"
        " `?>`) is that line alone (Examples 176, 177)",
        _search(r"(?m)^ {0,3}(?:<\?>|<!---?>)"),
    ),
    Deviation(
        "opener-other-character",
        ("mistune",),
        "`<pre`, `<script`, `<style` or `<textarea` followed by a character other than"
        " a space, a tab or `>` (`<pre/`, `<pre&#13;`) opens an HTML block, which"
        " hides the sections after it.",
        "§4.6 HTML blocks, start condition 1: the tag name is followed by a space, a"
        " tab, `>` or the end of the line",
        _search(r"(?mi)^ {0,3}<(?:pre|script|style|textarea)[^ \t>\nA-Za-z0-9]"),
    ),
    Deviation(
        "opener-tab",
        ("mistletoe",),
        "`<script`, `<style` or `<pre` followed by a tab opens no HTML block: the"
        " block's lines read as Markdown, and a `=` or `-` line makes a setext"
        " heading, a fence line a code block that hides the sections after it.",
        "§4.6 HTML blocks, start condition 1: the tag name is followed by a space, a"
        " tab, `>` or the end of the line",
        _search(r"(?mi)^ {0,3}<(?:pre|script|style|textarea)\t"),
    ),
    Deviation(
        "opener-case",
        ("mistletoe",),
        "A tag name with an upper-case letter (`<Script`, `<prE`) opens no HTML"
        " block: its lines read as Markdown (a setext underline, a fence).",
        "§4.6 HTML blocks, start condition 1: `<pre`, `<script`, `<style`,"
        " `<textarea`, case-insensitive",
        _search(r"(?m)^ {0,3}<(?=(?i:pre|script|style|textarea)(?:[ \t>]|$))[a-z]*[A-Z]"),
    ),
    Deviation(
        "other-end-tag",
        ("mistune", "marko", "mistletoe"),
        "A `<pre`, `<script`, `<style` or `<textarea` block ends only at its own end"
        " tag in the same case: `</style>` or `</prE>` does not end a `<pre` block,"
        " which hides the sections after it.",
        "§4.6 HTML blocks, end condition 1: `</pre>`, `</script>`, `</style>` or"
        " `</textarea>`, case-insensitive; it need not match the start tag",
        _other_end_tag,
    ),
    Deviation(
        "whitespace-line",
        ("mistune",),
        "A line of spaces and tabs that reaches past column 4 (a tab and a space,"
        " five spaces) is not a blank line: the paragraph above goes on, and a `-` or"
        " `=` line after it makes a setext heading.",
        "§2.1 Characters and lines: a line of only spaces or tabs is a blank line;"
        " §4.8 Paragraphs: a blank line ends a paragraph (Example 227)",
        _search(r"(?m)^[ \t]*\S.*\n[ \t]+\n"),
    ),
    Deviation(
        "declaration-without-letter",
        ("marko",),
        "`<!` not followed by a letter (`<!` alone, `<![CDATA[>`) opens a declaration"
        " block that ends at the first `>`; a `<!` alone hides the sections after"
        " it, and a CDATA section ends early.",
        "§4.6 HTML blocks, start condition 4: `<!` followed by an ASCII letter"
        " (Example 181); `<![CDATA[` is start condition 5, ended by `]]>`",
        _search(r"(?m)^ {0,3}<!(?![A-Za-z]|--)"),
    ),
    Deviation(
        "endless-loop",
        ("marko",),
        "Never finishes (an endless loop) on a `>` after a tab and two or more spaces"
        " in a block quote or list item (`>\\t  >`): no page at all.",
        "§2.2 Tabs: a tab in a container's indentation advances to the next tab stop"
        " (Examples 6, 7); CommonMark reads `>\\t  >` as a block quote holding"
        " indented code",
        _search(r"\t {2,}>"),
    ),
    Deviation(
        "tab-indented-opener",
        ("mistletoe",),
        "An HTML block opener after a tab (`\\t<pre`, `\\t<!--`) opens an HTML block,"
        " which hides the sections after it; CommonMark reads the line as indented"
        " code.",
        "§2.2 Tabs: a tab at the start of a line is four columns of indentation"
        " (Examples 1, 2); §4.6: an HTML block starts after at most three spaces"
        " (Example 183)",
        _search(r"(?m)^ {0,3}\t<"),
    ),
    Deviation(
        "closing-fence-with-text",
        ("mistletoe",),
        "A fence line with text after it (three backticks then `a`, `~~~&#13;`)"
        " closes the open code block, so the next fence line opens one that hides"
        " the sections after it.",
        "§4.5 Fenced code blocks: closing code fences cannot have info strings (Example 147)",
        _search(r"(?m)^ {0,3}(`{3,}|~{3,})\n {0,3}\1[^`~ \t\n]"),
    ),
    Deviation(
        "closing-fence-tab",
        ("commonmark.py",),
        "A closing fence followed by a tab does not close the code block (CommonMark"
        " 0.29 allowed only spaces there), which then hides the sections after it.",
        "§4.5 Fenced code blocks: the closing fence may be followed only by spaces"
        " or tabs, which are ignored",
        _search(r"(?m)^ {0,3}(?:`{3,}|~{3,}) *\t[ \t]*$"),
    ),
    Deviation(
        "raw-tex",
        ("pandoc:markdown",),
        "A body that ends in a TeX command (`\\b\\`; raw TeX is on in pandoc's"
        " Markdown) takes the blank line and the next section heading into its"
        " paragraph, as text.",
        "§2.4 Backslash escapes: a backslash before a letter is a literal backslash"
        " (Example 13); §4.8 Paragraphs: a blank line ends a paragraph (Example 219)",
        _search(r"\\[A-Za-z]+\\?\Z"),
    ),
    Deviation(
        "html-blocks",
        ("pandoc:markdown",),
        "A processing instruction (`<?`), a declaration (`<!A`) or an unfinished"
        " `<script` or `<pre` tag opens no HTML block: its lines read as Markdown,"
        " and a `-` or `=` line makes a setext heading.",
        "§4.6 HTML blocks, start conditions 1, 3 and 4 (Examples 172, 180, 181)",
        _search(r"(?m)^ {0,3}(?:<\?|<![A-Za-z]|<(?i:pre|script|style|textarea)(?:[ \t]|$))"),
    ),
    Deviation(
        "markdown-in-html",
        ("pandoc:markdown",),
        "Markdown after an HTML tag, on the tag's line (`<p>##`) or on the lines"
        " under it, even indented four columns (`<p>` then `\\t##`), is read as"
        " blocks: a `##` there is a heading.",
        "§4.6 HTML blocks, start condition 6: the lines up to the next blank line are"
        " raw HTML, Markdown in them included (Examples 155, 159)",
        _search(r"(?m)^ {0,3}</?[A-Za-z][A-Za-z0-9-]*[^\n]*(?:\n[^\n]*\S[^\n]*)*?#"),
    ),
    Deviation(
        "fence-info-words",
        ("pandoc:markdown",),
        "A fence whose info string has two words (`~~~a a`) is no fence: its lines"
        " read as Markdown, and a `=` or `-` line makes a setext heading.",
        "§4.5 Fenced code blocks: the info string is any text after the fence (Example 143)",
        _search(r"(?m)^ {0,3}(?:`{3,}|~{3,})[^\n]*\S[ \t]+\S"),
    ),
    Deviation(
        "fence-needs-blank-line",
        ("pandoc:markdown",),
        "A fence does not interrupt a paragraph (it needs a blank line before it):"
        " the lines after it read as Markdown, and a `-` or `=` line makes a setext"
        " heading.",
        "§4.5 Fenced code blocks: a fenced code block may interrupt a paragraph (Example 140)",
        _search(r"(?m)^[ \t]*\S.*\n {0,3}(?:`{3,}|~{3,})"),
    ),
    Deviation(
        "html-off-fence",
        MARKDOWN_IT,
        "Raw HTML is off, so an HTML block's lines (after `<!--`, `<?`, `<!A`,"
        " `<pre`) read as Markdown: a fence line in one opens a code block that"
        " hides the sections after it.",
        "§4.6 HTML blocks, start conditions 1 to 5: the lines up to the end condition"
        " are raw HTML (Examples 170, 179 to 182); CommonMark has no mode without"
        " raw HTML",
        lambda body: bool(
            re.search(HTML_OPENER_1_TO_5, body) and re.search(r"(?m)^ {0,3}(?:`{3,}|~{3,})", body)
        ),
    ),
    Deviation(
        "html-off-setext",
        MARKDOWN_IT,
        "Raw HTML is off, so an HTML block's lines (after `<!--`, `<?`, `<!A`,"
        " `<pre`) read as Markdown: a `-` or `=` line in one makes a setext heading.",
        "§4.6 HTML blocks, start conditions 1 to 5: the lines up to the end condition"
        " are raw HTML (Examples 170, 179 to 182); CommonMark has no mode without"
        " raw HTML",
        lambda body: bool(
            re.search(HTML_OPENER_1_TO_5, body) and re.search(r"(?m)^ {0,3}(?:=+|-+)[ \t]*$", body)
        ),
    ),
)
UNCLASSIFIED = Deviation("other", (), "Not classified yet.", "", lambda body: True)


def classify(renderer: str, body: str) -> Deviation:
    """The first class of ``renderer`` that ``body`` belongs to."""
    for deviation in CLASSES:
        if renderer in deviation.renderers and deviation.matches(body):
            return deviation
    return UNCLASSIFIED


# --------------------------------------------------------------------------
# The CommonMark readers, on each minimal body.

#: The readers in the bar (benchmarks/viewer_agreement.py), and clipdoc.
COMMONMARK_READERS = (
    "clipdoc",
    "markdown-it-py:commonmark",
    "markdown-it-py:gfm-like",
    "cmark-gfm",
    "cmark-gfm+gfm",
    "commonmark.js",
    "markdown-it:commonmark",
    "markdown-it:default+html",
)


def commonmark_checker() -> va.Checker:
    python = {
        name: read for name, read in va.python_readers().items() if name in COMMONMARK_READERS
    }
    missing = va.node_missing()
    if missing is not None:
        print(f"commonmark.js and markdown-it skipped: {missing}", file=sys.stderr)
    return va.Checker(python, va.NodeReaders() if missing is None else None)


def commonmark_disagrees(checker: va.Checker, case: va.Case, body: str) -> list[str]:
    """The CommonMark readers that do not agree with clipdoc on ``body``."""
    text = clipdoc.render(case.clipping(body))
    return sorted(checker.disagreements([text], [case.sections()], only=COMMONMARK_READERS)[0])


# --------------------------------------------------------------------------
# The run.


@dataclass
class Group:
    """The documents of one renderer whose minimal body is in one class."""

    deviation: Deviation
    documents: int = 0
    bodies: dict[str, int] = field(default_factory=dict)  # minimal body: documents
    cases: dict[str, va.Case] = field(default_factory=dict)  # minimal body: first case
    commonmark: list[str] = field(default_factory=list)  # CommonMark readers that disagree

    def add(self, failure: Failure) -> None:
        self.documents += 1
        self.bodies[failure.minimal] = self.bodies.get(failure.minimal, 0) + 1
        self.cases.setdefault(failure.minimal, failure.case)

    def examples(self, count: int) -> list[str]:
        """The ``count`` bodies most documents shrink to (shortest first on a tie)."""
        ordered = sorted(self.bodies, key=lambda body: (-self.bodies[body], len(body), body))
        return ordered[:count]


@dataclass
class Result:
    """One renderer's run."""

    name: str
    version: str
    setup: str
    documents: int
    failures: list[Failure] = field(default_factory=list)
    groups: dict[str, Group] = field(default_factory=dict)
    check_seconds: float = 0.0
    minimize_seconds: float = 0.0


def run_renderer(renderer: Renderer, cases: Sequence[va.Case], texts: Sequence[str]) -> Result:
    result = Result(renderer.name, renderer.version, renderer.setup, len(cases))
    started = time.perf_counter()
    for start in range(0, len(texts), BATCH):
        reasons = deviates(renderer, texts[start : start + BATCH])
        for case, reason in zip(cases[start : start + BATCH], reasons, strict=True):
            if reason is not None:
                result.failures.append(Failure(case, reason))
    result.check_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for failure in result.failures:
        failure.minimal = minimal_body(renderer, failure.case)
        deviation = classify(renderer.name, failure.minimal)
        result.groups.setdefault(deviation.key, Group(deviation)).add(failure)
    result.minimize_seconds = time.perf_counter() - started
    return result


def check_commonmark(results: Sequence[Result]) -> None:
    """Read every minimal body with the CommonMark readers."""
    checker = commonmark_checker()
    try:
        for result in results:
            for group in result.groups.values():
                disagree: set[str] = set()
                for body, case in group.cases.items():
                    disagree.update(commonmark_disagrees(checker, case, body))
                group.commonmark = sorted(disagree)
    finally:
        if checker.node is not None:
            checker.node.close()


@dataclass
class Run:
    """Every renderer's result, the renderers skipped, and the run time."""

    seed: int
    documents: int
    results: list[Result] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


def run(names: Sequence[str], seed: int, documents: int, timeout: float, *, quiet: bool) -> Run:
    """Every renderer in ``names`` that can run here over the documents of ``seed``."""
    started = time.perf_counter()
    cases = [case for batch in batches(seed, documents) for case in batch]
    texts = [clipdoc.render(case.clipping()) for case in cases]
    outcome = Run(seed, documents)
    for renderer in load_renderers(names, timeout, outcome.skipped):
        try:
            result = run_renderer(renderer, cases, texts)
        finally:
            renderer.close()
        if not quiet:
            print(
                f"{renderer.name}: {len(result.failures)} of {documents} documents deviate"
                f" ({result.check_seconds:.1f} s checking,"
                f" {result.minimize_seconds:.1f} s minimizing)",
                file=sys.stderr,
                flush=True,
            )
        outcome.results.append(result)
    check_commonmark(outcome.results)
    outcome.seconds = time.perf_counter() - started
    return outcome


# --------------------------------------------------------------------------
# Reports.


def show(body: str) -> str:
    """A body as a Python string literal: `\\n` for a line break, `\\t` a tab."""
    return repr(body)


def code_span(text: str) -> str:
    """``text`` as a Markdown code span that is safe in a table cell."""
    text = text.replace("|", "\\|")
    run = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (run + 1)
    padded = f" {text} " if text.startswith(("`", " ")) or text.endswith(("`", " ")) else text
    return f"{fence}{padded}{fence}"


def print_report(outcome: Run) -> None:
    for result in outcome.results:
        share = 100 * len(result.failures) / result.documents
        print(f"{result.name} {result.version} ({result.setup})")
        print(f"  {len(result.failures)} of {result.documents} documents deviate ({share:.1f}%)")
        for group in sorted(result.groups.values(), key=lambda g: -g.documents):
            agree = (
                "CommonMark readers agree"
                if not group.commonmark
                else ("CommonMark readers that disagree too: " + ", ".join(group.commonmark))
            )
            print(f"  [{group.deviation.key}] {group.documents} documents; {agree}")
            print(f"    {group.deviation.title}")
            if group.deviation.rule:
                print(f"    departs from: {group.deviation.rule}")
            for body, count in sorted(group.bodies.items(), key=lambda item: -item[1]):
                print(f"    x{count} {show(body)}")
    for name, why in outcome.skipped.items():
        print(f"{name}: skipped ({why})")
    print(f"run time: {outcome.seconds:.0f} s")


def _ci_readers() -> list[tuple[str, str, str]]:
    """The CommonMark readers CI checks: name, version, configuration."""
    cmark = "?"
    try:
        from cmarkgfm import _cmark

        cmark = _cmark.ffi.string(_cmark.lib.cmark_version_string()).decode()
    except (ImportError, AttributeError):
        pass
    pinned = (ROOT / ".ci" / "run").read_text(encoding="utf-8")

    def pin(package: str) -> str:
        match = re.search(rf"\b{re.escape(package)}@([0-9][0-9A-Za-z.-]*)", pinned)
        return match.group(1) if match else "?"

    return [
        (
            "cmark-gfm",
            f"{cmark} (Python package cmarkgfm {_version('cmarkgfm')})",
            "GitHub's renderer: plain CommonMark, and with GitHub's extensions",
        ),
        (
            "markdown-it-py",
            _version("markdown-it-py"),
            'presets "commonmark" and "gfm-like"',
        ),
        ("commonmark.js", pin("commonmark"), "the CommonMark reference implementation"),
        (
            "markdown-it",
            pin("markdown-it"),
            'preset "commonmark", and the default preset with `html: true` (as editors'
            " such as VS Code use it)",
        ),
    ]


PAGE_INTRO = """\
# Which Markdown viewers show a clipping's sections

A clipping document is Markdown: `# title`, `**URL**: ...`, then one `## `
heading per section. clipdoc escapes body lines ([the format
specification](spec.md), section 6) so that a Markdown viewer shows exactly these sections, whatever
a body holds: raw HTML, code fences, lines that look like headings, Git
conflict markers, deep lists.

## What "agree" means

A reader *agrees* with clipdoc on a document when the lines it shows as
top-level `##` headings (ATX headings of level 2, outside any list or block
quote) are exactly the lines clipdoc reads as section headings, and it shows
no top-level setext heading (a line turned into a heading by a `=` or `-`
line under it). Then every section of the clipping is a heading of its own in
the viewer, and nothing in a body is. The body's text is shown as written:
clipdoc's escapes are ordinary CommonMark backslash escapes, which a viewer
hides.

## Readers checked in CI

These readers agree with clipdoc on every document CI gives them:

| Reader | Version | Configuration |
| --- | --- | --- |
{ci_rows}

CI checks them on every run: `tests/test_commonmark.py` (property tests on
generated clippings), `tests/test_viewers_js.py` (commonmark.js and
markdown-it in Node) and `tests/test_viewer_fuzz.py`, one batch of the
differential fuzzer `benchmarks/viewer_agreement.py`, which writes hostile
bodies from a grammar of CommonMark block structure (lists, block quotes,
fences, indented code, the seven kinds of HTML block, setext underlines,
tables, link reference definitions, conflict markers) and compares every
reader with clipdoc. Run it longer with
`.venv/bin/python benchmarks/viewer_agreement.py --documents 20000 --minimize`.

## Renderers outside CommonMark

The renderers below depart from CommonMark in places, and on some bodies they
show other sections than clipdoc reads: a section heading swallowed by a code
or HTML block that CommonMark ends earlier, a body line shown as a heading,
or no page at all. They are not checked in CI. `benchmarks/viewer_deviations.py`
gives each of them the same {documents:,} generated documents (seed {seed}),
shrinks the body of every document it deviates on to a minimal body on which
it still deviates, and sorts the minimal bodies into classes. Every minimal
body is also read by the CommonMark readers above, which agree with clipdoc
on it: each class is the renderer's departure from a CommonMark rule, named
with its section and example numbers in CommonMark 0.31.2.

A document counts once per renderer, under the class of the minimal body it
shrinks to. Bodies are written as Python string literals: `\\n` is a line
break, `\\t` a tab, and `\\r` a carriage return, which clipdoc writes as
`&#13;`.

| Renderer | Version | Read as | Documents that deviate (of {documents:,}) | Classes |
| --- | --- | --- | ---: | ---: |
{summary_rows}
"""

PAGE_END = """
## Regenerating this page

```sh
.venv/bin/pip install --group viewers   # mistune, marko, mistletoe, commonmark
apt-get install pandoc                  # Debian; without it pandoc is skipped
.venv/bin/python benchmarks/viewer_deviations.py --documents {documents} --seed {seed} \\
    --write docs/viewers.md
```

A renderer that is not installed is skipped with a message (`--renderers`
picks some by name). markdown-it in Node needs `build/js`, which `.ci/run`
installs. Each Python renderer runs in a worker process: a document it does
not finish within a second counts as a deviation, and the worker starts
again. This page took {seconds:.0f} s to generate on a 2-core machine
(reading: {checking:.0f} s; minimizing: {minimizing:.0f} s, of which
{slowest}).
"""


def _summary_row(result: Result, documents: int) -> str:
    share = 100 * len(result.failures) / documents
    return (
        f"| [{result.name}](#{_anchor(result)}) | {result.version} | {result.setup}"
        f" | {len(result.failures):,} ({share:.1f}%) | {len(result.groups)} |"
    )


def _anchor(result: Result) -> str:
    """The anchor MyST gives the renderer's heading."""
    title = f"{result.name} {result.version}".lower()
    return re.sub(r"[^\w\- ]", "", title).strip().replace(" ", "-")


def _renderer_section(result: Result, documents: int) -> list[str]:
    lines = ["", f"### {result.name} {result.version}", "", f"Read as: {result.setup}.", ""]
    if not result.groups:
        return [*lines, "No document deviates.", ""]
    lines += [
        f"| Deviation | Minimal body | Documents (of {documents:,}) | CommonMark rule it departs"
        " from |",
        "| --- | --- | ---: | --- |",
    ]
    for group in sorted(result.groups.values(), key=lambda g: (-g.documents, g.deviation.key)):
        rule = group.deviation.rule or "(to be classified)"
        if group.commonmark:
            rule += f" (CommonMark readers that disagree too: {', '.join(group.commonmark)})"
        shown = group.examples(3)
        body = ", ".join(code_span(show(example)) for example in shown)
        if len(group.bodies) > len(shown):
            body += f" and {len(group.bodies) - len(shown)} more"
        lines.append(f"| {group.deviation.title} | {body} | {group.documents} | {rule} |")
    return [*lines, ""]


def _slowest(results: Sequence[Result]) -> str:
    """The renderer slowest to minimize, and why when it ran out of time."""
    if not results:
        return "none"
    result = max(results, key=lambda r: r.minimize_seconds)
    text = f"{result.minimize_seconds:.0f} s for {result.name}"
    if any(failure.reason.startswith("error: no answer") for failure in result.failures):
        text += ", whose tries that never finish each take the time limit"
    return text


def page(outcome: Run) -> str:
    ci_rows = "\n".join(f"| {name} | {version} | {how} |" for name, version, how in _ci_readers())
    summary_rows = "\n".join(_summary_row(r, outcome.documents) for r in outcome.results)
    text = PAGE_INTRO.format(
        ci_rows=ci_rows,
        documents=outcome.documents,
        seed=outcome.seed,
        summary_rows=summary_rows,
    )
    for result in outcome.results:
        text += "\n".join(_renderer_section(result, outcome.documents))
    if outcome.skipped:
        text += "\nNot measured for this page (not installed): "
        text += ", ".join(sorted(outcome.skipped)) + ".\n"
    text += PAGE_END.format(
        documents=outcome.documents,
        seed=outcome.seed,
        seconds=outcome.seconds,
        checking=sum(r.check_seconds for r in outcome.results),
        minimizing=sum(r.minimize_seconds for r in outcome.results),
        slowest=_slowest(outcome.results),
    )
    return text


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--documents", type=int, default=5000, help="documents (5000)")
    parser.add_argument("--seed", type=int, default=0, help="viewer_agreement's seed (0)")
    parser.add_argument(
        "--renderers", default=",".join(RENDERERS), help="comma-separated (all of them)"
    )
    parser.add_argument("--write", type=Path, metavar="PAGE", help="write the report page here")
    parser.add_argument(
        "--timeout", type=float, default=1.0, help="seconds a renderer gets per document (1)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.add_argument("--serve", choices=sorted(IN_PROCESS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        return serve(args.serve)
    names = [name.strip() for name in args.renderers.split(",") if name.strip()]
    unknown = sorted(set(names) - set(RENDERERS))
    if unknown or args.documents < 1:
        parser.error(f"unknown renderers {unknown}; known: {', '.join(RENDERERS)}")
    outcome = run(names, args.seed, args.documents, args.timeout, quiet=args.quiet)
    print_report(outcome)
    if args.write is not None:
        args.write.write_text(page(outcome), encoding="utf-8")
        print(f"wrote {args.write}")
    # 1 when the page needs attention: a body in no class, or a CommonMark
    # reader that disagrees with clipdoc on a minimal body.
    attention = any(
        group.deviation is UNCLASSIFIED or group.commonmark
        for result in outcome.results
        for group in result.groups.values()
    )
    return 1 if attention else 0


if __name__ == "__main__":
    sys.exit(main())
