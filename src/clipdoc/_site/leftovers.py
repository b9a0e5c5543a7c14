"""The folder a build writes into, and those that builds which never
finished left.

A build writes the new site into a folder beside the output
(``.NAME.XXXXXXXX.building``) and holds an exclusive ``flock`` on it for as
long as it runs: the lock ends with the last process that holds it,
however it ends. A build killed with ``kill -9``, or stopped with the
machine, leaves its folder; a later build that finds such a folder
unlocked, unchanged for `UNFINISHED_AFTER` seconds, owned by its user and
not a link, removes it. Where locks cannot be taken (Windows, some network
file systems), nothing is ever removed.
"""

from __future__ import annotations

import errno
import importlib.util
import os
import re
import shutil
import stat
import tempfile
import time
from typing import NamedTuple

from .._storage.files import remove_tree

_BUILDING = ".building"
#: How long the folder of a build that holds no lock must have been left
#: unchanged (its status time) before another build removes it: a build
#: locks its folder as soon as it makes it, and a build of a version of
#: clipdoc before locks were taken holds none.
UNFINISHED_AFTER = 600.0
_HAS_FLOCK = importlib.util.find_spec("fcntl") is not None  # not on Windows
_BY_DESCRIPTOR = {os.open, os.stat, os.unlink, os.rmdir} <= os.supports_dir_fd


def staging_folder(output: str) -> tuple[str, int | None]:
    """The folder a build writes the new site into, next to ``output``, and
    the descriptor that holds it locked (None where no lock can be taken):
    close it (`unlock`) once the folder is in place or removed."""
    parent, name = os.path.split(os.path.abspath(output))
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=f".{name}.", suffix=_BUILDING, dir=parent)
    mask = os.umask(0o022)
    os.umask(mask)
    os.chmod(staging, 0o777 & ~mask)
    return staging, _locked(staging)


def _locked(folder: str) -> int | None:
    if not _HAS_FLOCK:
        return None
    import fcntl

    descriptor = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # a file system without locks
        os.close(descriptor)
        return None
    return descriptor


def unlock(descriptor: int | None) -> None:
    if descriptor is not None:
        os.close(descriptor)


class Leftovers(NamedTuple):
    """The folders builds that never finished had left: removed, and those
    that could not be, each with why (paths as the output was named)."""

    removed: tuple[str, ...] = ()
    not_removed: tuple[tuple[str, str], ...] = ()


def remove_unfinished(output: str, old_site: str | None = None) -> Leftovers:
    """Remove ``old_site`` (where the site a build replaced now is, beside
    ``output``), then the folders that builds of ``output`` left when they
    ended without finishing; see the module's description."""
    not_removed: list[tuple[str, str]] = []
    if old_site is not None:
        try:
            _remove(old_site)
        except OSError as error:
            shown = os.path.join(os.path.dirname(output), os.path.basename(old_site))
            not_removed.append((shown, error.strerror or str(error)))
    if not _HAS_FLOCK:
        return Leftovers((), tuple(not_removed))
    parent, name = os.path.split(os.path.abspath(output))
    pattern = re.compile(re.escape(f".{name}.") + r"[a-z0-9_]{8}" + re.escape(_BUILDING))
    removed: list[str] = []
    try:
        folder = os.open(parent, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return Leftovers((), tuple(not_removed))
    try:
        with os.scandir(folder) as entries:
            candidates = sorted(e.name for e in entries if pattern.fullmatch(e.name))
        for candidate in candidates:
            shown = os.path.join(os.path.dirname(output), candidate)
            try:
                if _remove_if_unfinished(folder, candidate, os.path.realpath(parent)):
                    removed.append(shown)
            except OSError as error:
                not_removed.append((shown, error.strerror or str(error)))
    except OSError:  # the output's folder cannot be listed: nothing to remove
        pass
    finally:
        os.close(folder)
    return Leftovers(tuple(removed), tuple(not_removed))


def _remove_if_unfinished(folder: int, name: str, real_parent: str) -> bool:
    """Remove ``name`` in ``folder`` if a build left it unfinished; whether
    it did. An `OSError` when it could not be removed (part of it may be)."""
    import fcntl

    status = _unfinished(folder, name)
    if status is None:
        return False
    try:
        held = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=folder)
    except PermissionError:
        raise
    except OSError:
        return False  # gone, or not a folder any more
    try:
        if not os.path.samestat(status, os.fstat(held)):
            return False
        try:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # held while removing
        except OSError:  # a build holds it
            return False
        _refuse_mounts(os.path.join(real_parent, name))
        remove_tree(folder, name, status)
        return True
    finally:
        os.close(held)


def _unfinished(folder: int, name: str) -> os.stat_result | None:
    """The status of ``name`` in ``folder`` when it may be a folder a build
    left: a real folder, the user's, unchanged for long enough."""
    try:
        status = os.stat(name, dir_fd=folder, follow_symlinks=False)
    except OSError:
        return None
    if (
        not stat.S_ISDIR(status.st_mode)
        or status.st_uid != os.geteuid()
        or time.time() - status.st_ctime < UNFINISHED_AFTER
    ):
        return None
    return status


def _remove(path: str) -> None:
    """Remove the folder at ``path`` and all it holds, as `remove_tree`
    does, unless a file system is mounted in it."""
    _refuse_mounts(path)
    if not _BY_DESCRIPTOR:  # Windows: no descriptors of folders
        shutil.rmtree(path)
        return
    parent, name = os.path.split(path)
    folder = os.open(parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        remove_tree(folder, name, os.stat(name, dir_fd=folder, follow_symlinks=False))
    finally:
        os.close(folder)


def _refuse_mounts(path: str) -> None:
    """An `OSError` when a file system is mounted at ``path`` or below it
    (where the system lists its mounts: Linux's /proc/self/mountinfo): a
    bind mount of the same file system is not told by its device, and
    removing through it would empty the folder it shows."""
    real = os.path.realpath(path)
    for mount_point in _mount_points():
        if mount_point == real or mount_point.startswith(real.rstrip("/") + "/"):
            raise OSError(errno.EBUSY, f"{mount_point} is a file system mounted there")


def _mount_points() -> list[str]:
    """Where file systems are mounted (none known where the system does
    not list them)."""
    try:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as mounts:
            return [_unescaped(line.split(" ")[4]) for line in mounts if line.count(" ") >= 4]
    except OSError:
        return []


def _unescaped(field: str) -> str:
    """A path of /proc/self/mountinfo: space, tab, newline and backslash
    written as octal escapes."""
    return re.sub(r"\\([0-7]{3})", lambda escape: chr(int(escape[1], 8)), field)
