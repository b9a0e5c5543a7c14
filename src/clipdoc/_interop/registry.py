"""The formats clipdoc converts between, in one registry.

Every format is a peer: each says how its files are laid out and how a file
of it becomes clippings and back, and ``clipdoc convert`` connects any two.

* ``document`` formats hold one clipping in one file (``md``, ``json``);
* ``tree`` formats hold one clipping per file in a folder, at a path (a
  ``folder`` of clipping documents, a folder of ``notes``);
* ``stream`` formats hold many clippings in one file: ``jsonl`` and
  ``parquet`` (with the path of each), and the feeds ``jsonfeed``, ``atom``
  and ``rss`` (without; a clipping from a feed goes where the producer would
  write it).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from typing import Literal

import attrs

from .._core.errors import Diagnostic
from .._core.json_mapping import from_json, to_json
from .._core.model import Clipping
from .._core.read import decode, read_document
from .._core.writer import render_document

Layout = Literal["document", "tree", "stream"]


@attrs.frozen(kw_only=True)
class Format:
    """One format: its name, how its files are laid out, the file name
    suffixes that say a file holds it, and its codec."""

    name: str
    layout: Layout
    summary: str
    suffixes: tuple[str, ...] = ()
    #: The extra a format needs, if any (``pip install 'clipdoc[...]'``).
    extra: str | None = None
    #: For document and tree formats: one file's bytes and the clipping.
    encode: Callable[[Clipping], bytes] | None = None
    #: For feed streams: many clippings in, one file's bytes out, and back.
    encode_many: Callable[[list[Clipping]], bytes] | None = None
    decode_many: Callable[[bytes], list[Clipping]] | None = None


def _markdown(clipping: Clipping) -> bytes:
    return render_document(clipping).encode("utf-8")


def _json(clipping: Clipping) -> bytes:
    return (to_json(clipping, indent=2) + "\n").encode("utf-8")


def _feed_writer(name: str) -> Callable[[list[Clipping]], bytes]:
    def write(clippings: list[Clipping]) -> bytes:
        from .. import feeds

        writer: Callable[..., bytes] = getattr(feeds, name)
        return writer(clippings, title="Clippings")

    return write


def _feed_reader(data: bytes) -> list[Clipping]:
    from ..feeds import clippings_from_feed

    return clippings_from_feed(data)


def _note(clipping: Clipping) -> bytes:
    from ..notes import to_note

    return to_note(clipping).encode("utf-8")


FORMATS: dict[str, Format] = {
    fmt.name: fmt
    for fmt in (
        Format(
            name="md",
            layout="document",
            summary="one clipping document",
            suffixes=(".md",),
            encode=_markdown,
        ),
        Format(
            name="json",
            layout="document",
            summary="one clipping's JSON mapping",
            suffixes=(".json",),
            encode=_json,
        ),
        Format(
            name="folder",
            layout="tree",
            summary="a folder of clipping documents (a collection)",
            encode=_markdown,
        ),
        Format(
            name="notes",
            layout="tree",
            summary="a folder of Markdown notes with YAML front matter",
            extra="notes",
            encode=_note,
        ),
        Format(
            name="jsonl",
            layout="stream",
            summary="JSON Lines: one JSON mapping and its path per line",
            suffixes=(".jsonl",),
        ),
        Format(
            name="parquet",
            layout="stream",
            summary="Apache Parquet: the Arrow schema of clippings, with the path of each",
            suffixes=(".parquet",),
            extra="arrow",
        ),
        Format(
            name="jsonfeed",
            layout="stream",
            summary="a JSON Feed 1.1 document",
            suffixes=(".feed.json", ".jsonfeed"),
            encode_many=_feed_writer("to_json_feed"),
            decode_many=_feed_reader,
        ),
        Format(
            name="atom",
            layout="stream",
            summary="an Atom 1.0 feed",
            suffixes=(".atom",),
            extra="feeds",
            encode_many=_feed_writer("to_atom"),
            decode_many=_feed_reader,
        ),
        Format(
            name="rss",
            layout="stream",
            summary="an RSS 2.0 feed",
            suffixes=(".rss",),
            extra="feeds",
            encode_many=_feed_writer("to_rss"),
            decode_many=_feed_reader,
        ),
    )
}


def decode_document(fmt: Format, data: bytes) -> tuple[Clipping, tuple[Diagnostic, ...]]:
    """The clipping of one file of a document or tree format, and the
    diagnostics of reading it (a `ClipdocError` for what cannot be read)."""
    if fmt.name == "json":
        return from_json(data), ()
    text = decode(data)
    if fmt.name == "notes":
        from ..notes import from_note

        return from_note(text), ()
    return read_document(text)


def format_of(path: str, *, is_folder: bool) -> Format | None:
    """The format a path's name says it holds: a folder is a ``folder``, a
    file by its suffix (the longest that matches); None when it does not say."""
    if is_folder:
        return FORMATS["folder"]
    name = os.path.basename(path).lower()
    found = [
        (len(suffix), fmt)
        for fmt in FORMATS.values()
        for suffix in fmt.suffixes
        if name.endswith(suffix)
    ]
    return max(found, key=lambda item: item[0])[1] if found else None


def check_extra(fmt: Format) -> str | None:
    """Why a format cannot be used here (its extra is not installed), if so."""
    modules = {"feeds": "feedparser", "notes": "yaml", "arrow": "pyarrow"}
    if fmt.extra is None:
        return None
    try:
        importlib.import_module(modules[fmt.extra])
    except ImportError:
        return f"{fmt.name} needs the '{fmt.extra}' extra: pip install 'clipdoc[{fmt.extra}]'"
    return None
