"""Feeds in: RSS and Atom through feedparser, JSON Feed through the
standard library's JSON; what `clipdoc.feeds.from_feed` and
``clipdoc import`` read. What each field of an entry becomes is in
`feed_fields`."""

from __future__ import annotations

import io
import json
import os
import re
import warnings
from collections.abc import Iterable
from datetime import datetime
from typing import Any, TypeVar

import attrs

from .._core.errors import ClipdocError, ClipdocWarning, Diagnostic, Severity, quoted
from .._core.json_mapping import from_dict, json_integer
from .._core.model import Clipping, Metadata
from .._core.syntax import KIND, SOURCE
from .._storage.files import read_bytes
from .feed_fields import clipping_of, json_item_fields, one_line, xml_entry_fields, xml_title
from .feed_terms import CUT_SHORT, CUT_SHORT_TEXT, EXTENSION_FIELD, EXTENSION_PREFIX, NAMESPACE


def _feedparser() -> Any:
    try:
        import feedparser
    except ImportError:
        raise ImportError(
            "reading RSS and Atom needs feedparser: pip install 'clipdoc[feeds]'"
        ) from None
    # feedparser names an element of a namespace it knows by its own prefix
    # for that namespace, and any other by the prefix the feed binds: so that
    # the extension is found under any prefix, clipdoc's namespace is known.
    mixin = feedparser.mixin._FeedParserMixin
    mixin.namespaces.setdefault(NAMESPACE, EXTENSION_PREFIX)
    if mixin._matchnamespaces:  # filled from `namespaces` by the first parser
        mixin._matchnamespaces.setdefault(NAMESPACE.lower(), EXTENSION_PREFIX)
    return feedparser


# ---------------------------------------------------------------------- reading


def from_feed(
    data: bytes | str | os.PathLike[str],
    *,
    source: str | None = None,
    kind: str | None = None,
    saved_at: datetime | None = None,
) -> list[Clipping]:
    """The clippings of a feed's entries, in feed order.

    ``data`` is the feed itself (bytes or text) or a path to a file; it is
    never fetched from the network. ``source`` and ``kind`` become 来源 and
    类型; 来源 is the feed's title unless ``source`` is given (``""`` for
    none). ``saved_at`` (aware) is the save time of every entry, now when
    not given. Every field of an entry is kept: where each goes is in
    docs/interop.md. Entries written by clipdoc come back exactly as they
    were. A feed that is not well-formed gives the entries that can be
    read, with a `ClipdocWarning` (CD602) that says what went wrong; a feed
    that gives none is a `ClipdocError` (CD601) that says why.

    >>> feed = b'''<rss version="2.0"><channel><title>cs.AI updates</title>
    ... <item><title>A post</title><link>https://weibo.com/1/a</link>
    ... <description>&lt;b&gt;hi&lt;/b&gt;</description></item></channel></rss>'''
    >>> from datetime import datetime, timezone
    >>> [clip] = from_feed(feed, saved_at=datetime(2025, 5, 6, 8, 3, 26, tzinfo=timezone.utc))
    >>> clip.title, clip.url, clip.original_summary, clip.metadata.source
    ('A post', 'https://weibo.com/1/a', '<b>hi</b>', 'cs.AI updates')
    >>> clip.metadata.catalog_date.isoformat()
    '2025-05-06'
    """
    return _entries_and_ids(_read(data), source, kind, _save_time(saved_at))[0]


def _entries_and_ids(
    raw: bytes, source: str | None, kind: str | None, when: datetime
) -> tuple[list[Clipping], list[object] | None]:
    """The clippings of a feed, and for a JSON Feed the id of each entry
    that carries its clipping (None for one that does not): read from the
    same parse, which is most of the work for a large feed."""
    if _looks_like_json(raw):
        return _from_json_feed(raw, source, kind, when)
    return _from_xml_feed(raw, source, kind, when), None


def _read(data: bytes | str | os.PathLike[str]) -> bytes:
    if isinstance(data, bytes):
        return data
    if isinstance(data, str):
        return data.encode("utf-8")
    if isinstance(data, os.PathLike):
        # Regular files only, up to the size limit: a FIFO or a device is
        # a PathError (CD505), as for every file clipdoc reads.
        return read_bytes(data)
    raise TypeError(
        f"a feed is bytes, a str or a path, not {type(data).__name__};"
        " clipdoc never fetches URLs: download the feed first"
    )


def _save_time(saved_at: datetime | None) -> datetime:
    if saved_at is None:
        return datetime.now().astimezone().replace(microsecond=0)
    if not isinstance(saved_at, datetime) or saved_at.utcoffset() is None:
        raise TypeError("saved_at must be an aware datetime (with a UTC offset) or None")
    return saved_at


def _nothing(reason: str) -> ClipdocError:
    return ClipdocError("CD601", f"nothing to import: {reason}")


def _source(given: str | None, title: object) -> str | None:
    """来源: the one given (none for ""), else the feed's title."""
    text = one_line(given) if given is not None else one_line(title)
    return text or None


# -------------------------------------------------------------------- JSON Feed

_BOM = b"\xef\xbb\xbf"


def _looks_like_json(raw: bytes) -> bool:
    # No XML feed starts with "{": from there on the feed is JSON, well
    # formed or not.
    return raw.lstrip().removeprefix(_BOM).lstrip()[:1] == b"{"


def _integer_kept(digits: str) -> int | str:
    """A feed's integer as a number, or, past the length Python makes an
    ``int`` of, as the digits the feed wrote: a field shows them either way."""
    try:
        return int(digits)
    except ValueError:
        return digits


def _from_json_feed(
    raw: bytes, source: str | None, kind: str | None, when: datetime
) -> tuple[list[Clipping], list[object] | None]:
    salvaged = False
    try:
        document = json.loads(raw, parse_int=_integer_kept)
    except RecursionError:
        # The decoder recurses once a level; feedparser would not read it either.
        raise _nothing("the JSON is nested too deeply to read") from None
    except (ValueError, UnicodeDecodeError) as error:
        document, items_read = _salvaged(raw)
        salvaged = True
        if not _is_json_feed(document) or not items_read:
            raise _nothing(f"the JSON Feed is not valid JSON ({error})") from None
        _warn(
            f"the JSON Feed is not valid JSON ({error}): {_entries(items_read)} read before"
            " the problem, imported; any item after it is missing"
        )
    if not _is_json_feed(document):
        raise _nothing("a JSON document, but no JSON Feed: its version does not name jsonfeed.org")
    feed_source = _source(source, document.get("title"))
    clippings = []
    # Only an item that carries its clipping was written by clipdoc: another
    # feed's ids choose no path. Salvaged items give none either.
    ids: list[object] = []
    for number, item in enumerate(_list(document.get("items")), start=1):
        if isinstance(item, dict):
            clippings.append(_from_json_item(item, feed_source, kind, when))
            ids.append(item.get("id") if isinstance(item.get("_clipdoc"), dict) else None)
        else:
            _warn(f"item {number} is not an object but {type(item).__name__}; skipped")
    if not clippings:
        raise _nothing("the JSON Feed has no item that can be read")
    return clippings, None if salvaged else ids


def _is_json_feed(document: object) -> bool:
    version = document.get("version") if isinstance(document, dict) else None
    return isinstance(version, str) and "jsonfeed.org" in version


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


_WHITESPACE = re.compile(r"[ \t\n\r]*")


def _salvaged(raw: bytes) -> tuple[dict[str, Any], int]:
    """What can be read of JSON that stops short or goes wrong: the members
    of the top object up to the problem, and of an ``items`` array the items
    before it; and how many items that is."""
    text = raw.decode("utf-8-sig", errors="replace").lstrip(" \t\n\r")
    decoder = json.JSONDecoder()
    document: dict[str, Any] = {}
    items: list[Any] = []
    position = 1  # after the "{"

    def skip(at: int) -> int:
        match = _WHITESPACE.match(text, at)
        assert match is not None  # the pattern matches the empty string
        return match.end()

    try:
        while True:
            name, position = decoder.raw_decode(text, skip(position))
            position = skip(position)
            if not isinstance(name, str) or text[position] != ":":
                break
            position = skip(position + 1)
            if name == "items" and text[position] == "[":
                document["items"] = items
                position = skip(position + 1)
                while text[position] != "]":
                    item, position = decoder.raw_decode(text, position)
                    items.append(item)
                    position = skip(position)
                    position = skip(position + 1) if text[position] == "," else position
                position += 1
            else:
                document[name], position = decoder.raw_decode(text, position)
            position = skip(position)
            if text[position] != ",":
                break
            position += 1
    except (ValueError, IndexError, RecursionError):
        pass  # the problem itself: what came before it is read
    return document, len(items)


def _from_json_item(
    item: dict[str, Any], source: str | None, kind: str | None, when: datetime
) -> Clipping:
    extension = item.get("_clipdoc")
    if isinstance(extension, dict) and "clipping" in extension:
        clipping = _from_extension(item, extension["clipping"])
        if clipping is not None:
            return clipping
    return clipping_of(json_item_fields(item), source=source, kind=kind, when=when)


# ------------------------------------------------------------------ RSS, Atom


def _from_xml_feed(
    raw: bytes, source: str | None, kind: str | None, when: datetime
) -> list[Clipping]:
    feedparser = _feedparser()
    try:
        # A stream: feedparser opens a text or bytes that names a file (or
        # fetches one that is a URL) instead of reading it.
        stream = io.BytesIO(raw)
        parsed = feedparser.parse(stream, sanitize_html=False, resolve_relative_uris=False)
    except Exception as exc:  # feedparser's own bugs on hostile input
        raise _nothing(f"the feed cannot be read: {exc}") from None
    entries = [entry for entry in _list(dict.get(parsed, "entries")) if isinstance(entry, dict)]
    problem = dict.get(parsed, "bozo_exception") if dict.get(parsed, "bozo") else None
    if not entries:
        if problem is not None:
            raise _nothing(f"not a feed, or one that is not well-formed ({_problem(problem)})")
        raise _nothing("the feed has no entry")
    cut_short = problem is not None and _said(feedparser, problem, raw, entries)
    feed = dict.get(parsed, "feed")
    title = (
        xml_title(dict.get(feed, "title"), dict.get(feed, "title_detail"))
        if isinstance(feed, dict)
        else None
    )
    feed_source = _source(source, title)
    # An element clipping of another namespace under the prefix clipdoc has
    # the same name in feedparser's entries: it is an ordinary field then.
    namespaces = dict.get(parsed, "namespaces")
    ours = isinstance(namespaces, dict) and namespaces.get(EXTENSION_PREFIX) == NAMESPACE
    clippings = [
        _from_xml_entry(entry, feed_source, kind, when, extension=ours) for entry in entries
    ]
    if cut_short:
        clippings[-1] = _marked_cut_short(clippings[-1])
    return clippings


def _marked_cut_short(clipping: Clipping) -> Clipping:
    metadata = (clipping.metadata or Metadata()).set(CUT_SHORT, CUT_SHORT_TEXT)
    return attrs.evolve(clipping, metadata=metadata)


def is_cut_short(clipping: Clipping) -> bool:
    """Whether a clipping holds what was read of an entry a feed stopped
    inside of (a later import of its page completes it)."""
    return clipping.metadata is not None and clipping.metadata.get(CUT_SHORT) is not None


# The end of a whole XML feed: the root element's end tag (RSS, Atom, RDF).
_FEED_END = re.compile(rb"</(?:[\w.-]+:)?(?:rss|feed|rdf)\s*>[\s\x00]*\Z", re.IGNORECASE)


def _cut_short(raw: bytes) -> bool:
    """Whether an XML feed stops before its root element ends."""
    return _FEED_END.search(raw[-256:]) is None


def _said(feedparser: Any, problem: object, raw: bytes, entries: list[dict[str, Any]]) -> bool:
    """Say what feedparser found wrong with a feed (CD602); whether the feed
    stops inside its last entry, which is then marked cut short."""
    cut_short = not isinstance(problem, feedparser.ThingsNobodyCaresAboutButMe) and _cut_short(raw)
    if cut_short:
        last = entries[-1]
        named = one_line(dict.get(last, "title")) or one_line(dict.get(last, "link")) or "?"
        _warn(
            f"the feed stops before its end ({_problem(problem)}): {_entries(len(entries))}"
            f" read; the last, {quoted(named)}, is cut short and marked {CUT_SHORT}, so that"
            " importing the whole feed again completes it"
        )
    else:
        _warn(_bozo_message(feedparser, problem, len(entries)))
    return cut_short


def _problem(exception: object) -> str:
    return one_line(f"{type(exception).__name__}: {exception}") or type(exception).__name__


def _entries(count: int) -> str:
    return "1 entry" if count == 1 else f"{count} entries"


def _bozo_message(feedparser: Any, problem: object, count: int) -> str:
    # feedparser flags mislabelled encodings too: the whole feed is read.
    if isinstance(problem, feedparser.ThingsNobodyCaresAboutButMe):
        return f"feedparser read the whole feed, but says: {_problem(problem)}"
    return (
        f"the feed is not well-formed ({_problem(problem)}): {_entries(count)} read from it,"
        " imported; any entry lost at the problem is missing"
    )


def _from_xml_entry(
    entry: dict[str, Any],
    source: str | None,
    kind: str | None,
    when: datetime,
    *,
    extension: bool,
) -> Clipping:
    payload = dict.get(entry, EXTENSION_FIELD) if extension else None
    if isinstance(payload, str):
        try:
            mapping = json.loads(payload, parse_int=json_integer)
        except (ValueError, RecursionError) as error:
            _damaged(entry, f"its clipdoc:clipping is not JSON ({error})")
        else:
            clipping = _from_extension(entry, mapping)
            if clipping is not None:
                return clipping
    if extension:  # a damaged one, said above: not a field of the entry
        entry = {name: value for name, value in entry.items() if name != EXTENSION_FIELD}
    return clipping_of(xml_entry_fields(entry), source=source, kind=kind, when=when)


def _from_extension(entry: dict[str, Any], mapping: object) -> Clipping | None:
    """The clipping an entry carries whole, or None when the extension is
    damaged (a warning says so): the entry is then read as any other."""
    try:
        return from_dict(mapping)
    except ClipdocError as error:
        _damaged(entry, f"its clipping is not a valid JSON mapping ({error.code} {error.message})")
    except ValueError as error:
        _damaged(entry, f"its clipping is not a valid JSON mapping ({error})")
    return None


def _damaged(entry: dict[str, Any], problem: str) -> None:
    named = one_line(dict.get(entry, "title")) or one_line(dict.get(entry, "id")) or "?"
    _warn(
        f"the entry {quoted(named)} carries clipdoc's extension, but {problem}: it is read"
        " from the feed's own fields instead, which may not hold all of the clipping"
    )


# ------------------------------------------------------------------- warnings


def feed_and_skipped(
    data: bytes, *, source: str | None = None, kind: str | None = None
) -> tuple[list[Clipping], tuple[Diagnostic, ...]]:
    """`from_feed`, with its CD602 warnings (an entry left out, a feed that
    is not well-formed) returned rather than emitted (for the commands,
    which report them)."""
    clippings, skipped, _ = feed_skipped_and_ids(data, source=source, kind=kind)
    return clippings, skipped


def feed_skipped_and_ids(
    data: bytes, *, source: str | None = None, kind: str | None = None
) -> tuple[list[Clipping], tuple[Diagnostic, ...], list[object] | None]:
    """`feed_and_skipped`, and for a JSON Feed the ids of its entries (see
    `_entries_and_ids`); None for other feeds."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ClipdocWarning)
        clippings, ids = _entries_and_ids(_read(data), source, kind, _save_time(None))
    skipped = tuple(
        warning.message.diagnostic
        for warning in caught
        if isinstance(warning.message, ClipdocWarning)
    )
    return clippings, skipped, ids


def _warn(message: str) -> None:
    """Say what of a feed could not be read (a `ClipdocWarning`, CD602):
    what could is imported."""
    diagnostic = Diagnostic(
        code="CD602", severity=Severity.WARNING, line=None, column=None, message=message
    )
    warnings.warn(ClipdocWarning(diagnostic), stacklevel=4)


# -------------------------------------------------------------------- updates


def refreshed(held: Clipping, fresh: Clipping) -> Clipping:
    """``held`` (a clipping in the collection) updated by ``fresh`` (the same
    page, read from a feed again): what the feed gives (title, URL,
    original summary, its metadata items, its extra sections) replaces what
    was there, and everything it does not give is kept: the AI summary,
    other extra sections and metadata items, and the save time and catalog
    date, which place the document in its folder. No metadata item is ever
    removed: an item the document and the feed each hold once (更新时间,
    发布时间...) takes the feed's value; for a label either holds several
    times (作者, 标签...), the feed's values the document lacks are added
    after its own. A section replaces the section of its heading. Nothing
    the feed leaves empty erases text. A document marked cut short
    (不完整) loses the mark unless the feed stops inside the entry again.

    >>> from clipdoc import Clipping, Metadata
    >>> held = Clipping(title="v1", ai_summary="mine", metadata=Metadata(extra={"笔记": "n"}))
    >>> fresh = Clipping(
    ...     title="v2", original_summary="new abstract", metadata=Metadata(extra={"作者": "A"})
    ... )
    >>> clip = refreshed(held, fresh)
    >>> clip.title, clip.original_summary, clip.ai_summary, clip.metadata.items()
    ('v2', 'new abstract', 'mine', (('笔记', 'n'), ('作者', 'A')))
    """
    sections = _replaced(
        [(section.heading, section) for section in held.extra_sections],
        [(section.heading, section) for section in fresh.extra_sections if section.body],
    )
    metadata = _refreshed_metadata(held.metadata, fresh.metadata or Metadata())
    return attrs.evolve(
        held,
        title=fresh.title or held.title,
        url=fresh.url or held.url,
        original_summary=fresh.original_summary or held.original_summary,
        extra_sections=[section for _, section in sections],
        metadata=metadata,
    )


def _refreshed_metadata(held: Metadata | None, fresh: Metadata) -> Metadata | None:
    """The held items updated by the fresh ones: 来源 and 类型 when given,
    the extra items label by label; 保存时间 and 目录日期 as they were."""
    metadata = held or Metadata()
    for label, text in ((SOURCE, fresh.source), (KIND, fresh.kind)):
        if text:
            metadata = metadata.set(label, text)
    extra = _merged_items(metadata.extra, [(label, text) for label, text in fresh.extra if text])
    if fresh.get(CUT_SHORT) is None:
        extra = [(label, text) for label, text in extra if label != CUT_SHORT]
    metadata = attrs.evolve(metadata, extra=extra)
    return metadata if metadata != Metadata() or held is not None else None


def _merged_items(
    held: Iterable[tuple[str, str]], fresh: Iterable[tuple[str, str]]
) -> list[tuple[str, str]]:
    """The held items with the fresh ones: a label held once and given once
    takes the given value in place; otherwise the given values not held yet
    come after the last held item of their label (else at the end)."""
    result = list(held)
    given: dict[str, list[str]] = {}
    for label, text in fresh:
        given.setdefault(label, []).append(text)
    for label, texts in given.items():
        at = [index for index, (key, _) in enumerate(result) if key == label]
        if len(at) == 1 and len(texts) == 1:
            result[at[0]] = (label, texts[0])
            continue
        held_texts = {result[index][1] for index in at}
        new = [(label, text) for text in dict.fromkeys(texts) if text not in held_texts]
        place = at[-1] + 1 if at else len(result)
        result[place:place] = new
    return result


_T = TypeVar("_T")


def _replaced(
    held: Iterable[tuple[str, _T]], fresh: Iterable[tuple[str, _T]]
) -> list[tuple[str, _T]]:
    """``held`` with the values of each key ``fresh`` gives replaced by
    those it gives, where the first held one was (else at the end)."""
    given: dict[str, list[tuple[str, _T]]] = {}
    for key, value in fresh:
        given.setdefault(key, []).append((key, value))
    result: list[tuple[str, _T]] = []
    for key, value in held:
        if key not in given:
            result.append((key, value))
        elif given[key]:
            result += given[key]
            given[key] = []
    for remaining in given.values():
        result += remaining
    return result
