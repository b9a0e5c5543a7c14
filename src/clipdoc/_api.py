"""The public functions: parse, render, check, load and dump."""

from __future__ import annotations

import os
from typing import BinaryIO

from ._core.errors import ClipdocError, Diagnostic, raise_or_warn
from ._core.model import Clipping
from ._core.read import decode, read_document
from ._core.writer import render_document
from ._storage.files import read_bytes, write_atomically

Source = str | os.PathLike[str] | BinaryIO
"""A path, or a binary file open for reading."""


def parse(text: str, *, recover: bool = False) -> Clipping:
    """Read a clipping document.

    Raises `ClipdocError` for the first error; each benign variant (CRLF line
    endings, a BOM, extra blank lines, ...) is accepted and reported as a
    `ClipdocWarning`. With ``recover=True`` it never raises: text it cannot
    place is kept in extra sections whose heading starts ``clipdoc: unparsed``,
    and every problem is reported as a warning.

    >>> clip = parse("# Hello\\n\\n**URL**: https://example.com\\n")
    >>> clip.title, clip.url
    ('Hello', 'https://example.com')
    """
    if not isinstance(text, str):
        raise TypeError(
            f"parse() takes a str, not {type(text).__name__}; use clipdoc.load() for bytes"
            " and files"
        )
    clipping, diagnostics = read_document(text)
    if diagnostics:
        raise_or_warn(diagnostics, recover=recover, stacklevel=2)
    return clipping


def render(clipping: Clipping) -> str:
    """Write a clipping as its canonical document.

    ``parse(render(clip)) == clip`` for every valid clipping.

    >>> print(render(Clipping(title="Hello", ai_summary="Short.")), end="")
    # Hello
    <BLANKLINE>
    ## AI 摘要
    <BLANKLINE>
    Short.
    """
    if not isinstance(clipping, Clipping):
        raise TypeError(f"render() takes a Clipping, not {type(clipping).__name__}")
    return render_document(clipping)


def check(text: str) -> list[Diagnostic]:
    """Every problem in a document, errors and warnings, in document order.

    >>> [d.code for d in check("# Hello\\r\\n")]
    ['CD202']
    """
    if not isinstance(text, str):
        raise TypeError(f"check() takes a str, not {type(text).__name__}")
    return list(read_document(text)[1])


def load(source: Source, *, recover: bool = False) -> Clipping:
    """Read a clipping document from a path or a binary file (UTF-8).

    Invalid UTF-8 raises `ClipdocError` CD110 with its line, column and byte
    offset; a leading BOM is accepted and reported as a warning. An error in
    a file named by its path knows that path (``error.path``).

    >>> import io
    >>> load("examples/seed.md").url
    'https://weibo.com/6105753431/Pqzc66P5o'
    >>> try:
    ...     load(io.BytesIO(b"# t\\n\\n## AI \\xe6\\x91\\x98\\xe8\\xa6\\x81\\n\\nbad \\xff\\n"))
    ... except ClipdocError as error:
    ...     print(error.code, error.line, error.column)
    CD110 5 5
    """
    data = read_bytes(source)
    try:
        return parse(decode(data), recover=recover)
    except ClipdocError as error:
        if isinstance(source, (str, os.PathLike)) and error.path is None:
            raise ClipdocError(
                error.code,
                error.message,
                line=error.line,
                column=error.column,
                path=os.fspath(source),
            ) from None
        raise


def dump(clipping: Clipping, target: Source) -> None:
    """Write the canonical document to a path (atomically: the file is
    replaced whole or not at all, keeping its permissions) or to a binary file.

    >>> import io
    >>> buffer = io.BytesIO()
    >>> dump(Clipping(title="标题", url="https://example.com"), buffer)
    >>> buffer.getvalue().decode()
    '# 标题\\n\\n**URL**: https://example.com\\n'
    """
    write_atomically(target, render(clipping).encode("utf-8"))
