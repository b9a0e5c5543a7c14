"""Linear time: costs grow with the size of the input, never faster.

Each test compares the same work at two sizes, four times apart, and allows
at most twice the linear growth (so 8×, where quadratic work would take 16×).
Ratios, not absolute times: the machine's speed cancels out. Each size is
timed several times, interleaved, and the medians compared; a ratio over the
limit is measured again (a busy machine slows one run, never every retry),
and only growth on every attempt fails. These tests are marked ``timing``:
the default run leaves them out, and CI runs them alone, serially
(``pytest -m timing``). The absolute cost of hostile inputs against ordinary
documents is measured in benchmarks/pathological.py.
"""

from __future__ import annotations

import re
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from typing import TypeVar

import pytest

import clipdoc
from clipdoc import html
from clipdoc._core import canonical as _canonical
from clipdoc._core import escape as _escape
from clipdoc._core import json_mapping as _json
from clipdoc._core import parser as _parser
from clipdoc._core import syntax as _syntax
from clipdoc._core import timestamps as _timestamps
from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))

import merge_scale
import pathological
from timing import best_of

pytestmark = pytest.mark.timing
Input = TypeVar("Input")

SMALL, LARGE = 20_000, 80_000
LIMIT = 8.0
ROUNDS = 5
ATTEMPTS = 3


def _cpu_time(work: Callable[[], object]) -> float:
    # The CPU time of this thread: other processes on a loaded machine take
    # turns on the cores, but are not charged to it.
    return best_of(1, work, collect=False, clock=time.thread_time)


def _growth(make: Callable[[int], Input], use: Callable[[Input], object]) -> float:
    """The smallest, over up to ATTEMPTS, of the ratio of median run times."""
    small, large = make(SMALL), make(LARGE)
    # Below a millisecond, timer noise dominates: compare at least that much.
    floor = 1e-3
    growth = float("inf")
    for _ in range(ATTEMPTS):
        small_times, large_times = [], []
        for _ in range(ROUNDS):  # interleaved: a slow moment hits both sizes
            small_times.append(max(_cpu_time(lambda: use(small)), floor))
            large_times.append(max(_cpu_time(lambda: use(large)), floor))
        growth = min(growth, statistics.median(large_times) / statistics.median(small_times))
        if growth <= LIMIT:
            break
    return growth


def _quietly(work: Callable[[str], object]) -> Callable[[str], object]:
    def run(text: str) -> object:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", clipdoc.ClipdocWarning)
            return work(text)

    return run


WORK: dict[str, Callable[[str], object]] = {
    "parse": _quietly(lambda text: clipdoc.parse(text, recover=True)),
    "check": clipdoc.check,
    "render": _quietly(lambda text: clipdoc.render(clipdoc.parse(text, recover=True))),
    "html.text": html.text,
}


@pytest.mark.parametrize("case", sorted(pathological.cases(1000)))
@pytest.mark.parametrize("work", sorted(WORK))
def test_hostile_documents_scale_linearly(case: str, work: str) -> None:
    growth = _growth(lambda size: pathological.cases(size)[case], WORK[work])
    assert growth <= LIMIT, f"{work} on {case!r}: {growth:.1f}× for 4× the input"


# Strings that make backtracking regular expressions slow, by repetition.
ADVERSARIAL_UNITS = [
    "a", " ", "\t", "\\", "#", "`", "~", "*", "-", ":", "<", ">", "|", "&#1", "\n",
    "- **", "**:", "<a ", "#a ", "http://.", "## ", "\\#", " \n", "<!--", "\r",
    "- ", "1. ", "123456789) ", " \t", "\\- ",
]  # fmt: skip


def _module_patterns() -> list[tuple[str, re.Pattern[str]]]:
    modules = [_canonical, _escape, _json, _parser, _syntax, _timestamps, html]
    found = []
    for module in modules:
        for name, value in vars(module).items():
            if isinstance(value, re.Pattern) and isinstance(value.pattern, str):
                found.append((f"{module.__name__}.{name}", value))
    return found


# Patterns the code only ever applies at the start of a string or line (match,
# fullmatch); every other one also scans (search, finditer, sub, split).
ANCHORED = {
    "_FAMILY", "_TITLE", "_FENCE_CLOSER", "_CONTAINER", "_EMPTY_ITEM", "_MARKER",
    "_DEEP_MARKER", "_NESTING_LINE", "_DELIMITER_ROW", "SECTION_HEADING",
    "CONFLICT_MARKER", "_FIRST_LINE_MAYBE", "_TIMESTAMP", "_DATE", "_CANONICAL_TIMESTAMP",
    "_FOUR_ITEMS",
}  # fmt: skip


def test_every_regular_expression_is_reviewed_here() -> None:
    names = {name.rsplit(".", 1)[1] for name, _ in _module_patterns()}
    assert len(names) >= 25
    assert names >= ANCHORED


@pytest.mark.parametrize(("name", "pattern"), _module_patterns(), ids=lambda x: str(x))
def test_no_regular_expression_backtracks_badly(name: str, pattern: re.Pattern[str]) -> None:
    anchored = name.rsplit(".", 1)[1] in ANCHORED
    uses = (pattern.match, pattern.fullmatch) if anchored else (pattern.search, pattern.findall)
    for unit in ADVERSARIAL_UNITS:

        def make(size: int, unit: str = unit) -> str:
            return unit * (size // len(unit)) + "!"

        for use in uses:
            growth = _growth(make, use)
            assert growth <= LIMIT, f"{name} on {unit!r}: {growth:.1f}× for 4× the input"


@pytest.mark.parametrize("case", sorted(merge_scale.CASES))
def test_merges_scale_linearly(case: str) -> None:
    """Many metadata items, many repeated sections, and a conflict over many
    repeated paragraphs (benchmarks/merge_scale.py measures them)."""
    growth = _growth(merge_scale.CASES[case], lambda versions: clipdoc.merge(*versions))
    assert growth <= LIMIT, f"merge of {case}: {growth:.1f}× for 4× the input"


def _note_of_properties(size: int, *, written: bool) -> str:
    """A note with about ``size`` characters of properties of no field of
    their own: under `to_note`'s front matter when ``written``, else a page."""
    front = "".join(f"p{number}: v{number}\n" for number in range(size // 12))
    if not written:
        return f"---\ntitle: t\n{front}---\n\n# t\n\nbody\n"
    from clipdoc import notes

    note = notes.to_note(clipdoc.parse("# t\n\n## AI 摘要\n\nx\n"))
    return note.replace("---\n", f"---\n{front}", 1)


@pytest.mark.parametrize("written", [True, False], ids=["edited-note", "page"])
def test_notes_with_many_properties_read_linearly(written: bool) -> None:
    pytest.importorskip("yaml", reason="the notes extra: pip install 'clipdoc[notes]'")
    from clipdoc import notes

    def read(text: str) -> object:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", clipdoc.ClipdocWarning)
            return notes.from_note(text)

    growth = _growth(lambda size: _note_of_properties(size, written=written), read)
    assert growth <= LIMIT, f"from_note of many properties: {growth:.1f}× for 4× the input"
