"""``clipdoc check``: report every problem, as a linter does."""

from __future__ import annotations

import argparse
import json

from .._core.errors import Diagnostic
from .._storage.parallel import ordered_map
from ._common import (
    USAGE,
    Outcome,
    Tally,
    Unit,
    console_for,
    existing,
    read_unit,
    report,
    units,
)


def check_one(unit: Unit) -> Outcome:
    read = read_unit(unit)
    return read.failed or Outcome(unit.path, diagnostics=read.diagnostics)


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
    for outcome in ordered_map(check_one, units(options, paths), jobs=options.jobs):
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
    parser.set_defaults(run=run)
