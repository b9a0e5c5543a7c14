"""What every command shares: reading a document, outcomes, the tally, the
console (results, progress bar, summary) and the walk over the given paths."""

from __future__ import annotations

import argparse
import errno
import functools
import itertools
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple, TextIO

from .._core.errors import ChangedError, Diagnostic, PathError, Severity, UnsafePathError
from .._core.model import Clipping
from .._core.read import has_error
from .._storage.documents import file_problem, found_below, read_document_file
from .._storage.files import Folder, Stamp
from .._storage.names import clashing_names
from .._storage.walk import Found, is_excluded, is_walked, name_warning, skips_folder

OK, FAILED, USAGE = 0, 1, 2


@dataclass(frozen=True)
class Outcome:
    """What happened to one document."""

    path: str
    diagnostics: tuple[Diagnostic, ...] = ()
    io_problem: str | None = None
    #: The diagnostic of a file that could not be read at all (CD503-CD506).
    file_problem: Diagnostic | None = None
    #: Why a file that was to be rewritten was left as it is: it changed
    #: since it was read (CD507), or it is a link (CD503).
    left_alone: str | None = None
    changed: bool = False
    diff: str | None = None
    output: str | None = None


@dataclass(frozen=True)
class Unit:
    """One document a command works on: a file the walk found below a
    folder the user named (or a file named directly, in its folder)."""

    folder: Folder
    found: Found
    #: The path of a file named on the command line, as it was written.
    named: str | None = None
    #: Whether the path named on the command line (the file, or a folder
    #: it is in) is a symbolic link: read through, never written through.
    through_link: bool = False

    @property
    def path(self) -> str:
        """The file's path as the user gives it."""
        if self.named is not None:
            return self.named
        if not self.found.relative:
            return self.folder.path
        return self.folder.full(self.found.relative)


@dataclass(frozen=True)
class Read:
    """A document read from a file: its text, clipping, diagnostics and
    stamp, or the outcome that says why it could not be read."""

    text: str = ""
    clipping: Clipping | None = None
    diagnostics: tuple[Diagnostic, ...] = ()
    failed: Outcome | None = None
    stamp: Stamp | None = None


def read_unit(unit: Unit) -> Read:
    """Read one document through the storage layer (regular files only,
    never out of the folder)."""
    document = read_document_file(unit.folder, unit.found)
    if document.text is None:
        return Read(failed=outcome_of(unit.path, document.diagnostics))
    return Read(document.text, document.clipping, document.diagnostics, stamp=document.stamp)


def outcome_of(path: str, diagnostics: tuple[Diagnostic, ...]) -> Outcome:
    """The outcome of reading a document with ``diagnostics``: the problem
    of a file that could not be read at all, or what the reading said."""
    if not diagnostics:
        return Outcome(path)
    problem = file_problem(diagnostics)
    if problem is not None:
        said = f"{problem.message} ({problem.code})"
        return Outcome(path, io_problem=said, file_problem=problem)
    return Outcome(path, diagnostics=diagnostics)


#: Why a document reached through a link named on the command line is not
#: written.
THROUGH_LINK = (
    "reached through a symbolic link named on the command line; clipdoc does not write"
    " through links: name the file or folder it leads to (CD503)"
)


def replace_unit(unit: Unit, data: bytes, stamp: Stamp | None, outcome: Outcome) -> Outcome:
    """Replace a document that was read with ``stamp``: ``outcome`` when it
    was, else an outcome that says why not (it changed meanwhile or is a
    link: left alone; the disk is full: an I/O problem)."""
    if stamp is None:
        return replace(outcome, changed=False, io_problem="cannot write: it was not read")
    if unit.through_link:
        return replace(outcome, changed=False, left_alone=THROUGH_LINK)
    try:
        unit.folder.replace(unit.found.relative, data, expected=stamp)
    except (ChangedError, UnsafePathError) as error:
        return replace(outcome, changed=False, left_alone=f"{error.message} ({error.code})")
    except PathError as error:
        return replace(outcome, changed=False, io_problem=f"{error.message} ({error.code})")
    return outcome


def units(
    options: argparse.Namespace, paths: Sequence[str], *, among: Sequence[str] = ()
) -> Iterator[Unit]:
    """The documents at ``paths`` under the walk options of the command
    line: every file a folder holds, or the file itself. A folder inside
    another of ``paths`` or ``among`` (see `existing`) gives only what the
    outer folder's walk does not."""
    for path in paths:
        if os.path.isdir(path):
            yield from _folder_units(options, path, [*paths, *among])
        elif not is_excluded(path.replace(os.sep, "/"), options.exclude):
            head, name = os.path.split(path)
            clash = _clashes(head or os.curdir).get(name)
            entry = Found(name, warnings=(name_warning(clash),) if clash else ())
            # A file named on the command line is read wherever its link
            # leads, as `load` reads it; it is still never written through.
            folder = Folder(head or os.curdir, follow_links=True, pin_root=True)
            yield Unit(folder, entry, named=path, through_link=_through_link(path))


def _folder_units(options: argparse.Namespace, path: str, paths: list[str]) -> Iterator[Unit]:
    """The documents the walk of the folder ``path`` gives, but those that
    another of ``paths`` gives: the walk of a folder it is in, or a link
    named below it."""
    found = found_below(path, exclude=options.exclude, include_index=options.include_readme)
    prefixes = enclosing(path, paths)
    if prefixes:
        found = (
            f
            for f in found
            if not any(_read_by_outer_walk(prefix, f, options) for prefix in prefixes)
        )
    named = named_below(path, paths)
    if named:
        # What the walk finds through a named link (--follow-links) is
        # given by the named path too.
        inside = tuple(f"{name}/" for name in named)
        found = (f for f in found if f.relative not in named and not f.relative.startswith(inside))
    # Pinned before the check for links: a folder swapped for a link after
    # it is not the folder these are, and is neither read nor written.
    folder = Folder(path, follow_links=options.follow_links, pin_root=True)
    linked = _through_link(path)
    with folder.reading_in_order() as reader:
        for item in found:
            yield Unit(reader, item, through_link=linked)


@functools.lru_cache(maxsize=1024)
def _clashes(folder: str) -> dict[str, str]:
    """The names of ``folder`` that other systems could not keep apart
    (CD509), as a walk of the folder tells them; none when it cannot be
    listed (what is named there is reported as it is read)."""
    try:
        return clashing_names(os.listdir(folder))
    except (OSError, ValueError):
        return {}


@dataclass
class Tally:
    documents: int = 0
    with_errors: int = 0
    errors: int = 0
    warnings: int = 0
    io_problems: int = 0
    left_alone: int = 0
    extra: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: Outcome) -> None:
        self.documents += 1
        if not outcome.diagnostics and outcome.io_problem is None and outcome.left_alone is None:
            return  # most documents: spared the sums below
        errors = sum(d.severity is Severity.ERROR for d in outcome.diagnostics)
        self.with_errors += errors > 0
        self.errors += errors
        self.warnings += len(outcome.diagnostics) - errors
        self.io_problems += outcome.io_problem is not None
        self.left_alone += outcome.left_alone is not None

    def count(self, what: str) -> None:
        self.extra[what] = self.extra.get(what, 0) + 1

    def status(self, *, strict: bool = False) -> int:
        if self.io_problems:
            return USAGE
        return FAILED if self.errors or self.left_alone or (strict and self.warnings) else OK

    def summary(self) -> str:
        documents = f"{self.documents} document{'s' * (self.documents != 1)}"
        if self.with_errors:
            documents += f" ({self.with_errors} with errors)"
        parts = [
            documents,
            f"{self.errors} error{'s' * (self.errors != 1)}",
            f"{self.warnings} warning{'s' * (self.warnings != 1)}",
        ]
        parts += [f"{count} {what}" for what, count in self.extra.items()]
        if self.io_problems:
            parts.append(f"{self.io_problems} unreadable")
        if self.left_alone:
            parts.append(f"{self.left_alone} left alone")
        return ", ".join(parts)


class Console:
    """Where output goes: results on stdout, progress and summary on stderr."""

    def __init__(self, *, quiet: bool, total: int | None, stream_out: TextIO | None = None):
        self.out = stream_out or sys.stdout
        self.quiet = quiet
        self._bar = progress_bar(total) if not quiet and sys.stderr.isatty() else None

    def line(self, text: str, *, stream: TextIO | None = None) -> None:
        target = stream or self.out
        if self._bar is not None:
            self._bar.write(text, file=target)
        else:
            print(text, file=target)

    def problem(self, text: str) -> None:
        self.out.flush()  # keep stdout and stderr in order when both are piped
        self.line(text, stream=sys.stderr)

    def advance(self, documents: int = 1) -> None:
        if self._bar is not None:
            self._bar.update(documents)

    def finish(self, summary: str) -> None:
        self.out.flush()
        if self._bar is not None:
            self._bar.close()
        if not self.quiet:
            print(summary, file=sys.stderr)


def progress_bar(total: int | None, *, unit: str = "doc", description: str | None = None) -> Any:
    try:
        from tqdm import tqdm
    except ImportError:  # the optional 'cli' extra is not installed
        return None
    # No monitor thread: worker processes are forked while a bar is shown,
    # and a fork from a process with threads is unsafe.
    tqdm.monitor_interval = 0
    return tqdm(
        total=total,
        unit=unit,
        desc=description,
        file=sys.stderr,
        dynamic_ncols=True,
        leave=False,
    )


def format_diagnostic(path: str, diagnostic: Diagnostic) -> str:
    if diagnostic.line is None:  # about the file, not a place in it
        return f"{path}: {diagnostic.code} {diagnostic.message}"
    return f"{path}:{diagnostic.line}:{diagnostic.column}: {diagnostic.code} {diagnostic.message}"


def report(console: Console, outcome: Outcome, *, errors_only: bool = False) -> None:
    for diagnostic in outcome.diagnostics:
        if errors_only and diagnostic.severity is not Severity.ERROR:
            continue
        console.line(format_diagnostic(outcome.path, diagnostic))
    if outcome.io_problem is not None:
        console.problem(f"{outcome.path}: {outcome.io_problem}")
    if outcome.left_alone is not None:
        console.problem(f"{outcome.path}: left as it is: {outcome.left_alone}")


class Missing(NamedTuple):
    """A path of the command line that cannot be looked at, and why."""

    path: str
    reason: str


def existing(options: argparse.Namespace) -> tuple[list[str], list[Missing]]:
    """The paths of the command line that exist, each once, and those that
    do not or cannot be looked at (each is reported on stderr).

    A path whose documents another path gives is left out: the same file
    or folder named twice, and a file or folder inside a folder named too
    that the walk of that folder reads. A named file that ``--exclude``
    leaves out is left out first, so that another spelling of it stays.
    A file is the entry of its folder that it names (a link is not the file
    it leads to: it is read through, never written through); a folder is
    the folder it really is. What is left of a folder inside another is
    walked without what the outer walk reads (`units`).
    """
    # Folders may have changed since the last command.
    _listable.cache_clear()
    _clashes.cache_clear()
    given: list[str] = []
    seen: dict[str, int] = {}
    missing: list[Missing] = []
    for path in options.paths:
        try:
            os.stat(path)
        except (OSError, ValueError) as error:
            missing.append(Missing(path, _why_missing(path, error)))
            print(f"{path}: {missing[-1].reason}", file=sys.stderr)
            continue
        if not os.path.isdir(path) and is_excluded(path.replace(os.sep, "/"), options.exclude):
            if not options.quiet:  # named, but left out: said, not passed over in silence
                print(f"{path}: left out by --exclude", file=sys.stderr)
            continue
        entry = _entry(path)
        if entry not in seen:
            seen[entry] = len(given)
            given.append(path)
        elif _through_link(given[seen[entry]]) and not _through_link(path):
            # The same file or folder named through a link and as itself:
            # taken as itself, so that it may be written.
            given[seen[entry]] = path
    folders = [path for path in given if os.path.isdir(path)]
    distinct = [
        path
        for path in given
        if not any(_walks_to(folder, path, options) for folder in folders if folder != path)
    ]
    return distinct, missing


def _is_folder_link(path: str) -> bool:
    """Whether ``path`` is a symbolic link, however it ends (``link/``,
    ``link/.``)."""
    trimmed = path.rstrip(os.sep) or path
    while os.path.basename(trimmed) == os.curdir and trimmed != os.curdir:
        trimmed = os.path.dirname(trimmed).rstrip(os.sep) or os.curdir
    return os.path.islink(trimmed)


def _through_link(path: str) -> bool:
    """Whether ``path``, as typed, goes through a symbolic link: it is one,
    or (a relative path, as a shell's ``docs/*/*.md`` gives) a folder on
    the way is. The folders of an absolute path are the system's (``/tmp``
    is a link on macOS): only its last part counts."""
    if _is_folder_link(path):
        return True
    if os.path.isabs(path):
        return False
    parts = path.rstrip(os.sep).split(os.sep)[:-1]
    return any(
        parts[depth - 1] not in ("", os.curdir, os.pardir)
        and os.path.islink(os.sep.join(parts[:depth]))
        for depth in range(1, len(parts) + 1)
    )


def _entry(path: str) -> str:
    """What a path names: a folder, really; a file, as an entry of the
    folder that really holds it (a link stays a link)."""
    if os.path.isdir(path):
        return os.path.realpath(path)
    return _entry_of_name(path)


def _entry_of_name(path: str) -> str:
    """``path`` as an entry of the folder that really holds it (a link, to
    a file or a folder, stays a link)."""
    # The folder resolved as the system resolves it: a ".." after a link is
    # the parent of where the link leads, not a step back in the text.
    head, name = os.path.split(path)
    return os.path.join(os.path.realpath(head or os.curdir), name)


def _why_missing(path: str, error: OSError | ValueError) -> str:
    if not isinstance(error, OSError):
        return "no such file or folder"
    if error.errno == errno.ELOOP:
        return (
            "cannot be looked at: too many symbolic links on the way (a loop of links, or a"
            " chain longer than the system follows)"
        )
    if isinstance(error, FileNotFoundError):
        return "a symbolic link to nothing" if os.path.islink(path) else "no such file or folder"
    return f"cannot be looked at: {error.strerror or error}"


def unreachable_links(missing: Sequence[Missing]) -> list[str]:
    """The links among ``missing`` paths: named, each is reported once as
    named, not again by the walk of a folder named with it (`units`'s
    ``among``)."""
    return [each.path for each in missing if _is_folder_link(each.path)]


def _below(outer: str, path: str) -> list[str] | None:
    """The parts of the path of ``path`` (an `_entry`) below the folder
    ``outer``, or None when it is not below it or when the walk of
    ``outer`` cannot list a folder on the way (it reads nothing below)."""
    return _entry_below(outer, _entry(path))


def _entry_below(outer: str, entry: str) -> list[str] | None:
    top = os.path.realpath(outer)
    relative = os.path.relpath(entry, top)
    if relative == os.curdir or relative == os.pardir or relative.startswith(os.pardir + os.sep):
        return None
    parts = relative.split(os.sep)
    folders = itertools.accumulate(parts[:-1], os.path.join, initial=top)
    return parts if all(map(_listable, folders)) else None


@functools.lru_cache(maxsize=1024)
def _listable(folder: str) -> bool:
    """Whether a walk can list ``folder`` (a real path)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return False
    os.close(descriptor)
    return True


def _walks_to(folder: str, path: str, options: argparse.Namespace) -> bool:
    """Whether the walk of ``folder`` reads every document ``path`` gives
    (a file or folder below it)."""
    parts = _below(folder, path)
    if parts is None:
        return False
    if not os.path.isdir(path):
        # A link is reported by the walk, not read: named, it is read through.
        return not os.path.islink(path) and is_walked(
            "/".join(parts), options.exclude, options.include_readme
        )
    if any("/" in pattern.strip("/") for pattern in options.exclude):
        # A pattern with '/' matches paths below the root of each walk: the
        # inner walk may read what the outer one leaves out (`units`).
        return False
    return not any(
        skips_folder("/".join(parts[:depth]), options.exclude) for depth in range(1, len(parts) + 1)
    )


def enclosing(path: str, paths: Sequence[str]) -> list[str]:
    """The prefixes (``/``-separated, each ending in ``/``) of the folder
    ``path`` below the other folders among ``paths``, whose walks may read
    some of its documents."""
    if not os.path.isdir(path):
        return []
    prefixes = []
    for other in paths:
        if other != path and os.path.isdir(other):
            parts = _below(other, path)
            if parts is not None:
                prefixes.append("/".join(parts) + "/")
    return prefixes


def named_below(path: str, paths: Sequence[str]) -> set[str]:
    """The files and links among ``paths`` below the folder ``path``
    (``/``-separated, relative to it), which are read as named, not by its
    walk: a link named is read through, where the walk only reports it."""
    if not os.path.isdir(path):
        return set()
    named = set()
    for other in paths:
        if _is_folder_link(other):  # a link to a file or a folder: itself
            parts = _entry_below(path, _entry_of_name(other.rstrip(os.sep) or other))
        elif not os.path.isdir(other):
            parts = _below(path, other)
        else:
            continue
        if parts is not None:
            named.add("/".join(parts))
    return named


def _read_by_outer_walk(prefix: str, item: Found, options: argparse.Namespace) -> bool:
    """Whether the walk of an enclosing folder gives ``item`` (found below
    the folder at ``prefix`` in it) too: the same document, or the same
    problem with a file or folder."""
    relative = prefix + item.relative
    if relative.endswith(".md"):
        return is_walked(relative, options.exclude, options.include_readme)
    parts = relative.split("/")
    return not any(
        skips_folder("/".join(parts[:depth]), options.exclude) for depth in range(1, len(parts) + 1)
    )


def console_for(
    options: argparse.Namespace,
    paths: Sequence[str],
    *,
    results: TextIO | None = None,
    counted: int = 0,
    among: Sequence[str] = (),
) -> Console:
    """The console of a command over the documents at ``paths`` (walked
    to be counted when a progress bar is shown, as `units` gives them with
    ``among``) and ``counted`` more."""
    show_bar = not options.quiet and sys.stderr.isatty()
    total = counted + sum(1 for _ in units(options, paths, among=among)) if show_bar else None
    return Console(quiet=options.quiet, total=total, stream_out=results)


def errors_in(outcome: Outcome) -> bool:
    return has_error(outcome.diagnostics)
