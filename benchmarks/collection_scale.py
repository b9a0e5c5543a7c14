"""Iterating a collection: time against a plain loop, and peak memory.

Usage: python benchmarks/collection_scale.py [--count N] [--folder DIR] [--rounds R]

Builds a folder of N synthetic documents (benchmarks/synthetic.py) unless
--folder names an existing collection, then measures, each in a fresh
process so that peak memory (getrusage, worker processes included) belongs
to one measurement:

- the floor: a plain loop that reads and parses every file (``load``);
- ``list(entry.path for entry in Collection(root, jobs=1))`` and ``jobs=2``:
  every document read, parsed and dropped, as a script that streams does;
- ``Collection.records()`` consumed one at a time.

Best of R rounds; the ratio to the plain loop is the cost of the collection
layer (walking, entries, ordering, and with jobs=2 the worker processes).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import synthetic  # noqa: E402
from timing import compile_as_installed  # noqa: E402

_PLAIN_LOOP = """
import os, warnings, clipdoc
warnings.simplefilter("ignore")
count = 0
for folder, subfolders, files in os.walk(ROOT):
    subfolders.sort()
    for name in sorted(files):
        if name.endswith(".md") and not (folder == ROOT and name == "README.md"):
            try:
                clipdoc.load(os.path.join(folder, name))
            except clipdoc.ClipdocError:
                pass
            count += 1
"""
_ITERATE = """
import clipdoc
count = sum(1 for entry in clipdoc.Collection(ROOT, jobs=JOBS))
"""
_RECORDS = """
import clipdoc
count = sum(1 for row in clipdoc.Collection(ROOT).records())
"""
_MEASURE = """
import json, resource, time
ROOT, JOBS = {root!r}, {jobs}
start = time.perf_counter()
{body}
elapsed = time.perf_counter() - start
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps([elapsed, max(own, workers) / 1024, count]))
"""


def measure(root: Path, body: str, *, jobs: int = 1) -> tuple[float, float, int]:
    """Seconds, peak MiB and documents seen, in a fresh process."""
    code = _MEASURE.format(root=str(root), jobs=jobs, body=body)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    elapsed, peak, count = json.loads(done.stdout.strip().splitlines()[-1])
    return float(elapsed), float(peak), int(count)


def main(argv: list[str]) -> int:
    compile_as_installed()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--folder", type=Path, help="an existing collection to measure")
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        root = options.folder
        if root is None:
            root = Path(scratch) / "collection"
            for relative, text in synthetic.documents(options.count):
                path = root / relative
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(text.encode("utf-8"))
        cases = [
            ("plain loop: load() every file", _PLAIN_LOOP, 1),
            ("Collection, jobs=1", _ITERATE, 1),
            ("Collection, jobs=2", _ITERATE, 2),
            ("Collection.records(), jobs=1", _RECORDS, 1),
        ]
        results: dict[str, tuple[float, float, int]] = {}
        for _ in range(max(1, options.rounds)):
            for name, body, jobs in cases:  # interleaved rounds
                seconds, peak, count = measure(root, body, jobs=jobs)
                best = results.get(name)
                if best is None or seconds < best[0]:
                    results[name] = (seconds, max(peak, best[1] if best else 0.0), count)
                elif best is not None:
                    results[name] = (best[0], max(best[1], peak), best[2])
        floor = results[cases[0][0]][0]
        print(f"collection: {root} ({results[cases[0][0]][2]} documents)")
        print(f"{'':34} {'seconds':>8} {'docs/s':>8} {'peak MiB':>9} {'× loop':>7}")
        for name, (seconds, peak, count) in results.items():
            rate = count / seconds if seconds else 0.0
            ratio = seconds / floor if floor else 0.0
            print(f"{name:34} {seconds:8.2f} {rate:8.0f} {peak:9.1f} {ratio:7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
