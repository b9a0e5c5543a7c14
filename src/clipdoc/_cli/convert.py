"""``clipdoc convert``: any format of the registry to any other.

A source gives items (a clipping with its path, or why it has none); a sink
writes them. Documents and JSON hold one clipping; folders of documents or
notes one per file, at a path; JSON Lines and feeds many in one file. The way
back gives the same bytes and file names for every canonical document.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import itertools
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO

from .._core.errors import ClipdocError, Diagnostic
from .._core.json_mapping import from_dict, to_dict
from .._core.model import Clipping
from .._core.read import has_error
from .._interop.registry import FORMATS, Format, check_extra, decode_document, format_of
from .._storage.collection import Collection
from .._storage.files import replacing, write_atomically
from .._storage.names import clipping_path
from .._storage.parallel import ordered_map
from ._common import (
    USAGE,
    Console,
    Outcome,
    Tally,
    Unit,
    console_for,
    format_diagnostic,
    read_unit,
    report,
    units,
)

#: What a source converts to when the destination does not say.
_DEFAULT_TARGET = {
    "md": "json",
    "json": "md",
    "folder": "jsonl",
    "jsonl": "folder",
    "notes": "folder",
    "jsonfeed": "folder",
    "atom": "folder",
    "rss": "folder",
}


class _Usage(Exception):
    """A usage or I/O problem that stops the conversion (exit 2)."""


@dataclass(frozen=True)
class Item:
    """One clipping on its way, or why it cannot go on."""

    where: str
    relative: str | None = None
    clipping: Clipping | None = None
    diagnostics: tuple[Diagnostic, ...] = ()
    problem: str | None = None
    io_problem: str | None = None
    #: The line of a JSON Lines record.
    line: int | None = None


# --------------------------------------------------------------------- sources


def read_tree_file(fmt_name: str, recover: bool, unit: Unit) -> Item:
    """One file of a folder (run in worker processes)."""
    path, relative = unit.path, unit.found.relative
    read = read_unit(unit)
    if read.failed is not None:
        failed = read.failed
        return Item(path, relative, None, failed.diagnostics, io_problem=failed.io_problem)
    if fmt_name == "folder":
        if read.clipping is None or (has_error(read.diagnostics) and not recover):
            return Item(path, relative, None, read.diagnostics)
        return Item(path, relative, read.clipping, read.diagnostics)
    try:
        clipping, _ = decode_document(FORMATS[fmt_name], read.text.encode("utf-8"))
    except ClipdocError as error:
        return Item(path, relative, problem=f"{error.code} {error.message}")
    return Item(path, relative, clipping)


def parse_record(numbered_line: tuple[int, bytes], name: str) -> Item:
    """One JSON Lines record (run in worker processes)."""
    number, line = numbered_line
    where = f"{name}:{number}"
    try:
        record = json.loads(line.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return Item(where, problem=f"not UTF-8 ({exc.reason} at byte {exc.start + 1})")
    except RecursionError:
        return Item(where, problem="not JSON: nested too deeply")
    except ValueError as exc:
        return Item(where, problem=f"not JSON: {exc}")
    if not isinstance(record, dict) or not isinstance(record.get("path"), str):
        return Item(where, problem="a record is an object with a string member 'path'")
    relative = record.pop("path")
    try:
        return Item(where, relative, from_dict(record), line=number)
    except ClipdocError as error:
        return Item(where, relative, problem=error.message, line=number)


def _read_source(source: str) -> bytes:
    if source == "-":
        return sys.stdin.buffer.read()
    with open(source, "rb") as file:
        return file.read()


def _numbered_lines(source: str) -> Iterator[tuple[int, bytes]]:
    # Bytes, decoded record by record: one bad record is reported alone.
    stream = sys.stdin.buffer if source == "-" else open(source, "rb")  # noqa: SIM115
    try:
        for number, line in enumerate(stream, start=1):
            text = line.rstrip(b"\n")
            if text.strip():
                yield number, text
    finally:
        if source != "-":
            stream.close()


def items_from(fmt: Format, options: argparse.Namespace) -> Iterator[Item]:
    source = options.source
    name = "<stdin>" if source == "-" else source
    if fmt.layout == "tree":
        work = functools.partial(read_tree_file, fmt.name, options.recover)
        yield from ordered_map(work, units(options, [source]), jobs=options.jobs)
        return
    if fmt.name == "jsonl":
        work_line = functools.partial(parse_record, name=name)
        yield from ordered_map(work_line, _numbered_lines(source), jobs=options.jobs)
        return
    if fmt.name == "parquet":
        # A file is read a record batch at a time; standard input, whole.
        yield from _parquet_items(name, source if source != "-" else io.BytesIO(_read_source("-")))
        return
    try:
        data = _read_source(source)
    except OSError as exc:
        raise _Usage(f"{name}: cannot read: {exc.strerror or exc}") from None
    if fmt.layout == "stream":
        assert fmt.decode_many is not None
        try:
            clippings = fmt.decode_many(data)
        except ClipdocError as error:
            yield Item(name, problem=f"{error.code} {error.message}")
            return
        for clipping in clippings:
            yield Item(name, None, clipping)
        return
    try:
        clipping, diagnostics = decode_document(fmt, data)
    except ClipdocError as error:
        where = f"{error.line}:{error.column}:" if error.line else ""
        yield Item(name, problem=f"{where} {error.code} {error.message}".strip())
        return
    if has_error(diagnostics) and not options.recover:
        yield Item(name, None, None, diagnostics)
        return
    yield Item(name, None, clipping, diagnostics)


def _parquet_items(name: str, source: str | IO[bytes]) -> Iterator[Item]:
    from ..arrow import read_parquet

    try:
        for index, (relative, clipping) in enumerate(read_parquet(source), start=1):
            yield Item(f"{name}:{index}", relative, clipping, line=index)
    except (ValueError, OSError, TypeError, KeyError) as exc:  # not Parquet, or not ours
        yield Item(name, problem=f"cannot read the Parquet file: {exc}")


# ----------------------------------------------------------------------- sinks


@dataclass
class _Run:
    options: argparse.Namespace
    target: Format
    console: Console
    tally: Tally = field(default_factory=Tally)
    shows_summary: bool = True
    written: dict[str, str] = field(default_factory=dict)

    def take(self, item: Item) -> Clipping | None:
        """Report what an item says, count it; its clipping when it goes on."""
        outcome = Outcome(item.where, item.diagnostics, item.io_problem)
        self.tally.add(outcome)
        if not self.shows_summary:
            for diagnostic in item.diagnostics:
                print(format_diagnostic(item.where, diagnostic), file=sys.stderr)
        else:
            report(self.console, outcome)
        if item.problem is not None:
            self.tally.errors += 1
            self.console.line(f"{item.where}: {item.problem}")
            return None
        if item.clipping is None and has_error(item.diagnostics) and self.shows_summary:
            self.console.problem(f"{item.where}: skipped because of the errors above")
        return item.clipping


def _write_document(run: _Run, items: Iterator[Item]) -> None:
    found: list[Clipping] = []
    for item in items:
        clipping = run.take(item)
        if clipping is not None:
            found.append(clipping)
    if not found:
        return
    if len(found) > 1:
        raise _Usage(
            f"{len(found)} clippings do not fit in one {run.target.name} document; convert"
            " to a folder, JSON Lines or a feed"
        )
    assert run.target.encode is not None
    _write_destination(run.options.destination, run.target.encode(found[0]))
    run.tally.count("written")


def _write_stream(run: _Run, items: Iterator[Item]) -> None:
    if run.target.name == "jsonl":
        with _output(run.options.destination) as sink:
            for item in items:
                clipping = run.take(item)
                if clipping is not None:
                    relative = item.relative or clipping_path(clipping)
                    line = json.dumps({"path": relative, **to_dict(clipping)}, ensure_ascii=False)
                    sink.write(line.encode("utf-8") + b"\n")
                    run.tally.count("written")
                    if item.diagnostics:
                        run.tally.count("not canonical")
                run.console.advance()
        return
    if run.target.name == "parquet":
        from ..arrow import write_parquet

        def pairs() -> Iterator[tuple[str, Clipping]]:
            for item in items:
                clipping = run.take(item)
                if clipping is not None:
                    run.tally.count("written")
                    yield item.relative or clipping_path(clipping), clipping
                run.console.advance()

        if run.options.destination == "-":  # Parquet is not written to a pipe in pieces
            buffer = io.BytesIO()
            write_parquet(pairs(), buffer)
            _write_destination("-", buffer.getvalue())
        else:
            with replacing(run.options.destination) as file:
                write_parquet(pairs(), file)
        return
    found = [clipping for clipping in map(run.take, items) if clipping is not None]
    assert run.target.encode_many is not None
    with _output(run.options.destination) as sink:
        sink.write(run.target.encode_many(found))
    for _ in found:
        run.tally.count("written")


def _write_tree(run: _Run, items: Iterator[Item]) -> None:
    root = run.options.destination
    try:
        os.makedirs(root, exist_ok=True)
        collection = Collection(root)
    except (OSError, ClipdocError) as error:
        raise _Usage(f"{root}: cannot write there: {error}") from None
    # Where each clipping on its way came from, by its number, until reported.
    origins: dict[int, str] = {}
    numbers = itertools.count()

    def pairs() -> Iterator[tuple[str | None, Clipping]]:
        for item in items:
            clipping = run.take(item)
            if clipping is not None and item.relative and not item.relative.endswith(".md"):
                run.tally.errors += 1
                run.console.line(
                    f"{item.where}: {item.relative!r} does not end in .md; it would not be read"
                    " back"
                )
            elif clipping is not None:
                origins[next(numbers)] = item.where
                yield item.relative, clipping
                continue
            run.console.advance()

    assert run.target.encode is not None
    written = collection.write_all(pairs(), replace=run.options.force, encode=run.target.encode)
    for added in written:
        where = origins.pop(added.index)
        if added.error is not None:
            run.tally.errors += 1
            run.console.line(f"{where}: {added.error.code} {added.error.message}")
        else:
            assert added.status is not None
            run.tally.count(added.status)
        run.console.advance()


@contextlib.contextmanager
def _output(destination: str) -> Iterator[IO[bytes]]:
    """Standard output, or a file replaced atomically when all went well."""
    if destination == "-":
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    with replacing(destination) as file:
        yield file


def _write_destination(destination: str, data: bytes) -> None:
    if destination == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        write_atomically(destination, data)


# ------------------------------------------------------------------ the command


def _formats(options: argparse.Namespace) -> tuple[Format, Format]:
    source, destination = options.source, options.destination
    source_fmt = FORMATS[options.source_kind] if options.source_kind else None
    if source_fmt is None and source != "-":
        source_fmt = format_of(source, is_folder=os.path.isdir(source))
        if source_fmt is None:
            names = ", ".join(FORMATS)
            raise _Usage(f"{source}: cannot tell what it holds; name it with --from ({names})")
    target_fmt = FORMATS[options.target_kind] if options.target_kind else None
    if target_fmt is None and destination != "-":
        target_fmt = format_of(destination, is_folder=os.path.isdir(destination))
        if target_fmt is None and not os.path.splitext(destination)[1]:
            target_fmt = FORMATS["folder"]
    if source_fmt is None:
        if target_fmt is None:
            raise _Usage("reading stdin and writing stdout: say what stdin holds with --from")
        inverse = {v: k for k, v in _DEFAULT_TARGET.items() if k in ("md", "json", "jsonl")}
        source_fmt = FORMATS[inverse.get(target_fmt.name, "jsonl")]
    if target_fmt is None:
        if destination != "-" and os.path.splitext(destination)[1]:
            raise _Usage(f"{destination}: cannot tell what to write; name it with --to")
        target_fmt = FORMATS[_DEFAULT_TARGET[source_fmt.name]]
    return source_fmt, target_fmt


def run(options: argparse.Namespace) -> int:
    try:
        source_fmt, target_fmt = _formats(options)
        for fmt in (source_fmt, target_fmt):
            missing = check_extra(fmt)
            if missing is not None:
                raise _Usage(missing)
        if source_fmt.layout == "tree" and options.source == "-":
            raise _Usage(f"a {source_fmt.name} is a folder; name it")
        if options.source != "-" and not os.path.exists(options.source):
            raise _Usage(f"{options.source}: no such file or folder")
        if target_fmt.layout == "tree" and options.destination == "-":
            raise _Usage(f"a {target_fmt.name} is a folder; name the folder")
        if source_fmt.layout == "tree" and os.path.isfile(options.source):
            raise _Usage(f"{options.source}: a {source_fmt.name} is a folder")
        replaces = (
            options.destination != "-"
            and target_fmt.layout != "tree"
            and os.path.exists(options.destination)
        )
        if replaces and not options.force:
            raise _Usage(f"{options.destination} exists; pass --force to replace it")
        documents_only = source_fmt.layout == "document" and target_fmt.layout == "document"
        console = (
            console_for(options, [options.source], results=sys.stderr)
            if source_fmt.layout == "tree"
            else Console(quiet=options.quiet or documents_only, total=None, stream_out=sys.stderr)
        )
        job = _Run(options, target_fmt, console, shows_summary=not documents_only)
        sink = {"document": _write_document, "stream": _write_stream, "tree": _write_tree}
        sink[target_fmt.layout](job, items_from(source_fmt, options))
    except _Usage as problem:
        print(f"clipdoc convert: error: {problem}", file=sys.stderr)
        return USAGE
    if job.shows_summary:
        console.finish(f"converted {job.tally.summary()}")
    return job.tally.status()


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], **shared: object
) -> None:
    names = ", ".join(f"{fmt.name} ({fmt.summary})" for fmt in FORMATS.values())
    parser = commands.add_parser(
        "convert",
        help="convert between documents, JSON, JSON Lines, feeds and notes",
        description="Convert SRC to DST, each in any format of: " + names + ". A file's"
        " format comes from its name (.md, .json, .jsonl, .parquet, .feed.json, .atom, .rss;"
        " a folder holds documents), or --from and --to. A folder <-> JSON Lines round trip gives"
        " back every canonical document byte for byte, names included. '-' is stdin or"
        " stdout.",
        **shared,  # type: ignore[arg-type]
    )
    parser.add_argument("source", metavar="SRC")
    parser.add_argument("destination", metavar="DST")
    parser.add_argument(
        "--from",
        dest="source_kind",
        choices=list(FORMATS),
        help="what SRC holds, when its name does not say (or it is '-')",
    )
    parser.add_argument(
        "--to",
        dest="target_kind",
        choices=list(FORMATS),
        help="what to write to DST, when its name does not say (or it is '-')",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace existing files that are not the same as the output",
    )
    parser.set_defaults(run=run)
