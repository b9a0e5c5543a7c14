"""JavaScript CommonMark readers and clipdoc agree on where sections start.

The same check as tests/test_commonmark.py, with commonmark.js (the
CommonMark reference implementation) and markdown-it (JavaScript, what most
editors use), run by Node through benchmarks/viewer_agreement.mjs with inline
parsing on (as viewers read). `.ci/run` installs both, pinned, into build/js;
without Node or them these tests are skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given

import clipdoc
from clipdoc import Clipping, Metadata
from conftest import ROOT, core
from strategies import clippings
from test_commonmark import assert_viewers_agree, block_clippings, clipdoc_boundaries

MODULES = ROOT / "build" / "js" / "node_modules"
SCRIPT = ROOT / "benchmarks" / "viewer_agreement.mjs"
#: The reference implementation, and markdown-it as CommonMark defines it.
READERS = ["commonmark.js", "markdown-it:commonmark"]
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(
    NODE is None
    or not SCRIPT.is_file()
    or not (MODULES / "commonmark").is_dir()
    or not (MODULES / "markdown-it").is_dir(),
    reason=f"needs Node, {SCRIPT.name}, and commonmark.js and markdown-it in {MODULES}"
    " (.ci/run installs them)",
)
FIXTURES = sorted((ROOT / "spec" / "tests" / "valid").glob("*.md")) + sorted(
    (ROOT / "spec" / "tests" / "canonical").glob("*.out.md")
)

Readers = Callable[[str], dict[str, Any]]


@pytest.fixture(scope="module")
def readers() -> Iterator[Readers]:
    """Ask both readers about a document: one Node process for the module."""
    process = subprocess.Popen(
        [NODE or "node", str(SCRIPT)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        env=dict(os.environ, CLIPDOC_JS_MODULES=str(MODULES), CLIPDOC_JS_FULL="1"),
    )
    assert process.stdin is not None
    assert process.stdout is not None

    def ask(text: str) -> dict[str, Any]:
        assert process.stdin is not None
        assert process.stdout is not None
        process.stdin.write(json.dumps({"documents": [text], "readers": READERS}) + "\n")
        process.stdin.flush()
        answer: dict[str, Any] = json.loads(process.stdout.readline())[0]
        return answer

    yield ask
    process.stdin.close()
    process.wait(timeout=30)


def assert_readers_agree(readers: Readers, text: str) -> None:
    boundaries = clipdoc_boundaries(text)
    for name, seen in readers(text).items():
        assert set(seen["h2"]) == boundaries, name
        assert seen["setext"] == [], f"{name}: a setext heading"


@pytest.mark.parametrize("path", FIXTURES, ids=lambda path: path.name)
def test_every_valid_fixture(readers: Readers, path: Path) -> None:
    assert_readers_agree(readers, path.read_bytes().decode("utf-8"))


@core
@given(clip=clippings)
def test_rendered_clippings(readers: Readers, clip: Clipping) -> None:
    assert_readers_agree(readers, clipdoc.render(clip))


@core
@given(clip=block_clippings)
def test_block_structure_bodies(readers: Readers, clip: Clipping) -> None:
    assert_readers_agree(readers, clipdoc.render(clip))


#: Bodies clipdoc 1.1 wrote unescaped that these readers read otherwise
#: (issue 25), and their neighbours: 1.2's escaping makes every reading agree.
DISAGREEMENTS_OF_1_1 = {
    # A list item, then an indented fence opener: every CommonMark reading
    # saw the next heading inside the item's open fence.
    "list-item-then-indented-fence": "-\n  ```\n```",
    "list-item-then-indented-html": "-\n  <pre>\n</pre>",
    "star-item-then-indented-fence": "*\n  ```\n```",
    "ordered-item-then-indented-fence": "1.\n   ```\n```",
    # U+FEFF after an HTML block's tag name: whitespace to commonmark.js and
    # markdown-it, so an HTML block opened and swallowed the next section.
    "pre-then-bom": "<pre\ufeffx",
    "script-then-bom": "<script\ufeff>",
    "style-then-bom-closed": "<style\ufeffx\n```\n</style>",
    # Lists nested ten deep: markdown-it stops reading at its nesting limit.
    "ten-nested-lists": "- - - - - - - - - - a\n```",
    "ten-lists-by-indentation": "\n".join(" " * (2 * depth) + "- x" for depth in range(12)),
    "ten-ordered-lists": "1. " * 10 + "a",
    "ten-lists-with-tabs": "- \t" * 5 + "- a",
    # `</textarea>` ends a <pre> block for CommonMark 0.31, not for cmark-gfm.
    "pre-ended-by-textarea": "<pre>\n</textarea>\n```\n</pre>",
}


@pytest.mark.parametrize("body", DISAGREEMENTS_OF_1_1.values(), ids=DISAGREEMENTS_OF_1_1.keys())
def test_disagreements_of_1_1_are_gone(readers: Readers, body: str) -> None:
    for clip in (
        Clipping(title="t", ai_summary=body, metadata=Metadata(source="x")),
        Clipping(title="t", original_summary=body, ai_summary=body),
    ):
        text = clipdoc.render(clip)
        assert_readers_agree(readers, text)
        assert_viewers_agree(text)
