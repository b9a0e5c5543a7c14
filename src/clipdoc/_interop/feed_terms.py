"""Names shared by reading and writing feeds: the extension's namespace,
the versions written, and the metadata labels of what feeds give."""

from __future__ import annotations

#: The XML namespace of the ``clipping`` element that carries a whole
#: clipping (its JSON mapping) in Atom and RSS entries.
NAMESPACE = "https://clipdoc.readthedocs.io/ns/feed/1"
#: The prefix written for it, which feedparser is told to read it under,
#: and the name of the element's field in feedparser's entries.
EXTENSION_PREFIX = "clipdoc"
EXTENSION_FIELD = f"{EXTENSION_PREFIX}_clipping"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
ATOM = "http://www.w3.org/2005/Atom"

PUBLISHED = "发布时间"
AUTHOR = "作者"
TAGS = "标签"
ENCLOSURES = "附件"
UPDATED = "更新时间"
CONTRIBUTOR = "贡献者"
AUTHOR_AVATAR = "作者头像"
IDENTIFIER = "标识符"
EXTERNAL_URL = "外部链接"
LINK = "链接"
THUMBNAIL = "缩略图"
IMAGE = "图片"
BANNER_IMAGE = "横幅图片"
DURATION = "时长"
SEASON = "季数"
EPISODE = "集数"
EPISODE_TYPE = "单集类型"
LANGUAGE = "语言"
RIGHTS = "版权"
#: On an entry a feed stopped inside of (a truncated download): the next
#: import of its page completes the document instead of skipping it.
CUT_SHORT = "不完整"
CUT_SHORT_TEXT = "the feed stopped inside this entry; import the whole feed again to complete it"

#: The heading of the extra section that holds an entry's full content
#: (RSS ``content:encoded``, Atom ``content``, JSON Feed ``content_html``)
#: when the entry has a summary too.
FULL_TEXT = "全文"
