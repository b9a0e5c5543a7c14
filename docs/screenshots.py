"""Take the screenshots of the site shown in docs/site.md (by hand, not in
CI): build the site of a collection, open it in Chromium, save PNGs.

    python docs/screenshots.py ../shared/corpus/ai_info

Needs Playwright and a Chromium (``CLIPDOC_CHROMIUM`` or ``chromium`` on
the PATH), and CJK fonts for Chinese text (Debian: fonts-wqy-microhei).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from clipdoc.site import build_site

ARGUMENTS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
HERE = Path(__file__).parent / "_static"


def main(root: str) -> None:
    out = Path(tempfile.mkdtemp()) / "site"
    build_site(root, out, title="ai_info")
    chromium = os.environ.get("CLIPDOC_CHROMIUM") or shutil.which("chromium")
    base = out.as_uri() + "/"
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium, args=ARGUMENTS)
        for scheme in ("light", "dark"):
            page = browser.new_page(color_scheme=scheme, viewport={"width": 1000, "height": 760})
            # No network here: the documents' images become empty.
            page.route(re.compile("^(?!file:)"), lambda route: route.fulfill(status=204))
            page.goto(base + "index.html")
            page.screenshot(path=HERE / f"site-home-{scheme}.png")
            page.locator(".entry-title a").nth(1).click()
            page.wait_for_load_state()
            page.screenshot(path=HERE / f"site-clipping-{scheme}.png")
            page.close()
        browser.close()
    shutil.rmtree(out.parent)


if __name__ == "__main__":
    main(sys.argv[1])
