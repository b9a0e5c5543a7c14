"""``clipdoc import``: add the entries of feeds to a collection."""

from __future__ import annotations

import argparse
import os
import sys

from .._core.errors import ClipdocError
from .._core.model import Clipping
from .._storage.collection import Collection
from .._storage.files import read_bytes
from .._storage.urls import url_key
from ._common import FAILED, OK, USAGE, Console, Tally


def run(options: argparse.Namespace) -> int:
    try:
        from .._interop.feed_reading import feed_and_skipped
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
    normalize = not options.exact_urls
    # Every page already in the collection, by its URL's identity, and where
    # it is: a second run adds nothing.
    known: dict[str, str | None] = {}
    for entry in collection:
        if entry.clipping is not None and entry.clipping.url:
            known.setdefault(url_key(entry.clipping.url, normalize=normalize), entry.path)
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
        new = _new(clippings, known, feed, options, collection, console, tally)
        _add(collection, feed, new, console, tally)
    console.finish(f"imported {tally.summary()}")
    if tally.io_problems:
        return USAGE
    return FAILED if failed or tally.errors else OK


def _new(
    clippings: list[Clipping],
    known: dict[str, str | None],
    feed: str,
    options: argparse.Namespace,
    collection: Collection,
    console: Console,
    tally: Tally,
) -> list[Clipping]:
    """The clippings to add: those of pages the collection does not hold
    yet, and with ``--on-duplicate keep`` the others too. With ``update``,
    the document that holds a page is updated in place (`refreshed`)."""
    new = []
    for clipping in clippings:
        tally.documents += 1
        key = url_key(clipping.url, normalize=not options.exact_urls) if clipping.url else None
        if key is None or key not in known or options.on_duplicate == "keep":
            if key is not None:
                known.setdefault(key, None)
            new.append(clipping)
        elif options.on_duplicate == "update" and known[key] is not None:
            _update(collection, feed, known[key] or "", clipping, console, tally)
        else:
            console.line(f"{feed}: already in the collection: {clipping.url}")
            tally.count("already there")
    return new


def _update(
    collection: Collection,
    feed: str,
    path: str,
    clipping: Clipping,
    console: Console,
    tally: Tally,
) -> None:
    from .._interop.feed_reading import refreshed

    try:
        changed = collection.update(path, lambda held: refreshed(held, clipping))
    except ClipdocError as error:
        console.problem(f"{feed}: {path}: {error.code} {error.message}")
        tally.errors += 1
        return
    console.line(f"{'updated' if changed else 'unchanged'} {path}")
    tally.count("updated" if changed else "already there")


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
        " producer would write it (<catalog date>/<title>.md), skipping entries whose page is"
        " already there (the same URL, however spelt), so that a second run adds nothing."
        " Needs the 'feeds' extra for RSS and Atom: pip install 'clipdoc[feeds]'.",
        **shared,  # type: ignore[arg-type]
    )
    parser.add_argument("feeds", nargs="+", metavar="FEED", help="feed files (never URLs)")
    parser.add_argument("--into", required=True, metavar="ROOT", help="the collection's folder")
    parser.add_argument("--source", help="the 来源 of every entry (e.g. ArXiv)")
    parser.add_argument("--kind", help="the 类型 of every entry (e.g. 论文)")
    parser.add_argument(
        "--on-duplicate",
        choices=("skip", "update", "keep"),
        default="skip",
        help="what an entry whose page the collection holds does: skip it (the default),"
        " update that document with what the feed gives (its AI summary, extra sections and"
        " other items kept), or keep both",
    )
    parser.add_argument(
        "--exact-urls",
        action="store_true",
        help="a page is the same only if its URL is the same character for character"
        " (by default http/https, www., a final /, tracking parameters and arXiv versions"
        " do not count: see clipdoc.url_key)",
    )
    parser.set_defaults(run=run)
