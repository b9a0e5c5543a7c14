"""The static site against Hugo on the same Markdown.

Usage: python benchmarks/site_speed.py --folder DIR [--copies 1 10] [--rounds R]
       [--jobs 1 2] [--hugo PATH]

DIR is the producer's collection (its ``papers`` folder; the shared corpus
works too). For each number of copies K, the documents are copied K times
into distinct date folders (as benchmarks/index_speed.py does), and in one
run, rounds interleaved, the script times full builds of:

- ``clipdoc site`` with each ``--jobs`` given, into a new folder (pages,
  list pages, search index);
- Hugo (``apt-get install hugo``) on a minimal site whose ``content/`` holds
  the same Markdown files, each given front matter (its title and its date
  folder's day), with a page per document and a paginated list per day
  folder and for the home page. Hugo builds no search index. The Hugo site
  is made before the rounds; only ``hugo`` itself is timed;
- Hugo and then Pagefind (its PyPI package, ``pip install 'pagefind[bin]'``,
  in the ``bench`` dependency group) over Hugo's output, as one command: a
  static site with a search that works without a server, as clipdoc's.

Each figure is the median of R rounds of a whole command, start-up included:
its wall time, the processor time of all its processes, and the peak memory
of its largest process (the largest of the rounds); the ratios to Hugo and
of the first ``--jobs`` to the others are the bar of docs/performance.md.
Each build writes into a folder of its own, and the outputs are removed
once all rounds are done (see `measure`).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from index_speed import scaled_copy  # noqa: E402
from timing import compile_as_installed  # noqa: E402

_HUGO_CONFIG = """\
baseURL = "http://localhost/"
title = "clippings"
paginate = 25
disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404"]
"""
_HUGO_SINGLE = """\
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body><h1>{{ .Title }}</h1>
<p>{{ .Date.Format "2006-01-02" }}</p>
{{ .Content }}
{{ with .PrevInSection }}<a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}
{{ with .NextInSection }}<a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}
</body></html>
"""
_HUGO_LIST = """\
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body><h1>{{ .Title }}</h1><ul>
{{ range (.Paginate .RegularPagesRecursive).Pages }}
<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ .Date.Format "2006-01-02" }}
<p>{{ .Summary }}</p></li>
{{ end }}</ul>
{{ template "_internal/pagination.html" . }}
</body></html>
"""
_HEADING = re.compile(r"\A\s*#[ \t]+(.*)")


def hugo_site(collection: Path, site: Path) -> int:
    """A Hugo site of the collection's Markdown; how many pages it has."""
    (site / "layouts" / "_default").mkdir(parents=True)
    (site / "config.toml").write_text(_HUGO_CONFIG, encoding="utf-8")
    (site / "layouts" / "_default" / "single.html").write_text(_HUGO_SINGLE, encoding="utf-8")
    (site / "layouts" / "_default" / "list.html").write_text(_HUGO_LIST, encoding="utf-8")
    (site / "layouts" / "index.html").write_text(_HUGO_LIST, encoding="utf-8")
    count = 0
    for folder in sorted(p for p in collection.iterdir() if p.is_dir()):
        section = site / "content" / folder.name
        section.mkdir(parents=True)
        for number, document in enumerate(sorted(folder.glob("*.md"))):
            text = document.read_text(encoding="utf-8", errors="replace")
            heading = _HEADING.match(text)
            title = heading.group(1).strip() if heading else document.stem
            # Hugo reads a JSON string as YAML; file names stay plain, as
            # many document names hold characters a URL path cannot.
            front = (
                f"---\ntitle: {json.dumps(title, ensure_ascii=False)}\ndate: {folder.name}\n---\n\n"
            )
            (section / f"{number}.md").write_text(front + text, encoding="utf-8")
            count += 1
    return count


class Run(NamedTuple):
    """One build: its wall time, the processor time of all its processes
    (what another job on the machine does not inflate much), and the peak
    memory of its largest process."""

    seconds: float
    cpu: float
    megabytes: float


def timed(command: list[str]) -> Run:
    """One build, into a folder no build used before (see `measure`)."""
    os.sync()
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # wait4 gives the usage of the build and of the workers it waited for.
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    stderr = process.stderr.read() if process.stderr else b""
    if process.stderr:
        process.stderr.close()
    process.returncode = os.waitstatus_to_exitcode(status)
    # Exit status 1: documents with problems (the producer's collection
    # holds a few unresolved merges), whose pages say so.
    if process.returncode not in (0, 1):
        raise SystemExit(f"{command} failed: {stderr.decode(errors='replace')}")
    return Run(elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def measure(
    tree: Path, hugo: str | None, jobs: list[int], rounds: int, scratch: Path
) -> dict[str, Run]:
    """Each build of each round into a new folder, every output removed
    only once all rounds are done. On ext4 without a journal (this
    machine's disk), making a file passes over the inodes freed in the last
    minutes, one lookup each: a build that followed the removal of the last
    one's output paid for that one's files too, a cost that grew with both
    numbers of files and with every removal before (13,000 files of 3 KB
    made in 1.0 s of kernel time with none removed before, 1.8 s right
    after 13,000 were removed, 4.8 s after four such removals within two
    minutes)."""
    commands: dict[str, Callable[[Path], list[str]]] = {
        f"clipdoc --jobs {n}": functools.partial(_clipdoc, tree, n) for n in jobs
    }
    if hugo is not None:
        site = scratch / "hugo"
        hugo_site(tree, site)
        commands["Hugo"] = functools.partial(_hugo, hugo, site)
        if _has_pagefind():
            commands["Hugo + Pagefind"] = functools.partial(_hugo_and_pagefind, hugo, site)
    runs: dict[str, list[Run]] = {name: [] for name in commands}
    outputs = scratch / "outputs"
    for round_number in range(rounds):
        for number, (name, command) in enumerate(commands.items()):
            output = outputs / f"{round_number}-{number}"
            runs[name].append(timed(command(output)))
    shutil.rmtree(outputs, ignore_errors=True)
    if hugo is not None:
        shutil.rmtree(scratch / "hugo")
    return {
        name: Run(
            statistics.median(run.seconds for run in values),
            statistics.median(run.cpu for run in values),
            max(run.megabytes for run in values),
        )
        for name, values in runs.items()
    }


def _clipdoc(tree: Path, jobs: int, output: Path) -> list[str]:
    return [
        *(sys.executable, "-m", "clipdoc", "site", str(tree), str(output)),
        *("-q", "--jobs", str(jobs)),
    ]


def _hugo(hugo: str, site: Path, output: Path) -> list[str]:
    return [hugo, "--quiet", "-s", str(site), "-d", str(output)]


def _hugo_and_pagefind(hugo: str, site: Path, output: Path) -> list[str]:
    pagefind = [sys.executable, "-m", "pagefind", "--site", str(output), "--silent"]
    return ["sh", "-c", f"{shlex.join(_hugo(hugo, site, output))} && {shlex.join(pagefind)}"]


def _has_pagefind() -> bool:
    """Whether Pagefind's program is installed (its PyPI package with the
    ``bin`` extra); says how to install it when not."""
    found = subprocess.run(
        [sys.executable, "-m", "pagefind", "--version"], capture_output=True, check=False
    )
    if found.returncode != 0:
        print("no Pagefind (pip install 'pagefind[bin]'): Hugo alone", file=sys.stderr)
    return found.returncode == 0


def table(figures: dict[str, Run], jobs: list[int]) -> list[str]:
    hugo = figures["Hugo"].seconds if "Hugo" in figures else 0.0
    first = figures.get(f"clipdoc --jobs {jobs[0]}")
    single = first.seconds if first else 0.0
    lines = [
        f"  {'build':<18} {'seconds':>8} {'× Hugo':>7} {'speed-up':>9} {'CPU s':>7} {'peak MB':>8}"
    ]
    for name, run in figures.items():
        ratio = f"{run.seconds / hugo:7.2f}" if hugo else f"{'':7}"
        clipdoc = name.startswith("clipdoc") and run.seconds
        speedup = f"{single / run.seconds:8.2f}×" if clipdoc else f"{'':9}"
        lines.append(
            f"  {name:<18} {run.seconds:8.2f} {ratio} {speedup} {run.cpu:7.2f} {run.megabytes:8.0f}"
        )
    with_search = figures.get("Hugo + Pagefind")
    if with_search is not None:
        lines += [
            f"  {name}: {run.seconds / with_search.seconds:.2f}× Hugo + Pagefind"
            for name, run in figures.items()
            if name.startswith("clipdoc")
        ]
    return lines


def main() -> int:
    compile_as_installed()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--copies", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--hugo", default="hugo", help="the hugo program")
    options = parser.parse_args()
    hugo = shutil.which(options.hugo)
    if hugo is None:
        print(f"no {options.hugo} (apt-get install hugo): clipdoc alone", file=sys.stderr)
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as name:
        scratch = Path(name)
        for copies in options.copies:
            tree = scratch / f"tree-{copies}"
            count = scaled_copy(options.folder, tree, copies)
            figures = measure(tree, hugo, options.jobs, options.rounds, scratch)
            print(f"{count:,} documents (median of {options.rounds} rounds):", flush=True)
            print("\n".join(table(figures, options.jobs)), flush=True)
            shutil.rmtree(tree)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
