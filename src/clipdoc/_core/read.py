"""The one read of a document: every caller (parse, check, the command, the
conformance runner) gets the clipping and its diagnostics from here."""

from __future__ import annotations

from .canonical import read_canonical
from .errors import ClipdocError, Diagnostic, Severity
from .escape import BodyMemo
from .model import Clipping
from .parser import parse_document


def read_document(text: str) -> tuple[Clipping, tuple[Diagnostic, ...]]:
    """The clipping a document holds (recovered when it has errors) and every
    diagnostic, errors and warnings, in document order.

    Canonical documents, the usual case, take the fast reader, which proves
    that the full reader would find no diagnostic.
    """
    memo: BodyMemo = {}
    canonical = read_canonical(text, memo)
    if canonical is not None:
        return canonical, ()
    clipping, diagnostics = parse_document(text, memo)
    return clipping, tuple(diagnostics)


def read_data(data: bytes) -> tuple[str | None, Clipping | None, tuple[Diagnostic, ...]]:
    """Decode a file's bytes and read them: the text, the clipping and the
    diagnostics; bytes that are not UTF-8 give no text and no clipping, and
    their CD110."""
    try:
        text = decode(data)
    except ClipdocError as error:
        return None, None, (error.diagnostic,)
    clipping, diagnostics = read_document(text)
    return text, clipping, diagnostics


def unreadable(exc: OSError) -> Diagnostic:
    """The CD504 of a file that cannot be read."""
    return Diagnostic(
        code="CD504",
        severity=Severity.ERROR,
        line=None,
        column=None,
        message=f"cannot read the file: {exc.strerror or exc}",
    )


def has_error(diagnostics: tuple[Diagnostic, ...] | list[Diagnostic]) -> bool:
    return any(diagnostic.severity is Severity.ERROR for diagnostic in diagnostics)


def decode(data: bytes) -> str:
    """UTF-8 bytes to text; invalid bytes are a `ClipdocError` that says where
    [ENC-1] [EOL-4]."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # Every byte before the first invalid one is valid UTF-8: the column
        # counts the characters they decode to, a leading BOM left out.
        before = data[: exc.start]
        line_start = max(before.rfind(b"\n"), before.rfind(b"\r")) + 1
        line = before.count(b"\n") + before.count(b"\r") - before.count(b"\r\n") + 1
        text = before[line_start:].decode("utf-8")
        column = len(text.removeprefix("\ufeff") if line_start == 0 else text) + 1
        raise ClipdocError(
            "CD110",
            f"invalid UTF-8 at byte offset {exc.start} (byte 0x{data[exc.start]:02x});"
            " save the file as UTF-8",
            line=line,
            column=column,
        ) from None
