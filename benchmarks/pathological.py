"""Pathological inputs against ordinary documents of the same size.

Usage: python benchmarks/pathological.py [--size BYTES] [--rounds R]

For each hostile input (a 2 MB line of '#', 200,000 headings, 100,000 metadata
items, long runs of backslashes before '##', a million backticks, a million
colons in a key, ...) it times parse (with recovery where the input has
errors), check and render of the result, and divides by the same work on an
ordinary document of the same size. Linear time means these ratios stay
bounded as the size grows; compare two sizes with --size. The last column
is the input's parse time over the render time of what it holds: reading a
dense document should cost a small multiple of writing it.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import synthetic  # noqa: E402
from timing import best_of  # noqa: E402

import clipdoc  # noqa: E402


def _repeat(unit: str, size: int) -> str:
    return unit * max(1, size // len(unit.encode("utf-8")))


def _document(body: str) -> str:
    return f"# t\n\n## 原始摘要\n\n{body}\n\n## AI 摘要\n\nx\n"


def cases(size: int) -> dict[str, str]:
    """Hostile documents of about ``size`` bytes, by name."""
    million = size // 2
    return {
        "line of '#' in a body": _document("#" * size),
        "line of '*' in a body": _document("*" * size),
        "title of '#'": "# " + "#" * size + "\n",
        "200,000-style headings": "# t\n\n" + _repeat("## h\n\nx\n\n", size),
        "many metadata items": "# t\n\n## 元数据\n\n" + _repeat("- **k**: v\n", size),
        "backslashes before ##": _document(_repeat("\\" * 1000 + "## x\n", size)),
        "one run of backslashes": _document("\\" * million + "## x"),
        "a million backticks": _document("`" * million),
        "backtick fence lines": _document(_repeat("```\n", size)),
        "unclosed HTML openers": _document(_repeat("<!--\n", size)),
        "list items then fences": _document(_repeat("- a\n```\n", size)),
        "one line of list markers": _document("- " * million + "a"),
        "ten-deep list lines": _document(_repeat("- - - - - - - - - - a\n", size)),
        "spaces then a list marker": _document(_repeat(" " * 1000 + "- a\n", size)),
        "escaped deep markers": _document(_repeat("- - - - - - - - - \\\\- a\n", size)),
        "colons in a key": "# t\n\n## 元数据\n\n- **" + ":" * million + "**: v\n",
        "stars in a key": "# t\n\n## 元数据\n\n- **" + "*" * million + ": v\n",
        "carriage returns": _document("a\r" * million),
        "CR line endings": _repeat("# t\r\r## AI 摘要\r\rx\r", size),
        "conflict markers": _document(_repeat("<<<<<<< a\n=======\n>>>>>>> b\n", size)),
        "stray lines before sections": "# t\n\n" + _repeat("stray\n", size) + "\n## AI 摘要\n\nx\n",
        "HTML with many tags": _document(_repeat("<b> </b>", size)),
        "hashtag-like text": _document(_repeat("#a ", size)),
    }


def ordinary(size: int) -> str:
    return synthetic.large_document(size)


def costs(text: str, rounds: int) -> dict[str, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clipdoc.ClipdocWarning)
        clip = clipdoc.parse(text, recover=True)

        def parse() -> object:
            return clipdoc.parse(text, recover=True)

        work: dict[str, Callable[[], object]] = {
            "parse": parse,
            "check": lambda: clipdoc.check(text),
            "render": lambda: clipdoc.render(clip),
        }
        return {name: best_of(rounds, job) for name, job in work.items()}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args(argv)
    base_text = ordinary(options.size)
    base = costs(base_text, options.rounds)
    print(
        f"ordinary document, {len(base_text.encode()) / 1e6:.1f} MB: "
        + ", ".join(f"{name} {seconds * 1e3:.1f} ms" for name, seconds in base.items())
    )
    print(
        f"{'input':<30}{'MB':>6}{'parse ×':>10}{'check ×':>10}{'render ×':>10}{'parse÷render':>14}"
    )
    worst = 0.0
    for name, text in cases(options.size).items():
        found = costs(text, options.rounds)
        ratios = [found[key] / base[key] for key in ("parse", "check", "render")]
        worst = max(worst, *ratios)
        print(
            f"{name:<30}{len(text.encode()) / 1e6:6.1f}"
            + "".join(f"{ratio:10.1f}" for ratio in ratios)
            + f"{found['parse'] / found['render']:14.1f}"
        )
    print(f"worst ratio: {worst:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
