"""Run the clipdoc conformance suite against any implementation.

Usage::

    python -m clipdoc.conformance [--decoder CMD] [--encoder CMD] [--suite DIR]
    python -m clipdoc.conformance --paths   # where the spec, schema and suite are
    python -m clipdoc.conformance decode   < document.md   > mapping.json
    python -m clipdoc.conformance encode   < mapping.json  > document.md

A *decoder* reads a document on standard input and writes its JSON mapping
(exit 0) or ``{"code": ..., "line": ..., "column": ...}`` (exit 1). An
*encoder* reads the JSON mapping and writes the canonical document (exit 0),
or for an invalid mapping ``{"code": ...}`` (exit 1).
Without ``--decoder``/``--encoder`` the suite runs against clipdoc itself, in
process. The runner prints a summary and exits 1 if any fixture fails.
"""

from __future__ import annotations

import argparse
import io
import json
import shlex
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ._api import load, render
from ._core.errors import ClipdocError, ClipdocWarning
from ._core.json_mapping import from_json, to_dict

#: A step of an implementation: input bytes to (exit status, output bytes).
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

Step = Callable[[bytes], tuple[int, bytes]]


def decode_bytes(data: bytes) -> tuple[int, bytes]:
    """clipdoc as a decoder."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ClipdocWarning)
            mapping: object = to_dict(load(io.BytesIO(data)))
        status = 0
    except ClipdocError as error:
        mapping = {"code": error.code, "line": error.line, "column": error.column}
        status = 1
    return status, json.dumps(mapping, ensure_ascii=False).encode("utf-8")


def encode_bytes(data: bytes) -> tuple[int, bytes]:
    """clipdoc as an encoder."""
    try:
        return 0, render(from_json(data)).encode("utf-8")
    except ClipdocError as error:
        return 1, json.dumps({"code": error.code, "message": error.message}).encode("utf-8")


def command_step(command: str) -> Step:
    """Run ``command`` (split like a shell would) once per input."""
    argv = shlex.split(command)

    def run(data: bytes) -> tuple[int, bytes]:
        done = subprocess.run(argv, input=data, capture_output=True, check=False, timeout=60)
        return done.returncode, done.stdout

    return run


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


@dataclass
class Report:
    """What a run found, fixture family by fixture family."""

    passed: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def record(self, kind: str, name: str, problem: str | None) -> None:
        if problem is None:
            self.passed[kind] = self.passed.get(kind, 0) + 1
        else:
            self.failures.append(f"{kind}/{name}: {problem}")

    @property
    def total(self) -> int:
        return sum(self.passed.values()) + len(self.failures)


def _names(folder: Path, suffix: str) -> Iterator[str]:
    for path in sorted(folder.glob(f"*{suffix}")):
        name = path.name[: -len(suffix)]
        if not name.endswith(".out"):
            yield name


def _parse_json(output: bytes) -> object:
    try:
        return json.loads(output)
    except (ValueError, UnicodeDecodeError):
        return None


def _shown(data: bytes) -> str:
    return repr(data[:300].decode("utf-8", errors="replace"))


def _check_decoding(decode: Step, document: bytes, expected: object) -> str | None:
    status, output = decode(document)
    if status != 0:
        return f"decoder exited {status}: {_shown(output)}"
    if _parse_json(output) != expected:
        return f"decoder printed {_shown(output)}"
    return None


def _check_encoding(encode: Step, mapping: bytes, expected: bytes) -> str | None:
    status, output = encode(mapping)
    if status != 0:
        return f"encoder exited {status}: {_shown(output)}"
    if output != expected:
        return f"encoder wrote {_shown(output)}, expected {_shown(expected)}"
    return None


def _check_error(who: str, step: Step, data: bytes, expected: dict[str, object]) -> str | None:
    """The step must exit 1 and print an error object holding ``expected``."""
    status, output = step(data)
    if status != 1:
        return f"{who} exited {status}, expected 1 and the error {expected}"
    found = _parse_json(output)
    if not isinstance(found, dict) or {key: found.get(key) for key in expected} != expected:
        return f"{who} printed {_shown(output)}, expected {expected}"
    return None


@dataclass(frozen=True)
class Fixture:
    """One fixture of the suite: its kind (the folder), its name, and the
    check an implementation must pass for it."""

    kind: str
    name: str
    folder: Path

    @property
    def id(self) -> str:
        return f"{self.kind}/{self.name}"

    def read(self, suffix: str) -> bytes:
        """The bytes of this fixture's file that ends with ``suffix``."""
        return (self.folder / f"{self.name}{suffix}").read_bytes()

    def check(self, decode: Step, encode: Step) -> str | None:
        """None when the implementation passes, else what went wrong."""
        if self.kind == "valid":
            mapping, document = self.read(".json"), self.read(".md")
            return _check_decoding(decode, document, json.loads(mapping)) or _check_encoding(
                encode, mapping, document
            )
        if self.kind == "invalid":
            expected = json.loads(self.read(".json"))
            return _check_error("decoder", decode, self.read(".md"), expected)
        if self.kind == "json-invalid":
            expected = json.loads(self.read(".error.json"))
            return _check_error("encoder", encode, self.read(".json"), expected)
        out = self.read(".out.md")
        status, mapping = decode(self.read(".md"))
        if status != 0:
            return f"decoder exited {status}: {_shown(mapping)}"
        return _check_decoding(decode, out, _parse_json(mapping)) or _check_encoding(
            encode, mapping, out
        )


def fixtures(suite: Path) -> Iterator[Fixture]:
    """Every fixture of the suite, kind by kind, in name order."""
    for kind, suffix in (
        ("valid", ".md"),
        ("invalid", ".md"),
        ("json-invalid", ".json"),
        ("canonical", ".md"),
    ):
        folder = suite / kind
        for name in _names(folder, suffix):
            if not name.endswith(".error"):
                yield Fixture(kind=kind, name=name, folder=folder)


def run_suite(suite: Path, decode: Step, encode: Step) -> Report:
    report = Report()
    for fixture in fixtures(suite):
        report.record(fixture.kind, fixture.name, fixture.check(decode, encode))
    return report


def _serve(step: Step) -> int:
    status, output = step(sys.stdin.buffer.read())
    sys.stdout.buffer.write(output)
    sys.stdout.buffer.flush()
    return status


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["decode"]:
        return _serve(decode_bytes)
    if arguments[:1] == ["encode"]:
        return _serve(encode_bytes)
    parser = argparse.ArgumentParser(
        prog="python -m clipdoc.conformance",
        description="Run the clipdoc conformance suite against an implementation.",
        epilog="'decode' and 'encode' as the only argument make this module clipdoc's own"
        " decoder and encoder.",
    )
    parser.add_argument("--decoder", metavar="CMD", help="decoder command (default: clipdoc)")
    parser.add_argument("--encoder", metavar="CMD", help="encoder command (default: clipdoc)")
    parser.add_argument("--suite", metavar="DIR", type=Path, help="the fixtures folder")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every failure")
    parser.add_argument(
        "--paths",
        action="store_true",
        help="print where the specification, its JSON Schema and the suite are, and stop",
    )
    options = parser.parse_args(arguments)
    if options.paths:
        print(f"specification: {spec_path()}")
        print(f"JSON Schema: {schema_path()}")
        print(f"conformance suite: {options.suite or default_suite()}")
        return 0
    suite = options.suite or default_suite()
    if not (suite / "valid").is_dir():
        parser.error(f"no conformance suite at {suite}; pass --suite DIR")
    decode = command_step(options.decoder) if options.decoder else decode_bytes
    encode = command_step(options.encoder) if options.encoder else encode_bytes
    report = run_suite(suite, decode, encode)
    shown = report.failures if options.verbose else report.failures[:20]
    for failure in shown:
        print(f"FAIL {failure}")
    if len(shown) < len(report.failures):
        print(f"... and {len(report.failures) - len(shown)} more (use --verbose)")
    counts = ", ".join(f"{kind} {count}" for kind, count in sorted(report.passed.items()))
    print(f"{sum(report.passed.values())} passed, {len(report.failures)} failed ({counts})")
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
