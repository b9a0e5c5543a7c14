#!/usr/bin/env python3
"""The clipdoc conformance runner: the fixtures of this folder against any
decoder and encoder, as section 15 of ``../clipdoc-1.2.md`` says.

Usage (Python 3.10 or later, the standard library only; it needs nothing but
the ``spec/`` folder)::

    python spec/tests/run.py --decoder CMD --encoder CMD [--suite DIR]
                             [-k SUBSTRING] [-v] [--timeout SECONDS] [-j JOBS]

A *decoder* reads a document on standard input and writes its JSON mapping
(exit 0), which MAY carry a ``"warnings"`` member, or the error object
``{"code": ..., "line": ..., "column": ...}`` (exit 1). An *encoder* reads a
JSON mapping and writes the canonical document (exit 0), or ``{"code": ...}``
for a text that is not a valid mapping (exit 1). ``CMD`` is split like a shell
would split it; every run gets the fixture's bytes on standard input, and its
standard output is read as bytes: nothing converts line endings.

JSON is compared by value (the order of members and the spelling of strings
do not matter); documents are compared byte for byte. Exit status: 0 when
every fixture passes, 1 when one fails, 2 for a usage error (a bad option, a
folder that is not a suite, a command that cannot be started).

This file is the one implementation of the checks: ``python -m
clipdoc.conformance`` runs it too.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

#: A decoder or an encoder: input bytes to (exit status, standard output).
#: The pair that `command_step` returns also has the command's standard
#: error, as ``.stderr``, which failure messages quote.
Step = Callable[[bytes], tuple[int, bytes]]

#: The folders of a suite, in the order they run, with the suffix of the file
#: that names a fixture.
KINDS = (("valid", ".md"), ("invalid", ".md"), ("json-invalid", ".json"), ("canonical", ".md"))

#: How the suite's maintainers regenerate ``canonical/*.warnings.json``.
REGENERATE = "python -m clipdoc.conformance --write-warnings"

#: The summary line of a decoder that never reports warnings.
NOT_REPORTED = "warnings: not reported by the decoder (optional)"

#: The note of a canonical fixture whose warnings were not checked.
NOTE = "warnings not reported by the decoder (optional)"

#: How many failures are printed without ``-v``.
SHOWN = 20

__all__ = [
    "KINDS",
    "CommandError",
    "Failure",
    "Fixture",
    "Outcome",
    "Report",
    "Step",
    "build_parser",
    "command_step",
    "fixtures",
    "main",
    "run",
    "run_suite",
]


class Failure(Exception):
    """A fixture failed; the message says how."""


class CommandError(Exception):
    """A command could not be started at all: a usage error."""


class _Output(tuple):  # type: ignore[type-arg]
    """(exit status, standard output), and the command's standard error."""

    stderr: bytes

    def __new__(cls, status: int, stdout: bytes, stderr: bytes) -> _Output:
        self = super().__new__(cls, (status, stdout))
        self.stderr = stderr
        return self


def command_step(command: str, timeout: float | None = 60.0) -> Step:
    """Run ``command`` (split like a shell would) once per input, with the
    input on standard input; its exit status and standard output (and its
    standard error, for messages). A run longer than ``timeout`` seconds
    fails the fixture; a command that cannot start is a `CommandError`."""
    argv = shlex.split(command)
    if not argv:
        raise ValueError("the command is empty")

    def run(data: bytes) -> tuple[int, bytes]:
        try:
            done = subprocess.run(
                argv, input=data, capture_output=True, check=False, timeout=timeout
            )
        except subprocess.TimeoutExpired:
            raise Failure(f"{command!r} did not finish in {timeout:g} s") from None
        except OSError as error:
            raise CommandError(f"cannot run {command!r}: {error}") from None
        return _Output(done.returncode, done.stdout, done.stderr)

    return run


def _call(step: Step, data: bytes) -> tuple[int, bytes, bytes]:
    result = step(data)
    status, output = result
    if not isinstance(status, int) or not isinstance(output, bytes):
        raise TypeError(f"a step returns (int, bytes), not {result!r}")
    return status, output, getattr(result, "stderr", b"")


# -- Showing values ---------------------------------------------------------


def _cut(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"


def _shown(data: bytes) -> str:
    """Output bytes for a message."""
    if not data:
        return "nothing"
    return _cut(repr(data.decode("utf-8", errors="replace")))


def _brief(value: object) -> str:
    """A JSON value for a message."""
    return _cut(json.dumps(value, ensure_ascii=False))


def _said(output: bytes, stderr: bytes) -> str:
    said = f"; it printed {_shown(output)}"
    if stderr.strip():
        tail = stderr.decode("utf-8", errors="replace").strip()[-600:]
        said += "\n  standard error: " + tail.replace("\n", "\n  ")
    return said


# -- Comparing ----------------------------------------------------------------


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    members: dict[str, object] = {}
    for key, value in pairs:
        if key in members:
            raise ValueError(f"duplicate member {key!r}")
        members[key] = value
    return members


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _json(data: bytes, what: str) -> object:
    """The value of a JSON text in UTF-8 (strictly: no byte order mark, no
    duplicate members, no NaN or Infinity)."""
    try:
        return json.loads(
            data.decode("utf-8"), object_pairs_hook=_no_duplicates, parse_constant=_no_constant
        )
    except (UnicodeDecodeError, ValueError) as error:
        raise Failure(f"{what} is not JSON in UTF-8 ({error}): {_shown(data)}") from None


def _suite_json(data: bytes, what: str) -> object:
    """A JSON file of the suite, which may start with a byte order mark (RFC
    8259 lets a parser ignore one)."""
    return _json(data.removeprefix(b"\xef\xbb\xbf"), what)


def _path(path: str, key: str) -> str:
    if key.isidentifier():
        return f"{path}.{key}"
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"


def _same_scalar(expected: object, got: object) -> bool:
    numbers = (int, float)
    if isinstance(expected, bool) or isinstance(got, bool):
        return type(expected) is type(got) and expected == got
    if isinstance(expected, numbers) and isinstance(got, numbers):
        return expected == got
    return type(expected) is type(got) and expected == got


def _object_difference(expected: dict[str, object], got: object, path: str) -> str | None:
    if not isinstance(got, dict):
        return f"{path}: expected an object, got {_brief(got)}"
    for key in expected:
        if key not in got:
            return f"{path}: member {json.dumps(key, ensure_ascii=False)} is missing"
    for key in got:
        if key not in expected:
            return f"{path}: unexpected member {json.dumps(key, ensure_ascii=False)}"
    for key, value in expected.items():
        found = difference(value, got[key], _path(path, key))
        if found:
            return found
    return None


def _array_difference(expected: list[object], got: object, path: str) -> str | None:
    if not isinstance(got, list):
        return f"{path}: expected an array, got {_brief(got)}"
    for index, (left, right) in enumerate(zip(expected, got, strict=False)):
        found = difference(left, right, f"{path}[{index}]")
        if found:
            return found
    if len(expected) != len(got):
        return f"{path}: expected {len(expected)} items, got {len(got)}"
    return None


def difference(expected: object, got: object, path: str = "$") -> str | None:
    """Where two JSON values differ, compared by value (members in any order;
    ``true`` is not ``1``), or None when they are equal.

    >>> difference({"a": [1, "x"]}, {"a": [1, "y"]})
    '$.a[1]: expected "x", got "y"'
    """
    if isinstance(expected, dict):
        return _object_difference(expected, got, path)
    if isinstance(expected, list):
        return _array_difference(expected, got, path)
    if _same_scalar(expected, got):
        return None
    return f"{path}: expected {_brief(expected)}, got {_brief(got)}"


def byte_difference(expected: bytes, got: bytes) -> str | None:
    """Where two byte strings first differ, or None when they are equal.

    >>> print(byte_difference(b"# t\\n", b"# t\\r\\n"))
    first difference at byte 3 (line 1); expected 4 bytes, got 5
      expected: b'# t\\n'
      got:      b'# t\\r\\n'
    """
    if expected == got:
        return None
    offset = next(
        (index for index, (a, b) in enumerate(zip(expected, got, strict=False)) if a != b),
        min(len(expected), len(got)),
    )
    start = max(0, offset - 30)
    lead = "..." if start else ""
    line = expected[:offset].count(b"\n") + 1
    return (
        f"first difference at byte {offset} (line {line}); expected {len(expected)} bytes,"
        f" got {len(got)}\n"
        f"  expected: {lead}{expected[start : offset + 40]!r}\n"
        f"  got:      {lead}{got[start : offset + 40]!r}"
    )


# -- Fixtures -------------------------------------------------------------


@dataclass
class _Decoded:
    """A decoder's output: the mapping, its warnings (None when the decoder
    did not write the member) and the mapping as JSON for an encoder."""

    mapping: dict[str, object]
    warnings: list[dict[str, object]] | None
    payload: bytes


def _warning_list(value: object, what: str, member: str = "warnings") -> list[dict[str, object]]:
    """The ``warnings`` (or ``diagnostics``) member: an array of objects with
    a string ``code`` and integer ``line`` and ``column`` (other members are
    ignored)."""
    shape = f'{what}: "{member}" must be an array of {{"code", "line", "column"}} objects'
    if not isinstance(value, list):
        raise Failure(f"{shape}, not {_brief(value)}")
    found: list[dict[str, object]] = []
    for item in value:
        if not (
            isinstance(item, dict)
            and isinstance(item.get("code"), str)
            and all(
                isinstance(item.get(key), int) and not isinstance(item.get(key), bool)
                for key in ("line", "column")
            )
        ):
            raise Failure(f"{shape}; it holds {_brief(item)}")
        found.append({key: item[key] for key in ("code", "line", "column")})
    return found


@dataclass(frozen=True)
class Outcome:
    """What one fixture found: ``problem`` is None when it passed.
    ``warnings`` is True when every output of the decoder for this fixture
    carried the ``warnings`` member, False when one did not, and None for
    fixtures whose warnings do not matter (invalid, json-invalid)."""

    problem: str | None = None
    warnings: bool | None = None
    #: For invalid fixtures: whether the error object carried ``diagnostics``.
    diagnostics: bool | None = None
    note: str | None = None


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
        try:
            return (self.folder / f"{self.name}{suffix}").read_bytes()
        except FileNotFoundError:
            raise Failure(f"the suite has no {self.id}{suffix}") from None

    def check(self, decode: Step, encode: Step) -> str | None:
        """None when the implementation passes, else what went wrong."""
        return self.outcome(decode, encode).problem

    def outcome(self, decode: Step, encode: Step) -> Outcome:
        """Run the implementation on this fixture (section 15)."""
        try:
            if self.kind == "valid":
                return self._valid(decode, encode)
            if self.kind == "invalid":
                expected = _suite_json(self.read(".json"), f"{self.id}.json")
                found = self._error("decoder", decode, self.read(".md"), expected)
                return self._diagnostics(found)
            if self.kind == "json-invalid":
                expected = _suite_json(self.read(".error.json"), f"{self.id}.error.json")
                self._error("encoder", encode, self.read(".json"), expected)
                return Outcome()
            return self._canonical(decode, encode)
        except Failure as failure:
            return Outcome(problem=str(failure))

    def _decode(self, decode: Step, suffix: str) -> _Decoded:
        status, output, stderr = _call(decode, self.read(suffix))
        where = f"{self.id}{suffix}"
        if status != 0:
            raise Failure(f"decoder exited {status} for {where}, expected 0{_said(output, stderr)}")
        value = _json(output, f"decoder output for {where}")
        if not isinstance(value, dict):
            raise Failure(f"decoder output for {where} is not a JSON object: {_shown(output)}")
        if "warnings" not in value:
            return _Decoded(value, None, output)
        reported = _warning_list(value.pop("warnings"), f"decoder output for {where}")
        return _Decoded(value, reported, json.dumps(value, ensure_ascii=False).encode("utf-8"))

    def _encode(self, encode: Step, mapping: bytes, suffix: str) -> None:
        status, output, stderr = _call(encode, mapping)
        if status != 0:
            raise Failure(
                f"encoder exited {status}, expected 0 and {self.id}{suffix}{_said(output, stderr)}"
            )
        found = byte_difference(self.read(suffix), output)
        if found:
            raise Failure(f"encoder output is not {self.id}{suffix}: {found}")

    def _diagnostics(self, found: dict[str, object]) -> Outcome:
        """An error object's optional ``diagnostics`` [CNF-7]: every error
        and warning of the document, as ``NAME.diagnostics.json`` lists them."""
        if "diagnostics" not in found:
            return Outcome(diagnostics=False)
        where = f"decoder output for {self.id}.md"
        reported = _warning_list(found["diagnostics"], where, member="diagnostics")
        expected = _suite_json(self.read(".diagnostics.json"), f"{self.id}.diagnostics.json")
        difference_found = difference(expected, reported)
        if difference_found:
            raise Failure(
                f"{where}: its diagnostics are not {self.id}.diagnostics.json"
                f" ({difference_found})\n  expected: {_brief(expected)}"
                f"\n  got:      {_brief(reported)}"
            )
        return Outcome(diagnostics=True)

    def _error(self, who: str, step: Step, data: bytes, expected: object) -> dict[str, object]:
        """The step must exit 1 and print an error object holding the members
        of ``expected`` (other members are ignored)."""
        if not isinstance(expected, dict):
            raise Failure(f"the suite's error object for {self.id} is not a JSON object")
        status, output, stderr = _call(step, data)
        if status != 1:
            raise Failure(
                f"{who} exited {status}, expected 1 and the error {_brief(expected)}"
                f"{_said(output, stderr)}"
            )
        found = _json(output, f"{who} output")
        if not isinstance(found, dict):
            raise Failure(f"{who} printed {_shown(output)}, expected the error {_brief(expected)}")
        compared = {key: found[key] for key in expected if key in found}
        where = difference(expected, compared)
        if where:
            raise Failure(f"{who} reported {_brief(found)}, expected {_brief(expected)} ({where})")
        return found

    def _valid(self, decode: Step, encode: Step) -> Outcome:
        mapping = self.read(".json")
        decoded = self._decode(decode, ".md")
        where = difference(_suite_json(mapping, f"{self.id}.json"), decoded.mapping)
        if where:
            raise Failure(f"decoder output for {self.id}.md is not {self.id}.json: {where}")
        if decoded.warnings:
            raise Failure(
                f"decoder reported warnings for {self.id}.md, a valid document:"
                f" {_brief(decoded.warnings)}"
            )
        self._encode(encode, mapping, ".md")
        return Outcome(warnings=decoded.warnings is not None)

    def expected_warnings(self, document: str = "") -> list[dict[str, object]]:
        """The warnings of a canonical fixture's ``NAME.md``
        (``NAME.warnings.json``), or with ``document=".out"`` those of its
        ``NAME.out.md`` (``NAME.out.warnings.json``; none when it is absent)."""
        path = self.folder / f"{self.name}{document}.warnings.json"
        if not path.is_file():
            if document:
                return []
            raise Failure(
                f"the suite has no {self.id}.warnings.json (its maintainers write it"
                f" with `{REGENERATE}`)"
            )
        what = f"{self.id}{document}.warnings.json"
        return _warning_list(_suite_json(path.read_bytes(), what), what)

    def _warnings(self, document: str, reported: list[dict[str, object]] | None) -> None:
        """Reported warnings (None: not reported) must be the expected ones."""
        if reported is None:
            return
        expected = self.expected_warnings(document)
        where = difference(expected, reported)
        if where:
            stored = f"{self.id}{document}.warnings.json"
            if not (self.folder / f"{self.name}{document}.warnings.json").is_file():
                raise Failure(
                    f"decoder reported warnings for {self.id}{document}.md, a canonical"
                    f" document, and the suite has no {stored}: {_brief(reported)}"
                )
            raise Failure(
                f"decoder warnings for {self.id}{document}.md are not {stored} ({where})\n"
                f"  expected: {_brief(expected)}\n"
                f"  got:      {_brief(reported)}"
            )

    def _canonical(self, decode: Step, encode: Step) -> Outcome:
        source = self._decode(decode, ".md")
        output = self._decode(decode, ".out.md")
        where = difference(source.mapping, output.mapping)
        if where:
            raise Failure(
                f"decoding {self.id}.out.md gives another mapping than {self.id}.md"
                f" (expected: that of {self.name}.md): {where}"
            )
        self._warnings("", source.warnings)
        self._warnings(".out", output.warnings)
        self._encode(encode, source.payload, ".out.md")
        reported = source.warnings is not None and output.warnings is not None
        return Outcome(warnings=reported, note=None if reported else NOTE)


def fixtures(suite: Path, select: Iterable[str] = ()) -> Iterator[Fixture]:
    """Every fixture of the suite, kind by kind, in name order; with
    ``select``, those whose id (``kind/name``) holds one of its strings."""
    chosen = list(select)
    for kind, suffix in KINDS:
        folder = suite / kind
        for path in sorted(folder.glob(f"*{suffix}")):
            name = path.name[: -len(suffix)]
            if name.endswith((".out", ".error", ".warnings")):
                continue
            fixture = Fixture(kind=kind, name=name, folder=folder)
            if not chosen or any(part in fixture.id for part in chosen):
                yield fixture


# -- Running --------------------------------------------------------------


@dataclass
class Report:
    """What a run found, fixture family by fixture family."""

    passed: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    #: Fixtures whose decoder output carried ``warnings`` / did not.
    warnings_reported: int = 0
    warnings_absent: int = 0
    #: Invalid fixtures whose error object carried ``diagnostics`` / did not.
    diagnostics_reported: int = 0
    diagnostics_absent: int = 0

    def record(self, fixture: Fixture, outcome: Outcome) -> None:
        if outcome.problem is None:
            self.passed[fixture.kind] = self.passed.get(fixture.kind, 0) + 1
        else:
            self.failures.append(f"{fixture.id}: {outcome.problem}")
        if outcome.warnings is True:
            self.warnings_reported += 1
        elif outcome.warnings is False:
            self.warnings_absent += 1
        if outcome.diagnostics is True:
            self.diagnostics_reported += 1
        elif outcome.diagnostics is False:
            self.diagnostics_absent += 1

    @property
    def total(self) -> int:
        return sum(self.passed.values()) + len(self.failures)

    def summary(self) -> list[str]:
        """The closing lines of a run."""
        counts = ", ".join(f"{kind} {count}" for kind, count in sorted(self.passed.items()))
        lines = [f"{sum(self.passed.values())} passed, {len(self.failures)} failed ({counts})"]
        if self.warnings_reported and not self.warnings_absent:
            lines.append("warnings: checked")
        elif self.warnings_absent and not self.warnings_reported:
            lines.append(NOT_REPORTED)
        elif self.warnings_absent:
            lines.append(
                f"warnings: reported for {self.warnings_reported} fixtures, not reported for"
                f" {self.warnings_absent} (optional)"
            )
        if self.diagnostics_reported and not self.diagnostics_absent:
            lines.append("diagnostics of documents with errors: checked")
        elif self.diagnostics_reported or self.diagnostics_absent:
            lines.append(
                f"diagnostics of documents with errors: reported for {self.diagnostics_reported}"
                f" fixtures, not reported for {self.diagnostics_absent} (optional)"
            )
        return lines


def run_suite(
    suite: Path,
    decode: Step,
    encode: Step,
    *,
    select: Iterable[str] = (),
    jobs: int = 1,
    progress: Callable[[Fixture, Outcome], None] | None = None,
) -> Report:
    """Run the suite (or the fixtures ``select`` picks) with a decoder and an
    encoder, ``jobs`` fixtures at a time; a `Report`. ``progress`` sees each
    fixture's outcome, in suite order."""
    report = Report()
    chosen = list(fixtures(suite, select))

    def check(fixture: Fixture) -> tuple[Fixture, Outcome]:
        return fixture, fixture.outcome(decode, encode)

    if jobs <= 1:
        results: Iterable[tuple[Fixture, Outcome]] = map(check, chosen)
        for fixture, outcome in results:
            report.record(fixture, outcome)
            if progress:
                progress(fixture, outcome)
        return report
    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        for fixture, outcome in pool.map(check, chosen):
            report.record(fixture, outcome)
            if progress:
                progress(fixture, outcome)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return report


def _jobs(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 (one per processor) or more")
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def build_parser(
    prog: str | None = None,
    *,
    suite: Path | None = None,
    commands_required: bool = True,
    default_implementation: str = "",
) -> argparse.ArgumentParser:
    """The runner's options. ``python -m clipdoc.conformance`` adds its own."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Run the clipdoc conformance suite against a decoder and an encoder.",
        epilog="Exit status: 0 when every fixture passes, 1 when one fails, 2 for a usage error.",
    )
    default = f" (default: {default_implementation})" if default_implementation else ""
    parser.add_argument(
        "--decoder",
        metavar="CMD",
        required=commands_required,
        help=f"decoder command, split like a shell would{default}",
    )
    parser.add_argument(
        "--encoder",
        metavar="CMD",
        required=commands_required,
        help=f"encoder command, split like a shell would{default}",
    )
    parser.add_argument(
        "--suite",
        metavar="DIR",
        type=Path,
        default=suite if suite is not None else Path(__file__).resolve().parent,
        help="the fixtures folder (default: %(default)s)",
    )
    parser.add_argument(
        "-k",
        dest="select",
        metavar="SUBSTRING",
        action="append",
        default=[],
        help="run only the fixtures whose id (kind/name) holds SUBSTRING; repeatable",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="list every fixture and every failure"
    )
    parser.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=_seconds,
        default=60.0,
        help="fail a command that runs longer (default: %(default)g)",
    )
    parser.add_argument(
        "-j",
        "--jobs",
        metavar="N",
        type=_jobs,
        default=0,
        help="fixtures run at a time (default: 0, one per processor)",
    )
    return parser


def run(
    parser: argparse.ArgumentParser, options: argparse.Namespace, decode: Step, encode: Step
) -> int:
    """Run the suite as ``options`` say and print what it found; the exit
    status. Usage errors exit through ``parser.error`` (status 2)."""
    suite: Path = options.suite
    if not (suite / "valid").is_dir():
        parser.error(f"no conformance suite at {suite}; pass --suite DIR")
    if not any(True for _ in fixtures(suite, options.select)):
        parser.error(f"no fixture id holds {' or '.join(map(repr, options.select))}")
    jobs = options.jobs or min(8, os.cpu_count() or 1)

    def show(fixture: Fixture, outcome: Outcome) -> None:
        if outcome.problem is not None:
            print(f"FAIL {fixture.id}: {outcome.problem}", flush=True)
        elif outcome.note:
            print(f"PASS {fixture.id} ({outcome.note})", flush=True)
        else:
            print(f"PASS {fixture.id}", flush=True)

    try:
        report = run_suite(
            suite,
            decode,
            encode,
            select=options.select,
            jobs=jobs,
            progress=show if options.verbose else None,
        )
    except CommandError as error:
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 2
    if not options.verbose:
        for failure in report.failures[:SHOWN]:
            print(f"FAIL {failure}")
        if len(report.failures) > SHOWN:
            print(f"... and {len(report.failures) - SHOWN} more (use -v)")
    for line in report.summary():
        print(line)
    return 1 if report.failures else 0


def main(argv: Sequence[str] | None = None) -> int:
    """The runner as a command: ``python run.py --decoder CMD --encoder CMD``."""
    parser = build_parser()
    options = parser.parse_args(argv)
    steps: list[Step] = []
    for option in ("decoder", "encoder"):
        try:
            steps.append(command_step(getattr(options, option), options.timeout))
        except ValueError as error:
            parser.error(f"--{option}: {error}")
    return run(parser, options, steps[0], steps[1])


if __name__ == "__main__":
    sys.exit(main())
