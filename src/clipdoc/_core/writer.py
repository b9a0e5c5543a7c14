"""Writing clipping documents: the canonical text of a `Clipping`."""

from __future__ import annotations

from .escape import escape_body
from .model import Clipping, Metadata, metadata_items
from .syntax import (
    AI_SUMMARY,
    CATALOG_DATE,
    ITEM_PREFIX,
    KEY_END,
    KIND,
    METADATA,
    ORIGINAL_SUMMARY,
    SAVED_AT,
    SOURCE,
    TITLE_PREFIX,
    URL_PREFIX,
)
from .timestamps import format_date, format_timestamp


def render_document(clipping: Clipping) -> str:
    """The canonical document: the producer's template, parts joined by one
    blank line, ending with a newline [CAN-1] to [CAN-5] [EOL-1]."""
    url, original, ai_summary, metadata = (
        clipping.url,
        clipping.original_summary,
        clipping.ai_summary,
        clipping.metadata,
    )
    if (
        url is not None
        and original is not None
        and ai_summary is not None
        and metadata is not None
        and not clipping.extra_sections
    ):
        # The producer's layout, nearly every real document: its fixed text
        # and the values joined at once.
        return "".join(
            (
                TITLE_PREFIX,
                clipping.title,
                _BEFORE_URL,
                url,
                _BEFORE_ORIGINAL_SUMMARY,
                escape_body(original),
                _BEFORE_AI_SUMMARY,
                escape_body(ai_summary),
                _BEFORE_METADATA,
                _metadata_text(metadata),
                "\n",
            )
        )
    return render_any_layout(clipping)


def render_any_layout(clipping: Clipping) -> str:
    """`render_document` for any clipping, without the producer's layout's
    shortcut."""
    # One list of pieces and one join: a large body is copied once, not once
    # per concatenation.
    pieces = [TITLE_PREFIX, clipping.title]
    if clipping.url is not None:
        pieces += (_BEFORE_URL, clipping.url)
    if clipping.original_summary is not None:
        _section(pieces, ORIGINAL_SUMMARY, escape_body(clipping.original_summary))
    if clipping.ai_summary is not None:
        _section(pieces, AI_SUMMARY, escape_body(clipping.ai_summary))
    for section in clipping.extra_sections:
        _section(pieces, section.heading, escape_body(section.body))
    if clipping.metadata is not None:
        _section(pieces, METADATA, _metadata_text(clipping.metadata))
    pieces.append("\n")
    return "".join(pieces)


# The fixed text between the values of the producer's layout.
_BEFORE_URL = f"\n\n{URL_PREFIX} "
_BEFORE_ORIGINAL_SUMMARY, _BEFORE_AI_SUMMARY, _BEFORE_METADATA = (
    f"\n\n## {heading}\n\n" for heading in (ORIGINAL_SUMMARY, AI_SUMMARY, METADATA)
)


def _section(pieces: list[str], heading: str, content: str) -> None:
    pieces += ("\n\n## ", heading, "\n\n", content) if heading else ("\n\n##\n\n", content)


def _items(metadata: Metadata) -> list[str]:
    """The metadata lines, known items first [MET-2]."""
    return [f"{ITEM_PREFIX}{key}{KEY_END} {value}" for key, value in metadata_items(metadata)]


# The fixed text before each of the producer's four items, in canonical order.
_BEFORE_SOURCE, _BEFORE_KIND, _BEFORE_SAVED_AT, _BEFORE_CATALOG_DATE = (
    f"{separator}{ITEM_PREFIX}{label}{KEY_END} "
    for separator, label in (("", SOURCE), ("\n", KIND), ("\n", SAVED_AT), ("\n", CATALOG_DATE))
)


def _metadata_text(metadata: Metadata) -> str:
    """The metadata section's text; the producer's four items, the usual
    case, are joined at once."""
    source, kind, saved_at, catalog_date = (
        metadata.source,
        metadata.kind,
        metadata.saved_at,
        metadata.catalog_date,
    )
    if (
        not metadata.extra
        and source is not None
        and kind is not None
        and saved_at is not None
        and catalog_date is not None
    ):
        return "".join(
            (
                _BEFORE_SOURCE,
                source,
                _BEFORE_KIND,
                kind,
                _BEFORE_SAVED_AT,
                format_timestamp(saved_at),
                _BEFORE_CATALOG_DATE,
                format_date(catalog_date),
            )
        )
    return "\n".join(_items(metadata))
