"""Apache Parquet in the Arrow schema of clippings (`clipdoc.arrow`), with
the path of each; read and written a record batch at a time."""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Iterator
from typing import IO, ClassVar

import attrs

from .._core.model import Clipping
from .._storage.files import replacing
from .codec import (
    CannotConvert,
    Clippings,
    Format,
    Item,
    Layout,
    Report,
    Source,
    Target,
    Written,
    write_output,
)
from .tables import Row, RowError, UnreadableTable, file_rows


@contextlib.contextmanager
def _opened(source: Source) -> Iterator[IO[bytes]]:
    # Parquet is read from its end: standard input is read whole first.
    if source.path == "-":
        yield io.BytesIO(sys.stdin.buffer.read())
        return
    try:
        file = open(source.path, "rb")  # noqa: SIM115
    except OSError as error:
        raise CannotConvert(f"{source.name}: cannot read: {error.strerror or error}") from None
    with file:
        yield file


def _item(name: str, number: int, row: Row | RowError) -> Item:
    where = f"{name}:{number}"
    if isinstance(row, RowError):
        return Item(where=where, problem=row.problem, number=number)
    relative, clipping = row
    return Item(where=where, relative=relative, clipping=clipping, number=number)


@attrs.frozen(kw_only=True)
class ParquetFormat(Format):
    """One row per clipping, in the Arrow schema of clippings."""

    layout: ClassVar[Layout] = "stream"

    def read(self, source: Source) -> Iterator[Item]:
        from ..arrow import BATCH_SIZE

        with _opened(source) as file:
            try:
                for number, row in file_rows(file, batch_size=BATCH_SIZE):
                    yield _item(source.name, number, row)
            except UnreadableTable as error:
                yield Item(where=source.name, problem=f"cannot read the Parquet file: {error}")

    def write(self, clippings: Clippings, target: Target, report: Report) -> None:
        from ..arrow import write_parquet

        def rows() -> Iterator[Clipping | tuple[str, Clipping]]:
            for item, clipping in clippings:
                report(Written(item=item, status="written"))
                # Without a path of its own, a clipping gets the producer's
                # (none without a catalog date).
                yield clipping if item.relative is None else (item.relative, clipping)

        if target.path == "-":  # Parquet is not written to a pipe in pieces
            buffer = io.BytesIO()
            write_parquet(rows(), buffer)
            write_output(target, buffer.getvalue())
            return
        with replacing(target.path) as file:
            write_parquet(rows(), file)
