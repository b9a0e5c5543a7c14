"""The collection's index against the producer's own Go program.

Usage: python benchmarks/index_speed.py --folder DIR [--copies 1 10] [--rounds R]
       [--go-source DIR]

DIR is the producer's collection (its ``papers`` folder; the shared corpus
works too). For each number of copies K, the documents are copied K times
into distinct date folders (copy k moves every date k years back), and in
one run, rounds interleaved, the script times:

- the producer's ``GenerateIndex`` (``../shared/reference/ai_info-index``,
  built with ``go build`` when ``go`` is installed: ``apt-get install
  golang-go``), which writes ``README.md`` into the folder;
- ``clipdoc index --style ai_info``, whose output must be the Go program's
  byte for byte (the script stops otherwise);
- ``clipdoc index`` (the clipdoc style), every document read, and again
  once the collection's stat cache knows them (a second run).

Each figure is the median wall time of R rounds of a whole command, start-up
included, as a user runs it; the ratios to Go are the bar of docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from timing import compile_as_installed

HERE = Path(__file__).resolve().parent
DEFAULT_GO_SOURCE = HERE.parent.parent / "shared" / "reference" / "ai_info-index"


def scaled_copy(source: Path, target: Path, copies: int) -> int:
    """The ``.md`` files of ``source``'s date folders, ``copies`` times, copy
    k in folders dated k years earlier; how many files were written."""
    written = 0
    target.mkdir(parents=True, exist_ok=True)
    for folder in sorted(source.iterdir()):
        if not folder.is_dir() or len(folder.name) != 10 or folder.name[4] != "-":
            continue
        year, rest = int(folder.name[:4]), folder.name[4:]
        for copy in range(copies):
            where = target / f"{year - copy:04d}{rest}"
            where.mkdir(parents=True, exist_ok=True)
            for document in folder.glob("*.md"):
                shutil.copyfile(document, where / document.name)
                written += 1
    return written


def build_go(source: Path, scratch: Path) -> Path | None:
    """The Go program, built from ``source``; None without ``go``."""
    go = shutil.which("go")
    if go is None or not (source / "main.go").is_file():
        return None
    program = scratch / "indexgen"
    environment = {**os.environ, "GOFLAGS": "-mod=mod", "HOME": str(scratch)}
    subprocess.run([go, "build", "-o", str(program), "."], cwd=source, env=environment, check=True)
    return program


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    # Exit status 1: documents with errors (the producer's collection holds
    # a few unresolved merges), left out of the index as the Go program does.
    if done.returncode not in (0, 1):
        raise SystemExit(f"{command} failed: {done.stderr.decode(errors='replace')}")
    return elapsed


def measure(tree: Path, go: Path | None, rounds: int, scratch: Path) -> dict[str, float]:
    clipdoc = [sys.executable, "-m", "clipdoc", "index", str(tree), "-q", "-o"]
    commands = {
        "index --style ai_info": [*clipdoc, str(scratch / "ai_info.md"), "--style", "ai_info"],
        "index (clipdoc style)": [*clipdoc, str(scratch / "clipdoc.md")],
        "index (clipdoc style) -j 2": [*clipdoc, str(scratch / "clipdoc-2.md"), "-j", "2"],
    }
    if go is not None:
        commands = {"Go GenerateIndex": [str(go), str(tree)], **commands}
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, command in commands.items():
            times[name].append(timed(command))
    if go is not None:
        written = (tree / "README.md").read_bytes()
        if (scratch / "ai_info.md").read_bytes() != written:
            raise SystemExit("index --style ai_info differs from the Go program's README.md")
        (tree / "README.md").unlink()
    if (scratch / "clipdoc.md").read_bytes() != (scratch / "clipdoc-2.md").read_bytes():
        raise SystemExit("index -j 2 differs from index -j 1")
    figures = {name: statistics.median(values) for name, values in times.items()}
    figures["index (clipdoc style, cached)"] = _with_the_stat_cache(
        tree, commands["index (clipdoc style)"], rounds
    )
    return figures


def _with_the_stat_cache(tree: Path, command: list[str], rounds: int) -> float:
    """The clipdoc style once the collection's stat cache knows every
    document (a second run on an unchanged collection)."""
    make = "import sys; from clipdoc import Collection; Collection(sys.argv[1], cache=True).index()"
    subprocess.run([sys.executable, "-c", make, str(tree)], check=True)
    time.sleep(1.2)  # past the cache's margin: what was just copied may be kept now
    subprocess.run([sys.executable, "-c", make, str(tree)], check=True)
    seconds = statistics.median(timed(command) for _ in range(rounds))
    shutil.rmtree(tree / ".clipdoc")
    return seconds


def main() -> int:
    compile_as_installed()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--copies", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--go-source", type=Path, default=DEFAULT_GO_SOURCE)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as name:
        scratch = Path(name)
        go = build_go(options.go_source, scratch)
        if go is None:
            print("no Go program (apt-get install golang-go): clipdoc alone", file=sys.stderr)
        for copies in options.copies:
            tree = scratch / f"tree-{copies}"
            count = scaled_copy(options.folder, tree, copies)
            figures = measure(tree, go, options.rounds, scratch)
            go_time = figures.get("Go GenerateIndex")
            print(f"{count:,} documents (median of {options.rounds} rounds):")
            for job, seconds in figures.items():
                ratio = f"  {seconds / go_time:.2f}× Go" if go_time else ""
                print(f"  {job:<30} {seconds:7.3f} s{ratio}")
            shutil.rmtree(tree)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
