"""The format specification, its fixtures and the conformance runner."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import warnings
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import clipdoc
from clipdoc import CODES, Severity, conformance
from conftest import EXAMPLE, ROOT

SPEC = (ROOT / "spec" / "clipdoc-1.2.md").read_text(encoding="utf-8")
SUITE = ROOT / "spec" / "tests"
SCHEMA = json.loads((ROOT / "spec" / "clipdoc.schema.json").read_text(encoding="utf-8"))
FAMILIES = ("enc", "eol", "ttl", "url", "blk", "sec", "bdy", "esc", "met", "ts", "err", "json")
PYTHON = f"{sys.executable} -m clipdoc.conformance"


def _fixtures(kind: str, suffix: str) -> list[Path]:
    return sorted(
        path
        for path in (SUITE / kind).glob(f"*{suffix}")
        if not path.name.endswith((".out.md", ".error.json", ".diagnostics.json", ".warnings.json"))
    )


@pytest.mark.parametrize(
    "fixture", list(conformance.fixtures(SUITE)), ids=lambda fixture: fixture.id
)
def test_fixture(fixture: conformance.Fixture) -> None:
    """One test per fixture: ``-k bdy-setext`` selects one."""
    assert fixture.check(conformance.decode_bytes, conformance.encode_bytes) is None


def test_the_wheel_layout_of_the_specification() -> None:
    # Installed from a wheel, these live in clipdoc/_spec; from a checkout, in spec/.
    folder = conformance.spec_folder()
    assert conformance.spec_path() == folder / "clipdoc-1.2.md"
    assert conformance.schema_path() == folder / "clipdoc.schema.json"
    assert conformance.default_suite() == folder / "tests"
    assert json.loads(conformance.schema_path().read_text(encoding="utf-8")) == SCHEMA
    readme = (conformance.default_suite() / "README.md").read_text(encoding="utf-8")
    for link in re.findall(r"\]\((\.\./[^)]+)\)", readme):
        assert (conformance.default_suite() / link).resolve().is_file(), link


def test_runner_prints_the_paths(capsys: pytest.CaptureFixture[str]) -> None:
    assert conformance.main(["--paths"]) == 0
    printed = capsys.readouterr().out
    assert f"specification: {conformance.spec_path()}" in printed
    assert f"JSON Schema: {conformance.schema_path()}" in printed


def test_clipdoc_passes_the_whole_suite() -> None:
    report = conformance.run_suite(SUITE, conformance.decode_bytes, conformance.encode_bytes)
    assert report.failures == []
    assert report.total >= 80


def test_runner_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert conformance.main(["--suite", str(SUITE)]) == 0
    assert re.search(r"^\d+ passed, 0 failed", capsys.readouterr().out, re.MULTILINE)


def _copy_fixture(fixture: conformance.Fixture, suite: Path) -> None:
    folder = suite / fixture.kind
    folder.mkdir(exist_ok=True)
    for path in fixture.folder.glob(f"{fixture.name}.*"):  # fixture names hold no "."
        shutil.copy(path, folder / path.name)


@pytest.fixture
def small_suite(tmp_path: Path) -> Path:
    """Two fixtures of every kind, with all their files: enough to drive real
    subprocesses quickly."""
    chosen: Counter[str] = Counter()
    for fixture in conformance.fixtures(SUITE):
        if chosen[fixture.kind] < 2:
            _copy_fixture(fixture, tmp_path)
            chosen[fixture.kind] += 1
    return tmp_path


def test_protocol_over_subprocesses(small_suite: Path) -> None:
    status = conformance.main(
        [
            "--suite",
            str(small_suite),
            "--decoder",
            f"{PYTHON} decode",
            "--encoder",
            f"{PYTHON} encode",
        ]
    )
    assert status == 0


def test_a_broken_implementation_fails(
    small_suite: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    echo = f'{sys.executable} -c "import sys; sys.stdout.write(sys.stdin.read())"'
    assert (
        conformance.main(["--suite", str(small_suite), "--decoder", echo, "--encoder", echo]) == 1
    )
    output = capsys.readouterr().out
    assert "FAIL valid/" in output
    assert "FAIL invalid/" in output


RUN_PY = SUITE / "run.py"
DECODER = f"{PYTHON} decode"
ENCODER = f"{PYTHON} encode"
REGENERATE = "python -m clipdoc.conformance --write-warnings"


def _reported(data: bytes) -> object:
    status, output = conformance.decode_bytes(data)
    assert status == 0, output
    return json.loads(output)["warnings"]


def test_clipdoc_writes_the_warnings_member() -> None:
    assert _reported(b"# t\n") == []
    assert _reported(b"\xef\xbb\xbf# t\r\n") == [
        {"code": "CD201", "line": 1, "column": 1},
        {"code": "CD202", "line": 1, "column": 4},
    ]
    # An error object has no warnings member: every diagnostic, errors too,
    # is in its diagnostics member [CNF-7].
    document = "\ufeff# t\r\n\r\nstray\r\n\r\n## AI 摘要\r\n\r\nx\r\n".encode()
    status, output = conformance.decode_bytes(document)
    assert (status, json.loads(output)) == (
        1,
        {
            "code": "CD107",
            "line": 3,
            "column": 1,
            "diagnostics": [
                {"code": "CD201", "line": 1, "column": 1},
                {"code": "CD202", "line": 1, "column": 4},
                {"code": "CD107", "line": 3, "column": 1},
            ],
        },
    )


def test_stored_warnings_are_what_clipdoc_reports() -> None:
    """``canonical/NAME.warnings.json`` (and ``NAME.out.warnings.json`` where
    the canonical form keeps a warning) hold what clipdoc reports now."""
    folder = SUITE / "canonical"
    problems = []
    documents = sorted(path for path in folder.glob("*.md"))
    for document in documents:
        stored = document.with_name(document.name[: -len(".md")] + ".warnings.json")
        found = _reported(document.read_bytes())
        if not stored.is_file():
            if document.name.endswith(".out.md") and found == []:
                continue
            problems.append(f"canonical/{stored.name} is missing")
        elif json.loads(stored.read_bytes()) != found:
            problems.append(f"canonical/{stored.name} is not {found}")
    names = {path.name[: -len(".md")] for path in documents}
    for stored in folder.glob("*.warnings.json"):
        if stored.name[: -len(".warnings.json")] not in names:
            problems.append(f"canonical/{stored.name} belongs to no document")
    assert not problems, f"run `{REGENERATE}` and read the result: " + "; ".join(problems)


def test_stored_diagnostics_are_what_clipdoc_reports() -> None:
    """``invalid/NAME.diagnostics.json`` holds every diagnostic clipdoc
    reports now, and its first error is the fixture's ``NAME.json``."""
    problems = []
    for document in sorted((SUITE / "invalid").glob("*.md")):
        status, output = conformance.decode_bytes(document.read_bytes())
        reported = json.loads(output)
        stored = document.with_suffix(".diagnostics.json")
        if status != 1:
            problems.append(f"invalid/{document.name} has no error")
        elif not stored.is_file():
            problems.append(f"invalid/{stored.name} is missing")
        elif json.loads(stored.read_bytes()) != reported["diagnostics"]:
            problems.append(f"invalid/{stored.name} is not {reported['diagnostics']}")
        else:
            errors = [item for item in reported["diagnostics"] if item["code"] < "CD200"]
            first = json.loads(document.with_suffix(".json").read_bytes())
            if not errors or errors[0] != first:
                problems.append(f"invalid/{stored.name}: its first error is not {first}")
    assert not problems, f"run `{REGENERATE}` and read the result: " + "; ".join(problems)


def test_wrong_diagnostics_fail_and_absent_ones_pass_with_a_note(tmp_path: Path) -> None:
    script = tmp_path / "decoder.py"
    script.write_text(
        "import json, sys\n"
        "from clipdoc.conformance import decode_bytes\n"
        "status, output = decode_bytes(sys.stdin.buffer.read())\n"
        "value = json.loads(output)\n"
        "if sys.argv[1] == 'drop':\n"
        "    value.pop('diagnostics', None)\n"
        "elif status == 1:\n"
        "    value['diagnostics'] = value['diagnostics'][::-1] + [value['diagnostics'][0]]\n"
        "sys.stdout.write(json.dumps(value))\n"
        "sys.exit(status)\n",
        encoding="utf-8",
    )
    select = ["invalid/err-conflict-base-after-separator"]
    for mode, passes in (("drop", True), ("spoil", False)):
        report = conformance._runner.run_suite(
            SUITE,
            conformance.command_step(f"{sys.executable} {script} {mode}"),
            conformance.encode_bytes,
            select=select,
        )
        assert (not report.failures) is passes, (mode, report.failures)
        if passes:
            assert "not reported for 1 (optional)" in "\n".join(report.summary())


def test_write_warnings_regenerates_the_stored_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(SUITE / "canonical", tmp_path / "canonical")
    stored = sorted((tmp_path / "canonical").glob("*.warnings.json"))
    assert len(stored) >= len(_fixtures("canonical", ".md"))
    for path in stored:
        path.unlink()
    assert conformance.main(["--write-warnings", "--suite", str(tmp_path)]) == 0
    for path in stored:
        assert path.read_bytes() == (SUITE / "canonical" / path.name).read_bytes(), path.name
    assert f"{len(stored)} written, 0 unchanged, 0 failed" in capsys.readouterr().out
    assert conformance.main(["--write-warnings", "--suite", str(tmp_path)]) == 0
    assert f"0 written, {len(stored)} unchanged" in capsys.readouterr().out
    (tmp_path / "canonical" / "bad.md").write_bytes(b"Hello\n")
    (tmp_path / "canonical" / "gone.warnings.json").write_bytes(b"[]\n")
    assert conformance.main(["--write-warnings", "--suite", str(tmp_path)]) == 1
    printed = capsys.readouterr()
    assert "canonical/bad.md: " in printed.err
    assert "gone.warnings.json belongs to no canonical/*.md" in printed.out
    assert conformance.main(["--write-warnings", "--suite", str(tmp_path / "nothing")]) == 2


def _run_py(
    *arguments: str, suite: Path = SUITE, runner: Path = RUN_PY
) -> subprocess.CompletedProcess[str]:
    """run.py as a user runs it: without site-packages (-S), so without clipdoc
    or anything but the standard library."""
    return subprocess.run(
        [sys.executable, "-I", "-S", str(runner), "--suite", str(suite), *arguments],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


#: Fixtures of every kind, for the runs over subprocesses (about 0.2 s a
#: command); the whole suite runs in process (test_clipdoc_passes_the_whole_suite)
#: through the same run.py.
EVERY_KIND = (
    *("-k", "valid/esc-nesting-o", "-k", "valid/met-empty"),
    *("-k", "canonical/eol-crlf", "-k", "canonical/ts-minus"),
    *("-k", "invalid/ttl-level", "-k", "json-invalid/json-date"),
)


def test_run_py_alone_passes_clipdoc(tmp_path: Path) -> None:
    """A copy of spec/ runs on its own: ``python spec/tests/run.py``,
    fixtures of every kind through clipdoc's decoder and encoder commands."""
    shutil.copytree(ROOT / "spec", tmp_path / "spec")
    runner = tmp_path / "spec" / "tests" / "run.py"
    alone = subprocess.run(
        [sys.executable, "-I", "-S", "-c", "import clipdoc"], capture_output=True, check=False
    )
    assert alone.returncode == 1  # the runner below cannot import clipdoc
    done = subprocess.run(
        [
            *(sys.executable, "-I", "-S", str(runner)),
            *("--decoder", DECODER, "--encoder", ENCODER, *EVERY_KIND),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert " passed, 0 failed (canonical " in done.stdout
    assert "warnings: checked" in done.stdout


#: A decoder that is clipdoc's, spoilt: ``MODE`` says how.
WRONG_DECODER = """\
import json, sys
from clipdoc.conformance import decode_bytes

status, output = decode_bytes(sys.stdin.buffer.read())
value = json.loads(output)
mode = sys.argv[1]
if mode == "drop-warnings":
    value.pop("warnings", None)
elif mode == "wrong-warning" and value.get("warnings"):
    value["warnings"][0]["line"] += 1
elif mode == "warn-always" and status == 0:
    value["warnings"].append({"code": "CD203", "line": 1, "column": 1})
elif mode == "reorder":
    # Other member order, other spelling of the strings, extra members in
    # warnings and errors: the same values.
    value = dict(reversed(list(value.items())))
    for warning in value.get("warnings", []):
        warning["message"] = "extra"
    if status == 1:
        value["message"] = "extra"
    output = json.dumps(value, ensure_ascii=True, indent=1).encode()
elif mode == "change-title" and status == 0:
    value["title"] += "!"
if mode != "reorder":
    output = json.dumps(value, ensure_ascii=False).encode()
sys.stdout.buffer.write(output)
sys.exit(status)
"""

BOM = ("-k", "canonical/enc-bom")
EMPTY = ("-k", "valid/bdy-empty-last")
ERRORS = ("-k", "invalid/err-first-of-many", "-k", "json-invalid/json-date-format")


@pytest.mark.parametrize(
    ("mode", "selected", "status", "expected"),
    [
        (
            "drop-warnings",
            BOM + EMPTY,
            0,
            [
                "PASS canonical/enc-bom (warnings not reported by the decoder (optional))",
                "\nwarnings: not reported by the decoder (optional)\n",
            ],
        ),
        ("reorder", BOM + EMPTY + ERRORS, 0, ["4 passed, 0 failed", "\nwarnings: checked\n"]),
        (
            "wrong-warning",
            BOM,
            1,
            [
                "FAIL canonical/enc-bom: decoder warnings for canonical/enc-bom.md are not"
                " canonical/enc-bom.warnings.json ($[0].line: expected 1, got 2)",
                '  expected: [{"code": "CD201", "line": 1, "column": 1}]',
            ],
        ),
        (
            "warn-always",
            EMPTY,
            1,
            ["FAIL valid/bdy-empty-last: decoder reported warnings for valid/bdy-empty-last.md"],
        ),
        (
            "change-title",
            BOM + EMPTY,
            1,
            [
                "FAIL valid/bdy-empty-last: decoder output for valid/bdy-empty-last.md is not"
                ' valid/bdy-empty-last.json: $.title: expected "t", got "t!"',
                "FAIL canonical/enc-bom: encoder output is not canonical/enc-bom.out.md: first"
                " difference at byte 3 (line 1); expected ",
            ],
        ),
    ],
)
def test_run_py_judges_a_wrong_decoder(
    tmp_path: Path, mode: str, selected: tuple[str, ...], status: int, expected: list[str]
) -> None:
    script = tmp_path / "decoder.py"
    script.write_text(WRONG_DECODER, encoding="utf-8")
    decoder = f"{sys.executable} {script} {mode}"
    done = _run_py("--decoder", decoder, "--encoder", ENCODER, "-v", *selected)
    assert done.returncode == status, done.stdout + done.stderr
    for text in expected:
        assert text in done.stdout, done.stdout


def _fixture(id_: str) -> conformance.Fixture:
    [found] = [fixture for fixture in conformance.fixtures(SUITE) if fixture.id == id_]
    return found


def _spoilt(change: Callable[[dict[str, Any]], object]) -> conformance.Step:
    """clipdoc's decoder, its output changed by ``change``."""

    def decode(data: bytes) -> tuple[int, bytes]:
        status, output = conformance.decode_bytes(data)
        value = json.loads(output)
        changed = change(value)
        return status, changed if isinstance(changed, bytes) else json.dumps(value).encode()

    return decode


def _check(id_: str, decode: conformance.Step, encode: conformance.Step | None = None) -> str:
    return _fixture(id_).check(decode, encode or conformance.encode_bytes) or "passed"


def test_json_is_compared_by_value_and_strictly() -> None:
    def error_with_extras(value: dict[str, Any]) -> bytes:
        value["message"] = "more"
        return json.dumps(dict(sorted(value.items())), indent=4).encode("utf-16")

    # Not UTF-8 (UTF-16 is still JSON to json.loads): fails.
    problem = _check("invalid/err-first-of-many", _spoilt(error_with_extras))
    assert "decoder output is not JSON in UTF-8" in problem
    # Extra members of an error object are ignored; true is not 1.
    assert _check("invalid/err-first-of-many", _spoilt(lambda v: v.update(x=1))) == "passed"
    problem = _check("invalid/err-first-of-many", _spoilt(lambda v: v.update(line=True)))
    assert "($.line: expected 3, got true)" in problem
    # A duplicate member, or NaN, is not JSON.
    duplicate = _spoilt(lambda v: json.dumps(v).encode()[:-1] + b', "title": "t"}')
    assert "duplicate member 'title'" in _check("valid/bdy-empty-last", duplicate)
    not_json = _spoilt(lambda v: json.dumps({**v, "title": float("nan")}).encode())
    assert "NaN is not JSON" in _check("valid/bdy-empty-last", not_json)
    # A member too many, or one missing, names its path.
    problem = _check("valid/bdy-empty-last", _spoilt(lambda v: v.update(extra=1)))
    assert 'valid/bdy-empty-last.json: $: unexpected member "extra"' in problem
    problem = _check("valid/bdy-empty-last", _spoilt(lambda v: v.pop("url")))
    assert '$: member "url" is missing' in problem


def test_warnings_must_be_well_formed() -> None:
    def bad(value: dict[str, Any]) -> None:
        value["warnings"] = [{"code": "CD201", "line": "1", "column": 1}]

    problem = _check("canonical/enc-bom", _spoilt(bad))
    assert '"warnings" must be an array of {"code", "line", "column"} objects' in problem
    # The canonical form has no warnings (unless NAME.out.warnings.json says so).
    problem = _check("canonical/enc-bom", _spoilt(lambda v: v.update(warnings=[])))
    assert "decoder warnings for canonical/enc-bom.md are not" in problem


def test_canonical_forms_that_keep_a_warning() -> None:
    """CD210 stays as long as the unparsed section does (REC-1): its
    canonical form states it in NAME.out.warnings.json."""
    fixture = _fixture("canonical/err-unparsed-section")
    assert fixture.check(conformance.decode_bytes, conformance.encode_bytes) is None
    stored = json.loads(
        SUITE.joinpath("canonical/err-unparsed-section.out.warnings.json").read_bytes()
    )
    assert [warning["code"] for warning in stored] == ["CD210"]

    def extra(value: dict[str, Any]) -> None:
        if value["title"] == "t" and not value.get("warnings"):
            value["warnings"] = [{"code": "CD203", "line": 1, "column": 1}]

    problem = _check("canonical/enc-bom", _spoilt(extra))
    assert "decoder reported warnings for canonical/enc-bom.out.md, a canonical document" in problem


def test_encoder_output_is_compared_byte_for_byte() -> None:
    def crlf(data: bytes) -> tuple[int, bytes]:
        status, output = conformance.encode_bytes(data)
        return status, output.replace(b"\n", b"\r\n")

    problem = _check("valid/bdy-empty-last", conformance.decode_bytes, crlf)
    assert problem.startswith(
        "encoder output is not valid/bdy-empty-last.md: first difference at byte 3 (line 1)"
    )
    assert "  expected: b'# t\\n\\n## AI" in problem


def test_a_fixture_file_that_is_missing(tmp_path: Path) -> None:
    (tmp_path / "canonical").mkdir()
    (tmp_path / "canonical" / "x.md").write_bytes(b"\xef\xbb\xbf# t\n")
    [fixture] = conformance.fixtures(tmp_path)
    problem = fixture.check(conformance.decode_bytes, conformance.encode_bytes)
    assert problem == "the suite has no canonical/x.out.md"
    (tmp_path / "canonical" / "x.out.md").write_bytes(b"# t\n")
    problem = fixture.check(conformance.decode_bytes, conformance.encode_bytes)
    assert problem is not None
    assert REGENERATE in problem


def test_run_py_usage_errors_exit_2(tmp_path: Path) -> None:
    assert _run_py().returncode == 2  # no --decoder, no --encoder
    both = ("--decoder", DECODER, "--encoder", ENCODER)
    done = _run_py(*both, suite=tmp_path)
    assert done.returncode == 2
    assert "no conformance suite at" in done.stderr
    done = _run_py(*both, "-k", "no-such-fixture")
    assert done.returncode == 2
    assert "no fixture id holds 'no-such-fixture'" in done.stderr
    done = _run_py("--decoder", "no-such-command-anywhere", "--encoder", ENCODER, *BOM)
    assert done.returncode == 2
    assert "cannot run 'no-such-command-anywhere'" in done.stderr
    assert _run_py("--decoder", "", "--encoder", ENCODER).returncode == 2
    assert _run_py(*both, "--timeout", "0").returncode == 2


def test_run_py_timeout(tmp_path: Path) -> None:
    sleeper = f"{sys.executable} -c 'import time; time.sleep(30)'"
    done = _run_py("--decoder", sleeper, "--encoder", ENCODER, "--timeout", "0.5", *EMPTY)
    assert done.returncode == 1
    assert "did not finish in 0.5 s" in done.stdout


def test_runner_selects_and_lists_fixtures(capsys: pytest.CaptureFixture[str]) -> None:
    assert conformance.main(["-v", "-k", "enc-bom", "-k", "bdy-empty-last"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[:2] == ["PASS valid/bdy-empty-last", "PASS canonical/enc-bom"]
    assert printed[2].startswith("2 passed, 0 failed (canonical 1, valid 1)")
    assert printed[3:] == ["warnings: checked"]


def test_a_failure_shows_the_standard_error(small_suite: Path) -> None:
    crash = f"{sys.executable} -c 'raise SystemExit(\"decoder broke\")'"
    step = conformance.command_step(crash)
    fixture = next(conformance.fixtures(small_suite))
    problem = fixture.check(step, conformance.encode_bytes)
    assert problem is not None
    assert "decoder exited 1" in problem
    assert "standard error: decoder broke" in problem


def test_every_document_code_has_a_fixture() -> None:
    errors = {json.loads(path.read_bytes())["code"] for path in _fixtures("invalid", ".json")}
    warned: set[str] = set()
    for path in _fixtures("canonical", ".md"):
        warned |= {d.code for d in clipdoc.check(path.read_bytes().decode("utf-8"))}
    json_errors = {
        json.loads(path.read_bytes())["code"]
        for path in (SUITE / "json-invalid").glob("*.error.json")
    }
    for code, info in CODES.items():
        if code.startswith("CD1"):
            assert code in errors, f"{code} has no invalid/ fixture"
        elif code.startswith("CD2"):
            assert info.severity is Severity.WARNING
            assert code in warned, f"{code} has no canonical/ fixture"
        elif code.startswith("CD4"):
            assert code in json_errors, f"{code} has no json-invalid/ fixture"


def test_every_code_is_in_the_spec_table() -> None:
    table = set(re.findall(r"^\| (CD\d{3}) \| (?:error|warning) \|", SPEC, re.MULTILINE))
    assert table == set(CODES)


def test_worked_example_matches_the_code() -> None:
    section = SPEC[SPEC.index("## 14. Worked example") :]
    document = re.search(r"````markdown\n(.*?)````\n", section, re.DOTALL)
    mapping = re.search(r"```json\n(.*?)\n```\n", section, re.DOTALL)
    assert document is not None
    assert mapping is not None
    seed = EXAMPLE.read_text(encoding="utf-8")
    assert document.group(1) == seed
    assert mapping.group(1) == clipdoc.to_json(clipdoc.parse(seed), indent=2)


def test_spec_is_finished() -> None:
    assert not re.search(r"\b(TODO|TBD|FIXME|XXX)\b", SPEC)


def test_valid_fixture_mappings_match_the_schema() -> None:
    validator = jsonschema.Draft202012Validator(SCHEMA)
    for path in _fixtures("valid", ".json"):
        validator.validate(json.loads(path.read_bytes()))
    for path in _fixtures("json-invalid", ".json"):
        try:
            data = json.loads(path.read_bytes())
        except ValueError:
            continue  # not JSON at all
        assert not validator.is_valid(data) or "\\ud800" in path.read_text(), path.name


def test_fixture_names_follow_rule_families() -> None:
    counts: Counter[str] = Counter()
    for kind in ("valid", "invalid", "canonical", "json-invalid"):
        suffix = ".json" if kind == "json-invalid" else ".md"
        for path in _fixtures(kind, suffix):
            family = path.name.split("-", 1)[0]
            assert family in FAMILIES, path.name
            counts[family] += 1
    assert set(counts) == set(FAMILIES)


def test_rule_identifiers_are_unique() -> None:
    rules = re.findall(r"\*\*\[([A-Z]+-\d+)\]\*\*", SPEC)
    assert len(rules) == len(set(rules))
    assert len(rules) >= 40


def test_fixtures_read_without_warnings_are_canonical() -> None:
    for path in _fixtures("valid", ".md"):
        text = path.read_bytes().decode("utf-8")
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert clipdoc.render(clipdoc.parse(text)) == text


def test_every_public_name_has_an_example_and_a_reference_entry() -> None:
    from clipdoc import html

    api = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    for name in clipdoc.__all__:
        if name == "__version__":
            assert "__version__" in api
            continue
        if name == "CODES":
            assert ".. py:data:: CODES" in api
            continue
        assert ">>>" in (getattr(clipdoc, name).__doc__ or ""), f"clipdoc.{name} has no example"
        assert re.search(rf"\b{name}\b", api), f"clipdoc.{name} is not in docs/api.md"
    assert ".. automodule:: clipdoc.html\n   :members:" in api
    for name in html.__all__:
        assert ">>>" in (getattr(html, name).__doc__ or ""), f"clipdoc.html.{name} has no example"


def test_error_code_page_lists_every_code() -> None:
    page = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    listed = re.findall(r"^\| (CD\d{3}) \| (error|warning) \|", page, re.MULTILINE)
    assert dict(listed) == {code: info.severity.value for code, info in CODES.items()}


PUBLIC_MODULES = (
    "clipdoc",
    "clipdoc.html",
    "clipdoc.feeds",
    "clipdoc.notes",
    "clipdoc.arrow",
    "clipdoc.dask",
    "clipdoc.site",
    "clipdoc.conformance",
)


def test_the_api_table_lists_exactly_the_public_names() -> None:
    import importlib

    page = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(clipdoc[\w.]*)` \| `(\w+)` \| (\w+) \|", page, re.MULTILINE)
    listed = {(module, name) for module, name, _ in rows}
    assert len(listed) == len(rows), "a name is listed twice"
    public = {
        (module, name)
        for module in PUBLIC_MODULES
        for name in importlib.import_module(module).__all__
    }
    assert listed == public
    for module, name, kind in rows:
        value = getattr(importlib.import_module(module), name)
        is_class = isinstance(value, type)
        if kind == "exception":
            assert is_class, name
            assert issubclass(value, BaseException), name
        elif kind == "function":
            assert callable(value), name
            assert not is_class, name
        elif kind == "class":
            assert is_class, name
            assert not issubclass(value, BaseException), name
