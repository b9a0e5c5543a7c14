"""The central guarantees: parse(render(x)) == x, and render is injective."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import clipdoc
from clipdoc import Clipping, Metadata
from clipdoc._core import canonical as _canonical
from clipdoc._core.canonical import read_canonical
from clipdoc._core.parser import parse_document
from clipdoc._core.writer import render_any_layout
from conftest import core
from strategies import clippings, documents, producer_clippings, tiny_clippings


@core
@given(clippings)
def test_parse_inverts_render(clip: Clipping) -> None:
    assert clipdoc.parse(clipdoc.render(clip)) == clip


@core
@given(clippings)
def test_rendered_documents_are_clean(clip: Clipping) -> None:
    assert clipdoc.check(clipdoc.render(clip)) == []


@core
@given(tiny_clippings, tiny_clippings)
def test_equal_exactly_when_rendered_equal(first: Clipping, second: Clipping) -> None:
    assert (first == second) == (clipdoc.render(first) == clipdoc.render(second))


@core
@given(clippings)
def test_equal_clippings_hash_equal(clip: Clipping) -> None:
    assert hash(clipdoc.parse(clipdoc.render(clip))) == hash(clip)


def test_same_instant_in_another_offset_is_a_different_clipping() -> None:
    utc = Clipping(
        title="t", metadata=Metadata(saved_at=datetime(2025, 1, 1, 8, tzinfo=timezone.utc))
    )
    shanghai = attrs.evolve(
        utc,
        metadata=Metadata(saved_at=datetime(2025, 1, 1, 16, tzinfo=timezone(timedelta(hours=8)))),
    )
    assert utc.metadata is not None
    assert shanghai.metadata is not None
    assert utc.metadata.saved_at == shanghai.metadata.saved_at  # Python's view
    assert utc != shanghai
    assert clipdoc.render(utc) != clipdoc.render(shanghai)


def test_any_tzinfo_with_the_same_offset_is_the_same_clipping() -> None:
    zoneinfo = __import__("zoneinfo")
    try:
        shanghai_zone = zoneinfo.ZoneInfo("Asia/Shanghai")
    except zoneinfo.ZoneInfoNotFoundError:  # pragma: no cover - no tz database
        shanghai_zone = timezone(timedelta(hours=8))
    fixed = Metadata(
        saved_at=datetime(2025, 3, 24, 12, 54, 42, tzinfo=timezone(timedelta(hours=8)))
    )
    zoned = Metadata(saved_at=datetime(2025, 3, 24, 12, 54, 42, tzinfo=shanghai_zone))
    assert fixed == zoned
    assert clipdoc.render(Clipping(title="t", metadata=fixed)) == clipdoc.render(
        Clipping(title="t", metadata=zoned)
    )


@core
@given(st.sampled_from(["", "\n", "\n\n", " ", "x\n", "\nx"]))
def test_blank_lines_at_either_end_of_a_body_survive(body: str) -> None:
    clip = Clipping(title="t", original_summary=body, ai_summary=body)
    assert clipdoc.parse(clipdoc.render(clip)) == clip


def test_none_and_empty_are_different_documents() -> None:
    absent = Clipping(title="t")
    empty = Clipping(title="t", url="", original_summary="", ai_summary="", metadata=Metadata())
    assert clipdoc.render(absent) == "# t\n"
    assert clipdoc.render(empty) == (
        "# t\n\n**URL**: \n\n## 原始摘要\n\n\n\n## AI 摘要\n\n\n\n## 元数据\n\n\n"
    )
    assert clipdoc.parse(clipdoc.render(empty)) == empty


@core
@given(clippings | producer_clippings)
def test_canonical_documents_take_the_fast_path(clip: Clipping) -> None:
    text = clipdoc.render(clip)
    fast = read_canonical(text)
    if not any(marker in text for marker in ("<<<<<<<", ">>>>>>>", "|||||||")):
        assert fast == clip


def _layout_agrees(text: str) -> None:
    """The producer-layout path returns a clipping only when the general
    canonical path returns the same one."""
    if text.startswith("# ") and text.endswith("\n") and "\r" not in text:
        title_end = text.index("\n")
        producer = _canonical._read_producer_layout(text, title_end)
        if producer is not None:
            assert _canonical._read_sections(text, title_end) == producer


@core
@given(clippings | producer_clippings)
def test_producer_layout_agrees_with_the_general_path(clip: Clipping) -> None:
    _layout_agrees(clipdoc.render(clip))


@core
@given(clippings | producer_clippings)
def test_the_writers_shortcut_writes_what_the_general_writer_writes(clip: Clipping) -> None:
    assert clipdoc.render(clip) == render_any_layout(clip)


@core
@given(producer_clippings)
def test_producer_layout_round_trips(clip: Clipping) -> None:
    assert clipdoc.parse(clipdoc.render(clip)) == clip


@pytest.mark.parametrize(
    ("written", "wrong"),
    [
        ("T00:00:00Z", "T24:00:00Z"),
        ("T00:00:00Z", "T00:00:00-00:60"),
        ("T00:00:00Z", "T00:00:00+05:60"),
        ("T00:00:00Z", "T00:00:00+24:00"),
    ],
)
def test_out_of_range_times_are_left_to_the_full_reader(written: str, wrong: str) -> None:
    """What the format has no room for [TS-1] (hour 24, an offset's minute
    60) is an error, though fromisoformat, which the fast readers use, reads
    some of it as the next hour or midnight."""
    text = clipdoc.render(
        Clipping(
            title="t",
            url="u",
            original_summary="o",
            ai_summary="a",
            metadata=Metadata(
                source="s",
                kind="k",
                saved_at=datetime(2025, 1, 1, tzinfo=timezone.utc),
                catalog_date=datetime(2025, 1, 1).date(),
            ),
        )
    ).replace(written, wrong)
    assert read_canonical(text) is None
    with pytest.raises(clipdoc.ClipdocError, match="CD104"):
        clipdoc.parse(text)


@core
@given(documents)
def test_fast_path_agrees_with_the_full_reader(text: str) -> None:
    fast = read_canonical(text)
    if fast is not None:
        assert parse_document(text) == (fast, [])
    _layout_agrees(text)


@core
@given(st.sampled_from(["\n", "\n\n", "\n\n\n"]), st.sampled_from(["", "x", "x\n", "## y"]))
def test_fast_path_agrees_on_section_framing(gap: str, tail: str) -> None:
    for text in (f"# t\n\n## AI 摘要{gap}{tail}", f"# t\n\n## A{gap}{tail}\n\n## B\n\nz\n"):
        fast = read_canonical(text)
        if fast is not None:
            assert parse_document(text) == (fast, [])


@core
@given(clippings | producer_clippings, st.data())
def test_fast_path_agrees_on_near_canonical_documents(clip: Clipping, data: st.DataObject) -> None:
    text = clipdoc.render(clip)
    position = data.draw(st.integers(min_value=0, max_value=len(text)))
    edit = data.draw(st.sampled_from(["delete", "insert", "duplicate line"]))
    if edit == "delete":
        text = text[:position] + text[position + 1 :]
    elif edit == "insert":
        inserted = data.draw(
            st.sampled_from(["\n", " ", "\t", "#", "##", "\\", "-", "*", ":", "x"])
        )
        text = text[:position] + inserted + text[position:]
    else:
        start = text.rfind("\n", 0, position) + 1
        end = text.find("\n", position)
        line = text[start : end + 1 if end >= 0 else len(text)]
        text = text[:start] + line + text[start:]
    fast = read_canonical(text)
    if fast is not None:
        assert parse_document(text) == (fast, [])
    _layout_agrees(text)


def test_a_body_that_needs_escapes_is_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast reader hands the bodies it read to the full reader, which
    would otherwise repeat the work on a document that is not canonical."""
    from clipdoc._core import escape as _escape

    calls: list[str] = []
    real = _escape._read_escaped_body

    def counted(written: str) -> tuple[str, tuple[int, str] | None]:
        calls.append(written)
        return real(written)

    monkeypatch.setattr(_escape, "_read_escaped_body", counted)
    text = "# t\n\n## AI 摘要\n\n" + "<!--\n" * 3  # unescaped openers: not canonical
    assert clipdoc.check(text)[0].code == "CD209"
    with pytest.warns(clipdoc.ClipdocWarning, match="CD209"):
        assert clipdoc.parse(text).ai_summary == "<!--\n<!--\n<!--"
    assert len(calls) == 2  # once for check, once for parse
