"""Git merge conflicts in a document: where they are, and each side of them.

Git writes a conflict as ``<<<<<<< label``, the lines of one side ("ours"),
optionally ``||||||| label`` and the lines of the common base (diff3 style),
``=======``, the lines of the other side ("theirs"), and ``>>>>>>> label``,
each marker in column 1 [ERR-1]. A marker that is not part of such a group is
a conflict of its own: one line, no sides.
"""

from __future__ import annotations

import attrs

from .syntax import CONFLICT_BASE, CONFLICT_CLOSE, CONFLICT_OPEN, CONFLICT_SEPARATOR


@attrs.frozen(kw_only=True)
class Conflict:
    """One conflict: 0-based line indices, ``end`` inclusive."""

    start: int
    end: int
    ours: range
    base: range
    theirs: range
    #: Whether the markers form a whole conflict (open, separator, close).
    is_whole: bool


def _stray(index: int) -> Conflict:
    empty = range(index, index)
    return Conflict(start=index, end=index, ours=empty, base=empty, theirs=empty, is_whole=False)


def find_conflicts(lines: list[str], markers: list[int]) -> list[Conflict]:
    """The conflicts that the marker lines at ``markers`` (sorted indices of
    lines that are conflict markers) make up, in document order."""
    conflicts: list[Conflict] = []
    # The markers of the conflict now open: its opening, then its base
    # marker, then lines of the base text that look like base markers.
    open_markers: list[int] = []
    for index in markers:
        line = lines[index]
        if line.startswith(CONFLICT_OPEN):
            conflicts += map(_stray, open_markers)
            open_markers = [index]
        elif line.startswith(CONFLICT_BASE) and open_markers:
            open_markers.append(index)
        elif line.startswith(CONFLICT_CLOSE) and open_markers:
            conflicts += _close(lines, open_markers, index)
            open_markers = []
        else:
            conflicts.append(_stray(index))
    conflicts += map(_stray, open_markers)
    conflicts.sort(key=lambda conflict: conflict.start)
    return conflicts


def _close(lines: list[str], open_markers: list[int], close: int) -> list[Conflict]:
    opened = open_markers[0]
    base = open_markers[1] if len(open_markers) > 1 else None
    separator = _separator(lines, (base if base is not None else opened) + 1, close)
    if separator is None:
        return [_stray(index) for index in (*open_markers, close)]
    ours_end = base if base is not None else separator
    return [
        Conflict(
            start=opened,
            end=close,
            ours=range(opened + 1, ours_end),
            base=range(ours_end + 1, separator) if base is not None else range(0),
            theirs=range(separator + 1, close),
            is_whole=True,
        )
    ]


def _separator(lines: list[str], start: int, end: int) -> int | None:
    for index in range(start, end):
        if lines[index] == CONFLICT_SEPARATOR:
            return index
    return None


def side_lines(count: int, conflicts: list[Conflict], side: str) -> list[int]:
    """The indices of the lines a document of ``count`` lines keeps when every
    conflict is resolved to ``side``: "ours", "theirs" or "neither"."""
    kept: list[int] = []
    position = 0
    for conflict in conflicts:
        kept.extend(range(position, conflict.start))
        if side == "ours":
            kept.extend(conflict.ours)
        elif side == "theirs":
            kept.extend(conflict.theirs)
        position = conflict.end + 1
    kept.extend(range(position, count))
    return kept
