"""Batch work over many documents: finding them in folders, and running work
in order on several processes with bounded memory."""

from __future__ import annotations

import fnmatch
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
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


#: The index file a collection keeps at its root (the producer writes one);
#: folder walks leave it out unless asked.
INDEX_NAME = "README.md"


def checked_patterns(exclude: object) -> tuple[str, ...]:
    """``exclude`` as a tuple of glob patterns, or a `TypeError` that says
    what was wrong (a lone str is the usual mistake)."""
    if isinstance(exclude, (str, bytes)) or not isinstance(exclude, Iterable):
        raise TypeError(
            f"exclude must be a sequence of glob patterns (str), not {exclude!r:.60};"
            " for one pattern write exclude=[pattern]"
        )
    patterns = tuple(exclude)
    if not all(isinstance(p, str) for p in patterns):
        raise TypeError(f"exclude must hold glob patterns (str), not {patterns!r:.60}")
    return patterns


def checked_jobs(jobs: object) -> int:
    """``jobs`` as a number of processes (0: one per CPU), or a `TypeError`."""
    if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 0:
        raise TypeError(f"jobs must be an int, 0 (one per CPU) or more, not {jobs!r:.40}")
    return jobs or os.cpu_count() or 1


def checked_folder(path: object, name: str) -> str:
    """A folder argument as a str path, or a `TypeError`."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name} must be a path (str or os.PathLike), not {type(path).__name__}")
    return os.fspath(path)


def is_excluded(relative: str, patterns: Sequence[str]) -> bool:
    """Whether a ``/``-separated path matches one of the glob ``patterns``.

    A pattern with a ``/`` matches the whole path (``*`` crosses ``/``); one
    without matches any single part of it, so ``drafts`` leaves out every
    folder or file named so, at any depth.
    """
    parts = relative.split("/")
    for pattern in patterns:
        if "/" in pattern.strip("/"):
            if fnmatch.fnmatchcase(relative, pattern.strip("/")):
                return True
        elif any(fnmatch.fnmatchcase(part, pattern.strip("/")) for part in parts):
            return True
    return False


def skips_folder(relative: str, exclude: Sequence[str]) -> bool:
    """Whether a walk leaves out the folder at ``relative`` (``/``-separated):
    a hidden one, or one that ``exclude`` matches."""
    return relative.rsplit("/", 1)[-1].startswith(".") or is_excluded(relative, exclude)


def keeps_document(relative: str, exclude: Sequence[str], include_index: bool) -> bool:
    """Whether a walk reads the file at ``relative``: a ``*.md`` file that
    ``exclude`` does not match, and not the root's index unless asked."""
    if not relative.endswith(".md") or is_excluded(relative, exclude):
        return False
    return include_index or relative != INDEX_NAME


def walk_documents(
    path: str, *, exclude: Sequence[str] = (), include_index: bool = False
) -> Iterator[str]:
    """``path`` itself when it is a file (unless excluded), else every ``*.md``
    below it, sorted by path (part by part, so ``2025-05-05/x.md`` comes
    before ``a.md``): hidden folders, folders and files matching ``exclude``
    and (unless ``include_index``) the root's ``README.md`` index are
    skipped, and folder links are not followed."""
    if not os.path.isdir(path):
        if not is_excluded(path.replace(os.sep, "/"), exclude):
            yield path
        return
    for _, full in _walk(path, "", exclude, include_index):
        yield full


def walk_relative(
    root: str, *, exclude: Sequence[str] = (), include_index: bool = False
) -> Iterator[str]:
    """The documents below the folder ``root`` as `walk_documents` finds
    them, each as its ``/``-separated path relative to ``root``."""
    for relative, _ in _walk(root, "", exclude, include_index):
        yield relative


def _walk(
    folder: str, prefix: str, exclude: Sequence[str], include_index: bool
) -> Iterator[tuple[str, str]]:
    """(relative path, full path) of every document below ``folder``."""
    try:
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
    except OSError:
        return  # an unreadable folder holds nothing we can read
    for entry in entries:
        relative = prefix + entry.name
        try:
            is_folder = entry.is_dir()
        except OSError:
            is_folder = False
        if is_folder:
            if not entry.is_symlink() and not skips_folder(relative, exclude):
                yield from _walk(entry.path, relative + "/", exclude, include_index)
        elif keeps_document(relative, exclude, include_index):
            yield relative, entry.path


def count_documents(
    paths: Iterable[str], *, exclude: Sequence[str] = (), include_index: bool = False
) -> int:
    return sum(
        1
        for path in paths
        for _ in walk_documents(path, exclude=exclude, include_index=include_index)
    )


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
