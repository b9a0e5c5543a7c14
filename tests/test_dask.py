"""Collections on Dask: fsspec's memory:// and a real 2-process LocalCluster."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import clipdoc
from clipdoc import Collection
from conftest import EXAMPLE, SHARED, shared_corpus_files

dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")
fsspec = pytest.importorskip("fsspec")
pyarrow = pytest.importorskip("pyarrow")

import clipdoc.dask as clipdoc_dask  # noqa: E402

SCRIPT = Path(sys.executable).with_name("clipdoc")


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


def test_documents_with_errors_are_left_out_and_empty_collections(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "bad.md").write_text("stray\n")
    clipdoc.dump(clipdoc.Clipping(title="ok"), tmp_path / "a" / "ok.md")
    assert list(clipdoc_dask.read_collection(str(tmp_path)).compute()["path"]) == ["a/ok.md"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert len(clipdoc_dask.read_collection(str(empty)).compute()) == 0
    with pytest.raises(TypeError):
        clipdoc_dask.read_collection(str(tmp_path), blocksize=0)
