"""Resolving conflicts to one side, and merging clippings field by field."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import warnings
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Literal

import attrs
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import clipdoc
import strategies
from clipdoc import ClipdocError, Clipping, Metadata, Section, merge, resolve
from conftest import EXAMPLE, ROOT, core, shared_corpus_files

SCRIPT = Path(sys.executable).with_name("clipdoc")
CONFLICTED = sorted((ROOT / "tests" / "data" / "conflicted").glob("*.md"))
GIT = shutil.which("git")
needs_git = pytest.mark.skipif(GIT is None, reason="git is not installed")
PLACEHOLDER = (
    "这是一篇关于AI Agent领域的论文，主要探讨了最新进展和研究方向。论文提出了一种新的方法来提高"
    "Agent的性能，并通过实验证明了其有效性。这项研究对未来的AI Agent开发具有重要指导意义。"
)


def _parse(text: str) -> Clipping:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clipdoc.ClipdocWarning)
        return clipdoc.parse(text)


def _sources() -> list[Path]:
    """Documents to build the producer's kind of conflict from."""
    return (shared_corpus_files()[:: max(1, len(shared_corpus_files()) // 12)] or []) + [EXAMPLE]


def _both_added(path: Path) -> tuple[Clipping, Clipping]:
    """The producer's case: the same clipping added on both sides, one with
    a placeholder summary from a test run and a later save time."""
    ours = _parse(path.read_text(encoding="utf-8"))
    assert ours.metadata is not None
    assert ours.metadata.saved_at is not None
    later = (ours.metadata.saved_at + timedelta(hours=8, minutes=7)).astimezone(
        timezone(timedelta(hours=8))
    )
    theirs = attrs.evolve(
        ours, ai_summary=PLACEHOLDER, metadata=attrs.evolve(ours.metadata, saved_at=later)
    )
    return ours, theirs


def _git_merge_file(tmp_path: Path, base: str, ours: str, theirs: str) -> str:
    """The text Git's own line merge writes for these versions."""
    for name, text in (("base", base), ("ours", ours), ("theirs", theirs)):
        (tmp_path / name).write_text(text, encoding="utf-8")
    done = subprocess.run(
        [
            GIT or "git",
            "merge-file",
            "-p",
            "-L",
            "HEAD",
            "-L",
            "base",
            "-L",
            "6440bc6 (remove .env)",
            tmp_path / "ours",
            tmp_path / "base",
            tmp_path / "theirs",
        ],
        capture_output=True,
        check=False,
    )
    assert done.returncode > 0  # a conflict
    return done.stdout.decode("utf-8")


# --------------------------------------------------------------------- resolve


@pytest.mark.parametrize("path", CONFLICTED, ids=lambda path: path.name[:24])
def test_resolve_the_producers_conflicts(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    sides: tuple[Literal["ours"], Literal["theirs"]] = ("ours", "theirs")
    for side in sides:
        resolved = resolve(text, side)
        assert clipdoc.check(resolved) == []  # each side is a canonical clipping
        assert "<<<<<<<" not in resolved
        assert "=======" not in resolved
    ours, theirs = (_parse(resolve(text, side)) for side in sides)
    assert ours.title == theirs.title
    assert ours.url == theirs.url
    assert ours.ai_summary != theirs.ai_summary
    assert PLACEHOLDER in (theirs.ai_summary or "")


@needs_git
@pytest.mark.parametrize("path", _sources(), ids=lambda path: path.name[:24])
def test_resolve_gives_each_side_of_gits_own_conflict(path: Path, tmp_path: Path) -> None:
    ours, theirs = _both_added(path)
    ours_text, theirs_text = clipdoc.render(ours), clipdoc.render(theirs)
    conflicted = _git_merge_file(tmp_path, "", ours_text, theirs_text)
    assert resolve(conflicted, "ours") == ours_text
    assert resolve(conflicted, "theirs") == theirs_text


def test_resolve_diff3_and_line_endings() -> None:
    text = (
        "# t\r\n\r\n## AI 摘要\r\n\r\n<<<<<<< a\r\nx\r\n||||||| b\r\nold\r\n=======\r\ny\r\n"
        ">>>>>>> c\r\n"
    )
    assert resolve(text, "ours") == "# t\n\n## AI 摘要\n\nx\n"
    assert resolve(text, "theirs") == "# t\n\n## AI 摘要\n\ny\n"
    assert resolve("# t\n", "ours") == "# t\n"


@pytest.mark.parametrize(
    "text", ["# t\n\n>>>>>>> x\n", "# t\n<<<<<<< HEAD\nx\n", "<<<<<<< a\nx\n>>>>>>> b\n"]
)
def test_resolve_refuses_markers_without_sides(text: str) -> None:
    with pytest.raises(ClipdocError) as caught:
        resolve(text, "ours")
    assert caught.value.code == "CD106"
    assert caught.value.line is not None


def test_resolve_wrong_arguments() -> None:
    with pytest.raises(ValueError, match="side"):
        resolve("# t\n", "mine")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        resolve(b"# t\n", "ours")  # type: ignore[arg-type]


def test_resolve_command(tmp_path: Path) -> None:
    for path in CONFLICTED:
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "clean.md").write_bytes(EXAMPLE.read_bytes())
    (tmp_path / "stray.md").write_text("# t\n\n## AI 摘要\n\n>>>>>>> x\n", encoding="utf-8")
    bad_side = "# t\n\n<<<<<<< a\n**URL**: u\n=======\nstray text\n>>>>>>> b\n"
    (tmp_path / "bad.md").write_text(bad_side, encoding="utf-8")
    inode = (tmp_path / "clean.md").stat().st_ino
    done = subprocess.run(
        [str(SCRIPT), "resolve", "--theirs", str(tmp_path)], capture_output=True, text=True
    )
    assert done.returncode == 1, done.stderr
    for path in CONFLICTED:
        expected = resolve(path.read_text(encoding="utf-8"), "theirs")
        assert (tmp_path / path.name).read_text(encoding="utf-8") == expected
    # A summary; the files resolved or left alone only with -v.
    assert done.stderr.splitlines()[-1] == (
        "resolved 6 documents, 1 without conflicts, 2 left unchanged"
    )
    assert "clean.md" not in done.stderr
    assert (tmp_path / "clean.md").stat().st_ino == inode
    assert (tmp_path / "stray.md").read_text(encoding="utf-8").endswith(">>>>>>> x\n")
    assert f"{tmp_path / 'stray.md'}: left unchanged: there is no side to take" in done.stderr
    assert (tmp_path / "bad.md").read_text(encoding="utf-8") == bad_side
    assert f"{tmp_path / 'bad.md'}:1:1: CD111" in done.stdout
    assert f"{tmp_path / 'bad.md'}: left unchanged: its theirs side is not a valid clipping" in (
        done.stderr
    )
    verbose = subprocess.run(
        [str(SCRIPT), "resolve", "-v", "--ours", str(tmp_path)], capture_output=True, text=True
    )
    assert f"{tmp_path / 'clean.md'}: no conflict; left alone" in verbose.stderr
    assert "resolved 1 document, 7 without conflicts, 1 left unchanged" in verbose.stderr
    usage = subprocess.run([str(SCRIPT), "resolve", str(tmp_path)], capture_output=True)
    assert usage.returncode == 2  # --ours or --theirs is required


# ----------------------------------------------------------------------- merge


@pytest.mark.parametrize("path", _sources(), ids=lambda path: path.name[:24])
def test_both_added_merges_into_markers_around_the_differences(path: Path) -> None:
    ours, theirs = _both_added(path)
    result = merge(None, ours, theirs)
    assert result.conflicts == ("ai_summary", "saved_at")
    assert resolve(result.text, "ours") == clipdoc.render(ours)
    assert resolve(result.text, "theirs") == clipdoc.render(theirs)
    inside = _lines_inside_conflicts(result.text)
    for line in (
        f"# {ours.title}",
        f"**URL**: {ours.url}",
        "- **来源**: ArXiv",
        "- **类型**: 论文",
    ):
        assert line in result.text.splitlines()
        assert line not in inside
    assert not any(line.startswith("- **目录日期**") for line in inside)
    assert result.text.count("<<<<<<< ours") == 2


def _lines_inside_conflicts(text: str) -> list[str]:
    inside, depth = [], False
    for line in text.splitlines():
        if line.startswith("<<<<<<< "):
            depth = True
        elif line.startswith(">>>>>>> "):
            depth = False
        elif depth:
            inside.append(line)
    return inside


def _drive(
    tmp_path: Path, ours: str, theirs: str, *options: str, path: str | None = None
) -> tuple[subprocess.CompletedProcess[str], str]:
    """Run the merge driver as git does, on two versions both sides added
    (an empty base); what it said, and what it left in OURS."""
    (tmp_path / "base").write_bytes(b"")
    (tmp_path / "ours").write_text(ours, encoding="utf-8")
    (tmp_path / "theirs").write_text(theirs, encoding="utf-8")
    arguments = [str(tmp_path / name) for name in ("base", "ours", "theirs")]
    done = subprocess.run(
        [str(SCRIPT), "merge-driver", *options, *arguments, *([path] if path else [])],
        capture_output=True,
        text=True,
        check=False,
    )
    return done, (tmp_path / "ours").read_text(encoding="utf-8")


def test_merge_driver_command_on_the_producers_case(tmp_path: Path) -> None:
    ours, theirs = _both_added(EXAMPLE)
    done, merged = _drive(
        tmp_path, clipdoc.render(ours), clipdoc.render(theirs), path="2025-05-06/seed.md"
    )
    assert done.returncode == 1
    assert "2025-05-06/seed.md: conflict in ai_summary, saved_at" in done.stderr
    assert resolve(merged, "ours") == clipdoc.render(ours)
    assert resolve(merged, "theirs") == clipdoc.render(theirs)


def test_merge_driver_falls_back_to_a_line_merge(tmp_path: Path) -> None:
    (tmp_path / "base").write_text("not\na\nclipping\nat\nall\n")
    (tmp_path / "ours").write_text("NOT\na\nclipping\nat\nall\n")
    (tmp_path / "theirs").write_text("not\na\nclipping\nat\nall!\n")
    done = subprocess.run(
        [str(SCRIPT), "merge-driver", tmp_path / "base", tmp_path / "ours", tmp_path / "theirs"],
        capture_output=True,
    )
    if GIT is None:
        assert done.returncode == 2
        return
    assert done.returncode == 0
    assert (tmp_path / "ours").read_text() == "NOT\na\nclipping\nat\nall!\n"
    assert b"the base version is not a clipping (CD" in done.stderr
    assert b"merged line by line" in done.stderr


@needs_git
@pytest.mark.parametrize("path", CONFLICTED[:2], ids=lambda path: path.name[:24])
def test_the_driver_never_calls_a_result_with_markers_clean(path: Path, tmp_path: Path) -> None:
    """A version committed with its conflict unresolved (the producer's six):
    Git's line merge of an unrelated edit is clean, but the result still
    holds markers, and the driver says so (exit 1)."""
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    lines[0] += " (edited)"
    (tmp_path / "base").write_text(text, encoding="utf-8")
    (tmp_path / "ours").write_text("\n".join(lines), encoding="utf-8")
    (tmp_path / "theirs").write_text(text, encoding="utf-8")
    done = subprocess.run(
        [str(SCRIPT), "merge-driver", *(str(tmp_path / n) for n in ("base", "ours", "theirs"))],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert "the base version is not a clipping (CD106" in done.stderr
    assert "conflict markers in the result" in done.stderr
    assert clipdoc.check((tmp_path / "ours").read_text(encoding="utf-8"))[0].code == "CD106"


def test_a_crlf_document_merges_to_crlf(tmp_path: Path) -> None:
    base = _parse(EXAMPLE.read_text(encoding="utf-8"))
    versions = [base, attrs.evolve(base, title="新标题"), attrs.evolve(base, ai_summary="改写")]
    for name, version in zip(("base", "ours", "theirs"), versions, strict=True):
        (tmp_path / name).write_bytes(clipdoc.render(version).replace("\n", "\r\n").encode())
    done = subprocess.run(
        [str(SCRIPT), "merge-driver", *(str(tmp_path / n) for n in ("base", "ours", "theirs"))],
        capture_output=True,
    )
    assert done.returncode == 0, done.stderr
    merged = (tmp_path / "ours").read_bytes()
    expected = clipdoc.render(attrs.evolve(base, title="新标题", ai_summary="改写"))
    assert merged == expected.replace("\n", "\r\n").encode()
    # Our version's endings decide: LF ours, CRLF theirs gives LF.
    (tmp_path / "ours").write_bytes(clipdoc.render(versions[1]).encode())
    subprocess.run(
        [str(SCRIPT), "merge-driver", *(str(tmp_path / n) for n in ("base", "ours", "theirs"))],
        check=True,
    )
    assert (tmp_path / "ours").read_bytes() == expected.encode()


def test_fmt_recover_then_resolve_gives_exactly_each_side(tmp_path: Path) -> None:
    """The producer's six conflicted documents, kept by `fmt --recover` in
    'clipdoc: unparsed conflict' sections, resolve to exactly the side that
    resolving the original gives."""
    for path in CONFLICTED:
        shutil.copy(path, tmp_path / path.name)
    recovered = subprocess.run([str(SCRIPT), "fmt", "-q", "--recover", str(tmp_path)])
    assert recovered.returncode == 1  # the conflicts are errors until resolved
    for path in CONFLICTED:
        text = (tmp_path / path.name).read_text(encoding="utf-8")
        assert "clipdoc: unparsed conflict from line" in text
        assert "\n<<<<<<< " not in text
    done = subprocess.run(
        [str(SCRIPT), "resolve", "--theirs", str(tmp_path)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "resolved 6 documents, 0 without conflicts" in done.stderr
    for path in CONFLICTED:
        expected = resolve(path.read_text(encoding="utf-8"), "theirs")
        assert (tmp_path / path.name).read_text(encoding="utf-8") == expected
        recovered_text = clipdoc.render(_parse_recovered(path))
        assert resolve(recovered_text, "ours") == resolve(path.read_text(encoding="utf-8"), "ours")


def _parse_recovered(path: Path) -> Clipping:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clipdoc.ClipdocWarning)
        return clipdoc.parse(path.read_text(encoding="utf-8"), recover=True)


def test_a_kept_conflict_that_cannot_be_put_back_is_an_error() -> None:
    kept = "clipdoc: unparsed conflict from line 90"
    body = "<<<<<<< a\nx\n=======\ny\n>>>>>>> b"
    text = clipdoc.render(Clipping(title="t", extra_sections=[Section(heading=kept, body=body)]))
    with pytest.raises(ClipdocError) as caught:
        resolve(text, "ours")
    assert caught.value.code == "CD106"
    assert "cannot be put back" in str(caught.value)
    # A section that only looks like one (no conflict inside) is not one.
    plain = clipdoc.render(Clipping(title="t", extra_sections=[Section(heading=kept, body="x")]))
    assert resolve(plain, "ours") == plain


@needs_git
def test_a_real_repository_configured_as_documented(tmp_path: Path) -> None:
    def git(*arguments: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        environment = dict(
            os.environ,
            PATH=f"{SCRIPT.parent}{os.pathsep}{os.environ['PATH']}",
            GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com",
            GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com",
        )  # fmt: skip
        return subprocess.run(
            [GIT or "git", *arguments], cwd=tmp_path, env=environment, capture_output=True,
            text=True, check=check,
        )  # fmt: skip

    git("init", "-q", "-b", "main")
    # The two lines of set-up the README shows.
    (tmp_path / ".gitattributes").write_text("*.md merge=clipdoc\n")
    git("config", "merge.clipdoc.driver", "clipdoc merge-driver %O %A %B %P")
    document = tmp_path / "2025-05-06" / "seed.md"
    document.parent.mkdir()
    base = _parse(EXAMPLE.read_text(encoding="utf-8"))
    document.write_text(clipdoc.render(base), encoding="utf-8")
    git("add", ".")
    git("commit", "-q", "-m", "base")
    git("checkout", "-q", "-b", "title")
    document.write_text(clipdoc.render(attrs.evolve(base, title="新标题")), encoding="utf-8")
    git("commit", "-q", "-am", "title")
    git("checkout", "-q", "main")
    edited = attrs.evolve(base, ai_summary="人工改写的摘要")
    document.write_text(clipdoc.render(edited), encoding="utf-8")
    git("commit", "-q", "-am", "summary")
    git("merge", "-q", "--no-edit", "title")
    merged = clipdoc.load(document)
    assert merged == attrs.evolve(base, title="新标题", ai_summary="人工改写的摘要")
    # Two different edits of the AI summary: exactly one conflict block.
    git("checkout", "-q", "-b", "other")
    document.write_text(clipdoc.render(attrs.evolve(merged, ai_summary="甲")), encoding="utf-8")
    git("commit", "-q", "-am", "a")
    git("checkout", "-q", "main")
    document.write_text(clipdoc.render(attrs.evolve(merged, ai_summary="乙")), encoding="utf-8")
    git("commit", "-q", "-am", "b")
    failed = git("merge", "--no-edit", "other", check=False)
    assert failed.returncode != 0
    text = document.read_text(encoding="utf-8")
    assert text.count("<<<<<<< ") == 1
    assert resolve(text, "ours") == clipdoc.render(attrs.evolve(merged, ai_summary="乙"))
    assert resolve(text, "theirs") == clipdoc.render(attrs.evolve(merged, ai_summary="甲"))


# ------------------------------------------------------------------ properties

FIELDS = (
    "title",
    "url",
    "original_summary",
    "ai_summary",
    "source",
    "kind",
    "saved_at",
    "catalog_date",
    "new item",
    "new section",
)


def _edit(clipping: Clipping, field: str, data: st.DataObject) -> Clipping:
    metadata = clipping.metadata or Metadata()
    value: Any
    if field in ("title", "url"):
        value = data.draw(strategies.single_line)
        assume(value != getattr(clipping, field))
        return attrs.evolve(clipping, **{field: value})
    if field in ("original_summary", "ai_summary"):
        value = data.draw(strategies.bodies)
        assume(value != getattr(clipping, field))
        return attrs.evolve(clipping, **{field: value})
    if field in ("source", "kind"):
        value = data.draw(strategies.single_line)
        assume(value != getattr(metadata, field))
        return attrs.evolve(clipping, metadata=attrs.evolve(metadata, **{field: value}))
    if field == "saved_at":
        saved = data.draw(strategies.timestamps)
        assume(metadata.saved_at is None or saved != metadata.saved_at)
        return attrs.evolve(clipping, metadata=attrs.evolve(metadata, saved_at=saved))
    if field == "catalog_date":
        day = data.draw(strategies.dates)
        assume(day != metadata.catalog_date)
        return attrs.evolve(clipping, metadata=attrs.evolve(metadata, catalog_date=day))
    if field == "new item":
        key = data.draw(strategies.keys)
        assume(key not in dict(metadata.extra))
        extra = (*metadata.extra, (key, data.draw(strategies.single_line)))
        return attrs.evolve(clipping, metadata=attrs.evolve(metadata, extra=extra))
    heading = data.draw(strategies.headings)
    assume(heading not in [s.heading for s in clipping.extra_sections])
    added = Section(heading=heading, body=data.draw(strategies.bodies))
    return attrs.evolve(clipping, extra_sections=(*clipping.extra_sections, added))


@core
@given(base=strategies.clippings, data=st.data())
def test_edits_of_different_fields_merge_into_both(base: Clipping, data: st.DataObject) -> None:
    first, second = data.draw(
        st.lists(st.sampled_from(FIELDS), min_size=2, max_size=2, unique=True)
    )
    assume(not ({first, second} <= {"new item", "source", "kind", "saved_at", "catalog_date"}
                and base.metadata is None))  # fmt: skip
    ours = _edit(base, first, data)
    theirs = _edit(base, second, data)
    both = _edit_like(_edit_like(base, ours, first), theirs, second)
    result = merge(base, ours, theirs)
    assert result.clean, result.conflicts
    assert _parse(result.text) == both


def _edit_like(target: Clipping, source: Clipping, field: str) -> Clipping:
    """``target`` with the one field ``source`` changed."""
    if field in ("title", "url", "original_summary", "ai_summary"):
        return attrs.evolve(target, **{field: getattr(source, field)})
    if field == "new section":
        return attrs.evolve(
            target, extra_sections=(*target.extra_sections, source.extra_sections[-1])
        )
    assert source.metadata is not None
    metadata = target.metadata or Metadata()
    if field == "new item":
        return attrs.evolve(
            target,
            metadata=attrs.evolve(metadata, extra=(*metadata.extra, source.metadata.extra[-1])),
        )
    return attrs.evolve(
        target, metadata=attrs.evolve(metadata, **{field: getattr(source.metadata, field)})
    )


@core
@given(
    base=st.none() | strategies.clippings, ours=strategies.clippings, theirs=strategies.clippings
)
def test_merging_is_symmetric_up_to_the_side_labels(
    base: Clipping | None, ours: Clipping, theirs: Clipping
) -> None:
    forward = merge(base, ours, theirs)
    backward = merge(base, theirs, ours)
    assert forward.clean == backward.clean
    assert set(forward.conflicts) == set(backward.conflicts)
    if forward.clean:
        assert forward.text == backward.text
    else:
        assume("=======" not in clipdoc.render(ours).splitlines())
        assume("=======" not in clipdoc.render(theirs).splitlines())
        assert resolve(forward.text, "ours") == resolve(backward.text, "theirs")
        assert resolve(forward.text, "theirs") == resolve(backward.text, "ours")


@core
@given(base=st.none() | strategies.clippings, side=strategies.clippings)
def test_merging_a_side_with_itself_is_that_side(base: Clipping | None, side: Clipping) -> None:
    result = merge(base, side, side)
    assert result.clean
    assert result.text == clipdoc.render(side)


@core
@given(ours=strategies.clippings, theirs=strategies.clippings)
def test_resolve_gives_back_each_side_of_a_merge(ours: Clipping, theirs: Clipping) -> None:
    result = merge(None, ours, theirs)
    assume("=======" not in clipdoc.render(ours).splitlines())
    if result.clean:
        assert ours == theirs or _parse(result.text) in (ours, theirs) or result.text
        return
    assert resolve(result.text, "ours") == clipdoc.render(_parse(resolve(result.text, "ours")))


def test_merge_wrong_arguments() -> None:
    clip = Clipping(title="t")
    with pytest.raises(TypeError):
        merge(clip, clip, "t")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        merge("t", clip, clip)  # type: ignore[arg-type]
    assert merge(None, clip, clip).text == "# t\n"
    assert date(2025, 1, 1) < date(2025, 1, 2)
    assert datetime.now(timezone.utc)


def test_prefer_newer_settles_conflicts_by_save_time() -> None:
    ours, theirs = _both_added(EXAMPLE)  # theirs is newer, and holds the placeholder
    result = merge(None, ours, theirs, prefer="newer")
    assert result.clean
    assert result.text == clipdoc.render(theirs)
    assert merge(None, theirs, ours, prefer="newer").text == clipdoc.render(theirs)
    same_time = attrs.evolve(theirs, metadata=ours.metadata)
    assert not merge(None, ours, same_time, prefer="newer").clean
    with pytest.raises(ValueError, match="prefer"):
        merge(None, ours, theirs, prefer="older")  # type: ignore[arg-type]


def test_merge_driver_prefer_newer(tmp_path: Path) -> None:
    ours, theirs = _both_added(EXAMPLE)
    done, merged = _drive(
        tmp_path, clipdoc.render(ours), clipdoc.render(theirs), "--prefer", "newer"
    )
    assert done.returncode == 0
    assert merged == clipdoc.render(theirs)


@pytest.mark.parametrize("path", CONFLICTED, ids=lambda path: path.name[:24])
def test_the_driver_on_the_producers_two_sides(path: Path, tmp_path: Path) -> None:
    """The two sides of each real conflict, merged again with an empty base
    (both added the file): a conflict, the shared fields outside it, and each
    side back byte for byte."""
    text = path.read_text(encoding="utf-8")
    sides = [resolve(text, "ours"), resolve(text, "theirs")]
    done, merged = _drive(tmp_path, sides[0], sides[1])
    assert done.returncode == 1
    assert resolve(merged, "ours") == sides[0]
    assert resolve(merged, "theirs") == sides[1]
    clip = _parse(sides[0])
    assert clip.metadata is not None
    inside = _lines_inside_conflicts(merged)
    shared = [f"# {clip.title}", f"**URL**: {clip.url}", "- **来源**: ArXiv", "- **类型**: 论文"]
    shared.append(f"- **目录日期**: {clip.metadata.catalog_date}")
    for line in shared:
        assert line in merged.splitlines()
        assert line not in inside


# ------------------------------------------------------------ git install


def _repository(tmp_path: Path) -> Any:
    """A fresh repository, and a function that runs git in it with a PATH
    that holds git but not clipdoc."""
    path = os.pathsep.join(
        folder
        for folder in os.environ["PATH"].split(os.pathsep)
        if folder and shutil.which("clipdoc", path=folder) is None
    )
    assert shutil.which("git", path=path) is not None
    assert shutil.which("clipdoc", path=path) is None

    def git(*arguments: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        environment = dict(
            os.environ, PATH=path,
            GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com",
            GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com",
        )  # fmt: skip
        done = subprocess.run(
            [GIT or "git", *arguments], cwd=tmp_path, env=environment, capture_output=True,
            text=True, check=False,
        )  # fmt: skip
        assert not check or done.returncode == 0, done.stderr
        return done

    git("init", "-q", "-b", "main")
    return git


def _clipdoc(*arguments: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *map(str, arguments)], cwd=cwd, capture_output=True, text=True, check=False
    )


@needs_git
def test_git_install_then_a_merge_of_two_field_edits_without_clipdoc_on_path(
    tmp_path: Path,
) -> None:
    git = _repository(tmp_path)
    document = tmp_path / "c" / "2025-05-06" / "seed.md"
    document.parent.mkdir(parents=True)
    base = _parse(EXAMPLE.read_text(encoding="utf-8"))
    document.write_text(clipdoc.render(base), encoding="utf-8")
    assert _clipdoc("index", "-q", "c", cwd=tmp_path).returncode == 0
    installed = _clipdoc("git", "install", "c", "--hooks", cwd=tmp_path)
    assert installed.returncode == 0, installed.stderr
    assert (tmp_path / ".gitattributes").read_text() == (
        "/c/**/*.md merge=clipdoc\n/c/README.md merge=clipdoc-index\n"
    )
    again = _clipdoc("git", "install", "c", "--hooks", cwd=tmp_path)
    assert "already set up" in again.stderr
    assert (tmp_path / ".gitattributes").read_text().count("merge=clipdoc\n") == 1
    assert _clipdoc("git", "install", "c", "--hooks", "--check", cwd=tmp_path).returncode == 0
    git("add", ".")
    git("commit", "-q", "-m", "base")

    git("checkout", "-q", "-b", "title")
    document.write_text(clipdoc.render(attrs.evolve(base, title="新标题")), encoding="utf-8")
    assert _clipdoc("index", "-q", "c", cwd=tmp_path).returncode == 0
    git("commit", "-q", "-am", "title")
    git("checkout", "-q", "main")
    assert base.metadata is not None
    edited = attrs.evolve(base, metadata=base.metadata.set("作者", "量子位"))
    document.write_text(clipdoc.render(edited), encoding="utf-8")
    git("commit", "-q", "-am", "an item")
    merged = git("merge", "--no-edit", "title")
    assert merged.returncode == 0, merged.stdout + merged.stderr
    assert clipdoc.load(document) == attrs.evolve(edited, title="新标题")
    assert git("status", "--porcelain").stdout == ""

    # Both sides add a clipping: the index keeps ours, and the hook stops
    # the merge commit until it is rebuilt.
    for branch, title in (("left", "左"), ("right", "右")):
        git("checkout", "-q", "-b", branch, "main")
        added = tmp_path / "c" / "2025-05-07" / f"{branch}.md"
        added.parent.mkdir(exist_ok=True)
        added.write_text(clipdoc.render(attrs.evolve(base, title=title)), encoding="utf-8")
        assert _clipdoc("index", "-q", "c", cwd=tmp_path).returncode == 0
        git("add", ".")
        git("commit", "-q", "-m", branch)
    stopped = git("merge", "--no-edit", "left", check=False)
    assert stopped.returncode != 0
    assert "does not match the staged documents" in stopped.stderr
    assert "keeps our version" in stopped.stderr
    assert _clipdoc("index", "-q", "c", cwd=tmp_path).returncode == 0
    git("add", "c/README.md")
    git("commit", "-q", "--no-edit")
    index = (tmp_path / "c" / "README.md").read_text(encoding="utf-8")
    assert "左" in index
    assert "右" in index

    # The hooks check what is being committed, not the working tree: a
    # document staged with conflict markers is refused, even when the
    # working copy was cleaned up after `git add`...
    clean = document.read_text(encoding="utf-8")
    document.write_text(clean.replace("**URL**", "<<<<<<< a\n**URL**", 1), encoding="utf-8")
    git("add", str(document))
    document.write_text(clean, encoding="utf-8")
    refused = git("commit", "-q", "-m", "broken", check=False)
    assert refused.returncode != 0
    assert "(staged):" in refused.stderr
    assert "CD106" in refused.stderr
    git("reset", "-q")
    # ... an index rebuilt but not staged is stale in the commit ...
    document.write_text(clean.replace("新标题", "又一个标题", 1), encoding="utf-8")
    assert _clipdoc("index", "-q", "c", cwd=tmp_path).returncode == 0
    git("add", str(document))
    stale = git("commit", "-q", "-m", "title", check=False)
    assert stale.returncode != 0
    assert "c/README.md (staged) does not match the staged documents" in stale.stderr
    git("add", "c/README.md")
    git("commit", "-q", "-m", "title")
    # ... and an index deleted is missing.
    git("rm", "-q", "--cached", "c/README.md")
    missing = git("commit", "-q", "-m", "no index", check=False)
    assert missing.returncode != 0
    assert "no index staged" in missing.stderr


@needs_git
def test_git_install_check_says_what_is_missing(tmp_path: Path) -> None:
    _repository(tmp_path)
    missing = _clipdoc("git", "install", "--check", "--hooks", cwd=tmp_path)
    assert missing.returncode == 1
    assert "missing: merge driver 'clipdoc'" in missing.stderr
    assert "missing: the pre-commit hook" in missing.stderr
    hooks = tmp_path / ".git" / "hooks"
    hooks.mkdir(exist_ok=True)
    (hooks / "pre-commit").write_text("#!/bin/sh\nexit 0\n")
    refused = _clipdoc("git", "install", "--hooks", "--style", "ai_info", cwd=tmp_path)
    assert refused.returncode == 2
    assert "another program's hook" in refused.stderr
    assert "-m clipdoc git pre-commit --index --style ai_info . || exit 1" in refused.stderr
    assert (hooks / "pre-commit").read_text() == "#!/bin/sh\nexit 0\n"
    # The other hook is written all the same.
    assert "git pre-commit --index --style ai_info ." in (hooks / "pre-merge-commit").read_text()
    assert os.access(hooks / "pre-merge-commit", os.X_OK)
    (tmp_path / ".gitattributes").write_text("/README.md merge=clipdoc-index\n*.md merge=union")
    assert _clipdoc("git", "install", cwd=tmp_path).returncode == 0
    lines = (tmp_path / ".gitattributes").read_text().splitlines()
    assert lines[-2:] == ["*.md merge=clipdoc", "/README.md merge=clipdoc-index"]
    assert _clipdoc("git", "install", "--check", cwd=tmp_path).returncode == 0
    outside = _clipdoc("git", "install", "--check", cwd=tmp_path.parent)
    assert outside.returncode == 2


@needs_git
def test_many_kept_conflicts_are_put_back(tmp_path: Path) -> None:
    """Conflicts in the title, both summaries and the save time, kept by
    recovery, resolve to exactly what resolving the original gives."""
    base = _parse(EXAMPLE.read_text(encoding="utf-8"))
    assert base.metadata is not None
    saved = base.metadata.saved_at
    assert saved is not None

    def side(tag: str, hours: int) -> str:
        assert base.metadata is not None
        metadata = base.metadata.set("保存时间", saved + timedelta(hours=hours))
        return clipdoc.render(
            attrs.evolve(
                base,
                title=f"{tag} 标题",
                original_summary=f"{tag} 原始摘要",
                ai_summary=f"{tag} 摘要",
                metadata=metadata,
            )
        )

    original = _git_merge_file(tmp_path, clipdoc.render(base), side("甲", 1), side("乙", 2))
    conflicts = sum(line.startswith("<<<<<<< ") for line in original.splitlines())
    assert conflicts >= 3
    document = tmp_path / "doc.md"
    document.write_text(original, encoding="utf-8")
    assert subprocess.run([str(SCRIPT), "fmt", "-q", "--recover", str(document)]).returncode == 1
    recovered = document.read_text(encoding="utf-8")
    assert recovered.count("## clipdoc: unparsed conflict from line") == conflicts
    for chosen in ("ours", "theirs"):
        assert resolve(recovered, chosen) == resolve(original, chosen)


@needs_git
def test_git_install_leaves_what_is_not_the_collections_alone(tmp_path: Path) -> None:
    """A README.md that is not an index gets no index rule; hooks shared
    with other repositories are not written; a second collection's hook
    line joins the first; a commit without the collection passes."""
    git = _repository(tmp_path)
    (tmp_path / "README.md").write_text("# My project\n")
    installed = _clipdoc("git", "install", "--hooks", cwd=tmp_path)
    assert installed.returncode == 0, installed.stderr
    assert (tmp_path / ".gitattributes").read_text() == (
        "*.md merge=clipdoc\n/README.md merge=text\n"
    )
    assert "clipdoc-index" not in git("config", "--list").stdout
    hook = (tmp_path / ".git" / "hooks" / "pre-commit").read_text()
    assert "git pre-commit . || exit 1" in hook  # no --index: there is none
    # The project's own README merges as git merges text.
    git("add", ".")
    git("commit", "-q", "-m", "readme")
    git("checkout", "-q", "-b", "other")
    (tmp_path / "README.md").write_text("# My project\n\nMore.\n")
    git("commit", "-q", "-am", "more")
    git("checkout", "-q", "main")
    (tmp_path / "README.md").write_text("# My great project\n")
    git("commit", "-q", "-am", "great")
    merged = git("merge", "--no-edit", "other", check=False)
    assert "CONFLICT (content): Merge conflict in README.md" in merged.stdout
    assert "clipdoc" not in merged.stderr
    git("merge", "--abort")
    # A second collection, in a folder: its own line in the same hook, and
    # a rule for its documents only.
    (tmp_path / "c").mkdir()
    assert _clipdoc("index", "-q", "c", cwd=tmp_path).returncode == 0
    assert _clipdoc("git", "install", "c", "--hooks", cwd=tmp_path).returncode == 0
    hook = (tmp_path / ".git" / "hooks" / "pre-commit").read_text()
    assert "git pre-commit . || exit 1" in hook
    assert "git pre-commit --index c || exit 1" in hook
    assert "/c/**/*.md merge=clipdoc" in (tmp_path / ".gitattributes").read_text()
    # Hooks shared with other repositories (core.hooksPath outside) are
    # not written.
    shared = tmp_path.parent / f"{tmp_path.name}-shared-hooks"
    git("config", "core.hooksPath", str(shared))
    refused = _clipdoc("git", "install", "--hooks", cwd=tmp_path)
    assert refused.returncode == 2
    assert "outside this repository" in refused.stderr
    assert not shared.exists()


@needs_git
def test_the_driver_takes_a_file_whose_name_starts_with_a_dash(tmp_path: Path) -> None:
    git = _repository(tmp_path)
    assert _clipdoc("git", "install", cwd=tmp_path).returncode == 0
    document = tmp_path / "-draft.md"
    base = _parse(EXAMPLE.read_text(encoding="utf-8"))
    document.write_text(clipdoc.render(base), encoding="utf-8")
    git("add", ".")
    git("commit", "-q", "-m", "base")
    git("checkout", "-q", "-b", "other")
    document.write_text(clipdoc.render(attrs.evolve(base, title="新")), encoding="utf-8")
    git("commit", "-q", "-am", "title")
    git("checkout", "-q", "main")
    document.write_text(clipdoc.render(attrs.evolve(base, ai_summary="改")), encoding="utf-8")
    git("commit", "-q", "-am", "summary")
    git("merge", "-q", "--no-edit", "other")
    assert clipdoc.load(document) == attrs.evolve(base, title="新", ai_summary="改")
