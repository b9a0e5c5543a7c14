"""Writing clipping documents: the canonical text of a `Clipping`."""

from __future__ import annotations

from ._escape import escape_body
from ._model import Clipping, Metadata, metadata_items
from ._syntax import (
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
from ._timestamps import format_date, format_timestamp


def render_document(clipping: Clipping) -> str:
    """The canonical document: the producer's template, parts joined by one
    blank line, ending with a newline [CAN-1] to [CAN-5] [EOL-1]."""
    # One list of pieces and one join: a large body is copied once, not once
    # per concatenation.
    pieces = [TITLE_PREFIX, clipping.title]
    if clipping.url is not None:
        pieces += ("\n\n", URL_PREFIX, " ", clipping.url)
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


def _section(pieces: list[str], heading: str, content: str) -> None:
    pieces += ("\n\n## ", heading, "\n\n", content) if heading else ("\n\n##\n\n", content)


def _items(metadata: Metadata) -> list[str]:
    """The metadata lines, known items first [MET-2]."""
    return [f"{ITEM_PREFIX}{key}{KEY_END} {value}" for key, value in metadata_items(metadata)]


# The producer's four items, in canonical order, as one template.
_FOUR_ITEMS = (
    f"{ITEM_PREFIX}{SOURCE}{KEY_END} {{}}\n{ITEM_PREFIX}{KIND}{KEY_END} {{}}\n"
    f"{ITEM_PREFIX}{SAVED_AT}{KEY_END} {{}}\n{ITEM_PREFIX}{CATALOG_DATE}{KEY_END} {{}}"
)


def _metadata_text(metadata: Metadata) -> str:
    """The metadata section's text; the producer's four items, the usual
    case, are filled into one template."""
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
        return _FOUR_ITEMS.format(
            source, kind, format_timestamp(saved_at), format_date(catalog_date)
        )
    return "\n".join(_items(metadata))
