"""``clipdoc index``: write a collection's index ``README.md``."""

from __future__ import annotations

import argparse
import os
import sys

from .._collection import Collection
from .._files import write_atomically
from ._common import OK, USAGE


def run(options: argparse.Namespace) -> int:
    root = options.root
    if not os.path.isdir(root):
        print(f"clipdoc index: error: {root}: not a folder", file=sys.stderr)
        return USAGE
    collection = Collection(root, exclude=options.exclude, jobs=options.jobs)
    data = collection.index(style=options.style).encode("utf-8", errors="surrogateescape")
    output = options.output or os.path.join(root, "README.md")
    if output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return OK
    try:
        write_atomically(output, data)
    except OSError as exc:
        print(
            f"clipdoc index: error: cannot write {output}: {exc.strerror or exc}", file=sys.stderr
        )
        return USAGE
    if not options.quiet:
        print(f"wrote {output}", file=sys.stderr)
    return OK


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], **shared: object
) -> None:
    parser = commands.add_parser(
        "index",
        help="write a collection's index README.md",
        description="Write the index of the collection at ROOT (ROOT/README.md unless --output)."
        " --style ai_info writes exactly what the producer's own index generator writes;"
        " --style clipdoc (the default) the same information in a stable order, with"
        " Markdown escaped and links that work everywhere.",
        **shared,  # type: ignore[arg-type]
    )
    parser.add_argument("root", metavar="ROOT", help="the collection's folder")
    parser.add_argument(
        "--style", choices=("clipdoc", "ai_info"), default="clipdoc", help="default: clipdoc"
    )
    parser.add_argument(
        "-o", "--output", metavar="FILE", help="where to write it ('-': standard output)"
    )
    parser.set_defaults(run=run)
