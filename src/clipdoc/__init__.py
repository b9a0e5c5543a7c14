"""clipdoc: read and write clipping documents.

>>> import clipdoc
>>> clip = clipdoc.parse("# Hello\\n\\n## AI 摘要\\n\\nShort.\\n")
>>> clip.ai_summary
'Short.'
>>> clipdoc.render(clip) == "# Hello\\n\\n## AI 摘要\\n\\nShort.\\n"
True
"""

from ._api import check, dump, load, parse, render
from ._core.errors import CODES, ClipdocError, ClipdocWarning, CodeInfo, Diagnostic, Severity
from ._core.json_mapping import from_dict, from_json, to_dict, to_json
from ._core.merge import Merge, merge, resolve
from ._core.model import Clipping, Metadata, Section
from ._core.records import from_record, record
from ._storage.collection import Added, Collection, Entry
from ._storage.names import clipping_path, file_name
from ._version import __version__

# Public classes show (and pickle) under the package name, not the private module.
for _public in (
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
    "Added",
    "ClipdocError",
    "ClipdocWarning",
    "Clipping",
    "CodeInfo",
    "Collection",
    "Diagnostic",
    "Entry",
    "Merge",
    "Metadata",
    "Section",
    "Severity",
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
    "record",
    "render",
    "resolve",
    "to_dict",
    "to_json",
]
