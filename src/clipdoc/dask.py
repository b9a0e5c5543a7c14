"""Collections as Dask dataframes, on any fsspec file system.

`read_collection` lists the documents of a collection at an fsspec URL (a
local folder, ``s3://``, ``gs://``, ``memory://``, ...) and reads them in
partitions of ``blocksize`` documents each, in the workers: no single
process holds the collection. Each partition is a pandas frame in the Arrow
schema of `clipdoc.arrow` (Arrow-backed columns, ``path`` included), one row
per valid document; documents with errors are left out, as in
`clipdoc.Collection.records` (``clipdoc check`` reports them).
`write_collection` writes the documents of such a frame back, at their
paths, with the same bytes. Needs the ``dask`` extra:
``pip install 'clipdoc[dask]'``.

The same code runs on a laptop and on a cluster: only the scheduler the
computation is sent to differs (``dask.distributed.Client(address)``).
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Sequence
from typing import Any

from ._core.read import has_error, read_data
from ._core.writer import render_document
from ._storage.files import check_relative, write_atomically
from ._storage.names import clipping_path
from ._storage.walk import keeps_document, skips_folder

__all__ = ["read_collection", "write_collection"]

#: How many documents one partition reads, by default.
BLOCKSIZE = 1000


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
        parts = relative.split("/")
        folders = ("/".join(parts[:depth]) for depth in range(1, len(parts)))
        if keeps_document(relative, exclude, False) and not any(
            skips_folder(folder, exclude) for folder in folders
        ):
            found.append(relative)
    return sorted(found, key=lambda path: path.split("/"))


def _empty_frame() -> Any:
    _, _, _, pandas = _modules()
    from .arrow import schema

    return schema().empty_table().to_pandas(types_mapper=pandas.ArrowDtype)


def _read_group(urlpath: str, storage_options: dict[str, Any] | None, group: list[str]) -> Any:
    """One partition: the valid documents of ``group``, read in a worker."""
    _, _, _, pandas = _modules()
    from .arrow import to_table

    fs, root = _file_system(urlpath, storage_options)
    pairs = []
    for relative in group:
        try:
            _, clipping, diagnostics = read_data(fs.cat_file(f"{root}/{relative}"))
        except OSError:
            continue
        if clipping is not None and not has_error(diagnostics):
            pairs.append((relative, clipping))
    return to_table(pairs).to_pandas(types_mapper=pandas.ArrowDtype)


def read_collection(
    urlpath: str | os.PathLike[str],
    *,
    blocksize: int = BLOCKSIZE,
    storage_options: dict[str, Any] | None = None,
    exclude: Sequence[str] = (),
) -> Any:
    """A Dask dataframe with one row per valid document of the collection at
    ``urlpath``, partitioned by groups of ``blocksize`` documents (in path
    order), each read by a worker.

    >>> import clipdoc.dask
    >>> frame = clipdoc.dask.read_collection("examples")
    >>> frame.npartitions, list(frame.compute()["path"])
    (1, ['seed.md'])
    """
    dask, dataframe, _, _ = _modules()
    if not isinstance(blocksize, int) or isinstance(blocksize, bool) or blocksize < 1:
        raise TypeError(f"blocksize must be an int of 1 or more, not {blocksize!r:.40}")
    url = os.fspath(urlpath)
    paths = document_paths(url, storage_options=storage_options, exclude=exclude)
    meta = _empty_frame()
    if not paths:
        return dataframe.from_pandas(meta, npartitions=1)
    groups = [paths[start : start + blocksize] for start in range(0, len(paths), blocksize)]
    parts = [dask.delayed(_read_group)(url, storage_options, group) for group in groups]
    return dataframe.from_delayed(parts, meta=meta, verify_meta=False)


def _write_partition(frame: Any, urlpath: str, storage_options: dict[str, Any] | None) -> Any:
    """Write one partition's documents; how many, as a one-row Series."""
    _, _, _, pandas = _modules()
    import pyarrow

    from .arrow import rows, schema

    fs, root = _file_system(urlpath, storage_options)
    local = "file" in (fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,))
    table = pyarrow.Table.from_pandas(frame, schema=schema(), preserve_index=False)
    count = 0
    for path, clipping in rows(table):
        relative = path or clipping_path(clipping)
        check_relative(relative)
        target = f"{root}/{relative}"
        fs.makedirs(posixpath.dirname(target), exist_ok=True)
        data = render_document(clipping).encode("utf-8")
        if local:
            write_atomically(target, data)  # a temporary file and a rename
        else:
            fs.pipe_file(target, data)  # object stores write whole objects
        count += 1
    return pandas.Series([count], dtype="int64")


def write_collection(
    frame: Any, urlpath: str | os.PathLike[str], *, storage_options: dict[str, Any] | None = None
) -> int:
    """Write the documents of a dataframe from `read_collection` (or any
    frame in the Arrow schema) to the collection at ``urlpath``, each at its
    ``path`` (where the producer would write it when null), with the bytes
    clipdoc writes; returns how many. Each worker writes its partitions; on
    a local file system every file is replaced atomically."""
    url = os.fspath(urlpath)
    counts = frame.map_partitions(_write_partition, url, storage_options, meta=("count", "int64"))
    return int(counts.sum().compute())
