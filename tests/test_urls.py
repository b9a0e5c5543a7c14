"""One identity per URL: `url_key`, and what uses it (find, duplicates,
``clipdoc import``'s dedupe and ``--on-duplicate``)."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import clipdoc
import strategies
from clipdoc import Clipping, Collection, Metadata, url_key
from clipdoc._cli import main

SAME_PAGE = [
    # scheme, host case, www., default port, final slash, fragment
    ("http://example.com/a", "https://EXAMPLE.com/a/"),
    ("https://www.example.com", "https://example.com/"),
    ("https://example.com:443/a", "http://example.com:80/a#part"),
    ("https://example.com./a", "https://example.com/a"),
    # escapes: unreserved characters, hexadecimal case, non-ASCII characters
    ("https://example.com/%7Ea/%e4%b8%ad", "https://example.com/~a/中"),
    # tracking parameters; the order of the others
    ("https://example.com/a?utm_source=x&b=2&fbclid=1&a=1", "https://example.com/a?a=1&b=2"),
    ("https://example.com/a?UTM_Medium=rss", "https://example.com/a"),
    # arXiv: abs, pdf, html, versions, the export mirror, old-style identifiers
    ("http://arxiv.org/abs/2406.19407v8", "https://arxiv.org/abs/2406.19407"),
    ("https://arxiv.org/pdf/2406.19407v2.pdf", "https://www.arxiv.org/abs/2406.19407"),
    ("https://arxiv.org/html/2406.19407v1/", "https://export.arxiv.org/abs/2406.19407"),
    ("http://arxiv.org/abs/hep-th/9901001v2", "https://arxiv.org/pdf/hep-th/9901001"),
    ("https://arxiv.org/abs/math.GT/0309136", "https://arxiv.org/abs/math.GT/0309136v1"),
    # X and YouTube
    ("https://twitter.com/a/status/1?s=20", "https://x.com/a/status/1"),
    ("https://mobile.twitter.com/a/status/1", "https://x.com/a/status/1/"),
    ("https://youtu.be/dQw4w9WgXcQ?t=3", "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=3"),
    ("https://m.youtube.com/watch?feature=share&v=dQw4w9WgXcQ", "https://youtu.be/dQw4w9WgXcQ"),
]

OTHER_PAGES = [
    ("https://example.com/a", "https://example.com/b"),
    ("https://example.com/a", "https://example.org/a"),
    ("https://example.com:8080/a", "https://example.com/a"),
    ("https://example.com/a?b=1", "https://example.com/a?b=2"),
    ("https://example.com/A", "https://example.com/a"),  # paths are case-sensitive
    ("https://example.com/a%2Fb", "https://example.com/a/b"),  # an escaped / is not a /
    ("http://arxiv.org/abs/2406.19407", "http://arxiv.org/abs/2406.19408"),
    ("https://arxiv.org/list/cs.AI/recent", "https://arxiv.org/list/cs.CL/recent"),
    ("https://youtu.be/aaaaaaaaaaa", "https://youtu.be/bbbbbbbbbbb"),
    ("ftp://example.com/a", "ftp://example.com/a/"),  # only http and https are normalised
    ("mailto:a@example.com", "mailto:A@example.com"),
    ("2025-05-06/a.md", "2025-05-06/a.md/"),
    # Found by an attacker: pages that must stay apart.
    ("https://straße.de/x", "https://strasse.de/x"),  # another host under IDNA 2008
    ("https://twitter.com/#!/jack/status/20", "https://twitter.com/#!/bob/status/99"),
    ("https://example.com/#/inbox", "https://example.com/#/outbox"),
    ("https://x.com/search?q=a", "https://x.com/search?q=b"),
    ("https://a.com:80/", "https://a.com/"),  # 80 is not https's port
    ("https://a.com\\@b.com/", "https://b.com/"),  # a backslash: readers disagree
    ("http://[v1.fe]/", "http://v1.fe/"),
]


@pytest.mark.parametrize(("one", "other"), SAME_PAGE)
def test_spellings_of_one_page_have_one_key(one: str, other: str) -> None:
    assert url_key(one) == url_key(other)
    assert url_key(one, normalize=False) == one  # the option turns it all off


@pytest.mark.parametrize(("one", "other"), OTHER_PAGES)
def test_other_pages_keep_other_keys(one: str, other: str) -> None:
    assert url_key(one) != url_key(other)


@pytest.mark.parametrize(
    "odd",
    ["", " ", "http://", "https://[::1", "http://a:port/", "http://[::1]:8/x", "https://%zz/",
     "https://\ud800.com/\udfff", "http://xn--/", "https://" + "a" * 70 + ".com/", "\x00", "//a/b"],
)  # fmt: skip
def test_odd_urls_have_a_key_and_never_raise(odd: str) -> None:
    key = url_key(odd)
    assert isinstance(key, str)
    assert url_key(key) == key


@given(st.one_of(strategies.hostile_text, st.text(), st.from_regex(r"https?://[^\s]*")))
def test_a_key_is_its_own_key(text: str) -> None:
    key = url_key(text)
    assert url_key(key) == key


@pytest.mark.parametrize("wrong", [None, b"https://a", 1, ["https://a"]])
def test_a_url_is_a_str(wrong: object) -> None:
    with pytest.raises(TypeError, match="url must be a str"):
        url_key(wrong)  # type: ignore[arg-type]


# ---------------------------------------------------------------------- import

PAPERS = ["2406.19407", "2504.13079", "2502.19525"]


def _paper(number: str, version: int, *, title: str) -> Clipping:
    return Clipping(
        title=title,
        url=f"http://arxiv.org/abs/{number}v{version}",
        original_summary=f"abstract v{version}",
        ai_summary="my own summary",
        metadata=Metadata(source="ArXiv", kind="论文", catalog_date=date(2025, 5, 6)),
    )


def _arxiv_feed(path: Path, version: int) -> Path:
    items = "".join(
        f"<item><title>Paper {number} v{version}</title>"
        f"<link>https://arxiv.org/abs/{number}v{version}</link>"
        f"<description>abstract v{version}</description></item>"
        for number in PAPERS
    )
    path.write_text(f"<rss version='2.0'><channel><title>arXiv</title>{items}</channel></rss>")
    return path


@pytest.fixture
def collection(tmp_path: Path) -> Path:
    root = tmp_path / "collection"
    root.mkdir()
    added = Collection(root).add_all(_paper(n, 1, title=f"Paper {n}") for n in PAPERS)
    assert all(a.status == "written" for a in added)
    return root


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*.md")}


def test_an_arxiv_feed_of_new_versions_adds_none(
    collection: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _snapshot(collection)
    feed = _arxiv_feed(tmp_path / "arxiv.xml", 8)
    assert main(["import", str(feed), "--into", str(collection)]) == 0
    assert _snapshot(collection) == before
    assert "3 already there" in capsys.readouterr().err


def test_exact_urls_add_the_new_versions(collection: Path, tmp_path: Path) -> None:
    feed = _arxiv_feed(tmp_path / "arxiv.xml", 8)
    assert main(["import", str(feed), "--into", str(collection), "--exact-urls", "-q"]) == 0
    assert len(_snapshot(collection)) == 6


def test_on_duplicate_keep_adds_a_second_clipping(collection: Path, tmp_path: Path) -> None:
    feed = _arxiv_feed(tmp_path / "arxiv.xml", 8)
    assert main(["import", str(feed), "--into", str(collection), "--on-duplicate", "keep"]) == 0
    assert len(Collection(collection).duplicates()) == 3
    assert len(Collection(collection).duplicates(normalize=False)) == 0


def test_on_duplicate_keep_says_when_both_cannot_be_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same title and URL on the same day share one path: the command
    says so in its own terms (no --force, which it does not have)."""
    root = tmp_path / "collection"
    feed = tmp_path / "feed.json"
    item = {"url": "https://e.com/1", "title": "T", "date_published": "2025-05-06T08:00:00Z"}
    feed.write_text(json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "B",
                                "items": [item]}))  # fmt: skip
    assert main(["import", str(feed), "--into", str(root), "-q"]) == 0
    item["content_text"] = "changed"
    feed.write_text(json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "B",
                                "items": [item]}))  # fmt: skip
    capsys.readouterr()
    assert main(["import", str(feed), "--into", str(root), "--on-duplicate", "keep"]) == 1
    said = capsys.readouterr().err
    assert "CD502" in said
    assert "--on-duplicate update" in said
    assert "--force" not in said


def test_on_duplicate_update_updates_every_document_of_the_page(
    collection: Path, tmp_path: Path
) -> None:
    Collection(collection).add(_paper(PAPERS[0], 2, title="Paper again"))
    feed = _arxiv_feed(tmp_path / "arxiv.xml", 8)
    assert main(["import", str(feed), "--into", str(collection), "--on-duplicate", "update"]) == 0
    after = _snapshot(collection)
    assert len(after) == 4
    assert all(clipdoc.parse(t.decode()).original_summary == "abstract v8" for t in after.values())


def test_import_says_when_it_makes_a_new_collection(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feed = _arxiv_feed(tmp_path / "arxiv.xml", 1)
    assert main(["import", str(feed), "--into", str(tmp_path / "colection")]) == 0
    assert "no such folder; a new collection is made there" in capsys.readouterr().out
    assert main(["import", str(feed), "--into", str(tmp_path / "colection")]) == 0
    assert "a new collection" not in capsys.readouterr().out


def test_import_into_a_file_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    feed = _arxiv_feed(tmp_path / "arxiv.xml", 1)
    assert main(["import", str(feed), "--into", str(feed)]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err


def _rss(path: Path, title: str, *items: str) -> Path:
    """An RSS 2.0 feed at ``path`` with these ``<item>`` elements."""
    path.write_text(
        f"<rss version='2.0'><channel><title>{title}</title>{''.join(items)}</channel></rss>"
    )
    return path


def test_entries_without_a_link_are_known_by_their_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "collection"
    feed = _rss(
        tmp_path / "feed.xml",
        "B",
        *(
            f'<item><title>Note {n}</title><guid isPermaLink="false">id-{n}</guid>'
            "<description>d</description></item>"
            for n in (1, 2)
        ),
    )
    assert main(["import", str(feed), "--into", str(root), "-q"]) == 0
    before = _snapshot(root)
    assert len(before) == 2
    capsys.readouterr()
    assert main(["import", str(feed), "--into", str(root)]) == 0
    assert _snapshot(root) == before
    assert "2 already there" in capsys.readouterr().err
    feed.write_text(feed.read_text().replace("<description>d<", "<description>new<"))
    assert main(["import", str(feed), "--into", str(root), "--on-duplicate", "update", "-q"]) == 0
    after = _snapshot(root)
    assert after.keys() == before.keys()
    assert all(clipdoc.parse(text.decode()).original_summary == "new" for text in after.values())


@pytest.mark.parametrize("item", ["<guid>1</guid>", "<link>/posts/1</link>"])
def test_ids_and_relative_links_belong_to_their_feed(item: str, tmp_path: Path) -> None:
    """Two feeds number their entries alike: neither entry is taken for the
    other's, and updating from one leaves the other's document alone."""
    root = tmp_path / "collection"
    feeds = []
    for name in ("A", "B"):
        feed = tmp_path / f"{name}.rss"
        feed.write_text(
            f"<rss version='2.0'><channel><title>Feed {name}</title><item>"
            f"<title>Post from {name}</title>{item}<description>{name}</description>"
            "</item></channel></rss>"
        )
        feeds.append(str(feed))
    assert main(["import", *feeds, "--into", str(root), "-q"]) == 0
    before = _snapshot(root)
    assert sorted(clipdoc.parse(t.decode()).title for t in before.values()) == [
        "Post from A",
        "Post from B",
    ]
    assert main(["import", feeds[1], "--into", str(root), "--on-duplicate", "update", "-q"]) == 0
    assert _snapshot(root) == before


def test_entries_without_a_link_of_one_title_and_day_are_each_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "collection"
    feed = _rss(
        tmp_path / "status.rss",
        "Status",
        *(
            f"<item><title>Incident resolved</title><guid>inc-{n}</guid>"
            f"<pubDate>Tue, 06 May 2025 08:0{n}:00 GMT</pubDate><description>#{n}</description>"
            "</item>"
            for n in (1, 2)
        ),
    )
    assert main(["import", str(feed), "--into", str(root), "-q"]) == 0
    before = _snapshot(root)
    summaries = [clipdoc.parse(t.decode()).original_summary or "" for t in before.values()]
    assert sorted(summaries) == ["#1", "#2"]
    assert main(["import", str(feed), "--into", str(root), "-q"]) == 0
    assert _snapshot(root) == before


def test_a_document_with_errors_is_said_not_skipped_silently(
    collection: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = sorted(collection.rglob("*.md"))[0]
    broken.write_text(broken.read_text().replace("\n\n", "\n\nstray text\n\n", 1))
    feed = _arxiv_feed(tmp_path / "arxiv.xml", 8)
    assert main(["import", str(feed), "--into", str(collection)]) == 0
    said = capsys.readouterr().err
    assert f"{broken.relative_to(collection).as_posix()}: CD107" in said
    assert "its page is not known to this import" in said


def test_on_duplicate_update_keeps_what_the_feed_does_not_give(
    collection: Path, tmp_path: Path
) -> None:
    before = _snapshot(collection)
    feed = _arxiv_feed(tmp_path / "arxiv.xml", 8)
    assert main(["import", str(feed), "--into", str(collection), "--on-duplicate", "update"]) == 0
    after = _snapshot(collection)
    assert after.keys() == before.keys()  # updated in place: no new file, none moved
    for path in after:
        clip = clipdoc.parse(after[path].decode())
        old = clipdoc.parse(before[path].decode())
        assert clip.original_summary == "abstract v8"
        assert clip.url is not None
        assert clip.url.endswith("v8")
        assert clip.title.endswith("v8")
        assert clip.ai_summary == "my own summary"  # what the feed does not give is kept
        assert clip.metadata is not None
        assert old.metadata is not None
        assert clip.metadata.catalog_date == old.metadata.catalog_date
        assert clip.metadata.kind == "论文"
    # Again: nothing left to update.
    assert main(["import", str(feed), "--into", str(collection), "--on-duplicate", "update"]) == 0
    assert _snapshot(collection) == after


def test_update_never_rewrites_a_document_with_errors(collection: Path, tmp_path: Path) -> None:
    [path] = [p for p in collection.rglob("*.md") if PAPERS[0] in p.read_text()]
    broken = b"no title line (CD101)\n" + path.read_bytes()
    path.write_bytes(broken)
    feed = _arxiv_feed(tmp_path / "arxiv.xml", 8)
    code = main(["import", str(feed), "--into", str(collection), "--on-duplicate", "update"])
    assert path.read_bytes() == broken
    # The broken document is no clipping of the collection: its page is new.
    assert code == 0
    assert len(_snapshot(collection)) == 4


def test_collection_update_is_checked(collection: Path) -> None:
    target = next(collection.rglob("*.md"))
    relative = target.relative_to(collection).as_posix()

    def edit_meanwhile(clip: Clipping) -> Clipping:
        target.write_text(target.read_text() + "\n")  # someone else writes first
        return attrs.evolve(clip, title="mine")

    edited = target.read_text() + "\n"
    with pytest.raises(clipdoc.ChangedError):
        Collection(collection).update(relative, edit_meanwhile)
    assert target.read_text() == edited  # the other write is kept
    with pytest.raises(TypeError, match="must return a Clipping"):
        Collection(collection).update(relative, repr)  # type: ignore[arg-type]
    with pytest.raises(clipdoc.ClipdocError) as caught:
        Collection(collection).update("missing.md", lambda clip: clip)
    assert caught.value.code == "CD504"
    with pytest.raises(clipdoc.UnsafePathError):
        Collection(collection / "2025-05-06").update("../2025-05-06/x.md", lambda clip: clip)


def test_the_documentation_lists_every_tracking_parameter() -> None:
    from clipdoc._storage.urls import TRACKING_PARAMETERS
    from conftest import ROOT

    table = (ROOT / "docs" / "collections.md").read_text(encoding="utf-8")
    [row] = [line for line in table.splitlines() if line.startswith("| query |")]
    listed = {name for name in re.findall(r"`([^`]+)`", row) if "?" not in name}
    assert listed == {*TRACKING_PARAMETERS, "utm_*"}


def test_a_host_with_white_space_is_only_itself() -> None:
    # Hypothesis once found that the key of "HTTP://0 /" kept the space in
    # its host, which the next key stripped: a key must be its own key.
    for url in ("HTTP://0 /", "https://a b.com/x", "https://u ser@a.com/"):
        assert url_key(url) == url
        assert url_key(url_key(url)) == url_key(url)
