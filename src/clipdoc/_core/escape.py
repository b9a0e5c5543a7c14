"""Body escaping: the only transformation between a body and its lines.

Two escapes, both ordinary CommonMark so that a Markdown viewer still shows
the original text:

* a *line escape*: a backslash inserted after the (at most three spaces of)
  indentation of a body line that would otherwise read as structure: a
  ``##`` heading, a Git conflict marker in column 1, or the opening line of a
  code fence or raw-HTML block that would stay open past the end of the body
  and swallow the next heading;
* a *CR escape*: a carriage return in a body is written ``&#13;``.

Both follow CommonMark's own reading of backslashes, which makes them
unambiguous: where a line of such a family (or ``&#13;``) is preceded by a run
of k backslashes in the body, the writer writes 2k + 1 of them (a literal) or,
for a line escape, 2k, k = 0, when the line needs no escape; for a carriage
return it writes 2k and the entity. The reader keeps half of every run,
rounded down, and an even run before ``&#13;`` means a carriage return.
"""

from __future__ import annotations

import re

from .syntax import CONFLICT_MARKER, CONFLICT_MARKERS, CONFLICT_SEPARATOR, HEADING_MARK

# The structures a body line can start with (after indentation and a run of
# backslashes) that the line escape applies to, one fragment each. A heading,
# a code fence, a Git conflict marker (the separator too), an HTML block that
# a blank line does not end (CommonMark HTML blocks 1 to 5, as any CommonMark
# version from 0.29 to 0.31.2 or cmark-gfm reads them), and a setext heading
# underline.
_STRUCTURES = {
    "heading": HEADING_MARK,
    "fence": r"`{3,}|~{3,}",
    # Before "conflict": the separator is an underline too (see _escape_lines).
    "setext": r"(?:=+|-+)[ \t]*$",
    "conflict": CONFLICT_MARKER.pattern + "|" + re.escape(CONFLICT_SEPARATOR) + "$",
    "html": r"<(?:(?ia:script|pre|style|textarea)(?=\s|>|$)|!--|\?|![A-Za-z]|(?i:!\[CDATA\[))",
}
_ANY_STRUCTURE = "|".join(f"(?:{fragment})" for fragment in _STRUCTURES.values())
# A line of one of the families: group ``slashes`` is the escape run and the
# named group that matched says which structure the line would be.
_FAMILY = re.compile(
    r"(?P<indent> {0,3})(?P<slashes>\\*)(?:"
    + "|".join(f"(?P<{name}>{fragment})" for name, fragment in _STRUCTURES.items())
    + ")"
)
# Of the HTML family (k = 0), the lines every reading takes as opening a
# block 1 to 5 [ESC-10]; the others some readings do and some do not, and are
# always escaped: `<textarea` (a block since CommonMark 0.30), a tag name then
# whitespace other than SPACE or TAB (markdown-it takes any Unicode space,
# 0.29 VT and FF, 0.31 neither), `<!` then a lower-case letter (a block since
# 0.30; cmark-gfm, which GitHub uses, wants upper case) and a CDATA opener in
# another case (cmark-gfm ignores case there).
_HTML_OPENER = re.compile(r"<(?:(?ia:script|pre|style)(?:[ \t>]|$)|!--|\?|![A-Z]|!\[CDATA\[)")
# Whether any body line might belong to a family (a cheap first look: the
# pattern for later lines starts with a literal newline, which re scans fast).
_MAYBE_PREFIX = (
    r" {0,3}(?:\\|##|```|~~~|<[!?<sSpPtT]|(?:=+|-+)[ \t]*(?:\n|$)|"
    # The opening marker starts with "<", which is already there.
    + "|".join(re.escape(marker) for marker in CONFLICT_MARKERS[1:])
    + ")"
)
_FIRST_LINE_MAYBE = re.compile(_MAYBE_PREFIX)
#: A later line that may belong to a family, from its line feed on.
LATER_FAMILY_LINE = re.compile("\n" + _MAYBE_PREFIX)
# An escaped family line: its indentation and its run of backslashes.
_UNESCAPE_LINE = re.compile(r"^( {0,3})(\\+)(?=" + _ANY_STRUCTURE + ")", re.MULTILINE)
# Each match starts at the first backslash of its run (the lookbehind), so a
# long run is scanned once, not once per backslash.
_CR_OR_ENTITY = re.compile(r"(?<!\\)(\\*)(?:(\r)|&#13;)")
_ENTITY = re.compile(r"(?<!\\)(\\*)&#13;")
_FIND_ENTITY = re.compile("&#13;").search
# First characters of lines that the scan must look at closely; a line that
# starts with anything else is paragraph text.
_MAY_MATTER = frozenset(" \t\\#`~<>|-+*=0123456789")

_FENCE_CLOSER = re.compile(r" {0,3}(`{3,}|~{3,})[ \t]*")
# The end condition of each raw-HTML block kind that a blank line does not end
# (CommonMark HTML blocks 1 to 5), keyed by how the block starts.
_HTML_ENDS: dict[str, re.Pattern[str]] = {
    "tag": re.compile(r"</(?ia:script|pre|style|textarea)>"),
    "<!--": re.compile(r"-->"),
    "<?": re.compile(r"\?>"),
    "<!": re.compile(r">"),
    "<![CDATA[": re.compile(r"\]\]>"),
}
# Lines that may open a container or an HTML block whose extent this module
# does not track exactly (block quotes, list items, HTML blocks 6 and 7).
_CONTAINER_OR_HTML = re.compile(r" {0,3}(?:>|[-+*](?:[ \t]|$)|[0-9]+[.)](?:[ \t]|$)|<)")


def _html_kind(html: str) -> str:
    if html.startswith("<!--"):
        return "<!--"
    if html.startswith("<![CDATA["):
        return "<![CDATA["
    if html.startswith("<!"):
        return "<!"
    if html.startswith("<?"):
        return "<?"
    return "tag"


def _encode_cr(match: re.Match[str]) -> str:
    # Backslashes before the entity are doubled, as CommonMark reads them:
    # an even run then the entity is a carriage return, an odd run a literal.
    slashes, carriage_return = match.groups()
    return slashes * 2 + ("&#13;" if carriage_return else "\\&#13;")


def _decode_cr(match: re.Match[str]) -> str:
    slashes = match.group(1)
    return slashes[: len(slashes) // 2] + ("&#13;" if len(slashes) % 2 else "\r")


def _halve_escape_run(match: re.Match[str]) -> str:
    indent, slashes = match.groups()
    return indent + slashes[: len(slashes) // 2]


class _Lookahead:
    """What lies after a line: whether a fence or HTML block opened there closes.

    Built from the end of the body backwards, once, so the whole escape stays
    linear in the size of the body.
    """

    def __init__(self, lines: list[str]) -> None:
        self._lines = lines
        self._longest_closer: dict[str, list[int]] | None = None
        self._has_end: dict[str, list[bool]] = {}

    def fence_closes(self, index: int, char: str, length: int) -> bool:
        if self._longest_closer is None:
            count = len(self._lines)
            longest = {"`": [0] * (count + 1), "~": [0] * (count + 1)}
            for position in range(count - 1, -1, -1):
                for fence_char in "`~":
                    longest[fence_char][position] = longest[fence_char][position + 1]
                match = _FENCE_CLOSER.fullmatch(self._lines[position])
                if match is not None:
                    run = match.group(1)
                    table = longest[run[0]]
                    table[position] = max(table[position], len(run))
            self._longest_closer = longest
        return self._longest_closer[char][index + 1] >= length

    def html_ends(self, index: int, end: re.Pattern[str]) -> bool:
        table = self._has_end.get(end.pattern)
        if table is None:
            table = [False] * (len(self._lines) + 1)
            for position in range(len(self._lines) - 1, -1, -1):
                table[position] = table[position + 1] or (
                    end.search(self._lines[position]) is not None
                )
            self._has_end[end.pattern] = table
        return table[index]


def escape_body(body: str) -> str:
    """The text a body is written as (without the surrounding blank lines):
    the CR escape [ESC-8], then the line escapes [ESC-1] to [ESC-5]."""
    if "\r" in body or _has_entity(body):
        if "\\" in body:
            body = _CR_OR_ENTITY.sub(_encode_cr, body)
        else:
            body = body.replace("&#13;", "\\&#13;").replace("\r", "&#13;")
    if not _maybe_family(body):
        return body
    lines = body.split("\n")
    _escape_lines(lines)
    return "\n".join(lines)


def _escape_lines(lines: list[str]) -> None:
    """Insert line escapes in place.

    The scan follows CommonMark's top-level leaf blocks exactly while no
    container or HTML block 6/7 may be open. After a line that may open one it
    is in doubt and escapes every fence and HTML opener, until a blank line
    followed by a line indented at most one space, which closes every container.
    """
    scan = _Scan(lines)
    for index, line in enumerate(lines):
        if line and line[0] not in _MAY_MATTER:
            scan.paragraph_text(line)
        else:
            scan.structure_line(index, line)


def _classify(line: str) -> tuple[str | None, re.Match[str] | None]:
    """The structure a line would start (a name of `_STRUCTURES`) and its
    `_FAMILY` match, or ``"escaped"`` for a line that is escaped wherever it
    stands: one that already carries an escape, a heading, or a conflict
    marker in column 1."""
    match = _FAMILY.match(line)
    if match is None:
        return None, None
    kind = match.lastgroup
    indent = match.end("indent")
    if kind == "setext" and not indent and line == CONFLICT_SEPARATOR:
        kind = "conflict"  # a separator in column 1: escaped wherever it stands
    if match.end("slashes") > indent or kind == "heading" or (kind == "conflict" and not indent):
        return "escaped", match
    return kind, match


def _with_escape(line: str, match: re.Match[str]) -> str:
    # k backslashes after the indentation become 2k + 1.
    indent = match.end("indent")
    return line[:indent] + "\\" * (match.end("slashes") - indent + 1) + line[indent:]


class _Scan:
    """The state `_escape_lines` carries from one line to the next."""

    __slots__ = (
        "fence_char",
        "fence_length",
        "html_end",
        "in_doubt",
        "lines",
        "lookahead",
        "previous_blank",
    )

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.lookahead = _Lookahead(lines)
        self.fence_char = ""  # the open fence's character, if any
        self.fence_length = 0
        self.html_end: re.Pattern[str] | None = None  # the open HTML block's end
        self.in_doubt = False
        self.previous_blank = True

    def paragraph_text(self, line: str) -> None:
        """A line no structure can start with: it can only end an HTML
        block or a doubt."""
        if self.html_end is not None:
            self._end_html_block(line)
        elif not self.fence_char and self.in_doubt and self.previous_blank:
            self.in_doubt = False
        self.previous_blank = False

    def structure_line(self, index: int, line: str) -> None:
        """A line that may start a structure, is blank or is indented."""
        blank = not line.strip(" \t")
        kind, match = _classify(line)
        if kind == "escaped" and match is not None:
            self.lines[index] = _with_escape(line, match)
        if self.fence_char or self.html_end is not None:
            self._inside_block(line, kind)
        else:
            self._at_top_level(index, line, blank, kind, match)
        self.previous_blank = blank

    def _inside_block(self, line: str, kind: str | None) -> None:
        if self.fence_char and kind == "fence" and self._closes_fence(line):
            self.fence_char = ""
        self._end_html_block(line)

    def _closes_fence(self, line: str) -> bool:
        closer = _FENCE_CLOSER.fullmatch(line)
        if closer is None:
            return False
        run = closer.group(1)
        return run[0] == self.fence_char and len(run) >= self.fence_length

    def _end_html_block(self, line: str) -> None:
        if self.html_end is not None and self.html_end.search(line) is not None:
            self.html_end = None

    def _at_top_level(
        self, index: int, line: str, blank: bool, kind: str | None, match: re.Match[str] | None
    ) -> None:
        if self.in_doubt and self._closes_containers(line, blank):
            self.in_doubt = False
        if kind == "fence" and match is not None:
            self._fence_opener(index, line, match)
        elif kind == "html" and match is not None:
            self._html_opener(index, line, match)
        elif kind == "setext" and match is not None:
            # An underline turns the paragraph line above into a heading.
            if not self.previous_blank:
                self.lines[index] = _with_escape(line, match)
        elif kind != "escaped" and not self.in_doubt:
            self.in_doubt = _CONTAINER_OR_HTML.match(line) is not None

    def _closes_containers(self, line: str, blank: bool) -> bool:
        # A blank line, then a line a container cannot continue.
        return self.previous_blank and not blank and _indented_at_most_one(line)

    def _fence_opener(self, index: int, line: str, match: re.Match[str]) -> None:
        run = match.group("fence")
        if run[0] == "`" and "`" in line[match.end("fence") :]:
            return  # an inline code span, not a fence
        if self.in_doubt or not self.lookahead.fence_closes(index, run[0], len(run)):
            self.lines[index] = _with_escape(line, match)
        else:
            self.fence_char, self.fence_length = run[0], len(run)

    def _html_opener(self, index: int, line: str, match: re.Match[str]) -> None:
        if not _HTML_OPENER.match(line, match.end("indent")):
            # Some readings open a block here and some do not.
            self.lines[index] = _with_escape(line, match)
            return
        end = _HTML_ENDS[_html_kind(match.group("html"))]
        if self.in_doubt or not self.lookahead.html_ends(index, end):
            self.lines[index] = _with_escape(line, match)
        elif end.search(line) is None:
            self.html_end = end


def _indented_at_most_one(line: str) -> bool:
    # A tab reaches column 4, deep enough to continue a list item.
    return line[0] not in " \t" or (line[0] == " " and line[1] not in " \t")


def _has_entity(text: str) -> bool:
    # Measured on real summaries: looking for "&" first (one character) and
    # then for the entity with a compiled pattern costs a third of
    # `"&#13;" in text`, which most summaries would make scan to the end.
    return "&" in text and _FIND_ENTITY(text) is not None


def plain_body(written: str) -> bool:
    """Whether `read_body` returns ``written`` itself with no off line: no
    escape, no carriage return entity, no line that could need an escape."""
    return not _has_entity(written) and not _maybe_family(written)


def has_entity_in(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` holds ``&#13;``, without copying it."""
    return text.find("&", start, end) >= 0 and _FIND_ENTITY(text, start, end) is not None


#: What `read_body` found for bodies it had to look into, by written text:
#: one document's reading passes it from the fast reader to the full one,
#: which would otherwise do the same work again on a body that is not canonical.
BodyMemo = dict[str, tuple[str, "tuple[int, str] | None"]]


def read_body(written: str, memo: BodyMemo | None = None) -> tuple[str, tuple[int, str] | None]:
    """The body that written text stands for and, when a line is not written
    as a writer would write it, the first such line's index and canonical form."""
    if plain_body(written):
        return written, None
    if memo is None:
        return _read_escaped_body(written)
    found = memo.get(written)
    if found is None:
        found = memo[written] = _read_escaped_body(written)
    return found


def _read_escaped_body(written: str) -> tuple[str, tuple[int, str] | None]:
    body = unescape_body(written)
    canonical = escape_body(body)
    if canonical == written:
        return body, None
    # Escapes never add or remove lines, so the two line lists pair up.
    for index, (line, expected) in enumerate(
        zip(written.split("\n"), canonical.split("\n"), strict=True)
    ):
        if line != expected:
            return body, (index, expected)
    raise AssertionError("unreachable: the texts differ")


def _maybe_family(text: str) -> bool:
    return _FIRST_LINE_MAYBE.match(text) is not None or LATER_FAMILY_LINE.search(text) is not None


def unescape_body(text: str) -> str:
    """Invert `escape_body` [ESC-6] [ESC-9]."""
    if "\\" in text:
        text = _UNESCAPE_LINE.sub(_halve_escape_run, text)
    if _has_entity(text):
        text = _ENTITY.sub(_decode_cr, text) if "\\" in text else text.replace("&#13;", "\r")
    return text
