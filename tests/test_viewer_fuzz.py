"""Differential fuzzing, one batch: every reader sees exactly clipdoc's sections.

One CI-sized batch of benchmarks/viewer_agreement.py: hostile bodies from its
block-structure grammar, each rendered in a clipdoc document, read by
markdown-it-py (presets "commonmark" and "gfm-like") and cmark-gfm (plain
and GFM) here, and by commonmark.js and markdown-it (presets "commonmark" and
default with html) in Node. markdown-it's default preset turns raw HTML off
and reads HTML blocks as Markdown, outside CommonMark: not checked here
(docs/viewers.md). The batch is drawn from
``random.Random`` (no Hypothesis), so a failure reproduces with the command
the message prints; CLIPDOC_VIEWER_BATCH picks another batch of the same
seed (CI may step it) and CLIPDOC_VIEWER_DOCUMENTS changes its size. Without
Node or its modules in build/js/node_modules the JavaScript half is skipped;
the Python readers always run.
"""

from __future__ import annotations

import os
import sys

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))

import viewer_agreement as fuzz

SEED = 0
BATCH = int(os.environ.get("CLIPDOC_VIEWER_BATCH", "0"))
DOCUMENTS = int(os.environ.get("CLIPDOC_VIEWER_DOCUMENTS", "1500"))
#: Failing documents minimized for the message (a few milliseconds each).
SHOWN = 8


def _assert_agree(checker: fuzz.Checker) -> None:
    failures = fuzz.run_batch(checker, SEED, BATCH, DOCUMENTS)
    if not failures:
        return
    per_reader: dict[str, int] = {}
    for _, wrong in failures:
        for name in wrong:
            per_reader[name] = per_reader.get(name, 0) + 1
    minimal: dict[str, list[str]] = {}
    for case, wrong in failures[:SHOWN]:
        for body, readers in fuzz.minimize_case(checker, case, wrong):
            minimal.setdefault(body, sorted(readers))
    lines = [
        f"{len(failures)} of {DOCUMENTS} documents disagree; by reader: {per_reader}",
        f"minimal bodies (from the first {min(SHOWN, len(failures))} failures):",
        *(f"  {body!r}: {', '.join(readers)}" for body, readers in minimal.items()),
        "reproduce: python benchmarks/viewer_agreement.py --seed"
        f" {SEED} --batch {DOCUMENTS} --only-batch {BATCH} --minimize",
    ]
    pytest.fail("\n".join(lines), pytrace=False)


def test_python_readers_see_exactly_the_sections() -> None:
    readers = fuzz.python_readers()
    _assert_agree(fuzz.Checker({name: readers[name] for name in fuzz.in_the_bar(readers)}, None))


@pytest.mark.skipif(fuzz.node_missing() is not None, reason=fuzz.node_missing() or "Node is there")
def test_javascript_readers_see_exactly_the_sections() -> None:
    with fuzz.NodeReaders() as node:
        _assert_agree(fuzz.Checker({}, node, fuzz.in_the_bar(fuzz.NODE_READERS)))


def test_the_batch_is_reproducible() -> None:
    first = fuzz.make_batch(SEED, BATCH, 50)
    again = fuzz.make_batch(SEED, BATCH, 80)[:50]
    assert [(c.body, c.section, c.template) for c in first] == [
        (c.body, c.section, c.template) for c in again
    ]
    other = fuzz.make_batch(SEED, BATCH + 1, 50)
    assert [c.body for c in first] != [c.body for c in other]


def test_the_minimizer_keeps_a_disagreement() -> None:
    # A stand-in reader that disagrees whenever a body line is "<?": the
    # minimizer must keep that line and drop everything else.
    def still_fails(bodies: list[str]) -> list[bool]:
        return ["<?" in body.split("\n") for body in bodies]

    assert fuzz.minimize("a\n- b\n<?\n```\nc", still_fails) == "<?"
