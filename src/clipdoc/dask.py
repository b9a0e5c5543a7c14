"""Collections as Dask dataframes, on any fsspec file system.

`read_collection` lists the documents of a collection at an fsspec URL (a
local folder, ``s3://``, ``gs://``, ``memory://``, ...) and reads them in
partitions of ``blocksize`` documents each, in the workers: no single
process holds the collection. Each partition is a pandas frame in the Arrow
schema of `clipdoc.arrow` (Arrow-backed columns, ``path`` included), one row
per document.

What becomes of a document that cannot be read, or has errors, is the
``errors`` policy's choice; nothing is ever left out silently:

* ``errors="raise"`` (the default): computing the partition that holds it
  raises a `clipdoc.ClipdocError` with the document's code and its path
  relative to the collection. The frame has exactly the columns of the
  Arrow schema.
* ``errors="report"``: every document gives a row, and the frame has one
  more column, ``diagnostics``: a list of structs ``{code, severity, line,
  column, message}`` (``line`` and ``column`` int32, null where there is no
  position) holding every diagnostic of the document, warnings included
  (empty for a document that has none). A document with errors, or a file
  that cannot be read, gives a row with its ``path`` and its diagnostics
  only: the other columns are null, or empty where the schema allows no
  null (``title`` is ``""``, ``has_metadata`` false, the lists empty).

A local folder (a path or a ``file://`` URL) is read through clipdoc's own
storage layer, by the rules of ``clipdoc check``: a FIFO, socket or device
(CD505), a link that leads out of the folder (CD503), a file above the size
limit (CD506) and a folder that cannot be listed (CD504) are reported, never
opened. Other file systems are read with fsspec; a file that cannot be read
is a CD504. A ``memory://`` file system lives in the process that calls
`read_collection`, where worker processes cannot see it: its files are read
there and sent to the workers with the task graph.

`write_collection` writes the documents of such a frame back, at their
paths, with the same bytes. A path that already holds other bytes is an
error (CD502) unless ``overwrite=True``; identical bytes are left alone.
Needs the ``dask`` extra: ``pip install 'clipdoc[dask]'``.

The same code runs on a laptop and on a cluster: only the scheduler the
computation is sent to differs (``dask.distributed.Client(address)``).
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterable, Sequence
from typing import Any, Literal

from ._core.errors import ClipdocError, Diagnostic, ExistsError, Severity, path_error
from ._core.model import Clipping
from ._core.read import read_data, unreadable
from ._core.writer import render_document
from ._storage.collection import Collection
from ._storage.documents import DocumentFile, read_document_file
from ._storage.files import Folder, check_relative
from ._storage.names import clipping_path
from ._storage.walk import Found, checked_patterns, is_walked, walk

__all__ = ["read_collection", "write_collection"]

#: How many documents one partition reads, by default.
BLOCKSIZE = 1000

#: The policies of `read_collection` for documents that cannot be read.
Errors = Literal["raise", "report"]


def _modules() -> tuple[Any, Any, Any, Any]:
    try:
        import dask
        import dask.dataframe as dataframe
        import fsspec
        import pandas
    except ImportError:
        raise ImportError(
            "Dask collections need dask, fsspec and pyarrow: pip install 'clipdoc[dask]'"
        ) from None
    return dask, dataframe, fsspec, pandas


def _file_system(urlpath: str, storage_options: dict[str, Any] | None) -> tuple[Any, str]:
    _, _, fsspec, _ = _modules()
    fs, root = fsspec.core.url_to_fs(urlpath, **(storage_options or {}))
    return fs, root.rstrip("/")


def _protocols(fs: Any) -> tuple[str, ...]:
    protocol = fs.protocol
    return tuple(protocol) if isinstance(protocol, (tuple, list)) else (str(protocol),)


def _is_local(fs: Any) -> bool:
    return bool({"file", "local"} & set(_protocols(fs)))


def _in_process(fs: Any) -> bool:
    """Whether the file system's data lives in this process's memory, out
    of reach of worker processes."""
    return "memory" in _protocols(fs) or type(fs).__name__ == "MemoryFileSystem"


def document_paths(
    urlpath: str, *, storage_options: dict[str, Any] | None = None, exclude: Sequence[str] = ()
) -> list[str]:
    """The relative paths of the documents of a collection at ``urlpath``,
    by the rules of clipdoc's folder walk (the root ``README.md`` index,
    hidden folders and ``exclude`` left out), sorted by path part by part."""
    fs, root = _file_system(urlpath, storage_options)
    found = []
    for full in fs.find(root, withdirs=False):
        relative = posixpath.relpath(str(full), root) if root else str(full)
        if is_walked(relative, exclude):
            found.append(relative)
    return sorted(found, key=lambda path: path.split("/"))


# ----------------------------------------------------------------- frames


def _diagnostic_type() -> Any:
    import pyarrow

    return pyarrow.struct(
        [
            pyarrow.field("code", pyarrow.string(), False),
            pyarrow.field("severity", pyarrow.string(), False),
            pyarrow.field("line", pyarrow.int32()),
            pyarrow.field("column", pyarrow.int32()),
            pyarrow.field("message", pyarrow.string(), False),
        ]
    )


def _schema(errors: Errors) -> Any:
    """The Arrow schema of a partition: clipdoc's, plus ``diagnostics``
    when every document gives a row."""
    import pyarrow

    from .arrow import schema

    if errors == "raise":
        return schema()
    item = pyarrow.field("item", _diagnostic_type(), False)
    return schema().append(pyarrow.field("diagnostics", pyarrow.list_(item), False))


def _pandas(table: Any) -> Any:
    _, _, _, pandas = _modules()
    return table.to_pandas(types_mapper=pandas.ArrowDtype)


def _empty_frame(errors: Errors = "raise") -> Any:
    return _pandas(_schema(errors).empty_table())


def _stopped(document: DocumentFile) -> ClipdocError:
    """The error that stops a read with the "raise" policy."""
    first = next(d for d in document.diagnostics if d.severity is Severity.ERROR)
    return ClipdocError(
        first.code,
        f"{first.message} [read_collection stops at the first document with an error;"
        ' pass errors="report" to get a row for every document, with its diagnostics]',
        line=first.line,
        column=first.column,
        path=document.relative,
    )


def _report_row(document: DocumentFile) -> dict[str, Any]:
    from ._core.records import to_record

    clipping = document.valid_clipping
    if clipping is not None:
        row = to_record(document.relative, clipping)
    else:
        # The least the schema's non-null columns allow.
        row = {
            "path": document.relative,
            "title": "",
            "extra_sections": [],
            "has_metadata": False,
            "extra": [],
        }
    row["diagnostics"] = [
        {
            "code": d.code,
            "severity": d.severity.value,
            "line": d.line,
            "column": d.column,
            "message": d.message,
        }
        for d in document.diagnostics
    ]
    return row


def _frame(documents: Iterable[DocumentFile], errors: Errors) -> Any:
    """One partition's frame, by the ``errors`` policy."""
    import pyarrow

    from .arrow import to_table

    if errors == "report":
        rows = [_report_row(document) for document in documents]
        return _pandas(pyarrow.Table.from_pylist(rows, schema=_schema(errors)))
    pairs: list[tuple[str, Clipping]] = []
    for document in documents:
        clipping = document.valid_clipping
        if clipping is None:
            raise _stopped(document)
        pairs.append((document.relative, clipping))
    return _pandas(to_table(pairs))


# ----------------------------------------------------------------- reading


def _read_local(folder: Folder, group: list[Found], errors: Errors) -> Any:
    """One partition of a local folder, read in a worker."""
    return _frame((read_document_file(folder, found) for found in group), errors)


def _fetch(fs: Any, root: str, relative: str) -> bytes | Diagnostic:
    """A file's bytes through fsspec, or the CD504 that says why not."""
    try:
        data = fs.cat_file(f"{root}/{relative}")
    except OSError as exc:
        return unreadable(exc)
    return bytes(data)


def _document(relative: str, data: bytes | Diagnostic) -> DocumentFile:
    if isinstance(data, Diagnostic):
        return DocumentFile(relative=relative, diagnostics=(data,))
    text, clipping, diagnostics = read_data(data)
    return DocumentFile(relative=relative, text=text, clipping=clipping, diagnostics=diagnostics)


def _read_remote(
    urlpath: str, storage_options: dict[str, Any] | None, group: list[str], errors: Errors
) -> Any:
    """One partition of a collection on another file system, read in a worker."""
    fs, root = _file_system(urlpath, storage_options)
    return _frame((_document(r, _fetch(fs, root, r)) for r in group), errors)


def _read_fetched(group: list[tuple[str, bytes | Diagnostic]], errors: Errors) -> Any:
    """One partition whose bytes were fetched by the caller."""
    return _frame((_document(relative, data) for relative, data in group), errors)


def _groups(items: list[Any], blocksize: int) -> list[list[Any]]:
    return [items[start : start + blocksize] for start in range(0, len(items), blocksize)]


def _checked_errors(errors: object) -> Errors:
    if not isinstance(errors, str):
        raise TypeError(f"errors must be 'raise' or 'report' (a str), not {type(errors).__name__}")
    if errors == "raise":
        return "raise"
    if errors == "report":
        return "report"
    raise ValueError(f"errors must be 'raise' or 'report', not {errors!r:.40}")


def _partitions(
    url: str,
    storage_options: dict[str, Any] | None,
    exclude: Sequence[str],
    blocksize: int,
    errors: Errors,
) -> list[Any]:
    """The delayed partitions of the collection at ``url``, listed here."""
    dask, _, _, _ = _modules()
    fs, root = _file_system(url, storage_options)
    if _is_local(fs):
        # The storage layer never opens a FIFO or device (which would block
        # a worker forever) nor follows a link out of the folder.
        top = root or "/"
        folder = Folder(top, relative_names=True)
        found = list(walk(top, exclude=exclude))
        return [dask.delayed(_read_local)(folder, g, errors) for g in _groups(found, blocksize)]
    paths = document_paths(url, storage_options=storage_options, exclude=exclude)
    if not paths and not fs.isdir(root):
        raise path_error("CD504", "no such folder; nothing to read", path=url, errno=None)
    if _in_process(fs):
        # Worker processes have memory file systems of their own, empty:
        # the bytes travel with the task graph instead.
        fetched = [(relative, _fetch(fs, root, relative)) for relative in paths]
        return [dask.delayed(_read_fetched)(g, errors) for g in _groups(fetched, blocksize)]
    return [
        dask.delayed(_read_remote)(url, storage_options, g, errors)
        for g in _groups(paths, blocksize)
    ]


def read_collection(
    urlpath: str | os.PathLike[str],
    *,
    blocksize: int = BLOCKSIZE,
    storage_options: dict[str, Any] | None = None,
    exclude: Sequence[str] = (),
    errors: Errors = "raise",
) -> Any:
    """A Dask dataframe with one row per document of the collection at
    ``urlpath``, partitioned by groups of ``blocksize`` documents (in path
    order), each read by a worker.

    ``errors`` says what a document that cannot be read, or has errors,
    does: ``"raise"`` raises its `ClipdocError` when its partition is
    computed; ``"report"`` gives it a row, and adds a ``diagnostics``
    column to the frame (see the module's documentation).

    >>> import clipdoc.dask
    >>> frame = clipdoc.dask.read_collection("examples")
    >>> frame.npartitions, list(frame.compute()["path"])
    (1, ['seed.md'])
    >>> report = clipdoc.dask.read_collection("examples", errors="report").compute()
    >>> [(row.path, list(row.diagnostics)) for row in report.itertuples()]
    [('seed.md', [])]
    """
    _, dataframe, _, _ = _modules()
    if not isinstance(blocksize, int) or isinstance(blocksize, bool) or blocksize < 1:
        raise TypeError(f"blocksize must be an int of 1 or more, not {blocksize!r:.40}")
    policy = _checked_errors(errors)
    patterns = checked_patterns(exclude)
    parts = _partitions(os.fspath(urlpath), storage_options, patterns, blocksize, policy)
    meta = _empty_frame(policy)
    if not parts:
        return dataframe.from_pandas(meta, npartitions=1)
    return dataframe.from_delayed(parts, meta=meta, verify_meta=False)


# ----------------------------------------------------------------- writing


def _documents_of(frame: Any) -> list[tuple[str | None, Clipping]]:
    """The ``(path, clipping)`` of every row that holds a document: rows
    that ``errors="report"`` gave to documents with errors hold none."""
    import pyarrow

    from .arrow import rows, schema

    table = pyarrow.Table.from_pandas(frame, schema=schema(), preserve_index=False)
    if "diagnostics" in frame.columns:
        held = [
            not any(d["severity"] == "error" for d in diagnostics or ())
            for diagnostics in pyarrow.array(frame["diagnostics"]).to_pylist()
        ]
        table = table.filter(pyarrow.array(held, pyarrow.bool_()))
    return list(rows(table))


#: What a path that holds another document says, without ``overwrite``.
_TAKEN = "already holds a different document; write_collection(..., overwrite=True) replaces it"


def _encoded(clipping: Clipping) -> bytes:
    return render_document(clipping).encode("utf-8")


def _write_local(
    root: str, documents: list[tuple[str | None, Clipping]], overwrite: bool
) -> tuple[int, ClipdocError | None]:
    """Write through the collection's storage layer: exclusive new files,
    checked replacements, durable writes."""
    try:
        os.makedirs(root, exist_ok=True)
    except OSError as exc:
        message = f"cannot write: {exc.strerror or exc}"
        return 0, path_error("CD508", message, path=root, errno=exc.errno)
    pairs = [(path or None, clipping) for path, clipping in documents]
    count, first = 0, None
    for added in Collection(root).write_all(pairs, replace=overwrite, encode=_encoded):
        if added.error is None:
            count += 1
        elif first is None:
            first = added.error
    return count, first


def _write_one(fs: Any, root: str, relative: str, data: bytes, overwrite: bool) -> None:
    target = f"{root}/{relative}"
    try:
        if not overwrite and fs.exists(target):
            if bytes(fs.cat_file(target)) == data:
                return
            raise ExistsError(_TAKEN, path=relative)
        fs.makedirs(posixpath.dirname(target), exist_ok=True)
        fs.pipe_file(target, data)  # object stores write whole objects
    except ClipdocError:
        raise
    except OSError as exc:
        message = f"cannot write: {exc.strerror or exc}"
        raise path_error("CD508", message, path=relative, errno=exc.errno) from None


def _write_other(
    fs: Any, root: str, documents: list[tuple[str | None, Clipping]], overwrite: bool
) -> tuple[int, ClipdocError | None]:
    count, first = 0, None
    for path, clipping in documents:
        try:
            relative = path or clipping_path(clipping)
            check_relative(relative)
            _write_one(fs, root, relative, _encoded(clipping), overwrite)
        except ClipdocError as error:
            first = first or error
        else:
            count += 1
    return count, first


def _write_partition(
    frame: Any, urlpath: str, storage_options: dict[str, Any] | None, overwrite: bool
) -> Any:
    """Write one partition's documents; how many, as a one-row Series. The
    first error is raised once every other document is written."""
    _, _, _, pandas = _modules()
    fs, root = _file_system(urlpath, storage_options)
    documents = _documents_of(frame)
    if _is_local(fs):
        count, error = _write_local(root or "/", documents, overwrite)
    else:
        count, error = _write_other(fs, root, documents, overwrite)
    if error is not None:
        raise error
    return pandas.Series([count], dtype="int64")


def write_collection(
    frame: Any,
    urlpath: str | os.PathLike[str],
    *,
    storage_options: dict[str, Any] | None = None,
    overwrite: bool = False,
) -> int:
    """Write the documents of a dataframe from `read_collection` (or any
    frame in the Arrow schema) to the collection at ``urlpath``, each at its
    ``path`` (where the producer would write it when null), with the bytes
    clipdoc writes; returns how many. Each worker writes its partitions.

    A path that already holds other bytes is a `ClipdocError` (CD502),
    raised once the rest of its partition is written, unless ``overwrite``;
    a file with the same bytes is left alone. Rows of ``errors="report"``
    whose diagnostics hold an error have no document and are not written.
    On a local file system, files are written as `clipdoc.Collection` writes
    them: never through a link, each new file exclusively, each replacement
    atomically.
    """
    if not isinstance(overwrite, bool):
        raise TypeError(f"overwrite must be True or False, not {overwrite!r:.40}")
    url = os.fspath(urlpath)
    fs, _ = _file_system(url, storage_options)
    if _in_process(fs):
        # Worker processes would write to file systems of their own: each
        # partition is brought here and written in this process.
        return sum(
            int(_write_partition(part.compute(), url, storage_options, overwrite).iloc[0])
            for part in frame.to_delayed()
        )
    counts = frame.map_partitions(
        _write_partition, url, storage_options, overwrite, meta=("count", "int64")
    )
    return int(counts.sum().compute())
