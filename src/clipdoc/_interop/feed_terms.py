"""Names shared by reading and writing feeds: the extension's namespace,
the versions written, and the metadata labels of what feeds give."""

from __future__ import annotations

#: The XML namespace of the ``clipping`` element that carries a whole
#: clipping (its JSON mapping) in Atom and RSS entries.
NAMESPACE = "https://clipdoc.readthedocs.io/ns/feed/1"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
ATOM = "http://www.w3.org/2005/Atom"

PUBLISHED = "发布时间"
AUTHOR = "作者"
TAGS = "标签"
ENCLOSURES = "附件"
