"""clipdoc: read and write clipping documents.

>>> import clipdoc
>>> clip = clipdoc.parse("# Hello\\n\\n## AI 摘要\\n\\nShort.\\n")
>>> clip.ai_summary
'Short.'
>>> clipdoc.render(clip) == "# Hello\\n\\n## AI 摘要\\n\\nShort.\\n"
True
"""

from typing import Any

from ._api import check, dump, load, parse, render
from ._core.errors import (
    CODES,
    AccessError,
    ChangedError,
    ClipdocError,
    ClipdocWarning,
    CodeInfo,
    Diagnostic,
    ExistsError,
    NotAFileError,
    NotAFolderError,
    NotFoundError,
    PathError,
    Severity,
    TooLargeError,
    UnsafePathError,
)
from ._core.json_mapping import from_dict, from_json, to_dict, to_json
from ._core.merge import Merge, merge, resolve
from ._core.model import Clipping, Metadata, Section
from ._core.records import from_record, to_record
from ._storage.collection import Added, Collection, Entry
from ._storage.names import clipping_path, file_name
from ._storage.urls import url_key
from ._version import __version__

# Public classes show (and pickle) under the package name, not the private module.
for _public in (
    AccessError,
    ChangedError,
    ExistsError,
    NotAFileError,
    NotAFolderError,
    NotFoundError,
    PathError,
    TooLargeError,
    UnsafePathError,
    Added,
    ClipdocError,
    ClipdocWarning,
    Clipping,
    CodeInfo,
    Collection,
    Diagnostic,
    Entry,
    Merge,
    Metadata,
    Section,
    Severity,
):
    _public.__module__ = __name__
del _public

__all__ = [
    "CODES",
    "AccessError",
    "Added",
    "ChangedError",
    "ClipdocError",
    "ClipdocWarning",
    "Clipping",
    "CodeInfo",
    "Collection",
    "Diagnostic",
    "Entry",
    "ExistsError",
    "Merge",
    "Metadata",
    "NotAFileError",
    "NotAFolderError",
    "NotFoundError",
    "PathError",
    "Section",
    "Severity",
    "TooLargeError",
    "UnsafePathError",
    "__version__",
    "check",
    "clipping_path",
    "dump",
    "file_name",
    "from_dict",
    "from_json",
    "from_record",
    "load",
    "merge",
    "parse",
    "render",
    "resolve",
    "to_dict",
    "to_json",
    "to_record",
    "url_key",
]


def __getattr__(name: str) -> Any:
    # Names of 0.1 kept for a release, with a warning.
    if name == "record":
        import warnings

        warnings.warn("clipdoc.record is now clipdoc.to_record", DeprecationWarning, stacklevel=2)
        return to_record
    raise AttributeError(f"module 'clipdoc' has no attribute {name!r}")
