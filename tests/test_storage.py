"""The storage layer: every read and write below a folder a user named, as
an attacker would try it (links out, FIFOs, devices, races, long names,
deep trees) and as a user loses work (edits during a run, same titles)."""

from __future__ import annotations

import collections.abc
import concurrent.futures
import errno
import functools
import json
import multiprocessing
import os
import pickle
import shutil
import signal
import stat
import subprocess
import sys
import time
import unicodedata
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from unittest import mock

import attrs
import pytest

import clipdoc
from clipdoc import Clipping, Collection, Metadata
from clipdoc._core.errors import ChangedError, NotAFileError, UnsafePathError
from clipdoc._storage import parallel
from clipdoc._storage.files import Folder
from clipdoc._storage.walk import walk

SCRIPT = Path(sys.executable).parent / "clipdoc"
DAY = Metadata(catalog_date=date(2025, 5, 6))


def _clip(title: str, url: str | None = "https://weibo.com/1/a", day: int = 6) -> Clipping:
    return Clipping(
        title=title,
        url=url,
        ai_summary="摘要",
        metadata=Metadata(catalog_date=date(2025, 5, day)),
    )


def run(*args: str | Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def hostile(tmp_path: Path) -> tuple[Path, Path]:
    """A collection with a link out of it to a precious file, a FIFO, a link
    to /dev/zero, and a good document; and the folder outside it."""
    outside = tmp_path / "o"
    outside.mkdir()
    (outside / "passwd").write_text("root:x:0:0::/root:/bin/sh\n")
    root = tmp_path / "r"
    (root / "2025-05-06").mkdir(parents=True)
    (root / "pw.md").symlink_to("../o/passwd")
    (root / "README.md").symlink_to("../o/passwd")
    os.mkfifo(root / "x.md")
    (root / "zero.md").symlink_to("/dev/zero")
    clipdoc.dump(_clip("good"), root / "2025-05-06" / "good.md")
    os.mkfifo(root / "2025-05-06" / "fifo.md")  # where the producer's index reads
    (root / "2025-05-06" / "out.md").symlink_to("../../o/passwd")
    # A date folder that is a link to a folder outside, with a document.
    (outside / "2025-05-07").mkdir()
    clipdoc.dump(_clip("elsewhere"), outside / "2025-05-07" / "elsewhere.md")
    (root / "2025-05-07").symlink_to("../o/2025-05-07")
    # A path of about 6,000 bytes, beyond what the system takes in one call.
    _make_path(root / "long", ["n" * 200] * 30, "deep.md")
    return root, outside


def _make_path(top: Path, names: list[str], document: str) -> None:
    """Folders ``names`` nested below ``top``, made one at a time relative
    to a descriptor (the whole path is too long to name), and a document."""
    top.mkdir()
    folder = os.open(top, os.O_RDONLY)
    for name in names:
        os.mkdir(name, dir_fd=folder)
        inner = os.open(name, os.O_RDONLY, dir_fd=folder)
        os.close(folder)
        folder = inner
    file = os.open(document, os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=folder)
    os.write(file, b"# t\n")
    os.close(file)
    os.close(folder)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_commands_never_touch_what_lies_outside_the_collection(
    hostile: tuple[Path, Path], tmp_path: Path
) -> None:
    root, outside = hostile
    before = _snapshot(outside)
    feed = tmp_path / "feed.rss"
    feed.write_text(
        "<rss version='2.0'><channel><title>t</title><item><title>good</title>"
        "<link>https://weibo.com/1/new</link></item></channel></rss>"
    )
    commands = [
        ("check", root),
        ("fmt", "--recover", root),
        ("index", root),
        ("index", "--style", "ai_info", root),
        ("resolve", "--ours", root),
        ("convert", "--recover", root, tmp_path / "all.jsonl"),
        ("convert", "--recover", root, tmp_path / "copy"),
        ("site", root, tmp_path / "site"),
        ("import", feed, "--into", root),
        ("merge-driver", root / "pw.md", root / "pw.md", root / "pw.md", "pw.md"),
    ]
    for command in commands:
        done = run(*command, timeout=30)
        assert "Traceback" not in done.stderr, command
        shown = done.stdout + done.stderr
        if command[0] in ("check", "fmt", "convert", "site"):
            for name in ("pw.md", "x.md", "zero.md", "fifo.md", "out.md", "nnnnn", "2025-05-07"):
                assert name in shown, (command, name)  # named: not read
        if command[1:3] == ("--style", "ai_info"):
            assert "fifo.md" in shown
            assert "out.md" in shown
    assert _snapshot(outside) == before
    assert not (root / "README.md").resolve().read_text().startswith("#")
    site_text = "".join(p.read_text(errors="replace") for p in (tmp_path / "site").rglob("*.html"))
    assert "root:x:0:0" not in site_text
    assert "root:x:0:0" not in (tmp_path / "all.jsonl").read_text()
    assert "root:x:0:0" not in "".join(p.read_text() for p in (tmp_path / "copy").rglob("*.md"))


def test_collection_names_what_it_did_not_read(hostile: tuple[Path, Path]) -> None:
    root, _ = hostile
    entries = {entry.path: entry for entry in Collection(root)}
    [deep] = [path for path in entries if path.startswith("long/")]
    assert [d.code for d in entries[deep].errors] == ["CD504"]
    assert [d.code for d in entries["pw.md"].errors] == ["CD503"]
    assert [d.code for d in entries["2025-05-07"].errors] == ["CD503"]
    assert [d.code for d in entries["x.md"].errors] == ["CD505"]
    assert [d.code for d in entries["zero.md"].errors] == ["CD503"]
    assert entries["2025-05-06/good.md"].clipping is not None
    followed = {e.path: e for e in Collection(root, follow_links=True, size_limit=1000)}
    assert followed["pw.md"].errors[0].code != "CD503"  # read, and it is no clipping
    assert [d.code for d in followed["zero.md"].errors] == ["CD505"]  # a device


def test_reading_through_the_layer_refuses_and_explains(hostile: tuple[Path, Path]) -> None:
    root, _ = hostile
    folder = Folder(root)
    with pytest.raises(UnsafePathError) as out:
        folder.read("pw.md")
    assert out.value.code == "CD503"
    assert isinstance(out.value, PermissionError)
    with pytest.raises(NotAFileError, match="FIFO"):
        folder.read("x.md")
    (root / "big.md").write_bytes(b"# t\n" + b"x" * 2000)
    with pytest.raises(clipdoc.ClipdocError) as large:
        Folder(root, size_limit=1000).read("big.md")
    assert large.value.code == "CD506"
    with pytest.raises(FileNotFoundError):
        folder.read("missing.md")
    with pytest.raises(UnsafePathError):
        folder.read("../o/passwd")


def test_writes_never_follow_links(tmp_path: Path) -> None:
    outside = tmp_path / "o"
    outside.mkdir()
    root = tmp_path / "r"
    root.mkdir()
    (root / "2025-05-06").symlink_to(outside)
    with pytest.raises(UnsafePathError):
        Collection(root).add(_clip("t"))
    (root / "2025-05-06").unlink()
    (root / "2025-05-06").mkdir()
    (root / "2025-05-06" / "t.md").symlink_to(outside / "t.md")
    (outside / "t.md").write_text("precious")
    placed = Collection(root).add(_clip("t"), replace=True)
    assert placed != "2025-05-06/t.md"  # the link is left alone, the clipping kept
    assert (outside / "t.md").read_text() == "precious"
    assert (root / "2025-05-06" / "t.md").is_symlink()


def test_a_replacement_keeps_an_edit_made_while_it_worked(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_text("# t\n\n\n## AI 摘要\n\nx\n")
    folder = Folder(tmp_path)
    _, stamp = folder.read("a.md")
    path.write_text("# t\n\n## AI 摘要\n\nthe user's edit\n")
    with pytest.raises(ChangedError) as caught:
        folder.replace("a.md", b"# t\n", expected=stamp)
    assert caught.value.code == "CD507"
    assert "the user's edit" in path.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.md"]


def _adder(root: str, url: str, barrier: object, trials: int, out: object) -> None:
    collection = Collection(root)
    results = []
    for trial in range(trials):
        clip = Clipping(
            title="转发微博",
            url=url,
            metadata=Metadata(catalog_date=date(2025, 1, 1).fromordinal(739000 + trial)),
        )
        barrier.wait()  # type: ignore[attr-defined]
        try:
            results.append(collection.add(clip))
        except clipdoc.ClipdocError as error:
            results.append(f"error {error.code}")
    out.put((url, results))  # type: ignore[attr-defined]


def test_two_processes_adding_at_once_both_keep_their_clipping(tmp_path: Path) -> None:
    context: Any = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
    barrier = context.Barrier(2)
    out = context.Queue()
    trials = 200
    workers = [
        context.Process(target=_adder, args=(str(tmp_path), url, barrier, trials, out))
        for url in ("https://weibo.com/1/a", "https://weibo.com/1/b")
    ]
    for worker in workers:
        worker.start()
    results = dict(out.get(timeout=120) for _ in workers)
    for worker in workers:
        worker.join(timeout=60)
    for url, paths in results.items():
        assert len(paths) == trials
        for path in paths:
            assert not path.startswith("error"), path
            assert clipdoc.load(tmp_path / path).url == url  # returned, and there


def test_same_titles_long_titles_and_twins_each_get_a_name(tmp_path: Path) -> None:
    collection = Collection(tmp_path)
    first = collection.add(_clip("转发微博", url="https://weibo.com/1/a"))
    second = collection.add(_clip("转发微博", url="https://weibo.com/1/b"))
    assert first != second
    assert collection.add(_clip("转发微博", url="https://weibo.com/1/b")) == second
    long = collection.add(_clip("x" * 300))
    assert len(long.rsplit("/", 1)[1].encode()) <= 255
    names = [
        collection.add(_clip(title, url=f"https://example.com/{n}"))
        for n, title in enumerate(["Paper", "paper", "café", unicodedata.normalize("NFD", "café")])
    ]
    folded = {unicodedata.normalize("NFC", n.casefold()) for n in names}
    assert len(folded) == 4  # four files on any file system
    assert collection.add(_clip("CON")) == "2025-05-06/_CON.md"
    assert all(entry.clipping is not None for entry in collection)


def test_check_warns_about_names_that_clash_elsewhere(tmp_path: Path) -> None:
    for name in ("Paper.md", "paper.md", "NUL.md"):
        clipdoc.dump(_clip(name), tmp_path / name)
    done = run("check", tmp_path)
    assert done.returncode == 0
    assert done.stdout.count("CD509") == 3
    assert run("check", "--strict", tmp_path).returncode == 1
    # A file named alone is warned about as its folder's walk warns.
    named = run("check", tmp_path / "Paper.md", tmp_path / "NUL.md")
    assert named.stdout.count("CD509") == 2
    assert "'paper.md' but for case" in named.stdout


def test_deep_trees_and_long_paths_are_reported_not_crashed(tmp_path: Path) -> None:
    deep = tmp_path / "deep"
    current = os.open(tmp_path, os.O_RDONLY)
    os.mkdir("deep", dir_fd=current)
    folder = os.open("deep", os.O_RDONLY, dir_fd=current)
    os.close(current)
    # 1,500 nested folders, then a path far beyond the system's limit, each
    # made relative to a descriptor; a document at the bottom.
    for name in ["d"] * 1500 + ["n" * 200] * 30:
        os.mkdir(name, dir_fd=folder)
        inner = os.open(name, os.O_RDONLY, dir_fd=folder)
        os.close(folder)
        folder = inner
    document = os.open("a.md", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=folder)
    os.write(document, b"# t\n")
    os.close(document)
    os.close(folder)
    try:
        entries = list(Collection(deep))
        assert entries, "a folder deeper than the system's path limit is reported"
        assert all(entry.errors[0].code == "CD504" for entry in entries)
        done = run("check", deep)
        assert done.returncode == 2
        assert "Traceback" not in done.stderr
    finally:
        remove_deep_tree(deep)


def remove_deep_tree(top: Path) -> None:
    """Remove a folder tree too deep for shutil.rmtree (which recurses, and
    would fail pytest's own clean-up of old temporary folders)."""
    parent = os.open(top.parent, os.O_RDONLY)
    stack = [(parent, top.name)]
    while stack:
        folder, name = stack[-1]
        inner = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=folder)
        subfolders = []
        for entry in os.listdir(inner):
            if _is_folder(entry, inner):
                subfolders.append(entry)
            else:
                os.unlink(entry, dir_fd=inner)
        if subfolders:
            stack.append((inner, subfolders[0]))
            continue
        os.close(inner)
        os.rmdir(name, dir_fd=folder)
        stack.pop()
        if stack:
            os.close(folder)
    os.close(parent)


def _is_folder(name: str, folder: int) -> bool:
    return stat.S_ISDIR(os.stat(name, dir_fd=folder, follow_symlinks=False).st_mode)


def test_dump_into_a_missing_folder_names_the_users_path(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "a.md"
    with pytest.raises(FileNotFoundError) as caught:
        clipdoc.dump(Clipping(title="t"), target)
    assert caught.value.filename == str(target)


def test_one_bad_json_lines_record_keeps_the_others(tmp_path: Path) -> None:
    good = [
        json.dumps({"path": f"{n}.md", **clipdoc.to_dict(Clipping(title=str(n)))}).encode()
        for n in range(3)
    ]
    (tmp_path / "in.jsonl").write_bytes(
        good[0] + b"\n\xff\xfe not utf-8\n" + good[1] + b"\n" + b"[" * 100000 + b"\n" + good[2]
    )
    done = run("convert", tmp_path / "in.jsonl", tmp_path / "out")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["0.md", "1.md", "2.md"]
    assert ":2: " in done.stderr
    assert ":4: " in done.stderr


def _default_interrupt() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("signal_number", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_with_jobs_prints_one_line(tmp_path: Path, signal_number: int) -> None:
    """Ctrl-C, or a SIGTERM to the whole group (``timeout``, a service
    manager), stops a build with workers in one line: the workers leave
    the stopping to the main process (a worker that unwound in the pool's
    midst left the main process waiting for it)."""
    root = tmp_path / "c"
    root.mkdir()
    for number in range(400):
        clip = _clip(f"t{number}", url=f"https://example.com/{number}")
        clipdoc.dump(attrs.evolve(clip, ai_summary="长" * 4000), root / f"{number:04}.md")
    process = subprocess.Popen(
        [str(SCRIPT), "site", "--jobs", "2", "-q", str(root), str(tmp_path / "site")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, as a terminal's job
        # As a terminal's job gets it: a test runner's worker (pytest-xdist)
        # ignores SIGINT, and a child inherits an ignored signal.
        preexec_fn=_default_interrupt,
    )
    deadline = time.monotonic() + 60
    while not any(tmp_path.glob(".site.*.building/c")) and time.monotonic() < deadline:
        assert process.poll() is None, "the build ended before it could be interrupted"
        time.sleep(0.01)
    os.killpg(process.pid, signal_number)  # Ctrl-C reaches the whole group
    _, errors = process.communicate(timeout=60)
    # Coverage, when it measures the workers, warns on stderr too.
    lines = [line for line in errors.decode().splitlines() if not _from_coverage(line)]
    assert process.returncode == 130
    assert lines == ["clipdoc: stopped; no file was left half-written"]
    assert not (tmp_path / "site").exists()
    assert not list(tmp_path.glob(".site.*"))


def test_a_ctrl_c_while_the_command_starts_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Ctrl-C while the command's parser is made (which imports its
    module: a tenth of a second) stops it as a later one does."""
    from clipdoc import _cli

    def interrupted(command: str | None) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(_cli, "build_parser", interrupted)
    assert _cli.main(["check", "."]) == 130
    assert capsys.readouterr().err == "clipdoc: stopped; no file was left half-written\n"


class _ForkingPool:
    """A pool whose ``submit`` forks a worker that gets Ctrl-C (or another
    signal) before its initializer runs, as a terminal's Ctrl-C may, and
    then one that reaches the main process while ``submit`` runs."""

    def __init__(self, signal_number: int = signal.SIGINT) -> None:
        self.worker_status: int | None = None
        self.signal_number = signal_number

    def submit(self, function: Any, *arguments: object) -> concurrent.futures.Future[None]:
        worker = os.fork()
        if worker == 0:  # pragma: no cover - the forked worker ends in os._exit
            try:
                os.kill(os.getpid(), self.signal_number)
                for _ in range(1000):  # Python runs a signal's handler between bytecodes
                    pass
                parallel._ignore_interrupts()
            except KeyboardInterrupt:
                os._exit(3)
            os._exit(0)
        self.worker_status = os.waitstatus_to_exitcode(os.waitpid(worker, 0)[1])
        os.kill(os.getpid(), self.signal_number)
        for _ in range(1000):
            pass
        return concurrent.futures.Future()


def _stop(number: int, frame: object) -> None:
    raise KeyboardInterrupt  # as the command's SIGTERM handler does


@pytest.mark.skipif(not hasattr(os, "fork"), reason="forks a worker as a POSIX pool does")
@pytest.mark.parametrize(
    ("signal_number", "stopping"),
    [(signal.SIGINT, signal.default_int_handler), (signal.SIGTERM, _stop)],
)
def test_a_ctrl_c_as_a_worker_starts_stops_only_the_main_process(
    signal_number: int, stopping: Any
) -> None:
    pool = _ForkingPool(signal_number)
    handler = signal.signal(signal_number, stopping)  # as a terminal's job, or the command
    try:
        with pytest.raises(KeyboardInterrupt):
            parallel._submit(pool, print)  # type: ignore[arg-type]
        assert signal.getsignal(signal_number) is stopping
    finally:
        signal.signal(signal_number, handler)
    assert pool.worker_status == 0  # not 3: the worker did not raise


def test_a_worker_leaves_sigterm_to_the_main_process_only_when_it_handles_one() -> None:
    handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a program using the library
        parallel._ignore_interrupts()
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # it ends workers, as it did
        signal.signal(signal.SIGTERM, _stop)  # the command
        parallel._ignore_interrupts()
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_IGN
        assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)


def test_a_pool_shared_by_maps_in_turn_keeps_its_workers_and_drops_what_is_left() -> None:
    pool = parallel.worker_pool(2)
    try:
        first = list(parallel.ordered_map(abs, range(-300, 0), jobs=2, pool=pool))
        workers = set(pool._processes)  # type: ignore[attr-defined]
        # A map left early cancels what it had in flight, not the pool.
        partial = parallel.ordered_map(abs, range(-3000, 0), jobs=2, pool=pool)
        assert isinstance(partial, collections.abc.Generator)
        assert next(partial) == 3000
        partial.close()
        second = list(parallel.ordered_map(str, range(200), jobs=2, pool=pool))
        assert set(pool._processes) == workers  # type: ignore[attr-defined]
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    assert first == list(range(300, 0, -1))
    assert second == [str(n) for n in range(200)]


def test_a_folder_swapped_for_a_link_after_it_was_named_is_neither_read_nor_written(
    tmp_path: Path,
) -> None:
    from clipdoc._storage.files import Folder

    named, outside = tmp_path / "named", tmp_path / "outside"
    for path in (named, outside):
        path.mkdir()
        clipdoc.dump(_clip("t"), path / "a.md")
    folder = Folder(named, pin_root=True)
    _, stamp = folder.read("a.md")
    kept = (outside / "a.md").read_bytes()
    named.rename(tmp_path / "moved")
    named.symlink_to(outside)  # what the path names now: a folder elsewhere
    for attempt in (
        lambda: folder.read("a.md"),
        lambda: folder.replace("a.md", b"x", expected=stamp),
    ):
        with pytest.raises(clipdoc.UnsafePathError, match="not the folder it was when named"):
            attempt()
    assert (outside / "a.md").read_bytes() == kept


def _from_coverage(line: str) -> bool:
    return "CoverageWarning" in line or line.strip() == 'self.warn(msg, slug="module-not-measured")'


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
def test_a_full_disk_is_one_line(tmp_path: Path) -> None:
    clipdoc.dump(_clip("t"), tmp_path / "a.md")
    with open("/dev/full", "wb") as full:
        done = subprocess.run(
            [str(SCRIPT), "convert", str(tmp_path), "-", "--to", "jsonl"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "No space left on device" in done.stderr


def test_importing_reposts_and_long_titles_keeps_every_entry(tmp_path: Path) -> None:
    items = "".join(
        f"<item><title>{title}</title><link>https://weibo.com/1/{n}</link>"
        f"<description>post {n}</description></item>"
        for n, title in enumerate(["转发微博", "转发微博", "转发微博", "长" * 300])
    )
    feed = tmp_path / "feed.rss"
    feed.write_text(f"<rss version='2.0'><channel><title>t</title>{items}</channel></rss>")
    root = tmp_path / "c"
    done = run("import", feed, "--into", root)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    clippings = [entry.clipping for entry in Collection(root)]
    assert sorted(c.url or "" for c in clippings if c) == [
        f"https://weibo.com/1/{n}" for n in range(4)
    ]
    again = run("import", feed, "--into", root)
    assert again.returncode == 0
    assert len(list(Collection(root))) == 4


def test_index_names_every_document_it_leaves_out(tmp_path: Path) -> None:
    clipdoc.dump(_clip("good"), tmp_path / "good.md")
    (tmp_path / "broken.md").write_text("# t\n\nstray\n\n## AI 摘要\n\nx\n")
    done = run("index", tmp_path)
    assert done.returncode == 1
    assert "broken.md: left out of the index:" in done.stderr
    assert "CD107" in done.stderr
    assert (tmp_path / "README.md").is_file()


def test_convert_names_what_it_could_not_back_up(tmp_path: Path) -> None:
    root = tmp_path / "c"
    root.mkdir()
    clipdoc.dump(_clip("near"), root / "near.md")
    _make_path(root / "far", ["n" * 200] * 30, "far.md")
    done = run("convert", root, tmp_path / "backup.jsonl")
    assert done.returncode == 2
    assert "nnnn" in done.stderr
    assert "1 unreadable" in done.stderr
    assert len((tmp_path / "backup.jsonl").read_text().splitlines()) == 1


def test_a_conversion_never_replaces_what_it_wrote(tmp_path: Path) -> None:
    records = [
        json.dumps({"path": "a.md", **clipdoc.to_dict(Clipping(title=title))})
        for title in ("first", "second")
    ]
    (tmp_path / "in.jsonl").write_text("\n".join(records) + "\n")
    done = run("convert", "--force", tmp_path / "in.jsonl", tmp_path / "out")
    assert done.returncode == 1
    assert "written before in this run" in done.stderr
    assert clipdoc.load(tmp_path / "out" / "a.md").title == "first"


def test_follow_links_reads_through_links_out_but_never_writes(
    hostile: tuple[Path, Path],
) -> None:
    root, outside = hostile
    before = _snapshot(outside)
    assert "CD503" in run("check", root).stderr
    checked = run("check", "--follow-links", root)
    assert "pw.md: not read" not in checked.stderr
    assert "pw.md:1:1: CD111" in checked.stdout  # read: a password file is no clipping
    run("fmt", "--recover", "--follow-links", root)
    assert _snapshot(outside) == before


@pytest.mark.skipif(sys.platform != "linux", reason="the exchange is Linux's renameat2")
def test_an_editor_saving_at_the_last_moment_keeps_its_save(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clipdoc._storage import files

    path = tmp_path / "a.md"
    path.write_text("# t\n\n\n## AI 摘要\n\nx\n")
    folder = Folder(tmp_path)
    _, stamp = folder.read("a.md")
    real_exchange = files.Staged._exchange
    saves: list[str] = []

    def save_first(staged: files.Staged, name: str) -> bool:
        if not saves:  # an editor saves (new file, renamed over) just before the swap
            (tmp_path / "editor.tmp").write_text("the editor's save\n")
            os.replace(tmp_path / "editor.tmp", path)
            saves.append(name)
        return real_exchange(staged, name)

    monkeypatch.setattr(files.Staged, "_exchange", save_first)
    with pytest.raises(ChangedError):
        folder.replace("a.md", b"# t\n", expected=stamp)
    assert path.read_text() == "the editor's save\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.md"]


def test_index_never_replaces_a_readme_someone_wrote(tmp_path: Path) -> None:
    (tmp_path / "2025-05-06").mkdir()
    clipdoc.dump(_clip("good"), tmp_path / "2025-05-06" / "good.md")
    notes = tmp_path / "README.md"
    notes.write_text("# My notes\n\ntext\n")
    refused = run("index", tmp_path)
    assert refused.returncode == 2
    assert "not an index" in refused.stderr
    assert notes.read_text() == "# My notes\n\ntext\n"
    assert run("index", "--force", tmp_path).returncode == 0
    assert notes.read_text().startswith("# 最新信息\n")
    assert run("index", tmp_path).returncode == 0  # an index is replaced as before


def test_check_json_lists_the_files_it_could_not_read(hostile: tuple[Path, Path]) -> None:
    root, _ = hostile
    done = run("check", "--format", "json", root)
    found = {(Path(d["path"]).name, d["code"]) for d in json.loads(done.stdout)}
    assert {("pw.md", "CD503"), ("x.md", "CD505"), ("fifo.md", "CD505")} <= found
    assert done.returncode == 2


def test_convert_writes_no_record_it_would_not_read_back(tmp_path: Path) -> None:
    paths = [".hidden/x.md", "a/.git/x.md", "README.md", "kept.md"]
    records = [
        json.dumps({"path": path, **clipdoc.to_dict(Clipping(title=str(n)))})
        for n, path in enumerate(paths)
    ]
    (tmp_path / "in.jsonl").write_text("\n".join(records) + "\n")
    done = run("convert", tmp_path / "in.jsonl", tmp_path / "out")
    assert done.returncode == 1
    assert done.stderr.count("would not be read back") == 3
    assert [p.name for p in (tmp_path / "out").rglob("*") if p.is_file()] == ["kept.md"]


def test_fmt_leaves_a_link_it_read_alone_and_says_so(hostile: tuple[Path, Path]) -> None:
    root, outside = hostile
    (outside / "doc.md").write_text("# t\n\n\n## AI 摘要\n\nx\n")  # not canonical
    (root / "doc.md").symlink_to("../o/doc.md")
    done = run("fmt", "--follow-links", root / "doc.md")
    assert done.returncode == 1
    assert "left as it is: reached through a symbolic link" in done.stderr
    assert "1 left alone" in done.stderr
    assert (outside / "doc.md").read_text() == "# t\n\n\n## AI 摘要\n\nx\n"


def test_a_bad_feed_item_is_reported_and_the_others_kept(tmp_path: Path) -> None:
    good = {"id": "1", "url": "https://example.com/1", "title": "kept"}
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": [5, good]}
    (tmp_path / "feed.json").write_text(json.dumps(feed))
    with pytest.warns(clipdoc.ClipdocWarning, match="item 1"):
        [kept] = clipdoc_feeds().from_feed(tmp_path / "feed.json")
    assert kept.title == "kept"
    done = run("import", tmp_path / "feed.json", "--into", tmp_path / "c")
    assert "CD602 item 1 is not an object" in done.stderr
    assert "1 warning" in done.stderr
    converted = run("convert", "--from", "jsonfeed", tmp_path / "feed.json", tmp_path / "out")
    assert "CD602" in converted.stdout + converted.stderr
    assert len(list((tmp_path / "out").rglob("*.md"))) == 1


def clipdoc_feeds() -> Any:
    return pytest.importorskip("clipdoc.feeds")


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB file system (tmpfs), where writes soon fail with ENOSPC;
    skipped where it cannot be mounted (not root, not Linux)."""
    mount_point = tmp_path / "full"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount_point)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip("a small tmpfs cannot be mounted here (needs root on Linux)")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=False)


def test_a_full_disk_stops_every_writer_with_one_line(full_disk: Path, tmp_path: Path) -> None:
    big = "长" * 20_000  # 60 KB a document: a handful fill the disk
    items = "".join(
        f"<item><title>t{n}</title><link>https://weibo.com/1/{n}</link>"
        f"<description>{big}</description></item>"
        for n in range(12)
    )
    feed = tmp_path / "feed.rss"
    feed.write_text(f"<rss version='2.0'><channel><title>t</title>{items}</channel></rss>")
    source = tmp_path / "c"
    source.mkdir()
    for n in range(12):
        clipdoc.dump(attrs.evolve(_clip(f"t{n}"), ai_summary=big), source / f"{n}.md")
    commands = [
        ("import", feed, "--into", full_disk / "imported"),
        ("convert", source, full_disk / "converted"),
        ("site", source, full_disk / "site"),
    ]
    for command in commands:
        done = run(*command)
        assert done.returncode == 2, (command, done.stderr)
        assert "Traceback" not in done.stderr
        assert done.stderr.count("No space left on device") == 1, (command, done.stderr)
    assert not list(full_disk.rglob(".clipdoc-*"))


@pytest.fixture(params=["linux", "links", "no links"])
def system(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The storage layer as it runs on Linux (renameat2, syncfs), on a
    system without them (hard links, fsync each), and on a file system
    without hard links either."""
    from clipdoc._storage import files

    if request.param != "linux":
        monkeypatch.setattr(files, "_renameat2", lambda: None)
        monkeypatch.setattr(files, "_syncfs", lambda: None)
    if request.param == "no links":

        def no_link(*args: object, **options: object) -> None:
            raise OSError(errno.EPERM, "Operation not permitted")

        monkeypatch.setattr(os, "link", no_link)
    return str(request.param)


def test_every_way_of_publishing_keeps_its_promises(tmp_path: Path, system: str) -> None:
    folder = Folder(tmp_path)
    folder.create("a/b.md", b"first")
    with pytest.raises(clipdoc.ExistsError):
        folder.create("a/b.md", b"second")  # exclusive, whatever the system
    data, stamp = folder.read("a/b.md")
    assert data == b"first"
    folder.replace("a/b.md", b"third", expected=stamp)
    assert (tmp_path / "a" / "b.md").read_bytes() == b"third"
    with pytest.raises(ChangedError):
        folder.replace("a/b.md", b"fourth", expected=stamp)  # the stamp is old
    (tmp_path / "c").mkdir()
    collection = Collection(tmp_path / "c")
    added = list(collection.add_all([_clip("t", url=f"https://example.com/{n}") for n in range(3)]))
    assert [a.status for a in added] == ["written"] * 3
    assert len({a.path for a in added}) == 3
    assert not list(tmp_path.rglob(".clipdoc-*"))


def test_the_layer_refuses_what_it_cannot_do(tmp_path: Path) -> None:
    folder = Folder(tmp_path)
    with pytest.raises(TypeError):
        folder.read(5)  # type: ignore[arg-type]
    for bad in ("", "a\\b.md", "/abs.md", "C:x.md", "a/../b.md", "a//b.md"):
        with pytest.raises(UnsafePathError):
            folder.read(bad)
    with pytest.raises(clipdoc.PathError) as long_name:
        folder.create("x" * 300 + ".md", b"")
    assert long_name.value.code == "CD508"
    (tmp_path / "file.md").write_text("x")
    with pytest.raises(clipdoc.PathError):
        folder.create("file.md/inner.md", b"")  # a file where a folder should be
    _, stamp = folder.read("file.md")
    (tmp_path / "file.md").unlink()
    with pytest.raises(ChangedError):
        folder.replace("file.md", b"y", expected=stamp)  # removed meanwhile
    assert folder.names("") == []
    assert repr(folder) == f"Folder({str(tmp_path)!r})"
    with pytest.raises(clipdoc.NotFoundError):
        Folder(tmp_path / "missing").read("a.md")


def test_reading_in_order_holds_one_folder_and_reads_what_is_there(tmp_path: Path) -> None:
    for day in ("2025-05-01", "2025-05-02"):
        for n in range(3):
            (tmp_path / day).mkdir(exist_ok=True)
            (tmp_path / day / f"{n}.md").write_bytes(f"{day} {n}".encode())
    paths = [f"{day}/{n}.md" for day in ("2025-05-01", "2025-05-02") for n in range(3)]
    before = len(os.listdir("/proc/self/fd"))
    with Folder(tmp_path).reading_in_order() as folder:
        assert [folder.read(path)[0] for path in paths] == [
            p.encode() for p in (path.replace("/", " ").removesuffix(".md") for path in paths)
        ]
        # One folder held open at a time.
        assert len(os.listdir("/proc/self/fd")) == before + 1
        # A folder replaced by a new one of the same name: read afresh.
        shutil.rmtree(tmp_path / "2025-05-02")
        (tmp_path / "2025-05-02").mkdir()
        (tmp_path / "2025-05-02" / "0.md").write_bytes(b"new")
        assert folder.read("2025-05-02/0.md")[0] == b"new"
        # A folder swapped for a link that leads out: the folder held open
        # is read, never the link's target; read afresh, the link is refused.
        outside = tmp_path.parent / f"{tmp_path.name}-outside"
        outside.mkdir()
        (outside / "0.md").write_bytes(b"outside")
        os.rename(tmp_path / "2025-05-02", tmp_path / "moved")
        (tmp_path / "2025-05-02").symlink_to(outside)
        assert folder.read("2025-05-02/0.md")[0] == b"new"
        with pytest.raises(clipdoc.UnsafePathError):
            Folder(tmp_path).read("2025-05-02/0.md")
    assert len(os.listdir("/proc/self/fd")) == before
    # Outside the block, every read looks the path up afresh.
    with pytest.raises(clipdoc.UnsafePathError):
        folder.read("2025-05-02/0.md")


def test_reading_a_collection_does_not_import_ctypes(tmp_path: Path) -> None:
    """`ctypes` (for Linux's ``renameat2`` and ``syncfs``) is imported by
    the first write that needs it, not by every command's start-up."""
    code = (
        "import sys, clipdoc\n"
        "collection = clipdoc.Collection(sys.argv[1])\n"
        "assert len(list(collection.select())) == 1\n"
        "assert 'ctypes' not in sys.modules, 'ctypes imported'\n"
        "import datetime\n"
        "day = clipdoc.Metadata(catalog_date=datetime.date(2025, 5, 6))\n"
        "collection.add(clipdoc.Clipping(title='b', metadata=day))\n"
        "assert 'ctypes' in sys.modules or not sys.platform.startswith('linux')\n"
    )
    (tmp_path / "a.md").write_text(clipdoc.render(clipdoc.Clipping(title="a")), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    # A Python built without ctypes writes as a system without renameat2.
    without = (
        "import sys; sys.modules['ctypes'] = None\n"
        "import datetime, clipdoc\n"
        "day = clipdoc.Metadata(catalog_date=datetime.date(2025, 5, 7))\n"
        "added = clipdoc.Collection(sys.argv[1]).add(clipdoc.Clipping(title='c', metadata=day))\n"
        "assert added == '2025-05-07/c.md', added\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", without, str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert [path.name for path in tmp_path.glob("2025-05-07/*")] == ["c.md"]


def test_a_folder_sent_to_a_worker_reads_in_order_within_its_block(tmp_path: Path) -> None:
    """A reader sent to a worker process (each batch of a job: a copy)
    holds none of the sender's open folders; the copies of one block of
    reads in order share one held folder in the worker, so that a worker
    opens each folder once per run of its files, as the sender does; a
    copy of another block (of any folder) lets the last one's go, so that
    a worker holds one folder open at most; a copy sent once the block
    ended, or made in the sending process itself, holds nothing."""
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "x.md").write_bytes(name.encode())
    proc = Path("/proc/self/fd")
    before = len(os.listdir(proc)) if proc.is_dir() else None

    def in_a_worker(data: bytes) -> Folder:
        with mock.patch("os.getpid", return_value=os.getpid() + 1):
            copy: Folder = pickle.loads(data)
        return copy

    with Folder(tmp_path).reading_in_order() as folder:
        folder.read("a/x.md")
        # A block within a block, in this process: its own held folder.
        with folder.reading_in_order() as inner:
            assert inner._held.folder is not folder._held.folder
            assert inner.read("b/x.md")[0] == b"b"
        assert folder._held.folder.below == "a"
        # Copied in this process (deep copy, pickle): nothing held.
        assert getattr(pickle.loads(pickle.dumps(folder))._held, "folder", None) is None
        # Sent as a pool sends it: from a thread of its own.
        with concurrent.futures.ThreadPoolExecutor(1) as feeder:
            sent = [feeder.submit(pickle.dumps, folder).result() for _ in range(3)]
        copies = [in_a_worker(each) for each in sent]
        held = copies[0]._held.folder
        assert held is not folder._held.folder
        assert held.descriptor < 0
        assert all(copy._held.folder is held for copy in copies)
        assert copies[1].read("a/x.md")[0] == b"a"
        kept = held.descriptor
        assert kept >= 0
        assert held.below == "a"
        assert copies[2].read("a/x.md")[0] == b"a"
        assert held.descriptor == kept
        assert copies[2].read("b/x.md")[0] == b"b"
        assert held.below == "b"
    # Many other folders' blocks, one after another: one folder held.
    for number in range(20):
        other = tmp_path / f"root{number}"
        (other / "a").mkdir(parents=True)
        (other / "a" / "x.md").write_bytes(b"o")
        with Folder(other).reading_in_order() as again:
            fresh = in_a_worker(pickle.dumps(again))
            assert fresh.read("a/x.md")[0] == b"o"
            assert fresh._held.folder.descriptor >= 0
        assert held.closed
        assert held.descriptor < 0
        held = fresh._held.folder
    if before is not None:
        assert len(os.listdir(proc)) <= before + 1
    ended = in_a_worker(pickle.dumps(again))
    assert getattr(ended._held, "folder", None) is None
    assert ended.read("a/x.md")[0] == b"o"


def _held_when_read(folder: Folder, relative: str) -> tuple[object, str | None]:
    folder.read(relative)
    held = folder._held.__dict__.get("folder")
    return (held.block, held.below) if held is not None else (None, None)


def test_worker_processes_read_in_order_in_the_block_they_were_sent(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        for number in range(40):
            (tmp_path / name / f"{number}.md").write_bytes(b"x")
    paths = [f"{name}/{number}.md" for name in ("a", "b") for number in range(40)]
    with Folder(tmp_path).reading_in_order() as reader:
        block = reader._block.block if reader._block is not None else None
        read = functools.partial(_held_when_read, reader)
        results = list(parallel.ordered_map(read, paths, jobs=2))
    assert block is not None
    assert [held for held, _ in results] == [block] * len(paths)
    assert [below for _, below in results] == [path.split("/")[0] for path in paths]


def _check_output(root: Path, *options: str) -> tuple[int, str, str]:
    done = subprocess.run(
        [sys.executable, "-m", "clipdoc", "check", "-q", *options, str(root)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    return done.returncode, done.stdout, done.stderr


def test_check_with_the_stat_cache_says_what_it_says_without(hostile: tuple[Path, Path]) -> None:
    root, _ = hostile
    day = root / "2025-05-06"
    (day / "warned.md").write_text(clipdoc.render(_clip("warned")) + "\n\n")
    (day / "broken.md").write_text("no title\n")
    (day / "Good.md").write_text(clipdoc.render(_clip("twin")))  # CD509 with good.md
    (day / "CON.md").write_text(clipdoc.render(_clip("device")))
    list(Collection(root, cache=True).select())  # the collection keeps a cache
    choices: tuple[list[str], ...] = ([], ["--format", "json"], ["--strict", "-j", "2"])
    without = {tuple(options): _check_output(root, "--no-cache", *options) for options in choices}
    assert {done[0] for done in without.values()} == {2}  # files that could not be read
    for options in choices:
        assert _check_output(root, *options) == without[tuple(options)], options  # fills
    time.sleep(1.1)  # past the cache's margin: what was read is kept
    for options in choices:
        assert _check_output(root, *options) == without[tuple(options)], options  # cached
    assert (root / ".clipdoc" / "stat-cache-check.json").exists()
    collection = Collection(root)
    list(collection._diagnostics())
    assert collection.cache_hits == 5  # the documents that could be read
    # An edit of the same size with the mtime put back, a new clashing name.
    before = (day / "warned.md").stat()
    (day / "warned.md").write_text(clipdoc.render(_clip("WARNED")) + "\n\n")
    os.utime(day / "warned.md", ns=(before.st_atime_ns, before.st_mtime_ns))
    (day / "broken.md").write_text(clipdoc.render(_clip("fixed"))[: len("no title\n")])
    (day / "GOOD.md").write_text(clipdoc.render(_clip("third")))
    assert _check_output(root) == _check_output(root, "--no-cache")


class _Bar:
    """A progress bar that remembers what it was told."""

    def __init__(self, total: int | None) -> None:
        self.total, self.done = total, 0
        self.totals: set[int | None] = set()

    def update(self, documents: int) -> None:
        self.done += documents
        self.totals.add(self.total)

    def refresh(self) -> None:
        pass

    def write(self, text: str, file: Any) -> None:
        print(text, file=file)

    def close(self) -> None:
        pass


@pytest.mark.parametrize("cached", ["no", "yes", "keeps no memos"])
def test_check_at_a_terminal_counts_a_cached_collection_as_its_walk_tells(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    cached: str,
) -> None:
    """At a terminal, the progress of `clipdoc check` counts every
    document before the first is checked; a collection with a stat cache
    is counted as its walk (from a memo on a second run) tells it, not
    walked once more first (unless it keeps no memos: then it is)."""
    from clipdoc._cli import _common, check, main

    root = tmp_path / "c"
    root.mkdir()
    for number in range(7):
        clipdoc.dump(
            _clip(f"t{number}", url=f"https://example.com/{number}"), root / f"{number}.md"
        )
    (root / "broken.md").write_text("no title\n")
    loose = tmp_path / "loose.md"
    clipdoc.dump(_clip("loose"), loose)
    if cached != "no":
        list(Collection(root, cache=True).select())
    if cached == "keeps no memos":
        monkeypatch.setattr(Collection, "_keeps_memos", lambda self: False)
    bars: list[_Bar] = []
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)

    def progress_bar(total: int | None) -> _Bar:
        bars.append(_Bar(total))
        return bars[-1]

    monkeypatch.setattr(_common, "progress_bar", progress_bar)
    walked: list[list[str]] = []

    def units(options: Any, paths: list[str], *, among: Any = ()) -> Any:
        walked.append(list(paths))
        return real_units(options, paths, among=among)

    real_units = _common.units
    monkeypatch.setattr(_common, "units", units)
    monkeypatch.setattr(check, "units", units)
    for _ in range(2):
        bars.clear()
        assert main(["check", str(root), str(loose)]) == 1
        assert "checked 9 documents (1 with errors)" in capsys.readouterr().err
        (bar,) = bars
        assert bar.total == bar.done == 9
        assert bar.totals == {9}  # known before the first document was checked
    # Walked to be counted when its walk cannot tell, and to be checked when
    # it keeps no cache; else counted as its walk told it.
    counted = [[str(root), str(loose)]] if cached != "yes" else []
    checked = [[str(root)]] if cached == "no" else []
    assert [paths for paths in walked if str(root) in paths] == (checked + counted) * 2


@pytest.mark.skipif(sys.platform == "win32", reason="the limit of open files is POSIX's")
def test_a_conversion_of_many_files_keeps_within_a_low_limit_of_open_files(tmp_path: Path) -> None:
    """A staged file holds no descriptor of its own: 600 documents in 30
    folders convert with 48 open files allowed (a batch once held two per
    file, and failed beyond about 500 documents at the usual 1,024)."""
    import resource

    lines = [
        json.dumps(
            {"path": f"2025-05-{1 + n % 30:02d}/d{n}.md", **clipdoc.to_dict(_clip(f"d{n}"))},
            ensure_ascii=False,
        )
        for n in range(600)
    ]
    source = tmp_path / "all.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def low_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (48, 48))

    done = subprocess.run(
        [sys.executable, "-m", "clipdoc", "convert", "-q", str(source), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        preexec_fn=low_limit,
    )
    assert done.returncode == 0, done.stderr[-500:]
    assert len(list((tmp_path / "out").rglob("*.md"))) == 600


def test_a_link_changed_between_its_check_and_the_open_is_not_followed_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A link inside the collection is followed only to a file inside: the
    file it opened is checked, not only where the link led when looked up
    (a folder on the way may be swapped for a link out in between)."""
    root, outside = tmp_path / "r", tmp_path / "o"
    (root / "d").mkdir(parents=True)
    outside.mkdir()
    (outside / "t.md").write_text("# secret\n")
    (root / "d" / "a.md").symlink_to("../e/t.md")
    (root / "e").symlink_to(outside)  # swapped in after the lookup
    from clipdoc._storage import files

    # The lookup as it was before the swap: a path inside.
    inside = str(root / "e" / "t.md")
    monkeypatch.setattr(files.Folder, "_link_target", lambda self, parts, relative: inside)
    folder = Folder(root)
    with pytest.raises(UnsafePathError):
        folder.read("d/a.md")
    entry = Collection(root, cache=False).get("d/a.md")
    assert entry.clipping is None
    assert [d.code for d in entry.diagnostics] == ["CD503"]


def test_reads_outside_a_paused_walk_see_the_collection_as_it_is(tmp_path: Path) -> None:
    """Only the walk's own reads hold its folder: `get` and `add` while an
    iteration is paused look the path up afresh (a folder moved out and
    replaced meanwhile is not the one they read)."""
    day = tmp_path / "2025-05-06"
    day.mkdir()
    for name in ("a", "b"):
        (day / f"{name}.md").write_text(clipdoc.render(_clip(f"old {name}")))
    collection = Collection(tmp_path, cache=False)
    walk = iter(collection)
    next(walk)
    day.rename(tmp_path.parent / f"{tmp_path.name}-moved")
    day.mkdir()
    (day / "b.md").write_text(clipdoc.render(_clip("new b")))
    assert collection.load("2025-05-06/b.md").title == "new b"
    assert collection.add(_clip("old a")) == "2025-05-06/old_a.md"
    assert (day / "old_a.md").exists()
    # The walk itself goes on in the folder it was reading.
    last = next(walk).clipping
    assert last is not None
    assert last.title == "old b"
    assert list(walk) == []


def _dated(count: int, days: int) -> list[Clipping]:
    return [
        Clipping(
            title=f"t{n}",
            url=f"https://example.com/{n}",
            metadata=Metadata(catalog_date=date(2025, 5, 1 + n % days)),
        )
        for n in range(count)
    ]


def test_a_batch_counts_folders_not_changes_of_folder(tmp_path: Path) -> None:
    from unittest import mock

    from clipdoc._storage import files

    syncs: list[int] = []
    real = files._sync_all

    def counted(staged: list[files.Staged]) -> None:
        syncs.append(len(staged))
        real(staged)

    with mock.patch.object(files, "_sync_all", counted):
        added = list(Collection(tmp_path).add_all(_dated(1000, 2)))  # two folders, alternating
    assert all(item.status == "written" for item in added)
    assert len(syncs) == 1


def test_without_a_sync_of_the_whole_file_system_each_file_and_folder_is_synced_once(
    tmp_path: Path,
) -> None:
    from unittest import mock

    from clipdoc._storage import files

    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(descriptor: int) -> None:
        folder = stat.S_ISDIR(os.fstat(descriptor).st_mode)
        synced.append(os.readlink(f"/proc/self/fd/{descriptor}") if folder else "a file")
        real_fsync(descriptor)

    with (
        mock.patch.object(files, "_syncfs", return_value=None),
        mock.patch.object(os, "fsync", fsync),
    ):
        list(Collection(tmp_path).add_all(_dated(10, 2)))
    assert synced.count("a file") == 10
    folders = sorted(path for path in synced if path != "a file")
    root = os.path.realpath(tmp_path)
    assert folders == [root, f"{root}/2025-05-01", f"{root}/2025-05-02"]


def test_a_folder_replaced_by_a_link_during_a_walk_is_not_followed_out(tmp_path: Path) -> None:
    """A folder swapped for a link to a folder outside, after the walk found
    it and before it went in, is named with CD504; nothing outside is
    listed."""
    root, outside = tmp_path / "collection", tmp_path / "outside"
    for folder, name in (("a", "1.md"), ("f", "2.md")):
        (root / folder).mkdir(parents=True)
        clipdoc.dump(_clip(name), root / folder / name)
    (outside / "sub").mkdir(parents=True)
    clipdoc.dump(_clip("secret"), outside / "o.md")
    clipdoc.dump(_clip("secret"), outside / "sub" / "p.md")
    walker = walk(str(root))
    assert next(walker).relative == "a/1.md"
    shutil.rmtree(root / "f")
    (root / "f").symlink_to(outside, target_is_directory=True)
    rest = list(walker)
    assert [found.relative for found in rest] == ["f"]
    assert rest[0].problem is not None
    assert rest[0].problem.code == "CD504"
    assert "replaced" in rest[0].problem.message


def test_a_folder_on_the_way_replaced_during_a_walk_is_not_followed_out(tmp_path: Path) -> None:
    """The folder holding one still to be listed is swapped for a link to an
    outside folder of the same shape: the inner folder's path now leads
    out, and is refused."""
    root, outside = tmp_path / "collection", tmp_path / "outside"
    (root / "x" / "f").mkdir(parents=True)
    clipdoc.dump(_clip("first"), root / "x" / "0.md")
    clipdoc.dump(_clip("inside"), root / "x" / "f" / "in.md")
    (outside / "f").mkdir(parents=True)
    clipdoc.dump(_clip("secret"), outside / "f" / "o.md")
    walker = walk(str(root))
    assert next(walker).relative == "x/0.md"
    os.rename(root / "x", tmp_path / "moved")
    (root / "x").symlink_to(outside, target_is_directory=True)
    rest = list(walker)
    assert [found.relative for found in rest] == ["x/f"]
    assert rest[0].problem is not None
    assert rest[0].problem.code == "CD504"


def test_a_link_that_changes_as_the_walk_follows_it_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A link swapped between the steps of resolving it (realpath's lstat
    and readlink) is a CD504 entry, not an OSError that ends the walk."""
    (tmp_path / "inside").mkdir()
    clipdoc.dump(_clip("kept"), tmp_path / "kept.md")
    (tmp_path / "link").symlink_to(tmp_path / "inside", target_is_directory=True)
    resolve = os.path.realpath

    def racing(path: str) -> str:
        if str(path).endswith("link"):
            raise OSError(errno.EINVAL, "Invalid argument")
        return resolve(path)

    monkeypatch.setattr(os.path, "realpath", racing)
    found = {each.relative: each for each in walk(str(tmp_path))}
    assert set(found) == {"kept.md", "link"}
    problem = found["link"].problem
    assert problem is not None
    assert problem.code == "CD504"


def test_a_folder_made_a_file_during_a_walk_is_named(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    clipdoc.dump(_clip("first"), tmp_path / "a" / "1.md")
    (tmp_path / "b").mkdir()
    walker = walk(str(tmp_path))
    assert next(walker).relative == "a/1.md"
    (tmp_path / "b").rmdir()
    (tmp_path / "b").write_text("now a file\n")
    rest = list(walker)
    assert [each.relative for each in rest] == ["b"]
    problem = rest[0].problem
    assert problem is not None
    assert "changed while the collection was read" in problem.message


def test_names_are_checked_unless_a_job_shows_no_warning(tmp_path: Path) -> None:
    for name in ("Paper.md", "paper.md", "NUL.md"):
        clipdoc.dump(_clip(name), tmp_path / name)
    checked = {each.relative: each.warnings for each in walk(str(tmp_path))}
    assert [w.code for warnings in checked.values() for w in warnings] == ["CD509"] * 3
    unchecked = list(walk(str(tmp_path), name_warnings=False))
    assert [each.relative for each in unchecked] == list(checked)
    assert all(each.warnings == () for each in unchecked)
    # The index shows none either way; check still names them (above).
    assert run("index", tmp_path).returncode == 0
    assert run("check", tmp_path).stdout.count("CD509") == 3


def test_a_found_travels_to_a_worker_whole() -> None:
    from clipdoc._core.errors import CODES, Diagnostic, PathError
    from clipdoc._storage.walk import Found

    warning = Diagnostic(
        code="CD509", severity=CODES["CD509"].severity, line=None, column=None, message="twin"
    )
    found = Found("a/b.md", problem=PathError("CD504", "gone", path="a/b.md"), warnings=(warning,))
    back = pickle.loads(pickle.dumps(found))
    assert type(back) is Found
    assert (back.relative, back.warnings) == (found.relative, found.warnings)
    assert back.problem is not None
    assert (back.problem.code, back.problem.message) == ("CD504", "gone")
    assert pickle.loads(pickle.dumps(Found("x.md"))) == Found("x.md")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork here")
def test_a_forked_process_draws_its_own_temporary_names() -> None:
    # Names follow one another from a random start: a child that kept its
    # parent's would race it for each name.
    from clipdoc._storage import files

    reading, writing = os.pipe()
    child = os.fork()
    if child == 0:
        os.write(writing, files._temporary_name().encode())
        os._exit(0)
    os.close(writing)
    os.waitpid(child, 0)
    with os.fdopen(reading, "rb") as pipe:
        childs = pipe.read().decode()
    parents = files._temporary_name()
    assert childs != parents
    assert childs.startswith(".clipdoc-")
    assert childs.endswith(".tmp")


def _tree(top: Path, depth: int = 2) -> Path:
    folder = top
    for level in range(depth):
        folder = folder / f"level{level}"
        folder.mkdir(parents=True)
        (folder / "page.html").write_text("x")
    (folder / "link").symlink_to(top.parent)  # never followed
    return top


def test_remove_tree_removes_only_the_folder_it_was_given(tmp_path: Path) -> None:
    from clipdoc._storage import files

    kept = _tree(tmp_path / "kept")
    doomed = _tree(tmp_path / "parent" / "doomed")
    status = os.lstat(doomed)
    parent = os.open(doomed.parent, os.O_RDONLY)
    try:
        files.remove_tree(parent, "doomed", status)
        assert not doomed.exists()
        assert (kept / "level0" / "level1" / "page.html").exists()
        # A name swapped for another folder since it was looked at: refused.
        _tree(doomed)
        status = os.lstat(doomed)
        os.rename(doomed, tmp_path / "moved")
        shutil.copytree(kept, doomed, symlinks=True)
        with pytest.raises(OSError, match="replaced"):
            files.remove_tree(parent, "doomed", status)
        assert (doomed / "level0" / "level1" / "page.html").exists()
        assert (tmp_path / "moved" / "level0" / "page.html").exists()
    finally:
        os.close(parent)


def test_remove_tree_leaves_the_name_if_it_is_swapped_while_it_empties(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the folder held is removed through descriptors; a folder swapped
    in for its name meanwhile is neither emptied nor removed."""
    from clipdoc._storage import files

    doomed = _tree(tmp_path / "doomed")
    status = os.lstat(doomed)
    real_empty = files._empty

    def emptied_then_swapped(folder: int, device: int, depth: int) -> None:
        real_empty(folder, device, depth)
        if depth == files._DEEPEST_TREE:  # the folder itself, once emptied
            os.rename(doomed, tmp_path / "emptied")
            _tree(doomed)  # someone else's, at the same name

    monkeypatch.setattr(files, "_empty", emptied_then_swapped)
    parent = os.open(tmp_path, os.O_RDONLY)
    try:
        with pytest.raises(OSError, match="replaced"):
            files.remove_tree(parent, "doomed", status)
    finally:
        os.close(parent)
    assert (doomed / "level0" / "level1" / "page.html").exists()
    assert os.listdir(tmp_path / "emptied") == []


def test_remove_tree_refuses_a_tree_deeper_than_clipdoc_makes(tmp_path: Path) -> None:
    from clipdoc._storage import files

    deep = _tree(tmp_path / "deep", depth=files._DEEPEST_TREE + 1)
    parent = os.open(tmp_path, os.O_RDONLY)
    try:
        with pytest.raises(OSError, match="deep"):
            files.remove_tree(parent, "deep", os.lstat(deep))
    finally:
        os.close(parent)
    assert deep.exists()
    assert (tmp_path / "deep").is_dir()
