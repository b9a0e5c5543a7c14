"""The stat cache: a second index or query of an unchanged collection
against the first.

Usage: python benchmarks/cache_speed.py --folder DIR [--copies 1 10] [--rounds R]

DIR is a collection (the producer's ``papers`` folder, or the shared
corpus). For each number of copies K, its documents are copied K times
into distinct date folders (as benchmarks/index_speed.py does), and in one
run, rounds interleaved, each a whole command in a fresh process:

- ``clipdoc index --no-cache`` (every document read: the first run's work)
  and ``clipdoc index`` with the cache made by the run before (the second
  run); then the same after one document changed (one file read);
- ``clipdoc index --check`` with the cache (it writes nothing: the
  index file is compared from the memo);
- ``Collection.find(url)`` without and with the cache;
- ``clipdoc check --no-cache`` and ``clipdoc check``;
- the peer of a query: DuckDB (``pip install duckdb``, in the ``bench``
  dependency group) finding the same URL in a Parquet file of the
  collection (``clipdoc convert``, made before the rounds), a whole
  command in a fresh process as ``find`` is.

A second run of an unchanged collection takes its answer from a memo
(docs/collections.md): the walk and an ``lstat`` per file are what is left.

The bar (docs/performance.md) is the second run at most 10% of the first.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from index_speed import scaled_copy, timed  # noqa: E402
from timing import compile_as_installed  # noqa: E402

_FIND = """
import sys, time
from clipdoc import Collection
start = time.perf_counter()
found = Collection(sys.argv[1], cache=sys.argv[2] == "cache").find("https://example.com/none")
print(time.perf_counter() - start, len(found))
"""

_DUCKDB = """
import sys, time
import duckdb
start = time.perf_counter()
found = duckdb.execute(
    "select path from read_parquet($1) where url = $2", [sys.argv[1], "https://example.com/none"]
).fetchall()
print(time.perf_counter() - start, len(found))
"""


def _parquet_of(tree: Path) -> Path | None:
    """The collection as a Parquet file for DuckDB, beside it; None without
    DuckDB or the ``arrow`` extra (said on stderr)."""
    table = tree.with_suffix(".parquet")
    if subprocess.run([sys.executable, "-c", "import duckdb"], capture_output=True).returncode:
        print("no DuckDB (pip install duckdb): no peer for the queries", file=sys.stderr)
        return None
    made = subprocess.run(
        [sys.executable, "-m", "clipdoc", "convert", "-q", str(tree), str(table)],
        capture_output=True,
        text=True,
    )
    if not table.exists():
        print(f"no Parquet file for DuckDB: {made.stderr.strip()}", file=sys.stderr)
        return None
    return table


def _change_one(tree: Path) -> None:
    document = next(tree.rglob("*.md"))
    document.write_bytes(document.read_bytes().replace(b"\n\n## ", b"\n\n\n## ", 1))


def measure(tree: Path, rounds: int) -> dict[str, float]:
    index = [sys.executable, "-m", "clipdoc", "index", "-q", str(tree)]
    find = [sys.executable, "-c", _FIND, str(tree)]
    check = [sys.executable, "-m", "clipdoc", "check", "-q", str(tree)]
    subprocess.run(index, capture_output=True)  # makes the caches
    subprocess.run([*find, "cache"], capture_output=True)
    subprocess.run(check, capture_output=True)
    table = _parquet_of(tree)
    time.sleep(1.2)  # past the cache's margin: what was just copied may be kept now
    for warm in (index, [*find, "cache"], check, index):  # the index file settles too
        subprocess.run(warm, capture_output=True)
    times: dict[str, list[float]] = {}
    for _ in range(rounds):
        for name, command in (
            ("index, every document read", [*index, "--no-cache"]),
            ("index, second run", index),
            ("index --check, second run", [*index, "--check"]),
            ("find, every document read", [*find, "none"]),
            ("find, second run", [*find, "cache"]),
            ("check, every document read", [*check, "--no-cache"]),
            ("check, second run", check),
        ):
            times.setdefault(name, []).append(timed(command))
        if table is not None:
            duckdb = [sys.executable, "-c", _DUCKDB, str(table)]
            times.setdefault("DuckDB over Parquet, same URL", []).append(timed(duckdb))
    _change_one(tree)
    times["index, one document changed"] = [timed(index)]
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    compile_as_installed()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--copies", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        for copies in options.copies:
            tree = Path(scratch) / f"tree-{copies}"
            count = scaled_copy(options.folder, tree, copies)
            if count == 0:
                shutil.copytree(options.folder, tree, dirs_exist_ok=True)
                count = sum(1 for _ in tree.rglob("*.md"))
            figures = measure(tree, options.rounds)
            print(f"\n{count:,} documents (median of {options.rounds} rounds)")
            for name, seconds in figures.items():
                print(f"  {name:32} {seconds:7.3f} s")
            for job, first in (
                ("index", "index"),
                ("index --check", "index"),
                ("find", "find"),
                ("check", "check"),
            ):
                ratio = figures[f"{job}, second run"] / figures[f"{first}, every document read"]
                print(f"  {job}: the second run is {ratio:.1%} of the first")


if __name__ == "__main__":
    main()
