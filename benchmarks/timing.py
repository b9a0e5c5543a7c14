"""Timing helpers shared by the benchmark scripts."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable


def best_of(rounds: int, work: Callable[[], object], *, collect: bool = True) -> float:
    """The fastest of ``rounds`` runs of ``work``, in seconds.

    The garbage collector is paused while a run is timed, as ``timeit`` does,
    so that a collection triggered by earlier allocations is not charged to
    whichever run happens to be going on; with ``collect`` it also runs
    before each one (slow in a process holding many objects).
    """
    best = float("inf")
    for _ in range(rounds):
        if collect:
            gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            work()
            best = min(best, time.perf_counter() - start)
        finally:
            gc.enable()
    return best
