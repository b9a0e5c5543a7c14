"""A fast reader for documents already in canonical form.

It accepts a document only when it can prove, cheaply, that the full reader
would accept it with no diagnostic at all, and returns the same model; for
anything else it returns None and the full reader takes over. Real documents
are canonical, so this is the path they take.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from . import syntax
from .escape import LATER_FAMILY_LINE, BodyMemo, has_entity_in, read_body
from .model import Clipping, Metadata, Section, checked_clipping, checked_metadata, checked_section
from .timestamps import (
    CANONICAL_TIMESTAMP,
    DATE_SHAPE,
    TimestampProblem,
    from_canonical_timestamp,
    parse_date,
    read_canonical_timestamp,
)

# Where a section heading line starts: after a line feed [SEC-1].
_HEADING_START = re.compile("\n" + syntax.SECTION_HEADING.pattern, re.MULTILINE)
_family_line_after = LATER_FAMILY_LINE.search
_URL_START = f"\n\n{syntax.URL_PREFIX} "
# The blank line, heading line and blank line before each body, in the
# producer's layout.
_ORIGINAL_HEADING = f"\n\n## {syntax.ORIGINAL_SUMMARY}\n\n"
_AI_HEADING = f"\n\n## {syntax.AI_SUMMARY}\n\n"
_METADATA_HEADING = f"\n\n## {syntax.METADATA}\n\n"
# The metadata list as the producer writes it: the four known items, in order.
# Its values checked in the same match: a canonical timestamp and a date's
# shape (named groups: the timestamp pattern has groups of its own).
_FOUR_ITEMS = re.compile(
    f"- \\*\\*{syntax.SOURCE}\\*\\*: (?P<source>[^\n]*)\n"
    f"- \\*\\*{syntax.KIND}\\*\\*: (?P<kind>[^\n]*)\n"
    f"- \\*\\*{syntax.SAVED_AT}\\*\\*: (?P<saved>{CANONICAL_TIMESTAMP})\n"
    f"- \\*\\*{syntax.CATALOG_DATE}\\*\\*: (?P<date>{DATE_SHAPE})"
)


def read_canonical(text: str, memo: BodyMemo | None = None) -> Clipping | None:
    """The clipping of a canonical document, or None to use the full reader."""
    if not text.startswith("# ") or not text.endswith("\n") or "\r" in text:
        return None
    # No check for conflict markers: one in column 1 is never a structural
    # line here, and in a body it would not be written canonically (it needs
    # an escape), which read_body reports.
    title_end = text.index("\n")
    producer = _read_producer_layout(text, title_end)
    if producer is not None:
        return producer
    return _read_sections(text, title_end, memo)


def _read_producer_layout(text: str, title_end: int) -> Clipping | None:
    """The clipping of a document in the producer's exact layout (a URL, the
    original and AI summaries with nothing to unescape, the four metadata
    items), found by its fixed lines alone, or None.

    `_read_sections` returns the same clipping for such a document: a body
    without a line that could need an escape has no line starting with
    ``##`` either, so the only section headings are the three found here.
    """
    url_start = title_end + len(_URL_START)
    if not text.startswith(_URL_START, title_end):
        return None
    url_end = text.find("\n", url_start)
    if not text.startswith(_ORIGINAL_HEADING, url_end):
        return None
    original_start = url_end + len(_ORIGINAL_HEADING)
    original_end = _plain_body_end(text, original_start, _AI_HEADING)
    if original_end < 0:
        return None
    ai_start = original_end + len(_AI_HEADING)
    ai_end = _plain_body_end(text, ai_start, _METADATA_HEADING)
    if ai_end < 0:
        return None
    if has_entity_in(text, original_start, ai_end):
        return None  # (the AI heading between the bodies holds none)
    four = _FOUR_ITEMS.fullmatch(text, ai_end + len(_METADATA_HEADING), len(text) - 1)
    if four is None:
        return None
    metadata = _four_items(four)
    if metadata is None:
        return None
    return checked_clipping(
        text[2:title_end],
        text[url_start:url_end],
        text[original_start:original_end],
        text[ai_start:ai_end],
        (),
        metadata,
    )


def _plain_body_end(text: str, start: int, next_heading: str) -> int:
    """Where the body starting at ``start`` ends when ``next_heading``
    follows it and no line of it may belong to an escape family; else -1.
    One scan finds both: the first line from ``start`` on that may belong
    to a family must be the next heading's."""
    line = _family_line_after(text, start - 1)
    if line is None:
        return -1
    end = line.start() - 1
    return end if end >= start and text.startswith(next_heading, end) else -1


def _read_sections(text: str, title_end: int, memo: BodyMemo | None = None) -> Clipping | None:
    """The general case of `read_canonical`: every section heading found by
    CommonMark's rule, in any number and order the format allows."""
    starts = [match.start() for match in _HEADING_START.finditer(text, title_end)]
    preamble = text[title_end : starts[0] + 1] if starts else text[title_end:]
    canonical_url, url = _read_url(preamble, ends_before_section=bool(starts))
    if not canonical_url:
        return None
    return _read_section_list(text, title_end, url, starts, memo)


def _read_section_list(
    text: str, title_end: int, url: str | None, starts: list[int], memo: BodyMemo | None
) -> Clipping | None:
    """The clipping of the sections whose headings follow ``starts``, when
    each is laid out canonically and they come in canonical order."""
    bodies: dict[str, str] = {}
    metadata: Metadata | None = None
    extra_sections: list[Section] = []
    highest_rank = -1
    for number, start in enumerate(starts):
        line_end = text.index("\n", start + 1)
        heading = _heading(text[start + 1 : line_end])
        body_start = line_end + 2
        body_end = starts[number + 1] - 1 if number + 1 < len(starts) else len(text) - 1
        if heading is None or text[line_end + 1 : body_start] != "\n" or body_end < body_start:
            return None
        if text[body_end] != "\n":
            return None
        rank = syntax.SECTION_RANK.get(heading, syntax.EXTRA_SECTION_RANK)
        if rank < highest_rank or (rank != syntax.EXTRA_SECTION_RANK and rank == highest_rank):
            return None  # out of order, or a known section twice
        highest_rank = rank
        written = text[body_start:body_end]
        if heading == syntax.METADATA:
            metadata = _read_items(written)
            if metadata is None:
                return None
            continue
        body, off_line = read_body(written, memo)
        if off_line is not None:
            return None
        if rank == syntax.EXTRA_SECTION_RANK:
            extra_sections.append(checked_section(heading, body))
        else:
            bodies[heading] = body
    return checked_clipping(
        text[2:title_end],
        url,
        bodies.get(syntax.ORIGINAL_SUMMARY),
        bodies.get(syntax.AI_SUMMARY),
        tuple(extra_sections),
        metadata,
    )


def _read_url(preamble: str, *, ends_before_section: bool) -> tuple[bool, str | None]:
    """Whether the text between the title and the first section is canonical,
    and the url it holds (None when there is no URL line)."""
    tail = "\n\n" if ends_before_section else "\n"
    if preamble == tail:
        return True, None
    if (
        preamble.startswith(_URL_START)
        and preamble.endswith(tail)
        and preamble.count("\n") == 2 + len(tail)
    ):
        return True, preamble[len(_URL_START) : -len(tail)]
    return False, None


def _heading(line: str) -> str | None:
    if line == "##":
        return ""
    if line.startswith("## "):
        heading = line[3:]
        # A section that recovery filled is reported (CD210) by the full reader.
        recovered = heading.startswith(syntax.UNPARSED_PREFIX)
        if heading and heading == heading.strip(" \t") and not recovered:
            return heading
    return None


def _four_items(four: re.Match[str]) -> Metadata | None:
    """The metadata of the producer's four items, `_FOUR_ITEMS` matched."""
    source, kind, saved_text, date_text = four.group("source", "kind", "saved", "date")
    try:
        saved = from_canonical_timestamp(saved_text)
        catalog = date.fromisoformat(date_text)
    except ValueError:
        return None  # not a real date or time: the full reader says why
    return checked_metadata(source, kind, saved, catalog, ())


def _read_items(written: str) -> Metadata | None:
    if not written:
        return checked_metadata(None, None, None, None, ())
    four = _FOUR_ITEMS.fullmatch(written)
    if four is not None:
        return _four_items(four)
    values: dict[str, str] = {}
    extra: list[tuple[str, str]] = []
    highest_rank = -1
    for line in written.split("\n"):
        key_end = line.find(syntax.KEY_END, len(syntax.ITEM_PREFIX))
        if not line.startswith(syntax.ITEM_PREFIX) or key_end < 0:
            return None
        value_start = key_end + len(syntax.KEY_END)
        if line[value_start : value_start + 1] != " ":
            return None
        key = line[len(syntax.ITEM_PREFIX) : key_end]
        rank = syntax.LABEL_RANK.get(key, syntax.EXTRA_ITEM_RANK)
        if rank < highest_rank or (rank < syntax.EXTRA_ITEM_RANK and rank == highest_rank):
            return None  # out of order, or a known label twice
        highest_rank = rank
        if rank == syntax.EXTRA_ITEM_RANK:
            extra.append((key, line[value_start + 1 :]))
        else:
            values[key] = line[value_start + 1 :]
    saved_at: datetime | None = None
    catalog_date: date | None = None
    if syntax.SAVED_AT in values:
        saved_at = read_canonical_timestamp(values[syntax.SAVED_AT])
        if saved_at is None:
            return None
    if syntax.CATALOG_DATE in values:
        try:
            catalog_date = parse_date(values[syntax.CATALOG_DATE])
        except TimestampProblem:
            return None
    return checked_metadata(
        values.get(syntax.SOURCE), values.get(syntax.KIND), saved_at, catalog_date, tuple(extra)
    )
