"""How the field-wise merge scales: documents with many metadata items or
sections, and a conflict over many repeated paragraphs.

    python benchmarks/merge_scale.py [--rounds R]

For each case it merges three versions (base, ours with an edit near the
start, theirs with an edit near the end) at sizes 10,000 and 40,000: with
`clipdoc.merge`, through the merge driver in this process (reading the three
files, merging, writing the result; CPU time), and as git runs it, the
`clipdoc merge-driver` command (wall time, start-up included). It prints the
median time of each over interleaved rounds and their ratio; linear work
gives about 4× (a little more where the larger size no longer fits the
processor's caches), quadratic work 16×.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import best_of, compile_as_installed

from clipdoc import Clipping, Metadata, Section, merge, render
from clipdoc._cli import merge_driver

Versions = tuple[Clipping, Clipping, Clipping]


def metadata_items(size: int) -> Versions:
    items = [(f"k{i % 50}", f"value {i}") for i in range(size)]
    base = Clipping(title="t", metadata=Metadata(extra=items))
    ours = Clipping(title="t", metadata=Metadata(extra=[("new", "ours"), *items[1:]]))
    theirs = Clipping(title="t", metadata=Metadata(extra=[*items[:-1], ("k", "theirs")]))
    return base, ours, theirs


def repeated_sections(size: int) -> Versions:
    sections = [Section(heading="笔记", body=f"note {i % 7}") for i in range(size)]
    base = Clipping(title="t", extra_sections=sections)
    ours = Clipping(title="t", extra_sections=[*sections[: size // 2], *sections[size // 2 + 1 :]])
    theirs = Clipping(title="t", extra_sections=[*sections, Section(heading="笔记", body="new")])
    return base, ours, theirs


def conflicting_paragraphs(size: int) -> Versions:
    base = Clipping(title="t", ai_summary="\n\n".join(["paragraph"] * size))
    ours = Clipping(title="t", ai_summary="\n\n".join(["paragraph", "ours"] * (size // 2)))
    theirs = Clipping(title="t", ai_summary="\n\n".join(["theirs", "paragraph"] * (size // 2)))
    return base, ours, theirs


CASES: dict[str, Callable[[int], Versions]] = {
    "metadata items": metadata_items,
    "repeated sections": repeated_sections,
    "conflict over repeated paragraphs": conflicting_paragraphs,
}


def drive(folder: Path, *versions: Clipping) -> None:
    """What git's merge runs: the driver reads the three files, merges, and
    writes the result over OURS."""
    paths = [folder / name for name in ("base", "ours", "theirs")]
    for path, version in zip(paths, versions, strict=True):
        path.write_text(render(version), encoding="utf-8")
    options = argparse.Namespace(
        base=str(paths[0]), ours=str(paths[1]), theirs=str(paths[2]), path=None, prefer=None,
        index=False,
    )  # fmt: skip
    with contextlib.redirect_stderr(io.StringIO()):  # "conflict in ..."
        merge_driver.run(options)


def run_command(folder: Path, *versions: Clipping) -> None:
    """What git runs: the merge driver as a process of its own."""
    paths = [folder / name for name in ("base", "ours", "theirs")]
    for path, version in zip(paths, versions, strict=True):
        path.write_text(render(version), encoding="utf-8")
    command = [sys.executable, "-m", "clipdoc", "merge-driver", "--", *map(str, paths)]
    subprocess.run(command, capture_output=True, check=False)


def main() -> None:
    compile_as_installed()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument(
        "--sizes", type=int, nargs=2, default=(10_000, 40_000), metavar=("SMALL", "LARGE")
    )
    options = parser.parse_args()
    small_size, large_size = options.sizes
    print(f"{'case':44} {small_size:>9,} {large_size:>9,} {'ratio':>6}")
    with tempfile.TemporaryDirectory() as folder:
        for name, make in CASES.items():
            ways: list[tuple[str, Callable[..., object]]] = [
                ("merge", merge),
                ("driver", functools.partial(drive, Path(folder))),
                ("command", functools.partial(run_command, Path(folder))),
            ]
            for how, work in ways:
                runs = [functools.partial(work, *make(size)) for size in options.sizes]
                # CPU time of this thread (other processes do not count),
                # but the wall time of the command, a process of its own.
                clock = time.perf_counter if how == "command" else time.thread_time
                # Interleaved, and the median of each: a slow moment of a
                # busy machine hits both sizes, and moves no median far.
                times: list[list[float]] = [[], []]
                for _ in range(options.rounds):
                    for run, measured in zip(runs, times, strict=True):
                        measured.append(best_of(1, run, clock=clock))
                small, large = (statistics.median(measured) for measured in times)
                label = f"{name} ({how})"
                print(f"{label:44} {small:8.3f}s {large:8.3f}s {large / small:5.1f}×")


if __name__ == "__main__":
    main()
