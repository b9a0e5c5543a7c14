"""``clipdoc git install``: set a Git repository up to merge clippings field by
field, with one command.

It writes, in the repository that holds the collection:

* the merge driver into ``.git/config``, naming this Python by its absolute
  path (``/path/to/python -m clipdoc merge-driver %O %A %B %P``), so that
  the driver runs whatever ``PATH`` git sees (an environment not activated,
  a GUI client);
* ``*.md merge=clipdoc`` into ``.gitattributes``, and, after it, a rule that
  merges the collection's index (``README.md``) by keeping our version: the
  index is rebuilt from the tree (``clipdoc index``), never merged line by
  line;
* with ``--hooks``, ``pre-commit`` and ``pre-merge-commit`` hooks that refuse
  a commit whose index does not match the tree, or whose staged documents
  are not valid (unresolved conflicts among them).

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
from collections.abc import Callable
from dataclasses import dataclass

from .._core.errors import ClipdocError, NotFoundError
from .._storage.files import Folder, Stamp
from .._storage.walk import INDEX_NAME
from ._common import FAILED, OK, USAGE

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


def _git(repository: str, *arguments: str, check: bool = True) -> str:
    git = shutil.which("git")
    if git is None:
        raise _GitError("git is not on PATH; install git first")
    done = subprocess.run(
        [git, "-C", repository, *arguments], capture_output=True, text=True, check=False
    )
    if check and done.returncode != 0:
        raise _GitError(done.stderr.strip() or f"git {' '.join(arguments)} failed")
    return done.stdout.strip() if done.returncode == 0 else ""


def _command() -> str:
    """This clipdoc, as a shell command that does not depend on PATH."""
    return f"{shlex.quote(sys.executable)} -m clipdoc"


def _attribute_pattern(path: str) -> str:
    """A .gitattributes pattern for exactly one path below the top."""
    pattern = "/" + path
    if any(character in pattern for character in ' "\\\t#[]*?!'):
        escaped = "".join("\\" + c if c in '"\\[]*?!' else c for c in pattern)
        return f'"{escaped}"'
    return pattern


def _steps(root: str, hooks: bool) -> list[_Step]:
    top = _git(root, "rev-parse", "--show-toplevel")
    hooks_folder = os.path.join(root, _git(root, "rev-parse", "--git-path", "hooks"))
    index = os.path.relpath(os.path.join(os.path.realpath(root), INDEX_NAME), top)
    index = index.replace(os.sep, "/")
    command = _command()
    steps = []
    for name, driver, description in (
        ("clipdoc", "merge-driver", "clipdoc: merge clippings field by field"),
        ("clipdoc-index", "merge-driver --index", "clipdoc: keep our index; rebuild it"),
    ):
        wanted = f"{command} {driver} %O %A %B %P"
        found = _git(root, "config", "--local", "--get", f"merge.{name}.driver", check=False)

        def configure(
            name: str = name, wanted: str = wanted, description: str = description
        ) -> None:
            _git(root, "config", "--local", f"merge.{name}.name", description)
            _git(root, "config", "--local", f"merge.{name}.driver", wanted)

        steps.append(_Step(f"merge driver '{name}' in .git/config", found == wanted, configure))
    rules = ["*.md merge=clipdoc", f"{_attribute_pattern(index)} merge=clipdoc-index"]
    steps.append(
        _Step(
            "in .gitattributes: " + "; ".join(rules),
            _attributes_in_effect(root, top, index),
            lambda: _add_rules(Folder(top), rules),
        )
    )
    if hooks:
        collection = os.path.relpath(os.path.realpath(root), top)
        script = _hook(command, collection)
        folder = Folder(hooks_folder)
        for hook in HOOKS:
            current = _read(folder, hook)
            steps.append(
                _Step(
                    f"the {hook} hook",
                    current is not None and current[0] == script.encode(),
                    functools.partial(_write_hook, folder, hook, script, current),
                )
            )
    return steps


def _configure(root: str, name: str, description: str, driver: str) -> None:
    _git(root, "config", "--local", f"merge.{name}.name", description)
    _git(root, "config", "--local", f"merge.{name}.driver", driver)


def _attributes_in_effect(root: str, top: str, index: str) -> bool:
    """Whether Git itself would merge documents and the index our way."""
    probe = os.path.join(os.path.dirname(index), "any.md").replace(os.sep, "/")
    answer = _git(top, "check-attr", "merge", "--", probe.removeprefix("./"), index)
    values = [line.rsplit(": ", 1)[-1] for line in answer.splitlines()]
    return values == ["clipdoc", "clipdoc-index"]


def _read(folder: Folder, name: str) -> tuple[bytes, Stamp] | None:
    try:
        return folder.read(name)
    except NotFoundError:
        return None


def _add_rules(folder: Folder, rules: list[str]) -> None:
    """Append the rules .gitattributes lacks; the index rule after the
    documents' rule, since the last matching line wins."""
    current = _read(folder, ".gitattributes")
    text = current[0].decode("utf-8") if current is not None else ""
    lines = text.splitlines()
    added = [rule for rule in rules if rule not in lines]
    if rules[0] in added and rules[1] not in added:
        added.append(rules[1])  # again, after the documents' rule
    elif rules[1] in lines and lines[::-1].index(rules[1]) > lines[::-1].index(rules[0]):
        added.append(rules[1])
    if not added:
        return
    separator = "" if not text or text.endswith("\n") else "\n"
    data = (text + separator + "\n".join(added) + "\n").encode("utf-8")
    if current is None:
        folder.create(".gitattributes", data)
    else:
        folder.replace(".gitattributes", data, expected=current[1])


def _hook(command: str, collection: str) -> str:
    return f"""#!/bin/sh
{HOOK_MARK}
# The collection's index must match its tree, and staged documents must be
# valid clippings (an unresolved merge conflict is not).
exec {command} git pre-commit {shlex.quote(collection)}
"""


def pre_commit(options: argparse.Namespace) -> int:
    """What the hooks run: the index checked against the tree, and the
    staged documents of the collection checked."""
    from . import main  # the command's own entry point, for its subcommands

    root = options.root
    try:
        listed = _git(
            root, "diff", "--cached", "--name-only", "--diff-filter=ACMR", "-z", "--relative", "--"
        )
    except _GitError as error:
        print(f"clipdoc git: error: {error}", file=sys.stderr)
        return USAGE
    staged = [
        os.path.join(root, name)
        for name in listed.split("\0")
        if name.endswith(".md") and name != INDEX_NAME
    ]
    status = OK
    if _read(Folder(root), INDEX_NAME) is not None:
        status = max(status, main(["index", "--check", "-q", root]))
    if staged:
        status = max(status, main(["check", "-q", *staged]))
    return status


def _write_hook(
    folder: Folder, hook: str, script: str, current: tuple[bytes, Stamp] | None
) -> None:
    data = script.encode("utf-8")
    if current is None:
        folder.create(hook, data, executable=True)
    elif HOOK_MARK.encode() in current[0]:
        folder.replace(hook, data, expected=current[1], executable=True)
    else:
        raise _GitError(
            f"{folder.full(hook)} is someone else's hook; clipdoc leaves it alone. Add to it:"
            f"\n{script}"
        )


def run(options: argparse.Namespace) -> int:
    try:
        steps = _steps(options.root, options.hooks)
        missing = [step for step in steps if not step.done]
        if options.check:
            for step in missing:
                print(f"missing: {step.what}", file=sys.stderr)
            if not missing and not options.quiet:
                print("clipdoc git: the repository is set up", file=sys.stderr)
            return FAILED if missing else OK
        for step in missing:
            step.apply()
            if not options.quiet:
                print(f"set up: {step.what}", file=sys.stderr)
    except (_GitError, ClipdocError) as error:
        print(f"clipdoc git: error: {error}", file=sys.stderr)
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
        " .gitattributes rules (documents merged by clipdoc, the index kept as ours to be"
        " rebuilt) and, with --hooks, hooks that refuse a commit whose index does not match"
        " the tree or whose staged documents are not valid. Running it again changes nothing.",
        **shared,  # type: ignore[arg-type]
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    install = actions.add_parser(
        "install",
        help="write the set-up (idempotent)",
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
    install.add_argument("-q", "--quiet", action="store_true", help="say nothing when all is well")
    install.set_defaults(run=run)
    hook = actions.add_parser(
        "pre-commit",
        help="what the hooks run: the index and the staged documents checked",
        description="Exit 1 when the index of the collection at ROOT does not match its tree,"
        " or a staged document below ROOT is not valid (an unresolved conflict among them).",
    )
    hook.add_argument("root", metavar="ROOT", nargs="?", default=".")
    hook.set_defaults(run=pre_commit)
