"""Batch work over many documents: finding them, running work in order on
several processes with bounded memory, and writing inside a folder safely."""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice
from typing import TypeVar

_Item = TypeVar("_Item")
_Result = TypeVar("_Result")

#: How many items a worker process gets at a time, and how many batches may
#: be in flight per process: enough to keep processes busy, few enough to
#: keep memory flat however many documents there are.
BATCH_SIZE = 64
BATCHES_IN_FLIGHT_PER_JOB = 4


def walk_documents(path: str) -> Iterator[str]:
    """``path`` itself when it is a file, else every ``*.md`` below it, in
    sorted order, skipping hidden folders and not following folder links."""
    if not os.path.isdir(path):
        yield path
        return
    for folder, subfolders, files in os.walk(path):
        subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
        for name in sorted(files):
            if name.endswith(".md"):
                yield os.path.join(folder, name)


def count_documents(paths: Iterable[str]) -> int:
    return sum(1 for path in paths for _ in walk_documents(path))


def _apply(function: Callable[[_Item], _Result], batch: list[_Item]) -> list[_Result]:
    return [function(item) for item in batch]


def ordered_map(
    function: Callable[[_Item], _Result], items: Iterable[_Item], *, jobs: int
) -> Iterator[_Result]:
    """``map`` on ``jobs`` processes, results in input order, memory bounded."""
    if jobs <= 1:
        yield from map(function, items)
        return
    iterator = iter(items)
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        pending: deque[Future[list[_Result]]] = deque()
        try:
            while batch := list(islice(iterator, BATCH_SIZE)):
                pending.append(pool.submit(_apply, function, batch))
                if len(pending) >= jobs * BATCHES_IN_FLIGHT_PER_JOB:
                    yield from pending.popleft().result()
            while pending:
                yield from pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


class UnsafePath(ValueError):
    """A relative path that would leave its folder, or that cannot be used."""


def safe_relative_path(relative: str) -> str:
    """Check a ``/``-separated relative path from a record before it is used."""
    if not relative:
        raise UnsafePath("the path is empty")
    if "\x00" in relative or "\\" in relative:
        raise UnsafePath(f"{relative!r} contains a NUL or a backslash")
    if relative.startswith("/") or (len(relative) > 1 and relative[1] == ":"):
        raise UnsafePath(f"{relative!r} is absolute; paths must be relative to the folder")
    parts = relative.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise UnsafePath(f"{relative!r} has an empty, '.' or '..' part; it could leave the folder")
    return os.path.join(*parts)


def target_inside(root: str, relative: str) -> str:
    """The file ``relative`` names inside ``root``, refusing any path that
    leaves ``root``, including through symbolic links already there."""
    target = os.path.join(root, safe_relative_path(relative))
    real_root = os.path.realpath(root)
    real_target = os.path.realpath(target)
    if os.path.commonpath([real_root, real_target]) != real_root:
        raise UnsafePath(f"{relative!r} leads outside the destination (through a symbolic link)")
    return target
