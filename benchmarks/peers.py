"""clipdoc against the floor and against what people would use instead.

Usage: python benchmarks/peers.py [--documents N] [--rounds R] [--json PATH] [--quick]

Builds, with no shared file needed, a corpus shaped like the real one
(benchmarks/synthetic.py: sizes and HTML share measured on the shared corpus)
plus single documents of 1 MB and 10 MB, then measures in one process,
interleaved (every measurement once per round), the best of R rounds:

- floor: ``bytes.decode`` plus splitting into lines, over the same bytes;
- clipdoc: ``parse`` (from bytes: decode + parse), ``render`` (to bytes:
  render + encode), ``parse`` + ``to_json``;
- peers on the same information: python-frontmatter ``loads``/``dumps`` of
  the equivalent YAML-front-matter document, markdown-it-py ``parse`` and
  mistune's AST of the clipping document.

It prints a table (µs per document, MB/s, and ratios) and the targets, and
writes the results as JSON.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from frontmatter.default_handlers import YAMLHandler

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import synthetic  # noqa: E402
from timing import best_of  # noqa: E402

import clipdoc  # noqa: E402

Work = Callable[[], object]


def front_matter_document(clip: clipdoc.Clipping) -> str:
    """The same information as a YAML-front-matter Markdown document."""
    import frontmatter

    metadata = clip.metadata or clipdoc.Metadata()
    post = frontmatter.Post(
        f"## 原始摘要\n\n{clip.original_summary}\n\n## AI 摘要\n\n{clip.ai_summary}\n",
        title=clip.title,
        url=clip.url,
        source=metadata.source,
        kind=metadata.kind,
        saved_at=metadata.saved_at.isoformat() if metadata.saved_at else None,
        catalog_date=metadata.catalog_date.isoformat() if metadata.catalog_date else None,
    )
    return str(frontmatter.dumps(post))


def pure_python_yaml() -> YAMLHandler:
    """python-frontmatter's YAML handler, made to use PyYAML's pure-Python
    loader, as it does when PyYAML has no libyaml."""
    import yaml

    class PurePythonYAML(YAMLHandler):
        def load(self, fm: str, **kwargs: object) -> Any:
            return super().load(fm, Loader=yaml.SafeLoader, **kwargs)

    return PurePythonYAML()


def suite(texts: list[str]) -> dict[str, Work]:
    """Every measurement over one set of documents."""
    import frontmatter
    import mistune
    from markdown_it import MarkdownIt

    data = [text.encode("utf-8") for text in texts]
    clips = [clipdoc.parse(text) for text in texts]
    front = [front_matter_document(clip) for clip in clips]
    posts = [frontmatter.loads(text) for text in front]
    markdown_it = MarkdownIt("commonmark")
    mistune_ast = mistune.create_markdown(renderer="ast")
    pure = pure_python_yaml()
    return {
        "floor: decode + split lines": lambda: [raw.decode("utf-8").split("\n") for raw in data],
        "clipdoc load (decode + parse)": lambda: [
            clipdoc.parse(raw.decode("utf-8")) for raw in data
        ],
        "clipdoc parse": lambda: [clipdoc.parse(text) for text in texts],
        "clipdoc render": lambda: [clipdoc.render(clip).encode("utf-8") for clip in clips],
        "clipdoc parse + to_json": lambda: [clipdoc.to_json(clipdoc.parse(text)) for text in texts],
        "python-frontmatter loads": lambda: [frontmatter.loads(text) for text in front],
        "frontmatter loads, pure YAML": lambda: [
            frontmatter.loads(text, handler=pure) for text in front
        ],
        "python-frontmatter dumps": lambda: [frontmatter.dumps(post) for post in posts],
        "markdown-it-py parse": lambda: [markdown_it.parse(text) for text in texts],
        "mistune AST": lambda: [mistune_ast(text) for text in texts],
    }


def measure(works: dict[str, Work], rounds: int) -> dict[str, float]:
    """Best seconds of each work, interleaved: round by round, every work once."""
    best = dict.fromkeys(works, float("inf"))
    gc.collect()
    for _ in range(rounds):
        for name, work in works.items():
            best[name] = min(best[name], best_of(1, work))
    return best


def table(title: str, seconds: dict[str, float], count: int, size: int) -> list[str]:
    floor = seconds["floor: decode + split lines"]
    parse = seconds["clipdoc parse"]
    lines = [
        f"{title}: {count} documents, {size / 1e6:.2f} MB",
        f"{'':<31}{'µs/doc':>12}{'MB/s':>9}{'× floor':>9}{'clipdoc parse faster':>22}",
    ]
    for name, value in seconds.items():
        speedup = value / parse if not name.startswith(("floor", "clipdoc")) else None
        shown = f"{speedup:.1f}×" if speedup else ""
        lines.append(
            f"{name:<31}{value / count * 1e6:12.1f}{size / value / 1e6:9.1f}"
            f"{value / floor:9.2f}{shown:>22}"
        )
    return lines


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--json", type=Path, default=HERE / "results" / "peers.json")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to check it runs")
    options = parser.parse_args(argv)
    documents, rounds, sizes = options.documents, options.rounds, (1_000_000, 10_000_000)
    if options.quick:
        documents, rounds, sizes = 50, 2, (20_000, 200_000)
    corpus = [text for _, text in synthetic.documents(documents)]
    corpus_size = sum(len(text.encode("utf-8")) for text in corpus)
    results: dict[str, object] = {
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "rounds": rounds,
    }
    corpus_seconds = measure(suite(corpus), rounds)
    print("\n".join(table("corpus", corpus_seconds, len(corpus), corpus_size)))
    results["corpus"] = {"documents": len(corpus), "bytes": corpus_size, "seconds": corpus_seconds}
    large: dict[int, dict[str, float]] = {}
    for size in sizes:
        text = synthetic.large_document(size)
        real_size = len(text.encode("utf-8"))
        large[size] = measure(suite([text]), max(5, rounds))
        print()
        print("\n".join(table(f"one {size / 1e6:g} MB document", large[size], 1, real_size)))
        results[f"single_{size}"] = {"bytes": real_size, "seconds": large[size]}
    floor = corpus_seconds["floor: decode + split lines"]
    small, big = sizes
    targets = {
        "parse >= 8x faster than python-frontmatter loads (libyaml)": corpus_seconds[
            "python-frontmatter loads"
        ]
        / corpus_seconds["clipdoc parse"],
        "parse >= 8x faster than python-frontmatter loads (pure-Python YAML)": corpus_seconds[
            "frontmatter loads, pure YAML"
        ]
        / corpus_seconds["clipdoc parse"],
        "parse within 4x of the floor (load: decode + parse)": corpus_seconds[
            "clipdoc load (decode + parse)"
        ]
        / floor,
        "render within 4x of the floor": corpus_seconds["clipdoc render"] / floor,
        "10 MB parse at most 11x 1 MB": large[big]["clipdoc parse"] / large[small]["clipdoc parse"],
        "10 MB render at most 11x 1 MB": large[big]["clipdoc render"]
        / large[small]["clipdoc render"],
    }
    limits = {"parse >= 8x": (8, ">="), "parse within": (4, "<="), "render within": (4, "<=")}
    print()
    held = True
    for name, value in targets.items():
        bound, sense = next((v for k, v in limits.items() if name.startswith(k)), (11, "<="))
        ok = value >= bound if sense == ">=" else value <= bound
        held &= ok
        print(f"{'ok  ' if ok else 'MISS'} {name}: {value:.2f}")
    results["targets"] = targets
    options.json.parent.mkdir(parents=True, exist_ok=True)
    options.json.write_text(json.dumps(results, indent=2))
    print(f"\nresults written to {options.json}")
    return 0 if held or options.quick else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
