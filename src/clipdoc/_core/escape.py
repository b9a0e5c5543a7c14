"""Body escaping: the only transformation between a body and its lines.

Three escapes, each ordinary CommonMark, so that a Markdown viewer reads the
document's sections as a reader does and shows the text it escapes:

* a *line escape*: a backslash inserted after the (at most three spaces of)
  indentation of a body line that would otherwise read as structure: a
  ``##`` heading, a Git conflict marker in column 1, a setext underline, or
  the opening line of a code fence or raw-HTML block that would stay open
  past the end of the body and swallow the next heading;
* a *nesting escape*: a backslash before the list marker that would open a
  tenth nested list, where markdown-it stops reading (its nesting limit) and
  drops every later section;
* a *CR escape*: a carriage return in a body is written ``&#13;``.

All follow CommonMark's own reading of backslashes, which makes them
unambiguous: where a line of such a family (or ``&#13;``) is preceded by a run
of k backslashes in the body, the writer writes 2k + 1 of them (a literal) or,
for a line or nesting escape, 2k, k = 0, when the line needs no escape; for a
carriage return it writes 2k and the entity. The reader keeps half of every
run, rounded down, and an even run before ``&#13;`` means a carriage return.

Which lines get a line escape is decided by a scan that is a state machine
(spec section 6.2): `_classify` sorts each line into one class, and `_TABLE`
says, for the scan's state and the line's class, whether to escape the line
and which state follows.
"""

from __future__ import annotations

import re
from typing import Final

from .syntax import CONFLICT_MARKER, CONFLICT_MARKERS, CONFLICT_SEPARATOR, HEADING_MARK

# What the readings in wide use take for whitespace after an HTML block's tag
# name: Python's str.isspace (markdown-it-py) and JavaScript's \s (markdown-it,
# commonmark.js; it adds U+FEFF) together [ESC-12].
_WHITESPACE: Final = (
    "[\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]"
)

# The structures a body line can start with (after indentation and a run of
# backslashes) that the line escape applies to, one fragment each. A heading,
# a code fence, a Git conflict marker (the separator too), an HTML block that
# a blank line does not end (CommonMark HTML blocks 1 to 5, as any CommonMark
# version from 0.29 to 0.31.2 or cmark-gfm reads them), and a setext heading
# underline.
_STRUCTURES = {
    "heading": HEADING_MARK,
    "fence": r"`{3,}|~{3,}",
    # Before "conflict": the separator is an underline too (see _classify).
    "setext": r"(?:=+|-+)[ \t]*$",
    "conflict": CONFLICT_MARKER.pattern + "|" + re.escape(CONFLICT_SEPARATOR) + "$",
    "html": (
        # Unicode case folding, as markdown-it-py before 4.0 matches tag
        # names: U+017F is an "s" there, U+0130 and U+0131 an "i".
        r"<(?:(?i:script|pre|style|textarea)(?="
        + _WHITESPACE
        + r"|>|$)|!--|\?|![A-Za-z]|(?i:!\[CDATA\[))"
    ),
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
# block 1 to 5 [ESC-14]; the others some readings do and some do not, and are
# always escaped: `<textarea` (a block since CommonMark 0.30), a tag name then
# whitespace other than SPACE or TAB (markdown-it takes any Unicode space,
# 0.29 VT and FF, 0.31 neither), `<!` then a lower-case letter (a block since
# 0.30; cmark-gfm, which GitHub uses, wants upper case) and a CDATA opener in
# another case (cmark-gfm ignores case there).
_HTML_OPENER = re.compile(r"<(?:(?ia:script|pre|style)(?:[ \t>]|$)|!--|\?|![A-Z]|!\[CDATA\[)")
# A list item that is empty on its line: after a blank line it opens a list
# (a container), after text it is a setext underline.
_EMPTY_ITEM = re.compile(r" {0,3}-[ \t]*")
# Lines that may open a container or an HTML block whose extent the scan
# does not track exactly (block quotes, list items, HTML blocks 6 and 7).
_CONTAINER = re.compile(r" {0,3}(?:>|[-+*](?:[ \t]|$)|[0-9]+[.)](?:[ \t]|$)|<)")

# The nesting family [ESC-13]: a list marker whose column, counted with tab
# stops of 4, is at least 18 on a line that up to it holds only SPACE, TAB
# and list markers, each followed by SPACE or TAB. Such a marker may open a
# tenth nested list: markdown-it stops reading there (nesting limit 20, two
# levels a list) and drops everything after it, later sections included.
DEEP_COLUMN: Final = 18
_MARKER = re.compile(r"[-+*](?=[ \t]|$)|[0-9]{1,9}[.)](?=[ \t]|$)")
# At the deep marker, a run of backslashes: before a bullet, or between an
# ordered marker's digits and its delimiter (a backslash before a digit
# would show).
_DEEP_MARKER = re.compile(r"(\\*)[-+*](?=[ \t]|$)|[0-9]{1,9}(\\*)[.)](?=[ \t]|$)")
# Lines that may belong to the nesting family: at least five characters of
# markers and spaces (a character advances at most four columns), shaped as
# a chain of markers, then a marker that may be escaped.
_NESTING_CANDIDATE = (
    r"(?=[-+*0-9.) \t]{5})(?:[ \t]|[-+*](?=[ \t])|[0-9]{1,9}[.)](?=[ \t]))+"
    r"(?:\\*[-+*]|[0-9]{1,9}\\*[.)])(?=[ \t]|$)"
)

# Whether any body line might need an escape (a cheap first look: the pattern
# for later lines starts with a literal newline, which re scans fast).
_MAYBE_PREFIX = (
    r"(?: {0,3}(?:\\|##|```|~~~|<[!?<sSpPtT\u017f]|(?:=+|-+)[ \t]*(?:\n|$)|"
    # The opening marker starts with "<", which is already there.
    + "|".join(re.escape(marker) for marker in CONFLICT_MARKERS[1:])
    + ")|"
    + _NESTING_CANDIDATE
    + ")"
)
_FIRST_LINE_MAYBE = re.compile(_MAYBE_PREFIX)
#: A later line that may belong to a family, from its line feed on.
LATER_FAMILY_LINE = re.compile("\n" + _MAYBE_PREFIX)
# An escaped family line: its indentation and its run of backslashes.
_UNESCAPE_LINE = re.compile(r"^( {0,3})(\\+)(?=" + _ANY_STRUCTURE + ")", re.MULTILINE)
# A line that may hold an escaped deep marker.
_UNESCAPE_NESTING = re.compile(
    r"^(?=" + _NESTING_CANDIDATE.replace(r"\\*", r"\\+") + r")[^\n]*", re.MULTILINE
)
# Each match starts at the first backslash of its run (the lookbehind), so a
# long run is scanned once, not once per backslash.
_CR_OR_ENTITY = re.compile(r"(?<!\\)(\\*)(?:(\r)|&#13;)")
_ENTITY = re.compile(r"(?<!\\)(\\*)&#13;")
_FIND_ENTITY = re.compile("&#13;").search
# First characters of lines the scan must classify; a line that starts with
# anything else is text, not indented.
_MAY_MATTER = frozenset(" \t\\#`~<>|-+*=0123456789")

_LINE_SEPARATOR = re.compile("[\u2028\u2029]")
# A GFM table's delimiter row, as markdown-it may read it (a superset): its
# table rule comes before fences and HTML blocks, so an opener holding `|`
# above such a line is a table's header there and opens nothing.
_DELIMITER_ROW = re.compile(r"[ \t]*[-|:][-|: \t]*")

_FENCE_CLOSER = re.compile(r" {0,3}(`{3,}|~{3,})[ \t]*")
# The end of each raw-HTML block kind that a blank line does not end
# (CommonMark HTML blocks 1 to 5), keyed by how the block starts: every end
# a reading takes, and the ends every reading takes. Only CommonMark 0.30 on
# ends a block 1 at `</textarea>`; where it is the first end, readings
# disagree on where the block ends, and the opener is escaped.
_HTML_ENDS: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {
    "tag": (
        re.compile(r"</(?i:script|pre|style|textarea)>"),
        re.compile(r"</(?ia:script|pre|style)>"),
    ),
    "<!--": (re.compile(r"-->"),) * 2,
    "<?": (re.compile(r"\?>"),) * 2,
    "<!": (re.compile(r">"),) * 2,
    "<![CDATA[": (re.compile(r"\]\]>"),) * 2,
}

# The classes of lines [ESC-14].
BLANK: Final = "blank"
ESCAPED: Final = "escaped"  # escaped wherever it stands
FENCE: Final = "fence"
HTML_OPENER: Final = "html-opener"
AMBIGUOUS: Final = "ambiguous"  # an opener some readings take and others do not
UNDERLINE: Final = "underline"
EMPTY_ITEM: Final = "empty-item"
CONTAINER: Final = "container"
TEXT: Final = "text"

# The states of the scan outside an open block.
CLEAR: Final = "clear"  # no container may be open; the previous line is blank
AFTER_TEXT: Final = "after-text"  # no container may be open; the previous line is not blank
DOUBT: Final = "doubt"  # a container may be open; the previous line is not blank
DOUBT_AFTER_BLANK: Final = "doubt-after-blank"
# The states inside an open block.
IN_FENCE: Final = "in-fence"
IN_HTML: Final = "in-html"

# What a line does in each state outside an open block: keep it, escape it,
# or open a block (a fence or HTML opener: the block opens when something
# later closes it, and the line is escaped otherwise); and the next state.
KEEP: Final = "keep"
ESCAPE: Final = "escape"
OPEN: Final = "open"
_Rule = tuple[str, str]
_TABLE: Final[dict[str, dict[str, _Rule]]] = {
    CLEAR: {
        BLANK: (KEEP, CLEAR),
        ESCAPED: (ESCAPE, AFTER_TEXT),
        FENCE: (OPEN, AFTER_TEXT),
        HTML_OPENER: (OPEN, AFTER_TEXT),
        AMBIGUOUS: (ESCAPE, AFTER_TEXT),
        UNDERLINE: (KEEP, AFTER_TEXT),
        EMPTY_ITEM: (KEEP, DOUBT),
        CONTAINER: (KEEP, DOUBT),
        TEXT: (KEEP, AFTER_TEXT),
    },
    AFTER_TEXT: {
        BLANK: (KEEP, CLEAR),
        ESCAPED: (ESCAPE, AFTER_TEXT),
        FENCE: (OPEN, AFTER_TEXT),
        HTML_OPENER: (OPEN, AFTER_TEXT),
        AMBIGUOUS: (ESCAPE, AFTER_TEXT),
        UNDERLINE: (ESCAPE, AFTER_TEXT),
        EMPTY_ITEM: (ESCAPE, AFTER_TEXT),
        CONTAINER: (KEEP, DOUBT),
        TEXT: (KEEP, AFTER_TEXT),
    },
    DOUBT: {
        BLANK: (KEEP, DOUBT_AFTER_BLANK),
        ESCAPED: (ESCAPE, DOUBT),
        FENCE: (ESCAPE, DOUBT),
        HTML_OPENER: (ESCAPE, DOUBT),
        AMBIGUOUS: (ESCAPE, DOUBT),
        UNDERLINE: (ESCAPE, DOUBT),
        EMPTY_ITEM: (ESCAPE, DOUBT),
        CONTAINER: (KEEP, DOUBT),
        TEXT: (KEEP, DOUBT),
    },
    # A line that is not blank and is indented at most one column ends every
    # container: it is read in state CLEAR instead (see _Scan.step).
    DOUBT_AFTER_BLANK: {
        BLANK: (KEEP, DOUBT_AFTER_BLANK),
        ESCAPED: (ESCAPE, DOUBT),
        FENCE: (ESCAPE, DOUBT),
        HTML_OPENER: (ESCAPE, DOUBT),
        AMBIGUOUS: (ESCAPE, DOUBT),
        UNDERLINE: (KEEP, DOUBT),
        EMPTY_ITEM: (KEEP, DOUBT),
        CONTAINER: (KEEP, DOUBT),
        TEXT: (KEEP, DOUBT),
    },
}
# The next state after a text line that is not indented (the fast path).
_AFTER_PLAIN_TEXT: Final = {
    CLEAR: AFTER_TEXT,
    AFTER_TEXT: AFTER_TEXT,
    DOUBT: DOUBT,
    DOUBT_AFTER_BLANK: AFTER_TEXT,
}


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


def _halve_nesting_run(match: re.Match[str]) -> str:
    line = match.group()
    run = deep_marker_run(line)
    if run is None:
        return line
    start, end = run
    return line[:start] + line[start : start + (end - start) // 2] + line[end:]


class _Lookahead:
    """What lies after a line: whether a fence or HTML block opened there closes.

    Built from the end of the body backwards, once, so the whole escape stays
    linear in the size of the body.
    """

    def __init__(self, lines: list[str]) -> None:
        self._lines = lines
        self._longest_closer: dict[str, list[int]] | None = None
        self._closes: dict[str, list[bool]] = {}

    def fence_closes(self, index: int, char: str, length: int) -> bool:
        """Whether a later line closes a fence of ``length`` ``char``."""
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

    def html_closes(self, index: int, kind: str) -> bool:
        """Whether the first line from ``index`` on that holds an end of an
        HTML block of ``kind`` holds one every reading takes."""
        table = self._closes.get(kind)
        if table is None:
            any_end, sure_end = _HTML_ENDS[kind]
            table = [False] * (len(self._lines) + 1)
            for position in range(len(self._lines) - 1, -1, -1):
                line = self._lines[position]
                if any_end.search(line) is None:
                    table[position] = table[position + 1]
                else:
                    table[position] = sure_end.search(line) is not None
            self._closes[kind] = table
        return table[index]


def escape_body(body: str) -> str:
    """The text a body is written as (without the surrounding blank lines):
    the CR escape [ESC-8], then the line and nesting escapes [ESC-1] to [ESC-5]."""
    if "\r" in body or _has_entity(body):
        if "\\" in body:
            body = _CR_OR_ENTITY.sub(_encode_cr, body)
        else:
            body = body.replace("&#13;", "\\&#13;").replace("\r", "&#13;")
    if not _maybe_family(body):
        return body
    lines = body.split("\n")
    scan = _Scan(lines)
    for index, line in enumerate(lines):
        scan.step(index, line)
    return "\n".join(lines)


def _classify(line: str) -> tuple[str, re.Match[str] | None]:
    """The class of a line [ESC-14] and, for a line of a family, its
    `_FAMILY` match."""
    if not line.strip(" \t"):
        return BLANK, None
    match = _FAMILY.match(line)
    if match is not None:
        line_class = _family_class(line, match)
        if line_class is not None:
            return line_class, match
    return (CONTAINER if _CONTAINER.match(line) else TEXT), None


def _family_class(line: str, match: re.Match[str]) -> str | None:
    """The class of a line of a family, or None for one that is text or a
    container (a fence line with a backtick in its info string, an indented
    conflict marker)."""
    kind = match.lastgroup
    indent = match.end("indent")
    if match.end("slashes") > indent or kind == "heading":
        return ESCAPED
    if kind == "fence":
        info = line[match.end() :]
        backtick = info.find("`") if match.group("fence")[0] == "`" else -1
        if backtick < 0:
            return FENCE
        # A backtick in a backtick fence's info string makes it no fence;
        # commonmark.js looks for one with `.`, which stops at U+2028 and
        # U+2029, and opens a fence when the backtick comes after them.
        return AMBIGUOUS if _LINE_SEPARATOR.search(info, 0, backtick) else None
    if kind == "html":
        return HTML_OPENER if _HTML_OPENER.match(line, indent) else AMBIGUOUS
    if not indent and (kind == "conflict" or line == CONFLICT_SEPARATOR):
        return ESCAPED
    if kind == "setext":
        return EMPTY_ITEM if _EMPTY_ITEM.fullmatch(line) else UNDERLINE
    return None


def _with_escape(line: str, match: re.Match[str] | None) -> str:
    # k backslashes after the indentation become 2k + 1.
    assert match is not None
    indent = match.end("indent")
    return line[:indent] + "\\" * (match.end("slashes") - indent + 1) + line[indent:]


def deep_marker_run(line: str) -> tuple[int, int] | None:
    """Where the backslash run before a line's deep list marker is (an empty
    span when there is none), for a line of the nesting family [ESC-13]."""
    position, column, length = 0, 0, len(line)
    while position < length:
        char = line[position]
        if char == " ":
            column += 1
            position += 1
        elif char == "\t":
            column += 4 - column % 4
            position += 1
        elif column >= DEEP_COLUMN:
            deep = _DEEP_MARKER.match(line, position)
            if deep is None:
                return None
            return deep.span(1) if deep.group(1) is not None else deep.span(2)
        else:
            marker = _MARKER.match(line, position)
            if marker is None:
                return None
            column += marker.end() - position
            position = marker.end()
    return None


def _with_nesting_escape(line: str) -> str:
    run = deep_marker_run(line)
    if run is None:
        return line
    start, end = run
    return line[:start] + "\\" * (end - start + 1) + line[start:]


class _Scan:
    """The scan of section 6.2: its state from one line to the next."""

    __slots__ = ("fence_char", "fence_length", "html_end", "lines", "lookahead", "state")

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.lookahead = _Lookahead(lines)
        self.state = CLEAR
        self.fence_char = ""  # the open fence's character and length
        self.fence_length = 0
        self.html_end: re.Pattern[str] | None = None  # the open HTML block's end

    def step(self, index: int, line: str) -> None:
        """Escape line ``index`` as its class and the state say; move on."""
        state = self.state
        if state in (IN_FENCE, IN_HTML):
            self._inside_block(index, line)
        elif line and line[0] not in _MAY_MATTER:
            self.state = _AFTER_PLAIN_TEXT[state]
        else:
            line_class, match = _classify(line)
            if line_class in (FENCE, HTML_OPENER) and self._table_header(index, line):
                line_class = AMBIGUOUS
            if state == DOUBT_AFTER_BLANK and line_class != BLANK and _indented_at_most_one(line):
                state = CLEAR
            action, self.state = _TABLE[state][line_class]
            if action == ESCAPE:
                self.lines[index] = _with_escape(line, match)
            elif action == OPEN:
                self._open(index, line, line_class, match)
            elif line_class != BLANK and _NESTING_LINE.match(line):
                self.lines[index] = _with_nesting_escape(line)

    def _table_header(self, index: int, line: str) -> bool:
        """Whether markdown-it may read ``line`` as a table's header row."""
        if "|" not in line or index + 1 >= len(self.lines):
            return False
        following = self.lines[index + 1]
        return "-" in following and _DELIMITER_ROW.fullmatch(following) is not None

    def _inside_block(self, index: int, line: str) -> None:
        if line and line[0] not in _MAY_MATTER:
            line_class, match = TEXT, None
        else:
            line_class, match = _classify(line)
        if line_class == ESCAPED:
            self.lines[index] = _with_escape(line, match)
        elif line_class != BLANK and _NESTING_LINE.match(line):
            # Like a family line with k >= 1, a deep run is escaped wherever
            # it stands: the reader halves it wherever it stands.
            run = deep_marker_run(line)
            if run is not None and run[1] > run[0]:
                self.lines[index] = _with_nesting_escape(line)
        if self.state == IN_FENCE:
            if line_class == FENCE and self._closes_fence(line):
                self.state = AFTER_TEXT
        elif self.html_end is not None and self.html_end.search(line) is not None:
            self.state = AFTER_TEXT

    def _closes_fence(self, line: str) -> bool:
        closer = _FENCE_CLOSER.fullmatch(line)
        if closer is None:
            return False
        run = closer.group(1)
        return run[0] == self.fence_char and len(run) >= self.fence_length

    def _open(self, index: int, line: str, line_class: str, match: re.Match[str] | None) -> None:
        """A fence or HTML opener outside doubt: the block opens when a
        later line (for HTML, this line too) closes it; else the line is
        escaped."""
        assert match is not None
        if line_class == FENCE:
            run = match.group("fence")
            if self.lookahead.fence_closes(index, run[0], len(run)):
                self.state = IN_FENCE
                self.fence_char, self.fence_length = run[0], len(run)
                return
        else:
            kind = _html_kind(match.group("html"))
            if self.lookahead.html_closes(index, kind):
                end = _HTML_ENDS[kind][0]
                if end.search(line) is None:
                    self.state, self.html_end = IN_HTML, end
                return
        self.lines[index] = _with_escape(line, match)


_NESTING_LINE = re.compile(_NESTING_CANDIDATE)


def _indented_at_most_one(line: str) -> bool:
    # Columns, not characters: SPACE then TAB reaches column 4, deep enough
    # to continue a list item.
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
        text = _UNESCAPE_NESTING.sub(_halve_nesting_run, text)
    if _has_entity(text):
        text = _ENTITY.sub(_decode_cr, text) if "\\" in text else text.replace("&#13;", "\r")
    return text
