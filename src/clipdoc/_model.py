"""The typed, immutable data model of a clipping document."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta, timezone
from typing import Any, TypeVar

import attrs

from ._errors import model_error
from ._syntax import KEY_END, KNOWN_HEADINGS, KNOWN_LABELS, has_line_break
from ._timestamps import offset_problem

_Model = TypeVar("_Model")


def _single_line(instance: object, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is not None and has_line_break(value):
        raise model_error(
            "CD301",
            attribute.name,
            "contains a line break (\\n or \\r); this field is one line of the document",
        )


_OPTIONAL_STR = attrs.validators.optional(attrs.validators.instance_of(str))


def _heading(instance: object, attribute: attrs.Attribute[Any], value: str) -> None:
    if has_line_break(value):
        raise model_error("CD301", "heading", "contains a line break; a heading is one line")
    if value in KNOWN_HEADINGS:
        raise model_error(
            "CD305",
            "heading",
            f"{value!r} is a known section; set the Clipping field for it instead",
        )
    if value != value.strip(" \t"):
        raise model_error(
            "CD305",
            "heading",
            f"{value!r} starts or ends with a space or tab, which a heading line cannot keep;"
            " strip it",
        )


@attrs.frozen(kw_only=True)
class Section:
    """A ``## heading`` section other than the three known ones.

    >>> Section(heading="笔记", body="自己的想法")
    Section(heading='笔记', body='自己的想法')
    """

    heading: str = attrs.field(validator=[attrs.validators.instance_of(str), _heading])
    body: str = attrs.field(default="", validator=attrs.validators.instance_of(str))


def _fixed_offset(value: datetime | None) -> datetime | None:
    # Any tzinfo (ZoneInfo, pytz, ...) becomes the fixed offset it has at
    # that instant: the document stores the offset, nothing more.
    if isinstance(value, datetime) and offset_problem(value) is None:
        offset = value.utcoffset()
        assert offset is not None
        return value.replace(tzinfo=timezone(offset))
    return value


def _saved_at(instance: object, attribute: attrs.Attribute[Any], value: datetime | None) -> None:
    if value is None:
        return
    if not isinstance(value, datetime):
        raise TypeError(f"saved_at must be a datetime or None, not {type(value).__name__}")
    problem = offset_problem(value)
    if problem is not None:
        raise model_error("CD304", "saved_at", problem)


def _catalog_date(instance: object, attribute: attrs.Attribute[Any], value: date | None) -> None:
    if value is None:
        return
    if not isinstance(value, date) or isinstance(value, datetime):
        raise TypeError(f"catalog_date must be a date or None, not {type(value).__name__}")


def _instant_and_offset(value: datetime | None) -> tuple[datetime, timedelta | None] | None:
    # datetime equality ignores the offset, but the offset is written out:
    # two values are equal only when they render the same.
    return None if value is None else (value, value.utcoffset())


def _pairs(value: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    return tuple((key, text) for key, text in value)


def _extra_items(
    instance: object, attribute: attrs.Attribute[Any], value: tuple[tuple[str, str], ...]
) -> None:
    for index, (key, text) in enumerate(value):
        where = f"extra[{index}]"
        if not isinstance(key, str) or not isinstance(text, str):
            raise TypeError(f"{where} must be a (str, str) pair")
        if has_line_break(key) or has_line_break(text):
            raise model_error("CD301", where, "contains a line break; an item is one line")
        if key in KNOWN_LABELS:
            raise model_error(
                "CD302",
                where,
                f"the key {key!r} is a known label; set the Metadata field for it instead",
            )
        if KEY_END in key:
            raise model_error(
                "CD303",
                where,
                f"the key {key!r} contains '**:', which would end the key early; remove it",
            )


@attrs.frozen(kw_only=True)
class Metadata:
    """The ``## 元数据`` list.

    ``extra`` holds every other ``- **key**: value`` item, in order.

    >>> from datetime import date
    >>> metadata = Metadata(source="ArXiv", extra=[("作者", "量子位")])
    >>> metadata.extra
    (('作者', '量子位'),)
    """

    source: str | None = attrs.field(default=None, validator=[_OPTIONAL_STR, _single_line])
    kind: str | None = attrs.field(default=None, validator=[_OPTIONAL_STR, _single_line])
    saved_at: datetime | None = attrs.field(
        default=None, converter=_fixed_offset, validator=_saved_at, eq=_instant_and_offset
    )
    catalog_date: date | None = attrs.field(default=None, validator=_catalog_date)
    extra: tuple[tuple[str, str], ...] = attrs.field(
        default=(), converter=_pairs, validator=_extra_items
    )


def _sections(value: Iterable[Section]) -> tuple[Section, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class Clipping:
    """One clipped item: the whole content of a clipping document.

    ``None`` means a part is absent from the document; ``""`` means it is
    present and empty.

    >>> clip = Clipping(title="Hello", url="https://example.com/1", ai_summary="Short.")
    >>> clip.original_summary is None
    True
    """

    title: str = attrs.field(validator=[attrs.validators.instance_of(str), _single_line])
    url: str | None = attrs.field(default=None, validator=[_OPTIONAL_STR, _single_line])
    original_summary: str | None = attrs.field(default=None, validator=_OPTIONAL_STR)
    ai_summary: str | None = attrs.field(default=None, validator=_OPTIONAL_STR)
    extra_sections: tuple[Section, ...] = attrs.field(
        default=(),
        converter=_sections,
        validator=attrs.validators.deep_iterable(attrs.validators.instance_of(Section)),
    )
    metadata: Metadata | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.instance_of(Metadata))
    )


def _setters(cls: type) -> tuple[Any, ...]:
    # Slot descriptors set the fields of a frozen instance, as attrs itself does.
    return tuple(cls.__dict__[field.name].__set__ for field in attrs.fields(cls))


_SECTION_SETTERS = _setters(Section)
_METADATA_SETTERS = _setters(Metadata)
_CLIPPING_SETTERS = _setters(Clipping)


def _assemble(cls: type[_Model], setters: tuple[Any, ...], *values: object) -> _Model:
    # For values a reader has already checked field by field: the same object
    # __init__ would build, without running the validators again.
    instance = object.__new__(cls)
    for setter, value in zip(setters, values, strict=True):
        setter(instance, value)
    return instance


def checked_section(heading: str, body: str) -> Section:
    """A `Section` from a reader; see `_assemble`."""
    return _assemble(Section, _SECTION_SETTERS, heading, body)


def checked_metadata(
    source: str | None,
    kind: str | None,
    saved_at: datetime | None,
    catalog_date: date | None,
    extra: tuple[tuple[str, str], ...],
) -> Metadata:
    """A `Metadata` from a reader: ``saved_at`` already has a fixed offset."""
    return _assemble(Metadata, _METADATA_SETTERS, source, kind, saved_at, catalog_date, extra)


def checked_clipping(
    title: str,
    url: str | None,
    original_summary: str | None,
    ai_summary: str | None,
    extra_sections: tuple[Section, ...],
    metadata: Metadata | None,
) -> Clipping:
    """A `Clipping` from a reader; see `_assemble`."""
    return _assemble(
        Clipping,
        _CLIPPING_SETTERS,
        title,
        url,
        original_summary,
        ai_summary,
        extra_sections,
        metadata,
    )
