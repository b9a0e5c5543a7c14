"""``clipdoc site``: build a collection's static site."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from .._core.errors import ClipdocError, Severity
from .._storage.documents import FILE_CODES
from ._common import FAILED, OK, USAGE, format_diagnostic, progress_bar

if TYPE_CHECKING:
    from ..site import SiteReport


class _Bar:
    """The build's progress as a bar per phase on stderr."""

    def __init__(self) -> None:
        self._bar: Any = None

    def start(self, phase: str, total: int) -> None:
        self.close()
        self._bar = progress_bar(total, unit="doc", description=phase)

    def advance(self) -> None:
        if self._bar is not None:
            self._bar.update(1)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def run(options: argparse.Namespace) -> int:
    from ..site import build_site

    bar = _Bar() if not options.quiet and sys.stderr.isatty() else None
    try:
        report = build_site(
            options.root,
            options.output,
            title=options.title,
            base_url=options.base_url,
            theme=options.theme,
            exclude=options.exclude,
            jobs=options.jobs,
            follow_links=options.follow_links,
            progress=bar,
            lang=options.lang,
            images=options.images,
            cache=False if options.no_cache else (True if options.cache else None),
        )
    except ClipdocError as error:
        print(f"clipdoc site: error: {error.code} {error.message}", file=sys.stderr)
        return USAGE
    except (ImportError, ValueError) as error:
        print(f"clipdoc site: error: {error}", file=sys.stderr)
        return USAGE
    finally:
        if bar is not None:
            bar.close()
    return _reported(report, quiet=options.quiet)


def _reported(report: SiteReport, *, quiet: bool) -> int:
    """Say what a build did; its exit status."""
    for path in report.removed:
        print(f"{path}: removed: left by a build that did not finish", file=sys.stderr)
    for path, reason in report.not_removed:
        print(
            f"{path}: left by a build that did not finish, and not removed: {reason};"
            " remove it by hand",
            file=sys.stderr,
        )
    errors = 0
    for path, diagnostic in report.problems:
        errors += diagnostic.severity is Severity.ERROR
        print(format_diagnostic(path, diagnostic))
    not_read = {path: d for path, d in report.problems if d.code in FILE_CODES}
    for path in report.skipped:
        why = not_read.get(path)
        if why is not None:
            print(f"{path}: not read: {why.message} ({why.code}); it has no page", file=sys.stderr)
        else:
            print(f"{path}: not a clipping document; it has no page", file=sys.stderr)
    if not quiet:
        print(
            f"built {report.output}: {report.documents} clipping"
            f" page{'s' * (report.documents != 1)}, {report.files} files"
            f" ({report.rendered} written, {report.reused} unchanged),"
            f" {errors} error{'s' * (errors != 1)}",
            file=sys.stderr,
        )
    return FAILED if errors else OK


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], **shared: object
) -> None:
    parser = commands.add_parser(
        "site",
        help="build a static site to read and search a collection",
        description="Build (or update) the static site of the collection ROOT in the folder"
        " OUT: a page per clipping, date, source and hashtag, newest first, and a search"
        " that works offline. Open OUT/index.html, or serve OUT from anywhere. Only what"
        " changed is rendered again, and OUT is replaced only by a complete site. Documents"
        " with errors get a page showing what could be read (exit status 1). Needs the"
        " 'site' extra: pip install 'clipdoc[site]'.",
        **shared,  # type: ignore[arg-type]
    )
    parser.add_argument("root", metavar="ROOT", help="the collection's folder")
    parser.add_argument("output", metavar="OUT", help="the site's folder (new, empty or a site)")
    parser.add_argument("--title", help="the site's name (default: ROOT's folder name)")
    parser.add_argument(
        "--base-url",
        metavar="URL",
        help="where the site will be served, e.g. https://example.org/clips/ (adds canonical"
        " links and sitemap.xml; links are relative either way)",
    )
    parser.add_argument(
        "--theme",
        metavar="DIR",
        help="a folder whose templates/*.html (Jinja2) and style.css replace the default ones",
    )
    from .._site.i18n import LANGUAGES

    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        help="the language of the site's interface (default: Chinese when most titles are,"
        " else English)",
    )
    parser.add_argument(
        "--images",
        choices=("remote", "none"),
        default="remote",
        help="the documents' images: shown from their hosts, each loaded as it comes into view"
        " (remote, the default), or left out, so that reading a page tells no image host"
        " anything (none)",
    )
    caching = parser.add_mutually_exclusive_group()
    caching.add_argument(
        "--cache",
        action="store_true",
        help="make the collection's stat cache (ROOT/.clipdoc/, safe to delete) when it has"
        " none: the next build reads only the documents that changed",
    )
    caching.add_argument(
        "--no-cache",
        action="store_true",
        help="read every document, and neither read nor write the stat cache of a collection"
        " that keeps one (ROOT/.clipdoc/, made by clipdoc index or site --cache)",
    )
    # A site's pages are rendered in worker processes, each a share of the
    # work worth a process's start: every CPU by default.
    parser.set_defaults(run=run, jobs=0)
