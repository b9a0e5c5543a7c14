"""``clipdoc check``: report every problem, as a linter does."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Iterator, Sequence

from .._core.errors import Diagnostic
from .._storage.cache import has_cache
from .._storage.collection import Collection
from .._storage.files import Folder
from .._storage.parallel import ordered_map
from ._common import (
    USAGE,
    Outcome,
    Tally,
    Unit,
    console_for,
    existing,
    outcome_of,
    read_unit,
    report,
    units,
)


def check_one(unit: Unit) -> Outcome:
    read = read_unit(unit)
    return read.failed or Outcome(unit.path, diagnostics=read.diagnostics)


def _outcomes(options: argparse.Namespace, paths: Sequence[str]) -> Iterator[Outcome]:
    """The outcome of every document at ``paths``: in a collection with a
    stat cache, from the cache for documents that did not change."""
    for path in paths:
        if _uses_cache(options, path):
            collection = Collection(
                path,
                exclude=options.exclude,
                jobs=options.jobs,
                follow_links=options.follow_links,
            )
            # As os.path.join(path, *parts) gives it, at a hundredth of the cost.
            prefix, separator = os.path.join(path, ""), os.sep
            for found, diagnostics in collection._diagnostics():
                if not diagnostics:
                    yield _CLEAN  # most documents: nothing to show, one to count
                    continue
                relative = found.relative
                if separator != "/":
                    relative = relative.replace("/", separator)
                yield outcome_of(prefix + relative, diagnostics)
        else:
            yield from ordered_map(check_one, units(options, [path]), jobs=options.jobs)


#: The outcome of any document read without a problem, as the stat cache
#: tells it (nothing in it is shown: its path is not made).
_CLEAN = Outcome("")


def _uses_cache(options: argparse.Namespace, path: str) -> bool:
    """Whether the documents below ``path`` are checked with its stat cache:
    a folder that keeps one (see `clipdoc index`), walked as a collection is
    (its README.md index left out)."""
    if options.no_cache or options.include_readme or not os.path.isdir(path):
        return False
    return has_cache(Folder(path))


def diagnostic_json(path: str, diagnostic: Diagnostic) -> dict[str, object]:
    return {
        "path": path,
        "line": diagnostic.line,
        "column": diagnostic.column,
        "code": diagnostic.code,
        "severity": diagnostic.severity.value,
        "message": diagnostic.message,
    }


def run(options: argparse.Namespace) -> int:
    paths, missing = existing(options.paths)
    console = console_for(options, paths)
    tally = Tally()
    as_json = options.format == "json"
    first = True
    if as_json:
        console.line("[")
    for outcome in _outcomes(options, paths):
        if outcome is _CLEAN:
            tally.documents += 1
            console.advance()
            continue
        tally.add(outcome)
        if as_json:
            # A file that could not be read is in the array too: tools see
            # every file that was not checked.
            shown = (*outcome.diagnostics, *filter(None, [outcome.file_problem]))
            for diagnostic in shown:
                text = json.dumps(diagnostic_json(outcome.path, diagnostic), ensure_ascii=False)
                console.line(("  " if first else ", ") + text)
                first = False
            if outcome.io_problem is not None:
                console.problem(f"{outcome.path}: {outcome.io_problem}")
        else:
            report(console, outcome, errors_only=options.errors_only)
        console.advance()
    if as_json:
        console.line("]")
    console.finish(f"checked {tally.summary()}")
    return USAGE if missing else tally.status(strict=options.strict)


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], **shared: object
) -> None:
    parser = commands.add_parser(
        "check",
        help="report problems in documents",
        description="Report every problem as PATH:LINE:COLUMN: CODE message. Folders are"
        " searched for *.md files (hidden folders and the root's README.md index skipped).",
        **shared,  # type: ignore[arg-type]
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text lines (default) or a JSON array for tools",
    )
    parser.add_argument(
        "--errors-only", action="store_true", help="leave warnings out of the text output"
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 on warnings too (a recovered section, a non-canonical line, ...)",
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="read every document, and neither read nor write the stat cache of a collection"
        " that keeps one (FOLDER/.clipdoc/, made by clipdoc index; safe to delete)",
    )
    parser.set_defaults(run=run)
