"""Front-matter notes: lossless for clipdoc's, edits kept, Web Clipper's read
as pages, and every property that cannot be read back named in a warning."""

from __future__ import annotations

import re
import subprocess
import sys
import warnings
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from unittest import mock

import attrs
import frontmatter
import pytest
import yaml
from hypothesis import assume, given
from hypothesis import strategies as st

import clipdoc
import strategies
from clipdoc import ClipdocError, ClipdocWarning, Clipping, Metadata, Section, notes
from clipdoc._core.timestamps import format_timestamp
from clipdoc._interop import note_reading, note_writing
from clipdoc._interop.note_reading import page_sections
from conftest import EXAMPLE, ROOT, shared_corpus_files

NOTES = ROOT / "tests" / "data" / "notes"
WEB_CLIPPER = NOTES / "web-clipper"
SCRIPT = Path(sys.executable).with_name("clipdoc")


def _real() -> list[Clipping]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ClipdocWarning)
        return [clipdoc.load(path) for path in shared_corpus_files() or [EXAMPLE]]


def _read(text: str, **options: bool) -> tuple[Clipping, list[str]]:
    """The clipping of a note, and the messages of its CD603 warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clip = notes.from_note(text, **options)
    found = [w.message for w in caught if isinstance(w.message, ClipdocWarning)]
    return clip, [str(w) for w in found if w.diagnostic.code == "CD603"]


def _named(messages: list[str]) -> set[str]:
    """The properties that CD603 messages name."""
    return {m.group(1) for m in (re.search(r"property '([^']*)'", text) for text in messages) if m}


def _note(front: str, body: str = "# t\n") -> str:
    return f"---\n{front}---\n{body}"


# ---------------------------------------------------------------- round trip


def test_real_documents_round_trip_and_frontmatter_reads_the_types() -> None:
    for clip in _real():
        note = notes.to_note(clip)
        assert _read(note) == (clip, [])
        post = frontmatter.loads(note)
        assert post["title"] == clip.title
        assert post["source"] == clip.url
        assert isinstance(post["tags"], list)
        assert post["tags"][0] == "clippings"
        assert isinstance(post["created"], date)
        assert post.content.rstrip("\n") == clipdoc.render(clip).rstrip("\n")


@given(clip=strategies.clippings)
def test_every_clipping_round_trips(clip: Clipping) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert notes.from_note(notes.to_note(clip)) == clip


def test_properties_from_metadata() -> None:
    clip = Clipping(
        title="t",
        url="https://example.com",
        ai_summary="摘要 " * 100,
        metadata=Metadata(
            catalog_date=date(2025, 5, 6),
            extra={"作者": "甲, 乙", "发布时间": "2025-05-01T08:00:00Z", "标签": "AI, LLM"},
        ),
    )
    post = frontmatter.loads(notes.to_note(clip))
    assert post["author"] == ["[[甲, 乙]]"]  # one 作者 item: one name, commas and all
    assert post["published"] == date(2025, 5, 1)
    assert post["created"] == date(2025, 5, 6)
    assert post["tags"] == ["clippings", "AI", "LLM"]
    description = str(post["description"])
    assert len(description) == 200
    assert description.endswith("…")


# -------------------------------------------------------- edits, as Obsidian


def test_a_note_edited_in_obsidian_keeps_each_edit() -> None:
    seed = clipdoc.load(EXAMPLE)
    clip, messages = _read((NOTES / "edited-in-obsidian.md").read_text(encoding="utf-8"))
    assert messages == []
    assert clip.title == "阿里通义应用视觉团队负责人薄列峰离职"
    assert clip.metadata is not None
    assert seed.metadata is not None
    assert clip.metadata.extra == (
        ("发布时间", "2025-05-05"),
        ("标签", "人事变动"),
        ("标签", "阿里"),
        ("作者", "量子位"),
    )
    unchanged = ("url", "original_summary", "ai_summary", "extra_sections")
    assert all(getattr(clip, name) == getattr(seed, name) for name in unchanged)
    assert clip.metadata.items()[:4] == seed.metadata.items()
    # Written out again, the note shows the edits.
    post = frontmatter.loads(notes.to_note(clip))
    assert (post["title"], post["published"]) == (clip.title, date(2025, 5, 5))
    assert (post["tags"], post["author"]) == (["clippings", "人事变动", "阿里"], ["[[量子位]]"])


_EDITABLE = ("title", "tags", "author", "published")
_names = st.lists(
    st.one_of(
        strategies.hostile_text,
        st.text(max_size=8),
        st.sampled_from(["Ada Park", "[[量子位]]", " x ", "a, b", "[[a|b]]", "", "clippings"]),
    ),
    max_size=4,
)
_edits = st.fixed_dictionaries(
    {},
    optional={
        "title": st.one_of(strategies.single_line, strategies.hostile_text, st.text(max_size=12)),
        "tags": _names.map(lambda tags: ["clippings", *tags]) | _names,
        "author": _names,
        "published": st.none()
        | strategies.dates
        | strategies.timestamps
        | st.datetimes(min_value=datetime(1, 1, 2)),
    },
)


def _empty(value: object) -> object:
    return None if value in ("", [], None) else value


def _one_line(text: str) -> tuple[str, bool]:
    folded = re.sub(r"\r\n|\r|\n", " ", text)
    return folded, folded != text


def _listed(items: list[str], *, split: bool) -> tuple[list[str], bool]:
    """Names as the documented rules read them: each item on one line,
    without surrounding spaces or [[ ]]; a tag holding ',' is split there
    (reported), a name keeps its commas."""
    names, reported = [], False
    for item in items:
        name, folded = _one_line(item)
        name = name.strip()
        link = re.fullmatch(r"\[\[(.*)\]\]", name, re.DOTALL)
        name = link.group(1).strip() if link else name
        parts = [part.strip() for part in name.split(",")] if split else [name]
        reported |= folded or len(parts) > 1
        names += [part for part in parts if part]
    return names, reported


def _set_all(metadata: Metadata, label: str, texts: list[str]) -> Metadata:
    """One item ``label`` per text, where the first was, and no other."""
    extra = list(metadata.extra)
    at = next((i for i, (key, _) in enumerate(extra) if key == label), len(extra))
    rest = [item for item in extra[at:] if item[0] != label]
    return attrs.evolve(metadata, extra=[*extra[:at], *((label, t) for t in texts), *rest])


def _published_text(value: date | datetime | None) -> str | None:
    if isinstance(value, datetime):
        return format_timestamp(value) if value.tzinfo is not None else value.isoformat()
    return None if value is None else value.isoformat()


def _expected(
    before: Clipping, held: dict[str, Any], shown: dict[str, Any]
) -> tuple[Clipping, set[str]]:
    """``before`` with the edits a note holds (``held``, where ``shown`` is
    what it held before them), and the properties whose edit is reported."""
    clip, reported = before, set()
    for name, value in held.items():
        if name not in _EDITABLE or _empty(value) == _empty(shown.get(name)):
            continue
        if name == "title":
            title, folded = _one_line(value or "")
            clip = attrs.evolve(clip, title=title)
            reported |= {name} if folded else set()
            continue
        if name == "published":
            text = _published_text(value)
            if text is not None or (clip.metadata is not None and clip.metadata.get("发布时间")):
                metadata = (clip.metadata or Metadata()).set("发布时间", text)
                clip = attrs.evolve(clip, metadata=metadata)
            continue
        names, problem = _listed(value or [], split=name == "tags")
        if name == "tags":
            problem |= "clippings" not in names
            names = list(dict.fromkeys(tag for tag in names if tag != "clippings"))
        reported |= {name} if problem else set()
        metadata = _set_all(
            clip.metadata or Metadata(), "标签" if name == "tags" else "作者", names
        )
        if metadata != (clip.metadata or Metadata()):
            clip = attrs.evolve(clip, metadata=metadata)
    return clip, reported


@given(clip=strategies.clippings, edits=_edits)
def test_edits_of_title_tags_author_and_published_are_kept(
    clip: Clipping, edits: dict[str, Any]
) -> None:
    post = frontmatter.loads(notes.to_note(clip))
    shown = dict(post.metadata)
    untouched = frontmatter.dumps(post)
    post.metadata.update(edits)
    edited = frontmatter.dumps(post)
    # What the notes hold: the values as YAML reads them back.
    try:
        held_before = frontmatter.loads(untouched).metadata
        held = frontmatter.loads(edited).metadata
    except yaml.YAMLError:
        # python-frontmatter strips the end of the front matter it writes,
        # and with it a Unicode space ending the last value: what is left
        # may not be YAML (`title: =`), and it cannot read its own note.
        assume(False)

    before, messages = _read(untouched)
    assert messages == []
    document = clipdoc.render(clip)
    # python-frontmatter strips the end of the properties and of the content.
    if held_before == shown and document.strip() == document[:-1]:
        assert before == clip

    # python-frontmatter's own edit of the body (a title line at its end
    # that ends in a space) and an edit of the title property are both
    # edits of the title: rightly a CD603, which _expected does not foresee.
    assume("title" not in edits or document.strip() == document[:-1])
    after, messages = _read(edited)
    expected, reported = _expected(before, held, held_before)
    assert after == expected
    assert _named(messages) == reported


_body_edits = st.fixed_dictionaries(
    {},
    optional={
        "title": strategies.single_line,
        "url": st.none() | strategies.single_line,
        "ai_summary": st.none() | strategies.bodies,
        "original_summary": st.none() | strategies.bodies,
    },
)


@given(clip=strategies.clippings, edits=_body_edits, date_edit=st.none() | strategies.dates)
def test_edits_of_the_body_are_kept_when_the_properties_are_not_edited(
    clip: Clipping, edits: dict[str, Any], date_edit: date | None
) -> None:
    """The properties still show what they showed when the note was written
    (its fingerprint says so): the edited body is the clipping, every edit
    of it kept, even of what a property shows."""
    edited = attrs.evolve(clip, **edits)
    if date_edit is not None:
        edited = attrs.evolve(
            edited, metadata=attrs.evolve(edited.metadata or Metadata(), catalog_date=date_edit)
        )
    note = notes.to_note(clip)
    body_start = note.index("\n---\n", 3) + len("\n---\n")
    after, messages = _read(note[:body_start] + clipdoc.render(edited))
    assert after == edited
    assert messages == []


def test_a_property_and_the_body_both_edited_is_said() -> None:
    clip = Clipping(title="Old", ai_summary="x")
    note = notes.to_note(clip).replace("title: Old", "title: From the property", 1)
    note = note.replace("# Old", "# From the body", 1)
    after, messages = _read(note)
    assert after.title == "From the property"
    assert _named(messages) == {"title"}
    assert "so was what it shows in the note's body" in messages[0]


# ------------------------------------------------------ what cannot be kept


def test_an_edit_of_a_shortened_description_is_reported() -> None:
    clip = Clipping(
        title="t", ai_summary="line one\nline two", metadata=Metadata(extra={"作者": "A"})
    )
    post = frontmatter.loads(notes.to_note(clip))
    post["description"] = "my own summary"
    after, messages = _read(frontmatter.dumps(post))
    assert after == clip
    assert _named(messages) == {"description"}
    assert "AI 摘要" in messages[0]
    # A description that shows the whole AI summary is the AI summary.
    short = Clipping(title="t", ai_summary="Short.")
    post = frontmatter.loads(notes.to_note(short))
    post["description"] = "Shorter."
    assert _read(frontmatter.dumps(post)) == (Clipping(title="t", ai_summary="Shorter."), [])


def test_removed_properties_and_lost_parts_of_edits_are_reported() -> None:
    clip = Clipping(
        title="t",
        url="https://example.com/a",
        metadata=Metadata(catalog_date=date(2025, 5, 6), extra={"作者": "A", "标签": "x"}),
    )
    post = frontmatter.loads(notes.to_note(clip))
    del post["source"]
    del post["author"]
    post["tags"] = ["x", "y, z"]  # no 'clippings', and a comma
    post["title"] = "two\nlines"
    post["created"] = None
    after, messages = _read(frontmatter.dumps(post))
    assert _named(messages) == {"source", "author", "tags", "title", "created"}
    assert after.url == clip.url
    assert after.title == "two lines"
    assert after.metadata == Metadata(
        catalog_date=date(2025, 5, 6),
        extra=[("作者", "A"), ("标签", "x"), ("标签", "y"), ("标签", "z")],
    )


def test_created_reads_a_save_time_with_its_offset() -> None:
    clip = Clipping(title="t", metadata=Metadata(catalog_date=date(2025, 5, 6)))
    post = frontmatter.loads(notes.to_note(clip))
    saved = datetime(2025, 5, 7, 9, 30, tzinfo=timezone(timedelta(hours=8)))
    post["created"] = saved
    after, messages = _read(frontmatter.dumps(post))
    assert messages == []
    assert after.metadata == Metadata(saved_at=saved, catalog_date=date(2025, 5, 7))
    post["created"] = datetime(2025, 5, 8, 9, 30)  # no offset: only the date is kept
    after, messages = _read(frontmatter.dumps(post))
    assert _named(messages) == {"created"}
    assert after.metadata == Metadata(catalog_date=date(2025, 5, 8))


def test_added_properties_become_metadata_items() -> None:
    clip = Clipping(title="t", metadata=Metadata(catalog_date=date(2025, 5, 6)))
    post = frontmatter.loads(notes.to_note(clip))
    post["rating"] = 4
    post["topics"] = ["AI", "agents"]
    post["links"] = {"paper": "https://arxiv.org/abs/1"}
    post["来源"] = "Obsidian"
    post["empty"] = None
    after, messages = _read(frontmatter.dumps(post))
    assert messages == []
    assert after.metadata is not None
    assert after.metadata.source == "Obsidian"
    assert dict(after.metadata.extra) == {
        "links": '{"paper": "https://arxiv.org/abs/1"}',
        "rating": "4",
        "topics": "AI, agents",
    }


# --------------------------------------------------- wrong shapes, no crash

_SEED_BODY = EXAMPLE.read_text(encoding="utf-8")


def _seed_note_with(front: str) -> str:
    """The seed's note, with the properties ``front`` sets in place of its own."""
    written = notes.to_note(clipdoc.load(EXAMPLE)).split("---\n")[1]
    names = set(re.findall(r"^([\w-]+):", front, re.MULTILINE))
    blocks = re.findall(r"^[\w-]+:.*\n(?:- .*\n)*", written, re.MULTILINE)
    kept = [block for block in blocks if block.split(":")[0] not in names]
    return _note("".join(kept) + front, _SEED_BODY)


@pytest.mark.parametrize(
    ("front", "field", "value", "named"),
    [
        # A number, a date or a boolean as title is the text it is written as.
        ("title: 2024\n", "title", "2024", set()),
        ("title: 2025-05-06\n", "title", "2025-05-06", set()),
        ("title: yes\n", "title", "yes", set()),
        ("title: [a, b]\n", "title", "same", {"title"}),
        ("title: {a: 1}\n", "title", "same", {"title"}),
        ("title: &t [*t]\n", "title", "same", {"title"}),
        ("title:\n", "title", "", set()),
        # A string of tags is its comma-separated tags.
        ("tags: clippings, AI, LLM\n", "标签", "AI, LLM", set()),
        ("tags: {a: 1}\n", "标签", None, {"tags"}),
        ("tags: [clippings, [a], b]\n", "标签", "b", {"tags"}),
        ("tags:\n", "标签", None, {"tags"}),
        ("tags: [clippings, 2025-05-06, 3.0, true]\n", "标签", "2025-05-06, 3.0, true", set()),
        ("author: null\n", "作者", None, set()),
        ("published: null\n", "发布时间", None, set()),
        ("published: 2025-05-01\ncreated: 2025-05-07\n", "目录日期", "2025-05-07", set()),
        ("author: 甲, 乙\n", "作者", "甲, 乙", set()),
        ("author: [null, '[[甲]]', {x: 1}]\n", "作者", "甲", {"author"}),
        ("published: 2025-02-30\n", "发布时间", "2025-02-30", set()),
        ("published: May 2025\n", "发布时间", "May 2025", set()),
        ("published: [2025]\n", "发布时间", None, {"published"}),
        ("published: 2025-05-01 08:00:00+08:00\n", "发布时间", "2025-05-01T08:00:00+08:00", set()),
        ("created: soon\n", "目录日期", "2025-05-06", {"created"}),
        ("created: {a: 1}\n", "目录日期", "2025-05-06", {"created"}),
        ("source: null\n", "url", None, set()),
        ("source: [a]\n", "url", "same", {"source"}),
        ("description: {a: 1}\n", "ai_summary", "same", {"description"}),
        ("? [a, b]\n: x\n", "title", "same", {""}),
        ("x: 1\nx: 2\n", "x", "2", {"x"}),
        ("'k**:': v\n", "k**:", None, {"k**:"}),
        ('"a\\nb": v\n', "a\nb", None, {"a\\nb"}),  # a line break, quoted in messages
    ],
)
def test_wrong_shapes_in_front_matter(
    front: str, field: str, value: str | None, named: set[str]
) -> None:
    seed = clipdoc.load(EXAMPLE)
    clip, messages = _read(_seed_note_with(front))
    assert _named(messages) | ({""} if "named by" in " ".join(messages) else set()) >= named
    assert _named(messages) <= named
    assert seed.metadata is not None
    assert clip.metadata is not None
    if field in ("title", "url", "ai_summary"):
        assert getattr(clip, field) == (getattr(seed, field) if value == "same" else value)
    else:
        assert ", ".join(text for label, text in clip.metadata.items() if label == field) == (
            value or ""
        )
    others = tuple(item for item in seed.metadata.items() if item[0] != field)
    assert (
        tuple(item for item in clip.metadata.items() if item[0] != field)[: len(others)] == others
    )


@pytest.mark.parametrize(
    "text",
    ["# no front matter\n", "---\n[unclosed\n---\nbody\n", "---\n- a list\n---\nbody\n", "",
     "---\n" + "[" * 5000 + "\n---\n", "---\ntitle: \"C:\\Users\"\n---\nbody\n"],
)  # fmt: skip
def test_what_is_not_a_note(text: str) -> None:
    with pytest.raises(ClipdocError) as caught:
        notes.from_note(text)
    assert caught.value.code == "CD601"


def test_wrong_shapes() -> None:
    with pytest.raises(TypeError):
        notes.to_note({"title": "t"})  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        notes.from_note(b"---\n---\n")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        notes.from_note(["---", "---"])  # type: ignore[arg-type]


def test_a_body_with_errors_raises_unless_recovered() -> None:
    body = "# t\n\nstray words\n\n## AI 摘要\n\nx\n"
    with pytest.raises(ClipdocError) as caught:
        notes.from_note(_note("title: t\n", body))
    assert (caught.value.code, caught.value.line) == ("CD107", 6)  # its line in the note
    with warnings.catch_warnings(record=True) as caught_warnings:
        warnings.simplefilter("always")
        clip = notes.from_note(_note("title: t\n", body), recover=True)
    assert clip.ai_summary == "x"
    assert clip.extra_sections[0].body == "stray words"
    codes = [w.message.diagnostic.code for w in caught_warnings]  # type: ignore[union-attr]
    assert codes == ["CD603", "CD107"]  # the description is missing; the stray words


# ------------------------------------------------------ Web Clipper's notes


def _web_clipper(name: str) -> Clipping:
    clip, messages = _read((WEB_CLIPPER / name).read_text(encoding="utf-8"))
    assert messages == []
    # What is read is a clipping that documents and notes keep exactly.
    assert clipdoc.parse(clipdoc.render(clip)) == clip
    assert _read(notes.to_note(clip)) == (clip, [])
    return clip


def test_a_web_clipper_note_keeps_its_page_as_markdown() -> None:
    clip = _web_clipper("How we cut our CLI start-up time.md")
    assert clip.title == "How we cut our CLI's start-up time from 800 ms to 70 ms"
    assert clip.url == "https://blog.example.org/2025/03/faster-cli-startup"
    assert (clip.original_summary, clip.ai_summary) == (None, None)
    assert [section.heading for section in clip.extra_sections] == [
        "原文", "Measuring first", "Lazy imports", "Results",
    ]  # fmt: skip
    assert clip.extra_sections[0].body.startswith("Our command-line tool took almost")
    measuring = clip.extra_sections[1].body
    assert measuring.count("```") == 2  # the code block is whole
    assert "\n## the slowest imports come last\n" in measuring
    assert "### What we changed" in clip.extra_sections[2].body
    assert clip.metadata == Metadata(
        catalog_date=date(2025, 8, 26),
        extra=(
            ("作者", "Ada Park"),
            ("作者", "Lin Wei"),
            ("发布时间", "2025-03-18"),
            (
                "描述",
                "Import time dominated our command-line tool's start-up. Lazy imports, a"
                ' smaller dependency tree and one "warm" cache cut it by a factor of ten.',
            ),
        ),
    )
    # The page's headings stay headings: only the one in the code block is escaped.
    document = clipdoc.render(clip)
    assert "\n## Measuring first\n" in document
    assert "\n\\## the slowest imports come last\n" in document


def test_a_web_clipper_note_keeps_the_time_of_created() -> None:
    clip = _web_clipper("通义千问发布新一代多模态模型.md")
    assert clip.metadata is not None
    assert clip.metadata.saved_at == datetime(
        2025, 5, 6, 16, 3, 26, tzinfo=timezone(timedelta(hours=8))
    )
    assert clip.metadata.get("保存时间") == "2025-05-06T16:03:26+08:00"
    assert clip.metadata.catalog_date == date(2025, 5, 6)
    assert [text for label, text in clip.metadata.extra if label == "标签"] == ["AI", "多模态"]
    assert clip.metadata.get("描述") == "新模型在多项视觉问答基准上超过上一代，开源权重同步发布。"
    assert clip.ai_summary is None
    assert [section.heading for section in clip.extra_sections] == [
        "原文", "一、能力提升", "二、开源与价格", "三、网友评价",
    ]  # fmt: skip


def test_a_web_clipper_note_with_empty_properties() -> None:
    clip = _web_clipper("Release notes 2.4.md")
    assert clip.metadata == Metadata(catalog_date=date(2025, 8, 27))
    assert [section.heading for section in clip.extra_sections] == ["New", "Fixed"]


def test_page_sections_keep_known_and_repeated_headings_in_their_section() -> None:
    page = "intro\n\n## AI 摘要\n\n## A\n\n```\n## in code\n```\n\n## A\n\n##\n~~~~\n## x\n~~~\n"
    assert page_sections(page) == (
        Section(heading="原文", body="intro\n\n## AI 摘要"),
        Section(heading="A", body="```\n## in code\n```\n\n## A"),
        Section(heading="", body="~~~~\n## x\n~~~"),
    )
    assert page_sections("") == ()
    assert page_sections("\r\n## 原文\r\nx\r\n") == (Section(heading="原文", body="## 原文\nx"),)


# ------------------------------------------------------------- the command


def test_convert_reports_each_note_property_it_cannot_keep(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    (vault / "2025-05-06").mkdir(parents=True)
    clip = clipdoc.load(EXAMPLE)
    post = frontmatter.loads(notes.to_note(clip))
    post["description"] = "edited"
    post["title"] = "New title"
    note = vault / "2025-05-06" / "a.md"
    note.write_text(frontmatter.dumps(post) + "\n", encoding="utf-8")
    broken = vault / "2025-05-06" / "b.md"
    broken.write_text(_note("title: b\n", "# b\n\nstray\n\n## AI 摘要\n\nx\n"), encoding="utf-8")
    back = tmp_path / "back"
    done = subprocess.run(
        [str(SCRIPT), "convert", "--from", "notes", str(vault), str(back)],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr  # b.md has an error and is skipped
    line = next(line for line in done.stderr.splitlines() if "CD603" in line)
    assert re.match(rf"{re.escape(str(note))}:\d+:1: CD603 property 'description' ", line)
    assert f"{broken}: skipped because of the errors above" in done.stderr
    assert "not canonical" not in done.stderr  # a note's warning says nothing of that
    assert clipdoc.load(back / "2025-05-06" / "a.md").title == "New title"
    assert not (back / "2025-05-06" / "b.md").exists()
    done = subprocess.run(
        [str(SCRIPT), "convert", "--from", "notes", "--recover", str(vault), str(tmp_path / "all")],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert (tmp_path / "all" / "2025-05-06" / "b.md").exists(), done.stderr


@given(clip=strategies.clippings)
def test_what_to_note_writes_is_known_without_reading_it_back(clip: Clipping) -> None:
    slow = note_reading._properties(note_writing.front_matter(clip), note_reading._Report())
    assert note_reading.written_views(clip) == {
        name: note_reading._view(item.node) for name, item in slow.items()
    }


def test_a_clipping_with_an_item_per_author_shows_and_edits_them_all() -> None:
    # clipdoc import writes one 作者 and one 标签 item per value.
    clip = Clipping(
        title="t",
        metadata=Metadata(
            catalog_date=date(2025, 5, 6),
            extra=[("作者", "Ada"), ("标签", "x"), ("作者", "Guest, A."), ("标签", "y")],
        ),
    )
    post = frontmatter.loads(notes.to_note(clip))
    assert post["author"] == ["[[Ada]]", "[[Guest, A.]]"]
    assert post["tags"] == ["clippings", "x", "y"]
    assert notes.from_note(notes.to_note(clip)) == clip  # unedited: exactly as it was
    post["author"] = ["[[Bea]]"]
    post["tags"] = ["clippings", "z"]
    edited = notes.from_note(frontmatter.dumps(post))
    assert edited.metadata is not None
    assert edited.metadata.extra == (("作者", "Bea"), ("标签", "z"))


def test_a_web_clipper_page_that_reads_as_a_clipping_document_is_a_page() -> None:
    # A heading 1 then a section: a clipping document's shape, but nothing
    # of a clipping's own, under the page's meta description.
    note = (
        "---\ntitle: Page title\nsource: https://example.com/p\n"
        'description: "d"\ntags:\n  - clippings\n---\n# Page H1\n\n## Section\n\nBody.\n'
    )
    clip, messages = _read(note)
    assert messages == []
    assert clip.title == "Page title"
    assert clip.ai_summary is None
    assert clip.metadata is not None
    assert clip.metadata.get("描述") == "d"
    assert [section.heading for section in clip.extra_sections] == ["原文", "Section"]
    assert clip.extra_sections[0].body == "# Page H1"  # the page's own heading kept


# A short front matter whose aliases stand for hundreds of megabytes: each
# property that would hold more than the whole front matter is left out.
_BIG = "x" * 10_000
_ALIASED = ", ".join(["*b"] * 2_000)
AMPLIFYING = {
    "tags": f"tags: [{_ALIASED}]",
    "author": f"author: [{_ALIASED}]",
    "other": f"other: [{_ALIASED}]",
    "mapping": "other: {" + ", ".join(f"k{n}: *b" for n in range(2_000)) + "}",
    "nested": "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    + "".join(
        f"{name}: &{name} [{', '.join([f'*{previous}'] * 10)}]\n"
        for previous, name in zip("abcdefgh", "bcdefghi", strict=True)
    ).replace("&i ", ""),
}


@pytest.mark.parametrize("case", sorted(AMPLIFYING))
@pytest.mark.parametrize("page", [True, False], ids=["page", "edited-note"])
def test_aliases_cannot_make_a_short_note_huge(case: str, page: bool) -> None:
    anchor = "b" if case != "nested" else "unused"
    added = f"{anchor}: &{anchor} {_BIG}\n{AMPLIFYING[case]}\n"
    if page:
        text = f"---\ntitle: t\n{added}---\n\n# t\n\nbody\n"
    else:  # after to_note's own properties, so that these are the ones read
        note = notes.to_note(clipdoc.parse("# t\n\n## AI 摘要\n\nx\n"))
        end = note.index("---\n", 4)
        text = note[:end] + added + note[end:]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clipping = notes.from_note(text)
    assert any("larger than the whole front matter" in str(w.message) for w in caught)
    kept = clipping.metadata.extra if clipping.metadata else ()
    assert sum(len(key) + len(value) for key, value in kept) <= 2 * len(text)


def test_an_alias_that_does_not_amplify_is_read() -> None:
    text = "---\ntitle: t\nfirst: &f one\nsecond: *f\n---\n\n# t\n\nbody\n"
    clipping = notes.from_note(text)
    assert clipping.metadata is not None
    assert ("first", "one") in clipping.metadata.extra
    assert ("second", "one") in clipping.metadata.extra


def test_properties_of_no_field_keep_the_order_of_the_note() -> None:
    """Gathered items and the items of fields (作者 here) interleave as the
    note has them, and an item already in the clipping keeps its place."""
    held = clipdoc.parse(
        "# t\n\n## AI 摘要\n\nx\n\n## 元数据\n\n- **a**: old\n- **z**: kept\n- **a**: second\n"
    )
    note = notes.to_note(held)
    edited = note.replace("---\n", "---\nb: new b\nauthor:\n- '[[Ann]]'\nc: new c\na: new a\n", 1)
    clipping = notes.from_note(edited)
    assert clipping.metadata is not None
    assert clipping.metadata.extra == (
        ("a", "new a"),
        ("z", "kept"),
        ("b", "new b"),
        ("作者", "Ann"),
        ("c", "new c"),
    )


def test_a_yaml_error_is_one_line_at_its_line_in_the_note() -> None:
    with pytest.raises(ClipdocError, match=r"^the front matter is not YAML at line 4, column 4: "):
        notes.from_note("---\ntitle: t\nx: [a\nfoo: b\n---\n# t\n")


def test_a_created_time_without_an_offset_says_how_to_write_one() -> None:
    note = notes.to_note(Clipping(title="t", ai_summary="x"))
    note = note.replace("created:", "created: 2025-03-20T10:11:00", 1)
    after, messages = _read(note)
    assert after.metadata is not None
    assert after.metadata.catalog_date == date(2025, 3, 20)
    assert _named(messages) == {"created"}
    assert "add one, such as Z or +08:00" in messages[0]


@pytest.mark.parametrize("style", ["|", ">", "|-", ">+"])
def test_a_block_scalar_title_has_no_trailing_space(style: str) -> None:
    note = notes.to_note(Clipping(title="t", ai_summary="x"))
    note = note.replace("title: t\n", f"title: {style}\n  A folded title\n", 1)
    after, messages = _read(note)
    assert after.title == "A folded title"
    assert messages == []


def test_a_body_left_with_no_part_is_still_the_clipping_of_a_note_clipdoc_wrote() -> None:
    # Found by the property above: the AI summary deleted from the body of
    # a note of a clipping with nothing else, under its old description.
    clip = Clipping(title="", ai_summary="0")
    note = notes.to_note(clip)
    edited = note.replace("\n## AI 摘要\n\n0\n", "")
    assert notes.from_note(edited) == Clipping(title="")


def _read_slowly(note: str) -> tuple[Clipping, tuple[Any, ...]]:
    """What a note reads as when its properties are read, as for any note
    that is not exactly as `to_note` wrote it."""
    with mock.patch.object(note_reading, "_as_written", return_value=None):
        return note_reading.read_note(note)


def _taken_as_written(note: str) -> bool:
    match = note_reading._FRONT_MATTER.match(note)
    return match is not None and note_reading._as_written(note, match) is not None


@given(clip=strategies.clippings)
def test_a_note_as_written_reads_as_it_does_when_its_properties_are_read(clip: Clipping) -> None:
    note = notes.to_note(clip)
    assert _taken_as_written(note)
    assert note_reading.read_note(note) == _read_slowly(note)


def test_real_notes_read_as_written_as_they_do_when_their_properties_are_read() -> None:
    for clip in _real():
        note = notes.to_note(clip)
        assert _taken_as_written(note), clip.title
        assert note_reading.read_note(note) == _read_slowly(note), clip.title


@given(clip=strategies.clippings, at=st.integers(0, 10**6), char=st.sampled_from("x\n-: '\r"))
def test_a_note_changed_anywhere_reads_as_it_does_when_its_properties_are_read(
    clip: Clipping, at: int, char: str
) -> None:
    note = notes.to_note(clip)
    at %= len(note)
    changed = note[:at] + char + note[at:]
    assert not _taken_as_written(changed)
    assert _outcome(note_reading.read_note, changed) == _outcome(_read_slowly, changed)


def _outcome(read: Any, note: str) -> object:
    try:
        return read(note)
    except ClipdocError as error:
        return str(error)


def test_a_note_of_the_first_fingerprint_version_reads_as_before() -> None:
    clip = _real()[0]
    note = notes.to_note(clip)
    first = re.sub(r"^clipdoc: v2-([0-9a-f]+)-[0-9a-f]{16}$", r"clipdoc: v1-\1", note, flags=re.M)
    assert first != note
    assert not _taken_as_written(first)
    assert notes.from_note(first) == clip
    # Its title edited: the edit is known by the per-property hashes alone.
    post = frontmatter.loads(first)
    post["title"] = "Edited"
    assert notes.from_note(frontmatter.dumps(post)).title == "Edited"
