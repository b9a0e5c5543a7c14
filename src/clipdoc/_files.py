"""Byte-level file access: reading, and writing atomically."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import threading
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


def write_atomically(target: str | os.PathLike[str] | BinaryIO, data: bytes) -> None:
    """Write ``data`` to a path so that readers see the old file or the new
    one, never a mix, even if the process dies midway."""
    if not isinstance(target, (str, os.PathLike)):
        target.write(data)
        return
    # Write through a symbolic link, not over it.
    path = os.path.realpath(target)
    directory, name = os.path.split(path)
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_current_umask()
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _current_umask() -> int:
    with _umask_lock:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask
