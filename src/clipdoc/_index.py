"""A collection's index ``README.md``, done right.

The same information as the producer's index (the 20 newest clippings, then
every clipping by catalog date, each with its title, summary, link and save
time), but in a stable order (newest first, then by path), with summaries cut
at a sentence or character boundary, text escaped by CommonMark's rules and
links that work on GitHub and in editors (paths percent-encoded, URLs in
angle brackets).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import TYPE_CHECKING
from urllib.parse import quote

from ._model import Clipping
from ._timestamps import format_date, format_timestamp

if TYPE_CHECKING:
    from ._collection import Collection

LATEST = 20
SUMMARY_LIMIT = 150
# Where a summary may end: after a sentence mark, not before this many characters.
_SENTENCE_END = re.compile(r"[。！？；.!?;](?=\s|$)|[。！？；]")
_SENTENCE_MINIMUM = 80
# ASCII punctuation that can be Markdown syntax inside a line (emphasis, code,
# links, raw HTML, entities, tables, strikethrough); CommonMark shows a
# backslash-escaped punctuation character as itself.
_INLINE = re.compile(r"([\\`*_\[\]<>&|~])")
# What can start a block at the start of a line: a heading, a quote, a list
# item, a setext underline.
_LINE_START = re.compile(r"[#>+=-]|[0-9]+(?=[.)])")
_TEMPLATE_SUMMARY = "主要探讨了最新进展和研究方向"
_WHITESPACE = re.compile(r"\s+")
_NO_DATE = "未注明日期"


def clipdoc_index(collection: Collection) -> str:
    """The index of every valid document of ``collection``."""
    items = [(entry.path, entry.clipping) for entry in collection if entry.clipping is not None]
    items.sort(key=_order)
    out = [
        "# 最新信息\n\n",
        "按日期组织的内容集合，最新的日期在前。每个条目包含标题、摘要、发布时间和原始链接。\n\n",
    ]
    if not items:
        out.append("*暂无内容*\n")
        return "".join(out)
    out.append("## 最新内容\n\n")
    for path, clipping in items[:LATEST]:
        out.append(f"### [{escape(clipping.title)}]({link(path)})\n\n")
        summary = summary_of(clipping)
        if summary:
            out.append(f"**摘要**: {escape(summary)}\n\n")
        details = []
        if clipping.url:
            details.append(f"**原始链接**: [查看原文]({url_link(clipping.url)})")
        saved = _saved(clipping)
        if saved:
            details.append(f"**收录时间**: {saved}")
        if details:
            out.append("\\\n".join(details) + "\n\n")
        out.append("---\n\n")
    out.append("## 历史内容\n\n")
    groups: dict[str, list[tuple[str, Clipping]]] = {}
    for path, clipping in items:
        groups.setdefault(_group(clipping), []).append((path, clipping))
    ordered = sorted((name for name in groups if name != _NO_DATE), reverse=True)
    if _NO_DATE in groups:
        ordered.append(_NO_DATE)
    for group in ordered:
        members = groups[group]
        out.append(f"### {group} ({len(members)}篇)\n\n")
        for path, clipping in members:
            line = f"- **[{escape(clipping.title)}]({link(path)})**"
            if clipping.url:
                line += f" | [原文]({url_link(clipping.url)})"
            saved = _saved(clipping)
            if saved:
                line += f" | 时间: {saved}"
            out.append(line + "\n")
            summary = summary_of(clipping)
            if summary:
                out.append(f"  {escape(summary)}\n")
            out.append("\n")
    return "".join(out)


def _order(item: tuple[str, Clipping]) -> tuple[bool, float, str]:
    """Newest first, clippings without a save time last, then by path."""
    path, clipping = item
    saved_at = clipping.metadata.saved_at if clipping.metadata is not None else None
    if saved_at is None:
        return (True, 0.0, path)
    return (False, -saved_at.timestamp(), path)


def _group(clipping: Clipping) -> str:
    catalog: date | None = clipping.metadata.catalog_date if clipping.metadata else None
    return format_date(catalog) if catalog is not None else _NO_DATE


def _saved(clipping: Clipping) -> str:
    saved_at: datetime | None = clipping.metadata.saved_at if clipping.metadata else None
    if saved_at is None:
        return ""
    # Wall-clock time where it was saved, and that offset.
    offset = format_timestamp(saved_at)[19:].lstrip(".0123456789")
    return f"{saved_at:%Y-%m-%d %H:%M} " + ("UTC" if offset == "Z" else f"UTC{offset}")


def summary_of(clipping: Clipping) -> str:
    """The summary an index shows: the AI summary, or the original one when
    the AI summary is empty or the producer's placeholder; HTML read as text;
    white space collapsed; at most 150 characters, cut after a sentence when
    one ends late enough, else at a character, with an ellipsis."""
    chosen = clipping.ai_summary or ""
    if not chosen.strip() or _TEMPLATE_SUMMARY in chosen:
        chosen = clipping.original_summary or chosen
    from . import html

    text = _WHITESPACE.sub(" ", html.text(chosen)).strip()
    if len(text) <= SUMMARY_LIMIT:
        return text
    window = text[:SUMMARY_LIMIT]
    ends = [match.end() for match in _SENTENCE_END.finditer(window)]
    ends = [end for end in ends if end >= _SENTENCE_MINIMUM]
    if ends:
        return window[: ends[-1]].rstrip() + "…"
    return window.rstrip() + "…"


def escape(text: str) -> str:
    """Text that CommonMark shows as it is, on one line.

    >>> print(escape("#话题# *a* [b](c) 1. <x> &amp;"))
    \\#话题# \\*a\\* \\[b\\](c) 1. \\<x\\> \\&amp;
    """
    text = _INLINE.sub(r"\\\1", _WHITESPACE.sub(" ", text).strip())
    start = _LINE_START.match(text)
    if start is not None:
        end = start.end()
        text = text[:end] + "\\" + text[end:] if start.group()[0].isdigit() else "\\" + text
    return text


def link(path: str) -> str:
    """A relative link to a document: every byte but letters, digits, ``/``
    and ``-._~`` percent-encoded, so ``#``, spaces and brackets work."""
    return quote(path, safe="/")


def url_link(url: str) -> str:
    """A link destination for a URL: in angle brackets, which allow spaces and
    parentheses, with the characters they do not allow percent-encoded."""
    cleaned = url.replace("<", "%3C").replace(">", "%3E").replace("\n", "").replace("\r", "")
    return f"<{cleaned}>"
