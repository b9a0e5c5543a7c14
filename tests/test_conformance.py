"""The format specification, its fixtures and the conformance runner."""

from __future__ import annotations

import json
import re
import shutil
import sys
import warnings
from collections import Counter
from pathlib import Path

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
        if not path.name.endswith((".out.md", ".error.json"))
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


@pytest.fixture
def small_suite(tmp_path: Path) -> Path:
    """Two fixtures of every kind: enough to drive real subprocesses quickly."""
    for kind in ("valid", "invalid", "canonical", "json-invalid"):
        (tmp_path / kind).mkdir()
        for path in sorted((SUITE / kind).iterdir())[:4]:
            shutil.copy(path, tmp_path / kind / path.name)
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
