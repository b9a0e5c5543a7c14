"""Notes out: the front-matter properties a clipping shows, named and typed
as Obsidian Web Clipper's default template names and types them, and the
note itself (those properties, then the clipping document)."""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime
from typing import Any

from .._core.model import Clipping, Metadata
from .._core.writer import render_document
from .feed_terms import AUTHOR, PUBLISHED, TAGS

# The properties of Web Clipper's default template, in its order.
TITLE = "title"
SOURCE = "source"
AUTHORS = "author"
PUBLISHED_ON = "published"
CREATED = "created"
DESCRIPTION = "description"
TAG_LIST = "tags"
#: Every property `to_note` writes.
WRITTEN = (TITLE, SOURCE, AUTHORS, PUBLISHED_ON, CREATED, DESCRIPTION, TAG_LIST)
#: The property that says what the others showed when the note was written
#: (a short hash of each), so that reading tells an edit of a property from
#: a property left as it was while the body was edited; then a digest of
#: the rest of the note, so that reading a note as it was written need not
#: read its properties at all.
FINGERPRINT = "clipdoc"
FINGERPRINT_VERSION = "v2-"
#: The version before the digest: the per-property hashes alone.
_FIRST_VERSION = "v1-"
_HASH_LENGTH = 6  # hex digits per property
_DIGEST_LENGTH = 16  # hex digits of the note's digest

#: The tag Web Clipper gives every note; `to_note` writes it first.
DEFAULT_TAG = "clippings"
#: The most characters of the AI summary that ``description`` shows.
DESCRIPTION_LIMIT = 200
# As wide as PyYAML allows: a value is never folded across lines.
_ONE_LINE_WIDTH = 2**31 - 1


def yaml_module() -> Any:
    """PyYAML, imported when a note is first read or written."""
    try:
        import yaml
    except ImportError:
        raise ImportError("notes need PyYAML: pip install 'clipdoc[notes]'") from None
    return yaml


def author_names(metadata: Metadata) -> list[str]:
    """The names of the 作者 items, one each (a name may hold commas)."""
    return [text.strip() for key, text in metadata.extra if key == AUTHOR and text.strip()]


def tag_names(metadata: Metadata) -> list[str]:
    """The ``tags`` of the 标签 items: the default tag, then each other tag
    once (a tag holds no comma in Obsidian: an item ``a, b`` is two tags)."""
    tags = [DEFAULT_TAG]
    for key, text in metadata.extra:
        if key != TAGS:
            continue
        for tag in text.split(","):
            tag = tag.strip()
            if tag and tag not in tags:
                tags.append(tag)
    return tags


def description_of(ai_summary: str | None) -> str:
    """The AI summary on one line, shortened to `DESCRIPTION_LIMIT` characters."""
    description = " ".join((ai_summary or "").split())
    if len(description) > DESCRIPTION_LIMIT:
        description = description[: DESCRIPTION_LIMIT - 1] + "…"
    return description


def date_of(text: str | None) -> date | None:
    """The date a 发布时间 text starts with, if it is a date or a timestamp."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            return None


def properties(clipping: Clipping) -> dict[str, Any]:
    """The front-matter properties of a clipping's note, in order."""
    metadata = clipping.metadata or Metadata()
    shown: dict[str, Any] = {TITLE: clipping.title, SOURCE: clipping.url or ""}
    authors = author_names(metadata)
    if authors:
        shown[AUTHORS] = [f"[[{name}]]" for name in authors]
    shown[PUBLISHED_ON] = date_of(metadata.get(PUBLISHED))
    saved_on = metadata.saved_at.date() if metadata.saved_at else None
    shown[CREATED] = metadata.catalog_date or saved_on
    shown[DESCRIPTION] = description_of(clipping.ai_summary)
    shown[TAG_LIST] = tag_names(metadata)
    return shown


def front_matter(clipping: Clipping) -> str:
    """The YAML of a clipping's properties, empty values written as Obsidian
    writes them (``published:``, not ``published: null``)."""
    yaml = yaml_module()
    text: str = yaml.safe_dump(
        properties(clipping), allow_unicode=True, sort_keys=False, width=_ONE_LINE_WIDTH
    )
    return text.replace(": null\n", ":\n")


def view_hash(view: object) -> str:
    """A short hash of what a property shows (its text, its list of texts,
    or None when empty)."""
    digest = hashlib.blake2b(repr(view).encode("utf-8", "surrogatepass"), digest_size=4)
    return digest.hexdigest()[:_HASH_LENGTH]


def fingerprint(views: dict[str, object]) -> str:
    """The `FINGERPRINT` property's value for the views a note shows."""
    return FINGERPRINT_VERSION + "".join(view_hash(views.get(name)) for name in WRITTEN)


def note_digest(front: str, hashes: str, body: str) -> str:
    """The digest a note's fingerprint ends with: of its front matter but
    the fingerprint's own line, the fingerprint's ``hashes`` and its body."""
    text = f"{front}\0{hashes}\0{body}".encode("utf-8", "surrogatepass")
    return hashlib.blake2b(text, digest_size=_DIGEST_LENGTH // 2).hexdigest()


#: The last line of the front matter of a note as `to_note` wrote it.
FINGERPRINT_LINE = re.compile(
    f"{FINGERPRINT}: {FINGERPRINT_VERSION}([0-9a-f]{{{_HASH_LENGTH * len(WRITTEN)}}})"
    f"-([0-9a-f]{{{_DIGEST_LENGTH}}})\n"
)


def shown_hashes(value: str) -> dict[str, str] | None:
    """The hash of each property a `fingerprint` holds; None for a value that
    is not one (edited, or of another version)."""
    if value.startswith(FINGERPRINT_VERSION):
        hashes, dash, digest = value.removeprefix(FINGERPRINT_VERSION).partition("-")
        if not dash or len(digest) != _DIGEST_LENGTH:
            return None
    else:
        hashes = value.removeprefix(_FIRST_VERSION)
    if hashes == value or len(hashes) != _HASH_LENGTH * len(WRITTEN):
        return None
    if any(char not in "0123456789abcdef" for char in hashes):
        return None
    return {
        name: hashes[number * _HASH_LENGTH : (number + 1) * _HASH_LENGTH]
        for number, name in enumerate(WRITTEN)
    }


def note_text(clipping: Clipping, views: dict[str, object]) -> str:
    """The note of a clipping: front matter, with the `fingerprint` of the
    ``views`` it shows (as reading gives them), then the clipping document."""
    front, body = front_matter(clipping), render_document(clipping)
    hashes = fingerprint(views)
    stamp = f"{hashes}-{note_digest(front, hashes, body)}"
    return f"---\n{front}{FINGERPRINT}: {stamp}\n---\n{body}"
