"""Formats that hold one clipping in one file: a clipping document (``md``)
and its JSON mapping (``json``)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import ClassVar

import attrs

from .._core.errors import ClipdocError, Diagnostic
from .._core.json_mapping import from_json, to_json
from .._core.model import Clipping
from .._core.read import decode, has_error, read_document
from .._core.writer import render_document
from .codec import (
    CannotConvert,
    Clippings,
    Format,
    Item,
    Layout,
    NothingToWrite,
    Report,
    Source,
    Target,
    Written,
    error_text,
    read_whole,
    write_output,
)

#: A file's bytes to its clipping and the diagnostics of reading it; what
#: cannot be read at all is a `ClipdocError`.
Decode = Callable[[bytes], tuple[Clipping, tuple[Diagnostic, ...]]]


def markdown(clipping: Clipping) -> bytes:
    return render_document(clipping).encode("utf-8")


def read_markdown(data: bytes) -> tuple[Clipping, tuple[Diagnostic, ...]]:
    return read_document(decode(data))


def json_mapping(clipping: Clipping) -> bytes:
    return (to_json(clipping, indent=2) + "\n").encode("utf-8")


def read_json_mapping(data: bytes) -> tuple[Clipping, tuple[Diagnostic, ...]]:
    try:
        return from_json(data), ()
    except ClipdocError as error:
        if not _JSON_FEED.search(data[:4096]):
            raise
        # A feed saved as *.json: say how to read it, not only what a
        # clipping's mapping lacks.
        raise ClipdocError(
            error.code,
            f"{error.message}; this is a JSON Feed: read it with --from jsonfeed, or name it"
            " *.feed.json",
            line=error.line,
            column=error.column,
            field=error.field,
            path=error.path,
        ) from None


_JSON_FEED = re.compile(rb'"version"\s*:\s*"https?://jsonfeed\.org/version/')


@attrs.frozen(kw_only=True)
class DocumentFormat(Format):
    """One clipping in one file."""

    layout: ClassVar[Layout] = "document"

    encode: Callable[[Clipping], bytes]
    decode: Decode

    def read(self, source: Source) -> Iterator[Item]:
        data = read_whole(source)
        try:
            clipping, diagnostics = self.decode(data)
        except ClipdocError as error:
            yield Item(where=source.name, problem=error_text(error))
            return
        if has_error(diagnostics) and not source.recover:
            yield Item(where=source.name, diagnostics=diagnostics)
            return
        yield Item(where=source.name, clipping=clipping, diagnostics=diagnostics)

    def write(self, clippings: Clippings, target: Target, report: Report) -> None:
        # Every clipping is read, so that the error can say how many there are.
        iterator = iter(clippings)
        first = next(iterator, None)
        more = sum(1 for _ in iterator)
        if more:
            raise CannotConvert(
                f"{1 + more} clippings do not fit in one {self.name} document; convert to a"
                " folder, JSON Lines (jsonl), Parquet or a feed"
            )
        if first is None:
            raise NothingToWrite(f"{target.name} was not written: no clipping came through")
        item, clipping = first
        write_output(target, self.encode(clipping))
        report(Written(item=item, status="written"))
