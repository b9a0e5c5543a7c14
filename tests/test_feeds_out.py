"""Feeds out, as ordinary readers see them: the AI summary and metadata in
every format, one stable id per clipping, valid JSON Feed 1.1 (its schema),
Atom (RFC 4287, tests/atom_rules.py) and RSS (feedparser), the feed's own
options, and clipdoc's extension still giving every clipping back."""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
import unicodedata
import warnings
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

import attrs
import feedparser
import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

import atom_rules
import clipdoc
import strategies
from clipdoc import Clipping, Metadata, feeds
from clipdoc._interop import feed_writing
from clipdoc._interop.feed_fields import html_text
from conftest import EXAMPLE, ROOT, SHARED

sys.path.insert(0, str(ROOT / "benchmarks"))
from feeds_out import reader_entries

SCHEMA = json.loads((ROOT / "tests" / "data" / "jsonfeed" / "jsonfeed-1.1.schema.json").read_text())
JSON_FEED = jsonschema.Draft202012Validator(
    SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
)
WRITERS: dict[str, Callable[..., bytes]] = {
    "jsonfeed": feeds.to_json_feed,
    "atom": feeds.to_atom,
    "rss": feeds.to_rss,
}
CORPUS = SHARED / "corpus" / "ai_info"
TAG = "tag:clipdoc.readthedocs.io,2025:"
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
UTC8 = timezone(timedelta(hours=8))


def _valid(name: str, data: bytes) -> None:
    """The checks each format's output passes: JSON Feed 1.1's schema; for
    Atom RFC 4287's MUSTs; for Atom and RSS feedparser without complaint."""
    if name == "jsonfeed":
        JSON_FEED.validate(json.loads(data))
        return
    if name == "atom":
        assert atom_rules.violations(data) == []
    parsed = feedparser.parse(data)
    assert parsed.bozo == 0, parsed.get("bozo_exception")


def _words(text: str) -> str:
    return " ".join(text.split())


def _shows_the_ai_summary(view: str, clip: Clipping) -> bool:
    return not clip.ai_summary or _words(clip.ai_summary) in view


def _corpus() -> list[clipdoc.Entry]:
    if not CORPUS.is_dir():
        pytest.skip(f"the shared corpus is not present at {CORPUS}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clipdoc.ClipdocWarning)
        return [entry for entry in clipdoc.Collection(CORPUS) if entry.clipping is not None]


def _clip(
    title: str, saved: datetime | None = None, url: str | None = None, **fields: Any
) -> Clipping:
    metadata = None if saved is None else Metadata(saved_at=saved, catalog_date=saved.date())
    return Clipping(title=title, url=url, metadata=metadata, **fields)


def _ids(name: str, data: bytes) -> list[str]:
    return [identifier for identifier, _ in reader_entries(name, data)]


# ------------------------------------------------------------ real documents


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_the_real_collection_for_ordinary_readers(name: str) -> None:
    entries = _corpus()
    data = WRITERS[name](entries, title="ai_info", link="https://example.com/ai_info/")
    _valid(name, data)
    view = reader_entries(name, data)
    # One entry per document, each its own id, though many share a URL.
    assert len({identifier for identifier, _ in view}) == len(entries)
    assert len({entry.clipping.url for entry in entries if entry.clipping}) < len(entries)
    by_id = {TAG + quote(entry.path): entry.clipping for entry in entries}
    assert set(by_id) == {identifier for identifier, _ in view}
    for identifier, shown in view:
        clip = by_id[identifier]
        assert clip is not None
        assert _shows_the_ai_summary(shown, clip), identifier
        assert clip.metadata is not None
        assert clip.metadata.source is not None
        if name != "jsonfeed" or "来源" in shown:
            assert f"来源: {clip.metadata.source}" in shown
    # The extension still gives every clipping back.
    assert sorted(map(clipdoc.render, feeds.from_feed(data))) == sorted(
        clipdoc.render(entry.clipping) for entry in entries if entry.clipping is not None
    )


@pytest.mark.parametrize("target", ["all.feed.json", "all.atom", "all.rss"])
def test_the_real_collection_comes_back_byte_for_byte(tmp_path: Path, target: str) -> None:
    entries = _corpus()
    script = str(Path(sys.executable).with_name("clipdoc"))
    feed = tmp_path / target
    done = subprocess.run(
        [script, "convert", str(CORPUS), str(feed), "--title", "ai_info"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    back = tmp_path / "back"
    done = subprocess.run(
        [script, "convert", str(feed), str(back)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    written = sorted(path.relative_to(back).as_posix() for path in back.rglob("*.md"))
    assert written == sorted(entry.path for entry in entries)
    for path in written:
        assert (back / path).read_bytes() == (CORPUS / path).read_bytes(), path


@pytest.mark.parametrize("target", ["all.feed.json", "all.atom", "all.rss"])
def test_any_layout_comes_back_to_the_same_files(tmp_path: Path, target: str) -> None:
    # Not the producer's layout: the paths come back from the entries' ids.
    source = tmp_path / "source"
    names = ["seed.md", "a b/#1 ü?.md", "deep/er/x.md"]
    for name in names:
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_bytes(EXAMPLE.read_bytes())
    script = str(Path(sys.executable).with_name("clipdoc"))
    feed, back = tmp_path / target, tmp_path / "back"
    for arguments in ([source, feed], [feed, back]):
        done = subprocess.run(
            [script, "convert", *map(str, arguments)], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
    written = sorted(path.relative_to(back).as_posix() for path in back.rglob("*.md"))
    assert written == sorted(names)
    assert all((back / name).read_bytes() == EXAMPLE.read_bytes() for name in names)
    # A feed from elsewhere, or with ids clipdoc did not make: the producer's path.
    foreign = feed.read_bytes().replace(b"tag:clipdoc.readthedocs.io,2025:", b"urn:x:")
    (tmp_path / ("foreign" + feed.suffix)).write_bytes(foreign)
    elsewhere = tmp_path / "elsewhere"
    done = subprocess.run(
        [script, "convert", "--from", feed.suffix.lstrip(".").replace("json", "jsonfeed"),
         str(tmp_path / ("foreign" + feed.suffix)), str(elsewhere)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "1 written, 2 unchanged" in done.stderr  # three equal clippings, one path
    assert [p.relative_to(elsewhere).as_posix() for p in elsewhere.rglob("*.md")] == [
        clipdoc.clipping_path(clipdoc.load(EXAMPLE))
    ]


# ---------------------------------------------------------------- hostile


paths = st.one_of(st.none(), strategies.hostile_text, st.text(max_size=12)).filter(
    lambda path: path != ""
)


@given(
    pairs=st.lists(st.tuples(paths, strategies.clippings), max_size=4),
    name=st.sampled_from(sorted(WRITERS)),
    order=st.sampled_from(["newest", "oldest", "given"]),
)
def test_every_output_validates_and_round_trips(
    pairs: list[tuple[str | None, Clipping]], name: str, order: str
) -> None:
    data = WRITERS[name](
        pairs, title="t <&> \x00\r", description="\x0b", language="zh-CN", order=order,
        link="https://example.com/", feed_url="https://example.com/feed",
    )  # fmt: skip
    _valid(name, data)
    ids = _ids(name, data)
    assert len(set(ids)) == len(pairs)
    assert all(atom_rules.is_tag_uri(identifier) for identifier in ids)
    clips = [clip for _, clip in pairs]
    if not clips:
        return
    back = feeds.from_feed(data)
    if order == "given":
        assert back == clips
    else:
        assert sorted(map(clipdoc.render, back)) == sorted(map(clipdoc.render, clips))
    # Every entry shows its AI summary (as XML holds it) without the extension.
    for (_, shown), clip in zip(reader_entries(name, data), back, strict=True):
        if clip.ai_summary and name != "jsonfeed":
            text = NOT_XML.sub("", clip.ai_summary)
            clip = attrs.evolve(clip, ai_summary=_as_feedparser_reads(text, whole=name == "atom"))
        assert _shows_the_ai_summary(shown, clip)


def _as_feedparser_reads(text: str, *, whole: bool) -> str:
    """What feedparser makes of text in an element: stripped, Windows-1252
    characters for C1 controls and, when the element's text is all Latin-1
    and UTF-8 as such, its UTF-8 reading (a repair of a common mistake).
    Readers show what it shows."""
    text = text.strip()
    if whole:
        with contextlib.suppress(UnicodeError):
            text = text.encode("iso-8859-1").decode("utf-8")
    return text.translate(feedparser.html._cp1252)


# ---------------------------------------------------------------- ids


@given(path=paths.filter(lambda path: path is not None), clip=strategies.clippings)
def test_an_id_gives_its_path_back(path: str, clip: Clipping) -> None:
    [entry] = feed_writing.feed_entries([(path, clip)], feed_writing.DEFAULT_SETTINGS)
    assert atom_rules.is_tag_uri(entry.id)
    # A path with a control character (no name clipdoc writes)
    # comes back as none: the clipping goes where the producer would write it.
    writable = not any(unicodedata.category(c) in ("Cc", "Cs") for c in path)
    assert feed_writing.path_of_id(entry.id) == (path if writable else None)
    assert feed_writing.path_of_id(entry.id + "#2") is None  # the later of one id: no path
    [bare] = feed_writing.feed_entries([clip], feed_writing.DEFAULT_SETTINGS)
    dated = clip.metadata is not None and clip.metadata.catalog_date is not None
    assert feed_writing.path_of_id(bare.id) == (clipdoc.clipping_path(clip) if dated else None)


def test_an_id_is_the_clippings_path_and_stays_when_others_come_and_go() -> None:
    saved = datetime(2025, 5, 6, 8, 3, 26, tzinfo=timezone.utc)
    pairs = [
        (f"2025-05-06/{n} #?.md", _clip(f"t{n}", saved, "https://same.example/")) for n in range(5)
    ]
    for name, write in WRITERS.items():
        whole = _ids(name, write(pairs, title="t"))
        some = _ids(name, write(pairs[1:4], title="t"))
        assert set(some) < set(whole)
        assert f"{TAG}2025-05-06/3%20%23%3F.md" in some
        assert _ids(name, write(list(reversed(pairs)), title="t", order="given"))[::-1] == _ids(
            name, write(pairs, title="t", order="given")
        )


def test_a_clipping_without_a_path_takes_the_producers_path_or_a_digest() -> None:
    saved = datetime(2025, 5, 6, 16, 3, 26, tzinfo=UTC8)
    dated = _clip("a b", saved, "https://a.example/")
    twin = _clip("a b", saved + timedelta(hours=1), "https://b.example/")
    undated = Clipping(title="x", url="https://x.example/")
    for name, write in WRITERS.items():
        ids = _ids(name, write([twin, undated, dated, undated], title="t", order="given"))
        # The earlier saved of two with one path keeps it; the later gets #2.
        assert ids[0] == f"{TAG}2025-05-06/a_b.md#2"
        assert ids[2] == f"{TAG}2025-05-06/a_b.md"
        assert re.fullmatch(re.escape(TAG) + r"\?sha256=[0-9a-f]{32}", ids[1])
        assert ids[3] == ids[1] + "#2"
        # The same, whatever the order they are given in.
        again = _ids(name, write([undated, dated, undated, twin], title="t", order="given"))
        assert sorted(again) == sorted(ids)


def test_an_entry_without_an_absolute_url_has_content_and_shows_the_url() -> None:
    for url in ["weibo.com/1/a", "", "a b <c>", "/relative", None]:
        clip = _clip("t", datetime(2025, 5, 6, tzinfo=timezone.utc), url)
        for name, write in WRITERS.items():
            data = write([clip], title="t")
            _valid(name, data)
            [(_, shown)] = reader_entries(name, data)
            if url:
                assert f"URL: {url}" in shown
            if name != "jsonfeed":
                assert not feedparser.parse(data).entries[0].get("links")
    odd = _clip("t", None, "https://a.example/a b%zz#x#y")
    data = feeds.to_atom([odd], title="t")
    assert atom_rules.violations(data) == []
    assert feedparser.parse(data).entries[0].link == "https://a.example/a%20b%25zz#x%23y"


# ---------------------------------------------------------- order and limit


def test_newest_first_ties_by_id_and_a_limit() -> None:
    noon = datetime(2025, 5, 6, 12, tzinfo=timezone.utc)
    pairs = [
        ("b.md", _clip("b", noon)),
        ("old.md", _clip("old", noon - timedelta(days=1))),
        ("a.md", _clip("a", noon.astimezone(UTC8))),  # the same instant as b
        ("none.md", Clipping(title="none")),
        ("new.md", _clip("new", noon + timedelta(seconds=1))),
    ]
    newest = ["new", "a", "b", "old", "none"]
    for write in WRITERS.values():
        for taken in (pairs, pairs[::-1]):
            assert _titles(write(taken, title="t")) == newest
            assert _titles(write(taken, title="t", order="oldest")) == newest[::-1]
            assert _titles(write(taken, title="t", limit=2)) == newest[:2]
        assert _titles(write(pairs, title="t", order="given")) == ["b", "old", "a", "none", "new"]
        assert _titles(write(pairs, title="t", limit=0)) == []


def _titles(data: bytes) -> list[str]:
    return [clip.title for clip in feeds.from_feed(data)] if b"clipping" in data else []


# ------------------------------------------------------------ feed options


def test_the_feeds_own_title_link_self_link_and_language() -> None:
    options: dict[str, Any] = {
        "title": "AI <news>",
        "link": "https://me.example/",
        "feed_url": "https://me.example/feed",
        "language": "zh-CN",
        "description": "what I read",
    }
    clip = clipdoc.load(EXAMPLE)
    document = json.loads(feeds.to_json_feed([clip], **options))
    assert (document["title"], document["home_page_url"], document["feed_url"]) == (
        "AI <news>", "https://me.example/", "https://me.example/feed"
    )  # fmt: skip
    assert (document["language"], document["description"]) == ("zh-CN", "what I read")
    for name in ("atom", "rss"):
        parsed = feedparser.parse(WRITERS[name]([clip], **options))
        assert parsed.bozo == 0
        assert (parsed.feed.title, parsed.feed.link) == ("AI <news>", "https://me.example/")
        assert parsed.feed.language == "zh-CN"
        selves = [link.href for link in parsed.feed.links if link.rel == "self"]
        assert selves == ["https://me.example/feed"]
    atom = feeds.to_atom([clip], **options)
    assert b'xml:lang="zh-CN"' in atom
    assert feedparser.parse(atom).feed.id == "https://me.example/"
    bare = feedparser.parse(feeds.to_atom([clip], title="t"))
    assert bare.feed.id == TAG + "feed"
    assert "links" not in bare.feed or not bare.feed.links
    assert (
        feedparser.parse(feeds.to_rss([clip], title="t")).feed.link
        == "https://clipdoc.readthedocs.io/"
    )


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"link": "me.example"}, ValueError, "absolute URL"),
        ({"feed_url": "https://a b/"}, ValueError, "absolute URL"),
        ({"link": 5}, TypeError, "link is a str"),
        ({"language": "en_US"}, ValueError, "language tag"),
        ({"limit": -1}, ValueError, "0 or more"),
        ({"limit": True}, TypeError, "limit is an int"),
        ({"limit": 2.0}, TypeError, "limit is an int"),
        ({"order": "newest-first"}, ValueError, "newest, oldest, given"),
        ({"title": None}, TypeError, "title"),
    ],
)
def test_wrong_options(options: dict[str, Any], error: type[Exception], match: str) -> None:
    for write in WRITERS.values():
        with pytest.raises(error, match=match):
            write([], **{"title": "t", **options})


def test_home_page_url_is_the_former_name_of_link() -> None:
    with pytest.warns(DeprecationWarning, match="home_page_url is now link"):
        data = feeds.to_json_feed([], title="t", home_page_url="https://a.example/")
    assert json.loads(data)["home_page_url"] == "https://a.example/"
    with pytest.raises(TypeError, match="not both"):
        feeds.to_json_feed([], title="t", home_page_url="https://a.example/", link="https://b/")


# ------------------------------------------------------------ input shapes


def test_what_the_writers_take() -> None:
    clip = clipdoc.load(EXAMPLE)
    other = _clip("other", datetime(2025, 1, 1, tzinfo=timezone.utc))
    entries = list(clipdoc.Collection(EXAMPLE.parent))
    for name, write in WRITERS.items():
        listed = write([("seed.md", clip), ("x/other.md", other)], title="t")
        # A mapping of paths to clippings is its (path, clipping) pairs...
        assert write({"seed.md": clip, "x/other.md": other}, title="t") == listed
        # ...a generator is read once, as the list it gives...
        assert (
            write((pair for pair in [("seed.md", clip), ("x/other.md", other)]), title="t")
            == listed
        )
        # ...and collection entries are their paths and clippings.
        assert write(entries, title="t") == write([("seed.md", clip)], title="t")
        assert _ids(name, write([("p.md", clip), (None, other)], title="t", order="given")) == [
            TAG + "p.md", TAG + "2025-01-01/other.md"
        ]  # fmt: skip
        broken = clipdoc.Entry(path="bad.md", clipping=None)
        assert write([broken, *entries], title="t") == write(entries, title="t")
        with pytest.raises(TypeError, match="not one Clipping: \\[clipping\\]"):
            write(clip, title="t")
        with pytest.raises(TypeError, match="not one Entry"):
            write(entries[0], title="t")
        with pytest.raises(TypeError, match="not a str"):
            write("seed.md", title="t")
        with pytest.raises(TypeError, match=r"clippings\[1\] must be a Clipping, an Entry or a"):
            write([clip, ("a.md", "not a clipping")], title="t")
        with pytest.raises(TypeError, match=r"clippings\[0\]"):
            write([(5, clip)], title="t")
        with pytest.raises(TypeError, match=r"clippings\[0\]"):
            write([["a.md", clip]], title="t")
        with pytest.raises(ValueError, match="a path is not empty"):
            write([("", clip)], title="t")


# ------------------------------------------------------------ what is shown


def test_what_a_reader_shows_of_one_clipping() -> None:
    clip = Clipping(
        title="T",
        url="https://a.example/1",
        original_summary="<b>orig</b><script>",
        ai_summary="First <line>\r\nsecond.\n\nNext & last.",
        extra_sections=[clipdoc.Section(heading="笔记", body="mine")],
        metadata=Metadata(source="ArXiv", kind="论文", saved_at=datetime(2025, 5, 6, tzinfo=UTC8)),
    )
    document = json.loads(feeds.to_json_feed([clip], title="t"))
    [item] = document["items"]
    assert item["summary"] == clip.ai_summary
    html = item["content_html"]
    # The AI summary first, then the extra sections and the metadata, and the
    # original summary's HTML last, where an element it leaves open hides nothing.
    assert html.index("AI 摘要") < html.index("笔记") < html.index("来源") < html.index("原始摘要")
    assert "<p>First &lt;line&gt;<br>\nsecond.</p>\n<p>Next &amp; last.</p>" in html
    assert "<li><strong>保存时间</strong>: 2025-05-06T00:00:00+08:00</li>" in html
    assert html.endswith("<b>orig</b><script>\n")
    atom = feedparser.parse(feeds.to_atom([clip], title="t")).entries[0]
    assert atom.summary_detail.type == "text/plain"
    assert atom.summary == "First <line>\nsecond.\n\nNext & last."
    rss = feedparser.parse(feeds.to_rss([clip], title="t")).entries[0]
    assert "First <line>" in html_text(rss.summary)
    plain = _clip("t", None, original_summary="a < b\nwrapped\n\nand more")
    [item] = json.loads(feeds.to_json_feed([plain], title="t"))["items"]
    assert (
        item["content_html"] == "<h3>原始摘要</h3>\n<p>a &lt; b<br>\nwrapped</p>\n<p>and more</p>\n"
    )


# ------------------------------------------------------------ the command


def test_the_commands_feed_options(tmp_path: Path) -> None:
    script = str(Path(sys.executable).with_name("clipdoc"))
    source = tmp_path / "in.jsonl"
    records = [
        {"path": f"{day:%Y-%m-%d}/n{number}.md", **clipdoc.to_dict(_clip(f"n{number}", day))}
        for number, day in enumerate(datetime(2025, 5, d, tzinfo=timezone.utc) for d in (1, 3, 2))
    ]
    source.write_text("".join(json.dumps(record) + "\n" for record in records))

    def convert(*arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [script, "convert", str(source), *arguments], capture_output=True, text=True
        )

    feed = tmp_path / "out.atom"
    done = convert(
        str(feed), "--title", "Mine", "--link", "https://me.example/", "--feed-url",
        "https://me.example/out.atom", "--language", "en", "--limit", "2",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "converted 3 documents, 0 errors, 0 warnings, 2 written" in done.stderr
    parsed = feedparser.parse(feed.read_bytes())
    assert parsed.feed.title == "Mine"
    assert [entry.title for entry in parsed.entries] == ["n1", "n2"]
    assert [entry.id for entry in parsed.entries] == [
        TAG + "2025-05-03/n1.md",
        TAG + "2025-05-02/n2.md",
    ]
    assert atom_rules.violations(feed.read_bytes()) == []
    with_id = tmp_path / "id.atom"
    done = convert(str(with_id), "--feed-id", "tag:me.example,2025:clippings")
    assert done.returncode == 0, done.stderr
    assert feedparser.parse(with_id.read_bytes()).feed.id == "tag:me.example,2025:clippings"
    done = convert(str(tmp_path / "x.rss"), "--feed-id", "tag:me.example,2025:clippings")
    assert done.returncode == 2
    assert "only an Atom feed has an id" in done.stderr
    done = convert(str(tmp_path / "o.rss"), "--order", "oldest")
    assert done.returncode == 0, done.stderr
    assert [e.title for e in feedparser.parse((tmp_path / "o.rss").read_bytes()).entries] == [
        "n0", "n2", "n1"
    ]  # fmt: skip
    for arguments, message in [
        (
            (str(tmp_path / "x.jsonl"), "--title", "t"),
            "--title: feed options, and jsonl is not a feed",
        ),
        ((str(tmp_path / "x.atom"), "--link", "me.example"), "link must be an absolute URL"),
        ((str(tmp_path / "x.atom"), "--language", "en US"), "language tag"),
        ((str(tmp_path / "x.atom"), "--limit", "-1"), "0 or more"),
    ]:
        done = convert(*arguments)
        assert done.returncode == 2
        assert message in done.stderr
        assert not Path(arguments[0]).exists()


# -------------------------------------------------------------- the checker


def test_the_atom_checker_finds_what_rfc_4287_forbids() -> None:
    bad = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>relative/x</id>'
        b"<updated>2025-1-1</updated><subtitle/><subtitle/>"
        b'<entry><id>https://a/1</id><id>x</id><title type="bogus">x</title>'
        b'<link href="a b"/><content type="text"><b/></content></entry>'
        b"<entry><title/><updated>2025-01-01T00:00:00z</updated><id>urn:a</id>"
        b'<content src="https://a/b" type="image/png"/></entry><foo/></feed>'
    )
    found = atom_rules.violations(bad)
    sections = {rule.split(":")[0] for rule in found}
    assert sections == {"6.2", "4.2.6", "4.1.1", "4.1.2", "3.3", "3.1.1", "4.2.7.1", "4.1.3.3"}
    assert any("atom:summary when its content has src" in rule for rule in found)
    assert any("without atom:content" not in rule for rule in found)
    assert atom_rules.violations(b"<feed")
    assert atom_rules.violations(b"<rss/>")
    assert atom_rules.duplicate_ids(
        b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>a:b</id></entry>'
        b"<entry><id>a:b</id></entry></feed>"
    ) == ["a:b"]
    assert atom_rules.is_iri("http://[::1]:80/a?b#c")
    assert not atom_rules.is_iri("a b:c")
    assert not atom_rules.is_iri("relative/x")
    assert atom_rules.is_tag_uri(TAG + "2025/%23x.md#2")
    assert not atom_rules.is_tag_uri("tag:example.com:x")
    assert not atom_rules.is_tag_uri(TAG + "a b")
    assert atom_rules.is_date_time("2025-05-06T08:03:26.5+08:00")
    assert not atom_rules.is_date_time("2025-02-30T00:00:00Z")


def test_an_entry_without_save_time_has_the_feeds_updated() -> None:
    clips = [Clipping(title="x"), _clip("y", datetime(2024, 2, 3, tzinfo=timezone.utc))]
    parsed = feedparser.parse(feeds.to_atom(clips, title="t"))
    assert [entry.updated for entry in parsed.entries] == ["2024-02-03T00:00:00Z"] * 2
    empty = feeds.to_atom([Clipping(title="x")], title="")
    assert atom_rules.violations(empty) == []
    assert feedparser.parse(empty).feed.author == "clipdoc"
    assert date(1970, 1, 1).isoformat() in feedparser.parse(empty).feed.updated


def test_clippings_of_one_id_without_paths_all_come_back(tmp_path: Path) -> None:
    # Two reposts of one day and title, given without paths: the second has
    # id '…#2' and must not be sent to the first one's path.
    day = Metadata(catalog_date=date(2025, 5, 6))
    posts = [Clipping(title="转发微博", url=f"https://weibo.com/1/{n}", metadata=day) for n in "ab"]
    for writer, suffix in ((feeds.to_atom, "atom"), (feeds.to_rss, "rss")):
        feed = tmp_path / f"posts.{suffix}"
        feed.write_bytes(writer(posts, title="t"))
        out = tmp_path / f"back-{suffix}"
        done = subprocess.run(
            [sys.executable, "-m", "clipdoc", "convert", str(feed), str(out), "--to", "folder"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        back = sorted(clip.url or "" for clip in map(clipdoc.load, out.rglob("*.md")))
        assert back == ["https://weibo.com/1/a", "https://weibo.com/1/b"]


def test_another_feeds_ids_choose_no_path(tmp_path: Path) -> None:
    # An id shaped like clipdoc's, in an entry without clipdoc's clipping,
    # must not send the entry to an existing document's path.
    root = tmp_path / "c"
    (root / "2025-05-06").mkdir(parents=True)
    seed = root / "2025-05-06" / "seed.md"
    seed.write_bytes(EXAMPLE.read_bytes())
    foreign = tmp_path / "foreign.rss"
    foreign.write_text(
        '<rss version="2.0"><channel><title>Blog</title><item><title>New post</title>'
        '<link>https://blog.example/new</link><guid isPermaLink="false">'
        "tag:clipdoc.readthedocs.io,2025:2025-05-06/seed.md</guid></item></channel></rss>"
    )
    for force in ([], ["--force"]):
        subprocess.run(
            [sys.executable, "-m", "clipdoc", "convert", str(foreign), str(root), *force],
            capture_output=True, check=False,
        )  # fmt: skip
        assert seed.read_bytes() == EXAMPLE.read_bytes()
    # A clipdoc feed read back from a file with a byte order mark keeps its paths.
    clip = clipdoc.load(EXAMPLE)
    feed = tmp_path / "bom.feed.json"
    feed.write_bytes(b"\xef\xbb\xbf" + feeds.to_json_feed([("custom/my.md", clip)], title="t"))
    out = tmp_path / "back"
    done = subprocess.run(
        [sys.executable, "-m", "clipdoc", "convert", str(feed), str(out)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert (out / "custom" / "my.md").is_file(), done.stderr


def test_only_web_urls_become_links() -> None:
    clip = Clipping(title="t", url="javascript:alert(document.cookie)//", ai_summary="s")
    for writer in (feeds.to_atom, feeds.to_rss):
        data = writer([clip], title="t")
        [entry] = feedparser.parse(data).entries
        assert [link["href"] for link in entry.get("links", [])] == []
        assert (
            "javascript:alert" in entry["content"][0]["value"] if writer is feeds.to_atom else True
        )
        assert feeds.from_feed(data) == [clip]
    [item] = json.loads(feeds.to_json_feed([clip], title="t"))["items"]
    assert "url" not in item
    assert "javascript:alert" in item["content_html"]  # shown as text, in the metadata list
    with pytest.raises(ValueError, match="http or https"):
        feeds.to_atom([clip], title="t", link="javascript:alert(1)")
    with pytest.raises(ValueError, match="http or https"):
        feeds.to_atom([clip], title="t", feed_url="data:text/html,x")


def _path_of_id_by_unquote(identifier: str) -> str | None:
    """`path_of_id` as `urllib.parse.unquote` and a category per character
    give it: the reference for the faster one."""
    from urllib.parse import unquote

    from clipdoc._interop.feed_writing import TAG

    if not identifier.startswith(TAG):
        return None
    specific, hash_mark, _ = identifier[len(TAG) :].partition("#")
    if hash_mark or not specific or specific.startswith("?"):
        return None
    try:
        path = unquote(specific, errors="strict")
    except UnicodeDecodeError:
        return None
    if any(unicodedata.category(character) in ("Cc", "Cs") for character in path):
        return None
    return path


_ID_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from("%%%0123456789abcdefABCDEFgG/ #?~.-_é话\x00\x1f\x7f\x85\ud800\udfff"),
        st.characters(),
    )
)


@given(
    text=st.one_of(
        _ID_TEXT,
        _ID_TEXT.map(lambda t: quote(t, safe="/", errors="surrogatepass")),
        st.lists(st.integers(0, 255), max_size=12).map(
            lambda data: "".join(f"%{byte:02X}" for byte in data)
        ),
    )
)
def test_path_of_id_reads_ids_as_unquote_does(text: str) -> None:
    from clipdoc._interop.feed_writing import TAG, path_of_id

    identifier = TAG + text
    assert path_of_id(identifier) == _path_of_id_by_unquote(identifier)
