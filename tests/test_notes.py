"""Front-matter notes: lossless for clipdoc's, sensible for Web Clipper's."""

from __future__ import annotations

import warnings
from datetime import date

import frontmatter
import pytest
from hypothesis import given

import clipdoc
import strategies
from clipdoc import ClipdocError, Clipping, Metadata, notes
from conftest import EXAMPLE, shared_corpus_files

WEB_CLIPPER = """---
title: "Obsidian Web Clipper"
source: "https://obsidian.md/clipper"
author:
  - "[[Obsidian]]"
published: 2025-08-20
created: 2025-08-26
description: "Highlight and capture web pages in your favorite browser."
tags:
  - "clippings"
  - "tools"
---
## Save the web.

Highlight and capture web pages in your favorite browser.
"""


def _real() -> list[Clipping]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clipdoc.ClipdocWarning)
        return [clipdoc.load(path) for path in shared_corpus_files() or [EXAMPLE]]


def test_real_documents_round_trip_and_frontmatter_reads_the_types() -> None:
    for clip in _real():
        note = notes.to_note(clip)
        assert notes.from_note(note) == clip
        post = frontmatter.loads(note)
        assert post["title"] == clip.title
        assert post["source"] == clip.url
        assert isinstance(post["tags"], list)
        assert post["tags"][0] == "clippings"
        assert isinstance(post["created"], date)
        assert post.content.rstrip("\n") == clipdoc.render(clip).rstrip("\n")


@given(clip=strategies.clippings)
def test_every_clipping_round_trips(clip: Clipping) -> None:
    assert notes.from_note(notes.to_note(clip)) == clip


def test_properties_from_metadata() -> None:
    clip = Clipping(
        title="t",
        url="https://example.com",
        ai_summary="摘要 " * 100,
        metadata=Metadata(
            catalog_date=date(2025, 5, 6),
            extra={"作者": "甲, 乙", "发布时间": "2025-05-01T08:00:00Z", "标签": "AI, LLM"},
        ),
    )
    post = frontmatter.loads(notes.to_note(clip))
    assert post["author"] == ["[[甲]]", "[[乙]]"]
    assert post["published"] == date(2025, 5, 1)
    assert post["created"] == date(2025, 5, 6)
    assert post["tags"] == ["clippings", "AI", "LLM"]
    description = str(post["description"])
    assert len(description) == 200
    assert description.endswith("…")


def test_a_web_clipper_note_becomes_a_clipping() -> None:
    clip = notes.from_note(WEB_CLIPPER)
    assert clip.title == "Obsidian Web Clipper"
    assert clip.url == "https://obsidian.md/clipper"
    assert clip.ai_summary == "Highlight and capture web pages in your favorite browser."
    assert clip.original_summary == (
        "## Save the web.\n\nHighlight and capture web pages in your favorite browser."
    )
    assert clip.metadata == Metadata(
        catalog_date=date(2025, 8, 26),
        extra=(("发布时间", "2025-08-20"), ("作者", "Obsidian"), ("标签", "tools")),
    )
    assert clipdoc.parse(clipdoc.render(clip)) == clip


@pytest.mark.parametrize(
    "text",
    ["# no front matter\n", "---\n[unclosed\n---\nbody\n", "---\n- a list\n---\nbody\n", ""],
)
def test_what_is_not_a_note(text: str) -> None:
    with pytest.raises(ClipdocError) as caught:
        notes.from_note(text)
    assert caught.value.code == "CD601"


def test_wrong_shapes() -> None:
    with pytest.raises(TypeError):
        notes.to_note({"title": "t"})  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        notes.from_note(b"---\n---\n")  # type: ignore[arg-type]
