"""Finding the documents of a collection: the folder walk every command,
`Collection`, the site and Dask share [COL-4].

The walk gives a `Found` for every ``*.md`` file it sees, in path order,
and one for every folder it could not list (unreadable, or a path too long
for the system), so that a caller can name everything it did not read.
"""

from __future__ import annotations

import errno
import fnmatch
import os
from collections.abc import Iterable, Iterator, Sequence
from typing import NamedTuple

import attrs

from .._core.errors import CODES, Diagnostic, PathError, UnsafePathError, path_error
from .names import clashing_names

#: The index file a collection keeps at its root (the producer writes one);
#: folder walks leave it out unless asked.
INDEX_NAME = "README.md"
#: How an index begins, in both styles: a README.md that does not was
#: written by someone else.
INDEX_HEADING = "# 最新信息\n".encode()


class Found(NamedTuple):
    """A document file the walk found, or a folder it could not list.

    ``relative`` is ``/``-separated, relative to the folder walked;
    ``problem`` says why a folder (or a file name) cannot be read, and
    ``warnings`` what is wrong with a file's name (CD509). A named tuple:
    a walk makes one per document, and sends them to worker processes by
    the ten thousand.
    """

    relative: str
    problem: PathError | None = None
    warnings: tuple[Diagnostic, ...] = ()


def checked_patterns(exclude: object) -> tuple[str, ...]:
    """``exclude`` as a tuple of glob patterns, or a `TypeError` that says
    what was wrong (a lone str is the usual mistake)."""
    if isinstance(exclude, (str, bytes)) or not isinstance(exclude, Iterable):
        raise TypeError(
            f"exclude must be a sequence of glob patterns (str), not {exclude!r:.60};"
            " for one pattern write exclude=[pattern]"
        )
    patterns = tuple(exclude)
    if not all(isinstance(p, str) for p in patterns):
        raise TypeError(f"exclude must hold glob patterns (str), not {patterns!r:.60}")
    return patterns


def checked_folder(path: object, name: str) -> str:
    """A folder argument as a str path, or a `TypeError`."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name} must be a path (str or os.PathLike), not {type(path).__name__}")
    return os.fspath(path)


def is_excluded(relative: str, patterns: Sequence[str]) -> bool:
    """Whether a ``/``-separated path matches one of the glob ``patterns``.

    A pattern with a ``/`` matches the whole path (``*`` crosses ``/``); one
    without matches any single part of it, so ``drafts`` leaves out every
    folder or file named so, at any depth.
    """
    if not patterns:
        return False
    parts = relative.split("/")
    for pattern in patterns:
        if "/" in pattern.strip("/"):
            if fnmatch.fnmatchcase(relative, pattern.strip("/")):
                return True
        elif any(fnmatch.fnmatchcase(part, pattern.strip("/")) for part in parts):
            return True
    return False


def skips_folder(relative: str, exclude: Sequence[str]) -> bool:
    """Whether a walk leaves out the folder at ``relative`` (``/``-separated):
    a hidden one, or one that ``exclude`` matches."""
    return relative.rsplit("/", 1)[-1].startswith(".") or is_excluded(relative, exclude)


def keeps_document(relative: str, exclude: Sequence[str], include_index: bool) -> bool:
    """Whether a walk reads the file at ``relative``: a ``*.md`` file that
    ``exclude`` does not match, and not the root's index unless asked."""
    if not relative.endswith(".md") or is_excluded(relative, exclude):
        return False
    return include_index or relative != INDEX_NAME


def is_walked(relative: str, exclude: Sequence[str] = (), include_index: bool = False) -> bool:
    """Whether the walk reads the file at the ``/``-separated ``relative``
    path: a document it keeps, in no folder it leaves out."""
    parts = relative.split("/")
    folders = ("/".join(parts[:depth]) for depth in range(1, len(parts)))
    return keeps_document(relative, exclude, include_index) and not any(
        skips_folder(folder, exclude) for folder in folders
    )


#: A folder as the walk listed it: its path below the root ("" for the root,
#: else ending in ``/``), then its device, inode, mtime and ctime (in
#: nanoseconds) taken before its entries were read.
FolderState = tuple[str, int, int, int, int]


@attrs.frozen
class Walk:
    """A walk of the folder ``root`` with these options (see `walk`): what
    a memo of its result is kept for."""

    root: str
    exclude: tuple[str, ...] = ()
    include_index: bool = False
    name_warnings: bool = True

    def __call__(self, folders: list[FolderState | None] | None = None) -> Iterator[Found]:
        return walk(
            self.root,
            exclude=self.exclude,
            include_index=self.include_index,
            name_warnings=self.name_warnings,
            folders=folders,
        )


def name_warning(message: str) -> Diagnostic:
    """The warning about a file's name that would clash on other systems."""
    return Diagnostic(
        code="CD509", severity=CODES["CD509"].severity, line=None, column=None, message=message
    )


def walk(
    root: str,
    *,
    exclude: Sequence[str] = (),
    include_index: bool = False,
    name_warnings: bool = True,
    folders: list[FolderState | None] | None = None,
) -> Iterator[Found]:
    """Every document below the folder ``root``, sorted by path part by part
    (``2025-05-05/x.md`` before ``a.md``), and every folder that could not
    be listed. Hidden folders, paths matching ``exclude`` and (unless
    ``include_index``) the root's ``README.md`` index are left out; links
    to folders are not followed: one that leads out of the root is named
    (CD503), one inside is left out, its documents read where they are.
    The walk keeps its own stack, so a folder tree of any depth is walked.
    Without ``name_warnings``, names that would clash on other systems are
    not looked for (no CD509): a job that shows no warning is spared it.

    ``folders``, when given, gets the `FolderState` of each folder listed,
    and None for each link met: what the walk gives of a link depends on
    more than the folder that holds it."""
    try:
        real_root = os.path.realpath(root)
    except OSError as exc:  # a link on the way changed as it was resolved
        raise _unreadable(root, exc) from None
    # The folders being walked, innermost last: each one's path relative to
    # the root, its entries sorted by name, and which of them comes next.
    stack = [_listing("", root, None, name_warnings, folders)]
    while stack:
        listing = stack[-1]
        for name, kind in listing.entries:
            relative = listing.prefix + name
            if kind == _FILE:
                if keeps_document(relative, exclude, include_index):
                    yield _found(relative, listing.clashes.get(name))
            elif kind == _FOLDER:
                if not skips_folder(relative, exclude):
                    path = os.path.join(listing.path, name)
                    try:
                        inner = _listing(
                            relative + "/", path, listing.identity, name_warnings, folders
                        )
                    except PathError as problem:
                        yield Found(relative, problem=problem)
                        continue
                    stack.append(inner)
                    break  # the inner folder first; this one goes on where it was
            else:
                if folders is not None:
                    folders.append(None)
                found = _link(listing, name, relative, real_root, exclude, include_index)
                if found is not None:
                    yield found
        else:
            stack.pop()


def _link(
    listing: _Listing,
    name: str,
    relative: str,
    real_root: str,
    exclude: Sequence[str],
    include_index: bool,
) -> Found | None:
    """What a walk gives of a symbolic link: a link to a file, as a
    document (its read checks where it leads); a link to a folder outside,
    as a problem (CD503); nothing for a link to a folder inside."""
    path = os.path.join(listing.path, name)
    try:
        if not os.path.isdir(path):
            if keeps_document(relative, exclude, include_index):
                return _found(relative, listing.clashes.get(name))
            return None
        if skips_folder(relative, exclude) or _leads_inside(path, real_root):
            return None
    except OSError as exc:  # the link changed as it was followed
        return Found(relative, problem=_unreadable(path, exc))
    return Found(relative, problem=_folder_link(relative))


#: The kinds of entry a listing holds: found while the folder is open, as
#: some file systems give no type in the listing itself, and an entry's own
#: later look-up would go through a descriptor already closed.
_FILE, _FOLDER, _LINK = "file", "folder", "link"


@attrs.frozen
class _Listing:
    """A folder being walked: its path below the root (ending in ``/``) and
    as the walk reaches it, its device and inode, the name and kind of each
    of its entries in name order, the next one first, and why some of its
    names would clash on other systems."""

    prefix: str
    path: str
    identity: tuple[int, int] | None
    entries: Iterator[tuple[str, str]]
    clashes: dict[str, str]


def _listing(
    prefix: str,
    folder: str,
    parent: tuple[int, int] | None,
    name_warnings: bool,
    folders: list[FolderState | None] | None,
) -> _Listing:
    status, entries = _list(folder, parent)
    if folders is not None:
        folders.append(
            (prefix, status.st_dev, status.st_ino, status.st_mtime_ns, status.st_ctime_ns)
        )
    clashes = clashing_names([name for name, _ in entries]) if name_warnings else {}
    identity = (status.st_dev, status.st_ino) if _BY_DESCRIPTOR else None
    return _Listing(prefix, folder, identity, iter(entries), clashes)


_OPEN_FOLDER = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)
#: Folders are listed through a descriptor where the system allows it.
_BY_DESCRIPTOR = os.scandir in os.supports_fd and os.stat in os.supports_dir_fd
#: What opening a folder with O_NOFOLLOW fails with when it is a link
#: (EMLINK on FreeBSD), or when it is no longer a folder.
_NOT_A_FOLDER = frozenset({errno.ELOOP, errno.EMLINK, errno.ENOTDIR})


def _list(
    folder: str, parent: tuple[int, int] | None
) -> tuple[os.stat_result, list[tuple[str, str]]]:
    """The status of ``folder``, taken before its entries were read, and
    its entries' names and kinds, sorted by name.

    A folder below the root (``parent``: the device and inode of the folder
    whose listing named it) is listed only if it is still that folder's
    own: not a link, and with that very folder above it. Otherwise a folder
    on its way was replaced (by a link, say) since it was listed, and its
    path could lead the walk out of the collection."""
    try:
        if not _BY_DESCRIPTOR:
            status = os.stat(folder)
            with os.scandir(folder) as scan:
                return status, sorted(map(_entry, scan))
        descriptor = os.open(folder, _OPEN_FOLDER | (_NO_FOLLOW if parent is not None else 0))
        try:
            status = os.fstat(descriptor)
            if parent is not None:
                above = os.stat("..", dir_fd=descriptor)
                if (above.st_dev, above.st_ino) != parent:
                    raise _changed(folder)
            with os.scandir(descriptor) as scan:
                return status, sorted(map(_entry, scan))
        finally:
            os.close(descriptor)
    except OSError as exc:
        if parent is not None and exc.errno in _NOT_A_FOLDER:
            raise _changed(folder) from None
        if isinstance(exc, PathError):
            raise
        raise _unreadable(folder, exc) from None


def _entry(entry: os.DirEntry[str]) -> tuple[str, str]:
    """An entry's name and kind; a file for one that is gone."""
    try:
        if entry.is_symlink():
            return entry.name, _LINK
        return entry.name, _FOLDER if entry.is_dir(follow_symlinks=False) else _FILE
    except OSError:
        return entry.name, _FILE


def _unreadable(folder: str, exc: OSError) -> PathError:
    return path_error(
        "CD504",
        f"cannot read the folder: {exc.strerror or exc}; its documents were not read",
        path=folder,
        errno=exc.errno,
    )


def _changed(folder: str) -> PathError:
    return PathError(
        "CD504",
        "the folder, or one on its way, changed while the collection was read (it was"
        " moved, replaced, or made a link or a file); its documents were not read: run again",
        path=folder,
    )


def _leads_inside(path: str, real_root: str) -> bool:
    target = os.path.realpath(path)
    return target == real_root or target.startswith(real_root.rstrip(os.sep) + os.sep)


def _folder_link(relative: str) -> PathError:
    return UnsafePathError(
        "a symbolic link to a folder outside the collection; its documents were not read"
        " (folders are never followed through links)",
        path=relative,
    )


def _found(relative: str, clash: str | None) -> Found:
    if not relative.isascii():
        try:
            relative.encode("utf-8")
        except UnicodeEncodeError:
            shown = relative.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            problem = PathError("CD504", "the file name is not valid UTF-8; rename it", path=shown)
            return Found(shown, problem=problem)
    if clash is None:
        return Found(relative)
    return Found(relative, warnings=(name_warning(clash),))
