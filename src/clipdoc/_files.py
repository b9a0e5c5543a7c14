"""Byte-level file access: reading, replacing files atomically, and paths
that must stay inside a folder."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import threading
from collections.abc import Iterator
from typing import BinaryIO

_umask_lock = threading.Lock()


def read_bytes(source: str | os.PathLike[str] | BinaryIO) -> bytes:
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as file:
            return file.read()
    data = source.read()
    if not isinstance(data, bytes):
        raise TypeError("the file must be opened in binary mode ('rb')")
    return data


@contextlib.contextmanager
def replacing(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """A binary file that replaces ``path`` when the block ends without an
    exception: readers see the old file or the new one, never a mix, even if
    the process dies midway. An existing file keeps its permissions; a link
    is written through, not replaced."""
    real_path = os.path.realpath(path)
    directory, name = os.path.split(real_path)
    try:
        mode = stat.S_IMODE(os.stat(real_path).st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_current_umask()
    handle, temporary = _create_temporary(directory, name)
    try:
        with os.fdopen(handle, "wb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, real_path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _create_temporary(directory: str, name: str) -> tuple[int, str]:
    """A new hidden file beside the target, open for writing.

    The name is chosen before the file is created, so that an interruption
    at any moment (Ctrl-C, SIGTERM) can still remove it.
    """
    while True:
        temporary = os.path.join(directory, f".{name}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), temporary
        except FileExistsError:
            continue  # another writer's temporary file: never touch it
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise


def write_atomically(target: str | os.PathLike[str] | BinaryIO, data: bytes) -> None:
    """Write ``data`` to a path through `replacing`, or to an open binary file."""
    if not isinstance(target, (str, os.PathLike)):
        target.write(data)
        return
    with replacing(target) as file:
        file.write(data)


def _current_umask() -> int:
    with _umask_lock:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


class UnsafePath(ValueError):
    """A relative path that would leave its folder, or that cannot be used."""


def safe_relative_path(relative: str) -> str:
    """Check a ``/``-separated relative path from a record before it is used."""
    if not relative:
        raise UnsafePath("the path is empty")
    if "\x00" in relative or "\\" in relative:
        raise UnsafePath(f"{relative!r} contains a NUL or a backslash")
    if relative.startswith("/") or (len(relative) > 1 and relative[1] == ":"):
        raise UnsafePath(f"{relative!r} is absolute; paths must be relative to the folder")
    parts = relative.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise UnsafePath(f"{relative!r} has an empty, '.' or '..' part; it could leave the folder")
    return os.path.join(*parts)


def target_inside(root: str, relative: str) -> str:
    """The file ``relative`` names inside ``root``, refusing any path that
    leaves ``root``, including through symbolic links already there."""
    target = os.path.join(root, safe_relative_path(relative))
    real_root = os.path.realpath(root)
    real_target = os.path.realpath(target)
    if os.path.commonpath([real_root, real_target]) != real_root:
        raise UnsafePath(f"{relative!r} leads outside the destination (through a symbolic link)")
    return target
