"""Parse and render against the I/O floor, per document, on real documents.

Usage: python benchmarks/floor_ratio.py [FOLDER] [--rounds R]

Reads every valid, canonical ``*.md`` under FOLDER (the producer's
collection, say; without it, 2,000 synthetic documents from
benchmarks/synthetic.py), then measures in one process, garbage collector
off, interleaved, the best of R rounds over all documents:

- floor: ``bytes.decode`` plus splitting into lines;
- parse: ``clipdoc.parse`` of the decoded text;
- render: ``clipdoc.render`` (the text, as the floor leaves the text), and
  render to bytes (``.encode``, which costs about what decoding does).

- python-frontmatter ``loads`` of the same information as a user
  converting would write it: title, URL, the original summary and the
  metadata in the YAML front matter, the AI summary as the content.

It prints µs per document and the ratio to the floor.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import clipdoc  # noqa: E402
from clipdoc._read import read_data  # noqa: E402


def corpus(folder: Path | None) -> list[bytes]:
    if folder is None:
        from synthetic import documents

        return [text.encode("utf-8") for _, text in documents(2000)]
    found = []
    for path in sorted(folder.rglob("*.md")):
        data = path.read_bytes()
        _, clipping, diagnostics = read_data(data)
        if clipping is not None and not diagnostics:
            found.append(data)
    return found


def front_matter(clip: clipdoc.Clipping) -> str:
    import frontmatter

    metadata = clip.metadata or clipdoc.Metadata()
    post = frontmatter.Post(
        clip.ai_summary or "",
        title=clip.title,
        url=clip.url,
        original_summary=clip.original_summary,
        source=metadata.source,
        kind=metadata.kind,
        saved_at=metadata.saved_at.isoformat() if metadata.saved_at else None,
        catalog_date=metadata.catalog_date.isoformat() if metadata.catalog_date else None,
    )
    return str(frontmatter.dumps(post))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, nargs="?")
    parser.add_argument("--rounds", type=int, default=7)
    options = parser.parse_args(argv)
    datas = corpus(options.folder)
    clips = [clipdoc.parse(data.decode("utf-8")) for data in datas]

    def floor() -> None:
        for data in datas:
            data.decode("utf-8").split("\n")

    def parse() -> None:
        for data in datas:
            clipdoc.parse(data.decode("utf-8"))

    def render() -> None:
        for clip in clips:
            clipdoc.render(clip)

    def render_bytes() -> None:
        for clip in clips:
            clipdoc.render(clip).encode("utf-8")

    import frontmatter

    notes = [front_matter(clip) for clip in clips]

    def front_matter_loads() -> None:
        for note in notes:
            frontmatter.loads(note)

    works: dict[str, Callable[[], None]] = {
        "floor": floor,
        "parse": parse,
        "render": render,
        "render+encode": render_bytes,
        "frontmatter": front_matter_loads,
    }
    best = dict.fromkeys(works, float("inf"))
    gc.disable()
    try:
        for _ in range(options.rounds):
            for name, work in works.items():
                start = time.perf_counter()
                work()
                best[name] = min(best[name], time.perf_counter() - start)
    finally:
        gc.enable()
    print(f"{len(datas)} documents, best of {options.rounds} rounds")
    for name, seconds in best.items():
        print(
            f"{name:13} {seconds / len(datas) * 1e6:7.2f} µs/doc"
            f"  {seconds / best['floor']:5.2f}× floor"
        )
    print(f"python-frontmatter loads takes {best['frontmatter'] / best['parse']:.1f}× parse")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
