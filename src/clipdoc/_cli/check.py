"""``clipdoc check``: report every problem, as a linter does."""

from __future__ import annotations

import argparse
import itertools
import json
import os
from collections.abc import Iterator

from .._core.errors import Diagnostic, Severity
from .._storage.cache import has_cache
from .._storage.collection import Collection
from .._storage.files import Folder
from .._storage.parallel import ordered_map
from .._storage.walk import Found
from ._common import (
    USAGE,
    Console,
    Outcome,
    Tally,
    Unit,
    console_for,
    enclosing,
    existing,
    named_below,
    outcome_of,
    read_unit,
    report,
    units,
    unreachable_links,
)


def check_one(unit: Unit) -> Outcome:
    read = read_unit(unit)
    return read.failed or Outcome(unit.path, diagnostics=read.diagnostics)


def _source(
    options: argparse.Namespace, path: str, paths: list[str]
) -> tuple[int | None, Iterator[Outcome | int]]:
    """How many documents there are at ``path`` if known before they are
    read (a collection checked with its stat cache is walked now, often
    from its memo), and the outcome of each: from the stat cache for
    documents that did not change, and a number for documents one after
    the other without any diagnostics (of which nothing is shown)."""
    if not _uses_cache(options, path, paths):
        found = units(options, [path], among=paths)
        return None, ordered_map(check_one, found, jobs=options.jobs)
    collection = Collection(
        path, exclude=options.exclude, jobs=options.jobs, follow_links=options.follow_links
    )
    count, problems = collection._problems()
    return count, _outcomes(path, problems)


def _outcomes(
    path: str, problems: Iterator[int | tuple[Found, tuple[Diagnostic, ...]]]
) -> Iterator[Outcome | int]:
    # As os.path.join(path, *parts) gives it, at a hundredth of the cost.
    prefix, separator = os.path.join(path, ""), os.sep
    for item in problems:
        if isinstance(item, int):
            yield item
            continue
        found, diagnostics = item
        relative = found.relative
        if separator != "/":
            relative = relative.replace("/", separator)
        yield outcome_of(prefix + relative, diagnostics)


def _uses_cache(options: argparse.Namespace, path: str, paths: list[str]) -> bool:
    """Whether the documents below ``path`` are checked with its stat cache:
    a folder that keeps one (see `clipdoc index`), walked as a collection is
    (its README.md index left out), and whole (not inside another of
    ``paths``, whose walk gives some of its documents)."""
    if options.no_cache or options.include_readme or not os.path.isdir(path):
        return False
    return not enclosing(path, paths) and not named_below(path, paths) and has_cache(Folder(path))


def _as_utf8(path: str) -> str:
    """``path`` as UTF-8 JSON can hold it: the bytes of a name that is not
    UTF-8 (kept by Python as lone surrogates) each shown as U+FFFD, as the
    walk shows them."""
    if path.isascii():
        return path
    try:
        return path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a surrogate no byte was read as (Windows)
        return path.encode("utf-8", "replace").decode("utf-8")


def _cannot_be_read(reason: str) -> Diagnostic:
    return Diagnostic(code="CD504", severity=Severity.ERROR, message=reason, line=None, column=None)


def _shown(diagnostics: tuple[Diagnostic, ...], errors_only: bool) -> tuple[Diagnostic, ...]:
    if not errors_only:
        return diagnostics
    return tuple(d for d in diagnostics if d.severity is Severity.ERROR)


def diagnostic_json(path: str, diagnostic: Diagnostic) -> dict[str, object]:
    return {
        "path": _as_utf8(path),
        "line": diagnostic.line,
        "column": diagnostic.column,
        "code": diagnostic.code,
        "severity": diagnostic.severity.value,
        "message": diagnostic.message,
    }


def _console(
    options: argparse.Namespace,
    paths: list[str],
    sources: list[tuple[int | None, Iterator[Outcome | int]]],
    named: list[str],
) -> Console:
    """The console of a check of ``sources``, the documents at ``paths``
    (of ``named``, every path named: see `units`): those of a collection
    checked with its stat cache are counted as its walk told them, not
    walked once more to be counted."""
    uncounted = [path for path, (count, _) in zip(paths, sources, strict=True) if count is None]
    counted = sum(count for count, _ in sources if count is not None)
    return console_for(options, uncounted, counted=counted, among=named)


def run(options: argparse.Namespace) -> int:
    paths, missing = existing(options)
    named = [*paths, *unreachable_links(missing)]
    sources = [_source(options, path, named) for path in paths]
    console = _console(options, paths, sources, named)
    tally = Tally()
    as_json = options.format == "json"
    # Under --strict a warning fails the check, so it is shown as errors are.
    errors_only = options.errors_only and not options.strict
    first = True
    if as_json:
        console.line("[")
        # A path that cannot be looked at is in the array too, as a file
        # that cannot be read: tools see every path that was not checked.
        for path, reason in missing:
            text = json.dumps(diagnostic_json(path, _cannot_be_read(reason)), ensure_ascii=False)
            console.line(("  " if first else ", ") + text)
            first = False
    for outcome in itertools.chain.from_iterable(outcomes for _, outcomes in sources):
        if isinstance(outcome, int):  # documents without diagnostics
            tally.documents += outcome
            console.advance(outcome)
            continue
        tally.add(outcome)
        if as_json:
            # A file that could not be read is in the array too: tools see
            # every file that was not checked.
            shown = (
                *_shown(outcome.diagnostics, errors_only),
                *filter(None, [outcome.file_problem]),
            )
            for diagnostic in shown:
                text = json.dumps(diagnostic_json(outcome.path, diagnostic), ensure_ascii=False)
                console.line(("  " if first else ", ") + text)
                first = False
            if outcome.io_problem is not None:
                console.problem(f"{outcome.path}: {outcome.io_problem}")
        else:
            report(console, outcome, errors_only=errors_only)
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
        description="Report every problem as PATH:LINE:COLUMN: CODE message (PATH: CODE"
        " message for a problem of the file itself, such as its name). Folders are searched"
        " for *.md files (hidden folders and the root's README.md index skipped); a document"
        " that two paths reach is checked once.",
        **shared,  # type: ignore[arg-type]
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text lines (default) or a JSON array for tools",
    )
    parser.add_argument(
        "--errors-only",
        action="store_true",
        help="leave warnings out of the output (they are still counted; with --strict, which"
        " fails on them, they are shown)",
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
