"""Coverage-guided fuzzing of clipdoc's reader and writer with atheris.

Run by hand (see fuzz/README.md):

    pip install atheris
    python fuzz/fuzz_clipdoc.py -max_total_time=300 fuzz/corpus

The seed corpus is every document of the conformance suite; the custom
mutator edits documents the way real files get damaged (fuzz/mutations.py)
as well as with libFuzzer's byte-level mutations.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import atheris

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

with atheris.instrument_imports():
    from mutations import mutate
    from properties import check_bytes

    import clipdoc  # noqa: F401


def test_one_input(data: bytes) -> None:
    check_bytes(data)


def custom_mutator(data: bytes, max_size: int, seed: int) -> bytes:
    choose = random.Random(seed)
    if choose.random() < 0.3:
        mutated: bytes = atheris.Mutate(data, max_size)
        return mutated
    text = data.decode("utf-8", errors="replace")
    return mutate(text or "# t\n", choose).encode("utf-8")[:max_size]


def seed_corpus(folder: Path) -> None:
    """Copy the conformance documents into ``folder`` as the starting corpus."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in sorted((HERE.parent / "spec" / "tests").rglob("*.md")):
        (folder / path.name).write_bytes(path.read_bytes())


if __name__ == "__main__":
    corpus = [arg for arg in sys.argv[1:] if not arg.startswith("-")]
    if corpus:
        seed_corpus(Path(corpus[0]))
    atheris.Setup(sys.argv, test_one_input, custom_mutator=custom_mutator)
    atheris.Fuzz()
