"""Site build time: a full build, an incremental one with nothing changed,
and one after a single document changed; then the same two once the
collection keeps a stat cache.

Usage: python benchmarks/site_build.py [--folder DIR] [--count N] [--jobs J]

Builds the site of --folder (the shared corpus, say) or, without it, of N
synthetic documents (benchmarks/synthetic.py), each build in a fresh
process, and prints seconds, documents per second, files written and
reused, and the site's size.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from timing import compile_as_installed

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

_ONE_BUILD = """
import json, sys, time
from clipdoc.site import build_site
start = time.perf_counter()
cache = {"none": None, "make": True}[sys.argv[4]]
report = build_site(sys.argv[1], sys.argv[2], jobs=int(sys.argv[3]), cache=cache)
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "documents": report.documents,
                  "rendered": report.rendered, "reused": report.reused, "files": report.files}))
"""


def build(root: Path, out: Path, jobs: int, cache: str = "none") -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", _ONE_BUILD, str(root), str(out), str(jobs), cache],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(done.stdout)
    return result


def _edit(document: Path) -> None:
    """A word added to the document's AI summary."""
    text = document.read_text(encoding="utf-8")
    edited = text.replace("## AI 摘要\n\n", "## AI 摘要\n\n(edited) ", 1)
    document.write_text(edited, encoding="utf-8")


def size_of(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main(argv: list[str]) -> int:
    compile_as_installed()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, help="an existing collection")
    parser.add_argument("--count", type=int, default=10_000, help="synthetic documents")
    parser.add_argument("--jobs", type=int, default=1)
    options = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp())
    try:
        root = work / "collection"
        if options.folder is not None:
            shutil.copytree(options.folder, root)
            label = str(options.folder)
        else:
            from synthetic import documents

            for relative, text in documents(options.count):
                path = root / relative
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(text.encode("utf-8"))
            label = f"{options.count} synthetic documents"
        out = work / "site"
        print(f"site of {label}, --jobs {options.jobs}")
        rows = [("full build", build(root, out, options.jobs))]
        rows.append(("nothing changed", build(root, out, options.jobs)))
        files = sorted(root.rglob("*.md"))
        _edit(files[len(files) // 2])
        rows.append(("one document changed", build(root, out, options.jobs)))
        # The stat cache keeps only files changed a second before the run.
        time.sleep(1.2)
        rows.append(("making the stat cache", build(root, out, options.jobs, "make")))
        rows.append(("nothing changed, cached", build(root, out, options.jobs)))
        _edit(files[len(files) // 3])
        rows.append(("one changed, cached", build(root, out, options.jobs)))
        for name, row in rows:
            rate = row["documents"] / row["seconds"] if row["seconds"] else 0.0
            print(
                f"{name:24} {row['seconds']:8.2f} s {rate:9.0f} docs/s"
                f"  written {int(row['rendered']):6d}  reused {int(row['reused']):6d}"
            )
        print(f"site size: {size_of(out) / 1e6:.1f} MB in {int(rows[0][1]['files'])} files")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
