"""The collection's index: the producer's, byte for byte, and clipdoc's own."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import quote, unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

import ai_info_edge
import clipdoc
import strategies
from clipdoc import Clipping, Collection, Metadata
from clipdoc._storage import ai_info
from clipdoc._storage.gosort import go_sort_slice
from conftest import ROOT, SHARED, shared_corpus_files

DATA = ROOT / "tests" / "data"
REFERENCE = SHARED / "reference" / "ai_info-index"
CORPUS = SHARED / "corpus" / "ai_info"
SCRIPT = Path(sys.executable).with_name("clipdoc")


def test_go_sort_slice_leaves_what_go_leaves() -> None:
    """Orders written by Go's own sort.Slice (tests/data/gosort/gen.go), with
    a comparison that is not a strict weak order, as the producer's is."""
    cases = json.loads((DATA / "gosort" / "cases.json").read_text())
    assert len(cases) >= 80
    for case in cases:
        items = case["items"] or []

        def less(first: dict[str, int], second: dict[str, int]) -> bool:
            if first["t"] < 0 or second["t"] < 0:
                return first["n"] > second["n"]
            return first["t"] > second["t"]

        go_sort_slice(items, less)
        assert [item["i"] for item in items] == case["order"]


@pytest.mark.skipif(not shared_corpus_files(), reason=f"the shared corpus is absent ({CORPUS})")
def test_ai_info_index_of_the_shared_slice_is_the_producers() -> None:
    expected = (REFERENCE / "corpus-index.expected.md").read_bytes()
    written = Collection(CORPUS).index(style="ai_info")
    assert written.encode("utf-8", errors="surrogateescape") == expected


def test_ai_info_index_of_every_quirk(tmp_path: Path) -> None:
    """Same-minute times, unparseable and odd times, HTML, the placeholder
    summary, cuts inside a character, BOM, CRLF, invalid UTF-8 in a file and
    in a file name, control characters, a conflict, impossible and leap-day
    folders, year 0: compared with what the Go program writes."""
    ai_info_edge.build(tmp_path)
    expected = (DATA / "ai_info" / "edge-index.expected.md").read_bytes()
    written = Collection(tmp_path).index(style="ai_info")
    assert written.encode("utf-8", errors="surrogateescape") == expected


@pytest.mark.skipif(
    shutil.which("go") is None or not (REFERENCE / "main.go").is_file(),
    reason="needs Go and the producer's index program (../shared/reference)",
)
def test_the_edge_golden_file_is_what_go_writes(tmp_path: Path) -> None:
    build = tmp_path / "build"
    shutil.copytree(REFERENCE, build)
    subprocess.run(["go", "build", "-o", "indexgen", "."], cwd=build, check=True, timeout=300)
    tree = tmp_path / "tree"
    ai_info_edge.build(tree)
    subprocess.run([str(build / "indexgen"), str(tree)], check=True, capture_output=True)
    golden = (DATA / "ai_info" / "edge-index.expected.md").read_bytes()
    assert (tree / "README.md").read_bytes() == golden


def test_an_empty_collection_has_an_empty_index(tmp_path: Path) -> None:
    for style in ("ai_info", "clipdoc"):
        assert Collection(tmp_path).index(style=style).endswith("*暂无内容*\n")
    with pytest.raises(ValueError, match="style"):
        Collection(tmp_path).index(style="other")  # type: ignore[arg-type]


# ---------------------------------------------------------------- clipdoc style


def _clip(title: str, when: datetime, **fields: object) -> Clipping:
    metadata = Metadata(source="ArXiv", saved_at=when, catalog_date=when.date())
    return Clipping(title=title, metadata=metadata, **fields)  # type: ignore[arg-type]


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    utc = timezone.utc
    collection = Collection(tmp_path)
    collection.add(
        _clip(
            "#话题# *强调* [链接](x) <b>标签</b> a|b `code` 1. ~删除~ &amp;",
            datetime(2025, 5, 6, 8, 3, tzinfo=utc),
            url="https://weibo.com/1/a (b) <c>",
            original_summary="<p>正文<br>第二行</p>",
            ai_summary="",
        )
    )
    collection.add(
        _clip(
            "# heading-like title",
            datetime(2025, 5, 6, 16, 3, tzinfo=timezone(timedelta(hours=8))),
            ai_summary="句子。" * 60,
        )
    )
    collection.add(_clip("same minute b", datetime(2025, 5, 5, 8, tzinfo=utc), ai_summary="x"))
    collection.add(_clip("same minute a", datetime(2025, 5, 5, 8, tzinfo=utc), ai_summary="y"))
    clipdoc.dump(Clipping(title="no metadata", ai_summary="z"), tmp_path / "loose.md")
    return tmp_path


def test_clipdoc_index_is_stable_and_ordered(hostile: Path) -> None:
    text = Collection(hostile).index()
    assert text == Collection(hostile, jobs=2).index()
    headings = [line for line in text.splitlines() if line.startswith("### [")]
    # Newest first (16:03+08:00 is 08:03 UTC, so 08:03 UTC and then it, by path).
    first_title = "#话题# *强调* [链接](x) <b>标签</b> a|b `code` 1. ~删除~ &amp;"
    assert [line.rsplit("](", 1)[1] for line in headings] == [
        quote(f"2025-05-06/{clipdoc.file_name('# heading-like title')}") + ")",
        quote(f"2025-05-06/{clipdoc.file_name(first_title)}") + ")",
        "2025-05-05/same_minute_a.md)",
        "2025-05-05/same_minute_b.md)",
        "loose.md)",
    ]
    assert "### 2025-05-06 (2篇)" in text
    assert text.index("### 2025-05-06 (2篇)") < text.index("### 2025-05-05 (2篇)")
    assert text.index("### 2025-05-05 (2篇)") < text.index("### 未注明日期 (1篇)")
    assert "2025-05-06 16:03 UTC+08:00" in text
    assert "2025-05-06 08:03 UTC" in text


def test_clipdoc_index_reads_as_the_text_with_working_links(hostile: Path) -> None:
    text = Collection(hostile).index()
    tokens = MarkdownIt("commonmark").parse(text)
    links = []
    shown = []
    for token in tokens:
        if token.type != "inline" or token.children is None:
            continue
        for child in token.children:
            if child.type == "link_open":
                links.append(str(child.attrs["href"]))
            if child.type == "text":
                shown.append(child.content)
    documents = [unquote(link) for link in links if not link.startswith("http")]
    assert documents
    for document in documents:
        assert (hostile / document).is_file(), document
    assert "https://weibo.com/1/a%20(b)%20%3Cc%3E" in links
    joined = "".join(shown)
    assert "#话题# *强调* [链接](x) <b>标签</b> a|b `code` 1. ~删除~ &amp;" in joined
    assert "# heading-like title" in joined
    # No heading other than the index's own.
    headings = [t for t in tokens if t.type == "heading_open"]
    assert {t.tag for t in headings} == {"h1", "h2", "h3"}
    assert "正文 第二行" in text  # HTML read as text
    long = next(line for line in text.splitlines() if line.startswith("**摘要**: 句子"))
    assert long.endswith("。…")
    assert len(long) < 170


def test_index_command(hostile: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [str(SCRIPT), "index", str(hostile)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert (hostile / "README.md").read_text(encoding="utf-8") == Collection(hostile).index()
    assert [entry.path for entry in Collection(hostile)][-1] == "loose.md"  # README left out
    out = subprocess.run(
        [str(SCRIPT), "index", "--style", "ai_info", "-o", "-", str(hostile)],
        capture_output=True,
        check=False,
    )
    assert out.returncode == 0
    assert out.stdout.decode() == Collection(hostile).index(style="ai_info")
    missing = subprocess.run(
        [str(SCRIPT), "index", str(tmp_path / "nowhere")], capture_output=True, check=False
    )
    assert missing.returncode == 2
    unwritable = subprocess.run(
        [str(SCRIPT), "index", "-q", "-o", str(tmp_path / "no" / "such" / "README.md"), hostile],
        capture_output=True,
        text=True,
        check=False,
    )
    assert unwritable.returncode == 2
    assert "cannot write" in unwritable.stderr


@pytest.mark.parametrize("style", ["clipdoc", "ai_info"])
def test_index_check_says_whether_the_index_matches_the_tree(
    style: str, hostile: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    def check(*more: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(SCRIPT), "index", "--check", "--style", style, *more, str(hostile)],
            capture_output=True,
            text=True,
            check=False,
        )

    missing = check()
    assert missing.returncode == 1
    rebuild = f"clipdoc index --style {style} {hostile}"
    assert missing.stderr == f"{hostile / 'README.md'}: no index; write it: {rebuild}\n"
    subprocess.run([str(SCRIPT), "index", "-q", "--style", style, str(hostile)], check=True)
    index = (hostile / "README.md").read_bytes()
    matches = check()
    assert matches.returncode == 0, matches.stderr
    assert check("-q").stderr == ""
    # A clipping added since: one line says how the file differs, and how to rebuild it.
    added = hostile / "2025-06-01" / "new.md"
    added.parent.mkdir(exist_ok=True)
    added.write_text(clipdoc.render(Clipping(title="新的一篇", url="https://example.com/new")))
    stale = check()
    assert stale.returncode == 1
    [line] = stale.stderr.splitlines()
    assert line.startswith(f"{hostile / 'README.md'} does not match the tree (")
    assert "lines missing" in line
    assert line.endswith(rebuild)
    assert (hostile / "README.md").read_bytes() == index  # --check writes nothing
    elsewhere = tmp_path_factory.mktemp("outside") / "index.md"
    elsewhere.write_bytes(index)
    assert check("-o", str(elsewhere)).returncode == 1
    (hostile / "README.md").unlink()
    (hostile / "README.md").symlink_to(elsewhere)
    linked = check()
    assert linked.returncode == 2
    assert "link" in linked.stderr


def test_summaries_fall_back_to_the_original() -> None:
    from clipdoc._storage.index import summary_of

    when = datetime(2025, 1, 1, tzinfo=timezone.utc)
    template = "这是一篇论文，主要探讨了最新进展和研究方向。"
    assert summary_of(_clip("t", when, ai_summary=template, original_summary="原文")) == "原文"
    assert summary_of(_clip("t", when, ai_summary=" ", original_summary="原文")) == "原文"
    assert summary_of(_clip("t", when, ai_summary="AI")) == "AI"
    assert summary_of(_clip("t", when)) == ""
    cut = summary_of(_clip("t", when, ai_summary="长" * 400))
    assert cut == "长" * 150 + "…"
    assert date(2025, 1, 1) == when.date()


def test_a_summary_is_cut_after_the_last_sentence_that_ends_late_enough() -> None:
    from clipdoc._storage.index import summary_of

    when = datetime(2025, 1, 1, tzinfo=timezone.utc)

    def cut(text: str) -> str:
        return summary_of(_clip("t", when, ai_summary=text))

    # A sentence mark ending at character 80 or later ends the summary there.
    assert cut("长" * 79 + "。" + "后" * 100) == "长" * 79 + "。…"
    # Ending at 79 is too early: cut at 150 characters.
    assert cut("长" * 78 + "。" + "后" * 100) == ("长" * 78 + "。" + "后" * 100)[:150] + "…"
    # The last such mark wins; "." ends a sentence only before white space.
    assert (
        cut("长" * 90 + "。" + "中" * 20 + "！" + "后" * 100)
        == "长" * 90 + "。" + "中" * 20 + "！…"
    )
    assert cut("a" * 100 + ".b" + "c" * 100) == ("a" * 100 + ".b" + "c" * 100)[:150] + "…"
    assert cut("a" * 100 + ". b" + "c" * 100) == "a" * 100 + ".…"


@pytest.mark.parametrize(
    ("saved_at", "shown"),
    [
        (
            datetime(2025, 5, 6, 16, 3, 59, 999999, timezone(timedelta(hours=8))),
            "2025-05-06 16:03 UTC+08:00",
        ),
        (datetime(2025, 5, 6, 16, 3, tzinfo=timezone.utc), "2025-05-06 16:03 UTC"),
        (
            datetime(5, 1, 2, 3, 4, tzinfo=timezone(-timedelta(hours=9, minutes=30))),
            "0005-01-02 03:04 UTC-09:30",
        ),
    ],
)
def test_a_save_time_is_shown_where_it_was_saved(saved_at: datetime, shown: str) -> None:
    from clipdoc._storage.index import _saved

    assert _saved(saved_at) == shown


@pytest.mark.parametrize("length", [0, 1, 2, 13, 50, 200])
def test_every_path_of_the_port_sorts(length: int) -> None:
    """Heap sort (pdqsort's fallback after too many bad pivots) and the
    pattern breaker are reached rarely; each must still sort."""
    from clipdoc._storage.gosort import _Sorter

    values = [(index * 7919) % (length + 3) for index in range(length)]
    for method in ("heap_sort", "break_patterns", "reverse_range"):
        items = list(values)
        sorter = _Sorter(items, lambda first, second: first < second)
        getattr(sorter, method)(0, len(items))
        if method == "heap_sort":
            assert items == sorted(values)
        else:
            assert sorted(items) == sorted(values)
    items = list(values)
    _Sorter(items, lambda first, second: first < second).pdqsort(0, length, 0)
    assert items == sorted(values)


# ------------------------------------------------------ ai_info style, by rule

_LONG_CJK = "一" * 60  # 180 bytes


@pytest.mark.parametrize(
    ("ai_summary", "shown"),
    [
        ("a" * 150, "a" * 150),
        ("a" * 151, "a" * 150 + "..."),
        # Cut just after the last ASCII mark at bytes 120 to 150.
        ("a" * 120 + "." + "a" * 100, "a" * 120 + "." + "..."),
        ("a" * 119 + "." + "a" * 100, "a" * 119 + "." + "a" * 30 + "..."),
        ("a" * 150 + "!" + "a" * 10, "a" * 150 + "!..."),
        ("a" * 130 + "," + "a" * 10 + "?" + "a" * 50, "a" * 130 + "," + "a" * 10 + "?..."),
        ("a" * 130 + "。" + "a" * 50, "a" * 130 + "。" + "a" * 17 + "..."),
        # Byte 150 inside a character: its remains are dropped.
        (_LONG_CJK, "一" * 50 + "..."),
        ("a" + _LONG_CJK, "a" + "一" * 49 + "..."),
        # HTML: tags dropped, five entities decoded, spaces collapsed.
        ("<b>x</b> \t y&nbsp;&lt;&gt;&amp;&quot;&apos; <br/>", 'x y <>&"&apos;'),
        ("a < b", "a < b"),
    ],
)
def test_ai_info_summaries_are_cut_as_the_producer_cuts(
    tmp_path: Path, ai_summary: str, shown: str
) -> None:
    (tmp_path / "2025-05-06").mkdir()
    document = ai_info_edge.document("t", ai=ai_summary)
    (tmp_path / "2025-05-06" / "t.md").write_text(document, encoding="utf-8")
    index = Collection(tmp_path).index(style="ai_info")
    assert f"\n**摘要**: {shown}\n\n" in index
    assert f"\n  {shown}\n\n" in index


_FOLDERS = ("2025-05-06", "2025-05-05", "2024-02-29", "0000-01-01", "2025-02-30", "notes")
_PIECES = (
    "# ", "\n", "\r\n", "**URL**: ", "## 原始摘要", "## AI 摘要", "## 元数据", "- **保存时间**: ",
    "2025-05-06T08:03:26Z", "2025-05-06T16:03:26+08:00", "2025-02-30T00:00:00Z",
    "2025-05-05 07:05", "7:05", "<b>", "</b>", "&nbsp;", "&amp;", ".", ",", "|*_`",
    ai_info.PLACEHOLDER_SUMMARY, "句子。" * 20, "word " * 40, "\ufeff", "\ufffd", "\x01", "\x85",
)  # fmt: skip
_hostile_documents = st.one_of(
    st.lists(st.one_of(st.sampled_from(_PIECES), strategies.hostile_text), max_size=30).map(
        lambda pieces: "".join(pieces).encode("utf-8")
    ),
    strategies.documents.map(lambda text: text.encode("utf-8", errors="surrogatepass")),
    st.binary(max_size=200),
    st.builds(
        lambda document, junk: b"\xef\xbb\xbf" + document.encode() + junk,
        st.builds(ai_info_edge.document, strategies.single_line),
        st.binary(max_size=8),
    ),
)
# File names: anything a POSIX file system holds but a line feed, which
# would split an index line.
_file_names = st.binary(min_size=1, max_size=12).filter(
    lambda name: b"/" not in name and b"\x00" not in name and b"\n" not in name
    and name not in (b".", b"..")
).map(lambda name: name + b".md")  # fmt: skip


@given(
    files=st.lists(
        st.tuples(st.sampled_from(_FOLDERS), _file_names, _hostile_documents), max_size=8
    )
)
def test_ai_info_index_of_any_files_lists_each_once(
    files: list[tuple[str, bytes, bytes]],
) -> None:
    with tempfile.TemporaryDirectory() as root:
        written: dict[tuple[str, bytes], bytes] = {}
        for folder, name, data in files:
            os.makedirs(os.path.join(root, folder), exist_ok=True)
            with open(os.path.join(os.fsencode(root), folder.encode(), name), "wb") as file:
                file.write(data)
            written[(folder, name)] = data
        index = ai_info.ai_info_index(root)
        assert index == ai_info.ai_info_index(root)
    listed = [key for key in written if key[0] in _FOLDERS[:4]]
    lines = index.split(b"\n")
    if not {folder for folder, _ in written} & set(_FOLDERS[:4]):
        assert lines[-2:] == ["*暂无内容*".encode(), b""]
        return
    history = lines[lines.index("## 历史内容".encode()) :]
    latest = lines[: lines.index("## 历史内容".encode())]
    assert sum(line.startswith(b"### [") for line in latest) == min(len(listed), 20)
    assert sum(line.startswith(b"- **[") for line in history) == len(listed)
    for folder in {folder for folder, _ in listed}:
        count = sum(key[0] == folder for key in listed)
        assert f"### {folder} ({count}篇)".encode() in history


@given(
    files=st.lists(
        st.tuples(st.sampled_from(_FOLDERS), _file_names, _hostile_documents), max_size=8
    )
)
def test_each_style_of_index_is_told_as_itself(files: list[tuple[str, bytes, bytes]]) -> None:
    """Whatever the documents hold (titles, addresses, times and names
    the producer writes as they are), `clipdoc index` tells the producer's
    index as the producer's, and never takes its own for the producer's."""
    from clipdoc._cli.index import build
    from clipdoc._storage.files import Folder
    from clipdoc._storage.index import index_style

    with tempfile.TemporaryDirectory() as root:
        for folder, name, data in files:
            os.makedirs(os.path.join(root, folder), exist_ok=True)
            with open(os.path.join(os.fsencode(root), folder.encode(), name), "wb") as file:
                file.write(data)
        producers = ai_info.ai_info_index(root)
        clipdocs, _ = build(root, style="clipdoc")
        listed = any(folder in _FOLDERS[:4] for folder, _, _ in files)
        with open(os.path.join(root, "README.md"), "wb") as file:
            file.write(producers)
        assert index_style(Folder(root)) == ("ai_info" if listed else None)
        with open(os.path.join(root, "README.md"), "wb") as file:
            file.write(clipdocs)
        assert index_style(Folder(root)) != "ai_info"


@given(st.text(st.characters(exclude_categories=["Cs"])))
def test_links_are_percent_encoded_as_urllib_does(path: str) -> None:
    from clipdoc._storage.index import link

    assert link(path) == quote(path, safe="/")


# Every character Python counts as white space, and the marks escaped.
_SPACES_AND_MARKS = st.sampled_from(
    [chr(c) for c in range(0x3001) if chr(c).isspace()] + list("\\`*_[]<>&|~#1.)-")
)


@given(
    st.text(
        st.one_of(_SPACES_AND_MARKS, st.sampled_from(strategies.HOSTILE_CHARS), st.characters())
    )
)
def test_one_line_is_what_the_regular_expression_makes(text: str) -> None:
    """The index's summaries and the site's excerpts and snippets collapse
    white space with `one_line`, as ``\\s+`` did."""
    import re

    from clipdoc._core.syntax import one_line

    assert one_line(text) == re.sub(r"\s+", " ", text).strip()


@given(st.text(st.one_of(_SPACES_AND_MARKS, st.sampled_from(strategies.HOSTILE_CHARS))))
def test_an_escaped_line_is_what_the_regular_expressions_make(text: str) -> None:
    """`escape` collapses white space with `str.split` and escapes with a
    function: what ``\\s+`` and the template ``\\\\\\1`` made, which
    defined the index's bytes."""
    import re

    from clipdoc._storage.index import escape

    expected = re.sub(r"([\\`*_\[\]<>&|~])", r"\\\1", re.sub(r"\s+", " ", text).strip())
    start = re.match(r"[#>+=-]|[0-9]+(?=[.)])", expected)
    if start is not None:
        end = start.end()
        digits = start.group()[0].isdigit()
        expected = expected[:end] + "\\" + expected[end:] if digits else "\\" + expected
    assert escape(text) == expected


def test_an_output_file_that_cannot_be_read_is_replaced_only_with_force(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from clipdoc._cli import index as index_command
    from clipdoc._cli import main

    root = tmp_path / "collection"
    document = root / "2025-05-06" / "a.md"
    document.parent.mkdir(parents=True)
    clipdoc.dump(Clipping(title="a", url="https://example.com/a"), document)
    notes = tmp_path / "notes.md"
    notes.write_text("my own notes\n")
    real_open = open

    def unreadable(path: object, *arguments: Any, **options: Any) -> Any:
        if os.fspath(path) == str(notes):  # type: ignore[call-overload]
            raise PermissionError(13, "Permission denied", str(notes))
        return real_open(path, *arguments, **options)  # type: ignore[call-overload]

    # As for a user who may replace the file (its folder is writable) but
    # not read it: what it holds is unknown, so it is left alone.
    monkeypatch.setattr(index_command, "read_bytes", mock.Mock(side_effect=PermissionError))
    monkeypatch.setattr(index_command, "open", unreadable, raising=False)
    assert main(["index", "-q", "-o", str(notes), str(root)]) == 2
    assert "cannot be read to tell whether it is an index" in capsys.readouterr().err
    assert notes.read_text() == "my own notes\n"
    assert main(["index", "-q", "--force", "-o", str(notes), str(root)]) == 0
    assert notes.read_text().startswith("# 最新信息")


def test_an_output_file_that_holds_the_index_is_left_as_it_is(tmp_path: Path) -> None:
    root = tmp_path / "collection"
    document = root / "2025-05-06" / "a.md"
    document.parent.mkdir(parents=True)
    clipdoc.dump(Clipping(title="a", url="https://example.com/a"), document)
    output = tmp_path / "index.md"
    for expected in ("wrote", "unchanged"):
        done = subprocess.run(
            [SCRIPT, "index", "--no-cache", "-o", output, root], capture_output=True, text=True
        )
        assert done.stderr == f"{expected} {output}\n"
        if expected == "wrote":
            written = output.stat()
    assert (output.stat().st_ino, output.stat().st_mtime_ns) == (
        written.st_ino,
        written.st_mtime_ns,
    )


def test_an_output_file_that_is_not_an_index_is_replaced_only_with_force(
    tmp_path: Path,
) -> None:
    root = tmp_path / "collection"
    document = root / "2025-05-06" / "a.md"
    document.parent.mkdir(parents=True)
    clipdoc.dump(Clipping(title="a", url="https://example.com/a"), document)
    kept = document.read_bytes()
    notes = tmp_path / "notes.txt"
    notes.write_text("my own notes\n")
    for target in (notes, document):
        done = subprocess.run(
            [SCRIPT, "index", "-q", "-o", target, root], capture_output=True, text=True
        )
        assert done.returncode == 2
        assert "not an index" in done.stderr
        assert "--force" in done.stderr
    assert notes.read_text() == "my own notes\n"
    assert document.read_bytes() == kept
    forced = subprocess.run([SCRIPT, "index", "-q", "--force", "-o", notes, root])
    assert forced.returncode == 0
    assert notes.read_text().startswith("# 最新信息")
    # An index is replaced by the next one without asking.
    again = subprocess.run([SCRIPT, "index", "-q", "-o", notes, root])
    assert again.returncode == 0


def test_index_check_hints_repeat_every_option_that_changes_the_index(tmp_path: Path) -> None:
    folder = tmp_path / "2025-05-06"
    folder.mkdir()
    (folder / "a.md").write_text(
        clipdoc.render(Clipping(title="一篇", url="https://example.com/a")), encoding="utf-8"
    )
    checked = subprocess.run(
        [SCRIPT, "index", "--check", "--exclude", "drafts", "--follow-links", tmp_path],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 1
    assert checked.stderr.endswith(
        f"write it: clipdoc index --style clipdoc --exclude=drafts --follow-links {tmp_path}\n"
    )
    nothing = subprocess.run(
        [SCRIPT, "index", "--check", "-o", "-", tmp_path], capture_output=True, text=True
    )
    assert nothing.returncode == 2
    assert "name the file with --output" in nothing.stderr


def test_index_check_names_the_style_the_file_was_written_in(tmp_path: Path) -> None:
    folder = tmp_path / "2025-05-06"
    folder.mkdir()
    (folder / "a.md").write_text(
        clipdoc.render(Clipping(title="一篇", url="https://example.com/a")), encoding="utf-8"
    )
    subprocess.run([str(SCRIPT), "index", "-q", "--style", "ai_info", str(tmp_path)], check=True)
    checked = subprocess.run(
        [str(SCRIPT), "index", "--check", "--style", "clipdoc", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 1
    again = f"clipdoc index --check --style ai_info {tmp_path}"
    assert checked.stderr == (
        f"{tmp_path / 'README.md'} is the ai_info-style index of the tree; check it with: {again}\n"
    )
    assert (
        "--style ai_info"
        not in subprocess.run(
            [str(SCRIPT), "index", "--check", "--style", "ai_info", str(tmp_path)],
            capture_output=True,
            text=True,
        ).stderr
    )


def test_index_check_fails_on_documents_left_out_as_the_index_does(tmp_path: Path) -> None:
    folder = tmp_path / "2025-05-06"
    folder.mkdir()
    (folder / "a.md").write_text(clipdoc.render(Clipping(title="good")), encoding="utf-8")
    (folder / "b.md").write_text("# t\n<<<<<<< ours\na\n=======\nb\n>>>>>>> theirs\n")
    written = subprocess.run([str(SCRIPT), "index", "-q", str(tmp_path)], capture_output=True)
    assert written.returncode == 1
    checked = subprocess.run(
        [str(SCRIPT), "index", "--check", str(tmp_path)], capture_output=True, text=True
    )
    assert checked.returncode == 1
    *left_out, last = checked.stderr.splitlines()
    assert [line.split(":")[0] for line in left_out] == ["2025-05-06/b.md"]
    assert last == f"{tmp_path / 'README.md'} matches the tree; 1 left out of it (above)"


def test_index_keeps_the_producers_style_unless_told(tmp_path: Path) -> None:
    """Without --style, `clipdoc index` keeps a producer's (ai_info-style)
    README.md in its style, and says so; --style clipdoc switches it, and
    then the clipdoc style is kept."""
    folder = tmp_path / "2025-05-06"
    folder.mkdir()
    (folder / "a.md").write_text(
        clipdoc.render(Clipping(title="一篇", url="https://example.com/a")), encoding="utf-8"
    )
    index = tmp_path / "README.md"
    subprocess.run([str(SCRIPT), "index", "-q", "--style", "ai_info", str(tmp_path)], check=True)
    producers = index.read_bytes()
    (folder / "b.md").write_text(
        clipdoc.render(Clipping(title="两篇", url="https://example.com/b")), encoding="utf-8"
    )

    def index_command(*options: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(SCRIPT), "index", *options, str(tmp_path)], capture_output=True, text=True
        )

    kept = index_command()
    assert kept.returncode == 0, kept.stderr
    assert "is in the producer's style (ai_info): kept;" in kept.stderr
    assert index.read_bytes() != producers  # b.md is in it now, in the producer's style
    assert index_command("--check", "--style", "ai_info").returncode == 0
    assert index_command("--check").returncode == 0
    assert index_command("-q").stderr == ""
    previewed = index_command("-o", "-")
    assert previewed.stdout.encode() == index.read_bytes()
    assert "is in the producer's style (ai_info): written in it;" in previewed.stderr
    before = index.read_bytes()
    assert index_command("-o", str(index)).returncode == 0
    assert index.read_bytes() == before  # named as --output, still the producer's style
    switched = index_command("--style", "clipdoc")
    assert switched.returncode == 0
    assert "kept" not in switched.stderr
    assert index_command("--check", "--style", "clipdoc").returncode == 0
    assert index_command().stderr == f"unchanged {index}\n"  # the clipdoc style, kept
    assert b"[\xe6\x9f\xa5\xe7\x9c\x8b\xe5\x8e\x9f\xe6\x96\x87](<" in index.read_bytes()


def test_the_style_of_an_index_is_told_by_its_head(tmp_path: Path) -> None:
    """`clipdoc index` tells the style of ROOT/README.md from the head of
    the file (45 MB at 45,000 documents; one over the size limit was taken
    for no index and written over in the clipdoc style), more only when the
    head tells nothing for sure; the style with more sure signs wins, the
    producer's at a tie (its index is never taken for clipdoc's), so that
    an index edited by hand is still told by the rest of it."""
    from clipdoc._storage import index as index_module
    from clipdoc._storage.files import Folder

    readme = tmp_path / "README.md"
    heading = "# 最新信息\n\n按日期组织的内容集合。\n\n## 最新内容\n\n"
    history = "## 历史内容\n\n### 2025-05-06 (1篇)\n\n"

    def latest(url: str = "", saved: str = "") -> str:
        details = []
        if url:
            details.append(f"**原始链接**: [查看原文]({url})")
        if saved:
            details.append(f"**收录时间**: {saved}")
        join = "\\\n" if "<" in url else "\n"  # the clipdoc style joins them so
        return f"### [一篇](a.md)\n\n{join.join(details)}\n\n---\n\n"

    def entry(ending: str) -> str:
        return f"- **[一篇](a.md)**{ending}\n\n"

    sizes: list[int] = []
    real_head = Folder.read_head

    def recorded(folder: Folder, relative: str, size: int) -> bytes:
        sizes.append(size)
        return real_head(folder, relative, size)

    def style(*parts: str) -> str | None:
        readme.write_text("".join(parts), encoding="utf-8")
        sizes.clear()
        return index_module.index_style(Folder(tmp_path))

    producers_time, clipdocs_time = "2025-05-06 10:11", "2025-05-06 10:11 UTC+08:00"
    with mock.patch.object(Folder, "read_head", recorded):
        # Each sign, alone.
        assert style(heading, latest("https://e.com/a"), history, entry(" ") * 9_000) == "ai_info"
        assert sizes == [1 << 16]
        assert style(heading, latest(saved=producers_time), history, entry("")) == "ai_info"
        assert style(heading, latest(saved=clipdocs_time), history, entry("")) == "clipdoc"
        assert style(heading, history, entry(f" | 时间: {producers_time} ")) == "ai_info"
        assert style(heading, history, entry(f" | 时间: {clipdocs_time}")) == "clipdoc"
        assert style(heading, history, entry(" | [原文](https://e.com/a) ")) == "ai_info"
        # The producer's index with the spaces at the ends of lines taken
        # away (an editor, a pre-commit hook): its times still tell.
        assert style(heading, latest(saved=producers_time), history, entry("")) == "ai_info"
        # Addresses in angle brackets: the clipdoc style's, unless anything
        # else says otherwise (the producer writes an address as it is).
        assert style(heading, latest("<https://e.com/a>"), history, entry("")) == "clipdoc"
        assert (
            style(heading, latest("<https://e.com/a>"), history, entry(" | 时间: 2025-05-06 10:11"))
            == "ai_info"
        )
        # A file name with a line break in the producer's list (it writes
        # names as they are) tells nothing, the entries after it do.
        assert style(heading, history, "- **[zz\nnote](2025-05-06/zz\nnote.md)** \n\n") == "ai_info"
        assert style(heading, history, "- **[zz\nnote](x.md)**\n\n", entry(" ")) == "ai_info"
        # The first sign past the head: read further, to 4 MiB at most.
        assert style(heading, latest() * 8_000, history, entry(" ")) == "ai_info"
        assert sizes == [1 << 16, 1 << 22]
        in_brackets = latest("<https://e.com/a>") * 2_000
        assert style(heading, in_brackets, latest(saved=producers_time)) == "ai_info"
        assert style(heading, latest() * 200_000, history, entry(" ")) is None
        # One sign changed by hand among many of the other style's.
        clipdocs = latest("<https://e.com/a>", clipdocs_time) * 3
        edited = latest("https://e.com/a", clipdocs_time)  # its bracket taken away
        assert style(heading, clipdocs, edited, history, entry("")) == "clipdoc"
        assert style(heading, clipdocs, history, entry(" ")) == "clipdoc"
        producers = latest("https://e.com/a", producers_time) * 3
        assert style(heading, producers, latest(saved=clipdocs_time), history) == "ai_info"
        # At a tie, the producer's.
        tie = latest(saved=clipdocs_time), latest(saved=producers_time)
        assert style(heading, *tie) == "ai_info"
        # Nothing that tells, or not an index: no style.
        assert style(heading, "*暂无内容*\n") is None
        assert style("# notes\n\n", history, entry(" ")) is None
    readme.unlink()
    os.mkfifo(readme)
    assert index_module.index_style(Folder(tmp_path)) is None  # a FIFO is not read


@pytest.mark.parametrize("case", ["no address among the latest", "an address in brackets"])
def test_the_producers_index_is_kept_whatever_its_first_entries_hold(
    tmp_path: Path, case: str
) -> None:
    """The producer's style is told when none of the latest documents has
    an address, or the newest one's is written in angle brackets (as the
    clipdoc style writes every address): its index is kept, not written
    over in the clipdoc style."""
    for number in range(25):
        day = date(2025, 5, 1 + number // 10)
        url: str | None = None
        if case == "no address among the latest" and number < 5:
            url = f"https://example.com/{number}"
        if case == "an address in brackets" and number == 24:
            url = f"<https://example.com/{number}>"
        saved = datetime(2025, 5, 1, 10, number, tzinfo=timezone.utc)
        clipping = Clipping(
            title=f"Doc {number:02d}",
            url=url,
            ai_summary=f"S{number}.",
            metadata=Metadata(catalog_date=day, saved_at=saved),
        )
        folder = tmp_path / day.isoformat()
        folder.mkdir(exist_ok=True)
        (folder / f"d{number}.md").write_text(clipdoc.render(clipping), encoding="utf-8")
    written = subprocess.run(
        [str(SCRIPT), "index", "-q", "--style", "ai_info", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert written.returncode == 0, written.stderr
    producers = (tmp_path / "README.md").read_bytes()
    kept = subprocess.run([str(SCRIPT), "index", str(tmp_path)], capture_output=True, text=True)
    assert kept.returncode == 0, kept.stderr
    assert "is in the producer's style (ai_info): kept;" in kept.stderr
    assert (tmp_path / "README.md").read_bytes() == producers
