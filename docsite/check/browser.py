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
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import functools
import http.server
import json
import os
import pathlib
import re
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple
from urllib.parse import urlsplit

CHROMIUM = "/usr/bin/chromium"
SEARCH_TERMS: Mapping[str, Sequence[str]] = {
    "en": ("softmax", "Gibbs", "gradient"),
    "zh": ("激活函数", "梯度"),
}
LANGUAGES = ("en", "zh")
TIMEOUT_MS = 15_000
VIEWPORT = {"width": 1280, "height": 900}


class SetupError(RuntimeError):
    """The check cannot run: no built site, no chromium, no Playwright."""


@dataclass
class Options:
    """How to run the check; the defaults are CI's."""

    screenshots: pathlib.Path | None = None
    search_terms: Mapping[str, Sequence[str]] = field(default_factory=lambda: SEARCH_TERMS)
    chromium: str = CHROMIUM
    log: Callable[[str], None] = print


class Problem(NamedTuple):
    """One thing wrong with a page: what kind, and which URL, text or message."""

    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}"


@dataclass
class PageResult:
    """What the browser found on one page.

    Example:
        >>> page = PageResult("/zh/lesson/", "zh", formulas=3, painted=3)
        >>> page.ok, page.line()
        (True, 'OK    zh /zh/lesson/  3 formulas, 0 images, 0 outputs  0.0 s')
    """

    path: str
    language: str
    problems: list[Problem] = field(default_factory=list)
    formulas: int = 0
    painted: int = 0
    images: int = 0
    outputs: int = 0
    screenshot: str | None = None
    seconds: float = 0.0
    links: list[str] = field(default_factory=list, repr=False)

    @property
    def ok(self) -> bool:
        return not self.problems

    def line(self) -> str:
        if self.ok:
            counts = f"{self.formulas} formulas, {self.images} images, {self.outputs} outputs"
            return f"OK    {self.language} {self.path}  {counts}  {self.seconds:.1f} s"
        return f"FAIL  {self.language} {self.path}  " + "; ".join(map(str, self.problems))


class SearchResult(NamedTuple):
    """How many results Material's search listed for a term on a page of `language`."""

    language: str
    term: str
    results: int


@dataclass
class Report:
    """Everything one run found; `summary()` is what CI reads."""

    pages: list[PageResult] = field(default_factory=list)
    searches: list[SearchResult] = field(default_factory=list)
    search_problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        searches_ok = all(search.results for search in self.searches)
        return all(page.ok for page in self.pages) and searches_ok and not self.search_problems

    def summary(self) -> dict[str, Any]:
        """Counts over all pages.

        Example:
            >>> report = Report([PageResult("/", "en", formulas=2, painted=2, images=1)])
            >>> report.summary()["pages"], report.summary()["formulas_painted"]
            ({'en': 1, 'zh': 0}, 2)
        """
        return {
            "ok": self.ok,
            "pages": {lang: sum(p.language == lang for p in self.pages) for lang in LANGUAGES},
            "pages_with_problems": sum(not page.ok for page in self.pages),
            "formulas": sum(page.formulas for page in self.pages),
            "formulas_painted": sum(page.painted for page in self.pages),
            "images": sum(page.images for page in self.pages),
            "outputs": sum(page.outputs for page in self.pages),
            "search_terms": len(self.searches),
            "search_terms_found": sum(bool(search.results) for search in self.searches),
            "seconds": round(self.seconds, 1),
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary(),
            "pages": [_page_dict(page) for page in self.pages],
            "searches": [search._asdict() for search in self.searches],
            "search_problems": [problem._asdict() for problem in self.search_problems],
        }


def _page_dict(page: PageResult) -> dict[str, Any]:
    fields = asdict(page)
    del fields["links"]
    return fields | {"problems": [problem._asdict() for problem in page.problems], "ok": page.ok}


def language_of(path: str) -> str:
    """The site language of a URL path: Chinese pages live under `zh/`.

    Example:
        >>> language_of("/zh/math/losses/"), language_of("/math/losses/")
        ('zh', 'en')
    """
    return "zh" if path == "/zh" or path.startswith("/zh/") else "en"


def screenshot_name(path: str) -> str:
    """The screenshot file of a page, named by language and URL path.

    Example:
        >>> [screenshot_name(p) for p in ("/", "/lesson/", "/zh/math/losses/")]
        ['en_index.png', 'en_lesson.png', 'zh_math_losses.png']
    """
    language = language_of(path)
    parts = [part for part in path.strip("/").split("/") if part]
    if language == "zh":
        parts = parts[1:]
    if parts and parts[-1].endswith(".html"):
        parts[-1] = parts[-1].removesuffix(".html")
    stem = "_".join(parts) or "index"
    return f"{language}_{re.sub(r'[^A-Za-z0-9._-]', '-', stem)}.png"


def sitemap_paths(xml_text: str) -> list[str]:
    """The URL paths a sitemap lists, in order; the host in `<loc>` is ignored.

    Example:
        >>> sitemap_paths(
        ...     '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        ...     "<url><loc>http://127.0.0.1:8000/zh/lesson/</loc></url></urlset>"
        ... )
        ['/zh/lesson/']
    """
    root = ElementTree.fromstring(xml_text)
    locs = [element.text or "" for element in root.iter() if element.tag.endswith("loc")]
    return [urlsplit(loc.strip()).path or "/" for loc in locs]


def is_page(path: str) -> bool:
    """Whether a same-site URL path is an HTML page to check (not the 404 page, not a file).

    Example:
        >>> [is_page(p) for p in ("/zh/", "/404.html", "/notebooks/lesson.ipynb")]
        [True, False, False]
    """
    name = path.rsplit("/", 1)[-1]
    return name != "404.html" and (name == "" or name.endswith(".html"))


def site_pages(site_dir: pathlib.Path) -> list[str]:
    """The pages both sitemaps list, deduplicated, 404 page excluded.

    Raises:
        SetupError: `site_dir` holds no built site.
    """
    if not (site_dir / "index.html").is_file():
        raise SetupError(
            f"no built site in {site_dir}: build it first with `make docs` "
            f"(or `.venv/bin/mkdocs build --strict --site-dir {site_dir}`)"
        )
    paths = ["/"]
    for sitemap in (site_dir / "sitemap.xml", site_dir / "zh" / "sitemap.xml"):
        if sitemap.is_file():
            paths += sitemap_paths(sitemap.read_text(encoding="utf-8"))
    return list(dict.fromkeys(path for path in paths if is_page(path)))


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The browser drops connections it no longer needs; only other errors are news.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@contextlib.contextmanager
def serve(site_dir: pathlib.Path) -> Iterator[str]:
    """Serves `site_dir` on 127.0.0.1 at a free port for the `with` block; yields its origin.

    Example:
        >>> import urllib.request
        >>> with serve(pathlib.Path(__file__).parent) as origin:
        ...     urllib.request.urlopen(origin + "/__init__.py").status
        200
    """
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def same_origin(url: str, origin: str) -> bool:
    """Whether `url` is served by `origin`; `data:` and `blob:` URLs never leave the page.

    Example:
        >>> origin = "http://127.0.0.1:8123"
        >>> [same_origin(u, origin) for u in (origin + "/a.png", "https://example.com/x")]
        [True, False]
    """
    if url.startswith(("data:", "blob:", "about:")):
        return True
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" == origin


_TEX_COMMAND = r"\\(?:[()\[\]]|[A-Za-z]{2,})"
# Pandoc's rule for inline math: no space inside either dollar, no digit after the closing
# one, so "costs $5 and $10" is prose.
_DOLLAR_MATH = r"\$\$[^$]+?\$\$|\$(?=\S)[^$\n]{1,200}?(?<=\S)\$(?!\d)"
_RAW_LATEX = re.compile(f"{_TEX_COMMAND}|{_DOLLAR_MATH}")


def find_raw_latex(text: str, context: int = 20) -> list[str]:
    """Snippets of `text` that are LaTeX a reader would see unrendered.

    Example:
        >>> find_raw_latex(r"where \\(\\sigma(z)\\) is the sigmoid and $x^2$ the square")
        ['where \\\\(\\\\sigma(z)\\\\) is the sigmoid and $x^2$ the square']
        >>> find_raw_latex("costs $5 and $10; a shell prompt: $ make docs")
        []
    """
    spans: list[list[int]] = []
    for match in _RAW_LATEX.finditer(text):
        start, end = max(match.start() - context, 0), min(match.end() + context, len(text))
        if spans and start <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([start, end])
    return [" ".join(text[start:end].split()) for start, end in spans]


# Runs in the page after load: opens collapsed blocks, waits for every image and font,
# and reports what a reader sees. Visible text is grouped per block element.
_INSPECT = """
async () => {
  document.querySelectorAll('details').forEach((d) => { d.open = true; });
  const images = [...document.images];
  images.forEach((img) => { img.loading = 'eager'; });
  await Promise.all(images.filter((img) => !img.complete).map((img) => new Promise((done) => {
    img.addEventListener('load', done); img.addEventListener('error', done);
    setTimeout(done, 10000);
  })));
  void document.body.offsetHeight;
  await document.fonts.ready;
  const skip = 'pre, code, kbd, samp, script, style, noscript, textarea, .katex, .katex-error';
  const blocks = new Map();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest(skip) || !parent.checkVisibility()) continue;
    const block = parent.closest('p, li, td, th, h1, h2, h3, h4, h5, h6, dt, dd, div') || parent;
    blocks.set(block, (blocks.get(block) || '') + node.data);
  }
  const tex = (el) => {
    const note = el.closest('.katex')?.querySelector('annotation');
    return (note ? note.textContent : el.textContent).trim().slice(0, 80);
  };
  const formulas = [...document.querySelectorAll('.katex-html')];
  const empty = (el) => { const r = el.getBoundingClientRect(); return !r.width || !r.height; };
  const katexFaces = [...document.fonts].filter((f) => f.family.includes('KaTeX_'));
  return {
    images: images.map((img) => ({src: img.currentSrc || img.src,
                                  ok: img.complete && img.naturalWidth > 0})),
    text: [...blocks.values()],
    katexErrors: [...document.querySelectorAll('.katex-error')].map(
      (el) => (el.getAttribute('title') || el.textContent).slice(0, 120)),
    formulas: formulas.length,
    unpainted: formulas.filter(empty).map(tex),
    fontsLoaded: katexFaces.some((f) => f.family.includes('KaTeX_Main') && f.status === 'loaded'),
    fontErrors: katexFaces.filter((f) => f.status === 'error').map((f) => f.family),
    outputs: document.querySelectorAll('div.fn-output').length,
    nav: [...document.querySelectorAll('a.md-nav__link[href], a.md-tabs__link[href]')].map(
      (a) => a.href),
  };
}
"""


def content_problems(found: Mapping[str, Any]) -> list[Problem]:
    """The problems in what `_INSPECT` saw on a page.

    Example:
        >>> content_problems({"images": [{"src": "/a.png", "ok": False}], "text": ["$x^2$"],
        ...     "katexErrors": [], "formulas": 1, "unpainted": [], "fontsLoaded": True,
        ...     "fontErrors": []})
        [Problem(kind='image not loaded', detail='/a.png'),
         Problem(kind='raw LaTeX', detail='$x^2$')]
    """
    problems = [Problem("image not loaded", i["src"]) for i in found["images"] if not i["ok"]]
    for text in found["text"]:
        problems += [Problem("raw LaTeX", snippet) for snippet in find_raw_latex(text)]
    problems += [Problem("KaTeX error", error) for error in found["katexErrors"]]
    problems += [Problem("formula not painted", tex) for tex in found["unpainted"]]
    if found["formulas"] > len(found["unpainted"]) and not found["fontsLoaded"]:
        problems.append(Problem("KaTeX fonts not loaded", "KaTeX_Main is not loaded"))
    problems += [Problem("KaTeX font failed", family) for family in found["fontErrors"]]
    return list(dict.fromkeys(problems))


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


def nav_paths(urls: Sequence[str], origin: str) -> list[str]:
    """The site pages among navigation links, as URL paths without their `#fragment`.

    Example:
        >>> nav_paths(["http://h:1/zh/#top", "http://h:1/a.ipynb", "https://x.org/"], "http://h:1")
        ['/zh/']
    """
    paths = (url.split("#")[0].removeprefix(origin) for url in urls if same_origin(url, origin))
    return [path for path in dict.fromkeys(paths) if path.startswith("/") and is_page(path)]


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
        found = page.evaluate(_INSPECT)
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


def summary_lines(report: Report) -> list[str]:
    """The summary printed after the page lines.

    Example:
        >>> report = Report([PageResult("/", "en", formulas=2, painted=2)], seconds=3.14)
        >>> report.searches = [SearchResult("en", "softmax", 4), SearchResult("zh", "梯度", 0)]
        >>> print("\\n".join(summary_lines(report)))
        search en: softmax 4 results
        FAIL  search zh: 梯度 found nothing
        pages checked: en 1, zh 0 (0 with problems)
        formulas painted: 2 of 2; images: 0; code outputs: 0
        search terms found: 1 of 2
        runtime: 3.1 s
        FAILED
    """
    lines = [
        f"search {s.language}: {s.term} {s.results} results"
        if s.results
        else f"FAIL  search {s.language}: {s.term} found nothing"
        for s in report.searches
    ]
    lines += [f"FAIL  search: {problem}" for problem in report.search_problems]
    counts = report.summary()
    lines += [
        f"pages checked: en {counts['pages']['en']}, zh {counts['pages']['zh']} "
        f"({counts['pages_with_problems']} with problems)",
        f"formulas painted: {counts['formulas_painted']} of {counts['formulas']}; "
        f"images: {counts['images']}; code outputs: {counts['outputs']}",
        f"search terms found: {counts['search_terms_found']} of {counts['search_terms']}",
        f"runtime: {counts['seconds']} s",
        "OK" if report.ok else "FAILED",
    ]
    return lines


def write_report(report: Report, path: pathlib.Path) -> None:
    """Writes the report as JSON, atomically: a reader never sees half a file.

    Example:
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> write_report(Report([PageResult("/", "en")]), folder / "check.json")
        >>> json.loads((folder / "check.json").read_text())["summary"]["ok"]
        True
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(report.as_dict(), file, ensure_ascii=False, indent=2)
        os.replace(temporary, path)
    except BaseException:
        pathlib.Path(temporary).unlink(missing_ok=True)
        raise


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m docsite.check", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "site", type=pathlib.Path, help="the built site (`make docs` writes site/)"
    )
    parser.add_argument("--screenshots", type=pathlib.Path, help="folder for full-page PNGs")
    parser.add_argument("--report", type=pathlib.Path, help="write the results here as JSON")
    parser.add_argument("--chromium", default=CHROMIUM, help=f"the browser (default {CHROMIUM})")
    parser.add_argument("--no-search", action="store_true", help="skip the search terms")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the check; 0 if every page is clean, 1 if anything failed, 2 if it cannot run.

    Example (needs chromium, so not a doctest):

        main(["site", "--screenshots", "shots", "--report", "check.json"])  # 0: all clean
    """
    args = _parser().parse_args(argv)
    options = Options(
        screenshots=args.screenshots,
        search_terms={} if args.no_search else SEARCH_TERMS,
        chromium=args.chromium,
    )
    try:
        report = check_site(args.site, options)
    except SetupError as error:
        print(f"docsite.check: {error}", file=sys.stderr)
        return 2
    for line in summary_lines(report):
        print(line)
    if args.report is not None:
        write_report(report, args.report)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
