"""Check the collection layer against a real collection, by hand.

Usage: python benchmarks/collection_check.py DIR

For a collection the producer wrote (its date folders and its README.md
index), checks and prints:

- iterating gives, in path order, every document equal to ``clipdoc.load`` of
  its file, and documents with errors come back with ``clipping=None`` and
  their diagnostics (conflicted ones with CD106 only);
- ``duplicates()`` and ``find()`` agree with a count made by hand;
- ``add()`` of every valid document into an empty collection writes the same
  relative path and the same bytes as the producer did;
- ``index(style="ai_info")`` equals the committed ``README.md`` byte for byte.

Exits 1 if any check fails.
"""

from __future__ import annotations

import sys
import tempfile
import time
import warnings
from collections import Counter
from pathlib import Path

import clipdoc
from clipdoc import Collection


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    root = Path(argv[0])
    failures: list[str] = []
    collection = Collection(root)
    start = time.perf_counter()
    entries = list(collection)
    elapsed = time.perf_counter() - start
    paths = [entry.path for entry in entries]
    print(f"{len(entries)} documents read in {elapsed:.2f} s")
    if paths != sorted(paths, key=lambda path: path.split("/")):
        failures.append("entries are not in path order")
    by_url = _check_entries(root, entries, failures)
    valid = sum(entry.clipping is not None for entry in entries)
    _check_duplicates(collection, by_url, valid, failures)
    _check_rewrite(root, entries, failures)
    _check_index(root, collection, failures)
    for failure in failures[:20]:
        print("FAIL", failure)
    print("all checks hold" if not failures else f"{len(failures)} failures")
    return 1 if failures else 0


def _check_entries(
    root: Path, entries: list[clipdoc.Entry], failures: list[str]
) -> dict[str, list[str]]:
    """Each entry as load() reads it; the paths of each URL."""
    codes: Counter[str] = Counter()
    by_url: dict[str, list[str]] = {}
    for entry in entries:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", clipdoc.ClipdocWarning)
            try:
                loaded: clipdoc.Clipping | None = clipdoc.load(root / entry.path)
            except clipdoc.ClipdocError:
                loaded = None
        if loaded != entry.clipping:
            failures.append(f"{entry.path}: the entry differs from load()")
        if entry.clipping is None:
            codes.update({d.code for d in entry.errors})
        elif entry.clipping.url:
            by_url.setdefault(entry.clipping.url, []).append(entry.path)
    print(f"{sum(e.clipping is None for e in entries)} with errors, codes {dict(codes)}")
    return by_url


def _check_duplicates(
    collection: Collection, by_url: dict[str, list[str]], count: int, failures: list[str]
) -> None:
    expected = {url: found for url, found in by_url.items() if len(found) > 1}
    duplicates = {url: [e.path for e in found] for url, found in collection.duplicates().items()}
    if duplicates != expected:
        failures.append("duplicates() differs from the hand count")
    most = max(expected.items(), key=lambda item: len(item[1]), default=("", []))
    if most[0] and [e.path for e in collection.find(most[0])] != most[1]:
        failures.append("find() differs from the hand count")
    print(
        f"{len(by_url)} distinct URLs in {count} valid documents; {len(expected)} URLs held by"
        f" more than one; the most, {len(most[1])} times: {most[0]}"
    )


def _check_rewrite(root: Path, entries: list[clipdoc.Entry], failures: list[str]) -> None:
    """add() of every valid clipping writes the producer's path and bytes."""
    with tempfile.TemporaryDirectory() as scratch:
        target = Collection(scratch)
        same = valid = 0
        for entry in entries:
            if entry.clipping is None:
                continue
            valid += 1
            relative = target.add(entry.clipping)
            if relative != entry.path:
                failures.append(f"add() wrote {relative}, the producer {entry.path}")
            elif (Path(scratch) / relative).read_bytes() == (root / entry.path).read_bytes():
                same += 1
            else:
                failures.append(f"add() wrote other bytes to {relative}")
        print(f"add(): {same} of {valid} documents at the producer's path with its bytes")


def _check_index(root: Path, collection: Collection, failures: list[str]) -> None:
    index = root / "README.md"
    if index.is_file():
        written = collection.index(style="ai_info").encode("utf-8", errors="surrogateescape")
        if written == index.read_bytes():
            print(f"index(style='ai_info') equals {index} ({len(written)} bytes)")
        else:
            failures.append(f"index(style='ai_info') differs from {index}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
