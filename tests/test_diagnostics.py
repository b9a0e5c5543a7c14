"""Every diagnostic code: one document that produces it, at an exact place."""

from __future__ import annotations

import os
import warnings
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given

import clipdoc
from clipdoc import CODES, ClipdocError, Clipping, Metadata, Section, Severity
from strategies import documents

META = "# t\n\n## 元数据\n\n"
UNPARSED = "clipdoc: unparsed"

# code -> (document, line, column) for document errors found by parse().
PARSE_ERRORS = {
    "CD101": ("no title here\n\n## AI 摘要\n\nx\n", 1, 1),
    "CD102": ("# t\n\n## AI 摘要\n\na\n\n## AI 摘要\n\nb\n", 7, 1),
    "CD103": (META + "- **来源**: ArXiv\n- 类型: 论文\n", 6, 1),
    "CD104": (META + "- **保存时间**: yesterday\n", 5, 13),
    "CD105": (META + "- **目录日期**: 2025-02-30\n", 5, 13),
    "CD106": ("# t\n\n## AI 摘要\n\n<<<<<<< HEAD\na\n=======\nb\n>>>>>>> topic\n", 5, 1),
    "CD107": ("# t\n\n**URL**: u\n\nstray text\n\n## AI 摘要\n\nx\n", 5, 1),
    "CD108": (META + "- **来源**: a\n- **来源**: b\n", 6, 1),
    "CD109": ("# t\n\n**URL**: a\n**URL**: b\n", 4, 1),
    "CD111": ("# 最新信息\n\n按日期组织的内容集合。\n\n## 最新内容\n\n### [a](b.md)\n", 1, 1),
}

# code -> (document, line, column) for benign variants: parse() accepts them.
WARNINGS = {
    "CD201": ("\ufeff# t\n", 1, 1),
    "CD202": ("# t\r\n\r\n## AI 摘要\r\n\r\nx\r\n", 1, 4),
    "CD203": ("# t\n\n\n**URL**: u\n", 3, 1),
    "CD204": ("# t\n\n## AI 摘要  \n\nx\n", 3, 9),
    "CD205": (META + "- **保存时间**: 2025-05-06T08:03:26+00:00\n", 5, 13),
    "CD206": ("# t\n\n## 元数据\n\n- **来源**: a\n\n## AI 摘要\n\nx\n", 7, 1),
    "CD207": (META + "- **目录日期**: 2025-05-06\n- **来源**: a\n", 6, 1),
    "CD208": ("# t\n\n##\tAI 摘要\n\nx\n", 3, 1),
    "CD209": ("# t\n\n## AI 摘要\n\n```\n\\```\n", 6, 1),
    "CD210": ("# t\n\n## clipdoc: unparsed text from line 3\n\nx\n", 3, 1),
}


def _model_errors() -> dict[str, object]:
    return {
        "CD301": lambda: Clipping(title="two\nlines"),
        "CD302": lambda: Metadata(extra=[("来源", "x")]),
        "CD303": lambda: Metadata(extra=[("a**:b", "x")]),
        "CD304": lambda: Metadata(saved_at=datetime(2025, 1, 1)),
        "CD305": lambda: Section(heading="AI 摘要"),
    }


JSON_ERRORS = {
    "CD401": ('{"title": "t"}', None, None),
    "CD402": ('{"title":\n  "t",, }', 2, 7),
}


@pytest.mark.parametrize("code", sorted(JSON_ERRORS))
def test_json_error(code: str) -> None:
    text, line, column = JSON_ERRORS[code]
    with pytest.raises(ClipdocError) as caught:
        clipdoc.from_json(text)
    assert (caught.value.code, caught.value.line, caught.value.column) == (code, line, column)


def test_every_code_is_exercised_here() -> None:
    covered = set(PARSE_ERRORS) | set(WARNINGS) | set(_model_errors()) | set(JSON_ERRORS)
    covered.add("CD110")
    # Placing and reading clippings in a collection: tests/test_collection.py.
    covered |= {"CD501", "CD502", "CD503", "CD504", "CD505", "CD506", "CD507", "CD508", "CD509"}
    # Feeds and notes: tests/test_feeds.py, tests/test_notes.py.
    covered |= {"CD601", "CD602", "CD603"}
    # The static site: tests/test_site.py.
    covered |= {"CD701", "CD702", "CD703"}
    assert covered == set(CODES)


@pytest.mark.parametrize("code", sorted(PARSE_ERRORS))
def test_parse_error_position(code: str) -> None:
    document, line, column = PARSE_ERRORS[code]
    with pytest.raises(ClipdocError) as caught:
        clipdoc.parse(document)
    error = caught.value
    assert (error.code, error.line, error.column) == (code, line, column)
    assert str(error).startswith(f"line {line}, column {column}: ")
    assert CODES[code].severity is Severity.ERROR


@pytest.mark.parametrize("code", sorted(WARNINGS))
def test_warning_position(code: str) -> None:
    document, line, column = WARNINGS[code]
    with pytest.warns(clipdoc.ClipdocWarning) as record:
        clipdoc.parse(document)
    found = [
        warning.message.diagnostic
        for warning in record
        if isinstance(warning.message, clipdoc.ClipdocWarning)
    ]
    assert [(d.code, d.line, d.column) for d in found if d.code == code] == [(code, line, column)]
    assert all(d.severity is Severity.WARNING for d in found)


@pytest.mark.parametrize("code", sorted(_model_errors()))
def test_model_error(code: str) -> None:
    with pytest.raises(ClipdocError) as caught:
        _model_errors()[code]()  # type: ignore[operator]
    assert caught.value.code == code
    assert caught.value.line is None


def test_invalid_utf8_position(tmp_path: Path) -> None:
    path = tmp_path / "bad.md"
    path.write_bytes(b"# t\n\n## AI \xe6\x91\x98\xe8\xa6\x81\n\nab\xffc\n")
    with pytest.raises(ClipdocError) as caught:
        clipdoc.load(path)
    assert (caught.value.code, caught.value.line, caught.value.column) == ("CD110", 5, 3)
    assert "byte offset 21" in caught.value.message


def test_conflict_message_says_what_to_do() -> None:
    with pytest.raises(ClipdocError, match="unresolved Git merge conflict"):
        clipdoc.parse(PARSE_ERRORS["CD106"][0])


def test_check_lists_every_problem_in_order() -> None:
    document = "\ufeff# t\r\n\r\nstray\r\n## 元数据\r\n\r\n- **保存时间**: x\r\n- bad\r\n"
    found = clipdoc.check(document)
    assert [(d.code, d.line) for d in found] == [
        ("CD201", 1),
        ("CD202", 1),
        ("CD107", 3),
        ("CD104", 6),
        ("CD103", 7),
    ]


def test_error_is_a_value_error_and_pickles() -> None:
    import pickle

    error = ClipdocError("CD101", "message", line=2, column=3)
    assert isinstance(error, ValueError)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.code, copy.line, copy.column, copy.message) == ("CD101", 2, 3, "message")


def test_timestamp_forms() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clipdoc.ClipdocWarning)
        for text, expected in [
            (
                "2025-03-24T12:54:42+08:00",
                datetime(2025, 3, 24, 12, 54, 42, tzinfo=timezone(timedelta(hours=8))),
            ),
            (
                "2025-03-24t04:54:42.5z",
                datetime(2025, 3, 24, 4, 54, 42, 500000, tzinfo=timezone.utc),
            ),
            ("2025-03-24 04:54:42.123456789000Z", None),
        ]:
            document = META + f"- **保存时间**: {text}\n"
            if expected is None:
                with pytest.raises(ClipdocError, match="more precise"):
                    clipdoc.parse(document)
                continue
            metadata = clipdoc.parse(document).metadata
            assert metadata is not None
            assert metadata.saved_at == expected
    for bad in [
        "2025-05-06T08:03:60Z",
        "2025-05-06T08:03:26+24:00",
        "2025-05-06T08:03:26",
        "２０２５-05-06T08:03:26Z",
        "2025-13-06T08:03:26Z",
    ]:
        with pytest.raises(ClipdocError) as caught:
            clipdoc.parse(META + f"- **保存时间**: {bad}\n")
        assert caught.value.code == "CD104"


def _non_space(text: str) -> Counter[str]:
    # Backslashes are left out: reading removes the escapes a text carries, and
    # writing adds back only those the canonical form needs (CD209 says so).
    return Counter(char for char in text if not char.isspace() and char != "\\")


@given(documents)
def test_recovery_never_raises_and_keeps_every_character(text: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clipdoc.ClipdocWarning)
        recovered = clipdoc.parse(text, recover=True)
    rendered = clipdoc.render(recovered)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clipdoc.ClipdocWarning)
        assert clipdoc.parse(rendered) == recovered
    # What recovery could not place stays visible: one CD210 per such section.
    unplaced = [
        section for section in recovered.extra_sections if section.heading.startswith(UNPARSED)
    ]
    assert [d.code for d in clipdoc.check(rendered)] == ["CD210"] * len(unplaced)
    if not any(d.code == "CD205" for d in clipdoc.check(text)):
        kept = _non_space(text.removeprefix("\ufeff"))
        assert not kept - _non_space(rendered)


@given(documents)
def test_parse_raises_only_clipdoc_errors_inside_the_input(text: str) -> None:
    line_count = text.replace("\r\n", "\n").replace("\r", "\n").count("\n") + 1
    error: ClipdocError | None = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clipdoc.ClipdocWarning)
        try:
            clipdoc.parse(text)
        except ClipdocError as raised:
            error = raised
    if error is not None:
        assert error.line is not None
        assert 1 <= error.line <= line_count
        assert error.column is not None
        assert error.column >= 1


def test_recovery_keeps_unplaceable_text_visible() -> None:
    document = PARSE_ERRORS["CD102"][0]
    with pytest.warns(clipdoc.ClipdocWarning):
        clip = clipdoc.parse(document, recover=True)
    assert clip.ai_summary == "a"
    assert clip.extra_sections == (
        Section(heading="clipdoc: unparsed duplicate section from line 7", body="## AI 摘要\n\nb"),
    )


HUGE = "长" * 1_000_000

# Documents whose diagnostics would quote a 1 MB line or value.
HUGE_QUOTES = {
    "CD101": HUGE + "\n\n## AI 摘要\n\nx\n",
    "CD103": META + "- " + HUGE + "\n",
    "CD104": META + "- **保存时间**: " + HUGE + "\n",
    "CD105": META + "- **目录日期**: " + HUGE + "\n",
    "CD205": META + "- **保存时间**: 2025-05-06T08:03:26." + "0" * 1_000_000 + "Z\n",
    "CD206": META + "- **来源**: a\n\n## " + HUGE + "\n\nx\n",
    "CD208": "# t\n\n##\t" + HUGE + "\n\nx\n",
    "CD208 item": META + "- **" + HUGE + "**:value\n",
    "CD209": "# t\n\n## AI 摘要\n\n```" + HUGE + "\n",
}


@pytest.mark.parametrize("case", sorted(HUGE_QUOTES))
def test_messages_never_quote_a_whole_line(case: str) -> None:
    code = case.split()[0]
    found = clipdoc.check(HUGE_QUOTES[case])
    assert code in {d.code for d in found}
    for diagnostic in found:
        assert len(diagnostic.message) < 400, (diagnostic.code, diagnostic.message[:200])
    [quoting] = [d for d in found if d.code == code]
    assert "…'" in quoting.message or code == "CD205"


def test_cd209_shows_the_canonical_line_as_it_is_written() -> None:
    [diagnostic] = clipdoc.check("# t\n\n## AI 摘要\n\n```\n")
    assert diagnostic.code == "CD209"
    assert "as '\\```'" in diagnostic.message  # one backslash, as in the document
    assert "\\\\" not in diagnostic.message


def test_not_a_clipping_is_one_diagnostic() -> None:
    found = clipdoc.check(PARSE_ERRORS["CD111"][0])
    assert [(d.code, d.line, d.column) for d in found] == [("CD111", 1, 1)]
    assert "not a clipping document" in found[0].message
    # A file with a clipping's part is a clipping with errors, reported in full.
    assert [d.code for d in clipdoc.check("stray\n\n**URL**: u\n")] == ["CD101", "CD107"]
    # A file without errors is a clipping, however little it holds.
    assert clipdoc.check("# t\n") == []


def test_diagnostics_of_conflicted_documents_keep_one_order_every_run() -> None:
    import subprocess
    import sys

    program = (
        "import clipdoc; print([d.code for d in clipdoc.check(' \\\\## x\\n<<<<<<< HEAD\\n')])"
    )
    seen = {
        subprocess.run(
            [sys.executable, "-c", program],
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in range(8)
    }
    assert len(seen) == 1


def test_warnings_point_at_the_line_that_read_the_document() -> None:
    from clipdoc import notes

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clipdoc.parse("# t\n\n\n## AI 摘要\n\nx\n")
        notes.from_note("---\ntitle: t\ntags: []\n---\n# t\n")
    assert [warning.filename for warning in caught] == [__file__] * len(caught)
    assert len(caught) >= 2
