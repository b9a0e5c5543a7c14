"""``clipdoc resolve``: keep one side of every merge conflict in documents."""

from __future__ import annotations

import argparse

from .._core.errors import ClipdocError
from .._core.merge import conflicted_text, resolve
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
    unreachable_links,
)


def resolve_one(side: str, unit: Unit) -> tuple[Outcome, str]:
    """What happened to one file: the outcome, and what was done to it."""
    path = unit.path
    read = read_unit(unit)
    if read.failed is not None:
        return read.failed, "" if read.failed.io_problem else "left unchanged"
    try:
        conflicted = conflicted_text(read.text)
        if conflicted is None:
            return Outcome(path), "no conflict"
        chosen = resolve(conflicted, side)  # type: ignore[arg-type]
    except ClipdocError as error:
        return Outcome(path, diagnostics=(error.diagnostic,)), "no side"
    clipping, diagnostics = read_document(chosen)
    if has_error(diagnostics):
        return Outcome(path, diagnostics=diagnostics), "left unchanged"
    data = render_document(clipping).encode("utf-8")
    written = replace_unit(unit, data, read.stamp, Outcome(path, changed=True))
    return written, "resolved" if written.changed else ""


def run(options: argparse.Namespace) -> int:
    paths, missing = existing(options)
    links = unreachable_links(missing)  # named, each reported once as named
    side = "ours" if options.ours else "theirs"
    console = console_for(options, paths, among=links)
    tally = Tally()
    for unit in units(options, paths, among=links):
        path = unit.path
        outcome, done = resolve_one(side, unit)
        tally.add(outcome)
        report(console, outcome)
        if done == "resolved" and options.verbose:
            console.problem(f"{path}: resolved (kept {side})")
        elif done == "no conflict" and options.verbose:
            console.problem(f"{path}: no conflict; left alone")
        elif done == "left unchanged":
            console.problem(f"{path}: left unchanged: its {side} side is not a valid clipping")
        elif done == "no side":
            console.problem(f"{path}: left unchanged: there is no side to take")
        if done:
            tally.count("left unchanged" if done == "no side" else done)
        console.advance()
    console.finish(_summary(tally))
    if missing or tally.io_problems:
        return USAGE
    return FAILED if tally.extra.get("left unchanged") or tally.left_alone else OK


def _summary(tally: Tally) -> str:
    resolved = tally.extra.get("resolved", 0)
    parts = [
        f"resolved {resolved:,} document{'s' * (resolved != 1)}",
        f"{tally.extra.get('no conflict', 0):,} without conflicts",
    ]
    if tally.extra.get("left unchanged"):
        parts.append(f"{tally.extra['left unchanged']:,} left unchanged")
    if tally.io_problems:
        parts.append(f"{tally.io_problems:,} unreadable")
    if tally.left_alone:
        parts.append(f"{tally.left_alone:,} left alone")
    return ", ".join(parts)


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], **shared: object
) -> None:
    parser = commands.add_parser(
        "resolve",
        help="keep one side of every merge conflict",
        description="Rewrite each document that holds Git conflict markers, keeping the same"
        " side of every conflict in it (so that a summary and its save time stay together),"
        " in canonical form. Conflicts that `fmt --recover` kept in 'clipdoc: unparsed"
        " conflict' sections are put back where they stood and resolved the same way. Files"
        " without conflicts are left alone; a file whose chosen side is not a valid clipping"
        " is reported and left unchanged.",
        **shared,  # type: ignore[arg-type]
    )
    side = parser.add_mutually_exclusive_group(required=True)
    side.add_argument("--ours", action="store_true", help="keep the side before =======")
    side.add_argument("--theirs", action="store_true", help="keep the side after =======")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="name each file resolved or left alone"
    )
    parser.set_defaults(run=run)
