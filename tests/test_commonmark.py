"""Markdown viewers and clipdoc agree on where sections start.

A line CommonMark reads as a top-level ATX ``##`` heading is a section
boundary for clipdoc, and clipdoc has no boundary CommonMark does not see;
no body shows a setext heading. Checked with markdown-it-py (CommonMark
0.31) and cmark-gfm (GitHub's renderer, CommonMark 0.29 in places, with and
without the GFM extensions).
"""

from __future__ import annotations

import re
import sys
import warnings

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

import clipdoc
from clipdoc import Clipping, Metadata, Section
from conftest import ROOT, core
from strategies import bodies, clippings

sys.path.insert(0, str(ROOT / "benchmarks"))
from viewer_agreement import Grammar

# Bodies from the differential fuzzer's block-structure grammar (lists nested
# by markers and indentation, block quotes, fences, the HTML block kinds with
# odd whitespace, setext lines, tables, headings, conflict markers), drawn
# through Hypothesis, in every kind of section.
block_bodies = st.randoms(use_true_random=False).map(lambda rng: Grammar(rng).body())
block_clippings = st.builds(
    Clipping,
    title=st.just("t"),
    url=st.none(),
    original_summary=st.none() | block_bodies,
    ai_summary=block_bodies,
    extra_sections=st.lists(
        st.builds(Section, heading=st.sampled_from(["x", "y z"]), body=block_bodies), max_size=2
    ),
    metadata=st.none() | st.just(Metadata(source="x")),
)

_MD = MarkdownIt("commonmark")
_BOUNDARY = re.compile(r" {0,3}##(?:[ \t]|$)")


def commonmark_h2_lines(text: str) -> set[int]:
    return {
        token.map[0]
        for token in _MD.parse(text)
        if token.type == "heading_open"
        and token.tag == "h2"
        and token.level == 0
        and token.markup == "##"
        and token.map is not None
    }


def setext_headings(text: str) -> list[int]:
    """Lines where markdown-it sees a top-level setext heading (one inside a
    block quote is the quote's, not a section)."""
    return [
        token.map[0] if token.map else -1
        for token in _MD.parse(text)
        if token.type == "heading_open" and token.markup in ("=", "-") and token.level == 0
    ]


_CMARK_TAG = re.compile(
    r'<(/?)(blockquote|ul|ol|h[1-6])(?: data-sourcepos="(\d+):\d+-(\d+):\d+")?[^>]*>'
)


def cmark_headings(text: str, *, gfm: bool) -> list[tuple[int, int, int, bool]]:
    """(level, first line, last line, top level) of every heading cmark-gfm
    sees, lines counted from 0; a setext heading spans two lines or more."""
    render = cmarkgfm.github_flavored_markdown_to_html if gfm else cmarkgfm.markdown_to_html
    html = render(text, options=Options.CMARK_OPT_SOURCEPOS)
    headings, depth = [], 0
    for closing, name, first, last in _CMARK_TAG.findall(html):
        if name.startswith("h"):
            if not closing:
                headings.append((int(name[1]), int(first) - 1, int(last) - 1, depth == 0))
        else:
            depth += -1 if closing else 1
    return headings


def assert_viewers_agree(text: str) -> None:
    boundaries = clipdoc_boundaries(text)
    assert commonmark_h2_lines(text) == boundaries
    assert setext_headings(text) == []
    for gfm in (False, True):
        headings = cmark_headings(text, gfm=gfm)
        assert [h for h in headings if h[1] != h[2] and h[3]] == [], "a setext heading"
        assert {first for level, first, _, top in headings if level == 2 and top} == boundaries


def clipdoc_boundaries(text: str) -> set[int]:
    return {index for index, line in enumerate(text.split("\n")) if _BOUNDARY.match(line)}


def _section_count(clip: Clipping) -> int:
    known = [clip.original_summary, clip.ai_summary, clip.metadata]
    return sum(part is not None for part in known) + len(clip.extra_sections)


@core
@given(clippings)
def test_rendered_sections_are_exactly_commonmark_h2_headings(clip: Clipping) -> None:
    text = clipdoc.render(clip)
    assert_viewers_agree(text)
    assert len(clipdoc_boundaries(text)) == _section_count(clip)


@core
@given(block_clippings)
def test_block_structure_bodies_show_exactly_their_sections(clip: Clipping) -> None:
    text = clipdoc.render(clip)
    assert_viewers_agree(text)
    assert len(clipdoc_boundaries(text)) == _section_count(clip)


@core
@given(bodies, bodies)
def test_no_body_swallows_the_next_heading(first: str, second: str) -> None:
    clip = Clipping(
        title="t",
        original_summary=first,
        ai_summary=second,
        extra_sections=[Section(heading="x", body=first)],
    )
    assert_viewers_agree(clipdoc.render(clip))


@pytest.mark.parametrize(
    "body",
    [
        "Title\n===\nSub\n---",
        "x\n-",
        "x\n- \t",
        "x\n   =======",
        "<!x\n```",
        "<![cdata[\n```",
        "<style\u2003x\n```",
        "<textarea>\n```\n</textarea>",
        "<script\x0b\n```",
        "ours\n=======\ntheirs",
        "> a\n---",
        "- a\n  ---",
        "a\n\n---",
    ],
)
def test_the_four_ways_viewers_disagreed_with_1_0(body: str) -> None:
    clip = Clipping(title="t", ai_summary=body, extra_sections=[Section(heading="n")])
    assert_viewers_agree(clipdoc.render(clip))


def test_every_valid_fixture_shows_exactly_its_sections() -> None:

    for path in sorted((ROOT / "spec" / "tests" / "valid").glob("*.md")):
        text = path.read_bytes().decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
        if text.startswith("\ufeff"):
            continue
        assert_viewers_agree(text)


@pytest.mark.parametrize(
    ("document", "ai_summary"),
    [
        ("# t\n\n##\tAI 摘要\n\nx\n", "x"),
        ("# t\n\n   ## AI 摘要\n\nx\n", "x"),
        ("# t\r\r## AI 摘要\r\rx\r", "x"),
        ("# t\n\n## AI 摘要\n\nx\r## not a line of the body\n", "x"),
    ],
)
def test_headings_commonmark_sees_are_boundaries(document: str, ai_summary: str) -> None:
    normalized = document.replace("\r\n", "\n").replace("\r", "\n")
    assert commonmark_h2_lines(normalized) == clipdoc_boundaries(normalized)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clipdoc.ClipdocWarning)
        clip = clipdoc.parse(document)
    assert clip.ai_summary == ai_summary


@pytest.mark.parametrize(
    "line",
    ["    ## four spaces", "\t## tab", "##x", "\\## escaped", "###", "> ## quoted"],
)
def test_lines_commonmark_does_not_see_as_h2_are_not_boundaries(line: str) -> None:
    document = f"# t\n\n## AI 摘要\n\n{line}\n"
    assert commonmark_h2_lines(document) == {2}
    assert clipdoc_boundaries(document) == {2}


@pytest.mark.parametrize(
    ("body", "escaped"),
    [
        ("## x", "\\## x"),
        ("\\## x", "\\\\\\## x"),
        ("\\\r", "\\\\&#13;"),
        ("```py\ncode\n```", "```py\ncode\n```"),
        ("```\n## x", "\\```\n\\## x"),
        ("<!-- open", "\\<!-- open"),
        ("<!-- closed -->", "<!-- closed -->"),
        ("<pre>\nx\n</pre>", "<pre>\nx\n</pre>"),
        ("<<<<<<< HEAD", "\\<<<<<<< HEAD"),
        ("a\rb", "a&#13;b"),
        ("&#13;", "\\&#13;"),
        ("\\&#13;", "\\\\\\&#13;"),
        ("\\textbf{x} 27.8\\%", "\\textbf{x} 27.8\\%"),
        # After a possible container, openers are escaped until a blank line
        # and an unindented line close every container.
        ("- a\n  ```\n```", "- a\n  \\```\n\\```"),
        ("<div>\n```\n\n```", "<div>\n\\```\n\n\\```"),
        ("- a\n\n```\ncode\n```", "- a\n\n```\ncode\n```"),
        ("```\n```\n```", "```\n```\n\\```"),
        ("~~~~\n~~~\n~~~~~", "~~~~\n~~~\n~~~~~"),
        ("``` a`b", "``` a`b"),
    ],
)
def test_escapes_are_minimal_commonmark_escapes(body: str, escaped: str) -> None:
    text = clipdoc.render(Clipping(title="t", ai_summary=body))
    assert text == f"# t\n\n## AI 摘要\n\n{escaped}\n"
    assert clipdoc.parse(text).ai_summary == body
