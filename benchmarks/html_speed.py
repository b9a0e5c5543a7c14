"""Cost per document of clipdoc.html helpers, with lxml and with html.parser.

Usage: python benchmarks/html_speed.py [FOLDER]   (default: ../shared/corpus/ai_info,
or 400 synthetic documents when that folder is absent)

Times text() over every original summary, best of 5 rounds, and, for
reference, safe_html() (nh3; independent of the parser).
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import synthetic  # noqa: E402
from timing import best_of  # noqa: E402

import clipdoc  # noqa: E402
from clipdoc import html  # noqa: E402


def texts(summaries: list[str], parser: str) -> list[str]:
    return [html.text(summary, parser=parser) for summary in summaries]


def main(argv: list[str]) -> int:
    folder = (
        Path(argv[1]) if len(argv) > 1 else HERE.parent.parent / "shared" / "corpus" / "ai_info"
    )
    if folder.is_dir():
        summaries = [
            clipdoc.load(path).original_summary or "" for path in sorted(folder.rglob("*.md"))
        ]
        where = str(folder)
    else:
        summaries = [
            clipdoc.parse(text).original_summary or "" for _, text in synthetic.documents(400)
        ]
        where = "400 synthetic documents"
    marked_up = [summary for summary in summaries if html.is_html(summary)]
    print(f"{len(summaries)} summaries ({len(marked_up)} HTML) from {where}")
    for parser in ("lxml", "html.parser"):
        seconds = best_of(5, functools.partial(texts, summaries, parser))
        html_only = best_of(5, functools.partial(texts, marked_up, parser))
        print(
            f"text() with {parser:<12} {seconds / len(summaries) * 1e6:8.0f} µs/document"
            f"   {html_only / len(marked_up) * 1e6:8.0f} µs/HTML document"
        )
    seconds = best_of(5, lambda: [html.safe_html(s) for s in marked_up])
    print(f"safe_html() (nh3)       {seconds / len(marked_up) * 1e6:8.0f} µs/HTML document")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
