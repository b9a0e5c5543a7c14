"""The typed, immutable data model of a clipping document."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta, timezone
from typing import Any

import attrs

from .errors import model_error
from .syntax import (
    CATALOG_DATE,
    KEY_END,
    KIND,
    KNOWN_HEADINGS,
    KNOWN_LABELS,
    SAVED_AT,
    SOURCE,
    has_line_break,
)
from .timestamps import (
    TimestampProblem,
    format_date,
    format_timestamp,
    offset_problem,
    parse_date,
    parse_timestamp,
)


def _single_line(instance: object, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is not None and has_line_break(value):
        raise model_error(
            "CD301",
            attribute.name,
            "contains a line break (\\n or \\r); this field is one line of the document",
        )


_OPTIONAL_STR = attrs.validators.optional(attrs.validators.instance_of(str))


def _heading(instance: object, attribute: attrs.Attribute[Any], value: str) -> None:
    """A heading that one heading line can hold, not a known one [MOD-1]."""
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
    # [MOD-4] datetime equality ignores the offset, but the offset is written out:
    # two values are equal only when they render the same.
    return None if value is None else (value, value.utcoffset())


def _shape(value: object) -> str:
    """What a wrong value is, for a message: its type, and a short repr."""
    shown = repr(value)
    if len(shown) > 40:
        shown = shown[:39] + "…"
    return f"{type(value).__name__} {shown}"


def _iterable(value: object, field: str, wanted: str) -> Iterable[object]:
    """``value`` when it is an iterable of items, never a str, bytes or mapping.

    A str is iterable too, and iterating a mapping gives its keys: both
    would be taken apart silently, so they are refused here.
    """
    if isinstance(value, (str, bytes, bytearray)) or not isinstance(value, Iterable):
        raise TypeError(f"{field} must be {wanted}, not {_shape(value)}")
    return value


def _pairs(
    value: Mapping[str, str] | Iterable[tuple[str, str]],
) -> tuple[tuple[str, str], ...]:
    # A mapping gives its items in order; anything else must be an iterable
    # of two-item pairs.
    if isinstance(value, Mapping):
        return tuple(value.items())
    wanted = "a mapping or an iterable of (key, value) pairs"
    pairs = []
    for index, pair in enumerate(_iterable(value, "extra", wanted)):
        if isinstance(pair, (str, bytes, bytearray, Mapping)) or not isinstance(pair, Iterable):
            raise TypeError(f"extra[{index}] must be a (key, value) pair, not {_shape(pair)}")
        items = tuple(pair)
        if len(items) != 2:
            raise TypeError(
                f"extra[{index}] must be a (key, value) pair, not {len(items)} items:"
                f" {_shape(pair)}"
            )
        pairs.append((items[0], items[1]))
    return tuple(pairs)


def _extra_items(
    instance: object, attribute: attrs.Attribute[Any], value: tuple[tuple[str, str], ...]
) -> None:
    # [MOD-2]: keys that a `- **key**: value` line can hold unambiguously.
    for index, (key, text) in enumerate(value):
        where = f"extra[{index}]"
        if not isinstance(key, str) or not isinstance(text, str):
            raise TypeError(f"{where} must be a (str, str) pair, not {_shape((key, text))}")
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

    def items(self) -> tuple[tuple[str, str], ...]:
        """Every item as ``(label, text)``, in the order a document lists them.

        >>> from datetime import date
        >>> metadata = Metadata(source="ArXiv", catalog_date=date(2025, 5, 6), extra={"作者": "a"})
        >>> metadata.items()
        (('来源', 'ArXiv'), ('目录日期', '2025-05-06'), ('作者', 'a'))
        """
        return tuple(metadata_items(self))

    def get(self, label: str) -> str | None:
        """The text of the item labelled ``label``, known or extra, as the
        document writes it; None when there is no such item. For an extra key
        that appears more than once, the first.

        >>> from datetime import datetime, timezone
        >>> saved_at = datetime(2025, 5, 6, 8, 3, 26, tzinfo=timezone.utc)
        >>> metadata = Metadata(saved_at=saved_at, extra={"作者": "量子位"})
        >>> metadata.get("保存时间"), metadata.get("作者"), metadata.get("来源")
        ('2025-05-06T08:03:26Z', '量子位', None)
        """
        if not isinstance(label, str):
            raise TypeError(f"a metadata label is a str, not {_shape(label)}")
        for key, text in self.items():
            if key == label:
                return text
        return None

    def set(self, label: str, value: str | datetime | date | None) -> Metadata:
        """A copy with the item labelled ``label`` set to ``value``.

        A known label sets its field: 保存时间 takes a `datetime` or its RFC 3339
        text, 目录日期 a `date` or ``YYYY-MM-DD``. Any other label sets the first
        extra item with that key in place, or adds one at the end. ``None``
        removes the item (every extra item with that key).

        >>> metadata = Metadata(source="ArXiv").set("保存时间", "2025-05-06T16:03:26+08:00")
        >>> metadata = metadata.set("作者", "量子位").set("来源", None)
        >>> metadata.items()
        (('保存时间', '2025-05-06T16:03:26+08:00'), ('作者', '量子位'))
        """
        if not isinstance(label, str):
            raise TypeError(f"a metadata label is a str, not {_shape(label)}")
        if label == SAVED_AT:
            return attrs.evolve(self, saved_at=_timestamp_value(value))
        if label == CATALOG_DATE:
            return attrs.evolve(self, catalog_date=_date_value(value))
        if value is not None and not isinstance(value, str):
            raise TypeError(f"the value of {label!r} is a str or None, not {_shape(value)}")
        if label == SOURCE:
            return attrs.evolve(self, source=value)
        if label == KIND:
            return attrs.evolve(self, kind=value)
        if value is None:
            return attrs.evolve(self, extra=[item for item in self.extra if item[0] != label])
        keys = [key for key, _ in self.extra]
        if label not in keys:
            return attrs.evolve(self, extra=(*self.extra, (label, value)))
        extra = list(self.extra)
        extra[keys.index(label)] = (label, value)
        return attrs.evolve(self, extra=extra)


def metadata_items(metadata: Metadata) -> list[tuple[str, str]]:
    """`Metadata.items` as a list, for the writer (no copy into a tuple)."""
    found: list[tuple[str, str]] = []
    if metadata.source is not None:
        found.append((SOURCE, metadata.source))
    if metadata.kind is not None:
        found.append((KIND, metadata.kind))
    if metadata.saved_at is not None:
        found.append((SAVED_AT, format_timestamp(metadata.saved_at)))
    if metadata.catalog_date is not None:
        found.append((CATALOG_DATE, format_date(metadata.catalog_date)))
    found += metadata.extra
    return found


def _timestamp_value(value: object) -> datetime | None:
    if isinstance(value, str):
        try:
            return parse_timestamp(value)[0]
        except TimestampProblem as problem:
            raise model_error("CD104", SAVED_AT, str(problem)) from None
    if value is None or isinstance(value, datetime):
        return value
    raise TypeError(f"the value of {SAVED_AT!r} is a datetime, a str or None, not {_shape(value)}")


def _date_value(value: object) -> date | None:
    if isinstance(value, str):
        try:
            return parse_date(value)
        except TimestampProblem as problem:
            raise model_error("CD105", CATALOG_DATE, str(problem)) from None
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    raise TypeError(f"the value of {CATALOG_DATE!r} is a date, a str or None, not {_shape(value)}")


def _sections(value: Iterable[Section]) -> tuple[Section, ...]:
    if isinstance(value, (Section, Mapping)):
        raise TypeError(
            f"extra_sections must be an iterable of Section, not {_shape(value)};"
            " build each as Section(heading=..., body=...) and pass them in a list"
        )
    wanted = "an iterable of Section"
    return tuple(_iterable(value, "extra_sections", wanted))  # type: ignore[arg-type]


def _section_items(
    instance: object, attribute: attrs.Attribute[Any], value: tuple[Section, ...]
) -> None:
    for index, section in enumerate(value):
        if not isinstance(section, Section):
            raise TypeError(f"extra_sections[{index}] must be a Section, not {_shape(section)}")


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
        validator=_section_items,
    )
    metadata: Metadata | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.instance_of(Metadata))
    )


def _setter(cls: type, name: str) -> Any:
    # Slot descriptors set the fields of a frozen instance, as attrs itself
    # does; by name, so that the order of the fields does not matter here.
    attrs.fields_dict(cls)[name]  # a KeyError when ``name`` is not a field
    return cls.__dict__[name].__set__


# The readers build thousands of models a second: a call per field costs
# less than a loop over them.
_SET_HEADING, _SET_BODY = (_setter(Section, name) for name in ("heading", "body"))
_SET_SOURCE, _SET_KIND, _SET_SAVED_AT, _SET_CATALOG_DATE, _SET_EXTRA = (
    _setter(Metadata, name) for name in ("source", "kind", "saved_at", "catalog_date", "extra")
)
_SET_TITLE, _SET_URL, _SET_ORIGINAL_SUMMARY, _SET_AI_SUMMARY, _SET_EXTRA_SECTIONS = (
    _setter(Clipping, name)
    for name in ("title", "url", "original_summary", "ai_summary", "extra_sections")
)
_SET_METADATA = _setter(Clipping, "metadata")
_new = object.__new__


def checked_section(heading: str, body: str) -> Section:
    """A `Section` from a reader, whose values are already checked: the same
    object ``__init__`` would build, without running the validators again."""
    instance: Section = _new(Section)
    _SET_HEADING(instance, heading)
    _SET_BODY(instance, body)
    return instance


def checked_metadata(
    source: str | None,
    kind: str | None,
    saved_at: datetime | None,
    catalog_date: date | None,
    extra: tuple[tuple[str, str], ...],
) -> Metadata:
    """A `Metadata` from a reader (see `checked_section`): ``saved_at``
    already has a fixed offset."""
    instance: Metadata = _new(Metadata)
    _SET_SOURCE(instance, source)
    _SET_KIND(instance, kind)
    _SET_SAVED_AT(instance, saved_at)
    _SET_CATALOG_DATE(instance, catalog_date)
    _SET_EXTRA(instance, extra)
    return instance


def checked_clipping(
    title: str,
    url: str | None,
    original_summary: str | None,
    ai_summary: str | None,
    extra_sections: tuple[Section, ...],
    metadata: Metadata | None,
) -> Clipping:
    """A `Clipping` from a reader (see `checked_section`)."""
    instance: Clipping = _new(Clipping)
    _SET_TITLE(instance, title)
    _SET_URL(instance, url)
    _SET_ORIGINAL_SUMMARY(instance, original_summary)
    _SET_AI_SUMMARY(instance, ai_summary)
    _SET_EXTRA_SECTIONS(instance, extra_sections)
    _SET_METADATA(instance, metadata)
    return instance
