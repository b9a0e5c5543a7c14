"""Clippings as flat records: the contract of `Collection.records`,
JSON Lines, Arrow and Parquet."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta, timezone
from typing import Any

from .model import Clipping, Metadata, Section

#: The keys of `Collection.records`, in order; see the documentation of
#: `record` for what each holds.
RECORD_KEYS = (
    "path",
    "title",
    "url",
    "original_summary",
    "ai_summary",
    "extra_sections",
    "has_metadata",
    "source",
    "kind",
    "saved_at",
    "saved_at_offset",
    "catalog_date",
    "extra",
)


def to_record(path: str | None, clipping: Clipping) -> dict[str, Any]:
    """The flat record of one clipping, the contract of `Collection.records`.

    - ``path``: the document's path in the collection, ``/``-separated (None
      when it has none);
    - ``title``: str; ``url``: str, or None when there is no URL line;
    - ``original_summary``, ``ai_summary``: str or None;
    - ``extra_sections``: list of ``{"heading": str, "body": str}``, in order;
    - ``has_metadata``: bool, whether there is a ``## 元数据`` section;
    - ``source``, ``kind``: str or None (来源, 类型);
    - ``saved_at``: `datetime` in UTC (``tzinfo=timezone.utc``) or None;
    - ``saved_at_offset``: int, the original UTC offset in minutes, or None;
    - ``catalog_date``: `date` or None (目录日期);
    - ``extra``: list of ``{"key": str, "value": str}``, in order.

    `from_record` gives the clipping back: nothing is lost.

    >>> from clipdoc import Clipping, Metadata
    >>> from datetime import datetime, timedelta, timezone
    >>> saved = datetime(2025, 3, 24, 12, 54, 42, tzinfo=timezone(timedelta(hours=8)))
    >>> row = to_record("a.md", Clipping(title="t", metadata=Metadata(saved_at=saved)))
    >>> row["saved_at"], row["saved_at_offset"]
    (datetime.datetime(2025, 3, 24, 4, 54, 42, tzinfo=datetime.timezone.utc), 480)
    """
    metadata = clipping.metadata
    saved_at = metadata.saved_at if metadata is not None else None
    offset = saved_at.utcoffset() if saved_at is not None else None
    return {
        "path": path,
        "title": clipping.title,
        "url": clipping.url,
        "original_summary": clipping.original_summary,
        "ai_summary": clipping.ai_summary,
        "extra_sections": [
            {"heading": section.heading, "body": section.body}
            for section in clipping.extra_sections
        ],
        "has_metadata": metadata is not None,
        "source": metadata.source if metadata is not None else None,
        "kind": metadata.kind if metadata is not None else None,
        "saved_at": saved_at.astimezone(timezone.utc) if saved_at is not None else None,
        "saved_at_offset": offset // timedelta(minutes=1) if offset is not None else None,
        "catalog_date": metadata.catalog_date if metadata is not None else None,
        "extra": [{"key": key, "value": value} for key, value in metadata.extra]
        if metadata is not None
        else [],
    }


def from_record(row: Mapping[str, Any]) -> Clipping:
    """The clipping a `to_record` row holds (its ``path`` aside).

    >>> from clipdoc import Clipping
    >>> clip = Clipping(title="t", url="u")
    >>> from_record(to_record("a.md", clip)) == clip
    True
    """
    metadata = None
    if row["has_metadata"]:
        saved_at = row["saved_at"]
        if saved_at is not None:
            offset = timezone(timedelta(minutes=row["saved_at_offset"]))
            saved_at = saved_at.astimezone(offset)
        metadata = Metadata(
            source=row["source"],
            kind=row["kind"],
            saved_at=saved_at,
            catalog_date=row["catalog_date"],
            extra=[(item["key"], item["value"]) for item in row["extra"]],
        )
    return Clipping(
        title=row["title"],
        url=row["url"],
        original_summary=row["original_summary"],
        ai_summary=row["ai_summary"],
        extra_sections=[
            Section(heading=section["heading"], body=section["body"])
            for section in row["extra_sections"]
        ],
        metadata=metadata,
    )
