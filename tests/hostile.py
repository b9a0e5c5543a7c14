"""Hostile clippings: XSS vectors in every field a document has (title, URL,
both summaries, extra section headings and bodies, metadata labels and
values), for the site's tests. Vectors that could run set
``window.__pwned`` or open a dialog; a test that finds either has found a
hole."""

from __future__ import annotations

import shutil
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from clipdoc import Clipping, Metadata, Section, render
from clipdoc.site import build_site
from conftest import EXAMPLE, SHARED
from xss import XSS_VECTORS

CORPUS = SHARED / "corpus" / "ai_info"

FLAG = "window.__pwned=1"

# One line each: titles, URLs, headings and metadata hold a single line.
LINE_VECTORS = [
    f"<script>{FLAG}</script>",
    f'"><img src=x onerror="{FLAG}">',
    f"</title><script>{FLAG}</script>",
    f"'-alert(1)-'</script><svg onload={FLAG}>",
    "{{ 7*7 }}{% raw %}${7*7}#{7*7}",
    f'<a href="javascript:{FLAG}">click</a>',
    f"#<img src=x onerror={FLAG}>#",
    "\u202e\u2066<b>bidi</b>",
]
URL_VECTORS = [
    f"javascript:{FLAG}",
    f"JaVaScRiPt:{FLAG}",
    f" javascript:{FLAG}",
    "data:text/html;base64,PHNjcmlwdD53aW5kb3cuX19wd25lZD0xPC9zY3JpcHQ+",
    f'https://example.com/"><script>{FLAG}</script>',
    f"vbscript:{FLAG}",
]
MARKDOWN_VECTORS = [
    f"[click](javascript:{FLAG})",
    f'[click](JAVASCRIPT:{FLAG} "t")',
    f"![img](javascript:{FLAG})",
    f"<script>{FLAG}</script>",
    f'<img src=x onerror="{FLAG}">',
    f"[ref][r]\n\n[r]: javascript:{FLAG}",
    f"<javascript:{FLAG}>",
    f"```html\n<script>{FLAG}</script>\n```",
    f"# heading <img src=x onerror={FLAG}>",
]


def hostile_clippings() -> list[Clipping]:
    """Clippings whose every field is hostile; each vector appears in each
    field of at least one of them."""
    saved = datetime(2025, 6, 1, 12, 0, tzinfo=timezone(timedelta(hours=8)))
    clippings = []
    for number, vector in enumerate(LINE_VECTORS):
        html_vectors = XSS_VECTORS[number :: len(LINE_VECTORS)]
        clippings.append(
            Clipping(
                title=f"hostile {number} {vector}",
                url=URL_VECTORS[number % len(URL_VECTORS)],
                original_summary="<br>".join(html_vectors) + f"#{vector}#",
                ai_summary="\n\n".join([*MARKDOWN_VECTORS, vector]),
                extra_sections=[
                    Section(heading=vector, body="\n\n".join([*html_vectors, vector])),
                    Section(heading=f"notes {number}", body=MARKDOWN_VECTORS[number % 9]),
                ],
                metadata=Metadata(
                    source=vector,
                    kind=vector,
                    saved_at=saved + timedelta(minutes=number),
                    catalog_date=date(2025, 6, 1),
                    extra=[(vector, vector), ("作者", vector)],
                ),
            )
        )
    # Plain text that looks like HTML, and an original summary that is one.
    clippings.append(
        Clipping(
            title="hostile plain",
            url="https://example.com/plain",
            original_summary="\n".join(XSS_VECTORS[:5]) + "\nwrapped <not a tag> & text",
            ai_summary=None,
            metadata=Metadata(catalog_date=date(2025, 6, 2)),
        )
    )
    return clippings


def write_hostile(folder: Path) -> list[tuple[str, Clipping]]:
    """Write the hostile clippings under ``folder/hostile/`` and return
    their relative paths."""
    written = []
    (folder / "hostile").mkdir(parents=True, exist_ok=True)
    for number, clipping in enumerate(hostile_clippings()):
        relative = f"hostile/{number:02d}.md"
        (folder / relative).write_text(render(clipping), encoding="utf-8")
        written.append((relative, clipping))
    return written


def build_hostile_site(root: Path, out: Path) -> list[str]:
    """Build in ``out`` the site of the shared corpus (or, outside this
    workplace, the example) plus the hostile documents, copied to ``root``;
    return the hostile documents' paths."""
    if CORPUS.is_dir():
        shutil.copytree(CORPUS, root, dirs_exist_ok=True)
    else:
        shutil.copy(EXAMPLE, root / "seed.md")
    hostile = [path for path, _ in write_hostile(root)]
    build_site(root, out, lang="en")  # the interface these tests read
    return hostile
