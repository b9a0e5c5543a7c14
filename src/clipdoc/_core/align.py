"""Aligning two sequences: which elements of one are the elements of the other.

A merge aligns each side's sections and metadata items with the base's, and
the two texts of a conflict line by line. An optimal alignment (a longest
common subsequence) costs time proportional to the product of the lengths,
too much for a document of 40,000 items or lines. This one is a patience
alignment: the common start and end, then the elements that occur exactly
once on each side as anchors (in an order both sides agree on), recursively
between them; a stretch with no such anchor is aligned optimally when it is
small and left unaligned otherwise. It costs O(n log n) plus a bounded
amount per stretch, and is optimal on the small lists of everyday edits.
"""

from __future__ import annotations

import bisect
from collections.abc import Hashable, Sequence
from typing import Final

#: A stretch of each sequence still to align: ``first[low:high]`` and
#: ``second[other_low:other_high]``.
Stretch = tuple[int, int, int, int]

#: The largest stretch (product of the two lengths) aligned optimally when it
#: has no anchor: large enough for any everyday edit, small enough to bound
#: the time a hostile document costs.
OPTIMAL_LIMIT: Final = 40_000


def align(first: Sequence[Hashable], second: Sequence[Hashable]) -> list[tuple[int, int]]:
    """Pairs ``(i, j)`` with ``first[i] == second[j]``, strictly increasing in
    both indices: a common subsequence of the two.

    >>> align("abcab", "cbab")
    [(2, 0), (3, 2), (4, 3)]
    """
    pairs: list[tuple[int, int]] = []
    stretches: list[Stretch] = [(0, len(first), 0, len(second))]
    while stretches:
        stretch = _trimmed(first, second, pairs, stretches.pop())
        low, high, other_low, other_high = stretch
        if low == high or other_low == other_high:
            continue
        anchors = _unique_anchors(first, second, stretch)
        if not anchors:
            if (high - low) * (other_high - other_low) <= OPTIMAL_LIMIT:
                pairs += _optimal(first, second, stretch)
            continue
        pairs += anchors
        starts = [(low, other_low), *((i + 1, j + 1) for i, j in anchors)]
        ends = [*anchors, (high, other_high)]
        for (start, other_start), (end, other_end) in zip(starts, ends, strict=True):
            if start < end and other_start < other_end:
                stretches.append((start, end, other_start, other_end))
    pairs.sort()
    return pairs


def _trimmed(
    first: Sequence[Hashable],
    second: Sequence[Hashable],
    pairs: list[tuple[int, int]],
    stretch: Stretch,
) -> Stretch:
    """The stretch without the start and end both sides share, which go to
    ``pairs``."""
    low, high, other_low, other_high = stretch
    while low < high and other_low < other_high and first[low] == second[other_low]:
        pairs.append((low, other_low))
        low, other_low = low + 1, other_low + 1
    while low < high and other_low < other_high and first[high - 1] == second[other_high - 1]:
        high, other_high = high - 1, other_high - 1
        pairs.append((high, other_high))
    return low, high, other_low, other_high


def _unique_anchors(
    first: Sequence[Hashable], second: Sequence[Hashable], stretch: Stretch
) -> list[tuple[int, int]]:
    """The elements that occur once in each stretch, paired, as the longest
    run whose positions increase on both sides (patience sorting)."""
    low, high, other_low, other_high = stretch
    counts: dict[Hashable, int] = {}
    for element in first[low:high]:
        counts[element] = counts.get(element, 0) + 1
    position: dict[Hashable, int] = {}
    twice: set[Hashable] = set()
    for j in range(other_low, other_high):
        element = second[j]
        if counts.get(element) == 1:
            if element in position:
                twice.add(element)
            position[element] = j
    candidates = [
        (i, position[first[i]])
        for i in range(low, high)
        if first[i] in position and first[i] not in twice and counts[first[i]] == 1
    ]
    return _longest_increasing(candidates)


def _longest_increasing(candidates: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest subsequence of ``candidates`` (increasing in ``i``) whose
    ``j`` also increases: O(n log n)."""
    tails: list[int] = []  # the smallest j that ends a run of each length
    tail_index: list[int] = []
    previous: list[int] = []
    for index, (_, j) in enumerate(candidates):
        length = bisect.bisect_left(tails, j)
        if length == len(tails):
            tails.append(j)
            tail_index.append(index)
        else:
            tails[length] = j
            tail_index[length] = index
        previous.append(tail_index[length - 1] if length else -1)
    run: list[tuple[int, int]] = []
    index = tail_index[-1] if tail_index else -1
    while index >= 0:
        run.append(candidates[index])
        index = previous[index]
    run.reverse()
    return run


def _optimal(
    first: Sequence[Hashable], second: Sequence[Hashable], stretch: Stretch
) -> list[tuple[int, int]]:
    """A longest common subsequence of two small stretches (dynamic
    programming), preferring the earliest elements of ``first``."""
    low, high, other_low, other_high = stretch
    rows, columns = high - low, other_high - other_low
    # lengths[i][j]: the longest common subsequence of the stretches' tails
    # from i and from j.
    lengths = [[0] * (columns + 1) for _ in range(rows + 1)]
    for i in range(rows - 1, -1, -1):
        row, below = lengths[i], lengths[i + 1]
        element = first[low + i]
        for j in range(columns - 1, -1, -1):
            if element == second[other_low + j]:
                row[j] = below[j + 1] + 1
            else:
                row[j] = max(below[j], row[j + 1])
    pairs = []
    i = j = 0
    while i < rows and j < columns:
        if first[low + i] == second[other_low + j]:
            pairs.append((low + i, other_low + j))
            i, j = i + 1, j + 1
        elif lengths[i + 1][j] >= lengths[i][j + 1]:
            i += 1
        else:
            j += 1
    return pairs
