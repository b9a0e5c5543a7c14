"""Notes in: a note's front matter and body to a clipping.

A note whose body is a clipping document (a note `to_note` wrote, perhaps
edited since) is that document, and each property whose value is not the one
`to_note` writes for it is an edit of the field it shows. Any other note (one
Obsidian Web Clipper made) is a page: its properties give the title, the URL,
the dates, the authors and the tags, and its body stays Markdown, in extra
sections.

The front matter is read node by node rather than loaded: a scalar keeps the
text it was written as (a title ``2024`` or ``yes`` is that text, not a number
or a boolean), and a value of the wrong shape is one property's problem, not
the note's. A property that cannot be read back without loss is reported (a
`Diagnostic` CD603 that names it), never dropped silently.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

import attrs

from .._core.errors import ClipdocError, Diagnostic, Severity, quoted
from .._core.model import Clipping, Metadata, Section
from .._core.read import read_document
from .._core.syntax import (
    KNOWN_HEADINGS,
    KNOWN_LABELS,
    SECTION_HEADING,
    UNPARSED_PREFIX,
    has_line_break,
)
from .._core.timestamps import format_timestamp, offset_problem
from .feed_terms import AUTHOR, PUBLISHED, TAGS
from .note_writing import (
    AUTHORS,
    CREATED,
    DEFAULT_TAG,
    DESCRIPTION,
    FINGERPRINT,
    FINGERPRINT_LINE,
    FINGERPRINT_VERSION,
    PUBLISHED_ON,
    SOURCE,
    TAG_LIST,
    TITLE,
    WRITTEN,
    description_of,
    front_matter,
    note_digest,
    note_text,
    properties,
    shown_hashes,
    view_hash,
    yaml_module,
)

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*(?:\r?\n|\Z)", re.DOTALL | re.MULTILINE)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_BLANK_LINE = re.compile(r"[ \t]*(?:\r\n|\r|\n)")
_WIKILINK = re.compile(r"\[\[(.*)\]\]", re.DOTALL)
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
#: The line of a note where its front matter's first line is.
_FIRST_PROPERTY_LINE = 2

#: The extra section that holds a page's Markdown up to its first ``##``
#: heading; each of its ``##`` headings starts a section of its own.
PAGE_HEADING = "原文"
#: The metadata item that keeps a page's ``description`` (its meta description).
DESCRIBED = "描述"

_NULL = "tag:yaml.org,2002:null"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class _Unfit(Exception):
    """A property value that the field it shows cannot take."""


def _kind(node: Any) -> str:
    yaml = yaml_module()
    return "a list" if isinstance(node, yaml.SequenceNode) else "a mapping"


@attrs.frozen
class _Property:
    """One property of a note: its name, its YAML node and where it is."""

    name: str
    node: Any
    line: int
    column: int


@attrs.define
class _Report:
    """The diagnostics of one note."""

    found: list[Diagnostic] = attrs.field(factory=list)

    def warn(self, line: int, column: int, message: str) -> None:
        self.found.append(
            Diagnostic(
                code="CD603",
                severity=Severity.WARNING,
                line=line,
                column=column,
                message=message,
            )
        )

    def about(self, item: _Property) -> Callable[[str], None]:
        """A function that reports a problem of ``item``."""

        def warn(problem: str) -> None:
            self.warn(item.line, item.column, f"property {quoted(item.name)} {problem}")

        return warn


Warn = Callable[[str], None]
#: An edit: the clipping with one property read into the field it shows.
Edit = Callable[[Clipping, Any, Warn], Clipping]


def read_note(text: str) -> tuple[Clipping, tuple[Diagnostic, ...]]:
    """The clipping of a note and every diagnostic: the body's (as a clipping
    document's, at their lines in the note) and the properties' (CD603). A
    text that is not a note is a `ClipdocError` (CD601)."""
    text = text.removeprefix("\ufeff")
    match = _FRONT_MATTER.match(text)
    if match is None:
        raise ClipdocError("CD601", "not a note: no front matter between '---' lines at the start")
    as_written = _as_written(text, match)
    if as_written is not None:
        return as_written
    report = _Report()
    given = _properties(match.group(1), report)
    # Blank lines between the front matter and the document, and a missing
    # newline at its end, are the note's layout (python-frontmatter writes
    # both), not variants of the document.
    body_start = match.end()
    while (blank := _BLANK_LINE.match(text, body_start)) is not None:
        body_start = blank.end()
    body = text[body_start:]
    if body and not body.endswith(("\n", "\r")):
        body += "\n"
    clipping, diagnostics = read_document(body)
    if any(diagnostic.code == "CD111" for diagnostic in diagnostics) or _a_page(clipping, given):
        clipping = _page(given, body, report)
        diagnostics = ()
    else:
        clipping = _edited(clipping, given, report)
        lines_before = len(_LINE_BREAK.findall(text, 0, body_start))
        diagnostics = tuple(_moved(diagnostic, lines_before) for diagnostic in diagnostics)
    found = sorted((*diagnostics, *report.found), key=lambda d: (d.line or 0, d.column or 0))
    return clipping, tuple(found)


def _as_written(text: str, match: re.Match[str]) -> tuple[Clipping, tuple[Diagnostic, ...]] | None:
    """What a note reads as when it is exactly as `to_note` wrote it (its
    fingerprint's digest says so): its body's clipping, whose properties
    show nothing else, found without reading them. None for any other note.

    The same as reading the properties gives (a property test holds every
    note `to_note` writes to it), at a fifth of the cost."""
    front = match.group(1)
    if not text.startswith("---\n") or not match.group().endswith("\n---\n"):
        return None  # not the lines to_note writes around the front matter
    line_start = front.rfind("\n", 0, len(front) - 1) + 1
    fingerprint = FINGERPRINT_LINE.fullmatch(front, line_start)
    if fingerprint is None:
        return None
    hashes, digest = fingerprint.groups()
    body = text[match.end() :]
    if note_digest(front[:line_start], FINGERPRINT_VERSION + hashes, body) != digest:
        return None
    clipping, diagnostics = read_document(body)
    if any(diagnostic.code == "CD111" for diagnostic in diagnostics):
        return None
    lines_before = len(_LINE_BREAK.findall(text, 0, match.end()))
    moved = (_moved(diagnostic, lines_before) for diagnostic in diagnostics)
    return clipping, tuple(sorted(moved, key=lambda d: (d.line or 0, d.column or 0)))


def _a_page(clipping: Clipping, given: dict[str, _Property]) -> bool:
    """Whether a body that reads as a clipping document is a page all the
    same: one with no part of a clipping's own (no URL line, no known
    section), such as ``# H1`` then ``## Section``, under a ``description``
    that is not empty, which `to_note` writes only from an AI summary. A
    note `to_note` wrote (it has the fingerprint) is never one: its AI
    summary may have been deleted from the body."""
    if FINGERPRINT in given or clipping.url is not None or clipping.metadata is not None:
        return False
    if clipping.original_summary is not None or clipping.ai_summary is not None:
        return False
    described = given.get(DESCRIPTION)
    if described is None:
        return False
    try:
        return bool((_text(described.node) or "").strip())
    except _Unfit:
        return True  # a list or mapping: not what to_note writes


def _moved(diagnostic: Diagnostic, lines: int) -> Diagnostic:
    if diagnostic.line is None:
        return diagnostic
    return attrs.evolve(diagnostic, line=diagnostic.line + lines)


def _loader() -> Any:
    """The loader of fresh constructors (which keep what they built)."""
    return yaml_module().SafeLoader


def _composer() -> Any:
    """libyaml's loader where PyYAML has it: faster, and it refuses to nest
    deeper than 1,000 levels."""
    yaml = yaml_module()
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _properties(front: str, report: _Report) -> dict[str, _Property]:
    """The properties of the front matter, by name."""
    yaml = yaml_module()
    try:
        root = yaml.compose(front, Loader=_composer())
    except RecursionError:
        raise ClipdocError("CD601", "the front matter nests too deeply to be read") from None
    except yaml.YAMLError as exc:
        raise ClipdocError("CD601", _yaml_problem(exc)) from None
    if root is None:
        return {}
    if not isinstance(root, yaml.MappingNode):
        raise ClipdocError("CD601", "the front matter is not a mapping of properties")
    found: dict[str, _Property] = {}
    position = _positions(front)
    # Without aliases the values hold at most about as many characters as
    # the text they are written in; with them a short text can stand for
    # gigabytes. The values kept share that size.
    budget = len(front) + _SIZE_SLACK
    for key, value in root.value:
        line, column = position(key.start_mark.index)
        if not isinstance(key, yaml.ScalarNode):
            report.warn(line, column, f"a property named by {_kind(key)} is left out")
            continue
        size = _expanded_size(value, budget)
        if size > budget:
            report.warn(
                line,
                column,
                f"property {quoted(key.value)} is left out: with its aliases ('*name')"
                " written out it is larger than the whole front matter",
            )
            continue
        budget -= size
        if key.value in found:
            earlier = found[key.value]
            report.warn(
                earlier.line,
                earlier.column,
                f"property {quoted(key.value)} is set again at line {line}; this value is left out",
            )
        found[key.value] = _Property(name=key.value, node=value, line=line, column=column)
    return found


#: Characters a front matter's values may hold beyond the length of its text.
_SIZE_SLACK = 1_000


def _expanded_size(node: Any, limit: int) -> int:
    """The characters of a YAML value with its aliases written out, plus one
    for each value; counted only up to a little over ``limit``, so that a
    value that aliases make endless costs no more than ``limit`` steps."""
    yaml = yaml_module()
    size = 0
    pending = [node]
    while pending and size <= limit:
        current = pending.pop()
        size += 1
        if isinstance(current, yaml.ScalarNode):
            size += len(current.value)
        elif isinstance(current, yaml.SequenceNode):
            pending.extend(current.value)
        else:
            pending.extend(part for pair in current.value for part in pair)
    return size


def _yaml_problem(error: Any) -> str:
    """PyYAML's error on one line, at its line and column in the note."""
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    if mark is None:
        return f"the front matter is not YAML: {problem}"
    # PyYAML counts from 0, and from the front matter's first line.
    line, column = mark.line + _FIRST_PROPERTY_LINE, mark.column + 1
    return f"the front matter is not YAML at line {line}, column {column}: {problem}"


def _positions(front: str) -> Callable[[int], tuple[int, int]]:
    """A function giving the line and column in the note of the front
    matter's character ``index``. YAML's own marks also count U+0085, U+2028
    and U+2029 as line breaks, which clipdoc, like the file's other readers,
    does not."""
    line_starts = [0, *(match.end() for match in _LINE_BREAK.finditer(front))]

    def position(index: int) -> tuple[int, int]:
        line = bisect.bisect_right(line_starts, index) - 1
        return line + _FIRST_PROPERTY_LINE, index - line_starts[line] + 1

    return position


# ------------------------------------------------------------ reading values


def _text(node: Any) -> str | None:
    """A scalar as it is written (None when null); a list or mapping is unfit."""
    yaml = yaml_module()
    if not isinstance(node, yaml.ScalarNode):
        raise _Unfit(f"is {_kind(node)}, not text")
    return None if node.tag == _NULL else str(node.value)


def _one_line(text: str, warn: Warn) -> str:
    if not has_line_break(text):
        return text
    warn("has a line break, which this field cannot hold; it is read as a space")
    return _LINE_BREAK.sub(" ", text)


def _items(node: Any, warn: Warn, *, split: bool) -> list[str]:
    """The texts of a list property; a text alone is one item, or with
    ``split`` the list of its comma-separated items."""
    yaml = yaml_module()
    if isinstance(node, yaml.ScalarNode):
        text = _text(node) or ""
        return text.split(",") if split else [text]
    if not isinstance(node, yaml.SequenceNode):
        raise _Unfit("is a mapping, not a list")
    items = []
    for number, item in enumerate(node.value, start=1):
        if isinstance(item, yaml.ScalarNode):
            items.append(_text(item) or "")
        else:
            warn(f"has {_kind(item)} as item {number}, not text; that item is left out")
    return items


def _names(node: Any, warn: Warn, *, commas_separate: bool) -> list[str]:
    """The names or tags of a list property, without wiki-link brackets or
    surrounding spaces. Tags cannot hold ',' (Obsidian's rule): one that
    does is read as more than one. A name keeps its commas (``Guest, A.``)."""
    yaml = yaml_module()
    from_list = isinstance(node, yaml.SequenceNode)
    names = []
    for item in _items(node, warn, split=commas_separate):
        name = _one_line(item, warn).strip()
        link = _WIKILINK.fullmatch(name)
        name = link.group(1).strip() if link else name
        parts = [part.strip() for part in name.split(",")] if commas_separate else [name]
        kept = [part for part in parts if part]
        if from_list and len(parts) > 1:
            warn(f"has {quoted(name)}, which holds ',': it is read as {len(kept)} tags")
        names += kept
    return names


def _moment(node: Any) -> date | datetime | str | None:
    """A date property: a date or datetime when YAML reads one, else its
    text; None when empty."""
    text = _text(node)
    if node.tag == _TIMESTAMP:
        try:
            value: date | datetime = _loader()("").construct_yaml_timestamp(node)
        except ValueError:  # a date that does not exist, such as 2025-02-30
            return text
        return value
    return text or None


def _item_text(node: Any) -> str:
    """Any value as the text of one metadata item: a scalar as written, a
    list of texts joined with ', ', anything else (or text with a line
    break) as one line of JSON, which YAML reads as the same structure."""
    yaml = yaml_module()
    if isinstance(node, yaml.ScalarNode):
        text = _text(node) or ""
        return json.dumps(text, ensure_ascii=False) if has_line_break(text) else text
    texts = _flat(node)
    if texts is not None and not any("," in text or has_line_break(text) for text in texts):
        return ", ".join(texts)
    try:
        return json.dumps(_plain(node, [_NODE_BUDGET]), ensure_ascii=False)
    except RecursionError:
        raise _Unfit(_TOO_LARGE) from None


def _flat(node: Any) -> list[str] | None:
    """The texts of a list of non-empty scalars; None for any other value."""
    yaml = yaml_module()
    if not isinstance(node, yaml.SequenceNode):
        return None
    if not all(isinstance(item, yaml.ScalarNode) and item.tag != _NULL for item in node.value):
        return None
    return [str(item.value) for item in node.value]


#: The most YAML nodes a value kept as JSON may have: aliases can make a
#: short text stand for a huge (or endless) structure.
_NODE_BUDGET = 500
_TOO_LARGE = f"is too large to keep (more than {_NODE_BUDGET} values, or nested too deeply)"


def _plain(node: Any, budget: list[int]) -> object:
    """A value as lists, mappings and texts (scalars as written)."""
    yaml = yaml_module()
    budget[0] -= 1
    if budget[0] < 0:
        raise _Unfit(_TOO_LARGE)
    if isinstance(node, yaml.ScalarNode):
        return _text(node)
    if isinstance(node, yaml.SequenceNode):
        return [_plain(item, budget) for item in node.value]
    return {str(_plain(key, budget)): _plain(value, budget) for key, value in node.value}


# ------------------------------------------------------------------- edits


def _metadata(clipping: Clipping) -> Metadata:
    return clipping.metadata or Metadata()


def _with_item(clipping: Clipping, label: str, text: str | None) -> Clipping:
    """The clipping with the item ``label: text`` (or without it, for None)."""
    return _with_items(clipping, label, [] if text is None else [text])


def _with_items(clipping: Clipping, label: str, texts: list[str]) -> Clipping:
    """The clipping with one item ``label`` per text where its first such
    item was (else at the end), and no other: a note shows one list of a
    label's values (作者, 标签), as a feed gives one item a value."""
    metadata = _metadata(clipping)
    try:
        if label in KNOWN_LABELS:  # a field: one value
            changed = metadata.set(label, texts[0] if texts else None)
        else:
            extra = list(metadata.extra)
            at = next((i for i, (key, _) in enumerate(extra) if key == label), len(extra))
            rest = [item for item in extra[at:] if item[0] != label]
            changed = attrs.evolve(
                metadata, extra=[*extra[:at], *((label, t) for t in texts), *rest]
            )
    except ClipdocError as error:
        raise _Unfit(f"cannot be the metadata item {quoted(label)}: {error.message}") from None
    if changed == metadata:
        return clipping
    return attrs.evolve(clipping, metadata=changed)


def _line_of(node: Any, warn: Warn) -> str:
    """A one-line field's text. A block scalar (``|`` or ``>``) ends with the
    line break YAML adds to its last line, which the text never had."""
    text = _text(node) or ""
    if node.style in ("|", ">") and text.endswith("\n"):
        text = text[:-1]
    return _one_line(text, warn)


def _title(clipping: Clipping, node: Any, warn: Warn) -> Clipping:
    return attrs.evolve(clipping, title=_line_of(node, warn))


def _source(clipping: Clipping, node: Any, warn: Warn) -> Clipping:
    return attrs.evolve(clipping, url=_line_of(node, warn) or None)


def _authors(clipping: Clipping, node: Any, warn: Warn) -> Clipping:
    return _with_items(clipping, AUTHOR, _names(node, warn, commas_separate=False))


def _tag_edit(*, default_kept: bool) -> Edit:
    def tags(clipping: Clipping, node: Any, warn: Warn) -> Clipping:
        names = _names(node, warn, commas_separate=True)
        if default_kept and DEFAULT_TAG not in names:
            warn(f"lacks the tag {quoted(DEFAULT_TAG)}, which every note has; it stays")
        kept = list(dict.fromkeys(name for name in names if name != DEFAULT_TAG))
        return _with_items(clipping, TAGS, kept)

    return tags


def _published(clipping: Clipping, node: Any, warn: Warn) -> Clipping:
    value = _moment(node)
    text: str | None
    if isinstance(value, datetime):
        text = value.isoformat() if offset_problem(value) else format_timestamp(value)
    elif isinstance(value, date):
        text = value.isoformat()
    else:
        text = None if value is None else _one_line(value, warn)
    return _with_item(clipping, PUBLISHED, text)


def _created(clipping: Clipping, node: Any, warn: Warn) -> Clipping:
    """The catalog date, and for a time with an offset the save time too."""
    found = _moment(node)
    try:
        value = (
            datetime.fromisoformat(found.replace("Z", "+00:00"))
            if isinstance(found, str)
            else found
        )
    except ValueError:
        raise _Unfit(f"is {quoted(str(found))}, not a date") from None
    if value is None:
        raise _Unfit("is empty")
    metadata = _metadata(clipping)
    if not isinstance(value, datetime):
        return attrs.evolve(clipping, metadata=attrs.evolve(metadata, catalog_date=value))
    problem = offset_problem(value)
    if problem is not None:
        if value.utcoffset() is None:
            problem = "it has no UTC offset: add one, such as Z or +08:00"
        warn(f"is a time that cannot be a save time ({problem}); only its date is read")
        return attrs.evolve(clipping, metadata=attrs.evolve(metadata, catalog_date=value.date()))
    return attrs.evolve(
        clipping, metadata=attrs.evolve(metadata, saved_at=value, catalog_date=value.date())
    )


def _ai_summary(clipping: Clipping, node: Any, warn: Warn) -> Clipping:
    if description_of(clipping.ai_summary) != (clipping.ai_summary or ""):
        raise _Unfit(
            "shows the AI summary shortened to one line, so an edit cannot be applied to it;"
            " edit the '## AI 摘要' section of the note instead"
        )
    return attrs.evolve(clipping, ai_summary=_text(node) or None)


def _item_of(label: str) -> Edit:
    """An edit that keeps a value as the metadata item ``label`` (an empty
    value, a template's placeholder, keeps nothing)."""

    def item(clipping: Clipping, node: Any, warn: Warn) -> Clipping:
        if _view(node) is None:
            return clipping
        return _with_item(clipping, label, _item_text(node))

    return item


#: What each property of a note `to_note` wrote is an edit of, and what is
#: kept when the edit cannot be read.
_EDITS: dict[str, tuple[Edit, str]] = {
    TITLE: (_title, "the title is kept"),
    SOURCE: (_source, "the URL is kept"),
    AUTHORS: (_authors, "the 作者 item is kept"),
    PUBLISHED_ON: (_published, "the 发布时间 item is kept"),
    CREATED: (_created, "the catalog date and the save time are kept"),
    DESCRIPTION: (_ai_summary, "the AI summary is kept"),
    TAG_LIST: (_tag_edit(default_kept=True), "the 标签 item is kept"),
}

#: What each property of a page note (Web Clipper's own) is read into;
#: there is nothing to keep when one cannot be.
_PAGE_READS: dict[str, tuple[Edit, str]] = {
    name: (edit, "it is left out")
    for name, edit in {
        **{name: edit for name, (edit, _) in _EDITS.items()},
        DESCRIPTION: _item_of(DESCRIBED),
        TAG_LIST: _tag_edit(default_kept=False),
        "url": _source,
    }.items()
}


def _apply(
    clipping: Clipping,
    items: Iterable[_Property],
    reads: dict[str, tuple[Edit, str]],
    report: _Report,
) -> Clipping:
    """``clipping`` with each item read into its field, or into a metadata
    item of its name; an item that cannot be is reported and left out.

    The items of other names are gathered and placed in one step, before the
    next field's edit (which may add items too, so the order stays that of
    the note): one at a time, each would copy every item, and a note of
    thousands of properties would take minutes."""
    gathered: dict[str, str] = {}
    for item in items:
        warn = report.about(item)
        read = reads.get(item.name)
        if read is None and item.name not in KNOWN_LABELS:
            try:
                text = _other_item(item)
            except _Unfit as problem:
                warn(f"{problem}; it is left out")
                continue
            if text is not None:
                gathered[item.name] = text
            continue
        clipping = _with_gathered(clipping, gathered)
        gathered = {}
        edit, kept = read or (_item_of(item.name), "it is left out")
        try:
            clipping = edit(clipping, item.node, warn)
        except _Unfit as problem:
            warn(f"{problem}; {kept}")
    return _with_gathered(clipping, gathered)


def _other_item(item: _Property) -> str | None:
    """The text of the metadata item a property of no field of its own is
    kept as (None for an empty value, which keeps nothing)."""
    if _view(item.node) is None:
        return None
    text = _item_text(item.node)
    try:
        Metadata(extra=[(item.name, text)])
    except ClipdocError as error:
        raise _Unfit(f"cannot be the metadata item {quoted(item.name)}: {error.message}") from None
    return text


def _with_gathered(clipping: Clipping, gathered: dict[str, str]) -> Clipping:
    """The clipping with one item per gathered label and text: where the
    first item of that label was (the label's other items go), else at the
    end, as `_with_items` places one label's."""
    if not gathered:
        return clipping
    metadata = _metadata(clipping)
    extra: list[tuple[str, str]] = []
    placed: set[str] = set()
    for key, value in metadata.extra:
        if key not in gathered:
            extra.append((key, value))
        elif key not in placed:
            extra.append((key, gathered[key]))
            placed.add(key)
    extra += [(key, text) for key, text in gathered.items() if key not in placed]
    return attrs.evolve(clipping, metadata=attrs.evolve(metadata, extra=extra))


# ------------------------------------------------------------ the two kinds


def _edited(clipping: Clipping, given: dict[str, _Property], report: _Report) -> Clipping:
    """The document of a note `to_note` wrote, with the edits of its properties."""
    written = written_views(clipping)
    if not written.keys() & given.keys():
        written = {}  # front matter of another tool: nothing of to_note's was removed
    for name, view in written.items():
        # Only a property that showed something is missed: tags that are
        # only the default tag, say, are not.
        if name not in given and view not in (None, (DEFAULT_TAG,)):
            kept = _EDITS[name][1]
            report.warn(1, 1, f"property {quoted(name)} was removed; {kept}")
    given = dict(given)
    stamp = given.pop(FINGERPRINT, None)
    changed = [
        item
        for name, item in given.items()
        if not (name in written and _view(item.node) == written[name])
        # an empty author list where to_note writes none:
        and not (name not in written and name in WRITTEN and _view(item.node) is None)
    ]
    if stamp is not None:
        changed = _edited_since_written(changed, stamp, written, report)
    return _apply(clipping, changed, _EDITS, report)


def _edited_since_written(
    differing: list[_Property], stamp: _Property, written: dict[str, object], report: _Report
) -> list[_Property]:
    """Of the properties that differ from what the body shows, those edited
    since the note was written: one that still shows what its fingerprint
    says it showed was not (the body was edited instead). Both edited is
    said."""
    shown = shown_hashes(_text_or_none(stamp.node))
    if shown is None:
        return differing
    edited = [item for item in differing if shown.get(item.name) != view_hash(_view(item.node))]
    for item in edited:
        if item.name in written and shown.get(item.name) != view_hash(written[item.name]):
            report.about(item)(
                "was edited, and so was what it shows in the note's body: the property's"
                " value is kept, the body's replaced"
            )
    return edited


def note_of(clipping: Clipping) -> str:
    """The note `to_note` writes: its properties show what `written_views`
    reads back, and their fingerprint says so."""
    return note_text(clipping, written_views(clipping))


def _text_or_none(node: Any) -> str:
    """A scalar's text, or '' for anything else."""
    try:
        return _text(node) or ""
    except _Unfit:
        return ""


#: Characters that YAML reads as line breaks, which PyYAML may write as such
#: (and read back folded); any other text reads back as it was written.
_MAY_FOLD = re.compile("[\n\r\x85\u2028\u2029]")


def written_views(clipping: Clipping) -> dict[str, object]:
    """The `_view` of each property `to_note` writes for ``clipping``, as
    its note reads back. Written out and read only when a text holds a
    character YAML may fold; otherwise taken from the values themselves."""
    shown = properties(clipping)
    texts = [value for value in shown.values() if isinstance(value, str)]
    texts += [item for value in shown.values() if isinstance(value, list) for item in value]
    if any(_MAY_FOLD.search(text) for text in texts):
        read = _properties(front_matter(clipping), _Report())
        return {name: _view(item.node) for name, item in read.items()}
    return {name: _value_view(value) for name, value in shown.items()}


def _value_view(value: object) -> object:
    """`_view` of the node PyYAML writes for a value `properties` gives."""
    if isinstance(value, list):
        return tuple(value) or None
    if isinstance(value, date):
        return value.isoformat()
    return value or None


def _view(node: Any) -> object:
    """A value as a note shows it, for telling whether it was edited: text as
    written, empty (null, '' or []) as None. Any other shape is never what
    `to_note` writes, so it is itself (equal to nothing else)."""
    yaml = yaml_module()
    if isinstance(node, yaml.ScalarNode):
        return None if node.tag == _NULL or node.value == "" else node.value
    if isinstance(node, yaml.SequenceNode) and not node.value:
        return None
    texts = _flat(node)
    return node if texts is None else tuple(texts)


def _page(given: dict[str, _Property], body: str, report: _Report) -> Clipping:
    """The clipping of a page note: its properties, and its Markdown as extra
    sections."""
    clipping = Clipping(title="", extra_sections=page_sections(body))
    reads = _PAGE_READS
    if SOURCE in given:  # then ``url`` is a property like any other
        reads = {name: read for name, read in _PAGE_READS.items() if name != "url"}
    return _apply(clipping, given.values(), reads, report)


def page_sections(markdown: str) -> tuple[Section, ...]:
    """A page's Markdown as extra sections: what comes before its first
    ``##`` heading in a `PAGE_HEADING` section, then a section for each
    ``##`` heading, so that the headings stay headings. A ``##`` line in a
    code fence, or one whose heading is a known section's or already taken,
    stays in the section before (escaped, as a body line)."""
    taken = {*KNOWN_HEADINGS, PAGE_HEADING}
    sections: list[Section] = []
    heading, lines = PAGE_HEADING, list[str]()
    fence: str | None = None
    for line in _LINE_BREAK.split(markdown):
        fence = _fence_after(fence, line)
        text = line.lstrip(" ")[2:].strip(" \t")
        opens = fence is None and SECTION_HEADING.match(line) is not None
        if opens and text not in taken and not text.startswith(UNPARSED_PREFIX):
            sections.append(Section(heading=heading, body=_trimmed(lines)))
            heading, lines = text, []
            taken.add(text)
            continue
        lines.append(line)
    sections.append(Section(heading=heading, body=_trimmed(lines)))
    if sections[0].body == "":
        del sections[0]  # no text before the first heading
    return tuple(sections)


def _fence_after(fence: str | None, line: str) -> str | None:
    """The code fence open after ``line``, given the one open before it."""
    match = _FENCE.match(line)
    if match is None:
        return fence
    marks = match.group(1)
    if fence is None:
        return None if marks[0] == "`" and "`" in line[match.end() :] else marks
    closes = marks[0] == fence[0] and len(marks) >= len(fence) and not line[match.end() :].strip()
    return None if closes else fence


def _trimmed(lines: list[str]) -> str:
    """Lines as a section body, without the blank lines around them."""
    start, end = 0, len(lines)
    while start < end and not lines[start].strip(" \t"):
        start += 1
    while end > start and not lines[end - 1].strip(" \t"):
        end -= 1
    return "\n".join(lines[start:end])
