"""Markdown notes with YAML front matter, as Obsidian and static-site
generators keep them.

`to_note` writes the front matter with the property names of Obsidian Web
Clipper's default template, typed as it types them (``created`` and
``published`` are dates, ``tags`` and ``author`` lists), followed by the
clipping document itself, which any Markdown editor shows as it is. Needs
the ``notes`` extra: ``pip install 'clipdoc[notes]'`` (PyYAML).

=============== ==============================================================
property        from the clipping
=============== ==============================================================
``title``       the title
``source``      the URL
``author``      the 作者 item, as ``[[name]]`` links (omitted without one)
``published``   the date of the 发布时间 item (empty without one)
``created``     the catalog date, else the date of the save time
``description`` the AI summary, on one line, at most 200 characters
``tags``        ``clippings``, then the 标签 item's tags
=============== ==============================================================

`from_note` reads such a note back exactly (the body is the document), and
reads each property edited since (in Obsidian, say) as an edit of the field
it shows. A note that Web Clipper itself made (front matter, then the page as
Markdown) becomes a clipping too. What cannot be read back without loss is a
`ClipdocWarning` (CD603) that names the property; nothing is dropped
silently. docs/interop.md has the whole mapping.
"""

from __future__ import annotations

from ._core.errors import raise_or_warn
from ._core.model import Clipping
from ._interop.note_reading import note_of, read_note

__all__ = ["from_note", "to_note"]


def to_note(clipping: Clipping) -> str:
    """The note of a clipping: front matter, then the clipping document.

    >>> from datetime import date
    >>> from clipdoc import Clipping, Metadata
    >>> clip = Clipping(title="A post", url="https://example.com/1", ai_summary="Short.",
    ...                 metadata=Metadata(catalog_date=date(2025, 5, 6)))
    >>> print(to_note(clip), end="")
    ---
    title: A post
    source: https://example.com/1
    published:
    created: 2025-05-06
    description: Short.
    tags:
    - clippings
    clipdoc: v2-389920a146b93bd7523bd7520d5de0ff59e34c9d69-9463e5a268514ff3
    ---
    # A post
    <BLANKLINE>
    **URL**: https://example.com/1
    <BLANKLINE>
    ## AI 摘要
    <BLANKLINE>
    Short.
    <BLANKLINE>
    ## 元数据
    <BLANKLINE>
    - **目录日期**: 2025-05-06
    >>> from_note(to_note(clip)) == clip
    True
    """
    if not isinstance(clipping, Clipping):
        raise TypeError(f"to_note() takes a Clipping, not {type(clipping).__name__}")
    return note_of(clipping)


def from_note(text: str, *, recover: bool = False) -> Clipping:
    """The clipping of a note: the one `to_note` wrote, with the edits of its
    properties, or one made from a Web Clipper note's properties and page.

    A property that cannot be read back without loss is a `ClipdocWarning`
    (CD603) naming it; the body's benign variants are warnings too, with
    their lines in the note. An error in the body raises `ClipdocError`, as
    `parse` does, unless ``recover=True``. A text without front matter, or
    whose front matter is not a YAML mapping, is a `ClipdocError` (CD601).

    >>> note = "---\\ntitle: New title\\ntags: [clippings, AI]\\n---\\n# Old title\\n"
    >>> clip = from_note(note)
    >>> clip.title, clip.metadata.items()
    ('New title', (('标签', 'AI'),))
    """
    if not isinstance(text, str):
        raise TypeError(f"from_note() takes a str, not {type(text).__name__}")
    clipping, diagnostics = read_note(text)
    raise_or_warn(diagnostics, recover=recover, stacklevel=2)
    return clipping
