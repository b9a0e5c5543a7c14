"""Rows of Arrow tables and Parquet files to clippings, one row at a time.

A file written by another tool may hold anything: a null title, a UTC
offset of a week, a date past year 9999. Each row is checked before it
becomes a clipping, and a row that cannot is a `RowError` *value* that
names it, so that a reader can report it and go on with the next row. A
file that holds no clippings at all (not Parquet, damaged, without their
columns) is `UnreadableTable`. pyarrow is imported on first use.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from datetime import date, datetime, timezone
from typing import IO, TYPE_CHECKING, Any

from .._core.errors import ClipdocError
from .._core.model import Clipping
from .._core.records import RECORD_KEYS, from_record

if TYPE_CHECKING:
    import pyarrow

#: A row that became a clipping: its path (None when it has none) and it.
Row = tuple[str | None, Clipping]

#: UTC offsets are less than a day, in minutes.
_OFFSET_LIMIT = 24 * 60
_OPTIONAL_TEXT = ("path", "url", "original_summary", "ai_summary", "source", "kind")


class RowError(ValueError):
    """A row that cannot become a clipping; ``number`` counts from 1."""

    def __init__(self, number: int, problem: str) -> None:
        super().__init__(f"row {number}: {problem}")
        self.number = number
        self.problem = problem


class UnreadableTable(ValueError):
    """A file or table that holds no clippings: not Parquet, damaged, or
    without the columns of clippings."""


def table_rows(
    table: pyarrow.Table | pyarrow.RecordBatch, first: int = 1
) -> Iterator[tuple[int, Row | RowError]]:
    """Every row of ``table`` by its number (from ``first``): a clipping,
    or the `RowError` that says why it cannot be one."""
    check_columns(table.schema.names)
    table, in_utc = _saved_at_without_time_zone(table)
    try:
        values = table.to_pylist()
    except OverflowError:  # a date or time Python cannot hold, in some row
        yield from _one_by_one(table, first, in_utc)
        return
    for number, row in enumerate(values, start=first):
        yield number, checked_row(_with_utc(row) if in_utc else row, number)


def _saved_at_without_time_zone(
    table: pyarrow.Table | pyarrow.RecordBatch,
) -> tuple[pyarrow.Table | pyarrow.RecordBatch, bool]:
    """``table`` with the time zone of its ``saved_at`` timestamps dropped,
    and whether it was: their values are UTC instants either way, and
    pyarrow imports pandas (half a second) to convert timestamps that have
    a time zone."""
    import pyarrow

    field = table.schema.field("saved_at")
    if not pyarrow.types.is_timestamp(field.type) or field.type.tz is None:
        return table, False
    if isinstance(table, pyarrow.RecordBatch):
        table = pyarrow.Table.from_batches([table])
    index = table.schema.get_field_index("saved_at")
    schema = table.schema.set(index, field.with_type(pyarrow.timestamp(field.type.unit)))
    return table.cast(schema), True


def _with_utc(row: dict[str, Any]) -> dict[str, Any]:
    saved_at = row["saved_at"]
    if isinstance(saved_at, datetime):
        row["saved_at"] = saved_at.replace(tzinfo=timezone.utc)
    return row


def file_rows(
    source: str | os.PathLike[str] | IO[bytes], *, batch_size: int
) -> Iterator[tuple[int, Row | RowError]]:
    """Every row of a Parquet file, as `table_rows` gives them, one record
    batch in memory at a time."""
    import pyarrow.parquet as parquet
    from pyarrow.lib import ArrowException

    try:
        # One row group at a time, without read-ahead threads or
        # pre-buffering: memory stays flat however large the file
        # (iter_batches' defaults read ahead and grow with it).
        file = parquet.ParquetFile(source, pre_buffer=False)
        check_columns(file.schema_arrow.names)
        number = 1
        for group in range(file.num_row_groups):
            table = file.read_row_group(group, columns=list(RECORD_KEYS), use_threads=False)
            for batch in table.to_batches(max_chunksize=batch_size):
                yield from table_rows(batch, number)
                number += batch.num_rows
    except ArrowException as error:
        raise UnreadableTable(str(error)) from error


def check_columns(names: list[str]) -> None:
    """`UnreadableTable` unless a table has every column of clippings."""
    missing = [name for name in RECORD_KEYS if name not in names]
    if missing:
        raise UnreadableTable(f"it holds no clippings: it has no column {', '.join(missing)}")


def checked_row(row: Mapping[str, Any], number: int) -> Row | RowError:
    """The path and clipping of one row, or why it cannot be one."""
    problem = _row_problem(row)
    if problem is not None:
        return RowError(number, problem)
    try:
        return row["path"], from_record(row)
    except ClipdocError as error:  # a value the model refuses (CD3xx)
        return RowError(number, f"{error.message} ({error.code})")


def _one_by_one(
    table: pyarrow.Table | pyarrow.RecordBatch, first: int, in_utc: bool
) -> Iterator[tuple[int, Row | RowError]]:
    for offset in range(table.num_rows):
        number = first + offset
        try:
            [row] = table.slice(offset, 1).to_pylist()
        except OverflowError as error:
            yield number, RowError(number, f"a date or time is out of range: {error}")
            continue
        yield number, checked_row(_with_utc(row) if in_utc else row, number)


def _row_problem(row: Mapping[str, Any]) -> str | None:
    if not isinstance(row["title"], str):
        return _wrong("title", row["title"], "a string")
    for name in _OPTIONAL_TEXT:
        if row[name] is not None and not isinstance(row[name], str):
            return _wrong(name, row[name], "a string or null")
    if not isinstance(row["has_metadata"], bool):
        return _wrong("has_metadata", row["has_metadata"], "true or false")
    return (
        _pairs_problem(row, "extra_sections", ("heading", "body"))
        or _pairs_problem(row, "extra", ("key", "value"))
        or _date_problem(row["catalog_date"])
        or _time_problem(row["saved_at"], row["saved_at_offset"])
    )


def _wrong(name: str, value: object, wanted: str) -> str:
    found = "null" if value is None else f"a {type(value).__name__}"
    return f"{name} is {found}, not {wanted}"


def _pairs_problem(row: Mapping[str, Any], name: str, keys: tuple[str, str]) -> str | None:
    value = row[name]
    if not isinstance(value, list):
        return _wrong(name, value, "a list")
    for index, pair in enumerate(value):
        if not isinstance(pair, dict) or not all(isinstance(pair.get(key), str) for key in keys):
            return f"{name}[{index}] is not a pair of strings {keys[0]!r} and {keys[1]!r}"
    return None


def _date_problem(value: object) -> str | None:
    if value is not None and (not isinstance(value, date) or isinstance(value, datetime)):
        return _wrong("catalog_date", value, "a date or null")
    return None


def _time_problem(saved_at: object, offset: object) -> str | None:
    if saved_at is None:
        return None
    if not isinstance(saved_at, datetime) or saved_at.utcoffset() is None:
        return _wrong("saved_at", saved_at, "a UTC timestamp or null")
    if not isinstance(offset, int) or isinstance(offset, bool):
        return _wrong("saved_at_offset", offset, "the UTC offset of saved_at in minutes")
    if abs(offset) >= _OFFSET_LIMIT:
        return (
            f"saved_at_offset is {offset} minutes; a UTC offset is less than a day"
            f" ({_OFFSET_LIMIT} minutes) either way"
        )
    return None
