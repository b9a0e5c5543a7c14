"""One identity per URL: the key under which two spellings of one page meet.

A clipping's URL is stored exactly as it was clipped; `url_key` only says
which URLs name the same page, for `Collection.find`, `Collection.duplicates`,
``clipdoc import``'s dedupe and the site's "also clipped". The rules are in
docs/collections.md ("One identity per URL"); each one is a step below.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

__all__ = ["url_key"]

#: Query parameters that say how a reader arrived, not what the page is.
TRACKING_PARAMETERS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "ref_src",
        "ref_url",
        "spm",
        "share_source",
        "share_medium",
        "vd_source",
    }
)
_TRACKING_PREFIXES = ("utm_",)

_DEFAULT_PORTS = {"http": 80, "https": 443}
# user@host:port, host a name or an IPv6 literal, nothing else (no white
# space: a host of "0 " would be "0" once its key is stripped).
_PLAIN_AUTHORITY = re.compile(
    r"(?:[^@/\\\[\]\s]*@)?(?:[^@/\\\[\]:\s]+|\[[0-9A-Fa-f:.]+\])(?::\d*)?"
)
_ESCAPE = re.compile("%[0-9A-Fa-f]{2}")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# What RFC 3986 lets a path or a query hold unescaped (and `%` of escapes).
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_QUERY_SAFE = _PATH_SAFE + "?"

# arXiv identifiers: new style (0704.0001 on) and old style (hep-th/9901001),
# with an optional version; the pages that show one paper.
_ARXIV_HOSTS = frozenset({"arxiv.org", "export.arxiv.org"})
_ARXIV_PATH = re.compile(
    r"/(?:abs|pdf|html|format)/"
    r"(?P<id>\d{4}\.\d{4,5}|[a-z][a-z.-]*(?:\.[A-Z]{2})?/\d{7})"
    r"(?:v\d+)?(?:\.pdf)?/?"
)
_X_HOSTS = frozenset({"twitter.com", "mobile.twitter.com", "x.com", "mobile.x.com"})
_X_STATUS = re.compile(r"/[^/]+/status/\d+(?:/.*)?")
_YOUTUBE_HOSTS = frozenset({"youtube.com", "m.youtube.com", "music.youtube.com"})
_YOUTUBE_ID = re.compile(r"/(?P<id>[A-Za-z0-9_-]{6,})/?")


def url_key(url: str, *, normalize: bool = True) -> str:
    """The identity of ``url``: equal keys name the same page.

    For ``http`` and ``https`` URLs: the scheme is ``https``; the host is
    lower case, without ``www.``, a final dot or the scheme's default port; escapes are
    upper case and unreserved characters unescaped, other characters
    escaped; a final ``/`` goes, and so does a fragment that does not route
    the page (``#!``, ``#/``); tracking
    parameters (``utm_*``, ``fbclid`` and the others of
    `TRACKING_PARAMETERS`) go and the rest are sorted. Known hosts have one
    spelling per page: arXiv's ``abs``, ``pdf`` and ``html`` pages of any
    version are ``https://arxiv.org/abs/ID``; a post on ``twitter.com`` is
    on ``x.com`` (without query); ``youtu.be/ID`` is ``https://youtube.com/watch?v=ID``.
    Any other URL, and every URL when ``normalize`` is false, is its own key.

    >>> url_key("http://arxiv.org/abs/2406.19407v8") == url_key("https://arxiv.org/pdf/2406.19407")
    True
    >>> url_key("https://WWW.Example.com:443/a/?utm_source=x&b=2&a=1#top")
    'https://example.com/a?a=1&b=2'
    >>> url_key("https://example.com/a/", normalize=False)
    'https://example.com/a/'
    """
    if not isinstance(url, str):
        raise TypeError(f"url must be a str, not {type(url).__name__}")
    if not normalize:
        return url
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:  # a bracket without its pair, a port that is no number
        return url
    scheme = parts.scheme.lower()
    if (
        scheme not in _DEFAULT_PORTS
        or not parts.hostname
        or not _PLAIN_AUTHORITY.fullmatch(parts.netloc)
    ):
        # Not a web page's URL, or an authority readers disagree on (a
        # backslash, an IP literal of the future): only itself.
        return url
    host = _host(parts.hostname)
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    path = _escapes(parts.path, _PATH_SAFE).rstrip("/")
    # A fragment that routes a page (#!/..., #/...) names the page.
    fragment = parts.fragment if parts.fragment.startswith(("!", "/")) else ""
    known = None if fragment else _known_page(host, path, parts.query)
    if known is not None:
        return known
    query = _query(parts.query)
    key = f"https://{host}{path}" + (f"?{query}" if query else "")
    return f"{key}#{_escapes(fragment, _QUERY_SAFE)}" if fragment else key


def _host(name: str) -> str:
    host = name.rstrip(".")  # hostname is lower case already
    if ":" in host:
        return f"[{host}]"  # IPv6
    # Compared as written, lower case: IDNA 2003 (Python's codec) would make
    # straße.de strasse.de, another host under IDNA 2008.
    while host.startswith("www."):
        host = host[len("www.") :]
    return host


def _escapes(text: str, safe: str) -> str:
    """One spelling of each character: escapes of unreserved characters
    undone, other escapes in upper case, characters a URL cannot hold
    escaped (as UTF-8)."""

    def one(match: re.Match[str]) -> str:
        character = chr(int(match.group()[1:], 16))
        return character if character in _UNRESERVED else match.group().upper()

    return quote(_ESCAPE.sub(one, text), safe=safe, errors="surrogatepass")


def _query(query: str) -> str:
    kept = []
    for parameter in query.split("&"):
        if not parameter:
            continue
        name = parameter.split("=", 1)[0].lower()
        if name in TRACKING_PARAMETERS or name.startswith(_TRACKING_PREFIXES):
            continue
        kept.append(_escapes(parameter, _QUERY_SAFE))
    return "&".join(sorted(kept))


def _known_page(host: str, path: str, query: str) -> str | None:
    """The one spelling of a page on a host that has many, or None."""
    if host in _ARXIV_HOSTS:
        arxiv = _ARXIV_PATH.fullmatch(path + "/")
        if arxiv is not None:
            return f"https://arxiv.org/abs/{arxiv['id']}"
    elif host in _X_HOSTS and _X_STATUS.fullmatch(path):
        return f"https://x.com{path}"
    elif host == "youtu.be":
        video = _YOUTUBE_ID.fullmatch(path + "/")
        if video is not None:
            return f"https://youtube.com/watch?v={video['id']}"
    elif host in _YOUTUBE_HOSTS and path == "/watch":
        for parameter in query.split("&"):
            if parameter.startswith("v=") and len(parameter) > 2:
                return f"https://youtube.com/watch?v={parameter[2:]}"
    return None
