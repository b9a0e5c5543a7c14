"""A collection's stat cache: what was learnt from each document, kept
beside the collection so that the next query or index need not read it
again, as Git's index keeps what it learnt of each file.

The cache is a JSON file per kind of fact (what the index shows of a
document, what the queries test), ``.clipdoc/stat-cache-KIND.json`` below
the root (a hidden folder: walks leave it out; a ``.gitignore`` in it keeps
it out of Git), so that a run loads only the facts it uses. For each
document it holds the file's identity when it was read (device, inode,
size, mtime and ctime, in nanoseconds) and the fact taken from it. A fact
is served only while the file still has exactly that identity, so a file
that was edited, replaced or renamed is read again.

One case defeats such a check: a file changed twice within one tick of the
file system's clock, keeping its size, after the first change was seen. As
Git does with "racily clean" entries, nothing is stored for a file whose
last change (mtime or ctime) is not older than the start of the run by a
margin: any change after the run started then gives the file a ctime that
no stored identity has. The start is read off the file system's own clock
(the time it gives a new file), so a server with a clock of its own does
not matter.

The file is safe to delete; one that cannot be read, of another format or
another clipdoc version, is ignored and written anew.

A run that changes a few documents' facts does not write the whole file
again (at 45,390 documents, half a second): as Git's split index, it
writes what changed, and what is gone, into a delta file beside it
(``stat-cache-KIND.delta.json``) that names the identity of the file it
amends. A delta whose file was replaced since, or that is damaged, is
ignored (its facts are read again); once it holds more than an eighth of
the documents, the whole file is written and the delta removed.

A whole job's result can be kept too, as a memo (``memo-KIND.json``): the
result for one state of the collection, named by a digest of every path
the walk found with its file's identity (a `Tree`). A run that finds the
same digest has the same files, unchanged, and takes the result without
loading a fact: only the walk and an ``lstat`` per file are left, and the
walk itself comes from a memo of it while no folder changed (see "walk
memos" below: an ``lstat`` per folder). A memo is kept only when no file
changed too recently to be told apart from a later change, by the same
rule as the facts.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import hashlib
import json
import operator
import os
import stat
import struct
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple, TypeVar

from .._core.errors import (
    CODES,
    ClipdocError,
    Diagnostic,
    ExistsError,
    NotFoundError,
    TooLargeError,
)
from .._version import __version__
from .files import SIZE_LIMIT, Folder, Stamp
from .walk import FolderState, Found, Walk, keeps_document, name_warning, skips_folder

FOLDER = ".clipdoc"
_IGNORE = f"{FOLDER}/.gitignore"
_IGNORE_TEXT = b"# clipdoc's cache of this collection\n*\n"
_LEFTOVER_AGE_NS = 3600 * 1_000_000_000
_FORMAT = "clipdoc stat cache"
_MEMO_FORMAT = "clipdoc memo"
_VERSION = 1
#: How much older than the start of the run a file's last change must be
#: for its facts to be stored (see the module's text). A second covers any
#: file system's clock tick and a clock set back a little.
RACY_MARGIN_NS = 1_000_000_000

#: A JSON value: what a fact is.
Fact = Any


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


#: What `StatCache.lookup` gives when it has no fact to serve.
MISSING: Any = _Missing()


#: A file's identity as the cache keeps it: device, inode, size, mtime and
#: ctime in nanoseconds.
Identity = list[int]


@functools.cache
def maker() -> str:
    """What made the facts and memos of a cache file, written in it: a file
    made by anything else is ignored. clipdoc's version, Python's, and each
    of clipdoc's modules by its name, size and time: a source checkout keeps
    its version as its code changes, and so may what a fact holds."""
    return maker_of(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def maker_of(package: str) -> str:
    """`maker` for the clipdoc package in the folder ``package``."""
    digest = hashlib.sha256(f"{__version__} {sys.version}".encode())
    for folder, folders, names in os.walk(package):
        folders.sort()
        for name in sorted(names):
            if name.endswith(".py"):
                status = os.stat(os.path.join(folder, name))
                where = os.path.relpath(os.path.join(folder, name), package)
                digest.update(f"\0{where} {status.st_size} {status.st_mtime_ns}".encode())
    return f"{__version__} {digest.hexdigest()[:16]}"


def _made_by(made_by: str) -> str:
    """What a cache file names as what made its facts."""
    return f"{maker()} {made_by}" if made_by else maker()


def cache_name(kind: str) -> str:
    """The cache file of facts of ``kind``, below the root."""
    return f"{FOLDER}/stat-cache-{kind}.json"


def delta_name(kind: str) -> str:
    """The delta file that amends the cache file of facts of ``kind``."""
    return f"{FOLDER}/stat-cache-{kind}.delta.json"


_DELTA_FORMAT = "clipdoc stat cache delta"
#: The fewest documents a delta may hold before the whole cache is written
#: again, and the share of the cache's documents beyond that.
_DELTA_MINIMUM = 256
_DELTA_SHARE = 8


class StatCache:
    """The cache of one kind of fact of one collection, for one run:
    `lookup` before reading a document, `store` after, `save` at the end."""

    def __init__(
        self,
        folder: Folder,
        kind: str,
        files: dict[str, list[Any]] | None,
        stamp: Stamp | None,
        *,
        read_only: bool = False,
        delta: Delta | None = None,
        made_by: str = "",
    ) -> None:
        #: The collection's folder, reading files of any size up to the
        #: default limit: a cache file is no document.
        self.folder = _for_cache_files(folder)
        #: The largest document the collection reads: a fact of a larger
        #: file (taken under another limit) is not served.
        self.size_limit = folder.size_limit
        self.name = cache_name(kind)
        self.delta_name = delta_name(kind)
        #: What made the facts (`maker`, and ``made_by`` of `open`).
        self.made_by = _made_by(made_by)
        self._files = files if files is not None else {}
        self._stamp = stamp
        #: What the delta file amends the cache file with, and what this run
        #: changes (a fact, or None for a document gone), by path.
        self._delta = delta if delta is not None and files is not None else Delta({}, None)
        self._changes: dict[str, list[Any] | None] = {}
        #: Whether a delta may amend the cache file: one that was read and
        #: is of this format and version (else it is written whole).
        self._amendable = files is not None and stamp is not None
        self._read_only = read_only
        # Taken before any document is read; a cache that only serves (and
        # must write nothing, not even a file to read the clock) needs none.
        self._started_ns = 0 if read_only else _file_system_now(folder)[0] - RACY_MARGIN_NS
        # A new cache, or one in place of a damaged or foreign one, is
        # written even with nothing in it: the next run uses it.
        self._changed = files is None
        self.hits = 0

    @classmethod
    def open(
        cls,
        folder: Folder,
        kind: str,
        *,
        create: bool,
        read_only: bool = False,
        made_by: str = "",
    ) -> StatCache | None:
        """The cache of facts of ``kind`` of the collection at ``folder``:
        the one there, or a new one when asked (``create``) or when the
        collection has a cache of other kinds; None when there is none to
        use. A ``read_only`` cache is used and never written, and so is one
        this run cannot write (a read-only folder, say). ``made_by`` names
        what else the facts depend on (the versions of libraries that make
        them): a cache file made otherwise is ignored and written anew."""
        name = cache_name(kind)
        try:
            data, stamp = _for_cache_files(folder).read(name)
        except NotFoundError:
            if read_only or not (create or has_cache(folder)):
                return None
            data, stamp = None, None
        except TooLargeError:
            # Read as damaged: written anew, in a checked replacement.
            data, stamp = b"", _stamp_or_none(folder, name)
        except ClipdocError:
            return None  # a link, a FIFO, a folder in its place: leave it alone
        try:
            files, delta = _files_and_delta(folder, kind, data, stamp, _made_by(made_by))
        except (ClipdocError, OSError):
            return None
        made = functools.partial(cls, folder, kind, files, stamp, delta=delta, made_by=made_by)
        try:
            cache = made(read_only=read_only)
        except (ClipdocError, OSError):
            if read_only or files is None:
                return None
            # A cache folder this run cannot write in (the clock is read by
            # making a file there) still serves what it holds.
            return made(read_only=True)
        if not read_only:
            cache._remove_leftovers()
            if stamp is not None:
                with contextlib.suppress(ClipdocError, OSError):
                    _keep_out_of_git(cache.folder)
        return cache

    def lookup(
        self, relative: str, is_fact: Callable[[Fact], bool], identity: Identity | None
    ) -> Fact:
        """The fact stored for the document at ``relative``, if the file is
        still the one it was taken from (it has ``identity``, taken by the
        walk's `Tree`) and ``is_fact`` accepts its shape (a cache file is
        only JSON); else `MISSING`."""
        held = self._files.get(relative)
        # Checked here, for the few documents a run looks up, rather than
        # for the whole file when it is loaded.
        if (
            identity is None
            or type(held) is not list
            or len(held) != 6
            or held[:5] != identity
            or identity[2] > self.size_limit
            or not is_fact(held[5])
        ):
            return MISSING
        self.hits += 1
        return held[5]

    def store(self, relative: str, stamp: Stamp, fact: Fact) -> bool:
        """Keep ``fact`` for the document at ``relative``, read with
        ``stamp`` — unless the file changed too recently to be told apart
        from a later change (see the module's text); whether it was kept."""
        if not self.settled(stamp.mtime_ns, stamp.ctime_ns) or not _is_utf8(relative):
            self._forget(relative)
            return False
        held = [stamp.device, stamp.inode, stamp.size, stamp.mtime_ns, stamp.ctime_ns, fact]
        if self._files.get(relative) != held:
            self._files[relative] = self._changes[relative] = held
            self._changed = True
        return True

    def settled(self, mtime_ns: int, ctime_ns: int) -> bool:
        """Whether a file last changed at these times can be told apart
        from any later change by its identity (see the module's text)."""
        return not self._read_only and changed_before(self._started_ns, mtime_ns, ctime_ns)

    def keep_only(self, relatives: Iterable[str]) -> None:
        """Forget every document but those at ``relatives`` (after a walk
        of the whole collection: the others are gone)."""
        kept = set(relatives)
        for relative in [r for r in self._files if r not in kept]:
            self._forget(relative)

    def finish(self, found: Iterable[Found], *, whole: bool) -> None:
        """End the run: forget the documents not among ``found`` when the
        walk saw the ``whole`` collection (nothing left out), and `save`."""
        if whole:
            self.keep_only(each.relative for each in found)
        self.save()

    def save(self) -> None:
        """Write the cache if it changed; a cache another run wrote
        meanwhile is left as it is (it is as good), and so is one that
        cannot be written."""
        if not self._changed or self._read_only:
            return
        try:
            if not self._save_delta():
                self._save_whole()
            _keep_out_of_git(self.folder)
        except (ClipdocError, OSError):
            return
        self._changed = False

    def _save_delta(self) -> bool:
        """Write what changed into the delta file, when the cache file is
        there and the delta stays small; whether it was written."""
        if self._stamp is None or not self._amendable or not self._changes:
            return False
        files = {**self._delta.files, **self._changes}
        if len(files) > max(_DELTA_MINIMUM, len(self._files) // _DELTA_SHARE):
            return False
        document: dict[str, Any] = {"format": _DELTA_FORMAT, "clipdoc": self.made_by}
        document.update(amends=identity_of(self._stamp), files=files)
        data = _json_bytes(document)
        # Another run's delta, written meanwhile, is left as it is (a
        # failed create or replacement): it is as good.
        if self._delta.stamp is None:
            self.folder.create(self.delta_name, data)
        else:
            self.folder.replace(self.delta_name, data, expected=self._delta.stamp)
        return True

    def _save_whole(self) -> None:
        """Write the whole cache file, and remove a delta that amended the
        one it replaces."""
        document = {"format": _FORMAT, "version": _VERSION, "clipdoc": self.made_by}
        document["files"] = self._files
        data = _json_bytes(document)
        if self._stamp is None:
            self.folder.create(self.name, data)
        else:
            self.folder.replace(self.name, data, expected=self._stamp)
        # A delta left behind names the identity of the file just replaced:
        # it is ignored whether or not it can be removed.
        with contextlib.suppress(ClipdocError, OSError):
            self.folder.remove(self.delta_name)

    def _remove_leftovers(self) -> None:
        """Remove the temporary files of saves that were killed (an hour
        old or more, so that no save still under way loses its file)."""
        try:
            names = self.folder.names(FOLDER)
        except ClipdocError:
            return
        old = self._started_ns + RACY_MARGIN_NS - _LEFTOVER_AGE_NS
        for name in names:
            if name.startswith(".clipdoc-") and name.endswith(".tmp"):
                relative = f"{FOLDER}/{name}"
                with contextlib.suppress(ClipdocError, OSError):
                    if self.folder.stamp(relative).mtime_ns < old:
                        self.folder.remove(relative)

    def _forget(self, relative: str) -> None:
        if self._files.pop(relative, None) is not None:
            self._changes[relative] = None
            self._changed = True


def found_with_identities(
    folder: Folder, walk: Walk, cache: StatCache | None
) -> tuple[list[Found], list[Identity | None]]:
    """What ``walk`` finds below ``folder``, and the identity of each file
    when there is a ``cache`` to check facts against (`Tree`)."""
    if cache is None:
        found = list(walk())
        return found, [None] * len(found)
    tree = Tree(folder, walk, clock=False)
    return tree.found, tree.identities


def diagnostics_fact(diagnostics: Iterable[Diagnostic]) -> list[list[object]]:
    """``diagnostics`` as the stat cache keeps them (`diagnostic_of` gives
    each back), but for the walk's warnings about a name (CD509)."""
    return [
        [diagnostic.code, diagnostic.line, diagnostic.column, diagnostic.message]
        for diagnostic in diagnostics
        if diagnostic.code != "CD509"
    ]


def is_diagnostics_fact(fact: Fact) -> bool:
    """Whether a value from the stat cache is a `diagnostics_fact`."""
    return type(fact) is list and (
        not fact
        or all(
            type(item) is list
            and len(item) == 4
            and type(item[0]) is str  # a list would not even hash
            and item[0] in CODES
            and item[0] != "CD509"
            and (item[1] is None or (type(item[1]) is int and item[1] >= 1))
            and (item[2] is None or (type(item[2]) is int and item[2] >= 1))
            and type(item[3]) is str
            for item in fact
        )
    )


def with_kept(found: Found, fact: Fact) -> tuple[Diagnostic, ...]:
    """The diagnostics of a document as a `diagnostics_fact` kept them:
    the walk's warnings about its name first."""
    if not fact:
        return found.warnings  # most documents
    return (*found.warnings, *map(diagnostic_of, fact))


def diagnostic_of(item: list[Any]) -> Diagnostic:
    """A diagnostic as `diagnostics_fact` kept it."""
    code, line, column, message = item
    return Diagnostic(
        code=code, severity=CODES[code].severity, line=line, column=column, message=message
    )


_Read = TypeVar("_Read")


def cached_or_read(
    cache: StatCache | None,
    found: list[Found],
    identities: list[Identity | None],
    is_fact: Callable[[Fact], bool],
    read: Callable[[Iterator[Found]], Iterator[tuple[Stamp | None, Fact, _Read]]],
) -> Iterator[tuple[Found, Fact, _Read | None, bool]]:
    """The fact of each of ``found``, in order: from ``cache`` while the
    file has the identity it had when the fact was kept (``identities``,
    as a `Tree` took them), else read with ``read``, which gets the others
    in order and gives back, for each, the stamp it was read with (None
    when no fact of it may be kept), its fact and what else the reader
    made of it; each new fact is stored. With each: what the reader made
    (None for a fact from the cache), and whether the fact tells the file
    as it is now (a file changed after the walk saw it does not)."""
    looked = [
        MISSING if cache is None else cache.lookup(each.relative, is_fact, identity)
        for each, identity in zip(found, identities, strict=True)
    ]
    fresh = read(each for each, fact in zip(found, looked, strict=True) if fact is MISSING)
    for each, fact, identity in zip(found, looked, identities, strict=True):
        if fact is not MISSING:
            yield each, fact, None, True
            continue
        stamp, fact, made = next(fresh)
        kept = cache is None or _kept(cache, each, stamp, fact, identity)
        yield each, fact, made, kept


def _kept(
    cache: StatCache, found: Found, stamp: Stamp | None, fact: Fact, identity: Identity | None
) -> bool:
    """Store a fresh fact in ``cache``; whether the file's identity still
    tells its contents (a name the walk could not read has none to tell)."""
    if found.problem is not None:
        return True
    return (
        stamp is not None
        and cache.store(found.relative, stamp, fact)
        and identity_of(stamp) == identity
    )


class Delta(NamedTuple):
    """What a delta file amends its cache file with (a fact, or None for a
    document gone, by path), and the stamp the delta file was read with
    (None: there is none, or it does not amend this cache file)."""

    files: dict[str, list[Any] | None]
    stamp: Stamp | None


def _files_and_delta(
    folder: Folder, kind: str, data: bytes | None, stamp: Stamp | None, made_by: str
) -> tuple[dict[str, list[Any]] | None, Delta | None]:
    """The documents of the cache file of ``kind`` that holds ``data``
    (read with ``stamp``), amended by its delta file, and that delta."""
    files = _files_of(data, made_by) if data is not None else None
    if files is None or stamp is None:
        return files, None
    delta = _delta_of(_for_cache_files(folder), delta_name(kind), stamp, made_by)
    _amend(files, delta.files)
    return files, delta


def _delta_of(folder: Folder, name: str, amended: Stamp, made_by: str) -> Delta:
    """The delta file ``name`` of the cache file read with the stamp
    ``amended``; an empty delta when there is none, or when it amends
    another file or is damaged (its facts are read again). Its stamp is
    kept only when it can be read at all: a file in its place that cannot
    be (a link, a FIFO) raises its `ClipdocError`: the cache is left alone."""
    try:
        data, stamp = folder.read(name)
    except NotFoundError:
        if os.path.lexists(os.path.join(folder.path, *name.split("/"))):  # a link to nothing
            raise
        return Delta({}, None)
    except TooLargeError:  # as damaged: written anew, in a checked replacement
        return Delta({}, folder.stamp(name))
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):
        return Delta({}, stamp)
    if (
        not isinstance(document, dict)
        or document.get("format") != _DELTA_FORMAT
        or document.get("clipdoc") != made_by
        or document.get("amends") != identity_of(amended)
        or not isinstance(document.get("files"), dict)
    ):
        return Delta({}, stamp)
    files: dict[str, list[Any] | None] = document["files"]
    return Delta(files, stamp)


def _amend(files: dict[str, list[Any]], delta: dict[str, list[Any] | None]) -> None:
    for relative, held in delta.items():
        if held is None:
            files.pop(relative, None)
        else:
            files[relative] = held


class Tree:
    """What a walk found, with the identity of each file (None for a
    folder or name the walk could not read, and a file that is gone or not
    a regular file), and a digest of it all that names this state of the
    collection.

    A tree that may be remembered (``clock``) reads the file system's
    clock before the walk. It is ``settled`` while every file's identity
    is known to tell its contents: no file changed too recently (see the
    module's text) and every file read was still the one the walk saw.
    Only a settled tree's memo is kept. Such a tree takes what the walk
    finds from a memo of the last walk when no folder changed since."""

    def __init__(self, folder: Folder, walk: Walk, *, clock: bool) -> None:
        self.folder = folder
        # Read before any identity is taken: a change after that one gets a
        # ctime no identity taken before it has.
        self.started_ns, times_device = _clock(folder) if clock else (None, None)
        self._walked = _walked(folder, walk, self.started_ns, times_device)
        #: How many documents (and unreadable folders) the walk found.
        self.count = len(self._walked.relatives)
        unread = [
            index for index, each in enumerate(self._walked.found or ()) if each.problem is not None
        ]
        self._statuses = _file_statuses(folder.path, self._walked.relatives, unread)
        # What a document reads as depends on how it is read, too.
        options = (folder.follow_links, folder.size_limit)
        self.digest = _digest(self._statuses, options, self._walked.digest)
        known = [status for status in self._statuses if status is not None]
        self.settled = self.started_ns is not None and (
            not known or max(max(map(_MTIME, known)), max(map(_CTIME, known))) < self.started_ns
        )

    @functools.cached_property
    def found(self) -> list[Found]:
        """What the walk found, in path order."""
        if self._walked.found is not None:
            return self._walked.found
        if self._walked.warnings:
            return [self.found_at(index) for index in range(self.count)]
        # Made as the tuples they are: a hundredth of a second per 10,000.
        return [_new_found(Found, (relative, None, ())) for relative in self._walked.relatives]

    def found_at(self, index: int) -> Found:
        """What the walk found at ``index`` (in path order): made alone, as
        a query that takes its answer from a memo needs only a few."""
        if self._walked.found is not None:
            return self._walked.found[index]
        relative = self._walked.relatives[index]
        message = self._walked.warnings.get(relative)
        if message is None:
            return Found(relative)
        return Found(relative, warnings=(name_warning(message),))

    def warned(self) -> list[int]:
        """The index of each document the walk warned about (its name)."""
        if self._walked.found is not None:
            return [index for index, each in enumerate(self._walked.found) if each.warnings]
        warnings = self._walked.warnings
        if not warnings:
            return []
        return [
            index for index, relative in enumerate(self._walked.relatives) if relative in warnings
        ]

    @functools.cached_property
    def identities(self) -> list[Identity | None]:
        """The identity of each file found, as the cache keeps them; taken
        only when facts are looked up (not for a memo of the whole run)."""
        return [None if each is None else list(_IDENTITY(each)) for each in self._statuses]


_new_found = tuple.__new__


def changed_before(started_ns: int | None, mtime_ns: int, ctime_ns: int) -> bool:
    """Whether a file last changed at these times is older than the start
    of the run (None: not known), by the margin: its identity then tells
    it from any later change (see the module's text)."""
    return started_ns is not None and max(mtime_ns, ctime_ns) < started_ns


def _clock(folder: Folder) -> tuple[int | None, int | None]:
    """The start of the run for the racy rule, and the device of the cache
    folder if the file system was seen to change that folder's times when
    a file was made in it (else None; and on systems whose change time is
    a creation time). The start is None when the clock cannot be read (a
    cache folder that is a link, a read-only collection): then nothing is
    remembered."""
    try:
        before = folder.stamp(FOLDER)
    except ClipdocError:
        before = None
    try:
        now, after = _file_system_now(folder)
    except (ClipdocError, OSError):
        return None, None
    # A run that takes its answer from a memo writes nothing else: the
    # cache is kept out of Git here.
    with contextlib.suppress(ClipdocError, OSError):
        _keep_out_of_git(folder)
    changed = before is not None and (after.mtime_ns, after.ctime_ns) != (
        before.mtime_ns,
        before.ctime_ns,
    )
    return now - RACY_MARGIN_NS, after.device if changed and os.name == "posix" else None


# ---------------------------------------------------------------- walk memos
#
# A folder's mtime and ctime change whenever an entry is made, removed or
# renamed in it (POSIX asks it of every call that does), so a folder whose
# device, inode, mtime and ctime are those it had when it was listed still
# holds the same names: as Git's untracked cache does, a walk in which no
# folder changed is taken from a memo of the last one, with an ``lstat``
# per folder rather than a listing, a sort and a check of every name. The
# memo is kept only when the file system was seen to change a folder's
# times (a file made in the cache folder at the start of the run), every
# folder last changed before the run by the racy margin, no link was met
# (what a link gives depends on where it leads) and nothing was unreadable.

_WALK_FORMAT = "clipdoc walk memo"


def _walk_memo_name(walk: Walk) -> str:
    options = repr((walk.exclude, walk.include_index, walk.name_warnings)).encode()
    return f"{FOLDER}/walk-{hashlib.sha256(options).hexdigest()[:16]}.json"


class _Walked(NamedTuple):
    """What a walk found: the path of each document (or unreadable folder)
    in path order, the warnings about names by path, the `Found` of each
    when the walk itself ran (None: taken from its memo), and its
    `_walk_digest`."""

    relatives: list[str]
    warnings: dict[str, str]
    found: list[Found] | None
    digest: str


def _walked(
    folder: Folder, walk: Walk, started_ns: int | None, times_device: int | None
) -> _Walked:
    """What ``walk`` finds: from the memo of the last walk with the same
    options when no folder changed since, else from the walk itself
    (remembered when it may be: see above). A run without a clock (one
    that writes nothing) takes a memo as well: what makes it safe is the
    state of each folder, kept when the memo was."""
    name = _walk_memo_name(walk)
    recalled = _recall_walk(_for_cache_files(folder), name, walk)
    if recalled is not None:
        return recalled
    if started_ns is None:
        found = list(walk())
        return _Walked([each.relative for each in found], {}, found, _walk_digest(found))
    folders: list[FolderState | None] = []
    found = list(walk(folders))
    walk_digest = _walk_digest(found)
    # Every folder on the file system whose times were seen to move (and
    # whose clock the margin is read off), by a name the memo can hold.
    if times_device is not None and all(
        state is not None
        and state[1] == times_device
        and _is_utf8(state[0])
        and changed_before(started_ns, state[3], state[4])
        for state in folders
    ):
        _remember_walk(folder, name, found, folders, walk_digest)
    return _Walked([each.relative for each in found], {}, found, walk_digest)


def _recall_walk(folder: Folder, name: str, walk: Walk) -> _Walked | None:
    """What the walk remembered in ``name`` found, if no folder it listed
    changed since; None otherwise, and for a memo that is damaged, of
    another format or version, or names a path the walk would not give."""
    memo = _loaded(folder, name, _WALK_FORMAT)
    if memo is None:
        return None
    if (
        type(memo.get("folders")) is not list
        or type(memo.get("runs")) is not list
        or type(memo.get("warnings")) is not dict
        or not _is_sha256(memo.get("digest"))
    ):
        return None
    prefixes = _unchanged_folders(memo["folders"], walk)
    if prefixes is None:
        return None
    relatives = _relatives_of(memo["runs"], prefixes, walk)
    warnings = memo["warnings"]
    if relatives is None or not all(type(message) is str for message in warnings.values()):
        return None
    return _Walked(relatives, warnings, None, memo["digest"])


def _unchanged_folders(folders: list[Any], walk: Walk) -> set[str] | None:
    """The paths of ``folders`` (states a memo holds, the root's first,
    each folder after the one that holds it) when each folder is one the
    walk lists, on the root's device, still as it was, and that this
    process may list (another user's run may have kept the memo): an
    ``lstat`` and an ``access`` each (the root's link followed, as the walk
    follows it); else None."""
    prefixes: set[str] = set()
    for state in folders:
        if type(state) is not list or len(state) != 5 or type(state[0]) is not str:
            return None
        prefix = state[0]
        if (prefix == "") == bool(prefixes) or (
            prefix and not _is_folder_of(prefix, prefixes, walk)
        ):
            return None
        if not _is_as_it_was(state, folders[0][1], walk):
            return None
        prefixes.add(prefix)
    return prefixes or None  # not even the root: no walk gives that


def _is_as_it_was(state: list[Any], device: object, walk: Walk) -> bool:
    """Whether the folder of ``state`` (a memo's) still has that state, on
    the root's ``device``, and this process may list it."""
    prefix = state[0]
    path = os.path.join(walk.root, prefix[:-1]) if prefix else walk.root
    try:
        status = os.lstat(path) if prefix else os.stat(path)
    except (OSError, ValueError):
        return False
    now = [prefix, status.st_dev, status.st_ino, status.st_mtime_ns, status.st_ctime_ns]
    return (
        now == state
        and stat.S_ISDIR(status.st_mode)
        and now[1] == device
        and may_read(path, listing=True)
    )


#: Whether `os.access` can ask as the effective user (the walk lists as it).
_EFFECTIVE_IDS = os.access in os.supports_effective_ids


def may_read(path: str, *, listing: bool = False) -> bool:
    """Whether this process may read the file at ``path`` (or list the
    folder, ``listing``): a memo kept by another user's run must not answer
    for what this user cannot read."""
    mode = os.R_OK | os.X_OK if listing else os.R_OK
    return os.access(path, mode, effective_ids=_EFFECTIVE_IDS)


def _is_folder_of(prefix: str, prefixes: set[str], walk: Walk) -> bool:
    """Whether a walk memo's folder ``prefix`` (ending in ``/``) is one the
    walk lists: below a folder already listed, by a name that cannot lead
    out of it, neither hidden nor excluded."""
    parent, _, name = prefix[:-1].rpartition("/")
    return (
        prefix.endswith("/")
        and (parent + "/" if parent else "") in prefixes
        and _names(name) is not None
        and not skips_folder(prefix[:-1], walk.exclude)
    )


#: File names a walk memo cannot hold: they could lead out of their folder.
_NOT_NAMES = frozenset({"", ".", ".."})
#: What no file name a walk gives holds: a NUL, and where the system takes
#: them for separators, a backslash and a colon.
_NOT_IN_NAMES = ("\0",) if os.sep == "/" and not os.altsep else ("\0", "\\", ":")


def _names(joined: str) -> list[str] | None:
    """The file names ``joined`` by ``/``, if each is one a walk gives:
    none empty, ``.`` or ``..``, none with a NUL (or a separator of the
    system), all of them UTF-8; else None."""
    names = joined.split("/")
    if not _may_be_names(joined) or not _NOT_NAMES.isdisjoint(names):
        return None
    return names


def _relatives_of(runs: list[Any], prefixes: set[str], walk: Walk) -> list[str] | None:
    """The path of each file of a walk memo's ``runs`` (a folder's path and
    the names of the files found one after the other in it, joined by
    ``/``, which no name holds), if each is a document the walk keeps in a
    folder the memo listed."""
    relatives: list[str] = []
    for run in runs:
        in_run = _relatives_in_run(run, prefixes, walk)
        if in_run is None:
            return None
        relatives.extend(in_run)
    return relatives


def _relatives_in_run(run: Any, prefixes: set[str], walk: Walk) -> list[str] | None:
    """The paths of a walk memo's run, if each is a document the walk
    keeps in a folder the memo listed (see `_relatives_of`)."""
    if type(run) is not list or len(run) != 2 or type(run[0]) is not str:
        return None
    prefix: str = run[0]
    joined: str = run[1]
    if prefix not in prefixes or type(joined) is not str or not _may_be_names(joined):
        return None
    if walk.exclude or (not prefix and not walk.include_index):
        names = joined.split("/")
        if not all(
            keeps_document(prefix + name, walk.exclude, walk.include_index) for name in names
        ):
            return None
        return [prefix + name for name in names]
    # Every name a document's (so none is empty, "." or ".."): each ends in
    # ".md", and no name holds a "/".
    if (joined + "/").count(".md/") != joined.count("/") + 1:
        return None
    # Each name with the folder's path before it, in two passes over the
    # text (a NUL is in no name: checked above).
    return (prefix + joined.replace("/", "\0" + prefix)).split("\0")


def _may_be_names(joined: str) -> bool:
    """Whether ``joined`` holds nothing no file name a walk gives holds: a
    NUL (or a separator of the system) or what is not UTF-8."""
    return not any(character in joined for character in _NOT_IN_NAMES) and (
        joined.isascii() or _is_utf8(joined)
    )


def _remember_walk(
    folder: Folder,
    name: str,
    found: list[Found],
    folders: list[FolderState | None],
    walk_digest: str,
) -> None:
    """Keep what a walk found, and its digest, with the state of the
    folders it listed."""
    runs: list[tuple[str, list[str]]] = []
    warnings: dict[str, str] = {}
    for each in found:
        if each.problem is not None or len(each.warnings) > 1:
            return
        if each.warnings:
            warnings[each.relative] = each.warnings[0].message
        prefix, slash, file_name = each.relative.rpartition("/")
        prefix += slash
        if not runs or runs[-1][0] != prefix:
            runs.append((prefix, []))
        runs[-1][1].append(file_name)
    memo: dict[str, Any] = {"format": _WALK_FORMAT, "clipdoc": maker()}
    joined = [(prefix, "/".join(names)) for prefix, names in runs]
    memo.update(folders=folders, runs=joined, warnings=warnings, digest=walk_digest)
    _put(_for_cache_files(folder), name, _json_bytes(memo))


def _put(folder: Folder, name: str, data: bytes) -> None:
    """Write a memo, unless another run wrote one meanwhile or none can be
    written."""
    with contextlib.suppress(ClipdocError, OSError):
        try:
            stamp = folder.stamp(name)  # not read: a walk's memo is megabytes
        except NotFoundError:
            folder.create(name, data)
        else:
            folder.replace(name, data, expected=stamp)


def _digest(
    statuses: list[os.stat_result | None], options: tuple[object, ...], walk_digest: str
) -> str:
    """A digest of what a walk found (``walk_digest``: see `_walk_digest`)
    with each file's identity (from its ``lstat``), read with ``options``."""
    digest = hashlib.sha256(repr(options).encode("ascii"))
    digest.update(walk_digest.encode("ascii"))
    # Packed, as the digest is taken on every run: each part of every
    # identity in one pass when every file has one. As text when a number
    # does not fit in 64 bits (an inode of some network file systems).
    try:
        if None in statuses:
            numbers = [n for each in statuses for n in (_IDENTITY(each) if each else _NO_IDENTITY)]
            packed = b"rows" + struct.pack(f"{len(numbers)}q", *numbers)
        else:
            count = f"{len(statuses)}q"
            columns = [struct.pack(count, *map(part, statuses)) for part in _IDENTITY_PARTS]
            packed = b"columns" + b"".join(columns)
    except struct.error:
        shown = [_IDENTITY(each) if each else None for each in statuses]
        packed = repr(shown).encode("ascii")
    digest.update(packed)
    return digest.hexdigest()


def _walk_digest(found: list[Found]) -> str:
    """A digest of what a walk found: every path, and each problem and
    warning (kept in the walk's memo, which holds what it is taken of)."""
    digest = hashlib.sha256()
    unread = [
        f"{index}\0{each.problem}\0{each.warnings}"
        for index, each in enumerate(found)
        if each.problem is not None or each.warnings
    ]
    for text in ("\0".join(map(_RELATIVE, found)), "\n".join(unread)):
        digest.update(text.encode("utf-8", "surrogateescape"))
        digest.update(b"\xff")  # never in UTF-8: the parts cannot run into each other
    return digest.hexdigest()


_NO_IDENTITY = (-1, -1, -1, -1, -1)


def file_identity(root: str, relative: str) -> Identity | None:
    """The identity of the regular file at ``relative`` below the folder
    ``root`` (a link is not followed); None for anything else."""
    status = _file_statuses(root, [relative], [])[0]
    return None if status is None else list(_IDENTITY(status))


_IDENTITY_FIELDS = ("st_dev", "st_ino", "st_size", "st_mtime_ns", "st_ctime_ns")
_IDENTITY = operator.attrgetter(*_IDENTITY_FIELDS)
#: Each part of an identity, to be taken of every file in one pass.
_IDENTITY_PARTS = [operator.attrgetter(name) for name in _IDENTITY_FIELDS]
_MODE, _MTIME, _CTIME = (
    operator.attrgetter(f"st_{name}") for name in ("mode", "mtime_ns", "ctime_ns")
)
_RELATIVE = operator.itemgetter(0)


def _file_statuses(
    root: str, relatives: list[str], unread: list[int]
) -> list[os.stat_result | None]:
    """The ``lstat`` of each regular file at ``relatives`` (None for one at
    an index in ``unread``, a file gone and anything else): all in one call
    of `map` while every file is there, as a second run of an unchanged
    collection is little else."""
    prefix = root + "/"
    statuses: list[os.stat_result | None]
    try:
        if unread:
            raise FileNotFoundError
        statuses = list(map(os.lstat, [prefix + relative for relative in relatives]))
    except (OSError, ValueError):  # a file gone, a name the system cannot take
        skipped = set(unread)
        statuses = [
            None if index in skipped else _lstat_or_none(prefix + relative)
            for index, relative in enumerate(relatives)
        ]
    if None in statuses or not all(map(stat.S_ISREG, map(_MODE, statuses))):
        statuses = [s if s is not None and stat.S_ISREG(s.st_mode) else None for s in statuses]
    return statuses


def _lstat_or_none(path: str) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except (OSError, ValueError):
        return None


def identity_of(stamp: Stamp) -> Identity:
    """The identity of the file read with ``stamp``."""
    return [stamp.device, stamp.inode, stamp.size, stamp.mtime_ns, stamp.ctime_ns]


def recall(folder: Folder, kind: str, tree: Tree) -> Fact:
    """The memo of ``kind`` kept for the state ``tree`` names; `MISSING`
    when there is none (or it is of another state, format or version)."""
    memo = _loaded(_for_cache_files(folder), _memo_name(kind), _MEMO_FORMAT)
    if memo is None or memo.get("tree") != tree.digest or "value" not in memo:
        return MISSING
    return memo["value"]


def remember(tree: Tree, kind: str, value: Fact) -> None:
    """Keep ``value`` as the memo of ``kind`` for the state ``tree``
    names, if the tree is settled; else forget any memo of ``kind`` (a
    state it names may come back, changed in a way it cannot see)."""
    if tree.started_ns is None:
        return  # a run that writes nothing
    folder, name = _for_cache_files(tree.folder), _memo_name(kind)
    with contextlib.suppress(ClipdocError, OSError):
        if not tree.settled:
            with contextlib.suppress(NotFoundError):
                folder.remove(name)
            return
        memo = {"format": _MEMO_FORMAT, "clipdoc": maker(), "tree": tree.digest}
        memo["value"] = value
        _put(folder, name, _json_bytes(memo))


def _keep_out_of_git(folder: Folder) -> None:
    """Put ``.clipdoc/.gitignore`` back if it is missing or was changed."""
    try:
        held, stamp = folder.read(_IGNORE)
    except NotFoundError:
        with contextlib.suppress(ExistsError):
            folder.create(_IGNORE, _IGNORE_TEXT)
        return
    if held != _IGNORE_TEXT:
        folder.replace(_IGNORE, _IGNORE_TEXT, expected=stamp)


def _is_sha256(text: object) -> bool:
    return type(text) is str and len(text) == 64 and all(c in "0123456789abcdef" for c in text)


def _loaded(folder: Folder, name: str, kind: str) -> dict[str, Any] | None:
    """The memo in the file ``name`` of the cache folder, if it is one of
    ``kind`` written by this clipdoc version; None for any other file."""
    try:
        data, _ = folder.read(name)
        memo = json.loads(data)
    except (ClipdocError, ValueError, RecursionError):
        return None
    if not isinstance(memo, dict) or memo.get("format") != kind or memo.get("clipdoc") != maker():
        return None
    return memo


def _memo_name(kind: str) -> str:
    return f"{FOLDER}/memo-{kind}.json"


def _json_bytes(document: dict[str, Any]) -> bytes:
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate in a fact: JSON escapes it
        return json.dumps(document, separators=(",", ":")).encode("ascii")


def _files_of(data: bytes, made_by: str) -> dict[str, list[Any]] | None:
    """The documents of a cache file; None for one that is empty, damaged,
    of another format or made otherwise than ``made_by`` says (another
    clipdoc, whose facts may be taken differently)."""
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):
        return None
    if (
        not isinstance(document, dict)
        or document.get("format") != _FORMAT
        or document.get("version") != _VERSION
        or document.get("clipdoc") != made_by
        or not isinstance(document.get("files"), dict)
    ):
        return None
    files: dict[str, list[Any]] = document["files"]
    return files


def _for_cache_files(folder: Folder) -> Folder:
    """``folder``, reading files up to the default size limit at least (a
    limit set for documents does not make a cache file damaged), and never
    through a link out of the collection (`follow_links` is for documents)."""
    if folder.size_limit >= SIZE_LIMIT and not folder.follow_links:
        return folder
    own = copy.copy(folder)
    own.size_limit = max(folder.size_limit, SIZE_LIMIT)
    own.follow_links = False
    return own


def has_cache(folder: Folder) -> bool:
    """Whether the collection keeps a cache (of any kind)."""
    try:
        return any(name.startswith("stat-cache-") for name in folder.names(FOLDER))
    except ClipdocError:
        return False


def _stamp_or_none(folder: Folder, relative: str) -> Stamp | None:
    try:
        return folder.stamp(relative)
    except ClipdocError:
        return None


def _is_utf8(relative: str) -> bool:
    """Whether a path can be kept in a cache file (UTF-8 JSON): not one of
    a name that is not UTF-8, read with Python's surrogate escapes."""
    try:
        relative.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _file_system_now(folder: Folder) -> tuple[int, Stamp]:
    """The time the file system gives a file changed now, in nanoseconds
    (the earlier of it and this computer's clock), and the stamp of the
    cache folder once the file was made in it."""
    before = time.time_ns()
    staged = folder.stage(f"{FOLDER}/clock", b"")
    try:
        written, folder_stamp = staged.written_ns(), staged.folder_stamp()
    finally:
        staged.discard()
    return min(before, written), folder_stamp
