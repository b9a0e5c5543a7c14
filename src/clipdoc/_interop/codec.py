"""What every format of the registry is: a codec with ``read`` and ``write``.

``read`` gives an `Item` per clipping it finds, or per record that cannot
become one (with the line or row that says where); ``write`` takes the
clippings that came through, with their items, and reports a `Written` for
each. A problem that stops the whole conversion (a source that cannot be
read, a destination that cannot be written, more clippings than a format
holds) is `CannotConvert`.
"""

from __future__ import annotations

import abc
import contextlib
import importlib
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import BinaryIO, ClassVar, Literal

import attrs

from .._core.errors import ClipdocError, Diagnostic, PathError
from .._core.model import Clipping
from .._storage.files import read_bytes, replacing, write_atomically
from .._storage.names import clipping_path

#: How a format's clippings are laid out: one in one file (``document``),
#: one per file of a folder (``tree``), many in one file (``stream``).
Layout = Literal["document", "tree", "stream"]

#: The module each extra brings, to tell whether it is installed.
_EXTRA_MODULES = {"feeds": "feedparser", "notes": "yaml", "arrow": "pyarrow"}


class CannotConvert(Exception):
    """A problem that stops the conversion (the command exits with 2)."""


class NothingToWrite(CannotConvert):
    """A one-clipping destination that no clipping reached: it is not
    written. When the source's problems were reported, they say why."""


@attrs.frozen(kw_only=True)
class Source:
    """Where clippings come from, and how to read them."""

    #: A path, or ``-`` for standard input.
    path: str
    jobs: int = 1
    #: Whether documents with errors go on, recovered.
    recover: bool = False
    #: What a folder walk leaves out, and whether it reads a root README.md.
    exclude: tuple[str, ...] = ()
    include_index: bool = False
    #: Whether a folder's links that lead out of it are read through.
    follow_links: bool = False

    @property
    def name(self) -> str:
        return "<stdin>" if self.path == "-" else self.path


@attrs.frozen(kw_only=True)
class Target:
    """Where clippings go."""

    #: A path, or ``-`` for standard output.
    path: str
    #: Whether existing files that hold something else are replaced.
    replace: bool = False

    @property
    def name(self) -> str:
        return "<stdout>" if self.path == "-" else self.path


@attrs.frozen(kw_only=True)
class Item:
    """One clipping on its way, or why a record cannot become one."""

    #: The file, ``file:line`` or ``file:row`` that problems are reported at.
    where: str
    #: The clipping's path in a folder, when the source gives one.
    relative: str | None = None
    clipping: Clipping | None = None
    diagnostics: tuple[Diagnostic, ...] = ()
    #: A record that cannot become a clipping (an error, exit 1).
    problem: str | None = None
    #: A file that cannot be read at all (an I/O problem, exit 2).
    io_problem: str | None = None
    #: The line (JSON Lines) or row (Parquet) of the record, from 1.
    number: int | None = None


@attrs.frozen(kw_only=True)
class Written:
    """What a destination did with one clipping: its ``status``, or the
    ``problem`` that kept it out."""

    item: Item
    status: Literal["written", "unchanged", "replaced"] | None = None
    problem: str | None = None


#: Where a codec reports what became of each clipping, as soon as it knows.
Report = Callable[[Written], None]
#: What a codec writes: each clipping that came through, with its item.
Clippings = Iterable[tuple[Item, Clipping]]


@attrs.frozen(kw_only=True)
class Format(abc.ABC):
    """One format: its name, the file name suffixes that say a file holds
    it, the extra it needs, and its codec."""

    layout: ClassVar[Layout]

    name: str
    summary: str
    suffixes: tuple[str, ...] = ()
    #: The extra a format needs, if any (``pip install 'clipdoc[...]'``).
    extra: str | None = None

    @abc.abstractmethod
    def read(self, source: Source) -> Iterator[Item]:
        """Every clipping of ``source``, and every record that cannot
        become one, in order."""

    @abc.abstractmethod
    def write(self, clippings: Clippings, target: Target, report: Report) -> None:
        """Write ``clippings`` to ``target``, reporting each."""

    def unavailable(self) -> str | None:
        """Why this format cannot be used here (its extra is missing), if so."""
        if self.extra is None:
            return None
        try:
            importlib.import_module(_EXTRA_MODULES[self.extra])
        except ImportError:
            return (
                f"{self.name} needs the '{self.extra}' extra: pip install 'clipdoc[{self.extra}]'"
            )
        return None


# ------------------------------------------------------------ shared by codecs


def read_whole(source: Source) -> bytes:
    """All the bytes of a file a user named (through the storage layer:
    regular files only, up to its size limit), or of standard input."""
    if source.path == "-":
        return sys.stdin.buffer.read()
    try:
        return read_bytes(source.path)
    except PathError as error:
        raise CannotConvert(str(error)) from None


@contextlib.contextmanager
def output(target: Target) -> Iterator[BinaryIO]:
    """Standard output, or a file replaced atomically when all went well."""
    if target.path == "-":
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    with replacing(target.path) as file:
        yield file


def write_output(target: Target, data: bytes) -> None:
    """``data`` to standard output, or atomically to the file."""
    if target.path == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        write_atomically(target.path, data)


def path_of(item: Item, clipping: Clipping) -> str:
    """The clipping's path in a folder: the one it came with, else where
    the producer would write it (`ClipdocError` CD501 without a catalog
    date)."""
    return item.relative if item.relative is not None else clipping_path(clipping)


def error_text(error: ClipdocError) -> str:
    """An error as the command reports it: where in the text, code, message."""
    where = f"{error.line}:{error.column}: " if error.line else ""
    return f"{where}{error.code} {error.message}"
