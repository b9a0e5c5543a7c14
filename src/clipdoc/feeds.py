"""Feeds in and out: RSS, Atom and JSON Feed.

Reading uses feedparser (RSS 0.9x, 1.0 and 2.0, Atom 0.3 and 1.0) and the
standard library's JSON (JSON Feed 1.0 and 1.1); writing uses the standard
library's XML writer and JSON. Needs the ``feeds`` extra:
``pip install 'clipdoc[feeds]'``.

Reading maps each entry the way the producer does: its title, link and
description (raw HTML, not sanitized: sanitize when you display it, with
`clipdoc.html.safe_html`) become the title, URL and original summary; the
save time is the one given, or now, with its UTC offset, and the catalog
date is its date. What the producer threw away is kept in metadata items:
发布时间 (published, RFC 3339), 作者 (author), 标签 (tags, comma-separated) and
附件 (enclosure URLs, space-separated).

Writing is lossless: every entry carries its whole clipping in an extension
(``_clipdoc`` in JSON Feed, a ``clipdoc:clipping`` element in the namespace
`NAMESPACE` in Atom and RSS), which reading prefers, so
``from_feed(to_atom(clips, title=...)) == clips``.
"""

from __future__ import annotations

import json
import os
import re
import time
import warnings
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any

import attrs

from ._core.errors import ClipdocError, ClipdocWarning, Diagnostic, Severity
from ._core.json_mapping import from_dict, to_dict
from ._core.model import Clipping, Metadata
from ._core.timestamps import TimestampProblem, format_timestamp, parse_timestamp

__all__ = [
    "NAMESPACE",
    "from_feed",
    "refreshed",
    "to_atom",
    "to_json_feed",
    "to_rss",
]

#: The XML namespace of the ``clipping`` element that carries a whole
#: clipping (its JSON mapping) in Atom and RSS entries.
NAMESPACE = "https://clipdoc.readthedocs.io/ns/feed/1"
_JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
_ATOM = "http://www.w3.org/2005/Atom"

PUBLISHED = "发布时间"
AUTHOR = "作者"
TAGS = "标签"
ENCLOSURES = "附件"

# Characters XML 1.0 cannot hold (the extension keeps them, escaped in JSON).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
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


# ---------------------------------------------------------------------- writing


def _clippings(clippings: Iterable[Clipping]) -> list[Clipping]:
    if isinstance(clippings, Clipping):
        raise TypeError("pass a list of clippings, not one Clipping: [clipping]")
    found = list(clippings)
    for index, clip in enumerate(found):
        if not isinstance(clip, Clipping):
            raise TypeError(f"clippings[{index}] must be a Clipping, not {type(clip).__name__}")
    return found


def _payload(clip: Clipping) -> str:
    # ASCII JSON without <, > and &: XML keeps it as it is, and any character
    # of the clipping (even those XML 1.0 cannot hold) survives.
    text = json.dumps(to_dict(clip), ensure_ascii=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _xml_text(value: str | None) -> str:
    return _NOT_XML.sub("", value or "")


def _saved_at(clip: Clipping) -> datetime | None:
    return clip.metadata.saved_at if clip.metadata is not None else None


def _entry_id(clip: Clipping, index: int) -> str:
    if clip.url:
        return clip.url
    return f"urn:clipdoc:entry:{index}"


def to_json_feed(
    clippings: Iterable[Clipping],
    *,
    title: str,
    home_page_url: str | None = None,
    feed_url: str | None = None,
    description: str | None = None,
) -> bytes:
    """A JSON Feed 1.1 document (UTF-8 bytes) with an item per clipping.

    >>> from clipdoc import Clipping
    >>> clip = Clipping(title="t", url="https://example.com/1", original_summary="<b>x</b>")
    >>> from_feed(to_json_feed([clip], title="Clippings")) == [clip]
    True
    """
    items = []
    for index, clip in enumerate(_clippings(clippings)):
        item: dict[str, Any] = {"id": _entry_id(clip, index)}
        if clip.url:
            item["url"] = clip.url
        item["title"] = clip.title
        if clip.original_summary is not None:
            item["content_html"] = clip.original_summary
        else:
            item["content_text"] = clip.ai_summary or ""
        if clip.ai_summary:
            item["summary"] = clip.ai_summary
        saved = _saved_at(clip)
        if saved is not None:
            item["date_published"] = format_timestamp(saved)
        item["_clipdoc"] = {"version": 1, "clipping": to_dict(clip)}
        items.append(item)
    feed: dict[str, Any] = {"version": _JSON_FEED_VERSION, "title": title}
    for name, value in (
        ("home_page_url", home_page_url),
        ("feed_url", feed_url),
        ("description", description),
    ):
        if value is not None:
            feed[name] = value
    feed["items"] = items
    return (json.dumps(feed, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def to_atom(
    clippings: Iterable[Clipping],
    *,
    title: str,
    feed_id: str = "urn:clipdoc:feed",
    link: str | None = None,
) -> bytes:
    """An Atom 1.0 feed (UTF-8 bytes) with an entry per clipping."""
    ElementTree.register_namespace("", _ATOM)
    ElementTree.register_namespace("clipdoc", NAMESPACE)

    def atom(name: str) -> str:
        return f"{{{_ATOM}}}{name}"

    found = _clippings(clippings)
    feed = ElementTree.Element(atom("feed"))
    ElementTree.SubElement(feed, atom("title")).text = _xml_text(title)
    ElementTree.SubElement(feed, atom("id")).text = _xml_text(feed_id)
    if link:
        ElementTree.SubElement(feed, atom("link"), href=_xml_text(link))
    times = [t for t in map(_saved_at, found) if t is not None]
    newest = max(times, default=datetime(1970, 1, 1, tzinfo=timezone.utc))
    ElementTree.SubElement(feed, atom("updated")).text = _rfc3339_seconds(newest)
    author = ElementTree.SubElement(feed, atom("author"))
    ElementTree.SubElement(author, atom("name")).text = _xml_text(title) or "clipdoc"
    for index, clip in enumerate(found):
        entry = ElementTree.SubElement(feed, atom("entry"))
        ElementTree.SubElement(entry, atom("title")).text = _xml_text(clip.title)
        ElementTree.SubElement(entry, atom("id")).text = _xml_text(_entry_id(clip, index))
        if clip.url:
            ElementTree.SubElement(entry, atom("link"), href=_xml_text(clip.url))
        saved = _saved_at(clip) or newest
        ElementTree.SubElement(entry, atom("updated")).text = _rfc3339_seconds(saved)
        if clip.original_summary is not None:
            summary = ElementTree.SubElement(entry, atom("summary"), type="html")
            summary.text = _xml_text(clip.original_summary)
        ElementTree.SubElement(entry, f"{{{NAMESPACE}}}clipping").text = _payload(clip)
    return bytes(ElementTree.tostring(feed, encoding="utf-8", xml_declaration=True)) + b"\n"


def to_rss(
    clippings: Iterable[Clipping],
    *,
    title: str,
    link: str = "https://clipdoc.readthedocs.io/",
    description: str = "Clippings",
) -> bytes:
    """An RSS 2.0 feed (UTF-8 bytes) with an item per clipping."""
    ElementTree.register_namespace("clipdoc", NAMESPACE)
    found = _clippings(clippings)
    rss = ElementTree.Element("rss", version="2.0")
    channel = ElementTree.SubElement(rss, "channel")
    ElementTree.SubElement(channel, "title").text = _xml_text(title)
    ElementTree.SubElement(channel, "link").text = _xml_text(link)
    ElementTree.SubElement(channel, "description").text = _xml_text(description)
    for index, clip in enumerate(found):
        item = ElementTree.SubElement(channel, "item")
        ElementTree.SubElement(item, "title").text = _xml_text(clip.title)
        if clip.url:
            ElementTree.SubElement(item, "link").text = _xml_text(clip.url)
        if clip.original_summary is not None:
            ElementTree.SubElement(item, "description").text = _xml_text(clip.original_summary)
        guid = ElementTree.SubElement(item, "guid", isPermaLink="false")
        guid.text = _xml_text(_entry_id(clip, index))
        saved = _saved_at(clip)
        if saved is not None and 1900 <= saved.year <= 9999:
            ElementTree.SubElement(item, "pubDate").text = format_datetime(saved)
        ElementTree.SubElement(item, f"{{{NAMESPACE}}}clipping").text = _payload(clip)
    return bytes(ElementTree.tostring(rss, encoding="utf-8", xml_declaration=True)) + b"\n"


def _rfc3339_seconds(value: datetime) -> str:
    # Atom dates are RFC 3339 too; feedparser reads years 1000 to 9999.
    text = format_timestamp(value.replace(microsecond=0))
    try:
        parse_timestamp(text)
    except TimestampProblem:  # pragma: no cover - format_timestamp writes valid text
        return "1970-01-01T00:00:00Z"
    return text


def __getattr__(name: str) -> Any:
    # Names of 0.1 kept for a release, with a warning.
    if name == "clippings_from_feed":
        import warnings

        warnings.warn(
            "clipdoc.feeds.clippings_from_feed is now clipdoc.feeds.from_feed",
            DeprecationWarning,
            stacklevel=2,
        )
        return from_feed
    raise AttributeError(f"module 'clipdoc.feeds' has no attribute {name!r}")
