"""Microseconds per document for parse and render over a folder of documents.

Usage: python benchmarks/corpus_speed.py [FOLDER]   (default: ../shared/corpus/ai_info,
or the bundled example when that folder is absent)

Reads every *.md file once, then times parse and render over all of them,
best of 7 rounds, in one process.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import best_of

import clipdoc

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    folder = Path(argv[1]) if len(argv) > 1 else ROOT.parent / "shared" / "corpus" / "ai_info"
    paths = sorted(folder.rglob("*.md")) if folder.is_dir() else [ROOT / "examples" / "seed.md"]
    texts = [path.read_text(encoding="utf-8") for path in paths]
    clips = [clipdoc.parse(text) for text in texts]
    size = sum(len(text.encode("utf-8")) for text in texts)
    parse_time = best_of(7, lambda: [clipdoc.parse(text) for text in texts])
    render_time = best_of(7, lambda: [clipdoc.render(clip) for clip in clips])
    count = len(texts)
    print(f"{count} documents, {size / count / 1024:.1f} KiB on average, from {folder}")
    for name, seconds in (("parse", parse_time), ("render", render_time)):
        print(f"{name:<7}{seconds / count * 1e6:8.1f} µs/document{size / seconds / 1e6:8.1f} MB/s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
