"""``clipdoc import``: add the entries of feeds to a collection."""

from __future__ import annotations

import argparse
import os
import re
import sys

import attrs

from .._core.errors import ClipdocError, ExistsError, PathError
from .._core.model import Clipping
from .._interop.feed_terms import IDENTIFIER
from .._storage.collection import Collection
from .._storage.files import read_bytes
from .._storage.urls import url_key
from ._common import USAGE, Console, Tally


def run(options: argparse.Namespace) -> int:
    created = not os.path.lexists(options.into)
    if not created and not os.path.isdir(options.into):
        print(
            f"clipdoc import: error: --into {options.into} is a file, not a folder;"
            " name the collection's folder",
            file=sys.stderr,
        )
        return USAGE
    try:
        os.makedirs(options.into, exist_ok=True)
        collection = Collection(options.into)
    except (OSError, ClipdocError) as error:
        print(f"clipdoc import: error: {error}", file=sys.stderr)
        return USAGE
    console = Console(quiet=options.quiet, total=None)
    if created:  # said, so that a mistyped --into does not go unnoticed
        _say(console, f"{options.into}: no such folder; a new collection is made there")
    normalize = not options.exact_urls
    # Every page already in the collection, by its URL's identity, and where
    # it is: a second run adds nothing.
    known: dict[str, list[str]] = {}
    from .._interop.feed_reading import is_cut_short

    # Documents of entries a feed stopped inside of: the next import of
    # their page completes them, whatever --on-duplicate says.
    cut_short: set[str] = set()
    tally = Tally()
    for entry in collection:
        if entry.clipping is None:
            # Said, not skipped silently: the page of a document that cannot
            # be read is not known, and the feed may add it a second time.
            first = entry.errors[0] if entry.errors else None
            why = f"{first.code} {first.message}" if first else "cannot be read"
            _say(
                console, f"{entry.path}: {why}; its page is not known to this import", problem=True
            )
            tally.warnings += 1
            continue
        key = _identity(entry.clipping, normalize=normalize)
        if key is not None:
            known.setdefault(key, []).append(entry.path)
            if is_cut_short(entry.clipping):
                cut_short.add(entry.path)
    for feed in options.feeds:
        clippings = _read_feed(feed, options, console, tally)
        if clippings:
            new = _new(clippings, known, cut_short, feed, options, collection, console, tally)
            _add(collection, feed, new, console, tally)
    console.finish(f"imported {tally.summary()}")
    return tally.status()


def _identity(clipping: Clipping, *, normalize: bool) -> str | None:
    """What tells one entry's page from another's: its URL's identity; for
    an entry with a relative link or none, that link or its feed id (RSS
    guid, Atom id, kept as the 标识符 item) within its feed (its 来源), since
    feeds number their entries each on its own (``1``, ``/posts/1``); None
    when it has neither."""
    if clipping.url and _ABSOLUTE.match(clipping.url):
        return url_key(clipping.url, normalize=normalize)
    metadata = clipping.metadata
    local = clipping.url or (metadata.get(IDENTIFIER) if metadata else None)
    if not local:
        return None
    return f"{metadata.source if metadata else None}\x00{local}"


_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


def _read_feed(
    feed: str, options: argparse.Namespace, console: Console, tally: Tally
) -> list[Clipping]:
    """The clippings of one feed file; each problem reported and counted:
    a path that is no file (unreadable), a file that is no feed (an
    error), what a feed could not give (a warning each)."""
    from .._interop.feed_reading import feed_and_skipped

    if _URL.match(feed) and not os.path.lexists(feed):
        console.problem(f"{feed}: a URL: clipdoc never fetches feeds; download it first")
        tally.io_problems += 1
        return []
    if not os.path.lexists(feed):
        console.problem(f"{feed}: no such file")
        tally.io_problems += 1
        return []
    try:
        data = read_bytes(feed)
    except (OSError, PathError) as error:
        message = error.message if isinstance(error, PathError) else error.strerror or error
        console.problem(f"{feed}: cannot read: {message}")
        tally.io_problems += 1
        return []
    try:
        clippings, skipped = feed_and_skipped(data, source=options.source, kind=options.kind)
    except ClipdocError as error:
        console.problem(f"{feed}: {error.code} {error.message}")
        tally.errors += 1
        return []
    except ImportError as error:  # RSS and Atom without feedparser installed
        console.problem(f"{feed}: {error}")
        tally.errors += 1
        return []
    for diagnostic in skipped:
        _say(console, f"{feed}: {diagnostic.code} {diagnostic.message}", problem=True)
        tally.warnings += 1
    return clippings


def _say(console: Console, text: str, *, problem: bool = False) -> None:
    """A line of results (stdout) or a warning (stderr); ``-q`` keeps only
    errors, which go to `Console.problem` directly."""
    if console.quiet:
        return
    if problem:
        console.problem(text)
    else:
        console.line(text)


def _new(
    clippings: list[Clipping],
    known: dict[str, list[str]],
    cut_short: set[str],
    feed: str,
    options: argparse.Namespace,
    collection: Collection,
    console: Console,
    tally: Tally,
) -> list[Clipping]:
    """The clippings to add: those of pages the collection does not hold
    yet, and with ``--on-duplicate keep`` the others too. With ``update``,
    the document that holds a page is updated in place (`refreshed`)."""
    from .._interop.feed_reading import is_cut_short

    new = []
    for clipping in clippings:
        tally.documents += 1
        key = _identity(clipping, normalize=not options.exact_urls)
        if key is None or key not in known or options.on_duplicate == "keep":
            if key is not None:
                known.setdefault(key, [])
            new.append(clipping)
            continue
        updated = _to_update(clipping, known[key], cut_short, feed, options, console, tally)
        for path in updated:
            _update(collection, feed, path, clipping, options, console, tally)
            if not is_cut_short(clipping):
                cut_short.discard(path)
        if not updated:
            _say(console, f"{feed}: already in the collection: {clipping.url or key}")
            tally.count("already there")
    return new


def _to_update(
    clipping: Clipping,
    paths: list[str],
    cut_short: set[str],
    feed: str,
    options: argparse.Namespace,
    console: Console,
    tally: Tally,
) -> list[str]:
    """The documents of a page held already that ``clipping`` updates: every
    one (a collection may hold a page twice) with ``--on-duplicate update``,
    and any a feed stopped inside of; but what was read of an entry a feed
    stops inside of replaces only what was read the same way, never a whole
    document."""
    from .._interop.feed_reading import is_cut_short

    partial = is_cut_short(clipping)
    updating = options.on_duplicate == "update"
    chosen = [path for path in paths if path in cut_short or (updating and not partial)]
    if partial and updating and len(chosen) < len(paths):
        _say(
            console,
            f"{feed}: the feed stops inside the entry of {clipping.url or paths[0]}: what was"
            " read of it does not replace a whole document",
            problem=True,
        )
        tally.warnings += 1
    return chosen


def _update(
    collection: Collection,
    feed: str,
    path: str,
    clipping: Clipping,
    options: argparse.Namespace,
    console: Console,
    tally: Tally,
) -> None:
    from .._interop.feed_reading import refreshed

    def change(held: Clipping) -> Clipping:
        # 来源 given by default (the feed's title) never replaces the
        # document's own; one typed with --source does.
        fresh = clipping
        kept = held.metadata.source if held.metadata is not None else None
        if options.source is None and kept is not None and fresh.metadata is not None:
            fresh = attrs.evolve(fresh, metadata=attrs.evolve(fresh.metadata, source=kept))
        return refreshed(held, fresh)

    try:
        changed = collection.update(path, change)
    except ClipdocError as error:
        console.problem(f"{feed}: {path}: {error.code} {error.message}")
        tally.errors += 1
        return
    _say(console, f"{'updated' if changed else 'unchanged'} {path}")
    tally.count("updated" if changed else "already there")


def _add(
    collection: Collection, feed: str, clippings: list[Clipping], console: Console, tally: Tally
) -> None:
    for added in collection.add_all(clippings):
        if added.error is not None:
            entry = clippings[added.index]
            which = f"{entry.title[:60]!r} ({entry.url})" if entry.url else repr(entry.title[:60])
            console.problem(f"{feed}: {which}: {added.error.code} {_said(added.error)}")
            tally.errors += 1
        elif added.status == "unchanged":  # the same document is there already
            _say(console, f"{feed}: already in the collection: {added.path}")
            tally.count("already there")
        else:
            _say(console, f"added {added.path}")
            tally.count("added")


def _said(error: ClipdocError) -> str:
    """What an error adding a clipping means to this command, whose options
    are not those the collection's message names."""
    if isinstance(error, ExistsError) and error.path is not None:
        return (
            f"{error.path} holds another version of this clipping (the same title on the same"
            " catalog date), so the two cannot both be kept; --on-duplicate update refreshes"
            " the one held"
        )
    return error.message


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], **shared: object
) -> None:
    parser = commands.add_parser(
        "import",
        help="add the entries of RSS, Atom or JSON feeds to a collection",
        description="Add every entry of each FEED file to the collection ROOT, where the"
        " producer would write it (<catalog date>/<title>.md), skipping entries whose page is"
        " already there (the same URL, however spelt, or for an entry without a link the same"
        " feed id), so that a second run adds nothing."
        " Needs the 'feeds' extra for RSS and Atom: pip install 'clipdoc[feeds]'.",
        **shared,  # type: ignore[arg-type]
    )
    parser.add_argument("feeds", nargs="+", metavar="FEED", help="feed files (never URLs)")
    parser.add_argument("--into", required=True, metavar="ROOT", help="the collection's folder")
    parser.add_argument(
        "--source",
        help="the 来源 of every entry (e.g. ArXiv; by default the feed's title, '' for none)",
    )
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
