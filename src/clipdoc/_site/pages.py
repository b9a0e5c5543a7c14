"""What the site shows of each document, and where each page lives.

Every string from a document is untrusted: templates escape text
(autoescaping), HTML from a summary goes through `clipdoc.html.sanitize`,
Markdown is rendered with raw HTML off and sanitized again, and only
``http``, ``https`` and ``mailto`` URLs become links.
"""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata
from collections.abc import Callable, Sequence
from datetime import date, datetime, timezone
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar
from urllib.parse import urlsplit

import attrs

from .._core.errors import Diagnostic, PathError
from .._core.model import Clipping
from .._core.read import has_error, read_data
from .._core.syntax import one_line
from .._storage.cache import Fact, diagnostics_fact, is_diagnostics_fact, with_kept
from .._storage.documents import read_document_file
from .._storage.files import SIZE_LIMIT, Folder, Stamp
from .._storage.walk import Found
from . import search

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

#: The fewest characters of an excerpt before it may end at a sentence.
EXCERPT_LENGTH = 140
_SAFE_SCHEMES = ("http", "https", "mailto")
# Second-level labels under which registrations happen (example.co.uk).
_REGISTRY_LABELS = frozenset({"ac", "co", "com", "edu", "gov", "net", "or", "org"})
_PLAIN_SLUG = re.compile(r"[a-z0-9]+(?:[.-][a-z0-9]+)*")
_HEADING_TAG = re.compile(r"<(/?)h([1-6])(?=[\s>])")
_CJK = re.compile(f"[{search.CJK_CLASS}]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
# Codes after which a file is no clipping at all: not UTF-8, not a clipping.
_UNREADABLE = frozenset({"CD110", "CD111", "CD503", "CD504", "CD505", "CD506"})

#: The most characters of one text of a document (a summary, a section) that
#: its page shows and its search reads, and of all its texts together: a
#: longer text is cut, and the page says so and where the whole text is. The
#: cut bounds a page, and the build's time and memory, by these figures
#: rather than by the largest document (a body of 200 MB shown whole took
#: 7 GB and 80 s).
TEXT_SHOWN = 500_000
TEXTS_SHOWN = 2_000_000
#: What an excerpt is cut from, at most: the start of a text is enough for
#: one line, whatever its markup.
_EXCERPT_SOURCE = 65_536


#: A document's distinct search tokens, of its title and of its body, each
#: joined by line breaks (which no token holds): as one string, a tenth of
#: the memory of a tuple of strings, and sent between processes in one piece.
Tokens = tuple[str, str]


@attrs.frozen(kw_only=True)
class Document:
    """What the site needs of one document besides its own page: the facts
    list pages, neighbours and the search index use."""

    path: str
    digest: str
    title: str
    url: str | None
    day: date | None
    saved_at: datetime | None
    source: str | None
    hashtags: tuple[str, ...]
    excerpt: str
    #: The start of its text, for the snippets of search results.
    text: str
    #: How many files its whole text is in (`search.text_parts`; none when
    #: `text` is the whole), written with its page, for a snippet further on.
    text_parts: int
    #: A digest of what was clipped (title, original summary, sections), not
    #: of when it was saved nor of the AI summary, which a producer writes
    #: anew at each save: re-clips with the same digest are copies of one
    #: version.
    content: str
    #: Whether the document is new or changed since the last build (its
    #: search tokens are read again only for the index, and only those of
    #: its address's newest save: `_Site.indexed_tokens`).
    changed: bool
    problems: tuple[Diagnostic, ...]
    #: Asked for by every list and neighbour: made once.
    page: str = attrs.field(init=False)

    @page.default
    def _page(self) -> str:
        return clipping_page(self.path)


@attrs.frozen(kw_only=True)
class Unreadable:
    """A file that gets no page, and why."""

    path: str
    problems: tuple[Diagnostic, ...]


def read_fact(
    root: Folder, item: tuple[Found, str | None, tuple[str, ...]]
) -> tuple[Stamp | None, Fact, None]:
    """Read one document (in a worker process): the stamp it was read with
    (None when it could not be read: nothing of it is kept in the stat
    cache) and its `fact` (nothing else: `cached_or_read` takes what else
    a reader makes of a document). ``item`` is what the walk found and, from
    the last build, its digest and hashtags, reused when the digest is
    unchanged (hashtags need an HTML parse)."""
    found, known_digest, known_hashtags = item
    if found.problem is not None:
        return None, [UNREADABLE, diagnostics_fact([found.problem.diagnostic])], None
    try:
        data, stamp = root.read(found.relative)
    except PathError as error:
        return None, [UNREADABLE, diagnostics_fact([error.diagnostic])], None
    digest = hashlib.sha256(data).hexdigest()
    _, clipping, problems = read_data(data)
    if clipping is None or any(p.code in _UNREADABLE for p in problems):
        return stamp, [UNREADABLE, diagnostics_fact(problems)], None
    content = content_digest(clipping)
    clipping = shown(clipping)
    hashtags = known_hashtags if digest == known_digest else summary_hashtags(clipping)
    metadata = clipping.metadata
    saved_at = metadata.saved_at if metadata is not None else None
    day = metadata.catalog_date if metadata is not None else None
    if day is None and saved_at is not None:
        day = saved_at.date()
    body = body_text(clipping)
    text = full_text(clipping, body)
    fact = _DocumentFact(
        digest=digest,
        title=clipping.title,
        url=clipping.url,
        day=day.isoformat() if day is not None else None,
        saved_at=saved_at.isoformat() if saved_at is not None else None,
        source=source_of(clipping.url),
        hashtags=list(hashtags),
        excerpt=excerpt(clipping),
        text=text[: search.SNIPPET_SOURCE],
        text_parts=len(search.text_parts(text)),
        content=content,
        problems=diagnostics_fact(problems),
    )
    return stamp, [DOCUMENT, *fact], None


class _DocumentFact(NamedTuple):
    """A `Document` as a `fact` holds it (after `DOCUMENT`), as JSON."""

    digest: str
    title: str
    url: str | None
    day: str | None
    saved_at: str | None
    source: str | None
    hashtags: list[str]
    excerpt: str
    text: str
    text_parts: int
    content: str
    problems: list[list[Any]]


#: The first item of a `fact`: what the rest are, and in which layout (a
#: source checkout keeps its version number as its code changes: a fact
#: of another layout is not taken for one of this, but read again).
DOCUMENT = "document/1"
UNREADABLE = "unreadable/1"


def document_of(found: Found, fact: Fact, known_digest: str | None) -> Document | Unreadable:
    """The `Document` (or `Unreadable`) a `fact` of a file tells, read now
    or kept in the stat cache (`is_fact` checked its shape): the walk's
    warnings about its name first among its problems, and ``changed``
    unless its digest is ``known_digest``, the last build's."""
    if fact[0] == UNREADABLE:
        return Unreadable(path=found.relative, problems=with_kept(found, fact[1]))
    kept = _DocumentFact(*fact[1:])
    return Document(
        path=found.relative,
        digest=kept.digest,
        title=kept.title,
        url=kept.url,
        day=date.fromisoformat(kept.day) if kept.day is not None else None,
        saved_at=datetime.fromisoformat(kept.saved_at) if kept.saved_at is not None else None,
        source=kept.source,
        hashtags=tuple(kept.hashtags),
        excerpt=kept.excerpt,
        text=kept.text,
        text_parts=kept.text_parts,
        content=kept.content,
        changed=kept.digest != known_digest,
        problems=with_kept(found, kept.problems),
    )


def is_fact(fact: Fact) -> bool:
    """Whether a value from the stat cache has the shape of a `fact`
    (a cache file is only JSON)."""
    if type(fact) is not list or not fact:
        return False
    if fact[0] == UNREADABLE:
        return len(fact) == 2 and is_diagnostics_fact(fact[1])
    return (
        fact[0] == DOCUMENT
        and len(fact) == 1 + len(_DocumentFact._fields)
        and _is_document_fact(_DocumentFact(*fact[1:]))
    )


def _is_document_fact(fact: _DocumentFact) -> bool:
    # Bounded as reading makes them: a forged count of parts would have a
    # build write that many files.
    return (
        _are_texts_of_a_fact(fact)
        and type(fact.hashtags) is list
        and all(type(tag) is str for tag in fact.hashtags)
        and type(fact.text_parts) is int
        and 0 <= fact.text_parts <= _MOST_TEXT_PARTS
        and _is_iso(fact.day, date)
        and _is_iso(fact.saved_at, datetime)
        and is_diagnostics_fact(fact.problems)
    )


def _are_texts_of_a_fact(fact: _DocumentFact) -> bool:
    strings: tuple[Any, ...] = (fact.digest, fact.title, fact.excerpt, fact.text, fact.content)
    return (
        all(type(value) is str for value in strings)
        and all(value is None or type(value) is str for value in (fact.url, fact.source))
        and _SHA256.fullmatch(fact.digest) is not None
        and _CONTENT.fullmatch(fact.content) is not None
        and len(fact.excerpt) <= EXCERPT_LENGTH + 1
        and len(fact.text) <= search.SNIPPET_SOURCE
    )


_SHA256 = re.compile(r"[0-9a-f]{64}")
_CONTENT = re.compile(r"[0-9a-f]{12}")
#: The most parts a document's text has (`search.text_parts`): that of the
#: largest document read.
_MOST_TEXT_PARTS = -(-SIZE_LIMIT // search.TEXT_PART)


def _is_iso(value: object, kind: type[date]) -> bool:
    if value is None:
        return True
    if type(value) is not str:
        return False
    try:
        read = kind.fromisoformat(value)
    except ValueError:
        return False
    # A save time has its offset: a naive one is no model's.
    return kind is date or getattr(read, "tzinfo", None) is not None


def content_digest(clipping: Clipping) -> str:
    """`Document.content` of a clipping: of its whole texts, a part at a
    time (a copy of them all would double a huge document's memory)."""
    parts = [clipping.title, clipping.original_summary]
    for section in clipping.extra_sections:
        parts += [section.heading, section.body]
    digest = hashlib.sha1()
    for part in parts:
        # Each part with its length, so that no two lists of parts hash alike.
        data = b"\1" if part is None else part.encode("utf-8", "surrogatepass")
        digest.update(b"%d:" % len(data))
        digest.update(data)
    return digest.hexdigest()[:12]


def shown(clipping: Clipping) -> Clipping:
    """The clipping as its page shows it and its search reads it: each
    text cut to `TEXT_SHOWN` characters, and to what is left of
    `TEXTS_SHOWN` after the texts before it (the original summary, the AI
    summary, the sections in order), at a line break or a tag when one is
    near. `cut_lengths` says which were cut."""
    texts = [clipping.original_summary, clipping.ai_summary]
    texts += [section.body for section in clipping.extra_sections]
    if sum(len(text) for text in texts if text) <= TEXT_SHOWN:
        return clipping
    left = TEXTS_SHOWN

    def cut(text: str) -> str:
        nonlocal left
        limit = min(TEXT_SHOWN, left)
        if len(text) > limit:
            near = limit - limit // 16
            end = max(text.rfind("\n", near, limit), text.rfind("<", near, limit))
            text = text[: end if end > 0 else limit]
        left -= len(text)
        return text

    original = None if clipping.original_summary is None else cut(clipping.original_summary)
    ai = None if clipping.ai_summary is None else cut(clipping.ai_summary)
    sections = tuple(
        attrs.evolve(section, body=cut(section.body)) for section in clipping.extra_sections
    )
    return attrs.evolve(clipping, original_summary=original, ai_summary=ai, extra_sections=sections)


def cut_lengths(whole: str | None, shown: str | None) -> Fields | None:
    """What a page says of a text `shown` cut: how many characters it
    shows of how many (None when it shows the whole)."""
    if whole is None or shown is None or len(shown) == len(whole):
        return None
    return Fields(shown=len(shown), length=len(whole))


def summary_hashtags(clipping: Clipping) -> tuple[str, ...]:
    """`clipdoc.html.hashtags` of the original summary."""
    summary = clipping.original_summary or ""
    # A tag needs two "#" in the text, and only an entity can add one.
    if summary.count("#") + summary.lower().count("&num") < 2:
        return ()
    from .. import html

    return _KNOWN_HASHTAGS.get(summary, lambda: tuple(html.hashtags(summary)))


_Made = TypeVar("_Made")


class _Recent(Generic[_Made]):
    """What was made of the texts seen last (in each process), by their
    digest: a post clipped again and again has the same original summary
    each time, whose hashtags and HTML (an HTML parse each) are made once
    per worker; the oldest is forgotten past ``kept``."""

    def __init__(self, kept: int) -> None:
        self.kept = kept
        self.made: dict[bytes, _Made] = {}
        self.lock = threading.Lock()  # builds may run in threads

    def get(self, text: str, make: Callable[[], _Made], *options: str) -> _Made:
        key = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16)
        for option in options:
            key.update(b"\0" + option.encode())
        digest = key.digest()
        found = self.made.get(digest)
        if found is None:
            found = make()
            with self.lock:
                if len(self.made) >= self.kept:
                    del self.made[next(iter(self.made))]  # the oldest
                self.made[digest] = found
        return found


_KNOWN_HASHTAGS: _Recent[tuple[str, ...]] = _Recent(16_384)
#: The HTML of the original summaries read last, of those up to 8,192
#: characters long (a post's, mostly; at most 2,048 of them in memory).
_KNOWN_ORIGINALS: _Recent[str] = _Recent(2_048)
_ORIGINAL_KEPT_LENGTH = 8_192


def body_text(clipping: Clipping) -> str:
    """The plain text of the summaries and sections, headings included (of
    a `shown` clipping), which its search tokens and its `full_text` are
    made of."""
    body = [clipping.original_summary, clipping.ai_summary]
    for section in clipping.extra_sections:
        body += [section.heading, section.body]
    return search.plain_text(" ".join(filter(None, body)))


def search_tokens(clipping: Clipping, body: str | None = None) -> Tokens:
    """The distinct tokens (of a `shown` clipping) of the title, and of the
    summaries, sections (``body``: their `body_text`, when made already)
    and URL (its host, path and query, so that an address, an account or
    an arXiv id is found)."""
    text = body_text(clipping) if body is None else body
    address = _SCHEME.sub("", clipping.url or "")
    return (
        "\n".join(dict.fromkeys(search.tokens(clipping.title))),
        "\n".join(dict.fromkeys(search.tokens(f"{text} {address}"))),
    )


def full_text(clipping: Clipping, body: str | None = None) -> str:
    """What a search result's snippet is cut from: the text of the
    summaries and sections (of a `shown` clipping; ``body`` as for
    `search_tokens`), white space collapsed."""
    text = body_text(clipping) if body is None else body
    return one_line(text)


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def split_tokens(tokens: Tokens) -> tuple[list[str], list[str]]:
    """The title's and the body's tokens of `search_tokens`, as lists."""
    title, body = tokens
    return title.split("\n") if title else [], body.split("\n") if body else []


def read_tokens(root: Folder, path: str) -> Tokens:
    """The search tokens of the document at ``path`` (in a worker process)."""
    clipping = read_document_file(root, path).clipping
    return search_tokens(shown(clipping)) if clipping is not None else ("", "")


def newest_first(documents: Sequence[Document]) -> list[Document]:
    """By day, then save time, newest first; undated last; then by path."""
    ordered = sorted(documents, key=lambda d: d.path)
    ordered.sort(key=lambda d: _utc(d.saved_at) if d.saved_at else _EARLIEST, reverse=True)
    ordered.sort(key=lambda d: d.day or date.min, reverse=True)
    return ordered


_EARLIEST = datetime.min.replace(tzinfo=timezone.utc)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc) if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def excerpt(clipping: Clipping) -> str:
    """A line of the AI summary (else the original): plain text, at most
    about `EXCERPT_LENGTH` characters, cut after a word or a CJK character."""
    source = (clipping.ai_summary or clipping.original_summary or "")[:_EXCERPT_SOURCE]
    text = one_line(search.plain_text(source))
    if len(text) <= EXCERPT_LENGTH:
        return text
    cut = text[:EXCERPT_LENGTH]
    space = cut.rfind(" ")
    if space > EXCERPT_LENGTH // 2 and not _CJK.search(cut[space:]):
        cut = cut[:space]
    return cut.rstrip() + "…"


# ------------------------------------------------------------------- addresses


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]


#: The folder of the clipping pages.
CLIPPINGS = "c/"


def text_file(page: str, part: int = 0) -> str:
    """The file of the search index holding part ``part`` of the
    `full_text` of the clipping of ``page`` (`search.text_parts`)."""
    stem = page.removeprefix(CLIPPINGS).removesuffix(".html")
    return f"search/t/{stem}.js" if part == 0 else f"search/t/{stem}-{part}.js"


def clipping_page(path: str) -> str:
    """The page of the document at ``path``: stable while the file stays."""
    return f"{CLIPPINGS}{_digest(path)}.html"


def date_page(day: date | None, number: int = 1) -> str:
    return _numbered(f"d/{day.isoformat() if day is not None else 'undated'}", number)


def source_page(source: str, number: int = 1) -> str:
    slug = source if _PLAIN_SLUG.fullmatch(source) else _digest(source)
    return _numbered(f"s/{slug}", number)


def tag_key(tag: str) -> str:
    """What makes two hashtags one: ``#AI创造营#`` and ``#ai创造营#``, or
    ``#ＧＰＴ#`` and ``#GPT#``, are one tag with one page."""
    return unicodedata.normalize("NFKC", tag).casefold()


def tag_page(tag: str, number: int = 1) -> str:
    """The page of a hashtag, however it is spelt (`tag_key`)."""
    return _numbered(f"t/{_digest(tag_key(tag))}", number)


def home_page(number: int = 1) -> str:
    return "index.html" if number == 1 else f"page/{number}.html"


def _numbered(stem: str, number: int) -> str:
    return f"{stem}.html" if number == 1 else f"{stem}-{number}.html"


def up_to_root(page: str) -> str:
    """The relative link from ``page`` to the site's root folder."""
    return "../" * page.count("/")


def source_of(url: str | None) -> str | None:
    """The site a URL belongs to: its host name's registered domain
    (``m.weibo.cn`` → ``weibo.cn``, ``export.arxiv.org`` → ``arxiv.org``)."""
    if not url:
        return None
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    if not host:
        return None
    labels = host.rstrip(".").split(".")
    keep = 3 if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _REGISTRY_LABELS else 2
    return ".".join(labels[-keep:]) or None


def safe_url(url: str | None) -> str | None:
    """``url`` when it may be a link (``http``, ``https``, ``mailto``)."""
    if not url:
        return None
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return None
    if scheme not in _SAFE_SCHEMES or any(ord(c) < 0x20 or c == "\x7f" for c in url):
        return None
    return url.strip()


def language(text: str) -> str | None:
    """The language of a document's text, so that browsers and screen
    readers pick the right fonts and voice: ``zh`` for text with CJK
    characters, ``en`` for text with Latin letters and none (the
    producer's), None for text with neither (numbers, signs: the page's
    own)."""
    if _CJK.search(text):
        return "zh"
    return "en" if _LATIN.search(text) else None


# ------------------------------------------------------------------ fragments


def original_html(summary: str | None, *, images: str = "lazy") -> str:
    """The original summary as safe HTML: feed HTML sanitized, plain text
    (hard-wrapped abstracts) unwrapped into paragraphs; ``images``: loaded
    as they come into view (``"lazy"``) or left out (``"none"``)."""
    if not summary or len(summary) > _ORIGINAL_KEPT_LENGTH:
        return _original_html(summary, images)
    return _KNOWN_ORIGINALS.get(summary, lambda: _original_html(summary, images), images)


def _original_html(summary: str | None, images: str) -> str:
    from ..html import Summary, _sanitized

    parsed = Summary(summary)
    if not parsed.is_html:
        return parsed.safe_html
    return demote_headings(_sanitized(parsed.source, relative_urls=False, images=images))


def markdown_html(text: str | None, *, images: str = "lazy") -> str:
    """Markdown (the AI summary, extra sections) as safe HTML; ``images`` as
    for `original_html`."""
    if not text:
        return ""
    from ..html import _sanitized

    rendered = _markdown().render(text)
    return demote_headings(_sanitized(rendered, relative_urls=False, images=images))


def demote_headings(fragment: str) -> str:
    """Headings inside a document's text start at ``<h3>``: the page's own
    ``<h1>`` (the title) and ``<h2>`` (its sections) stay the outline. Only
    sanitized HTML comes here, so every ``<h`` is a tag."""
    return _HEADING_TAG.sub(lambda m: f"<{m[1]}h{min(int(m[2]) + 2, 6)}", fragment)


def prepare_fragments() -> None:
    """Load what rendering a document's text needs."""
    from .. import html

    _markdown()
    html.sanitize("")


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    from markdown_it import MarkdownIt

    renderer = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])

    def validate_link(url: str) -> bool:
        return safe_url(url) is not None

    renderer.validateLink = validate_link  # type: ignore[method-assign]
    return renderer


class Fields(dict[str, Any]):
    """A record for templates: a dict whose keys read as attributes
    (``entry.title``). Jinja reads ``entry.title`` of a plain dict by a
    failed attribute lookup, whose exception costs more than the rest of
    the read; here the lookup finds the key at once. A missing key is still
    an AttributeError, as Jinja expects of a missing attribute."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def document_problems(problems: Sequence[Diagnostic]) -> list[Fields]:
    """What the page of a document with errors or warnings says of them."""
    return [
        Fields(
            code=p.code,
            line=p.line,
            message=p.message,
            error=has_error([p]),
        )
        for p in problems
    ]


# ------------------------------------------------------------- clipping pages


@attrs.frozen(kw_only=True)
class Neighbourhood:
    """A clipping page's links to the rest of the site: everything on it that
    does not come from the document itself. Part of the page's key, so that
    the page is rendered again when a neighbour changes."""

    page: str
    path: str
    day: list[str] | None  # [label, page]
    source: list[str] | None
    tags: list[list[str]]
    newer: list[str] | None  # [title, page]
    older: list[str] | None
    #: How many times the address was saved (1: only this once), and the
    #: first and the last day.
    saved: int
    first_saved: str
    last_saved: str
    #: Each save of the address nearest in time, newest first, this one
    #: included: [when, page]; how many more there are.
    saves: list[list[str]]
    more_saves: int
    #: Each version (a different title or text) when there are several,
    #: newest first: [title, page of its newest save, saves]; how many more.
    versions: list[list[Any]]
    more_versions: int
    problems: list[Fields]
    #: What ``saves`` and ``versions`` are cut from, in the page's key: a
    #: digest of the address's whole lists of saves and versions, where
    #: this page's saves start, and which version is this page's (None
    #: when the address was saved once).
    save_lists: tuple[str, int, int] | None = None

    def as_key(self) -> dict[str, Any]:
        """The fields as the page's key has them: what attrs.asdict gives,
        as JSON, at less than half its cost (the fields hold only lists,
        strings, numbers and Fields), the lists of saves and versions told
        by ``save_lists`` (each page of an address saved 870 times wrote
        100 of them into its key)."""
        fields = _NEIGHBOURHOOD_FIELDS if self.save_lists is None else _KEYED_FIELDS
        return {field: getattr(self, field) for field in fields}


_NEIGHBOURHOOD_FIELDS = tuple(field.name for field in attrs.fields(Neighbourhood))
_KEYED_FIELDS = tuple(f for f in _NEIGHBOURHOOD_FIELDS if f not in ("saves", "versions"))


def clipping_context(
    clipping: Clipping, links: Neighbourhood, *, images: str = "lazy"
) -> dict[str, Any]:
    """The template context of a clipping's own page; ``images`` as for
    `original_html`."""
    from markupsafe import Markup

    metadata = clipping.metadata
    whole, clipping = clipping, shown(clipping)
    return {
        "title": clipping.title,
        "title_lang": language(clipping.title),
        "url": clipping.url,
        "url_link": safe_url(clipping.url),
        "original": Markup(original_html(clipping.original_summary, images=images)),
        "original_lang": language(clipping.original_summary or ""),
        "original_cut": cut_lengths(whole.original_summary, clipping.original_summary),
        "has_original": clipping.original_summary is not None,
        "ai": Markup(markdown_html(clipping.ai_summary, images=images)),
        "ai_lang": language(clipping.ai_summary or ""),
        "ai_cut": cut_lengths(whole.ai_summary, clipping.ai_summary),
        "has_ai": clipping.ai_summary is not None,
        "sections": [
            Fields(
                heading=section.heading,
                heading_lang=language(section.heading),
                body_lang=language(section.body),
                lang=language(section.heading + section.body),  # of both: for themes written before
                html=Markup(markdown_html(section.body, images=images)),
                cut=cut_lengths(whole_section.body, section.body),
            )
            for whole_section, section in zip(
                whole.extra_sections, clipping.extra_sections, strict=True
            )
        ],
        "metadata": [
            Fields(
                label=label,
                value=value,
                label_lang=language(label),
                value_lang=language(value),
                lang=language(label + value),  # of the pair: for themes written before
            )
            for label, value in (metadata.items() if metadata is not None else ())
        ],
        "links": links,
    }
