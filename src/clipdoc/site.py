"""A static site for a collection: read it in a browser, search it offline.

`build_site` (and ``clipdoc site ROOT OUT``) writes a home page (newest
first, paginated), a page per date, per source (the site a URL belongs to:
``weibo.com``, ``arxiv.org``), per hashtag and per clipping, an overview of
each, and a search page whose index is prebuilt into small scripts. Links
are relative, so the site works from disk (``file://``) and under any path
of any host. Needs the ``site`` extra: ``pip install 'clipdoc[site]'``
(Jinja2, markdown-it-py, nh3).

Every document is untrusted: text is escaped, HTML sanitized, Markdown
rendered without raw HTML, only ``http``, ``https`` and ``mailto`` URLs
become links, and each page's Content-Security-Policy allows scripts only
from the site's own files (the search script), never inline.

Builds are incremental and atomic: a manifest in the output folder keeps a
key for every file, so only pages whose inputs changed are rendered again,
and the new site replaces the old one in one step when it is complete.

>>> import tempfile, os
>>> from clipdoc.site import build_site
>>> out = os.path.join(tempfile.mkdtemp(), "site")
>>> report = build_site("examples", out)
>>> report.documents, report.skipped
(1, ())
>>> build_site("examples", out).rendered   # nothing changed: nothing rendered
0
"""

from __future__ import annotations

from ._site.build import CONTENT_SECURITY_POLICY, MANIFEST, Progress, SiteReport, Theme, build_site

__all__ = ["CONTENT_SECURITY_POLICY", "MANIFEST", "Progress", "SiteReport", "Theme", "build_site"]
