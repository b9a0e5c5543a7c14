"""Reading a collection with Dask on 1 and 2 worker processes.

Usage: python benchmarks/dask_scale.py [--count N] [--folder DIR] [--blocksize B]

Builds N synthetic documents unless --folder names a collection, then times
``read_collection(root).map_partitions(len).sum().compute()`` on a
``LocalCluster`` of 1 and of 2 single-threaded worker processes, and reports
the speed-up and the largest resident memory of any worker (which stays flat
however many documents there are: a worker holds one partition at a time).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import synthetic  # noqa: E402


def _peak_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(root: Path, workers: int, blocksize: int) -> tuple[float, int, float]:
    from distributed import Client, LocalCluster

    import clipdoc.dask

    cluster = LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = Client(cluster)  # type: ignore[no-untyped-call]
    with cluster, client:
        client.run(lambda: None)  # workers up before the clock starts
        start = time.perf_counter()
        frame = clipdoc.dask.read_collection(str(root), blocksize=blocksize)
        count = int(frame.map_partitions(len).sum().compute())
        elapsed = time.perf_counter() - start
        peak = max(client.run(_peak_mib).values())
    return elapsed, count, peak


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--folder", type=Path)
    parser.add_argument("--blocksize", type=int, default=2000)
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        root = options.folder
        if root is None:
            root = Path(scratch) / "collection"
            synthetic.main([str(root), "--count", str(options.count)])
        results = {workers: run(root, workers, options.blocksize) for workers in (1, 2)}
        base = results[1][0]
        for workers, (seconds, count, peak) in results.items():
            print(
                f"{workers} worker(s): {count} documents in {seconds:.2f} s"
                f" ({count / seconds:.0f} docs/s, speed-up {base / seconds:.2f}×),"
                f" worker peak {peak:.0f} MiB"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
