"""What must hold for every input, whatever it is.

- ``parse`` returns a `Clipping` or raises `ClipdocError` whose line and column
  lie inside the input, never another exception;
- ``parse(recover=True)`` never raises, loses no character of content, and
  its result survives ``parse(render(r)) == r``, where the only diagnostics
  left are one CD210 for each section recovery filled.
"""

from __future__ import annotations

import io
import warnings
from collections import Counter
from collections.abc import Callable
from typing import Any

import clipdoc


def _content_characters(text: str) -> Counter[str]:
    # Backslashes are escape syntax, which reading removes and writing adds
    # back only where needed (CD209 reports the difference).
    return Counter(char for char in text if not char.isspace() and char != "\\")


def line_count(text: str) -> int:
    return text.replace("\r\n", "\n").replace("\r", "\n").count("\n") + 1


def check_input(text: str) -> None:
    """Raise AssertionError if any property fails for ``text``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clipdoc.ClipdocWarning)
        error = _error_of(clipdoc.parse, text)
        recovered = clipdoc.parse(text, recover=True)
        diagnostics = clipdoc.check(text)
    if error is not None:
        assert error.line is not None, error
        assert error.column is not None, error
        assert 1 <= error.line <= line_count(text), error
        assert error.column >= 1, error
    rendered = clipdoc.render(recovered)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clipdoc.ClipdocWarning)
        assert clipdoc.parse(rendered) == recovered
    filled = [s for s in recovered.extra_sections if s.heading.startswith("clipdoc: unparsed")]
    assert [d.code for d in clipdoc.check(rendered)] == ["CD210"] * len(filled)
    # A timestamp that is rewritten canonically (CD205) loses no information,
    # but its characters change; a leading BOM is not content.
    if not any(diagnostic.code == "CD205" for diagnostic in diagnostics):
        lost = _content_characters(text.removeprefix("\ufeff")) - _content_characters(rendered)
        assert not lost, f"lost characters: {dict(lost)}"


def check_bytes(data: bytes) -> None:
    """The same for raw bytes, through ``load``: invalid UTF-8 is CD110."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        error = _error_of(clipdoc.load, io.BytesIO(data))
        assert error is not None, "invalid UTF-8 was accepted"
        assert error.code == "CD110", error
        assert error.line is not None, error
        assert 1 <= error.line <= data.count(b"\n") + data.count(b"\r") + 1, error
        return
    check_input(text)


def _error_of(function: Callable[[Any], object], argument: object) -> clipdoc.ClipdocError | None:
    """The ClipdocError ``function(argument)`` raises, if any; any other
    exception propagates (and fails the fuzzing)."""
    try:
        function(argument)
    except clipdoc.ClipdocError as error:
        return error
    return None
