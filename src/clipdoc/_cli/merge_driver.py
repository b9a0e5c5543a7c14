"""``clipdoc merge-driver``: a Git merge driver that merges clippings field by
field. Set it up in a repository with::

    echo '*.md merge=clipdoc' >> .gitattributes
    git config merge.clipdoc.driver "clipdoc merge-driver %O %A %B %P"

Git passes the common ancestor, our version (where the result goes), their
version and the path; exit 0 means merged cleanly, 1 a conflict.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys

from .._core.errors import ClipdocError
from .._core.merge import merge
from .._core.model import Clipping
from .._core.read import decode, has_error, read_document
from .._storage.files import read_bytes, write_atomically
from ._common import FAILED, OK, USAGE


def _clipping(data: bytes) -> Clipping | None:
    """The clipping of a version, or None when it is not a valid one."""
    try:
        clipping, diagnostics = read_document(decode(data))
    except ClipdocError:
        return None
    return None if has_error(diagnostics) else clipping


def _line_merge(options: argparse.Namespace) -> int:
    """Git's own line merge, for versions that are not clippings."""
    git = shutil.which("git")
    if git is None:
        print(
            "clipdoc merge-driver: a version is not a clipping and git is not on PATH;"
            " the file is left as a conflict",
            file=sys.stderr,
        )
        return USAGE
    done = subprocess.run(
        [
            git,
            "merge-file",
            "-L",
            "ours",
            "-L",
            "base",
            "-L",
            "theirs",
            options.ours,
            options.base,
            options.theirs,
        ],
        check=False,
    )
    return OK if done.returncode == 0 else FAILED


def run(options: argparse.Namespace) -> int:
    try:
        versions = [read_bytes(path) for path in (options.base, options.ours, options.theirs)]
    except OSError as exc:
        print(f"clipdoc merge-driver: cannot read: {exc}", file=sys.stderr)
        return USAGE
    base_data, ours_data, theirs_data = versions
    # An empty ancestor: both sides added the file.
    base = None if not base_data else _clipping(base_data)
    ours, theirs = _clipping(ours_data), _clipping(theirs_data)
    if ours is None or theirs is None or (base_data and base is None):
        return _line_merge(options)
    result = merge(base, ours, theirs, prefer=options.prefer)
    write_atomically(options.ours, result.text.encode("utf-8"))
    if result.clean:
        return OK
    name = options.path or options.ours
    print(f"{name}: conflict in {', '.join(result.conflicts)}", file=sys.stderr)
    return FAILED


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], **shared: object
) -> None:
    parser = commands.add_parser(
        "merge-driver",
        help="a Git merge driver that merges clippings field by field",
        description="Merge OURS and THEIRS (with their ancestor BASE, empty when both added the"
        " file) field by field into OURS; exit 0 when clean, 1 with conflict markers around"
        " only the fields both sides changed differently. Versions that are not clippings"
        " are merged line by line by `git merge-file`. Set up: add '*.md merge=clipdoc' to"
        " .gitattributes, and run: git config merge.clipdoc.driver"
        ' "clipdoc merge-driver %%O %%A %%B %%P"',
        **shared,  # type: ignore[arg-type]
    )
    parser.add_argument("base", metavar="BASE")
    parser.add_argument("ours", metavar="OURS")
    parser.add_argument("theirs", metavar="THEIRS")
    parser.add_argument("path", metavar="PATH", nargs="?", help="the file's path, for messages")
    parser.add_argument(
        "--prefer",
        choices=("newer",),
        help="settle conflicts: the side whose 保存时间 is later wins every conflicting field"
        " (a blanket rule for automated writers; see the documentation for its risk)",
    )
    parser.set_defaults(run=run)
