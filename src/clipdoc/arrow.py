"""Clippings as Apache Arrow tables and Parquet files, without loss.

One schema, `SCHEMA`, holds the fields of `clipdoc.to_record` plus ``path``:
``saved_at`` is a UTC timestamp (microseconds) with the original offset in
``saved_at_offset`` (minutes), ``catalog_date`` a ``date32``, extra sections
and metadata items lists of structs; strings stay strings. Every valid
clipping comes back equal (and so renders to the same bytes). Needs the
``arrow`` extra: ``pip install 'clipdoc[arrow]'``.

Writing and reading stream in record batches, so memory stays bounded for a
collection of any size.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import IO, TYPE_CHECKING, Any

from ._core.model import Clipping
from ._core.records import to_record
from ._interop.tables import RowError, file_rows, table_rows
from ._storage.collection import Entry
from ._storage.names import clipping_path

if TYPE_CHECKING:
    import pyarrow

__all__ = [
    "SCHEMA",  # noqa: F822 - built on first use, by __getattr__
    "from_table",
    "read_parquet",
    "rows",
    "schema",
    "to_table",
    "write_parquet",
]

#: How many clippings go into one record batch when writing.
BATCH_SIZE = 512


def _pyarrow() -> Any:
    try:
        import pyarrow
    except ImportError:
        raise ImportError("Arrow and Parquet need pyarrow: pip install 'clipdoc[arrow]'") from None
    return pyarrow


def schema() -> pyarrow.Schema:
    """The Arrow schema of clippings (also `SCHEMA`, built on first use)."""
    pa = _pyarrow()
    pair = pa.struct(
        [pa.field("heading", pa.string(), False), pa.field("body", pa.string(), False)]
    )
    item = pa.struct([pa.field("key", pa.string(), False), pa.field("value", pa.string(), False)])
    return pa.schema(
        [
            pa.field("path", pa.string()),
            pa.field("title", pa.string(), False),
            pa.field("url", pa.string()),
            pa.field("original_summary", pa.string()),
            pa.field("ai_summary", pa.string()),
            pa.field("extra_sections", pa.list_(pa.field("item", pair, False)), False),
            pa.field("has_metadata", pa.bool_(), False),
            pa.field("source", pa.string()),
            pa.field("kind", pa.string()),
            pa.field("saved_at", pa.timestamp("us", tz="UTC")),
            pa.field("saved_at_offset", pa.int16()),
            pa.field("catalog_date", pa.date32()),
            pa.field("extra", pa.list_(pa.field("item", item, False)), False),
        ],
        metadata={b"clipdoc": b"clipping records 1"},
    )


def __getattr__(name: str) -> Any:
    # SCHEMA is built on first use, so that importing this module does not
    # import pyarrow.
    if name == "SCHEMA":
        return schema()
    raise AttributeError(name)


def _rows(items: Iterable[Clipping | Entry | tuple[str, Clipping]]) -> Iterator[dict[str, Any]]:
    if isinstance(items, (Clipping, Entry)):
        raise TypeError("pass an iterable of clippings or entries, not one: [item]")
    for index, item in enumerate(items):
        if isinstance(item, Entry):
            if item.clipping is not None:
                yield to_record(item.path, item.clipping)
        elif isinstance(item, Clipping):
            yield to_record(_path_of(item), item)
        elif isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], Clipping):
            yield to_record(item[0], item[1])
        else:
            raise TypeError(
                f"items[{index}] must be a Clipping, an Entry or a (path, Clipping) pair,"
                f" not {type(item).__name__}"
            )


def _path_of(clipping: Clipping) -> str | None:
    try:
        return clipping_path(clipping)
    except ValueError:
        return None  # no catalog date: no producer path


def to_table(items: Iterable[Clipping | Entry | tuple[str, Clipping]]) -> pyarrow.Table:
    """A table of clippings: `Clipping` objects (``path`` is where the
    producer would write them, null without a catalog date), collection
    `Entry` objects (entries with errors are left out) or ``(path, clipping)``
    pairs.

    >>> import clipdoc
    >>> table = to_table(clipdoc.Collection("examples"))
    >>> table.num_rows, table.column("saved_at").type
    (1, TimestampType(timestamp[us, tz=UTC]))
    >>> list(from_table(table)) == [clipdoc.load("examples/seed.md")]
    True
    """
    pa = _pyarrow()
    return pa.Table.from_pylist(list(_rows(items)), schema=schema())


def rows(table: pyarrow.Table | pyarrow.RecordBatch) -> Iterator[tuple[str | None, Clipping]]:
    """``(path, clipping)`` for every row, in order.

    A row that cannot become a clipping (a null title, a UTC offset of a day
    or more, a date Python cannot hold) is a `ValueError` that names it,
    ``row N`` counting from 1; so is a table without the columns of
    clippings.
    """
    for _, row in table_rows(table):
        if isinstance(row, RowError):
            raise row
        yield row


def from_table(table: pyarrow.Table | pyarrow.RecordBatch) -> Iterator[Clipping]:
    """The clipping of every row, in order."""
    for _, clipping in rows(table):
        yield clipping


def write_parquet(
    items: Iterable[Clipping | Entry | tuple[str, Clipping]],
    where: str | os.PathLike[str] | IO[bytes],
    *,
    batch_size: int = BATCH_SIZE,
) -> int:
    """Write clippings to a Parquet file in record batches (memory stays
    bounded); returns how many rows were written."""
    pa = _pyarrow()
    import pyarrow.parquet as parquet

    arrow_schema = schema()
    count = 0
    with parquet.ParquetWriter(where, arrow_schema) as writer:
        batch: list[dict[str, Any]] = []
        for row in _rows(items):
            batch.append(row)
            if len(batch) >= batch_size:
                writer.write_batch(pa.RecordBatch.from_pylist(batch, schema=arrow_schema))
                count += len(batch)
                batch = []
        if batch or not count:
            writer.write_batch(pa.RecordBatch.from_pylist(batch, schema=arrow_schema))
            count += len(batch)
    return count


def read_parquet(
    source: str | os.PathLike[str] | IO[bytes], *, batch_size: int = BATCH_SIZE
) -> Iterator[tuple[str | None, Clipping]]:
    """``(path, clipping)`` for every row of a Parquet file, one record
    batch in memory at a time.

    A file that is not Parquet, is damaged or has not the columns of
    clippings is a `ValueError`; a row that cannot become a clipping too,
    naming it (``row N``, counting from 1 over the whole file). The rows
    before it have been given.
    """
    _pyarrow()
    for _, row in file_rows(source, batch_size=batch_size):
        if isinstance(row, RowError):
            raise row
        yield row
