"""Where a clipping lives in a collection: the producer's folder and file name.

The producer writes each clipping to ``<catalog date>/<file name>.md``, the
file name made from the title: ``/``, ``\\`` and ``:`` become ``-``; ``*``,
``?``, ``"``, ``<``, ``>`` and ``|`` are dropped; a space becomes ``_``. For
every title the producer could write, `file_name` gives the same name, so a
Python pipeline and the Go producer agree on every path [COL-1]. Where that
rule would give a name that is unsafe or impossible, clipdoc goes further
[COL-2]: control characters are dropped, a leading dot (a hidden file) gets
a ``_`` before it, an empty name becomes ``untitled``, and a name longer than
the 255 bytes file systems allow is cut at a character boundary and ends with
``~`` and eight hexadecimal digits of the title's SHA-256, so two long titles
that share their start still get different names.
"""

from __future__ import annotations

import hashlib
import unicodedata

from .._core.errors import ClipdocError
from .._core.model import Clipping
from .._core.timestamps import format_date

#: The most bytes of a file name on common file systems (ext4, APFS, NTFS).
NAME_LIMIT = 255
SUFFIX = ".md"
_REPLACED = str.maketrans({"/": "-", "\\": "-", ":": "-", " ": "_"})
_DROPPED = str.maketrans(dict.fromkeys('*?"<>|'))


def file_name(title: str) -> str:
    """The file name of a document with this title, ``.md`` included.

    >>> file_name("GAEA: A Geolocation Aware Conversational Model")
    'GAEA-_A_Geolocation_Aware_Conversational_Model.md'
    >>> file_name('a/b\\\\c*?"<>|d e')
    'a-b-cd_e.md'
    >>> file_name(".hidden"), file_name("***")
    ('_.hidden.md', 'untitled.md')
    """
    if not isinstance(title, str):
        raise TypeError(f"a title is a str, not {type(title).__name__}")
    name = title.translate(_REPLACED).translate(_DROPPED)
    name = "".join(char for char in name if unicodedata.category(char) != "Cc")
    if name.startswith("."):
        name = "_" + name
    if not name:
        name = "untitled"
    if is_reserved(name + SUFFIX):
        name = "_" + name
    if len(name.encode("utf-8")) + len(SUFFIX) > NAME_LIMIT:
        digest = hashlib.sha256(title.encode("utf-8", errors="surrogatepass")).hexdigest()[:8]
        tail = f"~{digest}{SUFFIX}"
        room = NAME_LIMIT - len(tail)
        cut = name.encode("utf-8")[:room].decode("utf-8", errors="ignore")
        return cut + tail
    return name + SUFFIX


def clipping_path(clipping: Clipping) -> str:
    """``<catalog date>/<file name>.md``, where the producer writes a clipping.

    >>> from datetime import date
    >>> from clipdoc import Clipping, Metadata
    >>> clipping_path(Clipping(title="a b", metadata=Metadata(catalog_date=date(2025, 5, 6))))
    '2025-05-06/a_b.md'
    """
    catalog_date = clipping.metadata.catalog_date if clipping.metadata is not None else None
    if catalog_date is None:
        raise ClipdocError(
            "CD501",
            "the clipping has no catalog date (目录日期), which names its folder; set"
            " metadata.catalog_date",
        )
    return f"{format_date(catalog_date)}/{file_name(clipping.title)}"


# ------------------------------------------------------------ portable names

#: Names Windows keeps for devices, whatever the extension [COL-6].
_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"{device}{number}" for device in ("COM", "LPT") for number in "0123456789¹²³"}
)

_RESERVED_STARTS = frozenset(name[:3] for name in _RESERVED)


def is_reserved(name: str) -> bool:
    """Whether Windows keeps ``name`` for a device (``CON.md``, ``nul.x.md``).

    >>> is_reserved("CON.md"), is_reserved("con.notes.md"), is_reserved("CONTEXT.md")
    (True, True, False)
    """
    if name[:3].upper() not in _RESERVED_STARTS:
        return False  # most names: spared the split
    stem = name.split(".", 1)[0].rstrip(" ")
    return stem.upper() in _RESERVED


def folded(name: str) -> str:
    """The name as a file system that ignores case and Unicode normalisation
    (macOS, Windows) sees it: two names with the same folded form are one
    file there [COL-6].

    >>> folded("Paper.md") == folded("paper.md")
    True
    >>> folded("caf\\u00e9.md") == folded("cafe\\u0301.md")
    True
    """
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", name).casefold())


def clashing_names(names: list[str]) -> dict[str, str]:
    """The names among ``names`` (one folder's entries) that another system
    could not keep apart, each with why: names equal but for case or
    Unicode normalisation, and names Windows reserves (CD509)."""
    by_fold: dict[str, list[str]] = {}
    for name in names:
        by_fold.setdefault(folded(name), []).append(name)
    found = {}
    for twins in by_fold.values():
        if len(twins) > 1:
            for name in twins:
                others = "; and as ".join(_twin(name, other) for other in twins if other != name)
                found[name] = (
                    f"the name is the same as {others}; on macOS and Windows only one of them"
                    " is kept: rename one"
                )
    for name in names:
        if name not in found and is_reserved(name):
            found[name] = (
                f"Windows reserves the name {name.split('.', 1)[0]!r} for a device; the file"
                " cannot be checked out there: rename it"
            )
    return found


def _twin(name: str, other: str) -> str:
    """``other``, a name that folds as ``name`` does, and how they differ.
    Names that differ in their Unicode form look the same when printed:
    they are shown with escapes too.

    >>> _twin("Paper.md", "paper.md")
    "'paper.md' but for case"
    >>> print(_twin("caf\\u00e9.md", "cafe\\u0301.md"))
    'café.md' but for Unicode normalisation (this name is 'caf\\xe9.md', that one 'cafe\\u0301.md')
    """
    if name.casefold() == other.casefold():
        return f"{other!r} but for case"
    how = "Unicode normalisation"
    if unicodedata.normalize("NFC", name) != unicodedata.normalize("NFC", other):
        how = "case and Unicode normalisation"
    return f"{other!r} but for {how} (this name is {name!a}, that one {other!a})"


def variant(name: str, key: str, *, length: int) -> str:
    """``name`` (ending ``.md``) with ``~`` and the first ``length``
    hexadecimal digits of the SHA-256 of ``key`` before ``.md``, cut to fit
    the 255-byte limit: a second clipping with the same title on the same
    day gets a name of its own, the same every time [COL-6].

    >>> variant("转发微博.md", "https://weibo.com/1/a", length=8)
    '转发微博~5e7d6aeb.md'
    """
    digest = hashlib.sha256(key.encode("utf-8", errors="surrogatepass")).hexdigest()[:length]
    tail = f"~{digest}{SUFFIX}"
    stem = name[: -len(SUFFIX)]
    room = NAME_LIMIT - len(tail.encode("utf-8"))
    return (
        stem.encode("utf-8", errors="surrogatepass")[:room].decode("utf-8", errors="ignore") + tail
    )
