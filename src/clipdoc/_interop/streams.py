"""Formats that hold many clippings in one file: JSON Lines (each record
with its path) and the feeds, JSON Feed, Atom and RSS (a feed clipdoc wrote
gives each path back from its entry's id; a clipping from any other feed
goes where the producer would write it)."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, ClassVar

import attrs

from .._core.errors import ClipdocError
from .._core.json_mapping import from_dict, json_integer, to_dict
from .._core.model import Clipping
from .._storage.parallel import ordered_map
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
    error_text,
    output,
    path_of,
    read_whole,
    write_output,
)
from .feed_terms import ATOM, NAMESPACE

if TYPE_CHECKING:
    from .feed_writing import FeedSettings

# ------------------------------------------------------------------ JSON Lines


#: One decoder for every record (``json.loads`` with an option makes one a call).
_RECORD_DECODER = json.JSONDecoder(parse_int=json_integer)


def parse_record(numbered_line: tuple[int, bytes], name: str) -> Item:
    """One JSON Lines record (run in worker processes)."""
    number, line = numbered_line
    where = f"{name}:{number}"
    try:
        record = _RECORD_DECODER.decode(line.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return Item(where=where, problem=f"not UTF-8 ({exc.reason} at byte {exc.start + 1})")
    except RecursionError:
        return Item(where=where, problem="not JSON: nested too deeply")
    except ValueError as exc:
        return Item(where=where, problem=f"not JSON: {exc}")
    if not isinstance(record, dict) or not isinstance(record.get("path"), str):
        return Item(where=where, problem="a record is an object with a string member 'path'")
    relative = record.pop("path")
    try:
        clipping = from_dict(record)
    except ClipdocError as error:
        return Item(where=where, relative=relative, problem=error.message, number=number)
    return Item(where=where, relative=relative, clipping=clipping, number=number)


def _numbered_lines(source: Source) -> Iterator[tuple[int, bytes]]:
    # Bytes, decoded record by record: one bad record is reported alone. The
    # file is read a line at a time, so that it may be of any size (or a pipe).
    try:
        stream = sys.stdin.buffer if source.path == "-" else open(source.path, "rb")  # noqa: SIM115
    except OSError as error:
        raise CannotConvert(f"{source.name}: cannot read: {error.strerror or error}") from None
    try:
        for number, line in enumerate(stream, start=1):
            text = line.rstrip(b"\n")
            if text.strip():
                yield number, text
    finally:
        if source.path != "-":
            stream.close()


def _record_line(item: Item, clipping: Clipping) -> bytes:
    record = {"path": path_of(item, clipping), **to_dict(clipping)}
    return json.dumps(record, ensure_ascii=False).encode("utf-8") + b"\n"


@attrs.frozen(kw_only=True)
class JsonLinesFormat(Format):
    """One JSON mapping and its ``path`` per line."""

    layout: ClassVar[Layout] = "stream"

    def read(self, source: Source) -> Iterator[Item]:
        parse = functools.partial(parse_record, name=source.name)
        yield from ordered_map(parse, _numbered_lines(source), jobs=source.jobs)

    def write(self, clippings: Clippings, target: Target, report: Report) -> None:
        with output(target) as sink:
            for item, clipping in clippings:
                try:
                    line = _record_line(item, clipping)
                except ClipdocError as error:  # no path, and no catalog date to make one
                    report(Written(item=item, problem=error_text(error)))
                    continue
                sink.write(line)
                report(Written(item=item, status="written"))


# ----------------------------------------------------------------------- feeds


def _entry_paths(data: bytes, count: int, json_ids: list[object] | None) -> list[str | None]:
    """The path of each of the ``count`` entries of a feed clipdoc wrote, from
    its id (``json_ids``: those the reader of a JSON Feed gave); None for an
    entry whose id gives none (the clipping then goes where the producer
    would write it), and for all when the entries cannot be told apart from
    the reader's."""
    ids = json_ids if json_ids is not None else _xml_feed_ids(data.removeprefix(b"\xef\xbb\xbf"))
    if ids is None or len(ids) != count:
        return [None] * count
    from .feed_writing import path_of_id

    return [path_of_id(identifier) for identifier in ids]


def _xml_feed_ids(data: bytes) -> list[object] | None:
    import xml.etree.ElementTree as ElementTree

    try:
        root = ElementTree.fromstring(data)
    except (ElementTree.ParseError, RecursionError):
        return None  # feedparser reads more than well-formed XML: no paths
    carried = f"{{{NAMESPACE}}}clipping"
    if root.tag == f"{{{ATOM}}}feed":
        entries, id_tag = list(root.iter(f"{{{ATOM}}}entry")), f"{{{ATOM}}}id"
    elif root.tag == "rss":
        entries, id_tag = list(root.iter("item")), "guid"
    else:
        return None
    # Only an entry that carries its clipping was written by clipdoc.
    return [
        entry.findtext(id_tag) if entry.find(carried) is not None else None for entry in entries
    ]


@attrs.frozen(kw_only=True)
class FeedFormat(Format):
    """A feed; every entry carries its whole clipping, so that it comes back
    equal, and its path in its id, so that it comes back to the same file."""

    layout: ClassVar[Layout] = "stream"

    #: The name of the `clipdoc.feeds` function that writes this feed.
    writer: str
    #: The feed's title, link, order... (``clipdoc convert``'s feed options);
    #: None for the defaults. The feed writer is imported only to write one:
    #: every command's start-up would pay for it otherwise.
    settings: FeedSettings | None = None

    def configured(self, settings: FeedSettings) -> FeedFormat:
        """This format, writing feeds with ``settings``."""
        return attrs.evolve(self, settings=settings)

    def feed_settings(self) -> FeedSettings:
        """The settings it writes feeds with."""
        from .feed_writing import DEFAULT_SETTINGS

        return self.settings or DEFAULT_SETTINGS

    def read(self, source: Source) -> Iterator[Item]:
        from .feed_reading import feed_skipped_and_ids

        data = read_whole(source)
        # The feeds reader gives every entry it can read and says which it
        # left out, or raises for the whole feed.
        try:
            clippings, skipped, ids = feed_skipped_and_ids(data)
        except ClipdocError as error:
            yield Item(where=source.name, problem=error_text(error))
            return
        for diagnostic in skipped:
            yield Item(where=source.name, diagnostics=(diagnostic,))
        paths = _entry_paths(data, len(clippings), ids)
        for clipping, path in zip(clippings, paths, strict=True):
            yield Item(where=source.name, clipping=clipping, relative=path)

    def write(self, clippings: Clippings, target: Target, report: Report) -> None:
        # A feed is written whole: its entries all go into one document.
        taken = list(clippings)
        pairs = [(item.relative, clipping) for item, clipping in taken]
        from .feed_writing import ENCODERS, feed_entries

        settings = self.feed_settings()
        entries = feed_entries(pairs, settings)
        write_output(target, ENCODERS[self.writer](entries, settings))
        kept = {entry.position for entry in entries}
        for position, (item, _) in enumerate(taken):
            # One that --limit leaves out is read, not written.
            report(Written(item=item, status="written" if position in kept else None))
