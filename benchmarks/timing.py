"""Timing helpers shared by the benchmark scripts."""

from __future__ import annotations

import gc
import os
import subprocess
import time
from collections.abc import Callable, Mapping


def best_of(
    rounds: int,
    work: Callable[[], object],
    *,
    collect: bool = True,
    clock: Callable[[], float] = time.perf_counter,
) -> float:
    """The fastest of ``rounds`` runs of ``work``, in seconds.

    The garbage collector is paused while a run is timed, as ``timeit`` does,
    so that a collection triggered by earlier allocations is not charged to
    whichever run happens to be going on; with ``collect`` it also runs
    before each one (slow in a process holding many objects). ``clock``
    may be ``time.thread_time``, which other processes on a busy machine
    do not move.
    """
    best = float("inf")
    for _ in range(rounds):
        if collect:
            gc.collect()
        gc.disable()
        try:
            start = clock()
            work()
            best = min(best, clock() - start)
        finally:
            gc.enable()
    return best


def timed_command(command: list[str]) -> float:
    """Seconds a command takes, with nothing left to write from before (so
    that its own writes are what it waits for)."""
    os.sync()
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


#: The documents timed together by `chunked_best`.
CHUNK = 64


def chunked_best(
    works: Mapping[str, Callable[[int, int], object]], count: int, rounds: int
) -> dict[str, float]:
    """Seconds of each work over ``count`` documents: each work is called
    with a range of document indexes; for every chunk of `CHUNK` documents,
    the best of ``rounds`` runs, interleaved, and the bests summed.

    A chunk's data stay in the cache, and a moment the machine is busy
    spoils one run of one chunk, not the figure; the collector is paused.
    """
    total = dict.fromkeys(works, 0.0)
    gc.collect()
    gc.disable()
    try:
        for low in range(0, count, CHUNK):
            high = min(low + CHUNK, count)
            best = dict.fromkeys(works, float("inf"))
            for _ in range(rounds):
                for name, work in works.items():
                    start = time.perf_counter()
                    work(low, high)
                    best[name] = min(best[name], time.perf_counter() - start)
            for name, seconds in best.items():
                total[name] += seconds
    finally:
        gc.enable()
    return total


def compile_as_installed() -> None:
    """Compile clipdoc's modules to bytecode, as installing the package does.

    A command run from a source tree (or with ``PYTHONDONTWRITEBYTECODE``
    set, as some machines have) would otherwise compile every module it
    imports, on every run, and be charged for it: a tenth of a second, a
    third of a small collection's index.
    """
    import compileall

    import clipdoc

    compileall.compile_dir(os.path.dirname(clipdoc.__file__), quiet=1)
