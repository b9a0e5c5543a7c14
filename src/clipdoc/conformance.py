"""Run the clipdoc conformance suite against any implementation.

Usage::

    python -m clipdoc.conformance [--decoder CMD] [--encoder CMD] [--suite DIR]
                                  [-k SUBSTRING] [-v] [--timeout SECONDS] [-j N]
    python -m clipdoc.conformance --paths   # where the spec, schema and suite are
    python -m clipdoc.conformance --write-warnings [--suite DIR]
    python -m clipdoc.conformance decode   < document.md   > mapping.json
    python -m clipdoc.conformance encode   < mapping.json  > document.md

A *decoder* reads a document on standard input and writes its JSON mapping
(exit 0), with the warnings it found as an optional ``"warnings"`` member, or
``{"code": ..., "line": ..., "column": ...}`` (exit 1). An *encoder* reads the
JSON mapping and writes the canonical document (exit 0), or for an invalid
mapping ``{"code": ...}`` (exit 1). Without ``--decoder``/``--encoder`` the
suite runs against clipdoc itself, in process. The runner prints a summary
and exits 1 if any fixture fails, 2 for a usage error.

The checks themselves are the suite's stand-alone runner, ``run.py`` beside
the fixtures (``python spec/tests/run.py --decoder CMD --encoder CMD`` needs
only the standard library): this module runs that file, so that there is one
implementation of them. ``--write-warnings`` is for the suite's maintainers:
it writes ``canonical/NAME.warnings.json``, the warnings clipdoc reports for
``canonical/NAME.md``.
"""

from __future__ import annotations

import io
import json
import sys
import types
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ._api import check, load, render
from ._core.errors import ClipdocError, ClipdocWarning
from ._core.json_mapping import from_json, to_dict

__all__ = [
    "Fixture",
    "Report",
    "Step",
    "command_step",
    "decode_bytes",
    "default_suite",
    "encode_bytes",
    "fixtures",
    "main",
    "run_suite",
    "schema_path",
    "spec_folder",
    "spec_path",
]

#: A step of an implementation: input bytes to (exit status, output bytes).
Step = Callable[[bytes], tuple[int, bytes]]


def spec_folder() -> Path:
    """The folder of the specification: shipped in the wheel as
    ``clipdoc/_spec`` (the same layout as ``spec/`` in a source checkout)."""
    packaged = Path(__file__).with_name("_spec")
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "spec"


def spec_path() -> Path:
    """The format specification, ``clipdoc-1.2.md``.

    >>> spec_path().name, spec_path().is_file()
    ('clipdoc-1.2.md', True)
    """
    return spec_folder() / "clipdoc-1.2.md"


def schema_path() -> Path:
    """The JSON Schema of the JSON mapping, ``clipdoc.schema.json``.

    >>> import json
    >>> json.loads(schema_path().read_text(encoding="utf-8"))["$schema"]
    'https://json-schema.org/draft/2020-12/schema'
    """
    return spec_folder() / "clipdoc.schema.json"


def default_suite() -> Path:
    """The conformance fixtures (``tests`` beside the specification)."""
    return spec_folder() / "tests"


def _load_runner() -> types.ModuleType:
    """The suite's ``run.py``, as a module (compiled in memory: nothing is
    written beside the fixtures)."""
    path = default_suite() / "run.py"
    try:
        source = path.read_bytes()
    except OSError as error:
        raise ImportError(f"the conformance runner {path} cannot be read: {error}") from None
    name = f"{__name__}._run"
    module = types.ModuleType(name, "The conformance suite's run.py.")
    module.__file__ = str(path)
    sys.modules[name] = module
    exec(compile(source, str(path), "exec"), module.__dict__)
    for public in (module.Fixture, module.Report):
        public.__module__ = __name__
    return module


_runner = _load_runner()

if TYPE_CHECKING:

    class Fixture(Protocol):
        """One fixture of the suite: its kind (the folder), its name, and the
        check an implementation must pass for it."""

        kind: str
        name: str
        folder: Path

        @property
        def id(self) -> str: ...

        def read(self, suffix: str) -> bytes: ...

        def check(self, decode: Step, encode: Step) -> str | None: ...

    class Report(Protocol):
        """What a run found, fixture family by fixture family."""

        passed: dict[str, int]
        failures: list[str]
        warnings_reported: int
        warnings_absent: int

        @property
        def total(self) -> int: ...

        def summary(self) -> list[str]: ...

else:
    Fixture = _runner.Fixture
    Report = _runner.Report


def fixtures(suite: Path) -> Iterator[Fixture]:
    """Every fixture of the suite, kind by kind, in name order.

    >>> next(fixtures(default_suite())).id.startswith("valid/")
    True
    """
    found: Iterator[Fixture] = _runner.fixtures(suite)
    return found


def run_suite(suite: Path, decode: Step, encode: Step) -> Report:
    """Run the whole suite with a decoder and an encoder; a `Report`."""
    report: Report = _runner.run_suite(suite, decode, encode)
    return report


def command_step(command: str, timeout: float | None = 60.0) -> Step:
    """Run ``command`` (split like a shell would) once per input."""
    step: Step = _runner.command_step(command, timeout)
    return step


def _read(data: bytes) -> tuple[dict[str, Any], list[dict[str, object]]]:
    """The JSON mapping of a document and the warnings clipdoc reports for
    it, in document order; a `ClipdocError` for its first error."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ClipdocWarning)
        clipping = load(io.BytesIO(data))
    found: list[dict[str, object]] = []
    for caught_warning in caught:
        message = caught_warning.message
        if isinstance(message, ClipdocWarning):
            diagnostic = message.diagnostic
            found.append(
                {"code": diagnostic.code, "line": diagnostic.line, "column": diagnostic.column}
            )
        else:  # not ours: let it through
            warnings.warn_explicit(
                message, caught_warning.category, caught_warning.filename, caught_warning.lineno
            )
    return to_dict(clipping), found


def decode_bytes(data: bytes) -> tuple[int, bytes]:
    """clipdoc as a decoder: the mapping and its ``warnings``.

    >>> decode_bytes(b"# t\\r\\n")[1]  # doctest: +ELLIPSIS
    b'{"title": "t", ..., "warnings": [{"code": "CD202", "line": 1, "column": 4}]}'
    """
    try:
        mapping, found = _read(data)
    except ClipdocError as error:
        failed = {
            "code": error.code,
            "line": error.line,
            "column": error.column,
            "diagnostics": _every_diagnostic(data, error),
        }
        return 1, json.dumps(failed, ensure_ascii=False).encode("utf-8")
    mapping["warnings"] = found
    return 0, json.dumps(mapping, ensure_ascii=False).encode("utf-8")


def _every_diagnostic(data: bytes, error: ClipdocError) -> list[dict[str, object]]:
    """Every error and warning of a document with errors, in order [CNF-7]:
    one that is not UTF-8 has CD110 alone [ENC-3]."""
    if error.code == "CD110":
        return [{"code": error.code, "line": error.line, "column": error.column}]
    return [
        {"code": found.code, "line": found.line, "column": found.column}
        for found in check(data.decode("utf-8"))
    ]


def encode_bytes(data: bytes) -> tuple[int, bytes]:
    """clipdoc as an encoder."""
    try:
        return 0, render(from_json(data)).encode("utf-8")
    except ClipdocError as error:
        return 1, json.dumps({"code": error.code, "message": error.message}).encode("utf-8")


def _warnings_json(found: list[dict[str, object]]) -> bytes:
    """A ``.warnings.json`` file: one warning a line."""
    if not found:
        return b"[]\n"
    lines = ",\n".join(f"  {json.dumps(item, ensure_ascii=False)}" for item in found)
    return f"[\n{lines}\n]\n".encode()


def _write_warnings(suite: Path) -> int:
    """Write ``canonical/NAME.warnings.json`` for every ``canonical/NAME.md``
    of the suite: the warnings clipdoc reports for it; and
    ``NAME.out.warnings.json`` for a ``NAME.out.md`` that has warnings too
    (CD210 stays in a canonical document). The exit status: 1 when a document
    cannot be read."""
    folder = suite / "canonical"
    if not folder.is_dir():
        print(f"no canonical/ folder in {suite}; pass --suite DIR", file=sys.stderr)
        return 2
    written = unchanged = failed = 0
    documents = {path.name[: -len(".md")] for path in folder.glob("*.md")}
    for name in sorted(documents):
        target = folder / f"{name}.warnings.json"
        try:
            found = _read((folder / f"{name}.md").read_bytes())[1]
        except ClipdocError as error:
            print(f"canonical/{name}.md: {error}: not a canonical fixture", file=sys.stderr)
            failed += 1
            continue
        if name.endswith(".out"):
            if not found and not target.exists():
                continue  # the usual case: a canonical document has no warnings
        elif not found:
            print(f"note: canonical/{name}.md has no warnings; its place is valid/")
        if _store(target, _warnings_json(found)):
            written += 1
        else:
            unchanged += 1
    for path in sorted(folder.glob("*.warnings.json")):
        if path.name[: -len(".warnings.json")] not in documents:
            print(f"note: {path} belongs to no canonical/*.md (not removed)")
    more_written, more_unchanged, more_failed = _write_diagnostics(suite)
    written, unchanged, failed = (
        written + more_written,
        unchanged + more_unchanged,
        failed + more_failed,
    )
    print(f"{written} written, {unchanged} unchanged, {failed} failed")
    return 1 if failed else 0


def _write_diagnostics(suite: Path) -> tuple[int, int, int]:
    """Write ``invalid/NAME.diagnostics.json`` for every ``invalid/NAME.md``:
    every diagnostic clipdoc reports for it [CNF-7]. How many files were
    written, were unchanged, and failed."""
    written = unchanged = failed = 0
    for path in sorted((suite / "invalid").glob("*.md")):
        status, output = decode_bytes(path.read_bytes())
        target = path.with_suffix(".diagnostics.json")
        if status != 1:
            print(f"invalid/{path.name}: clipdoc finds no error in it", file=sys.stderr)
            failed += 1
            continue
        if _store(target, _warnings_json(json.loads(output)["diagnostics"])):
            written += 1
        else:
            unchanged += 1
    return written, unchanged, failed


def _store(target: Path, data: bytes) -> bool:
    """Write a fixture file unless it already holds ``data``: whether it was
    written (an unchanged file keeps its time stamp, so ``git status`` stays
    quiet)."""
    if target.is_file() and target.read_bytes() == data:
        return False
    target.write_bytes(data)
    print(f"wrote {target}")
    return True


def _serve(step: Step) -> int:
    status, output = step(sys.stdin.buffer.read())
    sys.stdout.buffer.write(output)
    sys.stdout.buffer.flush()
    return status


def main(argv: Sequence[str] | None = None) -> int:
    """The conformance runner as a command (``python -m clipdoc.conformance``)."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["decode"]:
        return _serve(decode_bytes)
    if arguments[:1] == ["encode"]:
        return _serve(encode_bytes)
    parser = _runner.build_parser(
        "python -m clipdoc.conformance",
        suite=default_suite(),
        commands_required=False,
        default_implementation="clipdoc, in process",
    )
    parser.epilog = (
        "'decode' and 'encode' as the only argument make this module clipdoc's own decoder"
        " and encoder. " + parser.epilog
    )
    parser.add_argument(
        "--paths",
        action="store_true",
        help="print where the specification, its JSON Schema and the suite are, and stop",
    )
    parser.add_argument(
        "--write-warnings",
        action="store_true",
        help="(maintainers) write canonical/NAME.warnings.json, the warnings clipdoc reports"
        " for canonical/NAME.md, and stop",
    )
    options = parser.parse_args(arguments)
    if options.paths:
        print(f"specification: {spec_path()}")
        print(f"JSON Schema: {schema_path()}")
        print(f"conformance suite: {options.suite}")
        return 0
    if options.write_warnings:
        return _write_warnings(options.suite)
    steps: list[Step] = []
    for option, own in (("decoder", decode_bytes), ("encoder", encode_bytes)):
        command: str | None = getattr(options, option)
        if command is None:
            steps.append(own)
            options.jobs = 1  # in process: one fixture at a time (warnings are global)
            continue
        try:
            steps.append(command_step(command, options.timeout))
        except ValueError as error:
            parser.error(f"--{option}: {error}")
    status: int = _runner.run(parser, options, steps[0], steps[1])
    return status


if __name__ == "__main__":
    sys.exit(main())
