"""Building a collection's site: read every document, plan every page,
render only what changed since the last build, and swap the new site in
whole.

Every output file has a key: a digest of all it is made from (the
document's bytes, its neighbours' titles, the theme, clipdoc's version…).
The manifest in the output folder keeps the keys of the last build; a file
whose key is unchanged is not rendered again but linked from the old site
into the new one. The new site is built in a hidden folder beside the
output folder and exchanged with it at the end, so that a failed or stopped
build leaves the old site as it was.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import gc
import hashlib
import importlib.util
import itertools
import json
import os
import shutil
import signal
import stat
import sys
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, TypeVar

import attrs

from .._core.errors import ClipdocError, Diagnostic, NotAFolderError
from .._core.model import Clipping
from .._storage.cache import Fact, StatCache, cached_or_read, found_with_identities
from .._storage.documents import read_document_file
from .._storage.files import Folder, Stamp, exchange, write_fully
from .._storage.parallel import BATCH_SIZE, checked_jobs, ordered_map, worker_pool
from .._storage.urls import url_key
from .._storage.walk import Found, Walk, checked_folder, checked_patterns
from .._version import __version__
from . import leftovers, pages, search
from .i18n import LANGUAGES, Messages, content_language
from .pages import Document, Fields, Neighbourhood, Unreadable

if TYPE_CHECKING:
    from concurrent.futures import Executor

    import jinja2

_Item = TypeVar("_Item")
_Result = TypeVar("_Result")

MANIFEST = ".clipdoc-site.json"
MANIFEST_FORMAT = 3
PAGE_SIZE = 25
#: Page numbers shown around the current one in a pager.
PAGER_REACH = 2
#: How many saves of its address a clipping's page links to (the nearest in
#: time), and how many versions it names.
SAVES_SHOWN = 100
VERSIONS_SHOWN = 24
_THEME = Path(__file__).parent
_PAGE_TEMPLATES = ("clipping.html", "list.html", "dates.html", "groups.html", "search.html")
# Scripts only from the site itself, and no inline script or style: a
# document's text can never run, even if a sanitizer had a hole.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' http: https: data:;"
    " form-action 'self'; base-uri 'none'; object-src 'none'"
)
#: The policy of a site built with ``images="none"``: no image from elsewhere.
_NO_REMOTE_IMAGES_POLICY = CONTENT_SECURITY_POLICY.replace(" http: https: data:", " data:")
#: What a site does with the documents' images (``images=``).
IMAGES = ("remote", "none")


class Progress(Protocol):
    """What `build_site` reports as it goes (the command shows a bar)."""

    def start(self, phase: str, total: int) -> None: ...

    def advance(self) -> None: ...


@attrs.frozen(kw_only=True)
class SiteReport:
    """What a build did.

    ``documents`` have a page; ``skipped`` are files that are not clippings
    (not UTF-8, not a clipping document, unreadable); ``problems`` are the
    diagnostics of every file, by path (pages of documents with errors show
    what was recovered, and say so). ``rendered`` files were written anew,
    ``reused`` ones carried over unchanged from the last build. ``removed``
    are the folders beside the output that builds which never finished had
    left, removed (see `build_site`); ``not_removed`` those that could not
    be, each with why.
    """

    output: str
    documents: int
    skipped: tuple[str, ...]
    problems: tuple[tuple[str, Diagnostic], ...]
    files: int
    rendered: int
    reused: int
    removed: tuple[str, ...] = ()
    not_removed: tuple[tuple[str, str], ...] = ()


# ----------------------------------------------------------------------- theme


@attrs.frozen
class Theme:
    """The templates and the style sheet: the default theme's, each
    replaced by a file of the same name in the user's theme folder
    (``templates/*.html``, ``style.css``)."""

    folder: str | None
    digest: str

    @classmethod
    def load(cls, folder: str | os.PathLike[str] | None) -> Theme:
        if folder is not None:
            folder = os.fspath(folder)
            if not os.path.isdir(folder):
                raise ClipdocError("CD703", f"{folder}: the theme is not a folder")
        return cls(folder, _theme_digest(cls(folder, "").files()))

    def files(self) -> dict[str, bytes]:
        """Every file of the theme by name: templates and static files. A
        theme's own files are read only when they are regular files inside
        its folder: a link or anything else there is CD703, so that a theme
        cannot bring a file from elsewhere (``/etc/shadow``) into a site."""
        found = _theme_folder_files(_THEME, own=False)
        if self.folder:
            found |= _theme_folder_files(Path(self.folder), own=True)
        return found

    def static(self) -> dict[str, bytes]:
        """The files copied to the site as they are."""
        return {
            name.split("/", 1)[1]: data
            for name, data in self.files().items()
            if name.startswith("static/")
        }

    def render(self, template: str, context: dict[str, Any], *, lang: str = "en") -> bytes:
        import jinja2

        try:
            compiled = self.template(template, lang=lang)  # `prepare` compiled it
            # The default theme is clipdoc's own: only a user's is timed.
            limit = _time_limit(THEME_TIME_LIMIT) if self.folder else contextlib.nullcontext()
            with limit:
                return compiled.render(context).encode()
        except jinja2.TemplateSyntaxError as error:  # in a template imported as it renders
            raise _syntax_error(error) from None
        except jinja2.TemplateNotFound as error:
            problem = f"includes or imports {error.name}, which the theme does not have"
            raise _theme_failure(template, error, problem, self.folder) from None
        except _TimeLimitError as error:
            problem = f"took more than {THEME_TIME_LIMIT} s to render one page (a loop too long?)"
            raise _theme_failure(template, error, problem, self.folder) from None
        except jinja2.TemplateError as error:
            raise _theme_failure(template, error, str(error), self.folder) from None
        except RecursionError as error:
            raise _theme_failure(
                template, error, "templates include or call one another without end", self.folder
            ) from None
        except MemoryError as error:
            raise _theme_failure(template, error, "out of memory", self.folder) from None
        except ClipdocError:
            raise
        except Exception as error:
            if self.folder is None:
                raise  # the default theme's: a fault of clipdoc's own
            # A theme's arithmetic or range gone wrong (1/0, 'a' + 1, range(10**9)).
            problem = f"{type(error).__name__}: {error}"
            raise _theme_failure(template, error, problem, self.folder) from None

    def template(self, name: str, *, lang: str = "en") -> jinja2.Template:
        import jinja2

        try:
            return _environment(self.folder, self.digest, lang).get_template(name)
        except jinja2.TemplateSyntaxError as error:
            raise _syntax_error(error) from None

    def prepare(self, *, lang: str = "en") -> None:
        """Compile every template (the pages' and those they extend, include
        or import) and load what rendering needs: processes forked from
        this one start with them, and a theme's time limit times rendering
        alone."""
        for name in self.files():
            if name.startswith("templates/"):
                self.template(name.split("/", 1)[1], lang=lang)
        pages.prepare_fragments()


#: The most seconds a user's theme may take to render one page: a sandboxed
#: template can still loop for as long as it likes.
THEME_TIME_LIMIT = 30


class _TimeLimitError(Exception):
    """A page took longer than its time limit to render."""


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Raise `_TimeLimitError` in the code inside once ``seconds`` have
    passed, by a timer signal: only in a process's main thread, where
    Python handles signals (a build run from another thread has no limit),
    and where the system has one (not on Windows)."""
    if (
        not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        yield
        return

    def expired(number: int, frame: object) -> None:
        raise _TimeLimitError

    previous = signal.signal(signal.SIGALRM, expired)
    # A timer of the program's own is put back as it was (less the time spent).
    started = time.monotonic()
    delay, interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if delay:
            left = max(delay - (time.monotonic() - started), 0.001)
            signal.setitimer(signal.ITIMER_REAL, left, interval)


def _theme_folder_files(base: Path, *, own: bool) -> dict[str, bytes]:
    """The templates and static files of one theme folder, by name: the
    default theme's (``own`` False), or a user's, read as `Theme.files` says."""
    found = {}
    for kind in ("templates", "static"):
        directory = base / kind
        if (own and not _is_theme_folder(directory)) or not directory.is_dir():
            continue
        for path in sorted(directory.iterdir()):
            if path.name.startswith("."):
                continue
            if own and kind == "static":
                _check_static_file(path)
            data = _theme_file(path) if own else _default_theme_file(path)
            if data is not None:
                found[f"{kind}/{path.name}"] = data
    if own and os.path.lexists(base / "style.css"):
        if "static/style.css" in found:
            raise _theme_error(
                base / "style.css",
                "the theme has two style sheets, this one and static/style.css; keep one",
            )
        data = _theme_file(base / "style.css")
        if data is not None:
            found["static/style.css"] = data
    return found


#: The largest theme file read.
_THEME_FILE_LIMIT = 16 * 2**20


def _theme_digest(files: dict[str, bytes]) -> str:
    """What a theme's files, and the code that renders them, add up to."""
    digest = hashlib.sha256(_renderer())
    for name, data in sorted(files.items()):
        digest.update(f"\0{name}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


#: The libraries whose output is in the pages.
_RENDERING_LIBRARIES = (
    "Jinja2",
    "MarkupSafe",
    "markdown-it-py",
    "nh3",
    "lxml",
    "beautifulsoup4",
)


@functools.cache
def _renderer() -> bytes:
    """What the pages are made by, in every build's keys: clipdoc's version
    and the code of what reads documents and makes pages (an install from
    the source tree keeps its version as its code changes), and the
    versions of the libraries they use. A page made by other code or other
    libraries is made again, not carried over."""
    from importlib import metadata

    package = Path(__file__).resolve().parent.parent
    # Python's version too: its Unicode tables normalize the search's words.
    digest = hashlib.sha256(f"{__version__} {sys.version}".encode())
    for folder in ("_core", "_storage", "_site"):
        for module in sorted((package / folder).glob("*.py")):
            digest.update(module.read_bytes())
    digest.update((package / "html.py").read_bytes())
    for library in _RENDERING_LIBRARIES:
        try:
            digest.update(f"\0{library} {metadata.version(library)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"\0{library} -".encode())
    return digest.digest()


def _theme_error(path: Path, problem: str) -> ClipdocError:
    return ClipdocError("CD703", f"{path}: {problem}", path=str(path))


#: What a theme's ``static/`` may hold: style sheets, pictures, fonts and
#: text. Never a script or a page, which would run in every reader's browser
#: (the pages allow scripts of the site's own) or replace one of the site's.
_STATIC_SUFFIXES = frozenset(
    ".css .png .jpg .jpeg .gif .webp .avif .ico .woff .woff2 .ttf .otf .txt".split()
)


def _check_static_file(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        raise _theme_error(path, "a folder; a theme's static files are in static/ itself")
    if path.suffix.lower() not in _STATIC_SUFFIXES:
        raise _theme_error(
            path,
            "a theme's static files are style sheets, pictures, fonts and text"
            f" ({', '.join(sorted(_STATIC_SUFFIXES))}); no script or page",
        )


def _is_theme_folder(directory: Path) -> bool:
    """Whether a theme's ``templates`` or ``static`` is a folder of its own
    (absent: False; a link or a file: CD703)."""
    try:
        status = os.lstat(directory)
    except FileNotFoundError:
        return False
    except OSError as error:
        raise _theme_error(directory, f"cannot be read ({error.strerror})") from None
    if stat.S_ISLNK(status.st_mode):
        raise _theme_error(
            directory, "a symbolic link; a theme's files must be regular files inside its folder"
        )
    if not stat.S_ISDIR(status.st_mode):
        raise _theme_error(
            directory,
            "not a folder (a theme's templates and static files are in folders of its own)",
        )
    return True


def _theme_file(path: Path) -> bytes | None:
    """The bytes of a file of a user's theme: a regular file read without
    following a link (a folder inside is left out); anything else CD703."""
    try:
        status = os.lstat(path)
        if stat.S_ISDIR(status.st_mode):
            return None
        if not stat.S_ISREG(status.st_mode):
            kind = "a symbolic link" if stat.S_ISLNK(status.st_mode) else "not a regular file"
            raise _theme_error(
                path, f"{kind}; a theme's files must be regular files inside its folder"
            )
        if status.st_size > _THEME_FILE_LIMIT:
            raise _theme_error(path, f"larger than {_THEME_FILE_LIMIT // 2**20} MiB")
        descriptor = os.open(path, os.O_RDONLY | _NO_FOLLOW | _NO_BLOCK)
    except OSError as error:
        raise _theme_error(path, f"cannot be read ({error.strerror})") from None
    with os.fdopen(descriptor, "rb") as file:
        if (os.fstat(file.fileno()).st_dev, os.fstat(file.fileno()).st_ino) != (
            status.st_dev,
            status.st_ino,
        ):
            raise _theme_error(path, "changed while it was read; run the build again")
        return file.read(_THEME_FILE_LIMIT + 1)[:_THEME_FILE_LIMIT]


def _default_theme_file(path: Path) -> bytes | None:
    return path.read_bytes() if path.is_file() else None


_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NO_BLOCK = getattr(os, "O_NONBLOCK", 0)
_FOLDER = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
# Binary on Windows, as open(..., "wb") is.
_NEW_FILE = (
    os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
)
#: Whether the last site's files can be looked at through their folders'
#: descriptors (not on Windows: there nothing of it is reused).
_BY_DESCRIPTOR = {os.open, os.stat, os.link} <= os.supports_dir_fd


def _theme_failure(
    template: str, error: BaseException, problem: str, folder: str | None
) -> ClipdocError:
    """CD703 for a template that failed as it rendered, at the template and
    line where it did (the page's own template when that is unknown)."""
    name, line = template, None
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename.endswith(".html") and "/" not in frame.filename:
            name, line = frame.filename, frame.lineno
    where = f"{name}, line {line}" if line is not None else name
    return ClipdocError(
        "CD703", f"{where}: {_clause(problem)}; fix the theme's template", line=line, path=folder
    )


def _clause(problem: str) -> str:
    """A message of Jinja's (which may end a sentence) as a clause of ours."""
    return problem.strip().rstrip(".")


def _syntax_error(error: jinja2.TemplateSyntaxError) -> ClipdocError:
    return ClipdocError(
        "CD703",
        f"{error.filename or error.name}, line {error.lineno}: {_clause(error.message or '')};"
        " fix the theme's template",
        line=error.lineno,
    )


@functools.lru_cache(maxsize=8)
def _environment(folder: str | None, digest: str, lang: str) -> jinja2.Environment:
    """The templates of the theme in ``folder`` whose files have ``digest``:
    a theme changed on disk is another environment, so templates need not
    be checked for changes at each page. Templates are loaded from the
    files the theme gave (never from a path Jinja would follow), and a
    user's theme runs in Jinja's sandbox: its templates read the pages'
    data, never Python's insides (``__globals__``, ``__class__``)."""
    import jinja2
    import jinja2.sandbox

    files = Theme(folder, digest).files()
    if _theme_digest(files) != digest:
        raise ClipdocError(
            "CD703", f"{folder}: the theme changed during the build; run it again", path=folder
        )
    templates = {}
    for name, data in files.items():
        if name.startswith("templates/"):
            try:
                templates[name.split("/", 1)[1]] = data.decode("utf-8")
            except UnicodeDecodeError:
                raise ClipdocError(
                    "CD703", f"{name}: not UTF-8; save the template as UTF-8", path=folder
                ) from None
    messages = Messages(lang)
    kind = jinja2.Environment if folder is None else jinja2.sandbox.SandboxedEnvironment
    environment = _translating(kind, messages)(
        # Each template known by its name, in tracebacks too (`_theme_failure`).
        loader=jinja2.FunctionLoader(
            lambda name: (templates[name], name, lambda: True) if name in templates else None
        ),
        extensions=["jinja2.ext.i18n"],
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    environment.filters["language"] = pages.language
    # A filter as well as a function: the default templates call it as a
    # filter, which Jinja calls directly rather than through the context.
    lang_attribute = _lang_attribute(lang)
    environment.filters["lang_attribute"] = lang_attribute
    environment.globals["lang_attribute"] = lang_attribute
    environment.install_gettext_callables(  # type: ignore[attr-defined]
        messages.gettext, messages.ngettext, newstyle=True
    )
    return environment


def _translating(kind: type[jinja2.Environment], messages: Messages) -> type[jinja2.Environment]:
    """``kind`` of environment whose templates have each constant message
    (``_`` or ``gettext`` of a string alone) translated as they are
    compiled: i18n's ``gettext`` at each page costs a tenth of rendering it.
    A message with values, or a template that gives ``_`` or ``gettext`` a
    meaning of its own, is translated as it renders."""
    import jinja2.nodes
    import jinja2.visitor
    from markupsafe import Markup

    names = ("_", "gettext")

    def translated(call: jinja2.nodes.Node) -> jinja2.nodes.Node:
        if not (
            isinstance(call, jinja2.nodes.Call)
            and isinstance(call.node, jinja2.nodes.Name)
            and call.node.name in names
            and len(call.args) == 1
            and not call.kwargs
            and call.dyn_args is None
            and call.dyn_kwargs is None
        ):
            return call
        message = call.args[0]
        if not (isinstance(message, jinja2.nodes.Const) and isinstance(message.value, str)):
            return call
        # What newstyle gettext gives: the message as markup, "%%" as "%".
        text = str(Markup(messages.gettext(message.value)) % {})
        return jinja2.nodes.MarkSafeIfAutoescape(jinja2.nodes.Const(text), lineno=call.lineno)

    class Translating(kind):  # type: ignore[valid-type,misc]
        def _parse(self, source: str, name: str | None, filename: str | None) -> Any:
            tree = super()._parse(source, name, filename)
            return tree if names_given(tree) & set(names) else Constants().visit(tree)

    def names_given(tree: jinja2.nodes.Template) -> set[str]:
        """The names a template binds (set, for, with, macros and their
        arguments, imports)."""
        given = {n.name for n in tree.find_all(jinja2.nodes.Name) if n.ctx != "load"}
        given |= {macro.name for macro in tree.find_all(jinja2.nodes.Macro)}
        given |= {i.target for i in tree.find_all(jinja2.nodes.Import)}
        for imported in tree.find_all(jinja2.nodes.FromImport):
            given |= {n[1] if isinstance(n, tuple) else n for n in imported.names}
        return given

    class Constants(jinja2.visitor.NodeTransformer):
        def visit_Call(self, node: jinja2.nodes.Call) -> jinja2.nodes.Node:
            return translated(self.generic_visit(node))

    return Translating


def _lang_attribute(page_lang: str) -> Callable[[str | None], str]:
    """`` lang="…"`` for an element whose language (`pages.language`) is
    not that of the page, ``page_lang``, as the macro ``lang`` of
    macros.html writes it: a function, as every list entry and every line of
    metadata has one and a macro call costs several times as much."""
    from markupsafe import Markup

    def markup(code: str) -> str:
        return "" if code == page_lang else Markup(' lang="%s"') % code

    cached = functools.lru_cache(maxsize=64)(markup)

    def lang_attribute(code: str | None) -> str:
        if not code:
            return ""
        return cached(code) if type(code) is str else markup(code)

    return lang_attribute


# ----------------------------------------------------------------------- build

_EXTRA = {"jinja2": "Jinja2", "markdown_it": "markdown-it-py", "nh3": "nh3"}


def _require_extra() -> None:
    missing = [name for module, name in _EXTRA.items() if importlib.util.find_spec(module) is None]
    if missing:
        raise ImportError(f"the site needs {', '.join(missing)}: pip install 'clipdoc[site]'")


def build_site(
    root: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    title: str | None = None,
    base_url: str | None = None,
    theme: str | os.PathLike[str] | None = None,
    exclude: Sequence[str] = (),
    jobs: int = 1,
    progress: Progress | None = None,
    follow_links: bool = False,
    lang: str | None = None,
    images: str = "remote",
    cache: bool | None = None,
) -> SiteReport:
    """Build or update the site of the collection at ``root`` in ``output``.

    ``title`` names the site (default: the folder's name); ``base_url``, the
    address the site will be served from, adds canonical links and a
    ``sitemap.xml`` (links stay relative either way); ``theme`` is a folder
    whose ``templates/*.html`` and ``style.css`` replace the default ones;
    ``exclude`` leaves paths out and ``follow_links`` reads through links
    that lead out of the folder, as in `Collection`; ``jobs`` reads and
    renders with that many processes; ``progress`` is told how it goes;
    ``lang`` is the interface's language (``"en"``, ``"zh"``; by default
    Chinese when most titles are, else English); ``images="none"`` leaves
    the documents' images out, so that opening a page asks no image host
    for anything (by default they are shown, each loaded as it comes into
    view); ``cache`` is the collection's stat cache, as in `Collection`
    (None: used and updated when the collection keeps one; True: made;
    False: neither read nor written), where the site keeps what it reads
    of each document, and reads again only the documents that changed.

    A build writes the new site into a folder next to ``output``
    (``.NAME.XXXXXXXX.building``), locked while it runs, and puts it in
    place at the end. A build that was killed or stopped with the machine
    leaves that folder behind: once its own site is in place, a build
    removes each one it finds unlocked and unchanged for ten minutes (where
    the system has ``flock``: not on Windows), and names them in its
    report.

    Raises `ClipdocError`: CD701 when ``output`` holds something that is
    not a site clipdoc built, or was made while the build ran (nothing
    there is ever replaced), CD702 when
    ``output`` would contain the collection, CD703 for a bad theme, and
    `NotAFolderError` (CD504) when ``root`` is not a folder, as
    `Collection` does.
    """
    _require_extra()
    root = checked_folder(root, "root")
    output = checked_folder(output, "output")
    exclude = checked_patterns(exclude)
    jobs = checked_jobs(jobs)
    _check_choices(lang=lang, images=images, cache=cache)
    base_url = _checked_texts(root, output, title, base_url)
    seen = _identity(output)  # what is replaced at the end, if it is still there
    old_keys, old_identities, old_documents, old_addresses = _read_manifest(output)
    loaded_theme = Theme.load(theme)
    staging, lock = leftovers.staging_folder(output)
    collection = Folder(root, relative_names=True, follow_links=bool(follow_links))
    try:
        # Documents are read in their folders' order, each time (for their
        # facts, the newest saves' words, the pages): the workers keep the
        # folder of the last file read open, not open each whole path.
        with collection.reading_in_order() as reader:
            site = _Site(
                root=reader,
                old_keys=old_keys,
                old_identities=old_identities,
                old_addresses=old_addresses,
                old_digests={
                    pages.clipping_page(p): digest for p, (digest, _) in old_documents.items()
                },
                output=_Output(
                    staging=staging,
                    old_output=output if old_keys else None,
                    theme=loaded_theme,
                    title=title if title is not None else os.path.basename(os.path.abspath(root)),
                    base_url=base_url,
                    images=images,
                ),
                jobs=jobs,
                progress=progress,
                languages=[lang] if lang else LANGUAGES,
            )
            try:
                facts = site.read_all(old_documents, exclude, cache=cache)
                documents = pages.newest_first([f for f in facts if isinstance(f, Document)])
                chosen = lang or content_language([d.title for d in documents])
                site.output = attrs.evolve(site.output, lang=chosen)
                site.write_all(documents)
            finally:
                site.close()
            site.write_manifest(documents)
            old_site = _swap_in(staging, output, seen)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        leftovers.unlock(lock)
    # Once the new site is in place: a build that fails removes nothing.
    left = leftovers.remove_unfinished(output, old_site)
    return SiteReport(
        output=output,
        documents=len(documents),
        skipped=tuple(f.path for f in facts if isinstance(f, Unreadable)),
        problems=tuple((f.path, p) for f in facts for p in f.problems),
        files=len(site.keys),
        rendered=site.rendered,
        reused=site.reused,
        removed=left.removed,
        not_removed=left.not_removed,
    )


def _check_choices(*, lang: str | None, images: str, cache: object) -> None:
    """A `ValueError` for an interface language or an image choice that is
    none of the site's; a `TypeError` for a ``cache`` that is not None,
    True or False (as `Collection` says)."""
    if cache is not None and not isinstance(cache, bool):
        raise TypeError(f"cache must be None, True or False, not {cache!r:.40}")
    if images not in IMAGES:
        raise ValueError(f"images must be one of {', '.join(IMAGES)}, not {images!r:.40}")
    if lang is not None and lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}, not {lang!r:.40}")


def _checked_texts(root: str, output: str, title: object, base_url: object) -> str | None:
    """Check the arguments that are not folders; the base URL, ending in
    ``/``."""
    for name, value in (("title", title), ("base_url", base_url)):
        if value is not None and not isinstance(value, str):
            raise TypeError(f"{name} must be a str or None, not {type(value).__name__}")
    if not os.path.isdir(root):
        raise NotAFolderError("CD504", "not a folder; a collection is a folder", path=root)
    _check_output(root, output)
    if not isinstance(base_url, str):
        return None
    _check_base_url(base_url)
    return base_url if base_url.endswith("/") else base_url + "/"


def _check_base_url(base_url: str) -> None:
    """A `ValueError` for a base URL that is not where a folder of pages can
    be served: an absolute http or https address, with no query, fragment,
    space or control character (each page's address is joined to it)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(base_url)
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.netloc
        or parts.query
        or parts.fragment
        or "?" in base_url
        or "#" in base_url
        or any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in base_url)
    ):
        raise ValueError(
            f"base_url must be the http or https address of the site's folder, such as"
            f" https://example.org/clips/, not {base_url!r:.80}"
        )


#: What writing one file gave: its name, its key, and whether it was
#: rendered anew (else linked from the last build).
Written = tuple[str, str, bool]
#: What the manifest says of a file the last build wrote: its inode, size
#: and modification time then (`_Output.link_old`).
Identity = list[int]
#: A file of the last build: its key and identity.
Old = tuple[str, Identity | None]

#: The folders of the last site each process has open, by the build (its
#: staging folder: builds may run in threads) and the folder's path: the
#: last site's files are linked folder by folder, and opening the whole
#: path of each of 100,000 files was most of a build with nothing changed.
_OLD_FOLDERS: dict[tuple[str, str], int] = {}
_OLD_FOLDERS_LOCK = threading.Lock()


def _held_old_folder(old_output: str, build: str, folders: list[str]) -> int:
    """The folder ``folders`` below ``old_output``, opened (no link
    followed) the first time this process asks for it in this build and
    then kept open; an `OSError` when it cannot be."""
    key = (build, "/".join(folders))
    held = _OLD_FOLDERS.get(key)
    if held is not None:
        return held
    folder = os.open(old_output, _FOLDER)
    try:
        for part in folders:
            inner = os.open(part, _FOLDER | _NO_FOLLOW, dir_fd=folder)
            os.close(folder)
            folder = inner
    except OSError:
        os.close(folder)
        raise
    with _OLD_FOLDERS_LOCK:
        if key in _OLD_FOLDERS:  # another thread of the same build was first
            os.close(folder)
            return _OLD_FOLDERS[key]
        _OLD_FOLDERS[key] = folder
    return folder


def _let_go_of_old_folders(build: str) -> None:
    """Close the folders of the last site this process holds for ``build``."""
    with _OLD_FOLDERS_LOCK:
        for key in [key for key in _OLD_FOLDERS if key[0] == build]:
            os.close(_OLD_FOLDERS.pop(key))


@attrs.frozen(kw_only=True)
class _Output:
    """Where and how one build writes its files, in whichever process makes
    them: a worker writes the pages it renders itself, since sending their
    bytes back to the main process costs more than writing them."""

    staging: str
    old_output: str | None
    theme: Theme
    title: str
    base_url: str | None
    #: The interface's language (`i18n.LANGUAGES`).
    lang: str = "en"
    #: The documents' images: shown from their hosts, or left out (`IMAGES`).
    images: str = "remote"

    def key(self, *parts: object) -> str:
        material = json.dumps(
            [self.theme.digest, self.title, self.base_url, self.lang, self.images, *parts],
            ensure_ascii=False,
            sort_keys=True,
            default=_json_default,
        )
        return hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()

    def common(self, name: str) -> dict[str, Any]:
        return common_context(
            name, title=self.title, base_url=self.base_url, lang=self.lang, images=self.images
        )

    def render(self, template: str, context: dict[str, Any]) -> bytes:
        return self.theme.render(template, context, lang=self.lang)

    def target(self, name: str) -> str:
        return os.path.join(self.staging, *name.split("/"))

    def link_old(self, name: str, identity: Identity | None) -> bool:
        """Link ``name`` from the last build; whether it could be. Only the
        file the last build wrote is: a regular file of the site's own
        folders (no link followed on the way), that build's only name for it
        (one link), with the inode, size and time it had then (``identity``,
        from the manifest); any other, planted or changed since, is made
        anew, never carried into the new site."""
        found = self.old_file(name, identity)
        if found is None:
            return False
        folder, status = found
        target = self.target(name)
        source = name.rsplit("/", 1)[-1]
        try:
            try:
                os.link(source, target, src_dir_fd=folder, follow_symlinks=False)
            except FileNotFoundError:  # the first file of its folder (as in `write`)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                os.link(source, target, src_dir_fd=folder, follow_symlinks=False)
            linked = os.lstat(target)
        except OSError:
            return False
        if (linked.st_dev, linked.st_ino) != (status.st_dev, status.st_ino):
            os.unlink(target)  # replaced between the look and the link
            return False
        return True

    def old_file(self, name: str, identity: Identity | None) -> tuple[int, os.stat_result] | None:
        """The folder of ``name`` in the last site, open (held for the rest
        of the build: `_held_old_folder`), and the file's status, when it is
        the file that build wrote (see `link_old`)."""
        if self.old_output is None or identity is None or not _BY_DESCRIPTOR:
            return None
        *folders, file_name = name.split("/")
        try:
            folder = _held_old_folder(self.old_output, self.staging, folders)
            status = os.lstat(file_name, dir_fd=folder)
        except OSError:
            return None
        if (
            stat.S_ISREG(status.st_mode)
            and status.st_nlink == 1
            and [status.st_ino, status.st_size, status.st_mtime_ns] == list(identity)
        ):
            return folder, status
        return None

    def read_old(self, name: str, identity: Identity | None) -> str | None:
        """The text of ``name`` in the last site, when it is the file that
        build wrote (see `link_old`)."""
        found = self.old_file(name, identity)
        if found is None:
            return None
        folder, status = found
        try:
            descriptor = os.open(name.rsplit("/", 1)[-1], os.O_RDONLY | _NO_FOLLOW, dir_fd=folder)
        except OSError:
            return None
        with os.fdopen(descriptor, "rb") as file:
            if os.fstat(file.fileno()).st_ino != status.st_ino:
                return None
            data = file.read(status.st_size + 1)
        if len(data) != status.st_size:
            return None
        return data.decode("utf-8", "replace")

    def write(self, name: str, data: bytes) -> None:
        # A descriptor, not a file object: a build writes thousands of files,
        # each whole at once, and a file object's buffer and terminal check
        # were a third of the time of each.
        target = self.target(name)
        try:
            descriptor = os.open(target, _NEW_FILE, 0o666)
        except FileNotFoundError:  # the first file of its folder
            os.makedirs(os.path.dirname(target), exist_ok=True)
            descriptor = os.open(target, _NEW_FILE, 0o666)
        try:
            write_fully(descriptor, data)
        finally:
            os.close(descriptor)

    def put(self, name: str, key: str, old: Old | None, render: Callable[[], bytes]) -> Written:
        """``name`` linked from the last build when it was made of the same
        (``old``, its key and identity in the last build's manifest, has
        ``key``), else rendered and written."""
        if old is not None and old[0] == key and self.link_old(name, old[1]):
            return name, key, False
        self.write(name, render())
        return name, key, True


@attrs.define(kw_only=True)
class _Site:
    """One build: the output files written so far and their keys."""

    root: Folder
    old_keys: dict[str, str]
    #: The identity of each file of the last build (`Identity`).
    old_identities: dict[str, Identity]
    #: The address of each document of the last build, by its path.
    old_addresses: dict[str, str]
    #: The last build's document digests, by page.
    old_digests: dict[str, str]
    output: _Output
    jobs: int
    progress: Progress | None
    keys: dict[str, str] = attrs.Factory(dict)
    rendered: int = 0
    reused: int = 0
    #: The shard count of an index made anew as the pages are written.
    new_shards: int = 0
    #: Who is a save of which address (`write_all`).
    addresses: _Addresses | None = None
    #: The languages the pages may be rendered in (chosen after reading).
    languages: Sequence[str] = LANGUAGES
    #: The worker processes of the build's every step (`in_workers`).
    pool: Executor | None = None

    def read_all(
        self,
        old_documents: dict[str, tuple[str, tuple[str, ...]]],
        exclude: Sequence[str],
        *,
        cache: bool | None,
    ) -> list[Document | Unreadable]:
        """What every document the walk finds gives the site, in path
        order: from the collection's stat cache for the files that did not
        change (``cache`` as in `build_site`), else read in the workers."""
        stat_cache = None
        if cache is not False:
            # What a fact holds is made by the libraries the pages are too.
            made_by = _renderer().hex()[:16]
            stat_cache = StatCache.open(self.root, "site", create=cache is True, made_by=made_by)
        found, identities = found_with_identities(
            self.root, Walk(self.root.path, exclude=tuple(exclude)), stat_cache
        )
        self.start("reading", len(found))
        # No more workers than batches of documents: a small site on a large
        # machine forks a few processes, not one per CPU.
        self.jobs = max(1, min(self.jobs, -(-len(found) // BATCH_SIZE)))
        read = functools.partial(pages.read_fact, self.root)

        def read_unknown(unknown: Iterator[Found]) -> Iterator[tuple[Stamp | None, Fact, None]]:
            first = next(unknown, None)
            if first is None:  # every fact from the cache: nothing to fork for yet
                return iter(())
            if self.jobs > 1:
                for lang in self.languages:
                    self.output.theme.prepare(lang=lang)
                search.tokens("")
            each = itertools.chain([first], unknown)
            # What the cache keeps is made of the file alone: the hashtags the
            # last site's manifest says a document has would go from one
            # output folder into every site of the collection.
            reused = old_documents if stat_cache is None else {}
            known = ((one, *reused.get(one.relative, (None, ()))) for one in each)
            results = self.in_workers(read, known)
            # The workers are forked now, with what rendering needs loaded,
            # before this process makes every document's facts (a fork when
            # it holds them all cost a copy of each page of memory the
            # workers touched): the first result is waited for here.
            return itertools.chain([next(results)], results)

        facts = []
        for each, fact, _, _ in cached_or_read(
            stat_cache, found, identities, pages.is_fact, read_unknown
        ):
            known_digest = old_documents.get(each.relative, (None,))[0]
            facts.append(pages.document_of(each, fact, known_digest))
            self.advance()
        if stat_cache is not None:
            stat_cache.finish(found, whole=not exclude)
        return facts

    def in_workers(
        self, function: Callable[[_Item], _Result], items: Iterable[_Item], *, jobs: int = 0
    ) -> Iterator[_Result]:
        """`ordered_map` on this build's processes (or ``jobs`` of them, when
        fewer), forked at the first call and kept for the next (`close`).
        Forked workers share the main process's objects of that time; frozen
        out of the cycle collector's reach, they are not walked by each
        worker's collections, which would copy every page of memory they
        touch. (Workers started otherwise, by spawn or a fork server, load
        the templates themselves.)"""
        jobs = min(jobs or self.jobs, self.jobs)
        if jobs <= 1:
            yield from map(function, items)
            return
        if self.pool is None:
            self.pool = worker_pool(self.jobs)
        gc.freeze()
        try:
            yield from ordered_map(function, items, jobs=jobs, pool=self.pool)
        finally:
            gc.unfreeze()

    def close(self) -> None:
        """Stop the worker processes, and let go of the last site's folders."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
        _let_go_of_old_folders(self.output.staging)

    def start(self, phase: str, total: int) -> None:
        if self.progress is not None and total:
            self.progress.start(phase, total)

    def advance(self) -> None:
        if self.progress is not None:
            self.progress.advance()

    # -- one file

    def key(self, *parts: object) -> str:
        return self.output.key(*parts)

    def record(self, written: Written) -> None:
        name, key, rendered = written
        self.keys[name] = key
        if rendered:
            self.rendered += 1
        else:
            self.reused += 1

    def reuse(self, name: str, key: str) -> bool:
        """Link ``name`` from the last build when its key is unchanged."""
        if self.old_keys.get(name) != key:
            return False
        return self.link_old(name, key)

    def old(self, name: str) -> Old | None:
        """The key and identity of ``name`` in the last build, if any."""
        key = self.old_keys.get(name)
        return None if key is None else (key, self.old_identities.get(name))

    def link_old(self, name: str, key: str) -> bool:
        """Link ``name`` from the last build, known to hold what ``key``
        stands for now."""
        if not self.output.link_old(name, self.old_identities.get(name)):
            return False
        self.record((name, key, False))
        return True

    def write(self, name: str, key: str, data: bytes) -> None:
        self.forget(name)
        self.output.write(name, data)
        self.record((name, key, True))

    def forget(self, name: str) -> None:
        """Take back a file linked from the last build that is to be written
        anew: writing through the link would change the last site."""
        if name in self.keys:
            os.unlink(self.output.target(name))
            del self.keys[name]
            self.reused -= 1

    # -- the whole site

    def write_all(self, documents: list[Document]) -> None:
        self.output.theme.prepare(lang=self.output.lang)
        # The index depends on the documents, in order, and nothing else.
        index_key = self.key("search", [[d.page, d.digest] for d in documents])
        # A first build's index is made as the pages are handed out, from the
        # tokens of every address's newest save, and its shards are written by
        # the workers.
        postings = search.PostingsBuilder() if not self.old_keys else None
        # Who is a save of which address: the lists, the pages and the index.
        addresses = self.addresses = _Addresses(documents)
        tokens = self.newest_tokens(documents, addresses) if postings is not None else {}
        self.start("rendering", len(documents))
        write = functools.partial(_write_file, self.output, self.root, index_key)
        for files in self.in_workers(write, self.tasks(documents, addresses, postings, tokens)):
            for written in files:
                self.record(written)
            if files[0][0].startswith(pages.CLIPPINGS):
                self.advance()
        if postings is None:
            self.write_search(documents, addresses, index_key)
        else:
            self.write_header(documents, index_key, self.new_shards)
        for name, data in self.output.theme.static().items():
            self.write_or_reuse(name, data)
        if self.output.base_url:
            self.write_or_reuse("sitemap.xml", _sitemap(self.output.base_url, sorted(self.keys)))

    def write_or_reuse(self, name: str, data: bytes) -> None:
        key = _content_key(self.output, name, data)
        if not self.reuse(name, key):
            self.write(name, key, data)

    def tasks(
        self,
        documents: list[Document],
        addresses: _Addresses,
        postings: search.PostingsBuilder | None,
        tokens: dict[str, pages.Tokens],
    ) -> Iterator[_Task]:
        """What the workers write, made as they ask for it: the clipping
        pages (each document's postings added to a new index as its page is
        handed out), the pages made from a context, then the shards of a new
        index."""
        messages = Messages(self.output.lang)
        for number, document in enumerate(documents):
            links = _neighbourhood(documents, number, addresses, messages)
            parts = range(document.text_parts)
            texts = [self.old(pages.text_file(links.page, part)) for part in parts]
            yield "clipping", (links, document.digest, self.old(links.page), texts)
            if postings is not None:
                postings.add(*self.indexed_tokens(document, addresses, tokens))
        list_pages: Iterator[_Task] = (
            ("page", (name, template, context, self.old(name)))
            for name, template, context in _context_pages(documents, messages, addresses)
        )
        if postings is None:
            yield from list_pages
            return
        self.new_shards, shards = postings.shards()
        # Each shard is made in this process as it is handed out: among the
        # list pages, which keep the workers busy meanwhile, not after them,
        # when the workers waited for each one.
        every = max(1, len(documents) // (4 * self.new_shards))
        shard_tasks: Iterator[_Task] = (
            ("shard", (number, search.packed_shard(shard))) for number, shard in enumerate(shards)
        )
        yield from _interleaved(list_pages, shard_tasks, every)
        for name, data in _listing_blocks(documents):
            yield "block", (name, data, self.old(name))

    def indexed_tokens(
        self, document: Document, addresses: _Addresses, computed: dict[str, pages.Tokens]
    ) -> tuple[list[str], list[str]]:
        """The words the index holds of a document: an address saved many
        times is found once, at its newest save, by that save's words (its
        other saves hold none: search results list each address once, as
        the lists do, and each shows its words in its own text). The
        newest saves' tokens are in ``computed`` (`newest_tokens`)."""
        if addresses.of(document)[0] is not document:
            return [], []
        return pages.split_tokens(computed[document.path])

    def newest_tokens(
        self, documents: Iterable[Document], addresses: _Addresses
    ) -> dict[str, pages.Tokens]:
        """The search tokens of those of ``documents`` that are their
        address's newest save, by path: read in the workers, and only for
        them (in a collection clipped again and again, most documents are
        older saves, whose words the index does not hold)."""
        newest = [d.path for d in documents if addresses.of(d)[0] is d]
        return dict(zip(newest, self.read_tokens(newest), strict=True))

    def write_listing(self, documents: list[Document], index_key: str, shards: int) -> None:
        """The index's listing: its blocks (`_listing_blocks`) and header."""
        for name, data in _listing_blocks(documents):
            self.write_or_reuse(name, data)
        self.write_header(documents, index_key, shards)

    def write_header(self, documents: list[Document], index_key: str, shards: int) -> None:
        """The index's header: its shards, documents and block size."""
        header = search.script("docs", shards, len(documents), search.BLOCK_SIZE)
        name = "search/docs.js"
        self.write(name, self.key(name, index_key), header.encode())

    def write_search(
        self, documents: list[Document], addresses: _Addresses, index_key: str
    ) -> None:
        """The index made from the last one, or anew."""
        if self.reuse_search(index_key):
            return
        (shards, tables), old_tables = self.updated_index(documents, addresses) or self.new_index(
            documents, addresses
        )
        self.write_listing(documents, index_key, shards)
        for number, table in enumerate(tables):
            name = f"search/s{number}.js"
            key = self.key(name, index_key)
            # A shard that holds what it held is the same file.
            same = len(old_tables) == shards and table == old_tables[number]
            if not (same and self.link_old(name, key)):
                self.write(name, key, search.script("shard", number, table).encode())

    def new_index(
        self, documents: list[Document], addresses: _Addresses
    ) -> tuple[tuple[int, search.Tables], search.Tables]:
        """The index of ``documents`` built anew (no last shards)."""
        computed = self.newest_tokens(documents, addresses)
        tokens = (self.indexed_tokens(d, addresses, computed) for d in documents)
        return search.build_index(tokens), []

    def reuse_search(self, index_key: str) -> bool:
        """Link the whole last index when it was made from the same
        documents; whether it was."""
        # A document's whole text (search/t/) goes with its page, not the index.
        previous = [
            name
            for name in self.old_keys
            if name.startswith("search/") and not name.startswith("search/t/")
        ]
        if not previous:
            return False
        # The header and the shards are keyed by the index; a block of the
        # listing by what it holds, which the same index holds the same.
        keys = {
            name: self.old_keys[name] if _is_block(name) else self.key(name, index_key)
            for name in previous
        }
        if any(self.old_keys[name] != key for name, key in keys.items()):
            return False
        return all(self.reuse(name, key) for name, key in keys.items())

    def read_tokens(self, paths: list[str]) -> list[pages.Tokens]:
        """The search tokens of the documents at ``paths``, in order."""
        self.start("indexing", len(paths))
        search.tokens("")  # its pattern made once, before the workers are forked
        found = []
        read = functools.partial(pages.read_tokens, self.root)
        # No more workers than batches: an update reads a few documents.
        batches = max(1, -(-len(paths) // BATCH_SIZE))
        for tokens in self.in_workers(read, paths, jobs=batches):
            found.append(tokens)
            self.advance()
        return found

    def updated_index(
        self, documents: list[Document], addresses: _Addresses
    ) -> tuple[tuple[int, search.Tables], search.Tables] | None:
        """The index of ``documents`` made from the last build's, which
        holds every unchanged document's postings: only new and changed
        documents are read for their words; and the last build's shards.
        None when there is no last index it can be made from."""
        last = self.last_index()
        if last is None:
            return None
        old_pages, old_tables = last
        old_number = {page: number for number, page in enumerate(old_pages)}
        if self.saves_changed(documents, addresses, old_pages):
            # Who is found at which save: the index is made anew, and each
            # shard that holds what it held is still the last build's file.
            return self.new_index(documents, addresses)[0], old_tables
        new_of_old = [-1] * len(old_pages)
        fresh: list[tuple[int, Document]] = []
        for number, document in enumerate(documents):
            old = old_number.get(document.page)
            if not document.changed and old is not None:
                # A save that is not its address's newest holds no words.
                new_of_old[old] = number if addresses.of(document)[0] is document else -1
            else:
                fresh.append((number, document))
        computed = self.newest_tokens((d for _, d in fresh), addresses)
        tokens = [(number, self.indexed_tokens(d, addresses, computed)) for number, d in fresh]
        try:
            return search.update_index(old_tables, new_of_old, tokens), old_tables
        except ValueError:
            return None  # postings changed by hand: build the index anew

    def saves_changed(
        self, documents: list[Document], addresses: _Addresses, old_pages: list[str]
    ) -> bool:
        """Whether an address saved several times, then or now, of which a
        document is new, changed or gone since the last build, is now at an
        unchanged save that was not its newest: the index holds such an
        address at its newest save, whose words an unchanged document has
        not read. (An older save edited keeps the address where it was; a
        new or changed newest save is read anyway.)"""
        old_address = {pages.clipping_page(path): key for path, key in self.old_addresses.items()}
        # The last index numbered its documents newest first: an address's
        # first page there was its newest save.
        old_newest: dict[str, str] = {}
        for page in old_pages:
            if page in old_address:
                old_newest.setdefault(old_address[page], page)
        for key in _touched_addresses(documents, addresses, old_pages, old_address):
            if key not in addresses.saves:
                continue  # every save gone: so are its postings
            newest = addresses.saves[key][0]
            unchanged = not newest.changed and newest.page in old_address
            if unchanged and newest.page != old_newest.get(key):
                return True
        return False

    def last_index(self) -> tuple[list[str], search.Tables] | None:
        """The pages and shard tables of the last build's index, when the
        manifest vouches for them (built from exactly those pages with
        those digests, this theme and title) and they read back whole."""
        if self.output.old_output is None:
            return None

        def text(name: str) -> str:
            found = self.output.read_old(
                f"search/{name}", self.old_identities.get(f"search/{name}")
            )
            if found is None:  # missing, or not the file the last build wrote
                raise ValueError(name)
            return found

        try:
            shards, count = search.read_header(text("docs.js"))
            old_pages = []
            for number in range(-(-count // search.BLOCK_SIZE)):
                old_pages += search.read_block(text(f"d{number}.js"), number)
            if len(old_pages) != count:
                return None
            old_key = self.key("search", [[p, self.old_digests.get(p)] for p in old_pages])
            if self.old_keys.get("search/docs.js") != self.key("search/docs.js", old_key):
                return None
            old_tables = [search.read_shard(text(f"s{n}.js"), n) for n in range(shards)]
        except ValueError:  # missing, changed, truncated or not ours
            return None
        return old_pages, old_tables

    def write_manifest(self, documents: list[Document]) -> None:
        identities = {}
        for name in self.keys:
            status = os.lstat(self.output.target(name))
            identities[name] = [status.st_ino, status.st_size, status.st_mtime_ns]
        manifest = {
            "format": MANIFEST_FORMAT,
            "generator": f"clipdoc {__version__}",
            "renderer": _renderer().hex(),
            "files": self.keys,
            "identities": identities,
            "documents": {d.path: [d.digest, list(d.hashtags)] for d in documents},
            "addresses": self.addresses.key if self.addresses else {},
        }
        # No indent: json encodes in C only without one (a tenth of the time
        # for the 45,390 documents' manifest, at the end of the build).
        data = json.dumps(manifest, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        with open(os.path.join(self.output.staging, MANIFEST), "w", encoding="utf-8") as file:
            file.write(data + "\n")


def common_context(
    name: str, *, title: str, base_url: str | None, lang: str = "en", images: str = "remote"
) -> dict[str, Any]:
    """What every template gets."""
    return {
        "lang": lang,
        "root": pages.up_to_root(name),
        "site_title": title,
        "site_title_lang": pages.language(title),
        "canonical": base_url + name if base_url else None,
        "csp": CONTENT_SECURITY_POLICY if images == "remote" else _NO_REMOTE_IMAGES_POLICY,
        "version": __version__,
        "query": "",
    }


def _clipping_at(root: Folder, links: Neighbourhood) -> Clipping:
    """The clipping of a page (in a worker process): the document is read
    again here rather than sent over, which costs less than pickling it."""
    clipping = read_document_file(root, links.path).clipping
    if clipping is None:  # the file changed into a non-clipping since it was read
        clipping = Clipping(title=links.path)
    return clipping


def _render_clipping(output: _Output, clipping: Clipping, links: Neighbourhood) -> bytes:
    """One clipping's page (in a worker process)."""
    images = "lazy" if output.images == "remote" else "none"
    context = output.common(links.page) | pages.clipping_context(clipping, links, images=images)
    return output.render("clipping.html", context)


def _clipping_file(
    output: _Output, root: Folder, task: tuple[Neighbourhood, str, Old | None, list[Old | None]]
) -> list[Written]:
    """A clipping's page and, when its text goes on past what the search's
    listing holds of it, the files of the text search snippets are cut
    from (``old_texts``, one per part); each linked or made (in a worker
    process), the document read once."""
    links, digest, old_page, old_texts = task
    read = functools.cache(lambda: _clipping_at(root, links))
    key = output.key(links.page, digest, links.as_key())
    written = [
        output.put(links.page, key, old_page, lambda: _render_clipping(output, read(), links))
    ]
    parts = functools.cache(lambda: search.text_parts(pages.full_text(pages.shown(read()))))
    for number, old in enumerate(old_texts):
        name = pages.text_file(links.page, number)

        def script(number: int = number) -> bytes:
            text = parts()[number] if number < len(parts()) else ""
            return search.script("text", links.page, number, text).encode()

        written.append(output.put(name, output.key(name, digest), old, script))
    return written


def _context_file(output: _Output, task: tuple[str, str, dict[str, Any], Old | None]) -> Written:
    """A page made from its context alone, linked or rendered (in a worker
    process)."""
    name, template, context, old = task

    def render() -> bytes:
        return output.render(template, output.common(name) | context)

    return output.put(name, output.key(name, template, context), old, render)


def _shard_file(output: _Output, index_key: str, task: tuple[int, search.PackedShard]) -> Written:
    """A shard of a new search index, encoded and written (in a worker
    process)."""
    number, entries = task
    name = f"search/s{number}.js"
    output.write(name, search.script("shard", number, search.encoded_shard(entries)).encode())
    return name, output.key(name, index_key), True


#: A file for a worker to write: its kind and what it is made from.
_Task = tuple[str, Any]


def _write_file(output: _Output, root: Folder, index_key: str, task: _Task) -> list[Written]:
    """The files of a task of the site, linked or made (in a worker process)."""
    kind, arguments = task
    if kind == "clipping":
        return _clipping_file(output, root, arguments)
    if kind == "page":
        return [_context_file(output, arguments)]
    if kind == "block":
        name, data, old = arguments
        return [output.put(name, _content_key(output, name, data), old, lambda: data)]
    return [_shard_file(output, index_key, arguments)]


def _listing_blocks(documents: list[Document]) -> Iterator[tuple[str, bytes]]:
    """The blocks of the search index's listing, each of `search.BLOCK_SIZE`
    documents: page, title, day, source, the start of its text, URL, and
    how many files hold its whole text (`search.text_parts`)."""
    for number, start in enumerate(range(0, len(documents), search.BLOCK_SIZE)):
        block = [
            [
                d.page,
                d.title,
                d.day.isoformat() if d.day else "",
                d.source or "",
                d.text,
                d.url or "",
                d.text_parts,
            ]
            for d in documents[start : start + search.BLOCK_SIZE]
        ]
        yield f"search/d{number}.js", search.script("block", number, block).encode()


def _content_key(output: _Output, name: str, data: bytes) -> str:
    """The key of a file that depends on nothing but what it holds (a block
    of the listing, a theme's file): one that holds what it held is the
    same file."""
    return output.key(name, hashlib.sha256(data).hexdigest())


Page = tuple[str, str, dict[str, Any]]


def _context_pages(
    documents: list[Document], messages: Messages, addresses: _Addresses
) -> Iterator[Page]:
    """Every page made from its context alone (name, template, context):
    the lists, then the overviews; made as they are asked for. A clipping
    saved many times (one address, `url_key`) is one entry in a list, its
    newest save there."""
    entries = {d.path: _entry(d, addresses, messages) for d in documents}
    latest = addresses.collapsed(documents)
    latest_heading = messages.gettext("Latest clippings")
    yield from _list_pages(latest_heading, latest, entries, pages.home_page)
    by_day = addresses.grouped(documents, lambda d: [d.day])
    by_source = addresses.grouped(documents, lambda d: [d.source] if d.source else [])
    spellings = _tag_spellings(documents)
    by_tag = addresses.grouped(
        documents, lambda d: [pages.tag_key(t) for t in _distinct_tags(d.hashtags)]
    )
    for day, group in by_day.items():
        label = _day_label(day, messages)
        yield from _list_pages(label, group, entries, functools.partial(pages.date_page, day))
    for source, group in by_source.items():
        yield from _list_pages(source, group, entries, functools.partial(pages.source_page, source))
    for tag, group in by_tag.items():
        heading = f"#{spellings[tag]}#"
        yield from _list_pages(heading, group, entries, functools.partial(pages.tag_page, tag))
    yield "dates.html", "dates.html", {"months": _months(by_day, messages)}
    sources = _group_list(by_source, pages.source_page)
    heading = messages.gettext("Sources")
    yield "sources.html", "groups.html", {"heading": heading, "groups": sources}
    tags = _group_list(by_tag, pages.tag_page, names=spellings)
    yield "tags.html", "groups.html", {"heading": messages.gettext("Tags"), "groups": tags}
    search_page = {"documents": len(documents), "search_messages": _search_messages(messages)}
    yield "search.html", "search.html", search_page


def _interleaved(items: Iterable[_Item], others: Iterable[_Item], every: int) -> Iterator[_Item]:
    """``items``, one of ``others`` after each ``every`` of them, and then
    the rest of ``others``."""
    others = iter(others)
    for number, item in enumerate(items, start=1):
        yield item
        if number % every == 0:
            yield from itertools.islice(others, 1)
    yield from others


def _is_block(name: str) -> bool:
    """Whether ``name`` is a block of the search index's listing."""
    return name.startswith("search/d") and name[8:-3].isdigit() and name.endswith(".js")


def _search_messages(messages: Messages) -> dict[str, str]:
    """What the search page's script says, in the interface's language
    (``{count}``, ``{query}`` and ``{error}`` are filled in by the script)."""
    return {
        "short": messages.gettext("Type a word of two letters or more, or a CJK character."),
        "searching": messages.gettext("Searching…"),
        "one": messages.gettext("{count} clipping found for “{query}”"),
        "many": messages.gettext("{count} clippings found for “{query}”"),
        "failed": messages.gettext("The search index could not be loaded ({error})."),
        "untitled": messages.gettext("(untitled)"),
    }


def _list_pages(
    heading: str,
    documents: list[Document],
    entries: dict[str, Fields],
    address: Callable[[int], str],
) -> Iterator[Page]:
    count = max(1, -(-len(documents) // PAGE_SIZE))
    for number in range(1, count + 1):
        chunk = documents[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]
        context = {
            "heading": heading,
            "heading_lang": pages.language(heading),
            "total": len(documents),
            "entries": [entries[d.path] for d in chunk],
            "pager": _pager(number, count, address),
            "number": number,
        }
        yield address(number), "list.html", context


def _touched_addresses(
    documents: list[Document],
    addresses: _Addresses,
    old_pages: list[str],
    old_address: dict[str, str],
) -> set[str]:
    """The addresses, then and now, of each document new, changed or gone
    since the last build (``old_address``: the address of each page then)."""
    current = {document.page for document in documents}
    touched = {
        old_address[page] for page in old_pages if page not in current and page in old_address
    }
    for document in documents:
        if not document.changed and document.page in old_address:
            continue  # unchanged
        touched.add(addresses.key[document.path])
        if document.page in old_address:
            touched.add(old_address[document.page])
    return touched


def _address_key(document: Document) -> str:
    """The address a document is a save of (`url_key`; one without a URL is
    an address of its own)."""
    return url_key(document.url) if document.url else f"\0{document.path}"


class _Addresses:
    """The documents of each address (`url_key`; a document without a URL
    is an address of its own), newest first."""

    def __init__(self, documents: list[Document]) -> None:
        self.key: dict[str, str] = {}
        self.saves: dict[str, list[Document]] = {}
        self._save_lists: dict[str, _SaveList] = {}
        for document in documents:
            key = _address_key(document)
            self.key[document.path] = key
            self.saves.setdefault(key, []).append(document)

    def of(self, document: Document) -> list[Document]:
        """Every save of the document's address, newest first."""
        return self.saves[self.key[document.path]]

    def save_list(self, document: Document, messages: Messages) -> _SaveList:
        """What every page of the document's address shows of its saves,
        made once for them all (made for each page, it grew as the square
        of the saves)."""
        key = self.key[document.path]
        made = self._save_lists.get(key)
        if made is None:
            made = self._save_lists[key] = _save_list(self.saves[key], messages)
        return made

    def collapsed(self, documents: list[Document]) -> list[Document]:
        """``documents`` with each address once, where it first comes."""
        seen: set[str] = set()
        kept = []
        for document in documents:
            key = self.key[document.path]
            if key not in seen:
                seen.add(key)
                kept.append(document)
        return kept

    def grouped(
        self, documents: list[Document], keys: Callable[[Document], list[Any]]
    ) -> dict[Any, list[Document]]:
        """The documents under each of their keys, each address once."""
        groups: dict[Any, list[Document]] = {}
        for document in documents:
            for key in keys(document):
                groups.setdefault(key, []).append(document)
        return {key: self.collapsed(group) for key, group in groups.items()}


def _neighbourhood(
    documents: list[Document], number: int, addresses: _Addresses, messages: Messages
) -> Neighbourhood:
    document = documents[number]
    newer = documents[number - 1] if number > 0 else None
    older = documents[number + 1] if number + 1 < len(documents) else None
    saves = addresses.of(document)
    several = len(saves) > 1
    listed = addresses.save_list(document, messages) if several else None
    versions: list[list[Any]] = []
    nearest: list[list[str]] = []
    save_lists = None
    if listed is not None:
        # The saves nearest in time: listing all of n saves on each of their n
        # pages would make the pages grow as n squared.
        place = listed.place[document.path]
        start = max(0, min(place - SAVES_SHOWN // 2, len(saves) - SAVES_SHOWN))
        # Each page its own rows (a theme's template may change them).
        nearest = [list(row) for row in listed.labelled[start : start + SAVES_SHOWN]]
        versions = [list(row) for row in listed.versions[:VERSIONS_SHOWN]]
        own = listed.version_of[document.content]
        if own < VERSIONS_SHOWN:
            versions[own][1] = document.page  # the version this page shows links here
        save_lists = (listed.digest, start, own)
    count = len(listed.versions) if listed is not None else 0
    return Neighbourhood(
        page=document.page,
        path=document.path,
        day=[_day_label(document.day, messages), pages.date_page(document.day)],
        source=[document.source, pages.source_page(document.source)] if document.source else None,
        tags=[[tag, pages.tag_page(tag)] for tag in _distinct_tags(document.hashtags)],
        newer=[newer.title, newer.page] if newer else None,
        older=[older.title, older.page] if older else None,
        saved=len(saves),
        first_saved=_day_label(saves[-1].day, messages),
        last_saved=_day_label(saves[0].day, messages),
        saves=nearest,
        more_saves=len(saves) - len(nearest) if several else 0,
        versions=versions if count > 1 else [],
        more_versions=max(0, count - VERSIONS_SHOWN),
        problems=pages.document_problems(document.problems),
        save_lists=save_lists,
    )


class _SaveList(NamedTuple):
    """The saves of an address as its pages show them (`_save_list`)."""

    #: Each save's place in the list, by its path.
    place: dict[str, int]
    #: Each save, newest first: (when, page).
    labelled: list[tuple[str, str]]
    #: Each version, newest first (`_versions`), linked to its newest save.
    versions: list[tuple[Any, ...]]
    #: Each version's place in ``versions``, by its content digest.
    version_of: dict[str, int]
    #: A digest of ``labelled`` and ``versions``: what the pages' keys hold
    #: of them (`Neighbourhood.save_lists`).
    digest: str


def _save_list(saves: list[Document], messages: Messages) -> _SaveList:
    labelled = [(_saved_label(save, messages), save.page) for save in saves]
    versions = [tuple(version) for version in _versions(saves, messages)]
    material = json.dumps([labelled, versions], ensure_ascii=False, default=_json_default)
    return _SaveList(
        place={save.path: number for number, save in enumerate(saves)},
        labelled=labelled,
        versions=versions,
        version_of={content: number for number, content in enumerate(_contents(saves))},
        digest=hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest(),
    )


def _contents(saves: list[Document]) -> list[str]:
    """The content digests of ``saves``, each once, in order."""
    return list(dict.fromkeys(save.content for save in saves))


def _versions(saves: list[Document], messages: Messages) -> list[list[Any]]:
    """Each different version among the saves of an address (its title or
    text differs), newest first: its title, the page of its newest save,
    how many saves it has, and the day of its first and of its last save
    (titles alike, versions are told apart by when they were saved)."""
    versions: dict[str, list[Any]] = {}
    for save in saves:  # newest first
        day = _day_label(save.day, messages)
        version = versions.get(save.content)
        if version is None:
            versions[save.content] = [save.title, save.page, 1, day, day]
        else:
            version[2] += 1
            version[3] = day
    return list(versions.values())


def _saved_label(document: Document, messages: Messages) -> str:
    """When a save was made: its day, and its time when known."""
    if document.saved_at is None:
        return _day_label(document.day, messages)
    return f"{_day_label(document.day, messages)} {document.saved_at:%H:%M}"


def _day_label(day: date | None, messages: Messages) -> str:
    return day.isoformat() if day is not None else messages.gettext("Undated")


def _entry(document: Document, addresses: _Addresses, messages: Messages) -> Fields:
    saves = addresses.of(document)
    return Fields(
        saves=len(saves),
        first_saved=_day_label(saves[-1].day, messages),
        last_saved=_day_label(saves[0].day, messages),
        href=document.page,
        title=document.title,
        title_lang=pages.language(document.title),
        day=_day_label(document.day, messages),
        day_href=pages.date_page(document.day),
        source=document.source,
        source_href=pages.source_page(document.source) if document.source else None,
        excerpt=document.excerpt,
        excerpt_lang=pages.language(document.excerpt),
        problems=bool(document.problems),
    )


def _distinct_tags(tags: Iterable[str]) -> list[str]:
    """A document's tags, each (`pages.tag_key`) once, as it first spells it."""
    first: dict[str, str] = {}
    for tag in tags:
        first.setdefault(pages.tag_key(tag), tag)
    return list(first.values())


def _tag_spellings(documents: list[Document]) -> dict[str, str]:
    """How each tag (`pages.tag_key`) is shown: its most used spelling, the
    first in code point order of those used as often."""
    used = Counter(tag for document in documents for tag in document.hashtags)
    spellings: dict[str, str] = {}
    for tag, _ in sorted(used.items(), key=lambda item: (-item[1], item[0])):
        spellings.setdefault(pages.tag_key(tag), tag)
    return spellings


def _group_list(
    groups: dict[str, list[Document]],
    address: Callable[[str], str],
    *,
    names: dict[str, str] | None = None,
) -> list[Fields]:
    """The groups, the largest first; a tag (``names``: its spelling by
    key) as ``#name#``."""
    ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
    shown = {key: f"#{names[key]}#" for key in groups} if names is not None else None
    return [
        Fields(
            name=shown[key] if shown is not None else key,
            lang=pages.language(key if names is None else names[key]),
            href=address(key),
            count=len(group),
        )
        for key, group in ordered
    ]


def _months(by_day: dict[date | None, list[Document]], messages: Messages) -> list[Fields]:
    months: dict[str, list[Fields]] = {}
    for day, group in by_day.items():  # newest first already
        month = day.strftime("%Y-%m") if day is not None else messages.gettext("Undated")
        months.setdefault(month, []).append(
            Fields(label=_day_label(day, messages), href=pages.date_page(day), count=len(group))
        )
    return [Fields(month=month, days=days) for month, days in months.items()]


def _pager(number: int, count: int, address: Callable[[int], str]) -> Fields:
    """Previous, next, and the page numbers to show: the first, the last and
    those near the current one, with gaps (None) between."""
    near = range(max(1, number - PAGER_REACH), min(count, number + PAGER_REACH) + 1)
    shown: list[int | None] = []
    for candidate in sorted({1, count, *near}):
        if shown and shown[-1] is not None and candidate - shown[-1] > 1:
            shown.append(None)
        shown.append(candidate)
    return Fields(
        count=count,
        previous=address(number - 1) if number > 1 else None,
        next=address(number + 1) if number < count else None,
        pages=[
            None if n is None else Fields(number=n, href=address(n), current=n == number)
            for n in shown
        ],
    )


def _sitemap(base_url: str, names: list[str]) -> bytes:
    from xml.sax.saxutils import escape

    lines = ['<?xml version="1.0" encoding="UTF-8"?>']
    lines.append('<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">')
    lines += [f"<url><loc>{escape(base_url + n)}</loc></url>" for n in names if n.endswith(".html")]
    lines.append("</urlset>\n")
    return "\n".join(lines).encode()


def _json_default(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not part of a page key: {type(value).__name__}")


# ----------------------------------------------------------- the output folder


def _check_output(root: str, output: str) -> None:
    real_root = os.path.realpath(root)
    real_output = os.path.realpath(output)
    common = os.path.commonpath([real_root, real_output])
    if common in (real_output, real_root):
        where = "replace" if common == real_output else "be written inside"
        raise ClipdocError(
            "CD702",
            f"{output}: the site would {where} the collection it is built from; choose an"
            " output folder outside the collection's folder",
            path=output,
        )
    if not os.path.lexists(output):
        return
    if os.path.islink(output):
        # The new site replaces OUT in one step: a link would be replaced by
        # a folder, and the site it names left as it was.
        raise ClipdocError(
            "CD701",
            f"{output}: a symbolic link; name the folder it leads to, {real_output}",
            path=output,
        )
    if not os.path.isdir(output):
        raise ClipdocError(
            "CD701", f"{output}: exists and is not a folder; choose another output", path=output
        )
    if os.listdir(output) and not os.path.isfile(os.path.join(output, MANIFEST)):
        raise ClipdocError(
            "CD701",
            f"{output}: holds files that are not a clipdoc site (no {MANIFEST}); choose a new"
            " or empty folder, so that nothing there is replaced",
            path=output,
        )


class _Manifest(NamedTuple):
    """What the last build recorded: each file's key and identity, and each
    document's digest and hashtags."""

    keys: dict[str, str]
    identities: dict[str, Identity]
    documents: dict[str, tuple[str, tuple[str, ...]]]
    #: Each document's address (`_address_key`).
    addresses: dict[str, str]


def _read_manifest(output: str) -> _Manifest:
    """What the last build recorded; empty when there is none or it cannot
    be used (the build is then a full one)."""
    try:
        with open(os.path.join(output, MANIFEST), encoding="utf-8") as file:
            manifest = json.load(file)
    except (OSError, ValueError):  # none, or not JSON
        return _Manifest({}, {}, {}, {})
    if not _is_manifest(manifest):
        return _Manifest({}, {}, {}, {})
    keys = {str(k): str(v) for k, v in manifest["files"].items()}
    identities = {
        str(name): [int(number) for number in identity]
        for name, identity in manifest["identities"].items()
    }
    documents = {
        str(path): (str(digest), tuple(str(t) for t in hashtags))
        for path, (digest, hashtags) in manifest["documents"].items()
    }
    addresses = {str(path): str(key) for path, key in manifest["addresses"].items()}
    if manifest.get("renderer") != _renderer().hex():
        # What other code found in each document (its hashtags, its address)
        # is found again; the files' keys differ anyway.
        return _Manifest(keys, identities, {}, {})
    return _Manifest(keys, identities, documents, addresses)


def _is_manifest(manifest: object) -> bool:
    """Whether JSON read back has the shape `write_manifest` gives it."""
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        return False
    files, documents = manifest.get("files"), manifest.get("documents")
    identities = manifest.get("identities")
    return (
        isinstance(manifest.get("addresses"), dict)
        and isinstance(files, dict)
        and isinstance(documents, dict)
        and isinstance(identities, dict)
        and all(
            isinstance(identity, list)
            and len(identity) == 3
            and all(type(number) is int for number in identity)
            for identity in identities.values()
        )
        and all(
            isinstance(facts, list) and len(facts) == 2 and isinstance(facts[1], list)
            for facts in documents.values()
        )
    )


def _swap_in(staging: str, output: str, seen: tuple[int, int] | None) -> str | None:
    """Put the new site in place of the old one: one atomic exchange where
    the system has it (Linux), else two renames with the old site restored
    if the second fails; where the old site now is, to remove (None when
    there was none). ``seen`` is the folder the build found at ``output``
    when it started (its device and inode; None: nothing): anything else
    there now was made or put there while the build ran, and is left as it
    is (CD701)."""
    if seen is None:
        try:
            os.rename(staging, output)
        except OSError as error:
            if error.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR):
                raise
            raise _made_meanwhile(output) from None
        return None
    if _identity(output) != seen:
        raise _made_meanwhile(output)
    if exchange(staging, output):
        return staging  # now the old site
    backup = staging + ".old"
    os.rename(output, backup)
    try:
        os.rename(staging, output)
    except BaseException:
        os.rename(backup, output)
        raise
    return backup


def _identity(path: str) -> tuple[int, int] | None:
    """The device and inode of what is at ``path`` (a link not followed);
    None when there is nothing there."""
    try:
        status = os.lstat(path)
    except FileNotFoundError:
        return None
    return status.st_dev, status.st_ino


def _made_meanwhile(output: str) -> ClipdocError:
    return ClipdocError(
        "CD701",
        f"{output}: made or replaced while this build ran (by another build of it, say);"
        " nothing there was replaced: run the build again",
        path=output,
    )
