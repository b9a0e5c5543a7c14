"""Reading the original summary: readable text, links, media, hashtags, safe HTML.

About half of real summaries are raw feed HTML (Weibo posts: ``<a>``,
``<span class="surl-text">#topic#</span>``, ``<br>``, ``<img>``, ``<video
poster>`` with ``<source>``), the rest plain text with hard line wraps (arXiv
abstracts). Every function takes the summary string, or a `Clipping` (its
original summary), or ``None``, and decides by itself whether it is HTML.

beautifulsoup4 does the parsing, with lxml when it is installed and Python's
``html.parser`` otherwise (``parser=`` chooses). ``safe_html`` needs nh3
(``pip install 'clipdoc[html]'``). Nothing here is imported by ``import
clipdoc`` or by `clipdoc.parse`.

>>> from clipdoc import html
>>> summary = '<a href="https://m.weibo.cn/s"><span class="surl-text">#话题#</span></a><br>正文'
>>> html.text(summary)
'#话题#\\n正文'
>>> html.hashtags(summary), html.links(summary)
(['话题'], [('#话题#', 'https://m.weibo.cn/s')])
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from functools import cache, cached_property
from html import escape, unescape
from typing import TYPE_CHECKING, Any

from ._core.model import Clipping

if TYPE_CHECKING:
    from collections.abc import Iterator

    import nh3
    from bs4 import BeautifulSoup, Tag

__all__ = [
    "Summary",
    "hashtags",
    "images",
    "is_html",
    "links",
    "safe_html",
    "sanitize",
    "text",
    "videos",
]

Source = str | Clipping | None

# A tag of HTML that feeds use, opening or closing: text is HTML when it has
# one. Plain text such as "a < b" or "x<y and z>w" is not.
_KNOWN_TAG = re.compile(
    r"</?(?:a|abbr|address|article|aside|audio|b|base|bdi|bdo|blockquote|body|br|button"
    r"|caption|center|cite|code|col|colgroup|dd|del|details|dfn|div|dl|dt|em|embed"
    r"|fieldset|figcaption|figure|font|footer|form|frame|frameset|h[1-6]|head|header|hr"
    r"|html|i|iframe|img|input|ins|kbd|label|legend|li|link|main|mark|math|meta|nav"
    r"|noscript|object|ol|optgroup|option|p|param|picture|pre|q|s|samp|script|section"
    r"|select|small|source|span|strike|strong|style|sub|summary|sup|svg|table|tbody|td"
    r"|template|textarea|tfoot|th|thead|time|title|tr|track|tt|u|ul|var|video|wbr)"
    r"(?=[\s/>])[^<>]*>",
    re.IGNORECASE,
)
_COMMENT = re.compile(r"<!--")
_BLOCKS = frozenset(
    "address article aside blockquote dd details div dl dt fieldset figcaption figure"
    " footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary"
    " table tr ul video audio".split()
)
_PARAGRAPHS = frozenset("p blockquote pre table ul ol h1 h2 h3 h4 h5 h6 figure".split())
_INVISIBLE = frozenset("script style template noscript head title".split())
_HASHTAG = re.compile(r"#([^#\s](?:[^#\n]*?[^#\s])?)#")
_SPACES = re.compile(r"[ \t\f\v\r\u00a0\u3000]+")
_BARE_URL = re.compile(r"https?://[^\s<>\"'）】」》]+[^\s<>\"'）】」》.,;:!?)]")
# Marks left in the text while walking the tree: a <br>, the edge of a block,
# the edge of a paragraph-like block.
_BREAK = "\x00br\x00"
_BLOCK = "\x00block\x00"
_PARAGRAPH = "\x00paragraph\x00"
#: The mark each element leaves at its edges.
_TEXT_MARKS = dict.fromkeys(_BLOCKS, _BLOCK) | dict.fromkeys(_PARAGRAPHS, _PARAGRAPH)
_WHITE_SPACE = re.compile(r"\s+")

#: What `safe_html` keeps; everything else is removed (its text kept).
SAFE_TAGS = frozenset(
    "a abbr b blockquote br code del div em h1 h2 h3 h4 h5 h6 hr i img li ol p pre q"
    " s small span strong sub sup table tbody td th thead tr u ul".split()
)
SAFE_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
SAFE_URL_SCHEMES = frozenset({"http", "https", "mailto"})
# Set on every image whatever the source says: Weibo's image hosts refuse
# requests that carry a Referer. (One attribute only: nh3 adds the ones set
# here in an order that changes from run to run.)
_SET_ATTRIBUTES = {"img": {"referrerpolicy": "no-referrer"}}


def _summary_text(source: Source) -> str:
    if source is None:
        return ""
    if isinstance(source, Clipping):
        return source.original_summary or ""
    if not isinstance(source, str):
        raise TypeError(f"expected a str, a Clipping or None, not {type(source).__name__}")
    return source


def is_html(summary: Source) -> bool:
    """Whether the summary holds HTML tags (rather than plain text).

    >>> is_html("a < b and c > d"), is_html("line<br>break")
    (False, True)
    """
    value = _summary_text(summary)
    return bool(_KNOWN_TAG.search(value) or _COMMENT.search(value))


@cache
def default_parser() -> str:
    """``"lxml"`` when lxml is installed, else ``"html.parser"``."""
    # Once: looking for a module costs more than reading a short summary.
    return "lxml" if importlib.util.find_spec("lxml") is not None else "html.parser"


class Summary:
    """One summary, parsed at most once, with every reading of it.

    >>> summary = Summary("Hard wrapped\\nlines of an\\nabstract.\\n\\nSecond.")
    >>> summary.text
    'Hard wrapped lines of an abstract.\\n\\nSecond.'
    >>> summary.is_html
    False
    """

    def __init__(self, summary: Source, *, parser: str | None = None) -> None:
        self.source = _summary_text(summary)
        self.parser = parser or default_parser()
        self.is_html = is_html(self.source)

    @cached_property
    def soup(self) -> BeautifulSoup:
        from bs4 import BeautifulSoup

        return BeautifulSoup(self.source if self.is_html else "", self.parser)

    @cached_property
    def text(self) -> str:
        """Readable plain text: tags removed, entities decoded, ``<br>`` and
        blocks as line breaks (two ``<br>`` or a paragraph as a blank line),
        hard-wrapped lines joined into paragraphs (separated by a blank
        line), white space normalized."""
        if not self.is_html:
            return _unwrap(self.source)
        pieces: list[str] = []
        # Unless its tree is wanted anyway, the same text from lxml's own
        # tree: a quarter of the time, and Beautiful Soup is not imported.
        root = None if "soup" in self.__dict__ else _lxml_root(self.source, self.parser)
        if root is not None:
            _collect_lxml_text(root, pieces)
        else:
            _collect_text(self.soup, pieces)
        return _tidy("".join(pieces))

    @cached_property
    def links(self) -> list[tuple[str, str]]:
        """``(text, href)`` of every link, in order. In plain text, every
        ``http(s)://`` URL, as ``(url, url)``."""
        if not self.is_html:
            return [(url, url) for url in _BARE_URL.findall(self.source)]
        found = []
        for anchor in self.soup.find_all("a", href=True):
            label = _SPACES.sub(" ", anchor.get_text(" ")).strip()
            found.append((label, _attribute(anchor, "href")))
        return found

    @cached_property
    def images(self) -> list[str]:
        """Every image URL in order: ``<img src>`` (or ``data-src``) and video posters."""
        return self._urls({"img": ("src", "data-src"), "video": ("poster",)})

    @cached_property
    def videos(self) -> list[str]:
        """Every video URL in order: ``<video src>`` and its ``<source src>``."""
        return [
            url
            for url, tag in self._tagged_urls({"video": ("src",), "source": ("src",)})
            if tag.name == "video" or tag.find_parent("video") is not None
        ]

    def _urls(self, attributes: dict[str, tuple[str, ...]]) -> list[str]:
        return [url for url, _ in self._tagged_urls(attributes)]

    def _tagged_urls(self, attributes: dict[str, tuple[str, ...]]) -> list[tuple[str, Tag]]:
        """For each tag named in ``attributes``, in document order, the first
        of its listed attributes that is set, with the tag."""
        if not self.is_html:
            return []
        found = []
        for tag in self.soup.find_all(list(attributes)):
            url = next(filter(None, (_attribute(tag, name) for name in attributes[tag.name])), "")
            if url:
                found.append((url, tag))
        return found

    @cached_property
    def hashtags(self) -> list[str]:
        """Weibo ``#topic#`` hashtags of the text, in order, without duplicates."""
        return list(dict.fromkeys(_HASHTAG.findall(self.text)))

    @cached_property
    def safe_html(self) -> str:
        """HTML that is safe to put into a web page (see `safe_html`)."""
        if not self.is_html:
            paragraphs = [p for p in self.text.split("\n\n") if p]
            return "".join(f"<p>{escape(p, quote=False)}</p>" for p in paragraphs)
        return sanitize(self.source)


def sanitize(fragment: str, *, relative_urls: bool = True) -> str:
    """The allow-list sanitizer behind `safe_html`, for HTML from any source
    (rendered Markdown, say). ``relative_urls=False`` also drops relative
    URLs, which in a page of another site would point into that site.

    >>> sanitize('<p onclick="x()">a <img src="/i.png"> <a href="/b">b</a>', relative_urls=False)
    '<p>a <img referrerpolicy="no-referrer"> <a rel="noopener noreferrer">b</a></p>'
    """
    return _cleaner(relative_urls=relative_urls).clean(fragment)


def _sanitized(fragment: str, *, relative_urls: bool, images: str) -> str:
    """`sanitize`, with the images kept (``"keep"``), kept and loaded as
    they come into view (``"lazy"``), or removed (``"none"``: a page that
    shows the fragment then asks no image host for anything)."""
    keep = "none" if images == "none" else "keep"
    cleaned = _cleaner(relative_urls=relative_urls, images=keep).clean(fragment)
    if images == "lazy":
        # Added here, not by the sanitizer: it writes the attributes it sets
        # in a random order when a tag has two, and a page must be the same
        # bytes at each build. Every "<img" of its output is a tag.
        cleaned = cleaned.replace("<img ", '<img loading="lazy" ')
    return cleaned


@cache
def _cleaner(*, relative_urls: bool, images: str = "keep") -> nh3.Cleaner:
    """The sanitizer's settings, made once: passing them at each call
    costs a fifth of the time."""
    try:
        import nh3
    except ImportError:  # pragma: no cover - depends on the installed extras
        raise ImportError("safe_html() needs nh3: pip install 'clipdoc[html]'") from None
    tags = set(SAFE_TAGS) - ({"img"} if images == "none" else set())
    set_values = {tag: dict(values) for tag, values in _SET_ATTRIBUTES.items() if tag in tags}
    return nh3.Cleaner(
        tags=tags,
        clean_content_tags={"script", "style"},
        attributes={tag: set(names) for tag, names in SAFE_ATTRIBUTES.items() if tag in tags},
        set_tag_attribute_values=set_values,
        url_schemes=set(SAFE_URL_SCHEMES),
        url_relative="pass_through" if relative_urls else "deny",
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def _attribute(tag: Tag, name: str) -> str:
    value: Any = tag.get(name)
    if isinstance(value, list):  # multi-valued attributes such as class
        value = " ".join(value)
    return value.strip() if isinstance(value, str) else ""


def _collect_text(root: Any, pieces: list[str]) -> None:
    """Append the text of ``root`` to ``pieces``, with marks for line breaks."""
    from bs4.element import NavigableString, PreformattedString, Tag

    # The elements being read, innermost last: the rest of each one's
    # children and the mark that closes it. A stack of its own, so that
    # markup nested any depth is read (recursion stopped at 1,000).
    stack: list[tuple[Iterator[Any], str]] = [(iter(root.children), "")]
    while stack:
        children, closing = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            pieces.append(closing)
        elif isinstance(child, Tag):
            name = child.name.lower()
            if name == "br":
                pieces.append(_BREAK)
            elif name not in _INVISIBLE:
                mark = _TEXT_MARKS.get(name, "")
                pieces.append(mark)
                stack.append((iter(child.children), mark))
        # Comments, CDATA, doctypes and processing instructions are
        # PreformattedStrings: not text a reader sees.
        elif isinstance(child, NavigableString) and not isinstance(child, PreformattedString):
            pieces.append(_WHITE_SPACE.sub(" ", child))


#: How deep lxml (libxml2) nests elements before it drops the rest.
_LXML_DEPTH = 256


def _lxml_root(source: str, parser: str) -> Any:
    """The root of ``source`` parsed as Beautiful Soup's lxml builder feeds
    it (a leading BOM dropped, one feed), when the text of that tree is the
    text of Beautiful Soup's; None otherwise: another parser, lxml missing
    or refusing the markup, text after an end of the document (it stays in
    Beautiful Soup's tree, not in lxml's), or enough tags to nest deeper
    than lxml keeps."""
    if parser != "lxml" or source.count("<") >= _LXML_DEPTH or "</html" in source.lower():
        return None
    try:
        etree: Any = importlib.import_module("lxml.etree")  # no type information
    except ImportError:  # pragma: no cover - depends on the installed extras
        return None
    feed = etree.HTMLParser(recover=True)
    try:
        feed.feed(source.removeprefix("\N{BYTE ORDER MARK}"))
        return feed.close()
    except (ValueError, etree.LxmlError):
        return None


def _collect_lxml_text(root: Any, pieces: list[str]) -> None:
    """`_collect_text` over lxml's tree: the same text, with the same marks
    for breaks, blocks and paragraphs; comments, processing instructions
    and invisible elements left out (the tree is less than `_LXML_DEPTH`
    deep: recursion is safe)."""
    spaces = _WHITE_SPACE.sub
    add = pieces.append

    def walk(element: Any) -> None:
        tag = element.tag
        name = tag.lower() if isinstance(tag, str) else None
        if name == "br":
            add(_BREAK)
        elif name is not None and name not in _INVISIBLE:
            mark = _TEXT_MARKS.get(name, "")
            add(mark)
            if element.text:
                add(spaces(" ", element.text))
            for child in element:
                walk(child)
            add(mark)
        if element.tail:
            add(spaces(" ", element.tail))

    walk(root)


def _tidy(raw: str) -> str:
    """Turn break marks into newlines and normalize white space."""
    tokens = _MARK.split(raw)  # text, mark, text, mark, ..., text
    pieces = [tokens[0]]
    index = 1
    while index < len(tokens):
        # A run of marks with only white space between them becomes one break.
        run = []
        while index < len(tokens):
            run.append(tokens[index])
            between = tokens[index + 1]
            index += 2
            if between.strip() or index >= len(tokens):
                break
        pieces += (_line_breaks(run), between)
    lines = [_SPACES.sub(" ", line).strip() for line in "".join(pieces).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


_MARK = re.compile(f"({_BREAK}|{_BLOCK}|{_PARAGRAPH})")


def _line_breaks(run: list[str]) -> str:
    # Block edges merge into one line break; two <br> or a paragraph edge
    # make a blank line, as they look in a browser.
    return "\n\n" if _PARAGRAPH in run or run.count(_BREAK) > 1 else "\n"


def _unwrap(plain: str) -> str:
    """Join hard-wrapped lines into paragraphs; a blank line ends a paragraph."""
    unescaped = unescape(plain)
    if "\n" not in unescaped and "\r" not in unescaped:
        # One line (most summaries): nothing to join, five times faster.
        return _SPACES.sub(" ", unescaped).strip()
    paragraphs = []
    normalized = unescaped.replace("\r\n", "\n").replace("\r", "\n")
    for block in re.split(r"\n[ \t]*\n", normalized):
        pieces: list[str] = []
        for line in block.split("\n"):
            line = _SPACES.sub(" ", line).strip()
            if not line:
                continue
            if pieces and not _broken_after_hyphen(pieces[-1], line):
                pieces.append(" ")
            pieces.append(line)
        if pieces:
            paragraphs.append("".join(pieces))
    return "\n\n".join(paragraphs)


def _broken_after_hyphen(previous: str, line: str) -> bool:
    # "retrieval-" then "augmented": a word the wrap broke after its hyphen.
    return (
        len(previous) > 1
        and previous[-1] == "-"
        and previous[-2].isascii()
        and previous[-2].isalpha()
        and line[0].isalpha()
    )


def text(summary: Source, *, parser: str | None = None) -> str:
    """Readable plain text of a summary.

    >>> text('第一段<br><br>第二段 &amp; <b>加粗</b>')
    '第一段\\n\\n第二段 & 加粗'
    >>> text("a < b, and\\nwrapped")
    'a < b, and wrapped'
    """
    source = _summary_text(summary)
    if not is_html(source):
        return _unwrap(source)  # what Summary.text gives, without the object
    return Summary(source, parser=parser).text


def links(summary: Source, *, parser: str | None = None) -> list[tuple[str, str]]:
    """``(text, href)`` pairs of every link, in document order.

    >>> links('<a href="https://weibo.com/1">@量子位</a>')
    [('@量子位', 'https://weibo.com/1')]
    """
    return Summary(summary, parser=parser).links


def images(summary: Source, *, parser: str | None = None) -> list[str]:
    """Every image URL (``<img src>``, video posters), in document order.

    >>> images('<img src="https://a/1.jpg"><video poster="https://a/2.jpg"></video>')
    ['https://a/1.jpg', 'https://a/2.jpg']
    """
    return Summary(summary, parser=parser).images


def videos(summary: Source, *, parser: str | None = None) -> list[str]:
    """Every video source URL, in document order.

    >>> videos('<video poster="p.jpg"><source src="https://v/1.mp4"></video>')
    ['https://v/1.mp4']
    """
    return Summary(summary, parser=parser).videos


def hashtags(summary: Source, *, parser: str | None = None) -> list[str]:
    """Weibo ``#topic#`` hashtags, in order, each once.

    >>> hashtags("#阿里通义##通义# C# and F# are not tags #阿里通义#")
    ['阿里通义', '通义']
    """
    return Summary(summary, parser=parser).hashtags


def safe_html(summary: Source, *, parser: str | None = None) -> str:
    """HTML safe to put in a web page, from an allow-list sanitizer (nh3).

    No script, style, iframe, object, embed, form or meta; no event-handler
    or style attributes; only ``http``, ``https`` and ``mailto`` URLs (or
    relative ones); links get ``rel="noopener noreferrer"``. Plain text is
    escaped into paragraphs.

    >>> safe_html('<a href="javascript:alert(1)" onclick="x()">hi</a><br><script>bad()</script>')
    '<a rel="noopener noreferrer">hi</a><br>'
    """
    return Summary(summary, parser=parser).safe_html
