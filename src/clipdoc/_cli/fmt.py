"""``clipdoc fmt``: rewrite documents in canonical form."""

from __future__ import annotations

import argparse
import difflib
import functools
from dataclasses import dataclass, replace

from .._core.read import has_error
from .._core.writer import render_document
from .._storage.parallel import ordered_map
from ._common import (
    FAILED,
    OK,
    THROUGH_LINK,
    USAGE,
    Outcome,
    Tally,
    Unit,
    console_for,
    errors_in,
    existing,
    read_unit,
    replace_unit,
    report,
    units,
    unreachable_links,
)


@dataclass(frozen=True)
class FormatMode:
    recover: bool
    write: bool
    diff: bool


def format_one(mode: FormatMode, unit: Unit) -> Outcome:
    path = unit.path
    read = read_unit(unit)
    if read.failed is not None or read.clipping is None:
        return read.failed or Outcome(path)
    diagnostics = read.diagnostics
    if has_error(diagnostics) and not mode.recover:
        return Outcome(path, diagnostics=diagnostics)
    canonical = render_document(read.clipping)
    if canonical == read.text:
        return Outcome(path, diagnostics=diagnostics)
    shown = None
    if mode.diff:
        shown = "".join(
            difflib.unified_diff(
                _lines_with_endings(read.text),
                _lines_with_endings(canonical),
                fromfile=f"{path}\t(original)",
                tofile=f"{path}\t(canonical)",
            )
        )
    done = Outcome(path, diagnostics=diagnostics, changed=True, diff=shown)
    if mode.write:
        return replace_unit(unit, canonical.encode("utf-8"), read.stamp, done)
    if unit.through_link:  # what a write would do: say so, not "would reformat"
        return replace(done, changed=False, left_alone=THROUGH_LINK)
    return done


def _lines_with_endings(text: str) -> list[str]:
    # Only the format's own line endings; CR shows as a visible mark.
    *lines, last = text.replace("\r", "\u240d").split("\n")
    return [line + "\n" for line in lines] + ([last] if last else [])


def run(options: argparse.Namespace) -> int:
    paths, missing = existing(options)
    links = unreachable_links(missing)  # named, each reported once as named
    mode = FormatMode(
        recover=options.recover, write=not (options.check or options.diff), diff=options.diff
    )
    console = console_for(options, paths, among=links)
    tally = Tally()
    work = functools.partial(format_one, mode)
    for outcome in ordered_map(work, units(options, paths, among=links), jobs=options.jobs):
        tally.add(outcome)
        left_alone = errors_in(outcome) and not options.recover
        report(console, outcome, errors_only=True)
        if left_alone:
            console.problem(f"{outcome.path}: left unchanged because of the errors above")
            tally.count("left unchanged")
        elif outcome.changed or outcome.diff:  # a diff of a file left as it is too
            if outcome.diff:
                console.line(outcome.diff.rstrip("\n"))
            if outcome.changed:
                verb = "reformatted" if mode.write else "would reformat"
                console.problem(f"{verb} {outcome.path}")
                tally.count(verb)
        console.advance()
    console.finish(f"formatted {tally.summary()}")
    status = tally.status()
    if status == OK and not mode.write and tally.extra.get("would reformat"):
        return FAILED
    return USAGE if missing else status


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], **shared: object
) -> None:
    parser = commands.add_parser(
        "fmt",
        help="rewrite documents in canonical form",
        description="Rewrite each document in canonical form, atomically and only when"
        " something changes. A document with errors is left alone unless --recover.",
        **shared,  # type: ignore[arg-type]
    )
    parser.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 if a file would change"
    )
    parser.add_argument(
        "--diff", action="store_true", help="change nothing; print the changes as a diff"
    )
    parser.set_defaults(run=run)
