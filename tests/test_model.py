"""The attrs models: frozen, keyword-only, validated."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import attrs
import pytest

from clipdoc import ClipdocError, Clipping, Metadata, Section


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
