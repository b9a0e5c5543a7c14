"""clipdoc.html: text, links, media, hashtags and safe HTML of original summaries."""

from __future__ import annotations

import html as stdlib_html
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import bs4
import pytest
from hypothesis import given
from hypothesis import strategies as st

import clipdoc
from clipdoc import html
from conftest import EXAMPLE
from xss import XSS_VECTORS

PARSERS = ["lxml", "html.parser"]


@pytest.fixture(scope="module")
def seed() -> clipdoc.Clipping:
    return clipdoc.load(EXAMPLE)


def test_seed_hashtags_images_links(seed: clipdoc.Clipping) -> None:
    assert html.hashtags(seed) == ["阿里通义应用视觉团队负责人离职", "阿里通义薄列峰离职"]
    assert html.images(seed) == [
        "https://tvax3.sinaimg.cn/large/006Fd7o3gy1i15s03zmawj308k0cuwfy.jpg",
        "https://tvax2.sinaimg.cn/large/006Fd7o3gy1i15s080apkj30zk0ikq9q.jpg",
        "https://tvax1.sinaimg.cn/large/006Fd7o3gy1i15s09edfhj30zk0n4k3m.jpg",
    ]
    assert html.videos(seed) == []
    found = html.links(seed)
    assert [label for label, _ in found] == [
        "#阿里通义应用视觉团队负责人离职#",
        "#阿里通义薄列峰离职#",
    ]
    assert found[0][1].startswith("https://m.weibo.cn/search?containerid=231522type%3D1")
    assert "&extparam=" in found[0][1]  # the entity &amp; is decoded


@pytest.mark.parametrize("parser", PARSERS)
def test_seed_text(seed: clipdoc.Clipping, parser: str) -> None:
    text = html.text(seed, parser=parser)
    paragraphs = text.split("\n\n")
    assert paragraphs[0] == (
        "#阿里通义应用视觉团队负责人离职##阿里通义薄列峰离职#\n"
        "五一节后第一口瓜，曝阿里通义实验室高层人员离职变动！"
    )
    assert paragraphs[1].startswith("“互联网八卦小喇叭”等多个微信公众号爆料")
    assert (
        paragraphs[-1] == "2022年，离开京东数字科技集团的薄列峰开启了阿里之旅，直到此次五一节前。"
    )
    assert "<" not in text
    assert "\n\n\n" not in text


@pytest.mark.parametrize(
    ("summary", "expected"),
    [
        ("a<br>b<br/>c<br />d", "a\nb\nc\nd"),
        ("<p>one</p><p>two</p>", "one\n\ntwo"),
        ("<div>one</div><div>two</div>", "one\ntwo"),
        ("x &amp; y &lt;tag&gt; &#x4e2d;&#25991; &nbsp;z", "x & y <tag> 中文 z"),
        ("<span>  many   \n  spaces </span><br>  next", "many spaces\nnext"),
        ("<b>bold</b><script>alert(1)</script><style>p{}</style>", "bold"),
        ("<!-- a comment --><i>kept</i>", "kept"),
        ("a<br><br><br><br>b", "a\n\nb"),
        ("<ul><li>one</li><li>two</li></ul>", "one\ntwo"),
        ("<a href='x'>link</a> after", "link after"),
    ],
)
@pytest.mark.parametrize("parser", PARSERS)
def test_text_of_html(summary: str, expected: str, parser: str) -> None:
    assert html.text(summary, parser=parser) == expected


@pytest.mark.parametrize(
    ("summary", "expected"),
    [
        ("a < b and c > d", "a < b and c > d"),
        ("x<y and z>w", "x<y and z>w"),
        ("Large language\nmodels are\nwidely used.\n", "Large language models are widely used."),
        ("first\nparagraph\n\nsecond\nparagraph", "first paragraph\n\nsecond paragraph"),
        ("retrieval-\naugmented generation", "retrieval-augmented generation"),
        ("evaluator -\ncollaborate", "evaluator - collaborate"),
        ("crlf\r\nlines\r\n\r\nnext", "crlf lines\n\nnext"),
        ("  spaced   out \t text  ", "spaced out text"),
        ("AT&T &amp; entities &#x4e2d;", "AT&T & entities 中"),
        ("", ""),
    ],
)
def test_text_of_plain_text(summary: str, expected: str) -> None:
    assert not html.is_html(summary)
    assert html.text(summary) == expected


def test_none_and_clipping_inputs() -> None:
    assert html.text(None) == ""
    assert html.images(clipdoc.Clipping(title="t")) == []
    with pytest.raises(TypeError):
        html.text(5)  # type: ignore[arg-type]


@pytest.mark.parametrize("parser", PARSERS)
def test_media_in_document_order(parser: str) -> None:
    summary = (
        '<img src="https://i/1.jpg"><video controls poster="https://i/2.jpg">'
        '<source src="https://v/720.mp4?a=1&amp;b=2"><source src="https://v/hd.mp4"></video>'
        '<img data-src="https://i/3.jpg"><img alt="no source"><video src="https://v/direct.mp4">'
    )
    assert html.images(summary, parser=parser) == [
        "https://i/1.jpg",
        "https://i/2.jpg",
        "https://i/3.jpg",
    ]
    assert html.videos(summary, parser=parser) == [
        "https://v/720.mp4?a=1&b=2",
        "https://v/hd.mp4",
        "https://v/direct.mp4",
    ]


def test_links_of_plain_text() -> None:
    abstract = "Code at https://github.com/a/b. See (https://x.org/p?q=1), too."
    assert html.links(abstract) == [
        ("https://github.com/a/b", "https://github.com/a/b"),
        ("https://x.org/p?q=1", "https://x.org/p?q=1"),
    ]


def test_hashtags_are_weibo_topics() -> None:
    summary = '<span class="surl-text">#新模型#</span> #新模型# #另一个话题# C# F# #  # ##'
    assert html.hashtags(summary) == ["新模型", "另一个话题"]


def test_each_helper_parses_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = bs4.BeautifulSoup

    def counting(*args: object, **kwargs: object) -> bs4.BeautifulSoup:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(bs4, "BeautifulSoup", counting)
    summary = html.Summary(EXAMPLE.read_text(encoding="utf-8"))
    _ = (summary.links, summary.text, summary.images, summary.videos, summary.hashtags)
    assert len(calls) == 1
    html.text("plain text is never parsed as HTML")
    assert len(calls) == 1
    assert html.Summary("<b>x</b>", parser="html.parser").text == "x"
    assert len(calls) == 2


@pytest.mark.skipif(html.default_parser() != "lxml", reason="lxml is not installed")
def test_text_alone_is_read_from_lxml_own_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    # Beautiful Soup's tree costs four times lxml's: text alone does not build it.
    monkeypatch.setattr(bs4, "BeautifulSoup", None)
    assert html.text("<p>a<br>b</p><p>#c#</p>") == "a\nb\n\n#c#"
    assert html.hashtags("<p>#c# <b>#d#</b></p>") == ["c", "d"]


_SUMMARY_PIECES = st.sampled_from(
    [
        *("#", "a", "b c", " ", "\n", "\r", "\t", "\u3000", "\xa0", "话题", "&#35;", "&amp;"),
        *("&nbsp;", "&lt;", "<p>", "</p>", "<br>", "<br/>", "<div>", "</div>", "<span>", "<!--"),
        *("-->", "<", ">", "<script>", "</script>", "<li>", "<h1>", "</h1>", "<pre>", "</pre>"),
        *("<a href='#x'>", "</a>", "<title>", "<head>", "<body>", "</body>", "</html>", "<html>"),
        *("<?x ?>", "<o:p>", "\ufeff", "<![CDATA[x]]>", "<!DOCTYPE html>", "<table>", "<td>"),
        *("<noscript>", "<template>", "<style>", "</style>", "<select>", "<svg>", "<math>", "&"),
    ]
)


@pytest.mark.skipif(html.default_parser() != "lxml", reason="lxml is not installed")
@given(st.lists(_SUMMARY_PIECES, max_size=40) | st.text(max_size=60))
def test_text_from_lxml_tree_is_that_of_beautiful_soup_tree(pieces: list[str] | str) -> None:
    summary = "".join(pieces)
    through_soup = html.Summary(summary)
    _ = through_soup.soup  # the text then comes from Beautiful Soup's tree
    assert html.Summary(summary).text == through_soup.text


def test_import_and_parse_do_not_import_bs4() -> None:
    code = (
        "import sys, clipdoc\n"
        "clipdoc.parse(open(sys.argv[1], encoding='utf-8').read())\n"
        "import clipdoc.html\n"
        "assert 'bs4' not in sys.modules, 'bs4 imported'\n"
        "clipdoc.html.links('<a href=\"https://x.example/\">x</a>')\n"
        "assert 'bs4' in sys.modules\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(EXAMPLE)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def _real_tags(raw: str) -> set[str]:
    return {name.lower() for name in re.findall(r"<(?!!)/?([a-zA-Z][a-zA-Z0-9]*)", raw)}


def test_every_shared_html_document(corpus_files: list[Path]) -> None:
    html_documents = plain_documents = 0
    for path in corpus_files:
        clip = clipdoc.load(path)
        source = clip.original_summary or ""
        if not html.is_html(source):
            plain_documents += 1
            text = html.text(source)
            for paragraph in text.split("\n\n"):
                assert "\n" not in paragraph, path.name
            decoded = stdlib_html.unescape(source)
            assert re.sub(r"\s", "", text) == re.sub(r"\s", "", decoded), path.name
            continue
        html_documents += 1
        expected_images = [
            stdlib_html.unescape(src) for src in re.findall(r'<img[^>]*?\ssrc="([^"]*)"', source)
        ]
        for parser in PARSERS:
            summary = html.Summary(source, parser=parser)
            lowered = summary.text.lower()
            for name in _real_tags(source):
                assert not re.search(f"<{name}[\\s/>]", lowered), (path.name, parser, name)
            assert [url for url in summary.images if url in expected_images] == expected_images
            assert len(summary.videos) == source.count("<source ")
    assert html_documents >= 200
    assert plain_documents >= 100


# -- safe_html ---------------------------------------------------------------


_FORBIDDEN_TAGS = {
    "script", "style", "iframe", "object", "embed", "form", "meta", "link", "svg", "math",
    "base", "input", "button", "details", "noscript", "frame", "frameset", "applet", "body",
}  # fmt: skip


def _assert_safe(output: str) -> None:
    soup = bs4.BeautifulSoup(output, "html.parser")
    for tag in soup.find_all(True):
        assert tag.name not in _FORBIDDEN_TAGS, output
        assert tag.name in html.SAFE_TAGS, output
        for name, value in tag.attrs.items():
            assert not name.lower().startswith("on"), output
            assert name.lower() != "style", output
            text = " ".join(value) if isinstance(value, list) else str(value)
            # What a browser would see as the scheme, after dropping the
            # characters it ignores inside one.
            compact = re.sub(r"[\x00-\x20]", "", text).lower()
            assert not compact.startswith(("javascript:", "vbscript:", "data:")), output
            if name.lower() in {"href", "src"}:
                assert urlsplit(text.strip()).scheme.lower() in {"", "http", "https", "mailto"}
    assert "<script" not in output.lower()


@pytest.mark.parametrize("vector", XSS_VECTORS)
def test_safe_html_defeats_xss(vector: str) -> None:
    _assert_safe(html.safe_html(vector))


def test_at_least_thirty_vectors() -> None:
    assert len(XSS_VECTORS) >= 30


def test_safe_html_keeps_ordinary_content(seed: clipdoc.Clipping) -> None:
    output = html.safe_html(seed)
    _assert_safe(output)
    soup = bs4.BeautifulSoup(output, "html.parser")
    anchors = soup.find_all("a")
    assert len(anchors) == 2
    assert all(a["rel"] == ["noopener", "noreferrer"] for a in anchors)
    assert [img["src"] for img in soup.find_all("img")] == html.images(seed)
    assert all(img.get("referrerpolicy") == "no-referrer" for img in soup.find_all("img"))
    assert len(soup.find_all("br")) == seed.original_summary.count("<br>")  # type: ignore[union-attr]
    assert "五一节后第一口瓜" in soup.get_text()


def test_safe_html_of_plain_text_is_escaped_paragraphs() -> None:
    assert html.safe_html("a < b\nwrapped\n\n<not a tag> & more") == (
        "<p>a &lt; b wrapped</p><p>&lt;not a tag&gt; &amp; more</p>"
    )


def test_every_shared_document_is_sanitized(corpus_files: list[Path]) -> None:
    for path in corpus_files:
        _assert_safe(html.safe_html(clipdoc.load(path)))


@pytest.mark.parametrize("tag", ["div", "span", "b", "p", "table"])
@pytest.mark.parametrize("depth", [255, 300, 5_000])
def test_markup_nested_any_depth_is_read(tag: str, depth: int) -> None:
    markup = (
        f"<{tag}>" * depth
        + "#话题# #second# <a href='https://x.example/'>l</a>"
        + f"</{tag}>" * depth
    )
    assert html.hashtags(markup) == ["话题", "second"]
    assert html.text(markup) == "#话题# #second# l"
    # The site finds them in lxml's tree when it can: the same tags.
    from clipdoc._site.pages import summary_hashtags

    assert summary_hashtags(clipdoc.Clipping(title="t", original_summary=markup)) == (
        "话题",
        "second",
    )
