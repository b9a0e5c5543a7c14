"""Arrow tables and Parquet files: every clipping back equal, trees back identical."""

from __future__ import annotations

import io
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import clipdoc
import strategies
from clipdoc import Clipping, Collection, arrow
from conftest import EXAMPLE, SHARED, shared_corpus_files

pyarrow = pytest.importorskip("pyarrow")
SCRIPT = Path(sys.executable).with_name("clipdoc")


def _collection(tmp_path: Path) -> Path:
    files = shared_corpus_files()
    if not files:
        (tmp_path / "2025-05-06").mkdir(parents=True)
        (tmp_path / "2025-05-06" / "seed.md").write_bytes(EXAMPLE.read_bytes())
        return tmp_path
    return SHARED / "corpus" / "ai_info"


def _load(path: Path) -> Clipping:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clipdoc.ClipdocWarning)
        return clipdoc.load(path)


def test_real_documents_through_a_table_and_pandas(tmp_path: Path) -> None:
    root = _collection(tmp_path)
    table = arrow.to_table(Collection(root))
    assert table.schema.equals(arrow.SCHEMA, check_metadata=True)
    for path, clipping in arrow.rows(table):
        assert path is not None
        assert clipping == _load(root / path)
    frame = table.to_pandas()
    assert len(frame) == len(list(Collection(root).paths()))
    assert str(frame["saved_at"].dt.tz) == "UTC"


def test_parquet_streams_in_batches(tmp_path: Path) -> None:
    root = _collection(tmp_path)
    buffer = io.BytesIO()
    count = arrow.write_parquet(Collection(root), buffer, batch_size=7)
    buffer.seek(0)
    import pyarrow.parquet as parquet

    assert parquet.ParquetFile(buffer).metadata.num_rows == count
    buffer.seek(0)
    back = list(arrow.read_parquet(buffer, batch_size=5))
    assert [path for path, _ in back] == list(Collection(root).paths())
    empty = io.BytesIO()
    assert arrow.write_parquet([], empty) == 0


@given(clips=st.lists(strategies.clippings, max_size=5))
def test_every_valid_clipping_survives_parquet(clips: list[Clipping]) -> None:
    buffer = io.BytesIO()
    arrow.write_parquet([(f"{i}.md", clip) for i, clip in enumerate(clips)], buffer)
    buffer.seek(0)
    back = [clip for _, clip in arrow.read_parquet(buffer)]
    assert back == clips
    assert [clipdoc.render(clip) for clip in back] == [clipdoc.render(clip) for clip in clips]


def test_clippings_without_a_path_get_the_producers(tmp_path: Path) -> None:
    clip = _load(EXAMPLE)
    table = arrow.to_table([clip, Clipping(title="no date")])
    assert table.column("path").to_pylist() == [clipdoc.clipping_path(clip), None]


@pytest.mark.parametrize("items", ["text", [1], Clipping(title="t"), [("a.md", "not a clipping")]])
def test_wrong_shapes(items: object) -> None:
    with pytest.raises(TypeError):
        arrow.to_table(items)  # type: ignore[arg-type]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_folder_to_parquet_and_back_is_identical(tmp_path: Path, jobs: str) -> None:
    root = _collection(tmp_path / "in")
    target = tmp_path / "all.parquet"
    done = subprocess.run(
        [str(SCRIPT), "convert", "--jobs", jobs, str(root), str(target)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    back = tmp_path / "back"
    done = subprocess.run(
        [str(SCRIPT), "convert", "--jobs", jobs, str(target), str(back)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for path in Collection(root).paths():
        assert (back / path).read_bytes() == (root / path).read_bytes()
    assert sorted(Collection(back).paths()) == sorted(Collection(root).paths())
    duckdb = pytest.importorskip("duckdb")
    [rows] = duckdb.sql(f"select count(*), count(distinct path) from '{target}'").fetchall()
    assert rows == (len(list(Collection(root).paths())),) * 2
    polars = pytest.importorskip("polars")
    frame = polars.read_parquet(target)
    assert frame.height == rows[0]
    assert str(frame.schema["saved_at"]) == "Datetime(time_unit='us', time_zone='UTC')"
    not_parquet = tmp_path / "bad.parquet"
    not_parquet.write_bytes(b"not parquet")
    done = subprocess.run(
        [str(SCRIPT), "convert", str(not_parquet), str(tmp_path / "x")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert "cannot read the Parquet file" in done.stdout + done.stderr


def test_reading_parquet_does_not_import_pandas(tmp_path: Path) -> None:
    # pyarrow imports pandas (half a second) to convert timestamps that
    # carry a time zone; the reader converts them without one.
    target = tmp_path / "all.parquet"
    arrow.write_parquet([("seed.md", _load(EXAMPLE))], target)
    script = (
        "import sys; from clipdoc import arrow\n"
        f"rows = list(arrow.read_parquet({str(target)!r}))\n"
        "assert rows[0][1].metadata.saved_at.utcoffset() is not None, rows\n"
        "print('pandas' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
    assert [clip for _, clip in arrow.read_parquet(target)] == [_load(EXAMPLE)]
