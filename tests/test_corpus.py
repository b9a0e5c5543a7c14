"""Real documents come back byte for byte."""

from __future__ import annotations

import warnings
from datetime import date, datetime, timezone
from pathlib import Path

import clipdoc
from conftest import EXAMPLE


def _round_trip(path: Path) -> None:
    data = path.read_bytes()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clip = clipdoc.load(path)
    assert clipdoc.render(clip).encode("utf-8") == data, path.name
    assert clipdoc.check(data.decode("utf-8")) == []


def test_bundled_example_round_trips() -> None:
    _round_trip(EXAMPLE)


def test_bundled_example_fields() -> None:
    clip = clipdoc.load(EXAMPLE)
    assert clip.title.startswith("#阿里通义应用视觉团队负责人离职##阿里通义薄列峰离职#五一节后")
    assert clip.url == "https://weibo.com/6105753431/Pqzc66P5o"
    assert clip.original_summary is not None
    assert clip.original_summary.startswith('<a href="https://m.weibo.cn/search?')
    assert clip.original_summary.endswith("<br><br>")
    assert clip.ai_summary is not None
    assert clip.ai_summary.startswith("阿里通义实验室")
    assert clip.extra_sections == ()
    assert clip.metadata == clipdoc.Metadata(
        source="ArXiv",
        kind="论文",
        saved_at=datetime(2025, 5, 6, 8, 3, 26, tzinfo=timezone.utc),
        catalog_date=date(2025, 5, 6),
    )


def test_every_shared_document_round_trips(corpus_files: list[Path]) -> None:
    assert len(corpus_files) >= 380
    for path in corpus_files:
        _round_trip(path)


def test_shared_corpus_keeps_offsets(corpus_files: list[Path]) -> None:
    offsets = set()
    for path in corpus_files:
        metadata = clipdoc.load(path).metadata
        assert metadata is not None
        assert metadata.saved_at is not None
        offsets.add(metadata.saved_at.utcoffset())
    assert len(offsets) >= 2  # Z and +08:00 both occur in real data
