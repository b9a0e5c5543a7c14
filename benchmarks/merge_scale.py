"""How the field-wise merge scales: documents with many metadata items or
sections, and a conflict over many repeated paragraphs.

    python benchmarks/merge_scale.py [--rounds R]

For each case it merges three versions (base, ours with an edit near the
start, theirs with an edit near the end) at sizes 10,000 and 40,000 and
prints the time of each and their ratio; linear work gives about 4×, and
quadratic work 16×.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import best_of

from clipdoc import Clipping, Metadata, Section, merge

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    print(f"{'case':36} {'10,000':>9} {'40,000':>9} {'ratio':>6}")
    for name, make in CASES.items():
        times = []
        for size in (10_000, 40_000):
            versions = make(size)
            times.append(best_of(options.rounds, functools.partial(merge, *versions)))
        print(f"{name:36} {times[0]:8.3f}s {times[1]:8.3f}s {times[1] / times[0]:5.1f}×")


if __name__ == "__main__":
    main()
