"""Work on several processes, in order, with bounded memory."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import Executor, Future

_Item = TypeVar("_Item")
_Result = TypeVar("_Result")

#: How many items a worker process gets at a time, and how many batches may
#: be in flight per process: enough to keep processes busy, few enough to
#: keep memory flat however many documents there are.
BATCH_SIZE = 64
BATCHES_IN_FLIGHT_PER_JOB = 4


#: The most worker processes Windows can wait for at once.
_WINDOWS_LIMIT = 61


def checked_jobs(jobs: object) -> int:
    """``jobs`` as a number of processes (0: one per CPU this process may
    use), or a `TypeError`."""
    if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 0:
        raise TypeError(f"jobs must be an int, 0 (one per CPU) or more, not {jobs!r:.40}")
    if jobs:
        return jobs
    if hasattr(os, "process_cpu_count"):  # Python 3.13: the CPUs this process may use
        count = os.process_cpu_count() or 1
    elif hasattr(os, "sched_getaffinity"):
        count = len(os.sched_getaffinity(0)) or 1
    else:
        count = os.cpu_count() or 1
    return min(count, _WINDOWS_LIMIT) if sys.platform == "win32" else count


#: The signals that stop a command: Ctrl-C, and SIGTERM (`timeout`, a
#: service manager), each often sent to the whole process group.
_STOPPING = (signal.SIGINT, signal.SIGTERM)


def _ignore_interrupts() -> None:
    """Leave stopping to the main process (a worker's initializer): it stops
    the work and says so once. Workers would each print a traceback, and
    one that unwound in the pool's midst (holding the lock of the queue of
    results) left the others, and the main process, waiting for ever. A
    SIGTERM is left to the main process only when it handles one itself
    (the command does): else it ends every process, as it did."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if callable(signal.getsignal(signal.SIGTERM)):  # the main process's, inherited
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    threading.Thread(target=_end_with, args=(os.getppid(),), daemon=True).start()


#: How often a worker process looks whether the process that started it
#: is still there.
_PARENT_CHECK_SECONDS = 0.5


def _end_with(parent: int) -> None:
    """End this worker process once ``parent`` (the main process) is gone:
    killed (``kill -9``, the out-of-memory killer), it cannot stop its
    workers, which waited for work for ever and kept what they held (the
    lock of a site build's folder, say). Forked workers hold the pool's
    pipes open themselves, so no end of file tells them."""
    while os.getppid() == parent:
        time.sleep(_PARENT_CHECK_SECONDS)
    os._exit(1)


def _submit(
    pool: Executor, function: Callable[..., _Result], *arguments: object
) -> Future[_Result]:
    """``pool.submit``, with a Ctrl-C or a SIGTERM that comes while it may
    fork a worker noted, not raised: a worker forked then keeps the noting
    handler until its initializer ignores the signal (raised there, it
    printed the worker's traceback), and the main process gets what was
    noted once the call returns."""
    handled = {
        number: handler for number in _STOPPING if callable(handler := signal.getsignal(number))
    }
    if not handled or threading.current_thread() is not threading.main_thread():
        return pool.submit(function, *arguments)
    noted: list[signal.Signals] = []
    for number in handled:
        signal.signal(number, lambda got, frame: noted.append(signal.Signals(got)))
    try:
        return pool.submit(function, *arguments)
    finally:
        for number, handler in handled.items():
            signal.signal(number, handler)
        if noted:
            handled[noted[0]](noted[0], None)


def _apply(function: Callable[[_Item], _Result], batch: list[_Item]) -> list[_Result]:
    return [function(item) for item in batch]


def worker_pool(jobs: int) -> Executor:
    """``jobs`` worker processes for `ordered_map` calls that follow one
    another: forked once, at the first call, and shut down by the caller."""
    # Imported here: worker processes cost 20 ms of every command's start-up
    # otherwise, and most runs use none.
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(max_workers=jobs, initializer=_ignore_interrupts)


def ordered_map(
    function: Callable[[_Item], _Result],
    items: Iterable[_Item],
    *,
    jobs: int,
    pool: Executor | None = None,
) -> Iterator[_Result]:
    """``map`` on ``jobs`` processes, results in input order, memory
    bounded: those of ``pool`` (a `worker_pool` of at least ``jobs``, left
    running), else processes of its own."""
    if jobs <= 1:
        yield from map(function, items)
        return
    own = pool is None
    workers = worker_pool(jobs) if pool is None else pool
    iterator = iter(items)
    pending: deque[Future[list[_Result]]] = deque()
    try:
        while batch := list(islice(iterator, BATCH_SIZE)):
            pending.append(_submit(workers, _apply, function, batch))
            if len(pending) >= jobs * BATCHES_IN_FLIGHT_PER_JOB:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()
    finally:
        if own:
            workers.shutdown(wait=True, cancel_futures=True)
        else:  # what is left of this call is not to be done by the pool
            for future in pending:
                future.cancel()
