"""A folder of clipping documents: read, query, write and index it."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import attrs

from ._batch import (
    checked_folder,
    checked_jobs,
    checked_patterns,
    ordered_map,
    walk_relative,
)
from ._errors import ClipdocError, Diagnostic, Severity
from ._files import UnsafePath, safe_relative_path, target_inside, write_atomically
from ._model import Clipping, Metadata, Section
from ._names import clipping_path
from ._read import has_error, read_data, unreadable
from ._writer import render_document

#: The keys of `Collection.records`, in order; see the documentation of
#: `record` for what each holds.
RECORD_KEYS = (
    "path",
    "title",
    "url",
    "original_summary",
    "ai_summary",
    "extra_sections",
    "has_metadata",
    "source",
    "kind",
    "saved_at",
    "saved_at_offset",
    "catalog_date",
    "extra",
)


@attrs.frozen(kw_only=True)
class Entry:
    """One document of a `Collection`.

    ``path`` is relative to the collection's root, ``/``-separated;
    ``clipping`` is None when the document has errors, which
    ``diagnostics`` (errors and warnings, in document order) then say.

    >>> entry = next(iter(Collection("examples")))
    >>> entry.path, entry.clipping.url, entry.diagnostics
    ('seed.md', 'https://weibo.com/6105753431/Pqzc66P5o', ())
    """

    path: str
    clipping: Clipping | None
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        """The diagnostics that are errors."""
        return tuple(d for d in self.diagnostics if d.severity is Severity.ERROR)


def _read_entry(root: str, relative: str) -> Entry:
    """One document as an `Entry`; unreadable files are entries with errors."""
    path = os.path.join(root, *relative.split("/"))
    try:
        with open(path, "rb") as file:
            data = file.read()
    except OSError as exc:
        return Entry(path=relative, clipping=None, diagnostics=(unreadable(exc),))
    _, clipping, diagnostics = read_data(data)
    failed = has_error(diagnostics)
    return Entry(path=relative, clipping=None if failed else clipping, diagnostics=diagnostics)


class Collection:
    """A folder of clipping documents, such as the producer's date folders.

    Iterating yields an `Entry` per ``*.md`` document, sorted by path, one at
    a time (a collection of any size never sits in memory), and never stops
    at a bad file. The ``README.md`` index at the root, hidden folders and
    paths matching ``exclude`` are left out, by the same rules as the
    ``clipdoc`` command's folder walk. ``jobs`` reads with that many worker
    processes (0: one per CPU), the entries still in path order.

    >>> collection = Collection("examples")
    >>> [entry.path for entry in collection]
    ['seed.md']
    >>> collection.load("seed.md").metadata.catalog_date
    datetime.date(2025, 5, 6)
    """

    def __init__(
        self, root: str | os.PathLike[str], *, exclude: Sequence[str] = (), jobs: int = 1
    ) -> None:
        self.root = Path(checked_folder(root, "root"))
        if not self.root.is_dir():
            raise NotADirectoryError(f"{self.root}: not a folder; a collection is a folder")
        self.exclude = checked_patterns(exclude)
        self.jobs = checked_jobs(jobs)

    def __repr__(self) -> str:
        return f"Collection({str(self.root)!r}, exclude={self.exclude!r}, jobs={self.jobs})"

    def paths(self) -> Iterator[str]:
        """The relative, ``/``-separated path of every document, sorted."""
        return walk_relative(str(self.root), exclude=self.exclude)

    def __iter__(self) -> Iterator[Entry]:
        # ordered_map sends documents to the workers in small batches and
        # keeps only a few batches in flight: memory stays flat.
        read = functools.partial(_read_entry, str(self.root))
        return ordered_map(read, self.paths(), jobs=self.jobs)

    def get(self, path: str) -> Entry:
        """The entry of one document, by its relative path."""
        return _read_entry(str(self.root), _relative(path))

    def load(self, path: str) -> Clipping:
        """The clipping of one document; its first error is raised as a
        `ClipdocError` whose ``path`` is the document's."""
        entry = self.get(path)
        if entry.clipping is None:
            first = entry.errors[0]
            raise ClipdocError(
                first.code, first.message, line=first.line, column=first.column, path=entry.path
            )
        return entry.clipping

    # ----------------------------------------------------------------- queries

    def select(
        self,
        *,
        since: date | str | None = None,
        until: date | str | None = None,
        source: str | None = None,
        kind: str | None = None,
        host: str | None = None,
    ) -> Iterator[Entry]:
        """The valid entries that match every condition given.

        ``since`` and ``until`` (dates or ``YYYY-MM-DD``, both included)
        compare with the catalog date; ``source`` and ``kind`` with the
        metadata items; ``host`` with the URL's host name, a subdomain
        included (``weibo.com`` matches ``m.weibo.com``), so that posts and
        papers can be told apart whatever the items say.

        >>> [entry.path for entry in Collection("examples").select(host="weibo.com")]
        ['seed.md']
        >>> list(Collection("examples").select(since="2025-05-07"))
        []
        """
        first = _as_date(since, "since")
        last = _as_date(until, "until")
        for name, value in (("source", source), ("kind", kind), ("host", host)):
            if value is not None and not isinstance(value, str):
                raise TypeError(f"{name} must be a str or None, not {type(value).__name__}")
        wanted_host = host.lower().rstrip(".") if host is not None else None
        for entry in self:
            clip = entry.clipping
            if clip is None:
                continue
            metadata = clip.metadata or Metadata()
            catalog = metadata.catalog_date
            if (first is not None or last is not None) and catalog is None:
                continue
            if first is not None and catalog is not None and catalog < first:
                continue
            if last is not None and catalog is not None and catalog > last:
                continue
            if source is not None and metadata.source != source:
                continue
            if kind is not None and metadata.kind != kind:
                continue
            if wanted_host is not None and not _host_matches(clip.url, wanted_host):
                continue
            yield entry

    def find(self, url: str) -> list[Entry]:
        """Every valid entry whose URL is exactly ``url``."""
        if not isinstance(url, str):
            raise TypeError(f"url must be a str, not {type(url).__name__}")
        return [e for e in self if e.clipping is not None and e.clipping.url == url]

    def duplicates(self) -> dict[str, list[Entry]]:
        """Every URL that more than one valid document holds, with all their
        entries, in path order. Two passes: the first keeps only the URLs."""
        counts: dict[str, int] = {}
        for entry in self:
            if entry.clipping is not None and entry.clipping.url:
                counts[entry.clipping.url] = counts.get(entry.clipping.url, 0) + 1
        repeated = {url for url, count in counts.items() if count > 1}
        found: dict[str, list[Entry]] = {}
        if not repeated:
            return found
        for entry in self:
            if entry.clipping is not None and entry.clipping.url in repeated:
                found.setdefault(entry.clipping.url, []).append(entry)
        return found

    def records(self) -> Iterator[dict[str, Any]]:
        """One flat `dict` per valid document (see `record`), in path order."""
        for entry in self:
            if entry.clipping is not None:
                yield record(entry.path, entry.clipping)

    # ----------------------------------------------------------------- writing

    def add(self, clipping: Clipping, *, replace: bool = False) -> str:
        """Write ``clipping`` where the producer would, and return that path.

        The path is ``<catalog date>/<file name>.md`` (see `clipping_path`).
        An identical existing file is left alone; a different one is replaced
        only with ``replace=True``, else `ClipdocError` CD502 names it. The
        file is written atomically.
        """
        if not isinstance(clipping, Clipping):
            raise TypeError(f"add() takes a Clipping, not {type(clipping).__name__}")
        relative = clipping_path(clipping)
        data = render_document(clipping).encode("utf-8")
        try:
            target = target_inside(str(self.root), relative)
        except UnsafePath as problem:  # a link in the collection leads out of it
            raise ClipdocError("CD503", str(problem), path=relative) from None
        if os.path.lexists(target):
            if os.path.isdir(target):
                raise ClipdocError(
                    "CD502", f"{relative} is a folder; move it away first", path=relative
                )
            with open(target, "rb") as file:
                if file.read() == data:
                    return relative
            if not replace:
                raise ClipdocError(
                    "CD502",
                    f"{relative} holds another document; pass replace=True to replace it, or"
                    " change the title or catalog date so that the paths differ",
                    path=relative,
                )
        os.makedirs(os.path.dirname(target), exist_ok=True)
        write_atomically(target, data)
        return relative

    # ------------------------------------------------------------------- index

    def index(self, *, style: Literal["clipdoc", "ai_info"] = "clipdoc") -> str:
        """The collection's index ``README.md`` as text.

        ``style="ai_info"`` is the producer's own index, byte for byte;
        ``"clipdoc"`` the same information in a stable order, with
        CommonMark escaping and links that work everywhere.
        """
        if style == "ai_info":
            from ._ai_info import ai_info_index

            return ai_info_index(self.root).decode("utf-8", errors="surrogateescape")
        if style == "clipdoc":
            from ._index import clipdoc_index

            return clipdoc_index(self)
        raise ValueError(f"style is 'clipdoc' or 'ai_info', not {style!r}")


def _relative(path: str) -> str:
    if not isinstance(path, str):
        raise TypeError(f"path must be a str relative to the root, not {type(path).__name__}")
    try:
        safe_relative_path(path)
    except UnsafePath as problem:
        raise ValueError(str(problem)) from None
    return path


def _as_date(value: date | str | None, name: str) -> date | None:
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{name}: {value!r:.40} is not a YYYY-MM-DD date") from None
    raise TypeError(f"{name} must be a date, a YYYY-MM-DD str or None, not {type(value).__name__}")


def _host_matches(url: str | None, wanted: str) -> bool:
    if not url:
        return False
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return False
    if host is None:
        return False
    host = host.rstrip(".")
    return host == wanted or host.endswith("." + wanted)


# --------------------------------------------------------------------- records


def record(path: str | None, clipping: Clipping) -> dict[str, Any]:
    """The flat record of one clipping, the contract of `Collection.records`.

    - ``path``: the document's path in the collection, ``/``-separated (None
      when it has none);
    - ``title``: str; ``url``: str, or None when there is no URL line;
    - ``original_summary``, ``ai_summary``: str or None;
    - ``extra_sections``: list of ``{"heading": str, "body": str}``, in order;
    - ``has_metadata``: bool, whether there is a ``## 元数据`` section;
    - ``source``, ``kind``: str or None (来源, 类型);
    - ``saved_at``: `datetime` in UTC (``tzinfo=timezone.utc``) or None;
    - ``saved_at_offset``: int, the original UTC offset in minutes, or None;
    - ``catalog_date``: `date` or None (目录日期);
    - ``extra``: list of ``{"key": str, "value": str}``, in order.

    `from_record` gives the clipping back: nothing is lost.

    >>> from clipdoc import Clipping, Metadata
    >>> from datetime import datetime, timedelta, timezone
    >>> saved = datetime(2025, 3, 24, 12, 54, 42, tzinfo=timezone(timedelta(hours=8)))
    >>> row = record("a.md", Clipping(title="t", metadata=Metadata(saved_at=saved)))
    >>> row["saved_at"], row["saved_at_offset"]
    (datetime.datetime(2025, 3, 24, 4, 54, 42, tzinfo=datetime.timezone.utc), 480)
    """
    metadata = clipping.metadata
    saved_at = metadata.saved_at if metadata is not None else None
    offset = saved_at.utcoffset() if saved_at is not None else None
    return {
        "path": path,
        "title": clipping.title,
        "url": clipping.url,
        "original_summary": clipping.original_summary,
        "ai_summary": clipping.ai_summary,
        "extra_sections": [
            {"heading": section.heading, "body": section.body}
            for section in clipping.extra_sections
        ],
        "has_metadata": metadata is not None,
        "source": metadata.source if metadata is not None else None,
        "kind": metadata.kind if metadata is not None else None,
        "saved_at": saved_at.astimezone(timezone.utc) if saved_at is not None else None,
        "saved_at_offset": offset // timedelta(minutes=1) if offset is not None else None,
        "catalog_date": metadata.catalog_date if metadata is not None else None,
        "extra": [{"key": key, "value": value} for key, value in metadata.extra]
        if metadata is not None
        else [],
    }


def from_record(row: Mapping[str, Any]) -> Clipping:
    """The clipping a `record` holds (its ``path`` aside).

    >>> from clipdoc import Clipping
    >>> clip = Clipping(title="t", url="u")
    >>> from_record(record("a.md", clip)) == clip
    True
    """
    metadata = None
    if row["has_metadata"]:
        saved_at = row["saved_at"]
        if saved_at is not None:
            offset = timezone(timedelta(minutes=row["saved_at_offset"]))
            saved_at = saved_at.astimezone(offset)
        metadata = Metadata(
            source=row["source"],
            kind=row["kind"],
            saved_at=saved_at,
            catalog_date=row["catalog_date"],
            extra=[(item["key"], item["value"]) for item in row["extra"]],
        )
    return Clipping(
        title=row["title"],
        url=row["url"],
        original_summary=row["original_summary"],
        ai_summary=row["ai_summary"],
        extra_sections=[
            Section(heading=section["heading"], body=section["body"])
            for section in row["extra_sections"]
        ],
        metadata=metadata,
    )
