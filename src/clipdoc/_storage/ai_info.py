"""The producer's own index, byte for byte.

The Go pipeline that wrote the real collections keeps an index ``README.md``
at the root, written by ``GenerateIndex`` in its ``storage.go`` (MIT). This
module reproduces that function's output exactly, quirks included, so that a
collection can move from the Go pipeline to clipdoc without its README
changing:

* it reads the files itself, not through clipdoc's reader: the first line's
  title, the last ``**URL**:`` and ``- **保存时间**:`` lines, up to five
  non-empty lines after ``## 原始摘要`` and ``## AI 摘要``;
* times are shown as ``YYYY-MM-DD HH:MM`` wall-clock time and compared as if
  UTC; entries are ordered by Go's unstable ``sort.Slice`` (see `_gosort`);
* a summary is cut at byte 150 (back to byte 120 for an ASCII ``.!?;,``),
  which can split a UTF-8 character, whose remains are then dropped;
* ``|*_``\\` are backslash-escaped in titles and summaries, not in paths or
  URLs; control characters are dropped.

Time parsing follows Go 1.19's ``time.Parse`` for the two layouts involved.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import NamedTuple

import attrs

from .._core.errors import PathError, path_error
from .cache import MISSING, StatCache, file_identity
from .files import Folder
from .gosort import go_sort_slice

_DATE_NAME = re.compile(rb"([0-9]{4})-([0-9]{2})-([0-9]{2})")
# time.Parse("2006-01-02 15:04", ...): the hour may have one digit.
_MINUTES = re.compile(rb"([0-9]{4})-([0-9]{2})-([0-9]{2}) ([0-9]{1,2}):([0-9]{2})")
# time.Parse(time.RFC3339, ...) as Go 1.19 reads it.
_RFC3339 = re.compile(
    rb"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{1,2}):([0-9]{2}):([0-9]{2})"
    rb"(?:[.,][0-9]+)?(?:(Z)|([+-])([0-9]{2}):([0-9]{2}))"
)
_HTML_TAG = re.compile(rb"<[^>]*>")
# Go's regexp \s is ASCII: tab, newline, form feed, carriage return, space.
_GO_SPACE_RUN = re.compile(rb"[\t\n\f\r ]+")
# unicode.IsSpace, which strings.TrimSpace trims.
_GO_UNICODE_SPACE = (
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
#: A phrase of the placeholder AI summary a test run of the producer wrote;
#: its index shows the original summary instead.
PLACEHOLDER_SUMMARY = "主要探讨了最新进展和研究方向"
_PLACEHOLDER = PLACEHOLDER_SUMMARY.encode()
_URL_PREFIX = b"**URL**: "
_SAVED_AT_PREFIX = "- **保存时间**: ".encode()
_ORIGINAL_HEADING = "## 原始摘要".encode()
_AI_HEADING = "## AI 摘要".encode()
# The entities decoded in a summary that held HTML, in this order.
_ENTITIES = (
    (b"&nbsp;", b" "),
    (b"&lt;", b"<"),
    (b"&gt;", b">"),
    (b"&amp;", b"&"),
    (b"&quot;", b'"'),
)
_CUT_AT = 150
_CUT_BACK_TO = 120
_CUT_MARKS = frozenset(b".!?;,")
_LATEST = 20


class _Paper(NamedTuple):
    title: bytes
    filename: bytes
    summary: bytes
    url: bytes
    saved_at: bytes
    folder: bytes
    instant: int | None  # seconds since the epoch, for the sort


def ai_info_index(
    root: str | os.PathLike[str],
    problems: list[PathError] | None = None,
    *,
    follow_links: bool = False,
    cache: bool | None = False,
    read_only_cache: bool = False,
) -> bytes:
    """The ``README.md`` the producer's ``GenerateIndex`` writes for ``root``.

    Files are read through the storage layer: a file it cannot read (a
    FIFO, a link out of the collection) is listed as the producer lists a
    file it cannot read, by its name alone, and its error is added to
    ``problems``. ``cache`` is `Collection`'s: what is taken from each file
    is kept in the collection's stat cache (only used, ``read_only_cache``).
    """
    base = os.fsencode(root)
    files = Folder(root, relative_names=True, follow_links=follow_links)
    reader = _Reader(
        files,
        problems if problems is not None else [],
        None
        if cache is False
        else StatCache.open(files, "ai_info", create=cache is True, read_only=read_only_cache),
    )
    folders = sorted(
        (
            entry.name
            for entry in _read_dir(base)
            if entry.is_dir(follow_symlinks=False) and _is_date(entry.name)
        ),
        reverse=True,
    )
    out = [
        "# 最新信息\n\n".encode(),
        "按日期组织的内容集合，最新的日期在前。每个条目包含标题、摘要、发布时间和原始链接。\n\n".encode(),
    ]
    if not folders:
        out.append("*暂无内容*\n".encode())
        return b"".join(out)
    with files.reading_in_order() as in_order:
        reading = attrs.evolve(reader, folder=in_order)
        papers = [paper for folder in folders for paper in _papers(base, folder, reading)]
    if reader.cache is not None:
        # Every file this index reads was looked up: the others are gone.
        reader.cache.keep_only(reader.seen)
        reader.cache.save()
    go_sort_slice(papers, _newer)
    out.append("## 最新内容\n\n".encode())
    for paper in papers[:_LATEST]:
        out += _latest_entry(paper)
    out.append("## 历史内容\n\n".encode())
    by_folder: dict[bytes, list[_Paper]] = {}
    for paper in papers:
        by_folder.setdefault(paper.folder, []).append(paper)
    for folder in folders:
        listed = by_folder.get(folder, [])
        if listed:
            out.append(b"### %s (%d" % (folder, len(listed)) + "篇)\n\n".encode())
            for paper in listed:
                out += _history_entry(paper)
    return b"".join(out)


def _latest_entry(paper: _Paper) -> list[bytes]:
    out = [b"### [%s](%s/%s)\n\n" % (_sanitize(paper.title), paper.folder, paper.filename)]
    if paper.summary:
        out.append("**摘要**: ".encode() + _sanitize(paper.summary) + b"\n\n")
    if paper.url:
        out.append("**原始链接**: [查看原文](".encode() + paper.url + b")\n")
    if paper.saved_at:
        out.append("**收录时间**: ".encode() + paper.saved_at + b"\n")
    out.append(b"\n---\n\n")
    return out


def _history_entry(paper: _Paper) -> list[bytes]:
    out = [b"- **[%s](%s/%s)** " % (_sanitize(paper.title), paper.folder, paper.filename)]
    if paper.url:
        out.append("| [原文](".encode() + paper.url + b") ")
    if paper.saved_at:
        out.append("| 时间: ".encode() + paper.saved_at + b" ")
    out.append(b"\n")
    if paper.summary:
        out.append(b"  " + _sanitize(paper.summary) + b"\n")
    out.append(b"\n")
    return out


def _read_dir(path: bytes) -> list[os.DirEntry[bytes]]:
    # os.ReadDir: every entry, sorted by name (bytes).
    with os.scandir(path) as entries:
        return sorted(entries, key=lambda entry: entry.name)


def _is_date(name: bytes) -> bool:
    match = _DATE_NAME.fullmatch(name)
    return match is not None and _valid_date(*(int(part) for part in match.groups()))


def _valid_date(year: int, month: int, day: int) -> bool:
    return 1 <= month <= 12 and 1 <= day <= _days_in(year, month)


def _days_in(year: int, month: int) -> int:
    if month == 2:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return 29 if leap else 28
    return 30 if month in (4, 6, 9, 11) else 31


@attrs.frozen
class _Reader:
    """Reads the files of a collection, keeps what it could not read, and
    what it took from each file in the stat cache, when there is one."""

    folder: Folder
    problems: list[PathError]
    cache: StatCache | None
    #: The files looked up, for the cache to forget the others.
    seen: list[str] = attrs.Factory(list)

    def paper(self, folder: bytes, filename: bytes) -> _Paper:
        relative = os.fsdecode(folder + b"/" + filename)
        if self.cache is not None:
            self.seen.append(relative)
            identity = file_identity(self.folder.path, relative)
            fact = self.cache.lookup(relative, _is_paper_fact, identity)
            if fact is not MISSING:
                # Bytes are kept as Latin-1 text: any bytes, one character each.
                title, name, summary, url, saved_at, folder_name = (
                    part.encode("latin-1") for part in fact[:6]
                )
                return _Paper(title, name, summary, url, saved_at, folder_name, fact[6])
        try:
            data, stamp = self.folder.read(relative)
        except PathError as problem:
            self.problems.append(problem)
            return _paper(None, folder, filename)
        paper = _paper(data, folder, filename)
        if self.cache is not None:
            fact = [part.decode("latin-1") for part in paper[:6]]
            self.cache.store(relative, stamp, [*fact, paper.instant])
        return paper


def _is_latin_1(text: str) -> bool:
    return text.isascii() or max(text) <= "\xff"


def _is_paper_fact(fact: object) -> bool:
    return (
        type(fact) is list
        and len(fact) == len(_Paper._fields)
        and all(type(part) is str and _is_latin_1(part) for part in fact[:6])
        and (fact[6] is None or type(fact[6]) is int)
    )


def _papers(base: bytes, folder: bytes, reader: _Reader) -> Iterator[_Paper]:
    """listPapersInDir: every ``*.md`` entry that is not a folder."""
    try:
        entries = _read_dir(os.path.join(base, folder))
    except OSError as exc:
        message = f"cannot read the folder: {exc.strerror}"
        problem = path_error("CD504", message, path=os.fsdecode(folder), errno=exc.errno)
        reader.problems.append(problem)
        return
    for entry in entries:
        if entry.is_dir(follow_symlinks=False) or not entry.name.endswith(b".md"):
            continue
        yield reader.paper(folder, entry.name)


def _paper(data: bytes | None, folder: bytes, filename: bytes) -> _Paper:
    title, url, saved_at, summary = filename[: -len(b".md")], b"", b"", b""
    if data is None:  # as the producer lists a file it cannot read
        return _Paper(title, filename, summary, url, saved_at, folder, _instant(saved_at))
    content = _clean_content(data)
    lines = content.split(b"\n")
    if lines[0].startswith(b"# "):
        title = lines[0][2:]
    url, saved_at, original, ai = _fields(lines)
    summary = _cut(_plain_text(_chosen_summary(original, ai)))
    return _Paper(title, filename, summary, url, saved_at, folder, _instant(saved_at))


def _fields(lines: list[bytes]) -> tuple[bytes, bytes, bytes, bytes]:
    """The URL and the save time (the last of each), and the first lines of
    the original and AI summaries (of the last of each heading)."""
    url = saved_at = original = ai = b""
    for index, line in enumerate(lines):
        if line.startswith(_URL_PREFIX):
            url = line[len(_URL_PREFIX) :]
        if line == _ORIGINAL_HEADING and index + 1 < len(lines):
            original = _first_lines(lines, index + 1)
        if line == _AI_HEADING and index + 1 < len(lines):
            ai = _first_lines(lines, index + 1)
        if line.startswith(_SAVED_AT_PREFIX):
            saved_at = _shown_time(line[len(_SAVED_AT_PREFIX) :])
    return url, saved_at, original, ai


def _shown_time(saved_at: bytes) -> bytes:
    """An RFC 3339 time as ``YYYY-MM-DD HH:MM`` (its wall-clock time); any
    other text as it is."""
    parsed = _RFC3339.fullmatch(saved_at)
    if parsed is None or _rfc3339_fields(parsed) is None:
        return saved_at
    year, month, day, hour, minute = (int(part) for part in parsed.groups()[:5])
    return b"%04d-%02d-%02d %02d:%02d" % (year, month, day, hour, minute)


def _chosen_summary(original: bytes, ai: bytes) -> bytes:
    """The AI summary, unless it is missing or the placeholder and there is
    an original summary."""
    if (not ai or _PLACEHOLDER in ai) and original:
        return original
    return ai


def _plain_text(summary: bytes) -> bytes:
    """The summary without HTML tags, the five entities decoded, and spaces
    collapsed, when it holds both ``<`` and ``>``."""
    if b"<" not in summary or b">" not in summary:
        return summary
    summary = _HTML_TAG.sub(b"", summary)
    for entity, char in _ENTITIES:
        summary = summary.replace(entity, char)
    summary = _GO_SPACE_RUN.sub(b" ", summary)
    return summary.decode("utf-8").strip(_GO_UNICODE_SPACE).encode()


def _cut(summary: bytes) -> bytes:
    """A summary longer than 150 bytes cut just after the last ASCII mark
    at bytes 120 to 150, else at byte 150, and ``...`` added."""
    if len(summary) <= _CUT_AT:
        return summary
    cut = _CUT_AT
    for index in range(_CUT_AT, _CUT_BACK_TO - 1, -1):
        if index < len(summary) and summary[index] in _CUT_MARKS:
            cut = index + 1
            break
    return summary[: min(cut, len(summary))] + b"..."


def _first_lines(lines: list[bytes], start: int) -> bytes:
    """Up to five non-empty lines from ``start``, until a ``##`` line, joined
    with spaces."""
    found: list[bytes] = []
    for line in lines[start:]:
        if len(found) == 5:
            break
        if not line:
            continue
        if line.startswith(b"##"):
            break
        found.append(line)
    return b" ".join(found)


# Unicode's control characters (category Cc: U+0000 to U+001F, U+007F to
# U+009F) but those Go's code keeps: one regex pass instead of a test of
# each character.
_CONTROL_BUT_LINES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_BUT_TAB_AND_LF = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _clean_content(data: bytes) -> bytes:
    """readFileWithCorrectEncoding: no BOM, no invalid UTF-8, no control
    characters but tab, line feed and carriage return."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    text = data.decode("utf-8", errors="ignore")
    return _CONTROL_BUT_LINES.sub("", text).encode()


def _sanitize(text: bytes) -> bytes:
    """sanitizeTextForMarkdown."""
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError:
        # Invalid bytes are dropped, and so is every U+FFFD already there.
        decoded = text.decode("utf-8", errors="ignore").replace("\ufffd", "")
    for char in "|*_`":
        decoded = decoded.replace(char, "\\" + char)
    return _CONTROL_BUT_TAB_AND_LF.sub("", decoded).encode("utf-8", errors="surrogateescape")


def _rfc3339_fields(match: re.Match[bytes]) -> int | None:
    """The UTC offset in seconds of a time that Go 1.19 accepts, else None."""
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    zulu, sign, offset_hour, offset_minute = match.groups()[6:]
    if not _valid_date(year, month, day) or hour >= 24 or minute >= 60 or second >= 60:
        return None
    if zulu:
        return 0
    hours, minutes = int(offset_hour), int(offset_minute)
    if hours > 24 or minutes > 60:
        return None
    offset = (hours * 60 + minutes) * 60
    return -offset if sign == b"-" else offset


def _instant(saved_at: bytes) -> int | None:
    """The time the sort compares: ``YYYY-MM-DD HH:MM`` read as UTC, else an
    RFC 3339 time; None when neither parses."""
    match = _MINUTES.fullmatch(saved_at)
    if match is not None:
        year, month, day, hour, minute = (int(part) for part in match.groups())
        if _valid_date(year, month, day) and hour < 24 and minute < 60:
            return _epoch_seconds(year, month, day, hour, minute, 0)
    match = _RFC3339.fullmatch(saved_at)
    if match is not None:
        offset = _rfc3339_fields(match)
        if offset is not None:
            fields = (int(part) for part in match.groups()[:6])
            return _epoch_seconds(*fields) - offset
    return None


def _epoch_seconds(year: int, month: int, day: int, hour: int, minute: int, second: int) -> int:
    # Days from the civil date (proleptic Gregorian, year 0 included), as Go
    # counts them; datetime cannot hold year 0.
    shifted = year - (month <= 2)
    era = shifted // 400
    year_of_era = shifted - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    days = era * 146097 + day_of_era - 719468
    return ((days * 24 + hour) * 60 + minute) * 60 + second


def _newer(first: _Paper, second: _Paper) -> bool:
    """The producer's comparison: newer first; by folder then file name,
    descending, when either time does not parse."""
    if first.instant is None or second.instant is None:
        if first.folder != second.folder:
            return first.folder > second.folder
        return first.filename > second.filename
    return first.instant > second.instant
