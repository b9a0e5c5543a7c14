"""Every file clipdoc reads or writes.

A `Folder` is a folder a user named (a collection's root, a conversion's
destination); every read and write below it goes through it, and none
leaves it:

* **Reading** takes regular files only: a FIFO, socket or device is
  reported (CD505) and never read, so nothing hangs; a file larger than
  the size limit is reported (CD506) and not read whole. A symbolic link is
  followed only when its target lies inside the folder, unless the folder
  was opened with ``follow_links=True``; one that leads out is reported
  (CD503). Folders on the way are opened one at a time, without following
  links, so that a folder swapped for a link while clipdoc works cannot
  lead it out either.
* **Writing** never follows a link (CD503), at the file or on the way to
  it. A new file is written to a temporary file beside it and published
  under its name with a hard link, which fails if the name exists: of two
  writers of one name, exactly one succeeds, and the other learns it
  (`ExistsError`). A replacement is published with a rename, after
  checking that the file is still the one that was read (its `Stamp`);
  otherwise it is refused (CD507) and the other writer's change is kept.
  Readers see the old file or the new one, never a mix.
* **Durability**: a single write is made durable before it returns (the
  temporary file is synced before it is published, the folder after). A
  `Batch` makes many writes durable together: it writes the temporary
  files of up to a few hundred files, syncs the file system once, then
  publishes them, and syncs once more when it closes. A crash at any
  moment leaves every file of a batch either as it was or as written,
  never torn; what the batch had published before the crash may be lost
  (the file is then as it was), what it returned from `Batch.close` is
  durable.

Failures are `ClipdocError` subclasses that also derive from the fitting
`OSError` and carry the user's path.
"""

from __future__ import annotations

import contextlib
import copy
import errno
import functools
import itertools
import os
import re
import stat
import sys
import threading
from collections.abc import Callable, Iterator
from typing import BinaryIO

import attrs

from .._core.errors import (
    ChangedError,
    ExistsError,
    NotAFileError,
    NotFoundError,
    PathError,
    TooLargeError,
    UnsafePathError,
    path_error,
)

#: The largest file a folder reads, by default: far beyond any clipping
#: written by hand or by a feed, small enough that a runaway file (a log, a
#: disk image named ``.md``) cannot exhaust memory.
SIZE_LIMIT = 256 * 2**20
#: The most bytes of a file name on common file systems (ext4, APFS, NTFS).
NAME_LIMIT = 255
#: How many files, how many bytes and how many folders a batch writes
#: before it syncs. A staged file holds no descriptor of its own, and the
#: files of a folder share one, so only folders count towards the limit
#: of open files.
BATCH_FILES = 4096
BATCH_BYTES = 64 * 2**20
BATCH_FOLDERS = 64


@functools.cache
def _batch_folders() -> int:
    """`BATCH_FOLDERS`, or fewer where the process may open few files: a
    quarter of the limit, the rest left to the program."""
    try:
        import resource
    except ImportError:  # Windows: no such limit to mind
        return BATCH_FOLDERS
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return BATCH_FOLDERS
    return max(1, min(BATCH_FOLDERS, soft // 4))


_READ = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)
_FOLDER = _READ | getattr(os, "O_DIRECTORY", 0) | _NO_FOLLOW
# A FIFO opened without O_NONBLOCK waits for a writer.
_FILE = _READ | getattr(os, "O_NONBLOCK", 0) | _NO_FOLLOW
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | _NO_FOLLOW
# What opening a link with O_NOFOLLOW answers (ELOOP; EMLINK on FreeBSD,
# ENOTDIR for a link to a folder on some systems).
_IS_LINK = frozenset({errno.ELOOP, errno.EMLINK, errno.ENOTDIR})
# What reading a link that leads nowhere says, by the error of its target.
_BROKEN_LINK = {
    errno.ENOENT: "cannot read: a symbolic link to nothing (No such file or directory)",
    errno.ELOOP: "cannot read: a loop of symbolic links (each leads on to another)",
}
# What os.link answers where a file system has no hard links.
_NO_HARD_LINKS = frozenset(
    {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS, errno.EXDEV, errno.EMLINK}
)


@attrs.frozen
class Stamp:
    """What identifies the contents of a file that was read: a replacement
    is published only while the file still has the same stamp."""

    device: int
    inode: int
    size: int
    mtime_ns: int
    ctime_ns: int

    @classmethod
    def of(cls, status: os.stat_result) -> Stamp:
        return cls(
            status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns
        )


def _folder_identity(path: str) -> tuple[int, int] | None:
    """The device and inode of the folder at ``path`` (where its link
    leads); None when it cannot be looked at (reading it says why)."""
    try:
        status = os.stat(path)
    except (OSError, ValueError):
        return None
    return status.st_dev, status.st_ino


def check_relative(relative: str) -> list[str]:
    """The parts of a ``/``-separated relative path from a user or a record,
    or an `UnsafePathError` when it could leave its folder."""
    if not isinstance(relative, str):
        raise TypeError(f"a path is a str, not {type(relative).__name__}")
    problem = None
    if not relative:
        problem = "the path is empty"
    elif "\x00" in relative or "\\" in relative:
        problem = "it contains a NUL or a backslash"
    elif relative.startswith("/") or (len(relative) > 1 and relative[1] == ":"):
        problem = "it is absolute; paths must be relative to the folder"
    parts = relative.split("/")
    if problem is None and any(part in ("", ".", "..") for part in parts):
        problem = "it has an empty, '.' or '..' part; it could leave the folder"
    if problem is not None:
        raise UnsafePathError(f"{relative!r}: {problem}", path=relative)
    return parts


def name_fits(name: str) -> bool:
    """Whether a file name fits the file system's limit."""
    return len(os.fsencode(name)) <= NAME_LIMIT


class Folder:
    """A folder a user named, and the one door to every file below it.

    ``follow_links`` lets reading follow links that lead out of the folder
    (never writing); ``size_limit`` is the largest file read, in bytes.
    Errors name files by their path below the folder's (``relative_names``)
    or joined to it, as the user named it. Instances can be sent to worker
    processes.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        follow_links: bool = False,
        size_limit: int = SIZE_LIMIT,
        relative_names: bool = False,
        larger_files: str = "Collection(size_limit=...) reads larger files",
        pin_root: bool = False,
    ) -> None:
        self.path = os.fspath(path)
        #: With ``pin_root``, the device and inode the folder has now: one
        #: found at the path later with another (swapped for a link, say)
        #: is neither read nor written. None: not pinned, or not there.
        self.root_identity = _folder_identity(self.path) if pin_root else None
        #: What a user can do about a file over the size limit.
        self.larger_files = larger_files
        self.real = os.path.realpath(self.path)
        self.follow_links = follow_links
        self.size_limit = size_limit
        self.relative_names = relative_names
        # The folder `reading_in_order` keeps open, per thread; and the one
        # of the block this copy reads in, whichever thread asks (a copy is
        # sent to worker processes from a thread of the pool's).
        self._held = threading.local()
        self._block: _HeldFolder | None = None

    def __repr__(self) -> str:
        return f"Folder({self.path!r})"

    def __copy__(self) -> Folder:
        # A copy in this process holds no folder open (see __getstate__).
        twin = object.__new__(type(self))
        twin.__dict__.update(self.__dict__)
        twin._held = threading.local()
        twin._block = None
        return twin

    def __getstate__(self) -> dict[str, object]:
        # Sent to a worker process without the folders this process holds;
        # a copy that reads in order says which block it reads in.
        state = dict(self.__dict__)
        del state["_held"]
        held = self._block
        state["_block"] = held.block if held is not None and not held.closed else None
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        block = state.pop("_block", None)
        self.__dict__.update(state)
        self._held = threading.local()
        self._block = None
        if isinstance(block, tuple):
            self._held.folder = self._block = _held_in_this_process(block)

    @contextlib.contextmanager
    def reading_in_order(self) -> Iterator[Folder]:
        """A copy of this folder whose reads (in this thread) keep the
        folder of the last file read open, so that the files of one folder,
        read one after another, open it once rather than the whole path
        each time. A folder renamed meanwhile is read where it went, as an
        open file is; reads through this folder itself, and every write,
        look the path up afresh."""
        reader = copy.copy(self)
        held = _HeldFolder((os.getpid(), next(_BLOCKS)))
        reader._held.folder = reader._block = held
        try:
            yield reader
        finally:
            held.close()

    def full(self, relative: str) -> str:
        """The path errors name a file by: ``relative`` itself, or the
        folder's path joined with it."""
        if self.relative_names:
            return relative
        return os.path.join(self.path, *relative.split("/"))

    # ------------------------------------------------------------- reading

    def read(self, relative: str) -> tuple[bytes, Stamp]:
        """The bytes of the regular file at ``relative``, and its stamp.

        Raises `UnsafePathError` (CD503) for a link that leads out,
        `NotAFileError` (CD505) for anything but a regular file,
        `TooLargeError` (CD506) above the size limit and `PathError` (CD504)
        for any other failure, each naming the file.
        """
        descriptor = self._open_to_read(relative)
        try:
            return self._read_open(descriptor, relative)
        finally:
            os.close(descriptor)

    def read_head(self, relative: str, size: int) -> bytes:
        """At most the first ``size`` bytes of the regular file at
        ``relative``, whatever its size (the size limit is for whole
        files), with the errors of `read`."""
        descriptor = self._open_to_read(relative)
        try:
            self._regular(descriptor, relative)
            return _read_up_to(descriptor, size)
        except OSError as exc:
            raise self._failure(exc, relative, "read") from None
        finally:
            os.close(descriptor)

    def _open_to_read(self, relative: str) -> int:
        parts = check_relative(relative)
        try:
            with self._parent(parts, relative, writing=False) as parent:
                return self._open_file(parent, parts, relative)
        except NotFoundError:
            # The folder held open may have been replaced by a new one of
            # the same name since: look the path up afresh.
            if not self._let_go():
                raise
            with self._parent(parts, relative, writing=False) as parent:
                return self._open_file(parent, parts, relative)

    def _let_go(self) -> bool:
        """Close the folder `reading_in_order` holds, if any; whether it did."""
        held: _HeldFolder | None = getattr(self._held, "folder", None)
        if held is None or held.descriptor < 0:
            return False
        held.close_descriptor()
        return True

    def _open_file(self, parent: int, parts: list[str], relative: str) -> int:
        try:
            return os.open(parts[-1], _FILE, dir_fd=parent)
        except OSError as exc:
            if exc.errno not in _IS_LINK:
                raise self._failure(exc, relative, "read") from None
        target = self._link_target(parts, relative)
        try:
            descriptor = os.open(target, _READ | getattr(os, "O_NONBLOCK", 0))
        except OSError as exc:
            raise self._failure(exc, relative, "read") from None
        return self._still_inside(descriptor, parts, relative)

    def _regular(self, descriptor: int, relative: str) -> os.stat_result:
        """The status of an open file; `NotAFileError` unless it is a
        regular file."""
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise NotAFileError(
                f"{_kind(status.st_mode)}, not a regular file; not read",
                path=self.full(relative),
            )
        return status

    def _read_open(self, descriptor: int, relative: str) -> tuple[bytes, Stamp]:
        status = self._regular(descriptor, relative)
        if status.st_size > self.size_limit:
            raise self._too_large(relative)
        try:
            # Read until the end, however the size changes meanwhile.
            data = _read_up_to(descriptor, self.size_limit + 1)
        except OSError as exc:
            raise self._failure(exc, relative, "read") from None
        if len(data) > self.size_limit:
            raise self._too_large(relative)
        return data, Stamp.of(status)

    def _too_large(self, relative: str) -> TooLargeError:
        return TooLargeError(
            f"larger than {self.size_limit:,} bytes; not read ({self.larger_files})",
            path=self.full(relative),
        )

    def _still_inside(self, descriptor: int, parts: list[str], relative: str) -> int:
        """``descriptor``, opened through the link at ``parts``, if what it
        opened is still inside the folder (unless reading may follow links
        out): a link on the way may have been changed between the check of
        where it leads and the open."""
        if self.follow_links:
            return descriptor
        path = _opened_path(descriptor)
        try:
            if path is not None:
                inside = _inside(self.real, path)
            else:  # no /proc: where the link leads now must be what was opened
                opened, now = os.fstat(descriptor), os.stat(self._link_target(parts, relative))
                inside = (now.st_dev, now.st_ino) == (opened.st_dev, opened.st_ino)
        except OSError:  # PathError too
            inside = False
        if not inside:
            os.close(descriptor)
            raise UnsafePathError(
                f"a symbolic link that leads out of {self.path}; not read",
                path=self.full(relative),
            )
        return descriptor

    def _link_target(self, parts: list[str], relative: str) -> str:
        """Where the link at ``parts`` leads, if reading may follow it."""
        lexical = os.path.join(self.real, *parts)
        try:
            target = os.path.realpath(lexical)
        except OSError as exc:  # a loop, or a path that changed meanwhile
            raise self._failure(exc, relative, "read") from None
        try:
            os.stat(target)
        except OSError as exc:
            # realpath leaves a loop as it is: the error tells a loop from
            # a link to nothing.
            raise path_error(
                "CD504",
                _BROKEN_LINK.get(exc.errno or 0, f"cannot read: {exc.strerror or exc}"),
                path=self.full(relative),
                errno=exc.errno,
            ) from None
        if self.follow_links or _inside(self.real, target):
            return target
        raise UnsafePathError(
            f"a symbolic link that leads out of {self.path}; not read",
            path=self.full(relative),
        )

    def names(self, relative: str) -> list[str]:
        """The names in the folder at ``relative`` ("" for the folder
        itself), sorted."""
        parts = check_relative(relative + "/x") if relative else ["x"]
        with self._parent(parts, relative, writing=False) as parent:
            try:
                return sorted(os.listdir(parent))
            except OSError as exc:
                raise self._failure(exc, relative, "read") from None

    def stamp(self, relative: str) -> Stamp:
        """The stamp of the file at ``relative`` itself (a link is not
        followed), without reading it."""
        parts = check_relative(relative)
        with self._parent(parts, relative, writing=False) as parent:
            try:
                return Stamp.of(os.stat(parts[-1], dir_fd=parent, follow_symlinks=False))
            except OSError as exc:
                raise self._failure(exc, relative, "read") from None

    # ------------------------------------------------------------- writing

    def remove(self, relative: str) -> None:
        """Remove the file at ``relative`` (a link itself, never its target)."""
        parts = check_relative(relative)
        with self._parent(parts, relative, writing=True) as parent:
            try:
                os.unlink(parts[-1], dir_fd=parent)
            except OSError as exc:
                raise self._failure(exc, relative, "write") from None

    def create(self, relative: str, data: bytes, *, executable: bool = False) -> None:
        """Write a new file at ``relative``, durably; `ExistsError` (CD502)
        when the name is taken, even by a writer that got there first."""
        staged = self.stage(relative, data)
        try:
            if executable:
                staged.make_executable()
            staged.sync()
            staged.publish_new(relative)
        finally:
            staged.discard()
        self.sync_folder(relative)

    def replace(
        self, relative: str, data: bytes, *, expected: Stamp, executable: bool = False
    ) -> None:
        """Replace the file at ``relative``, durably, if it is still the one
        read with ``expected``; else `ChangedError` (CD507)."""
        staged = self.stage(relative, data)
        try:
            if executable:
                staged.make_executable()
            staged.sync()
            staged.publish_replacing(relative, expected)
        finally:
            staged.discard()
        self.sync_folder(relative)

    def stage(
        self,
        relative: str,
        data: bytes,
        *,
        into: list[Staged] | None = None,
        parent: SharedFolder | None = None,
    ) -> Staged:
        """``data`` in a new temporary file in the folder of ``relative``
        (created, with the folders on the way, as needed): not yet synced,
        not yet published. ``into`` gets it before anything is written, so
        that whoever keeps that list can discard it whatever happens;
        ``parent``, that folder already open and shared by the files staged
        in it, saves opening it again (and a descriptor per file)."""
        parts = check_relative(relative)
        if not name_fits(parts[-1]):
            raise PathError(
                "CD508",
                f"the file name is longer than {NAME_LIMIT} bytes; shorten it",
                path=self.full(relative),
            )
        folder = (
            parent.take() if parent is not None else SharedFolder(self.open_folder_of(relative))
        )
        staged = Staged(self, folder, relative)
        if into is not None:
            into.append(staged)
        try:
            staged.write(data)
        except BaseException:
            staged.discard()
            raise
        return staged

    def open_folder_of(self, relative: str) -> int:
        """The folder that holds ``relative``, open (created as needed, never
        through a link); the caller closes it."""
        parts = check_relative(relative)
        with self._parent(parts, relative, writing=True) as parent:
            return os.dup(parent)

    def sync_folder(self, relative: str) -> None:
        """Make the entries of the folder that holds ``relative`` durable."""
        parts = check_relative(relative)
        with contextlib.suppress(OSError), self._parent(parts, relative, writing=True) as parent:
            os.fsync(parent)

    def batch(self) -> Batch:
        """Writes made durable together; see `Batch`."""
        return Batch(self)

    # ------------------------------------------------------------- folders

    @contextlib.contextmanager
    def _parent(self, parts: list[str], relative: str, *, writing: bool) -> Iterator[int]:
        """The folder that holds ``parts[-1]``, opened without following
        links (links inside the folder are followed for reading)."""
        held: _HeldFolder | None = None if writing else getattr(self._held, "folder", None)
        if held is not None and not held.closed:
            below = "/".join(parts[:-1])
            if held.below == below:
                yield held.descriptor
                return
            held.keep(below, self._open_parent(parts, relative, writing=False))
            yield held.descriptor
            return
        descriptor = self._open_parent(parts, relative, writing=writing)
        try:
            yield descriptor
        finally:
            os.close(descriptor)

    def _open_parent(self, parts: list[str], relative: str, *, writing: bool) -> int:
        try:
            descriptor = os.open(self.path, _READ | getattr(os, "O_DIRECTORY", 0))
        except OSError as exc:
            raise self._failure(exc, "", "open") from None
        if self.root_identity is not None:
            status = os.fstat(descriptor)
            if (status.st_dev, status.st_ino) != self.root_identity:
                os.close(descriptor)
                raise UnsafePathError(
                    f"{self.path} is not the folder it was when named (replaced, by a link"
                    " perhaps); nothing is read or written there",
                    path=self.full(relative),
                )
        for depth, part in enumerate(parts[:-1]):
            # _step closes the folder it is given, whatever happens.
            descriptor = self._step(descriptor, part, parts[: depth + 1], relative, writing)
        return descriptor

    def _step(self, parent: int, part: str, so_far: list[str], relative: str, writing: bool) -> int:
        """Open the folder ``part`` of ``parent`` (closing ``parent``)."""
        try:
            try:
                return os.open(part, _FOLDER, dir_fd=parent)
            except FileNotFoundError:
                if not writing:
                    raise
                with contextlib.suppress(FileExistsError):
                    os.mkdir(part, 0o777, dir_fd=parent)
                return os.open(part, _FOLDER, dir_fd=parent)
            except OSError as exc:
                if exc.errno not in _IS_LINK:
                    raise
                if writing:
                    raise UnsafePathError(
                        f"{'/'.join(so_far)} is a symbolic link;"
                        " clipdoc does not write through links",
                        path=self.full(relative),
                    ) from None
                target = self._link_target(so_far, relative)
                return self._still_inside(os.open(target, _READ | os.O_DIRECTORY), so_far, relative)
        except OSError as exc:
            raise self._failure(exc, relative, "write" if writing else "read") from None
        finally:
            os.close(parent)

    def _failure(self, exc: OSError, relative: str, action: str) -> PathError:
        if isinstance(exc, PathError):
            return exc
        where = self.full(relative) if relative else self.path
        code = "CD508" if action == "write" else "CD504"
        return path_error(
            code, f"cannot {action}: {exc.strerror or exc}", path=where, errno=exc.errno
        )


def write_fully(descriptor: int, data: bytes) -> None:
    """Write all of ``data`` to the open file (`os.write` may write part)."""
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]


def _read_up_to(descriptor: int, size: int) -> bytes:
    """What an open file holds from where it is read, up to ``size`` bytes
    (a piece at a time: no buffer of the whole size is asked for)."""
    chunks: list[bytes] = []
    left = size
    while left > 0 and (chunk := os.read(descriptor, min(left, 1 << 20))):
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


class _HeldFolder:
    """The folder `Folder.reading_in_order` keeps open: the path below the
    root of the last one read from, and its open descriptor (-1 once the
    block ended); ``block`` tells the block of reads it serves from others,
    in every process."""

    def __init__(self, block: tuple[int, int]) -> None:
        self.block = block
        self.below: str | None = None
        self.descriptor = -1
        self.closed = False

    def keep(self, below: str, descriptor: int) -> None:
        self.close_descriptor()
        self.below, self.descriptor = below, descriptor

    def close_descriptor(self) -> None:
        # Forgotten before it is closed: an interruption between the two
        # must not leave a number to close twice.
        descriptor, self.descriptor, self.below = self.descriptor, -1, None
        if descriptor >= 0:
            os.close(descriptor)

    def close(self) -> None:
        self.closed = True
        self.close_descriptor()


#: Numbers the blocks of `Folder.reading_in_order` of this process.
_BLOCKS = itertools.count()
#: The held folder of the last block a copy was sent to this (worker)
#: process from: one at a time.
_HELD_HERE: list[_HeldFolder] = []


def _held_in_this_process(block: tuple[int, int]) -> _HeldFolder | None:
    """The held folder of a reader sent to this worker process by a block
    of reads in order (its sending process and number): the batches of one
    block share it, so that a worker opens each folder once per run of its
    files, as the sending process does, not the whole path for every file.
    A copy of another block lets the last one's go (a worker holds one
    folder open, never one held since an earlier block, as the sending
    process never does); a copy made in the sending process itself (a deep
    copy, say) holds none."""
    if block[0] == os.getpid():
        return None
    if _HELD_HERE and _HELD_HERE[0].block == block:
        return _HELD_HERE[0]
    while _HELD_HERE:
        _HELD_HERE.pop().close()
    _HELD_HERE.append(_HeldFolder(block))
    return _HELD_HERE[0]


class Staged:
    """A file written to a temporary name in its folder, to be published
    under its own name (or discarded)."""

    def __init__(self, folder: Folder, parent: SharedFolder, relative: str) -> None:
        self.folder = folder
        self._parent = parent
        #: The open folder the file goes into.
        self.parent = parent.descriptor
        self.relative = relative
        self.size = 0
        self._file: int | None = None
        self._temporary: str | None = None
        self._inode = -1

    def write(self, data: bytes) -> None:
        while True:
            name = _temporary_name()
            # Known before it exists: an interruption at any moment after
            # this can remove it.
            self._temporary = name
            try:
                self._file = os.open(name, _CREATE, 0o666, dir_fd=self.parent)
            except FileExistsError:
                self._temporary = None
                continue  # another writer's temporary file: never touch it
            except OSError as exc:
                self._temporary = None
                raise self.folder._failure(exc, self.relative, "write") from None
            self._inode = os.fstat(self._file).st_ino
            break
        try:
            write_fully(self._file, data)
        except OSError as exc:
            raise self.folder._failure(exc, self.relative, "write") from None
        self.size = len(data)

    def written_ns(self) -> int:
        """The mtime the file system gave the file: its clock's time when
        the file was written."""
        assert self._file is not None
        return os.fstat(self._file).st_mtime_ns

    def folder_stamp(self) -> Stamp:
        """The stamp of the folder the file is staged in, as it is now."""
        return Stamp.of(os.fstat(self.parent))

    def make_executable(self) -> None:
        """Let whoever may read the file run it (a Git hook)."""
        if self._file is not None:
            mode = os.fstat(self._file).st_mode & 0o777
            os.fchmod(self._file, mode | (mode & 0o444) >> 2)

    def sync(self) -> None:
        """Make the written bytes durable (before they are published); a
        file already closed is opened again by its temporary name."""
        try:
            if self._file is not None:
                os.fsync(self._file)
            elif self._temporary is not None and self.parent >= 0:
                file = os.open(self._temporary, _FILE, dir_fd=self.parent)
                try:
                    os.fsync(file)
                finally:
                    os.close(file)
        except OSError as exc:
            raise self.folder._failure(exc, self.relative, "write") from None

    def close_file(self) -> None:
        file, self._file = self._file, None
        if file is not None:
            os.close(file)

    def publish_new(self, relative: str) -> None:
        """Give the file the name of ``relative`` (in the same folder), which
        must be free: `ExistsError` otherwise."""
        name = relative.rsplit("/", 1)[-1]
        assert self._temporary is not None
        if self._rename_exclusively(name, relative):
            return
        try:
            os.link(
                self._temporary,
                name,
                src_dir_fd=self.parent,
                dst_dir_fd=self.parent,
                follow_symlinks=False,
            )
        except FileExistsError:
            raise ExistsError("exists", path=self.folder.full(relative)) from None
        except OSError as exc:
            if exc.errno not in _NO_HARD_LINKS:
                raise self.folder._failure(exc, relative, "write") from None
            self._publish_without_links(name, relative)

    def _rename_exclusively(self, name: str, relative: str) -> bool:
        """Rename the file to ``name`` unless the name exists, in one step
        where the system can (Linux's ``renameat2``): True when done."""
        rename = _renameat2()
        if rename is None or self._temporary is None:
            return False
        done = rename(self.parent, os.fsencode(self._temporary), self.parent, os.fsencode(name), 1)
        if done == 0:
            self._temporary = None
            return True
        code = _last_errno()
        if code == errno.EEXIST:
            raise ExistsError("exists", path=self.folder.full(relative))
        if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
            return False  # a file system without it: a hard link does the same
        raise self.folder._failure(OSError(code, os.strerror(code)), relative, "write")

    def _publish_without_links(self, name: str, relative: str) -> None:
        # A file system without hard links (some network and FAT file
        # systems): an exclusive create of the name keeps two writers apart;
        # the name is renamed over only when it is the one just created.
        try:
            placeholder = os.open(name, _CREATE, 0o600, dir_fd=self.parent)
        except FileExistsError:
            raise ExistsError("exists", path=self.folder.full(relative)) from None
        except OSError as exc:
            raise self.folder._failure(exc, relative, "write") from None
        try:
            expected = Stamp.of(os.fstat(placeholder))
        finally:
            os.close(placeholder)
        self.publish_replacing(relative, expected, mode_from_target=False)

    def publish_replacing(
        self, relative: str, expected: Stamp, *, mode_from_target: bool = True
    ) -> None:
        """Put the file in place of the one at ``relative``, if that one
        still has the stamp ``expected``; `ChangedError` otherwise. The file
        keeps the permissions of the one it replaces."""
        name = relative.rsplit("/", 1)[-1]
        assert self._temporary is not None
        full = self.folder.full(relative)
        try:
            current = os.stat(name, dir_fd=self.parent, follow_symlinks=False)
        except FileNotFoundError:
            raise ChangedError(
                "was removed since it was read; not written again", path=full
            ) from None
        except OSError as exc:
            raise self.folder._failure(exc, relative, "write") from None
        if stat.S_ISLNK(current.st_mode):
            raise UnsafePathError(
                "is a symbolic link; clipdoc does not write through links", path=full
            )
        if Stamp.of(current) != expected:
            raise _changed(full)
        try:
            if mode_from_target:
                with contextlib.suppress(NotImplementedError):  # no lchmod here
                    os.chmod(
                        self._temporary,
                        stat.S_IMODE(current.st_mode),
                        dir_fd=self.parent,
                        follow_symlinks=False,
                    )
            if self._exchange(name):
                self._check_displaced(name, expected, full)
            else:
                # Elsewhere the check above and the rename are two steps.
                os.rename(self._temporary, name, src_dir_fd=self.parent, dst_dir_fd=self.parent)
        except OSError as exc:
            raise self.folder._failure(exc, relative, "write") from None
        self._temporary = None

    def _exchange(self, name: str) -> bool:
        """Swap the temporary file and ``name`` in one step (Linux's
        ``renameat2(RENAME_EXCHANGE)``); False where the system cannot."""
        rename = _renameat2()
        if rename is None or self._temporary is None:
            return False
        temporary, target = os.fsencode(self._temporary), os.fsencode(name)
        if rename(self.parent, temporary, self.parent, target, _RENAME_EXCHANGE) == 0:
            return True
        code = _last_errno()
        if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
            return False
        raise OSError(code, os.strerror(code))

    def _check_displaced(self, name: str, expected: Stamp, full: str) -> None:
        """After an exchange, the temporary name holds the file that was
        displaced: the check that counts, made on that very file. When it
        is not the one that was read (an editor saved in the meantime), it
        is put back."""
        assert self._temporary is not None
        displaced = os.stat(self._temporary, dir_fd=self.parent, follow_symlinks=False)
        # Moving a file changes its ctime: the rest of the stamp must hold.
        if attrs.evolve(Stamp.of(displaced), ctime_ns=expected.ctime_ns) == expected:
            os.unlink(self._temporary, dir_fd=self.parent)
            return
        self._exchange(name)
        back = os.stat(self._temporary, dir_fd=self.parent, follow_symlinks=False)
        if back.st_ino != self._inode:
            # Yet another writer replaced the file meanwhile: keep theirs too.
            kept, self._temporary = self._temporary, None
            raise ChangedError(
                f"changed twice while it was written; the other version is kept as {kept}",
                path=full,
            )
        raise _changed(full)

    def discard(self) -> None:
        """Close the file and remove the temporary name, if still there."""
        self.close_file()
        if self._temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._temporary, dir_fd=self.parent)
            self._temporary = None
        # Forgotten before it is let go: an interruption between the two
        # must not let it go twice.
        held, self.parent = self.parent, -1
        if held >= 0:
            self._parent.release()


class SharedFolder:
    """An open folder that the files staged in it share: closed when the
    last of them lets it go."""

    def __init__(self, descriptor: int) -> None:
        self.descriptor = descriptor
        self._users = 1

    def take(self) -> SharedFolder:
        self._users += 1
        return self

    def release(self) -> None:
        self._users -= 1
        if self._users == 0:
            descriptor, self.descriptor = self.descriptor, -1
            os.close(descriptor)


class Batch:
    """Many writes below one folder, made durable together.

    `stage` writes a file's bytes to a temporary file; when enough are
    staged (or on `flush`), one sync of the file system makes them durable,
    and the caller publishes each (`Staged.publish_new` or
    `Staged.publish_replacing`). `close` makes what was published durable.
    """

    def __init__(self, folder: Folder) -> None:
        self.folder = folder
        self.staged: list[Staged] = []
        #: Every file staged since the last sync, whatever became of it:
        #: `close` discards what was not published.
        self._created: list[Staged] = []
        self._bytes = 0
        self._published = False
        #: The folders files were staged in since the last sync, open.
        self._folders: dict[str, SharedFolder] = {}
        #: Every folder a file was published in, where no sync of the whole
        #: file system makes their entries durable at the end.
        self._published_in: set[str] = set()

    def stage(self, relative: str, data: bytes) -> Staged:
        staged = self.folder.stage(
            relative, data, into=self._created, parent=self._open_folder(relative)
        )
        # A staged file keeps no descriptor of its own, whatever the size of
        # the batch and the limit of open files (256 on macOS): a system
        # without one sync for the whole file system syncs it now.
        if _syncfs() is None:
            staged.sync()
            # The folders on the way may be new: their entries too.
            parts = relative.split("/")[:-1]
            self._published_in.update("/".join(parts[:depth]) for depth in range(len(parts) + 1))
        staged.close_file()
        self.staged.append(staged)
        self._bytes += staged.size
        return staged

    def _open_folder(self, relative: str) -> SharedFolder:
        """The folder of ``relative``, kept open until the next sync and
        shared by the files staged in it."""
        folder = relative.rpartition("/")[0]
        if folder not in self._folders:
            self._folders[folder] = SharedFolder(self.folder.open_folder_of(relative))
        return self._folders[folder]

    def _close_folders(self) -> None:
        folders, self._folders = self._folders, {}
        for folder in folders.values():
            folder.release()

    @property
    def full(self) -> bool:
        """Whether it is time to sync and publish what is staged: a batch
        keeps each folder it writes to open until then."""
        return (
            len(self.staged) >= BATCH_FILES
            or self._bytes >= BATCH_BYTES
            or len(self._folders) >= _batch_folders()
        )

    def sync_staged(self) -> list[Staged]:
        """Make every staged file durable, once for all; the staged files,
        ready to publish (the batch forgets them)."""
        # The staged files keep their folders open as long as they need them.
        self._close_folders()
        staged, self.staged, self._bytes = self.staged, [], 0
        # What earlier syncs handed out and was since published or discarded
        # is done with.
        self._created = [item for item in self._created if item.parent >= 0]
        if staged:
            _sync_all(staged)
            self._published = True
        return staged

    def close(self) -> None:
        """Discard what was not published; make every publication durable."""
        self._close_folders()
        for staged in self._created:
            staged.discard()
        self.staged, self._created = [], []
        if self._published and not _sync_file_system(self.folder.path):
            # No sync of the whole file system: each folder's own.
            for folder in sorted(self._published_in):
                self.folder.sync_folder(f"{folder}/x" if folder else "x")
        self._published = False
        self._published_in = set()


def _sync_all(staged: list[Staged]) -> None:
    """Make staged files durable: one sync of their file system where the
    system has one (Linux's ``syncfs``), else each file's own."""
    if _syncfs() is not None and not _sync_file_system(staged[0].folder.path):
        # syncfs failed: each file's own (a system without it synced each
        # file as it was staged).
        for item in staged:
            item.sync()
    for item in staged:
        item.close_file()


def _sync_file_system(path: str) -> bool:
    """``syncfs`` of the file system that holds ``path``: True when done."""
    syncfs = _syncfs()
    if syncfs is None:
        return False
    try:
        descriptor = os.open(path, _READ)
    except OSError:
        return False
    try:
        return bool(syncfs(descriptor) == 0)
    finally:
        os.close(descriptor)


@functools.cache
def _libc(name: str, *arguments: str) -> Callable[..., int] | None:
    """A function of Linux's C library (``syncfs``, ``renameat2``) taking
    ``arguments`` (the names of their `ctypes` types) and returning an int;
    None elsewhere or where the library lacks it."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        # Imported here: most runs write nothing, and ctypes adds 2 ms to
        # the start-up of every command. A Python built without it writes
        # as a system without these functions does.
        import ctypes

        function = getattr(ctypes.CDLL(None, use_errno=True), name)
    except (ImportError, OSError, AttributeError):
        return None
    function.argtypes = [getattr(ctypes, argument) for argument in arguments]
    function.restype = ctypes.c_int
    found: Callable[..., int] = function
    return found


def _last_errno() -> int:
    """The ``errno`` a function of `_libc` left."""
    import ctypes

    return ctypes.get_errno()


def _syncfs() -> Callable[[int], int] | None:
    return _libc("syncfs", "c_int")


def _renameat2() -> Callable[[int, bytes, int, bytes, int], int] | None:
    return _libc("renameat2", "c_int", "c_char_p", "c_int", "c_char_p", "c_uint")


def exchange(first: str, second: str) -> bool:
    """Swap two paths in one step (Linux's ``renameat2(RENAME_EXCHANGE)``):
    True when done, False where the system cannot (nor either is changed)."""
    rename = _renameat2()
    if rename is None:
        return False
    return rename(_AT_CWD, os.fsencode(first), _AT_CWD, os.fsencode(second), _RENAME_EXCHANGE) == 0


def _changed(full: str) -> ChangedError:
    return ChangedError(
        "changed since it was read; left as it is now (run again to include the change)",
        path=full,
    )


#: renameat2's flag for swapping two names, and its folder for a path that
#: is relative to the working folder.
_RENAME_EXCHANGE = 2
_AT_CWD = -100


def _opened_path(descriptor: int) -> str | None:
    """The path of the file ``descriptor`` opened, as the system knows it
    (Linux's ``/proc``); None where the system does not say."""
    try:
        return os.readlink(f"/proc/self/fd/{descriptor}")
    except OSError:
        return None


def _inside(root: str, target: str) -> bool:
    return target == root or target.startswith(root.rstrip(os.sep) + os.sep)


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "a special file"


# ---------------------------------------------------------------- one file


def read_bytes(source: str | os.PathLike[str] | BinaryIO) -> bytes:
    """The bytes of a file a user named by its path (regular files only, up
    to the size limit), or of a binary file object."""
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        reader = Folder(
            os.path.dirname(path) or os.curdir,
            follow_links=True,
            larger_files="clipdoc reads one file of at most this size: split it into smaller ones",
        )
        try:
            return reader.read(os.path.basename(path))[0]
        except PathError as error:
            if error.path == path:
                raise
            # The folder itself could not be opened: name the file asked for.
            raise path_error(error.code, error.message, path=path, errno=error.errno) from None
    data = source.read()
    if not isinstance(data, bytes):
        raise TypeError("the file must be opened in binary mode ('rb')")
    return data


@contextlib.contextmanager
def replacing(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """A binary file that replaces ``path`` (a file a user named, outside
    any collection) when the block ends without an exception: readers see
    the old file or the new one, never a mix, even if the process dies
    midway. An existing file keeps its permissions; a link is written
    through, not replaced. Failures name ``path``.

    What is not a regular file is written where it is, never replaced: a
    device (``/dev/null``), a FIFO (opened as the shell opens one, waiting
    for a reader), and an open descriptor named as a path
    (``/dev/stdout``, ``/dev/stderr``, ``/dev/fd/N``), written after what
    it already holds."""
    try:
        direct = _open_in_place(path)
    except OSError as exc:
        raise _named(exc, path) from None
    if direct is not None:
        try:
            with direct as file:
                yield file
        except OSError as exc:
            raise _named(exc, path) from None
        return
    real_path = os.path.realpath(path)
    directory = os.path.dirname(real_path)
    try:
        mode = stat.S_IMODE(os.stat(real_path).st_mode)
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise _named(exc, path) from None
    try:
        handle, temporary = _create_temporary(directory)
    except OSError as exc:
        raise _named(exc, path) from None
    try:
        with os.fdopen(handle, "wb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, real_path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise _named(exc, path) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


#: Paths that name a descriptor this process has open.
_STANDARD_STREAMS = {"/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2}
_DESCRIPTOR_PATH = re.compile(r"/(?:dev/fd|proc/self/fd)/([0-9]+)")


def _open_in_place(path: str | os.PathLike[str]) -> BinaryIO | None:
    """The file at ``path`` opened to be written where it is, when it is
    not a regular file to replace; None for a regular file or a new one."""
    text = os.fspath(path)
    match = _DESCRIPTOR_PATH.fullmatch(text)
    number = int(match.group(1)) if match else _STANDARD_STREAMS.get(text)
    if number is not None:
        # Its own descriptor: what was written to it before stays, and goes
        # first.
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(AttributeError, OSError, ValueError):
                if stream.fileno() == number:
                    stream.flush()
        return os.fdopen(os.dup(number), "wb")
    try:
        status = os.stat(text)
    except FileNotFoundError:
        return None
    if stat.S_ISREG(status.st_mode):
        return None
    if stat.S_ISDIR(status.st_mode):
        raise IsADirectoryError(errno.EISDIR, "a folder, not a file", text)
    return open(text, "wb")  # closed by the caller's with block


def _named(exc: OSError, path: str | os.PathLike[str]) -> OSError:
    """The error as a `PathError` (with its code) that names the user's
    path rather than a temporary one."""
    if exc.errno is None:
        return exc
    message = f"cannot write: {exc.strerror or exc}"
    return path_error("CD508", message, path=os.fspath(path), errno=exc.errno)


def _random_start() -> Iterator[int]:
    return itertools.count(int.from_bytes(os.urandom(6), "big"))


#: A process's temporary names: a random start, then one after the other
#: (one random draw per process, not per file). A forked process draws its
#: own, or it would race its parent for the same names.
_TEMPORARY_NUMBERS = _random_start()


def _draw_again() -> None:
    global _TEMPORARY_NUMBERS
    _TEMPORARY_NUMBERS = _random_start()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_draw_again)


def _temporary_name() -> str:
    """A name for a temporary file that no other is likely to have; short,
    so that it fits beside any file name."""
    return f".clipdoc-{next(_TEMPORARY_NUMBERS) % (1 << 48):012x}.tmp"


def _create_temporary(directory: str) -> tuple[int, str]:
    """A new hidden file in ``directory``, open for writing, created with
    the permissions a new file gets (umask applied)."""
    while True:
        temporary = os.path.join(directory, _temporary_name())
        try:
            return os.open(temporary, _CREATE, 0o666), temporary
        except FileExistsError:
            continue  # another writer's temporary file: never touch it


def write_atomically(target: str | os.PathLike[str] | BinaryIO, data: bytes) -> None:
    """Write ``data`` to a path through `replacing`, or to an open binary file."""
    if not isinstance(target, (str, os.PathLike)):
        target.write(data)
        return
    with replacing(target) as file:
        file.write(data)


#: How deep a tree `remove_tree` removes: far deeper than any folder clipdoc
#: makes; a deeper one is left, and said to be.
_DEEPEST_TREE = 64


def remove_tree(parent: int, name: str, expected: os.stat_result) -> None:
    """Remove the folder ``name`` of the open folder ``parent``, which must
    be ``expected`` (the same device and inode), and everything in it,
    each step through descriptors: a name swapped meanwhile for a link or
    another folder is never followed, and nothing on another file system
    (a mount point inside) is removed. An `OSError` says what could not
    be removed; what was removed before it stays removed."""
    descriptor = os.open(name, _FOLDER, dir_fd=parent)
    try:
        if not os.path.samestat(os.fstat(descriptor), expected):
            raise OSError(errno.ESTALE, "replaced since it was looked at")
        _empty(descriptor, expected.st_dev, _DEEPEST_TREE)
    finally:
        os.close(descriptor)
    # Only the same folder, now empty, is removed by its name: one swapped
    # in for it since is either another (left) or not empty (refused).
    if not os.path.samestat(os.stat(name, dir_fd=parent, follow_symlinks=False), expected):
        raise OSError(errno.ESTALE, "replaced while it was removed")
    os.rmdir(name, dir_fd=parent)


def _empty(folder: int, device: int, depth: int) -> None:
    if depth == 0:
        raise OSError(errno.ELOOP, f"more than {_DEEPEST_TREE} folders deep")
    with os.scandir(folder) as entries:
        listed = [(entry.name, entry.is_dir(follow_symlinks=False)) for entry in entries]
    for name, is_folder in listed:
        if not is_folder:
            os.unlink(name, dir_fd=folder)
            continue
        inner = os.open(name, _FOLDER, dir_fd=folder)
        try:
            if os.fstat(inner).st_dev != device:
                raise OSError(errno.EXDEV, f"{name} is another file system mounted there")
            _empty(inner, device, depth - 1)
        finally:
            os.close(inner)
        os.rmdir(name, dir_fd=folder)
