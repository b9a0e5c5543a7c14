"""The JSON mapping of a clipping, through one cattrs converter.

Timestamps are strings in their canonical RFC 3339 form (offset kept), dates
``YYYY-MM-DD``, extra sections and metadata items ordered arrays of objects.
Absent parts are ``null``; every member is always present.
"""

from __future__ import annotations

import functools
import json
import re
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import attrs

from . import model
from .errors import ClipdocError
from .model import Clipping, Metadata, Section
from .timestamps import (
    TimestampProblem,
    format_date,
    format_timestamp,
    parse_date,
    parse_timestamp,
)

if TYPE_CHECKING:
    import cattrs

_SURROGATE = re.compile(r"[\ud800-\udfff]")


class _MappingProblem(ValueError):
    """A JSON value that cannot be structured; the converter adds its path."""


class _Object(dict[str, object]):
    """A JSON object, as `from_json` reads it: the names of its members that
    appear more than once are kept, so that it can be refused [JSON-7]."""

    duplicates: tuple[str, ...] = ()


def _object(pairs: list[tuple[str, object]]) -> dict[str, object]:
    value = _Object(pairs)
    if len(value) < len(pairs):
        counts = Counter(name for name, _ in pairs)
        value.duplicates = tuple(name for name, count in counts.items() if count > 1)
    return value


class _NotJson(ValueError):
    """A value that Python's reader accepts and JSON does not (NaN, Infinity)."""


def _constant(name: str) -> object:
    raise _NotJson(f"not JSON: {name} is not a JSON value")


def json_integer(digits: str) -> int | float:
    """A JSON integer of any length. Python refuses to make an ``int`` of more
    than 4,300 digits, yet such a number is still JSON [JSON-7]; since no member
    of the mapping is a number, a float (its infinity) serves to be refused as
    the wrong type."""
    try:
        return int(digits)
    except ValueError:
        return float(digits)


def _structure_str(value: object, _: type) -> str:
    if not isinstance(value, str):
        raise _MappingProblem(f"expected a string, got {_json_type(value)}")
    if _SURROGATE.search(value):
        raise _MappingProblem("contains a lone surrogate, which UTF-8 cannot encode")
    return value


def _structure_timestamp(value: object, _: type) -> datetime:
    text = _structure_str(value, str)
    try:
        parsed, note = parse_timestamp(text)
    except TimestampProblem as problem:
        raise _MappingProblem(str(problem)) from None
    if note is not None:
        raise _MappingProblem(f"{note}; JSON holds the canonical form only")
    return parsed


def _structure_date(value: object, _: type) -> date:
    text = _structure_str(value, str)
    try:
        return parse_date(text)
    except TimestampProblem as problem:
        raise _MappingProblem(str(problem)) from None


def _items_to_json(items: tuple[tuple[str, str], ...]) -> list[dict[str, str]]:
    return [{"key": key, "value": value} for key, value in items]


def _items_from_json(value: object, _: type) -> tuple[tuple[str, str], ...]:
    import cattrs
    from cattrs.errors import IterableValidationNote

    if not isinstance(value, list):
        raise _MappingProblem(f"expected an array of items, got {_json_type(value)}")
    errors: list[Exception] = []
    items: list[tuple[str, str]] = []
    for index, item in enumerate(value):
        try:
            fields = _members(item, ("key", "value"))
            items.append((_structure_str(fields["key"], str), _structure_str(fields["value"], str)))
        except _MappingProblem as problem:
            # cattrs reads the path from the notes; BaseException.add_note
            # is Python 3.11+, so they are set the way cattrs does on 3.10.
            note = IterableValidationNote(f"Structuring item @ index {index}", index, dict)
            problem.__notes__ = [*getattr(problem, "__notes__", []), note]
            errors.append(problem)
    if errors:
        raise cattrs.IterableValidationError("invalid metadata items", errors, list)
    return tuple(items)


def _members(value: object, names: tuple[str, ...]) -> Mapping[str, object]:
    """The object's members, all present and none unknown."""
    if not isinstance(value, dict):
        raise _MappingProblem(f"expected an object, got {_json_type(value)}")
    duplicates = getattr(value, "duplicates", ())
    if duplicates:
        raise _MappingProblem(f"member(s) given more than once: {', '.join(duplicates)}")
    missing = [name for name in names if name not in value]
    unknown = sorted(set(value) - set(names))
    if missing:
        raise _MappingProblem(f"missing member(s) {', '.join(missing)}")
    if unknown:
        raise _MappingProblem(f"unknown member(s) {', '.join(map(str, unknown))}")
    return value


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _all_members_required(
    cls: type[Any], structure: Callable[[Mapping[str, Any], Any], Any]
) -> Callable[[object, Any], Any]:
    names = tuple(field.name for field in attrs.fields(cls))

    def structure_object(value: object, target: Any) -> Any:
        return structure(_members(value, names), target)

    return structure_object


def make_converter() -> cattrs.Converter:
    """A converter between the models and the JSON mapping's plain values
    [JSON-1] to [JSON-6]."""
    import cattrs
    from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

    for cls in (Section, Metadata, Clipping):
        # Their annotations name what their own module imports; the
        # classes show under the package's name, where those names are not.
        attrs.resolve_types(cls, globalns=vars(model))
    converter = cattrs.Converter(forbid_extra_keys=True)
    converter.register_structure_hook(str, _structure_str)
    converter.register_unstructure_hook(datetime, format_timestamp)
    converter.register_structure_hook(datetime, _structure_timestamp)
    converter.register_unstructure_hook(date, format_date)
    converter.register_structure_hook(date, _structure_date)
    converter.register_unstructure_hook(
        Metadata,
        make_dict_unstructure_fn(Metadata, converter, extra=override(unstruct_hook=_items_to_json)),
    )
    converter.register_structure_hook(
        Metadata,
        _all_members_required(
            Metadata,
            make_dict_structure_fn(
                Metadata,
                converter,
                _cattrs_forbid_extra_keys=True,
                extra=override(struct_hook=_items_from_json),
            ),
        ),
    )
    for cls in (Section, Clipping):
        converter.register_structure_hook(
            cls,
            _all_members_required(
                cls, make_dict_structure_fn(cls, converter, _cattrs_forbid_extra_keys=True)
            ),
        )
    return converter


@functools.cache
def _converter() -> cattrs.Converter:
    """The converter behind `to_dict` and `from_dict`, made when first
    needed: cattrs is a tenth of the time ``import clipdoc`` would take."""
    return make_converter()


def __getattr__(name: str) -> object:
    # ``converter``, for structuring clipdoc's models inside one's own
    # classes (see the JSON mapping's documentation).
    if name == "converter":
        return _converter()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def to_dict(clipping: Clipping) -> dict[str, Any]:
    """The JSON mapping of a clipping, as plain Python values.

    >>> from clipdoc import Clipping, Metadata
    >>> to_dict(Clipping(title="t", metadata=Metadata(source="ArXiv")))["metadata"]
    {'source': 'ArXiv', 'kind': None, 'saved_at': None, 'catalog_date': None, 'extra': []}
    """
    if not isinstance(clipping, Clipping):
        raise TypeError(f"to_dict() takes a Clipping, not {type(clipping).__name__}")
    result: dict[str, Any] = _converter().unstructure(clipping)
    return result


def from_dict(data: object) -> Clipping:
    """A clipping from its JSON mapping; bad input is a `ClipdocError` (CD401)
    whose message names the path of every bad member.

    >>> from_dict({"title": "t", "url": None, "original_summary": None,
    ...            "ai_summary": 5, "extra_sections": [], "metadata": None})
    Traceback (most recent call last):
    ...
    clipdoc.ClipdocError: $.ai_summary: expected a string, got a number (CD401)
    """
    converter = _converter()
    import cattrs

    try:
        return converter.structure(data, Clipping)
    except (cattrs.BaseValidationError, _MappingProblem, ClipdocError) as exc:
        messages = cattrs.transform_error(exc, format_exception=_describe)
        raise ClipdocError("CD401", "; ".join(_path_first(text) for text in messages)) from None


# Between a problem and the model field it names, in cattrs' messages; a
# control character that no repr() of user text contains.
_FIELD_MARK = "\x1f"


def _describe(exc: BaseException, _: type | None) -> str:
    if isinstance(exc, ClipdocError) and exc.field is not None:
        problem = exc.message.removeprefix(f"{exc.field}: ")
        return f"{problem}{_FIELD_MARK}{exc.field}"
    if isinstance(exc, (_MappingProblem, ClipdocError)):
        return exc.message if isinstance(exc, ClipdocError) else str(exc)
    if isinstance(exc, KeyError):
        return "required member missing"
    return str(exc)


def _path_first(text: str) -> str:
    """cattrs says ``problem @ $.path``; say ``$.path: problem``."""
    problem, _, path = text.rpartition(" @ ")
    if not problem:
        return text
    problem, _, field = problem.partition(_FIELD_MARK)
    return f"{path}.{field}: {problem}" if field else f"{path}: {problem}"


def to_json(clipping: Clipping, *, indent: int | None = None) -> str:
    """The JSON mapping as text (UTF-8 characters kept, not ``\\u`` escaped).

    >>> from clipdoc import Clipping
    >>> print(to_json(Clipping(title="标题", url="https://example.com"), indent=1))
    {
     "title": "标题",
     "url": "https://example.com",
     "original_summary": null,
     "ai_summary": null,
     "extra_sections": [],
     "metadata": null
    }
    """
    return json.dumps(to_dict(clipping), ensure_ascii=False, indent=indent)


#: How deep JSON input may nest arrays and objects [JSON-7]; a clipping
#: nests them 4 deep.
MAX_JSON_DEPTH = 64
_TOO_DEEP = (
    f"cannot read the JSON: its arrays and objects nest more than {MAX_JSON_DEPTH} levels"
    " deep (a clipping nests them 4 deep)"
)


def _deeper_than(value: object, limit: int) -> bool:
    """Whether arrays and objects in ``value`` nest more than ``limit`` deep."""
    level: list[object] = [value]
    for _ in range(limit):
        level = [
            item
            for container in level
            if isinstance(container, (dict, list))
            for item in (container.values() if isinstance(container, dict) else container)
        ]
        if not level:
            return False
    return any(isinstance(item, (dict, list)) for item in level)


def from_json(text: str | bytes) -> Clipping:
    """A clipping from JSON text; invalid JSON is a `ClipdocError` (CD402)
    with its line and column, and so, without them, are bytes that are not
    UTF-8, ``NaN`` and ``Infinity``, and JSON nested too deeply to read. One
    byte order mark before the JSON is ignored; a member given twice is
    CD401 [JSON-7].

    >>> from_json('{"title": "t", "url": null, "original_summary": null,'
    ...           ' "ai_summary": "x", "extra_sections": [], "metadata": null}').ai_summary
    'x'
    """
    if isinstance(text, bytes):
        try:
            # UTF-8 only: no other encoding is guessed, and no surrogate is
            # let through (Python's own reader of bytes does both).
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ClipdocError(
                "CD402", f"not UTF-8 JSON: {exc.reason} at byte offset {exc.start}"
            ) from None
    try:
        data = json.loads(
            text.removeprefix("\ufeff"),
            object_pairs_hook=_object,
            parse_constant=_constant,
            parse_int=json_integer,
        )
    except json.JSONDecodeError as exc:
        raise ClipdocError(
            "CD402", f"not JSON: {exc.msg}", line=exc.lineno, column=exc.colno
        ) from None
    except _NotJson as exc:
        raise ClipdocError("CD402", str(exc)) from None
    except RecursionError:
        # The decoder recurses once per level; no clipping comes near the limit.
        raise ClipdocError("CD402", _TOO_DEEP) from None
    if _deeper_than(data, MAX_JSON_DEPTH):
        raise ClipdocError("CD402", _TOO_DEEP)
    return from_dict(data)
