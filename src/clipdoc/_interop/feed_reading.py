"""Feeds in: RSS and Atom through feedparser, JSON Feed through the
standard library's JSON; what `clipdoc.feeds.from_feed` and
``clipdoc import`` read."""

from __future__ import annotations

import json
import os
import re
import time
import warnings
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

import attrs

from .._core.errors import ClipdocError, ClipdocWarning, Diagnostic, Severity
from .._core.json_mapping import from_dict
from .._core.model import Clipping, Metadata
from .._core.timestamps import format_timestamp
from .feed_terms import AUTHOR, ENCLOSURES, PUBLISHED, TAGS

_LINE_BREAKS = re.compile(r"[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+")


def _feedparser() -> Any:
    try:
        import feedparser
    except ImportError:
        raise ImportError(
            "reading RSS and Atom needs feedparser: pip install 'clipdoc[feeds]'"
        ) from None
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
    类型; ``saved_at`` (aware) is the save time of every entry, now when not
    given. Entries written by clipdoc come back exactly as they were.
    An ill-formed feed gives the entries that can be read; a feed that gives
    none is a `ClipdocError` (CD601) that says why.

    >>> feed = b'''<rss version="2.0"><channel><title>t</title>
    ... <item><title>A post</title><link>https://weibo.com/1/a</link>
    ... <description>&lt;b&gt;hi&lt;/b&gt;</description></item></channel></rss>'''
    >>> from datetime import datetime, timezone
    >>> [clip] = from_feed(
    ...     feed, source="ArXiv", saved_at=datetime(2025, 5, 6, 8, 3, 26, tzinfo=timezone.utc)
    ... )
    >>> clip.title, clip.url, clip.original_summary, clip.metadata.catalog_date.isoformat()
    ('A post', 'https://weibo.com/1/a', '<b>hi</b>', '2025-05-06')
    """
    raw = _read(data)
    when = _save_time(saved_at)
    parsed_json = _json_feed(raw)
    if parsed_json is not None:
        clippings = _from_json_feed(parsed_json, source, kind, when)
        reason = "the JSON Feed has no item that can be read"
    else:
        clippings, reason = _from_xml_feed(raw, source, kind, when)
    if not clippings:
        raise ClipdocError("CD601", f"nothing to import: {reason}")
    return clippings


def _read(data: bytes | str | os.PathLike[str]) -> bytes:
    if isinstance(data, bytes):
        return data
    if isinstance(data, str):
        return data.encode("utf-8")
    if isinstance(data, os.PathLike):
        with open(data, "rb") as file:
            return file.read()
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


def _json_feed(raw: bytes) -> dict[str, Any] | None:
    if raw.lstrip()[:1] != b"{":
        return None
    try:
        document = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    except RecursionError:
        # The decoder recurses once a level; feedparser would not read it either.
        raise ClipdocError(
            "CD601", "nothing to import: the JSON is nested too deeply to read"
        ) from None
    if not isinstance(document, dict):
        return None
    version = document.get("version")
    feed: dict[str, Any] = document
    return feed if isinstance(version, str) and "jsonfeed.org" in version else None


def _from_json_feed(
    document: dict[str, Any], source: str | None, kind: str | None, when: datetime
) -> list[Clipping]:
    clippings = []
    for number, item in enumerate(_json_list(document, "items"), start=1):
        if isinstance(item, dict):
            clippings.append(_from_json_item(item, source, kind, when))
        else:
            _skipped(f"item {number} is not an object but {type(item).__name__}; skipped")
    return clippings


def feed_and_skipped(
    data: bytes, *, source: str | None = None, kind: str | None = None
) -> tuple[list[Clipping], tuple[Diagnostic, ...]]:
    """`from_feed`, with the CD602 warnings of the entries it left out
    returned rather than emitted (for the command, which reports them)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ClipdocWarning)
        clippings = from_feed(data, source=source, kind=kind)
    skipped = tuple(
        warning.message.diagnostic
        for warning in caught
        if isinstance(warning.message, ClipdocWarning)
    )
    return clippings, skipped


#: What a re-clip takes from the feed, when `refreshed` updates a clipping.
_KEPT_BY_THE_COLLECTION = frozenset({"保存时间", "目录日期"})


def refreshed(held: Clipping, fresh: Clipping) -> Clipping:
    """``held`` (a clipping in the collection) updated by ``fresh`` (the same
    page, read from a feed again): what the feed gives (title, URL,
    original summary, its metadata items) replaces what was there, and
    everything it does not give is kept: the AI summary, extra sections,
    other metadata items, and the save time and catalog date, which place
    the document in its folder. Nothing the feed leaves empty erases text.

    >>> from clipdoc import Clipping, Metadata
    >>> held = Clipping(title="v1", ai_summary="mine", metadata=Metadata(extra={"笔记": "n"}))
    >>> fresh = Clipping(
    ...     title="v2", original_summary="new abstract", metadata=Metadata(extra={"作者": "A"})
    ... )
    >>> clip = refreshed(held, fresh)
    >>> clip.title, clip.original_summary, clip.ai_summary, clip.metadata.items()
    ('v2', 'new abstract', 'mine', (('笔记', 'n'), ('作者', 'A')))
    """
    metadata = held.metadata or Metadata()
    for label, text in (fresh.metadata or Metadata()).items():
        if label not in _KEPT_BY_THE_COLLECTION and text:
            metadata = metadata.set(label, text)
    return attrs.evolve(
        held,
        title=fresh.title or held.title,
        url=fresh.url or held.url,
        original_summary=fresh.original_summary or held.original_summary,
        metadata=metadata if metadata != Metadata() or held.metadata is not None else None,
    )


def _skipped(message: str) -> None:
    """Say that an entry of a feed was left out (a `ClipdocWarning`, CD602):
    the others are imported."""
    diagnostic = Diagnostic(
        code="CD602", severity=Severity.WARNING, line=None, column=None, message=message
    )
    warnings.warn(ClipdocWarning(diagnostic), stacklevel=4)


def _from_json_item(
    item: dict[str, Any], source: str | None, kind: str | None, when: datetime
) -> Clipping:
    # A member of the wrong JSON type is taken as absent, so that one odd
    # member loses neither the item nor the feed.
    extension = item.get("_clipdoc")
    if isinstance(extension, dict) and "clipping" in extension:
        clipping = _from_extension(extension["clipping"])
        if clipping is not None:
            return clipping
    found = {
        "title": _json_string(item, "title"),
        "url": _json_string(item, "url", "external_url"),
        "summary": _json_string(item, "content_html", "content_text", "summary"),
        PUBLISHED: _json_string(item, "date_published"),
        AUTHOR: ", ".join(_json_author_names(item)),
        TAGS: ", ".join(tag for tag in _json_list(item, "tags") if isinstance(tag, str)),
        ENCLOSURES: " ".join(
            attachment["url"]
            for attachment in _json_list(item, "attachments")
            if isinstance(attachment, dict) and isinstance(attachment.get("url"), str)
        ),
    }
    return _clipping(found, source, kind, when)


def _json_string(item: dict[str, Any], *names: str) -> str | None:
    """The first of the members ``names`` that is a non-empty string, else
    the last one if it is a string: what ``or`` between them gives, with a
    member that is not a string taken as absent."""
    value: str | None = None
    for name in names:
        member = item.get(name)
        value = member if isinstance(member, str) else None
        if value:
            break
    return value


def _json_list(item: dict[str, Any], name: str) -> list[Any]:
    member = item.get(name)
    return member if isinstance(member, list) else []


def _json_author_names(item: dict[str, Any]) -> list[str]:
    # JSON Feed 1.1 has a list of authors; 1.0 had one author.
    authors = _json_list(item, "authors")
    if not authors and "author" in item:
        authors = [item["author"]]
    return [
        author["name"]
        for author in authors
        if isinstance(author, dict) and isinstance(author.get("name"), str) and author["name"]
    ]


def _from_xml_feed(
    raw: bytes, source: str | None, kind: str | None, when: datetime
) -> tuple[list[Clipping], str]:
    feedparser = _feedparser()
    try:
        parsed = feedparser.parse(raw, sanitize_html=False, resolve_relative_uris=False)
    except Exception as exc:  # feedparser's own bugs on hostile input
        raise ClipdocError("CD601", f"the feed cannot be read: {exc}") from None
    clippings = [_from_xml_entry(entry, source, kind, when) for entry in parsed.get("entries", [])]
    problem = parsed.get("bozo_exception")
    reason = f"the feed is not well-formed ({problem})" if problem else "the feed has no entry"
    return clippings, reason


def _from_xml_entry(
    entry: Mapping[str, Any], source: str | None, kind: str | None, when: datetime
) -> Clipping:
    extension = entry.get("clipdoc_clipping")
    if isinstance(extension, str):
        try:
            mapping = json.loads(extension)
        except (ValueError, RecursionError):
            pass  # a damaged extension: read the entry as any other
        else:
            clipping = _from_extension(mapping)
            if clipping is not None:
                return clipping
    return _clipping(_xml_entry_fields(entry), source, kind, when)


def _xml_entry_fields(entry: Mapping[str, Any]) -> dict[str, object]:
    published = entry.get("published_parsed") or entry.get("updated_parsed")
    return {
        "title": entry.get("title"),
        "url": entry.get("link"),
        "summary": _xml_summary(entry),
        PUBLISHED: _struct_time_text(published) or entry.get("published"),
        AUTHOR: entry.get("author"),
        TAGS: ", ".join(str(tag.get("term")) for tag in entry.get("tags") or [] if tag.get("term")),
        ENCLOSURES: " ".join(
            str(link.get("href"))
            for link in entry.get("links") or []
            if link.get("rel") == "enclosure" and link.get("href")
        ),
    }


def _xml_summary(entry: Mapping[str, Any]) -> object:
    # RSS has a description; Atom may have only content.
    summary = entry.get("summary")
    content = entry.get("content") or []
    if summary is None and content and isinstance(content[0], Mapping):
        summary = content[0].get("value")
    return summary


def _struct_time_text(value: object) -> str | None:
    if not isinstance(value, time.struct_time):
        return None
    try:
        moment = datetime(*value[:6], tzinfo=timezone.utc)
    except ValueError:
        return None
    return format_timestamp(moment)


def _one_line(value: object) -> str | None:
    if value is None:
        return None
    return _LINE_BREAKS.sub(" ", str(value)).strip()


def _clipping(
    found: Mapping[str, object], source: str | None, kind: str | None, when: datetime
) -> Clipping:
    extra = []
    for label in (PUBLISHED, AUTHOR, TAGS, ENCLOSURES):
        value = _one_line(found.get(label))
        if value:
            extra.append((label, value))
    summary = found.get("summary")
    return Clipping(
        title=_one_line(found.get("title")) or "",
        url=_one_line(found.get("url")) or None,
        original_summary=str(summary) if summary is not None else None,
        metadata=Metadata(
            source=_one_line(source),
            kind=_one_line(kind),
            saved_at=when,
            catalog_date=when.date(),
            extra=extra,
        ),
    )


def _from_extension(mapping: object) -> Clipping | None:
    """The clipping an entry carries whole, or None when the extension is
    damaged: the entry is then read as any other."""
    try:
        return from_dict(mapping)
    except ValueError:  # CD401, a ClipdocError, above all
        return None
