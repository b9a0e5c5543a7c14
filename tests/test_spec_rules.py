"""Rules of format 1.2 that answer what 1.1 left open: where a first error
is, and what a reader and the JSON encoder accept (spec/clipdoc-1.2.md)."""

from __future__ import annotations

import io

import pytest

import clipdoc
from clipdoc import ClipdocError

META = "# t\n\n## 元数据\n\n"
REST = '"url": null, "original_summary": null, "ai_summary": null, "extra_sections": []'


def _found(text: str) -> list[tuple[str, int | None, int | None]]:
    return [(d.code, d.line, d.column) for d in clipdoc.check(text)]


def _first_error(data: bytes) -> tuple[str, int | None, int | None]:
    with pytest.raises(ClipdocError) as caught:
        clipdoc.load(io.BytesIO(data))
    return caught.value.code, caught.value.line, caught.value.column


# ENC-1, EOL-4: a leading byte order mark is not counted in the column of CD110.
@pytest.mark.parametrize(
    ("data", "where"),
    [
        (b"\xef\xbb\xbf# \xff\n", (1, 3)),
        (b"# \xff\n", (1, 3)),
        # U+FEFF after the first line is an ordinary character: it counts.
        (b"# t\n\xef\xbb\xbf\xff\n", (2, 2)),
        ("# 标😀\t".encode() + b"\xff\n", (1, 6)),
    ],
)
def test_cd110_column_counts_characters_without_the_bom(
    data: bytes, where: tuple[int, int]
) -> None:
    assert _first_error(data) == ("CD110", *where)


# TTL-3: a first line that is not a title line is the first line of the URL
# region; nothing before it is checked for blank lines.
def test_a_url_line_in_place_of_the_title() -> None:
    assert _found("**URL**: x\n") == [("CD101", 1, 1)]
    assert _found("hello\n\n**URL**: x\n") == [("CD101", 1, 1), ("CD107", 1, 1)]


# TTL-2: with no line left, CD101 is at line 1 (seen where ERR-4 does not
# replace it: every line of the document is in a conflict).
def test_cd101_of_a_blank_document_is_at_line_1() -> None:
    assert _found("\n\n<<<<<<< a\n=======\n>>>>>>> b\n") == [("CD101", 1, 1), ("CD106", 3, 1)]


# TS-4: CD104 and CD105 are at the value's first column, after the SPACE
# that follows the colon, or right after the colon.
@pytest.mark.parametrize(
    ("item", "code", "column"),
    [
        ("- **保存时间**:", "CD104", 12),
        ("- **保存时间**:x", "CD104", 12),
        ("- **保存时间**: x", "CD104", 13),
        ("- **保存时间**:  2025-05-06T08:03:26Z", "CD104", 13),
        ("- **目录日期**:", "CD105", 12),
        ("- **目录日期**: 2025-05-06 ", "CD105", 13),
    ],
)
def test_value_errors_are_at_the_value(item: str, code: str, column: int) -> None:
    assert (code, 5, column) in _found(META + item + "\n")


# MET-4: an item between bad lines ends their run, a duplicate one too.
def test_a_duplicate_item_ends_a_run_of_bad_lines() -> None:
    text = META + "- **来源**: a\n- **来源**: b\n- bad\nfree\n"
    assert _found(text) == [("CD108", 6, 1), ("CD103", 7, 1)]


# ERR-3: a diagnostic both sides have is the same code at the same place,
# whatever its message says (here: the line of the first item, which differs).
def test_conflict_sides_agree_on_code_and_place() -> None:
    text = META + "<<<<<<< a\n- **来源**: a\n=======\n- **来源**: b\n>>>>>>> b\n- **来源**: c\n"
    assert _found(text) == [("CD106", 5, 1), ("CD108", 10, 1)]


# ERR-2: errors at one position by code, CD106 first.
def test_errors_at_one_position_come_in_code_order() -> None:
    found = clipdoc.check("hello\n\n**URL**: x\n")
    assert [d.code for d in found] == ["CD101", "CD107"]


# JSON-7: what the encoder accepts as JSON text.
def _clipping_json(title: str = '"t"', more: str = "") -> str:
    return f'{{"title": {title}, {REST}, "metadata": null{more}}}'


@pytest.mark.parametrize(
    ("data", "code", "says"),
    [
        (_clipping_json(more=', "title": "u"').encode(), "CD401", "$: member(s) given more"),
        (
            _clipping_json(more=', "metadata": null').encode(),
            "CD401",
            "more than once: metadata",
        ),
        (
            f'{{"title": "t", {REST}, "metadata": {{"source": "a", "source": "b", "kind": null,'
            ' "saved_at": null, "catalog_date": null, "extra": []}}'.encode(),
            "CD401",
            "$.metadata: member(s) given more than once: source",
        ),
        (_clipping_json("NaN").encode(), "CD402", "NaN is not a JSON value"),
        (_clipping_json("Infinity").encode(), "CD402", "Infinity is not a JSON value"),
        (_clipping_json('"a\xff"').encode("latin-1"), "CD402", "not UTF-8 JSON"),
        (_clipping_json('"\xed\xa0\x80"').encode("latin-1"), "CD402", "not UTF-8 JSON"),
        (_clipping_json().encode("utf-16"), "CD402", "not UTF-8 JSON"),
        (_clipping_json().encode() + b" {}", "CD402", "Extra data"),
        (b"\xef\xbb\xbf\xef\xbb\xbf" + _clipping_json().encode(), "CD402", "not JSON"),
        # A BOM is ignored: what follows decides.
        (b"\xef\xbb\xbf" + _clipping_json("5").encode(), "CD401", "$.title"),
    ],
)
def test_json_text_the_encoder_refuses(data: bytes, code: str, says: str) -> None:
    with pytest.raises(ClipdocError) as caught:
        clipdoc.from_json(data)
    assert caught.value.code == code
    assert says in caught.value.message


@pytest.mark.parametrize("bom", ["\ufeff", ""])
def test_json_text_with_one_bom_is_read(bom: str) -> None:
    text = bom + _clipping_json()
    assert clipdoc.from_json(text).title == "t"
    assert clipdoc.from_json(text.encode()).title == "t"


# JSON-8: a model fault in JSON is CD401, not the CD3xx of section 4.
def test_model_faults_in_json_are_cd401() -> None:
    with pytest.raises(ClipdocError) as caught:
        clipdoc.from_json(_clipping_json('"a\\nb"'))
    assert caught.value.code == "CD401"
    assert caught.value.message.startswith("$.title: ")


# TS-5: the date fields are years 0001 to 9999; the instant may fall outside.
@pytest.mark.parametrize("saved", ["0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59"])
def test_instants_outside_the_years_round_trip(saved: str) -> None:
    text = META + f"- **保存时间**: {saved}\n"
    clip = clipdoc.parse(text)
    assert clipdoc.render(clip) == text
    assert clipdoc.to_dict(clip)["metadata"]["saved_at"] == saved
    assert clipdoc.from_dict(clipdoc.to_dict(clip)) == clip


# ESC-4, ESC-14: the escaping code is the spec's table, cell for cell.
def test_the_escaping_table_is_the_spec_table() -> None:
    from clipdoc._core import escape
    from conftest import ROOT

    spec = (ROOT / "spec" / "clipdoc-1.2.md").read_text(encoding="utf-8")
    header = "| class | `clear` | `after-text` | `doubt` | `doubt-after-blank` |"
    rows = spec[spec.index(header) :].split("\n\n", 1)[0].split("\n")[2:]
    classes = {
        "blank": escape.BLANK,
        "escaped": escape.ESCAPED,
        "fence": escape.FENCE,
        "HTML opener": escape.HTML_OPENER,
        "ambiguous": escape.AMBIGUOUS,
        "underline": escape.UNDERLINE,
        "empty item": escape.EMPTY_ITEM,
        "container": escape.CONTAINER,
        "text": escape.TEXT,
    }
    states = [escape.CLEAR, escape.AFTER_TEXT, escape.DOUBT, escape.DOUBT_AFTER_BLANK]
    from_spec: dict[str, dict[str, tuple[str, str]]] = {state: {} for state in states}
    for row in rows:
        name, *cells = (cell.strip() for cell in row.strip("|").split("|"))
        for state, cell in zip(states, cells, strict=True):
            action, _, next_state = cell.partition(", ")
            # "open" names no state: the block decides it (after-text when
            # the line is escaped).
            rule = (action, next_state.strip("`") or escape.AFTER_TEXT)
            from_spec[state][classes[name]] = rule
    assert from_spec == escape._TABLE
    assert set(classes.values()) == set(escape._TABLE[escape.CLEAR])
