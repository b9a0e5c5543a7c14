"""Feeds in and out, losslessly; feedparser's own corpus imports safely."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import attrs
import feedparser
import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

import clipdoc
import strategies
from clipdoc import ClipdocError, Clipping, feeds
from clipdoc._interop import feed_writing
from conftest import EXAMPLE, ROOT, shared_corpus_files

SCHEMA = json.loads((ROOT / "tests" / "data" / "jsonfeed" / "jsonfeed-1.1.schema.json").read_text())
WRITERS: dict[str, Callable[..., bytes]] = {
    "json": feeds.to_json_feed,
    "atom": feeds.to_atom,
    "rss": feeds.to_rss,
}
SAVED = datetime(2025, 5, 6, 16, 3, 26, tzinfo=timezone(timedelta(hours=8)))
# feedparser's test corpus, unpacked from its source distribution by .ci/run.
FEEDPARSER_TESTS = Path(
    os.environ.get("CLIPDOC_FEEDPARSER_TESTS", ROOT / "build" / "feedparser-tests")
)


def _load(path: Path) -> Clipping:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clipdoc.ClipdocWarning)
        return clipdoc.load(path)


def _real() -> list[Clipping]:
    files = shared_corpus_files()
    return [_load(path) for path in files] if files else [_load(EXAMPLE)]


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_real_documents_round_trip(name: str) -> None:
    clips = _real()
    data = WRITERS[name](clips, title="Clippings", order="given")
    assert feeds.from_feed(data) == clips
    if name == "json":
        jsonschema.Draft202012Validator(
            SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
        ).validate(json.loads(data))
    else:
        parsed = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)
        assert parsed.bozo == 0, parsed.get("bozo_exception")
        assert len(parsed.entries) == len(clips)
        assert [entry.get("link") for entry in parsed.entries] == [clip.url for clip in clips]


@given(clips=st.lists(strategies.clippings, max_size=4), name=st.sampled_from(sorted(WRITERS)))
def test_every_valid_clipping_round_trips(clips: list[Clipping], name: str) -> None:
    data = WRITERS[name](clips, title="t <&> \x00", order="given")
    if clips:
        assert feeds.from_feed(data) == clips
    if name != "json":
        assert feedparser.parse(data).bozo == 0


def test_the_producers_mapping() -> None:
    rss = b"""<?xml version="1.0"?>
<rss version="2.0"><channel><title>weibo</title><link>https://weibo.com</link>
<description>d</description>
<item><title>First line
second line</title><link>https://weibo.com/1/a</link>
<description>&lt;a href="x"&gt;#tag#&lt;/a&gt;&lt;br&gt;text
&lt;script&gt;kept()&lt;/script&gt;</description>
<pubDate>Tue, 06 May 2025 08:03:26 GMT</pubDate><author>someone@example.com (Someone)</author>
<category>AI</category><category>LLM</category>
<enclosure url="https://img.example/a.jpg" type="image/jpeg" length="1"/></item>
</channel></rss>"""
    [clip] = feeds.from_feed(rss, source="ArXiv", kind="论文", saved_at=SAVED)
    assert clip.title == "First line second line"
    assert clip.url == "https://weibo.com/1/a"
    assert clip.original_summary == '<a href="x">#tag#</a><br>text\n<script>kept()</script>'
    assert clip.ai_summary is None
    assert clip.metadata is not None
    assert (clip.metadata.source, clip.metadata.kind) == ("ArXiv", "论文")
    assert clip.metadata.saved_at == SAVED
    assert clip.metadata.get("目录日期") == "2025-05-06"
    assert clip.metadata.get("发布时间") == "2025-05-06T08:03:26Z"
    assert clip.metadata.extra[1:] == (
        ("作者", "Someone <someone@example.com>"),
        ("标签", "AI"),
        ("标签", "LLM"),
        ("附件", "https://img.example/a.jpg (image/jpeg, 1 bytes)"),
    )
    assert clipdoc.parse(clipdoc.render(clip)) == clip


def test_atom_and_json_feed_entries() -> None:
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
<entry><title type="html">A &amp;amp; B</title><link href="https://a.example/1"/>
<content type="html">&lt;p&gt;body&lt;/p&gt;</content><published>2025-05-06T08:00:00Z</published>
</entry></feed>"""
    [clip] = feeds.from_feed(atom, saved_at=SAVED)
    assert (clip.title, clip.url, clip.original_summary) == (
        "A & B",
        "https://a.example/1",
        "<p>body</p>",
    )
    json_feed = {
        "version": "https://jsonfeed.org/version/1",
        "title": "t",
        "items": [
            {"id": "1", "url": "https://b.example/1", "title": "T", "content_text": "x",
             "authors": [{"name": "N"}], "tags": ["a", "b"],
             "attachments": [{"url": "https://b.example/a.mp3", "mime_type": "audio/mpeg"}]},
            "not an item",
        ],
    }  # fmt: skip
    with pytest.warns(clipdoc.ClipdocWarning, match="item 2 is not an object"):
        [clip] = feeds.from_feed(json.dumps(json_feed), saved_at=SAVED)
    assert (clip.title, clip.url, clip.original_summary) == ("T", "https://b.example/1", "x")
    assert clip.metadata is not None
    assert clip.metadata.source == "t"
    assert clip.metadata.extra == (
        ("作者", "N"),
        ("标签", "a"),
        ("标签", "b"),
        ("附件", "https://b.example/a.mp3 (audio/mpeg)"),
        ("标识符", "1"),
    )


def test_now_is_the_default_save_time() -> None:
    before = datetime.now(timezone.utc).replace(microsecond=0)
    [clip] = feeds.from_feed(b"<rss><channel><item><title>t</title></item></channel></rss>")
    assert clip.metadata is not None
    assert clip.metadata.saved_at is not None
    assert clip.metadata.saved_at.utcoffset() is not None
    assert clip.metadata.saved_at >= before
    assert clip.metadata.catalog_date == clip.metadata.saved_at.date()


@pytest.mark.parametrize(
    "data",
    [b"", b"not a feed", b"<rss><channel><title>no items</title></channel></rss>", b"<<<",
     b'{"version": "https://jsonfeed.org/version/1.1", "items": 5}', b"\xff\xfe\x00<"],
)  # fmt: skip
def test_nothing_to_import_is_cd601(data: bytes) -> None:
    with pytest.raises(ClipdocError) as caught:
        feeds.from_feed(data)
    assert caught.value.code == "CD601"
    assert caught.value.message.startswith("nothing to import")


def test_wrong_shapes() -> None:
    with pytest.raises(TypeError, match="never fetches"):
        feeds.from_feed(5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="aware"):
        feeds.from_feed(b"x", saved_at=datetime(2025, 1, 1))
    with pytest.raises(TypeError, match="not one Clipping"):
        feeds.to_rss(clipdoc.Clipping(title="t"), title="t")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"clippings\[1\]"):
        feeds.to_atom([clipdoc.Clipping(title="t"), "x"], title="t")  # type: ignore[list-item]


def test_a_path_is_read_and_a_url_is_never_fetched(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(feeds.to_rss([_load(EXAMPLE)], title="t"))
    assert feeds.from_feed(path) == [_load(EXAMPLE)]
    with pytest.raises(ClipdocError):
        feeds.from_feed("https://example.com/feed.xml")  # text, not a URL


@pytest.mark.skipif(
    not FEEDPARSER_TESTS.is_dir(),
    reason=f"feedparser's test corpus is not unpacked at {FEEDPARSER_TESTS} (.ci/run does it)",
)
def test_feedparsers_own_corpus_imports_safely() -> None:
    # Every feed gives as many clippings as feedparser gives entries (a
    # feed with none is CD601), each of which round-trips; a feed that is
    # not well-formed says so (CD602) and gives what was read.
    files = [path for path in sorted(FEEDPARSER_TESTS.rglob("*")) if path.is_file()]
    assert len(files) > 1000
    imported = 0
    for path in files:
        data = path.read_bytes()
        parsed = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", clipdoc.ClipdocWarning)
            if not parsed.entries:
                with pytest.raises(ClipdocError, match="nothing to import"):
                    feeds.from_feed(data, saved_at=SAVED)
                continue
            clips = feeds.from_feed(data, saved_at=SAVED)
        assert len(clips) == len(parsed.entries), path
        said = " ".join(str(warning.message) for warning in caught)
        assert not parsed.bozo or "CD602" in said, path
        for clip in clips:
            imported += 1
            assert clipdoc.parse(clipdoc.render(clip)) == clip, path
    assert imported > 1000


def test_optional_modules_import_their_libraries_only_when_used() -> None:
    code = (
        "import sys, clipdoc, clipdoc.feeds, clipdoc.notes, clipdoc.arrow, clipdoc.dask,"
        " clipdoc.site, clipdoc._cli;"
        " print([name for name in ('feedparser', 'yaml', 'pyarrow', 'dask', 'pandas', 'bs4',"
        " 'jinja2', 'markdown_it', 'nh3', 'markupsafe') if name in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_import_twice_adds_each_entry_once(tmp_path: Path) -> None:
    # Entries with different titles: two titles on one day are one path, and
    # add() refuses to replace a different document (tested in test_collection).
    by_title = {clip.title: clip for clip in _real()[:60]}
    clips = list({clip.url: clip for clip in by_title.values()}.values())
    feed = tmp_path / "feed.xml"
    # A feed from elsewhere: no clipdoc extension, one entry twice.
    entries = "".join(
        f"<item><title>{clip.title.replace('&', '&amp;').replace('<', '&lt;')}</title>"
        f"<link>{clip.url}</link></item>"
        for clip in [*clips, clips[0]]
    )
    feed.write_text(f"<rss version='2.0'><channel><title>t</title>{entries}</channel></rss>")
    script = Path(sys.executable).with_name("clipdoc")
    root = tmp_path / "collection"
    first = subprocess.run(
        [str(script), "import", str(feed), "--into", str(root), "--source", "ArXiv"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    added = [line for line in first.stdout.splitlines() if line.startswith("added ")]
    assert len(added) == len(clips)
    assert "already in the collection" in first.stdout  # the repeated entry
    second = subprocess.run(
        [str(script), "import", str(feed), "--into", str(root)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert second.returncode == 0
    assert "added " not in second.stdout
    assert f"{len(clips) + 1} already there" in second.stderr
    for entry in clipdoc.Collection(root):
        assert entry.clipping is not None
        assert entry.clipping.metadata is not None
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b"not a feed")
    failed = subprocess.run(
        [str(script), "import", str(bad), "--into", str(root)], capture_output=True, text=True
    )
    assert failed.returncode == 1
    assert "CD601" in failed.stderr


# Every JSON value, nested: the members of a hand-made feed item can hold any.
JSON_MEMBER_NAMES = (
    "id", "url", "external_url", "title", "content_html", "content_text", "summary",
    "date_published", "authors", "author", "name", "tags", "attachments", "_clipdoc",
    "clipping", "version", "items",
)  # fmt: skip
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),  # NaN and infinities too: Python's json reads and writes them
    strategies.hostile_text,
    st.text(max_size=10),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.one_of(st.sampled_from(JSON_MEMBER_NAMES), st.text(max_size=5)),
            children,
            max_size=4,
        ),
    ),
    max_leaves=15,
)
json_feed_items = st.dictionaries(
    st.one_of(st.sampled_from(JSON_MEMBER_NAMES), st.text(max_size=5)), json_values, max_size=9
)


@st.composite
def damaged_extensions(draw: st.DrawFn) -> dict[str, object]:
    # A valid clipping mapping with one member replaced by any JSON value.
    mapping: dict[str, object] = clipdoc.to_dict(draw(strategies.clippings))
    mapping[draw(st.sampled_from(sorted(mapping)))] = draw(json_values)
    return {"_clipdoc": {"version": 1, "clipping": mapping}, **draw(json_feed_items)}


@given(
    items=st.one_of(
        st.lists(st.one_of(json_feed_items, damaged_extensions(), json_values), max_size=5),
        json_values,
    )
)
def test_json_feed_members_of_any_json_type_never_raise(items: object) -> None:
    feed = json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": items})
    objects = [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []
    # Items that are not objects are each a CD602 warning; the others go on.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clipdoc.ClipdocWarning)
        if not objects:
            with pytest.raises(ClipdocError) as caught:
                feeds.from_feed(feed, saved_at=SAVED)
            assert caught.value.code == "CD601"
            return
        clips = feeds.from_feed(feed, saved_at=SAVED)
    # Every object among the items is imported, whatever its members hold.
    assert len(clips) == len(objects)
    for clip in clips:
        assert clipdoc.parse(clipdoc.render(clip)) == clip


_ITEM: dict[str, object] = {
    "id": "1",
    "url": "https://b.example/1",
    "title": "T",
    "content_html": "<p>x</p>",
    "date_published": "2025-05-06T08:00:00Z",
    "authors": [{"name": "N"}],
    "tags": ["a", "b"],
    "attachments": [{"url": "https://b.example/a.mp3"}],
}
WRONG_TYPES = [
    ("title", 7),
    ("title", ["T"]),
    ("url", 5),
    ("url", {"href": "https://b.example/1"}),
    ("content_html", 5),
    ("date_published", 20250506),
    ("authors", 5),
    ("authors", "N"),
    ("authors", {"name": "N"}),
    ("authors", [5, "N", None, {"name": 5}, {"name": ["N"]}]),
    ("author", "N"),
    ("tags", 5),
    ("tags", "ab"),
    ("tags", {"a": "b"}),
    ("tags", [1, None, ["a"]]),
    ("attachments", {}),
    ("attachments", {"url": "https://b.example/a.mp3"}),
    ("attachments", [5, {"url": 5}]),
    ("_clipdoc", 5),
    ("_clipdoc", {"clipping": 5}),
    ("_clipdoc", {"clipping": {"title": 7}}),
]


@pytest.mark.parametrize(("member", "value"), WRONG_TYPES)
def test_a_json_feed_member_of_the_wrong_type_is_absent(member: str, value: object) -> None:
    def imported(item: dict[str, object]) -> list[Clipping]:
        feed = {"version": "https://jsonfeed.org/version/1.1", "items": [item]}
        with warnings.catch_warnings():
            # A damaged _clipdoc member is said (CD602); the item is read as any other.
            warnings.simplefilter("ignore", clipdoc.ClipdocWarning)
            return feeds.from_feed(json.dumps(feed), saved_at=SAVED)

    without = {name: member_value for name, member_value in _ITEM.items() if name != member}
    [got], [base] = imported({**without, member: value}), imported(without)
    # Read as absent where it is mapped, and kept under its own name.
    assert attrs.evolve(got, metadata=None) == attrs.evolve(base, metadata=None)
    assert got.metadata is not None
    assert base.metadata is not None
    added = [item for item in got.metadata.extra if item not in base.metadata.extra]
    assert all(label.split(".")[0] == member for label, _ in added), added
    assert [item for item in got.metadata.extra if item not in added] == list(base.metadata.extra)
    if member != "_clipdoc" and value not in (None, [], {}) and not isinstance(value, list):
        assert added, f"{member}: {value!r} lost"


def test_json_feed_falls_back_to_author_when_authors_is_not_a_list() -> None:
    item = {"title": "T", "authors": 5, "author": {"name": "A"}, "tags": 5}
    feed = {"version": "https://jsonfeed.org/version/1", "items": [item, {"title": 7}]}
    first, second = feeds.from_feed(json.dumps(feed), saved_at=SAVED)
    assert first.metadata is not None
    # The members of the wrong type kept under their own names.
    assert first.metadata.extra == (("作者", "A"), ("tags", "5"), ("authors", "5"))
    assert second.title == ""


@pytest.mark.parametrize(("opener", "closer"), [("[", "]"), ('{"a": ', "}"), ('[{"items": ', "}]")])
def test_a_json_feed_nested_too_deeply_is_cd601(opener: str, closer: str) -> None:
    depth = 100_000
    nested = opener * depth + "1" + closer * depth
    feed = '{"version": "https://jsonfeed.org/version/1.1", "items": ' + nested + "}"
    with pytest.raises(ClipdocError) as caught:
        feeds.from_feed(feed)
    assert caught.value.code == "CD601"
    assert "nested too deeply" in caught.value.message


def test_a_deeply_nested_extension_in_atom_is_read_as_damaged() -> None:
    [clip] = feeds.from_feed(feeds.to_atom([Clipping(title="T")], title="t"))
    nested = b"[" * 100_000 + b"]" * 100_000
    atom = feeds.to_atom([clip], title="t").replace(feed_writing._payload(clip).encode(), nested)
    assert nested in atom
    with pytest.warns(clipdoc.ClipdocWarning, match="carries clipdoc's extension"):
        assert feeds.from_feed(atom, saved_at=SAVED)[0].title == "T"


def test_the_old_name_of_from_feed_still_works_with_a_warning() -> None:
    with pytest.warns(DeprecationWarning, match="from_feed"):
        old = feeds.clippings_from_feed
    assert old is feeds.from_feed
    with pytest.raises(AttributeError):
        feeds.no_such_name  # noqa: B018
