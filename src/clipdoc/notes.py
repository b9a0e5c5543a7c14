"""Markdown notes with YAML front matter, as Obsidian and static-site
generators keep them.

`to_note` writes the front matter with the property names of Obsidian Web
Clipper's default template, typed as it types them (``created`` and
``published`` are dates, ``tags`` and ``author`` lists), followed by the
clipping document itself, which any Markdown editor shows as it is. Needs
the ``notes`` extra: ``pip install 'clipdoc[notes]'`` (PyYAML).

=============== ==============================================================
property        from the clipping
=============== ==============================================================
``title``       the title
``source``      the URL
``author``      the 作者 item, as ``[[name]]`` links (omitted without one)
``published``   the date of the 发布时间 item (empty without one)
``created``     the catalog date, else the date of the save time
``description`` the AI summary, on one line, at most 200 characters
``tags``        ``clippings``, then the 标签 item's tags
=============== ==============================================================

`from_note` reads such a note back exactly (the body is the document). A
note that Web Clipper itself made (front matter, then the page as Markdown)
becomes a clipping too: title and URL from ``title`` and ``source``, the
body as the original summary, ``description`` as the AI summary, the
``created`` date as the catalog date, and ``author``, ``published`` and
``tags`` as the 作者, 发布时间 and 标签 items.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from ._core.errors import ClipdocError
from ._core.model import Clipping, Metadata
from ._core.read import has_error, read_document
from ._core.writer import render_document
from ._interop.feed_terms import AUTHOR, PUBLISHED, TAGS

__all__ = ["from_note", "to_note"]

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*(?:\r?\n|\Z)", re.DOTALL | re.MULTILINE)
_WIKILINK = re.compile(r"\A\[\[(.*)\]\]\Z")
_DEFAULT_TAG = "clippings"
_DESCRIPTION_LIMIT = 200


def _yaml() -> Any:
    try:
        import yaml
    except ImportError:
        raise ImportError("notes need PyYAML: pip install 'clipdoc[notes]'") from None
    return yaml


def to_note(clipping: Clipping) -> str:
    """The note of a clipping: front matter, then the clipping document.

    >>> from datetime import date
    >>> from clipdoc import Clipping, Metadata
    >>> clip = Clipping(title="A post", url="https://example.com/1", ai_summary="Short.",
    ...                 metadata=Metadata(catalog_date=date(2025, 5, 6)))
    >>> print(to_note(clip), end="")
    ---
    title: A post
    source: https://example.com/1
    published:
    created: 2025-05-06
    description: Short.
    tags:
    - clippings
    ---
    # A post
    <BLANKLINE>
    **URL**: https://example.com/1
    <BLANKLINE>
    ## AI 摘要
    <BLANKLINE>
    Short.
    <BLANKLINE>
    ## 元数据
    <BLANKLINE>
    - **目录日期**: 2025-05-06
    >>> from_note(to_note(clip)) == clip
    True
    """
    if not isinstance(clipping, Clipping):
        raise TypeError(f"to_note() takes a Clipping, not {type(clipping).__name__}")
    yaml = _yaml()
    metadata = clipping.metadata or Metadata()
    properties: dict[str, Any] = {"title": clipping.title, "source": clipping.url or ""}
    author = metadata.get(AUTHOR)
    if author:
        properties["author"] = [f"[[{name.strip()}]]" for name in author.split(",") if name.strip()]
    properties["published"] = _date_of(metadata.get(PUBLISHED))
    created = metadata.catalog_date or (metadata.saved_at.date() if metadata.saved_at else None)
    properties["created"] = created
    description = " ".join((clipping.ai_summary or "").split())
    if len(description) > _DESCRIPTION_LIMIT:
        description = description[: _DESCRIPTION_LIMIT - 1] + "…"
    properties["description"] = description
    tags = [_DEFAULT_TAG]
    for tag in (metadata.get(TAGS) or "").split(","):
        tag = tag.strip()
        if tag and tag not in tags:
            tags.append(tag)
    properties["tags"] = tags
    front = yaml.safe_dump(properties, allow_unicode=True, sort_keys=False, width=2**31 - 1)
    front = front.replace(": null\n", ":\n")
    return f"---\n{front}---\n{render_document(clipping)}"


def _date_of(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            return None


def from_note(text: str) -> Clipping:
    """The clipping of a note: exactly the one `to_note` wrote, or one made
    from a Web Clipper note's properties and body. A text without front
    matter, or whose front matter is not a YAML mapping, is a `ClipdocError`
    (CD601)."""
    if not isinstance(text, str):
        raise TypeError(f"from_note() takes a str, not {type(text).__name__}")
    yaml = _yaml()
    match = _FRONT_MATTER.match(text.removeprefix("\ufeff"))
    if match is None:
        raise ClipdocError("CD601", "not a note: no front matter between '---' lines at the start")
    try:
        properties = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        raise ClipdocError("CD601", f"the front matter is not YAML: {exc}") from None
    if not isinstance(properties, dict):
        raise ClipdocError("CD601", "the front matter is not a mapping of properties")
    body = text.removeprefix("\ufeff")[match.end() :]
    clipping, diagnostics = read_document(body)
    # A note to_note wrote: its body is the document, and its title property
    # what to_note writes for that document's title.
    if not has_error(diagnostics) and properties.get("title") == _as_yaml_reads(clipping.title):
        return clipping
    return _from_properties(properties, body)


def _as_yaml_reads(text: str) -> object:
    """``text`` as YAML reads it back after writing it (YAML folds some
    characters, such as U+0085, that a title may hold)."""
    yaml = _yaml()
    return yaml.safe_load(yaml.safe_dump({"title": text}, allow_unicode=True, width=2**31 - 1))[
        "title"
    ]


def _text(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, list):
        return ", ".join(_plain(item) for item in value if item is not None)
    return _plain(value)


def _plain(value: object) -> str:
    text = value.isoformat() if isinstance(value, (date, datetime)) else str(value)
    link = _WIKILINK.match(text)
    return " ".join((link.group(1) if link else text).split())


def _from_properties(properties: dict[str, Any], body: str) -> Clipping:
    created = properties.get("created")
    catalog = created.date() if isinstance(created, datetime) else created
    if not isinstance(catalog, date):
        catalog = _date_of(str(created)) if created else None
    extra = []
    for label, value in (
        (PUBLISHED, properties.get("published")),
        (AUTHOR, properties.get("author")),
        (TAGS, [t for t in properties.get("tags") or [] if t != _DEFAULT_TAG]
         if isinstance(properties.get("tags"), list) else properties.get("tags")),
    ):  # fmt: skip
        shown = _text(value)
        if shown:
            extra.append((label, shown))
    description = _text(properties.get("description"))
    return Clipping(
        title=_text(properties.get("title")) or "",
        url=_text(properties.get("source") or properties.get("url")),
        original_summary=body.strip("\n") if body.strip() else None,
        ai_summary=description,
        metadata=Metadata(catalog_date=catalog, extra=extra),
    )
