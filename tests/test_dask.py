"""Collections on Dask: fsspec's memory:// and a real 2-process LocalCluster."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import clipdoc
from clipdoc import Collection
from conftest import EXAMPLE, SHARED, shared_corpus_files

dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")
fsspec = pytest.importorskip("fsspec")
pyarrow = pytest.importorskip("pyarrow")

import clipdoc.dask as clipdoc_dask  # noqa: E402
from clipdoc.arrow import schema  # noqa: E402

SCRIPT = Path(sys.executable).with_name("clipdoc")

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")


def _source(tmp_path: Path) -> Path:
    if shared_corpus_files():
        return SHARED / "corpus" / "ai_info"
    (tmp_path / "2025-05-06").mkdir(parents=True)
    (tmp_path / "2025-05-06" / "seed.md").write_bytes(EXAMPLE.read_bytes())
    (tmp_path / "README.md").write_text("# index\n")
    return tmp_path


def test_memory_file_system_round_trip(tmp_path: Path) -> None:
    source = _source(tmp_path / "src")
    paths = list(Collection(source).paths())
    memory = fsspec.filesystem("memory")
    for path in paths:
        memory.pipe_file(f"/clipdoc-test/src/{path}", (source / path).read_bytes())
    memory.pipe_file("/clipdoc-test/src/README.md", b"# index\n")
    memory.pipe_file("/clipdoc-test/src/.git/x.md", b"# hidden\n")
    frame = clipdoc_dask.read_collection("memory://clipdoc-test/src", blocksize=40)
    assert frame.npartitions == -(-len(paths) // 40)
    rows = frame.compute()
    assert list(rows["path"]) == paths
    assert str(rows["saved_at"].dtype) == "timestamp[us, tz=UTC][pyarrow]"
    assert clipdoc_dask.write_collection(frame, "memory://clipdoc-test/dst") == len(paths)
    for path in paths:
        assert memory.cat_file(f"/clipdoc-test/dst/{path}") == (source / path).read_bytes()
    memory.rm("/clipdoc-test", recursive=True)


def test_a_local_cluster_with_two_worker_processes(tmp_path: Path) -> None:
    source = _source(tmp_path / "src")
    paths = list(Collection(source).paths())
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        assert len(client.scheduler_info()["workers"]) == 2
        frame = clipdoc_dask.read_collection(str(source), blocksize=50)
        assert int(frame.map_partitions(len).sum().compute()) == len(paths)
        assert list(frame["path"].compute()) == paths
        target = tmp_path / "dst"
        assert clipdoc_dask.write_collection(frame, str(target)) == len(paths)
        for path in paths:
            assert (target / path).read_bytes() == (source / path).read_bytes()
        # Parquet written by Dask holds what the command writes.
        frame.to_parquet(str(tmp_path / "by-dask"), write_index=False)
    by_command = tmp_path / "by-command.parquet"
    done = subprocess.run(
        [str(SCRIPT), "convert", str(source), str(by_command)], capture_output=True, check=False
    )
    assert done.returncode == 0
    import pyarrow.parquet as parquet

    from_dask = parquet.read_table(tmp_path / "by-dask").sort_by("path")
    from_command = parquet.read_table(by_command).sort_by("path")
    assert from_dask.to_pylist() == from_command.to_pylist()


def test_documents_with_errors_raise_and_empty_collections(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "bad.md").write_text("stray\n")
    clipdoc.dump(clipdoc.Clipping(title="ok"), tmp_path / "a" / "ok.md")
    with pytest.raises(clipdoc.ClipdocError) as caught:
        clipdoc_dask.read_collection(str(tmp_path)).compute()
    assert caught.value.path == "a/bad.md"
    assert list(
        clipdoc_dask.read_collection(str(tmp_path), exclude=["bad.md"]).compute()["path"]
    ) == ["a/ok.md"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert len(clipdoc_dask.read_collection(str(empty)).compute()) == 0
    with pytest.raises(TypeError):
        clipdoc_dask.read_collection(str(tmp_path), blocksize=0)


# ------------------------------------------------- documents that cannot be read

CD107 = "# t\n\nstray\n\n## AI 摘要\n\nx\n"


def _troubled(tmp_path: Path) -> Path:
    """A collection with a valid document, a document with an error (CD107),
    a FIFO (CD505) and a link to a file outside the collection (CD503)."""
    root = tmp_path / "troubled"
    (root / "a").mkdir(parents=True)
    (root / "a" / "bad.md").write_text(CD107, encoding="utf-8")
    (root / "a" / "ok.md").write_bytes(EXAMPLE.read_bytes())
    os.mkfifo(root / "a" / "pipe.md")
    outside = tmp_path / "outside.md"
    outside.write_bytes(EXAMPLE.read_bytes())
    (root / "link.md").symlink_to(outside)
    return root


def _codes(frame: Any) -> dict[str, list[str]]:
    return {
        row.path: [diagnostic["code"] for diagnostic in row.diagnostics]
        for row in frame.itertuples()
    }


@needs_fifo
def test_the_first_document_that_cannot_be_read_raises_by_default(tmp_path: Path) -> None:
    root = _troubled(tmp_path)
    with pytest.raises(clipdoc.ClipdocError) as caught:
        clipdoc_dask.read_collection(str(root)).compute()
    assert (caught.value.code, caught.value.path, caught.value.line) == ("CD107", "a/bad.md", 3)
    assert 'errors="report"' in str(caught.value)
    for left, code, path in (
        (["bad.md", "link.md"], "CD505", "a/pipe.md"),
        (["bad.md", "pipe.md"], "CD503", "link.md"),
    ):
        frame = clipdoc_dask.read_collection(f"file://{root}", exclude=left, blocksize=1)
        with pytest.raises(clipdoc.ClipdocError) as caught:
            frame.compute()
        assert (caught.value.code, caught.value.path) == (code, path)
    # What reads has the columns of the Arrow schema, no more.
    frame = clipdoc_dask.read_collection(str(root), exclude=["bad.md", "pipe.md", "link.md"])
    assert list(frame.columns) == list(frame.compute().columns) == schema().names


@needs_fifo
def test_the_report_policy_gives_a_row_per_file_with_its_diagnostics(tmp_path: Path) -> None:
    root = _troubled(tmp_path)
    frame = clipdoc_dask.read_collection(str(root), errors="report", blocksize=2)
    assert frame.npartitions == 2
    assert list(frame.columns) == [*schema().names, "diagnostics"]
    rows = frame.compute()
    assert _codes(rows) == {
        "a/bad.md": ["CD107"],
        "a/ok.md": [],
        "a/pipe.md": ["CD505"],
        "link.md": ["CD503"],
    }
    [bad] = rows[rows["path"] == "a/bad.md"]["diagnostics"]
    assert bad[0]["severity"] == "error"
    assert (bad[0]["line"], bad[0]["column"]) == (3, 1)
    assert str(rows["diagnostics"].dtype).startswith("list<item: struct<code: string")
    # A document with errors keeps its path; the rest is null, or empty
    # where the schema allows no null.
    broken = rows[rows["path"] != "a/ok.md"]
    assert list(broken["title"]) == ["", "", ""]
    assert broken["url"].isna().all()
    assert broken["saved_at"].isna().all()
    assert not broken["has_metadata"].any()
    # The valid document's row is the one the "raise" policy gives.
    valid = clipdoc_dask.read_collection(str(root), exclude=["bad.md", "pipe.md", "link.md"])
    expected = valid.compute().iloc[0].to_dict()
    got = rows[rows["path"] == "a/ok.md"].drop(columns="diagnostics").iloc[0].to_dict()
    assert got.keys() == expected.keys()
    assert repr(got) == repr(expected)


def test_the_policy_is_checked(tmp_path: Path) -> None:
    for wrong in (True, None, 1):
        with pytest.raises(TypeError, match="errors must be"):
            clipdoc_dask.read_collection(str(tmp_path), errors=wrong)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'raise' or 'report'"):
        clipdoc_dask.read_collection(str(tmp_path), errors="skip")  # type: ignore[arg-type]
    with pytest.raises(clipdoc.ClipdocError) as caught:
        clipdoc_dask.read_collection("memory://clipdoc-test/no-such-folder")
    assert caught.value.code == "CD504"


def test_other_file_systems_report_what_they_cannot_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    memory = fsspec.filesystem("memory")
    memory.pipe_file("/clipdoc-report/a.md", EXAMPLE.read_bytes())
    memory.pipe_file("/clipdoc-report/b.md", CD107.encode("utf-8"))
    memory.pipe_file("/clipdoc-report/c.md", EXAMPLE.read_bytes())
    cat_file = type(memory).cat_file

    def refusing(self: Any, path: str, *args: Any, **kwargs: Any) -> Any:
        if path.endswith("/c.md"):
            raise PermissionError(13, "Permission denied")
        return cat_file(self, path, *args, **kwargs)

    monkeypatch.setattr(type(memory), "cat_file", refusing)
    try:
        rows = clipdoc_dask.read_collection("memory://clipdoc-report", errors="report").compute()
        assert _codes(rows) == {"a.md": [], "b.md": ["CD107"], "c.md": ["CD504"]}
        with pytest.raises(clipdoc.ClipdocError) as caught:
            clipdoc_dask.read_collection("memory://clipdoc-report").compute()
        assert (caught.value.code, caught.value.path) == ("CD107", "b.md")
    finally:
        memory.rm("/clipdoc-report", recursive=True)


def test_memory_with_worker_processes_gives_every_row() -> None:
    # Each worker process has a memory file system of its own, empty.
    memory = fsspec.filesystem("memory")
    paths = [f"2025-05-0{day}/seed.md" for day in range(1, 6)]
    for path in paths:
        memory.pipe_file(f"/clipdoc-processes/src/{path}", EXAMPLE.read_bytes())
    memory.pipe_file("/clipdoc-processes/src/z.md", CD107.encode("utf-8"))
    try:
        with (
            distributed.LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            distributed.Client(cluster),
        ):
            url = "memory://clipdoc-processes/src"
            report = clipdoc_dask.read_collection(url, blocksize=2, errors="report")
            assert list(report.compute()["path"]) == [*paths, "z.md"]
            frame = clipdoc_dask.read_collection(url, blocksize=2, exclude=["z.md"])
            assert int(frame.map_partitions(len).sum().compute()) == len(paths)
            with pytest.raises(clipdoc.ClipdocError, match="CD107"):
                clipdoc_dask.read_collection(url, blocksize=2).compute()
            # The rows of documents with errors hold nothing to write.
            target = "memory://clipdoc-processes/dst"
            assert clipdoc_dask.write_collection(report, target) == len(paths)
        for path in paths:
            written = memory.cat_file(f"/clipdoc-processes/dst/{path}")
            assert written == EXAMPLE.read_bytes()
        assert not memory.exists("/clipdoc-processes/dst/z.md")
    finally:
        memory.rm("/clipdoc-processes", recursive=True)


def test_write_collection_replaces_only_when_asked(tmp_path: Path) -> None:
    source = _source(tmp_path / "src")
    paths = list(Collection(source).paths())
    frame = clipdoc_dask.read_collection(str(source), blocksize=100)
    target = tmp_path / "dst"
    assert clipdoc_dask.write_collection(frame, str(target)) == len(paths)
    # The same bytes again: nothing to refuse.
    assert clipdoc_dask.write_collection(frame, f"file://{target}") == len(paths)
    changed = target / paths[0]
    changed.write_text("# changed\n", encoding="utf-8")
    with pytest.raises(clipdoc.ClipdocError) as caught:
        clipdoc_dask.write_collection(frame, str(target))
    assert (caught.value.code, caught.value.path) == ("CD502", paths[0])
    assert "overwrite=True" in str(caught.value)
    assert changed.read_text(encoding="utf-8") == "# changed\n"
    assert clipdoc_dask.write_collection(frame, str(target), overwrite=True) == len(paths)
    assert changed.read_bytes() == (source / paths[0]).read_bytes()
    with pytest.raises(TypeError, match="overwrite"):
        clipdoc_dask.write_collection(frame, str(target), overwrite="yes")  # type: ignore[arg-type]


def test_write_collection_on_other_file_systems_replaces_only_when_asked() -> None:
    memory = fsspec.filesystem("memory")
    memory.pipe_file("/clipdoc-write/src/a.md", EXAMPLE.read_bytes())
    try:
        frame = clipdoc_dask.read_collection("memory://clipdoc-write/src")
        target = "memory://clipdoc-write/dst"
        assert clipdoc_dask.write_collection(frame, target) == 1
        assert clipdoc_dask.write_collection(frame, target) == 1
        memory.pipe_file("/clipdoc-write/dst/a.md", b"# changed\n")
        with pytest.raises(clipdoc.ClipdocError) as caught:
            clipdoc_dask.write_collection(frame, target)
        assert (caught.value.code, caught.value.path) == ("CD502", "a.md")
        assert memory.cat_file("/clipdoc-write/dst/a.md") == b"# changed\n"
        assert clipdoc_dask.write_collection(frame, target, overwrite=True) == 1
        assert memory.cat_file("/clipdoc-write/dst/a.md") == EXAMPLE.read_bytes()
    finally:
        memory.rm("/clipdoc-write", recursive=True)
