"""Diagnostics: the one error class, the warning class and the code table."""

from __future__ import annotations

import enum
import errno as errno_
import warnings
from collections.abc import Iterable

import attrs


class Severity(str, enum.Enum):
    """How bad a diagnostic is: errors stop `parse`, warnings do not.

    >>> import clipdoc
    >>> clipdoc.CODES["CD202"].severity is clipdoc.Severity.WARNING
    True
    """

    ERROR = "error"
    WARNING = "warning"


@attrs.frozen(kw_only=True)
class CodeInfo:
    """What one stable diagnostic code means (the values of `CODES`).

    >>> import clipdoc
    >>> clipdoc.CODES["CD104"].summary
    'the 保存时间 value is not an RFC 3339 timestamp with an offset'
    """

    code: str
    severity: Severity
    summary: str


def _table(*rows: tuple[str, Severity, str]) -> dict[str, CodeInfo]:
    return {code: CodeInfo(code=code, severity=sev, summary=text) for code, sev, text in rows}


_E = Severity.ERROR
_W = Severity.WARNING

#: Every diagnostic code clipdoc can produce. Codes are stable: a code is never
#: reused for another meaning. CD1xx are document errors, CD2xx benign variants
#: (warnings), CD3xx invalid model values, CD4xx invalid JSON input, CD5xx
#: problems placing a clipping in a collection, CD6xx input in other formats
#: (feeds, notes) that cannot be imported.
CODES: dict[str, CodeInfo] = _table(
    ("CD101", _E, "the document does not start with a '# ' title line"),
    ("CD102", _E, "a known section appears twice"),
    ("CD103", _E, "a line in the metadata section is not a '- **key**: value' item"),
    ("CD104", _E, "the 保存时间 value is not an RFC 3339 timestamp with an offset"),
    ("CD105", _E, "the 目录日期 value is not a YYYY-MM-DD date"),
    ("CD106", _E, "an unresolved Git merge-conflict marker"),
    ("CD107", _E, "text where the format allows none"),
    ("CD108", _E, "a known metadata item appears twice"),
    ("CD109", _E, "a second **URL** line"),
    ("CD110", _E, "the file is not valid UTF-8"),
    ("CD111", _E, "the file is not a clipping document at all"),
    ("CD201", _W, "a byte order mark before the title"),
    ("CD202", _W, "CRLF or CR line endings"),
    ("CD203", _W, "missing or extra blank lines, or no newline at the end"),
    ("CD204", _W, "whitespace at the end of a line that differs from the canonical form"),
    ("CD205", _W, "a timestamp in a non-canonical form (e.g. +00:00 for UTC)"),
    ("CD206", _W, "sections out of canonical order"),
    ("CD207", _W, "metadata items out of canonical order"),
    ("CD208", _W, "a structural line written in a non-canonical way"),
    ("CD209", _W, "a body line escaped differently from the canonical form"),
    ("CD210", _W, "a section holding text that recovery could not place"),
    ("CD301", _E, "a line break in a single-line field"),
    ("CD302", _E, "a metadata key that collides with a known label"),
    ("CD303", _E, "a metadata key that cannot be delimited"),
    ("CD304", _E, "a timestamp without an offset, or an offset that is not whole minutes"),
    ("CD305", _E, "a section heading that cannot be written unambiguously"),
    ("CD401", _E, "a JSON value that does not match the JSON mapping"),
    ("CD402", _E, "text that is not JSON"),
    ("CD501", _E, "collection: a clipping without a catalog date cannot be placed"),
    ("CD502", _E, "collection: another document is already at the clipping's path"),
    ("CD503", _E, "collection: a path leads out of the collection (a link, '..')"),
    ("CD504", _E, "collection: a file or folder cannot be read"),
    ("CD505", _E, "collection: a FIFO, socket or device where a document should be"),
    ("CD506", _E, "collection: a file larger than the size limit"),
    ("CD507", _E, "collection: a file changed since it was read; not overwritten"),
    ("CD508", _E, "collection: a file or folder cannot be written"),
    ("CD509", _W, "collection: file names that clash on other systems (case, Unicode, CON)"),
    ("CD601", _E, "interop: a feed or note with nothing that can be imported"),
    ("CD602", _W, "interop: a feed entry that cannot be imported was left out"),
    ("CD603", _W, "interop: a note property that cannot be read back exactly"),
    ("CD701", _E, "site: the output folder holds something that is not a clipdoc site"),
    ("CD702", _E, "site: the output folder would replace the collection, or be inside it"),
    ("CD703", _E, "site: the theme is not a folder, or a template has an error"),
)


@attrs.frozen(kw_only=True)
class Diagnostic:
    """One problem found in a document.

    ``line`` and ``column`` are 1-based and count characters (code points);
    they are ``None`` only for problems in a model that has no source text.

    >>> import clipdoc
    >>> [diagnostic] = clipdoc.check("# t\\n\\n\\n## AI 摘要\\n\\nx\\n")
    >>> diagnostic.code, diagnostic.severity.value, diagnostic.line, diagnostic.column
    ('CD203', 'warning', 3, 1)
    >>> print(diagnostic)
    line 3, column 1: extra blank line; structural lines are separated by exactly one (CD203)
    """

    code: str
    severity: Severity
    line: int | None
    column: int | None
    message: str

    def __str__(self) -> str:
        return f"{_where(self.line, self.column)}{self.message} ({self.code})"


def _where(line: int | None, column: int | None) -> str:
    if line is None:
        return ""
    if column is None:
        return f"line {line}: "
    return f"line {line}, column {column}: "


class ClipdocError(ValueError):
    """The one error clipdoc raises for bad documents and bad model values.

    >>> import clipdoc
    >>> try:
    ...     clipdoc.parse("no title here\\n\\n## AI 摘要\\n\\nx\\n")
    ... except clipdoc.ClipdocError as error:
    ...     print(error.code, error.line, error.column)
    CD101 1 1
    """

    code: str
    line: int | None
    column: int | None
    message: str
    #: For an invalid model value (CD3xx), the field it is about.
    field: str | None
    #: For a problem in a file, the file's path (as the caller gave it, or
    #: relative to a collection's root).
    path: str | None

    def __init__(
        self,
        code: str,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        field: str | None = None,
        path: str | None = None,
    ) -> None:
        self.code = code
        self.message = message
        self.line = line
        self.column = column
        self.field = field
        self.path = path
        prefix = f"{path}: " if path is not None else ""
        super().__init__(f"{prefix}{_where(line, column)}{message} ({code})")

    @classmethod
    def from_diagnostic(cls, diagnostic: Diagnostic) -> ClipdocError:
        return cls(
            diagnostic.code, diagnostic.message, line=diagnostic.line, column=diagnostic.column
        )

    @property
    def diagnostic(self) -> Diagnostic:
        """This error as a `Diagnostic`."""
        return Diagnostic(
            code=self.code,
            severity=CODES[self.code].severity,
            line=self.line,
            column=self.column,
            message=self.message,
        )

    def __str__(self) -> str:
        # OSError, a base of some subclasses, would show its errno instead.
        return str(self.args[0]) if self.args else self.message

    def __reduce__(self) -> tuple[object, ...]:
        # Exceptions pickle through their args; ours has keyword-only fields.
        return (_rebuild_error, (type(self), self.args, dict(self.__dict__)))


def _rebuild_error(
    kind: type[ClipdocError], args: tuple[object, ...], state: dict[str, object]
) -> ClipdocError:
    # OSError lays out its instances itself: subclasses of both are made by it.
    base: type[BaseException] = OSError if issubclass(kind, OSError) else kind
    error = base.__new__(kind, *args)
    assert isinstance(error, kind)
    error.args = args
    error.__dict__.update(state)
    return error


class PathError(ClipdocError, OSError):
    """A file or folder that cannot be read or written: CD504 (cannot be
    read), CD508 (cannot be written), or the code of a subclass. ``path``
    names it as the user knows it; ``errno`` is the system's reason, when
    there is one. It is an `OSError` too, so ``except OSError`` catches it.

    >>> import clipdoc
    >>> try:
    ...     clipdoc.load("no/such/file.md")
    ... except clipdoc.PathError as error:
    ...     print(error.code, error.path, isinstance(error, FileNotFoundError))
    CD504 no/such/file.md True
    """

    def __init__(self, code: str, message: str, *, path: str, errno: int | None = None) -> None:
        super().__init__(code, message, path=path)
        self.errno = errno
        self.strerror = message
        self.filename = path


def path_error(code: str, message: str, *, path: str, errno: int | None) -> PathError:
    """The `PathError` of the subclass that fits the system's ``errno``."""
    kind = _BY_ERRNO.get(errno, PathError) if errno is not None else PathError
    return kind(code, message, path=path, errno=errno)


class NotFoundError(PathError, FileNotFoundError):
    """A file or folder that does not exist.

    >>> import clipdoc
    >>> try:
    ...     clipdoc.load("missing.md")
    ... except FileNotFoundError as error:
    ...     print(type(error).__name__, error.code)
    NotFoundError CD504
    """


class NotAFolderError(PathError, NotADirectoryError):
    """A path that should be a folder and is not (or does not exist).

    >>> import clipdoc
    >>> try:
    ...     clipdoc.Collection("examples/seed.md")
    ... except NotADirectoryError as error:
    ...     print(type(error).__name__, error.code)
    NotAFolderError CD504
    """


class AccessError(PathError, PermissionError):
    """A file or folder the system does not let clipdoc read or write.

    >>> import clipdoc
    >>> issubclass(clipdoc.AccessError, PermissionError)
    True
    """


class _FixedCode(PathError):
    """A fault with a code of its own."""

    CODE = "CD504"

    def __init__(
        self, message: str, *, path: str, errno: int | None = None, code: str | None = None
    ) -> None:
        super().__init__(code or self.CODE, message, path=path, errno=errno)


class UnsafePathError(_FixedCode, PermissionError):
    """A path that leads out of the folder a user named: through ``..``, an
    absolute path or a symbolic link (CD503). Nothing is read or written.

    >>> import clipdoc
    >>> try:
    ...     clipdoc.Collection("examples").get("../README.md")
    ... except clipdoc.UnsafePathError as error:
    ...     print(error.code, isinstance(error, PermissionError))
    CD503 True
    """

    CODE = "CD503"


class ExistsError(_FixedCode, FileExistsError):
    """Another version of a document is already at the path (CD502).

    >>> import clipdoc
    >>> issubclass(clipdoc.ExistsError, FileExistsError)
    True
    """

    CODE = "CD502"


class NotAFileError(_FixedCode):
    """A FIFO, socket, device or folder where a document file should be
    (CD505); it is never opened for reading.

    >>> import clipdoc
    >>> clipdoc.CODES["CD505"].summary
    'collection: a FIFO, socket or device where a document should be'
    """

    CODE = "CD505"


class TooLargeError(_FixedCode):
    """A file larger than the size limit (CD506).

    >>> import clipdoc
    >>> [d.code for d in clipdoc.Collection("examples", size_limit=10).get("seed.md").errors]
    ['CD506']
    """

    CODE = "CD506"


class ChangedError(_FixedCode):
    """A file that changed since it was read, which clipdoc would otherwise
    overwrite (CD507): it is left as it is.

    >>> import clipdoc
    >>> clipdoc.CODES["CD507"].summary
    'collection: a file changed since it was read; not overwritten'
    """

    CODE = "CD507"


_BY_ERRNO: dict[int, type[PathError]] = {
    errno_.ENOENT: NotFoundError,
    errno_.ENOTDIR: NotAFolderError,
    errno_.EACCES: AccessError,
    errno_.EPERM: AccessError,
}


class ClipdocWarning(UserWarning):
    """Emitted by `parse` and `load` for each benign variant they accept.

    >>> import warnings, clipdoc
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     clip = clipdoc.parse("\\ufeff# t\\n")
    >>> [w.message.diagnostic.code for w in caught]
    ['CD201']
    """

    diagnostic: Diagnostic

    def __init__(self, diagnostic: Diagnostic) -> None:
        self.diagnostic = diagnostic
        super().__init__(str(diagnostic))


#: The most characters of user text a message quotes.
QUOTE_LIMIT = 60


def raise_or_warn(diagnostics: Iterable[Diagnostic], *, recover: bool, stacklevel: int) -> None:
    """What `parse` and its kin do with a reading's diagnostics: the first
    error raised as `ClipdocError` (unless ``recover``), and else each one
    emitted as a `ClipdocWarning` at ``stacklevel`` (counted from the
    caller of this function)."""
    found = tuple(diagnostics)
    if not recover:
        for diagnostic in found:
            if diagnostic.severity is Severity.ERROR:
                raise ClipdocError.from_diagnostic(diagnostic)
    for diagnostic in found:
        warnings.warn(ClipdocWarning(diagnostic), stacklevel=stacklevel + 1)


def quoted(text: str, *, limit: int = QUOTE_LIMIT) -> str:
    r"""User text for a message: in quotes, cut to ``limit`` characters with an
    ellipsis, written as it is in the document (a backslash stays one
    backslash); only control characters are shown as escapes.

    >>> print(quoted("\\## heading"), quoted("x" * 100)[-6:], quoted("a\tb"))
    '\## heading' xxxx…' 'a\tb'
    """
    cut = text if len(text) <= limit else text[: limit - 1] + "…"
    if cut.isprintable():
        return f"'{cut}'"
    return "'" + "".join(char if char.isprintable() else repr(char)[1:-1] for char in cut) + "'"


def model_error(code: str, field: str, problem: str) -> ClipdocError:
    """An invalid model value: the message names the field."""
    return ClipdocError(code, f"{field}: {problem}", field=field)
