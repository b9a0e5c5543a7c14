"""The JSON mapping: cattrs conversion, the JSON Schema, and their agreement."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

import clipdoc
from clipdoc import ClipdocError, Clipping
from conftest import EXAMPLE, ROOT, core
from strategies import clippings

SCHEMA = json.loads((ROOT / "spec" / "clipdoc.schema.json").read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def test_schema_is_valid_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@core
@given(clippings)
def test_dict_round_trip_and_schema(clip: Clipping) -> None:
    data = clipdoc.to_dict(clip)
    VALIDATOR.validate(data)
    assert clipdoc.from_dict(data) == clip
    assert clipdoc.from_json(clipdoc.to_json(clip)) == clip
    assert json.loads(clipdoc.to_json(clip)) == data


def test_example_mapping() -> None:
    data = clipdoc.to_dict(clipdoc.load(EXAMPLE))
    assert list(data) == [
        "title",
        "url",
        "original_summary",
        "ai_summary",
        "extra_sections",
        "metadata",
    ]
    assert data["metadata"] == {
        "source": "ArXiv",
        "kind": "论文",
        "saved_at": "2025-05-06T08:03:26Z",
        "catalog_date": "2025-05-06",
        "extra": [],
    }


def test_every_shared_document_converts(corpus_files: list[Path]) -> None:
    for path in corpus_files:
        clip = clipdoc.load(path)
        data = json.loads(clipdoc.to_json(clip))
        VALIDATOR.validate(data)
        assert clipdoc.from_dict(data) == clip
        assert clipdoc.render(clipdoc.from_dict(data)).encode("utf-8") == path.read_bytes()


def _valid() -> dict[str, Any]:
    return {
        "title": "t",
        "url": None,
        "original_summary": None,
        "ai_summary": "x",
        "extra_sections": [{"heading": "h", "body": "b"}],
        "metadata": {
            "source": None,
            "kind": None,
            "saved_at": "2025-03-24T12:54:42+08:00",
            "catalog_date": "2025-03-24",
            "extra": [{"key": "k", "value": "v"}],
        },
    }


def _set(data: dict[str, Any], path: str, value: object) -> dict[str, Any]:
    changed = copy.deepcopy(data)
    target: Any = changed
    *parents, last = path.split(".")
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    if value is _DELETE:
        del target[last]
    else:
        target[int(last) if last.isdigit() else last] = value
    return changed


_DELETE = object()

BAD_INPUTS = [
    ("title", 5, "$.title"),
    ("title", "a\nb", "$.title"),
    ("url", _DELETE, "$"),
    ("ai_summary", ["x"], "$.ai_summary"),
    ("extra_sections.0.heading", "AI 摘要", "$.extra_sections[0].heading"),
    ("extra_sections.0.heading", " h", "$.extra_sections[0].heading"),
    ("extra_sections.0.body", None, "$.extra_sections[0].body"),
    ("metadata.saved_at", "2025-03-24T04:54:42+00:00", "$.metadata.saved_at"),
    ("metadata.saved_at", "2025-03-24T12:54:42", "$.metadata.saved_at"),
    ("metadata.saved_at", "2025-03-24T12:54:42.000000Z", "$.metadata.saved_at"),
    ("metadata.catalog_date", "2025-3-24", "$.metadata.catalog_date"),
    ("metadata.extra.0.key", "来源", "$.metadata.extra[0]"),
    ("metadata.extra.0.key", "a**:b", "$.metadata.extra[0]"),
    ("metadata.extra.0", {"key": "k"}, "$.metadata.extra[0]"),
    ("metadata.zzz", 1, "$.metadata"),
    ("metadata", [], "$.metadata"),
]


@pytest.mark.parametrize(("path", "value", "where"), BAD_INPUTS)
def test_bad_input_is_rejected_by_both_with_its_path(path: str, value: object, where: str) -> None:
    data = _set(_valid(), path, value)
    assert not VALIDATOR.is_valid(data)
    with pytest.raises(ClipdocError) as caught:
        clipdoc.from_dict(data)
    assert caught.value.code == "CD401"
    assert caught.value.message.startswith(f"{where}: ")


def test_valid_input_is_accepted_by_both() -> None:
    VALIDATOR.validate(_valid())
    clip = clipdoc.from_dict(_valid())
    assert clipdoc.to_dict(clip) == _valid()


def test_lone_surrogates_are_rejected() -> None:
    with pytest.raises(ClipdocError, match="surrogate"):
        clipdoc.from_json(
            '{"title": "\\ud800", "url": null, "original_summary": null,'
            ' "ai_summary": null, "extra_sections": [], "metadata": null}'
        )


_NESTINGS = {"[": "]", '{"title": ': "}", '{"extra_sections": [': "]}", " [ ": " ] "}


@pytest.mark.parametrize("opener", sorted(_NESTINGS))
@pytest.mark.parametrize("as_bytes", [False, True])
def test_json_nested_too_deeply_is_cd402(opener: str, as_bytes: bool) -> None:
    depth = 100_000
    text = opener * depth + "null" + _NESTINGS[opener] * depth
    with pytest.raises(ClipdocError) as caught:
        clipdoc.from_json(text.encode() if as_bytes else text)
    assert caught.value.code == "CD402"
    assert "nest more than 64 levels" in caught.value.message


@core
@given(
    openers=st.lists(st.sampled_from(sorted(_NESTINGS)), min_size=1, max_size=4),
    depth=st.one_of(st.integers(0, 3_000), st.integers(0, 150_000)),
    closed=st.booleans(),
    tail=st.sampled_from(["", "]", "}", ",", " x", "\x00"]),
)
def test_json_of_any_nesting_is_a_clipdoc_error(
    openers: list[str], depth: int, closed: bool, tail: str
) -> None:
    levels = [openers[level % len(openers)] for level in range(depth)]
    closers = [_NESTINGS[opener] for opener in reversed(levels)] if closed else []
    text = "".join(levels) + "null" + "".join(closers) + tail
    with pytest.raises(ClipdocError) as caught:
        clipdoc.from_json(text)
    assert caught.value.code in ("CD401", "CD402")
    if depth > 10_000:
        assert caught.value.code == "CD402"
        assert "nest more than 64 levels" in caught.value.message


@pytest.mark.parametrize("digits", [4_300, 4_301, 50_000])
@pytest.mark.parametrize("member", ["title", "metadata", "extra_sections"])
def test_a_number_of_any_length_is_a_member_of_the_wrong_type(digits: int, member: str) -> None:
    # Python makes no int of more than 4,300 digits; the number is JSON all the same.
    mapping: dict[str, Any] = clipdoc.to_dict(clipdoc.load(EXAMPLE))
    mapping[member] = None
    text = json.dumps(mapping).replace(f'"{member}": null', f'"{member}": {"7" * digits}')
    with pytest.raises(ClipdocError) as caught:
        clipdoc.from_json(text)
    assert caught.value.code == "CD401"
    assert f"$.{member}" in caught.value.message


def test_a_json_lines_record_with_a_huge_number_is_a_problem_of_that_record() -> None:
    from clipdoc._interop.streams import parse_record

    item = parse_record((3, b'{"path": "a.md", "title": ' + b"1" * 5000 + b"}"), "all.jsonl")
    assert item.clipping is None
    assert item.where == "all.jsonl:3"
    assert item.problem is not None
    assert "not JSON" not in item.problem
