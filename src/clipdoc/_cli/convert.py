"""``clipdoc convert``: documents to JSON and back, folders to JSON Lines and
back, with the same bytes and file names on the way back."""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import json
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO

from .._batch import ordered_map
from .._errors import ClipdocError
from .._files import UnsafePath, replacing, target_inside, write_atomically
from .._json import from_dict, from_json, to_dict, to_json
from .._read import decode, has_error, read_document
from .._writer import render_document
from ._common import (
    FAILED,
    OK,
    USAGE,
    Console,
    Outcome,
    Tally,
    console_for,
    errors_in,
    format_diagnostic,
    read_file,
    report,
    walk,
)


def record_one(root: str, recover: bool, path: str) -> Outcome:
    """One document of a folder as a JSON Lines record."""
    read = read_file(path)
    if read.failed is not None or read.clipping is None:
        return read.failed or Outcome(path)
    diagnostics = read.diagnostics
    if has_error(diagnostics) and not recover:
        return Outcome(path, diagnostics=diagnostics)
    relative = os.path.relpath(path, root).replace(os.sep, "/")
    try:
        relative.encode("utf-8")
    except UnicodeEncodeError:
        return Outcome(path, io_problem="the file name is not valid UTF-8; rename it")
    record = {"path": relative, **to_dict(read.clipping)}
    line = json.dumps(record, ensure_ascii=False)
    return Outcome(path, diagnostics=diagnostics, output=line)


@dataclass(frozen=True)
class Rendered:
    """One JSON Lines record turned back into a document."""

    line_number: int
    relative: str | None = None
    data: bytes | None = None
    problem: str | None = None


def document_from_record(numbered_line: tuple[int, str]) -> Rendered:
    number, line = numbered_line
    try:
        record = json.loads(line)
    except ValueError as exc:
        return Rendered(number, problem=f"not JSON: {exc}")
    if not isinstance(record, dict) or not isinstance(record.get("path"), str):
        return Rendered(number, problem="a record is an object with a string member 'path'")
    relative = record.pop("path")
    try:
        data = render_document(from_dict(record)).encode("utf-8")
    except ClipdocError as error:
        return Rendered(number, relative, problem=error.message)
    return Rendered(number, relative, data)


def _kind_of(path: str, *, is_source: bool) -> str | None:
    if path == "-":
        return None
    if is_source and os.path.isdir(path):
        return "folder"
    suffix = os.path.splitext(path)[1].lower()
    if suffix in (".md", ".json", ".jsonl"):
        return suffix[1:]
    if not is_source and (os.path.isdir(path) or not suffix):
        return "folder"
    return "unknown"


_CONVERSIONS = {"md": "json", "json": "md", "folder": "jsonl", "jsonl": "folder"}


def run(options: argparse.Namespace) -> int:
    source, destination = options.source, options.destination
    source_kind = options.source_kind or _kind_of(source, is_source=True)
    destination_kind = _kind_of(destination, is_source=False)
    if source_kind is None:
        if destination_kind is None:
            return _usage("reading stdin and writing stdout: say what stdin holds with --from")
        source_kind = {v: k for k, v in _CONVERSIONS.items()}.get(destination_kind)
    if source_kind not in _CONVERSIONS:
        return _usage(f"{source}: cannot tell what it holds; use .md, .json, .jsonl or a folder")
    wanted = _CONVERSIONS[source_kind]
    if destination_kind is not None and destination_kind != wanted:
        return _usage(f"a {source_kind} converts to a {wanted}, but {destination} is not one")
    if source != "-" and not os.path.exists(source):
        return _usage(f"{source}: no such file or folder")
    if wanted == "folder" and destination == "-":
        return _usage("JSON Lines convert to a folder; name the folder")
    replaces = destination != "-" and wanted != "folder" and os.path.exists(destination)
    if replaces and not options.force:
        return _usage(f"{destination} exists; pass --force to replace it")
    converters: dict[str, Callable[[argparse.Namespace], int]] = {
        "md": _markdown_to_json,
        "json": _json_to_markdown,
        "folder": _folder_to_lines,
        "jsonl": _lines_to_folder,
    }
    return converters[source_kind](options)


def _usage(message: str) -> int:
    print(f"clipdoc convert: error: {message}", file=sys.stderr)
    return USAGE


def _read_source(source: str) -> bytes:
    if source == "-":
        return sys.stdin.buffer.read()
    with open(source, "rb") as file:
        return file.read()


def _write_destination(destination: str, data: bytes) -> None:
    if destination == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        write_atomically(destination, data)


def _convert_file(
    options: argparse.Namespace, transform: Callable[[bytes, str], bytes | None]
) -> int:
    """Read SRC, transform it (None: it had errors, already reported), write DST."""
    name = "<stdin>" if options.source == "-" else options.source
    try:
        data = _read_source(options.source)
    except OSError as exc:
        return _usage(f"{name}: cannot read: {exc.strerror or exc}")
    try:
        output = transform(data, name)
    except ClipdocError as error:
        where = f"{error.line}:{error.column}:" if error.line else ""
        print(f"{name}:{where} {error.code} {error.message}", file=sys.stderr)
        return FAILED
    if output is None:
        return FAILED
    _write_destination(options.destination, output)
    return OK


def _markdown_to_json(options: argparse.Namespace) -> int:
    def transform(data: bytes, name: str) -> bytes | None:
        clipping, diagnostics = read_document(decode(data))
        for diagnostic in diagnostics:
            print(format_diagnostic(name, diagnostic), file=sys.stderr)
        if has_error(diagnostics) and not options.recover:
            return None
        return (to_json(clipping, indent=2) + "\n").encode("utf-8")

    return _convert_file(options, transform)


def _json_to_markdown(options: argparse.Namespace) -> int:
    return _convert_file(options, lambda data, _: render_document(from_json(data)).encode("utf-8"))


def _folder_to_lines(options: argparse.Namespace) -> int:
    root = options.source
    # Standard output may carry the records: diagnostics go to stderr.
    console = console_for(options, [root], results=sys.stderr)
    tally = Tally()
    work = functools.partial(record_one, root, options.recover)
    with _output(options.destination) as sink:
        for outcome in ordered_map(work, walk(options, root), jobs=options.jobs):
            tally.add(outcome)
            report(console, outcome)
            if outcome.output is not None:
                sink.write(outcome.output.encode("utf-8") + b"\n")
                tally.count("written")
                if outcome.diagnostics:
                    tally.count("not canonical")
            elif errors_in(outcome):
                console.problem(f"{outcome.path}: skipped because of the errors above")
            console.advance()
    console.finish(f"converted {tally.summary()}")
    return tally.status()


@contextlib.contextmanager
def _output(destination: str) -> Iterator[IO[bytes]]:
    """Standard output, or a file replaced atomically when all went well."""
    if destination == "-":
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    with replacing(destination) as file:
        yield file


def _numbered_lines(source: str) -> Iterator[tuple[int, str]]:
    stream = (
        io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", newline="\n")
        if source == "-"
        else open(source, encoding="utf-8", newline="\n")  # noqa: SIM115 - closed below
    )
    try:
        for number, line in enumerate(stream, start=1):
            text = line.rstrip("\n")
            if text.strip():
                yield number, text
    finally:
        if source != "-":
            stream.close()


def _lines_to_folder(options: argparse.Namespace) -> int:
    root, name = options.destination, options.source
    os.makedirs(root, exist_ok=True)
    console = Console(quiet=options.quiet, total=None, stream_out=sys.stderr)
    tally = Tally()
    written: dict[str, int] = {}
    problems = 0
    try:
        results = ordered_map(document_from_record, _numbered_lines(name), jobs=options.jobs)
        for rendered in results:
            problem, done = rendered.problem, ""
            if problem is None:
                problem, done = _write_record(root, rendered, written, options.force)
            tally.documents += 1
            if problem is not None:
                problems += 1
                console.line(f"{name}:{rendered.line_number}: {problem}")
            else:
                tally.count(done)
            console.advance()
    except UnicodeDecodeError as exc:
        console.problem(f"{name}: not UTF-8 ({exc.reason}); nothing more was read")
        tally.io_problems += 1
    tally.errors = problems
    console.finish(f"converted {tally.summary()}")
    return tally.status()


def _write_record(
    root: str, rendered: Rendered, written: dict[str, int], force: bool
) -> tuple[str | None, str]:
    """Write one record's document: a problem, or what was done ("written", or
    "unchanged" for a file that already held these bytes)."""
    assert rendered.relative is not None
    assert rendered.data is not None
    relative = rendered.relative
    if not relative.endswith(".md"):
        return f"{relative!r} does not end in .md; it would not be read back", ""
    if relative in written:
        return f"{relative!r} was already written from line {written[relative]}", ""
    try:
        target = target_inside(root, relative)
    except UnsafePath as problem:
        return f"refused: {problem}", ""
    done = "written"
    try:
        if os.path.lexists(target):
            if os.path.isdir(target):
                return f"{relative!r} is a folder in the destination", ""
            with open(target, "rb") as file:
                same = file.read() == rendered.data
            if not same and not force:
                return f"{relative!r} exists with other content; pass --force to replace it", ""
            done = "unchanged" if same else "replaced"
        if done != "unchanged":
            os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
            write_atomically(target, rendered.data)
    except OSError as exc:
        return f"cannot write {relative!r}: {exc.strerror or exc}", ""
    written[relative] = rendered.line_number
    return None, done


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], **shared: object
) -> None:
    parser = commands.add_parser(
        "convert",
        help="convert between documents, JSON and JSON Lines",
        description="Convert by file type: .md -> .json, .json -> .md, a folder of documents"
        " -> one .jsonl (a record per document with its 'path'), .jsonl -> a folder."
        " '-' is stdin or stdout.",
        **shared,  # type: ignore[arg-type]
    )
    parser.add_argument("source", metavar="SRC")
    parser.add_argument("destination", metavar="DST")
    parser.add_argument(
        "--from",
        dest="source_kind",
        choices=("md", "json", "jsonl"),
        help="what SRC holds, when it is '-' and DST does not tell",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace existing files that are not the same as the output",
    )
    parser.set_defaults(run=run)
