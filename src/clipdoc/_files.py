"""Byte-level file access: reading, and replacing files atomically."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
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
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".tmp")
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
