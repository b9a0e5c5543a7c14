"""The formats clipdoc converts between, in one registry.

Every format is a peer: each is one codec (`Format`: ``read`` gives items,
``write`` takes them and reports each), and ``clipdoc convert`` connects
any two.

* ``document`` formats hold one clipping in one file (``md``, ``json``);
* ``tree`` formats hold one clipping per file in a folder, at a path (a
  ``folder`` of clipping documents, a folder of ``notes``);
* ``stream`` formats hold many clippings in one file: ``jsonl`` and
  ``parquet`` (with the path of each), and the feeds ``jsonfeed``, ``atom``
  and ``rss`` (without; a clipping from a feed goes where the producer would
  write it).
"""

from __future__ import annotations

import os

from .codec import Format
from .documents import DocumentFormat, json_mapping, markdown, read_json_mapping, read_markdown
from .parquet import ParquetFormat
from .streams import FeedFormat, JsonLinesFormat
from .trees import TreeFormat, note, read_document_at, read_note_at

FORMATS: dict[str, Format] = {
    fmt.name: fmt
    for fmt in (
        DocumentFormat(
            name="md",
            summary="one clipping document",
            suffixes=(".md",),
            encode=markdown,
            decode=read_markdown,
        ),
        DocumentFormat(
            name="json",
            summary="one clipping's JSON mapping",
            suffixes=(".json",),
            encode=json_mapping,
            decode=read_json_mapping,
        ),
        TreeFormat(
            name="folder",
            summary="a folder of clipping documents (a collection)",
            encode=markdown,
            read_file=read_document_at,
        ),
        TreeFormat(
            name="notes",
            summary="a folder of Markdown notes with YAML front matter",
            extra="notes",
            encode=note,
            read_file=read_note_at,
        ),
        JsonLinesFormat(
            name="jsonl",
            summary="JSON Lines: one JSON mapping and its path per line",
            suffixes=(".jsonl",),
        ),
        ParquetFormat(
            name="parquet",
            summary="Apache Parquet: the Arrow schema of clippings, with the path of each",
            suffixes=(".parquet",),
            extra="arrow",
        ),
        FeedFormat(
            name="jsonfeed",
            summary="a JSON Feed 1.1 document",
            suffixes=(".feed.json", ".jsonfeed"),
            writer="to_json_feed",
        ),
        FeedFormat(
            name="atom",
            summary="an Atom 1.0 feed",
            suffixes=(".atom",),
            extra="feeds",
            writer="to_atom",
        ),
        FeedFormat(
            name="rss",
            summary="an RSS 2.0 feed",
            suffixes=(".rss",),
            extra="feeds",
            writer="to_rss",
        ),
    )
}

#: What a source converts to when the destination does not say.
_DEFAULT_TARGET = {
    "md": "json",
    "json": "md",
    "folder": "jsonl",
    "notes": "folder",
    "jsonl": "folder",
    "parquet": "folder",
    "jsonfeed": "folder",
    "atom": "folder",
    "rss": "folder",
}
#: What standard input holds when only the destination says anything.
_DEFAULT_SOURCE = {"json": "md", "md": "json", "folder": "jsonl"}


def format_of(path: str) -> Format | None:
    """The format a file's name says it holds, by its suffix (the longest
    that matches); None when the name does not say."""
    name = os.path.basename(path).lower()
    found = [
        (len(suffix), fmt)
        for fmt in FORMATS.values()
        for suffix in fmt.suffixes
        if name.endswith(suffix)
    ]
    return max(found, key=lambda item: item[0])[1] if found else None


def default_target(source: Format) -> Format:
    """What ``source`` converts to when nothing says."""
    return FORMATS[_DEFAULT_TARGET[source.name]]


def default_source(target: Format) -> Format:
    """What standard input holds, when only the destination's format is known."""
    return FORMATS[_DEFAULT_SOURCE.get(target.name, "jsonl")]
