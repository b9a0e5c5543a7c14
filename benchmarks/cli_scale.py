"""Wall time and peak memory of the clipdoc command over large folders.

Usage: python benchmarks/cli_scale.py [--count N] [--jobs J] [--folder DIR]

Builds a folder of N synthetic documents (benchmarks/synthetic.py) unless
--folder names an existing one, then runs, each in a fresh process:
check, convert folder -> JSON Lines -> folder and (with pyarrow) folder ->
Parquet -> folder, and checks that each round trip gave every file back byte
for byte. Peak memory is the
largest resident set of the command and its worker processes (getrusage).
"""

from __future__ import annotations

import argparse
import filecmp
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import synthetic  # noqa: E402
from timing import compile_as_installed  # noqa: E402

CLIPDOC = str(Path(sys.executable).with_name("clipdoc"))
_MEASURE = (
    "import resource, subprocess, sys, time\n"
    "start = time.perf_counter()\n"
    "done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
    "elapsed = time.perf_counter() - start\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print(elapsed, peak, done.returncode)\n"
)


def measure(*command: str) -> tuple[float, float, int]:
    """Seconds, peak MiB and exit status of one command in a fresh process."""
    output = subprocess.run(
        [sys.executable, "-c", _MEASURE, *command], capture_output=True, text=True, check=True
    ).stdout.split()
    return float(output[0]), int(output[1]) / 1024, int(output[2])


def same_tree(first: Path, second: Path) -> bool:
    comparison = filecmp.dircmp(first, second)
    if comparison.left_only or comparison.right_only or comparison.funny_files:
        return False
    _, mismatch, errors = filecmp.cmpfiles(first, second, comparison.common_files, shallow=False)
    if mismatch or errors:
        return False
    return all(same_tree(first / name, second / name) for name in comparison.common_dirs)


def main(argv: list[str]) -> int:
    compile_as_installed()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--folder", type=Path, help="an existing folder of documents")
    parser.add_argument("--json", type=Path, help="also write the results here")
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        folder = options.folder
        if folder is None:
            folder = work / "documents"
            synthetic.main([str(folder), "--count", str(options.count)])
        files = list(folder.rglob("*.md"))
        size = sum(path.stat().st_size for path in files)
        print(f"{len(files)} documents, {size / 1e6:.1f} MB, --jobs {options.jobs}")
        jobs = ["--jobs", str(options.jobs), "--quiet"]
        lines, back = work / "all.jsonl", work / "back"
        table, back_parquet = work / "all.parquet", work / "back-parquet"
        runs = {
            "check": measure(CLIPDOC, "check", *jobs, str(folder)),
            "folder -> jsonl": measure(CLIPDOC, "convert", *jobs, str(folder), str(lines)),
            "jsonl -> folder": measure(CLIPDOC, "convert", *jobs, str(lines), str(back)),
        }
        if importlib.util.find_spec("pyarrow") is not None:
            runs["folder -> parquet"] = measure(CLIPDOC, "convert", *jobs, str(folder), str(table))
            runs["parquet -> folder"] = measure(
                CLIPDOC, "convert", *jobs, str(table), str(back_parquet)
            )
        identical = same_tree(folder, back) if options.folder is None else None
        if identical is not None and back_parquet.exists():
            identical = identical and same_tree(folder, back_parquet)
        results = {}
        for name, (seconds, peak, status) in runs.items():
            rate = len(files) / seconds
            ratio = seconds / runs["check"][0]
            print(
                f"{name:<18}{seconds:8.2f} s {rate:10.0f} docs/s {peak:8.1f} MiB"
                f" {ratio:6.2f}× check  exit {status}"
            )
            results[name] = {"seconds": seconds, "peak_mib": peak, "exit": status}
        if identical is not None:
            print(f"round trip byte-identical: {identical}")
        if options.json:
            options.json.write_text(
                json.dumps({"documents": len(files), "bytes": size, "runs": results}, indent=2)
            )
    return 0 if all(status == 0 for _, _, status in runs.values()) else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main(sys.argv[1:]))
