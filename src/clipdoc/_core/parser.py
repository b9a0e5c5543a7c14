"""Reading clipping documents: text in, `Clipping` and diagnostics out."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import TypeVar

from .conflicts import Conflict, find_conflicts, side_lines
from .errors import CODES, Diagnostic, Severity, quoted
from .escape import BodyMemo, read_body
from .model import Clipping, Metadata, Section
from .syntax import (
    AI_SUMMARY,
    CATALOG_DATE,
    CONFLICT_MARKER,
    CONFLICT_MARKERS,
    EXTRA_ITEM_RANK,
    EXTRA_SECTION_RANK,
    ITEM_PREFIX,
    KEY_END,
    KIND,
    LABEL_RANK,
    METADATA,
    ORIGINAL_SUMMARY,
    SAVED_AT,
    SECTION_HEADING,
    SECTION_RANK,
    SOURCE,
    UNPARSED_PREFIX,
    URL_PREFIX,
    is_blank,
)
from .timestamps import TimestampProblem, parse_date, parse_timestamp

_TITLE = re.compile(r"( {0,3})#(?:([ \t])(.*))?")
_Value = TypeVar("_Value", datetime, date)
_HEADING_LINES = re.compile("^" + SECTION_HEADING.pattern, re.MULTILINE)
_CONFLICT_LINES = re.compile("^" + CONFLICT_MARKER.pattern, re.MULTILINE)


class _Reader:
    """One pass over the lines of one document (or of one side of its
    conflicts); collects diagnostics as it goes.

    ``origin`` maps each line to its index in the document as written, for
    a side of a conflicted document whose lines are a selection of those.
    """

    def __init__(
        self, lines: list[str], origin: list[int] | None = None, *, memo: BodyMemo | None = None
    ) -> None:
        self.lines = lines
        self.origin = origin
        self.memo = memo
        self.diagnostics: list[Diagnostic] = []
        self.unparsed: list[tuple[int, Section]] = []

    def where(self, index: int) -> int:
        """The 0-based index in the document as written of line ``index``."""
        if self.origin is None:
            return index
        if not self.origin:
            return 0  # every line of the document is in a conflict
        return self.origin[max(index, 0)] if index < len(self.origin) else self.origin[-1] + 1

    def report(self, code: str, index: int, column: int, message: str) -> None:
        """Record a diagnostic at 0-based line ``index`` and 1-based ``column``."""
        self.diagnostics.append(_diagnostic(code, self.where(index) + 1, column, message))

    def keep_unparsed(self, index: int, what: str, lines: list[str]) -> None:
        """Keep text that has no place in the model where the user can see it [REC-1]."""
        keep_unparsed(self.unparsed, self.where(index), what, lines)


def _diagnostic(code: str, line: int, column: int, message: str) -> Diagnostic:
    return Diagnostic(
        code=code, severity=CODES[code].severity, line=line, column=column, message=message
    )


def keep_unparsed(
    found: list[tuple[int, Section]], index: int, what: str, lines: list[str]
) -> None:
    """Add a section that keeps ``lines`` from line ``index`` (0-based, as written)."""
    heading = f"{UNPARSED_PREFIX} {what} from line {index + 1}"
    found.append((index, Section(heading=heading, body="\n".join(lines))))


def parse_document(text: str, memo: BodyMemo | None = None) -> tuple[Clipping, list[Diagnostic]]:
    """Parse with recovery: always returns a model, plus every diagnostic.
    ``memo`` holds bodies the fast reader already read (see `read_body`)."""
    text, lines, leading = _split(text)
    markers = conflict_marker_lines(text)
    if markers:
        clipping, found = _read_conflicted(lines, find_conflicts(lines, markers))
    else:
        clipping, found = _read(_Reader(lines, memo=memo), text)
        found = _not_a_clipping(clipping, found)
    diagnostics = leading + found
    diagnostics.sort(key=_diagnostic_position)
    return clipping, diagnostics


def conflict_marker_lines(text: str) -> list[int]:
    """The 0-based indices of the lines of ``text`` (split at LF) that are Git
    conflict markers [ERR-1]."""
    if not any(marker in text for marker in CONFLICT_MARKERS):
        return []
    return _matching_lines(_CONFLICT_LINES, text)


def _read(
    reader: _Reader, text: str, kept: list[tuple[int, Section]] | None = None
) -> tuple[Clipping, list[Diagnostic]]:
    """The model of ``reader``'s lines (``text`` is them joined with LF), with
    ``kept`` sections of unparsed text put in place among the extra sections."""
    lines = reader.lines
    headings = _matching_lines(_HEADING_LINES, text)
    end_of_preamble = headings[0] if headings else len(lines)
    title, start, found = _read_title(reader, end_of_preamble)
    # A first line that is not a title line is the first line of the URL
    # region [TTL-3]: no structural line before it, so no blank line to check.
    url = _read_preamble(reader, start, end_of_preamble, bool(headings), start - 1 if found else -1)
    parts = _read_sections(reader, headings)
    extra = sorted(parts.extra + reader.unparsed + (kept or []), key=_position)
    clipping = Clipping(
        title=title,
        url=url,
        original_summary=parts.original_summary,
        ai_summary=parts.ai_summary,
        extra_sections=[section for _, section in extra],
        metadata=parts.metadata,
    )
    return clipping, reader.diagnostics


def _read_conflicted(
    lines: list[str], conflicts: list[Conflict]
) -> tuple[Clipping, list[Diagnostic]]:
    """A document with merge-conflict markers [ERR-3].

    Each conflict is one CD106. Other problems are reported only when the
    document has them whichever side of its conflicts is kept: anything else
    follows from the conflicts and goes away with them. The model is that of
    the text outside the conflicts, each conflict kept whole in a section of
    its own where it stood.
    """
    found = [_conflict_diagnostic(lines, conflict) for conflict in conflicts]
    # The same diagnostic: the same code at the same place (a message may
    # differ, naming a line that differs between the sides).
    theirs = {_where_what(d) for d in _read_side(lines, conflicts, "theirs")[1]}
    # A list, not a set: diagnostics at one place keep one order every run.
    common = [d for d in _read_side(lines, conflicts, "ours")[1] if _where_what(d) in theirs]
    kept: list[tuple[int, Section]] = []
    for conflict in conflicts:
        what = "conflict" if conflict.is_whole else "conflict marker"
        keep_unparsed(kept, conflict.start, what, lines[conflict.start : conflict.end + 1])
    clipping, outside = _read_side(lines, conflicts, "neither", kept)
    # How a value outside the conflicts is written is its own problem, never
    # one that follows from a conflict: the model read from that text says so.
    common += [d for d in outside if d.code in _VALUE_CODES]
    unique: dict[tuple[str, int | None, int | None], Diagnostic] = {}
    for diagnostic in common:
        unique.setdefault(_where_what(diagnostic), diagnostic)
    found += sorted(unique.values(), key=_diagnostic_position)
    return clipping, found


def _where_what(diagnostic: Diagnostic) -> tuple[str, int | None, int | None]:
    return diagnostic.code, diagnostic.line, diagnostic.column


#: Diagnostics about how one value or line is written (not about structure),
#: which a conflict elsewhere cannot cause.
_VALUE_CODES = frozenset({"CD104", "CD105", "CD204", "CD205", "CD209"})


def _read_side(
    lines: list[str],
    conflicts: list[Conflict],
    side: str,
    kept: list[tuple[int, Section]] | None = None,
) -> tuple[Clipping, list[Diagnostic]]:
    origin = side_lines(len(lines), conflicts, side)
    chosen = [lines[index] for index in origin]
    return _read(_Reader(chosen, origin), "\n".join(chosen), kept)


def _conflict_diagnostic(lines: list[str], conflict: Conflict) -> Diagnostic:
    if conflict.is_whole:
        message = (
            f"unresolved Git merge conflict (lines {conflict.start + 1} to {conflict.end + 1}):"
            " a merge was never finished; keep one side with `clipdoc resolve --ours` or"
            " `--theirs`, or edit the lines by hand"
        )
    else:
        marker = lines[conflict.start][:7]
        message = (
            f"a Git conflict marker {quoted(marker)} outside a whole conflict: a merge was"
            " never finished, and `clipdoc resolve` has no side to take; delete the line (and"
            " whichever text it should not keep) by hand"
        )
    return _diagnostic("CD106", conflict.start + 1, 1, message)


def _not_a_clipping(clipping: Clipping, found: list[Diagnostic]) -> list[Diagnostic]:
    """One diagnostic instead of many for a file that is plainly not a clipping
    document: it has errors and none of a clipping's parts [ERR-4]."""
    has_part = (
        clipping.url is not None
        or clipping.original_summary is not None
        or clipping.ai_summary is not None
        or clipping.metadata is not None
    )
    if has_part or not any(d.severity is Severity.ERROR for d in found):
        return found
    return [
        _diagnostic(
            "CD111",
            1,
            1,
            "this file is not a clipping document: it has none of a clipping's parts (a"
            " '**URL**:' line, or a '## 原始摘要', '## AI 摘要' or '## 元数据' section); if it"
            " is not meant to be one, leave it out (clipdoc's --exclude option)",
        )
    ]


def _position(item: tuple[int, Section]) -> int:
    return item[0]


def _diagnostic_position(diagnostic: Diagnostic) -> tuple[int, int, bool, str]:
    # Document order; at one position a conflict marker is named first: it
    # explains the rest; every other diagnostic there by code [ERR-2].
    return (
        diagnostic.line or 0,
        diagnostic.column or 0,
        diagnostic.code != "CD106",
        diagnostic.code,
    )


def _split(text: str) -> tuple[str, list[str], list[Diagnostic]]:
    """The text with LF line endings, its lines without their endings, and the
    diagnostics of encoding and line endings [ENC-2] [EOL-2] [EOL-3]."""
    found: list[Diagnostic] = []

    def warn(code: str, line: int, column: int, message: str) -> None:
        found.append(_diagnostic(code, line, column, message))

    if text.startswith("\ufeff"):
        text = text[1:]
        warn("CD201", 1, 1, "byte order mark before the title; save the file as UTF-8 without BOM")
    if "\r" in text:
        first = text.index("\r")
        before = text[:first].replace("\r\n", "\n").replace("\r", "\n")
        line = before.count("\n") + 1
        column = first - (before.rfind("\n") + 1) + 1 if "\n" in before else first + 1
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        warn("CD202", line, column, "CRLF or CR line endings; clipdoc writes LF ('\\n') only")
    lines = text.split("\n")
    if lines[-1] == "" and len(lines) > 1:
        lines.pop()
    elif text:
        warn("CD203", len(lines), len(lines[-1]) + 1, "no newline at the end of the file; add one")
    return text, lines, found


def _matching_lines(pattern: re.Pattern[str], text: str) -> list[int]:
    """Indices of the lines where ``pattern`` (anchored at line starts) matches.

    One regex pass over the whole text: no Python work for the other lines.
    """
    indices = []
    line = last = 0
    for match in pattern.finditer(text):
        line += text.count("\n", last, match.start())
        last = match.start()
        indices.append(line)
    return indices


def _read_title(reader: _Reader, end: int) -> tuple[str, int, bool]:
    """The title, the index of the first line after the title line (of the
    first line that is not one, when there is none) and whether there is
    one [TTL-1] [TTL-2] [TTL-3]."""
    lines = reader.lines
    index = 0
    while index < end and is_blank(lines[index]):
        index += 1
    if index and index < len(lines):
        reader.report("CD203", 0, 1, "blank lines before the title; the title is the first line")
    match = _TITLE.fullmatch(lines[index]) if index < end else None
    if match is None:
        shown = quoted(lines[index]) if index < len(lines) else "an empty document"
        reader.report(
            "CD101",
            index if index < len(lines) else 0,  # line 1 when no line is left [TTL-2]
            1,
            f"the document must start with a title line '# <title>', found {shown}; add the"
            " title as the first line",
        )
        return "", index, False
    indent, separator, title = match.groups()
    if indent or separator == "\t":
        reader.report("CD208", index, 1, "write the title line as '# ' followed by the title")
    if separator is None:
        reader.report(
            "CD204",
            index,
            len(indent) + 2,  # the column after '#' [POS-1]
            "the title line lacks the space after '#' (empty title)",
        )
    return title or "", index + 1, True


def _read_preamble(
    reader: _Reader, start: int, end: int, has_sections: bool, previous: int
) -> str | None:
    """The URL line and the blank lines around it, before the first section
    [URL-1] [URL-2]. ``previous`` is the title line, -1 when there is none."""
    lines = reader.lines
    url: str | None = None
    blank_run: list[int] = []
    stray: list[int] = []
    last_text = -2  # the last stray line that is not a URL line [URL-2]
    for index in range(start, end):
        line = lines[index]
        if is_blank(line):
            blank_run.append(index)
        elif line.startswith(URL_PREFIX) and url is None:
            if not stray and previous >= 0:
                _check_gap(reader, previous, blank_run, expected=1)
            url = _item_value(reader, index, len(URL_PREFIX), "URL")
            previous, blank_run = index, []
        else:
            if line.startswith(URL_PREFIX):
                reader.report(
                    "CD109", index, 1, "a second **URL** line; a clipping has one URL, delete one"
                )
            else:
                if last_text != index - 1:
                    # One report for each run of stray lines, at its first line; a
                    # second URL line ends a run as the first one does.
                    reader.report(
                        "CD107",
                        index,
                        1,
                        "text between the title and the first section; move it into a section"
                        " (a '## heading' line before it) or delete it",
                    )
                last_text = index
            stray.append(index)
            blank_run = []
    if stray:
        reader.keep_unparsed(stray[0], "text", [lines[index] for index in stray])
    elif previous >= 0:
        _check_gap(reader, previous, blank_run, expected=1 if has_sections else 0)
    return url


def _check_gap(reader: _Reader, previous: int, blanks: list[int], *, expected: int) -> None:
    """Blank lines between two structural lines: exactly ``expected`` empty ones [BLK-1]."""
    for index in blanks:
        _check_blank(reader, index)
    if len(blanks) < expected:
        reader.report(
            "CD203",
            previous,
            len(reader.lines[previous]) + 1,
            "missing blank line after this line; structural lines are separated by one",
        )
    elif len(blanks) > expected:
        reader.report(
            "CD203",
            blanks[expected],
            1,
            "extra blank line; structural lines are separated by exactly one",
        )


class _Sections:
    def __init__(self) -> None:
        self.original_summary: str | None = None
        self.ai_summary: str | None = None
        self.metadata: Metadata | None = None
        self.extra: list[tuple[int, Section]] = []


def _read_sections(reader: _Reader, headings: list[int]) -> _Sections:
    """Every section, known or extra [SEC-1] [SEC-3] [SEC-4] [SEC-5]."""
    lines = reader.lines
    parts = _Sections()
    first_seen: dict[str, int] = {}
    highest_rank = -1
    for number, start in enumerate(headings):
        end = headings[number + 1] if number + 1 < len(headings) else len(lines)
        heading = _heading_text(reader, start)
        is_last = end == len(lines)
        content = _content_lines(reader, start, end, is_last=is_last)
        rank = SECTION_RANK.get(heading, EXTRA_SECTION_RANK)
        if heading in first_seen:
            reader.report(
                "CD102",
                start,
                1,
                f"the section {quoted('## ' + heading)} appears again (first at line"
                f" {reader.where(first_seen[heading]) + 1}); merge the two into one section",
            )
            reader.keep_unparsed(start, "duplicate section", lines[start:end])
            continue
        if rank < highest_rank:
            reader.report(
                "CD206",
                start,
                1,
                f"the section {quoted('## ' + heading)} is out of canonical order (原始摘要,"
                " AI 摘要, other sections, 元数据)",
            )
        highest_rank = max(highest_rank, rank)
        if heading.startswith(UNPARSED_PREFIX):
            reader.report(
                "CD210",
                start,
                1,
                f"the section {quoted('## ' + heading)} holds text that recovery could not"
                " place; move what should be kept where it belongs, then delete the section",
            )
        if heading == METADATA:
            first_seen[heading] = start
            parts.metadata = _read_metadata(reader, content)
            continue
        body = _read_body(reader, content)
        if heading == ORIGINAL_SUMMARY:
            first_seen[heading] = start
            parts.original_summary = body
        elif heading == AI_SUMMARY:
            first_seen[heading] = start
            parts.ai_summary = body
        else:
            parts.extra.append((reader.where(start), Section(heading=heading, body=body)))
    return parts


def _read_body(reader: _Reader, content: range) -> str:
    """The body that a section's content lines stand for [BDY-2] [ESC-7]."""
    written = "\n".join(reader.lines[content.start : content.stop])
    body, off_line = read_body(written, reader.memo)
    if off_line is not None:
        offset, canonical = off_line
        reader.report(
            "CD209",
            content.start + offset,
            1,
            f"this body line is written canonically as {quoted(canonical)}"
            " (escapes are added only where a line would read as structure)",
        )
    return body


def _heading_text(reader: _Reader, index: int) -> str:
    """The heading of a section line [SEC-2]."""
    line = reader.lines[index]
    text = line.lstrip(" ")[2:].strip(" \t")
    canonical = f"## {text}" if text else "##"
    if line != canonical:
        if line.rstrip(" \t") == canonical:
            reader.report(
                "CD204", index, len(canonical) + 1, "trailing spaces or tabs after the heading"
            )
        else:
            reader.report("CD208", index, 1, f"write the heading line as {quoted(canonical)}")
    return text


def _content_lines(reader: _Reader, heading: int, end: int, *, is_last: bool) -> range:
    """The lines of a section's content [BDY-1]: one empty line after the heading and
    (unless it is the last section) one before the next heading are structure.
    Even empty content is one empty line, so a canonical range is never empty."""
    lines = reader.lines
    low, high = heading + 1, end
    missing: tuple[int, int, str] | None = None
    if low < high and is_blank(lines[low]):
        _check_blank(reader, low)
        low += 1
    else:
        missing = (heading, len(lines[heading]) + 1, "missing blank line after the heading")
    if not is_last:
        if high > low and is_blank(lines[high - 1]):
            _check_blank(reader, high - 1)
            high -= 1
        else:
            missing = (end, 1, "missing blank line before the heading")
    if missing is None and high == low:
        missing = (heading, len(lines[heading]) + 1, "missing blank line in an empty section")
    if missing is not None:
        reader.report("CD203", missing[0], missing[1], missing[2])
    return range(low, high)


def _check_blank(reader: _Reader, index: int) -> None:
    if reader.lines[index]:
        reader.report("CD204", index, 1, "a blank line holds spaces or tabs; empty it")


def _item_value(reader: _Reader, index: int, value_start: int, what: str) -> str:
    """The value after ``label:``: one space, then the value verbatim."""
    line = reader.lines[index]
    rest = line[value_start:]
    if rest.startswith(" "):
        return rest[1:]
    if rest:
        reader.report(
            "CD208",
            index,
            value_start + 1,
            f"write a space between {quoted(what + ':')} and the value",
        )
        return rest
    reader.report(
        "CD204", index, value_start + 1, f"the empty {what} value lost its space after ':'"
    )
    return ""


def _read_metadata(reader: _Reader, content: range) -> Metadata:
    """The items of the metadata list [MET-1] [MET-3] [MET-4] [MET-5]."""
    lines = reader.lines
    if len(content) == 1 and lines[content.start] == "":
        return Metadata()  # the canonical empty list
    values, extra, unparsed = _metadata_items(reader, content)
    saved_at = _known_value(reader, values, SAVED_AT, unparsed, _timestamp)
    catalog_date = _known_value(reader, values, CATALOG_DATE, unparsed, _date)
    if unparsed:
        reader.keep_unparsed(unparsed[0], "metadata", [lines[index] for index in unparsed])
    return Metadata(
        source=values[SOURCE][1] if SOURCE in values else None,
        kind=values[KIND][1] if KIND in values else None,
        saved_at=saved_at,
        catalog_date=catalog_date,
        extra=extra,
    )


def _metadata_items(
    reader: _Reader, content: range
) -> tuple[dict[str, tuple[int, str]], list[tuple[str, str]], list[int]]:
    """The known items (label to line index and value text), the extra items
    and the indices of the lines that are not kept as items."""
    lines = reader.lines
    values: dict[str, tuple[int, str]] = {}
    extra: list[tuple[str, str]] = []
    unparsed: list[int] = []
    last_bad = -2  # the last line that is not an item
    highest_rank = -1
    for index in content:
        line = lines[index]
        if is_blank(line):
            reader.report("CD203", index, 1, "blank line inside the metadata list; delete it")
            continue
        # The closing '**:' is searched for after the opening '- **' [MET-6].
        key_end = line.find(KEY_END, len(ITEM_PREFIX)) if line.startswith(ITEM_PREFIX) else -1
        if key_end < 0:
            if last_bad != index - 1:
                _report_bad_item(reader, index, line)  # once for each run of bad lines
            last_bad = index
            unparsed.append(index)
            continue
        key = line[len(ITEM_PREFIX) : key_end]
        value = _item_value(reader, index, key_end + len(KEY_END), f"**{key}**")
        rank = LABEL_RANK.get(key, EXTRA_ITEM_RANK)
        if rank < highest_rank:
            reader.report(
                "CD207",
                index,
                1,
                f"the item {quoted(key)} is out of canonical order (来源, 类型, 保存时间, 目录日期,"
                " other items)",
            )
        highest_rank = max(highest_rank, rank)
        if rank == EXTRA_ITEM_RANK:
            extra.append((key, value))
        elif key in values:
            reader.report(
                "CD108",
                index,
                1,
                f"the item {quoted(key)} appears again (first at line"
                f" {reader.where(values[key][0]) + 1}); keep one",
            )
            unparsed.append(index)
        else:
            values[key] = (index, value)
    return values, extra, unparsed


def _report_bad_item(reader: _Reader, index: int, line: str) -> None:
    if line.startswith(("-", "*", "+")):
        reader.report(
            "CD103",
            index,
            1,
            f"{quoted(line)} is not a metadata item; write items as '- **key**: value'",
        )
    else:
        reader.report(
            "CD107",
            index,
            1,
            "text inside the metadata list, which holds only '- **key**: value' items; move"
            " it into another section or delete it",
        )


def _timestamp(reader: _Reader, index: int, column: int, text: str) -> datetime:
    value, note = parse_timestamp(text)
    if note is not None:
        reader.report("CD205", index, column, note)
    return value


def _date(reader: _Reader, index: int, column: int, text: str) -> date:
    return parse_date(text)


def _known_value(
    reader: _Reader,
    values: dict[str, tuple[int, str]],
    label: str,
    unparsed: list[int],
    convert: Callable[[_Reader, int, int, str], _Value],
) -> _Value | None:
    if label not in values:
        return None
    index, text = values.pop(label)
    # The value's first column: after the SPACE that follows the colon, or
    # right after the colon when no SPACE follows [TS-4].
    line = reader.lines[index]
    colon_end = line.find(KEY_END, len(ITEM_PREFIX)) + len(KEY_END)
    column = colon_end + (2 if line.startswith(" ", colon_end) else 1)
    try:
        return convert(reader, index, column, text)
    except TimestampProblem as problem:
        code = "CD104" if label == SAVED_AT else "CD105"
        reader.report(code, index, column, f"{label}: {problem}")
        unparsed.append(index)
        unparsed.sort()
        return None
