"""A collection's index ``README.md``, done right.

The same information as the producer's index (the 20 newest clippings, then
every clipping by catalog date, each with its title, summary, link and save
time), but in a stable order (newest first, then by path), with summaries cut
at a sentence or character boundary, text escaped by CommonMark's rules and
links that work on GitHub and in editors (paths percent-encoded, URLs in
angle brackets).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

from .._core.errors import ClipdocError, ExistsError, NotFoundError
from .._core.model import Clipping
from .._core.syntax import one_line
from .._core.timestamps import format_date
from .ai_info import PLACEHOLDER_SUMMARY
from .cache import (
    Identity,
    Tree,
    changed_before,
    has_cache,
    identity_of,
    may_read,
    recall,
    remember,
)
from .files import Folder, Stamp
from .walk import INDEX_HEADING, INDEX_NAME

if TYPE_CHECKING:
    from .collection import Collection, Entry

LATEST = 20
SUMMARY_LIMIT = 150
# Where a summary may end: after a sentence mark, not before this many characters.
_SENTENCE_END = re.compile(r"[。！？；.!?;](?=\s|$)|[。！？；]")
_LAST_SENTENCE_END = re.compile(f"(?s).*(?:{_SENTENCE_END.pattern})")
_SENTENCE_MINIMUM = 80
# ASCII punctuation that can be Markdown syntax inside a line (emphasis, code,
# links, raw HTML, entities, tables, strikethrough); CommonMark shows a
# backslash-escaped punctuation character as itself.
_INLINE = re.compile(r"([\\`*_\[\]<>&|~])")
# What can start a block at the start of a line: a heading, a quote, a list
# item, a setext underline.
_LINE_START = re.compile(r"[#>+=-]|[0-9]+(?=[.)])")
_NO_DATE = "未注明日期"


class _Item(NamedTuple):
    """What the index shows of one clipping, escaped and formatted (not the
    whole clipping: the index of a large collection keeps only this in
    memory, and the stat cache keeps it but for the path)."""

    path: str
    #: The save time, for the order (None: not saved with a time).
    instant: float | None
    group: str
    title: str
    link: str
    url: str | None
    saved: str | None
    summary: str


#: A document left out of the index: its path, and the code and message of
#: its first error.
LeftOut = tuple[str, str, str]


def collection_index(
    collection: Collection, left_out: list[LeftOut], tree: Tree | None = None
) -> str:
    """The index of a collection's valid documents, from its stat cache
    where it can; ``left_out`` gets the path, code and message of the first
    error of each other document. ``tree``: the collection as a walk just
    saw it (see `Collection._facts`)."""
    items = []
    for found, fact, _ in collection._facts("index", _index_fact, _is_index_fact, tree):
        if len(fact) == 2:
            left_out.append((found.relative, fact[0], fact[1]))
        else:
            items.append(_Item(found.relative, *fact))
    return _index(items)


class IndexWritten(NamedTuple):
    """What `write_index` did: ``"wrote"`` or ``"unchanged"``, and what it
    left out."""

    status: str
    left_out: list[LeftOut]


def write_index(collection: Collection, *, force: bool = False) -> IndexWritten:
    """Write the index ``README.md`` at the collection's root, unless it
    already holds it; a ``README.md`` that is not an index (it does not
    start with the index heading) is replaced only with ``force``.

    With the stat cache, a memo of the last run tells an unchanged
    collection whose ``README.md`` is as that run left it: then no fact is
    loaded and no index is made (see `clipdoc._storage.cache`)."""
    folder = collection.folder
    tree = None
    if collection._keeps_memos():
        tree = _tree(collection)
        known = _known_index(folder, tree)
        if known is not None:
            return IndexWritten("unchanged", known)
    left_out: list[LeftOut] = []
    data = collection_index(collection, left_out, tree).encode("utf-8")
    status, stamp = put_index(folder, data, force=force)
    if tree is not None:
        _remember_index(tree, data, stamp, left_out)
    return IndexWritten(status, left_out)


def index_unless_held(
    collection: Collection, held: Callable[[], bytes | None], *, in_root: bool = False
) -> tuple[bytes | None, list[LeftOut]]:
    """The collection's index and what it leaves out; None for the index
    when ``held()`` (the bytes of the file it is for, None when there is
    none) is known to be it: a memo of the collection's state, kept in its
    stat cache, holds its digest. A file that is the root's ``README.md``
    (``in_root``) as the memo saw it holding the index is not read. The
    index of a settled state is remembered when the cache may be written
    (see `write_index`)."""
    tree, memo = None, None
    if collection.cache is not False and has_cache(collection.folder):
        tree = _tree(collection)
        memo = _index_memo(collection.folder, tree)
        if memo is not None:
            if in_root and _is_as_the_memo_saw_it(collection.folder, memo):
                return None, memo.left_out
            data = held()
            if data is not None and hashlib.sha256(data).hexdigest() == memo.digest:
                return None, memo.left_out
    left_out: list[LeftOut] = []
    index = collection_index(collection, left_out, tree).encode("utf-8")
    if tree is not None and memo is None and collection._keeps_memos():
        # The file is not the root's README.md: no identity of it is kept
        # (a memo of this state, which may hold README.md's, says the same).
        _remember_index(tree, index, None, left_out)
    return index, left_out


def _tree(collection: Collection) -> Tree:
    """The collection as its walk sees it now, for a memo of its index. An
    index shows no warning: the names are not checked (CD509), a tenth of
    a second run of an unchanged collection. The clock is read, which
    writes in the cache, only when the cache may be written."""
    return Tree(
        collection.folder,
        collection._walk(name_warnings=False),
        clock=collection._keeps_memos(),
    )


def put_index(folder: Folder, data: bytes, *, force: bool = False) -> tuple[str, Stamp | None]:
    """Write ``data`` as the index ``README.md`` of the collection at
    ``folder``, unless it holds it already: ``"wrote"`` or ``"unchanged"``,
    and the stamp the file was read with when unchanged. A ``README.md``
    that is not an index is replaced only with ``force`` (else
    `ExistsError`)."""
    try:
        old, stamp = folder.read(INDEX_NAME)
    except NotFoundError:
        folder.create(INDEX_NAME, data)
        return "wrote", None
    if old == data:
        return "unchanged", stamp
    if not old.startswith(INDEX_HEADING) and not force:
        raise ExistsError(
            "not an index (it does not start with '# 最新信息'); pass --force to replace it,"
            " or write the index elsewhere with --output",
            path=folder.full(INDEX_NAME),
        )
    folder.replace(INDEX_NAME, data, expected=stamp)
    return "wrote", None


#: The kind of the memo of the index the root holds.
_MEMO = "index"


def _known_index(folder: Folder, tree: Tree) -> list[LeftOut] | None:
    """What the index of the collection as ``tree`` saw it leaves out,
    when the root's ``README.md`` is known to hold that index: a memo names
    the same state, and the file is the one the memo saw or holds the same
    bytes. None when the index must be made."""
    memo = _index_memo(folder, tree)
    if memo is None:
        return None
    try:
        if not _is_as_the_memo_saw_it(folder, memo):
            data, stamp = folder.read(INDEX_NAME)
            if hashlib.sha256(data).hexdigest() != memo.digest:
                return None
            _remember_index(tree, data, stamp, memo.left_out)
    except ClipdocError:
        return None
    return memo.left_out


def index_style(folder: Folder) -> str | None:
    """The style of the index ``README.md`` in ``folder``: ``"ai_info"``
    (the producer's) or ``"clipdoc"``; None where there is no index, or
    nothing in it tells (an empty collection's, alike in both).

    What tells them apart, in the lines of the first 64 KiB (then of the
    first 4 MiB, when those tell nothing for sure; the file is 45 MB at
    45,000 documents): a time the clipdoc style writes with its offset
    (``2025-03-20 10:11 UTC``), the producer's without; an address the
    clipdoc style writes in angle brackets, the producer's as it is (so one
    without them, or a line ending in a space, which only the producer's
    writer leaves, is the producer's). The style with more of its signs
    wins, and the producer's at a tie: taking its index for clipdoc's would
    write it over."""
    style = None
    for size in _STYLE_READS:
        try:
            data = folder.read_head(INDEX_NAME, size)
        except (ClipdocError, OSError):
            return None
        if not data.startswith(INDEX_HEADING):
            return None
        # Only whole lines: the last one may be cut.
        style = _style_of_lines(data if len(data) < size else data[: data.rfind(b"\n") + 1])
        if style in ("ai_info", "clipdoc") or len(data) < size:
            break
    return "clipdoc" if style == _LIKELY_CLIPDOC else style


def _style_of_lines(data: bytes) -> str | None:
    """`index_style` of whole lines of an index: ``"ai_info"`` or
    ``"clipdoc"`` when they tell for sure, `_LIKELY_CLIPDOC` when only its
    addresses in angle brackets do, else None. Each sure sign is a vote:
    an index edited by hand (a time or a bracket changed) is still told by
    the rest of it. (An address in angle brackets is no vote: the producer
    writes one so when the document's address is so written.)"""
    # What only the producer's writer writes: a line ending in a space (the
    # clipdoc style ends none so), a time without its offset, an address
    # not in angle brackets.
    producer = data.count(b" \n") + data.endswith(b" ")
    clipdoc = bracketed = 0
    for pattern in _TIMES:
        for found in pattern.finditer(data):
            if found[1]:
                clipdoc += 1
            else:
                producer += 1
    for pattern in _ADDRESSES:
        for found in pattern.finditer(data):
            if found[1] == b"<":
                bracketed += 1
            else:
                producer += 1
    # A tie is the producer's: taking its index for clipdoc's would write it over.
    if producer and producer >= clipdoc:
        return "ai_info"
    if clipdoc:
        return "clipdoc"
    return _LIKELY_CLIPDOC if bracketed else None


_STYLE_READS = (1 << 16, 1 << 22)
_LIKELY_CLIPDOC = "likely clipdoc"
# Each begins with text of its own, which the regular expression engine
# looks for at C speed: where a save time is written (it ends its line; the
# offset, empty in the producer's style) and where an address starts (its
# first character).
_AT_TIME = r"\d{4}-\d\d-\d\d \d\d:\d\d( UTC(?:[+-]\d\d:\d\d)?|)\n"
_TIMES = [
    re.compile(rf"\n\*\*收录时间\*\*: {_AT_TIME}".encode()),
    re.compile(rf" \| 时间: {_AT_TIME}".encode()),
]
_ADDRESSES = [
    re.compile(r"\n\*\*原始链接\*\*: \[查看原文\]\((.)".encode()),
    re.compile(r" \| \[原文\]\((.)".encode()),
]


def _is_as_the_memo_saw_it(folder: Folder, memo: _IndexMemo) -> bool:
    """Whether the root's ``README.md`` is the file the memo saw holding
    the index (its identity unchanged), and one this process may read: then
    it need not be read."""
    try:
        return (
            memo.identity is not None
            and identity_of(folder.stamp(INDEX_NAME)) == memo.identity
            and may_read(os.path.join(folder.path, INDEX_NAME))
        )
    except ClipdocError:
        return False


class _IndexMemo(NamedTuple):
    """What the memo of a state of the collection knows of its index: the
    digest of its bytes, the identity ``README.md`` had when it held them
    (None: not known), and the documents it leaves out."""

    digest: str
    identity: Identity | None
    left_out: list[LeftOut]


def _index_memo(folder: Folder, tree: Tree) -> _IndexMemo | None:
    """The memo of the index of the collection as ``tree`` saw it, if one
    was kept (and is not damaged)."""
    memo = recall(folder, _MEMO, tree)
    if not _is_index_memo(memo):
        return None
    digest, identity, left_out = memo
    return _IndexMemo(digest, identity, [(path, code, message) for path, code, message in left_out])


def _remember_index(
    tree: Tree, data: bytes, stamp: Stamp | None, left_out: Sequence[Sequence[str]]
) -> None:
    """Keep a memo of the root's ``README.md`` holding ``data`` (read with
    ``stamp``; None when it was just written) for the state ``tree`` names.
    The file's identity is kept only once it can tell a later change."""
    identity = None
    if stamp is not None and changed_before(tree.started_ns, stamp.mtime_ns, stamp.ctime_ns):
        identity = identity_of(stamp)
    remember(tree, _MEMO, [hashlib.sha256(data).hexdigest(), identity, [*map(list, left_out)]])


def _is_index_memo(memo: object) -> bool:
    if type(memo) is not list or len(memo) != 3:
        return False
    digest, identity, left_out = memo
    return (
        type(digest) is str
        and (
            identity is None
            or (type(identity) is list and all(type(part) is int for part in identity))
        )
        and type(left_out) is list
        and all(
            type(each) is list and len(each) == 3 and all(type(part) is str for part in each)
            for each in left_out
        )
    )


def _index_fact(entry: Entry) -> list[object]:
    """What the index shows of an entry, as the stat cache keeps it: the
    `_Item` but its path, or the code and message of its first error."""
    if entry.clipping is None:
        first = entry.errors[0]
        return [first.code, first.message]
    return list(_item(entry.path, entry.clipping)[1:])


def _is_index_fact(fact: object) -> bool:
    if type(fact) is not list:
        return False
    if len(fact) == 2:
        return type(fact[0]) is str and type(fact[1]) is str
    return (
        len(fact) == len(_Item._fields) - 1
        and (fact[0] is None or type(fact[0]) is float)
        and type(fact[1]) is str
        and type(fact[2]) is str
        and type(fact[3]) is str
        and (fact[4] is None or type(fact[4]) is str)
        and (fact[5] is None or type(fact[5]) is str)
        and type(fact[6]) is str
    )


def _index(items: list[_Item]) -> str:
    """The index text of ``items``."""
    items.sort(key=_order)
    out = [
        "# 最新信息\n\n",
        "按日期组织的内容集合，最新的日期在前。每个条目包含标题、摘要、发布时间和原始链接。\n\n",
    ]
    if not items:
        out.append("*暂无内容*\n")
        return "".join(out)
    out.append("## 最新内容\n\n")
    out += map(_latest, items[:LATEST])
    out.append("## 历史内容\n\n")
    groups: dict[str, list[_Item]] = {}
    for item in items:
        groups.setdefault(item.group, []).append(item)
    ordered = sorted((name for name in groups if name != _NO_DATE), reverse=True)
    if _NO_DATE in groups:
        ordered.append(_NO_DATE)
    for group in ordered:
        members = groups[group]
        out.append(f"### {group} ({len(members)}篇)\n\n")
        out += map(_listed, members)
    return "".join(out)


def _latest(item: _Item) -> str:
    """One clipping under 最新内容."""
    out = [f"### [{item.title}]({item.link})\n\n"]
    if item.summary:
        out.append(f"**摘要**: {item.summary}\n\n")
    details = []
    if item.url is not None:
        details.append(f"**原始链接**: [查看原文]({item.url})")
    if item.saved is not None:
        details.append(f"**收录时间**: {item.saved}")
    if details:
        out.append("\\\n".join(details) + "\n\n")
    out.append("---\n\n")
    return "".join(out)


def _listed(item: _Item) -> str:
    """One clipping under its date in 历史内容."""
    line = f"- **[{item.title}]({item.link})**"
    if item.url is not None:
        line += f" | [原文]({item.url})"
    if item.saved is not None:
        line += f" | 时间: {item.saved}"
    summary = f"  {item.summary}\n" if item.summary else ""
    return f"{line}\n{summary}\n"


def _item(path: str, clipping: Clipping) -> _Item:
    metadata = clipping.metadata
    saved_at = metadata.saved_at if metadata is not None else None
    catalog_date = metadata.catalog_date if metadata is not None else None
    return _Item(
        path=path,
        instant=saved_at.timestamp() if saved_at is not None else None,
        group=format_date(catalog_date) if catalog_date is not None else _NO_DATE,
        title=escape(clipping.title),
        link=link(path),
        url=url_link(clipping.url) if clipping.url else None,
        saved=_saved(saved_at) if saved_at is not None else None,
        summary=escape(summary_of(clipping)),
    )


def _order(item: _Item) -> tuple[bool, float, str]:
    """Newest first, clippings without a save time last, then by path."""
    if item.instant is None:
        return (True, 0.0, item.path)
    return (False, -item.instant, item.path)


def _saved(saved_at: datetime) -> str:
    """Wall-clock time where it was saved, and that offset: ``2025-03-20
    10:11 UTC+08:00`` (the year in four digits, as the dates say it)."""
    # The offset is a whole number of minutes: the model refuses others.
    text = saved_at.isoformat(" ", "minutes")
    return f"{text[:16]} UTC" if not saved_at.utcoffset() else f"{text[:-6]} UTC{text[-6:]}"


def summary_of(clipping: Clipping) -> str:
    """The summary an index shows: the AI summary, or the original one when
    the AI summary is empty or the producer's placeholder; HTML read as text;
    white space collapsed; at most 150 characters, cut after a sentence when
    one ends late enough, else at a character, with an ellipsis."""
    chosen = clipping.ai_summary or ""
    if not chosen.strip() or PLACEHOLDER_SUMMARY in chosen:
        chosen = clipping.original_summary or chosen
    from .. import html

    text = one_line(html.text(chosen))
    if len(text) <= SUMMARY_LIMIT:
        return text
    window = text[:SUMMARY_LIMIT]
    # The last sentence mark that ends at the minimum or later.
    last = _LAST_SENTENCE_END.match(window, _SENTENCE_MINIMUM - 1)
    if last is not None:
        return window[: last.end()].rstrip() + "…"
    return window.rstrip() + "…"


def escape(text: str) -> str:
    """Text that CommonMark shows as it is, on one line.

    >>> print(escape("#话题# *a* [b](c) 1. <x> &amp;"))
    \\#话题# \\*a\\* \\[b\\](c) 1. \\<x\\> \\&amp;
    """
    text = _INLINE.sub(_escaped, one_line(text))
    start = _LINE_START.match(text)
    if start is not None:
        end = start.end()
        text = text[:end] + "\\" + text[end:] if start.group()[0].isdigit() else "\\" + text
    return text


def _escaped(mark: re.Match[str]) -> str:
    # A function, not the template r"\\\1": Python 3.11 expands a template
    # in Python code, three times slower.
    return "\\" + mark[0]


#: What ``urllib.parse.quote(path, safe="/")`` encodes: runs of it are
#: encoded at once (``quote`` goes byte by byte in Python, which was a fifth
#: of an index's time for titles in Chinese).
_RESERVED_RUN = re.compile(r"[^A-Za-z0-9\-._~/]+")


def _percent_encoded(run: re.Match[str]) -> str:
    return "%" + run[0].encode("utf-8").hex("%").upper()


def link(path: str) -> str:
    """A relative link to a document: every byte but letters, digits, ``/``
    and ``-._~`` percent-encoded, so ``#``, spaces and brackets work.

    >>> link("2025-03-20/#AI 创造营#.md")
    '2025-03-20/%23AI%20%E5%88%9B%E9%80%A0%E8%90%A5%23.md'
    """
    return _RESERVED_RUN.sub(_percent_encoded, path)


def url_link(url: str) -> str:
    """A link destination for a URL: in angle brackets, which allow spaces and
    parentheses, with the characters they do not allow percent-encoded."""
    cleaned = url.replace("<", "%3C").replace(">", "%3E").replace("\n", "").replace("\r", "")
    return f"<{cleaned}>"
