"""Reading a document file: the one place where a file below a folder
becomes a clipping and its diagnostics."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import attrs

from .._core.errors import Diagnostic, PathError
from .._core.model import Clipping
from .._core.read import has_error, read_data
from .files import Folder, Stamp
from .walk import Found, walk

#: The codes of files that could not be read at all (rather than read and
#: found wanting): for a command, I/O problems.
FILE_CODES = frozenset({"CD503", "CD504", "CD505", "CD506"})


def file_problem(diagnostics: tuple[Diagnostic, ...]) -> Diagnostic | None:
    """Why a file could not be read at all, if that is what the
    diagnostics of reading it say."""
    problems = [d for d in diagnostics if d.code in FILE_CODES]
    return problems[-1] if problems else None


def found_below(
    folder: str, *, exclude: Sequence[str] = (), include_index: bool = False
) -> Iterator[Found]:
    """`walk`, where a folder that cannot be listed at all is a `Found`
    with its problem too."""
    try:
        yield from walk(folder, exclude=exclude, include_index=include_index)
    except PathError as problem:
        yield Found("", problem=problem)


@attrs.frozen(kw_only=True)
class DocumentFile:
    """What reading one file gave.

    ``text`` is None when the file could not be read or is not UTF-8;
    ``clipping`` is what the reader made of it (recovered when it has
    errors); ``diagnostics`` hold the problems with its name first (CD509),
    then those of reading it; ``stamp`` identifies what was read, for a
    checked replacement.
    """

    relative: str
    text: str | None = None
    clipping: Clipping | None = None
    diagnostics: tuple[Diagnostic, ...] = ()
    stamp: Stamp | None = None

    @property
    def has_errors(self) -> bool:
        return has_error(self.diagnostics)

    @property
    def valid_clipping(self) -> Clipping | None:
        """The clipping, when the document has no error."""
        return None if self.has_errors else self.clipping


def read_document_file(folder: Folder, found: Found | str) -> DocumentFile:
    """Read the document at ``found`` (a walk's `Found`, or a relative
    path) below ``folder``: a file that cannot be read is a `DocumentFile`
    whose diagnostic says why, never an exception."""
    if isinstance(found, str):
        found = Found(found)
    if found.problem is not None:
        return DocumentFile(relative=found.relative, diagnostics=(found.problem.diagnostic,))
    try:
        data, stamp = folder.read(found.relative)
    except PathError as error:
        return DocumentFile(
            relative=found.relative, diagnostics=(*found.warnings, error.diagnostic)
        )
    text, clipping, diagnostics = read_data(data)
    return DocumentFile(
        relative=found.relative,
        text=text,
        clipping=clipping,
        diagnostics=(*found.warnings, *diagnostics),
        stamp=stamp,
    )
