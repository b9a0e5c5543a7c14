"""The attrs models: frozen, keyword-only, validated."""

from __future__ import annotations

from collections import OrderedDict
from datetime import date, datetime, timedelta, timezone
from types import MappingProxyType

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import clipdoc
import strategies
from clipdoc import ClipdocError, Clipping, Metadata, Section
from clipdoc._core.timestamps import CANONICAL_TIMESTAMP


def test_models_are_frozen_and_keyword_only() -> None:
    clip = Clipping(title="t")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        clip.title = "u"  # type: ignore[misc]
    with pytest.raises(TypeError):
        Clipping("t")  # type: ignore[call-arg]


def test_sequences_become_tuples() -> None:
    clip = Clipping(title="t", extra_sections=[Section(heading="a")])
    assert clip.extra_sections == (Section(heading="a", body=""),)
    assert Metadata(extra=[("k", "v")]).extra == (("k", "v"),)


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: Clipping(title="a\rb"), "title"),
        (lambda: Clipping(title="t", url="a\nb"), "url"),
        (lambda: Metadata(source="a\nb"), "source"),
        (lambda: Metadata(kind="a\rb"), "kind"),
        (lambda: Metadata(extra=[("k", "a\nb")]), "extra[0]"),
        (lambda: Section(heading="a\nb"), "heading"),
        (lambda: Section(heading=" a"), "heading"),
        (lambda: Section(heading="元数据"), "heading"),
        (lambda: Metadata(extra=[("ok", "v"), ("保存时间", "v")]), "extra[1]"),
        (
            lambda: Metadata(saved_at=datetime(2025, 1, 1, tzinfo=timezone(timedelta(seconds=30)))),
            "saved_at",
        ),
    ],
)
def test_validators_name_the_field(build: object, field: str) -> None:
    with pytest.raises(ClipdocError) as caught:
        build()  # type: ignore[operator]
    assert caught.value.message.startswith(f"{field}: ")


@pytest.mark.parametrize(
    "build",
    [
        lambda: Clipping(title=1),  # type: ignore[arg-type]
        lambda: Clipping(title="t", extra_sections=["x"]),  # type: ignore[list-item]
        lambda: Metadata(saved_at="2025-01-01"),  # type: ignore[arg-type]
        lambda: Metadata(catalog_date=datetime(2025, 1, 1)),
    ],
)
def test_wrong_types_are_type_errors(build: object) -> None:
    with pytest.raises(TypeError):
        build()  # type: ignore[operator]


@pytest.mark.parametrize(
    "body",
    ["<b>html</b>", "## looks like a heading", "- **来源**: x", "<<<<<<< HEAD", "\r", "\n\n"],
)
def test_any_body_is_valid(body: str) -> None:
    assert Clipping(title="t", ai_summary=body).ai_summary == body
    assert Section(heading="h", body=body).body == body


def test_defaults() -> None:
    clip = Clipping(title="t")
    assert (clip.url, clip.original_summary, clip.ai_summary, clip.metadata) == (None,) * 4
    assert clip.extra_sections == ()
    assert Metadata() == Metadata(source=None, kind=None, saved_at=None, catalog_date=None)


def test_evolve_revalidates() -> None:
    clip = Clipping(title="t", metadata=Metadata(catalog_date=date(2025, 5, 6)))
    with pytest.raises(ClipdocError):
        attrs.evolve(clip, title="a\nb")


# --------------------------------------------------------------------------
# The shapes users pass: mappings, generators, lists, and wrong ones.


@given(data=st.data(), pairs=strategies.extra_pairs)
def test_every_shape_of_pairs_gives_the_same_items(
    data: st.DataObject, pairs: list[tuple[str, str]]
) -> None:
    shape = data.draw(strategies.pair_shapes(pairs))
    assert Metadata(extra=shape).extra == tuple(pairs)  # type: ignore[arg-type]


def test_a_mapping_gives_its_items_in_order() -> None:
    # A dict used to be iterated as keys, each two-character key unpacked.
    assert Metadata(extra={"作者": "量子位", "备注": "好"}).extra == (
        ("作者", "量子位"),
        ("备注", "好"),
    )
    assert Metadata(extra=OrderedDict([("b", "1"), ("a", "2")])).extra == (("b", "1"), ("a", "2"))
    assert Metadata(extra=MappingProxyType({"k": "v"})).extra == (("k", "v"),)


@given(value=strategies.wrong_pair_containers)
def test_a_value_that_is_not_pairs_is_a_type_error_naming_extra(value: object) -> None:
    with pytest.raises(TypeError, match=r"^extra must be a mapping or an iterable of"):
        Metadata(extra=value)  # type: ignore[arg-type]


@given(pairs=strategies.extra_pairs, wrong=strategies.wrong_pairs, data=st.data())
def test_a_member_that_is_not_a_pair_is_a_type_error_naming_it(
    pairs: list[tuple[str, str]], wrong: object, data: st.DataObject
) -> None:
    index = data.draw(st.integers(min_value=0, max_value=len(pairs)))
    members: list[object] = [*pairs[:index], wrong, *pairs[index:]]
    with pytest.raises(TypeError, match=rf"^extra\[{index}\] must be a \(key, value\) pair"):
        Metadata(extra=members)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "pair",
    [(1, "v"), ("k", 2), ("k", None), (b"k", "v")],
)
def test_pair_members_must_be_strings(pair: tuple[object, object]) -> None:
    with pytest.raises(TypeError, match=r"^extra\[0\] must be a \(str, str\) pair"):
        Metadata(extra=[pair])  # type: ignore[list-item]


@given(sections=st.lists(st.builds(Section, heading=strategies.headings), max_size=4))
def test_extra_sections_accept_any_iterable(sections: list[Section]) -> None:
    for shape in (sections, tuple(sections), iter(sections), (s for s in sections)):
        assert Clipping(title="t", extra_sections=shape).extra_sections == tuple(sections)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("笔记", r"^extra_sections must be an iterable of Section, not str"),
        (b"x", r"^extra_sections must be an iterable of Section, not bytes"),
        (5, r"^extra_sections must be an iterable of Section, not int"),
        (Section(heading="h"), r"^extra_sections must be an iterable of Section, not Section"),
        ({"h": "body"}, r"^extra_sections must be an iterable of Section, not dict"),
        (["h"], r"^extra_sections\[0\] must be a Section, not str"),
        ([Section(heading="h"), ("h", "b")], r"^extra_sections\[1\] must be a Section, not tuple"),
    ],
)
def test_wrong_shapes_of_extra_sections(value: object, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        Clipping(title="t", extra_sections=value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "build",
    [
        lambda: Clipping(title="t", metadata={"source": "x"}),  # type: ignore[arg-type]
        lambda: Clipping(title="t", url=b"https://x"),  # type: ignore[arg-type]
        lambda: Section(heading="h", body=None),  # type: ignore[arg-type]
        lambda: Metadata(source=["x"]),  # type: ignore[arg-type]
        lambda: Metadata(catalog_date="2025-05-06"),  # type: ignore[arg-type]
    ],
)
def test_other_wrong_shapes_are_type_errors(build: object) -> None:
    with pytest.raises(TypeError):
        build()  # type: ignore[operator]


# --------------------------------------------------------------------------
# Reading and setting one item by its label.

SAVED = datetime(2025, 5, 6, 8, 3, 26, tzinfo=timezone.utc)


def test_get_reads_known_and_extra_items_as_written() -> None:
    metadata = Metadata(
        source="ArXiv",
        kind="论文",
        saved_at=SAVED,
        catalog_date=date(2025, 5, 6),
        extra=[("作者", "a"), ("作者", "b")],
    )
    assert [metadata.get(label) for label in ("来源", "类型", "保存时间", "目录日期", "作者")] == [
        "ArXiv",
        "论文",
        "2025-05-06T08:03:26Z",
        "2025-05-06",
        "a",
    ]
    assert metadata.get("备注") is None
    assert Metadata().get("来源") is None
    with pytest.raises(TypeError):
        metadata.get(1)  # type: ignore[arg-type]


def test_items_are_what_the_document_lists() -> None:
    clip = Clipping(
        title="t",
        metadata=Metadata(saved_at=SAVED, extra={"作者": "量子位"}, kind="论文"),
    )
    listed = [
        line.removeprefix("- **").split("**: ", 1)
        for line in clipdoc.render(clip).split("## 元数据\n\n", 1)[1].splitlines()
    ]
    assert clip.metadata is not None
    assert [tuple(item) for item in listed] == list(clip.metadata.items())


def test_set_known_items_from_values_and_text() -> None:
    metadata = Metadata()
    metadata = metadata.set("保存时间", "2025-05-06T16:03:26+08:00").set("目录日期", "2025-05-06")
    assert metadata.saved_at == datetime(2025, 5, 6, 16, 3, 26, tzinfo=timezone(timedelta(hours=8)))
    assert metadata.catalog_date == date(2025, 5, 6)
    metadata = metadata.set("保存时间", SAVED).set("目录日期", date(2025, 1, 2))
    assert (metadata.saved_at, metadata.catalog_date) == (SAVED, date(2025, 1, 2))
    metadata = metadata.set("来源", "ArXiv").set("类型", "论文")
    assert (metadata.source, metadata.kind) == ("ArXiv", "论文")
    cleared = metadata.set("来源", None).set("类型", None).set("保存时间", None)
    assert cleared.set("目录日期", None) == Metadata()


def test_set_extra_items_in_place_or_at_the_end() -> None:
    metadata = Metadata(extra=[("a", "1"), ("b", "2"), ("a", "3")])
    assert metadata.set("b", "x").extra == (("a", "1"), ("b", "x"), ("a", "3"))
    assert metadata.set("a", "x").extra == (("a", "x"), ("b", "2"), ("a", "3"))
    assert metadata.set("c", "4").extra[-1] == ("c", "4")
    assert metadata.set("a", None).extra == (("b", "2"),)
    assert metadata.set("zzz", None) == metadata
    assert metadata.extra == (("a", "1"), ("b", "2"), ("a", "3"))  # frozen: a copy each time


@pytest.mark.parametrize(
    ("label", "value", "error"),
    [
        ("保存时间", "yesterday", "CD104"),
        ("保存时间", "2025-05-06T08:03:26", "CD104"),
        ("目录日期", "2025-02-30", "CD105"),
        ("作者", "a\nb", "CD301"),
        ("a**:b", "v", "CD303"),
        ("来源", "a\rb", "CD301"),
    ],
)
def test_set_validates_like_the_model(label: str, value: str, error: str) -> None:
    with pytest.raises(ClipdocError) as caught:
        Metadata().set(label, value)
    assert caught.value.code == error


@pytest.mark.parametrize(
    ("label", "value"),
    [
        ("保存时间", date(2025, 1, 1)),
        ("保存时间", 5),
        ("目录日期", datetime(2025, 1, 1, tzinfo=timezone.utc)),
        ("来源", 5),
        ("作者", ["x"]),
        (None, "x"),
    ],
)
def test_set_refuses_wrong_types(label: str, value: object) -> None:
    with pytest.raises(TypeError):
        Metadata().set(label, value)  # type: ignore[arg-type]


@given(metadata=strategies.metadata)
def test_setting_what_get_reads_changes_nothing(metadata: Metadata) -> None:
    for label, _ in metadata.items():
        assert metadata.set(label, metadata.get(label)) == metadata
    for label, text in metadata.items():
        assert metadata.get(label) is not None
        assert text == metadata.get(label) or label in dict(metadata.extra)


@given(metadata=strategies.metadata, value=strategies.single_line)
def test_set_then_get(metadata: Metadata, value: str) -> None:
    for label in {key for key, _ in metadata.extra} | {"来源", "类型", "新键"}:
        assert metadata.set(label, value).get(label) == value
        assert metadata.set(label, None).get(label) is None


# --------------------------------------------------------------------------
# Every public function, given the wrong shape: a TypeError (or, for JSON
# data, CD401) that says what it got, never another exception or a result.

wrong_values = st.one_of(
    st.binary(max_size=8),
    st.integers(),
    st.none(),
    st.lists(st.text(max_size=3), max_size=3),
    st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2),
    st.builds(lambda: (line for line in ["# t"])),
    st.builds(Section, heading=st.just("h")),
    st.builds(Metadata),
)


@given(value=wrong_values)
def test_text_functions_refuse_what_is_not_text(value: object) -> None:
    for function in (clipdoc.parse, clipdoc.check):
        with pytest.raises(TypeError, match=r"takes a str, not"):
            function(value)  # type: ignore[arg-type]


@given(value=st.one_of(wrong_values, strategies.hostile_text))
def test_model_functions_refuse_what_is_not_a_clipping(value: object) -> None:
    for function in (clipdoc.render, clipdoc.to_dict, clipdoc.to_json):
        with pytest.raises(TypeError, match=r"takes a Clipping, not"):
            function(value)  # type: ignore[arg-type]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(["title", "url", "metadata", "extra", "key", "value", "x"]),
            children,
            max_size=4,
        )
    ),
    max_leaves=12,
)


@given(data=json_values)
def test_from_dict_refuses_every_wrong_shape_with_cd401(data: object) -> None:
    error: ClipdocError | None = None
    try:
        clip = clipdoc.from_dict(data)
    except ClipdocError as raised:
        error = raised
    if error is None:
        assert clipdoc.to_dict(clip) == data
    else:
        assert error.code == "CD401"
        assert error.message.startswith("$")


def _reference_timestamp(value: datetime) -> str:
    """The canonical form [TS-2] spelled out field by field."""
    offset = value.utcoffset()
    assert offset is not None
    text = value.replace(tzinfo=None).isoformat(
        timespec="microseconds" if value.microsecond else "seconds"
    )
    if not offset:
        return text + "Z"
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(offset) // timedelta(minutes=1)
    return f"{text}{sign}{minutes // 60:02d}:{minutes % 60:02d}"


_OFFSETS = st.one_of(
    st.integers(min_value=-1439, max_value=1439).map(lambda m: timedelta(minutes=m)),
    st.integers(min_value=-86399, max_value=86399).map(lambda s: timedelta(seconds=s)),
)


@given(st.datetimes(), _OFFSETS)
def test_timestamp_writer_matches_its_definition(moment: datetime, offset: timedelta) -> None:
    from clipdoc._core.timestamps import format_timestamp

    aware = moment.replace(tzinfo=timezone(offset))
    assert format_timestamp(aware) == _reference_timestamp(aware)


def _canonical_text(moment: datetime, minutes: int) -> str:
    from clipdoc._core.timestamps import format_timestamp

    return format_timestamp(moment.replace(tzinfo=timezone(timedelta(minutes=minutes))))


_CANONICAL_TEXTS = st.one_of(
    st.from_regex(CANONICAL_TIMESTAMP, fullmatch=True),
    st.builds(
        _canonical_text,
        st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
        st.integers(min_value=-1439, max_value=1439),
    ),
)


@given(_CANONICAL_TEXTS)
def test_canonical_timestamp_reader_agrees_with_the_full_one(text: str) -> None:
    """The fast readers' timestamps (fromisoformat) are the full reader's
    (field by field), for any text of the canonical shape: real or not."""
    from clipdoc._core.timestamps import TimestampProblem, parse_timestamp, read_canonical_timestamp

    fast = read_canonical_timestamp(text)
    try:
        full, note = parse_timestamp(text)
    except TimestampProblem:
        assert fast is None
    else:
        assert note is None
        assert fast == full
        assert fast is not None
        assert fast.utcoffset() == full.utcoffset()
