"""Feeds out of a real collection, as ordinary readers see them.

Usage: python benchmarks/feeds_out.py FOLDER [--json OUT]

For each of JSON Feed, Atom and RSS, ``clipdoc convert FOLDER feed`` then
``clipdoc convert feed BACK``, and it prints:

- how many documents the folder holds, how many are valid (and so become
  entries), and how many distinct URLs they have;
- the distinct entry ids of the feed (the bar: one per valid document);
- whether the feed validates: JSON Feed 1.1's schema (tests/data/jsonfeed),
  RFC 4287's MUSTs (tests/atom_rules.py) for Atom, feedparser without
  complaint (``bozo == 0``) for Atom and RSS;
- how many entries show their AI summary to a reader that ignores clipdoc's
  extension (JSON Feed's summary and content, feedparser's summary and
  content for Atom and RSS);
- how many documents come back byte for byte, at the same path;
- the seconds each conversion takes.

Exit status 1 when a bar is missed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import quote

import feedparser
import jsonschema

import clipdoc
from clipdoc._interop.feed_fields import html_text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from timing import compile_as_installed  # noqa: E402

import atom_rules  # noqa: E402 - a module of the tests, found through the path above

CLIPDOC = str(Path(sys.executable).parent / "clipdoc")
SUFFIXES = {"jsonfeed": "all.feed.json", "atom": "all.atom", "rss": "all.rss"}


def _words(text: str) -> str:
    return " ".join(text.split())


def reader_entries(name: str, data: bytes) -> list[tuple[str, str]]:
    """``(id, the text a reader shows)`` of every entry, clipdoc's
    extension left out."""
    if name == "jsonfeed":
        return [
            (item["id"], _words(item.get("summary", "") + " " + html_text(item["content_html"])))
            for item in json.loads(data)["items"]
        ]
    shown = []
    for entry in feedparser.parse(data).entries:
        summary = entry.get("summary_detail")
        details = ([summary] if summary is not None else []) + list(entry.get("content", []))
        texts = [
            html_text(detail["value"]) if detail["type"] == "text/html" else detail["value"]
            for detail in details
        ]
        shown.append((entry["id"], _words(" ".join(texts))))
    return shown


def _problems(name: str, data: bytes) -> list[str]:
    if name == "jsonfeed":
        schema = json.loads((ROOT / "tests/data/jsonfeed/jsonfeed-1.1.schema.json").read_text())
        validator = jsonschema.Draft202012Validator(schema)
        return [error.message for error in validator.iter_errors(json.loads(data))][:5]
    problems = atom_rules.violations(data)[:5] if name == "atom" else []
    parsed = feedparser.parse(data)
    if parsed.bozo:
        problems.append(f"feedparser: {parsed.get('bozo_exception')}")
    return problems


def _measure(name: str, folder: Path, clippings: dict[str, clipdoc.Clipping]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        feed = Path(scratch) / SUFFIXES[name]
        started = time.perf_counter()
        subprocess.run([CLIPDOC, "convert", "-q", str(folder), str(feed)], capture_output=True)
        written = time.perf_counter() - started
        back = Path(scratch) / "back"
        started = time.perf_counter()
        subprocess.run([CLIPDOC, "convert", "-q", str(feed), str(back)], capture_output=True)
        read = time.perf_counter() - started
        data = feed.read_bytes()
        same = sum(
            (back / path).is_file() and (back / path).read_bytes() == (folder / path).read_bytes()
            for path in clippings
        )
    entries = reader_entries(name, data)
    by_id = {_entry_id(path): clip for path, clip in clippings.items()}
    shown = sum(
        identifier in by_id and _words(by_id[identifier].ai_summary or "") in text
        for identifier, text in entries
    )
    return {
        "entries": len(entries),
        "distinct ids": len({identifier for identifier, _ in entries}),
        "problems": _problems(name, data),
        "AI summary shown": shown,
        "back byte for byte": same,
        "seconds to write": round(written, 2),
        "seconds to read back": round(read, 2),
        "bytes": len(data),
    }


def _entry_id(path: str) -> str:
    """The id clipdoc gives the document at ``path``."""
    return "tag:clipdoc.readthedocs.io,2025:" + quote(path, errors="surrogatepass")


def main() -> int:
    compile_as_installed()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    options = parser.parse_args()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clipdoc.ClipdocWarning)
        entries = list(clipdoc.Collection(options.folder))
    clippings = {entry.path: entry.clipping for entry in entries if entry.clipping is not None}
    urls = {clip.url for clip in clippings.values()}
    figures: dict[str, Any] = {
        "documents": len(entries),
        "valid documents": len(clippings),
        "distinct URLs": len(urls),
    }
    print(
        f"{options.folder}: {len(entries)} documents, {len(clippings)} valid,"
        f" {len(urls)} distinct URLs"
    )
    missed = False
    for name in SUFFIXES:
        found = _measure(name, options.folder, clippings)
        figures[name] = found
        print(f"{name}: " + ", ".join(f"{key} {value}" for key, value in found.items()))
        bars = (
            found["distinct ids"] == found["entries"] == len(clippings),
            not found["problems"],
            found["AI summary shown"] == len(clippings),
            found["back byte for byte"] == len(clippings),
        )
        missed = missed or not all(bars)
    if options.json:
        options.json.write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n")
    print("every bar met" if not missed else "a bar is missed")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
