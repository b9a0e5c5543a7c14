"""The stat cache of a collection: it never serves what a changed file no
longer says, whatever the change (an edit of the same size within one tick
of the clock, a file replaced or renamed, a cache file damaged), and it is
used when nothing changed."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import clipdoc
from clipdoc import Clipping, Collection, Metadata
from clipdoc._cli import main
from clipdoc._storage import cache as stat_cache
from clipdoc._storage import walk as walk_module
from clipdoc._storage.files import SIZE_LIMIT, Folder
from clipdoc._storage.index import write_index
from conftest import PROFILE, wait_for_the_clock

#: The documents of a test collection: paths in two date folders.
_PATHS = [f"2025-05-0{1 + n % 2}/doc{n}.md" for n in range(5)]
#: Letters that change a document without changing its size.
_LETTERS = "ABCDEFGH"


def _document(n: int, letter: str, *, valid: bool = True) -> bytes:
    """Document ``n`` in one of its versions: all of them have one size."""
    clipping = Clipping(
        title=f"doc {n} {letter}",
        url=f"https://example.com/{n % 3}",
        ai_summary=f"summary {letter}",
        metadata=Metadata(
            source="Feed",
            kind="post",
            saved_at=datetime(2025, 5, 1 + n % 2, 8, n, tzinfo=timezone.utc),
            catalog_date=date(2025, 5, 1 + n % 2),
        ),
    )
    data = clipdoc.render(clipping).encode("utf-8")
    # A title line that is not one: an error of the same size.
    return data if valid else b"X" + data[1:]


def _write(root: Path, n: int, letter: str, *, valid: bool = True) -> None:
    path = root / _PATHS[n]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_document(n, letter, valid=valid))


def _views(root: Path, cache: bool | None) -> tuple[Any, ...]:
    """Everything the queries say of the collection."""
    collection = Collection(root, cache=cache)
    return (
        collection.index(),
        collection.index(style="ai_info"),
        [(e.path, e.clipping) for e in collection.select(since="2025-05-02")],
        [e.path for e in collection.find("https://example.com/1")],
        {key: [e.path for e in entries] for key, entries in collection.duplicates().items()},
        [(found.relative, diagnostics) for found, diagnostics in collection._diagnostics()],
        _problems(collection),
    )


def _problems(collection: Collection) -> list[tuple[str, Any]]:
    """What `Collection._problems` tells, runs of documents without
    diagnostics merged however they came (one at a time, or together)."""
    told: list[tuple[str, Any]] = []
    for item in collection._problems()[1]:
        if not isinstance(item, int):
            told.append((item[0].relative, item[1]))
        elif told and told[-1][0] == "":
            told[-1] = ("", told[-1][1] + item)
        else:
            assert item > 0
            told.append(("", item))
    return told


def _problems_of_every_document(collection: Collection) -> list[tuple[str, Any]]:
    """What `_problems` should tell, from every document's diagnostics."""
    told: list[tuple[str, Any]] = []
    for found, diagnostics in collection._diagnostics():
        if diagnostics:
            told.append((found.relative, diagnostics))
        elif told and told[-1][0] == "":
            told[-1] = ("", told[-1][1] + 1)
        else:
            told.append(("", 1))
    return told


def _ai_info_hits(root: Path) -> int:
    """How many documents the producer's index took from the stat cache."""
    with mock.patch.object(stat_cache.StatCache, "save", autospec=True) as save:
        Collection(root).index(style="ai_info")
    (cache,) = save.call_args.args
    return int(cache.hits)


def _same_size_edit(root: Path, n: int, letter: str, valid: bool) -> None:
    """A new text of the same size, its mtime put back as it was: only the
    ctime (and the bytes) tell."""
    path = root / _PATHS[n]
    if not path.exists():
        return
    before = path.stat()
    path.write_bytes(_document(n, letter, valid=valid))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def _replace_inode(root: Path, n: int, letter: str, valid: bool) -> None:
    """Another file put in its place, with the same size and mtime."""
    path = root / _PATHS[n]
    if not path.exists():
        return
    before = path.stat()
    other = path.with_suffix(".new")
    other.write_bytes(_document(n, letter, valid=valid))
    os.utime(other, ns=(before.st_atime_ns, before.st_mtime_ns))
    os.replace(other, path)


def _rename(root: Path, n: int, m: int) -> None:
    """Document ``n`` renamed to ``m``'s path (replacing it, if there)."""
    source, target = root / _PATHS[n], root / _PATHS[m]
    if source.exists() and n != m:
        target.parent.mkdir(exist_ok=True)
        os.replace(source, target)


def _swap(root: Path, n: int, m: int) -> None:
    first, second = root / _PATHS[n], root / _PATHS[m]
    if first.exists() and second.exists() and n != m:
        middle = first.with_suffix(".swap")
        os.replace(first, middle)
        os.replace(second, first)
        os.replace(middle, second)


def _edit_index(root: Path, at: int) -> None:
    """An edit of the index README.md of the same size, its mtime put back."""
    path = root / "README.md"
    if not path.exists():
        return
    before = path.stat()
    data = bytearray(path.read_bytes())
    at = len(_INDEX_HEADING) + at % max(1, len(data) - len(_INDEX_HEADING))
    if at < len(data):
        data[at] = ord("Z") if data[at] != ord("Z") else ord("Y")
    path.write_bytes(bytes(data))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


_INDEX_HEADING = "# 最新信息\n".encode()


def _delete(root: Path, n: int) -> None:
    (root / _PATHS[n]).unlink(missing_ok=True)


def _sneak_in(root: Path, n: int, letter: str) -> None:
    """Document ``n`` written (or made) with its folder's times put back,
    as far as they can be: its ctime still moves."""
    folder = (root / _PATHS[n]).parent
    before = folder.stat() if folder.exists() else None
    _write(root, n, letter)
    if before is not None:
        os.utime(folder, ns=(before.st_atime_ns, before.st_mtime_ns))


def _damage_cache(root: Path, how: int) -> None:
    names = [stat_cache.cache_name("index"), ".clipdoc/memo-index.json"]
    names += [stat_cache.delta_name("index")]
    names += sorted(path.relative_to(root).as_posix() for path in root.glob(".clipdoc/walk-*"))
    cache_file = root / names[how % len(names)]
    if not cache_file.exists():
        return
    data = cache_file.read_bytes()
    damaged = [b"", data[: len(data) // 2], b"\xff" + data, b"[]", data.replace(b'"', b"'", 9)]
    cache_file.write_bytes(damaged[how % len(damaged)])


_INDEX = st.integers(0, len(_PATHS) - 1)
_OPERATIONS = st.one_of(
    st.tuples(st.just("edit"), _INDEX, st.sampled_from(_LETTERS), st.booleans()),
    st.tuples(st.just("replace"), _INDEX, st.sampled_from(_LETTERS), st.booleans()),
    st.tuples(st.just("rename"), _INDEX, _INDEX),
    st.tuples(st.just("swap"), _INDEX, _INDEX),
    st.tuples(st.just("delete"), _INDEX),
    st.tuples(st.just("create"), _INDEX, st.sampled_from(_LETTERS)),
    st.tuples(st.just("sneak in"), _INDEX, st.sampled_from(_LETTERS)),
    st.tuples(st.just("damage"), st.integers(0, 10)),
    st.tuples(st.just("edit-index"), st.integers(0, 10_000)),
    st.tuples(st.just("wait")),
)


_CHANGES: dict[str, Callable[..., None]] = {
    "edit": _same_size_edit,
    "replace": _replace_inode,
    "rename": _rename,
    "swap": _swap,
    "delete": _delete,
    "create": _write,
    "sneak in": _sneak_in,
    "damage": _damage_cache,
    "edit-index": _edit_index,
    "wait": wait_for_the_clock,
}


def _apply(root: Path, operation: tuple[Any, ...]) -> None:
    name, *arguments = operation
    _CHANGES[name](root, *arguments)


#: The first version of each document, and rounds of changes.
_FIRST_LETTERS = st.lists(st.sampled_from(_LETTERS), min_size=len(_PATHS), max_size=len(_PATHS))
_ROUNDS = st.lists(st.lists(_OPERATIONS, min_size=1, max_size=4), min_size=1, max_size=4)


@settings(max_examples=100 if PROFILE == "ci" else 40)
@given(letters=_FIRST_LETTERS, rounds=_ROUNDS)
# A bracket of the index's first address changed by hand: still clipdoc's index.
@example(letters=["A"] * len(_PATHS), rounds=[[("edit-index", 558)]])
def test_the_cache_never_serves_a_changed_file(
    letters: list[str], rounds: list[list[tuple[Any, ...]]]
) -> None:
    # No margin: a file is kept as soon as the clock has moved past its last
    # change, so that changes made right after a run (within the same tick
    # as its reads) are the ones tried; the rule must hold without the margin.
    with (
        tempfile.TemporaryDirectory() as folder,
        tempfile.TemporaryDirectory() as elsewhere,
        mock.patch.object(stat_cache, "RACY_MARGIN_NS", 0),
    ):
        root, output = Path(folder), Path(elsewhere) / "index.md"
        for n, letter in enumerate(letters):
            _write(root, n, letter)
        wait_for_the_clock(root)
        assert _views(root, True) == _views(root, False)
        assert _written_index(root) == Collection(root, cache=False).index()
        assert _index_elsewhere(root, output) == Collection(root, cache=False).index()
        # Nothing changed: every document comes from the cache.
        unchanged = Collection(root)
        unchanged.index()
        assert unchanged.cache_hits == len(_PATHS)
        assert _ai_info_hits(root) == len(_PATHS)
        for operations in rounds:
            for operation in operations:
                _apply(root, operation)
            fresh = Collection(root, cache=False).index()
            # The file written before the changes: a check from the memos
            # says it matches only when it does.
            assert _checked_elsewhere(root, output) == (output.read_text("utf-8") == fresh)
            assert _views(root, None) == _views(root, False), operations
            assert _written_index(root) == fresh, operations
            assert _index_elsewhere(root, output) == fresh, operations


@settings(max_examples=100 if PROFILE == "ci" else 20)
@given(letters=_FIRST_LETTERS, rounds=_ROUNDS)
def test_the_site_never_shows_a_changed_file_from_the_cache(
    letters: list[str], rounds: list[list[tuple[Any, ...]]]
) -> None:
    pytest.importorskip("jinja2", reason="the site needs the 'site' extra")
    from clipdoc.site import build_site

    with (
        tempfile.TemporaryDirectory() as folder,
        tempfile.TemporaryDirectory() as elsewhere,
        mock.patch.object(stat_cache, "RACY_MARGIN_NS", 0),
    ):
        root, sites = Path(folder), Path(elsewhere)
        for n, letter in enumerate(letters):
            _write(root, n, letter)
        build_site(root, sites / "site", cache=True)
        wait_for_the_clock(root)
        for number, operations in enumerate(rounds):
            for operation in operations:
                _apply(root, operation)
            # Built again from the cache (and the last site), and anew.
            cached = build_site(root, sites / "site")
            fresh = build_site(root, sites / f"fresh-{number}", cache=False)
            assert (cached.skipped, cached.problems) == (fresh.skipped, fresh.problems)
            assert _site_files(sites / "site") == _site_files(sites / f"fresh-{number}")


def _site_files(site: Path) -> dict[str, bytes]:
    """The files of a site but its manifest (which records their inodes)."""
    return {
        path.relative_to(site).as_posix(): path.read_bytes()
        for path in site.rglob("*")
        if path.is_file() and path.name != ".clipdoc-site.json"
    }


def _written_index(root: Path) -> str:
    """The index README.md the command writes into the root, with its
    stat cache and memo."""
    assert main(["index", "-q", str(root)]) in (0, 1)
    return (root / "README.md").read_text(encoding="utf-8")


def _index_elsewhere(root: Path, output: Path) -> str:
    """The index the command writes into a file out of the root (or finds
    it holds already), with the root's stat cache and memo."""
    assert main(["index", "-q", "--style", "clipdoc", "-o", str(output), str(root)]) in (0, 1)
    return output.read_text(encoding="utf-8")


def _checked_elsewhere(root: Path, output: Path) -> bool:
    """Whether ``index --check`` says the file out of the root matches."""
    said = io.StringIO()
    with contextlib.redirect_stderr(said):
        main(["index", "--check", "--style", "clipdoc", "-o", str(output), str(root)])
    return " matches the tree" in said.getvalue()


def test_an_index_elsewhere_is_known_from_the_memo(tmp_path: Path) -> None:
    root, output = tmp_path / "root", tmp_path / "index.md"
    for n in range(len(_PATHS)):
        _write(root, n, "A")
    with mock.patch.object(stat_cache, "RACY_MARGIN_NS", 0):
        # Written elsewhere, the index uses a cache the collection keeps.
        Collection(root, cache=True).index()
        wait_for_the_clock(root)
        expected = _index_elsewhere(root, output)
        wait_for_the_clock(root)
        # Unchanged: neither written nor made again, and checked alike
        # (--check writes nothing: not even the clock is read).
        before = output.stat()
        with mock.patch.object(stat_cache.StatCache, "open", side_effect=AssertionError):
            assert _index_elsewhere(root, output) == expected
            folder_before = (root / ".clipdoc").stat().st_mtime_ns
            assert _checked_elsewhere(root, output)
            assert (root / ".clipdoc").stat().st_mtime_ns == folder_before
        assert (output.stat().st_ino, output.stat().st_mtime_ns) == (
            before.st_ino,
            before.st_mtime_ns,
        )
        # A file that holds something else is written, whatever the memo.
        output.write_text("# 最新信息\n\nstale\n", encoding="utf-8")
        assert not _checked_elsewhere(root, output)
        assert _index_elsewhere(root, output) == expected


def test_a_check_from_the_memo_never_reads_an_index_through_a_link_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "root"
    for n in range(2):
        _write(root, n, "A")
    with mock.patch.object(stat_cache, "RACY_MARGIN_NS", 0):
        assert main(["index", "-q", str(root)]) == 0
        wait_for_the_clock(root)
        assert main(["index", "-q", str(root)]) == 0  # the memo now knows README.md
        (root / "README.md").rename(tmp_path / "README.md")
        (root / "README.md").symlink_to(tmp_path / "README.md")
        # The same bytes, but out of the collection: not read, as without
        # the cache.
        assert main(["index", "--check", str(root)]) == 2
    assert "a symbolic link" in capsys.readouterr().err


def test_a_file_changed_just_before_the_run_is_not_kept(tmp_path: Path) -> None:
    _write(tmp_path, 0, "A")
    collection = Collection(tmp_path, cache=True)
    collection.index()
    again = Collection(tmp_path)
    again.index()
    # Changed less than a second before the runs: read both times.
    assert again.cache_hits == 0
    with mock.patch.object(stat_cache, "RACY_MARGIN_NS", 0):
        wait_for_the_clock(tmp_path)
        Collection(tmp_path).index()
        kept = Collection(tmp_path)
        kept.index()
    assert kept.cache_hits == 1


def test_the_cache_is_made_only_when_asked_and_kept_out_of_git_and_walks(
    tmp_path: Path,
) -> None:
    _write(tmp_path, 0, "A")
    Collection(tmp_path).index()
    Collection(tmp_path, cache=False).index()
    assert not (tmp_path / ".clipdoc").exists()
    Collection(tmp_path, cache=True).index()
    assert (tmp_path / stat_cache.cache_name("index")).is_file()
    assert (tmp_path / ".clipdoc" / ".gitignore").read_text(encoding="utf-8").endswith("*\n")
    assert [entry.path for entry in Collection(tmp_path)] == [_PATHS[0]]
    # Safe to delete.
    (tmp_path / stat_cache.cache_name("index")).unlink()
    assert _views(tmp_path, None) == _views(tmp_path, False)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{",
        b"\xff\xfe",
        b"[1, 2]",
        b'{"format": "clipdoc stat cache", "version": 99, "files": {}}',
        b"[" * 100_000,
    ],
)
def test_a_damaged_or_foreign_cache_is_ignored_and_written_anew(
    tmp_path: Path, content: bytes
) -> None:
    _write(tmp_path, 0, "A")
    (tmp_path / ".clipdoc").mkdir()
    (tmp_path / stat_cache.cache_name("index")).write_bytes(content)
    assert _views(tmp_path, None) == _views(tmp_path, False)
    data = json.loads((tmp_path / stat_cache.cache_name("index")).read_bytes())
    assert data["format"] == "clipdoc stat cache"


def _cached_collection(root: Path, count: int) -> None:
    """``count`` documents, settled, and a cache that holds them (called
    with no racy margin)."""
    for n in range(count):
        _write(root, n, "A")
    wait_for_the_clock(root)
    Collection(root, cache=True).index()


_DAMAGES: dict[str, Callable[[bytes], bytes]] = {
    "damaged": lambda data: b"{" + data,
    "another format version": lambda data: data.replace(b'"version":1', b'"version":99', 1),
    "another clipdoc": lambda data: data.replace(b'"clipdoc":"', b'"clipdoc":"x', 1),
}


@pytest.mark.parametrize("damage", sorted(_DAMAGES))
def test_a_damaged_or_foreign_cache_of_settled_files_is_written_whole(
    tmp_path: Path, damage: str
) -> None:
    cache_file = tmp_path / stat_cache.cache_name("index")
    with mock.patch.object(stat_cache, "RACY_MARGIN_NS", 0):
        _cached_collection(tmp_path, 3)
        cache_file.write_bytes(_DAMAGES[damage](cache_file.read_bytes()))
        # Nothing can amend such a file: it is written whole, not a delta.
        Collection(tmp_path).index()
        assert not (tmp_path / stat_cache.delta_name("index")).exists()
        again = Collection(tmp_path)
        again.index()
    assert again.cache_hits == 3


def test_facts_of_the_wrong_shape_are_not_served(tmp_path: Path) -> None:
    for n in range(3):
        _write(tmp_path, n, "A")
    with mock.patch.object(stat_cache, "RACY_MARGIN_NS", 0):
        wait_for_the_clock(tmp_path)
        Collection(tmp_path, cache=True).index()
        Collection(tmp_path).select()
        cache_file = tmp_path / stat_cache.cache_name("index")
        data = json.loads(cache_file.read_bytes())
        for n, held in enumerate(data["files"].values()):
            held[5] = [1, 2, 3][: n + 1]
        cache_file.write_text(json.dumps(data), encoding="utf-8")
        collection = Collection(tmp_path)
        assert _views(tmp_path, None) == _views(tmp_path, False)
        collection.index()
        assert collection.cache_hits == 3  # written anew by the run before


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_a_cache_that_is_a_fifo_or_a_link_out_is_never_read_or_written(tmp_path: Path) -> None:
    root = tmp_path / "root"
    _write(root, 0, "A")
    (root / ".clipdoc").mkdir()
    os.mkfifo(root / stat_cache.cache_name("index"))
    assert _views(root, True) == _views(root, False)  # no hang on the FIFO
    os.unlink(root / stat_cache.cache_name("index"))
    outside = tmp_path / "outside.json"
    outside.write_bytes(b"keep")
    (root / stat_cache.cache_name("index")).symlink_to(outside)
    assert _views(root, True) == _views(root, False)
    assert outside.read_bytes() == b"keep"
    shutil.rmtree(root / ".clipdoc")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (root / ".clipdoc").symlink_to(elsewhere)
    assert _views(root, True) == _views(root, False)
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize("wrong", ["yes", 1, 0, [], 1.0])
def test_cache_takes_true_false_or_none(tmp_path: Path, wrong: object) -> None:
    with pytest.raises(TypeError, match="cache must be None, True or False"):
        Collection(tmp_path, cache=wrong)  # type: ignore[arg-type]


def test_the_index_command_makes_the_cache_only_when_it_writes_into_the_root(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write(tmp_path, 0, "A")
    assert main(["index", "--check", str(tmp_path)]) == 1
    assert main(["index", "-o", str(tmp_path.parent / "out.md"), str(tmp_path)]) == 0
    assert main(["index", "--no-cache", str(tmp_path)]) == 0
    assert not (tmp_path / ".clipdoc").exists()
    assert main(["index", str(tmp_path)]) == 0
    assert (tmp_path / stat_cache.cache_name("index")).is_file()
    assert main(["index", "--check", str(tmp_path)]) == 0
    capsys.readouterr()


@pytest.mark.skipif(os.name == "nt", reason="file names are bytes on POSIX only")
def test_a_file_name_that_is_not_utf8_is_read_every_time(tmp_path: Path) -> None:
    _write(tmp_path, 0, "A")
    odd = os.path.join(os.fsencode(tmp_path), b"2025-05-01", b"caf\xe9.md")
    with open(odd, "wb") as file:
        file.write(_document(1, "B"))
    with mock.patch.object(stat_cache, "RACY_MARGIN_NS", 0):
        wait_for_the_clock(tmp_path)
        for _ in range(2):
            cached = Collection(tmp_path, cache=True)
            assert cached.index(style="ai_info") == Collection(tmp_path).index(style="ai_info")
            assert _views(tmp_path, True) == _views(tmp_path, False)


def test_a_fact_with_a_lone_surrogate_is_kept_escaped(tmp_path: Path) -> None:
    _write(tmp_path, 0, "A")
    folder = Collection(tmp_path).folder
    with mock.patch.object(stat_cache, "RACY_MARGIN_NS", 0):
        wait_for_the_clock(tmp_path)
        cache = stat_cache.StatCache.open(folder, "test", create=True)
        assert cache is not None
        stamp = folder.read(_PATHS[0])[1]
        cache.store(_PATHS[0], stamp, ["\udcff"])
        cache.save()
        again = stat_cache.StatCache.open(folder, "test", create=False)
        assert again is not None
        identity = stat_cache.identity_of(stamp)
        assert again.lookup(_PATHS[0], lambda fact: True, identity) == ["\udcff"]


def test_a_cache_made_by_other_code_is_not_used(tmp_path: Path) -> None:
    """A source checkout keeps its version as its code changes: the cache
    and memos name the code that made them, and other code reads anew."""
    for n in range(len(_PATHS)):
        _write(tmp_path, n, "A")
    with mock.patch.object(stat_cache, "RACY_MARGIN_NS", 0):
        wait_for_the_clock(tmp_path)
        Collection(tmp_path, cache=True).index()
        same = Collection(tmp_path)
        same.index()
        assert same.cache_hits == len(_PATHS)
        assert stat_cache.maker().startswith(clipdoc.__version__ + " ")
        with mock.patch.object(stat_cache, "maker", return_value=f"{clipdoc.__version__} x"):
            other = Collection(tmp_path)
            other.index()
            assert other.cache_hits == 0


def test_what_made_the_cache_changes_with_the_code(tmp_path: Path) -> None:
    package = tmp_path / "clipdoc"
    shutil.copytree(Path(clipdoc.__file__).parent, package, ignore=shutil.ignore_patterns("*.pyc"))
    before = stat_cache.maker_of(str(package))
    assert before == stat_cache.maker_of(str(package))
    assert before.startswith(clipdoc.__version__ + " ")
    with (package / "_site" / "pages.py").open("a", encoding="utf-8") as module:
        module.write("\n# changed\n")
    assert stat_cache.maker_of(str(package)) != before
    (package / "_storage" / "new.py").write_text("", encoding="utf-8")
    assert stat_cache.maker_of(str(package)) not in (before, stat_cache.maker())


@pytest.mark.parametrize(
    "held", ["x", 7, None, {}, [], [1, 2, 3, 4, 5], [1, 2, 3, 4, 5, 6, 7], ["a"] * 6, [[]] * 6]
)
def test_entries_of_the_wrong_shape_are_read_again(tmp_path: Path, held: object) -> None:
    _write(tmp_path, 0, "A")
    (tmp_path / ".clipdoc").mkdir()
    for kind in ("index", "query", "ai_info"):
        document = {
            "format": "clipdoc stat cache",
            "version": 1,
            "clipdoc": stat_cache.maker(),
            "files": {_PATHS[0]: held},
        }
        (tmp_path / stat_cache.cache_name(kind)).write_text(json.dumps(document))
    assert _views(tmp_path, None) == _views(tmp_path, False)


def test_the_gitignore_is_put_back_when_deleted_or_changed(tmp_path: Path) -> None:
    _write(tmp_path, 0, "A")
    Collection(tmp_path, cache=True).index()
    ignore = tmp_path / ".clipdoc" / ".gitignore"
    expected = ignore.read_bytes()
    for damage in (ignore.unlink, lambda: ignore.write_text("!*\n")):
        damage()
        Collection(tmp_path).index()
        assert ignore.read_bytes() == expected


def test_index_check_uses_the_cache_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for n in range(3):
        _write(tmp_path, n, "A")
    with mock.patch.object(stat_cache, "RACY_MARGIN_NS", 0):
        wait_for_the_clock(tmp_path)
        assert main(["index", str(tmp_path)]) == 0
        cache_file = tmp_path / stat_cache.cache_name("index")
        before = cache_file.stat()
        folder_before = cache_file.parent.stat().st_mtime_ns
        _same_size_edit(tmp_path, 0, "B", True)  # the cache is stale for this one
        original = stat_cache.StatCache.lookup
        with mock.patch.object(
            stat_cache.StatCache, "lookup", autospec=True, side_effect=original
        ) as lookup:
            assert main(["index", "--check", str(tmp_path)]) == 1
        after = cache_file.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    # Not even a file to read the clock by was made and removed.
    assert cache_file.parent.stat().st_mtime_ns == folder_before
    assert lookup.call_count == 3
    assert "does not match the tree" in capsys.readouterr().err


def test_a_cache_file_over_the_size_limit_is_written_anew(tmp_path: Path) -> None:
    _write(tmp_path, 0, "A")
    (tmp_path / ".clipdoc").mkdir()
    cache_file = tmp_path / stat_cache.cache_name("index")
    with open(cache_file, "wb") as file:
        file.truncate(2**20 + 1)  # sparse
    Collection(tmp_path, size_limit=2**20).index()
    assert json.loads(cache_file.read_bytes())["format"] == "clipdoc stat cache"


def test_temporary_files_of_killed_saves_are_removed_when_old(tmp_path: Path) -> None:
    _write(tmp_path, 0, "A")
    Collection(tmp_path, cache=True).index()
    old = tmp_path / ".clipdoc" / ".clipdoc-0123456789ab.tmp"
    young = tmp_path / ".clipdoc" / ".clipdoc-ba9876543210.tmp"
    for leftover in (old, young):
        leftover.write_bytes(b"{}")
    two_hours_ago = time.time_ns() - 7200 * 10**9
    os.utime(old, ns=(two_hours_ago, two_hours_ago))
    Collection(tmp_path).index()
    assert not old.exists()
    assert young.exists()  # perhaps another run's save, still under way


def test_queries_after_the_index_command_use_and_fill_the_cache(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write(tmp_path, 0, "A")
    assert main(["index", "-q", str(tmp_path)]) == 0
    list(Collection(tmp_path).select())
    Collection(tmp_path).index(style="ai_info")
    assert sorted(p.name for p in (tmp_path / ".clipdoc").glob("stat-cache-*")) == [
        "stat-cache-ai_info.json",
        "stat-cache-index.json",
        "stat-cache-query.json",
    ]
    capsys.readouterr()


def test_worker_processes_fill_and_use_the_cache_alike(tmp_path: Path) -> None:
    for n in range(len(_PATHS)):
        _write(tmp_path, n, _LETTERS[n])
    with mock.patch.object(stat_cache, "RACY_MARGIN_NS", 0):
        wait_for_the_clock(tmp_path)
        first = Collection(tmp_path, cache=True, jobs=2)
        assert first.index() == Collection(tmp_path, cache=False).index()
        _same_size_edit(tmp_path, 2, "H", True)
        again = Collection(tmp_path, jobs=2)
        assert again.index() == Collection(tmp_path, cache=False).index()
        assert again.cache_hits == len(_PATHS) - 1


def test_deleted_documents_leave_every_kind_of_cache(tmp_path: Path) -> None:
    for n in range(2):
        _write(tmp_path, n, "A")
    with mock.patch.object(stat_cache, "RACY_MARGIN_NS", 0):
        wait_for_the_clock(tmp_path)
        _views(tmp_path, True)
        _delete(tmp_path, 1)
        _views(tmp_path, None)
    for kind in ("index", "ai_info", "query"):
        assert _cached_paths(tmp_path, kind) == [_PATHS[0]], kind


def _cached_paths(root: Path, kind: str) -> list[str]:
    """The documents the cache of ``kind`` holds: its file amended by its
    delta."""
    cache = stat_cache.StatCache.open(Folder(root), kind, create=False, read_only=True)
    assert cache is not None
    return sorted(cache._files)


def _stamp(path: Path) -> tuple[int, int]:
    return path.stat().st_ino, path.stat().st_mtime_ns


def test_a_few_changes_go_into_a_delta_not_the_whole_cache(tmp_path: Path) -> None:
    for n in range(len(_PATHS)):
        _write(tmp_path, n, "A")
    cache_file = tmp_path / stat_cache.cache_name("index")
    delta_file = tmp_path / stat_cache.delta_name("index")
    with mock.patch.object(stat_cache, "RACY_MARGIN_NS", 0):
        wait_for_the_clock(tmp_path)
        Collection(tmp_path, cache=True).index()
        whole = _stamp(cache_file)
        _same_size_edit(tmp_path, 1, "B", True)
        _delete(tmp_path, 3)
        wait_for_the_clock(tmp_path)
        Collection(tmp_path).index()
        assert _stamp(cache_file) == whole
        delta = json.loads(delta_file.read_bytes())
        assert sorted(delta["files"]) == [_PATHS[1], _PATHS[3]]
        assert delta["files"][_PATHS[3]] is None
        # The next run serves the facts of the cache file as amended.
        again = Collection(tmp_path)
        assert again.index() == Collection(tmp_path, cache=False).index()
        assert again.cache_hits == len(_PATHS) - 1
        # Past the delta's size, the whole cache is written, the delta removed.
        with mock.patch.object(stat_cache, "_DELTA_MINIMUM", 1):
            _same_size_edit(tmp_path, 0, "C", True)
            _same_size_edit(tmp_path, 2, "C", True)
            wait_for_the_clock(tmp_path)
            Collection(tmp_path).index()
        assert _stamp(cache_file) != whole
        assert not delta_file.exists()
        assert _cached_paths(tmp_path, "index") == sorted(set(_PATHS) - {_PATHS[3]})


def test_a_fact_of_a_strange_shape_is_ignored_not_a_crash() -> None:
    from clipdoc._storage.cache import is_diagnostics_fact

    assert is_diagnostics_fact([["CD101", 1, 1, "x"]])
    for forged in ([[["CD101"], 1, 1, "x"]], [[{"a": 1}, 1, 1, "x"]], [["CD509", 1, 1, "x"]]):
        assert not is_diagnostics_fact(forged)


def test_a_delta_over_the_size_limit_is_written_anew(tmp_path: Path) -> None:
    delta_file = tmp_path / stat_cache.delta_name("index")
    with mock.patch.object(stat_cache, "RACY_MARGIN_NS", 0):
        _cached_collection(tmp_path, 2)
        with open(delta_file, "wb") as file:
            file.truncate(SIZE_LIMIT + 1)  # sparse
        _same_size_edit(tmp_path, 0, "B", True)
        wait_for_the_clock(tmp_path)
        Collection(tmp_path).index()
        assert json.loads(delta_file.read_bytes())["files"]
        again = Collection(tmp_path)
        again.index()
    assert again.cache_hits == 2


def test_a_delta_of_another_cache_file_or_damaged_is_ignored(tmp_path: Path) -> None:
    delta_file = tmp_path / stat_cache.delta_name("index")
    with mock.patch.object(stat_cache, "RACY_MARGIN_NS", 0):
        _cached_collection(tmp_path, 2)
        _same_size_edit(tmp_path, 0, "B", True)
        wait_for_the_clock(tmp_path)
        Collection(tmp_path).index()
        delta = json.loads(delta_file.read_bytes())
        # A fact the delta would serve, were it not of another cache file.
        delta["files"][_PATHS[0]][5][2] = "forged title"
        forged = json.dumps(delta, ensure_ascii=False, separators=(",", ":")).encode()
        for damaged in (
            forged.replace(b'"amends":[', b'"amends":[1,'),
            forged.replace(b'"clipdoc stat cache delta"', b'"other"'),
            forged[: len(forged) // 2],
            b"[]",
        ):
            delta_file.write_bytes(damaged)
            assert _views(tmp_path, None) == _views(tmp_path, False)
        # The forged fact is served from a delta of this cache file: what
        # may write the cache is trusted, as Git trusts its index.
        delta_file.write_bytes(forged)
        assert "forged title" in Collection(tmp_path).index()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_a_delta_that_is_a_fifo_or_a_link_out_is_never_read_or_written(tmp_path: Path) -> None:
    root = tmp_path / "root"
    for n in range(2):
        _write(root, n, "A")
    delta_file = root / stat_cache.delta_name("index")
    outside = tmp_path / "outside.json"
    outside.write_bytes(b"keep")
    with mock.patch.object(stat_cache, "RACY_MARGIN_NS", 0):
        wait_for_the_clock(root)
        Collection(root, cache=True).index()
        plants: list[Callable[[Path], None]] = [
            os.mkfifo,
            lambda path: path.symlink_to(outside),
            lambda path: path.symlink_to(tmp_path / "nowhere.json"),
        ]
        for letter, plant in zip("BCD", plants, strict=True):
            _same_size_edit(root, 0, letter, True)
            wait_for_the_clock(root)
            plant(delta_file)
            assert _views(root, None) == _views(root, False)  # no hang on the FIFO
            assert delta_file.is_fifo() or delta_file.is_symlink()
            delta_file.unlink()
    assert outside.read_bytes() == b"keep"
    assert not (tmp_path / "nowhere.json").exists()  # nothing made through the link


def test_an_unchanged_collection_is_known_from_the_memo(tmp_path: Path) -> None:
    for n in range(len(_PATHS)):
        _write(tmp_path, n, "A")
    _write(tmp_path, 0, "B", valid=False)
    with mock.patch.object(stat_cache, "RACY_MARGIN_NS", 0):
        wait_for_the_clock(tmp_path)
        first = write_index(Collection(tmp_path, cache=True))
        assert first.status == "wrote"
        # The index was just written: its identity is not kept yet, so the
        # next run compares its bytes, then keeps it.
        (tmp_path / "README.md").touch()
        wait_for_the_clock(tmp_path)
        second = write_index(Collection(tmp_path))
        # The third run loads no fact, reads no document or index and
        # lists no folder: what the walk found comes from its memo.
        with (
            mock.patch.object(stat_cache.StatCache, "open", side_effect=AssertionError),
            mock.patch.object(Folder, "read", autospec=True, side_effect=_only_the_memos),
            mock.patch("clipdoc._storage.walk._list", side_effect=AssertionError),
        ):
            third = write_index(Collection(tmp_path))
            # So does `index --check`: README.md as the memo saw it is
            # known to hold the index (its head tells its style).
            said = io.StringIO()
            with contextlib.redirect_stderr(said):
                assert main(["index", "--check", str(tmp_path)]) == 1
    assert second == third == ("unchanged", first.left_out)
    assert "matches the tree; 1 left out of it" in said.getvalue()
    assert [path for path, _, _ in first.left_out] == [_PATHS[0]]


def test_a_readme_this_user_cannot_read_is_not_known_from_the_memo(tmp_path: Path) -> None:
    """A memo (kept by another user's run, say) does not answer for a
    README.md this process may not read: `index --check` reads it, and
    says it cannot, as it does without the cache."""
    for n in range(2):
        _write(tmp_path, n, "A")
    with mock.patch.object(stat_cache, "RACY_MARGIN_NS", 0):
        wait_for_the_clock(tmp_path)
        assert main(["index", "-q", str(tmp_path)]) == 0
        (tmp_path / "README.md").touch()
        wait_for_the_clock(tmp_path)
        assert main(["index", "-q", str(tmp_path)]) == 0  # the memo now knows README.md

        def unreadable(folder: Folder, relative: str) -> tuple[bytes, Any]:
            if relative == "README.md":
                raise clipdoc.PathError("CD504", "cannot read: Permission denied", path=relative)
            return _READ(folder, relative)

        said = io.StringIO()
        with (
            mock.patch("clipdoc._storage.index.may_read", return_value=False),
            mock.patch.object(Folder, "read", autospec=True, side_effect=unreadable),
            contextlib.redirect_stderr(said),
        ):
            assert main(["index", "--check", str(tmp_path)]) == 2
        assert "matches" not in said.getvalue()
        assert "Permission denied" in said.getvalue()
        with contextlib.redirect_stderr(io.StringIO()) as readable:
            assert main(["index", "--check", str(tmp_path)]) == 0
        assert "matches the tree" in readable.getvalue()


def test_may_read_asks_as_the_user_who_reads() -> None:
    """What a memo answers for, the process must be able to read: `may_read`
    asks as the effective user (a root-owned file of mode 600 is not
    readable by another user). Run as another user where root may."""
    folder = Path(tempfile.mkdtemp())
    try:
        folder.chmod(0o755)
        secret, shared = folder / "secret", folder / "shared"
        secret.write_text("x")
        shared.write_text("x")
        secret.chmod(0o600)
        shared.chmod(0o644)
        if os.geteuid() != 0:
            secret.chmod(0)
            assert not stat_cache.may_read(str(secret))
            assert stat_cache.may_read(str(shared))
            return
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("run as root without setpriv: cannot ask as another user")
        code = (
            "import sys; from clipdoc._storage.cache import may_read; "
            "sys.exit(0 if may_read(sys.argv[1]) else 3)"
        )
        environment = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        as_nobody = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]

        def asked(path: Path) -> int:
            command = [*as_nobody, sys.executable, "-c", code, str(path)]
            return subprocess.run(command, env=environment, capture_output=True).returncode

        if asked(shared) != 0:
            pytest.skip("cannot run this Python as another user here")
        assert asked(secret) == 3
    finally:
        shutil.rmtree(folder)


def _only_the_memos(folder: Folder, relative: str) -> tuple[bytes, Any]:
    pattern = r"\.clipdoc/(memo-index\.json|walk-[0-9a-f]{16}\.json|\.gitignore)"
    assert re.fullmatch(pattern, relative), relative
    return _READ(folder, relative)


_READ = Folder.read


def test_a_memo_is_kept_only_for_a_settled_collection(tmp_path: Path) -> None:
    _write(tmp_path, 0, "A")
    memo = tmp_path / ".clipdoc" / "memo-index.json"
    # Just written: within the margin of the run's start, no memo.
    assert write_index(Collection(tmp_path, cache=True)).status == "wrote"
    assert not memo.exists()
    with mock.patch.object(stat_cache, "RACY_MARGIN_NS", 0):
        wait_for_the_clock(tmp_path)
        write_index(Collection(tmp_path))
        assert memo.exists()
        # A change just before a run: the memo of the state before is
        # removed, not left to match a state that comes back.
        _write(tmp_path, 0, "B")
        with mock.patch.object(stat_cache, "_clock", return_value=(0, True)):
            write_index(Collection(tmp_path))
        assert not memo.exists()


@pytest.mark.parametrize("memo", [b"", b"[]", b'{"format": "clipdoc memo"}', b"\xff"])
def test_a_damaged_memo_is_ignored(tmp_path: Path, memo: bytes) -> None:
    _write(tmp_path, 0, "A")
    with mock.patch.object(stat_cache, "RACY_MARGIN_NS", 0):
        wait_for_the_clock(tmp_path)
        write_index(Collection(tmp_path, cache=True))
        (tmp_path / ".clipdoc" / "memo-index.json").write_bytes(memo)
        (tmp_path / "README.md").write_text("# 最新信息\n", encoding="utf-8")
        assert write_index(Collection(tmp_path)).status == "wrote"
    assert (tmp_path / "README.md").read_text(encoding="utf-8") == Collection(tmp_path).index()


def test_an_unchanged_collection_is_checked_from_the_memo(tmp_path: Path) -> None:
    for n in range(len(_PATHS)):
        _write(tmp_path, n, "A", valid=n != 2)
    with mock.patch.object(stat_cache, "RACY_MARGIN_NS", 0):
        wait_for_the_clock(tmp_path)
        first = list(Collection(tmp_path, cache=True)._diagnostics())
        assert (tmp_path / ".clipdoc" / "memo-check.json").exists()
        with mock.patch.object(stat_cache.StatCache, "open", side_effect=AssertionError):
            again = list(Collection(tmp_path)._diagnostics())
    assert again == first == list(Collection(tmp_path, cache=False)._diagnostics())
    assert [found.relative for found, diagnostics in first if diagnostics] == [_PATHS[2]]


def test_a_check_from_the_memo_tells_only_the_documents_with_diagnostics(tmp_path: Path) -> None:
    """From the memo, `_problems` shows the documents with diagnostics (a
    name that clashes on other systems too, CD509) and counts the others
    in runs, as reading every document tells them."""
    for n in range(len(_PATHS)):
        _write(tmp_path, n, "A", valid=n != 2)
    (tmp_path / "2025-05-01" / "Clash.md").write_bytes(_document(9, "A"))
    (tmp_path / "2025-05-01" / "clash.md").write_bytes(_document(8, "A"))
    expected = _problems_of_every_document(Collection(tmp_path, cache=False))
    assert [relative for relative, _ in expected if relative] == [
        "2025-05-01/Clash.md",
        "2025-05-01/clash.md",
        _PATHS[2],
    ]
    with mock.patch.object(stat_cache, "RACY_MARGIN_NS", 0):
        wait_for_the_clock(tmp_path)
        assert _problems(Collection(tmp_path, cache=True)) == expected
        with mock.patch.object(stat_cache.StatCache, "open", side_effect=AssertionError):
            from_memo = list(Collection(tmp_path)._problems()[1])
    assert sum(isinstance(item, int) for item in from_memo) <= 3  # runs, not documents
    assert _problems(Collection(tmp_path)) == expected


def test_facts_and_memos_are_of_how_the_documents_were_read(tmp_path: Path) -> None:
    """A fact or memo taken under one size limit is not served to a run
    that reads with a smaller one; nor one taken without following links
    to a run that follows them."""
    for n in range(2):
        _write(tmp_path, n, "A")
    big = tmp_path / _PATHS[0]
    big.write_bytes(big.read_bytes().replace(b"summary A", b"summary " + b"A" * 200_000))

    def views(**options: Any) -> list[Any]:
        with mock.patch.object(stat_cache, "RACY_MARGIN_NS", 0):
            found = Collection(tmp_path, **options)._diagnostics()
            return [(f.relative, [d.code for d in diagnostics]) for f, diagnostics in found]

    with mock.patch.object(stat_cache, "RACY_MARGIN_NS", 0):
        wait_for_the_clock(tmp_path)
    assert views(cache=True) == views() == views(cache=False)
    assert (tmp_path / ".clipdoc" / "memo-check.json").exists()
    assert views(size_limit=100_000) == views(cache=False, size_limit=100_000)
    assert (_PATHS[0], ["CD506"]) in views(size_limit=100_000)
    outside = tmp_path.parent / f"{tmp_path.name}-outside.md"
    outside.write_bytes(_document(4, "B"))
    (tmp_path / "2025-05-02" / "out.md").symlink_to(outside)
    views(cache=True)
    assert views(follow_links=True) == views(cache=False, follow_links=True)


def test_no_memo_is_kept_when_the_stat_cache_cannot_be_used(tmp_path: Path) -> None:
    _write(tmp_path, 0, "A")
    list(Collection(tmp_path, cache=True).select())  # the collection keeps a cache
    (tmp_path / stat_cache.cache_name("check")).mkdir()  # left alone, not used
    with mock.patch.object(stat_cache, "RACY_MARGIN_NS", 0):
        wait_for_the_clock(tmp_path)
        list(Collection(tmp_path)._diagnostics())
    assert not (tmp_path / ".clipdoc" / "memo-check.json").exists()


def _walk_memo(root: Path) -> Path:
    (memo,) = root.glob(".clipdoc/walk-*.json")
    return memo


def test_a_walk_in_which_no_folder_changed_is_taken_from_its_memo(tmp_path: Path) -> None:
    for n in range(len(_PATHS)):
        _write(tmp_path, n, "A")
    with mock.patch.object(stat_cache, "RACY_MARGIN_NS", 0):
        Collection(tmp_path, cache=True).index()
        wait_for_the_clock(tmp_path)
        expected = list(Collection(tmp_path).found())
        url = Collection(tmp_path).load(_PATHS[1]).url
        assert url is not None
        # Each walk keeps its own memo: the index's checks no name.
        assert Collection(tmp_path).find(url)
        with mock.patch("clipdoc._storage.walk._list", side_effect=AssertionError):
            assert Collection(tmp_path).find(url)
        # A file made in a folder, the folder's times put back: its ctime
        # tells, and the folder is listed again.
        _sneak_in(tmp_path, 0, "B")
        (tmp_path / _PATHS[0]).rename(tmp_path / _PATHS[0].replace("doc0", "doc9"))
        _sneak_in(tmp_path, 0, "C")
        listed = mock.patch("clipdoc._storage.walk._list", wraps=walk_module._list)
        with listed as listing:
            views = _views(tmp_path, None)
        assert listing.called
        assert views == _views(tmp_path, False)
        assert len(list(Collection(tmp_path).found())) == len(expected) + 1


def test_a_walk_memo_is_not_taken_where_this_process_may_not_list_a_folder(
    tmp_path: Path,
) -> None:
    for n in range(len(_PATHS)):
        _write(tmp_path, n, "A")
    url = "https://example.com/1"
    with mock.patch.object(stat_cache, "RACY_MARGIN_NS", 0):
        Collection(tmp_path, cache=True).index()
        wait_for_the_clock(tmp_path)
        expected = Collection(tmp_path).find(url)  # keeps the walk's memo
        assert expected
        with mock.patch("clipdoc._storage.walk._list", side_effect=AssertionError):
            assert Collection(tmp_path).find(url) == expected  # from the memo
        # As for another user, who may not list a folder the memo holds
        # (a process run as root may list any): the walk lists again.
        unlisted = str(tmp_path / "2025-05-02")
        real_access = os.access

        def access(path: Any, mode: int, **options: Any) -> bool:
            return os.fspath(path) != unlisted and real_access(path, mode, **options)

        listed = mock.patch("clipdoc._storage.walk._list", wraps=walk_module._list)
        with mock.patch("os.access", access), listed as listing:
            assert Collection(tmp_path).find(url) == expected
        assert listing.called


def _state(path: Path) -> list[Any]:
    status = path.stat()
    return [status.st_dev, status.st_ino, status.st_mtime_ns, status.st_ctime_ns]


def _outside_through_a_link(root: Path, memo: dict[str, Any]) -> None:
    """A folder of the memo that is a link to a folder outside, with the
    outside folder's own state: the link must not be followed."""
    outside = root.with_name(root.name + "-outside")
    outside.mkdir(exist_ok=True)
    (outside / "secret.md").write_bytes(_document(3, "S"))
    (root / "lnk").symlink_to(outside, target_is_directory=True)
    memo["folders"].insert(1, ["lnk/", *_state(outside)])
    memo["runs"].insert(0, ["lnk/", "secret.md"])


_FORGED: dict[str, Callable[[Path, dict[str, Any]], None]] = {
    "out of the root": lambda root, memo: memo.update(runs=[["", "../outside.md"]]),
    "a parent folder": lambda root, memo: memo.update(runs=[["", ".."]]),
    "a folder above": lambda root, memo: memo.update(runs=[["../", "x.md"]]),
    "a NUL": lambda root, memo: memo.update(runs=[["2025-05-01/", "doc0.md\x00"]]),
    "names as a list": lambda root, memo: memo.update(runs=[["2025-05-01/", ["doc0.md"]]]),
    "runs as a str": lambda root, memo: memo.update(runs="runs"),
    "a list as a folder": lambda root, memo: memo.update(runs=[[[], "a.md"]]),
    "no folder at all": lambda root, memo: memo.update(folders=[], runs=[]),
    "no root": lambda root, memo: memo.update(folders=memo["folders"][1:]),
    "a lone surrogate": lambda root, memo: memo.update(runs=[["", "\ud800.md"]]),
    "a hidden file": lambda root, memo: memo.update(runs=[[".hid/", "h.md"]]),
    "not a document": lambda root, memo: memo.update(runs=[["", "notes.txt"]]),
    "the index": lambda root, memo: memo.update(runs=[["", "README.md"]]),
    "a folder without its slash": lambda root, memo: memo.update(runs=[["2025-05-01", "x.md"]]),
    "a link to a folder outside": _outside_through_a_link,
}


@pytest.mark.parametrize("forged", sorted(_FORGED))
def test_a_walk_memo_of_what_the_walk_would_not_give_is_ignored(
    tmp_path: Path, forged: str
) -> None:
    root = tmp_path / "collection"
    for n in range(len(_PATHS)):
        _write(root, n, "A")
    (root / ".hid").mkdir()
    (root / ".hid" / "h.md").write_bytes(_document(4, "H"))
    (root / "notes.txt").write_bytes(_document(4, "N"))
    (root / "outside.md").write_bytes(_document(0, "A"))
    with mock.patch.object(stat_cache, "RACY_MARGIN_NS", 0):
        Collection(root, cache=True).index()
        wait_for_the_clock(root)
        Collection(root).find("https://example.com/")
        memo = json.loads(_walk_memo(root).read_bytes())
        _FORGED[forged](root, memo)
        # The forger puts the root's state right, too.
        for state in memo["folders"][:1]:
            if type(state) is list and state[:1] == [""]:
                state[1:] = _state(root)
        _walk_memo(root).write_text(json.dumps(memo), encoding="utf-8")
        with mock.patch("clipdoc._storage.walk._list", wraps=walk_module._list) as listing:
            assert _views(root, None) == _views(root, False)
            assert main(["check", "-q", str(root)]) == main(
                ["check", "-q", "--no-cache", str(root)]
            )
        assert listing.called


def test_no_walk_memo_is_kept_where_a_link_is_met(tmp_path: Path) -> None:
    for n in range(len(_PATHS)):
        _write(tmp_path, n, "A")
    (tmp_path / "2025-05-01" / "link.md").symlink_to(tmp_path / _PATHS[1])
    with mock.patch.object(stat_cache, "RACY_MARGIN_NS", 0):
        Collection(tmp_path, cache=True).index()
        wait_for_the_clock(tmp_path)
        Collection(tmp_path).find("https://example.com/")
        assert not list(tmp_path.glob(".clipdoc/walk-*"))


def test_a_run_from_the_memos_puts_the_gitignore_back(tmp_path: Path) -> None:
    _write(tmp_path, 0, "A")
    ignore = tmp_path / ".clipdoc" / ".gitignore"
    with mock.patch.object(stat_cache, "RACY_MARGIN_NS", 0):
        Collection(tmp_path, cache=True).find("https://example.com/")
        wait_for_the_clock(tmp_path)
        Collection(tmp_path).find("https://example.com/")
        for damage in (ignore.unlink, lambda: ignore.write_text("x\n", encoding="utf-8")):
            damage()
            with mock.patch.object(stat_cache.StatCache, "open", side_effect=AssertionError):
                Collection(tmp_path).find("https://example.com/")
            assert ignore.read_text(encoding="utf-8").endswith("*\n")


_FACT_PARTS = st.one_of(
    st.none(), st.text(max_size=3), st.integers(), st.lists(st.none(), max_size=1)
)


@given(
    st.lists(
        st.one_of(
            st.none(),
            st.lists(_FACT_PARTS, min_size=7, max_size=9),
            st.text(max_size=8),
            st.dictionaries(st.text(max_size=2), st.none(), max_size=2),
        ),
        max_size=6,
    )
)
def test_a_memo_of_summaries_is_told_at_once_as_one_by_one(facts: list[Any]) -> None:
    from clipdoc._storage.collection import _are_summaries, _is_summary

    assert _are_summaries(facts) == all(map(_is_summary, facts))


_SUMMARY_FIELD = st.one_of(st.none(), st.text(alphabet="a\n\r0 1é\x00", max_size=4))


@given(
    st.lists(
        st.one_of(st.none(), st.lists(_SUMMARY_FIELD, min_size=5, max_size=5)),
        max_size=8,
    )
)
def test_the_query_memo_gives_back_every_summary(facts: list[Any]) -> None:
    from clipdoc._storage.collection import _pack_summaries, _unpack_summaries

    packed = json.loads(json.dumps(_pack_summaries(facts)))
    unpacked = _unpack_summaries(packed, len(facts))
    assert unpacked is not None
    assert [None if f is None else tuple(f) for f in unpacked] == [
        None if f is None else tuple(f) for f in facts
    ]
    assert _unpack_summaries(packed, len(facts) + 1) is None


_KEYS = st.text(alphabet="a\n0 é", max_size=3)


@given(
    st.lists(
        st.one_of(
            st.none(),
            st.tuples(_SUMMARY_FIELD, _SUMMARY_FIELD, _SUMMARY_FIELD, _SUMMARY_FIELD, _KEYS),
            st.tuples(_SUMMARY_FIELD, _SUMMARY_FIELD, _SUMMARY_FIELD, _SUMMARY_FIELD, st.none()),
        ).map(lambda fact: fact if fact is None else list(fact)),
        max_size=10,
    ),
    _KEYS,
)
def test_a_url_key_is_found_in_the_packed_memo_as_among_the_summaries(
    facts: list[Any], key: str
) -> None:
    """The key's lines in the packed text (``find`` with the query memo)
    are the summaries `find` matches: valid, with a URL, with that key,
    whatever the neighbouring lines hold (empty keys, a key that is part of
    another, the first and last lines)."""
    from clipdoc._storage.collection import _pack_summaries, _packed_key_hits

    packed = json.loads(json.dumps(_pack_summaries(facts)))
    hits = _packed_key_hits(packed, len(facts), key)
    if type(packed) is list:  # a field with a line break: kept unpacked
        assert hits is None
        return
    assert hits == [
        index
        for index, fact in enumerate(facts)
        if fact is not None and fact[3] is not None and fact[4] == key
    ]
    assert _packed_key_hits(packed, len(facts) + 1, key) is None
    assert _packed_key_hits(facts, len(facts), key) is None


@pytest.mark.skipif(os.name != "posix", reason="a name that is not UTF-8 needs POSIX")
def test_no_walk_memo_is_kept_where_a_folder_name_is_not_utf8(tmp_path: Path) -> None:
    for n in range(len(_PATHS)):
        _write(tmp_path, n, "A")
    try:
        os.mkdir(os.fsencode(tmp_path) + b"/caf\xe9")
    except OSError:
        pytest.skip("this file system takes only UTF-8 names")
    with mock.patch.object(stat_cache, "RACY_MARGIN_NS", 0):
        Collection(tmp_path, cache=True).find("https://example.com/")
        wait_for_the_clock(tmp_path)
        Collection(tmp_path).find("https://example.com/")
        # A memo it could never use would be written again at every run.
        assert not list(tmp_path.glob(".clipdoc/walk-*"))
