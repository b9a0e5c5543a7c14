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

from ._errors import ClipdocError
from ._model import Clipping
from ._timestamps import format_date

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
