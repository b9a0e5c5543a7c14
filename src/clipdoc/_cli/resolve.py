"""``clipdoc resolve``: keep one side of every merge conflict in documents."""

from __future__ import annotations

import argparse

from .._core.errors import ClipdocError
from .._core.merge import has_conflict_markers, resolve
from .._core.read import has_error, read_document
from .._core.writer import render_document
from ._common import (
    FAILED,
    OK,
    USAGE,
    Outcome,
    Tally,
    Unit,
    console_for,
    existing,
    read_unit,
    replace_unit,
    report,
    units,
)


def resolve_one(side: str, unit: Unit) -> tuple[Outcome, str]:
    """What happened to one file: the outcome, and what was done to it."""
    path = unit.path
    read = read_unit(unit)
    if read.failed is not None:
        return read.failed, "" if read.failed.io_problem else "left unchanged"
    text = read.text
    if not has_conflict_markers(text):
        return Outcome(path), "no conflict"
    try:
        chosen = resolve(text, side)  # type: ignore[arg-type]
    except ClipdocError as error:
        return Outcome(path, diagnostics=(error.diagnostic,)), "left unchanged"
    clipping, diagnostics = read_document(chosen)
    if has_error(diagnostics):
        return Outcome(path, diagnostics=diagnostics), "left unchanged"
    data = render_document(clipping).encode("utf-8")
    written = replace_unit(unit, data, read.stamp, Outcome(path, changed=True))
    return written, "resolved" if written.changed else ""


def run(options: argparse.Namespace) -> int:
    paths, missing = existing(options.paths)
    side = "ours" if options.ours else "theirs"
    console = console_for(options, paths)
    tally = Tally()
    for unit in units(options, paths):
        path = unit.path
        outcome, done = resolve_one(side, unit)
        tally.add(outcome)
        report(console, outcome)
        if done == "resolved":
            console.problem(f"resolved {path} (kept {side})")
        elif done == "no conflict":
            console.problem(f"{path}: no conflict markers; left alone")
        elif done == "left unchanged":
            console.problem(f"{path}: left unchanged: its {side} side is not a valid clipping")
        if done:
            tally.count(done)
        console.advance()
    console.finish(f"resolved {tally.summary()}")
    if missing or tally.io_problems:
        return USAGE
    return FAILED if tally.extra.get("left unchanged") or tally.left_alone else OK


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], **shared: object
) -> None:
    parser = commands.add_parser(
        "resolve",
        help="keep one side of every merge conflict",
        description="Rewrite each document that holds Git conflict markers, keeping the same"
        " side of every conflict in it (so that a summary and its save time stay together),"
        " in canonical form. Files without markers are left alone; a file whose chosen side"
        " is not a valid clipping is reported and left unchanged.",
        **shared,  # type: ignore[arg-type]
    )
    side = parser.add_mutually_exclusive_group(required=True)
    side.add_argument("--ours", action="store_true", help="keep the side before =======")
    side.add_argument("--theirs", action="store_true", help="keep the side after =======")
    parser.set_defaults(run=run)
