"""The installed ``clipdoc`` command, driven in subprocesses on temporary folders."""

from __future__ import annotations

import argparse
import functools
import importlib.metadata
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import clipdoc
from conftest import EXAMPLE, ROOT, shared_corpus_files

SCRIPT = Path(sys.executable).with_name("clipdoc")
CANONICAL = "# t\n\n**URL**: https://example.com/1\n\n## AI 摘要\n\n摘要\n"
WARNED = "# t\r\n\r\n## AI 摘要  \r\n\r\n摘要\r\n"
BROKEN = "not a clipping\n"
NOT_CD111 = (
    ":1:1: CD111 this file is not a clipping document: it has none of a clipping's parts (a"
    " '**URL**:' line, or a '## 原始摘要', '## AI 摘要' or '## 元数据' section); if it is not"
    " meant to be one, leave it out (clipdoc's --exclude option)"
)


def clipdoc_command(
    *args: str | Path, cwd: Path | None = None, stdin: bytes | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *map(str, args)],
        cwd=cwd,
        input=stdin.decode("utf-8") if stdin is not None else None,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def run_bytes(*args: str | Path, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [str(SCRIPT), *map(str, args)], input=stdin, capture_output=True, check=False, timeout=60
    )


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    write(root / "2025-05-06" / "clean.md", CANONICAL)
    write(root / "2025-05-06" / "warned.md", WARNED)
    write(root / "notes.txt", "not a document, not read")
    write(root / ".hidden" / "skipped.md", BROKEN)
    return root


def test_script_is_installed() -> None:
    assert SCRIPT.exists(), f"the console script is missing at {SCRIPT}"


@pytest.mark.parametrize("command", ["check", "fmt", "convert"])
def test_every_subcommand_has_help(command: str) -> None:
    done = clipdoc_command(command, "--help")
    assert done.returncode == 0
    assert done.stdout.startswith(f"usage: clipdoc {command}")


def test_python_dash_m_is_the_same_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "clipdoc", "--help"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert done.stdout.startswith("usage: clipdoc ")
    assert "check " in done.stdout


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert clipdoc_command().returncode == 2
    assert clipdoc_command("check").returncode == 2
    done = clipdoc_command("check", tmp_path / "missing")
    assert done.returncode == 2
    assert "no such file or folder" in done.stderr
    (tmp_path / "loop.md").symlink_to(tmp_path / "loop.md")
    done = clipdoc_command("check", tmp_path / "loop.md")
    assert done.returncode == 2
    assert "loop.md: cannot be looked at: too many symbolic links on the way" in done.stderr


TOO_MANY = (
    "cannot be looked at: too many symbolic links on the way (a loop of links, or a chain"
    " longer than the system follows)"
)


def test_paths_that_cannot_be_looked_at_are_in_the_json_too(tmp_path: Path) -> None:
    (tmp_path / "loop.md").symlink_to(tmp_path / "loop.md")
    (tmp_path / "dangling.md").symlink_to(tmp_path / "gone.md")
    write(tmp_path / "ok.md", CANONICAL)
    done = clipdoc_command(
        "check",
        "--format",
        "json",
        "missing.md",
        "loop.md",
        "dangling.md",
        "ok.md",
        ".",
        cwd=tmp_path,
    )
    assert done.returncode == 2
    # Each once, as named: the walk of "." does not report the links again.
    assert [(d["path"], d["code"], d["message"]) for d in json.loads(done.stdout)] == [
        ("missing.md", "CD504", "no such file or folder"),
        ("loop.md", "CD504", TOO_MANY),
        ("dangling.md", "CD504", "a symbolic link to nothing"),
    ]


@pytest.mark.skipif(sys.platform != "linux", reason="names that are not UTF-8: Linux")
def test_the_json_of_a_path_that_is_not_utf8_is_utf8(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(SCRIPT), "check", "--format", "json", b"gone\xff.md"],
        capture_output=True,
        cwd=tmp_path,
        check=False,
    )
    assert json.loads(done.stdout.decode("utf-8"))[0]["path"] == "gone\ufffd.md"


def test_a_walk_tells_a_link_loop_from_a_link_to_nothing(tmp_path: Path) -> None:
    (tmp_path / "a.md").symlink_to("b.md")
    (tmp_path / "b.md").symlink_to("a.md")
    (tmp_path / "c.md").symlink_to("gone.md")
    done = clipdoc_command("check", ".", cwd=tmp_path)
    assert done.stderr.splitlines()[:3] == [
        "./a.md: cannot read: a loop of symbolic links (each leads on to another) (CD504)",
        "./b.md: cannot read: a loop of symbolic links (each leads on to another) (CD504)",
        "./c.md: cannot read: a symbolic link to nothing (No such file or directory) (CD504)",
    ]


def test_check_reports_like_a_linter(folder: Path) -> None:
    done = clipdoc_command("check", "docs", cwd=folder.parent)
    assert done.returncode == 0  # warnings only
    assert done.stdout.splitlines() == [
        "docs/2025-05-06/warned.md:1:4: CD202 CRLF or CR line endings; clipdoc writes LF"
        " ('\\n') only",
        "docs/2025-05-06/warned.md:3:9: CD204 trailing spaces or tabs after the heading",
    ]
    assert done.stderr.strip() == "checked 2 documents, 0 errors, 2 warnings"


def test_check_errors_exit_1_and_never_crash(folder: Path) -> None:
    write(folder / "notes.md", BROKEN)
    (folder / "binary.md").write_bytes(b"# t\n\xff\xfe\n")
    done = clipdoc_command("check", "--errors-only", folder)
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        f"{folder}/binary.md:2:1: CD110 invalid UTF-8 at byte offset 4 (byte 0xff); save the"
        " file as UTF-8",
        f"{folder}/notes.md{NOT_CD111}",
    ]
    assert done.stderr.strip() == "checked 4 documents (2 with errors), 2 errors, 2 warnings"


def test_the_index_at_the_root_is_left_out(folder: Path) -> None:
    index = (ROOT / "spec" / "tests" / "invalid" / "err-not-a-clipping-index.md").read_text(
        encoding="utf-8"
    )
    write(folder / "README.md", index)
    write(folder / "2025-05-06" / "README.md", index)  # not at the root: a document
    done = clipdoc_command("check", folder)
    assert done.returncode == 1
    assert done.stdout.splitlines()[0] == f"{folder}/2025-05-06/README.md{NOT_CD111}"
    (folder / "2025-05-06" / "README.md").unlink()
    assert clipdoc_command("check", folder).returncode == 0
    done = clipdoc_command("check", "--include-readme", folder)
    assert done.returncode == 1
    assert done.stdout.splitlines()[-1] == f"{folder}/README.md{NOT_CD111}"
    # Named on the command line, it is read: it is one diagnostic, and exclusion works.
    done = clipdoc_command("check", folder / "README.md")
    assert done.stdout.splitlines() == [f"{folder}/README.md{NOT_CD111}"]
    done = clipdoc_command("check", "--exclude", "README.md", folder / "README.md")
    assert (done.returncode, done.stdout) == (0, "")


@pytest.mark.parametrize(
    ("patterns", "left"),
    [
        ([], ["2025-05-06/clean.md", "2025-05-06/warned.md", "drafts/a.md", "x/drafts/b.md"]),
        (["drafts"], ["2025-05-06/clean.md", "2025-05-06/warned.md"]),
        (["warned.md", "x"], ["2025-05-06/clean.md", "drafts/a.md"]),
        (["2025-*"], ["drafts/a.md", "x/drafts/b.md"]),
        (["2025-05-06/*.md"], ["drafts/a.md", "x/drafts/b.md"]),
        (["x/drafts", "*/clean.md"], ["2025-05-06/warned.md", "drafts/a.md"]),
    ],
)
def test_exclude_leaves_out_files_and_folders(
    folder: Path, patterns: list[str], left: list[str]
) -> None:
    write(folder / "drafts" / "a.md", BROKEN)
    write(folder / "x" / "drafts" / "b.md", BROKEN)
    arguments = [item for pattern in patterns for item in ("--exclude", pattern)]
    done = clipdoc_command("check", "--format", "json", "--include-readme", *arguments, folder)
    seen = {item["path"] for item in json.loads(done.stdout)}
    listed = clipdoc_command("convert", *arguments, folder, folder.parent / "all.jsonl")
    assert listed.returncode in (0, 1)
    records = (folder.parent / "all.jsonl").read_text(encoding="utf-8").splitlines()
    converted = {json.loads(line)["path"] for line in records}
    checked = {f"{folder}/{path}" for path in left}
    assert seen <= checked
    assert converted == {path for path in left if path.startswith("2025")}


def test_check_strict_fails_on_warnings(folder: Path) -> None:
    assert clipdoc_command("check", folder).returncode == 0
    assert clipdoc_command("check", "--strict", folder).returncode == 1
    assert clipdoc_command("check", "--strict", folder / "2025-05-06" / "clean.md").returncode == 0


def test_check_strict_shows_the_warnings_errors_only_would_hide(folder: Path) -> None:
    quiet = clipdoc_command("check", "--errors-only", folder)
    assert (quiet.returncode, quiet.stdout) == (0, "")
    strict = clipdoc_command("check", "--strict", "--errors-only", folder)
    assert strict.returncode == 1
    assert [line.split(" ")[1] for line in strict.stdout.splitlines()] == ["CD202", "CD204"]
    as_json = clipdoc_command("check", "--format", "json", "--errors-only", folder)
    assert (as_json.returncode, json.loads(as_json.stdout)) == (0, [])
    assert "2 warnings" in as_json.stderr  # counted, not shown


@pytest.mark.parametrize(
    "paths",
    [
        ["docs", "docs"],
        ["docs", "./docs/"],
        ["docs", "docs/2025-05-06"],
        ["docs/2025-05-06", "docs"],
        ["docs", "docs/2025-05-06/warned.md", "docs/2025-05-06/clean.md"],
        ["linked", "docs"],
    ],
)
@pytest.mark.parametrize("command", ["check", "fmt"])
def test_a_document_two_paths_reach_is_worked_on_once(
    folder: Path, paths: list[str], command: str
) -> None:
    (folder.parent / "linked").symlink_to(folder)
    done = clipdoc_command(command, *paths, cwd=folder.parent)
    assert done.returncode == 0, done.stderr
    assert "2 documents" in done.stderr.splitlines()[-1]
    if command == "check":
        assert len(done.stdout.splitlines()) == 2  # warned.md's two warnings


def test_a_path_the_folder_walk_leaves_out_is_still_worked_on(folder: Path) -> None:
    write(folder / "2025-05-06" / "drafts" / "draft.md", CANONICAL)
    write(folder.parent / "elsewhere" / "other.md", CANONICAL)
    (folder / "2025-05-06" / "via-link").symlink_to(folder.parent / "elsewhere")
    done = clipdoc_command(
        "check",
        "--exclude",
        "drafts",
        "docs",
        "docs/.hidden",  # hidden: the walk of docs skips it
        "docs/2025-05-06/drafts",  # excluded from the walk of docs, named here
        "docs/2025-05-06/via-link",  # through a link, which the walk does not follow
        cwd=folder.parent,
    )
    # The link named is read through, not also reported by the walk of docs.
    assert done.returncode == 1
    assert done.stdout.splitlines()[-1] == f"docs/.hidden/skipped.md{NOT_CD111}"
    assert done.stderr.splitlines()[-1] == (
        "checked 5 documents (1 with errors), 1 error, 2 warnings"
    )


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_folder_inside_another_gives_what_the_outer_walk_leaves_out(
    folder: Path, jobs: str
) -> None:
    write(folder / "2025-05-06" / "drafts" / "draft.md", BROKEN)
    paths = ["docs", "docs/2025-05-06", "docs/2025-05-06/drafts"]
    done = clipdoc_command(
        "check", "-j", jobs, "--exclude", "2025-05-06/drafts/*", *paths, cwd=folder.parent
    )
    # The walk of docs leaves the draft out, that of docs/2025-05-06 reads
    # it: each document once, whichever walk gives it.
    assert done.stdout.splitlines() == [
        "docs/2025-05-06/warned.md:1:4: CD202 CRLF or CR line endings; clipdoc writes LF"
        " ('\\n') only",
        "docs/2025-05-06/warned.md:3:9: CD204 trailing spaces or tabs after the heading",
        f"docs/2025-05-06/drafts/draft.md{NOT_CD111}",
    ]
    assert done.stderr.splitlines()[-1].startswith("checked 3 documents (1 with errors)")
    formatted = clipdoc_command(
        "fmt", "-j", jobs, "--exclude", "2025-05-06/drafts/*", *paths, cwd=folder.parent
    )
    assert formatted.stderr.count("reformatted docs/") == 1, formatted.stderr
    assert "changed since" not in formatted.stderr
    assert "formatted 3 documents (1 with errors)" in formatted.stderr


def test_another_spelling_of_an_excluded_file_is_still_worked_on(folder: Path) -> None:
    write(folder / "notes.md", BROKEN)
    # The pattern matches a folder of the absolute path only.
    pattern = folder.parent.name
    done = clipdoc_command(
        "check", "--exclude", pattern, folder / "notes.md", "notes.md", cwd=folder
    )
    assert done.returncode == 1
    assert done.stdout.splitlines() == [f"notes.md{NOT_CD111}"]
    assert done.stderr.splitlines()[0] == f"{folder / 'notes.md'}: left out by --exclude"


@pytest.mark.parametrize("cached", [False, True])
@pytest.mark.parametrize("command", ["check", "fmt"])
def test_a_link_named_with_the_folder_that_holds_it_is_read_once_as_named(
    folder: Path, command: str, cached: bool
) -> None:
    write(folder.parent / "elsewhere" / "other.md", CANONICAL)
    (folder / "link.md").symlink_to(folder.parent / "elsewhere" / "other.md")
    if cached:
        clipdoc_command("index", "docs", cwd=folder.parent)  # exit 1: the link left out
        assert (folder / ".clipdoc").is_dir()
    for paths in (["docs", "docs/link.md"], ["docs/link.md", "docs"]):
        done = clipdoc_command(command, *paths, cwd=folder.parent)
        # Named, the link is read through; the walk of docs does not also
        # report it as a link it does not follow.
        assert done.returncode == 0, done.stderr
        assert "CD503" not in done.stdout + done.stderr
        assert " 3 documents" in done.stderr.splitlines()[-1]


@pytest.mark.parametrize("follow", [[], ["--follow-links"]])
@pytest.mark.parametrize("named", ["docs/via-link", "docs/via-link/"])
def test_a_folder_link_named_with_the_folder_that_holds_it_is_read_once(
    folder: Path, follow: list[str], named: str
) -> None:
    write(folder.parent / "elsewhere" / "other.md", BROKEN)
    (folder / "via-link").symlink_to(folder.parent / "elsewhere")
    done = clipdoc_command("check", *follow, "docs", named, cwd=folder.parent)
    assert done.stdout.splitlines()[-1].endswith(f"other.md{NOT_CD111}")
    assert done.stderr.splitlines()[-1] == (
        "checked 3 documents (1 with errors), 1 error, 2 warnings"
    )


@pytest.mark.parametrize("mode", [[], ["--check"]])
@pytest.mark.parametrize(
    "named",
    [
        "docs/via-link",
        "docs/via-link/",
        "docs/via-link/.",
        "docs/via-link/out.md",
        "{absolute}/docs/via-link/.",
    ],
)
def test_nothing_is_written_through_a_folder_link_named(
    folder: Path, mode: list[str], named: str
) -> None:
    outside = folder.parent / "elsewhere" / "out.md"
    write(outside, WARNED)
    (folder / "via-link").symlink_to(outside.parent)
    # As a shell glob names it: docs/* holds the link, docs/*/*.md goes through it.
    named = named.format(absolute=folder.parent)
    done = clipdoc_command("fmt", *mode, named, "docs/2025-05-06", cwd=folder.parent)
    assert outside.read_bytes() == WARNED.encode()
    assert (
        "out.md: left as it is: reached through a symbolic link named on the command line"
        in done.stderr
    )
    assert done.returncode == 1
    # Named as the folder it is, it is formatted.
    clipdoc_command("fmt", outside.parent, cwd=folder.parent)
    assert outside.read_bytes() == "# t\n\n## AI 摘要\n\n摘要\n".encode()


def test_a_file_named_through_a_link_and_as_itself_is_formatted(folder: Path) -> None:
    (folder / "via-link").symlink_to(folder / "2025-05-06")
    for paths in (
        ["docs/via-link/warned.md", "docs/2025-05-06/warned.md"],
        ["docs/via-link", "docs/2025-05-06"],
    ):
        write(folder / "2025-05-06" / "warned.md", WARNED)
        done = clipdoc_command("fmt", *paths, cwd=folder.parent)
        assert done.returncode == 0, done.stderr
        assert "left as it is" not in done.stderr
        assert (folder / "2025-05-06" / "warned.md").read_bytes() == (
            "# t\n\n## AI 摘要\n\n摘要\n".encode()
        )


@pytest.mark.parametrize("kind", ["symbolic", "hard"])
def test_a_link_named_with_its_file_leaves_neither_unformatted(folder: Path, kind: str) -> None:
    warned = folder / "2025-05-06" / "warned.md"
    link = folder / "link.md"
    if kind == "symbolic":
        link.symlink_to(warned)
    else:
        os.link(warned, link)
    done = clipdoc_command("fmt", "link.md", "2025-05-06/warned.md", cwd=folder)
    assert warned.read_bytes() == "# t\n\n## AI 摘要\n\n摘要\n".encode()
    if kind == "symbolic":
        assert "link.md: left as it is" in done.stderr  # never written through
    else:
        assert link.read_bytes() == warned.read_bytes()


def test_a_path_through_a_link_and_back_is_compared_as_it_really_is(folder: Path) -> None:
    write(folder.parent / "outside" / "inner" / "x.md", BROKEN)
    (folder / "link").symlink_to(folder.parent / "outside" / "inner")
    # docs/link/.. is the folder outside, not docs: its document is checked.
    done = clipdoc_command("check", "docs", "docs/link/..", cwd=folder.parent)
    assert f"docs/link/../inner/x.md{NOT_CD111}" in done.stdout.splitlines()


def test_a_file_through_a_link_and_back_is_compared_as_it_really_is(folder: Path) -> None:
    write(folder.parent / "elsewhere" / "inner" / "keep.md", CANONICAL)
    write(folder.parent / "elsewhere" / "docs" / "2025-05-06" / "clean.md", BROKEN)
    (folder.parent / "l").symlink_to(folder.parent / "elsewhere" / "inner")
    # l/../docs/2025-05-06/clean.md is elsewhere's, not the one in docs.
    for first in ("docs", "docs/2025-05-06/clean.md"):
        done = clipdoc_command("check", first, "l/../docs/2025-05-06/clean.md", cwd=folder.parent)
        assert done.stdout.splitlines()[-1] == f"l/../docs/2025-05-06/clean.md{NOT_CD111}"
        assert done.returncode == 1


def test_a_path_below_a_folder_the_outer_walk_cannot_list_is_worked_on(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clipdoc._cli import _common

    locked = os.path.realpath(folder / "2025-05-06")
    write(folder / "2025-05-06" / "sub" / "x.md", BROKEN)
    monkeypatch.setattr(_common, "_listable", functools.lru_cache(lambda path: path != locked))
    monkeypatch.chdir(folder.parent)
    options = argparse.Namespace(
        paths=["docs", "docs/2025-05-06/sub", "docs/2025-05-06/clean.md"],
        exclude=[],
        include_readme=False,
    )
    # Named under a folder the walk of docs could not list: each is kept.
    assert _common.existing(options) == (options.paths, [])
    assert _common.enclosing("docs/2025-05-06/sub", options.paths) == []


def test_a_file_named_alone_is_shown_as_it_was_named(folder: Path) -> None:
    write(folder / "notes.md", BROKEN)
    done = clipdoc_command("check", "notes.md", "notes.md", "missing.md", cwd=folder)
    assert done.returncode == 2
    assert done.stdout == f"notes.md{NOT_CD111}\n"
    assert "missing.md: no such file or folder" in done.stderr
    assert "checked 1 document" in done.stderr


def test_recovered_conflicts_stay_visible_to_check(tmp_path: Path) -> None:
    conflicted = sorted((ROOT / "tests" / "data" / "conflicted").glob("*.md"))
    for path in conflicted:
        shutil.copy(path, tmp_path / path.name)
    before = clipdoc_command("check", tmp_path)
    assert before.returncode == 1
    assert {line.split(" ")[1] for line in before.stdout.splitlines()} == {"CD106"}
    assert len(before.stdout.splitlines()) == 2 * len(conflicted)
    assert "checked 6 documents (6 with errors), 12 errors" in before.stderr
    assert clipdoc_command("fmt", "--recover", tmp_path).returncode == 1
    after = clipdoc_command("check", tmp_path)
    assert after.returncode == 0
    assert {line.split(" ")[1] for line in after.stdout.splitlines()} == {"CD210"}
    assert {line.split(":")[0] for line in after.stdout.splitlines()} == {
        str(tmp_path / path.name) for path in conflicted
    }
    assert clipdoc_command("check", "--strict", tmp_path).returncode == 1


def test_version(tmp_path: Path) -> None:
    done = clipdoc_command("--version")
    assert (done.returncode, done.stdout) == (0, f"clipdoc {clipdoc.__version__}\n")
    # One source of truth: the distribution's version is the package's.
    assert importlib.metadata.version("clipdoc") == clipdoc.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+", clipdoc.__version__)


def test_check_unreadable_file_exits_2(folder: Path) -> None:
    (folder / "dangling.md").symlink_to(folder / "nowhere.md")
    done = clipdoc_command("check", folder)
    assert done.returncode == 2
    assert f"{folder}/dangling.md: cannot read:" in done.stderr


def test_check_json_format(folder: Path) -> None:
    write(folder / "notes.md", BROKEN)
    done = clipdoc_command("check", "--format", "json", folder)
    assert done.returncode == 1
    found = json.loads(done.stdout)
    # Sorted by path, part by part: a folder's entries in name order.
    assert [(item["path"], item["code"], item["severity"]) for item in found] == [
        (f"{folder}/2025-05-06/warned.md", "CD202", "warning"),
        (f"{folder}/2025-05-06/warned.md", "CD204", "warning"),
        (f"{folder}/notes.md", "CD111", "error"),
    ]
    assert (found[0]["line"], found[0]["column"]) == (1, 4)


def test_check_json_format_when_clean(folder: Path) -> None:
    done = clipdoc_command("check", "--format", "json", folder / "2025-05-06" / "clean.md")
    assert done.returncode == 0
    assert json.loads(done.stdout) == []


def test_fmt_rewrites_only_what_changes(folder: Path) -> None:
    clean = folder / "2025-05-06" / "clean.md"
    warned = folder / "2025-05-06" / "warned.md"
    os.chmod(warned, 0o600)
    inode = clean.stat().st_ino
    done = clipdoc_command("fmt", folder)
    assert done.returncode == 0
    assert f"reformatted {warned}" in done.stderr
    assert warned.read_bytes() == "# t\n\n## AI 摘要\n\n摘要\n".encode()
    assert stat.S_IMODE(warned.stat().st_mode) == 0o600
    assert clean.stat().st_ino == inode  # untouched, not rewritten
    assert sorted(p.name for p in warned.parent.iterdir()) == ["clean.md", "warned.md"]
    again = clipdoc_command("fmt", "--check", folder)
    assert again.returncode == 0


def test_fmt_check_and_diff_change_nothing(folder: Path) -> None:
    warned = folder / "2025-05-06" / "warned.md"
    before = warned.read_bytes()
    done = clipdoc_command("fmt", "--check", folder)
    assert done.returncode == 1
    assert f"would reformat {warned}" in done.stderr
    diff = clipdoc_command("fmt", "--diff", warned)
    assert diff.returncode == 1
    assert "-## AI 摘要  ␍\n" in diff.stdout
    assert "+## AI 摘要\n" in diff.stdout
    assert warned.read_bytes() == before


def test_fmt_leaves_documents_with_errors_alone(folder: Path) -> None:
    broken = write(folder / "broken.md", "# t\n\nstray\n\n## AI 摘要\n\nx\n")
    done = clipdoc_command("fmt", folder)
    assert done.returncode == 1
    assert f"{broken}:3:1: CD107" in done.stdout
    assert f"{broken}: left unchanged because of the errors above" in done.stderr
    assert broken.read_text(encoding="utf-8") == "# t\n\nstray\n\n## AI 摘要\n\nx\n"
    recovered = clipdoc_command("fmt", "--recover", broken)
    assert recovered.returncode == 1  # the errors are still reported
    assert broken.read_text(encoding="utf-8") == (
        "# t\n\n## AI 摘要\n\nx\n\n## clipdoc: unparsed text from line 3\n\nstray\n"
    )


def test_convert_single_files_and_standard_streams(tmp_path: Path) -> None:
    source = write(tmp_path / "a.md", EXAMPLE.read_text(encoding="utf-8"))
    assert clipdoc_command("convert", source, tmp_path / "a.json").returncode == 0
    mapping = json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))
    assert mapping == clipdoc.to_dict(clipdoc.load(EXAMPLE))
    assert clipdoc_command("convert", tmp_path / "a.json", tmp_path / "b.md").returncode == 0
    assert (tmp_path / "b.md").read_bytes() == EXAMPLE.read_bytes()
    to_stdout = run_bytes("convert", "-", "-", "--from", "md", stdin=EXAMPLE.read_bytes())
    assert to_stdout.returncode == 0
    back = run_bytes("convert", "-", "-", "--from", "json", stdin=to_stdout.stdout)
    assert back.returncode == 0
    assert back.stdout == EXAMPLE.read_bytes()


def test_convert_refuses_to_replace_without_force(tmp_path: Path) -> None:
    source = write(tmp_path / "a.md", CANONICAL)
    target = write(tmp_path / "a.json", "precious")
    done = clipdoc_command("convert", source, target)
    assert done.returncode == 2
    assert "pass --force" in done.stderr
    assert target.read_text() == "precious"
    assert clipdoc_command("convert", "--force", source, target).returncode == 0
    assert json.loads(target.read_text(encoding="utf-8"))["title"] == "t"


def test_convert_document_with_errors(tmp_path: Path) -> None:
    source = write(tmp_path / "bad.md", BROKEN)
    done = clipdoc_command("convert", source, tmp_path / "bad.json")
    assert done.returncode == 1
    assert "CD111" in done.stderr
    assert not (tmp_path / "bad.json").exists()


def _names_folder(root: Path) -> list[Path]:
    """Documents whose names are as hostile as the real ones."""
    names = [
        "2025-04-21/#2025中国AIGC应用全景图谱报告##趋势#2024年....md",
        "2025-04-21/Retrieval-Augmented_Generation_(v1),_a+b.md",
        "2025-04-22/nested/deeper/空 格 and spaces.md",
        "top.md",
    ]
    body = EXAMPLE.read_text(encoding="utf-8")
    return [
        write(root / name, body.replace("五一节后", f"五一节后{index}"))
        for index, name in enumerate(names)
    ]


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_folder_to_jsonl_and_back_is_byte_identical(tmp_path: Path, jobs: str) -> None:
    source = tmp_path / "source"
    _names_folder(source)
    lines = tmp_path / "all.jsonl"
    done = clipdoc_command("convert", "--jobs", jobs, source, lines)
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in lines.read_text(encoding="utf-8").splitlines()]
    # Sorted by path, part by part.
    assert [record["path"] for record in records] == [
        "2025-04-21/#2025中国AIGC应用全景图谱报告##趋势#2024年....md",
        "2025-04-21/Retrieval-Augmented_Generation_(v1),_a+b.md",
        "2025-04-22/nested/deeper/空 格 and spaces.md",
        "top.md",
    ]
    back = tmp_path / "back"
    done = clipdoc_command("convert", "--jobs", jobs, lines, back)
    assert done.returncode == 0, done.stderr
    assert _tree(back) == _tree(source)


def test_jsonl_to_stdout_and_from_stdin(tmp_path: Path) -> None:
    source = tmp_path / "source"
    _names_folder(source)
    out = run_bytes("convert", source, "-")
    assert out.returncode == 0
    assert len(out.stdout.splitlines()) == 4
    back = run_bytes("convert", "-", tmp_path / "back", stdin=out.stdout)
    assert back.returncode == 0, back.stderr
    assert _tree(tmp_path / "back") == _tree(source)


def test_folder_with_bad_documents_is_reported_and_skipped(folder: Path, tmp_path: Path) -> None:
    write(folder / "notes.md", BROKEN)
    lines = tmp_path / "out.jsonl"
    done = clipdoc_command("convert", folder, lines)
    assert done.returncode == 1
    assert f"{folder}/notes.md: skipped because of the errors above" in done.stderr
    assert "2 written" in done.stderr
    assert "1 not canonical" in done.stderr
    assert len(lines.read_text(encoding="utf-8").splitlines()) == 2


def _record(path: str, title: str = "t") -> str:
    return json.dumps({"path": path, **clipdoc.to_dict(clipdoc.Clipping(title=title))})


def test_jsonl_records_cannot_leave_the_destination(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    destination = tmp_path / "dest"
    destination.mkdir()
    (destination / "link").symlink_to(outside)
    records = [
        _record("../escape.md"),
        _record("/etc/absolute.md"),
        _record("a/../../escape.md"),
        _record("link/through-symlink.md"),
        _record("not-markdown.txt"),
        _record("ok.md"),
        _record("ok.md", title="again"),
        "{not json",
        json.dumps({"title": "no path"}),
        _record("C:/windows.md"),
    ]
    lines = write(tmp_path / "in.jsonl", "\n".join(records) + "\n")
    done = clipdoc_command("convert", lines, destination)
    assert done.returncode == 1
    problems = done.stdout.splitlines() + done.stderr.splitlines()
    for number in (1, 2, 3, 4, 5, 7, 8, 9, 10):
        assert any(line.startswith(f"{lines}:{number}: ") for line in problems), number
    assert list(outside.iterdir()) == []
    assert not (tmp_path / "escape.md").exists()
    assert sorted(p.name for p in destination.iterdir()) == ["link", "ok.md"]
    assert (destination / "ok.md").read_text(encoding="utf-8") == "# t\n"


def test_jsonl_never_overwrites_other_files_without_force(tmp_path: Path) -> None:
    destination = tmp_path / "dest"
    precious = write(destination / "a.md", "precious")
    same = write(destination / "b.md", "# t\n")
    inode = same.stat().st_ino
    lines = write(tmp_path / "in.jsonl", _record("a.md") + "\n" + _record("b.md") + "\n")
    done = clipdoc_command("convert", lines, destination)
    assert done.returncode == 1
    assert "pass --force" in done.stdout + done.stderr
    assert "1 unchanged" in done.stderr
    assert "written" not in done.stderr
    assert precious.read_text() == "precious"
    assert same.read_text() == "# t\n"
    assert same.stat().st_ino == inode  # the same bytes: not rewritten
    forced = clipdoc_command("convert", "--force", lines, destination)
    assert forced.returncode == 0
    assert forced.stderr.strip().endswith("1 replaced, 1 unchanged")
    assert precious.read_text() == "# t\n"


@pytest.mark.skipif(not shared_corpus_files(), reason="the shared corpus (../shared) is absent")
def test_shared_corpus_round_trips_through_jsonl(tmp_path: Path) -> None:
    source = tmp_path / "corpus"
    shutil.copytree(shared_corpus_files()[0].parents[1], source)
    (source / "LICENSE").unlink()
    assert clipdoc_command("check", source).returncode == 0
    assert clipdoc_command("fmt", "--check", source).returncode == 0
    lines = tmp_path / "corpus.jsonl"
    assert clipdoc_command("convert", "--jobs", "2", source, lines).returncode == 0
    assert len(lines.read_text(encoding="utf-8").splitlines()) == 380
    back = tmp_path / "back"
    assert clipdoc_command("convert", lines, back).returncode == 0
    assert _tree(back) == _tree(source)


def test_pre_commit_hooks_run_the_installed_command(folder: Path) -> None:
    text = (Path(__file__).resolve().parent.parent / ".pre-commit-hooks.yaml").read_text()
    hooks = dict(re.findall(r"- id: (\S+)\n(?:  .*\n)*?  entry: (.+)\n", text))
    assert set(hooks) == {"clipdoc-check", "clipdoc-check-strict", "clipdoc-fmt"}
    assert "language: python" in text
    document = folder / "2025-05-06" / "warned.md"
    strict = hooks.pop("clipdoc-check-strict").split()
    assert clipdoc_command(*strict[1:], document).returncode == 1  # it has warnings
    for hook_id, entry in hooks.items():
        command, *arguments = entry.split()
        assert command == "clipdoc"
        done = clipdoc_command(*arguments, document)
        assert done.returncode == 0, hook_id
    assert clipdoc_command(*strict[1:], document).returncode == 0  # formatted: none left
    assert document.read_bytes() == "# t\n\n## AI 摘要\n\n摘要\n".encode()


def _started(*args: str | Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(SCRIPT), *map(str, args)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def _wait_for(condition: Callable[[], bool], process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        assert process.poll() is None, "the run ended before it could be interrupted"
        assert time.monotonic() < deadline, "the run made no progress"
        time.sleep(0.005)


def _big_jsonl(tmp_path: Path, count: int) -> tuple[Path, dict[str, bytes]]:
    body = EXAMPLE.read_text(encoding="utf-8")
    expected = {}
    lines = []
    for index in range(count):
        clip = clipdoc.parse(body.replace("五一节后", f"五一节后{index}"))
        name = f"{index // 100:03d}/{index:05d}.md"
        expected[name] = clipdoc.render(clip).encode("utf-8")
        lines.append(json.dumps({"path": name, **clipdoc.to_dict(clip)}, ensure_ascii=False))
    return write(tmp_path / "big.jsonl", "\n".join(lines) + "\n"), expected


@pytest.mark.parametrize("signal_number", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_killed_conversion_leaves_no_half_written_file(
    tmp_path: Path, signal_number: signal.Signals
) -> None:
    source, expected = _big_jsonl(tmp_path, 3000)
    destination = tmp_path / "out"
    process = _started("convert", source, destination)
    _wait_for(lambda: len(list(destination.rglob("*.md"))) >= 200, process)
    process.send_signal(signal_number)
    process.wait(timeout=60)
    written = sorted(destination.rglob("*.md"))
    assert 200 <= len(written) < 3000
    for path in written:  # every file that exists is whole
        assert path.read_bytes() == expected[str(path.relative_to(destination))]
    leftovers = list(destination.rglob(".*.tmp"))
    if signal_number != signal.SIGKILL:
        assert process.returncode == 130
        assert leftovers == []  # cleaned up on the way out
    assert all(path.name.startswith(".") for path in leftovers)


def test_killed_folder_conversion_never_leaves_a_partial_jsonl(tmp_path: Path) -> None:
    source, _ = _big_jsonl(tmp_path, 3000)
    folder = tmp_path / "folder"
    assert clipdoc_command("convert", source, folder).returncode == 0
    target = write(tmp_path / "all.jsonl", "the previous version\n")
    process = _started("convert", "--force", folder, target)
    _wait_for(lambda: any(tmp_path.glob(".clipdoc-*.tmp")), process)
    time.sleep(0.05)
    process.kill()
    process.wait(timeout=60)
    assert target.read_text() == "the previous version\n"


def test_killed_fmt_leaves_each_file_old_or_new(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    original = WARNED.encode("utf-8")
    for index in range(1500):
        (folder / f"{index:04d}.md").parent.mkdir(parents=True, exist_ok=True)
        (folder / f"{index:04d}.md").write_bytes(original)
    canonical = "# t\n\n## AI 摘要\n\n摘要\n".encode()
    process = _started("fmt", folder)
    _wait_for(
        lambda: sum(p.read_bytes() == canonical for p in folder.glob("00*.md")) >= 20, process
    )
    process.kill()
    process.wait(timeout=60)
    contents = {path.read_bytes() for path in folder.glob("*.md")}
    assert contents <= {original, canonical}


# --------------------------------------------------------------------------
# The format registry: every format converts to every other.


def _producer_folder(root: Path) -> list[Path]:
    """Documents at the paths the producer would give them."""
    sources = shared_corpus_files()[:25] or [EXAMPLE]
    collection = clipdoc.Collection(root) if root.is_dir() else None
    if collection is None:
        root.mkdir(parents=True)
        collection = clipdoc.Collection(root)
    for path in sources:
        collection.add(clipdoc.load(path))
    return sorted(root.rglob("*.md"))


@pytest.mark.parametrize("target", ["all.feed.json", "out.atom", "out.rss", "all.jsonl"])
def test_folder_to_a_feed_and_back_gives_the_same_files(tmp_path: Path, target: str) -> None:
    source = tmp_path / "source"
    files = _producer_folder(source)
    feed = tmp_path / target
    done = clipdoc_command("convert", source, feed)
    assert done.returncode == 0, done.stderr
    assert f"{len(files)} written" in done.stderr
    back = tmp_path / "back"
    done = clipdoc_command("convert", feed, back)
    assert done.returncode == 0, done.stderr
    assert _tree(back) == _tree(source)


def test_folder_to_notes_and_back(tmp_path: Path) -> None:
    source = tmp_path / "source"
    files = _producer_folder(source)
    notes_folder = tmp_path / "notes"
    done = clipdoc_command("convert", "--to", "notes", source, notes_folder)
    assert done.returncode == 0, done.stderr
    assert sorted(p.relative_to(notes_folder) for p in notes_folder.rglob("*.md")) == sorted(
        p.relative_to(source) for p in files
    )
    assert next(notes_folder.rglob("*.md")).read_text(encoding="utf-8").startswith("---\ntitle:")
    back = tmp_path / "back"
    done = clipdoc_command("convert", "--from", "notes", notes_folder, back)
    assert done.returncode == 0, done.stderr
    assert _tree(back) == _tree(source)


def test_single_documents_and_feeds(tmp_path: Path) -> None:
    feed = tmp_path / "one.rss"
    assert clipdoc_command("convert", EXAMPLE, feed).returncode == 0
    back = tmp_path / "back.md"
    assert clipdoc_command("convert", feed, back, "--to", "md").returncode == 0
    assert back.read_bytes() == EXAMPLE.read_bytes()
    stdout = run_bytes(
        "convert", "-", "-", "--from", "md", "--to", "jsonfeed", stdin=back.read_bytes()
    )
    assert stdout.returncode == 0
    assert json.loads(stdout.stdout)["version"] == "https://jsonfeed.org/version/1.1"
    two = tmp_path / "two.atom"
    lines = tmp_path / "two.jsonl"
    lines.write_text(_record("a.md") + "\n" + _record("b.md", title="u") + "\n")
    assert clipdoc_command("convert", lines, two).returncode == 0
    too_many = clipdoc_command("convert", two, tmp_path / "x.md")
    assert too_many.returncode == 2
    assert "2 clippings do not fit in one md document" in too_many.stderr


def test_what_cannot_be_told_or_done(tmp_path: Path) -> None:
    (tmp_path / "feed.xml").write_bytes(b"<rss/>")
    done = clipdoc_command("convert", tmp_path / "feed.xml", tmp_path / "out")
    assert done.returncode == 2
    assert "--from" in done.stderr
    done = clipdoc_command("convert", "--from", "rss", tmp_path / "feed.xml", tmp_path / "out")
    assert done.returncode == 1
    assert "CD601" in done.stdout + done.stderr
    done = clipdoc_command("convert", EXAMPLE, tmp_path / "out.xml")
    assert done.returncode == 2
    assert "--to" in done.stderr
    done = clipdoc_command("convert", "--to", "notes", EXAMPLE, "-")
    assert done.returncode == 2
    assert "name the folder" in done.stderr


# --------------------------------------------------------------------------
# One bad record never drops the others.


def _rows_file(path: Path, change: Callable[[list[dict[str, object]]], None]) -> Path:
    """A Parquet file of five clippings, a.md to e.md, after ``change``
    (its columns nullable, as another tool may write them)."""
    pyarrow = pytest.importorskip("pyarrow")
    parquet = pytest.importorskip("pyarrow.parquet")
    from clipdoc import arrow

    clip = clipdoc.load(EXAMPLE)
    rows = arrow.to_table([(f"{name}.md", clip) for name in "abcde"]).to_pylist()
    change(rows)
    schema = pyarrow.schema([column.with_nullable(True) for column in arrow.SCHEMA])
    # Two rows per row group: a bad row is found whatever group it is in.
    parquet.write_table(pyarrow.Table.from_pylist(rows, schema=schema), path, row_group_size=2)
    return path


def _spoil(rows: list[dict[str, object]]) -> None:
    rows[1]["title"] = None
    rows[2]["saved_at_offset"] = 24 * 60
    rows[3]["extra"] = [{"key": "来源", "value": "a known label"}]


def test_parquet_rows_that_cannot_be_clippings_are_reported_alone(tmp_path: Path) -> None:
    source = _rows_file(tmp_path / "in.parquet", _spoil)
    done = clipdoc_command("convert", source, tmp_path / "out")
    assert done.returncode == 1
    problems = done.stderr.splitlines()
    assert f"{source}:2: title is null, not a string" in problems
    assert any(line.startswith(f"{source}:3: saved_at_offset is 1440 minutes") for line in problems)
    assert any(line.startswith(f"{source}:4: ") and "(CD302)" in line for line in problems)
    assert "5 documents, 3 errors, 0 warnings, 2 written" in done.stderr
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == ["a.md", "e.md"]
    assert (tmp_path / "out" / "e.md").read_bytes() == EXAMPLE.read_bytes()
    lines = tmp_path / "out.jsonl"
    assert clipdoc_command("convert", source, lines).returncode == 1
    assert [json.loads(line)["path"] for line in lines.read_text().splitlines()] == ["a.md", "e.md"]


def test_a_parquet_date_python_cannot_hold_loses_only_its_row(tmp_path: Path) -> None:
    pyarrow = pytest.importorskip("pyarrow")
    parquet = pytest.importorskip("pyarrow.parquet")
    from clipdoc import arrow

    source = _rows_file(tmp_path / "in.parquet", lambda rows: None)
    table = parquet.read_table(source)
    where = table.schema.get_field_index("catalog_date")
    days = pyarrow.array([20214, 20214, 2**31 - 1, 20214, 20214], pyarrow.date32())
    parquet.write_table(table.set_column(where, "catalog_date", days), source)
    done = clipdoc_command("convert", source, tmp_path / "out")
    assert done.returncode == 1
    assert f"{source}:3: a date or time is out of range" in done.stderr
    assert "4 written" in done.stderr
    # The library names the row too, rather than failing somewhere inside it.
    with pytest.raises(ValueError, match=r"^row 3: a date or time is out of range"):
        list(arrow.read_parquet(source))


def test_a_parquet_file_without_clippings_is_one_error(tmp_path: Path) -> None:
    parquet = pytest.importorskip("pyarrow.parquet")
    source = _rows_file(tmp_path / "in.parquet", lambda rows: None)
    parquet.write_table(parquet.read_table(source).drop_columns(["title"]), source)
    done = clipdoc_command("convert", source, tmp_path / "out")
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == (
        f"{source}: cannot read the Parquet file: it holds no clippings: it has no column title"
    )
    assert "1 document, 1 error" in done.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


@pytest.mark.parametrize("target", ["out", "out.parquet", "out.atom", "out.jsonl"])
def test_a_bad_json_lines_record_loses_only_itself(tmp_path: Path, target: str) -> None:
    if target.endswith(".parquet"):
        pytest.importorskip("pyarrow")
    lines = write(
        tmp_path / "in.jsonl",
        "\n".join(
            [
                json.dumps({"path": "2025-05-06/a.md", **clipdoc.to_dict(clipdoc.load(EXAMPLE))}),
                "{not json",
                _record("2025-05-06/c.md", title="c"),
            ]
        )
        + "\n",
    )
    done = clipdoc_command("convert", lines, tmp_path / target)
    assert done.returncode == 1
    assert f"{lines}:2: not JSON" in done.stderr
    assert "3 documents, 1 error, 0 warnings, 2 written" in done.stderr


def _feed_items(clips: list[clipdoc.Clipping]) -> list[object]:
    from clipdoc import feeds

    document = json.loads(feeds.to_json_feed(clips, title="t"))
    items: list[object] = document["items"]
    return items


def test_a_feed_with_bad_entries_keeps_the_others(tmp_path: Path) -> None:
    clip = clipdoc.load(EXAMPLE)
    items = _feed_items([clip, clip, clipdoc.Clipping(title="other", metadata=clip.metadata)])
    items[1] = {"title": "plain", "_clipdoc": {"clipping": {"title": 5}}}  # a damaged extension
    items.insert(1, "not an entry")
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": items}
    source = write(tmp_path / "in.feed.json", json.dumps(feed))
    done = clipdoc_command("convert", source, tmp_path / "out")
    assert done.returncode == 0, done.stderr
    written = sorted(path.name for path in (tmp_path / "out").rglob("*.md"))
    assert len(written) == 3
    assert "other.md" in written
    assert "plain.md" in written


def test_a_clipping_without_a_path_is_left_out_of_json_lines_alone(tmp_path: Path) -> None:
    from clipdoc import feeds

    dated = clipdoc.load(EXAMPLE)
    feed = write(tmp_path / "in.feed.json", "")
    feed.write_bytes(feeds.to_json_feed([clipdoc.Clipping(title="no date"), dated], title="t"))
    lines = tmp_path / "out.jsonl"
    done = clipdoc_command("convert", feed, lines)
    assert done.returncode == 1
    assert f"{feed}: CD501 the clipping has no catalog date" in done.stderr
    assert [json.loads(line)["path"] for line in lines.read_text().splitlines()] == [
        clipdoc.clipping_path(dated)
    ]


# --------------------------------------------------------------------------
# Targets behave the same for 0, 1 and 2 documents.


def _folder_of(root: Path, count: int) -> Path:
    root.mkdir()
    for index in range(count):
        write(root / f"{index}.md", CANONICAL.replace("# t", f"# t{index}"))
    return root


@pytest.mark.parametrize("count", [0, 1, 2])
@pytest.mark.parametrize("target", ["x.json", "x.md", "-"])
def test_a_folder_never_goes_to_a_one_clipping_format(
    tmp_path: Path, count: int, target: str
) -> None:
    source = _folder_of(tmp_path / "docs", count)
    kind = ["--to", "json"] if target == "-" else []
    done = clipdoc_command("convert", *kind, source, tmp_path / target if target != "-" else "-")
    assert done.returncode == 2
    assert "a folder holds any number of clippings" in done.stderr
    assert "convert to jsonl" in done.stderr
    assert done.stdout == ""
    assert sorted(path.name for path in tmp_path.iterdir()) == ["docs"]


@pytest.mark.parametrize("count", [0, 1, 2])
def test_a_stream_goes_to_a_one_clipping_format_only_with_one(tmp_path: Path, count: int) -> None:
    lines = write(
        tmp_path / "in.jsonl",
        "".join(_record(f"{i}.md", title=f"t{i}") + "\n" for i in range(count)),
    )
    target = tmp_path / "x.json"
    done = clipdoc_command("convert", lines, target)
    if count == 1:
        assert done.returncode == 0, done.stderr
        assert json.loads(target.read_text(encoding="utf-8"))["title"] == "t0"
        return
    assert done.returncode == 2
    expected = "x.json was not written" if count == 0 else "2 clippings do not fit"
    assert expected in done.stderr
    assert not target.exists()


def test_an_empty_document_source_says_why_nothing_was_written(tmp_path: Path) -> None:
    lines = write(tmp_path / "in.jsonl", "{not json\n")
    done = clipdoc_command("convert", lines, tmp_path / "x.json")
    assert done.returncode == 1  # the record's error says why
    assert f"{lines}:1: not JSON" in done.stderr
    assert "x.json was not written" in done.stderr
    assert not (tmp_path / "x.json").exists()


@pytest.mark.parametrize("name", ["x.json", "x.md", "x.jsonl", "x.feed.json", "x.rss"])
def test_a_folder_named_like_a_file_is_not_taken_for_a_folder(tmp_path: Path, name: str) -> None:
    source = write(tmp_path / "in.jsonl", _record("a.md") + "\n")
    folder = tmp_path / name
    folder.mkdir()
    done = clipdoc_command("convert", source, folder)
    assert done.returncode == 2
    assert f"{folder} is a folder, but its name says" in done.stderr
    assert "--to folder" in done.stderr
    assert list(folder.iterdir()) == []
    done = clipdoc_command("convert", "--to", "folder", source, folder)
    assert done.returncode == 0, done.stderr
    assert (folder / "a.md").read_text(encoding="utf-8") == "# t\n"


def test_a_file_format_is_never_written_over_a_folder(tmp_path: Path) -> None:
    source = write(tmp_path / "in.jsonl", _record("a.md") + "\n")
    folder = tmp_path / "out"
    folder.mkdir()
    done = clipdoc_command("convert", "--force", "--to", "jsonl", source, folder)
    assert done.returncode == 2
    assert f"{folder} is a folder; jsonl is written to a file" in done.stderr
    done = clipdoc_command("convert", "--from", "jsonl", folder, tmp_path / "x.jsonl")
    assert done.returncode == 2
    assert f"{folder} is a folder; jsonl is read from a file" in done.stderr


def test_a_json_feed_named_json_says_how_to_read_it(tmp_path: Path) -> None:
    feed = tmp_path / "feed.json"
    feed.write_text('{"version": "https://jsonfeed.org/version/1.1", "items": []}')
    done = clipdoc_command("convert", feed, tmp_path / "out", "--to", "folder")
    assert done.returncode == 1
    assert "this is a JSON Feed: read it with --from jsonfeed" in done.stderr
    # Any other JSON that is not a clipping gets no such hint.
    other = tmp_path / "other.json"
    other.write_text('{"version": 2}')
    done = clipdoc_command("convert", other, tmp_path / "out", "--to", "folder")
    assert "missing member(s)" in done.stderr
    assert "JSON Feed" not in done.stderr
