"""Merge conflicts: one diagnostic per conflict, nothing that follows from it,
and recovery that keeps every conflict visible."""

from __future__ import annotations

import warnings
from datetime import date
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import clipdoc
from clipdoc import Clipping, Metadata
from clipdoc._core.conflicts import find_conflicts, side_lines
from conftest import ROOT, core
from strategies import clippings

# Documents from the producer's own repository, committed with the markers
# that one `git pull --rebase` left in them (MIT, see LICENSE.ai_info there).
CONFLICTED = sorted((ROOT / "tests" / "data" / "conflicted").glob("*.md"))


def _recover(text: str) -> Clipping:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clipdoc.ClipdocWarning)
        return clipdoc.parse(text, recover=True)


@pytest.mark.parametrize("path", CONFLICTED, ids=lambda path: path.name[:24])
def test_producer_conflicts_give_one_cd106_each_and_nothing_else(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    opening = [number for number, line in enumerate(lines, 1) if line.startswith("<<<<<<< ")]
    found = clipdoc.check(text)
    assert [(d.code, d.line, d.column) for d in found] == [("CD106", n, 1) for n in opening]


@pytest.mark.parametrize("path", CONFLICTED, ids=lambda path: path.name[:24])
def test_recovered_conflicts_stay_visible(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    recovered = _recover(text)
    rendered = clipdoc.render(recovered)
    conflicts = text.count("\n<<<<<<< ")
    found = clipdoc.check(rendered)
    assert [d.code for d in found] == ["CD210"] * conflicts
    assert all("clipdoc: unparsed conflict from line" in d.message for d in found)
    # Every line of both sides is still there (markers escaped).
    for line in text.splitlines():
        assert line in rendered.replace("\n\\", "\n").splitlines()


def test_the_producer_case_keeps_the_text_outside_the_conflicts() -> None:
    [path] = [path for path in CONFLICTED if path.name.startswith("GAEA")]
    recovered = _recover(path.read_text(encoding="utf-8"))
    assert recovered.title == "GAEA: A Geolocation Aware Conversational Model"
    assert recovered.url == "http://arxiv.org/abs/2503.16423v1"
    assert recovered.ai_summary == ""
    assert recovered.metadata == Metadata(
        source="ArXiv", kind="论文", catalog_date=date(2025, 3, 24)
    )
    assert [section.heading for section in recovered.extra_sections] == [
        "clipdoc: unparsed conflict from line 32",
        "clipdoc: unparsed conflict from line 42",
    ]


DIFF3 = (
    "# t\n\n## AI 摘要\n\n<<<<<<< HEAD\nours\n||||||| base\nold\n=======\ntheirs\n>>>>>>> topic\n"
)


def test_diff3_conflicts_have_three_parts() -> None:
    lines = DIFF3.splitlines()
    markers = [i for i, line in enumerate(lines) if line[:7] in ("<<<<<<<", "|||||||", ">>>>>>>")]
    [conflict] = find_conflicts(lines, markers)
    assert conflict.is_whole
    assert [lines[i] for i in conflict.ours] == ["ours"]
    assert [lines[i] for i in conflict.base] == ["old"]
    assert [lines[i] for i in conflict.theirs] == ["theirs"]
    assert [(d.code, d.line) for d in clipdoc.check(DIFF3)] == [("CD106", 5)]


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        # A stray marker is a conflict of its own.
        ("# t\n\n## AI 摘要\n\nx\n>>>>>>> topic\n", [("CD106", 6)]),
        ("# t\n\n## AI 摘要\n\n<<<<<<< HEAD\nx\n", [("CD106", 5)]),
        ("# t\n\n## AI 摘要\n\n<<<<<<< HEAD\nx\n>>>>>>> topic\n", [("CD106", 5), ("CD106", 7)]),
        (
            "# t\n\n## AI 摘要\n\n<<<<<<< a\n<<<<<<< b\nx\n=======\ny\n>>>>>>> c\n",
            [("CD106", 5), ("CD106", 6)],
        ),
        # Whichever side is kept, the file has no title.
        ("<<<<<<< HEAD\n", [("CD106", 1), ("CD101", 1)]),
        # Markers around whole sections: the duplicated headings follow from them.
        (
            "# t\n\n<<<<<<< HEAD\n## AI 摘要\n\na\n=======\n## AI 摘要\n\nb\n>>>>>>> x\n",
            [("CD106", 3)],
        ),
        # A problem outside the conflict is there whichever side is kept.
        (
            "# t\n\n## AI 摘要\n\n<<<<<<< HEAD\na\n=======\nb\n>>>>>>> x\n\n## 元数据\n\n"
            "- **保存时间**: yesterday\n",
            [("CD106", 5), ("CD104", 13)],
        ),
        # Line numbers in messages and diagnostics are those of the file.
        (
            "# t\n\n<<<<<<< HEAD\n**URL**: a\n=======\n**URL**: b\n>>>>>>> x\n\n## AI 摘要\n\na\n"
            "\n## AI 摘要\n\nb\n",
            [("CD106", 3), ("CD102", 13)],
        ),
    ],
)
def test_conflict_diagnostics(document: str, expected: list[tuple[str, int]]) -> None:
    found = clipdoc.check(document)
    assert [(d.code, d.line) for d in found] == expected
    for diagnostic in found:
        if diagnostic.code == "CD102":
            assert "first at line 9" in diagnostic.message


def _conflicted(ours: list[str], theirs: list[str]) -> tuple[str, int]:
    """The text Git writes for two versions of a file: the common lines, and
    one conflict around the lines that differ."""
    start = 0
    while start < min(len(ours), len(theirs)) and ours[start] == theirs[start]:
        start += 1
    end = 0
    while end < min(len(ours), len(theirs)) - start and ours[-1 - end] == theirs[-1 - end]:
        end += 1
    middle_ours = ours[start : len(ours) - end]
    middle_theirs = theirs[start : len(theirs) - end]
    lines = [
        *ours[:start],
        "<<<<<<< HEAD",
        *middle_ours,
        "=======",
        *middle_theirs,
        ">>>>>>> 6440bc6 (remove .env)",
        *ours[len(ours) - end :],
    ]
    return "\n".join(lines) + "\n", start + 1


#: The diagnostics of how a value is written that ERR-3 reports from the
#: text with its conflicts removed.
_VALUE_CODES = frozenset({"CD104", "CD105", "CD204", "CD205", "CD209"})


def _by_line(found: tuple[str, int | None]) -> tuple[int, bool, str]:
    code, line = found
    return (line or 0, code != "CD106", code)


@core
@given(ours=clippings, theirs=clippings)
def test_two_valid_versions_give_only_their_conflict(ours: Clipping, theirs: Clipping) -> None:
    ours_lines = clipdoc.render(ours).split("\n")[:-1]
    theirs_lines = clipdoc.render(theirs).split("\n")[:-1]
    assume(ours_lines != theirs_lines)
    assume("=======" not in ours_lines and "=======" not in theirs_lines)
    text, line = _conflicted(ours_lines, theirs_lines)
    # Besides the conflict, only how a value outside it is written, as the
    # text without the conflict reads (ERR-3): there, a line after the
    # conflict may be the title line, say.
    lines = text.split("\n")[:-1]
    first = line - 1
    last = next(i for i, x in enumerate(lines) if x.startswith(">>>>>>> "))
    outside = "\n".join(lines[:first] + lines[last + 1 :]) + "\n"
    shift = last - first + 1
    # ERR-4 applies to neither the document nor the readings of ERR-3: when
    # the text without the conflict is no clipping on its own (CD111), a
    # section after it makes it one without changing how its lines read.
    reading = outside
    if any(d.code == "CD111" for d in clipdoc.check(reading)):
        reading = outside + "\n## 原始摘要\n"
    assume(not any(d.code == "CD111" for d in clipdoc.check(reading)))
    own_lines = outside.count("\n")
    expected = [("CD106", line)] + [
        (d.code, d.line if d.line is None or d.line <= first else d.line + shift)
        for d in clipdoc.check(reading)
        if d.code in _VALUE_CODES and (d.line is None or d.line <= own_lines)
    ]
    found = [(d.code, d.line) for d in clipdoc.check(text)]
    assert sorted(found, key=_by_line) == sorted(expected, key=_by_line)
    lines = text.split("\n")[:-1]
    markers = [i for i, x in enumerate(lines) if x.startswith(("<<<<<<< ", ">>>>>>> "))]
    conflicts = find_conflicts(lines, markers)
    for side, clip in (("ours", ours), ("theirs", theirs)):
        kept = [lines[index] for index in side_lines(len(lines), conflicts, side)]
        assert clipdoc.parse("\n".join(kept) + "\n") == clip
    recovered = _recover(text)
    unplaced = [s for s in recovered.extra_sections if s.heading.startswith("clipdoc: unparsed")]
    assert unplaced[0].heading == f"clipdoc: unparsed conflict from line {line}"
    assert [d.code for d in clipdoc.check(clipdoc.render(recovered))] == ["CD210"] * len(unplaced)


@core
@given(st.lists(st.sampled_from(["<<<<<<< a", "||||||| b", "=======", ">>>>>>> c", "x"])))
def test_conflicts_never_overlap_and_cover_every_marker(lines: list[str]) -> None:
    markers = [i for i, line in enumerate(lines) if line[:7] in ("<<<<<<<", "|||||||", ">>>>>>>")]
    conflicts = find_conflicts(lines, markers)
    covered = [i for conflict in conflicts for i in range(conflict.start, conflict.end + 1)]
    assert covered == sorted(set(covered))
    assert set(markers) <= set(covered)
    assert len(list(clipdoc.check("# t\n\n" + "\n".join(lines) + "\n"))) >= len(conflicts)
