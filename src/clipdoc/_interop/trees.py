"""Formats that hold one clipping per file of a folder, at a path: a
``folder`` of clipping documents (a collection) and a folder of ``notes``.

Every file below the folder is read and written through the storage layer:
the walk finds the files, `read_document_file` and `Folder.read` read them,
`Collection.write_all` writes them (never out of the folder, never over
another file without ``replace``, durably in batches).
"""

from __future__ import annotations

import functools
import itertools
import os
from collections.abc import Callable, Iterator
from typing import ClassVar

import attrs

from .._core.errors import ClipdocError, Diagnostic, PathError
from .._core.model import Clipping
from .._core.read import decode, has_error
from .._storage.collection import Collection
from .._storage.documents import file_problem, found_below, read_document_file
from .._storage.files import Folder
from .._storage.parallel import ordered_map
from .._storage.walk import Found, is_walked
from .codec import (
    CannotConvert,
    Clippings,
    Format,
    Item,
    Layout,
    Report,
    Source,
    Target,
    Written,
    error_text,
)

#: One file of a folder to its item: the folder, whether documents with
#: errors go on, and the file the walk found. Run in worker processes.
ReadFile = Callable[[Folder, bool, Found], Item]


def _where(folder: Folder, found: Found) -> str:
    return folder.full(found.relative) if found.relative else folder.path


def _unreadable(folder: Folder, found: Found, diagnostics: tuple[Diagnostic, ...]) -> Item:
    """The item of a file that gave no text: an I/O problem, or the
    diagnostics of bytes that are not UTF-8."""
    where = _where(folder, found)
    problem = file_problem(diagnostics)
    if problem is not None:
        return Item(
            where=where, relative=found.relative, io_problem=f"{problem.message} ({problem.code})"
        )
    return Item(where=where, relative=found.relative, diagnostics=diagnostics)


def read_document_at(folder: Folder, recover: bool, found: Found) -> Item:
    """One clipping document of a folder."""
    document = read_document_file(folder, found)
    if document.text is None:
        return _unreadable(folder, found, document.diagnostics)
    keeps = document.clipping is not None and (recover or not document.has_errors)
    return Item(
        where=_where(folder, found),
        relative=found.relative,
        clipping=document.clipping if keeps else None,
        diagnostics=document.diagnostics,
    )


def read_note_at(folder: Folder, recover: bool, found: Found) -> Item:
    """One note of a folder: its clipping, with the body's diagnostics and
    the warnings of properties that cannot be read back exactly (a note
    whose body has errors goes on, recovered, only with ``recover``)."""
    from .note_reading import read_note

    if found.problem is not None:
        return _unreadable(folder, found, (found.problem.diagnostic,))
    try:
        data, _ = folder.read(found.relative)
    except PathError as error:
        return _unreadable(folder, found, (error.diagnostic,))
    where = _where(folder, found)
    try:
        text = decode(data)
    except ClipdocError as error:  # not UTF-8: a diagnostic, as for a document
        return Item(where=where, relative=found.relative, diagnostics=(error.diagnostic,))
    try:
        clipping, diagnostics = read_note(text)
    except ClipdocError as error:
        return Item(where=where, relative=found.relative, problem=error_text(error))
    keeps = recover or not has_error(diagnostics)
    return Item(
        where=where,
        relative=found.relative,
        clipping=clipping if keeps else None,
        diagnostics=diagnostics,
    )


def note(clipping: Clipping) -> bytes:
    from .note_reading import note_of

    return note_of(clipping).encode("utf-8")


def _found(source: Source) -> Iterator[Found]:
    return found_below(source.path, exclude=source.exclude, include_index=source.include_index)


def _collection(root: str) -> Collection:
    try:
        os.makedirs(root, exist_ok=True)
        return Collection(root)
    except OSError as error:  # PathError, from Collection, is an OSError too
        raise CannotConvert(f"{root}: cannot write there: {error}") from None


def _path_problem(item: Item) -> str | None:
    """Why a clipping's path would not be read back as one of the folder's
    documents, if so."""
    if item.relative is None or is_walked(item.relative):
        return None
    if not item.relative.endswith(".md"):
        return f"{item.relative!r} does not end in .md; it would not be read back"
    return (
        f"{item.relative!r} is the index README.md or in a hidden folder; it would not be read back"
    )


@attrs.frozen(kw_only=True)
class TreeFormat(Format):
    """One clipping per file of a folder, at the path it came with (or
    where the producer would write it)."""

    layout: ClassVar[Layout] = "tree"

    encode: Callable[[Clipping], bytes]
    read_file: ReadFile

    def read(self, source: Source) -> Iterator[Item]:
        folder = Folder(source.path, follow_links=source.follow_links)
        with folder.reading_in_order() as reader:
            work = functools.partial(self.read_file, reader, source.recover)
            yield from ordered_map(work, _found(source), jobs=source.jobs)

    def write(self, clippings: Clippings, target: Target, report: Report) -> None:
        collection = _collection(target.path)
        # The items on their way into the collection, by their number, until
        # it says what became of them.
        waiting: dict[int, Item] = {}
        numbers = itertools.count()

        def pairs() -> Iterator[tuple[str | None, Clipping]]:
            for item, clipping in clippings:
                problem = _path_problem(item)
                if problem is not None:
                    report(Written(item=item, problem=problem))
                    continue
                waiting[next(numbers)] = item
                yield item.relative, clipping

        for added in collection.write_all(pairs(), replace=target.replace, encode=self.encode):
            item = waiting.pop(added.index)
            if added.error is not None:
                report(Written(item=item, problem=f"{added.error.code} {added.error.message}"))
            else:
                report(Written(item=item, status=added.status))
