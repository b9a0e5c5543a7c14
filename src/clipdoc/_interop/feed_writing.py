"""Feeds out: JSON Feed 1.1, Atom 1.0 and RSS 2.0, written with the
standard library's JSON and XML writers.

Each entry is written twice. Once for an ordinary feed reader: the AI
summary where readers show a summary, and an HTML reading of the whole
clipping (AI summary, extra sections, metadata items, original summary)
where they show content. And once whole, in clipdoc's extension, which
reading prefers, so that the clipping comes back equal.

An entry's id is a ``tag:`` URI (RFC 4151) made from the clipping's path
in its collection, so that it is unique in the feed and stays the same when
other clippings come and go; a clipping given without a path takes the path
the producer would give it, or without a catalog date a digest of its URL,
save time and title.
"""

from __future__ import annotations

import hashlib
import json
import re
import warnings
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, timezone
from email.utils import format_datetime
from html import escape
from typing import Any, Literal, TypeAlias
from urllib.parse import quote

import attrs

from .._core.errors import ClipdocError
from .._core.json_mapping import to_dict
from .._core.model import Clipping
from .._core.timestamps import TimestampProblem, format_timestamp, parse_timestamp
from .._storage.collection import Entry
from .._storage.names import clipping_path
from ..html import is_html
from .feed_terms import ATOM, EXTENSION_PREFIX, JSON_FEED_VERSION, NAMESPACE

#: What the writers take: clippings, collection entries, ``(path, clipping)``
#: pairs (a None path is a clipping without one), or a mapping of paths to
#: clippings.
FeedItems: TypeAlias = (
    Iterable[Clipping | Entry | tuple[str | None, Clipping]] | Mapping[str, Clipping]
)
#: The order of the entries: newest saved first, oldest first, or as given.
Order = Literal["newest", "oldest", "given"]
ORDERS: tuple[Order, ...] = ("newest", "oldest", "given")

#: Every entry id starts with this: tag URIs minted under clipdoc's name.
TAG = "tag:clipdoc.readthedocs.io,2025:"
#: The feed id of an Atom feed with neither a link nor a feed URL.
DEFAULT_FEED_ID = TAG + "feed"
#: RSS requires a channel link; this one when neither is given.
FALLBACK_LINK = "https://clipdoc.readthedocs.io/"
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

# Characters XML 1.0 cannot hold (the extension keeps them, escaped in JSON).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# What a URI holds as it is: unreserved and reserved characters but for the
# brackets (IP literals only) and '#' (one fragment), and '%' before two hex
# digits. Everything else is percent-encoded, UTF-8.
_URI_SAFE = "-._~:/?@!$&'()*+,;=%"
_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
# A language tag (RFC 5646's shape, as xml:lang and RSS take it).
_LANGUAGE = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")
_BLANK_LINES = re.compile(r"\n(?:[ \t]*\n)+")
_LINE_BREAK = re.compile(r"\r\n?")


# ------------------------------------------------------------------ settings


def _web_url(instance: object, attribute: attrs.Attribute[Any], value: str | None) -> None:
    _absolute_uri(instance, attribute, value)
    if value is not None and web_link(value) is None:
        raise ValueError(
            f"{attribute.name} must be an http or https URL such as https://example.com/feed,"
            f" not {value!r}"
        )


def _absolute_uri(instance: object, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        raise TypeError(f"{attribute.name} is a str, not {type(value).__name__}")
    if as_uri(value) != value:
        raise ValueError(
            f"{attribute.name} must be an absolute URL such as https://example.com/feed,"
            f" not {value!r}"
        )


def _language(instance: object, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is None:
        return
    if not isinstance(value, str) or not _LANGUAGE.fullmatch(value):
        raise ValueError(f"language must be a language tag such as en or zh-CN, not {value!r}")


def _limit(instance: object, attribute: attrs.Attribute[Any], value: int | None) -> None:
    if value is None:
        return
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"limit is an int or None, not {type(value).__name__}")
    if value < 0:
        raise ValueError(f"limit is how many entries at most, 0 or more, not {value}")


def _order(instance: object, attribute: attrs.Attribute[Any], value: str) -> None:
    if value not in ORDERS:
        raise ValueError(f"order is one of {', '.join(ORDERS)}, not {value!r}")


def _optional_str(instance: object, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{attribute.name} is a str, not {type(value).__name__}")


@attrs.frozen(kw_only=True)
class FeedSettings:
    """What a feed says about itself, and which entries it holds in which
    order: the keyword options of every writer, checked once (by the
    command before it reads anything, too)."""

    title: str = attrs.field(validator=attrs.validators.instance_of(str))
    description: str | None = attrs.field(default=None, validator=_optional_str)
    #: The page the feed is about (Atom alternate link, RSS channel link,
    #: JSON Feed home_page_url).
    link: str | None = attrs.field(default=None, validator=_web_url)
    #: Where the feed itself is (Atom and RSS rel="self", JSON Feed feed_url).
    feed_url: str | None = attrs.field(default=None, validator=_web_url)
    #: Atom's feed id; the link, else the feed URL, else `DEFAULT_FEED_ID`.
    feed_id: str | None = attrs.field(default=None, validator=_absolute_uri)
    language: str | None = attrs.field(default=None, validator=_language)
    order: Order = attrs.field(default="newest", validator=_order)
    limit: int | None = attrs.field(default=None, validator=_limit)


#: What ``clipdoc convert`` writes without feed options.
DEFAULT_SETTINGS = FeedSettings(title="Clippings")


# -------------------------------------------------------------------- entries


@attrs.frozen
class FeedEntry:
    """One clipping on its way into a feed."""

    id: str
    clipping: Clipping
    #: Where it came in, from 0: the last tie-break, for clippings alike in
    #: all else.
    position: int

    @property
    def saved_at(self) -> datetime | None:
        metadata = self.clipping.metadata
        return metadata.saved_at if metadata is not None else None

    @property
    def link(self) -> str | None:
        """The clipping's URL, when it is an http or https one (as a URI)."""
        return web_link(self.clipping.url) if self.clipping.url else None


def web_link(text: str) -> str | None:
    """``text`` as a link a reader may follow: an ``http`` or ``https`` URL
    (as a URI); None for any other (``javascript:``, ``data:``...), which a
    feed shows as text."""
    uri = as_uri(text)
    if uri is None or not uri.lower().startswith(("http://", "https://")):
        return None
    return uri


def as_uri(text: str) -> str | None:
    """``text`` as a URI, the characters a URI cannot hold percent-encoded
    (UTF-8); None when it is not absolute (it has no scheme)."""
    if not _SCHEME.match(text):
        return None
    head, hash_mark, fragment = _LONE_PERCENT.sub("%25", text).partition("#")
    encoded = quote(head, safe=_URI_SAFE, errors="surrogatepass")
    if hash_mark:
        encoded += "#" + quote(fragment, safe=_URI_SAFE, errors="surrogatepass")
    return encoded


def _pairs(items: FeedItems) -> Iterator[tuple[str | None, Clipping]]:
    if isinstance(items, (Clipping, Entry)):
        kind = type(items).__name__
        raise TypeError(f"pass a list of clippings, not one {kind}: [{kind.lower()}]")
    if isinstance(items, (str, bytes)):
        raise TypeError(f"pass a list of clippings, not a {type(items).__name__}")
    if isinstance(items, Mapping):
        items = items.items()
    for index, item in enumerate(items):
        if isinstance(item, Clipping):
            yield None, item
        elif isinstance(item, Entry):
            # An entry with errors has no clipping to write (as in clipdoc.arrow).
            if item.clipping is not None:
                yield item.path, item.clipping
        elif (
            isinstance(item, tuple)
            and len(item) == 2
            and isinstance(item[1], Clipping)
            and (item[0] is None or isinstance(item[0], str))
        ):
            if item[0] == "":
                raise ValueError(f"clippings[{index}]: a path is not empty")
            yield item[0], item[1]
        else:
            raise TypeError(
                f"clippings[{index}] must be a Clipping, an Entry or a (path, Clipping) pair,"
                f" not {type(item).__name__}"
            )


def _base_id(path: str | None, clip: Clipping) -> str:
    if path is None:
        try:
            path = clipping_path(clip)
        except ClipdocError:  # no catalog date: the fields that do not change
            saved = clip.metadata.saved_at if clip.metadata is not None else None
            fields = [clip.url, format_timestamp(saved) if saved else None, clip.title]
            text = json.dumps(fields, ensure_ascii=True).encode("ascii")
            return f"{TAG}?sha256={hashlib.sha256(text).hexdigest()[:32]}"
    return TAG + quote(path, safe="/", errors="surrogatepass")


def path_of_id(identifier: object) -> str | None:
    """The path an entry id made from one gives back; None for any other id,
    and for the ids of the second, third... clipping that would have had the
    same one (``#2``, ``#3``): they had no path of their own, and go where
    the producer would write them, as any clipping without a path.

    >>> path_of_id("tag:clipdoc.readthedocs.io,2025:2025-05-06/a%20b.md")
    '2025-05-06/a b.md'
    >>> path_of_id("tag:clipdoc.readthedocs.io,2025:2025-05-06/a%20b.md#2") is None
    True
    """
    if not isinstance(identifier, str) or not identifier.startswith(TAG):
        return None
    specific, hash_mark, _ = identifier[len(TAG) :].partition("#")
    if hash_mark or not specific or specific.startswith("?"):
        return None  # a later one of an id, or a digest: no path of its own
    try:
        path = _ESCAPES.sub(_unescaped, specific)
    except UnicodeDecodeError:
        return None
    # Control characters make no file name clipdoc writes (they would reach
    # a terminal that prints the path).
    return None if _CONTROL_OR_SURROGATE.search(path) else path


#: A run of percent escapes. A run is one piece of UTF-8: a character that
#: a literal one splits is not UTF-8 whatever the rest, as for `unquote`.
_ESCAPES = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
#: Unicode's categories Cc and Cs.
_CONTROL_OR_SURROGATE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def _unescaped(run: re.Match[str]) -> str:
    """A run of percent escapes as the text its bytes are in UTF-8, which
    `urllib.parse.unquote` gives one byte at a time in Python."""
    return bytes.fromhex(run.group().replace("%", "")).decode("utf-8")


def _alike(clip: Clipping) -> tuple[bool, datetime, str, str]:
    # Of clippings with one id, the earliest saved keeps it: the later ones
    # get '#2', '#3', so that a clipping added later changes no other id.
    saved = clip.metadata.saved_at if clip.metadata is not None else None
    return (saved is not None, saved or _EPOCH, clip.url or "", clip.title)


def feed_entries(items: FeedItems, settings: FeedSettings) -> list[FeedEntry]:
    """The entries of a feed of ``items``: each with its id, in the order
    and up to the limit ``settings`` say. Ids are given before the limit,
    so that it changes none."""
    by_id: dict[str, list[tuple[int, Clipping]]] = {}
    for position, (path, clip) in enumerate(_pairs(items)):
        by_id.setdefault(_base_id(path, clip), []).append((position, clip))
    entries = []
    for base, group in by_id.items():
        group.sort(key=lambda taken: (*_alike(taken[1]), taken[0]))
        for rank, (position, clip) in enumerate(group, start=1):
            entries.append(FeedEntry(base if rank == 1 else f"{base}#{rank}", clip, position))
    if settings.order == "given":
        entries.sort(key=lambda entry: entry.position)
    else:
        # Newest saved first, ties by id; those without a save time last.
        entries.sort(key=lambda entry: entry.id)
        dated = [entry for entry in entries if entry.saved_at is not None]
        dated.sort(key=lambda entry: entry.saved_at or _EPOCH, reverse=True)
        entries = dated + [entry for entry in entries if entry.saved_at is None]
        if settings.order == "oldest":
            entries.reverse()
    return entries if settings.limit is None else entries[: settings.limit]


# ------------------------------------------------------------ what readers see


def _text(text: str) -> str:
    return escape(text, quote=False)


def _paragraphs(text: str) -> str:
    text = _LINE_BREAK.sub("\n", text).strip()
    return "".join(
        "<p>" + _text(paragraph).replace("\n", "<br>\n") + "</p>\n"
        for paragraph in _BLANK_LINES.split(text)
        if paragraph
    )


def reading_html(clip: Clipping, *, linked: bool) -> str:
    """The clipping as a feed reader shows it: the AI summary, extra
    sections, the metadata items (and the URL when it is not the entry's
    link), then the original summary (its HTML as the source gave it)."""
    parts = []
    if clip.ai_summary:
        parts.append("<h3>AI 摘要</h3>\n" + _paragraphs(clip.ai_summary))
    for section in clip.extra_sections:
        parts.append(f"<h3>{_text(section.heading)}</h3>\n" + _paragraphs(section.body))
    items = list(clip.metadata.items()) if clip.metadata is not None else []
    if clip.url and not linked:
        items.insert(0, ("URL", clip.url))
    if items:
        listed = "".join(
            f"<li><strong>{_text(label)}</strong>: {_text(text)}</li>\n" for label, text in items
        )
        parts.append(f"<ul>\n{listed}</ul>\n")
    # Last, so that its HTML, which may leave an element open, hides nothing.
    if clip.original_summary and clip.original_summary.strip():
        summary = clip.original_summary
        body = summary + "\n" if is_html(summary) else _paragraphs(summary)
        parts.append("<h3>原始摘要</h3>\n" + body)
    return "".join(parts)


def _payload(clip: Clipping) -> str:
    # ASCII JSON without <, > and &: XML keeps it as it is, and any character
    # of the clipping (even those XML 1.0 cannot hold) survives.
    text = json.dumps(to_dict(clip), ensure_ascii=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _xml_text(value: str | None) -> str:
    return _NOT_XML.sub("", value or "")


def _rfc3339_seconds(value: datetime) -> str:
    # Atom dates are RFC 3339 too; feedparser reads years 1000 to 9999.
    text = format_timestamp(value.replace(microsecond=0))
    try:
        parse_timestamp(text)
    except TimestampProblem:  # pragma: no cover - format_timestamp writes valid text
        return "1970-01-01T00:00:00Z"
    return text


# ---------------------------------------------------------------- the formats


def json_feed_bytes(entries: list[FeedEntry], settings: FeedSettings) -> bytes:
    """JSON Feed 1.1: the AI summary is ``summary``, the reading
    ``content_html``."""
    feed: dict[str, Any] = {"version": JSON_FEED_VERSION, "title": settings.title}
    for name, value in (
        ("home_page_url", settings.link),
        ("feed_url", settings.feed_url),
        ("description", settings.description),
        ("language", settings.language),
    ):
        if value is not None:
            feed[name] = value
    feed["items"] = []
    for entry in entries:
        clip = entry.clipping
        link = entry.link
        item: dict[str, Any] = {"id": entry.id}
        if link is not None:
            item["url"] = link
        item["title"] = clip.title
        item["content_html"] = reading_html(clip, linked=link is not None)
        if clip.ai_summary:
            item["summary"] = clip.ai_summary
        if entry.saved_at is not None:
            item["date_published"] = format_timestamp(entry.saved_at)
        item["_clipdoc"] = {"version": 1, "clipping": to_dict(clip)}
        feed["items"].append(item)
    return (json.dumps(feed, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _sub(parent: ElementTree.Element, tag: str, text: str | None = None, **attributes: str) -> None:
    element = ElementTree.SubElement(parent, tag, attributes)
    if text is not None:
        element.text = _xml_text(text)


def atom_bytes(entries: list[FeedEntry], settings: FeedSettings) -> bytes:
    """Atom 1.0: the AI summary is ``summary type="text"``, the reading
    ``content type="html"`` (every entry has content, with a link or not)."""
    # Registered before each writing: RSS binds the Atom namespace to "atom".
    ElementTree.register_namespace("", ATOM)
    ElementTree.register_namespace(EXTENSION_PREFIX, NAMESPACE)

    def atom(name: str) -> str:
        return f"{{{ATOM}}}{name}"

    feed = ElementTree.Element(atom("feed"))
    if settings.language is not None:
        feed.set(XML_LANG, settings.language)
    _sub(feed, atom("title"), settings.title)
    if settings.description is not None:
        _sub(feed, atom("subtitle"), settings.description)
    feed_id = settings.feed_id or settings.link or settings.feed_url or DEFAULT_FEED_ID
    _sub(feed, atom("id"), feed_id)
    if settings.link is not None:
        _sub(feed, atom("link"), rel="alternate", type="text/html", href=settings.link)
    if settings.feed_url is not None:
        _sub(feed, atom("link"), rel="self", type="application/atom+xml", href=settings.feed_url)
    newest = max((e.saved_at for e in entries if e.saved_at is not None), default=_EPOCH)
    _sub(feed, atom("updated"), _rfc3339_seconds(newest))
    author = ElementTree.SubElement(feed, atom("author"))
    _sub(author, atom("name"), _xml_text(settings.title).strip() or "clipdoc")
    for entry in entries:
        clip = entry.clipping
        link = entry.link
        element = ElementTree.SubElement(feed, atom("entry"))
        _sub(element, atom("title"), clip.title)
        _sub(element, atom("id"), entry.id)
        if link is not None:
            _sub(element, atom("link"), rel="alternate", href=link)
        _sub(element, atom("updated"), _rfc3339_seconds(entry.saved_at or newest))
        if clip.ai_summary:
            _sub(element, atom("summary"), clip.ai_summary, type="text")
        _sub(element, atom("content"), reading_html(clip, linked=link is not None), type="html")
        _sub(element, f"{{{NAMESPACE}}}clipping", _payload(clip))
    return bytes(ElementTree.tostring(feed, encoding="utf-8", xml_declaration=True)) + b"\n"


def rss_bytes(entries: list[FeedEntry], settings: FeedSettings) -> bytes:
    """RSS 2.0: one ``description``, the reading, which begins with the AI
    summary."""
    ElementTree.register_namespace(EXTENSION_PREFIX, NAMESPACE)
    ElementTree.register_namespace("atom", ATOM)
    rss = ElementTree.Element("rss", version="2.0")
    channel = ElementTree.SubElement(rss, "channel")
    _sub(channel, "title", settings.title)
    _sub(channel, "link", settings.link or settings.feed_url or FALLBACK_LINK)
    _sub(channel, "description", settings.description or settings.title)
    if settings.language is not None:
        _sub(channel, "language", settings.language)
    if settings.feed_url is not None:
        _sub(
            channel,
            f"{{{ATOM}}}link",
            rel="self",
            type="application/rss+xml",
            href=settings.feed_url,
        )
    for entry in entries:
        clip = entry.clipping
        link = entry.link
        item = ElementTree.SubElement(channel, "item")
        _sub(item, "title", clip.title)
        if link is not None:
            _sub(item, "link", link)
        _sub(item, "description", reading_html(clip, linked=link is not None))
        _sub(item, "guid", entry.id, isPermaLink="false")
        saved = entry.saved_at
        if saved is not None and 1900 <= saved.year <= 9999:
            _sub(item, "pubDate", format_datetime(saved))
        _sub(item, f"{{{NAMESPACE}}}clipping", _payload(clip))
    return bytes(ElementTree.tostring(rss, encoding="utf-8", xml_declaration=True)) + b"\n"


#: Each writer of `clipdoc.feeds`, by name, as the registry names it.
ENCODERS: dict[str, Callable[[list[FeedEntry], FeedSettings], bytes]] = {
    "to_json_feed": json_feed_bytes,
    "to_atom": atom_bytes,
    "to_rss": rss_bytes,
}


# ---------------------------------------------------------------- public face


def to_json_feed(
    clippings: FeedItems,
    *,
    title: str,
    link: str | None = None,
    feed_url: str | None = None,
    description: str | None = None,
    language: str | None = None,
    order: Order = "newest",
    limit: int | None = None,
    home_page_url: str | None = None,
) -> bytes:
    """A JSON Feed 1.1 document (UTF-8 bytes) with an item per clipping.

    ``clippings`` are clippings, collection entries or ``(path, clipping)``
    pairs (or a mapping of paths to clippings); ``link`` is the page the
    feed is about (``home_page_url``, its former name, still works, with a
    warning). Entries are the newest saved first (``order``: ``"oldest"``,
    ``"given"``), ``limit`` of them at most.

    >>> from clipdoc import Clipping
    >>> from clipdoc.feeds import from_feed
    >>> clip = Clipping(title="t", url="https://example.com/1", ai_summary="Why it matters.")
    >>> feed = to_json_feed([("2025-05-06/t.md", clip)], title="Clippings")
    >>> from_feed(feed) == [clip]
    True
    >>> import json
    >>> item = json.loads(feed)["items"][0]
    >>> item["id"], item["summary"]
    ('tag:clipdoc.readthedocs.io,2025:2025-05-06/t.md', 'Why it matters.')
    """
    if home_page_url is not None:
        if link is not None:
            raise TypeError("pass link, or home_page_url (its former name), not both")
        warnings.warn("to_json_feed's home_page_url is now link", DeprecationWarning, stacklevel=2)
        link = home_page_url
    settings = FeedSettings(
        title=title,
        link=link,
        feed_url=feed_url,
        description=description,
        language=language,
        order=order,
        limit=limit,
    )
    return json_feed_bytes(feed_entries(clippings, settings), settings)


def to_atom(
    clippings: FeedItems,
    *,
    title: str,
    link: str | None = None,
    feed_url: str | None = None,
    feed_id: str | None = None,
    description: str | None = None,
    language: str | None = None,
    order: Order = "newest",
    limit: int | None = None,
) -> bytes:
    """An Atom 1.0 feed (UTF-8 bytes) with an entry per clipping.

    The options are those of `to_json_feed`, and ``feed_id``: the feed's
    ``atom:id``, by default the link, else the feed URL, else
    ``tag:clipdoc.readthedocs.io,2025:feed``.
    """
    settings = FeedSettings(
        title=title,
        link=link,
        feed_url=feed_url,
        feed_id=feed_id,
        description=description,
        language=language,
        order=order,
        limit=limit,
    )
    return atom_bytes(feed_entries(clippings, settings), settings)


def to_rss(
    clippings: FeedItems,
    *,
    title: str,
    link: str | None = None,
    feed_url: str | None = None,
    description: str | None = None,
    language: str | None = None,
    order: Order = "newest",
    limit: int | None = None,
) -> bytes:
    """An RSS 2.0 feed (UTF-8 bytes) with an item per clipping.

    The options are those of `to_json_feed`. RSS requires a channel link
    and description: without ``link``, the feed URL (else clipdoc's site);
    without ``description``, the title.
    """
    settings = FeedSettings(
        title=title,
        link=link,
        feed_url=feed_url,
        description=description,
        language=language,
        order=order,
        limit=limit,
    )
    return rss_bytes(feed_entries(clippings, settings), settings)
