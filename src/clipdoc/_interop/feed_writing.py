"""Feeds out: JSON Feed 1.1, Atom 1.0 and RSS 2.0, written with the
standard library's JSON and XML writers; each entry carries its whole
clipping in clipdoc's extension."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any

from .._core.json_mapping import to_dict
from .._core.model import Clipping
from .._core.timestamps import TimestampProblem, format_timestamp, parse_timestamp
from .feed_terms import ATOM, JSON_FEED_VERSION, NAMESPACE

# Characters XML 1.0 cannot hold (the extension keeps them, escaped in JSON).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


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
    >>> from clipdoc.feeds import from_feed
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
    feed: dict[str, Any] = {"version": JSON_FEED_VERSION, "title": title}
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
    ElementTree.register_namespace("", ATOM)
    ElementTree.register_namespace("clipdoc", NAMESPACE)

    def atom(name: str) -> str:
        return f"{{{ATOM}}}{name}"

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
