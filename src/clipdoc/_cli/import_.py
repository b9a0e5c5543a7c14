"""``clipdoc import``: add the entries of feeds to a collection."""

from __future__ import annotations

import argparse
import os
import sys

from .._core.errors import ClipdocError
from .._core.model import Clipping
from .._storage.collection import Collection
from .._storage.files import read_bytes
from ._common import FAILED, OK, USAGE, Console, Tally


def run(options: argparse.Namespace) -> int:
    try:
        from ..feeds import feed_and_skipped
    except ImportError as error:
        print(f"clipdoc import: error: {error}", file=sys.stderr)
        return USAGE
    try:
        os.makedirs(options.into, exist_ok=True)
        collection = Collection(options.into)
    except (OSError, ClipdocError) as error:
        print(f"clipdoc import: error: {error}", file=sys.stderr)
        return USAGE
    console = Console(quiet=options.quiet, total=None)
    # Every URL already in the collection: a second run adds nothing.
    known = {
        entry.clipping.url
        for entry in collection
        if entry.clipping is not None and entry.clipping.url
    }
    tally = Tally()
    failed = False
    for feed in options.feeds:
        try:
            data = read_bytes(feed)
            clippings, skipped = feed_and_skipped(data, source=options.source, kind=options.kind)
        except ClipdocError as error:
            console.problem(f"{feed}: {error.code} {error.message}")
            failed = True
            continue
        except OSError as exc:
            console.problem(f"{feed}: cannot read: {exc.strerror or exc}")
            tally.io_problems += 1
            continue
        for diagnostic in skipped:
            console.problem(f"{feed}: {diagnostic.code} {diagnostic.message}")
            tally.warnings += 1
        _add(collection, feed, _new(clippings, known, feed, console, tally), console, tally)
    console.finish(f"imported {tally.summary()}")
    if tally.io_problems:
        return USAGE
    return FAILED if failed or tally.errors else OK


def _new(
    clippings: list[Clipping], known: set[str], feed: str, console: Console, tally: Tally
) -> list[Clipping]:
    """The clippings whose URL the collection does not hold yet."""
    new = []
    for clipping in clippings:
        tally.documents += 1
        if clipping.url and clipping.url in known:
            console.line(f"{feed}: already in the collection: {clipping.url}")
            tally.count("already there")
            continue
        if clipping.url:
            known.add(clipping.url)
        new.append(clipping)
    return new


def _add(
    collection: Collection, feed: str, clippings: list[Clipping], console: Console, tally: Tally
) -> None:
    for added in collection.add_all(clippings):
        if added.error is not None:
            entry = clippings[added.index]
            which = f"{entry.title[:60]!r} ({entry.url})" if entry.url else repr(entry.title[:60])
            console.problem(f"{feed}: {which}: {added.error.code} {added.error.message}")
            tally.errors += 1
        else:
            console.line(f"added {added.path}")
            tally.count("added")


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], **shared: object
) -> None:
    parser = commands.add_parser(
        "import",
        help="add the entries of RSS, Atom or JSON feeds to a collection",
        description="Add every entry of each FEED file to the collection ROOT, where the"
        " producer would write it (<catalog date>/<title>.md), skipping entries whose URL is"
        " already there, so that a second run adds nothing. Needs the 'feeds' extra for RSS"
        " and Atom: pip install 'clipdoc[feeds]'.",
        **shared,  # type: ignore[arg-type]
    )
    parser.add_argument("feeds", nargs="+", metavar="FEED", help="feed files (never URLs)")
    parser.add_argument("--into", required=True, metavar="ROOT", help="the collection's folder")
    parser.add_argument("--source", help="the 来源 of every entry (e.g. ArXiv)")
    parser.add_argument("--kind", help="the 类型 of every entry (e.g. 论文)")
    parser.set_defaults(run=run)
