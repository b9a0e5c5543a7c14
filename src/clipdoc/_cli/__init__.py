"""The ``clipdoc`` command: the argument parser over one module per command.

Exit status: 0 when all is well (warnings allowed, unless ``check --strict``),
1 when a document or record has an error (or, with ``fmt --check``/``--diff``,
would change), 2 for usage and I/O errors.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import threading
from collections.abc import Sequence

from .._core.errors import ClipdocError
from .._version import __version__
from ._common import FAILED, USAGE

#: Each command, in the order the help lists them: the module that makes
#: and runs it, and the groups of shared options it takes. A command's
#: module is imported only when it is run (or help lists every command),
#: so one command's start does not pay for the others' imports.
_COMMANDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "check": ("check", ("paths",)),
    "fmt": ("fmt", ("paths", "recovering")),
    "convert": ("convert", ("shared", "walking", "recovering")),
    "index": ("index", ("shared", "walking")),
    "resolve": ("resolve", ("paths",)),
    "import": ("import_", ("shared",)),
    "site": ("site", ("shared", "excluding")),
    "merge-driver": ("merge_driver", ()),
    "git": ("git", ()),
}


def _jobs(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("--jobs takes 0 (one per CPU) or more")
    return value or os.cpu_count() or 1


def _options() -> dict[str, argparse.ArgumentParser]:
    """The groups of options commands share, by name."""
    shared = argparse.ArgumentParser(add_help=False)
    shared.add_argument(
        "-j",
        "--jobs",
        type=_jobs,
        default=1,
        metavar="N",
        help="work with N processes (0: one per CPU; default %(default)s)",
    )
    shared.add_argument(
        "-q", "--quiet", action="store_true", help="no progress bar and no summary on stderr"
    )
    excluding = argparse.ArgumentParser(add_help=False)
    excluding.add_argument(
        "--follow-links",
        action="store_true",
        help="read files through symbolic links that lead out of the folder (by default they"
        " are reported, CD503, and not read); nothing is ever written through a link",
    )
    excluding.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="leave out files and folders matching GLOB (repeatable): a pattern without '/'"
        " matches any name at any depth, one with '/' the path below the folder",
    )
    walking = argparse.ArgumentParser(add_help=False, parents=[excluding])
    walking.add_argument(
        "--include-readme",
        action="store_true",
        help="also read the README.md at the root of a folder (the collection's index, left"
        " out by default)",
    )
    recovering = argparse.ArgumentParser(add_help=False)
    recovering.add_argument(
        "--recover",
        action="store_true",
        help="also handle documents with errors, keeping the text they cannot place in"
        " sections headed 'clipdoc: unparsed'",
    )
    over_paths = argparse.ArgumentParser(add_help=False, parents=[shared, walking])
    over_paths.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
    return {
        "shared": shared,
        "excluding": excluding,
        "walking": walking,
        "recovering": recovering,
        "paths": over_paths,
    }


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or of ``command`` alone."""
    parser = argparse.ArgumentParser(
        prog="clipdoc",
        description="Check, format, convert, index and merge clipping documents, and build a"
        " collection's site.",
        epilog="Exit status: 0 fine (warnings allowed), 1 errors found or files would change,"
        " 2 usage or I/O errors.",
    )
    parser.add_argument("--version", action="version", version=f"clipdoc {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module, groups) in _COMMANDS.items():
        if command is None or command == name:
            # Each command its own options: a parent's actions are shared by
            # the parsers made from it, so one command's default (the site's
            # --jobs) would be every command's.
            options = _options()
            made = importlib.import_module(f"{__name__}.{module}")
            made.add_parser(commands, parents=[options[group] for group in groups])
    return parser


def _stop(signal_number: int, frame: object) -> None:
    # SIGTERM unwinds like Ctrl-C, so temporary files are removed on the way out.
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    command = arguments[0] if arguments and arguments[0] in _COMMANDS else None
    try:
        # Making the parser imports the command's module: a Ctrl-C then
        # stops the command as one later does.
        options = build_parser(command).parse_args(arguments)
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, _stop)
        status: int = options.run(options)
    except KeyboardInterrupt:
        print("clipdoc: stopped; no file was left half-written", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `| head`); stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return FAILED
    except (ClipdocError, OSError, RecursionError, MemoryError) as error:
        # What no command could handle (a full disk, input nested too deep
        # for the interpreter, memory exhausted): one line, never a traceback.
        print(f"clipdoc {options.command}: error: {_what(error)}", file=sys.stderr)
        return USAGE
    return status


def _what(error: BaseException) -> str:
    if isinstance(error, RecursionError):
        return "the input is nested too deeply to be read"
    if isinstance(error, MemoryError):
        return "out of memory; the input is too large for this machine"
    if isinstance(error, OSError) and not isinstance(error, ClipdocError):
        where = f"{error.filename}: " if error.filename else ""
        return f"{where}{error.strerror or error}"
    return str(error)
