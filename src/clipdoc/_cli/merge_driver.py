"""``clipdoc merge-driver``: a Git merge driver that merges clippings field by
field. `clipdoc git install` sets a repository up for it (see git.py). Git
passes the common ancestor, our version (where the result goes), their
version and the path; exit 0 means merged cleanly, 1 a conflict (the result
holds Git's markers).
"""

from __future__ import annotations

import argparse
import codecs
import os
import shutil
import subprocess
import sys

from .._core.errors import ClipdocError, Diagnostic
from .._core.merge import has_conflict_markers, merge
from .._core.model import Clipping
from .._core.read import decode, read_document
from .._storage.files import read_bytes, write_atomically
from .._storage.walk import INDEX_HEADING
from ._common import FAILED, OK, USAGE


def _clipping(data: bytes) -> Clipping | Diagnostic:
    """The clipping of a version, or the first error that says it is not one."""
    try:
        clipping, diagnostics = read_document(decode(data))
    except ClipdocError as error:
        return error.diagnostic
    errors = [diagnostic for diagnostic in diagnostics if diagnostic.severity == "error"]
    return errors[0] if errors else clipping


def _line_merge(options: argparse.Namespace, name: str, why: str) -> int:
    """Git's own line merge, for versions that are not clippings; a result
    with conflict markers (from the merge, or already in a version) is a
    conflict, whatever `git merge-file` says."""
    git = shutil.which("git")
    if git is None:
        print(
            f"clipdoc merge-driver: {name}: {why}, and git is not on PATH to merge it line by"
            " line; the file is left as a conflict",
            file=sys.stderr,
        )
        return USAGE
    print(f"{name}: {why}; merged line by line (git merge-file)", file=sys.stderr)
    labels = ["-L", "ours", "-L", "base", "-L", "theirs"]
    files = [options.ours, options.base, options.theirs]
    done = subprocess.run([git, "merge-file", "-p", *labels, *files], capture_output=True)
    if done.returncode < 0 or done.returncode > 127:
        sys.stderr.buffer.write(done.stderr)
        return USAGE
    write_atomically(options.ours, done.stdout)
    if done.returncode == 0 and not has_conflict_markers(_text(done.stdout)):
        return OK
    print(
        f"{name}: conflict markers in the result; resolve them before committing", file=sys.stderr
    )
    return FAILED


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _as_ours(text: str, ours: bytes) -> bytes:
    """``text`` with our version's line endings and byte order mark."""
    line_end = ours.find(b"\n")
    carriage = ours.find(b"\r")
    if carriage >= 0 and (line_end < 0 or carriage < line_end):
        text = text.replace("\n", "\r\n" if carriage + 1 == line_end else "\r")
    data = text.encode("utf-8")
    return codecs.BOM_UTF8 + data if ours.startswith(codecs.BOM_UTF8) else data


def _keep_index(options: argparse.Namespace, name: str, versions: list[bytes]) -> int:
    """A collection's index: keep our version, to be rebuilt from the
    merged tree; a file by that name that is not an index is merged line by
    line like any other."""
    if not all(data.startswith(INDEX_HEADING) for data in versions if data):
        return _line_merge(options, name, "not a collection's index")
    # OURS already holds our version: keeping it is the whole merge.
    print(
        f"{name}: the collection's index keeps our version; rebuild it from the merged tree"
        " (clipdoc index) and commit it",
        file=sys.stderr,
    )
    return OK


def run(options: argparse.Namespace) -> int:
    name = options.path or options.ours
    if os.path.islink(options.ours):
        print(
            f"clipdoc merge-driver: {options.ours}: a symbolic link; the driver writes only"
            " regular files (git passes it a temporary file)",
            file=sys.stderr,
        )
        return USAGE
    try:
        versions = [read_bytes(path) for path in (options.base, options.ours, options.theirs)]
    except OSError as exc:
        print(f"clipdoc merge-driver: {exc}", file=sys.stderr)
        return USAGE
    if options.index:
        return _keep_index(options, name, versions)
    clippings: list[Clipping | None] = []
    for side, data in zip(("base", "ours", "theirs"), versions, strict=True):
        # An empty ancestor: both sides added the file.
        version = _clipping(data) if data or side != "base" else None
        if isinstance(version, Diagnostic):
            where = f"{version.code} at line {version.line}"
            return _line_merge(options, name, f"the {side} version is not a clipping ({where})")
        clippings.append(version)
    base, ours, theirs = clippings
    if ours is None or theirs is None:  # pragma: no cover - only the base may be empty
        return USAGE
    result = merge(base, ours, theirs, prefer=options.prefer)
    write_atomically(options.ours, _as_ours(result.text, versions[1]))
    if result.clean:
        return OK
    named = ", ".join(result.conflicts[:_NAMED])
    more = len(result.conflicts) - _NAMED
    print(
        f"{name}: conflict in {named}{f' and {more:,} more' if more > 0 else ''}", file=sys.stderr
    )
    return FAILED


#: How many conflicting fields a message names.
_NAMED = 8


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], **shared: object
) -> None:
    parser = commands.add_parser(
        "merge-driver",
        help="a Git merge driver that merges clippings field by field",
        description="Merge OURS and THEIRS (with their ancestor BASE, empty when both added the"
        " file) field by field into OURS; exit 0 when clean, 1 with conflict markers around"
        " only the fields both sides changed differently (or whenever the result holds"
        " markers). Versions that are not clippings are merged line by line by `git"
        " merge-file`. Set a repository up for it with `clipdoc git install`.",
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
    parser.add_argument(
        "--index",
        action="store_true",
        help="the file is a collection's index: keep our version, to be rebuilt from the"
        " merged tree (`clipdoc git install` sets this up for README.md)",
    )
    parser.set_defaults(run=run)
