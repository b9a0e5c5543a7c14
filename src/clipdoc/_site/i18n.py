"""The site's interface in the reader's language.

The messages are English, and English needs no catalogue; every other
language is one file, ``messages/<code>.json``: each English message with
its translation. A message with a count has its plural form as the key, and
as the value a string (a language with one form) or the two forms for one
and for any other count. A message missing from a catalogue shows in
English, and the tests require every message of the templates to be there.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

#: The languages the interface speaks: English and every catalogue.
_CATALOGUES = Path(__file__).parent / "messages"
LANGUAGES = ("en", *sorted(path.stem for path in _CATALOGUES.glob("*.json")))


@functools.cache
def _catalogue(lang: str) -> dict[str, str | list[str]]:
    if lang == "en":
        return {}
    table: dict[str, str | list[str]] = json.loads(
        (_CATALOGUES / f"{lang}.json").read_text(encoding="utf-8")
    )
    return table


class Messages:
    """The interface's messages in one language (``gettext`` and ``ngettext``,
    as Jinja's i18n extension calls them)."""

    def __init__(self, lang: str) -> None:
        if lang not in LANGUAGES:
            raise ValueError(f"no interface language {lang!r}: one of {', '.join(LANGUAGES)}")
        self.lang = lang
        self._table = _catalogue(lang)

    def gettext(self, message: str) -> str:
        translated = self._table.get(message, message)
        return translated if isinstance(translated, str) else translated[0]

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        translated = self._table.get(plural)
        if isinstance(translated, str):
            return translated
        forms = translated if translated is not None else [singular, plural]
        return forms[0] if count == 1 else forms[1]


def content_language(titles: list[str]) -> str:
    """The interface language that suits a collection: Chinese when most of
    its titles hold Chinese characters, else English."""
    from .pages import language

    chinese = sum(1 for title in titles if language(title) == "zh")
    return "zh" if chinese * 2 > len(titles) else "en"
