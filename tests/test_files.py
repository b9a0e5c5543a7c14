"""load() and dump(): paths, binary files, BOM, atomic replacement."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import pytest

import clipdoc
from clipdoc import Clipping

DOCUMENT = "# t\n\n## AI 摘要\n\n摘要\n"


def test_load_from_path_and_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_bytes(DOCUMENT.encode())
    assert clipdoc.load(path).ai_summary == "摘要"
    assert clipdoc.load(str(path)).ai_summary == "摘要"
    with path.open("rb") as file:
        assert clipdoc.load(file).ai_summary == "摘要"


def test_load_rejects_text_files(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_text(DOCUMENT, encoding="utf-8")
    with path.open(encoding="utf-8") as file, pytest.raises(TypeError, match="binary"):
        clipdoc.load(file)  # type: ignore[arg-type]


def test_bom_is_tolerated_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "bom.md"
    path.write_bytes(b"\xef\xbb\xbf" + DOCUMENT.encode())
    with pytest.warns(clipdoc.ClipdocWarning, match="CD201"):
        clip = clipdoc.load(path)
    assert clip.title == "t"


def test_dump_to_binary_file() -> None:
    buffer = io.BytesIO()
    clipdoc.dump(clipdoc.parse(DOCUMENT), buffer)
    assert buffer.getvalue() == DOCUMENT.encode()


def test_dump_replaces_atomically_and_keeps_permissions(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_bytes(b"old")
    os.chmod(path, 0o640)
    clipdoc.dump(clipdoc.parse(DOCUMENT), path)
    assert path.read_bytes() == DOCUMENT.encode()
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.md"]


def test_dump_new_file_honours_umask(tmp_path: Path) -> None:
    previous = os.umask(0o027)
    try:
        clipdoc.dump(Clipping(title="t"), tmp_path / "new.md")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "new.md").stat().st_mode) == 0o640


def test_dump_writes_through_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real.md"
    real.write_bytes(b"old")
    link = tmp_path / "link.md"
    link.symlink_to(real)
    clipdoc.dump(Clipping(title="t"), link)
    assert link.is_symlink()
    assert real.read_bytes() == b"# t\n"


def test_failed_dump_leaves_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "a.md"
    path.write_bytes(b"old")

    def broken_replace(source: str, target: str) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk on fire"):
        clipdoc.dump(Clipping(title="t"), path)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.md"]


def test_parse_rejects_bytes() -> None:
    with pytest.raises(TypeError, match="load"):
        clipdoc.parse(DOCUMENT.encode())  # type: ignore[arg-type]


def test_a_file_a_user_names_over_the_size_limit_says_what_to_do(tmp_path: Path) -> None:
    from clipdoc._storage.files import SIZE_LIMIT, read_bytes

    huge = tmp_path / "all.feed.json"
    with open(huge, "wb") as file:
        file.truncate(SIZE_LIMIT + 1)  # sparse: nothing is written
    with pytest.raises(clipdoc.TooLargeError) as caught:
        read_bytes(huge)
    assert caught.value.path == str(huge)
    assert "split it" in caught.value.message
    assert "Collection(" not in caught.value.message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_what_is_not_a_regular_file_is_written_where_it_is(tmp_path: Path) -> None:
    """A device, a FIFO or a descriptor named as a path is written into,
    never replaced by a regular file (as root, ``-o /dev/null`` once
    replaced the system's /dev/null)."""
    import subprocess
    import sys
    import threading

    clip = Clipping(title="t")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    clipdoc.dump(clip, fifo)
    reader.join(timeout=10)
    assert received == [clipdoc.render(clip).encode()]
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    if os.path.exists(os.devnull) and stat.S_ISCHR(os.stat(os.devnull).st_mode):
        clipdoc.dump(clip, os.devnull)
        assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
    # /dev/stdout into a pipe, /dev/stderr after what it already holds.
    script = (
        "import sys, clipdoc; print('before', file=sys.stderr);"
        " clipdoc.dump(clipdoc.Clipping(title='t'), '/dev/stdout');"
        " clipdoc.dump(clipdoc.Clipping(title='u'), '/dev/stderr')"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == clipdoc.render(clip).encode()
    assert done.stderr == b"before\n" + clipdoc.render(Clipping(title="u")).encode()
    with pytest.raises(clipdoc.PathError, match="a folder, not a file") as raised:
        clipdoc.dump(clip, tmp_path)
    assert raised.value.code == "CD508"
