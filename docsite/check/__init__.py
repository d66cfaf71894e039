"""The built site in a real browser: every page, both languages, as a reader gets it.

    python -m docsite.check site --screenshots ci-artifacts/screenshots --report check.json

Serves SITE_DIR on 127.0.0.1 and opens every page (from `sitemap.xml`, `zh/sitemap.xml`
and the navigation; the 404 page aside) in Debian's chromium through Playwright. A page
fails on:

- a console error or an uncaught page error;
- a failed request or a response with status >= 400;
- a request leaving the site: it is aborted, never fetched, and reported;
- an image that did not load;
- raw LaTeX in the visible text (`\\(`, `\\frac`, `$x^2$`) outside `pre`, `code`, KaTeX;
- a KaTeX error element, a formula with an empty box, or KaTeX's fonts not loaded.

Search is tried with a few English and Chinese terms. Every page is saved as a full-page
screenshot (`en_lesson.png`, `zh_lesson.png`). One line per page, then a summary, also
written as JSON with `--report`. Exit status 1 if anything failed, 2 if the check could
not run (no built site, no chromium).

Modules: `site` (the pages and the local server), `content` (what a reader sees on a
page), `browser` (chromium: pages, screenshots, search), `report` (results, summary,
JSON), `cli` (the command line).
"""

from docsite.check.browser import CHROMIUM, SEARCH_TERMS, Options, check_site
from docsite.check.cli import main
from docsite.check.report import (
    PageResult,
    Problem,
    Report,
    SearchResult,
    summary_lines,
    write_report,
)
from docsite.check.site import SetupError, screenshot_name

__all__ = [
    "CHROMIUM",
    "SEARCH_TERMS",
    "Options",
    "PageResult",
    "Problem",
    "Report",
    "SearchResult",
    "SetupError",
    "check_site",
    "main",
    "screenshot_name",
    "summary_lines",
    "write_report",
]
