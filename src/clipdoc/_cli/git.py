"""``clipdoc git install``: set a Git repository up to merge clippings field by
field, with one command.

It writes, in the repository that holds the collection:

* the merge driver into ``.git/config``, naming this Python by its absolute
  path (``/path/to/python -m clipdoc merge-driver -- %O %A %B %P``), so that
  the driver runs whatever ``PATH`` git sees (an environment not activated,
  a GUI client);
* a rule into ``.gitattributes`` that sends the collection's documents to
  the driver (``*.md merge=clipdoc``, or ``/ROOT/**/*.md`` for a collection
  below the top), and, after it, one that merges the collection's index
  (``README.md``) by keeping our version: the index is rebuilt from the tree
  (``clipdoc index``), never merged line by line;
* with ``--hooks``, ``pre-commit`` and ``pre-merge-commit`` hooks that run
  ``clipdoc git pre-commit``: they refuse a commit whose staged index does
  not match its staged documents, or whose staged documents are not valid
  (unresolved conflicts among them).

Running it again changes nothing; ``--check`` changes nothing and says what
is missing (exit 1).
"""

from __future__ import annotations

import argparse
import functools
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

from .._core.errors import ClipdocError, NotFoundError, Severity
from .._core.read import decode, read_document
from .._storage.files import Folder, Stamp, read_bytes
from .._storage.walk import INDEX_HEADING, INDEX_NAME
from ._common import FAILED, OK, USAGE, format_diagnostic
from .index import build, difference, rebuild_command

#: Marks the hooks this command writes: only those it may rewrite.
HOOK_MARK = "# Written by `clipdoc git install --hooks`."
HOOKS = ("pre-commit", "pre-merge-commit")


class _GitError(Exception):
    """A git command failed; the message says what to do."""


@dataclass(frozen=True)
class _Step:
    """One piece of the set-up: what it is, whether it is in place, and how
    to put it there."""

    what: str
    done: bool
    apply: Callable[[], None]


def _git(
    repository: str,
    *arguments: str,
    check: bool = True,
    stdin: str | None = None,
    strip: bool = True,
) -> str:
    git = shutil.which("git")
    if git is None:
        raise _GitError("git is not on PATH; install git first")
    done = subprocess.run(
        [git, "-C", repository, *arguments],
        input=stdin,
        capture_output=True,
        text=True,
        errors="surrogateescape",
        check=False,
    )
    if check and done.returncode != 0:
        raise _GitError(done.stderr.strip() or f"git {' '.join(arguments)} failed")
    if done.returncode != 0:
        return ""
    return done.stdout.strip() if strip else done.stdout


def _command() -> str:
    """This clipdoc, as a shell command that does not depend on PATH."""
    return f"{shlex.quote(sys.executable)} -m clipdoc"


def _pattern(path: str, wildcards: str = "") -> str:
    """A .gitattributes pattern for the folder or file ``path`` below the
    top, then ``wildcards``: glob characters of the path escaped, and the
    whole quoted (C style) when a character would end or comment it."""
    pattern = "/" + "".join("\\" + c if c in "[]*?!\\" else c for c in path) + wildcards
    if not any(c in pattern for c in ' \t\n\r"#') and "\\" not in pattern:
        return pattern
    escapes = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}
    return '"' + "".join(escapes.get(c, c) for c in pattern) + '"'


@dataclass(frozen=True)
class _Repository:
    """Where a collection sits in its repository."""

    root: str
    top: str
    #: The collection's folder below the top ("" for the top itself).
    below: str
    hooks: str
    #: Whether the collection has an index (a README.md that is one).
    indexed: bool


def _repository(root: str) -> _Repository:
    top = _git(root, "rev-parse", "--show-toplevel")
    git_folder = os.path.realpath(os.path.join(root, _git(root, "rev-parse", "--git-common-dir")))
    hooks = os.path.realpath(os.path.join(root, _git(root, "rev-parse", "--git-path", "hooks")))
    collection = os.path.relpath(os.path.realpath(root), os.path.realpath(top))
    below = "" if collection == "." else collection.replace(os.sep, "/") + "/"
    if not _inside(hooks, git_folder) and not _inside(hooks, os.path.realpath(top)):
        hooks = ""  # shared by other repositories (core.hooksPath): not ours to write
    index = _read(Folder(root), INDEX_NAME)
    return _Repository(root, top, below, hooks, index is None or index[0].startswith(INDEX_HEADING))


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _steps(repository: _Repository, hooks: bool, style: str) -> list[_Step]:
    root, command = repository.root, _command()
    steps = []
    drivers = [("clipdoc", "merge-driver", "clipdoc: merge clippings field by field")]
    if repository.indexed:
        drivers.append(
            ("clipdoc-index", "merge-driver --index", "clipdoc: keep our index; rebuild it")
        )
    for name, driver, description in drivers:
        # `--`: a file whose name starts with '-' is a file, not an option.
        wanted = f"{command} {driver} -- %O %A %B %P"
        found = _git(root, "config", "--local", "--get", f"merge.{name}.driver", check=False)
        what = f"merge driver '{name}' in .git/config"
        if found and found != wanted:
            what += f" (now {found!r}, not this clipdoc)"
        configure = functools.partial(_configure, root, name, description, wanted)
        steps.append(_Step(what, found == wanted, configure))
    # The collection's documents only: other Markdown files of the
    # repository are no clippings, and git merges them as ever.
    below = repository.below
    # The README.md at its root is its index, kept as ours to be rebuilt;
    # a README.md that is not an index is the project's, merged as text.
    rules = [
        f"{_pattern(below[:-1], '/**/*.md') if below else '*.md'} merge=clipdoc",
        f"{_pattern(below + INDEX_NAME)} merge={_index_driver(repository)}",
    ]
    folder = Folder(repository.top)
    _read(folder, ".gitattributes")  # a FIFO or a link is refused before git reads it
    steps.append(
        _Step(
            "in .gitattributes: " + "; ".join(rules),
            _attributes_in_effect(repository),
            functools.partial(_add_rules, repository, folder, rules),
        )
    )
    if hooks:
        steps += _hook_steps(repository, command, style)
    return steps


def _hook_steps(repository: _Repository, command: str, style: str) -> list[_Step]:
    line = _hook_command(command, repository, style)
    if not repository.hooks:
        where = _git(repository.root, "rev-parse", "--git-path", "hooks")
        raise _GitError(
            f"the hooks folder ({where}, core.hooksPath) is outside this repository and"
            f" shared with others; clipdoc does not write there. Make its pre-commit and"
            f" pre-merge-commit hooks also run, in this repository only: {line}"
        )
    folder = Folder(repository.hooks)
    steps = []
    for hook in HOOKS:
        current = _read(folder, hook)
        steps.append(
            _Step(
                f"the {hook} hook ({os.path.relpath(folder.full(hook))})",
                current is not None and line in current[0].decode("utf-8", "replace").splitlines(),
                functools.partial(_write_hook, folder, hook, line, current),
            )
        )
    return steps


def _configure(root: str, name: str, description: str, driver: str) -> None:
    _git(root, "config", "--local", f"merge.{name}.name", description)
    _git(root, "config", "--local", f"merge.{name}.driver", driver)


def _index_driver(repository: _Repository) -> str:
    return "clipdoc-index" if repository.indexed else "text"


def _attributes_in_effect(repository: _Repository) -> bool:
    """Whether Git itself would merge documents and the index our way."""
    probes = [repository.below + "any/any.md", repository.below + INDEX_NAME]
    answer = _git(repository.top, "check-attr", "-z", "merge", "--", *probes, strip=False)
    return answer.split("\0")[2::3] == ["clipdoc", _index_driver(repository)]


def _read(folder: Folder, name: str) -> tuple[bytes, Stamp] | None:
    try:
        return folder.read(name)
    except NotFoundError:
        return None


def _add_rules(repository: _Repository, folder: Folder, rules: list[str]) -> None:
    """Append the rules .gitattributes lacks (the index rule after the
    documents' rule, since the last matching line wins); then check that
    git applies them."""
    current = _read(folder, ".gitattributes")
    # Bytes that are not UTF-8 are kept as they are.
    text = current[0].decode("utf-8", "surrogateescape") if current is not None else ""
    lines = text.splitlines()
    added = [rule for rule in rules if rule not in lines]
    if rules[0] in added and rules[1] not in added:
        added.append(rules[1])  # again, after the documents' rule
    elif rules[1] in lines and lines[::-1].index(rules[1]) > lines[::-1].index(rules[0]):
        added.append(rules[1])
    if added:
        separator = "" if not text or text.endswith("\n") else "\n"
        data = (text + separator + "\n".join(added) + "\n").encode("utf-8", "surrogateescape")
        if current is None:
            folder.create(".gitattributes", data)
        else:
            folder.replace(".gitattributes", data, expected=current[1])
    if not _attributes_in_effect(repository):
        raise _GitError(
            "the rules are in .gitattributes but git does not apply them: a later line, a"
            " .gitattributes further down or .git/info/attributes overrides them"
            " (`git check-attr merge -- FILE` says which applies)"
        )


def _hook_command(command: str, repository: _Repository, style: str) -> str:
    words = ["git", "pre-commit"]
    words += ["--index"] if repository.indexed else []
    words += ["--style", style] if style != "clipdoc" else []
    words.append(repository.below[:-1] or ".")
    # Hooks run at the top of the work tree.
    return f"{command} {shlex.join(words)} || exit 1"


def _hook(lines: list[str]) -> str:
    return "\n".join(
        [
            "#!/bin/sh",
            HOOK_MARK,
            "# What is being committed must hold collections whose index matches their",
            "# documents, and documents that are valid clippings (an unresolved merge",
            "# conflict is not). One line per collection.",
            *lines,
            "",
        ]
    )


def _write_hook(folder: Folder, hook: str, line: str, current: tuple[bytes, Stamp] | None) -> None:
    if current is None:
        folder.create(hook, _hook([line]).encode("utf-8"), executable=True)
        return
    text = current[0].decode("utf-8", "replace")
    if HOOK_MARK not in text:
        raise _GitError(
            f"{os.path.relpath(folder.full(hook))} is another program's hook; clipdoc leaves it"
            f" alone. Make it also run: {line}"
        )
    # Another collection's line stays; this collection's line is replaced.
    collection = shlex.split(line.removesuffix(" || exit 1"))[-1]
    kept = [
        old
        for old in text.splitlines()
        if old.endswith(" || exit 1")
        and shlex.split(old.removesuffix(" || exit 1"))[-1] != collection
    ]
    data = _hook([*kept, line]).encode("utf-8")
    folder.replace(hook, data, expected=current[1], executable=True)


def pre_commit(options: argparse.Namespace) -> int:
    """What the hooks run, on what is being committed (git's index, not the
    working tree): the staged documents of the collection checked, and its
    staged index compared with the index of its staged documents."""
    collection = options.root
    try:
        top = _git(os.curdir, "rev-parse", "--show-toplevel")
        prefix = "" if collection in ("", ".") else collection.rstrip("/") + "/"
        listed = _git(top, "ls-files", "--cached", "-z", "--", prefix or ".", strip=False)
        if not listed:
            return OK  # no collection in this commit (another branch, another worktree)
        changed = _git(
            top, "diff", "--cached", "--name-only", "--diff-filter=ACMR", "-z", "--",
            prefix or ".", strip=False,
        ).split("\0")  # fmt: skip
        with tempfile.TemporaryDirectory(prefix="clipdoc-staged-") as staged:
            _git(top, "checkout-index", "-z", "--stdin", f"--prefix={staged}/", stdin=listed)
            documents = [
                name[len(prefix) :]
                for name in changed
                if name.endswith(".md") and name != prefix + INDEX_NAME
            ]
            root = os.path.join(staged, prefix)
            status = _check_staged(collection, root, documents)
            if options.index and status == OK:
                status = _check_staged_index(collection, root, options.style)
            return status
    except (_GitError, ClipdocError, OSError) as error:
        print(f"clipdoc git: error: {error}", file=sys.stderr)
        return USAGE


def _check_staged(collection: str, staged_root: str, documents: list[str]) -> int:
    status = OK
    for name in documents:
        path = os.path.join(collection, name)
        try:
            _, diagnostics = read_document(decode(read_bytes(os.path.join(staged_root, name))))
        except ClipdocError as error:
            diagnostics = (error.diagnostic,)
        for diagnostic in diagnostics:
            if diagnostic.severity is Severity.ERROR:
                print(format_diagnostic(f"{path} (staged)", diagnostic), file=sys.stderr)
                status = FAILED
    return status


def _check_staged_index(collection: str, staged_root: str, style: str) -> int:
    path = os.path.join(collection, INDEX_NAME)
    rebuild = f"{rebuild_command(collection, style)} && git add {shlex.quote(path)}"
    data, _ = build(staged_root, style=style)
    try:
        old = read_bytes(os.path.join(staged_root, INDEX_NAME))
    except FileNotFoundError:
        print(f"{path}: no index staged; write it: {rebuild}", file=sys.stderr)
        return FAILED
    differs = difference(old, data)
    if differs is None:
        return OK
    print(
        f"{path} (staged) does not match the staged documents ({differs}); rebuild it: {rebuild}",
        file=sys.stderr,
    )
    return FAILED


def run(options: argparse.Namespace) -> int:
    try:
        steps = _steps(_repository(options.root), options.hooks, options.style)
    except (_GitError, ClipdocError) as error:
        print(f"clipdoc git: error: {error}", file=sys.stderr)
        return USAGE
    missing = [step for step in steps if not step.done]
    if options.check:
        for step in missing:
            print(f"missing: {step.what}", file=sys.stderr)
        if not missing and not options.quiet:
            print("clipdoc git: the repository is set up", file=sys.stderr)
        return FAILED if missing else OK
    failed = False
    for step in missing:
        try:
            step.apply()
        except (_GitError, ClipdocError) as error:
            print(f"clipdoc git: error: {error}", file=sys.stderr)
            failed = True
            continue
        if not options.quiet:
            print(f"set up: {step.what}", file=sys.stderr)
    if failed:
        return USAGE
    if not options.quiet:
        if not missing:
            print("clipdoc git: the repository was already set up", file=sys.stderr)
        else:
            print("clipdoc git: done; commit .gitattributes to share the rules", file=sys.stderr)
    return OK


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], **shared: object
) -> None:
    parser = commands.add_parser(
        "git",
        help="set a Git repository up to merge clippings field by field",
        description="Set up the Git repository that holds a collection: the merge driver (by"
        " the absolute path of this Python, so that it runs whatever PATH git has), the"
        " .gitattributes rules (the collection's documents merged by clipdoc, its index kept"
        " as ours to be rebuilt) and, with --hooks, hooks that refuse a commit whose index"
        " does not match its documents or whose documents are not valid.",
        **shared,  # type: ignore[arg-type]
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    install = actions.add_parser(
        "install",
        help="write the set-up (running it again changes nothing)",
        description="Write the merge driver into .git/config, the rules into .gitattributes"
        " and, with --hooks, the pre-commit and pre-merge-commit hooks. --check changes"
        " nothing and exits 1 when a part is missing.",
    )
    install.add_argument(
        "root", metavar="ROOT", nargs="?", default=".", help="the collection (default: .)"
    )
    install.add_argument("--check", action="store_true", help="change nothing; say what is missing")
    install.add_argument(
        "--hooks", action="store_true", help="also write the pre-commit and pre-merge-commit hooks"
    )
    for action in (
        install,
        hook := actions.add_parser(
            "pre-commit",
            help="what the hooks run: the staged documents and index checked",
            description="Check what is being committed (git's index, not the working tree): exit 1"
            " when a staged document below ROOT is not valid (an unresolved conflict among them),"
            " or the staged index of the collection does not match its staged documents.",
        ),
    ):
        action.add_argument(
            "--style",
            choices=("clipdoc", "ai_info"),
            default="clipdoc",
            help="the style of the collection's index (default: clipdoc)",
        )
    install.add_argument("-q", "--quiet", action="store_true", help="say nothing when all is well")
    install.set_defaults(run=run)
    hook.add_argument(
        "root", metavar="ROOT", nargs="?", default=".", help="the collection, below the top"
    )
    hook.add_argument(
        "--index", action="store_true", help="the collection has an index: check it too"
    )
    hook.set_defaults(run=pre_commit)
