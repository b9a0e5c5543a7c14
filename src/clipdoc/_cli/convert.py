"""``clipdoc convert``: any format of the registry to any other.

The command picks two formats of the registry (by the names of the source
and the destination, or ``--from`` and ``--to``), checks that they fit the
paths given, connects the source's reader to the destination's writer and
reports every item on the way. The way back gives the same bytes and file
names for every canonical document.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import attrs

from .._core.model import Clipping
from .._core.read import has_error
from .._interop.codec import CannotConvert, Format, Item, NothingToWrite, Source, Target, Written
from .._interop.registry import FORMATS, default_source, default_target, format_of
from .._interop.streams import FeedFormat
from ._common import USAGE, Console, Outcome, Tally, console_for, format_diagnostic, report

# ------------------------------------------------------------------- formats


def _source_format(options: argparse.Namespace) -> Format | None:
    """The format ``--from`` or the source's name says (None for standard
    input without ``--from``)."""
    source = options.source
    if source != "-" and not os.path.exists(source):
        raise CannotConvert(f"{source}: no such file or folder")
    if options.source_kind:
        return FORMATS[options.source_kind]
    if source == "-":
        return None
    if os.path.isdir(source):
        return FORMATS["folder"]
    found = format_of(source)
    if found is None:
        names = ", ".join(FORMATS)
        raise CannotConvert(f"{source}: cannot tell what it holds; name it with --from ({names})")
    return found


def _target_format(options: argparse.Namespace) -> Format | None:
    """The format ``--to`` or the destination's name says (None for standard
    output without ``--to``: the source's format decides)."""
    destination = options.destination
    if options.target_kind:
        return FORMATS[options.target_kind]
    if destination == "-":
        return None
    named = format_of(destination)
    if os.path.isdir(destination):
        # A folder named like a file is more likely a mistake than a target.
        if named is not None:
            raise CannotConvert(
                f"{destination} is a folder, but its name says {named.name}: pass --to folder"
                " to write the documents into it, or name a file"
            )
        return FORMATS["folder"]
    if named is None and os.path.splitext(destination)[1]:
        raise CannotConvert(f"{destination}: cannot tell what to write; name it with --to")
    return named if named is not None else FORMATS["folder"]


def _formats(options: argparse.Namespace) -> tuple[Format, Format]:
    source_fmt = _source_format(options)
    target_fmt = _target_format(options)
    if source_fmt is None:
        if target_fmt is None:
            raise CannotConvert(
                "reading stdin and writing stdout: say what stdin holds with --from"
            )
        source_fmt = default_source(target_fmt)
    return source_fmt, target_fmt if target_fmt is not None else default_target(source_fmt)


# -------------------------------------------------------------------- checks


def _check_source(source: str, fmt: Format) -> None:
    if fmt.layout == "tree" and source == "-":
        raise CannotConvert(f"{fmt.name} ({fmt.summary}) is read from a folder; name it")
    if fmt.layout == "tree" and not os.path.isdir(source):
        raise CannotConvert(
            f"{source} is not a folder; {fmt.name} ({fmt.summary}) is read from a folder"
        )
    if fmt.layout != "tree" and source != "-" and os.path.isdir(source):
        raise CannotConvert(f"{source} is a folder; {fmt.name} is read from a file")


def _check_target(options: argparse.Namespace, source_fmt: Format, target_fmt: Format) -> None:
    destination = options.destination
    if target_fmt.layout == "tree":
        if destination == "-":
            raise CannotConvert(f"a {target_fmt.name} is a folder; name the folder")
        return
    # However many documents a folder holds today: the same command must not
    # work with one and fail with two.
    if source_fmt.layout == "tree" and target_fmt.layout == "document":
        raise CannotConvert(
            f"a {source_fmt.name} holds any number of clippings and {target_fmt.name} holds one:"
            " convert to jsonl, parquet or a feed (jsonfeed, atom, rss), or convert one"
            " document of the folder"
        )
    if destination == "-":
        return
    if os.path.isdir(destination):
        raise CannotConvert(f"{destination} is a folder; {target_fmt.name} is written to a file")
    if os.path.exists(destination) and not options.force:
        raise CannotConvert(f"{destination} exists; pass --force to replace it")


#: The options that say what a feed is: (option, FeedSettings field).
_FEED_OPTIONS = (
    ("--title", "title"),
    ("--description", "description"),
    ("--link", "link"),
    ("--feed-url", "feed_url"),
    ("--feed-id", "feed_id"),
    ("--language", "language"),
    ("--order", "order"),
    ("--limit", "limit"),
)


def _with_feed_options(options: argparse.Namespace, target_fmt: Format) -> Format:
    """The destination's format, writing the feed the options say; they are
    checked here, before anything is read."""
    given = {name: getattr(options, name) for _, name in _FEED_OPTIONS}
    given = {name: value for name, value in given.items() if value is not None}
    if not isinstance(target_fmt, FeedFormat):
        if given:
            flags = ", ".join(flag for flag, name in _FEED_OPTIONS if name in given)
            raise CannotConvert(
                f"{flags}: feed options, and {target_fmt.name} is not a feed (jsonfeed, atom, rss)"
            )
        return target_fmt
    if "feed_id" in given and target_fmt.name != "atom":
        raise CannotConvert(f"--feed-id: only an Atom feed has an id, and {target_fmt.name} is not")
    try:
        settings = attrs.evolve(target_fmt.feed_settings(), **given)
    except (TypeError, ValueError) as problem:
        raise CannotConvert(str(problem)) from None
    return target_fmt.configured(settings)


def _check(options: argparse.Namespace, source_fmt: Format, target_fmt: Format) -> None:
    for fmt in (source_fmt, target_fmt):
        missing = fmt.unavailable()
        if missing is not None:
            raise CannotConvert(missing)
    _check_source(options.source, source_fmt)
    _check_target(options, source_fmt, target_fmt)


# ----------------------------------------------------------------- reporting


@dataclass
class _Progress:
    """What the command says about each item, and the tally of them."""

    console: Console
    shows_summary: bool
    tally: Tally = field(default_factory=Tally)

    def passing(self, items: Iterable[Item]) -> Iterator[tuple[Item, Clipping]]:
        """The clippings that go on to the destination; every item is
        reported and counted."""
        for item in items:
            self._take(item)
            if item.clipping is not None:
                yield item, item.clipping
            else:
                self.console.advance()

    def _take(self, item: Item) -> None:
        outcome = Outcome(item.where, item.diagnostics, item.io_problem)
        self.tally.add(outcome)
        if not self.shows_summary:
            for diagnostic in item.diagnostics:
                print(format_diagnostic(item.where, diagnostic), file=sys.stderr)
        else:
            report(self.console, outcome)
        if item.problem is not None:
            self.tally.errors += 1
            self.console.line(f"{item.where}: {item.problem}")
        elif item.clipping is None and has_error(item.diagnostics) and self.shows_summary:
            self.console.problem(f"{item.where}: skipped because of the errors above")

    def record(self, written: Written) -> None:
        """What the destination did with one clipping."""
        if written.problem is not None:
            self.tally.errors += 1
            self.console.line(f"{written.item.where}: {written.problem}")
        elif written.status is not None:
            self.tally.count(written.status)
            # A document's own warnings (CD2xx) say its text was not the
            # canonical one; a feed's or note's (CD6xx) say something else,
            # counted among the warnings.
            if any(d.code.startswith("CD2") for d in written.item.diagnostics):
                self.tally.count("not canonical")
        self.console.advance()


# ------------------------------------------------------------------- command


def _stop(problem: CannotConvert) -> int:
    print(f"clipdoc convert: error: {problem}", file=sys.stderr)
    return USAGE


def _progress(options: argparse.Namespace, source_fmt: Format, target_fmt: Format) -> _Progress:
    # Between two one-clipping files there is nothing to sum up.
    documents_only = source_fmt.layout == "document" and target_fmt.layout == "document"
    if source_fmt.layout == "tree":
        console = console_for(options, [options.source], results=sys.stderr)
    else:
        console = Console(quiet=options.quiet or documents_only, total=None, stream_out=sys.stderr)
    return _Progress(console, shows_summary=not documents_only)


def run(options: argparse.Namespace) -> int:
    try:
        source_fmt, target_fmt = _formats(options)
        _check(options, source_fmt, target_fmt)
        target_fmt = _with_feed_options(options, target_fmt)
    except CannotConvert as problem:
        return _stop(problem)
    progress = _progress(options, source_fmt, target_fmt)
    source = Source(
        path=options.source,
        jobs=options.jobs,
        recover=options.recover,
        exclude=tuple(options.exclude),
        include_index=options.include_readme,
        follow_links=options.follow_links,
    )
    target = Target(path=options.destination, replace=options.force)
    try:
        target_fmt.write(progress.passing(source_fmt.read(source)), target, progress.record)
    except NothingToWrite as problem:
        # When the source's problems were reported, they say why: exit 1.
        usage = _stop(problem)
        return progress.tally.status() or usage
    except CannotConvert as problem:
        return _stop(problem)
    if progress.shows_summary:
        progress.console.finish(f"converted {progress.tally.summary()}")
    return progress.tally.status()


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], **shared: object
) -> None:
    names = ", ".join(f"{fmt.name} ({fmt.summary})" for fmt in FORMATS.values())
    parser = commands.add_parser(
        "convert",
        help="convert between documents, JSON, JSON Lines, feeds and notes",
        description="Convert SRC to DST, each in any format of: " + names + ". A file's"
        " format comes from its name (.md, .json, .jsonl, .parquet, .feed.json, .atom, .rss;"
        " a folder holds documents), or --from and --to. A folder <-> JSON Lines round trip gives"
        " back every canonical document byte for byte, names included. '-' is stdin or"
        " stdout.",
        **shared,  # type: ignore[arg-type]
    )
    parser.add_argument("source", metavar="SRC")
    parser.add_argument("destination", metavar="DST")
    parser.add_argument(
        "--from",
        dest="source_kind",
        choices=list(FORMATS),
        help="what SRC holds, when its name does not say (or it is '-')",
    )
    parser.add_argument(
        "--to",
        dest="target_kind",
        choices=list(FORMATS),
        help="what to write to DST, when its name does not say (or it is '-')",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace existing files that are not the same as the output",
    )
    feed = parser.add_argument_group(
        "feed options", "what a feed says about itself (when DST is jsonfeed, atom or rss)"
    )
    feed.add_argument("--title", help="the feed's title (default: Clippings)")
    feed.add_argument("--description", help="what the feed is (default: its title, in RSS)")
    feed.add_argument("--link", metavar="URL", help="the page the feed is about (absolute URL)")
    feed.add_argument(
        "--feed-url", metavar="URL", help='where the feed is published: rel="self", feed_url'
    )
    feed.add_argument(
        "--feed-id", metavar="IRI", help="the Atom feed's id (default: the link, else the feed URL)"
    )
    feed.add_argument("--language", metavar="TAG", help="the language of the feed: en, zh-CN...")
    feed.add_argument(
        "--order",
        choices=["newest", "oldest", "given"],
        help="newest saved first (the default), oldest first, or as read",
    )
    feed.add_argument(
        "--limit", type=_count, metavar="N", help="only the first N entries (the newest N)"
    )
    parser.set_defaults(run=run)


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"a number of entries, 0 or more, not {text!r}")
    return value
