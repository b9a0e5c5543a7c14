"""The command-line sessions shown in the README and the docs, run for real.

Each ```console block is a list of ``$ command`` lines, each followed by the
output it prints (stdout and stderr together). The blocks of one page run in
order, in one fresh folder holding the documents the pages describe.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import EXAMPLE, ROOT

PAGES = [
    ROOT / "README.md",
    ROOT / "docs" / "cli.md",
    ROOT / "docs" / "recipes.md",
    ROOT / "docs" / "merging.md",
]
#: Pages whose sessions run git, in a folder holding only the example.
GIT_PAGES = {"merging.md"}
_BLOCK = re.compile(r"```console\n(.*?)```\n", re.DOTALL)


def sessions(page: Path) -> list[tuple[str, str]]:
    """(command, expected output) pairs of every console block of a page."""
    steps: list[tuple[str, str]] = []
    for block in _BLOCK.findall(page.read_text(encoding="utf-8")):
        for chunk in re.split(r"^\$ ", block, flags=re.MULTILINE)[1:]:
            command, _, output = chunk.partition("\n")
            while command.endswith("\\"):  # continued on the next line, as in a shell
                more, _, output = output.partition("\n")
                command = command[:-1] + more
            steps.append((command, output))
    return steps


def make_demo(folder: Path) -> None:
    """The clippings folder the sessions run in."""
    day = folder / "clippings" / "2025-05-06"
    day.mkdir(parents=True)
    (day / "seed.md").write_bytes(EXAMPLE.read_bytes())
    (day / "draft.md").write_bytes("# Draft\r\n\r\n## AI 摘要  \r\n\r\n要点\r\n".encode())
    notes = (
        "# Notes\n\nsome stray text\n\n## AI 摘要\n\nx\n\n## 元数据\n\n- **保存时间**: yesterday\n"
    )
    (folder / "clippings" / "notes.md").write_bytes(notes.encode())


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_console_sessions_print_what_the_page_shows(page: Path, tmp_path: Path) -> None:
    steps = sessions(page)
    assert steps, f"{page.name} has no console session"
    if page.name in GIT_PAGES:
        if shutil.which("git") is None:
            pytest.skip("git is not installed")
        day = tmp_path / "clippings" / "2025-05-06"
        day.mkdir(parents=True)
        (day / "seed.md").write_bytes(EXAMPLE.read_bytes())
    else:
        make_demo(tmp_path)
    environment = dict(
        os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    )
    status = 0
    for command, expected in steps:
        if command == "echo $?":
            printed = f"{status}\n"
        else:
            done = subprocess.run(
                ["bash", "-c", command],
                cwd=tmp_path,
                env=environment,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                check=False,
                timeout=120,
            )
            printed, status = done.stdout.decode("utf-8"), done.returncode
        assert printed == expected, f"{page.name}: $ {command}"
