"""The static site: pages, links, safety, search index, incremental and
atomic builds, themes, the command. (In a real browser: test_site_browser.py.)"""

from __future__ import annotations

import collections.abc
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import unicodedata
import unittest.mock
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import attrs
import bs4
import pytest
from hypothesis import given
from hypothesis import strategies as st

import clipdoc
from clipdoc import ClipdocError, Clipping, Metadata, render
from clipdoc._cli import main
from clipdoc._site import pages, search
from clipdoc._storage import cache as stat_cache
from clipdoc._storage.documents import read_document_file
from clipdoc._storage.files import Folder
from clipdoc._storage.walk import Found, walk
from clipdoc.site import CONTENT_SECURITY_POLICY, MANIFEST, build_site
from conftest import EXAMPLE, shared_corpus_files, wait_for_the_clock
from hostile import CORPUS, build_hostile_site, write_hostile


def soup_of(path: Path) -> Any:
    """The parsed page (typed Any: the tests look into it freely)."""
    return bs4.BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def local_links(site: Path, page: str) -> list[str]:
    """The site pages ``page`` links to, relative to the site."""
    found = []
    for anchor in soup_of(site / page).find_all("a", href=True):
        href = anchor["href"]
        if urlsplit(href).scheme or href.startswith("#"):
            continue
        target = os.path.normpath(os.path.join(os.path.dirname(page), unquote(href.split("#")[0])))
        found.append(target.replace(os.sep, "/"))
    return found


def reachable(site: Path) -> set[str]:
    seen = {"index.html"}
    todo = ["index.html"]
    while todo:
        for target in local_links(site, todo.pop()):
            if target.endswith(".html") and target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def all_pages(site: Path) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))


def make_collection(folder: Path, clippings: list[Clipping]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for number, clipping in enumerate(clippings):
        (folder / f"{number:03d}.md").write_text(render(clipping), encoding="utf-8")
    return folder


def sample(number: int, **changes: object) -> Clipping:
    fields: dict[str, object] = {
        "title": f"Clipping number {number} about topic{number}",
        "url": f"https://example.org/{number}",
        "original_summary": f"Original <b>summary</b> {number} #tag{number % 3}#",
        "ai_summary": f"AI summary **{number}** word{number}",
        "metadata": Metadata(source="Test", catalog_date=date(2025, 1, 1 + number % 28)),
    }
    fields.update(changes)
    return Clipping(**fields)  # type: ignore[arg-type]


def theme_of(folder: Path, templates: dict[str, str]) -> Path:
    """A theme folder holding ``templates`` (name: source)."""
    (folder / "templates").mkdir(parents=True)
    for name, source in templates.items():
        (folder / "templates" / name).write_text(source, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[str]]:
    """The shared corpus (or the example, outside this workplace) plus the
    hostile documents, built."""
    root = tmp_path_factory.mktemp("collection")
    site = tmp_path_factory.mktemp("site") / "out"
    return root, site, build_hostile_site(root, site)


# ----------------------------------------------------------------- the pages


def test_every_document_has_a_page_with_its_title_reachable_from_home(
    hostile_site: tuple[Path, Path, list[str]],
) -> None:
    root, site, _ = hostile_site
    found = reachable(site)
    collection = clipdoc.Collection(root)
    count = 0
    for entry in collection:
        assert entry.clipping is not None, entry.diagnostics
        page = pages.clipping_page(entry.path)
        assert page in found, entry.path
        headings = soup_of(site / page).find_all("h1")
        assert [h.get_text() for h in headings] == [entry.clipping.title or "(untitled)"]
        count += 1
    assert count >= (389 if CORPUS.is_dir() else 10)
    assert set(all_pages(site)) == found | {"search.html"}  # no orphan page (search: a form)


def test_every_link_inside_the_site_leads_to_a_file(
    hostile_site: tuple[Path, Path, list[str]],
) -> None:
    _, site, _ = hostile_site
    for page in all_pages(site):
        for target in local_links(site, page):
            assert (site / target).is_file(), (page, target)


def test_no_page_can_run_a_document_s_script(hostile_site: tuple[Path, Path, list[str]]) -> None:
    _, site, _ = hostile_site
    for page in all_pages(site):
        soup = soup_of(site / page)
        policies = soup.find_all("meta", attrs={"http-equiv": "Content-Security-Policy"})
        assert [p["content"] for p in policies] == [CONTENT_SECURITY_POLICY]
        scripts = soup.find_all("script")
        assert all(s.get("src") == "search.js" and not s.string for s in scripts), page
        if page != "search.html":
            assert not scripts
        for tag in soup.find_all(True):
            assert tag.name not in {"iframe", "object", "embed", "form"} or (
                tag.name == "form" and tag.get("action", "").endswith("search.html")
            ), (page, tag)
            for name, value in tag.attrs.items():
                assert not name.lower().startswith("on"), (page, tag)
                assert name.lower() not in {"style", "srcdoc", "formaction"}, (page, tag)
                if name in {"href", "src", "action", "poster"}:
                    scheme = urlsplit(value).scheme.lower()
                    assert scheme in {"", "http", "https", "mailto", "data"}, (page, value)
                    assert scheme != "data" or value == "data:,", (page, value)


def test_policy_forbids_inline_script() -> None:
    directives = dict(d.strip().split(" ", 1) for d in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["script-src"] == "'self'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY
    assert directives["default-src"] == "'none'"
    assert directives["object-src"] == "'none'"


def test_hostile_page_shows_every_field_as_text(
    hostile_site: tuple[Path, Path, list[str]],
) -> None:
    root, site, hostile = hostile_site
    for path in hostile:
        clipping = clipdoc.load(root / path)
        soup = soup_of(site / pages.clipping_page(path))
        text = soup.get_text()
        assert clipping.title in text
        assert clipping.metadata is not None
        for label, value in clipping.metadata.items():
            assert label in text
            assert value in text
        for section in clipping.extra_sections:
            assert section.heading in [h.get_text() for h in soup.find_all("h2")]
        link = soup.find("p", class_="original-link")
        assert link is not None
        assert clipping.url is not None
        assert clipping.url.strip() in link.get_text()
        anchors = link.find_all("a")
        assert all(urlsplit(a["href"]).scheme in {"http", "https"} for a in anchors)


def test_images_send_no_referrer_and_relative_urls_are_dropped(tmp_path: Path) -> None:
    summary = '<img src="https://wx1.sinaimg.cn/a.jpg"><img src="/local.png"><a href="x.html">r</a>'
    root = make_collection(tmp_path / "c", [sample(1, original_summary=summary)])
    build_site(root, tmp_path / "site")
    soup = soup_of(tmp_path / "site" / pages.clipping_page("000.md"))
    images = soup.select(".original img")
    assert [i.get("src") for i in images] == ["https://wx1.sinaimg.cn/a.jpg", None]
    assert all(i["referrerpolicy"] == "no-referrer" for i in images)
    assert soup.select_one(".original a").get("href") is None
    assert soup.find("meta", attrs={"name": "referrer"})["content"] == "no-referrer"


def test_plain_abstract_is_unwrapped_and_markdown_rendered(tmp_path: Path) -> None:
    abstract = "Hard wrapped\nabstract lines\n\nSecond paragraph <not a tag> & more."
    ai = "# Heading\n\n- one\n- two\n\n[link](https://example.org) and `code`"
    root = make_collection(tmp_path / "c", [sample(1, original_summary=abstract, ai_summary=ai)])
    build_site(root, tmp_path / "site")
    soup = soup_of(tmp_path / "site" / pages.clipping_page("000.md"))
    paragraphs = [p.get_text() for p in soup.select(".original p")]
    assert paragraphs == ["Hard wrapped abstract lines", "Second paragraph <not a tag> & more."]
    markdown = soup.select_one(".markdown")
    assert markdown.find("h3").get_text() == "Heading"  # the title stays the only h1
    assert [li.get_text() for li in markdown.find_all("li")] == ["one", "two"]
    assert markdown.find("a")["href"] == "https://example.org"


def test_groups_pages_and_saves_of_one_address(tmp_path: Path) -> None:
    clippings = [
        sample(1, url="https://weibo.com/1", original_summary="<p>#话题#</p>"),
        sample(2, url="https://m.weibo.cn/2", original_summary="#话题# again"),
        sample(3, url="https://arxiv.org/abs/1", original_summary="plain"),
        sample(4, url="https://arxiv.org/abs/1", original_summary="same URL"),
        sample(5, url="http://arxiv.org/pdf/2406.19407v2", original_summary="a"),
        sample(6, url="https://arxiv.org/abs/2406.19407v8", original_summary="the same paper"),
    ]
    root = make_collection(tmp_path / "c", clippings)
    build_site(root, tmp_path / "site")
    site = tmp_path / "site"
    sources = {a.get_text(): a["href"] for a in soup_of(site / "sources.html").select(".groups a")}
    assert set(sources) == {"weibo.com", "weibo.cn", "arxiv.org"}
    # Two addresses saved twice each: one entry each, its newest save.
    arxiv = soup_of(site / sources["arxiv.org"])
    assert [a["href"] for a in arxiv.select(".entry-title a")] == [
        "../" + pages.clipping_page("005.md"),
        "../" + pages.clipping_page("003.md"),
    ]
    assert (
        arxiv.select_one(".saved").get_text() == "saved 2 times, first 2025-01-06, last 2025-01-07"
    )
    tags = {a.get_text(): a["href"] for a in soup_of(site / "tags.html").select(".groups a")}
    assert list(tags) == ["#话题#"]
    assert len(soup_of(site / tags["#话题#"]).select(".entry")) == 2
    page = soup_of(site / pages.clipping_page("003.md"))
    saves = page.find("section", attrs={"aria-labelledby": "saves"})
    assert saves.h2.get_text() == "Saved 2 times"
    # Each save, this one in bold; the versions, as their texts differ.
    assert [a["href"] for a in saves.select(".saves a")] == ["../" + pages.clipping_page("002.md")]
    assert saves.select_one(".saves strong").get_text() == "2025-01-05"
    # This page's version in bold, the other a link; each with its saves.
    assert saves.select_one(".versions strong").get_text() == clippings[3].title
    assert [a["href"] for a in saves.select(".versions a")] == [
        "../" + pages.clipping_page("002.md")
    ]
    assert [li.get_text().rsplit(" (", 1)[1] for li in saves.select(".versions li")] == [
        "1 save, 2025-01-05 to 2025-01-05)",
        "1 save, 2025-01-04 to 2025-01-04)",
    ]
    # Another spelling of one URL (clipdoc.url_key) is the same address too.
    page = soup_of(site / pages.clipping_page("005.md"))
    saves = page.find("section", attrs={"aria-labelledby": "saves"})
    assert [a["href"] for a in saves.select(".saves a")] == ["../" + pages.clipping_page("004.md")]
    alone = soup_of(site / pages.clipping_page("000.md"))
    assert alone.find("section", attrs={"aria-labelledby": "saves"}) is None


def test_a_tag_spelt_in_other_cases_or_widths_is_one_tag(tmp_path: Path) -> None:
    clippings = [
        sample(1, original_summary="#AI创造营# first"),
        sample(2, original_summary="#ai创造营# second"),
        sample(3, original_summary="#AI创造营# third #ＡＩ创造营#"),  # both, in one
    ]
    root = make_collection(tmp_path / "c", clippings)
    build_site(root, tmp_path / "site")
    site = tmp_path / "site"
    tags = {a.get_text(): a["href"] for a in soup_of(site / "tags.html").select(".groups a")}
    assert list(tags) == ["#AI创造营#"]  # the spelling used most
    tag_page = soup_of(site / tags["#AI创造营#"])
    assert len(tag_page.select(".entry")) == 3
    assert tag_page.h1.get_text() == "#AI创造营#"
    for number, spelling in [(1, "#ai创造营#"), (2, "#AI创造营#")]:
        links = soup_of(site / pages.clipping_page(f"{number:03d}.md")).select(".tags a")
        assert [a.get_text() for a in links] == [spelling]  # as the document spells it
        assert links[0]["href"] == "../" + tags["#AI创造营#"]
    assert len(list((site / "t").iterdir())) == 1


def test_a_clipping_saved_many_times_is_one_entry_with_its_saves_on_its_page(
    tmp_path: Path,
) -> None:
    first = date(2025, 1, 1)
    same = {"url": "https://weibo.com/1870858943/Pw1", "title": "一条微博"}
    # The producer writes the AI summary anew at each save: copies still.
    clippings = [
        sample(
            n,
            **same,
            original_summary="原文 #话题#",
            ai_summary=f"第{n}次的摘要",
            metadata=Metadata(catalog_date=first + timedelta(n % 20)),
        )
        for n in range(130)
    ]
    clippings += [sample(200, url="https://example.org/other")]
    root = make_collection(tmp_path / "c", clippings)
    build_site(root, tmp_path / "site", lang="en")
    site = tmp_path / "site"
    home = soup_of(site / "index.html")
    titles = [a.get_text() for a in home.select(".entry-title a")]
    assert titles.count("一条微博") == 1
    assert home.select_one(".count").get_text().startswith("2 clippings")
    for tag_page in (site / "t").iterdir():
        entries = [a.get_text() for a in soup_of(tag_page).select(".entry-title a")]
        assert entries.count("一条微博") <= 1
    day = soup_of(site / pages.date_page(first))
    assert len(day.select(".entry")) == 1  # seven saves that day: one entry
    page = soup_of(site / pages.clipping_page("050.md"))
    saves = page.find("section", attrs={"aria-labelledby": "saves"})
    assert saves.h2.get_text() == "Saved 130 times"
    assert saves.select_one(".count").get_text() == "First 2025-01-01, last 2025-01-20."
    # Copies are not versions: one text, no list of versions.
    assert saves.select(".versions") == []
    # The nearest hundred saves, this one among them, and a count of the rest.
    shown = saves.select(".saves a, .saves strong")
    assert len(shown) == 100
    assert saves.select_one(".saves").get_text().endswith("and 30 more")
    assert len(saves.select(".saves strong")) == 1


def test_home_is_newest_first_and_paginated(tmp_path: Path) -> None:
    clippings = [sample(n) for n in range(60)]
    root = make_collection(tmp_path / "c", clippings)
    build_site(root, tmp_path / "site")
    site = tmp_path / "site"
    listed = []
    page = "index.html"
    while page:
        soup = soup_of(site / page)
        listed += [a.get_text() for a in soup.select(".entry-title a")]
        following = soup.select_one('.pager a[rel="next"]')
        page = (
            os.path.normpath(os.path.join(os.path.dirname(page), following["href"]))
            if (following)
            else ""
        )
    day = {
        c.title: c.metadata.catalog_date
        for c in clippings
        if c.metadata and c.metadata.catalog_date
    }
    assert sorted(listed) == sorted(day)
    assert [day[t] for t in listed] == sorted(day.values(), reverse=True)
    assert soup_of(site / "index.html").select_one('[aria-current="page"]').get_text() == "1"


def test_documents_with_errors_get_a_page_that_says_so(tmp_path: Path) -> None:
    root = tmp_path / "c"
    root.mkdir()
    (root / "bad.md").write_text("# title\n\nstray text\n\n## 原始摘要\n\nx\n", encoding="utf-8")
    (root / "binary.md").write_bytes(b"# t\n\xff\xfe")
    report = build_site(root, tmp_path / "site")
    assert report.skipped == ("binary.md",)
    assert report.documents == 1
    assert {path for path, _ in report.problems} == {"bad.md", "binary.md"}
    aside = soup_of(tmp_path / "site" / pages.clipping_page("bad.md")).find("aside")
    assert aside is not None
    assert "clipdoc check bad.md" in aside.get_text()


def test_empty_collection_builds_a_site(tmp_path: Path) -> None:
    (tmp_path / "c").mkdir()
    report = build_site(tmp_path / "c", tmp_path / "site")
    assert report.documents == 0
    assert "No clippings yet." in (tmp_path / "site" / "index.html").read_text()


# ------------------------------------------------------------- the search index


def test_tokens_of_cjk_and_latin() -> None:
    assert search.tokens("大模型") == ["大", "模", "型", "大模", "模型"]
    assert search.tokens("Ｆｕｌｌ Width, ÉCOLE a 42") == ["full", "width", "école", "42"]
    assert search.tokens("") == []
    assert search.tokens("GPT-4o的能力") == ["gpt", "4o", "的", "能", "力", "的能", "能力"]


_WIDTH_PIECES = st.sampled_from(
    [
        *"Ａａ０！（），：；？～｟｠\u3000\uff5e\uff5f。、",
        "\u0301",
        "\u3099",
        "\u309a",
        *"かﾊﾞ가\u1161e",
        "ﬁ",
    ]
)


@given(st.text(_WIDTH_PIECES) | st.text())
def test_nfkc_is_unicodedata_s(text: str) -> None:
    # Full-width forms replaced first, followed by marks that compose.
    assert search.nfkc(text) == unicodedata.normalize("NFKC", text)


def test_tokens_split_words_at_cjk_runs_and_skip_cjk_punctuation() -> None:
    assert search.tokens("abc大de") == ["abc", "大", "de"]
    assert search.tokens("a大b ab_cd") == ["大", "ab", "cd"]
    # The katakana middle dot is punctuation: it ends a word, as in search.js.
    assert search.tokens("ア・イ") == ["ア", "イ"]


_SUMMARY_PIECES = st.sampled_from(
    [
        *("#", "#", "a", "b c", " ", "\n", "\u3000", "话题", "&#35;", "&num;", "&amp;", "&nbsp;"),
        *("<p>", "</p>", "<br>", "<div>", "</div>", "<span>", "</span>", "<!--", "-->", "<"),
        *("<script>", "</script>", "<li>", "<h1>", "<pre>", "<a href='#x'>", "</a>", "<title>"),
        *("<head>", "<body>", "</body>", "</html>", "</HTML>", "<?x ?>", "<o:p>", "\ufeff", ">"),
    ]
)


@given(st.lists(_SUMMARY_PIECES, max_size=30))
def test_summary_hashtags_are_those_of_clipdoc_html(pieces: list[str]) -> None:
    from clipdoc.html import hashtags

    summary = "".join(pieces)
    expected = tuple(hashtags(summary))
    assert pages.summary_hashtags(Clipping(title="t", original_summary=summary)) == expected


@given(st.text())
def test_tokens_are_normalized_words(text: str) -> None:
    for token in search.tokens(text):
        assert token
        assert token == token.lower()
        assert all(c.isalnum() for c in token)


def decode_postings(encoded: list[int]) -> list[int]:
    numbers, number = [], 0
    for delta in encoded:
        number += delta
        numbers.append(number)
    return numbers


@given(st.lists(st.tuples(st.text(max_size=30), st.text(max_size=60)), max_size=12))
def test_index_finds_every_document_by_each_of_its_tokens(
    documents: list[tuple[str, str]],
) -> None:
    tokenized = [
        (tuple(dict.fromkeys(search.tokens(title))), tuple(dict.fromkeys(search.tokens(body))))
        for title, body in documents
    ]
    shards, tables = search.build_index(tokenized)
    assert len(tables) == shards
    every = {token for title, body in tokenized for token in (*title, *body)}
    assert sum(len(table) for table in tables) == len(every)
    for token in every:
        anywhere, in_title = tables[search.shard_of(token, shards)][token]
        expected = [n for n, (title, body) in enumerate(tokenized) if token in title + body]
        assert decode_postings(anywhere) == expected
        expected = [n for n, (title, _) in enumerate(tokenized) if token in title]
        assert decode_postings(in_title) == expected


_VOCABULARY = st.sampled_from(["a1", "b2", "大", "模型", "x9", "zz", "ß1", "型"])
_TOKENIZED = st.tuples(
    st.lists(_VOCABULARY, unique=True, max_size=3), st.lists(_VOCABULARY, unique=True, max_size=6)
)


@given(st.lists(_TOKENIZED, max_size=12), st.data())
def test_updating_an_index_gives_what_building_it_gives(
    old: list[tuple[list[str], list[str]]], data: st.DataObject
) -> None:
    """Documents kept (in their order), changed, dropped and added anywhere:
    the index updated from the old one is the one built from scratch."""
    new: list[tuple[tuple[list[str], list[str]], int | None]] = []
    for number, tokens in enumerate(old):
        fate = data.draw(st.sampled_from(["keep", "change", "drop"]))
        if fate == "keep":
            new.append((tokens, number))
        elif fate == "change":
            new.append((data.draw(_TOKENIZED), None))
    for _ in range(data.draw(st.integers(min_value=0, max_value=4))):
        new.insert(data.draw(st.integers(0, len(new))), (data.draw(_TOKENIZED), None))
    _, old_tables = search.build_index(old)
    new_of_old = [-1] * len(old)
    fresh = []
    for number, (tokens, old_number) in enumerate(new):
        if old_number is None:
            fresh.append((number, tokens))
        else:
            new_of_old[old_number] = number
    old_tables = json.loads(json.dumps(old_tables))  # as the files give it back
    updated = search.update_index(old_tables, new_of_old, fresh)
    assert updated == search.build_index([tokens for tokens, _ in new])


def test_an_index_is_not_updated_from_what_it_cannot_hold() -> None:
    _, tables = search.build_index([(["a1"], ["b2"]), ([], ["b2"])])
    with pytest.raises(ValueError, match="order"):
        search.update_index(tables, [1, 0], [])
    tables[0]["b2"][0] = [1, -1]
    with pytest.raises(ValueError, match="out of range"):
        search.update_index(tables, [0, 1], [])
    with pytest.raises(ValueError, match="out of range"):
        search.update_index(tables, [0], [])


def test_index_splits_into_more_shards_as_it_grows() -> None:
    small, _ = search.build_index([(["a1"], ["b1"])])
    # Words of many beginnings: a shard holds the tokens of a few beginnings.
    spread = [hashlib.sha1(str(n).encode()).hexdigest()[:8] for n in range(2300)]
    words = [spread[k : k + 300] for k in range(2000)]
    large, tables = search.build_index([(w[:5], w) for w in words])
    assert small == 1
    assert large > 1
    assert max(len(search.script("shard", 0, t)) for t in tables) < 4 * search.SHARD_TARGET


@given(st.lists(_TOKENIZED, max_size=12), st.integers(min_value=0, max_value=3000))
def test_the_shards_a_builder_hands_out_are_those_of_its_postings(
    documents: list[tuple[list[str], list[str]]], spread_words: int
) -> None:
    """`PostingsBuilder.shards` finds each shard's tokens by their hash as
    they came: the entries `shard_entries` makes of the whole postings, in
    one shard or many (words of many beginnings)."""
    spread = [hashlib.sha1(str(n).encode()).hexdigest()[:8] for n in range(spread_words)]
    documents = [*documents, ([], spread)]
    builder = search.PostingsBuilder()
    for title, body in documents:
        builder.add(title, body)
    count, handed_out = builder.shards()
    expected_count, expected = search.shard_entries((builder.anywhere, builder.in_title))
    assert count == expected_count
    assert [list(map(list, each)) for each in handed_out] == [
        list(map(list, each)) for each in expected
    ]


@given(st.integers(0, 40), st.integers(0, 10), st.integers(1, 12))
def test_shards_go_out_among_the_list_pages_in_order(pages: int, shards: int, every: int) -> None:
    from clipdoc._site.build import _interleaved

    items = [("page", n) for n in range(pages)]
    others = [("shard", n) for n in range(shards)]
    handed = list(_interleaved(iter(items), iter(others), every))
    assert [each for each in handed if each[0] == "page"] == items
    assert [each for each in handed if each[0] == "shard"] == others
    for place, each in enumerate(handed):
        if each[0] == "shard" and each[1] < pages // every:
            # Each shard but those left over follows its share of the pages.
            assert handed[:place].count(("page", (each[1] + 1) * every - 1)) == 1


def test_search_files_list_every_page(hostile_site: tuple[Path, Path, list[str]]) -> None:
    _, site, _ = hostile_site
    text = (site / "search" / "docs.js").read_text(encoding="utf-8")
    assert text.startswith("clipdocSearch.docs(")
    assert text.endswith(");\n")
    shards, count = search.read_header(text)
    listed = []
    for number in range(-(-count // search.BLOCK_SIZE)):
        block = (site / "search" / f"d{number}.js").read_text(encoding="utf-8")
        listed += search.read_block(block, number)
    assert len(listed) == count
    assert set(listed) == {p for p in all_pages(site) if p.startswith("c/")}
    assert len(list((site / "search").glob("s*.js"))) == shards


# ----------------------------------------------------------- incremental, atomic


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Each file's bytes and inode; the manifest without the identities it
    records (each build's own files' inodes and times)."""
    files = {
        p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_ino)
        for p in folder.rglob("*")
        if p.is_file()
    }
    if MANIFEST in files:
        manifest = json.loads(files[MANIFEST][0])
        manifest.pop("identities")
        files[MANIFEST] = (json.dumps(manifest, sort_keys=True).encode(), files[MANIFEST][1])
    return files


def test_second_build_renders_nothing_and_keeps_every_file(tmp_path: Path) -> None:
    root = make_collection(tmp_path / "c", [sample(n) for n in range(30)])
    first = build_site(root, tmp_path / "site")
    before = snapshot(tmp_path / "site")
    second = build_site(root, tmp_path / "site")
    assert first.rendered == first.files
    assert first.reused == 0
    assert second.rendered == 0
    assert second.reused == second.files == first.files
    after = snapshot(tmp_path / "site")
    assert {k: v[0] for k, v in after.items() if k != MANIFEST} == {
        k: v[0] for k, v in before.items() if k != MANIFEST
    }
    assert all(after[k][1] == before[k][1] for k in after if k != MANIFEST)


def test_changing_one_document_rebuilds_only_what_shows_it(tmp_path: Path) -> None:
    clippings = [sample(n, metadata=Metadata(catalog_date=date(2025, 1, 1 + n))) for n in range(30)]
    root = make_collection(tmp_path / "c", clippings)
    build_site(root, tmp_path / "site")
    before = snapshot(tmp_path / "site")
    (root / "005.md").write_text(
        render(attrs.evolve(clippings[5], ai_summary="changed")), encoding="utf-8"
    )
    report = build_site(root, tmp_path / "site")
    after = snapshot(tmp_path / "site")
    changed = {k for k in after if before.get(k, (b"", 0))[1] != after[k][1]} - {MANIFEST}
    assert pages.clipping_page("005.md") in changed
    assert pages.clipping_page("020.md") not in changed
    assert report.rendered == len(changed) <= 12
    # The title changed: its neighbours' pages show it, so they are rendered.
    (root / "005.md").write_text(
        render(attrs.evolve(clippings[5], title="A new title")), encoding="utf-8"
    )
    build_site(root, tmp_path / "site")
    newer = soup_of(tmp_path / "site" / pages.clipping_page("006.md"))
    assert "A new title" in newer.select_one(".neighbours").get_text()


def test_incremental_build_equals_a_full_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clippings = [sample(n) for n in range(40)]
    root = make_collection(tmp_path / "c", clippings)
    build_site(root, tmp_path / "site")
    (root / "007.md").write_text(render(sample(7, title="changed 大模型")), encoding="utf-8")
    (root / "011.md").unlink()
    (root / "new.md").write_text(render(sample(99)), encoding="utf-8")
    with monkeypatch.context() as patched:
        # The index too is made from the last one, not built again.
        patched.setattr(search, "build_index", None)
        build_site(root, tmp_path / "site")
    build_site(root, tmp_path / "fresh")
    incremental, fresh = snapshot(tmp_path / "site"), snapshot(tmp_path / "fresh")
    assert {k: v[0] for k, v in incremental.items()} == {k: v[0] for k, v in fresh.items()}


def test_shards_that_hold_what_they_held_are_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "SHARD_TARGET", 300)  # many small shards
    root = make_collection(tmp_path / "c", [sample(n) for n in range(30)])
    build_site(root, tmp_path / "site")
    before = snapshot(tmp_path / "site")
    (root / "004.md").write_text(render(sample(4, title="Clipping number 4 about qq")), "utf-8")
    build_site(root, tmp_path / "site")
    build_site(root, tmp_path / "fresh")
    after, fresh = snapshot(tmp_path / "site"), snapshot(tmp_path / "fresh")
    assert {k: v[0] for k, v in after.items()} == {k: v[0] for k, v in fresh.items()}
    shards = [name for name in after if name.startswith("search/s")]
    kept = [name for name in shards if after[name][1] == before[name][1]]
    assert len(shards) >= 8
    assert 0 < len(kept) < len(shards)  # only the shards of "topic4" and "qq" change


@pytest.mark.parametrize(
    "damage",
    [
        lambda site: (site / "search" / "s0.js").write_text("clipdocSearch.shard(0,{", "utf-8"),
        lambda site: (site / "search" / "s0.js").unlink(),
        lambda site: (site / "search" / "s0.js").write_text(
            "clipdocSearch.shard(5,{});\n", "utf-8"
        ),
        lambda site: (site / "search" / "s0.js").write_text(
            "clipdocSearch.shard(0,[]);\n", "utf-8"
        ),
        lambda site: (site / "search" / "s0.js").write_text(
            'clipdocSearch.shard(0,{"summary":[[0,-1],[]]});\n', "utf-8"
        ),
        lambda site: (site / "search" / "docs.js").write_text("[]", "utf-8"),
        lambda site: (site / "search" / "docs.js").write_text(
            'clipdocSearch.docs(1,[["c/x.html","t","",""]]);\n', "utf-8"
        ),
    ],
)
def test_a_damaged_index_is_built_again(tmp_path: Path, damage: Any) -> None:
    root = make_collection(tmp_path / "c", [sample(n) for n in range(6)])
    build_site(root, tmp_path / "site")
    damage(tmp_path / "site")
    (root / "002.md").write_text(render(sample(2, title="changed")), encoding="utf-8")
    build_site(root, tmp_path / "site")
    build_site(root, tmp_path / "fresh")
    incremental, fresh = snapshot(tmp_path / "site"), snapshot(tmp_path / "fresh")
    assert {k: v[0] for k, v in incremental.items()} == {k: v[0] for k, v in fresh.items()}


def test_removed_documents_lose_their_pages(tmp_path: Path) -> None:
    root = make_collection(tmp_path / "c", [sample(n) for n in range(3)])
    build_site(root, tmp_path / "site")
    (root / "001.md").unlink()
    build_site(root, tmp_path / "site")
    assert not (tmp_path / "site" / pages.clipping_page("001.md")).exists()
    assert (tmp_path / "site" / pages.clipping_page("002.md")).exists()


def test_failed_build_leaves_the_old_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_collection(tmp_path / "c", [sample(n) for n in range(5)])
    build_site(root, tmp_path / "site")
    before = snapshot(tmp_path / "site")
    (root / "003.md").write_text(render(sample(3, title="changed")), encoding="utf-8")
    calls = []

    def failing(self: object, template: str, context: dict[str, object], **_: object) -> bytes:
        calls.append(template)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return b""

    monkeypatch.setattr("clipdoc._site.build.Theme.render", failing)
    with pytest.raises(KeyboardInterrupt):
        build_site(root, tmp_path / "site")
    assert snapshot(tmp_path / "site") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c", "site"]  # no leftovers


def test_swap_without_an_atomic_exchange(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_collection(tmp_path / "c", [sample(1)])
    build_site(root, tmp_path / "site")
    monkeypatch.setattr("clipdoc._site.build.exchange", lambda first, second: False)
    (root / "000.md").write_text(render(sample(1, title="second")), encoding="utf-8")
    build_site(root, tmp_path / "site")
    assert "second" in (tmp_path / "site" / pages.clipping_page("000.md")).read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c", "site"]


def test_jobs_give_the_same_site(tmp_path: Path) -> None:
    root = make_collection(tmp_path / "c", [sample(n) for n in range(150)])
    build_site(root, tmp_path / "one", jobs=1)
    build_site(root, tmp_path / "two", jobs=2)
    one, two = snapshot(tmp_path / "one"), snapshot(tmp_path / "two")
    assert {k: v[0] for k, v in one.items()} == {k: v[0] for k, v in two.items()}


def test_the_command_builds_on_every_cpu_unless_told(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clipdoc._cli import build_parser, main
    from clipdoc._site import build
    from clipdoc._storage.parallel import checked_jobs as real

    asked: list[object] = []

    def checked_jobs(jobs: object) -> int:
        asked.append(jobs)
        return real(jobs)

    monkeypatch.setattr(build, "checked_jobs", checked_jobs)
    root = make_collection(tmp_path / "c", [sample(n) for n in range(3)])
    assert main(["site", "-q", str(root), str(tmp_path / "site")]) == 0
    assert main(["site", "-q", "-j", "1", str(root), str(tmp_path / "site")]) == 0
    assert asked == [0, 1]
    if hasattr(os, "sched_getaffinity"):  # one per CPU this process may use
        assert real(0) == len(os.sched_getaffinity(0))
    # The other commands take one process unless asked, whichever parser.
    for parser in (build_parser(), build_parser("check")):
        assert parser.parse_args(["check", "x"]).jobs == 1
    assert build_parser().parse_args(["site", "r", "o"]).jobs == 0


def test_a_build_forks_no_more_workers_than_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clipdoc._site import build
    from clipdoc._storage.parallel import BATCH_SIZE
    from clipdoc._storage.parallel import ordered_map as real
    from clipdoc._storage.parallel import worker_pool as real_pool

    started: list[int] = []
    pools: list[int] = []

    def ordered_map(function: Any, items: Any, *, jobs: int, pool: Any) -> Any:
        started.append(jobs)
        return real(function, items, jobs=jobs, pool=pool)

    def worker_pool(jobs: int) -> Any:
        pools.append(jobs)
        return real_pool(jobs)

    monkeypatch.setattr(build, "ordered_map", ordered_map)
    monkeypatch.setattr(build, "worker_pool", worker_pool)
    root = make_collection(tmp_path / "c", [sample(n) for n in range(3)])
    build_site(root, tmp_path / "small", jobs=8)
    assert started == pools == []  # one batch: built in this process
    root = make_collection(tmp_path / "d", [sample(n) for n in range(2 * BATCH_SIZE + 1)])
    build_site(root, tmp_path / "large", jobs=8)
    assert started == [3, 3, 3]  # reading, the newest saves' words, rendering
    assert pools == [3]  # the same workers for all three, forked before any was read


def _counting_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The path of each document a build (with one process) reads."""
    read: list[str] = []
    real = pages.read_fact

    def counted(root: Any, item: Any) -> Any:
        read.append(item[0].relative)
        return real(root, item)

    monkeypatch.setattr(pages, "read_fact", counted)
    return read


def _settled_collection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, count: int) -> Path:
    """A collection of ``count`` documents that the stat cache keeps as soon
    as they are read (the clock past their writing; no margin)."""
    monkeypatch.setattr(stat_cache, "RACY_MARGIN_NS", 0)
    root = make_collection(tmp_path / "c", [sample(n) for n in range(count)])
    wait_for_the_clock(root)
    return root


def test_with_the_stat_cache_a_build_reads_only_the_documents_that_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _settled_collection(tmp_path, monkeypatch, 30)
    read = _counting_reads(monkeypatch)
    build_site(root, tmp_path / "site", cache=True)
    assert len(read) == 30
    assert (root / stat_cache.cache_name("site")).is_file()
    wait_for_the_clock(root)
    read.clear()
    # Into the same folder, or a new one: every document from the cache,
    # none taken for changed.
    assert build_site(root, tmp_path / "site").rendered == 0
    report = build_site(root, tmp_path / "other")
    assert read == []
    assert report.documents == 30
    assert _site_files(tmp_path / "other") == _site_files(tmp_path / "site")
    # One document edited: read again, and shown as it is now.
    (root / "007.md").write_text(render(sample(7, title="changed 大模型")), encoding="utf-8")
    build_site(root, tmp_path / "site")
    assert read == ["007.md"]
    page = tmp_path / "site" / pages.clipping_page("007.md")
    assert "changed 大模型" in page.read_text("utf-8")
    # Made with other libraries (or another clipdoc): read anew.
    from clipdoc._site import build as site_build

    read.clear()
    monkeypatch.setattr(site_build, "_renderer", lambda: b"other libraries")
    build_site(root, tmp_path / "site")
    assert len(read) == 30
    monkeypatch.undo()
    monkeypatch.setattr(stat_cache, "RACY_MARGIN_NS", 0)
    read = _counting_reads(monkeypatch)
    # Without the cache: every document read, the cache left as it was.
    before = (root / stat_cache.cache_name("site")).stat()
    read.clear()
    build_site(root, tmp_path / "fresh", cache=False)
    assert len(read) == 30
    after = (root / stat_cache.cache_name("site")).stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert _site_files(tmp_path / "fresh") == _site_files(tmp_path / "site")


def test_a_collection_without_a_stat_cache_gets_none_from_a_build(tmp_path: Path) -> None:
    root = make_collection(tmp_path / "c", [sample(1)])
    build_site(root, tmp_path / "site")
    assert main(["site", "-q", str(root), str(tmp_path / "site")]) == 0
    assert not (root / stat_cache.FOLDER).exists()
    # Unless asked for.
    assert main(["site", "-q", "--cache", str(root), str(tmp_path / "site")]) == 0
    assert (root / stat_cache.cache_name("site")).is_file()
    with pytest.raises(SystemExit):
        main(["site", "-q", "--cache", "--no-cache", str(root), str(tmp_path / "site")])


def test_the_command_s_no_cache_reads_every_document_and_leaves_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stat_cache, "RACY_MARGIN_NS", 0)
    root = make_collection(tmp_path / "c", [sample(n) for n in range(3)])
    clipdoc.Collection(root, cache=True).index()  # the cache, as the index makes it
    wait_for_the_clock(root)
    folder = root / stat_cache.FOLDER
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    read = _counting_reads(monkeypatch)
    assert main(["site", "-q", "-j", "1", "--no-cache", str(root), str(tmp_path / "s")]) == 0
    assert len(read) == 3
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == before
    # Without --no-cache, the collection's cache is used and takes the site's facts.
    assert main(["site", "-q", "-j", "1", str(root), str(tmp_path / "s")]) == 0
    assert (root / stat_cache.cache_name("site")).is_file()


def _site_files(site: Path) -> dict[str, bytes]:
    return {
        p.relative_to(site).as_posix(): p.read_bytes()
        for p in site.rglob("*")
        if p.is_file() and p.name != MANIFEST
    }


def test_what_the_cache_keeps_of_a_document_is_what_reading_it_gives(tmp_path: Path) -> None:
    write_hostile(tmp_path)
    (tmp_path / "hostile" / "broken.md").write_bytes(b"\xff\xfe not UTF-8")
    (tmp_path / "hostile" / "conflicted.md").write_text(
        "# t\n\n<<<<<<< ours\na\n=======\nb\n>>>>>>> theirs\n", encoding="utf-8"
    )
    files = [EXAMPLE, *sorted((tmp_path / "hostile").glob("*.md")), *shared_corpus_files()]
    kinds = set()
    for path in files:
        folder = Folder(str(path.parent), relative_names=True)
        found = Found(path.name)
        _, fact, _ = pages.read_fact(folder, (found, None, ()))
        kept = json.loads(json.dumps(fact))
        assert pages.is_fact(kept), path
        read, served = pages.document_of(found, fact, None), pages.document_of(found, kept, None)
        assert served == read, path
        kinds.add(type(served).__name__)
        if isinstance(served, pages.Document):
            # Equal datetimes may have other offsets: the page shows the offset.
            clipping = read_document_file(folder, found).clipping
            assert clipping is not None
            saved_at = clipping.metadata.saved_at if clipping.metadata else None
            assert repr(served.saved_at) == repr(saved_at), path
            assert served.title == clipping.title, path
    assert kinds == {"Document", "Unreadable"}


@pytest.mark.parametrize(
    "damage",
    [
        lambda fact: fact.__setitem__(1, 42),  # a digest that is a number
        lambda fact: fact.__setitem__(5, "2025-05-06T08:03:26"),  # a save time without offset
        lambda fact: fact.__setitem__(4, "2025-13-40"),  # no such day
        lambda fact: fact.__setitem__(12, [["CD999", 1, 1, "x"]]),  # no such code
        lambda fact: fact.__setitem__(7, "#tag#"),  # hashtags as a str
        lambda fact: fact.__setitem__(10, -1),
        lambda fact: fact.__setitem__(10, 10**8),  # that many text files to write
        lambda fact: fact.__setitem__(1, "not a digest"),
        lambda fact: fact.__setitem__(8, "x" * 1000),  # no excerpt is so long
        lambda fact: fact.__setitem__(12, [["CD111", -5, 10**30, "x"]]),
        lambda fact: fact.append("more"),
        lambda fact: fact.__setitem__(0, pages.UNREADABLE),
        lambda fact: fact.__setitem__(0, "document"),  # another layout's
        lambda fact: fact.clear(),
    ],
)
def test_a_fact_of_the_wrong_shape_in_the_cache_is_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: Any
) -> None:
    root = _settled_collection(tmp_path, monkeypatch, 3)
    build_site(root, tmp_path / "site", cache=True)
    cache_file = root / stat_cache.cache_name("site")
    cache = json.loads(cache_file.read_text("utf-8"))
    damage(cache["files"]["001.md"][5])
    cache_file.write_text(json.dumps(cache), encoding="utf-8")
    wait_for_the_clock(root)
    read = _counting_reads(monkeypatch)
    build_site(root, tmp_path / "again")
    assert read == ["001.md"]
    assert _site_files(tmp_path / "again") == _site_files(tmp_path / "site")


def test_name_warnings_and_exclusions_hold_with_facts_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A name that clashes with another on other systems (CD509) is the
    walk's to say, not the file's: it is said whether the facts come from
    the cache or not; a path left out is left out either way."""
    monkeypatch.setattr(stat_cache, "RACY_MARGIN_NS", 0)
    root = make_collection(tmp_path / "c", [sample(n) for n in range(4)])
    (root / "NOTE.md").write_text(render(sample(7)), encoding="utf-8")
    (root / "note.md").write_text(render(sample(8)), encoding="utf-8")
    assert any(found.warnings for found in walk(str(root)))
    wait_for_the_clock(root)
    build_site(root, tmp_path / "site", cache=True, exclude=["002.md"])
    read = _counting_reads(monkeypatch)
    cached_reads = []
    for options in ({"exclude": ["002.md"]}, {}, {"exclude": ["00*.md"]}):
        read.clear()
        cached = build_site(root, tmp_path / "site", **options)  # type: ignore[arg-type]
        cached_reads += read
        fresh = build_site(root, tmp_path / "fresh", cache=False, **options)  # type: ignore[arg-type]
        assert cached.problems == fresh.problems
        assert any(diagnostic.code == "CD509" for _, diagnostic in cached.problems)
        assert _site_files(tmp_path / "site") == _site_files(tmp_path / "fresh")
    # From the cache but for the one document the first run left out (a run
    # that leaves paths out forgets none of the others).
    assert cached_reads == ["002.md"]


def test_what_a_site_s_manifest_says_stays_out_of_the_collection_s_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build reuses the hashtags its last site's manifest gives an
    unchanged document; what it keeps in the collection's cache is made of
    the file alone, so that no output folder's manifest reaches another
    site."""
    monkeypatch.setattr(stat_cache, "RACY_MARGIN_NS", 0)
    root = make_collection(tmp_path / "c", [sample(n) for n in range(3)])
    build_site(root, tmp_path / "site", cache=True)
    manifest = json.loads((tmp_path / "site" / MANIFEST).read_text("utf-8"))
    manifest["documents"]["001.md"][1] = ["FORGED"]
    (tmp_path / "site" / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    # The same bytes written again: a new identity, the same digest.
    (root / "001.md").write_bytes((root / "001.md").read_bytes())
    wait_for_the_clock(root)
    build_site(root, tmp_path / "site")
    build_site(root, tmp_path / "other")
    build_site(root, tmp_path / "fresh", cache=False)
    assert "FORGED" not in (root / stat_cache.cache_name("site")).read_text("utf-8")
    assert _site_files(tmp_path / "other") == _site_files(tmp_path / "fresh")


def test_a_cache_this_build_cannot_write_still_serves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _settled_collection(tmp_path, monkeypatch, 3)
    build_site(root, tmp_path / "site", cache=True)
    before = {p.name: p.stat().st_mtime_ns for p in (root / stat_cache.FOLDER).iterdir()}
    read = _counting_reads(monkeypatch)
    # The clock is read by making a file in the cache's folder: refused there.
    refused = ClipdocError("CD504", "permission denied")
    with unittest.mock.patch.object(stat_cache, "_file_system_now", side_effect=refused):
        build_site(root, tmp_path / "again")
    assert read == []
    assert {p.name: p.stat().st_mtime_ns for p in (root / stat_cache.FOLDER).iterdir()} == before
    assert _site_files(tmp_path / "again") == _site_files(tmp_path / "site")


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
    max_leaves=20,
)


@given(st.lists(_JSON) | _JSON)
def test_any_json_is_told_a_fact_or_not_without_failing(value: Any) -> None:
    assert pages.is_fact(value) in (True, False)


def _a_fact() -> list[Any]:
    folder = Folder(str(EXAMPLE.parent), relative_names=True)
    _, fact, _ = pages.read_fact(folder, (Found(EXAMPLE.name), None, ()))
    return list(json.loads(json.dumps(fact)))


@given(st.integers(0, 12), _JSON)
def test_a_fact_with_any_field_changed_is_told_or_refused_without_failing(
    field: int, value: Any
) -> None:
    fact = _a_fact()
    fact[field] = value
    if pages.is_fact(fact):  # then it makes a document
        assert isinstance(pages.document_of(Found("x.md"), fact, None), pages.Document)


def test_a_save_changed_renders_again_every_page_that_lists_it(tmp_path: Path) -> None:
    """The pages of an address list its saves and versions; their keys hold
    a digest of those lists, not the rows: a save's day or title changed
    renders every page that shows it again."""
    same = {"url": "https://example.org/again", "title": "Again"}

    def saves(changed_day: int, changed_title: str) -> list[Clipping]:
        made = [
            sample(n, **same, metadata=Metadata(catalog_date=date(2025, 1, 1 + n)))
            for n in range(5)
        ]
        made[2] = attrs.evolve(
            made[2], title=changed_title, metadata=Metadata(catalog_date=date(2025, 2, changed_day))
        )
        return made

    root = make_collection(tmp_path / "c", saves(1, "Again"))
    build_site(root, tmp_path / "site")
    for day, title in ((2, "Again"), (2, "Again, edited")):
        make_collection(root, saves(day, title))
        build_site(root, tmp_path / "site")
        build_site(root, tmp_path / f"fresh-{day}-{len(title)}", cache=False)
        assert _site_files(tmp_path / "site") == _site_files(tmp_path / f"fresh-{day}-{len(title)}")


def test_unusable_manifest_means_a_full_build(tmp_path: Path) -> None:
    root = make_collection(tmp_path / "c", [sample(1)])
    build_site(root, tmp_path / "site")
    (tmp_path / "site" / MANIFEST).write_text("{not json")
    report = build_site(root, tmp_path / "site")
    assert report.reused == 0
    assert report.rendered == report.files


# ------------------------------------------------------------------ refusals


def test_refuses_a_folder_that_is_not_a_site(tmp_path: Path) -> None:
    root = make_collection(tmp_path / "c", [sample(1)])
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(ClipdocError) as caught:
        build_site(root, tmp_path / "mine")
    assert caught.value.code == "CD701"
    assert "new or empty folder" in caught.value.message
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"
    (tmp_path / "file").write_text("x")
    with pytest.raises(ClipdocError, match="not a folder"):
        build_site(root, tmp_path / "file")


@pytest.mark.parametrize("output", [".", "..", "sub/..", "out", "sub/out", "sub"])
def test_refuses_to_replace_the_collection(tmp_path: Path, output: str) -> None:
    root = make_collection(tmp_path / "c", [sample(1)])
    (root / "sub").mkdir()
    with pytest.raises(ClipdocError) as caught:
        build_site(root, root / output)
    assert caught.value.code == "CD702"
    assert (root / "000.md").exists()
    assert sorted(p.name for p in root.rglob("*")) == ["000.md", "sub"]  # nothing written


def test_builds_into_an_empty_folder(tmp_path: Path) -> None:
    root = make_collection(tmp_path / "c", [sample(1)])
    (tmp_path / "site").mkdir()
    assert build_site(root, tmp_path / "site").documents == 1


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"root": 42}, "root must be a path"),
        ({"output": None}, "output must be a path"),
        ({"exclude": "*.md"}, "exclude=\\[pattern\\]"),
        ({"exclude": [1]}, "glob patterns"),
        ({"jobs": -1}, "jobs must be"),
        ({"jobs": True}, "jobs must be"),
        ({"title": b"x"}, "title must be a str"),
        ({"base_url": ["x"]}, "base_url must be a str"),
        ({"cache": "yes"}, "cache must be None, True or False"),
        ({"cache": 0}, "cache must be None, True or False"),
    ],
)
def test_wrong_shapes_are_type_errors(
    tmp_path: Path, arguments: dict[str, object], message: str
) -> None:
    root = make_collection(tmp_path / "c", [sample(1)])
    options: dict[str, object] = {"root": root, "output": tmp_path / "site"} | arguments
    with pytest.raises(TypeError, match=message):
        build_site(options.pop("root"), options.pop("output"), **options)  # type: ignore[arg-type]


def test_missing_extra_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "jinja2" else real(name, *a)
    )
    with pytest.raises(ImportError, match=r"Jinja2: pip install 'clipdoc\[site\]'"):
        build_site("examples", "unused")


# ------------------------------------------------------------- themes, base URL


def test_theme_replaces_templates_and_style(tmp_path: Path) -> None:
    root = make_collection(tmp_path / "c", [sample(1)])
    theme = tmp_path / "theme"
    (theme / "templates").mkdir(parents=True)
    (theme / "style.css").write_text("body { color: red; }\n")
    (theme / "templates" / "list.html").write_text(
        '{% extends "base.html" %}{% block main %}<h1>Mine: {{ heading }}</h1>'
        '{% for e in entries %}<a href="{{ root }}{{ e.href }}">{{ e.title }}</a>'
        "{% endfor %}{% endblock %}"
    )
    build_site(root, tmp_path / "site", theme=theme)
    assert (tmp_path / "site" / "style.css").read_text() == "body { color: red; }\n"
    assert soup_of(tmp_path / "site" / "index.html").h1.get_text() == "Mine: Latest clippings"
    # Changing the theme renders everything again.
    (theme / "style.css").write_text("body { color: blue; }\n")
    report = build_site(root, tmp_path / "site", theme=theme)
    assert report.reused == 0


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_theme_s_messages_read_as_gettext_gives_them(lang: str, tmp_path: Path) -> None:
    # Constant messages are translated as templates compile: the page must
    # say what translating them as they render says.
    root = make_collection(tmp_path / "c", [sample(1)])
    list_page = (
        '{% extends "base.html" %}{% block main %}'
        '<p id="a">{{ _("Tags") }}|{{ gettext("100%% <em>x</em>") }}|{{ _("Sources") | upper }}</p>'
        '{% set _ = "own" %}<p id="b">{{ _ }}</p>{% endblock %}'
    )
    dates_page = (
        '{% extends "base.html" %}{% block main %}'
        '{% macro gettext(x) %}[{{ x }}]{% endmacro %}<p id="c">{{ gettext("Tags") }}</p>'
        '<p id="d">{{ _("Tags") }}</p>{% endblock %}'
    )
    theme = theme_of(tmp_path / "theme", {"list.html": list_page, "dates.html": dates_page})
    build_site(root, tmp_path / "site", theme=theme, lang=lang)
    home = soup_of(tmp_path / "site" / "index.html")
    tags, sources = ("Tags", "SOURCES") if lang == "en" else ("话题", "来源")
    assert home.find(id="a").decode_contents() == f"{tags}|100% <em>x</em>|{sources}"
    assert home.find(id="b").get_text() == "own"  # the template's own _
    dates = soup_of(tmp_path / "site" / "dates.html")
    assert dates.find(id="c").get_text() == "[Tags]"  # the template's own gettext
    assert dates.find(id="d").get_text() == tags


def test_other_rendering_code_or_libraries_render_every_page_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from importlib import metadata

    from clipdoc._site import build

    root = make_collection(tmp_path / "c", [sample(1), sample(2)])
    build_site(root, tmp_path / "site")
    assert build_site(root, tmp_path / "site").rendered == 0
    real = metadata.version
    monkeypatch.setattr(metadata, "version", lambda name: "9" if name == "nh3" else real(name))
    # What the other code finds in a document is found again, not reused.
    monkeypatch.setattr(pages, "summary_hashtags", lambda clipping: ("other",))
    build._renderer.cache_clear()
    try:
        report = build_site(root, tmp_path / "site")
    finally:
        build._renderer.cache_clear()
    assert report.reused == 0
    tags = [a.get_text() for a in soup_of(tmp_path / "site" / "tags.html").select(".groups a")]
    assert tags == ["#other#"]


def test_every_variable_a_template_gets_is_in_the_docs() -> None:
    from clipdoc._site import build

    docs = (Path(__file__).parent.parent / "docs" / "site.md").read_text(encoding="utf-8")
    links = pages.Neighbourhood(
        **{field.name: None for field in attrs.fields(pages.Neighbourhood)}  # type: ignore[arg-type]
    )
    clipping = Clipping(title="t", extra_sections=(clipdoc.Section(heading="h"),))
    names = set(build.common_context("index.html", title="t", base_url=None))
    names |= set(pages.clipping_context(clipping, links)) | set(links.as_key())
    names |= {"label", "value", "label_lang", "value_lang", "heading", "html", "cut"}
    missing = sorted(name for name in names if f"`{name}`" not in docs)
    assert not missing


def test_builds_in_separate_processes_write_the_same_bytes(tmp_path: Path) -> None:
    image = '<img src="https://example.org/{0}.png" alt="{0}">'
    clippings = [sample(n, original_summary=image.format(n) * 3) for n in range(3)]
    root = make_collection(tmp_path / "c", clippings)
    sites = []
    for number in range(5):  # an order drawn at random differs in 15 of 16 such runs
        done = run_clipdoc("site", "-q", str(root), str(tmp_path / f"site{number}"))
        assert done.returncode == 0, done.stderr
        sites.append(snapshot(tmp_path / f"site{number}"))
    assert 'loading="lazy"' in (tmp_path / "site0" / pages.clipping_page("000.md")).read_text()
    contents = [{name: data for name, (data, _) in site.items()} for site in sites]
    assert all(content == contents[0] for content in contents)


def test_a_theme_that_changes_its_lists_changes_only_its_own_page(tmp_path: Path) -> None:
    """The rows of saves and versions that the pages of an address show are
    made once per address: each page gets its own copies."""
    saves = [sample(n, url="https://example.org/same", title=f"Version {n % 3}") for n in range(6)]
    root = make_collection(tmp_path / "c", saves)
    theme = theme_of(
        tmp_path / "theme",
        {
            "clipping.html": "{% set _ = links.saves[0].append('LEAK') %}"
            "{% set _ = links.versions[0].append('LEAK') %}"
            "{{ links.saves[0] | length }} {{ links.versions[0] | length }}"
        },
    )
    build_site(root, tmp_path / "site", theme=theme, jobs=1)
    shown = {p.read_text() for p in (tmp_path / "site" / "c").glob("*.html")}
    assert shown == {"3 6"}  # [when, page] and [title, page, saves, first, last], one more each


def test_a_theme_that_includes_a_template_it_does_not_have_says_so(tmp_path: Path) -> None:
    root = make_collection(tmp_path / "c", [sample(1)])
    theme = theme_of(tmp_path / "theme", {"list.html": '{% include "nothere.html" %}'})
    with pytest.raises(ClipdocError, match=r"includes or imports nothere\.html, which the theme"):
        build_site(root, tmp_path / "site", theme=theme)


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="no timer signal on this system")
def test_a_theme_that_loops_too_long_fails_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clipdoc._site import build

    # Long enough for a page on a loaded machine, template compiling aside.
    monkeypatch.setattr(build, "THEME_TIME_LIMIT", 1.0)
    root = make_collection(tmp_path / "c", [sample(1)])
    loops = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    list_page = f'{{% extends "base.html" %}}{{% block main %}}\n{loops}{{% endblock %}}'
    theme = theme_of(tmp_path / "theme", {"list.html": list_page})
    with pytest.raises(ClipdocError, match=r"took more than 1\.0 s to render") as caught:
        build_site(root, tmp_path / "site", theme=theme)
    assert caught.value.code == "CD703"
    assert "list.html, line 2" in str(caught.value)
    assert not (tmp_path / "site").exists()
    # A timer of the program's own outlives the limit's.
    (theme / "templates" / "list.html").unlink()
    signal.setitimer(signal.ITIMER_REAL, 1000)
    try:
        build_site(root, tmp_path / "site", theme=theme)
        assert 900 < signal.getitimer(signal.ITIMER_REAL)[0] <= 1000
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def test_broken_theme_is_an_error_with_a_line(tmp_path: Path) -> None:
    root = make_collection(tmp_path / "c", [sample(1)])
    theme = tmp_path / "theme"
    (theme / "templates").mkdir(parents=True)
    (theme / "templates" / "list.html").write_text("line one\n{% if %}\n")
    with pytest.raises(ClipdocError) as caught:
        build_site(root, tmp_path / "site", theme=theme)
    assert caught.value.code == "CD703"
    assert caught.value.line == 2
    assert not (tmp_path / "site").exists()
    (theme / "templates" / "list.html").write_text("{{ no_such_variable }}")
    with pytest.raises(ClipdocError, match="no_such_variable"):
        build_site(root, tmp_path / "site", theme=theme)
    with pytest.raises(ClipdocError, match="the theme is not a folder"):
        build_site(root, tmp_path / "site", theme=tmp_path / "missing")


_ESCAPES = [
    '{{ self.__init__.__globals__.__builtins__.__import__("os").popen("id").read() }}',
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ lang_attribute.__globals__ }}",
    "{{ entries.__class__ }}",
    '{{ os.popen("id").read() }}',
    "{{ cycler.__init__.__globals__.os }}",
    "{{ (entries|first).__class__.__init__.__globals__ }}",
    # Failures that are the theme's, not clipdoc's: one line too.
    "{% for i in range(10**9) %}{% endfor %}",
    "{{ 1/0 }}",
    "{{ 'a' + 1 }}",
    "{% include 'list.html' %}",
]


@pytest.mark.parametrize("escape", _ESCAPES)
def test_a_theme_cannot_reach_python(escape: str, tmp_path: Path) -> None:
    # A theme is data: its templates run in Jinja's sandbox, and one that
    # reaches for Python's insides fails the build in one line.
    root = make_collection(tmp_path / "c", [sample(1)])
    theme = tmp_path / "theme"
    (theme / "templates").mkdir(parents=True)
    (theme / "templates" / "list.html").write_text(
        f'{{% extends "base.html" %}}{{% block main %}}{escape}{{% endblock %}}'
    )
    with pytest.raises(ClipdocError) as caught:
        build_site(root, tmp_path / "site", theme=theme)
    assert caught.value.code == "CD703"
    assert "\n" not in str(caught.value)
    assert not (tmp_path / "site").exists()


@pytest.mark.parametrize("where", ["static/leak.txt", "templates/list.html", "style.css"])
def test_a_link_in_a_theme_is_refused(where: str, tmp_path: Path) -> None:
    root = make_collection(tmp_path / "c", [sample(1)])
    secret = tmp_path / "secret"
    secret.write_text("not for the site")
    theme = tmp_path / "theme"
    (theme / "static").mkdir(parents=True)
    (theme / "templates").mkdir()
    (theme / where).symlink_to(secret)
    with pytest.raises(ClipdocError, match="a symbolic link; a theme's files must be") as caught:
        build_site(root, tmp_path / "site", theme=theme)
    assert caught.value.code == "CD703"
    assert not (tmp_path / "site").exists()


@pytest.mark.parametrize("name", ["search.js", "index.html", "sitemap.xml", "x.svg", "run.mjs"])
def test_a_theme_ships_no_script_or_page(name: str, tmp_path: Path) -> None:
    root = make_collection(tmp_path / "c", [sample(1)])
    theme = tmp_path / "theme"
    (theme / "static").mkdir(parents=True)
    (theme / "static" / name).write_text("alert(1)")
    with pytest.raises(ClipdocError, match="no script or page") as caught:
        build_site(root, tmp_path / "site", theme=theme)
    assert caught.value.code == "CD703"
    (theme / "static" / name).unlink()
    (theme / "static" / "logo.PNG").write_bytes(b"\x89PNG")
    build_site(root, tmp_path / "site", theme=theme)
    assert (tmp_path / "site" / "logo.PNG").read_bytes() == b"\x89PNG"


def test_a_theme_folder_that_is_a_link_or_a_fifo_is_refused(tmp_path: Path) -> None:
    root = make_collection(tmp_path / "c", [sample(1)])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "shadow").write_text("secret")
    theme = tmp_path / "theme"
    theme.mkdir()
    (theme / "static").symlink_to(elsewhere)
    with pytest.raises(ClipdocError, match="a symbolic link") as caught:
        build_site(root, tmp_path / "site", theme=theme)
    assert caught.value.code == "CD703"
    (theme / "static").unlink()
    (theme / "static").mkdir()
    os.mkfifo(theme / "static" / "pipe.css")
    with pytest.raises(ClipdocError, match="not a regular file"):
        build_site(root, tmp_path / "site", theme=theme)


def test_a_theme_s_static_folder_and_style_sheets_say_what_is_wrong(tmp_path: Path) -> None:
    root = make_collection(tmp_path / "c", [sample(1)])
    theme = tmp_path / "theme"
    (theme / "static" / "img").mkdir(parents=True)
    with pytest.raises(ClipdocError, match="a folder; a theme's static files are in static/"):
        build_site(root, tmp_path / "site", theme=theme)
    (theme / "static" / "img").rmdir()
    (theme / "static" / "style.css").write_text("a {}")
    (theme / "style.css").write_text("b {}")
    with pytest.raises(ClipdocError, match="two style sheets") as caught:
        build_site(root, tmp_path / "site", theme=theme)
    assert caught.value.code == "CD703"
    (theme / "templates").mkdir()
    (theme / "templates" / "list.html").write_text("{% if x %}")
    (theme / "style.css").unlink()
    with pytest.raises(ClipdocError) as caught:
        build_site(root, tmp_path / "site", theme=theme)
    assert ".;" not in str(caught.value)


def test_a_link_planted_in_the_last_site_is_not_carried_over(tmp_path: Path) -> None:
    root = make_collection(tmp_path / "c", [sample(1), sample(2)])
    site = tmp_path / "site"
    build_site(root, site)
    secret = tmp_path / "secret"
    secret.write_text("not for the site")
    page = site / pages.clipping_page("001.md")
    page.unlink()
    page.symlink_to(secret)
    (site / "style.css").unlink()
    (site / "style.css").symlink_to(secret)
    build_site(root, site)
    for built in (page, site / "style.css"):
        assert not built.is_symlink()
        assert built.read_text() != "not for the site"
    assert secret.stat().st_nlink == 1


@pytest.mark.parametrize(
    "base_url",
    [
        "https://ex.com/?q=1",
        "https://ex.com/a#b",
        "ftp://x/",
        "/relative/",
        "https://ex.com/a b/",
        "javascript:alert(1)//",
        "https:///nohost/",
        "https://ex.com/\n",
        "",
    ],
)
def test_a_base_url_that_is_no_folder_s_address_is_refused(base_url: str, tmp_path: Path) -> None:
    root = make_collection(tmp_path / "c", [sample(1)])
    with pytest.raises(ValueError, match="base_url must be the http or https address"):
        build_site(root, tmp_path / "site", base_url=base_url)
    assert not (tmp_path / "site").exists()
    done = run_clipdoc("site", str(root), str(tmp_path / "site"), "--base-url", base_url)
    assert done.returncode == 2
    assert "base_url must be" in done.stderr


def test_base_url_adds_canonical_links_and_a_sitemap(tmp_path: Path) -> None:
    root = make_collection(tmp_path / "c", [sample(1)])
    build_site(root, tmp_path / "site", base_url="https://example.org/clips")
    page = pages.clipping_page("000.md")
    canonical = soup_of(tmp_path / "site" / page).find("link", rel="canonical")["href"]
    assert canonical == f"https://example.org/clips/{page}"
    sitemap = (tmp_path / "site" / "sitemap.xml").read_text()
    assert f"<loc>https://example.org/clips/{page}</loc>" in sitemap
    # Links stay relative: the site works under the path and from disk.
    assert all(
        not urlsplit(a["href"]).netloc for a in soup_of(tmp_path / "site" / page).select("nav a")
    )


# ------------------------------------------------------------------- addresses


@pytest.mark.parametrize(
    ("url", "source"),
    [
        ("https://weibo.com/1/x", "weibo.com"),
        ("https://m.weibo.cn/status/1", "weibo.cn"),
        ("http://export.arxiv.org/abs/1", "arxiv.org"),
        ("https://www.bbc.co.uk/news", "bbc.co.uk"),
        ("https://localhost:8080/", "localhost"),
        ("not a url", None),
        ("https://[::1/", None),
        (None, None),
    ],
)
def test_source_of(url: str | None, source: str | None) -> None:
    assert pages.source_of(url) == source


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://a.example/x", True),
        ("mailto:a@b.example", True),
        ("javascript:alert(1)", False),
        (" JAVASCRIPT:alert(1)", False),
        ("java\tscript:alert(1)", False),
        ("https://a.example/\nx", False),
        ("data:text/html,x", False),
        ("//evil.example/x", False),
        ("relative/page.html", False),
        ("", False),
        (None, False),
    ],
)
def test_safe_url(url: str | None, safe: bool) -> None:
    assert (pages.safe_url(url) is not None) is safe


@given(st.text())
def test_page_addresses_are_plain_and_distinct(path: str) -> None:
    page = pages.clipping_page(path)
    assert page.isascii()
    assert page.startswith("c/")
    assert page.endswith(".html")
    assert pages.tag_page(path).isascii()
    assert pages.source_page(path).isascii()
    assert ".." not in pages.source_page(path)[2:-5]


def test_excerpt_is_cut_at_a_word() -> None:
    words = " ".join(["word"] * 100)
    cut = pages.excerpt(Clipping(title="t", ai_summary=words))
    assert cut.endswith("word…")
    assert len(cut) <= pages.EXCERPT_LENGTH + 1
    assert pages.excerpt(Clipping(title="t", original_summary="<b>short</b>")) == "short"


def test_a_huge_text_is_cut_on_its_page_and_in_its_search_with_a_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The limits a tenth of their size, and the texts too, for speed.
    monkeypatch.setattr(pages, "TEXT_SHOWN", pages.TEXT_SHOWN // 10)
    monkeypatch.setattr(pages, "TEXTS_SHOWN", pages.TEXTS_SHOWN // 10)
    # Each line a word of its own: the page shows, and the search finds,
    # the words of the text's start and none of its end.
    line = "<p>{}</p>\n"
    original = "".join(line.format(f"start{n}") for n in range(2_000))
    original += line.format("filler") * 6_000 + line.format("finishing")
    ai = "AI words " * 10  # short: shown whole after the cut original
    sections = tuple(
        clipdoc.Section(heading=f"Part {n}", body=f"part{n}word\n" * 9_000) for n in range(6)
    )
    huge = sample(1, original_summary=original, ai_summary=ai, extra_sections=sections)
    root = make_collection(tmp_path / "in", [huge])
    site = tmp_path / "out"
    build_site(root, site)
    page = soup_of(site / pages.clipping_page("000.md"))
    notes = [note.get_text() for note in page.find_all("p", class_="cut")]
    assert len(notes) == 1 + len(sections)  # the AI summary is whole
    assert f"{len(original):,} characters long" in notes[0]
    shown_original = page.find("div", class_="original").get_text()
    assert "start1999" in shown_original
    assert "finishing" not in shown_original
    assert len(page.get_text()) < pages.TEXTS_SHOWN + 5_000
    assert "AI words" in page.get_text()
    # The budget of the page's texts runs out within the sections: the last
    # ones show nothing, and say so.
    last = page.find_all("section")[-2]  # before the metadata section
    assert "part5word" not in last.get_text()
    assert "no room left" in last.get_text()
    assert _postings_of(site, "start1999")
    assert not _postings_of(site, "finishing")
    assert "finishing" not in (site / pages.text_file(pages.clipping_page("000.md"))).read_text()


def test_a_word_of_a_section_heading_is_found(tmp_path: Path) -> None:
    section = clipdoc.Section(heading="Headingword 标题词", body="body")
    root = make_collection(tmp_path / "in", [sample(0, extra_sections=(section,))])
    build_site(root, tmp_path / "out")
    for word in ("headingword", "标题"):
        assert _postings_of(tmp_path / "out", word) == [0]


def test_only_a_text_longer_than_its_listing_entry_has_a_file_of_its_own(tmp_path: Path) -> None:
    short = sample(0, ai_summary="short")
    long = sample(1, ai_summary="word " * search.SNIPPET_SOURCE)
    root = make_collection(tmp_path / "in", [short, long])
    site = tmp_path / "out"
    build_site(root, site)
    entries = search.read_script((site / "search" / "d0.js").read_text(encoding="utf-8"), "block")
    flags = {entry[0]: entry[6] for entry in entries[1]}
    assert flags == {pages.clipping_page("000.md"): 0, pages.clipping_page("001.md"): 1}
    assert not (site / pages.text_file(pages.clipping_page("000.md"))).exists()
    assert (site / pages.text_file(pages.clipping_page("001.md"))).is_file()
    assert not (site / pages.text_file(pages.clipping_page("001.md"), 1)).exists()


def test_a_long_text_is_in_parts_that_overlap() -> None:
    text = "".join(f"{n:07d} " for n in range(10_000))  # 80,000 characters
    parts = search.text_parts(text)
    assert len(parts) == 4
    assert all(len(part) <= search.TEXT_PART + search.TEXT_OVERLAP for part in parts)
    assert "".join(part[: search.TEXT_PART] for part in parts) == text
    # Each word is whole in some part.
    assert all(any(f"{n:07d} " in part for part in parts) for n in range(10_000))
    assert search.text_parts("short") == []


def test_shown_cuts_at_a_line_and_changes_nothing_of_a_short_clipping() -> None:
    short = sample(1)
    assert pages.shown(short) is short
    text = ("x" * 99 + "\n") * 20_000  # two million characters, lines of a hundred
    cut = pages.shown(Clipping(title="t", original_summary=text))
    assert cut.original_summary is not None
    assert len(cut.original_summary) <= pages.TEXT_SHOWN
    assert text.startswith(cut.original_summary)
    assert cut.original_summary.endswith("x")
    assert pages.shown(cut) == cut


# --------------------------------------------------------------------- command


def run_clipdoc(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "clipdoc", *arguments], capture_output=True, text=True, check=False
    )


def test_command_builds_and_reports(tmp_path: Path) -> None:
    root = make_collection(tmp_path / "c", [sample(n) for n in range(3)])
    done = run_clipdoc("site", str(root), str(tmp_path / "site"), "--title", "Mine")
    assert done.returncode == 0, done.stderr
    assert "3 clipping pages" in done.stderr
    assert "0 errors" in done.stderr
    assert soup_of(tmp_path / "site" / "index.html").title.get_text().endswith("· Mine")
    again = run_clipdoc("site", "-q", str(root), str(tmp_path / "site"), "--title", "Mine")
    assert again.returncode == 0
    assert again.stderr == ""


def test_command_exit_status_for_errors_and_refusals(tmp_path: Path) -> None:
    root = make_collection(tmp_path / "c", [sample(1)])
    (root / "bad.md").write_text("no heading\n", encoding="utf-8")
    (root / "skip").mkdir()
    (root / "skip" / "x.md").write_text("ignored", encoding="utf-8")
    done = run_clipdoc("site", str(root), str(tmp_path / "site"), "--exclude", "skip")
    assert done.returncode == 1
    assert done.stdout.startswith("bad.md:1:1: CD")
    assert "skip/x.md" not in done.stdout + done.stderr
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "a").write_text("")
    refused = run_clipdoc("site", str(root), str(tmp_path / "taken"))
    assert refused.returncode == 2
    assert "CD701" in refused.stderr


def test_root_must_be_a_folder(tmp_path: Path) -> None:
    with pytest.raises(ClipdocError) as caught:
        build_site(tmp_path / "missing", tmp_path / "site")
    # The same error as Collection's for the same fault (CD702 until 0.x
    # made them one).
    assert caught.value.code == "CD504"
    assert isinstance(caught.value, NotADirectoryError)


def test_progress_is_reported_by_phase(tmp_path: Path) -> None:
    root = make_collection(tmp_path / "c", [sample(n) for n in range(4)])
    seen: list[tuple[str, int]] = []

    class Recorder:
        def start(self, phase: str, total: int) -> None:
            seen.append((phase, total))

        def advance(self) -> None:
            phase, done = seen[-1]
            seen[-1] = (phase, done - 1)

    build_site(root, tmp_path / "site", progress=Recorder())
    # Each phase's total, counted down by its advances to zero; the words of
    # each address's newest save are read before the pages are rendered.
    assert seen == [("reading", 0), ("indexing", 0), ("rendering", 0)]
    (root / "000.md").write_text(render(sample(0, title="new")), encoding="utf-8")
    seen.clear()
    build_site(root, tmp_path / "site", progress=Recorder())
    # The index is updated from the last one: only the changed document's
    # words are read.
    assert seen == [("reading", 0), ("rendering", 0), ("indexing", 0)]
    (tmp_path / "site" / "search" / "docs.js").unlink()
    (root / "001.md").write_text(render(sample(1, title="new")), encoding="utf-8")
    seen.clear()
    build_site(root, tmp_path / "site", progress=Recorder())
    assert seen == [("reading", 0), ("rendering", 0), ("indexing", 0)]


def test_unreadable_file_and_undated_documents(tmp_path: Path) -> None:
    root = make_collection(
        tmp_path / "c",
        [sample(1, metadata=None), sample(2, metadata=Metadata(saved_at=datetime_utc()))],
    )
    (root / "dangling.md").symlink_to(tmp_path / "nowhere.md")
    report = build_site(root, tmp_path / "site")
    assert report.skipped == ("dangling.md",)
    assert [d.code for _, d in report.problems] == ["CD504"]
    assert (tmp_path / "site" / "d" / "undated.html").is_file()
    assert (tmp_path / "site" / "d" / "2025-02-03.html").is_file()  # the save time's date


def datetime_utc() -> Any:
    from datetime import datetime, timezone

    return datetime(2025, 2, 3, 4, 5, tzinfo=timezone.utc)


def test_command_shows_a_progress_bar_on_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from clipdoc._cli import main

    root = make_collection(tmp_path / "c", [sample(n) for n in range(3)])
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert main(["site", str(root), str(tmp_path / "site")]) == 0
    assert "reading" in capsys.readouterr().err


def test_command_names_the_missing_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import importlib.util

    from clipdoc._cli import main

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "nh3" else real(name, *a)
    )
    assert main(["site", str(tmp_path), str(tmp_path / "site")]) == 2
    assert "pip install 'clipdoc[site]'" in capsys.readouterr().err


# ------------------------------------------------------------ the interface's language

#: Names that stay as they are in every language.
_NAMES = {"clipdoc", "AI", "JavaScript"}
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_CJK_CHARACTER = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


def _interface_texts(page: Path) -> list[str]:
    """What a page says of its own: its text and labels, without the
    clipping's content (summaries, metadata values, URL, file, sources) and
    a problem's diagnostic (its code and message, as `clipdoc check` says
    them)."""
    soup = soup_of(page)
    content = ".original, .markdown, .url, code, dl.metadata dd, a[href*='s/'], .problems li"
    content += ", section[aria-labelledby^='section-'] h2"  # a section's own heading
    for element in soup.select(content):
        element.decompose()
    texts = [text for text in soup.stripped_strings if text.strip()]
    for element in soup.find_all(True):
        texts += [
            element[name] for name in ("aria-label", "placeholder", "title") if element.get(name)
        ]
    if soup.title is not None:
        texts.append(soup.title.get_text())
    return texts


def _site_pages(site: Path) -> list[Path]:
    return [
        site / "index.html",
        site / "dates.html",
        site / "tags.html",
        site / "sources.html",
        site / "search.html",
        *sorted((site / "c").iterdir()),
        *sorted((site / "d").iterdir()),
    ]


def test_a_chinese_interface_says_nothing_in_english(tmp_path: Path) -> None:
    chinese = [
        sample(
            n,
            title=f"大模型的第{n}个进展",
            url=f"https://weibo.com/1870858943/P{n % 2}",
            original_summary=f"<p>原文{n} #话题#</p>",
            ai_summary=f"摘要{n}",
            metadata=Metadata(source="微博", kind="社交媒体", catalog_date=date(2025, 1, 1 + n)),
        )
        for n in range(4)
    ]
    chinese.append(sample(9, title="", url=None, original_summary=None, ai_summary=None))
    root = make_collection(tmp_path / "c", chinese)
    (root / "004.md").write_text("# 冲突\n<<<<<<< a\nx\n=======\ny\n>>>>>>> b\n", encoding="utf-8")
    report = build_site(root, tmp_path / "site")  # most titles are Chinese: zh
    assert report.documents == 5
    for page in _site_pages(tmp_path / "site"):
        for text in _interface_texts(page):
            assert not set(_LATIN_WORD.findall(text)) - _NAMES, (page.name, text)
    assert soup_of(tmp_path / "site" / "index.html").html["lang"] == "zh"


@pytest.mark.parametrize("interface", ["zh", "en"])
def test_text_in_another_language_than_the_page_says_so(interface: str, tmp_path: Path) -> None:
    clippings = [
        sample(1, title="Attention is all you need", ai_summary="English words"),
        sample(2, title="大模型的进展", ai_summary="中文摘要"),
        sample(3, title="2025 — 42", ai_summary="123"),
    ]
    root = make_collection(tmp_path / "c", clippings)
    build_site(root, tmp_path / "site", lang=interface)
    for number, language in [(0, "en"), (1, "zh"), (2, None)]:
        page = soup_of(tmp_path / "site" / pages.clipping_page(f"{number:03d}.md"))
        assert page.html["lang"] == interface
        expected = None if language == interface else language
        assert page.h1.get("lang") == expected, (number, interface)
        assert page.find("div", class_="markdown").get("lang") == expected
    home = soup_of(tmp_path / "site" / "index.html")
    langs = {a.get_text(): a.get("lang") for a in home.select(".entry-title a")}
    assert langs["Attention is all you need"] == (None if interface == "en" else "en")
    assert langs["大模型的进展"] == (None if interface == "zh" else "zh")


def test_an_english_interface_says_nothing_in_chinese(tmp_path: Path) -> None:
    english = [
        sample(n, url=f"https://example.org/{n % 2}", original_summary=f"<p>text {n} #tag#</p>")
        for n in range(4)
    ]
    root = make_collection(tmp_path / "c", english)
    build_site(root, tmp_path / "site", lang="en")
    for page in _site_pages(tmp_path / "site"):
        soup = soup_of(page)
        # The metadata labels (来源, 类型...) are the format's own.
        for label in soup.select("dl.metadata dt"):
            label.decompose()
        assert not _CJK_CHARACTER.search(soup.get_text()), page.name
        assert soup.html["lang"] == "en"


def test_the_languages_are_one_file_each_with_every_message() -> None:
    from clipdoc._site import i18n

    assert i18n.LANGUAGES == ("en", "zh")
    templates = Path(pages.__file__).parent / "templates"
    source = "".join(p.read_text(encoding="utf-8") for p in templates.glob("*.html"))
    source += (Path(pages.__file__).parent / "build.py").read_text(encoding="utf-8")
    singular = re.findall(r'(?<![\w.])_\("((?:[^"\\]|\\.)*)"', source)
    singular += re.findall(r'messages\.gettext\(\s*"((?:[^"\\]|\\.)*)"', source)
    plural = [
        m[1] for m in re.findall(r'ngettext\(\s*"((?:[^"\\]|\\.)*)",\s*"((?:[^"\\]|\\.)*)"', source)
    ]
    catalogue = json.loads(
        (Path(i18n.__file__).parent / "messages" / "zh.json").read_text(encoding="utf-8")
    )
    assert len(singular) > 30
    assert set(singular + plural) == set(catalogue)
    for message, translated in catalogue.items():
        # The same placeholders, so that no value is lost in translation.
        assert sorted(re.findall(r"%\(\w+\)s|\{\w+\}", message)) == sorted(
            re.findall(r"%\(\w+\)s|\{\w+\}", translated)
        ), message


def test_an_unknown_interface_language_is_refused(tmp_path: Path) -> None:
    root = make_collection(tmp_path / "c", [sample(1)])
    with pytest.raises(ValueError, match="lang must be one of en, zh"):
        build_site(root, tmp_path / "site", lang="fr")
    done = subprocess.run(
        [sys.executable, "-m", "clipdoc", "site", "--lang", "xx", str(root), str(tmp_path / "s")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert "argument --lang: invalid choice: 'xx'" in done.stderr


def test_images_load_lazily_or_not_at_all(tmp_path: Path) -> None:
    pictured = sample(
        1,
        original_summary='<p>a <img src="https://wx1.sinaimg.cn/a.jpg" alt="&lt;img onerror=x">'
        "</p>",
        ai_summary="![b](https://example.org/b.png)",
    )
    root = make_collection(tmp_path / "c", [pictured])
    build_site(root, tmp_path / "remote")
    page = soup_of(tmp_path / "remote" / pages.clipping_page("000.md"))
    images = page.find_all("img")
    assert len(images) == 2
    assert all(image["loading"] == "lazy" for image in images)
    assert all(image["referrerpolicy"] == "no-referrer" for image in images)
    assert images[0]["alt"] == "<img onerror=x"
    assert not images[0].has_attr("onerror")
    build_site(root, tmp_path / "none", images="none")
    for built in (tmp_path / "none").rglob("*.html"):
        soup = soup_of(built)
        assert soup.find("img") is None
        policy = soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})["content"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        assert directives["img-src"] == "'self' data:"
    with pytest.raises(ValueError, match="images must be one of remote, none"):
        build_site(root, tmp_path / "x", images="lazy")


def test_only_the_files_the_last_build_wrote_are_carried_over(tmp_path: Path) -> None:
    # Texts longer than the listing holds: each has a file of its whole text.
    long = [sample(n, ai_summary=f"word{n} " * 200) for n in range(4)]
    root = make_collection(tmp_path / "c", long)
    site = tmp_path / "site"
    build_site(root, site)
    secret = tmp_path / "secret"
    secret.write_text("not for the site")
    # A folder swapped for a link to a copy elsewhere, with a mark in each file.
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(site / "c", elsewhere)
    for page in elsewhere.iterdir():
        page.write_text(page.read_text() + "<!-- planted -->")
    shutil.rmtree(site / "c")
    (site / "c").symlink_to(elsewhere)
    # Hard links to the secret in place of the site's own files.
    planted = [
        site / "style.css",
        site / "search" / "d0.js",
        site / "search" / "s0.js",
        next((site / "search" / "t").iterdir()),
    ]
    for path in planted:
        path.unlink()
        os.link(secret, path)
    # Files changed since they were built.
    for path in (site / "index.html", site / "search" / "docs.js"):
        path.write_text(path.read_text() + "<script>planted()</script>")
    build_site(root, site)
    for built in site.rglob("*"):
        assert not built.is_symlink()
        if built.is_file():
            text = built.read_text(encoding="utf-8")
            assert "planted" not in text, built
            assert "not for the site" not in text, built
            assert not built.samefile(secret)
    assert secret.stat().st_nlink == 1  # the old site, and its links, are gone


def test_an_output_that_is_a_link_is_refused(tmp_path: Path) -> None:
    root = make_collection(tmp_path / "c", [sample(1)])
    build_site(root, tmp_path / "real")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(
        ClipdocError, match="a symbolic link; name the folder it leads to"
    ) as caught:
        build_site(root, tmp_path / "link")
    assert caught.value.code == "CD701"
    assert (tmp_path / "link").is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c", "link", "real"]


def _postings_of(site: Path, token: str) -> list[int]:
    shards, _ = search.read_header((site / "search" / "docs.js").read_text(encoding="utf-8"))
    number = search.shard_of(token, shards)
    table = search.read_shard(
        (site / "search" / f"s{number}.js").read_text(encoding="utf-8"), number
    )
    deltas = table.get(token, [[], []])[0]
    return [sum(deltas[: i + 1]) for i in range(len(deltas))]


def test_editing_a_save_keeps_the_shards_that_hold_what_they_held(tmp_path: Path) -> None:
    many = [sample(n, ai_summary=" ".join(f"w{n}x{k}" for k in range(200))) for n in range(100)]
    saves = [sample(100 + n, url="https://weibo.com/1/same") for n in range(2)]
    root = make_collection(tmp_path / "c", [*many, *saves])
    site = tmp_path / "site"
    build_site(root, site)
    shards = sorted((site / "search").glob("s*.js"))
    assert len(shards) > 4
    before = {p.name: p.stat().st_ino for p in shards}
    edited = attrs.evolve(saves[1], ai_summary="quagga")  # the newest save's words change
    (root / "101.md").write_text(render(edited), encoding="utf-8")
    build_site(root, site)
    kept = [
        p.name for p in sorted((site / "search").glob("s*.js")) if before[p.name] == p.stat().st_ino
    ]
    assert len(kept) >= len(shards) - 3
    assert _postings_of(site, "quagga")


def test_search_finds_an_address_saved_many_times_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = date(2025, 1, 1)
    saves = [
        sample(
            n,
            url="https://weibo.com/1/same",
            title="zebrafish" if n < 3 else "zebrafish again",
            original_summary=f"okapi{n}",
            metadata=Metadata(catalog_date=first + timedelta(n)),
        )
        for n in range(5)
    ]
    root = make_collection(tmp_path / "c", [*saves, sample(9, title="zebrafish alone")])
    build_site(root, tmp_path / "site")
    # Newest first: the lone clipping, then the newest save, found by its
    # words; the other saves hold none.
    assert _postings_of(tmp_path / "site", "zebrafish") == [0, 1]
    assert _postings_of(tmp_path / "site", "okapi4") == [1]
    assert _postings_of(tmp_path / "site", "okapi0") == []

    def changes() -> collections.abc.Iterator[bool]:
        """Each change, and whether the index is made from the last one."""
        (root / "005.md").write_text(render(attrs.evolve(saves[0], title="moved")))  # a new save
        yield True
        # An older save edited: the address stays at its newest save.
        (root / "002.md").write_text(render(attrs.evolve(saves[2], original_summary="gnu")))
        yield True
        # An older save made the newest by its date: its words are read.
        later = Metadata(catalog_date=first + timedelta(30))
        (root / "003.md").write_text(render(attrs.evolve(saves[3], metadata=later)))
        yield True
        (root / "002.md").unlink()  # an older save gone
        yield True
        # The newest save gone: the next one, unchanged, has not read its words.
        (root / "003.md").unlink()
        yield False
        (root / "001.md").write_text(render(attrs.evolve(saves[1], url="https://e.org/x")))
        yield True
        # A new newest save (a re-clip, as a producer makes every day).
        newest = Metadata(catalog_date=first + timedelta(40))
        (root / "006.md").write_text(render(attrs.evolve(saves[0], metadata=newest)))
        yield True

    for updated in changes():
        with monkeypatch.context() as patched:
            if updated:
                patched.setattr(search, "build_index", None)
            build_site(root, tmp_path / "site")
        shutil.rmtree(tmp_path / "fresh", ignore_errors=True)
        build_site(root, tmp_path / "fresh")
        incremental, fresh = snapshot(tmp_path / "site"), snapshot(tmp_path / "fresh")
        assert {k: v[0] for k, v in incremental.items()} == {k: v[0] for k, v in fresh.items()}


def _one_document(tmp_path: Path) -> Path:
    """A collection of the example document alone."""
    root = tmp_path / "c"
    root.mkdir()
    shutil.copy(EXAMPLE, root)
    return root


def _unfinished(parent: Path, name: str = "site", random: str = "abcd_123") -> Path:
    """A folder as a build that never finished leaves it, with a page."""
    folder = parent / f".{name}.{random}.building"
    (folder / "c").mkdir(parents=True)
    (folder / "c" / "0.html").write_text("half a site")
    return folder


@pytest.mark.skipif(sys.platform == "win32", reason="no flock on Windows")
def test_a_build_removes_the_folders_of_builds_that_never_finished(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only unlocked folders named as a build of this output names them,
    old enough, and real folders: never a link (nor what it leads to), a
    file, another output's folder or a name a build does not make."""
    from clipdoc._site import leftovers

    root = _one_document(tmp_path)
    dead = _unfinished(tmp_path)
    elsewhere = _unfinished(tmp_path / "elsewhere", random="zzzz_999")
    (tmp_path / ".site.abcdefgz.building").symlink_to(elsewhere)
    (tmp_path / ".site.abcdefgy.building").write_text("a file")
    other_output = _unfinished(tmp_path, name="other")
    not_made_by_a_build = _unfinished(tmp_path, random="ABCD_123")
    monkeypatch.setattr(leftovers, "UNFINISHED_AFTER", 0.0)
    report = build_site(root, tmp_path / "site")
    assert report.removed == (str(dead),)
    assert report.not_removed == ()
    assert not dead.exists()
    assert (elsewhere / "c" / "0.html").read_text() == "half a site"
    assert (tmp_path / ".site.abcdefgz.building").is_symlink()
    assert (tmp_path / ".site.abcdefgy.building").read_text() == "a file"
    assert (other_output / "c" / "0.html").exists()
    assert (not_made_by_a_build / "c" / "0.html").exists()
    assert build_site(root, tmp_path / "site").removed == ()


@pytest.mark.skipif(sys.platform == "win32", reason="no flock on Windows")
def test_the_folder_of_a_running_build_or_a_recent_one_is_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fcntl

    from clipdoc._site import leftovers

    root = _one_document(tmp_path)
    running = _unfinished(tmp_path)
    recent = _unfinished(tmp_path, random="efgh_456")
    descriptor = os.open(running, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)  # as a build holds its folder
        monkeypatch.setattr(leftovers, "UNFINISHED_AFTER", 3600.0)
        assert build_site(root, tmp_path / "site").removed == ()
        assert recent.exists()
        monkeypatch.setattr(leftovers, "UNFINISHED_AFTER", 0.0)
        assert build_site(root, tmp_path / "site").removed == (str(recent),)
        assert (running / "c" / "0.html").exists()
    finally:
        os.close(descriptor)
    assert build_site(root, tmp_path / "site").removed == (str(running),)


def _slow_build(
    tmp_path: Path, jobs: str, *, start_new_session: bool = False
) -> tuple[Path, subprocess.Popen[bytes]]:
    """A collection that takes seconds to build, and ``clipdoc site`` of it
    started into ``tmp_path / "site"``."""
    root = tmp_path / "c"
    root.mkdir()
    for number in range(300):
        clip = Clipping(title=f"t{number}", url=f"https://example.com/{number}")
        (root / f"{number:04}.md").write_text(render(attrs.evolve(clip, ai_summary="长" * 4000)))
    script = Path(sys.executable).with_name("clipdoc")
    process = subprocess.Popen(
        [str(script), "site", "--jobs", jobs, "-q", str(root), str(tmp_path / "site")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=start_new_session,
    )
    return root, process


@pytest.mark.skipif(sys.platform == "win32", reason="no SIGKILL or flock on Windows")
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_killed_build_leaves_a_folder_the_next_build_removes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], jobs: str
) -> None:
    """``kill -9`` in the midst of a build (its workers with it): the folder
    it wrote into is no longer locked, and the next build removes it and
    says so; while the build ran, its folder was locked."""
    from clipdoc._site import leftovers

    root, process = _slow_build(tmp_path, jobs, start_new_session=True)
    deadline = time.monotonic() + 60
    while not any(tmp_path.glob(".site.*.building/c")) and time.monotonic() < deadline:
        assert process.poll() is None, "the build ended before it could be killed"
        time.sleep(0.01)
    monkeypatch.setattr(leftovers, "UNFINISHED_AFTER", 0.0)
    assert leftovers.remove_unfinished(str(tmp_path / "site")) == ((), ())  # locked: running
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    [left] = tmp_path.glob(".site.*.building")
    deadline = time.monotonic() + 60  # workers see their parent gone, and end
    while main(["site", "-q", str(root), str(tmp_path / "site")]) == 0 and left.exists():
        assert time.monotonic() < deadline, "the killed build's folder stayed locked"
        time.sleep(0.1)
    assert not left.exists()
    assert f"{left}: removed: left by a build that did not finish" in capsys.readouterr().err
    assert not list(tmp_path.glob(".site.*"))


def test_a_build_opens_each_folder_once_per_run_of_its_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each document is read up to three times (its facts, its words, its
    page), each in its folder's order: the folder of the last file read
    stays open, where each read opened the collection and its folder."""
    root = tmp_path / "c"
    for day in ("2025-05-05", "2025-05-06"):
        (root / day).mkdir(parents=True)
        for number in range(30):
            clip = Clipping(title=f"{day} {number}", url=f"https://example.com/{day}/{number}")
            (root / day / f"{number:02}.md").write_text(render(clip))
    opened: list[str] = []
    real = Folder._open_parent

    def counted(self: Folder, parts: list[str], *arguments: Any, **options: Any) -> int:
        opened.append("/".join(parts[:-1]))
        return real(self, parts, *arguments, **options)

    monkeypatch.setattr(Folder, "_open_parent", counted)
    report = build_site(root, tmp_path / "site", jobs=1)
    assert report.documents == 60
    days = [folder for folder in opened if folder.startswith("2025")]
    assert set(days) == {"2025-05-05", "2025-05-06"}
    assert len(days) <= 6  # two folders, three reads of each document


def _process(pid: int | str) -> tuple[str, int] | None:
    """The state and the parent of a process (Linux's /proc); None once
    it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as status:
            fields = status.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return fields[0], int(fields[1])


def _children(pid: int) -> set[int]:
    """The processes whose parent is ``pid``."""
    listed = (entry for entry in os.listdir("/proc") if entry.isdigit())
    return {int(entry) for entry in listed if (_process(entry) or ("", 0))[1] == pid}


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux's /proc")
def test_workers_end_when_the_main_process_is_killed(tmp_path: Path) -> None:
    """The out-of-memory killer ends the main process alone: its workers,
    which held the pool's pipes open themselves and the lock of the build's
    folder, waited for ever; they now see it gone and end, and the folder
    can be removed."""
    _, process = _slow_build(tmp_path, "2")
    deadline = time.monotonic() + 60
    workers: set[int] = set()
    while not (workers and any(tmp_path.glob(".site.*.building/c"))):
        assert process.poll() is None, "the build ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.01)
        workers = _children(process.pid)
    process.kill()  # the main process only
    process.wait(timeout=60)
    deadline = time.monotonic() + 30
    while any((_process(pid) or ("Z", 0))[0] != "Z" for pid in workers):
        assert time.monotonic() < deadline, "the workers outlived the main process"
        time.sleep(0.1)


@pytest.mark.skipif(sys.platform == "win32", reason="no flock on Windows")
def test_a_leftover_that_cannot_be_removed_is_said_to_be_and_a_failed_build_removes_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import errno

    from clipdoc._site import leftovers

    root = _one_document(tmp_path)
    left = _unfinished(tmp_path)
    monkeypatch.setattr(leftovers, "UNFINISHED_AFTER", 0.0)
    theme = tmp_path / "theme" / "templates"
    theme.mkdir(parents=True)
    (theme / "clipping.html").write_text("{{ 1 / 0 }}")
    with pytest.raises(ClipdocError):
        build_site(root, tmp_path / "site", theme=theme.parent)
    assert left.exists()  # the build failed: it removed nothing

    def refused(folder: int, name: str, expected: os.stat_result) -> None:
        raise OSError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(leftovers, "remove_tree", refused)
    assert main(["site", "-q", str(root), str(tmp_path / "site")]) == 0
    said = capsys.readouterr().err
    assert f"{left}: left by a build that did not finish, and not removed:" in said
    assert "Permission denied; remove it by hand" in said
    report = build_site(root, tmp_path / "site")
    assert report.removed == ()
    # The last site could not be removed either: it is said to be too.
    assert (str(left), "Permission denied") in report.not_removed
    assert {why for _, why in report.not_removed} == {"Permission denied"}
    monkeypatch.undo()
    monkeypatch.setattr(leftovers, "UNFINISHED_AFTER", 0.0)
    assert str(left) in build_site(root, tmp_path / "site").removed
    assert not list(tmp_path.glob(".site.*"))


def test_an_output_made_while_the_build_ran_is_left_and_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two builds of a new output at once: the one that finishes second
    finds a folder where there was none, and says so (it said "Directory
    not empty"), replacing nothing."""
    from clipdoc._site import build, leftovers

    output = tmp_path / "site"
    staging, lock = leftovers.staging_folder(str(output))
    output.mkdir()  # after the build looked (it saw nothing there)
    (output / "mine.txt").write_text("kept")
    try:
        with pytest.raises(ClipdocError, match="made or replaced while this build ran") as raised:
            build._swap_in(staging, str(output), None)
    finally:
        leftovers.unlock(lock)
    assert raised.value.code == "CD701"
    assert (output / "mine.txt").read_text() == "kept"
    assert os.path.isdir(staging)  # build_site removes it


def test_a_summary_clipped_again_gives_the_html_each_choice_of_images_makes() -> None:
    """An original summary's HTML is kept per process for a post clipped
    again: by the summary and the choice of images, never one for the
    other."""
    summary = '<p>图 <img src="https://example.com/a.jpg"> 文</p>'
    lazy = pages.original_html(summary, images="lazy")
    none = pages.original_html(summary, images="none")
    assert 'loading="lazy"' in lazy
    assert "<img" not in none
    assert pages.original_html(summary, images="lazy") == lazy
    assert pages.original_html(summary, images="none") == none
    long = summary * 1000  # past what is kept: made each time, the same
    assert pages.original_html(long) == pages.original_html(long)


@pytest.mark.skipif(sys.platform == "win32", reason="no flock on Windows")
def test_nothing_with_a_file_system_mounted_in_it_is_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bind mount of the same file system has the same device: removing
    through it emptied the folder it shows. A leftover, or the site a build
    replaced, with a mount point inside is left, and said to be."""
    from clipdoc._site import leftovers

    root = _one_document(tmp_path)
    output = tmp_path / "site"
    build_site(root, output)
    left = _unfinished(tmp_path)

    def mounted() -> list[str]:  # a mount point in each folder beside the site
        return [str(folder.resolve() / "c") for folder in tmp_path.glob(".site.*.building")]

    monkeypatch.setattr(leftovers, "_mount_points", mounted)
    monkeypatch.setattr(leftovers, "UNFINISHED_AFTER", 0.0)
    before = {p.name for p in tmp_path.iterdir()}
    report = build_site(root, output, title="again")
    assert report.removed == ()
    reasons = dict(report.not_removed)
    assert reasons[str(left)] == f"{left.resolve() / 'c'} is a file system mounted there"
    [old_site] = {p.name for p in tmp_path.iterdir()} - before  # the last site, kept
    assert reasons[str(tmp_path / old_site)].endswith("is a file system mounted there")
    assert (tmp_path / old_site / "c").is_dir()
    assert "again" in (output / "index.html").read_text(encoding="utf-8")
    monkeypatch.setattr(leftovers, "_mount_points", list)
    assert set(build_site(root, output).removed) == {str(left), str(tmp_path / old_site)}


def test_mount_points_are_read_as_the_system_writes_them() -> None:
    from clipdoc._site import leftovers

    assert leftovers._unescaped(r"/a\040b\011c\012d\134e") == "/a b\tc\nd\\e"
    if os.path.exists("/proc/self/mountinfo"):
        assert "/" in leftovers._mount_points()


def test_an_output_replaced_while_the_build_ran_is_left_and_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last site moved away and a folder of the user's put in its
    place while a build ran: neither is replaced (the build exchanged
    whatever was there, and removed it)."""
    from clipdoc._site import build

    root = _one_document(tmp_path)
    output = tmp_path / "site"
    build_site(root, output)
    real_write_manifest = build._Site.write_manifest

    def replaced_meanwhile(site: Any, documents: Any) -> None:
        real_write_manifest(site, documents)
        output.rename(tmp_path / "moved")
        output.mkdir()
        (output / "thesis.txt").write_text("mine")

    monkeypatch.setattr(build._Site, "write_manifest", replaced_meanwhile)
    with pytest.raises(ClipdocError, match="made or replaced while this build ran"):
        build_site(root, output, title="again")
    assert [p.name for p in output.iterdir()] == ["thesis.txt"]
    assert (tmp_path / "moved" / "index.html").exists()
    assert not list(tmp_path.glob(".site.*"))


def test_the_last_site_is_removed_where_folders_have_no_descriptors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clipdoc._site import leftovers

    root = _one_document(tmp_path)
    build_site(root, tmp_path / "site")
    monkeypatch.setattr(leftovers, "_BY_DESCRIPTOR", False)  # as on Windows
    report = build_site(root, tmp_path / "site", title="again")
    assert (report.removed, report.not_removed) == ((), ())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c", "site"]


def test_a_build_with_nothing_changed_opens_each_folder_of_the_last_site_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every file of the last site is linked into the new one: each of its
    folders is opened once in a build (it was opened, with the whole path,
    for each file), and let go of when the build ends."""
    from clipdoc._site import build

    root = tmp_path / "c"
    root.mkdir()
    for number in range(40):
        clip = Clipping(title=f"t{number}", url=f"https://example.com/{number}")
        (root / f"{number:02}.md").write_text(render(clip))
    output = tmp_path / "site"
    build_site(root, output, jobs=1)
    opened: list[str] = []
    real_open = os.open

    def counted(path: Any, *arguments: Any, **options: Any) -> int:
        if path == str(output):
            opened.append(path)
        return real_open(path, *arguments, **options)

    monkeypatch.setattr(os, "open", counted)
    report = build_site(root, output, jobs=1)
    monkeypatch.undo()
    assert report.rendered == 0
    assert report.reused > 70
    assert 1 <= len(opened) <= 10  # the site's folders: c/, d/, search/ ...
    assert build._OLD_FOLDERS == {}
