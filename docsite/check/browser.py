"""The site in Debian's chromium through Playwright: pages, screenshots, search.

One headless browser context for the whole run; a `Recorder` listens to it and files
console errors, page errors, failed requests, HTTP errors and outside requests (aborted,
never fetched) under the page being checked. Each page is opened in one tab, inspected
(`docsite.check.content`), saved as a full-page screenshot, and its navigation links are
queued. Then a few terms per language are typed into Material's search box.
"""

from __future__ import annotations

import base64
import contextlib
import os
import pathlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from docsite.check.content import INSPECT, content_problems
from docsite.check.report import PageResult, Problem, Report, SearchResult
from docsite.check.site import (
    SetupError,
    language_of,
    nav_paths,
    same_origin,
    screenshot_name,
    serve,
    site_pages,
)

CHROMIUM = "/usr/bin/chromium"
SEARCH_TERMS: Mapping[str, Sequence[str]] = {
    "en": ("softmax", "Gibbs", "gradient"),
    "zh": ("激活函数", "梯度"),
}
TIMEOUT_MS = 15_000
VIEWPORT = {"width": 1280, "height": 900}


@dataclass
class Options:
    """How to run the check; the defaults are CI's."""

    screenshots: pathlib.Path | None = None
    search_terms: Mapping[str, Sequence[str]] = field(default_factory=lambda: SEARCH_TERMS)
    chromium: str = CHROMIUM
    log: Callable[[str], None] = print


class Recorder:
    """Listens to the browser context and files what goes wrong under the current page."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.problems: list[Problem] = []

    def attach(self, context: Any) -> None:
        context.route("**/*", self.route)
        context.on("console", self.console)
        context.on("weberror", lambda error: self.add("page error", error.error.message))
        context.on("requestfailed", self.request_failed)
        context.on("response", self.response)

    def add(self, kind: str, detail: str) -> None:
        if Problem(kind, detail) not in self.problems:
            self.problems.append(Problem(kind, detail))

    def route(self, route: Any) -> None:
        url = route.request.url
        if same_origin(url, self.origin):
            route.fallback()
        else:
            self.add("outside request", url)
            route.abort("blockedbyclient")

    def console(self, message: Any) -> None:
        # Chromium also logs every failed load; the request is reported on its own.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.add("console error", message.text)

    def request_failed(self, request: Any) -> None:
        if same_origin(request.url, self.origin):
            self.add("request failed", f"{request.url} ({request.failure})")

    def response(self, response: Any) -> None:
        if response.status >= 400:
            self.add(f"HTTP {response.status}", response.url)


def inspect_page(page: Any, recorder: Recorder, origin: str, path: str) -> PageResult:
    """Opens `path` in `page` and files what is wrong with it once it has loaded.

    Example (needs chromium, so not a doctest), `page` a Playwright page:

        inspect_page(page, recorder, origin, "/lesson/").formulas  # 52
    """
    from playwright.sync_api import Error as PlaywrightError

    result = PageResult(path, language_of(path))
    recorder.problems = result.problems
    try:
        page.goto(origin + path, wait_until="load", timeout=TIMEOUT_MS)
        found = page.evaluate(INSPECT)
    except PlaywrightError as error:
        recorder.add("page did not load", _first_line(error))
        return result
    for problem in content_problems(found):
        recorder.add(*problem)
    fonts_ok = found["fontsLoaded"] and not found["fontErrors"]
    result.formulas, result.outputs = found["formulas"], found["outputs"]
    result.painted = found["formulas"] - len(found["unpainted"]) if fonts_ok else 0
    result.images = len(found["images"])
    result.links = nav_paths(found["nav"], origin)
    return result


def _first_line(error: BaseException) -> str:
    return (str(error).splitlines() or [type(error).__name__])[0]


_PAGE_SIZE = "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"


def save_screenshot(page: Any, recorder: Recorder, folder: pathlib.Path, path: str) -> str | None:
    """Saves the whole page as `folder/<language>_<path>.png`; returns the file's path."""
    from playwright.sync_api import Error as PlaywrightError

    target = folder / screenshot_name(path)
    try:
        width, height = page.evaluate(_PAGE_SIZE)
        session = page.context.new_cdp_session(page)
        # Chromium's own capture with fast PNG encoding: the API page is ~100,000 pixels
        # tall, and `page.screenshot(full_page=True)` spends twice as long on it.
        shot = session.send(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "optimizeForSpeed": True,
                "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
            },
        )
        session.detach()
    except PlaywrightError as error:
        recorder.add("screenshot failed", _first_line(error))
        return None
    target.write_bytes(base64.b64decode(shot["data"]))
    return str(target)


def check_pages(
    context: Any, recorder: Recorder, origin: str, paths: Sequence[str], options: Options
) -> list[PageResult]:
    """Every page of `paths`, then every page the navigation reveals, one after another."""
    from playwright.sync_api import Error as PlaywrightError

    queue, results = list(paths), []
    page = context.new_page()  # one tab for all: each page is left only once the network is idle
    for path in queue:  # grows while navigation links to pages the sitemaps lack
        start = time.monotonic()
        result = inspect_page(page, recorder, origin, path)
        if options.screenshots is not None:
            result.screenshot = save_screenshot(page, recorder, options.screenshots, path)
        # Late requests (the search worker's index) belong to this page; leaving it earlier
        # would abort them.
        with contextlib.suppress(PlaywrightError):
            page.wait_for_load_state("networkidle", timeout=TIMEOUT_MS)
        result.seconds = round(time.monotonic() - start, 2)
        queue += [link for link in result.links if link not in queue]
        results.append(result)
        options.log(result.line())
    page.close()
    return results


# Material's search box, in the page's language: `.md-search-result__meta` shows
# `search.result.placeholder` once the index is loaded and the query is empty, and
# `search.result.none` when a query finds nothing; the page's `__config` has both texts.
_TRANSLATIONS = "JSON.parse(document.getElementById('__config').textContent).translations"
_META = "document.querySelector('.md-search-result__meta')?.textContent.trim()"
_ITEM = "document.querySelector('.md-search-result__item')"
_SEARCH_READY = f"(text) => {_ITEM} === null && {_META} === text['search.result.placeholder']"
_SEARCH_ANSWERED = f"(text) => {_ITEM} !== null || {_META} === text['search.result.none']"
SEARCH_ANSWER_MS = 5_000


def search(page: Any, term: str) -> int:
    """Types `term` into Material's search box; returns how many results it lists.

    Example (needs chromium, so not a doctest), `page` a Playwright page of the site:

        search(page, "Gibbs")  # 2
    """
    from playwright.sync_api import Error as PlaywrightError

    text = page.evaluate(_TRANSLATIONS)
    box = page.locator("input.md-search__input")
    box.click()
    box.fill("")
    page.wait_for_function(_SEARCH_READY, arg=text, timeout=TIMEOUT_MS)
    # One query for the whole term: Material searches on keyup, so typing letter by letter
    # would briefly list the results of a prefix ("Gib").
    box.fill(term)
    box.press("End")
    try:
        page.wait_for_function(_SEARCH_ANSWERED, arg=text, timeout=SEARCH_ANSWER_MS)
    except PlaywrightError:
        # Some Chinese queries that find nothing leave the placeholder in place.
        return 0
    return page.locator(".md-search-result__item").count()


def search_language(context: Any, recorder: Recorder, url: str, terms: Sequence[str]) -> list[int]:
    """How many results each term finds, typed into the search box of the page at `url`."""
    from playwright.sync_api import Error as PlaywrightError

    page = context.new_page()
    counts = []
    try:
        page.goto(url, wait_until="load", timeout=TIMEOUT_MS)
        for term in terms:
            try:
                counts.append(search(page, term))
            except PlaywrightError as error:
                recorder.add("search", f"{term!r} on {url}: {_first_line(error)}")
                counts.append(0)
    except PlaywrightError as error:
        recorder.add("search", f"{url}: {_first_line(error)}")
    page.close()
    return counts + [0] * (len(terms) - len(counts))


def check_search(
    context: Any, recorder: Recorder, origin: str, pages: Sequence[PageResult], options: Options
) -> tuple[list[SearchResult], list[Problem]]:
    """Each language's terms searched from that language's first page."""
    results: list[SearchResult] = []
    problems: list[Problem] = []
    recorder.problems = problems
    for language, terms in options.search_terms.items():
        start = next((page.path for page in pages if page.language == language), None)
        if start is None:
            recorder.add("search", f"no {language} page to search from")
            continue
        counts = search_language(context, recorder, origin + start, terms)
        results += [SearchResult(language, *found) for found in zip(terms, counts, strict=True)]
    return results, problems


def _sync_playwright() -> Any:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        raise SetupError(
            "the browser check needs Playwright's Python package: "
            "`.venv/bin/pip install -e '.[docs]'` (it drives Debian's chromium; "
            "never run `playwright install`)"
        ) from error
    return sync_playwright


def _require_chromium(chromium: str) -> None:
    if not os.access(chromium, os.X_OK):
        raise SetupError(
            f"no chromium at {chromium}: install Debian's (`apt-get install chromium`) "
            "or pass --chromium PATH"
        )


def check_site(site_dir: pathlib.Path, options: Options | None = None) -> Report:
    """Checks every page of the built site in `site_dir` in one headless chromium.

    Args:
        site_dir: What `mkdocs build` wrote (`site/` for `make docs`).
        options: Screenshots folder, search terms, browser, where page lines go.

    Returns:
        The report: one result per page, one per search term, the runtime.

    Raises:
        SetupError: no built site in `site_dir`, no chromium, or no Playwright.

    Example (needs chromium, so not a doctest):

        report = check_site(pathlib.Path("site"), Options(search_terms={}))
        report.summary()["pages"]  # {'en': 13, 'zh': 13}
    """
    options = options or Options()
    start = time.monotonic()
    paths = site_pages(site_dir)
    _require_chromium(options.chromium)
    if options.screenshots is not None:
        options.screenshots.mkdir(parents=True, exist_ok=True)
    report = Report()
    with serve(site_dir) as origin, _sync_playwright()() as playwright:
        browser = playwright.chromium.launch(executable_path=options.chromium, headless=True)
        context = browser.new_context(viewport=VIEWPORT, service_workers="block")
        recorder = Recorder(origin)
        recorder.attach(context)
        report.pages = check_pages(context, recorder, origin, paths, options)
        searches = check_search(context, recorder, origin, report.pages, options)
        report.searches, report.search_problems = searches
        browser.close()
    report.seconds = time.monotonic() - start
    return report
