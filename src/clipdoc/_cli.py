"""The ``clipdoc`` command: check, fmt and convert over files and folders.

Exit status: 0 when all is well (warnings allowed), 1 when a document or
record has an error (or, with ``fmt --check``/``--diff``, would change), 2 for
usage and I/O errors.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import functools
import io
import json
import os
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, TextIO

from ._api import check, decode, parse, render
from ._batch import UnsafePath, count_documents, ordered_map, target_inside, walk_documents
from ._errors import ClipdocError, ClipdocWarning, Diagnostic, Severity
from ._files import replacing, write_atomically
from ._json import from_dict, from_json, to_dict, to_json

OK, FAILED, USAGE = 0, 1, 2


# --------------------------------------------------------------------------
# Per-document work. Module-level functions: they run in worker processes.


@dataclass(frozen=True)
class Outcome:
    """What happened to one document."""

    path: str
    diagnostics: tuple[Diagnostic, ...] = ()
    io_problem: str | None = None
    changed: bool = False
    diff: str | None = None
    output: str | None = None


def _read_text(path: str) -> tuple[str | None, Outcome | None]:
    try:
        with open(path, "rb") as file:
            data = file.read()
    except OSError as exc:
        return None, Outcome(path, io_problem=f"cannot read: {exc.strerror or exc}")
    try:
        return decode(data), None
    except ClipdocError as error:
        return None, Outcome(path, diagnostics=(error.diagnostic,))


def _has_error(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.severity is Severity.ERROR for d in diagnostics)


def _parse_quietly(text: str) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ClipdocWarning)
        return parse(text, recover=True)


def check_one(path: str) -> Outcome:
    text, failed = _read_text(path)
    if failed is not None or text is None:
        return failed or Outcome(path)
    return Outcome(path, diagnostics=tuple(check(text)))


@dataclass(frozen=True)
class FormatMode:
    recover: bool
    write: bool
    diff: bool


def format_one(mode: FormatMode, path: str) -> Outcome:
    text, failed = _read_text(path)
    if failed is not None or text is None:
        return failed or Outcome(path)
    diagnostics = tuple(check(text))
    if _has_error(diagnostics) and not mode.recover:
        return Outcome(path, diagnostics=diagnostics)
    canonical = render(_parse_quietly(text))
    if canonical == text:
        return Outcome(path, diagnostics=diagnostics)
    shown = None
    if mode.diff:
        shown = "".join(
            difflib.unified_diff(
                _lines_with_endings(text),
                _lines_with_endings(canonical),
                fromfile=f"{path}\t(original)",
                tofile=f"{path}\t(canonical)",
            )
        )
    if mode.write:
        try:
            write_atomically(path, canonical.encode("utf-8"))
        except OSError as exc:
            return Outcome(path, diagnostics, io_problem=f"cannot write: {exc.strerror or exc}")
    return Outcome(path, diagnostics=diagnostics, changed=True, diff=shown)


def _lines_with_endings(text: str) -> list[str]:
    # Only the format's own line endings; CR shows as a visible mark.
    *lines, last = text.replace("\r", "\u240d").split("\n")
    return [line + "\n" for line in lines] + ([last] if last else [])


def record_one(root: str, recover: bool, path: str) -> Outcome:
    """One document of a folder as a JSON Lines record."""
    text, failed = _read_text(path)
    if failed is not None or text is None:
        return failed or Outcome(path)
    diagnostics = tuple(check(text))
    if _has_error(diagnostics) and not recover:
        return Outcome(path, diagnostics=diagnostics)
    relative = os.path.relpath(path, root).replace(os.sep, "/")
    try:
        relative.encode("utf-8")
    except UnicodeEncodeError:
        return Outcome(path, io_problem="the file name is not valid UTF-8; rename it")
    record = {"path": relative, **to_dict(_parse_quietly(text))}
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
        data = render(from_dict(record)).encode("utf-8")
    except ClipdocError as error:
        return Rendered(number, relative, problem=error.message)
    return Rendered(number, relative, data)


# --------------------------------------------------------------------------
# Reporting.


@dataclass
class Tally:
    documents: int = 0
    errors: int = 0
    warnings: int = 0
    io_problems: int = 0
    extra: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: Outcome) -> None:
        self.documents += 1
        errors = sum(d.severity is Severity.ERROR for d in outcome.diagnostics)
        self.errors += errors
        self.warnings += len(outcome.diagnostics) - errors
        self.io_problems += outcome.io_problem is not None

    def count(self, what: str) -> None:
        self.extra[what] = self.extra.get(what, 0) + 1

    def status(self) -> int:
        if self.io_problems:
            return USAGE
        return FAILED if self.errors else OK

    def summary(self) -> str:
        parts = [
            f"{self.documents} document{'s' * (self.documents != 1)}",
            f"{self.errors} error{'s' * (self.errors != 1)}",
            f"{self.warnings} warning{'s' * (self.warnings != 1)}",
        ]
        parts += [f"{count} {what}" for what, count in self.extra.items()]
        if self.io_problems:
            parts.append(f"{self.io_problems} unreadable")
        return ", ".join(parts)


class Console:
    """Where output goes: results on stdout, progress and summary on stderr."""

    def __init__(self, *, quiet: bool, total: int | None, stream_out: TextIO | None = None):
        self.out = stream_out or sys.stdout
        self.quiet = quiet
        self._bar = _progress_bar(total) if not quiet and sys.stderr.isatty() else None

    def line(self, text: str, *, stream: TextIO | None = None) -> None:
        target = stream or self.out
        if self._bar is not None:
            self._bar.write(text, file=target)
        else:
            print(text, file=target)

    def problem(self, text: str) -> None:
        self.out.flush()  # keep stdout and stderr in order when both are piped
        self.line(text, stream=sys.stderr)

    def advance(self) -> None:
        if self._bar is not None:
            self._bar.update(1)

    def finish(self, summary: str) -> None:
        self.out.flush()
        if self._bar is not None:
            self._bar.close()
        if not self.quiet:
            print(summary, file=sys.stderr)


def _progress_bar(total: int | None) -> Any:
    try:
        from tqdm import tqdm
    except ImportError:  # the optional 'cli' extra is not installed
        return None
    return tqdm(total=total, unit="doc", file=sys.stderr, dynamic_ncols=True, leave=False)


def format_diagnostic(path: str, diagnostic: Diagnostic) -> str:
    return f"{path}:{diagnostic.line}:{diagnostic.column}: {diagnostic.code} {diagnostic.message}"


def diagnostic_json(path: str, diagnostic: Diagnostic) -> dict[str, object]:
    return {
        "path": path,
        "line": diagnostic.line,
        "column": diagnostic.column,
        "code": diagnostic.code,
        "severity": diagnostic.severity.value,
        "message": diagnostic.message,
    }


def _report(console: Console, outcome: Outcome, *, errors_only: bool = False) -> None:
    for diagnostic in outcome.diagnostics:
        if errors_only and diagnostic.severity is not Severity.ERROR:
            continue
        console.line(format_diagnostic(outcome.path, diagnostic))
    if outcome.io_problem is not None:
        console.problem(f"{outcome.path}: {outcome.io_problem}")


# --------------------------------------------------------------------------
# Subcommands.


def _documents(paths: Sequence[str]) -> Iterator[str]:
    for path in paths:
        yield from walk_documents(path)


def _existing(paths: Sequence[str]) -> tuple[list[str], bool]:
    """The paths that exist, and whether any did not (each is reported)."""
    found = []
    for path in paths:
        if os.path.exists(path):
            found.append(path)
        else:
            print(f"{path}: no such file or folder", file=sys.stderr)
    return found, len(found) < len(paths)


def _console(
    options: argparse.Namespace, paths: Sequence[str], *, results: TextIO | None = None
) -> Console:
    show_bar = not options.quiet and sys.stderr.isatty()
    total = count_documents(paths) if show_bar else None
    return Console(quiet=options.quiet, total=total, stream_out=results)


def run_check(options: argparse.Namespace) -> int:
    paths, missing = _existing(options.paths)
    console = _console(options, paths)
    tally = Tally()
    as_json = options.format == "json"
    first = True
    if as_json:
        console.line("[")
    for outcome in ordered_map(check_one, _documents(paths), jobs=options.jobs):
        tally.add(outcome)
        if as_json:
            for diagnostic in outcome.diagnostics:
                text = json.dumps(diagnostic_json(outcome.path, diagnostic), ensure_ascii=False)
                console.line(("  " if first else ", ") + text)
                first = False
            if outcome.io_problem is not None:
                console.problem(f"{outcome.path}: {outcome.io_problem}")
        else:
            _report(console, outcome, errors_only=options.errors_only)
        console.advance()
    if as_json:
        console.line("]")
    console.finish(f"checked {tally.summary()}")
    return USAGE if missing else tally.status()


def run_fmt(options: argparse.Namespace) -> int:
    paths, missing = _existing(options.paths)
    mode = FormatMode(
        recover=options.recover, write=not (options.check or options.diff), diff=options.diff
    )
    console = _console(options, paths)
    tally = Tally()
    work = functools.partial(format_one, mode)
    for outcome in ordered_map(work, _documents(paths), jobs=options.jobs):
        tally.add(outcome)
        left_alone = _has_error(outcome.diagnostics) and not options.recover
        _report(console, outcome, errors_only=True)
        if left_alone:
            console.problem(f"{outcome.path}: left unchanged because of the errors above")
            tally.count("left unchanged")
        elif outcome.changed:
            if outcome.diff:
                console.line(outcome.diff.rstrip("\n"))
            verb = "reformatted" if mode.write else "would reformat"
            console.problem(f"{verb} {outcome.path}")
            tally.count(verb)
        console.advance()
    console.finish(f"formatted {tally.summary()}")
    status = tally.status()
    if status == OK and not mode.write and (tally.extra.get("would reformat") or 0):
        return FAILED
    return USAGE if missing else status


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


def run_convert(options: argparse.Namespace) -> int:
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
        text = decode(data)
        diagnostics = check(text)
        for diagnostic in diagnostics:
            print(format_diagnostic(name, diagnostic), file=sys.stderr)
        if _has_error(diagnostics) and not options.recover:
            return None
        return (to_json(_parse_quietly(text), indent=2) + "\n").encode("utf-8")

    return _convert_file(options, transform)


def _json_to_markdown(options: argparse.Namespace) -> int:
    return _convert_file(options, lambda data, _: render(from_json(data)).encode("utf-8"))


def _folder_to_lines(options: argparse.Namespace) -> int:
    root = options.source
    # Standard output may carry the records: diagnostics go to stderr.
    console = _console(options, [root], results=sys.stderr)
    tally = Tally()
    work = functools.partial(record_one, root, options.recover)
    with _output(options.destination) as sink:
        for outcome in ordered_map(work, walk_documents(root), jobs=options.jobs):
            tally.add(outcome)
            _report(console, outcome)
            if outcome.output is not None:
                sink.write(outcome.output.encode("utf-8") + b"\n")
                tally.count("written")
                if outcome.diagnostics:
                    tally.count("not canonical")
            elif _has_error(outcome.diagnostics):
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
            problem = rendered.problem or _write_record(root, rendered, written, options.force)
            tally.documents += 1
            if problem is not None:
                problems += 1
                console.line(f"{name}:{rendered.line_number}: {problem}")
            else:
                tally.count("written")
            console.advance()
    except UnicodeDecodeError as exc:
        console.problem(f"{name}: not UTF-8 ({exc.reason}); nothing more was read")
        tally.io_problems += 1
    tally.errors = problems
    console.finish(f"converted {tally.summary()}")
    return tally.status()


def _write_record(
    root: str, rendered: Rendered, written: dict[str, int], force: bool
) -> str | None:
    assert rendered.relative is not None
    assert rendered.data is not None
    relative = rendered.relative
    if not relative.endswith(".md"):
        return f"{relative!r} does not end in .md; it would not be read back"
    if relative in written:
        return f"{relative!r} was already written from line {written[relative]}"
    try:
        target = target_inside(root, relative)
    except UnsafePath as problem:
        return f"refused: {problem}"
    try:
        if os.path.lexists(target):
            if os.path.isdir(target):
                return f"{relative!r} is a folder in the destination"
            with open(target, "rb") as file:
                same = file.read() == rendered.data
            if not same and not force:
                return f"{relative!r} exists with other content; pass --force to replace it"
            if same:
                written[relative] = rendered.line_number
                return None
        os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
        write_atomically(target, rendered.data)
    except OSError as exc:
        return f"cannot write {relative!r}: {exc.strerror or exc}"
    written[relative] = rendered.line_number
    return None


# --------------------------------------------------------------------------
# The parser.


def _jobs(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("--jobs takes 0 (one per CPU) or more")
    return value or os.cpu_count() or 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="clipdoc",
        description="Check, format and convert clipping documents.",
        epilog="Exit status: 0 fine (warnings allowed), 1 errors found or files would change,"
        " 2 usage or I/O errors.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    shared = argparse.ArgumentParser(add_help=False)
    shared.add_argument(
        "-j",
        "--jobs",
        type=_jobs,
        default=1,
        metavar="N",
        help="parse with N processes (0: one per CPU; default 1)",
    )
    shared.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no progress bar and no summary on stderr",
    )

    recovering = argparse.ArgumentParser(add_help=False)
    recovering.add_argument(
        "--recover",
        action="store_true",
        help="also handle documents with errors, keeping the text they cannot place in"
        " sections headed 'clipdoc: unparsed'",
    )
    over_paths = argparse.ArgumentParser(add_help=False, parents=[shared])
    over_paths.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
    check_parser = commands.add_parser(
        "check",
        parents=[over_paths],
        help="report problems in documents",
        description="Report every problem as PATH:LINE:COLUMN: CODE message. Folders are"
        " searched for *.md files (hidden folders skipped).",
    )
    check_parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text lines (default) or a JSON array for tools",
    )
    check_parser.add_argument(
        "--errors-only", action="store_true", help="leave warnings out of the text output"
    )
    check_parser.set_defaults(run=run_check)

    fmt_parser = commands.add_parser(
        "fmt",
        parents=[over_paths, recovering],
        help="rewrite documents in canonical form",
        description="Rewrite each document in canonical form, atomically and only when"
        " something changes. A document with errors is left alone unless --recover.",
    )
    fmt_parser.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 if a file would change"
    )
    fmt_parser.add_argument(
        "--diff", action="store_true", help="change nothing; print the changes as a diff"
    )
    fmt_parser.set_defaults(run=run_fmt)

    convert_parser = commands.add_parser(
        "convert",
        parents=[shared, recovering],
        help="convert between documents, JSON and JSON Lines",
        description="Convert by file type: .md -> .json, .json -> .md, a folder of documents"
        " -> one .jsonl (a record per document with its 'path'), .jsonl -> a folder."
        " '-' is stdin or stdout.",
    )
    convert_parser.add_argument("source", metavar="SRC")
    convert_parser.add_argument("destination", metavar="DST")
    convert_parser.add_argument(
        "--from",
        dest="source_kind",
        choices=("md", "json", "jsonl"),
        help="what SRC holds, when it is '-' and DST does not tell",
    )
    convert_parser.add_argument(
        "--force",
        action="store_true",
        help="replace existing files that are not the same as the output",
    )
    convert_parser.set_defaults(run=run_convert)
    return parser


def _stop(signal_number: int, frame: object) -> None:
    # SIGTERM unwinds like Ctrl-C, so temporary files are removed on the way out.
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    options = build_parser().parse_args(argv)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _stop)
    try:
        status: int = options.run(options)
    except KeyboardInterrupt:
        print("clipdoc: stopped; no file was left half-written", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `| head`); stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return FAILED
    return status
