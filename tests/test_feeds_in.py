"""Feeds in keep every field: five feeds as real sites publish them, each
field in its documented place; feeds that are not well-formed, files that
are no feeds, and the command's reports; hostile entries round-trip."""

from __future__ import annotations

import io
import json
import re
import warnings
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import attrs
import feedparser
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import clipdoc
import strategies
from clipdoc import ClipdocError, Clipping, Metadata, Section, feeds
from clipdoc._cli import main
from clipdoc._core.syntax import KNOWN_LABELS
from clipdoc._interop.feed_fields import label_of, one_line
from clipdoc._storage.names import clipping_path
from conftest import ROOT

FEEDS = ROOT / "tests" / "data" / "feeds"
SAVED = datetime(2025, 5, 6, 16, 3, 26, tzinfo=timezone(timedelta(hours=8)))


def _read(name: str, **options: object) -> list[Clipping]:
    clips = feeds.from_feed(FEEDS / name, saved_at=SAVED, **options)  # type: ignore[arg-type]
    for clip in clips:
        assert clipdoc.parse(clipdoc.render(clip)) == clip
        assert "&amp;" not in clipping_path(clip)
    return clips


def _all(clip: Clipping, label: str) -> list[str]:
    assert clip.metadata is not None
    return [text for key, text in clip.metadata.extra if key == label]


def _sections(clip: Clipping) -> dict[str, str]:
    return {section.heading: section.body for section in clip.extra_sections}


# ----------------------------------------------------------- realistic feeds


def test_an_arxiv_listing_keeps_every_creator_category_and_the_guid() -> None:
    first, second = _read("arxiv-cs-cl.rss")
    # An HTML title (it looks like HTML to feedparser): its text, entities decoded.
    assert first.title == "Q&A over Long Documents: Retrieval vs. Long Context"
    assert first.url == "https://arxiv.org/abs/2505.01234"
    assert first.original_summary is not None
    assert first.original_summary.startswith("arXiv:2505.01234v1 Announce Type: new \nAbstract:")
    assert "five benchmarks & find" in first.original_summary
    assert first.metadata is not None
    assert first.metadata.source == "cs.CL updates on arXiv.org"  # the channel's title
    assert first.metadata.kind is None
    assert _all(first, "发布时间") == ["2025-05-06T04:00:00Z"]  # -0400, as UTC
    assert _all(first, "作者") == ["Alice Zhang", "Bob Li"]  # two dc:creator
    assert _all(first, "标签") == ["cs.CL", "cs.AI", "cs.IR"]
    assert _all(first, "版权") == ["http://creativecommons.org/licenses/by/4.0/"]
    assert _all(first, "标识符") == ["oai:arXiv.org:2505.01234v1"]  # the guid, with a link
    assert _all(first, "arxiv_announce_type") == ["new"]  # a module feedparser does not know
    # One dc:creator listing several: as the feed wrote it.
    assert _all(second, "作者") == ["Carol Wang, Dan Müller"]
    assert _all(second, "arxiv_announce_type") == ["replace"]


def test_a_weibo_feed_keeps_the_html_and_the_channel_as_source() -> None:
    first, second = _read("weibo-rsshub.rss")
    assert first.title.startswith("#阿里通义应用视觉团队负责人离职#")
    assert first.url == "https://weibo.com/6105753431/Pqzc66P5o"
    assert first.original_summary is not None
    assert first.original_summary.startswith('<a href="https://m.weibo.cn/search?containerid=')
    assert first.original_summary.endswith('referrerpolicy="no-referrer"><br><br>')
    assert first.metadata is not None
    assert first.metadata.source == "量子位的微博"
    assert _all(first, "作者") == ["量子位"]
    assert _all(first, "发布时间") == ["2025-05-06T08:03:26Z"]
    assert _all(first, "标识符") == []  # the guid is the link: nothing more to keep
    assert second.title == "【GPT-5 & 推理】OpenAI 发布新模型，“思考”更久"
    assert second.original_summary is not None
    assert "新模型上线 &gt;_&lt;</blockquote>" in second.original_summary
    assert _all(second, "标签") == ["AI"]
    assert _all(second, "标识符") == ["weibo:Pqzd1AbCd"]


def test_a_youtube_feed_keeps_authors_media_and_updated() -> None:
    first, second = _read("youtube-channel.atom")
    assert first.title == "OpenAI's New AI: Research & Reasoning Combined!"
    assert first.url == "https://www.youtube.com/watch?v=qY3xyZ0a9Bc"
    # media:description is the summary, line breaks and all.
    assert first.original_summary is not None
    assert first.original_summary.startswith("❤️ Check out Lambda")
    assert "\n\n📝 The paper is available here:\n" in first.original_summary
    assert first.metadata is not None
    assert first.metadata.source == "Two Minute Papers"
    assert _all(first, "作者") == [
        "Two Minute Papers (https://www.youtube.com/channel/UCbfYPyITQ-7l4upoX8nvctg)",
        "Károly Zsolnai-Fehér",
    ]
    assert _all(first, "发布时间") == ["2025-05-05T15:12:31Z"]
    assert _all(first, "更新时间") == ["2025-05-06T02:41:10Z"]
    assert _all(first, "缩略图") == ["https://i2.ytimg.com/vi/qY3xyZ0a9Bc/hqdefault.jpg (480×360)"]
    assert _all(first, "附件") == [
        "https://www.youtube.com/v/qY3xyZ0a9Bc?version=3 (application/x-shockwave-flash, 640×390)"
    ]
    assert _all(first, "标识符") == ["yt:video:qY3xyZ0a9Bc"]
    assert _all(first, "yt_videoid") == ["qY3xyZ0a9Bc"]
    assert _all(first, "media_statistics.views") == ["212345"]
    assert _all(first, "media_starrating.count") == ["8123"]
    assert _all(second, "缩略图") == ["https://i1.ytimg.com/vi/Zx0bc1DeFgH/hqdefault.jpg (480×360)"]


def test_a_json_feed_keeps_summary_content_attachments_and_images() -> None:
    first, second = _read("microblog.feed.json")
    assert first.title == "Gemini 2.5 Pro Preview: even better coding performance"
    assert first.url == "https://simonwillison.net/2025/May/6/gemini-25-pro/"
    assert first.original_summary == (
        "Google released an update to Gemini 2.5 Pro & it tops the WebDev Arena leaderboard."
    )
    sections = _sections(first)
    assert list(sections) == ["全文", "全文 2"]
    assert sections["全文"].startswith("<p>Google released <a href=")
    assert sections["全文 2"].startswith("Google released an update to Gemini 2.5 Pro.\n\n")
    assert first.metadata is not None
    assert first.metadata.source == "Simon Willison’s Weblog"
    assert _all(first, "发布时间") == ["2025-05-06T18:09:40Z"]
    assert _all(first, "更新时间") == ["2025-05-07T09:30:00+01:00"]
    assert _all(first, "作者") == [
        "Simon Willison (https://simonwillison.net/)",
        "Guest, A. (https://example.com/guest)",
    ]
    assert _all(first, "作者头像") == [
        'https://simonwillison.net/static/avatar.jpg ("Simon Willison")'
    ]
    assert _all(first, "标签") == ["gemini", "llm", "ai, generative"]  # a comma is no separator
    assert _all(first, "附件") == [
        "https://static.simonwillison.net/static/2025/pelican.svg"
        ' (image/svg+xml, 10240 bytes, "The pelican, riding a bicycle")',
        "https://static.simonwillison.net/static/2025/episode%2012.mp3"
        ' (audio/mpeg, 24986239 bytes, 1562 s, "Audio version")',
    ]
    assert _all(first, "图片") == [
        "https://static.simonwillison.net/static/2025/gemini-pelican.jpg"
    ]
    assert _all(first, "横幅图片") == [
        "https://static.simonwillison.net/static/2025/gemini-banner.jpg"
    ]
    assert _all(first, "外部链接") == [
        "https://blog.google/products/gemini/gemini-2-5-pro-updates/"
    ]
    assert _all(first, "语言") == ["en-GB"]
    assert _all(first, "标识符") == []  # the id is the URL
    assert _all(first, "_microblog.is_bookmark") == ["false"]  # an extension, by its name
    # JSON Feed 1.0's author, content_text alone, an id that is not the URL.
    assert second.original_summary == (
        "Add a # /// script block and uv installs what the script needs."
    )
    assert second.extra_sections == ()
    assert _all(second, "作者") == ["Simon Willison"]
    assert _all(second, "标识符") == ["2025-05-05-til"]


def test_a_podcast_keeps_enclosures_and_itunes_fields() -> None:
    first, second = _read("podcast.rss")
    assert first.title == "The Agent Reasoning Interface: o1/o3, Claude 3, ChatGPT Canvas & more"
    assert first.original_summary == "<p>Our guests explain how reasoning models change agents.</p>"
    # The full show notes (content:encoded) next to the teaser.
    assert _sections(first)["全文"].startswith(
        "<p>Our guests explain how reasoning models change agents.</p><h2>Show notes</h2>"
    )
    assert first.metadata is not None
    assert first.metadata.source == "Latent Space: The AI Engineer Podcast"
    assert _all(first, "作者") == ["Alessio Fanelli", "swyx", "Alessio + swyx"]
    assert _all(first, "附件") == [
        "https://api.substack.com/feed/podcast/162812345/9f1e.mp3 (audio/mpeg, 89123456 bytes)"
    ]
    assert _all(first, "时长") == ["01:02:03"]
    assert _all(first, "图片") == [
        "https://substack-post-media.s3.amazonaws.com/public/images/ep42.jpg"
    ]
    assert _all(first, "季数") == ["3"]
    assert _all(first, "集数") == ["42"]
    assert _all(first, "单集类型") == ["full"]
    assert _all(first, "标签") == ["agents", "reasoning"]  # itunes:keywords
    assert _all(first, "标识符") == ["substack:post:162812345"]
    assert second.title == "[AINews] Small models, big week"
    assert second.extra_sections == ()
    assert _all(second, "时长") == ["1523"]
    assert _all(second, "单集类型") == ["bonus"]


def test_source_is_the_feeds_title_unless_given() -> None:
    [given_source, *_] = _read("podcast.rss", source="Latent Space", kind="播客")
    assert given_source.metadata is not None
    assert (given_source.metadata.source, given_source.metadata.kind) == ("Latent Space", "播客")
    [none, *_] = _read("podcast.rss", source="")
    assert none.metadata is not None
    assert none.metadata.source is None
    untitled = b"<rss version='2.0'><channel><item><title>t</title></item></channel></rss>"
    [clip] = feeds.from_feed(untitled, saved_at=SAVED)
    assert clip.metadata is not None
    assert clip.metadata.source is None


def test_atom_authors_and_content_next_to_the_summary() -> None:
    atom = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title type="html">A &amp;amp; B</title>
<entry><title type="html">&lt;em&gt;Deep&lt;/em&gt; &amp;amp; wide</title>
<id>tag:example.org,2025:1</id><link href="https://a.example/1"/>
<link rel="replies" type="text/html" href="https://a.example/1#comments" title="3 comments"/>
<link rel="enclosure" type="audio/mpeg" length="1234" href="https://a.example/1.mp3"/>
<author><name>A1</name><email>a1@example.org</email></author><author><name>A2</name></author>
<author><name>A3</name><uri>https://a3.example</uri></author>
<contributor><name>C</name></contributor>
<category term="ai" label="Artificial intelligence"/>
<summary>Teaser</summary><content type="html">&lt;p&gt;The whole article&lt;/p&gt;</content>
<updated>2025-05-06T08:00:00+02:00</updated></entry></feed>"""
    [clip] = feeds.from_feed(atom, saved_at=SAVED)
    assert clip.title == "Deep & wide"
    assert clip.original_summary == "Teaser"
    assert clip.extra_sections == (Section(heading="全文", body="<p>The whole article</p>"),)
    assert clip.metadata is not None
    assert clip.metadata.source == "A & B"
    # feedparser gives A2 and A3 the email of A1: not theirs.
    assert _all(clip, "作者") == ["A1 <a1@example.org>", "A2", "A3 (https://a3.example)"]
    assert _all(clip, "贡献者") == ["C"]
    assert _all(clip, "标签") == ['ai ("Artificial intelligence")']
    assert _all(clip, "更新时间") == ["2025-05-06T06:00:00Z"]
    assert _all(clip, "发布时间") == []  # updated is no publication date
    assert _all(clip, "附件") == ["https://a.example/1.mp3 (audio/mpeg, 1234 bytes)"]
    assert _all(clip, "链接") == [
        'https://a.example/1#comments (text/html, rel=replies, "3 comments")'
    ]
    assert _all(clip, "标识符") == ["tag:example.org,2025:1"]
    assert clipdoc.parse(clipdoc.render(clip)) == clip


def test_json_member_names_that_are_no_labels_are_quoted() -> None:
    item: dict[str, object] = {"title": "t", "来源": "x", "a**:b": "y", "": "z", "l\nb": "w"}
    item["ok"] = {"nested": [1, True, None, 2.5, {"deep": {"er": {"still": {"and": "more"}}}}]}
    feed = {"version": "https://jsonfeed.org/version/1.1", "items": [item]}
    [clip] = feeds.from_feed(json.dumps(feed), saved_at=SAVED)
    assert clip.metadata is not None
    assert clip.metadata.extra == (
        ('"来源"', "x"),
        ('"a\\u002a\\u002a:b"', "y"),
        ('""', "z"),
        ('"l\\nb"', "w"),
        ("ok.nested", "1"),
        ("ok.nested", "true"),
        ("ok.nested", "2.5"),
        ("ok.nested.deep.er", '{"still": {"and": "more"}}'),
    )
    assert clipdoc.parse(clipdoc.render(clip)) == clip
    for label in (*KNOWN_LABELS, "", "**:", "\r"):
        assert label_of(label) != label


def test_a_feed_that_is_a_path_or_url_is_read_as_text() -> None:
    # feedparser opens a string that names a file: from_feed reads the text.
    for text in (str((FEEDS / "podcast.rss").resolve()), "file:///etc/hostname"):
        for data in (text, text.encode()):
            with pytest.raises(ClipdocError, match="nothing to import"):
                feeds.from_feed(data)
    assert len(feeds.from_feed(FEEDS / "podcast.rss")) == 2  # a path is a Path


def test_json_that_is_no_json_feed_says_so() -> None:
    with pytest.raises(ClipdocError, match="no JSON Feed"):
        feeds.from_feed(b'{"items": [{"title": "t"}]}')


# ----------------------------------------------------------- ill-formed feeds


def test_a_truncated_rss_feed_gives_what_was_read_with_a_warning() -> None:
    data = (FEEDS / "podcast.rss").read_bytes()
    cut = data[: data.index(b"<itunes:duration>1523")]
    with pytest.warns(clipdoc.ClipdocWarning, match="stops before its end") as caught:
        clips = feeds.from_feed(cut, saved_at=SAVED)
    # Every entry feedparser gives; the one the feed stops inside of is
    # marked, so that importing the whole feed again completes it.
    whole = _read("podcast.rss")
    assert [clip.title for clip in clips] == [clip.title for clip in whole]
    assert clips[0] == whole[0]
    assert clips[1].metadata is not None
    assert clips[1].metadata.get("不完整") is not None
    assert whole[1].metadata is not None
    assert whole[1].metadata.get("不完整") is None
    [warning] = caught
    assert isinstance(warning.message, clipdoc.ClipdocWarning)
    assert warning.message.diagnostic.code == "CD602"
    assert "2 entries read; the last, '[AINews] Small models, big week', is cut short" in str(
        warning.message
    )
    # A feed that is not well-formed but whole marks nothing.
    broken = data.replace(b"</channel>", b"<stray></channel>", 1)
    with pytest.warns(clipdoc.ClipdocWarning, match="not well-formed"):
        read = feeds.from_feed(broken, saved_at=SAVED)
    assert [clip.metadata.get("不完整") for clip in read if clip.metadata] == [None, None]


def test_a_feed_cut_inside_an_entry_then_imported_whole_adds_that_entry_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = (FEEDS / "arxiv-cs-cl.rss").read_bytes()
    truncated = tmp_path / "truncated.rss"
    truncated.write_bytes(data[: data.rindex(b"</description>")])
    whole = tmp_path / "whole.rss"
    whole.write_bytes(data)
    root = tmp_path / "c"
    assert _import(capsys, "-q", truncated, "--into", root)[0] == 0
    assert _import(capsys, "-q", whole, "--into", root)[0] == 0
    held = sorted(
        (clip.title, clip.original_summary, clip.metadata.extra if clip.metadata else ())
        for clip in map(clipdoc.load, root.rglob("*.md"))
    )
    expected = sorted(
        (clip.title, clip.original_summary, clip.metadata.extra if clip.metadata else ())
        for clip in _read("arxiv-cs-cl.rss")
    )
    assert held == expected  # the stub completed, its mark gone, nothing added twice


def test_a_feed_cut_inside_an_entry_never_replaces_a_whole_document(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = (FEEDS / "arxiv-cs-cl.rss").read_bytes()
    whole = tmp_path / "whole.rss"
    whole.write_bytes(data)
    truncated = tmp_path / "truncated.rss"
    truncated.write_bytes(data[: data.rindex(b"</description>")])
    root = tmp_path / "c"
    assert _import(capsys, "-q", whole, "--into", root)[0] == 0
    before = {path: path.read_bytes() for path in root.rglob("*.md")}
    status, _, err = _import(capsys, truncated, "--into", root, "--on-duplicate", "update")
    assert status == 0
    assert "does not replace a whole document" in err
    after = {path: path.read_bytes() for path in root.rglob("*.md")}
    assert after == before  # the entries read whole are as they were; the cut one untouched


def test_a_truncated_json_feed_is_a_json_problem() -> None:
    data = (FEEDS / "microblog.feed.json").read_bytes()
    second_item = data.index(b'"id": "2025-05-05-til"')
    with pytest.warns(clipdoc.ClipdocWarning, match="not valid JSON.*1 entry read"):
        clips = feeds.from_feed(data[:second_item], saved_at=SAVED)
    assert clips == _read("microblog.feed.json")[:1]
    with pytest.raises(ClipdocError, match="not valid JSON") as caught:
        feeds.from_feed(data[:1500], saved_at=SAVED)  # inside the first item
    assert caught.value.code == "CD601"
    assert "XML" not in caught.value.message


@given(cut=st.integers(min_value=0, max_value=10_000))
def test_any_cut_of_a_json_feed_gives_a_prefix_of_its_items(cut: int) -> None:
    data = (FEEDS / "microblog.feed.json").read_bytes()
    whole = feeds.from_feed(data, saved_at=SAVED)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clipdoc.ClipdocWarning)
        try:
            clips = feeds.from_feed(data[:cut], saved_at=SAVED)
        except ClipdocError as error:
            assert error.code == "CD601"  # noqa: PT017 - any cut may fail, never otherwise
            return
    assert 1 <= len(clips) <= len(whole)
    assert clips == whole[: len(clips)]


_json_pieces = st.sampled_from(
    ['"version"', '"https://jsonfeed.org/version/1.1"', '"items"', '"title"', ":", ",", "[", "]",
     "{", "}", '{"title": "t"}', "[1]", "1e999", "NaN", '"\\ud800"', " ", "\n", "null"]
)  # fmt: skip


@given(text=st.lists(st.one_of(_json_pieces, st.text(max_size=3)), max_size=30).map("".join))
@example(text='{"a": 1}: 2')  # a member name that is an object, after the problem
def test_any_text_that_starts_as_json_is_read_or_cd601(text: str) -> None:
    data = ('{"version": "https://jsonfeed.org/version/1.1", ' + text).encode("utf-8", "replace")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clipdoc.ClipdocWarning)
        try:
            clips = feeds.from_feed(data, saved_at=SAVED)
        except ClipdocError as error:
            assert error.code == "CD601"  # noqa: PT017 - any text may fail, never otherwise
            return
    for clip in clips:
        assert clipdoc.parse(clipdoc.render(clip)) == clip


# ----------------------------------------------------------- the command


def _import(capsys: pytest.CaptureFixture[str], *arguments: str | Path) -> tuple[int, str, str]:
    code = main(["import", *(str(argument) for argument in arguments)])
    out, err = capsys.readouterr()
    return code, out, err


def test_every_fixture_feed_imports_and_again_adds_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = sorted(FEEDS.iterdir())
    code, out, err = _import(capsys, *paths, "--into", tmp_path)
    assert code == 0, err
    assert out.count("added ") == 10
    assert err.strip().endswith("10 documents, 0 errors, 0 warnings, 10 added")
    held = [entry.clipping for entry in clipdoc.Collection(tmp_path)]
    assert all(clip is not None and clip.metadata is not None for clip in held)
    assert not [path for path in tmp_path.rglob("*") if "&amp;" in path.name]
    code, out, err = _import(capsys, *paths, "--into", tmp_path)
    assert code == 0
    assert "added" not in out
    assert "10 already there" in err


def test_the_command_reports_each_kind_of_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    truncated = tmp_path / "truncated.rss"
    data = (FEEDS / "podcast.rss").read_bytes()
    truncated.write_bytes(data[: data.index(b"<itunes:duration>1523")])
    code, out, err = _import(capsys, truncated, "--into", tmp_path / "c")
    assert code == 0
    assert out.count("added ") == 2
    assert "CD602 the feed stops before its end" in err
    assert err.strip().endswith("2 documents, 0 errors, 1 warning, 2 added")

    not_a_feed = tmp_path / "notafeed.txt"
    not_a_feed.write_text("just some notes\n")
    code, _, err = _import(capsys, not_a_feed, "--into", tmp_path / "c")
    assert code == 1
    assert f"{not_a_feed}: CD601 nothing to import" in err
    assert err.strip().endswith("0 documents, 1 error, 0 warnings")

    code, _, err = _import(capsys, tmp_path / "missing.xml", "--into", tmp_path / "c")
    assert code == 2
    assert f"{tmp_path / 'missing.xml'}: no such file" in err
    assert "not well-formed" not in err

    code, _, err = _import(capsys, "https://example.com/feed.xml", "--into", tmp_path / "c")
    assert code == 2
    assert "never fetches" in err


def test_quiet_import_prints_only_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    truncated = tmp_path / "truncated.rss"
    data = (FEEDS / "podcast.rss").read_bytes()
    truncated.write_bytes(data[: data.index(b"<itunes:duration>1523")])
    not_a_feed = tmp_path / "notafeed.txt"
    not_a_feed.write_text("just some notes\n")
    feed_paths = [FEEDS / "arxiv-cs-cl.rss", truncated, not_a_feed]
    code, out, err = _import(capsys, "-q", *feed_paths, "--into", tmp_path / "c")
    assert code == 1
    assert out == ""
    assert err.splitlines() == [f"{not_a_feed}: CD601 nothing to import: not a feed, or one"
                                " that is not well-formed (SAXParseException: <unknown>:2:0:"
                                " syntax error)"]  # fmt: skip
    assert len(list((tmp_path / "c").rglob("*.md"))) == 4


def test_source_on_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = _import(capsys, FEEDS / "weibo-rsshub.rss", "--into", tmp_path, "--source", "X")
    assert code == 0
    assert {entry.clipping.metadata.source for entry in clipdoc.Collection(tmp_path)} == {"X"}  # type: ignore[union-attr]


def test_update_adds_new_items_of_a_label_and_keeps_the_documents_source(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feed = tmp_path / "feed.rss"
    data = (FEEDS / "arxiv-cs-cl.rss").read_bytes()
    feed.write_bytes(data)
    code, _, _ = _import(capsys, feed, "--into", tmp_path / "c", "--source", "ArXiv")
    assert code == 0
    collection = clipdoc.Collection(tmp_path / "c")
    [path] = [e.path for e in collection if e.clipping and e.clipping.url.endswith("01234")]  # type: ignore[union-attr]
    collection.update(
        path, lambda clip: attrs.evolve(clip, ai_summary="mine", metadata=_noted(clip))
    )
    feed.write_bytes(data.replace(b"<dc:creator>Bob Li<", b"<dc:creator>Eve<"))
    code, out, _ = _import(capsys, feed, "--into", tmp_path / "c", "--on-duplicate", "update")
    assert code == 0
    assert f"updated {path}" in out
    clip = collection.load(path)
    assert clip.ai_summary == "mine"
    assert clip.metadata is not None
    assert clip.metadata.source == "ArXiv"  # not the feed's title: it was not typed
    assert _all(clip, "作者") == ["Alice Zhang", "Bob Li", "Eve"]  # none removed
    assert _all(clip, "笔记") == ["n"]


def _noted(clip: Clipping) -> Metadata:
    return (clip.metadata or Metadata()).set("笔记", "n")


def test_refreshed_replaces_sections_and_never_removes_an_item() -> None:
    held = Clipping(
        title="old",
        ai_summary="mine",
        extra_sections=[
            Section(heading="全文", body="old text"),
            Section(heading="笔记", body="n"),
        ],
        metadata=Metadata(
            source="ArXiv",
            extra=[("作者", "A"), ("笔记", "x"), ("作者", "B"), ("标签", "t")],
        ),
    )
    fresh = Clipping(
        title="new",
        extra_sections=[
            Section(heading="全文", body="new text"),
            Section(heading="全文 2", body=""),
        ],
        metadata=Metadata(source="feed", extra=[("作者", "C"), ("作者", "D"), ("标签", "")]),
    )
    clip = feeds.refreshed(held, fresh)
    assert clip.title == "new"
    assert clip.ai_summary == "mine"
    assert clip.extra_sections == (
        Section(heading="全文", body="new text"),
        Section(heading="笔记", body="n"),
    )
    assert clip.metadata is not None
    assert clip.metadata.source == "feed"
    # Authors held twice: the feed's new ones come after them, none removed
    # (one of them may be the reader's own); an item held and given once
    # each takes the feed's value.
    assert clip.metadata.extra == (
        ("作者", "A"), ("笔记", "x"), ("作者", "B"), ("作者", "C"), ("作者", "D"), ("标签", "t")
    )  # fmt: skip
    single = feeds.refreshed(
        Clipping(title="t", metadata=Metadata(extra=[("更新时间", "1"), ("不完整", "cut")])),
        Clipping(title="t", metadata=Metadata(extra=[("更新时间", "2")])),
    )
    assert single.metadata is not None
    assert single.metadata.extra == (("更新时间", "2"),)  # and the mark of a cut entry goes


# ------------------------------------------------------------ hostile entries

_text = st.one_of(strategies.hostile_text, st.sampled_from(strategies.TRICKY_LINES), st.text())


_RSS = ["title", "link", "description", "content:encoded", "dc:creator", "category", "guid",
        "pubDate", "itunes:duration", "itunes:episode", "ex:odd-field", "media:thumbnail url",
        "enclosure url", "itunes:image href"]  # fmt: skip
_ATOM = ["title", "link href", "summary", "content", "author", "contributor", "category term",
         "id", "updated", "published", "ex:odd-field", "media:thumbnail url"]  # fmt: skip
_NAMESPACES = (
    ' xmlns:dc="http://purl.org/dc/elements/1.1/"'
    ' xmlns:content="http://purl.org/rss/1.0/modules/content/"'
    ' xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"'
    ' xmlns:media="http://search.yahoo.com/mrss/" xmlns:ex="https://example.org/ns"'
)


@st.composite
def _elements(draw: st.DrawFn, names: list[str]) -> str:
    """The elements of one entry: any of them, any text, some twice."""
    pieces = []
    for name in draw(st.lists(st.sampled_from(names), max_size=12)):
        text = draw(_text)
        name, _, attribute = name.partition(" ")
        if attribute:  # an element of attributes
            others = " ".join(
                f"{other}={quoteattr(draw(_text))}"
                for other in draw(st.lists(st.sampled_from(["type", "length", "rel", "label",
                                                            "title", "width"]), unique=True))
            )  # fmt: skip
            pieces.append(f"<{name} {attribute}={quoteattr(text)} {others}/>")
        elif name in ("author", "contributor"):
            parts = draw(st.lists(st.sampled_from(["name", "email", "uri"]), min_size=1))
            inner = "".join(f"<{part}>{escape(draw(_text))}</{part}>" for part in parts)
            pieces.append(f"<{name}>{inner}</{name}>")
        elif draw(st.booleans()) and "]]>" not in text:
            pieces.append(f"<{name}><![CDATA[{text}]]></{name}>")
        else:
            kind = draw(st.sampled_from(["", ' type="html"', ' type="text"']))
            pieces.append(f"<{name}{kind}>{escape(text)}</{name}>")
    return "".join(pieces)


@st.composite
def hostile_feeds(draw: st.DrawFn) -> bytes:
    """An RSS 2.0 or Atom feed of up to three entries of hostile fields."""
    title = escape(draw(_text))
    count = draw(st.integers(0, 3))
    if draw(st.booleans()):
        items = "".join(f"<item>{draw(_elements(_RSS))}</item>" for _ in range(count))
        channel = f"<channel><title>{title}</title>{items}</channel>"
        feed = f'<rss version="2.0"{_NAMESPACES}>{channel}</rss>'
    else:
        entries = "".join(f"<entry>{draw(_elements(_ATOM))}</entry>" for _ in range(count))
        atom = 'xmlns="http://www.w3.org/2005/Atom"'
        feed = f"<feed {atom}{_NAMESPACES}><title>{title}</title>{entries}</feed>"
    return ('<?xml version="1.0" encoding="utf-8"?>' + feed).encode("utf-8", "surrogatepass")


@given(feed=hostile_feeds())
def test_hostile_entries_import_as_feedparser_reads_them_and_round_trip(feed: bytes) -> None:
    stream = io.BytesIO(feed)
    parsed = feedparser.parse(stream, sanitize_html=False, resolve_relative_uris=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clipdoc.ClipdocWarning)
        if not parsed.entries:
            with pytest.raises(ClipdocError, match="nothing to import"):
                feeds.from_feed(feed, saved_at=SAVED)
            return
        clips = feeds.from_feed(feed, saved_at=SAVED)
    assert len(clips) == len(parsed.entries)
    for clip, entry in zip(clips, parsed.entries, strict=True):
        assert clipdoc.parse(clipdoc.render(clip)) == clip
        # Every author, category and enclosure feedparser read is kept.
        authors = _all(clip, "作者")
        for author in entry.get("authors", []):
            name = one_line(author.get("name"))
            if name:
                assert any(text == name or text.startswith(f"{name} ") for text in authors)
        for tag in entry.get("tags", []):
            term = one_line(tag.get("term"))
            if term:
                assert any(
                    text == term or text.startswith(f"{term} (") for text in _all(clip, "标签")
                )
        enclosures = [text.split(" ")[0] for text in _all(clip, "附件")]
        for link in entry.get("links", []):
            href = one_line(link.get("href"))
            if link.get("rel") == "enclosure" and href:
                assert re.sub(r"\s", "%20", href) in enclosures


def test_the_documented_tables_name_every_place() -> None:
    from clipdoc._interop import feed_terms

    labels = [
        value
        for name, value in vars(feed_terms).items()
        if name.isupper() and isinstance(value, str) and not value.isascii()
    ]
    assert len(labels) == 21
    docs = (ROOT / "docs" / "interop.md").read_text(encoding="utf-8")
    docs = docs[docs.index("## Feeds in") : docs.index("## Feeds out")]
    spec = (ROOT / "spec" / "clipdoc-1.2.md").read_text(encoding="utf-8")
    spec = spec[spec.index("### 17.1 Feeds in") :]
    # The first cell of a row of each table names the place.
    docs_places, spec_places = (
        [line.split("|")[1] for line in text.splitlines() if line.startswith("| ")]
        for text in (docs, spec)
    )
    for label in labels:
        assert any(
            place.startswith((" item", " section")) and label in place for place in docs_places
        ), label
        assert any(f"`{label}`" in place for place in spec_places), label


def test_a_title_wrapped_onto_lines_is_one_line_with_single_spaces() -> None:
    # arXiv's API indents the next lines of a long title.
    atom = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>arXiv</title><entry>'
        b"<title>Agents Decision-making\n  in Virtual Escape  Rooms</title>"
        b'<id>http://arxiv.org/abs/2406.19407v8</id><link href="http://arxiv.org/abs/2406.19407v8"/>'
        b"</entry></feed>"
    )
    [clip] = feeds.from_feed(atom, saved_at=SAVED)
    assert (
        clip.title == "Agents Decision-making in Virtual Escape  Rooms"
    )  # a typed double space stays


def test_a_damaged_extension_is_said_and_the_entry_read_from_its_fields() -> None:
    clip = Clipping(title="t", url="https://example.com/1", ai_summary="mine")
    data = json.loads(feeds.to_json_feed([clip], title="T"))
    data["items"][0]["_clipdoc"]["clipping"]["title"] = 5
    with pytest.warns(
        clipdoc.ClipdocWarning, match="carries clipdoc's extension, but its clipping"
    ):
        [back] = feeds.from_feed(json.dumps(data).encode(), saved_at=SAVED)
    assert back.title == "t"
    atom = feeds.to_atom([clip], title="T").replace(b'"title": "t"', b'"title": 5')
    with pytest.warns(clipdoc.ClipdocWarning, match="carries clipdoc's extension"):
        feeds.from_feed(atom, saved_at=SAVED)


@pytest.mark.parametrize("writer", [feeds.to_atom, feeds.to_rss])
def test_the_extension_is_known_by_its_namespace_not_its_prefix(writer: Any) -> None:
    clip = Clipping(title="t", url="https://example.com/1", ai_summary="mine", original_summary="o")
    written = writer([clip], title="T")
    # Another prefix for clipdoc's namespace: still the whole clipping.
    renamed = written.replace(b"xmlns:clipdoc=", b"xmlns:cd=")
    renamed = renamed.replace(b"<clipdoc:", b"<cd:").replace(b"</clipdoc:", b"</cd:")
    assert b"clipdoc:" not in renamed
    assert feeds.from_feed(renamed, saved_at=SAVED) == [clip]
    # The prefix clipdoc bound to another namespace: an ordinary field, kept.
    foreign = written.replace(feeds.NAMESPACE.encode(), b"https://example.com/other")
    [back] = feeds.from_feed(foreign, saved_at=SAVED)
    assert back != clip
    assert back.metadata is not None
    assert "clipdoc_clipping" in dict(back.metadata.extra)


def test_a_lone_surrogate_in_a_json_feed_becomes_a_replacement_character() -> None:
    text = (
        '{"version": "https://jsonfeed.org/version/1.1", "title": "B", "items": ['
        '{"url": "https://e.com/1", "title": "good"},'
        '{"url": "https://e.com/2", "title": "bad\\ud800", "tags": ["x\\udc00"],'
        ' "content_html": "<p>\\ud800</p>", "_ext": {"a": "\\udfff"}}]}'
    )
    good, bad = feeds.from_feed(text.encode(), saved_at=SAVED)
    assert good.title == "good"
    assert bad.title == "bad\ufffd"
    assert bad.original_summary == "<p>\ufffd</p>"
    assert clipdoc.parse(clipdoc.render(bad)) == bad  # a document holds it


def test_lists_nested_past_the_stack_are_kept_as_json_not_an_exception() -> None:
    nested = "[" * 5000 + "]" * 5000
    text = (
        '{"version": "https://jsonfeed.org/version/1.1", "title": "B", "items": ['
        f'{{"url": "https://e.com/1", "title": "t", "_ext": {nested}}}]}}'
    )
    try:
        clips = feeds.from_feed(text.encode(), saved_at=SAVED)
    except ClipdocError as error:
        assert error.code == "CD601"  # noqa: PT017 - too deep for the JSON reader: said so
    else:
        assert clips[0].title == "t"


def test_a_json_feed_number_longer_than_python_reads_is_kept_as_its_digits() -> None:
    digits = "9" * 5000
    feed = (
        '{"version": "https://jsonfeed.org/version/1.1", "title": "F", "items": [{"id": "1",'
        ' "url": "https://example.com/1", "title": "T", "content_text": "c",'
        f' "_rank": {digits}}}]}}'
    )
    (clipping,) = feeds.from_feed(feed.encode())
    assert clipping.metadata is not None
    assert ("_rank", digits) in clipping.metadata.extra
