"""A folder of clipping documents: read, query, write and index it."""

from __future__ import annotations

import errno
import functools
import itertools
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any, Literal, NamedTuple
from urllib.parse import urlsplit

import attrs

from .._core.errors import (
    ClipdocError,
    Diagnostic,
    ExistsError,
    NotAFolderError,
    PathError,
    Severity,
    model_error,
)
from .._core.model import Clipping, Metadata
from .._core.read import read_data
from .._core.records import to_record
from .._core.timestamps import TimestampProblem, parse_date
from .._core.writer import render_document
from .cache import (
    MISSING,
    Fact,
    Identity,
    StatCache,
    Tree,
    cached_or_read,
    diagnostics_fact,
    found_with_identities,
    has_cache,
    is_diagnostics_fact,
    recall,
    remember,
    with_kept,
)
from .documents import FILE_CODES, DocumentFile, read_document_file
from .files import SIZE_LIMIT, Batch, Folder, Staged, Stamp, check_relative
from .names import clipping_path, folded, variant
from .parallel import checked_jobs, ordered_map
from .urls import url_key
from .walk import Found, Walk, checked_folder, checked_patterns

#: How many name variants a clipping may take when other clippings hold
#: its name (hexadecimal digits of its key's hash).
_VARIANT_LENGTHS = (8, 16, 64)


@attrs.frozen(kw_only=True)
class Entry:
    """One document of a `Collection`.

    ``path`` is relative to the collection's root, ``/``-separated;
    ``clipping`` is None when the document has errors, which
    ``diagnostics`` (errors and warnings, in document order) then say. A
    file that could not be read, or a folder that could not be listed, is
    an entry too, with the error that says why.

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

    @classmethod
    def of(cls, document: DocumentFile) -> Entry:
        return cls(
            path=document.relative,
            clipping=document.valid_clipping,
            diagnostics=document.diagnostics,
        )


@attrs.frozen(kw_only=True)
class Added:
    """What `Collection.add_all` did with one clipping: where it is and
    ``status`` ("written", "unchanged" or "replaced"), or the ``error``
    that kept it out. ``index`` is its position in the input.

    >>> import attrs, tempfile
    >>> from datetime import date
    >>> from clipdoc import Clipping, Metadata
    >>> day = Metadata(catalog_date=date(2025, 5, 6))
    >>> post = Clipping(title="转发微博", url="https://weibo.com/1/a", metadata=day)
    >>> repost = attrs.evolve(post, url="https://weibo.com/1/b")
    >>> collection = Collection(tempfile.mkdtemp())
    >>> for added in collection.add_all([post, repost, post]):
    ...     print(added.index, added.path, added.status)
    0 2025-05-06/转发微博.md written
    1 2025-05-06/转发微博~88c8a01f.md written
    2 2025-05-06/转发微博.md unchanged
    """

    index: int
    path: str | None
    status: Literal["written", "unchanged", "replaced"] | None = None
    error: ClipdocError | None = None


def _read_entry(folder: Folder, found: Found) -> Entry:
    return Entry.of(read_document_file(folder, found))


def _read_fact(
    folder: Folder,
    fact_of: Callable[[Entry], Fact],
    found: Found,
    *,
    with_entry: bool,
    with_stamp: bool,
) -> tuple[Stamp | None, Fact, Entry | None]:
    """The stamp a document was read with, when asked (None when a fact of
    it must not be kept: it could not be read), its fact, and its entry
    when asked (run in worker processes)."""
    document = read_document_file(folder, found)
    entry = Entry.of(document)
    keep = (
        with_stamp
        and document.stamp is not None
        and not any(d.code in FILE_CODES for d in document.diagnostics)
    )
    return document.stamp if keep else None, fact_of(entry), entry if with_entry else None


def _diagnostics_fact(entry: Entry) -> list[list[object]]:
    """The diagnostics of reading a document, as the stat cache keeps them:
    not the walk's warnings about its name (CD509), which depend on the
    other names in its folder, not on the file."""
    return diagnostics_fact(entry.diagnostics)


def _kept_problems(
    tree: Tree, kept: list[Fact], *, every: bool
) -> Iterator[int | tuple[Found, tuple[Diagnostic, ...]]]:
    """`Collection._problems` from the facts the memo ``kept`` for the
    state ``tree`` names: only the documents with diagnostics (or a warning
    about their name) are made, unless ``every``."""
    if every:
        for found, fact in zip(tree.found, kept, strict=True):
            yield found, with_kept(found, fact)
        return
    shown = sorted({*tree.warned(), *(index for index, fact in enumerate(kept) if fact)})
    after = 0
    for index in shown:
        if index > after:
            yield index - after
        found = tree.found_at(index)
        yield found, with_kept(found, kept[index])
        after = index + 1
    if tree.count > after:
        yield tree.count - after


class Collection:
    """A folder of clipping documents, such as the producer's date folders.

    Iterating yields an `Entry` per ``*.md`` document, sorted by path, one at
    a time (a collection of any size never sits in memory), and never stops
    at a bad file: a file that cannot be read (a FIFO, a link that leads
    out of the folder, a file over ``size_limit`` bytes) and a folder that
    cannot be listed are entries whose error says why. The ``README.md``
    index at the root, hidden folders and paths matching ``exclude`` are
    left out, by the same rules as the ``clipdoc`` command's folder walk.
    ``jobs`` reads with that many worker processes (0: one per CPU), the
    entries still in path order. ``follow_links`` reads files through links
    that lead out of the folder (nothing is ever written through a link).
    ``cache`` keeps what queries learn of each document in a stat cache at
    ``.clipdoc/`` below the root, so that `select`, `find`, `duplicates`
    and the index read only the documents that changed: None (the
    default) uses and updates the cache when there is one, True makes one,
    False neither reads nor writes it.

    >>> collection = Collection("examples")
    >>> [entry.path for entry in collection]
    ['seed.md']
    >>> collection.load("seed.md").metadata.catalog_date
    datetime.date(2025, 5, 6)
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        exclude: Sequence[str] = (),
        jobs: int = 1,
        follow_links: bool = False,
        size_limit: int = SIZE_LIMIT,
        cache: bool | None = None,
    ) -> None:
        self.root = os.fspath(checked_folder(root, "root"))
        if not os.path.isdir(self.root):
            raise NotAFolderError(
                "CD504",
                "not a folder; a collection is a folder"
                if os.path.lexists(self.root)
                else "no such folder",
                path=self.root,
            )
        self.exclude = checked_patterns(exclude)
        self.jobs = checked_jobs(jobs)
        if not isinstance(size_limit, int) or isinstance(size_limit, bool) or size_limit < 0:
            raise TypeError(f"size_limit must be an int of bytes, not {size_limit!r:.40}")
        self.folder = Folder(
            self.root, follow_links=bool(follow_links), size_limit=size_limit, relative_names=True
        )
        if cache is not None and not isinstance(cache, bool):
            raise TypeError(f"cache must be None, True or False, not {cache!r:.40}")
        self.cache = cache
        #: How many facts the last query took from the stat cache.
        self.cache_hits = 0
        # Set by commands that promise to write nothing (index --check).
        self._cache_read_only = False

    def __repr__(self) -> str:
        return f"Collection({self.root!r}, exclude={self.exclude!r}, jobs={self.jobs})"

    def found(self, *, name_warnings: bool = True) -> Iterator[Found]:
        """Every document file and unlistable folder, in path order (with
        `walk`'s ``name_warnings``)."""
        return self._walk(name_warnings=name_warnings)()

    def _walk(self, *, name_warnings: bool = True) -> Walk:
        """The walk of this collection's folder (with `walk`'s ``name_warnings``)."""
        return Walk(self.root, exclude=self.exclude, name_warnings=name_warnings)

    def paths(self) -> Iterator[str]:
        """The relative, ``/``-separated path of every document, sorted."""
        found = self.found(name_warnings=False)
        return (each.relative for each in found if each.problem is None)

    def __iter__(self) -> Iterator[Entry]:
        # ordered_map sends documents to the workers in small batches and
        # keeps only a few batches in flight: memory stays flat.
        with self.folder.reading_in_order() as reader:
            read = functools.partial(_read_entry, reader)
            yield from ordered_map(read, self.found(), jobs=self.jobs)

    def get(self, path: str) -> Entry:
        """The entry of one document, by its relative path."""
        _relative(path)
        return _read_entry(self.folder, Found(path))

    def load(self, path: str) -> Clipping:
        """The clipping of one document; its first error is raised as a
        `ClipdocError` whose ``path`` is the document's, and a file that
        cannot be read as the `PathError` that says why, as `clipdoc.load`
        raises them."""
        data, _ = self.folder.read(_relative(path))
        _, clipping, diagnostics = read_data(data)
        for diagnostic in diagnostics:
            if diagnostic.severity is Severity.ERROR:
                raise ClipdocError(
                    diagnostic.code,
                    diagnostic.message,
                    line=diagnostic.line,
                    column=diagnostic.column,
                    path=path,
                )
        assert clipping is not None
        return clipping

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
        tests = _conditions(_as_date(since, "since"), _as_date(until, "until"), source, kind, host)

        def matches(summary: Fact) -> bool:
            return summary is not None and all(test(_Summary(*summary)) for test in tests)

        return self._matching(matches)

    def find(self, url: str, *, normalize: bool = True) -> list[Entry]:
        """Every valid entry whose URL names the same page as ``url`` (the
        same `url_key`), in path order; with ``normalize=False``, whose URL
        is exactly ``url``.

        >>> [e.path for e in Collection("examples").find("http://www.weibo.com/6105753431/Pqzc66P5o/")]
        ['seed.md']
        """
        wanted = url_key(url, normalize=normalize)
        if normalize:
            # `_key` inlined (a key is a str; a summary without a URL has
            # none): one call per document fewer, as most are not wanted.
            return list(
                self._matching(
                    lambda summary: (
                        summary is not None and summary[3] is not None and summary[4] == wanted
                    ),
                    key=wanted,
                )
            )
        return list(self._matching(lambda summary: _key(summary, normalize) == wanted))

    def duplicates(self, *, normalize: bool = True) -> dict[str, list[Entry]]:
        """Every page that more than one valid document holds, by its
        `url_key` (the URL itself with ``normalize=False``), with all their
        entries in path order. Two passes: the first keeps only the keys."""
        counts: dict[str, int] = {}
        for _, summary, _ in self._memoized_facts("query", _summary_fact, _is_summary, _SUMMARIES):
            key = _key(summary, normalize)
            if key is not None:
                counts[key] = counts.get(key, 0) + 1
        repeated = {key for key, count in counts.items() if count > 1}
        found: dict[str, list[Entry]] = {}
        if not repeated:
            return found
        for entry in self._matching(lambda summary: _key(summary, normalize) in repeated):
            key = _key(_summary_fact(entry), normalize)
            assert key is not None
            found.setdefault(key, []).append(entry)
        return found

    def _matching(
        self, matches: Callable[[Fact], bool], *, key: str | None = None
    ) -> Iterator[Entry]:
        """The valid entries whose summary ``matches``, read again only when
        the summary came from the cache (and checked again as read). With
        ``key``, ``matches`` holds for a summary with that URL key and no
        other: the query memo's keys are searched as they are kept, and no
        other summary is made."""
        tree, hits = self._memo_hits(matches, key)
        if tree is not None and hits is not None:
            # From the memo: only the documents that match are looked at.
            self.cache_hits = tree.count
            for index in hits:
                read = _read_entry(self.folder, tree.found_at(index))
                if matches(_summary_fact(read)):  # else changed since
                    yield read
            return
        facts = self._fresh_facts("query", _summary_fact, _is_summary, tree, _SUMMARIES)
        for found, summary, entry in facts:
            if not matches(summary):
                continue
            if entry is None:
                entry = _read_entry(self.folder, found)
                if not matches(_summary_fact(entry)):
                    continue  # changed since the summary was taken
            yield entry

    def _memo_hits(
        self, matches: Callable[[Fact], bool], key: str | None
    ) -> tuple[Tree | None, list[int] | None]:
        """The tree of a query that keeps memos (None: it keeps none), and
        the index of each summary the query memo holds for its state that
        ``matches`` (None: no memo for that state); see `_matching`."""
        tree, value = self._memo("query")
        if tree is None:
            return None, None
        if key is not None:
            hits = _packed_key_hits(value, tree.count, key)
            if hits is not None:
                return tree, hits
        kept = _SUMMARIES.unpack(value, tree.count)
        if kept is None:
            return tree, None
        return tree, [index for index, summary in enumerate(kept) if matches(summary)]

    def _facts(
        self,
        kind: str,
        fact_of: Callable[[Entry], Fact],
        is_fact: Callable[[Fact], bool],
        tree: Tree | None = None,
    ) -> Iterator[tuple[Found, Fact, Entry | None]]:
        """``fact_of`` every entry, in path order, with what the walk found
        and the entry when it was read in this process (with ``jobs=1``):
        from the stat cache for documents that did not change (as ``tree``,
        when given, saw them: a run that first looked for a memo walks
        once). A ``tree`` is left unsettled when a fact could not be kept."""
        cache = self._cache(kind)
        self.cache_hits = 0
        found, identities = self._found_and_identities(cache, tree)
        with self.folder.reading_in_order() as reader:
            # A worker sends back only the fact, not the whole clipping: a
            # caller reads the few documents it needs again; and the stamp
            # only for a cache to keep the fact with.
            read = functools.partial(
                _read_fact,
                reader,
                fact_of,
                with_entry=self.jobs <= 1,
                with_stamp=cache is not None,
            )
            facts = cached_or_read(
                cache,
                found,
                identities,
                is_fact,
                lambda unknown: ordered_map(read, unknown, jobs=self.jobs),
            )
            for each, fact, entry, kept in facts:
                if not kept and tree is not None:
                    tree.settled = False
                yield each, fact, entry
        if cache is not None:
            self.cache_hits = cache.hits
            cache.finish(found, whole=not self.exclude)

    def _found_and_identities(
        self, cache: StatCache | None, tree: Tree | None
    ) -> tuple[list[Found], list[Identity | None]]:
        """What the walk found, and the identity of each file when there is
        a ``cache`` to check facts against: from ``tree`` when given."""
        if cache is None and tree is not None:
            # Without a cache to check each fact against (one that is a link
            # or cannot be read), no memo of the job is kept either (the
            # walk's may be: it holds no fact).
            tree.settled = False
            found = list(tree.found)
            return found, [None] * len(found)
        if tree is not None:
            return tree.found, tree.identities
        return found_with_identities(self.folder, self._walk(), cache)

    def _memoized_facts(
        self,
        kind: str,
        fact_of: Callable[[Entry], Fact],
        is_fact: Callable[[Fact], bool],
        codec: _Codec | None = None,
    ) -> Iterator[tuple[Found, Fact, Entry | None]]:
        """`_facts`; when the collection is as the memo of the last run saw
        it, the facts that run kept, without loading the stat cache. For
        jobs whose facts are small (the diagnostics of every document): the
        memo holds them all, in path order, as ``codec`` packs them (else as
        a list, each told by ``is_fact``)."""
        tree, kept = self._recalled(kind, is_fact, codec)
        if tree is not None and kept is not None:
            yield from zip(tree.found, kept, itertools.repeat(None))
            return
        yield from self._fresh_facts(kind, fact_of, is_fact, tree, codec)

    def _memo(self, kind: str) -> tuple[Tree | None, Fact]:
        """The tree of a job that keeps memos (None: it keeps none), and
        the value its memo of ``kind`` holds for that state of the
        collection (`MISSING`: there is none)."""
        if not self._keeps_memos():
            return None, MISSING
        tree = Tree(self.folder, self._walk(), clock=True)
        return tree, recall(self.folder, kind, tree)

    def _recalled(
        self,
        kind: str,
        is_fact: Callable[[Fact], bool],
        codec: _Codec | None,
    ) -> tuple[Tree | None, list[Fact] | None]:
        """The tree of a job that keeps memos (None: it keeps none), and the
        facts of every document its memo of ``kind`` holds for that state
        of the collection (None: there is none)."""
        tree, value = self._memo(kind)
        if tree is None:
            return None, None
        if codec is not None:
            kept = codec.unpack(value, tree.count)
        elif type(value) is list and len(value) == tree.count and all(map(is_fact, value)):
            kept = value
        else:
            kept = None
        if kept is not None:
            self.cache_hits = len(kept)
        return tree, kept

    def _fresh_facts(
        self,
        kind: str,
        fact_of: Callable[[Entry], Fact],
        is_fact: Callable[[Fact], bool],
        tree: Tree | None,
        codec: _Codec | None = None,
    ) -> Iterator[tuple[Found, Fact, Entry | None]]:
        """`_facts`, kept as the memo of ``kind`` for the state ``tree``
        names (None: no memo is kept), packed by ``codec`` if given."""
        if tree is None:
            yield from self._facts(kind, fact_of, is_fact)
            return
        facts = []
        for each, fact, entry in self._facts(kind, fact_of, is_fact, tree):
            facts.append(fact)
            yield each, fact, entry
        remember(tree, kind, codec.pack(facts) if codec is not None else facts)

    def _keeps_memos(self) -> bool:
        """Whether a job may keep a memo of its result (see `Tree`): when
        it would keep facts in a cache that it may write."""
        if self.cache is False or self._cache_read_only:
            return False
        return self.cache is True or has_cache(self.folder)

    def _cache(self, kind: str) -> StatCache | None:
        """The stat cache of facts of ``kind`` this collection uses, if any."""
        if self.cache is False:
            return None
        return StatCache.open(
            self.folder, kind, create=self.cache is True, read_only=self._cache_read_only
        )

    def _diagnostics(self) -> Iterator[tuple[Found, tuple[Diagnostic, ...]]]:
        """Every document's diagnostics as reading it gives them (the
        walk's warnings about its name first), in path order: from the stat
        cache for documents that did not change."""
        for item in self._problems(every=True)[1]:
            assert type(item) is tuple
            yield item

    def _problems(
        self, *, every: bool = False
    ) -> tuple[int | None, Iterator[int | tuple[Found, tuple[Diagnostic, ...]]]]:
        """How many documents the walk found (None: not known before they
        are read, in a job that keeps no memos), and `_diagnostics`, but
        for the documents without any, which are told by how many there
        are, one after the other: each alone when read, together when taken
        from the memo of the last run, whose documents are not looked at
        one by one (a second `clipdoc check` of an unchanged collection
        shows only those it must). ``every``: each document with its
        diagnostics, as `_diagnostics`. The walk is done when this returns."""
        tree, kept = self._recalled("check", is_diagnostics_fact, None)
        count = None if tree is None else tree.count
        if tree is not None and kept is not None:
            return count, _kept_problems(tree, kept, every=every)
        return count, self._read_problems(tree, every=every)

    def _read_problems(
        self, tree: Tree | None, *, every: bool
    ) -> Iterator[int | tuple[Found, tuple[Diagnostic, ...]]]:
        """`_problems` of documents read (or their facts taken from the
        stat cache), kept as the memo of the state ``tree`` names."""
        facts = self._fresh_facts("check", _diagnostics_fact, is_diagnostics_fact, tree)
        for found, fact, entry in facts:
            diagnostics = entry.diagnostics if entry is not None else with_kept(found, fact)
            yield (found, diagnostics) if diagnostics or every else 1

    def records(self) -> Iterator[dict[str, Any]]:
        """One flat `dict` per valid document (see `to_record`), in path order."""
        for entry in self:
            if entry.clipping is not None:
                yield to_record(entry.path, entry.clipping)

    # ----------------------------------------------------------------- writing

    def add(self, clipping: Clipping, *, replace: bool = False) -> str:
        """Write ``clipping`` where the producer would, and return that path.

        The path is ``<catalog date>/<file name>.md`` (see `clipping_path`).
        When another clipping (another URL) holds that name, or a name that
        another system would take for it (the same but for case or Unicode
        normalisation), the clipping gets a name of its own: the file name
        with ``~`` and eight hexadecimal digits of its URL's hash before
        ``.md``, the same every time [COL-6]. An identical existing file is
        left alone; another version of the same clipping (same URL) is
        replaced only with ``replace=True``, else `ClipdocError` CD502
        names it. The file is written atomically and exclusively: of two
        processes adding at once, each either writes its clipping or learns
        why not. It is durable when ``add`` returns.
        """
        plan = _Plan.of(clipping, None, _rendered)
        staged = self.folder.stage(plan.candidates[0], plan.data)
        try:
            staged.sync()
            run = _Run(names={plan.folder: self._names(plan.folder)})
            relative, _ = self._place(staged, plan, replace, run)
        finally:
            staged.discard()
        self.folder.sync_folder(relative)
        return relative

    def update(self, path: str, change: Callable[[Clipping], Clipping]) -> bool:
        """Rewrite the document at ``path`` as ``change`` makes its clipping:
        read, changed and written back only if the file is still the one
        read (else `ClipdocError` CD507, and nothing is written), atomically
        and durably. Whether anything changed. A document with errors is
        never rewritten: `ClipdocError` with its first error.

        >>> import attrs, shutil, tempfile
        >>> root = tempfile.mkdtemp()
        >>> _ = shutil.copy("examples/seed.md", root)
        >>> Collection(root).update("seed.md", lambda c: attrs.evolve(c, title="New"))
        True
        >>> Collection(root).load("seed.md").title
        'New'
        """
        relative = _relative(path)
        document = read_document_file(self.folder, relative)
        if document.stamp is None or document.has_errors or document.clipping is None:
            first = next(d for d in document.diagnostics if d.severity is Severity.ERROR)
            raise ClipdocError(
                first.code,
                f"{first.message}; fix it (clipdoc check) before updating it",
                line=first.line,
                column=first.column,
                path=relative,
            )
        changed = change(document.clipping)
        if not isinstance(changed, Clipping):
            raise TypeError(f"change must return a Clipping, not {type(changed).__name__}")
        data = _rendered(changed)
        if document.text is not None and data == document.text.encode("utf-8"):
            return False
        self.folder.replace(relative, data, expected=document.stamp)
        return True

    def add_all(
        self,
        clippings: Iterable[Clipping | tuple[str | None, Clipping]],
        *,
        replace: bool = False,
    ) -> Iterator[Added]:
        """Add many clippings, as `add` would each, and say what became of
        each (an `Added`, in input order, errors included: nothing is left
        out silently). A ``(path, clipping)`` pair puts the clipping at that
        relative path instead (no name variant; ``replace`` replaces what
        is there). Writes are made durable together, a few hundred files a
        time, which is many times faster than one by one; every clipping is
        durable once the iterator is exhausted."""
        return self.write_all(clippings, replace=replace, encode=_rendered)

    def write_all(
        self,
        clippings: Iterable[Clipping | tuple[str | None, Clipping]],
        *,
        replace: bool,
        encode: Callable[[Clipping], bytes],
    ) -> Iterator[Added]:
        """`add_all`, each clipping written as ``encode`` gives it (a note,
        for a folder of notes)."""
        if isinstance(clippings, (Clipping, str, bytes, dict)):
            raise TypeError(
                "add_all() takes an iterable of clippings or (path, clipping) pairs, not one"
                f" {type(clippings).__name__}"
            )
        batch = self.folder.batch()
        run = _Run()
        waiting: list[tuple[int, _Plan, Staged | ClipdocError]] = []
        try:
            for index, item in enumerate(clippings):
                waiting.append(self._stage(batch, index, item, encode))
                if batch.full:
                    yield from self._publish(batch, waiting, replace, run)
                    waiting = []
            yield from self._publish(batch, waiting, replace, run)
        finally:
            for _, _, staged in waiting:
                if isinstance(staged, Staged):
                    staged.discard()
            batch.close()

    def _stage(
        self, batch: Batch, index: int, item: object, encode: Callable[[Clipping], bytes]
    ) -> tuple[int, _Plan, Staged | ClipdocError]:
        try:
            path, clipping = _item(index, item)
            plan = _Plan.of(clipping, path, encode)
            return index, plan, batch.stage(plan.candidates[0], plan.data)
        except ClipdocError as error:
            _stop_if_nothing_can_be_written(error)
            return index, _Plan.failed(), error

    def _publish(
        self,
        batch: Batch,
        waiting: list[tuple[int, _Plan, Staged | ClipdocError]],
        replace: bool,
        run: _Run,
    ) -> Iterator[Added]:
        batch.sync_staged()
        for index, plan, staged in waiting:
            if isinstance(staged, ClipdocError):
                yield Added(index=index, path=None, error=staged)
                continue
            try:
                if plan.folder not in run.names:
                    run.names[plan.folder] = self._names(plan.folder)
                relative, status = self._place(staged, plan, replace, run)
            except ClipdocError as error:
                _stop_if_nothing_can_be_written(error)
                yield Added(index=index, path=None, error=error)
            else:
                yield Added(index=index, path=relative, status=status)
            finally:
                staged.discard()

    def _names(self, folder: str) -> dict[str, set[str]]:
        """The names in a folder of the collection, by folded form (empty
        when the folder does not exist yet)."""
        found: dict[str, set[str]] = {}
        try:
            names = self.folder.names(folder)
        except PathError:
            return found
        for name in names:
            found.setdefault(folded(name), set()).add(name)
        return found

    def _place(
        self, staged: Staged, plan: _Plan, replace: bool, run: _Run
    ) -> tuple[str, Literal["written", "unchanged", "replaced"]]:
        """Publish a staged clipping under the first of its names that is
        free or already holds it; the run's names are kept up to date."""
        names = run.names.setdefault(plan.folder, {})
        for relative in plan.candidates:
            name = relative.rsplit("/", 1)[-1]
            if not plan.fixed and run.taken_by_twin(names, relative):
                continue
            try:
                staged.publish_new(relative)
            except ExistsError:
                settled = self._settle(staged, plan, relative, replace, run)
                if settled is None:
                    continue
                outcome: Literal["written", "unchanged", "replaced"] = settled
            else:
                names.setdefault(folded(name), set()).add(name)
                outcome = "written"
            run.written[folded(relative)] = relative
            return relative, outcome
        raise ExistsError(
            f"{plan.candidates[0]} and its variants hold other documents; move one away",
            path=plan.candidates[0],
        )

    def _settle(
        self, staged: Staged, plan: _Plan, relative: str, replace: bool, run: _Run
    ) -> Literal["unchanged", "replaced"] | None:
        """What to do where ``relative`` is taken: "unchanged" when it holds
        these bytes, "replaced" when allowed, None to try the next name;
        `ExistsError` (CD502) for another version of the same clipping, and
        for a file this run wrote (never replaced by the same run)."""
        existing = read_document_file(self.folder, relative)
        if existing.stamp is None:
            problem = existing.diagnostics[-1].message
            if plan.fixed or "folder" in problem:
                raise ExistsError(
                    f"{relative} exists: {problem}; move it away first", path=relative
                )
            return None
        if existing.text is not None and existing.text.encode("utf-8") == plan.data:
            return "unchanged"
        earlier = run.written.get(folded(relative))
        if plan.fixed and earlier is not None:
            raise ExistsError(
                f"{relative} was written before in this run"
                + (
                    f" as {earlier}: this file system does not tell the two names apart"
                    if earlier != relative
                    else ""
                )
                + "; the first is kept",
                path=relative,
            )
        if not plan.fixed and _another_clipping(existing.valid_clipping, plan, replace=replace):
            return None  # the next name
        if replace and earlier is None:
            staged.publish_replacing(relative, existing.stamp)
            return "replaced"
        raise ExistsError(
            f"{relative} holds another version of this document; to replace it, pass --force"
            " (the command), replace=True (Collection.add) or overwrite=True"
            " (clipdoc.dask.write_collection); or change the title or catalog date so that"
            " the paths differ",
            path=relative,
        )

    # ------------------------------------------------------------------- index

    def index(self, *, style: Literal["clipdoc", "ai_info"] = "clipdoc") -> str:
        """The collection's index ``README.md`` as text.

        ``style="ai_info"`` is the producer's own index, byte for byte;
        ``"clipdoc"`` the same information in a stable order, with
        CommonMark escaping and links that work everywhere.
        """
        if style == "ai_info":
            from .ai_info import ai_info_index

            data = ai_info_index(
                self.root,
                follow_links=self.folder.follow_links,
                cache=self.cache,
                read_only_cache=self._cache_read_only,
            )
            return data.decode("utf-8", errors="surrogateescape")
        if style == "clipdoc":
            from .index import collection_index

            return collection_index(self, [])
        raise ValueError(f"style is 'clipdoc' or 'ai_info', not {style!r}")


def _relative(path: str) -> str:
    if not isinstance(path, str):
        raise TypeError(f"path must be a str relative to the root, not {type(path).__name__}")
    check_relative(path)
    return path


def _as_date(value: date | str | None, name: str) -> date | None:
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    if isinstance(value, str):
        # The reader's own date rule [TS-3], and its error, as Metadata.set.
        try:
            return parse_date(value)
        except TimestampProblem as problem:
            raise model_error("CD105", name, str(problem)) from None
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


def _another_clipping(held: Clipping | None, plan: _Plan, *, replace: bool) -> bool:
    """Whether the clipping at a path is another than the one planned there:
    one with errors, one of another URL, or without a URL one of other text
    (a clipping's key is then its whole text), unless the caller replaces
    what is there. The same text was found unchanged before."""
    return held is None or held.url != plan.url or (plan.url is None and not replace)


@attrs.frozen
class _Plan:
    """Where a clipping may go, and its bytes."""

    folder: str
    candidates: tuple[str, ...]
    data: bytes
    url: str | None
    #: Whether the caller named the path (no name variants then).
    fixed: bool

    @classmethod
    def of(cls, clipping: Clipping, path: str | None, encode: Callable[[Clipping], bytes]) -> _Plan:
        if not isinstance(clipping, Clipping):
            raise TypeError(f"add() takes a Clipping, not {type(clipping).__name__}")
        data = encode(clipping)
        if path is not None:
            check_relative(path)
            folder = path.rsplit("/", 1)[0] if "/" in path else ""
            return cls(folder, (path,), data, clipping.url, True)
        relative = clipping_path(clipping)
        folder, name = relative.rsplit("/", 1)
        # A clipping's own key: its URL, or its whole text without one.
        key = clipping.url or data.decode("utf-8", "surrogateescape")
        variants = (f"{folder}/{variant(name, key, length=n)}" for n in _VARIANT_LENGTHS)
        return cls(folder, (relative, *variants), data, clipping.url, False)

    @classmethod
    def failed(cls) -> _Plan:
        return cls("", (), b"", None, True)


def _item(index: int, item: object) -> tuple[str | None, Clipping]:
    if isinstance(item, Clipping):
        return None, item
    if (
        isinstance(item, tuple)
        and len(item) == 2
        and isinstance(item[1], Clipping)
        and (item[0] is None or isinstance(item[0], str))
    ):
        return item[0], item[1]
    raise TypeError(
        f"clippings[{index}] must be a Clipping or a (path, Clipping) pair, not"
        f" {type(item).__name__}"
    )


class _Summary(NamedTuple):
    """What the queries test of a valid document (kept in the stat cache)."""

    catalog_date: str | None
    source: str | None
    kind: str | None
    url: str | None
    key: str | None


def _summary_fact(entry: Entry) -> Fact:
    """The `_Summary` of an entry, as the cache keeps it; None for an entry
    with errors."""
    clip = entry.clipping
    if clip is None:
        return None
    metadata = clip.metadata or Metadata()
    day = metadata.catalog_date
    return [
        day.isoformat() if day is not None else None,
        metadata.source,
        metadata.kind,
        clip.url,
        url_key(clip.url) if clip.url is not None else None,
    ]


def _is_summary(fact: Fact) -> bool:
    return fact is None or (
        type(fact) is list
        and len(fact) == len(_Summary._fields)
        and _TEXT_OR_NOTHING.issuperset(map(type, fact))
    )


_TEXT_OR_NOTHING = frozenset({str, type(None)})


def _are_summaries(facts: list[Fact]) -> bool:
    """`_is_summary` of each of ``facts``, a few passes in C over them all."""
    summaries = [fact for fact in facts if fact is not None]
    return (
        _LISTS.issuperset(map(type, summaries))
        and {len(_Summary._fields)}.issuperset(map(len, summaries))
        and _TEXT_OR_NOTHING.issuperset(map(type, itertools.chain.from_iterable(summaries)))
    )


_LISTS = frozenset({list})


class _Codec(NamedTuple):
    """How a memo holds the facts of every document: ``pack`` gives the
    memo's value; ``unpack`` the facts again, if the value holds as many
    as the walk found documents, each of the right shape (else None)."""

    pack: Callable[[list[Fact]], Fact]
    unpack: Callable[[Fact, int], list[Fact] | None]


def _pack_summaries(facts: list[Fact]) -> Fact:
    """The summaries of every document as the query memo holds them: each
    field of all of them as one text, a line each, with which fields are
    there and which documents valid (a JSON string is read many times
    faster than as many strings); as they are when a field holds a line
    break."""
    columns, present = [], []
    for field in range(len(_Summary._fields)):
        values = [None if fact is None else fact[field] for fact in facts]
        texts = [value or "" for value in values]
        if any("\n" in text for text in texts):
            return facts
        columns.append("\n".join(texts))
        present.append("".join("0" if value is None else "1" for value in values))
    valid = "".join("0" if fact is None else "1" for fact in facts)
    return {"columns": columns, "present": present, "valid": valid}


def _unpack_summaries(value: Fact, count: int) -> list[Fact] | None:
    """The summaries `_pack_summaries` packed into ``value``, if there are
    ``count`` of them (packed, as tuples where a fact is a list; in the
    list form, as they are)."""
    if type(value) is list:
        return value if len(value) == count and _are_summaries(value) else None
    split = _columns(value, count)
    if split is None:
        return None
    fields: list[list[str | None]] = [
        [text if flag == "1" else None for text, flag in zip(column, flags, strict=True)]
        if "0" in flags
        else list(column)
        for column, flags in zip(split, value["present"], strict=True)
    ]
    facts: list[Fact] = list(zip(*fields, strict=True)) if count else []
    for index in _zeros(value["valid"]):
        facts[index] = None
    return facts


def _columns(value: Fact, count: int) -> list[list[str]] | None:
    """The fields of ``count`` summaries packed into ``value`` (see
    `_pack_summaries`), a list per field, if it is a packed value."""
    if not _is_packed(value, count):
        return None
    return [column.split("\n") if count else [] for column in value["columns"]]


def _is_packed(value: Fact, count: int) -> bool:
    """Whether ``value`` holds ``count`` summaries as `_pack_summaries`
    packs them (each field's texts a line each)."""
    fields = len(_Summary._fields)
    if type(value) is not dict or not _are_flags(value.get("valid"), count):
        return False
    columns, present = value.get("columns"), value.get("present")
    if type(columns) is not list or type(present) is not list:
        return False
    if len(columns) != fields or not all(type(column) is str for column in columns):
        return False
    if len(present) != fields or not all(_are_flags(flags, count) for flags in present):
        return False
    return all(column.count("\n") == count - 1 if count else not column for column in columns)


_URL, _KEY = _Summary._fields.index("url"), _Summary._fields.index("key")


def _packed_key_hits(value: Fact, count: int, key: str) -> list[int] | None:
    """The index of each valid document with a URL whose key is ``key``,
    of the ``count`` summaries packed into ``value`` (None: it is not a
    packed value), found in the text of the keys as it is kept, without
    splitting it: ``key`` as a whole line."""
    if not _is_packed(value, count):
        return None
    if not count or "\n" in key:
        return []  # no packed field holds a line break
    valid, url, present = value["valid"], value["present"][_URL], value["present"][_KEY]
    framed, line = "\n" + value["columns"][_KEY] + "\n", "\n" + key + "\n"
    hits, index, counted = [], 0, 0
    position = framed.find(line)
    while position >= 0:
        # Line breaks before the match: the index of the line it starts.
        index += framed.count("\n", counted, position)
        counted = position
        if valid[index] == "1" and url[index] == "1" and present[index] == "1":
            hits.append(index)
        position = framed.find(line, position + len(line) - 1)
    return hits


def _are_flags(flags: object, count: int) -> bool:
    return type(flags) is str and len(flags) == count and not flags.strip("01")


def _zeros(flags: str) -> Iterator[int]:
    """The index of each ``0`` of ``flags``."""
    index = flags.find("0")
    while index >= 0:
        yield index
        index = flags.find("0", index + 1)


#: How the query memo holds the summaries of every document.
_SUMMARIES = _Codec(_pack_summaries, _unpack_summaries)


def _key(summary: Fact, normalize: bool) -> str | None:
    """The identity a summary's URL gives (None: no URL, or errors)."""
    if summary is None or summary[3] is None:
        return None
    return summary[4] if normalize else url_key(summary[3], normalize=False)


_Test = Callable[[_Summary], bool]


def _conditions(
    first: date | None, last: date | None, source: object, kind: object, host: object
) -> list[_Test]:
    """The tests `Collection.select` applies to each valid clipping."""
    for name, value in (("source", source), ("kind", kind), ("host", host)):
        if value is not None and not isinstance(value, str):
            raise TypeError(f"{name} must be a str or None, not {type(value).__name__}")
    tests: list[_Test] = []
    # ISO dates compare as the dates do.
    if first is not None:
        tests.append(lambda s: s.catalog_date is not None and s.catalog_date >= first.isoformat())
    if last is not None:
        tests.append(lambda s: s.catalog_date is not None and s.catalog_date <= last.isoformat())
    if source is not None:
        tests.append(lambda s: s.source == source)
    if kind is not None:
        tests.append(lambda s: s.kind == kind)
    if isinstance(host, str):
        wanted = host.lower().rstrip(".")
        tests.append(lambda s: _host_matches(s.url, wanted))
    return tests


@attrs.define
class _Run:
    """What one run of writes has done: each folder's names (by folded
    form) and the paths it wrote (by folded path), which it never
    replaces."""

    names: dict[str, dict[str, set[str]]] = attrs.Factory(dict)
    written: dict[str, str] = attrs.Factory(dict)

    def taken_by_twin(self, names: dict[str, set[str]], relative: str) -> bool:
        """Whether another name that differs from ``relative`` only by case
        or Unicode normalisation is in its folder, or was written in this
        run (macOS and Windows would see one file)."""
        name = relative.rsplit("/", 1)[-1]
        same_folded = names.get(folded(name), set())
        earlier = self.written.get(folded(relative))
        if same_folded and name not in same_folded:
            return True
        return earlier is not None and earlier != relative


def _rendered(clipping: Clipping) -> bytes:
    return render_document(clipping).encode("utf-8")


#: What says that no later write can succeed either: a full disk, a full
#: quota, a file system mounted read-only.
_FATAL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS})


def _stop_if_nothing_can_be_written(error: ClipdocError) -> None:
    """Raise ``error`` when it means that every write would fail: the run
    stops there, with one error, rather than one per clipping."""
    if isinstance(error, PathError) and error.errno in _FATAL:
        raise error
