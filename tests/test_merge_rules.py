"""The rules of the field-wise merge, as properties.

*both-hold*: a field both sides hold is in every result and in both
resolutions; one both sides deleted never comes back. *one-side-change*: a
field changed on one side only takes that change. *symmetry*: swapping ours
and theirs swaps the resolutions. *idempotence*: merging x with x gives x.
*resolve-is-a-side*: resolving every conflict to one side gives a valid
clipping holding each field of that side that conflicted.

Sections and metadata items repeat (the same heading twice, the same label
twice), so the lists are compared as multisets. The rules are checked
exhaustively on small lists of sections, and with Hypothesis on hostile
clippings whose two sides are edits of one base drawn from a small pool, so
that repeated headings, moved sections and equal edits are common.
"""

from __future__ import annotations

import itertools
import warnings
from collections import Counter
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import clipdoc
import strategies
from clipdoc import Clipping, Metadata, Section, merge, resolve
from clipdoc._core import align as align_module
from clipdoc._core.align import align
from clipdoc._core.merge import _Fields, _merge_list
from conftest import THOROUGH, core

# The merge's rules are core properties (1,000 examples in CI's thorough
# step, like the round trip), and the exhaustive checks take every case there.
RULES = core
#: Of the exhaustive checks' base versions, the share a quick run takes.
BASE_STRIDE = 1 if THOROUGH else 4

Item = tuple[str, str]
SCALARS = ("title", "url", "original_summary", "ai_summary")
KNOWN_ITEMS = ("source", "kind", "saved_at", "catalog_date")


# ------------------------------------------------------------- exhaustive


def _small_lists() -> list[list[Item]]:
    items = [(heading, body) for heading in "AB" for body in "123"]
    return [list(chosen) for size in range(3) for chosen in itertools.product(items, repeat=size)]


def _check_list_rules(base: list[Item], ours: list[Item], theirs: list[Item]) -> None:
    fields = _Fields()
    results = _merge_list(fields, "section", list(base), list(ours), list(theirs))
    if not fields.conflicts:
        assert results[0] == results[1]
    for result in results:
        _check_multisets(base, ours, theirs, result)
    swapped = _merge_list(_Fields(), "section", list(base), list(theirs), list(ours))
    assert swapped == (results[1], results[0])
    if theirs == base or ours == theirs:
        assert not fields.conflicts
        assert results[0] == ours
    assert not Counter(ours) - Counter(base) - Counter(results[0])
    assert not Counter(theirs) - Counter(base) - Counter(results[1])


def _check_multisets(
    base: list[Any], ours: list[Any], theirs: list[Any], result: list[Any]
) -> None:
    """*both-hold* on lists: every item both sides hold, as often as both
    hold it, is in the result; an item of the base neither side holds is not."""
    assert not (Counter(ours) & Counter(theirs)) - Counter(result), (base, ours, theirs, result)
    gone = set(base) - set(ours) - set(theirs)
    assert not gone & set(result), (base, ours, theirs, result)


@pytest.mark.core
def test_every_merge_of_small_section_lists_keeps_both_hold() -> None:
    """Every triple of lists of up to 2 sections with headings {A, B} and
    bodies {1, 2, 3}: 79,507 merges of whole documents (a quarter of them
    in a quick run), each resolved both ways (the same document twice when
    clean), drop no section both sides hold and keep none both deleted."""
    lists = _small_lists()
    assert len(lists) == 43
    clippings = [
        Clipping(
            title="t", ai_summary="s", extra_sections=[Section(heading=h, body=b) for h, b in items]
        )
        for items in lists
    ]
    for (base, ours, theirs), (base_clip, ours_clip, theirs_clip) in zip(
        itertools.product(lists[::BASE_STRIDE], lists, lists),
        itertools.product(clippings[::BASE_STRIDE], clippings, clippings),
        strict=True,
    ):
        for resolved in _resolutions(merge(base_clip, ours_clip, theirs_clip)):
            held = [(s.heading, s.body) for s in resolved.extra_sections]
            _check_multisets(base, ours, theirs, held)


@pytest.mark.core
@pytest.mark.parametrize("limit", [0, align_module.OPTIMAL_LIMIT])
def test_small_merges_keep_the_rules_with_either_alignment(
    limit: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every rule on lists, over a third of the triples (a twelfth in a
    quick run): with the optimal alignment of short stretches, and with
    unique anchors only, as a long document gets."""
    monkeypatch.setattr(align_module, "OPTIMAL_LIMIT", limit)
    lists = _small_lists()
    for base, ours, theirs in itertools.product(lists[:: 3 * BASE_STRIDE], lists, lists):
        _check_list_rules(base, ours, theirs)


def test_the_issues_examples() -> None:
    a1, a2 = ("A", "1"), ("A", "2")
    fields = _Fields()
    assert _merge_list(fields, "section", [a1], [a1, a2], [a2, a1]) == ([a2, a1], [a2, a1])
    assert not fields.conflicts
    assert _merge_list(fields, "section", [a1, a2], [a1], [a2]) == ([], [])
    # The note both sides keep survives a second note added on each side.
    note, mine, yours = ("笔记", "original note"), ("笔记", "mine"), ("笔记", "yours")
    results = _merge_list(fields, "section", [note], [note, mine], [yours, note])
    assert results == ([yours, note, mine], [yours, note, mine])


# ------------------------------------------------------------------ align


@given(
    first=st.lists(st.sampled_from("abc") | st.text(max_size=2), max_size=30),
    second=st.lists(st.sampled_from("abc") | st.text(max_size=2), max_size=30),
)
def test_align_gives_a_common_subsequence(first: list[str], second: list[str]) -> None:
    pairs = align(first, second)
    assert all(first[i] == second[j] for i, j in pairs)
    assert all(i < k and j < m for (i, j), (k, m) in itertools.pairwise(pairs))
    if first == second:
        assert pairs == [(i, i) for i in range(len(first))]


def test_align_is_bounded_on_hostile_input() -> None:
    # No common start or end, no element that occurs once: nothing is
    # aligned beyond the bound, rather than a quadratic table.
    first, second = ["x", "y"] * 5_000, ["y", "x"] * 5_000
    assert align(first, second) == []
    assert len(align(["x", "y"] * 50, ["y", "x"] * 50)) == 99


# -------------------------------------------------------------- strategies

_pool_headings = st.sampled_from(["A", "B", "笔记"]) | strategies.headings
_pool_bodies = st.sampled_from(["1", "2", "3", ""]) | strategies.bodies
_pool_sections = st.builds(Section, heading=_pool_headings, body=_pool_bodies)
_pool_keys = st.sampled_from(["k", "作者"]) | strategies.keys
_pool_items = st.tuples(_pool_keys, st.sampled_from(["1", "2", ""]) | strategies.single_line)

_base_metadata = st.builds(
    Metadata,
    source=st.none() | st.sampled_from(["ArXiv", ""]) | strategies.single_line,
    kind=st.none() | strategies.single_line,
    saved_at=st.none() | strategies.timestamps,
    catalog_date=st.none() | strategies.dates,
    extra=st.lists(_pool_items, max_size=4),
)
_bases = st.builds(
    Clipping,
    title=st.sampled_from(["t", ""]) | strategies.single_line,
    url=st.none() | strategies.single_line,
    original_summary=st.none() | strategies.bodies,
    ai_summary=st.none() | st.sampled_from(["a", "b"]) | strategies.bodies,
    extra_sections=st.lists(_pool_sections, max_size=4),
    metadata=st.none() | _base_metadata,
)


@st.composite
def _edited_list(draw: st.DrawFn, items: list[Any], pool: st.SearchStrategy[Any]) -> list[Any]:
    """``items`` after a few edits: insertions, deletions, changes of the
    value under the same key, and moves."""
    result = list(items)
    for _ in range(draw(st.integers(0, 3))):
        operation = draw(st.sampled_from(["insert", "delete", "change", "move"]))
        if operation == "insert" or not result:
            result.insert(draw(st.integers(0, len(result))), draw(pool))
            continue
        index = draw(st.integers(0, len(result) - 1))
        if operation == "delete":
            del result[index]
        elif operation == "change":
            new = draw(pool)
            old = result[index]
            result[index] = (
                attrs.evolve(old, body=new.body) if isinstance(old, Section) else (old[0], new[1])
            )
        else:
            result.insert(draw(st.integers(0, len(result) - 1)), result.pop(index))
    return result


@st.composite
def _edited(draw: st.DrawFn, base: Clipping) -> Clipping:
    """A version of ``base``: each field kept or changed."""
    if draw(st.booleans()):
        return base
    changes: dict[str, Any] = {}
    if draw(st.booleans()):
        changes["title"] = draw(st.sampled_from(["t", "T"]) | strategies.single_line)
    if draw(st.booleans()):
        changes["ai_summary"] = draw(st.none() | st.sampled_from(["a", "b", "c"]))
    if draw(st.integers(0, 5)) == 0:
        changes["url"] = draw(st.none() | strategies.single_line)
    if draw(st.integers(0, 5)) == 0:
        changes["original_summary"] = draw(st.none() | strategies.bodies)
    changes["extra_sections"] = draw(_edited_list(list(base.extra_sections), _pool_sections))
    metadata = base.metadata
    if draw(st.integers(0, 7)) == 0:
        metadata = None if metadata is not None else draw(_base_metadata)
    elif metadata is not None:
        known: dict[str, Any] = {}
        if draw(st.booleans()):
            known["source"] = draw(st.none() | st.sampled_from(["ArXiv", "x"]))
        if draw(st.integers(0, 3)) == 0:
            known["saved_at"] = draw(st.none() | strategies.timestamps)
        extra = draw(_edited_list(list(metadata.extra), _pool_items))
        metadata = attrs.evolve(metadata, **known, extra=extra)
    return attrs.evolve(base, **changes, metadata=metadata)


@st.composite
def _three_versions(draw: st.DrawFn) -> tuple[Clipping | None, Clipping, Clipping]:
    base = draw(_bases)
    ours, theirs = draw(_edited(base)), draw(_edited(base))
    # An empty ancestor: both sides added the document.
    return (None if draw(st.integers(0, 9)) == 0 else base), ours, theirs


def _resolutions(result: clipdoc.Merge) -> Iterator[Clipping]:
    """The clipping each resolution gives (the merge twice, when clean)."""
    for side in ("ours", "theirs"):
        text = resolve(result.text, side)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", clipdoc.ClipdocWarning)
            yield clipdoc.parse(text)


def _items(metadata: Metadata | None) -> list[Item]:
    return list(metadata.extra) if metadata is not None else []


# -------------------------------------------------------------- properties


@RULES
@given(versions=_three_versions())
def test_both_hold(versions: tuple[Clipping | None, Clipping, Clipping]) -> None:
    base, ours, theirs = versions
    result = merge(base, ours, theirs)
    origin = base or Clipping(title="")
    for resolved in _resolutions(result):
        for name in SCALARS:
            if getattr(ours, name) == getattr(theirs, name):
                assert getattr(resolved, name) == getattr(ours, name)
        _check_multisets(
            list(origin.extra_sections),
            list(ours.extra_sections),
            list(theirs.extra_sections),
            list(resolved.extra_sections),
        )
        if ours.metadata is None and theirs.metadata is None:
            assert resolved.metadata is None
        if ours.metadata is not None and theirs.metadata is not None:
            assert resolved.metadata is not None
            for name in KNOWN_ITEMS:
                if getattr(ours.metadata, name) == getattr(theirs.metadata, name):
                    assert getattr(resolved.metadata, name) == getattr(ours.metadata, name)
            _check_multisets(
                _items(origin.metadata),
                _items(ours.metadata),
                _items(theirs.metadata),
                _items(resolved.metadata),
            )


@RULES
@given(versions=_three_versions())
def test_one_side_change(versions: tuple[Clipping | None, Clipping, Clipping]) -> None:
    base, ours, theirs = versions
    if base is None:
        return
    unchanged = merge(base, ours, base)
    assert unchanged.clean
    assert unchanged.text == clipdoc.render(ours)
    assert merge(base, base, theirs).text == clipdoc.render(theirs)
    result = merge(base, ours, theirs)
    for resolved in _resolutions(result):
        for name in SCALARS:
            if getattr(theirs, name) == getattr(base, name):
                assert getattr(resolved, name) == getattr(ours, name)
            if getattr(ours, name) == getattr(base, name):
                assert getattr(resolved, name) == getattr(theirs, name)


@RULES
@given(versions=_three_versions())
def test_symmetry(versions: tuple[Clipping | None, Clipping, Clipping]) -> None:
    base, ours, theirs = versions
    forward, backward = merge(base, ours, theirs), merge(base, theirs, ours)
    assert forward.clean == backward.clean
    assert sorted(forward.conflicts) == sorted(backward.conflicts)
    if forward.clean:
        assert forward.text == backward.text
    assert resolve(forward.text, "ours") == resolve(backward.text, "theirs")
    assert resolve(forward.text, "theirs") == resolve(backward.text, "ours")


@RULES
@given(versions=_three_versions())
def test_idempotence(versions: tuple[Clipping | None, Clipping, Clipping]) -> None:
    base, ours, _ = versions
    for origin in (base, ours, None):
        result = merge(origin, ours, ours)
        assert result.clean
        assert result.text == clipdoc.render(ours)


@RULES
@given(versions=_three_versions())
def test_resolve_is_a_side(versions: tuple[Clipping | None, Clipping, Clipping]) -> None:
    base, ours, theirs = versions
    result = merge(base, ours, theirs)
    origin = base or Clipping(title="")
    for side, version, resolved in zip(
        ("ours", "theirs"), (ours, theirs), _resolutions(result), strict=True
    ):
        text = resolve(result.text, side)  # type: ignore[arg-type]
        assert not [d for d in clipdoc.check(text) if d.severity == "error"]
        assert text == clipdoc.render(resolved)  # canonical: valid as it stands
        for name in SCALARS:
            if name in result.conflicts:
                assert getattr(resolved, name) == getattr(version, name)
        added = Counter(version.extra_sections) - Counter(origin.extra_sections)
        assert not added - Counter(resolved.extra_sections)
        if version.metadata is not None and resolved.metadata is not None:
            added_items = Counter(_items(version.metadata)) - Counter(_items(origin.metadata))
            assert not added_items - Counter(_items(resolved.metadata))
            for name in KNOWN_ITEMS:
                if name in result.conflicts:
                    assert getattr(resolved.metadata, name) == getattr(version.metadata, name)


def test_merge_refuses_the_wrong_shapes() -> None:
    clip = Clipping(title="t")
    for wrong in ("# t\n", {"title": "t"}, [clip], (clip for _ in range(1)), None):
        with pytest.raises(TypeError):
            merge(clip, wrong, clip)  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            merge(clip, clip, wrong)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        merge(b"# t\n", clip, clip)  # type: ignore[arg-type]
