"""Three-way merges of clipping documents, field by field, and resolving
Git's conflict markers to one side.

Git merges text line by line; two sides that changed different fields of a
clipping, or added the same clipping with one field different, become a
conflict around whole sections. A clipping is a record: its title, URL,
known section bodies, extra sections (by heading), and metadata items (by
label) are fields. Each field is merged on its own: changed on one side, that
side; changed the same way on both, that value; changed differently, a
conflict. Conflicting fields are written with standard Git markers around
only their lines, so that `resolve` gives back either side byte for byte.
"""

from __future__ import annotations

import difflib
from typing import Any, Literal, TypeVar

import attrs

from .conflicts import find_conflicts, side_lines
from .errors import ClipdocError
from .model import Clipping, Metadata, Section
from .parser import conflict_marker_lines
from .syntax import CONFLICT_CLOSE, CONFLICT_OPEN, CONFLICT_SEPARATOR
from .writer import render_document

Side = Literal["ours", "theirs"]
_Value = TypeVar("_Value")


@attrs.frozen(kw_only=True)
class Merge:
    """The result of `merge`: the merged document's text (with conflict
    markers around the fields both sides changed differently) and the names
    of those fields (empty when the merge is clean).

    >>> import attrs
    >>> from clipdoc import Clipping, merge
    >>> base = Clipping(title="t", ai_summary="a")
    >>> result = merge(base, attrs.evolve(base, title="T"), attrs.evolve(base, ai_summary="b"))
    >>> result.conflicts, result.text
    ((), '# T\\n\\n## AI 摘要\\n\\nb\\n')
    """

    text: str
    conflicts: tuple[str, ...] = ()

    @property
    def clean(self) -> bool:
        return not self.conflicts


class _Fields:
    """Collects the merged value of each field, and the conflicts."""

    def __init__(self) -> None:
        self.conflicts: list[str] = []

    def merge(self, name: str, base: _Value, ours: _Value, theirs: _Value) -> tuple[_Value, _Value]:
        """The value for the ours-side and theirs-side results: the same
        value when the field merges, each side's own value when it conflicts."""
        if ours == theirs or theirs == base:
            return ours, ours
        if ours == base:
            return theirs, theirs
        self.conflicts.append(name)
        return ours, theirs


def merge(
    base: Clipping | None,
    ours: Clipping,
    theirs: Clipping,
    *,
    labels: tuple[str, str] = ("ours", "theirs"),
    prefer: Literal["newer"] | None = None,
) -> Merge:
    """Merge two versions of a clipping field by field; ``base`` is their
    common ancestor, None when both sides added the document.

    Title, URL, each known section, each extra section (by heading), the
    presence of the metadata list and each metadata item (by label) merge on
    their own. Extra sections and items that only one side added are kept;
    added by both, kept from both. Fields that both sides changed differently
    are conflicts: the text holds both versions of their lines between Git's
    markers (labelled ``labels``), and `resolve` gives either side back.

    ``prefer="newer"`` settles conflicts for automated writers: the side
    whose 保存时间 is later wins every conflicting field. It is a blanket rule
    (in the producer's own conflicts the newer side held a placeholder
    summary); without two different save times the conflict stays.

    >>> import attrs
    >>> from clipdoc import Clipping
    >>> base = Clipping(title="t", url="u", ai_summary="a")
    >>> ours, theirs = attrs.evolve(base, url="v"), attrs.evolve(base, ai_summary="b")
    >>> merge(base, ours, theirs).text
    '# t\\n\\n**URL**: v\\n\\n## AI 摘要\\n\\nb\\n'
    >>> merge(base, attrs.evolve(base, ai_summary="c"), theirs).conflicts
    ('ai_summary',)
    """
    _check_sides(base, ours, theirs)
    fields = _Fields()
    merged_ours, merged_theirs = _merge_clippings(fields, base, ours, theirs)
    text_ours = render_document(merged_ours)
    if not fields.conflicts:
        return Merge(text=text_ours)
    if prefer is not None:
        if prefer != "newer":
            raise ValueError(f"prefer is 'newer' or None, not {prefer!r}")
        newer = _newer_side(ours, theirs)
        if newer is not None:
            return Merge(text=render_document(merged_ours if newer == "ours" else merged_theirs))
    text = _with_markers(text_ours, render_document(merged_theirs), labels)
    return Merge(text=text, conflicts=tuple(fields.conflicts))


def _check_sides(base: object, ours: object, theirs: object) -> None:
    for name, value in (("ours", ours), ("theirs", theirs)):
        if not isinstance(value, Clipping):
            raise TypeError(f"{name} must be a Clipping, not {type(value).__name__}")
    if base is not None and not isinstance(base, Clipping):
        raise TypeError(f"base must be a Clipping or None, not {type(base).__name__}")


def _merge_clippings(
    fields: _Fields, base: Clipping | None, ours: Clipping, theirs: Clipping
) -> tuple[Clipping, Clipping]:
    """The ours-side and theirs-side results, field by field: the same
    clipping twice unless some field conflicts."""
    origin = base if base is not None else Clipping(title="")
    result_ours: dict[str, object] = {}
    result_theirs: dict[str, object] = {}
    for name in ("title", "url", "original_summary", "ai_summary"):
        # Both sides added the document: there is no base value to compare with.
        base_value = getattr(origin, name) if base is not None else object()
        result_ours[name], result_theirs[name] = fields.merge(
            name, base_value, getattr(ours, name), getattr(theirs, name)
        )
    sections = _merge_keyed(
        fields,
        "section",
        [(s.heading, s.body) for s in origin.extra_sections],
        [(s.heading, s.body) for s in ours.extra_sections],
        [(s.heading, s.body) for s in theirs.extra_sections],
    )
    for target, pairs in zip((result_ours, result_theirs), sections, strict=True):
        target["extra_sections"] = [Section(heading=h, body=b) for h, b in pairs]
    result_ours["metadata"], result_theirs["metadata"] = _merge_metadata(
        fields, origin.metadata if base is not None else None, ours.metadata, theirs.metadata
    )
    return Clipping(**result_ours), Clipping(**result_theirs)  # type: ignore[arg-type]


def _newer_side(ours: Clipping, theirs: Clipping) -> Side | None:
    ours_saved = ours.metadata.saved_at if ours.metadata is not None else None
    theirs_saved = theirs.metadata.saved_at if theirs.metadata is not None else None
    if ours_saved is None or theirs_saved is None or ours_saved == theirs_saved:
        return None
    return "ours" if ours_saved > theirs_saved else "theirs"


def _merge_metadata(
    fields: _Fields, base: Metadata | None, ours: Metadata | None, theirs: Metadata | None
) -> tuple[Metadata | None, Metadata | None]:
    if ours is None or theirs is None:
        return fields.merge("metadata", base, ours, theirs)
    origin = base or Metadata()
    known: dict[str, tuple[Any, Any]] = {}
    for name in ("source", "kind", "saved_at", "catalog_date"):
        base_value = getattr(origin, name) if base is not None else object()
        known[name] = fields.merge(name, base_value, getattr(ours, name), getattr(theirs, name))
    extra = _merge_keyed(fields, "item", list(origin.extra), list(ours.extra), list(theirs.extra))
    sides = [
        attrs.evolve(
            ours, **{name: values[side] for name, values in known.items()}, extra=extra[side]
        )
        for side in (0, 1)
    ]
    return sides[0], sides[1]


def _merge_keyed(
    fields: _Fields,
    what: str,
    base: list[tuple[str, str]],
    ours: list[tuple[str, str]],
    theirs: list[tuple[str, str]],
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Merge lists of (key, value) pairs where a key (with its occurrence
    number, as keys may repeat) names one field, in the order `_order` gives."""

    def keyed(pairs: list[tuple[str, str]]) -> dict[tuple[str, int], str]:
        seen: dict[str, int] = {}
        found = {}
        for key, value in pairs:
            seen[key] = seen.get(key, 0) + 1
            found[(key, seen[key])] = value
        return found

    base_map, ours_map, theirs_map = keyed(base), keyed(ours), keyed(theirs)
    order = _order(list(base_map), list(ours_map), list(theirs_map))
    merged: tuple[list[tuple[str, str]], list[tuple[str, str]]] = ([], [])
    absent = None
    for key in order:
        name = f"{what} {key[0]!r}" + (f" ({key[1]})" if key[1] > 1 else "")
        values = fields.merge(
            name, base_map.get(key, absent), ours_map.get(key, absent), theirs_map.get(key, absent)
        )
        for side, value in zip(merged, values, strict=True):
            if value is not None:
                side.append((key[0], value))
    return merged


def _order(
    base: list[tuple[str, int]], ours: list[tuple[str, int]], theirs: list[tuple[str, int]]
) -> list[tuple[str, int]]:
    """The order of the merged keys, the same whichever side is "ours": the
    order of the side that changed it (added, removed or moved keys) when only
    one did, or both did alike; else the base order, then the keys added,
    sorted."""
    if ours == theirs or theirs == base:
        chosen = ours
    elif ours == base:
        chosen = theirs
    else:
        added = sorted({*ours, *theirs} - set(base))
        return base + added
    return chosen + [key for key in base if key not in chosen]


def _with_markers(ours: str, theirs: str, labels: tuple[str, str]) -> str:
    """``ours`` with every run of lines that differs from ``theirs`` wrapped
    in Git's markers: ``resolve`` gives either text back exactly."""
    ours_lines = ours.split("\n")[:-1]
    theirs_lines = theirs.split("\n")[:-1]
    out: list[str] = []
    matcher = difflib.SequenceMatcher(a=ours_lines, b=theirs_lines, autojunk=False)
    for operation, low, high, other_low, other_high in matcher.get_opcodes():
        if operation == "equal":
            out += ours_lines[low:high]
            continue
        out.append(f"{CONFLICT_OPEN} {labels[0]}")
        out += ours_lines[low:high]
        out.append(CONFLICT_SEPARATOR)
        out += theirs_lines[other_low:other_high]
        out.append(f"{CONFLICT_CLOSE} {labels[1]}")
    return "\n".join(out) + "\n"


def _with_lf(text: str) -> str:
    # The line endings a reader accepts; the result is written with LF.
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def has_conflict_markers(text: str) -> bool:
    """Whether a document holds a Git conflict marker in column 1."""
    return bool(conflict_marker_lines(_with_lf(text)))


def resolve(text: str, side: Side) -> str:
    """The document with every conflict resolved to one side: the lines of
    ``side`` ("ours", between ``<<<<<<<`` and ``=======`` or ``|||||||``, or
    "theirs", between ``=======`` and ``>>>>>>>``) kept, the other side, the
    diff3 base and the marker lines dropped. The same side is taken
    throughout, so that fields that belong together (a summary and its save
    time) stay together. A marker that is not part of a whole conflict is a
    `ClipdocError` (CD106): there is no side to take.

    >>> text = "# t\\n\\n## AI 摘要\\n\\n<<<<<<< HEAD\\na\\n=======\\nb\\n>>>>>>> topic\\n"
    >>> resolve(text, "theirs")
    '# t\\n\\n## AI 摘要\\n\\nb\\n'
    """
    if not isinstance(text, str):
        raise TypeError(f"resolve() takes a str, not {type(text).__name__}")
    if side not in ("ours", "theirs"):
        raise ValueError(f"side is 'ours' or 'theirs', not {side!r}")
    text = _with_lf(text)
    lines = text.split("\n")
    ends_with_newline = lines[-1] == ""
    if ends_with_newline:
        lines.pop()
    conflicts = find_conflicts(lines, conflict_marker_lines(text))
    for conflict in conflicts:
        if not conflict.is_whole:
            raise ClipdocError(
                "CD106",
                f"the conflict marker {lines[conflict.start][:7]!r} is not part of a whole"
                " conflict (<<<<<<<, =======, >>>>>>>); there is no side to take: edit the"
                " file by hand",
                line=conflict.start + 1,
                column=1,
            )
    kept = [lines[index] for index in side_lines(len(lines), conflicts, side)]
    return "\n".join(kept) + ("\n" if ends_with_newline or not kept else "")
