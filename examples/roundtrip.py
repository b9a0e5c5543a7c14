"""Parse a clipping document, show what it holds, and write it back.

Usage: python examples/roundtrip.py [PATH]   (default: examples/seed.md)

Exits non-zero if the canonical rendering differs from the file's bytes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import clipdoc


def main(argv: list[str]) -> int:
    path = Path(argv[1]) if len(argv) > 1 else Path(__file__).with_name("seed.md")
    clip = clipdoc.load(path)
    metadata = clip.metadata
    print(f"title:            {clip.title[:60]}")
    print(f"url:              {clip.url}")
    print(f"original summary: {len(clip.original_summary or '')} characters")
    print(f"AI summary:       {(clip.ai_summary or '')[:60]}")
    if metadata is not None:
        print(f"source / kind:    {metadata.source} / {metadata.kind}")
        print(f"saved at:         {metadata.saved_at}")
        print(f"catalog date:     {metadata.catalog_date}")
    same = clipdoc.render(clip).encode("utf-8") == path.read_bytes()
    print(f"render(parse(file)) == file: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
