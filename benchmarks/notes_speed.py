"""Cost per note of writing and reading notes, against documents.

Usage: python benchmarks/notes_speed.py [FOLDER] [--rounds R] [--count N]
(default: ../shared/corpus/ai_info, or N synthetic documents, 400 by
default, when that folder is absent)

Times, best of R rounds, over every valid document of FOLDER: ``render``
and ``parse`` (the document floor), ``to_note``, ``from_note`` of the notes
as written, of the same notes with their title and tags edited, and of
the notes as Web Clipper pages (their documents' original summaries as the
page). Reading a note composes its front matter and that of the note
`to_note` would write, to tell edits from what it wrote.
"""

from __future__ import annotations

import argparse
import functools
import re
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import synthetic  # noqa: E402
from timing import best_of  # noqa: E402

import clipdoc  # noqa: E402
from clipdoc import Clipping, notes  # noqa: E402


def _clippings(folder: Path, count: int) -> tuple[list[Clipping], str]:
    if folder.is_dir():
        found = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", clipdoc.ClipdocWarning)
            for path in sorted(folder.rglob("*.md")):
                try:
                    found.append(clipdoc.load(path))
                except clipdoc.ClipdocError:
                    continue
        return found, str(folder)
    documents = [clipdoc.parse(text) for _, text in synthetic.documents(count)]
    return documents, f"{count} synthetic documents"


def _edited(note: str) -> str:
    """``note`` with its title and tags changed, as an editor would."""
    note = re.sub(r"^title: .*$", "title: An edited title", note, count=1, flags=re.MULTILINE)
    return note.replace("tags:\n- clippings\n", "tags:\n- clippings\n- edited\n", 1)


def _page(clip: Clipping) -> str:
    return (
        f'---\ntitle: "page"\nsource: "https://example.com/"\ncreated: 2025-05-06T16:03:26+08:00\n'
        f'tags:\n  - "clippings"\n---\n{clip.original_summary or "text"}\n'
    )


def _each(work: Callable[[str], object], texts: list[str]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clipdoc.ClipdocWarning)
        for text in texts:
            work(text)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "folder", nargs="?", type=Path, default=HERE.parent.parent / "shared" / "corpus" / "ai_info"
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--count", type=int, default=400)
    options = parser.parse_args(argv[1:])
    clips, where = _clippings(options.folder, options.count)
    documents = [clipdoc.render(clip) for clip in clips]
    written = [notes.to_note(clip) for clip in clips]
    print(f"{len(clips)} clippings from {where}, best of {options.rounds} rounds")
    timings: dict[str, Callable[[], object]] = {
        "render": lambda: [clipdoc.render(clip) for clip in clips],
        "parse": functools.partial(_each, clipdoc.parse, documents),
        "to_note": lambda: [notes.to_note(clip) for clip in clips],
        "from_note, as written": functools.partial(_each, notes.from_note, written),
        "from_note, edited": functools.partial(
            _each, notes.from_note, [_edited(note) for note in written]
        ),
        "from_note, Web Clipper page": functools.partial(
            _each, notes.from_note, [_page(clip) for clip in clips]
        ),
    }
    each = {
        name: best_of(options.rounds, work) / max(len(clips), 1) for name, work in timings.items()
    }
    for name, seconds in each.items():
        print(f"{name:<28} {seconds * 1e6:9.0f} µs/note")
    if each["parse"]:
        print(f"from_note / parse: {each['from_note, as written'] / each['parse']:.1f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
