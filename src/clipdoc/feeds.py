"""Feeds in and out: RSS, Atom and JSON Feed.

Reading uses feedparser (RSS 0.9x, 1.0 and 2.0, Atom 0.3 and 1.0) and the
standard library's JSON (JSON Feed 1.0 and 1.1); writing uses the standard
library's XML writer and JSON. Needs the ``feeds`` extra:
``pip install 'clipdoc[feeds]'``.

Reading maps each entry the way the producer does: its title, link and
description (raw HTML, not sanitized: sanitize when you display it, with
`clipdoc.html.safe_html`) become the title, URL and original summary; the
save time is the one given, or now, with its UTC offset, and the catalog
date is its date. What the producer threw away is kept in metadata items:
发布时间 (published, RFC 3339), 作者 (author), 标签 (tags, comma-separated) and
附件 (enclosure URLs, space-separated).

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
