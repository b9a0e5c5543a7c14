"""Collections: reading, queries, records, writing where the producer would."""

from __future__ import annotations

import os
import shutil
import warnings
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import clipdoc
import strategies
from clipdoc import ClipdocError, Clipping, Collection, Entry, Metadata, url_key
from clipdoc._storage.names import is_reserved
from conftest import EXAMPLE, ROOT, SHARED, shared_corpus_files

CONFLICTED = ROOT / "tests" / "data" / "conflicted"
CORPUS = SHARED / "corpus" / "ai_info"
needs_corpus = pytest.mark.skipif(
    not shared_corpus_files(), reason=f"the shared corpus is not present at {CORPUS}"
)


def _load_quietly(path: Path) -> Clipping:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clipdoc.ClipdocWarning)
        return clipdoc.load(path)


def _clip(title: str, *, url: str | None = "https://weibo.com/1/a", day: int = 6) -> Clipping:
    return Clipping(
        title=title,
        url=url,
        ai_summary="摘要",
        metadata=Metadata(
            source="ArXiv",
            kind="论文",
            saved_at=datetime(2025, 5, day, 8, tzinfo=timezone.utc),
            catalog_date=date(2025, 5, day),
        ),
    )


@pytest.fixture
def collection(tmp_path: Path) -> Path:
    """A small collection: the producer's layout, an index, a conflict, a
    document with errors, a hidden folder and an unreadable link."""
    root = tmp_path / "papers"
    (root / "2025-05-06").mkdir(parents=True)
    shutil.copy(EXAMPLE, root / "2025-05-06" / "seed.md")
    for name in sorted(os.listdir(CONFLICTED)):
        if name.endswith(".md"):
            shutil.copy(CONFLICTED / name, root / "2025-05-06" / name)
    clipdoc.dump(_clip("arXiv paper", url="http://arxiv.org/abs/1", day=5), root / "a.md")
    (root / "2025-05-05").mkdir()
    clipdoc.dump(_clip("同一个", day=5), root / "2025-05-05" / "one.md")
    clipdoc.dump(_clip("同一个 again", day=5), root / "2025-05-05" / "two.md")
    (root / "2025-05-05" / "broken.md").write_text("# t\n\nstray\n\n## AI 摘要\n\nx\n")
    (root / "README.md").write_text("# 最新信息\n\n索引\n\n## 最新内容\n\n- x\n")
    (root / ".git").mkdir()
    (root / ".git" / "x.md").write_text("not read")
    (root / "2025-05-05" / "dangling.md").symlink_to(root / "nowhere.md")
    return root


def test_entries_are_the_documents_in_path_order(collection: Path) -> None:
    entries = list(Collection(collection))
    paths = [entry.path for entry in entries]
    assert paths == sorted(paths, key=lambda path: path.split("/"))
    assert "README.md" not in paths
    assert not any(path.startswith(".git") for path in paths)
    assert paths[0] == "2025-05-05/broken.md"
    assert paths[-1] == "a.md"
    assert len(paths) == 6 + len(list(CONFLICTED.glob("*.md")))
    assert paths == list(Collection(collection).paths())
    for entry in entries:
        assert isinstance(entry, Entry)
        if entry.clipping is not None:
            assert entry.clipping == _load_quietly(collection / entry.path)
            assert not entry.errors


def test_conflicted_and_broken_documents_are_entries_with_errors(collection: Path) -> None:
    by_path = {entry.path: entry for entry in Collection(collection)}
    for name in os.listdir(CONFLICTED):
        if name.endswith(".md"):
            entry = by_path[f"2025-05-06/{name}"]
            assert entry.clipping is None
            assert {d.code for d in entry.diagnostics} == {"CD106"}
    assert by_path["2025-05-05/broken.md"].clipping is None
    assert [d.code for d in by_path["2025-05-05/broken.md"].errors] == ["CD107"]
    [unreadable] = by_path["2025-05-05/dangling.md"].diagnostics
    assert unreadable.code == "CD504"


def test_jobs_give_the_same_entries_in_the_same_order(collection: Path) -> None:
    assert list(Collection(collection, jobs=2)) == list(Collection(collection))
    assert list(Collection(collection, jobs=0)) == list(Collection(collection))


def test_exclude_uses_the_command_line_rules(collection: Path) -> None:
    left = [entry.path for entry in Collection(collection, exclude=["2025-05-06", "one.md"])]
    assert left == ["2025-05-05/broken.md", "2025-05-05/dangling.md", "2025-05-05/two.md", "a.md"]


def test_iteration_is_lazy(collection: Path) -> None:
    iterator = iter(Collection(collection))
    first = next(iterator)
    # Folders are read when the walk reaches them, documents one at a time.
    (collection / "2025-05-06" / "zzz.md").write_text("# late\n")
    assert first.path == "2025-05-05/broken.md"
    assert "2025-05-06/zzz.md" in [entry.path for entry in iterator]


def test_load_raises_with_the_path(collection: Path) -> None:
    collection_ = Collection(collection)
    assert collection_.load("2025-05-06/seed.md").url == "https://weibo.com/6105753431/Pqzc66P5o"
    with pytest.raises(ClipdocError) as caught:
        collection_.load("2025-05-05/broken.md")
    assert caught.value.path == "2025-05-05/broken.md"
    assert str(caught.value).startswith("2025-05-05/broken.md: line 3, column 1: ")
    with pytest.raises(ValueError, match=r"'\.\.'"):
        collection_.get("../outside.md")
    with pytest.raises(ClipdocError) as loaded:
        clipdoc.load(collection / "2025-05-05" / "broken.md")
    assert loaded.value.path == str(collection / "2025-05-05" / "broken.md")


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ({"root": 5}, TypeError),
        ({"root": "missing-folder"}, NotADirectoryError),
        ({"exclude": "drafts"}, TypeError),
        ({"exclude": [1]}, TypeError),
        ({"jobs": -1}, TypeError),
        ({"jobs": "2"}, TypeError),
    ],
)
def test_wrong_arguments(collection: Path, arguments: dict[str, object], error: type) -> None:
    root = arguments.pop("root", collection)
    with pytest.raises(error):
        Collection(root, **arguments)  # type: ignore[arg-type]


# --------------------------------------------------------------------- queries


def test_select(collection: Path) -> None:
    collection_ = Collection(collection)

    def paths(**conditions: object) -> list[str]:
        return [entry.path for entry in collection_.select(**conditions)]  # type: ignore[arg-type]

    everything = ["2025-05-05/one.md", "2025-05-05/two.md", "2025-05-06/seed.md", "a.md"]
    assert paths() == everything
    assert paths(host="weibo.com") == everything[:3]
    assert paths(host="arxiv.org") == ["a.md"]
    assert paths(host="WEIBO.COM.") == everything[:3]
    assert paths(host="eibo.com") == []
    assert paths(since="2025-05-06") == ["2025-05-06/seed.md"]
    assert paths(until=date(2025, 5, 5)) == ["2025-05-05/one.md", "2025-05-05/two.md", "a.md"]
    assert paths(since="2025-05-05", until="2025-05-05", host="weibo.com") == everything[:2]
    assert paths(source="ArXiv", kind="论文") == everything
    assert paths(source="weibo") == []
    with pytest.raises(ValueError, match="since"):
        paths(since="May 5")
    with pytest.raises(TypeError):
        paths(until=datetime(2025, 5, 5))
    with pytest.raises(TypeError):
        paths(host=["weibo.com"])


def test_find_and_duplicates_agree_with_a_hand_count(collection: Path) -> None:
    collection_ = Collection(collection)
    found = collection_.find("https://weibo.com/1/a")
    assert [entry.path for entry in found] == ["2025-05-05/one.md", "2025-05-05/two.md"]
    assert collection_.find("nowhere") == []
    assert {
        url: [e.path for e in entries] for url, entries in collection_.duplicates().items()
    } == {"https://weibo.com/1/a": ["2025-05-05/one.md", "2025-05-05/two.md"]}
    with pytest.raises(TypeError):
        collection_.find(None)  # type: ignore[arg-type]


@needs_corpus
@pytest.mark.parametrize("normalize", [True, False])
def test_duplicates_of_the_shared_corpus(normalize: bool) -> None:
    by_key: dict[str, list[str]] = {}
    for path in shared_corpus_files():
        clip = _load_quietly(path)
        if clip.url:
            key = url_key(clip.url, normalize=normalize)
            by_key.setdefault(key, []).append(path.relative_to(CORPUS).as_posix())
    expected = {key: paths for key, paths in by_key.items() if len(paths) > 1}
    found = Collection(CORPUS).duplicates(normalize=normalize)
    assert {key: [e.path for e in entries] for key, entries in found.items()} == expected
    assert expected  # the producer saved some posts more than once
    some_key = next(iter(expected))
    found_again = Collection(CORPUS).find(some_key, normalize=normalize)
    assert [e.path for e in found_again] == expected[some_key]


# --------------------------------------------------------------------- records


def test_records_are_flat_and_documented(collection: Path) -> None:
    rows = list(Collection(collection).records())
    assert [row["path"] for row in rows] == [
        "2025-05-05/one.md",
        "2025-05-05/two.md",
        "2025-05-06/seed.md",
        "a.md",
    ]
    for row in rows:
        assert tuple(row) == clipdoc._core.records.RECORD_KEYS
        assert row["saved_at"].tzinfo is timezone.utc


def test_records_make_a_utc_aware_pandas_frame(collection: Path) -> None:
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame(list(Collection(collection).records()))
    assert str(frame["saved_at"].dt.tz) == "UTC"
    assert frame["saved_at_offset"].tolist() == [0, 0, 0, 0]
    assert all(type(value) is date for value in frame["catalog_date"])
    seed = frame[frame["path"] == "2025-05-06/seed.md"].iloc[0]
    assert seed["saved_at"] == pandas.Timestamp("2025-05-06T08:03:26Z")


@given(clipping=strategies.clippings)
def test_record_round_trip(clipping: Clipping) -> None:
    row = clipdoc.to_record("x/y.md", clipping)
    assert clipdoc.from_record(row) == clipping
    saved_at = clipping.metadata.saved_at if clipping.metadata else None
    if saved_at is not None:
        assert row["saved_at"] == saved_at
        assert row["saved_at"].utcoffset() == timedelta(0)
        assert row["saved_at_offset"] * 60 == saved_at.utcoffset().total_seconds()  # type: ignore[union-attr]


# --------------------------------------------------------------------- writing


@needs_corpus
def test_add_writes_what_the_producer_wrote(tmp_path: Path) -> None:
    target = Collection(tmp_path)
    for path in shared_corpus_files():
        relative = target.add(_load_quietly(path))
        assert relative == path.relative_to(CORPUS).as_posix()
        assert (tmp_path / relative).read_bytes() == path.read_bytes()


def test_add_never_replaces_another_document_silently(tmp_path: Path) -> None:
    target = Collection(tmp_path)
    clip = _clip("标题: a/b")
    assert target.add(clip) == "2025-05-06/标题-_a-b.md"
    written = tmp_path / "2025-05-06" / "标题-_a-b.md"
    inode = written.stat().st_ino
    assert target.add(clip) == "2025-05-06/标题-_a-b.md"
    assert written.stat().st_ino == inode  # identical: left alone
    other = attrs.evolve(clip, ai_summary="another version of the same clipping")
    with pytest.raises(ClipdocError) as caught:
        target.add(other)
    assert (caught.value.code, caught.value.path) == ("CD502", "2025-05-06/标题-_a-b.md")
    assert clipdoc.load(written) == clip
    target.add(other, replace=True)
    assert clipdoc.load(written) == other
    with pytest.raises(ClipdocError) as no_date:
        target.add(Clipping(title="t"))
    assert no_date.value.code == "CD501"
    with pytest.raises(TypeError):
        target.add({"title": "t"})  # type: ignore[arg-type]


def test_add_refuses_a_path_that_leads_out(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (root / "2025-05-06").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(ClipdocError) as caught:
        Collection(root).add(_clip("t"))
    assert caught.value.code == "CD503"
    assert list((tmp_path / "elsewhere").iterdir()) == []


titles = st.one_of(
    strategies.single_line,
    st.text(max_size=300),
    st.text(alphabet='长/\\:*?"<>|. \x00\x01\x7f', max_size=200),
)


@given(title=titles)
def test_file_names_are_always_safe(title: str) -> None:
    name = clipdoc.file_name(title)
    assert name.endswith(".md")
    assert len(name.encode("utf-8", errors="surrogatepass")) <= 255
    assert "/" not in name
    assert "\\" not in name
    assert "\x00" not in name
    assert not name.startswith(".")
    assert all(ord(char) >= 32 and char != "\x7f" for char in name)
    assert name != ".md"


@given(title=st.text(alphabet=st.characters(blacklist_categories=["Cc", "Cs"]), max_size=60))
def test_short_titles_follow_the_producer_rule(title: str) -> None:
    expected = title
    for old, new in (("/", "-"), ("\\", "-"), (":", "-"), (" ", "_")):
        expected = expected.replace(old, new)
    for dropped in '*?"<>|':
        expected = expected.replace(dropped, "")
    if expected and not expected.startswith(".") and not is_reserved(expected + ".md"):
        assert clipdoc.file_name(title) == expected + ".md"


def test_long_titles_that_share_their_start_get_different_names() -> None:
    first, second = "长" * 100 + "一", "长" * 100 + "二"
    assert clipdoc.file_name(first) != clipdoc.file_name(second)
    assert clipdoc.file_name(first) == clipdoc.file_name(first)
    assert len(clipdoc.file_name(first).encode()) <= 255


def test_edge_cases_of_reading_and_querying(tmp_path: Path) -> None:
    (tmp_path / "2025-05-06").mkdir()
    (tmp_path / "2025-05-06" / "latin1.md").write_bytes(b"# caf\xe9\n")
    clipdoc.dump(_clip("no url", url=None), tmp_path / "2025-05-06" / "b.md")
    clipdoc.dump(_clip("bad url", url="http://[::1"), tmp_path / "2025-05-06" / "c.md")
    clipdoc.dump(_clip("relative", url="/relative/path"), tmp_path / "2025-05-06" / "d.md")
    clipdoc.dump(Clipping(title="undated"), tmp_path / "e.md")
    collection = Collection(tmp_path)
    assert "Collection(" in repr(collection)
    [latin1] = [entry for entry in collection if entry.path.endswith("latin1.md")]
    assert [d.code for d in latin1.diagnostics] == ["CD110"]
    assert list(collection.select(host="weibo.com")) == []
    assert list(collection.select(kind="论文", source="ArXiv", since="2025-01-01"))
    assert list(collection.select(kind="other")) == []
    assert [e.path for e in collection.select(until="2030-01-01")] == [
        "2025-05-06/b.md",
        "2025-05-06/c.md",
        "2025-05-06/d.md",
    ]
    assert collection.duplicates() == {}
    assert [e.path for e in collection.find("/relative/path")] == ["2025-05-06/d.md"]


def test_add_next_to_a_folder_of_the_same_name(tmp_path: Path) -> None:
    (tmp_path / "2025-05-06" / "t.md").mkdir(parents=True)
    with pytest.raises(ClipdocError) as caught:
        Collection(tmp_path).add(_clip("t"))
    assert caught.value.code == "CD502"
    assert "folder" in caught.value.message


def test_the_old_name_of_to_record_still_works_with_a_warning() -> None:
    clip = Clipping(title="t")
    with pytest.warns(DeprecationWarning, match="to_record"):
        old = clipdoc.record
    assert old("a.md", clip) == clipdoc.to_record("a.md", clip)
    with pytest.raises(AttributeError):
        clipdoc.no_such_name  # noqa: B018
