"""Importing a feed: ``clipdoc import`` against the glue a user would write.

Usage: python benchmarks/import_speed.py [--count N] [--rounds R]

A generated RSS 2.0 feed of N entries (10,000 by default), each as sites
publish them: a title with an entity, a link, a CDATA description and
``content:encoded``, two ``dc:creator``, categories, a guid, a date and an
enclosure. Then, each in a fresh process and the best of R rounds, each
into a new folder:

- the glue: 30 lines of feedparser and python-frontmatter, one Markdown
  file with YAML front matter per entry (no atomic writes, no naming rule,
  no dedupe, fields the glue thought of only);
- ``clipdoc import FEED --into DIR -q``: every field kept, each file
  written atomically and made durable in batches (`Collection.add_all`);
- ``clipdoc import`` again into the folder it filled: every entry already
  there (the collection's scan for known URLs).

It prints each time and the ratio clipdoc / glue (target at most 2); exit
status 1 when it misses (from 1,000 entries: below, starting Python and
importing the libraries is most of either time).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from timing import timed_command

CLIPDOC = [sys.executable, "-m", "clipdoc"]
#: Below this many entries, starting the processes takes most of the time:
#: the ratio says nothing of the import itself.
_CHECKED_FROM = 1000

_GLUE = """
import os, re, sys
import feedparser, frontmatter

feed, out = sys.argv[1:]
parsed = feedparser.parse(feed)
os.makedirs(out, exist_ok=True)
for entry in parsed.entries:
    content = entry.get("content")
    post = frontmatter.Post(
        content[0].value if content else entry.get("summary", ""),
        title=entry.get("title", ""),
        url=entry.get("link"),
        authors=[author.get("name") for author in entry.get("authors", [])],
        published=entry.get("published"),
        tags=[tag.term for tag in entry.get("tags", [])],
        summary=entry.get("summary"),
        enclosures=[link.href for link in entry.get("enclosures", [])],
        id=entry.get("id"),
    )
    name = re.sub(r"[^\\w-]+", "_", entry.get("title", "untitled"))[:100] + ".md"
    with open(os.path.join(out, name), "w", encoding="utf-8") as file:
        file.write(frontmatter.dumps(post))
"""


def feed(count: int) -> str:
    """An RSS 2.0 feed of ``count`` entries, as a site publishes it."""
    items = []
    for number in range(count):
        day = 1 + number % 28
        items.append(
            f"""<item>
<title>Entry {number}: retrieval &amp; reasoning in long contexts</title>
<link>https://example.org/posts/{number}</link>
<description><![CDATA[<p>Summary of entry {number}, with <b>bold</b> text.</p>]]></description>
<content:encoded><![CDATA[<p>The full text of entry {number}.</p><p>More.</p>]]></content:encoded>
<dc:creator>Alice {number % 97}</dc:creator><dc:creator>Bob Li</dc:creator>
<category>cs.CL</category><category>cs.AI</category>
<guid isPermaLink="false">oai:example.org:{number}</guid>
<pubDate>Tue, {day:02d} Apr 2025 08:03:26 GMT</pubDate>
<enclosure url="https://example.org/audio/{number}.mp3" length="{number * 1000}" type="audio/mpeg"/>
</item>
"""
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:content="http://purl.org/rss/1.0/modules/content/">\n'
        "<channel><title>Example &amp; Co</title><link>https://example.org/</link>"
        "<description>Posts</description>\n" + "".join(items) + "</channel></rss>\n"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as scratch:
        work = Path(scratch)
        source = work / "feed.xml"
        source.write_text(feed(options.count), encoding="utf-8")
        glue = work / "glue.py"
        glue.write_text(_GLUE, encoding="utf-8")
        measured: dict[str, list[float]] = {}
        for round_number in range(options.rounds):
            # A folder of its own each time, never one just emptied.
            glue_out, clipdoc_out = (work / f"{name}-{round_number}" for name in ("glue", "cd"))
            into = [*CLIPDOC, "import", "-q", str(source), "--into", str(clipdoc_out)]
            runs = {
                "glue": [sys.executable, str(glue), str(source), str(glue_out)],
                "clipdoc import": into,
                "clipdoc import again": into,
            }
            for name, command in runs.items():
                measured.setdefault(name, []).append(timed_command(command))
            files = sum(1 for _ in clipdoc_out.rglob("*.md"))
            if files != options.count:
                print(f"clipdoc import wrote {files} files, not {options.count}", file=sys.stderr)
                return 1
        best = {name: min(times) for name, times in measured.items()}
    print(f"{options.count} entries, best of {options.rounds}")
    for name, seconds in best.items():
        print(f"  {name:22} {seconds:8.2f} s")
    ratio = best["clipdoc import"] / best["glue"]
    checked = options.count >= _CHECKED_FROM
    print(
        f"clipdoc import / glue: {ratio:.2f} (target <= 2"
        + (")" if checked else f"; not checked below {_CHECKED_FROM} entries)")
    )
    print(json.dumps({"entries": options.count, **best, "ratio": ratio}))
    return 0 if ratio <= 2 or not checked else 1


if __name__ == "__main__":
    sys.exit(main())
