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

import itertools
import re
from collections import Counter
from typing import Any, Literal, TypeVar

import attrs

from .align import align
from .conflicts import find_conflicts, side_lines
from .errors import ClipdocError
from .model import Clipping, Metadata, Section
from .parser import conflict_marker_lines
from .read import read_document
from .syntax import (
    CONFLICT_CLOSE,
    CONFLICT_OPEN,
    CONFLICT_SEPARATOR,
    UNPARSED_PREFIX,
    has_line_break,
)
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

    Title, URL, each known section, the presence of the metadata list and
    each known metadata item merge on their own. Extra sections (by heading)
    and extra metadata items (by label), which may repeat, are aligned with
    the base by content: one that both sides hold is kept, one both deleted
    stays deleted, one side's change, deletion or insertion is taken, and
    the same item inserted by both is kept once. Fields that both sides
    changed differently are conflicts: the text holds both versions of their
    lines between Git's markers (labelled ``labels``), and `resolve` gives
    either side back.

    ``prefer="newer"`` settles conflicts for automated writers: the side
    whose 保存时间 is later wins every conflicting field. It is a blanket rule
    (in one of the producer's own six conflicts the newer side held a
    placeholder summary); without two different save times the conflict
    stays.

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
    _check_options(labels, prefer)
    fields = _Fields()
    merged_ours, merged_theirs = _merge_clippings(fields, base, ours, theirs)
    text_ours = render_document(merged_ours)
    if not fields.conflicts:
        return Merge(text=text_ours)
    if prefer is not None:
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


def _check_options(labels: object, prefer: object) -> None:
    if prefer not in (None, "newer"):
        raise ValueError(f"prefer is 'newer' or None, not {prefer!r}")
    if not isinstance(labels, tuple) or len(labels) != 2:
        raise TypeError(f"labels is a pair of str, not {labels!r}")
    for label in labels:
        if not isinstance(label, str):
            raise TypeError(f"a label is a str, not {type(label).__name__}")
        if has_line_break(label):
            raise ValueError(f"a label is one line; {label!r} holds a line break")


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
    sections = _merge_list(
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
    extra = _merge_list(fields, "item", list(origin.extra), list(ours.extra), list(theirs.extra))
    sides = [
        attrs.evolve(
            ours, **{name: values[side] for name, values in known.items()}, extra=extra[side]
        )
        for side in (0, 1)
    ]
    return sides[0], sides[1]


Item = tuple[str, str]


@attrs.frozen
class _Edits:
    """One side's changes to the base list: for each base item, what the side
    holds in its place (the item, a changed value under the same key, or
    None when it deleted it), and for each gap (before base item g; gap n is
    the end) the items the side inserted there."""

    states: list[Item | None]
    inserted: dict[int, list[Item]]


def _edits(base: list[Item], side: list[Item]) -> _Edits:
    """How ``side`` changed ``base``: the items both hold are aligned by
    content; between them, items under the same key are the same field
    changed, the base's other items were deleted, the side's inserted."""
    count = len(base)
    states: list[Item | None] = [None] * count
    inserted: dict[int, list[Item]] = {}
    previous, other_previous = -1, -1
    for index, other_index in itertools.chain(align(base, side), [(count, len(side))]):
        if index > previous + 1 or other_index > other_previous + 1:
            _edits_between(
                base, side, (previous, index, other_previous, other_index), states, inserted
            )
        if index < count:
            states[index] = base[index]
        previous, other_previous = index, other_index
    return _Edits(states, inserted)


def _edits_between(
    base: list[Item],
    side: list[Item],
    between: tuple[int, int, int, int],
    states: list[Item | None],
    inserted: dict[int, list[Item]],
) -> None:
    """The edits between two items both hold (base and side positions):
    items under the same key are the same field changed, the base's other
    items were deleted, the side's inserted."""
    previous, index, other_previous, other_index = between
    base_run = range(previous + 1, index)
    side_run = range(other_previous + 1, other_index)
    changed = (
        {
            side_run[j]: base_run[i]
            for i, j in align([base[i][0] for i in base_run], [side[j][0] for j in side_run])
        }
        if base_run and side_run
        else {}
    )
    gap = previous + 1
    for j in side_run:
        if j in changed:
            states[changed[j]] = side[j]
            gap = changed[j] + 1
        else:
            inserted.setdefault(gap, []).append(side[j])


def _merge_list(
    fields: _Fields, what: str, base: list[Item], ours: list[Item], theirs: list[Item]
) -> tuple[list[Item], list[Item]]:
    """Merge two versions of a list of (key, value) items (extra sections by
    heading, metadata items by label), aligned with the base by content:
    an item both sides hold is kept, one both deleted stays deleted, one
    side's change is taken, and different changes of one item conflict."""
    ours_edits, theirs_edits = _edits(base, ours), _edits(base, theirs)
    merged = _Merged(fields, what)
    ours_states, theirs_states = ours_edits.states, theirs_edits.states
    position = 0
    for gap in sorted({*ours_edits.inserted, *theirs_edits.inserted, len(base)}):
        for index in range(position, gap):
            item = base[index]
            if ours_states[index] is item and theirs_states[index] is item:
                merged.ours.append(item)  # kept on both sides: most items
                merged.theirs.append(item)
            else:
                merged.replace(item, ours_states[index], theirs_states[index])
        merged.insert(ours_edits.inserted.get(gap, []), theirs_edits.inserted.get(gap, []))
        position = gap
    merged.restore(ours, theirs)
    return merged.ours, merged.theirs


class _Merged:
    """The two results of a list merge as they grow (the same list twice
    unless some item conflicts)."""

    def __init__(self, fields: _Fields, what: str) -> None:
        self.fields = fields
        self.what = what
        self.ours: list[Item] = []
        self.theirs: list[Item] = []
        # How many of each item each side's insertions have placed so far:
        # an item both sides inserted, in different places, is kept once,
        # where it comes first.
        self.placed: tuple[dict[Item, int], dict[Item, int]] = ({}, {})
        # Where each result lost a base item that a side kept.
        self.lost: tuple[list[tuple[int, Item]], list[tuple[int, Item]]] = ([], [])

    @property
    def results(self) -> tuple[list[Item], list[Item]]:
        return self.ours, self.theirs

    def replace(self, item: Item, ours: Item | None, theirs: Item | None) -> None:
        """Merge what each side holds in place of one base item."""
        values = self.fields.merge(f"{self.what} {item[0]!r}", item, ours, theirs)
        value = values[0]
        if values[0] != values[1] or value is None or value == item:
            self.add(*values)
        elif ours == theirs:
            self._insert_both([value])
        else:
            # A change one side made counts as that side's insertion of the
            # new item: the other side may have inserted it too.
            self._insert_one([value], side=0 if ours == value else 1)
        for side, result in enumerate(values):
            if item in (ours, theirs) and result != item:
                self.lost[side].append((len(self.results[side]), item))

    def restore(self, ours: list[Item], theirs: list[Item]) -> None:
        """Put back, where they stood, base items that both sides hold but
        that the merge lost: the sides' copies were aligned with different
        base items of the same content, one deleted or changed on each side."""
        concerned = {item for lost in self.lost for _, item in lost}
        if not concerned:
            return

        def count(items: list[Item]) -> Counter[Item]:
            return Counter(item for item in items if item in concerned)

        both = count(ours) & count(theirs)
        for result, lost in zip(self.results, self.lost, strict=True):
            missing = both - count(result)
            restored: dict[int, list[Item]] = {}
            for position, item in lost:
                if missing[item] > 0:
                    missing[item] -= 1
                    restored.setdefault(position, []).append(item)
            if restored:
                # One pass, not one list insertion each: linear however many.
                rebuilt: list[Item] = []
                for position, item in enumerate(result):
                    rebuilt += restored.get(position, ())
                    rebuilt.append(item)
                rebuilt += restored.get(len(result), ())
                result[:] = rebuilt

    def add(self, ours: Item | None, theirs: Item | None) -> None:
        if ours is not None:
            self.ours.append(ours)
        if theirs is not None:
            self.theirs.append(theirs)

    def insert(self, ours: list[Item], theirs: list[Item]) -> None:
        """Merge what the two sides inserted in one gap: the items both
        inserted once, in their order; between those, one side's items when
        only one side inserted; both sides' (in an order that does not depend
        on which side is ours) when their keys differ; else a conflict."""
        if ours == theirs:
            self._insert_both(ours)
            return
        swapped = ours > theirs
        first, second = (theirs, ours) if swapped else (ours, theirs)
        pairs = [(j, i) if swapped else (i, j) for i, j in align(first, second)]
        previous, other_previous = 0, 0
        for index, other_index in [*pairs, (len(ours), len(theirs))]:
            ours_run, theirs_run = ours[previous:index], theirs[other_previous:other_index]
            if not ours_run or not theirs_run:
                self._insert_one(ours_run, side=0)
                self._insert_one(theirs_run, side=1)
            elif shared := {key for key, _ in ours_run} & {key for key, _ in theirs_run}:
                self.fields.conflicts.append(f"{self.what} {min(shared)!r} (added on both sides)")
                self.ours += ours_run
                self.theirs += theirs_run
            else:
                for run, side in sorted([(ours_run, 0), (theirs_run, 1)]):
                    self._insert_one(run, side=side)
            if index < len(ours):
                self._insert_both([ours[index]])
            previous, other_previous = index + 1, other_index + 1

    def _insert_both(self, items: list[Item]) -> None:
        for item in items:
            for placed in self.placed:
                placed[item] = placed.get(item, 0) + 1
            self.add(item, item)

    def _insert_one(self, items: list[Item], *, side: int) -> None:
        placed, other_placed = self.placed[side], self.placed[1 - side]
        for item in items:
            mine = placed.get(item, 0)
            placed[item] = mine + 1
            # The other side inserted this item elsewhere, earlier: the same
            # insertion, already in the result.
            if other_placed.get(item, 0) <= mine:
                self.add(item, item)


def _with_markers(ours: str, theirs: str, labels: tuple[str, str]) -> str:
    """``ours`` with every run of lines that differs from ``theirs`` wrapped
    in Git's markers: ``resolve`` gives either text back exactly."""
    ours_lines = ours.split("\n")[:-1]
    theirs_lines = theirs.split("\n")[:-1]
    out: list[str] = []
    previous, other_previous = 0, 0
    for index, other_index in [
        *align(ours_lines, theirs_lines),
        (len(ours_lines), len(theirs_lines)),
    ]:
        if index > previous or other_index > other_previous:
            out.append(f"{CONFLICT_OPEN} {labels[0]}")
            out += ours_lines[previous:index]
            out.append(CONFLICT_SEPARATOR)
            out += theirs_lines[other_previous:other_index]
            out.append(f"{CONFLICT_CLOSE} {labels[1]}")
        if index < len(ours_lines):
            out.append(ours_lines[index])
        previous, other_previous = index + 1, other_index + 1
    return "\n".join(out) + "\n"


def _with_lf(text: str) -> str:
    # The line endings a reader accepts; the result is written with LF.
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def has_conflict_markers(text: str) -> bool:
    """Whether a document holds a Git conflict marker in column 1."""
    return bool(conflict_marker_lines(_with_lf(text)))


#: The heading of a section in which recovery kept a whole conflict [REC-1].
_RECOVERED_CONFLICT = re.compile(re.escape(UNPARSED_PREFIX) + r" conflict from line ([1-9][0-9]*)")


def conflicted_text(text: str) -> str | None:
    """The document with its conflicts as Git wrote them: ``text`` itself
    when it holds conflict markers; when a recovering reader kept them in
    ``clipdoc: unparsed conflict from line N`` sections (``fmt --recover``),
    the document as it was before, each conflict put back at line N; None
    when it has no conflict. A `ClipdocError` (CD106) when a kept conflict
    cannot be put back where it stood."""
    text = _with_lf(text)
    if conflict_marker_lines(text):
        return text
    if f"{UNPARSED_PREFIX} conflict from line" not in text:
        return None
    clipping, _ = read_document(text)
    kept: list[tuple[int, str]] = []
    outside = []
    for section in clipping.extra_sections:
        found = _RECOVERED_CONFLICT.fullmatch(section.heading)
        if found is not None and has_conflict_markers(section.body):
            kept.append((int(found.group(1)), section.body))
        else:
            outside.append(section)
    if not kept:
        return None
    lines = render_document(attrs.evolve(clipping, extra_sections=outside)).split("\n")[:-1]
    return _put_back(lines, sorted(kept), clipping)


#: The ways the text around a kept conflict may have been laid out: the
#: canonical text outside the conflicts can hold a blank line more or less
#: there than the document had (an empty body is written with its blank
#: lines, an empty title its line). Each is the offset of such a line to
#: remove, or whether to add a blank line after the conflict.
_ARRANGEMENTS: list[tuple[int | None, bool]] = [
    (None, False),
    (-2, False),
    (-1, False),
    (0, False),
    (1, False),
    (None, True),
]


def _put_back(lines: list[str], kept: list[tuple[int, str]], clipping: Clipping) -> str:
    """The document with each kept conflict back at its line, one after the
    other: for each, of the arrangements of blank lines around it that read
    back as ``clipping`` (without the conflicts still to come), the first
    whose sides are canonical documents with no body that starts or ends
    with a blank line (as a merge of two canonical documents gives), else
    the one that comes closest."""
    chosen: list[tuple[int | None, bool]] = []
    arranged = ""
    for count in range(1, len(kept) + 1):
        later = {
            Section(heading=f"{UNPARSED_PREFIX} conflict from line {line}", body=body)
            for line, body in kept[count:]
        }
        expected = attrs.evolve(
            clipping, extra_sections=[s for s in clipping.extra_sections if s not in later]
        )
        best: tuple[tuple[int, int], tuple[int | None, bool], str] | None = None
        for arrangement in _ARRANGEMENTS:
            text = _arranged(lines, kept[:count], [*chosen, arrangement])
            if text is None or read_document(text)[0] != expected:
                continue
            score = _sides_untidy(text)
            if best is None or score < best[0]:
                best = (score, arrangement, text)
            if score == (0, 0):
                break
        if best is None:
            raise _cannot_put_back(kept[count - 1][0])
        chosen.append(best[1])
        arranged = best[2]
    return arranged


def _arranged(
    lines: list[str], kept: list[tuple[int, str]], choice: list[tuple[int | None, bool]]
) -> str | None:
    """``lines`` with each conflict at its line, after removing the blank
    line (or the empty title) at an offset from it, or with a blank line
    added after it."""
    arranged = list(lines)
    for (line, body), (offset, blank_after) in zip(kept, choice, strict=True):
        index = line - 1
        if offset is not None:
            where = index + offset
            # A blank line, or the title line the writer gives an empty title.
            if not 0 <= where < len(arranged) or arranged[where] not in ("", "# " * (where == 0)):
                return None
            del arranged[index + offset]
        if index > len(arranged):
            return None
        arranged[index:index] = body.split("\n") + ([""] if blank_after else [])
    return "\n".join(arranged) + "\n"


def _sides_untidy(text: str) -> tuple[int, int]:
    """How far the two sides of ``text`` are from what a merge of canonical
    documents gives: how many are not canonical, and how many bodies start
    or end with a line break."""
    lines = text.split("\n")[:-1]
    conflicts = find_conflicts(lines, conflict_marker_lines(text))
    not_canonical = ragged = 0
    for side in ("ours", "theirs"):
        chosen = "\n".join(lines[i] for i in side_lines(len(lines), conflicts, side)) + "\n"
        clipping = read_document(chosen)[0]
        not_canonical += render_document(clipping) != chosen
        bodies = [clipping.original_summary, clipping.ai_summary]
        bodies += [section.body for section in clipping.extra_sections]
        ragged += sum(body.startswith("\n") or body.endswith("\n") for body in bodies if body)
    return not_canonical, ragged


def _cannot_put_back(line: int) -> ClipdocError:
    return ClipdocError(
        "CD106",
        f"the conflict kept in the section '{UNPARSED_PREFIX} conflict from line {line}' cannot"
        " be put back where it stood (the text around it changed since it was kept); copy the"
        " side you want out of that section by hand, and delete the section",
    )


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
    text = conflicted_text(text) or _with_lf(text)
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
    resolved = "\n".join(kept) + ("\n" if ends_with_newline or not kept else "")
    # Conflicts that recovery kept, in a document merged again since.
    if conflicts and conflicted_text(resolved) is not None:
        return resolve(resolved, side)
    return resolved
