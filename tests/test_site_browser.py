"""The site in a real browser: Chromium driven by Playwright.

Skipped (with the reason) where Playwright or a Chromium is missing; CI
installs Debian's ``chromium`` (``.ci/run``), and Playwright drives it
through ``executable_path`` (Playwright's own browser download is not
needed). ``CLIPDOC_CHROMIUM`` names another Chromium binary.
"""

from __future__ import annotations

import base64
import functools
import http.server
import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clipdoc import Collection, url_key
from clipdoc._site import pages, search
from hostile import CORPUS, build_hostile_site

playwright_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")

CHROMIUM = os.environ.get("CLIPDOC_CHROMIUM") or next(
    filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None
)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium (apt-get install chromium, or set CLIPDOC_CHROMIUM)"
)
# Headless, as root in CI, and quiet on a machine with no network.
CHROMIUM_ARGUMENTS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[str]]:
    root = tmp_path_factory.mktemp("collection")
    out = tmp_path_factory.mktemp("site") / "out"
    return root, out, build_hostile_site(root, out)


@pytest.fixture(scope="module")
def server(site: tuple[Path, Path, list[str]]) -> Iterator[str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # one connection for a page and its files

        def log_message(self, format: str, *args: Any) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(site[1]))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGUMENTS)
        yield chromium
        chromium.close()


class Watched:
    """A page whose dialogs, errors, console errors and outside requests are
    recorded. Requests that leave the site (the documents' images) get a
    one-pixel image, so that nothing waits on a network there is none of."""

    def __init__(self, browser: Any, base: str, **options: Any) -> None:
        self.page = browser.new_page(**options)
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.console: list[str] = []
        self.outside: list[tuple[str, str]] = []
        self.page.on("dialog", self._dialog)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on(
            "console",
            lambda message: self.console.append(message.text) if message.type == "error" else None,
        )
        self.base = base
        # Only requests that leave the site are routed (each costs a round
        # trip to this process): a regular expression the driver matches.
        self.page.route(re.compile("^(?!" + re.escape(base) + ")"), self._route)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _route(self, route: Any) -> None:
        request = route.request
        self.outside.append((request.resource_type, request.url))
        route.fulfill(status=200, content_type="image/png", body=PIXEL)

    def assert_clean(self) -> None:
        assert self.dialogs == []
        assert self.errors == []
        assert self.console == []
        assert self.page.evaluate("window.__pwned") is None
        assert {kind for kind, _ in self.outside} <= {"image"}, self.outside

    def close(self) -> None:
        self.page.close()


@pytest.fixture
def watched(browser: Any, server: str) -> Iterator[Watched]:
    page = Watched(browser, server)
    yield page
    page.close()


def _address(entry: Any) -> str:
    """The address an entry is a save of (as the site groups saves)."""
    url = entry.clipping.url
    return url_key(url) if url else "\0" + entry.path


def _saves(collection: Collection) -> dict[str, dict[str, str]]:
    """The pages of each address's saves, with their titles."""
    saves: dict[str, dict[str, str]] = {}
    for entry in collection:
        if entry.clipping is not None:
            saves.setdefault(_address(entry), {})[pages.clipping_page(entry.path)] = (
                entry.clipping.title
            )
    return saves


def title_word(title: str) -> str:
    """A word of the title a reader would type: its longest token."""
    return max(search.tokens(title), key=len)


def test_clicking_through_the_site(watched: Watched, server: str) -> None:
    # expect() waits for each navigation: reading right after a click could
    # read the page being left.
    expect = playwright_api.expect
    page = watched.page
    page.goto(server + "index.html")
    first = page.locator(".entry-title a").first
    title = first.inner_text()
    first.click()
    expect(page.locator("h1")).to_have_text(title)
    older = page.locator('.neighbours a[rel="next"]')
    older_title = older.inner_text().removesuffix(" →")
    older.click()
    expect(page.locator("h1")).to_have_text(older_title)
    page.locator(".entry-meta a").first.click()  # the clipping's date
    expect(page.locator(".entry-title a").filter(has_text=older_title).first).to_be_visible()
    page.get_by_role("link", name="Tags").click()
    expect(page.locator("h1")).to_have_text("Tags")
    page.locator(".groups a").first.click()
    expect(page.locator(".entry").first).to_be_visible()
    page.get_by_role("link", name="Latest").click()
    expect(page.locator("h1")).to_have_text("Latest clippings")
    if page.locator('.pager a[rel="next"]').count():
        page.locator('.pager a[rel="next"]').click()
        expect(page.locator('[aria-current="page"]')).to_have_text("2")
    watched.assert_clean()


@pytest.mark.parametrize("scheme", ["http", "file"])
def test_search_from_the_home_page_finds_a_document_by_a_word_of_its_title(
    browser: Any, server: str, site: tuple[Path, Path, list[str]], scheme: str
) -> None:
    root, out, _ = site
    base = server if scheme == "http" else out.as_uri() + "/"
    entries = [e for e in Collection(root) if e.clipping and search.tokens(e.clipping.title)]
    picked = entries[:: max(1, len(entries) // 6)][:6]
    saves = _saves(Collection(root))
    watched = Watched(browser, base)
    try:
        for entry in picked:
            assert entry.clipping is not None
            watched.page.goto(base + "index.html")
            box = watched.page.locator("input[type=search]")
            box.fill(title_word(entry.clipping.title))
            box.press("Enter")
            # A clipping saved many times is found once, at one of its saves.
            titles = saves[_address(entry)]
            link = watched.page.locator(
                ", ".join(f'#search-results a[href="{page}"]' for page in titles)
            ).first
            link.wait_for(timeout=10_000)
            assert link.inner_text() in {title or "(untitled)" for title in titles.values()}
        watched.assert_clean()
    finally:
        watched.close()


def test_search_shows_how_many_and_pages_the_results(watched: Watched, server: str) -> None:
    page = watched.page
    page.goto(server + "search.html?q=hostile")
    page.locator("#search-results li").first.wait_for()
    assert "clippings found for “hostile”" in page.locator("#search-status").inner_text()
    page.goto(server + "search.html?q=zzzznotaword")
    page.locator("#search-status:has-text('0 clippings')").wait_for()
    page.goto(server + "search.html?q=%3Cimg%20src%3Dx%20onerror%3Dwindow.__pwned%3D1%3E")
    page.locator("#search-status:has-text('found for')").wait_for()
    watched.assert_clean()


def test_hostile_documents_run_nothing_anywhere(
    watched: Watched, server: str, site: tuple[Path, Path, list[str]]
) -> None:
    """Open every page that shows a hostile document, hover every element
    on it, focus every link, and check that nothing ran."""
    _, out, hostile = site
    shown = set()
    for path in hostile:
        shown.add(pages.clipping_page(path))
    for candidate in out.rglob("*.html"):
        if "hostile" in candidate.read_text(encoding="utf-8"):
            shown.add(candidate.relative_to(out).as_posix())
    assert len(shown) > len(hostile)
    page = watched.page
    for name in sorted(shown):
        page.goto(server + name)
        for element in page.locator("main *").all():
            if element.is_visible():
                element.hover(timeout=2_000, force=True)
        for link in page.locator("main a").all():
            link.focus()
        page.keyboard.press("Tab")
        watched.assert_clean()
    assert any(kind == "image" for kind, _ in watched.outside) or not CORPUS.is_dir()


def test_pages_load_without_errors(browser: Any, site: tuple[Path, Path, list[str]]) -> None:
    """Every list and overview page but tags', and every eighth tag and
    clipping page, from disk (every page's HTML is checked in test_site.py;
    the pages that show hostile documents are all opened above)."""
    _, out, _ = site
    base = out.as_uri() + "/"
    names = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html"))
    sampled = [n for n in names if n.startswith(("c/", "t/"))]
    lists = [n for n in names if n not in sampled]
    watched = Watched(browser, base)
    try:
        for name in lists + sampled[::8]:
            watched.page.goto(base + name, wait_until="domcontentloaded")
            assert watched.page.locator("h1").count() == 1, name
        watched.assert_clean()
    finally:
        watched.close()


def test_tokenizer_in_the_browser_agrees_with_the_index(watched: Watched, server: str) -> None:
    texts = [
        "大模型 GPT-4o",
        "Ｆｕｌｌ　ｗｉｄｔｈ ＡＢＣ",
        "ÉCOLE straße İstanbul ǅ",
        "日本語のテキスト と カタカナ 한국어 텍스트",
        "𠀀𠀁 emoji 😀 mixed中文English",
        "x_y a1 ①② ½ Ⅻ ٣٤ ๒๓",
        "tab\tnew\nline\r\u2028\u00a0nbsp",
        "",
        "<script>alert(1)</script> &amp; #话题#",
        "ﬁ ligature ㍿ ㌔ ﬀ",
    ]
    watched.page.goto(server + "search.html")
    found = watched.page.evaluate("texts => texts.map(t => clipdocSearch.tokens(t))", texts)
    assert found == [search.tokens(text) for text in texts]
    tokens = sorted({t for text in texts for t in search.tokens(text)})
    shards = watched.page.evaluate(
        "tokens => tokens.map(t => clipdocSearch.shardOf(t, 4096))", tokens
    )
    assert shards == [search.shard_of(token, 4096) for token in tokens]
    watched.assert_clean()


def test_dark_mode_and_narrow_screens(browser: Any, server: str) -> None:
    watched = Watched(browser, server, color_scheme="dark", viewport={"width": 360, "height": 740})
    try:
        watched.page.goto(server + "index.html")
        background = watched.page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(22, 24, 27)"
        width = watched.page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360  # nothing wider than the screen
        watched.assert_clean()
    finally:
        watched.close()


def test_search_speaks_the_site_language(browser: Any, tmp_path: Path) -> None:
    from clipdoc import Clipping, render
    from clipdoc.site import build_site

    root = tmp_path / "collection"
    root.mkdir()
    for number in range(3):
        clipping = Clipping(title=f"扩散模型的第{number}篇", url=f"https://example.org/{number}")
        (root / f"{number}.md").write_text(render(clipping), encoding="utf-8")
    build_site(root, tmp_path / "site", lang="zh")
    base = (tmp_path / "site").as_uri() + "/"
    watched = Watched(browser, base)
    try:
        watched.page.goto(base + "search.html?q=扩散")
        status = watched.page.locator("#search-status:has-text('找到')")
        status.wait_for()
        assert status.inner_text() == "找到 3 条与“扩散”相关的收藏"
        watched.page.goto(base + "search.html?q=x")
        assert (
            watched.page.locator("#search-status").inner_text()
            == "请输入两个字母以上的词，或一个汉字。"
        )
        watched.assert_clean()
    finally:
        watched.close()


def test_search_marks_words_as_the_index_folds_them(browser: Any, tmp_path: Path) -> None:
    from clipdoc import Clipping, render
    from clipdoc.site import build_site

    root = tmp_path / "collection"
    root.mkdir()
    clippings = [
        Clipping(title="ＡＩ 的进展", ai_summary="大模型 ＡＩ 进展"),  # fullwidth letters
        Clipping(title="微调", ai_summary="The ﬁne-tuning of a cafe\u0301 model"),  # ligature, mark
        Clipping(title="模型的第三篇", ai_summary="模型"),
        Clipping(title="第四篇", ai_summary="Diffusion models 与多模态大模型 and Transformers"),
        # A word in the second of four parts of the text's files.
        Clipping(title="长文", ai_summary="filler " * 4_000 + "needleword " + "filler " * 6_000),
    ]
    for number, clipping in enumerate(clippings):
        (root / f"{number}.md").write_text(render(clipping), encoding="utf-8")
    build_site(root, tmp_path / "site", lang="zh")
    base = (tmp_path / "site").as_uri() + "/"
    watched = Watched(browser, base)
    try:
        cases = [
            ("ai", "ＡＩ"),
            ("fine", "ﬁne"),
            ("café", "cafe\u0301"),
            # Overlapping pairs are one mark; a word's beginning marks the word.
            ("大模型", "大模型"),
            ("多模态大模型", "多模态大模型"),
            ("diffus", "Diffusion"),
            ("transformers", "Transformers"),
            ("needleword", "needleword"),
        ]
        for query, marked in cases:
            watched.page.goto(base + "search.html?q=" + query)
            mark = watched.page.locator("#search-results mark").first
            mark.wait_for()
            assert mark.inner_text() == marked, query
        # Latin text on a Chinese page says it is English.
        watched.page.goto(base + "search.html?q=fine")
        snippet = watched.page.locator("#search-results .snippet").first
        snippet.wait_for()
        assert snippet.get_attribute("lang") == "en"
        # A long query is echoed in part.
        watched.page.goto(base + "search.html?q=" + "模型" * 2_000)
        status = watched.page.locator("#search-status:has-text('找到')")
        status.wait_for()
        assert len(status.inner_text()) < 120
        watched.assert_clean()
    finally:
        watched.close()


@pytest.fixture(scope="module")
def corpus_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Collection, str]:
    if not CORPUS.is_dir():
        pytest.skip(f"the shared corpus is not at {CORPUS}")
    from clipdoc.site import build_site

    out = tmp_path_factory.mktemp("corpus-site") / "out"
    build_site(CORPUS, out, lang="en")
    return Collection(CORPUS), out.as_uri() + "/"


def _search(watched: Watched, base: str, query: str) -> tuple[list[str], int]:
    """The pages of every result of ``query`` (all pages of results shown)
    and the bytes the page loaded for its first page of results."""
    loaded: list[int] = []
    watched.page.on("response", lambda response: loaded.append(len(response.body())))
    watched.page.goto(base + "search.html?q=" + query)
    status = watched.page.locator("#search-status")
    status.filter(has_text="found for").wait_for()
    count = int(status.inner_text().split()[0])
    first_page = sum(loaded)
    results = watched.page.locator("#search-results li")
    if count:
        results.first.wait_for()
    more = watched.page.locator("#search-more")
    while results.count() < count:
        shown = results.count()
        more.click()
        results.nth(shown).wait_for()
        # The keyboard's focus is on the first result the button brought.
        playwright_api.expect(results.nth(shown).locator(".entry-title a")).to_be_focused()
    hrefs = [a.get_attribute("href") or "" for a in watched.page.locator(".entry-title a").all()]
    return [href.removeprefix(base) for href in hrefs], first_page


def test_search_finds_prefixes_addresses_and_ids(browser: Any, corpus_site: Any) -> None:
    collection, base = corpus_site
    entries = [entry for entry in collection if entry.clipping is not None]
    watched = Watched(browser, base)
    try:
        # A word's beginning finds the word.
        saves = _saves(collection)
        diffusion = {
            _address(entry)
            for entry in entries
            if "diffusion" in search.tokens(entry.clipping.title)
        }
        assert diffusion
        found, loaded = _search(watched, base, "diffus")
        # Each address once: one of its saves.
        assert all(set(saves[address]) & set(found) for address in diffusion)
        address_of = {page: address for address, pages_ in saves.items() for page in pages_}
        assert len({address_of[page] for page in found}) == len(found)
        assert loaded <= 300_000
        # Each result: a snippet, and the word marked where it shows.
        # (A result whose word is past the start of its text gets its
        # snippet when the rest of the text has loaded: expect() waits.)
        for result in watched.page.locator("#search-results li").all()[:20]:
            playwright_api.expect(result.locator(".snippet, .url").first).to_be_visible()
            playwright_api.expect(result.locator("mark").first).to_be_visible()
        # An arXiv paper by its id, a Weibo account by its address.
        paper = next(e for e in entries if e.clipping.url and "arxiv.org/abs/" in e.clipping.url)
        arxiv_id = paper.clipping.url.rsplit("/", 1)[1].split("v")[0]
        found, _ = _search(watched, base, arxiv_id)
        assert set(saves[_address(paper)]) & set(found)
        found, _ = _search(watched, base, paper.clipping.url)  # pasted whole
        assert set(saves[_address(paper)]) & set(found)
        post = next(e for e in entries if e.clipping.url and "weibo.com/" in e.clipping.url)
        account = "weibo.com/" + post.clipping.url.split("weibo.com/")[1].split("/")[0]
        posts = {_address(e) for e in entries if e.clipping.url and f"{account}/" in e.clipping.url}
        found, _ = _search(watched, base, account)
        assert all(set(saves[address]) & set(found) for address in posts)
        # A long query of words no document has loads a few shards, not all.
        found, loaded = _search(watched, base, "+".join(f"qz{n}vx" for n in range(300)))
        assert found == []
        assert loaded < 600_000
        # Words that are names of JavaScript's own properties are words.
        for word in ("constructor", "__proto__", "toString", "hasOwnProperty"):
            _search(watched, base, word)
        watched.assert_clean()
    finally:
        watched.close()
