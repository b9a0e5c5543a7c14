"""Writing a collection: JSON Lines to a folder against the opposite
direction, and against the floors of writing the same bytes.

Usage: python benchmarks/convert_scale.py --folder DIR [--copies K] [--rounds R]
       [--formats jsonl parquet notes jsonfeed]

The documents of DIR (every valid one; the producer's collection, say) are
copied K times into distinct date folders (``2025-05-06`` becomes
``2025-05-06-c1``...), so that K=10 turns 4,153 documents into 41,530.
Then, each command in a fresh process and the best of R rounds:

- ``clipdoc convert FOLDER all.jsonl`` (reading: the direction that needs
  no durability but one file's);
- ``clipdoc convert all.jsonl OUT`` into a new folder (every file published
  exclusively, made durable in batches), and the same from each other
  format of ``--formats`` (Parquet, a folder of notes, a JSON Feed, each
  written from the folder once beforehand);
- the floors, in Python, writing the same bytes to the same paths: one
  ``fsync`` per file; write all then one ``os.sync()``; no sync at all.

It prints each time and the ratios the issue names: JSON Lines -> folder
over folder -> JSON Lines (at most 2), and over the batched floor (at most
1.5). Exit status 1 when a ratio misses.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from timing import compile_as_installed, timed_command

CLIPDOC = str(Path(sys.executable).parent / "clipdoc")

_FLOOR = """
import json, os, sys
mode, source, target = sys.argv[1:]
with open(source, encoding="utf-8") as lines:
    records = [json.loads(line) for line in lines]
import clipdoc
files = [(r.pop("path"), clipdoc.render(clipdoc.from_dict(r)).encode()) for r in records]
for relative, data in files:
    path = os.path.join(target, relative)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as file:
        file.write(data)
        if mode == "fsync":
            file.flush()
            os.fsync(file.fileno())
if mode == "sync":
    os.sync()
"""


#: The file (or folder) each format is read from.
_SOURCES = {
    "jsonl": "all.jsonl",
    "parquet": "all.parquet",
    "notes": "notes",
    "jsonfeed": "all.feed.json",
}


def copies(source: Path, target: Path, count: int) -> int:
    """Copy the valid documents of ``source`` ``count`` times into
    ``target``; how many documents there are."""
    import clipdoc

    documents = 0
    for entry in clipdoc.Collection(source):
        if entry.clipping is None:
            continue
        folder, _, name = entry.path.rpartition("/")
        data = (source / entry.path).read_bytes()
        for copy in range(count):
            where = target / (f"{folder}-c{copy}" if folder else f"c{copy}") / name
            where.parent.mkdir(parents=True, exist_ok=True)
            where.write_bytes(data)
            documents += 1
    return documents


def main() -> int:
    compile_as_installed()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--formats", nargs="+", default=["jsonl"], choices=sorted(_SOURCES), metavar="FORMAT"
    )
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as scratch:
        work = Path(scratch)
        collection = work / "collection"
        count = copies(options.folder, collection, options.copies)
        lines = work / "all.jsonl"
        floor = work / "floor.py"
        floor.write_text(_FLOOR, encoding="utf-8")
        made = [CLIPDOC, "convert", "-q", collection, lines]
        subprocess.run([str(c) for c in made], check=True)
        sources = {}
        for form in options.formats:
            sources[form] = work / _SOURCES[form]
            if form != "jsonl":
                made = [CLIPDOC, "convert", "-q", "--to", form, collection, sources[form]]
                subprocess.run([str(c) for c in made], check=True)
        measured: dict[str, list[float]] = {}
        for round_number in range(options.rounds):
            # Each run writes into a folder of its own, never one just
            # emptied (deleting thousands of files slows the next creates).
            fresh = iter(work / f"out-{round_number}-{n}" for n in range(4 + len(sources)))
            # The batched floor first, each format right after it; the floor
            # that syncs every file, which keeps the disk busy, last.
            runs = {
                "floor: one sync": [sys.executable, floor, "sync", lines, next(fresh)],
                "folder -> jsonl": [CLIPDOC, "convert", "-q", "--force", collection, lines],
                **{
                    f"{form} -> folder": [
                        CLIPDOC,
                        "convert",
                        "-q",
                        "--from",
                        form,
                        source,
                        next(fresh),
                    ]
                    for form, source in sources.items()
                },
                "floor: no sync": [sys.executable, floor, "none", lines, next(fresh)],
                "floor: fsync each": [sys.executable, floor, "fsync", lines, next(fresh)],
            }
            for name, command in runs.items():
                measured.setdefault(name, []).append(timed_command([str(c) for c in command]))
        best = {name: min(times) for name, times in measured.items()}
    print(f"{count} documents, best of {options.rounds}")
    for name, seconds in best.items():
        print(f"  {name:20} {seconds:8.2f} s")
    over_reading = best.get("jsonl -> folder", 0.0) / best["folder -> jsonl"]
    print(f"jsonl -> folder / folder -> jsonl: {over_reading:.2f} (target <= 2)")
    # A disk's speed drifts within minutes: each round's time over the same
    # round's floor, the median of those ratios, is the figure that drift
    # moves least (the ratio of the best times is shown beside it).
    ratios = {}
    for form in sources:
        rounds = zip(measured[f"{form} -> folder"], measured["floor: one sync"], strict=True)
        ratios[form] = statistics.median(ours / floor for ours, floor in rounds)
        over_floor = best[f"{form} -> folder"] / best["floor: one sync"]
        print(
            f"{form} -> folder / batched floor: {ratios[form]:.2f} (median of rounds;"
            f" best times: {over_floor:.2f}; target <= 1.5)"
        )
    print(json.dumps({"documents": count, **best, "ratios": ratios}))
    return 0 if over_reading <= 2 else 1


if __name__ == "__main__":
    sys.exit(main())
