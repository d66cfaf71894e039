"""The built site as the check sees it: its pages, their languages, a local server.

Pages come from `sitemap.xml`, `zh/sitemap.xml` and the navigation; the 404 page and
files such as notebooks are not pages. The site is served on 127.0.0.1, and only that
origin counts as the site.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import pathlib
import re
import sys
import threading
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

LANGUAGES = ("en", "zh")


class SetupError(RuntimeError):
    """The check cannot run: no built site, no chromium, no Playwright."""


def language_of(path: str) -> str:
    """The site language of a URL path: Chinese pages live under `zh/`.

    Examples:
        >>> language_of("/zh/math/losses/"), language_of("/math/losses/")
        ('zh', 'en')
    """
    return "zh" if path == "/zh" or path.startswith("/zh/") else "en"


def screenshot_name(path: str) -> str:
    """The screenshot file of a page, named by language and URL path.

    Examples:
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

    Examples:
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

    Examples:
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


def nav_paths(urls: Sequence[str], origin: str) -> list[str]:
    """The site pages among navigation links, as URL paths without their `#fragment`.

    Examples:
        >>> nav_paths(["http://h:1/zh/#top", "http://h:1/a.ipynb", "https://x.org/"], "http://h:1")
        ['/zh/']
    """
    paths = (url.split("#")[0].removeprefix(origin) for url in urls if same_origin(url, origin))
    return [path for path in dict.fromkeys(paths) if path.startswith("/") and is_page(path)]


def same_origin(url: str, origin: str) -> bool:
    """Whether `url` is served by `origin`; `data:` and `blob:` URLs never leave the page.

    Examples:
        >>> origin = "http://127.0.0.1:8123"
        >>> [same_origin(u, origin) for u in (origin + "/a.png", "https://example.com/x")]
        [True, False]
    """
    if url.startswith(("data:", "blob:", "about:")):
        return True
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" == origin


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

    Examples:
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
