"""Writing clipping documents: the canonical text of a `Clipping`."""

from __future__ import annotations

from ._escape import escape_body
from ._model import Clipping, Metadata
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
    blank line, ending with a newline."""
    parts = [TITLE_PREFIX + clipping.title]
    if clipping.url is not None:
        parts.append(f"{URL_PREFIX} {clipping.url}")
    if clipping.original_summary is not None:
        parts.append(_section(ORIGINAL_SUMMARY, escape_body(clipping.original_summary)))
    if clipping.ai_summary is not None:
        parts.append(_section(AI_SUMMARY, escape_body(clipping.ai_summary)))
    for section in clipping.extra_sections:
        parts.append(_section(section.heading, escape_body(section.body)))
    if clipping.metadata is not None:
        parts.append(_section(METADATA, "\n".join(_items(clipping.metadata))))
    return "\n\n".join(parts) + "\n"


def _section(heading: str, content: str) -> str:
    heading_line = f"## {heading}" if heading else "##"
    return f"{heading_line}\n\n{content}"


def _items(metadata: Metadata) -> list[str]:
    items: list[tuple[str, str]] = []
    if metadata.source is not None:
        items.append((SOURCE, metadata.source))
    if metadata.kind is not None:
        items.append((KIND, metadata.kind))
    if metadata.saved_at is not None:
        items.append((SAVED_AT, format_timestamp(metadata.saved_at)))
    if metadata.catalog_date is not None:
        items.append((CATALOG_DATE, format_date(metadata.catalog_date)))
    items.extend(metadata.extra)
    return [f"{ITEM_PREFIX}{key}{KEY_END} {value}" for key, value in items]
