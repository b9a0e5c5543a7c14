"""What each field of a feed entry becomes: the mapping that
docs/interop.md and the spec's section 17.1 tabulate, for feedparser's
entries (RSS, Atom) and JSON Feed items alike.

An entry gives its `Fields`: the title, URL, summary and contents, and
metadata items in the table's order; `clipping_of` turns them into a
`Clipping`. Every field an entry has goes somewhere: those the table names
to their own labels, any other to an item labelled with its own name."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from html.parser import HTMLParser
from typing import Any

import attrs

from .._core.model import Clipping, Metadata, Section
from .._core.syntax import KEY_END, KNOWN_LABELS
from .._core.timestamps import TimestampProblem, format_timestamp, parse_timestamp
from .feed_terms import (
    AUTHOR,
    AUTHOR_AVATAR,
    BANNER_IMAGE,
    CONTRIBUTOR,
    DURATION,
    ENCLOSURES,
    EPISODE,
    EPISODE_TYPE,
    EXTERNAL_URL,
    FULL_TEXT,
    IDENTIFIER,
    IMAGE,
    LANGUAGE,
    LINK,
    PUBLISHED,
    RIGHTS,
    SEASON,
    TAGS,
    THUMBNAIL,
    UPDATED,
)

_LINE_BREAKS = re.compile(r"[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_WRAPPED = re.compile(r"[ \t]*[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+[ \t]*")
_SPACES = re.compile(r"\s")
_DIGITS = re.compile(r"[0-9]+(?:\.[0-9]+)?")

#: How deep `Fields.other` follows nested values before it writes the rest
#: as one line of JSON.
_DEPTH = 4


def one_line(value: object) -> str | None:
    """``value`` as text on one line: line breaks become spaces, and the
    spaces at either end go."""
    if value is None:
        return None
    return _LINE_BREAKS.sub(" ", value if isinstance(value, str) else str(value)).strip()


def _unwrapped(text: str) -> str:
    """A title a feed wrapped onto lines (arXiv's API indents each next
    line): one space where each line break and the spaces around it were."""
    return _WRAPPED.sub(" ", text)


def _member(mapping: Mapping[str, Any], name: str) -> Any:
    """``mapping.get(name)``; with `dict.get` for a dict, as feedparser's
    are: theirs answers some names with other fields, and slowly."""
    return dict.get(mapping, name) if isinstance(mapping, dict) else mapping.get(name)


def _as_text(value: object) -> str | None:
    """A scalar as a document shows it: a str as it is (a lone surrogate,
    which JSON can escape and no document can hold, as U+FFFD), a number or
    boolean as JSON writes it; None for what is absent or not a scalar."""
    if isinstance(value, str):
        return _whole(value)
    if isinstance(value, (bool, int, float)):
        return json.dumps(value)
    return None


@attrs.define
class Fields:
    """What one entry gives, in the places it goes."""

    title: str = ""
    url: str | None = None
    #: The original summary; the first of ``contents`` when None.
    summary: str | None = None
    #: Full contents (the extra sections 全文), in the order given.
    contents: list[str] = attrs.Factory(list)
    items: list[tuple[str, str]] = attrs.Factory(list)
    #: The items as a set: whether one is there already, in constant time.
    held: set[tuple[str, str]] = attrs.Factory(set)

    def add(self, label: str, value: object) -> None:
        """An item ``label: value``, on one line; nothing when the value is
        empty or absent, or when the entry already has this very item."""
        text = one_line(_as_text(value))
        if text and (label, text) not in self.held:
            self.held.add((label, text))
            self.items.append((label, text))

    def add_all(self, label: str, values: Iterable[object]) -> None:
        """An item ``label: value`` for each value (see `add`)."""
        for value in values:
            self.add(label, value)

    def add_contents(self, contents: Iterable[object]) -> None:
        """Each content (a str) that is neither the summary nor one before."""
        for content in contents:
            if isinstance(content, str) and content not in (self.summary, *self.contents):
                self.contents.append(content)

    def add_identifier(self, identifier: object) -> None:
        """标识符: the entry's id (RSS guid), unless it is the URL."""
        text = _as_text(identifier)
        if one_line(text) != self.url:
            self.add(IDENTIFIER, text)

    def add_described(self, label: str, attributes: object, *, url_names: Iterable[str]) -> None:
        """An item for a linked object (an enclosure, thumbnail, image...):
        its URL, then what else the feed says of it (see `described`)."""
        if isinstance(attributes, Mapping):
            self.add(label, described(attributes, url_names))

    def other(self, name: str, value: object, depth: int = 0) -> None:
        """A field the table does not name, labelled with its own name
        (nested members ``name.member``, one item per list element)."""
        if isinstance(value, Mapping):
            if depth >= _DEPTH:
                self.add(label_of(name), _json_line(value))
                return
            for member, inner in value.items():
                if not _derived(str(member)):
                    self.other(f"{name}.{member}", inner, depth + 1)
        elif isinstance(value, list):
            if depth >= _DEPTH:
                self.add(label_of(name), _json_line(value))
                return
            for element in value:
                self.other(name, element, depth + 1)
        elif isinstance(value, tuple):  # such as feedparser's coordinates: one value
            self.add(label_of(name), _json_line(value))
        elif not isinstance(value, time.struct_time):  # feedparser's parsed dates
            self.add(label_of(name), _as_text(value) if value is not None else None)


def label_of(name: str) -> str:
    """A field's name as a metadata label: as it is, unless the document
    could not hold it as one (empty, a line break, a known label such as
    来源, or ``**:``); then it is written as a JSON string, ``*`` escaped."""
    writable = name and "\n" not in name and "\r" not in name and KEY_END not in name
    if writable and name not in KNOWN_LABELS:
        return name
    return json.dumps(name, ensure_ascii=False).replace("*", "\\u002a")


def _json_line(value: object) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (RecursionError, ValueError):
        return "(nested too deeply to show)"


def _derived(name: str) -> bool:
    # What feedparser adds beside a field (its type, language, base, parsed
    # date): the field itself is kept.
    return name.endswith(("_detail", "_parsed"))


def described(attributes: Mapping[str, Any], url_names: Iterable[str]) -> str | None:
    """A linked object as one item: its URL (spaces as ``%20``, so that the
    URL is the first word), then in parentheses what else is known of it,
    separated by ``, ``: the media type, ``N bytes``, ``N s``, ``W×H``, any
    other attribute as ``name=value``, and last its title in quotes."""
    names = tuple(url_names)
    urls = [value for name in names if isinstance(value := _member(attributes, name), str)]
    url = next((one_line(value) for value in urls if value.strip()), None)
    if url is None:
        return None
    shown = {
        str(name): text
        for name, value in attributes.items()
        if name not in names and not _derived(str(name)) and (text := _shown(value))
    }
    parts = _details(shown)
    url = _SPACES.sub("%20", url)
    return f"{url} ({', '.join(parts)})" if parts else url


#: Attributes shown with their unit when they are numbers.
_UNITS = {
    "length": "bytes",
    "size_in_bytes": "bytes",
    "filesize": "bytes",
    "duration": "s",
    "duration_in_seconds": "s",
}


def _details(shown: dict[str, str]) -> list[str]:
    """What `described` shows in parentheses, in its order; ``shown`` holds
    the attributes, each as one non-empty line."""
    parts = [shown.pop(name) for name in ("type", "mime_type") if name in shown]
    for name, unit in _UNITS.items():
        if name in shown:
            value = shown.pop(name)
            parts.append(f"{value} {unit}" if _DIGITS.fullmatch(value) else f"{name}={value}")
    if "width" in shown and "height" in shown:
        parts.append(f"{shown.pop('width')}×{shown.pop('height')}")
    title = shown.pop("title", None)
    parts += [f"{name}={value}" for name, value in shown.items()]
    if title is not None:
        parts.append(f'"{title}"')
    return parts


def _shown(value: object) -> str | None:
    """An attribute's value on one line: a scalar as `_as_text` gives it,
    anything else as JSON."""
    text = _as_text(value) if not isinstance(value, (Mapping, list, tuple)) else _json_line(value)
    return one_line(text) or None


def person(detail: object) -> str | None:
    """An author as one item: ``Name <email> (url)``, each part only when
    given."""
    if not isinstance(detail, Mapping):
        return None
    name, email = _as_text(_member(detail, "name")), _as_text(_member(detail, "email"))
    url = _as_text(_member(detail, "href")) or _as_text(_member(detail, "url"))
    parts = [name or "", f"<{email}>" if email else "", f"({url})" if url else ""]
    return " ".join(part for part in parts if part) or None


# ------------------------------------------------------------------ RSS, Atom

#: feedparser's names of the fields the table names (and feedparser's own
#: copies of them): the other fields of an entry are kept under their names.
_XML_MAPPED = frozenset(
    {
        "title", "link", "links", "summary", "content", "published", "updated",
        "author", "authors", "contributors", "tags", "id", "guidislink", "image",
        "media_thumbnail", "media_content", "itunes_duration", "itunes_season",
        "itunes_episode", "itunes_episodetype", "rights", "language",
    }
)  # fmt: skip


def xml_entry_fields(entry: dict[str, Any]) -> Fields:
    """The fields of one feedparser entry."""

    def get(name: str) -> Any:
        return dict.get(entry, name)  # see _member

    fields = Fields(
        title=xml_title(get("title"), get("title_detail")) or "",
        url=one_line(_as_text(get("link"))) or None,
        summary=_as_text(get("summary")),
    )
    fields.add_contents(
        _member(content, "value")
        for content in _list(get("content"))
        if isinstance(content, Mapping)
    )
    fields.add(PUBLISHED, _xml_date(get("published_parsed"), get("published")))
    fields.add(UPDATED, _xml_date(get("updated_parsed"), get("updated")))
    fields.add_all(AUTHOR, map(person, _xml_authors(get("authors"))))
    if not _list(get("authors")):
        fields.add(AUTHOR, get("author"))
    fields.add_all(CONTRIBUTOR, map(person, _list(get("contributors"))))
    fields.add_all(TAGS, map(_tag, _list(get("tags"))))
    _xml_links(fields, get("links"))
    for media in _list(get("media_content")):
        fields.add_described(ENCLOSURES, media, url_names=("url",))
    for thumbnail in _list(get("media_thumbnail")):
        fields.add_described(THUMBNAIL, thumbnail, url_names=("url",))
    fields.add_described(IMAGE, get("image"), url_names=("href", "url"))
    for label, name in (
        (DURATION, "itunes_duration"),
        (SEASON, "itunes_season"),
        (EPISODE, "itunes_episode"),
        (EPISODE_TYPE, "itunes_episodetype"),
        (RIGHTS, "rights"),
        (LANGUAGE, "language"),
    ):
        fields.add(label, get(name))
    fields.add_identifier(get("id"))
    for name, value in entry.items():
        if name not in _XML_MAPPED and not _derived(name) and not _author_href(entry, name, value):
            fields.other(name, value)
    return fields


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _xml_authors(authors: object) -> list[Mapping[str, Any]]:
    """feedparser's authors, without the email it copies from an author to
    the next one that has none (an email that repeats the one before it)."""
    found: list[Mapping[str, Any]] = []
    before = None
    for detail in _list(authors):
        if not isinstance(detail, Mapping):
            continue
        email = _member(detail, "email")
        if before is not None and email == before:
            detail = {name: value for name, value in detail.items() if name != "email"}
        found.append(detail)
        before = email
    return found


def xml_title(title: object, detail: object) -> str | None:
    """A title as feedparser gives it (with its detail), as one line of text."""
    text = _as_text(title)
    if text is None:
        return None
    # feedparser gives an HTML title (Atom's type="html", or an RSS title
    # that looks like HTML) as HTML: its text is the title.
    kind = _member(detail, "type") if isinstance(detail, Mapping) else None
    if kind in ("text/html", "application/xhtml+xml") and ("<" in text or "&" in text):
        text = html_text(text)
    return one_line(_unwrapped(text))


class _TextOf(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_text(html: str) -> str:
    """The text of an HTML fragment: its tags left out, its entities and
    character references decoded."""
    parser = _TextOf()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


def _xml_date(parsed: object, text: object) -> str | None:
    """A date as RFC 3339 UTC when feedparser could read it, else as the
    feed wrote it."""
    if isinstance(parsed, time.struct_time):
        try:
            return format_timestamp(datetime(*parsed[:6], tzinfo=timezone.utc))
        except ValueError:
            pass
    return _as_text(text)


def _tag(tag: object) -> str | None:
    if not isinstance(tag, Mapping):
        return None
    term, label = (
        one_line(_as_text(_member(tag, "term"))),
        one_line(_as_text(_member(tag, "label"))),
    )
    if term and label and label != term:
        return f'{term} ("{label}")'
    return term or label


def _xml_links(fields: Fields, links: object) -> None:
    """Enclosures (附件), and every link but the entry's own (链接)."""
    for link in _list(links):
        if not isinstance(link, Mapping):
            continue
        if _member(link, "rel") == "enclosure":
            attributes = {name: value for name, value in link.items() if name != "rel"}
            fields.add_described(ENCLOSURES, attributes, url_names=("href",))
        elif not (
            _member(link, "rel") == "alternate" and one_line(_member(link, "href")) == fields.url
        ):
            fields.add_described(LINK, link, url_names=("href",))


def _author_href(entry: Mapping[str, Any], name: str, value: object) -> bool:
    # feedparser leaves an author's or contributor's uri on the entry as
    # "href" too.
    if name != "href":
        return False
    people = [*_list(_member(entry, "authors")), *_list(_member(entry, "contributors"))]
    return not value or any(
        isinstance(one, Mapping) and _member(one, "href") == value for one in people
    )


# ------------------------------------------------------------------ JSON Feed

#: The members of a JSON Feed item the table names: the others (extensions
#: such as ``_microblog`` too) are kept under their names.
_JSON_MAPPED = frozenset(
    {
        "id", "url", "external_url", "title", "content_html", "content_text", "summary",
        "image", "banner_image", "date_published", "date_modified", "author", "authors",
        "tags", "language", "attachments", "_clipdoc",
    }
)  # fmt: skip


def json_item_fields(item: Mapping[str, Any]) -> Fields:
    """The fields of one JSON Feed item. A member of the wrong JSON type is
    taken as absent where it is mapped, so that one odd member loses
    neither the item nor the feed, and kept under its own name."""
    url, external = _json_string(item, "url"), _json_string(item, "external_url")
    fields = Fields(
        title=one_line(_json_string(item, "title")) or "",
        url=one_line(url or external) or None,
        summary=_json_string(item, "summary"),
    )
    fields.add_contents(_json_string(item, name) for name in ("content_html", "content_text"))
    fields.add(PUBLISHED, _json_date(item, "date_published"))
    fields.add(UPDATED, _json_date(item, "date_modified"))
    _json_authors(fields, item)
    fields.add_all(TAGS, (tag for tag in _json_list(item, "tags") if isinstance(tag, str)))
    for attachment in _json_list(item, "attachments"):
        fields.add_described(ENCLOSURES, attachment, url_names=("url",))
    fields.add(IMAGE, _json_url(item, "image"))
    fields.add(BANNER_IMAGE, _json_url(item, "banner_image"))
    if url and external:  # else the URL
        fields.add(EXTERNAL_URL, _json_url(item, "external_url"))
    fields.add(LANGUAGE, _json_string(item, "language"))
    fields.add_identifier(item.get("id"))
    for name, value in item.items():
        if name not in _JSON_MAPPED:
            fields.other(name, value)
    _keep_misshapen(fields, item)
    return fields


#: The JSON type of each member the table maps (`_clipdoc` aside).
_JSON_KINDS: dict[str, type | tuple[type, ...]] = {
    **dict.fromkeys(
        ("url", "external_url", "title", "content_html", "content_text", "summary", "image",
         "banner_image", "date_published", "date_modified", "language"),
        str,
    ),
    "id": (str, int, float),
    "tags": list,
    "attachments": list,
    "authors": list,
    "author": Mapping,
}  # fmt: skip


def _keep_misshapen(fields: Fields, item: Mapping[str, Any]) -> None:
    """A mapped member of another JSON type than the table's, and a list
    element of another one, kept under its own name, as any other field:
    read as absent where it is mapped, it is not lost."""
    for name, kind in _JSON_KINDS.items():
        value = item.get(name)
        if value is not None and not isinstance(value, kind):
            fields.other(name, value)
    for tag in _json_list(item, "tags"):
        if tag is not None and not isinstance(tag, str):
            fields.other("tags", tag)
    for author in _json_list(item, "authors"):
        if author is not None and not isinstance(author, Mapping):
            fields.other("authors", author)
        elif isinstance(author, Mapping) and not isinstance(author.get("name"), (str, type(None))):
            fields.other("authors.name", author.get("name"))
    for attachment in _json_list(item, "attachments"):
        if attachment is not None and not isinstance(attachment, Mapping):
            fields.other("attachments", attachment)


def _json_authors(fields: Fields, item: Mapping[str, Any]) -> None:
    """作者 for each author with a name, then 作者头像 for each with an
    avatar."""
    authors = _json_list(item, "authors")
    if not authors and "author" in item:  # JSON Feed 1.0 had one author
        authors = [item["author"]]
    people = [author for author in authors if isinstance(author, Mapping)]
    for author in people:
        if isinstance(author.get("name"), str):
            fields.add(AUTHOR, person(author))
    for author in people:
        avatar = {"avatar": author.get("avatar"), "title": author.get("name")}
        fields.add_described(AUTHOR_AVATAR, avatar, url_names=("avatar",))


def _json_string(item: Mapping[str, Any], name: str) -> str | None:
    member = item.get(name)
    return _as_text(member) if isinstance(member, str) else None


def _json_date(item: Mapping[str, Any], name: str) -> str | None:
    """An RFC 3339 date in its canonical form, else as the feed wrote it."""
    text = _json_string(item, name)
    if text is None:
        return None
    try:
        return format_timestamp(parse_timestamp(text)[0])
    except TimestampProblem:
        return text


def _json_url(item: Mapping[str, Any], name: str) -> str | None:
    text = one_line(_json_string(item, name))
    return _SPACES.sub("%20", text) if text else None


def _json_list(item: Mapping[str, Any], name: str) -> list[Any]:
    return _list(item.get(name))


# ------------------------------------------------------------------- clipping


def _whole(text: str) -> str:
    # JSON can escape a lone surrogate, which no document can hold.
    return _LONE_SURROGATE.sub("\ufffd", text)


def clipping_of(
    fields: Fields, *, source: str | None, kind: str | None, when: datetime
) -> Clipping:
    """The clipping of an entry's fields: the summary (else the first
    content) is the original summary, each other content an extra section
    全文; ``source``, ``kind`` and the save time ``when`` are the entry's
    来源, 类型, 保存时间 and 目录日期."""
    contents = [_whole(content) for content in fields.contents]
    summary = None if fields.summary is None else _whole(fields.summary)
    if summary is None and contents:
        summary, contents = contents[0], contents[1:]
    sections = [
        Section(heading=FULL_TEXT if number == 1 else f"{FULL_TEXT} {number}", body=content)
        for number, content in enumerate(contents, start=1)
    ]
    return Clipping(
        title=_whole(fields.title),
        url=None if fields.url is None else _whole(fields.url),
        original_summary=summary,
        extra_sections=sections,
        metadata=Metadata(
            source=source,
            kind=kind,
            saved_at=when,
            catalog_date=when.date(),
            extra=fields.items,
        ),
    )
