"""``clipdoc index``: write a collection's index ``README.md``."""

from __future__ import annotations

import argparse
import functools
import os
import shlex
import stat
import sys
from collections import Counter
from collections.abc import Sequence

from .._core.errors import ClipdocError, NotFoundError, PathError, UnsafePathError
from .._storage.ai_info import ai_info_index
from .._storage.collection import Collection
from .._storage.files import Folder, read_bytes, write_atomically
from .._storage.index import (
    LeftOut,
    collection_index,
    index_style,
    index_unless_held,
    put_index,
    write_index,
)
from .._storage.walk import INDEX_HEADING, INDEX_NAME
from ._common import FAILED, OK, USAGE


def run(options: argparse.Namespace) -> int:
    root = options.root
    if options.check and options.output == "-":
        print(
            "clipdoc index: error: --check compares a file with the index: name the file"
            " with --output, or leave --output out for ROOT/README.md",
            file=sys.stderr,
        )
        return USAGE
    options.style = _chosen_style(options)
    if options.style == "clipdoc" and not options.output and not options.check:
        return _write_into_root(options)
    # A memo of the collection's state may tell that the file already holds
    # its index (the clipdoc style's): then it is not made again.
    data: bytes | None
    try:
        data, problems = _build_unless_held(options)
    except ClipdocError as error:
        print(f"clipdoc index: error: {error}", file=sys.stderr)
        return USAGE
    for problem in problems:
        print(problem, file=sys.stderr)
    if options.check:
        return _check(options, root, data, left_out=len(problems))
    return _written(options, data, left_out=len(problems))


def _written(options: argparse.Namespace, data: bytes | None, *, left_out: int) -> int:
    """Write the index (None: the file is known to hold it) and say so."""
    failure = _UNCHANGED if data is None else _write(options, options.root, data)
    if failure is not None and failure != _UNCHANGED:
        print(f"clipdoc index: error: {failure}", file=sys.stderr)
        return USAGE
    if not options.quiet and options.output != "-":
        done = "unchanged" if failure == _UNCHANGED else "wrote"
        print(f"{done} {_index_file(options)}", file=sys.stderr)
    return FAILED if left_out else OK


def _chosen_style(options: argparse.Namespace) -> str:
    """--style; without it, the producer's style of an index in ROOT (said
    unless --quiet), wherever the index goes (so that ``-o -`` shows what
    the collection's index would be), else clipdoc."""
    if options.style is not None:
        return str(options.style)
    if index_style(Folder(options.root)) != "ai_info":
        return "clipdoc"
    if not options.quiet:
        done = "checked in it" if options.check else "written in it" if options.output else "kept"
        print(
            f"{os.path.join(options.root, INDEX_NAME)} is in the producer's style (ai_info):"
            f" {done}; --style clipdoc for the clipdoc style",
            file=sys.stderr,
        )
    return "ai_info"


def _write_into_root(options: argparse.Namespace) -> int:
    """The clipdoc-style index written into ROOT: by `write_index`, which
    knows an unchanged collection from its memo."""
    try:
        collection = Collection(
            options.root,
            exclude=options.exclude,
            jobs=options.jobs,
            follow_links=options.follow_links,
            cache=_cache_choice(options),
        )
        written = write_index(collection, force=options.force)
    except UnsafePathError as error:
        print(f"clipdoc index: error: {_LINK.format(error.path)}", file=sys.stderr)
        return USAGE
    except ClipdocError as error:
        print(f"clipdoc index: error: {error}", file=sys.stderr)
        return USAGE
    problems = _problems(written.left_out, [])
    for problem in problems:
        print(problem, file=sys.stderr)
    if not options.quiet:
        print(f"{written.status} {os.path.join(options.root, INDEX_NAME)}", file=sys.stderr)
    return FAILED if problems else OK


def build(
    root: str,
    *,
    style: str = "clipdoc",
    exclude: Sequence[str] = (),
    jobs: int = 1,
    follow_links: bool = False,
    cache: bool | None = False,
    read_only_cache: bool = False,
) -> tuple[bytes, list[str]]:
    """The index of the collection at ``root`` in ``style``, and a line for
    each document left out of it or not read. ``cache`` is `Collection`'s;
    a ``read_only_cache`` is used and never written (--check writes
    nothing)."""
    collection = _collection(root, exclude, jobs, follow_links, cache, read_only_cache)
    left_out: list[tuple[str, str, str]] = []
    not_read: list[PathError] = []
    if style == "clipdoc":
        data = collection_index(collection, left_out).encode("utf-8")
    else:
        data = ai_info_index(
            root,
            not_read,
            follow_links=follow_links,
            cache=cache,
            read_only_cache=read_only_cache,
        )
    return data, _problems(left_out, not_read)


def _build_unless_held(options: argparse.Namespace) -> tuple[bytes | None, list[str]]:
    """`build` for the command line's options; in the clipdoc style, None
    for the index when the file it is for is known to hold it
    (`index_unless_held`)."""
    if options.style != "clipdoc" or options.output == "-":
        return _build(options)
    collection = _collection(
        options.root,
        options.exclude,
        options.jobs,
        options.follow_links,
        _cache_choice(options),
        options.check,
    )
    data, left_out = index_unless_held(
        collection, functools.partial(_held, options), in_root=not options.output
    )
    return data, _problems(left_out, [])


def _build(options: argparse.Namespace) -> tuple[bytes, list[str]]:
    return build(
        options.root,
        style=options.style,
        exclude=options.exclude,
        jobs=options.jobs,
        follow_links=options.follow_links,
        cache=_cache_choice(options),
        read_only_cache=options.check,
    )


def _collection(
    root: str,
    exclude: Sequence[str],
    jobs: int,
    follow_links: bool,
    cache: bool | None,
    read_only_cache: bool,
) -> Collection:
    collection = Collection(
        root, exclude=exclude, jobs=jobs, follow_links=follow_links, cache=cache
    )
    collection._cache_read_only = read_only_cache
    return collection


def _problems(left_out: Sequence[LeftOut], not_read: Sequence[PathError]) -> list[str]:
    """A line for each document left out of the index or not read."""
    problems = [
        f"{path}: left out of the index: {message} ({code})" for path, code, message in left_out
    ]
    problems += [
        f"{unread.path}: not read: {unread.message} ({unread.code})" for unread in not_read
    ]
    return problems


def rebuild_command(
    root: str, style: str, output: str | None = None, options: Sequence[str] = ()
) -> str:
    """The command that writes this index (with the walk's ``options``)."""
    words = ["clipdoc", "index", *_style_words(style), *options]
    words += ["-o", output] if output else []
    return shlex.join([*words, root])


def _walk_words(options: argparse.Namespace) -> list[str]:
    """The options of the command line that change what the index holds."""
    # One word each: a pattern that starts with '-' stays the option's value.
    words = [f"--exclude={pattern}" for pattern in options.exclude]
    return [*words, "--follow-links"] if options.follow_links else words


def difference(old: bytes, new: bytes) -> str | None:
    """How an index file differs from the index of the tree, in a few
    words; None when they are the same."""
    if old == new:
        return None
    old_lines = old.decode("utf-8", errors="replace").splitlines()
    new_lines = new.decode("utf-8").splitlines()
    first = next(
        (n for n, (a, b) in enumerate(zip(old_lines, new_lines, strict=False), 1) if a != b),
        min(len(old_lines), len(new_lines)) + 1,
    )
    missing = Counter(new_lines) - Counter(old_lines)
    stale = Counter(old_lines) - Counter(new_lines)
    return (
        f"{missing.total()} lines missing, {stale.total()} stale, the first difference at"
        f" line {first}"
    )


def _cache_choice(options: argparse.Namespace) -> bool | None:
    """Whether the index uses the collection's stat cache: never with
    --no-cache; made when the index is written into ROOT, used only when
    there is one otherwise (and only read with --check, which writes
    nothing)."""
    if options.no_cache:
        return False
    return None if options.check or options.output else True


def _index_file(options: argparse.Namespace) -> str:
    """The file the index is written to or checked in."""
    return str(options.output or os.path.join(options.root, INDEX_NAME))


def _read_index_file(options: argparse.Namespace) -> bytes:
    """The bytes of the file the index is for, read as the command reads
    it: ROOT/README.md through the storage layer (never through a link out
    of the collection), a file named with --output wherever its link leads."""
    if not options.output:
        return Folder(options.root).read(INDEX_NAME)[0]
    return read_bytes(options.output)


def _held(options: argparse.Namespace) -> bytes | None:
    """`_read_index_file` of a regular file; None for anything else, and
    when it cannot be read."""
    try:
        if options.output and not stat.S_ISREG(os.stat(options.output).st_mode):
            return None
        return _read_index_file(options)
    except (ClipdocError, OSError):
        return None


def _check(options: argparse.Namespace, root: str, data: bytes | None, *, left_out: int) -> int:
    """Compare the index file with the index of the tree; say how they
    differ. Documents left out of the index fail the check as they fail
    the index (exit status 1), the file matching or not."""
    path = _index_file(options)
    rebuild = rebuild_command(root, options.style, options.output, _walk_words(options))
    if data is None:  # the file is known to hold the index
        return _matches(options, path, left_out)
    try:
        old = _read_index_file(options)
    except NotFoundError:
        print(f"{path}: no index; write it: {rebuild}", file=sys.stderr)
        return FAILED
    except OSError as error:
        print(f"clipdoc index: error: {error}", file=sys.stderr)
        return USAGE
    differs = difference(old, data)
    if differs is not None:
        other = "ai_info" if options.style == "clipdoc" else "clipdoc"
        if _is_index_in_style(options, root, old, other):
            again = shlex.join(
                [
                    "clipdoc",
                    "index",
                    "--check",
                    *_style_words(other),
                    *_walk_words(options),
                    *_output_words(options),
                    root,
                ]
            )
            print(
                f"{path} is the {other}-style index of the tree; check it with: {again}",
                file=sys.stderr,
            )
            return FAILED
        print(f"{path} does not match the tree ({differs}); rebuild it: {rebuild}", file=sys.stderr)
        return FAILED
    return _matches(options, path, left_out)


def _matches(options: argparse.Namespace, path: str, left_out: int) -> int:
    if left_out:
        print(f"{path} matches the tree; {left_out} left out of it (above)", file=sys.stderr)
        return FAILED
    if not options.quiet:
        print(f"{path} matches the tree", file=sys.stderr)
    return OK


def _is_index_in_style(options: argparse.Namespace, root: str, old: bytes, style: str) -> bool:
    """Whether ``old`` is the index of the tree in the other ``style`` (a
    check run without the style the file was written in)."""
    try:
        data, _ = build(
            root,
            style=style,
            exclude=options.exclude,
            jobs=options.jobs,
            follow_links=options.follow_links,
            cache=_cache_choice(options),
            read_only_cache=True,
        )
    except ClipdocError:
        return False
    return data == old


def _style_words(style: str) -> list[str]:
    # Always said: without --style, the style of ROOT/README.md is kept.
    return ["--style", style]


def _output_words(options: argparse.Namespace) -> list[str]:
    return ["-o", options.output] if options.output else []


_LINK = "{}: a symbolic link; clipdoc does not write through links"
#: What `_write` says when the index file already holds the index.
_UNCHANGED = "unchanged"


def _write(options: argparse.Namespace, root: str, data: bytes) -> str | None:
    """Write the index where asked; why not, if so (`_UNCHANGED` when it
    already holds it)."""
    if options.output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return None
    if options.output:  # a file the user named, anywhere
        held = _held(options)
        if held == data:
            return _UNCHANGED
        refused = None if options.force else _not_to_replace(options.output, held)
        if refused is not None:
            return refused
        try:
            write_atomically(options.output, data)
        except OSError as exc:
            return f"cannot write {options.output}: {exc.strerror or exc}"
        return None
    try:
        status, _ = put_index(Folder(root), data, force=options.force)
    except UnsafePathError as error:
        return _LINK.format(error.path)
    except ClipdocError as error:
        return str(error)
    return _UNCHANGED if status == "unchanged" else None


def _not_to_replace(path: str, held: bytes | None) -> str | None:
    """Why the file the user named, which holds ``held`` (None: it could
    not be read, or is no regular file), is not replaced without --force:
    it may hold anything, or is not an index; None when it may be."""
    if held is None and _unreadable(path):
        return (
            f"{path}: cannot be read to tell whether it is an index; pass --force to replace"
            " it, or name another file"
        )
    # The heading of a file already read is not read again.
    if held.startswith(INDEX_HEADING) if held is not None else not _holds_other_text(path):
        return None
    return (
        f"{path}: not an index (it does not start with {INDEX_HEADING.decode().strip()!r});"
        " pass --force to replace it, or name another file"
    )


def _unreadable(path: str) -> bool:
    """Whether ``path`` is a regular file (where its link leads) that this
    process cannot read: it may hold anything, and is not replaced unasked."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return False
        with open(path, "rb"):
            return False
    except OSError:
        return os.path.isfile(path)


def _holds_other_text(path: str) -> bool:
    """Whether ``path`` is a regular file (where its link leads) that is not
    an index: a clipping or a file of the user's, never replaced unasked."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return False  # nothing there, or a device or FIFO: written where it is
        with open(path, "rb") as file:
            return file.read(len(INDEX_HEADING)) != INDEX_HEADING
    except OSError:
        return False  # what cannot be read is for the write to report


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], **shared: object
) -> None:
    parser = commands.add_parser(
        "index",
        help="write a collection's index README.md",
        description="Write the index of the collection at ROOT (ROOT/README.md unless --output)."
        " --style ai_info writes exactly what the producer's own index generator writes;"
        " --style clipdoc the same information in a stable order, with Markdown escaped and"
        " links that work everywhere. Without --style, the style of the index in"
        " ROOT/README.md is kept, else clipdoc.",
        **shared,  # type: ignore[arg-type]
    )
    parser.add_argument("root", metavar="ROOT", help="the collection's folder")
    parser.add_argument(
        "--style",
        choices=("clipdoc", "ai_info"),
        default=None,
        help="default: the style of the index in ROOT/README.md (a producer's is kept), else"
        " clipdoc",
    )
    parser.add_argument(
        "-o", "--output", metavar="FILE", help="where to write it ('-': standard output)"
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace ROOT/README.md, or the --output FILE, even when it is not an index (one"
        " starting '# 最新信息')",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 with a one-line summary when the index file does not match"
        " the tree (for pre-commit hooks and CI)",
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="read every document, and neither read nor write the collection's stat cache"
        " (ROOT/.clipdoc/, made when the index is written into ROOT; safe to delete)",
    )
    parser.set_defaults(run=run)
