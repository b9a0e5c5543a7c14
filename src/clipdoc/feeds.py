"""Feeds in and out: RSS, Atom and JSON Feed.

Reading uses feedparser (RSS 0.9x, 1.0 and 2.0, Atom 0.3 and 1.0) and the
standard library's JSON (JSON Feed 1.0 and 1.1); writing uses the standard
library's XML writer and JSON. Needs the ``feeds`` extra:
``pip install 'clipdoc[feeds]'``.

Reading maps each entry the way the producer does: its title, link and
description (raw HTML, not sanitized: sanitize when you display it, with
`clipdoc.html.safe_html`) become the title, URL and original summary; the
save time is the one given, or now, with its UTC offset, and the catalog
date is its date; 来源 is the feed's title unless given. Every other field
is kept too: a full content next to the summary in a section 全文, the rest
in metadata items, one per value (two authors are two 作者 items): 发布时间,
更新时间, 作者, 标签, 附件 (with type and length), 缩略图, 图片, 标识符 and
more, each field the table of docs/interop.md does not name under its own
name.

Writing is lossless: every entry carries its whole clipping in an extension
(``_clipdoc`` in JSON Feed, a ``clipdoc:clipping`` element in the namespace
`NAMESPACE` in Atom and RSS), which reading prefers, so
``from_feed(to_atom(clips, title=...)) == clips``.
"""

from __future__ import annotations

from typing import Any

from ._interop.feed_reading import from_feed, refreshed
from ._interop.feed_terms import NAMESPACE
from ._interop.feed_writing import to_atom, to_json_feed, to_rss

__all__ = [
    "NAMESPACE",
    "from_feed",
    "refreshed",
    "to_atom",
    "to_json_feed",
    "to_rss",
]

# The public functions show under this module, where they are documented.
for _public in (from_feed, refreshed, to_atom, to_json_feed, to_rss):
    _public.__module__ = __name__
del _public


def __getattr__(name: str) -> Any:
    # Names of 0.1 kept for a release, with a warning.
    if name == "clippings_from_feed":
        import warnings

        warnings.warn(
            "clipdoc.feeds.clippings_from_feed is now clipdoc.feeds.from_feed",
            DeprecationWarning,
            stacklevel=2,
        )
        return from_feed
    raise AttributeError(f"module 'clipdoc.feeds' has no attribute {name!r}")
