"""`python -m docsite.check` in Debian's chromium, on a small site written by hand.

One page of each language is clean; every other page has one kind of fault, and the
check must report exactly that fault on exactly that page. A second local server stands
in for the outside world: the check must block every request to it, so it sees none.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import http.server
import io
import json
import pathlib
import shutil
import threading
from collections.abc import Iterator

import pytest

from docsite import check, katex

# A 1x1 PNG.
DOT = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNQcGj4DwADRAHgMqq/hAAAAABJRU5ErkJggg=="
)
SITEMAP = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
)
# Backslashes and dollars in code are code, not raw LaTeX.
CODE = r"<pre><code>z = \frac{a}{b}  # \(x\) costs $x^2$</code></pre><p><code>\sigma</code></p>"
GOOD = {
    "/": CODE + "<p>A formula: FORMULA.</p>"
    '<img src="/dot.png" alt="a dot"><div class="fn-output">2.0</div>'
    '<nav><a class="md-nav__link" href="/found-by-nav/#top">only in the navigation</a></nav>',
    "/found-by-nav/": "<p>Linked from the navigation, missing from the sitemap.</p>",
    "/zh/": "<p>中文页面 FORMULA</p>" + CODE,
}
# path -> (body, the kinds of problem the check must report there, and nothing else)
BAD = {
    "/raw-latex/": (r"<p>The derivative \(\sigma'(z)\) and $x^2$ stay raw.</p>", {"raw LaTeX"}),
    "/broken-image/": ('<img src="missing.png" alt="gone">', {"HTTP 404", "image not loaded"}),
    "/outside/": (
        '<img src="https://example.com/x.png" alt="remote"><script src="DECOY/x.js"></script>',
        {"outside request", "image not loaded"},
    ),
    "/console-error/": ('<script>console.error("boom")</script>', {"console error"}),
    "/page-error/": ('<script>throw new Error("kaput")</script>', {"page error"}),
    "/katex-error/": (
        r'<span class="katex-error" title="ParseError: Expected group">\frac{</span>',
        {"KaTeX error"},
    ),
    "/hidden-formula/": ('<div style="display: none">FORMULA</div>', {"formula not painted"}),
    "/no-katex-css/": ("<p>FORMULA</p>", {"KaTeX fonts not loaded"}),
}
WITHOUT_STYLESHEET = {"/no-katex-css/"}


class _Decoy(http.server.ThreadingHTTPServer):
    """Another origin on this machine, standing in for the outside world; records its hits."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _CountingHandler)
        self.hits: list[str] = []


class _CountingHandler(http.server.BaseHTTPRequestHandler):
    server: _Decoy

    def do_GET(self) -> None:
        self.server.hits.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def _decoy() -> Iterator[tuple[str, list[str]]]:
    """Serves the decoy for the `with` block; yields its origin and the paths it was asked."""
    server = _Decoy()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.hits
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@functools.cache
def _formula() -> str:
    return katex.render([(r"\sigma(z) = \frac{1}{1 + e^{-z}}", False)])[0]


def _html(body: str, decoy: str, stylesheet: bool = True) -> str:
    body = body.replace("FORMULA", _formula()).replace("DECOY", decoy)
    link = '<link rel="stylesheet" href="/katex/katex.min.css">' if stylesheet else ""
    return (
        '<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">'
        f"{link}<title>a page</title></head><body>{body}</body></html>"
    )


def _write_site(root: pathlib.Path, bodies: dict[str, str], decoy: str) -> pathlib.Path:
    """A built site by hand: pages, KaTeX's stylesheet and fonts, a 404 page, a sitemap."""
    shutil.copytree(katex.DIST / "fonts", root / "katex" / "fonts")
    shutil.copy(katex.DIST / "katex.min.css", root / "katex" / "katex.min.css")
    (root / "dot.png").write_bytes(DOT)
    for path, body in bodies.items():
        target = root / path.strip("/") / "index.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        html = _html(body, decoy, stylesheet=path not in WITHOUT_STYLESHEET)
        target.write_text(html, encoding="utf-8")
    (root / "404.html").write_text(_html("<p>not here</p>", decoy), encoding="utf-8")
    listed = [path for path in bodies if path != "/found-by-nav/"] + ["/404.html"]
    urls = "".join(f"<url><loc>http://127.0.0.1:8000{path}</loc></url>" for path in listed)
    (root / "sitemap.xml").write_text(SITEMAP.format(urls=urls), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    """The check's exit status, report and printed lines for the site with every fault."""
    root = tmp_path_factory.mktemp("site-check")
    with _decoy() as (decoy, hits):
        bodies = GOOD | {path: body for path, (body, _) in BAD.items()}
        site = _write_site(root / "site", bodies, decoy)
        arguments = [str(site), "--no-search", "--report", str(root / "check.json")]
        with contextlib.redirect_stdout(printed := io.StringIO()):
            status = check.main([*arguments, "--screenshots", str(root / "shots")])
        decoy_hits = list(hits)
    report = json.loads((root / "check.json").read_text(encoding="utf-8"))
    return status, report, printed.getvalue(), root / "shots", decoy_hits


def _problems(report: dict) -> dict[str, list[dict]]:
    return {page["path"]: page["problems"] for page in report["pages"]}


def test_each_page_reports_exactly_its_faults(checked):
    status, report, _, _, _ = checked
    kinds = {path: {p["kind"] for p in problems} for path, problems in _problems(report).items()}
    assert kinds == {path: set() for path in GOOD} | {path: k for path, (_, k) in BAD.items()}
    assert status == 1
    assert report["summary"]["pages"] == {"en": len(GOOD) + len(BAD) - 1, "zh": 1}
    assert report["summary"]["pages_with_problems"] == len(BAD)


def test_outside_requests_are_blocked_never_fetched(checked):
    _, report, _, _, decoy_hits = checked
    outside = {
        p["detail"] for p in _problems(report)["/outside/"] if p["kind"] == "outside request"
    }
    assert "https://example.com/x.png" in outside
    assert any(url.endswith("/x.js") for url in outside)
    assert decoy_hits == []


def test_details_name_the_fault(checked):
    _, report, _, _, _ = checked
    problems = _problems(report)
    assert [p["detail"] for p in problems["/console-error/"]] == ["boom"]
    assert "kaput" in problems["/page-error/"][0]["detail"]
    assert problems["/katex-error/"][0]["detail"] == "ParseError: Expected group"
    raw = [p["detail"] for p in problems["/raw-latex/"]]
    assert raw == [r"The derivative \(\sigma'(z)\) and $x^2$ stay raw."]
    assert all(p["detail"].endswith("/missing.png") for p in problems["/broken-image/"])


def test_clean_pages_count_what_they_show(checked):
    _, report, _, _, _ = checked
    pages = {page["path"]: page for page in report["pages"]}
    assert (pages["/"]["formulas"], pages["/"]["painted"]) == (1, 1)
    assert (pages["/"]["images"], pages["/"]["outputs"]) == (1, 1)
    assert (pages["/zh/"]["language"], pages["/zh/"]["painted"]) == ("zh", 1)
    assert "/404.html" not in pages


def test_prints_a_line_per_page_and_a_summary(checked):
    _, _, text, _, _ = checked
    lines = text.splitlines()
    assert any(line.startswith("OK    en /  1 formulas, 1 images, 1 outputs") for line in lines)
    assert any(line.startswith("FAIL  en /console-error/  console error: boom") for line in lines)
    assert "pages checked: en 10, zh 1 (8 with problems)" in lines
    assert lines[-1] == "FAILED"


def test_saves_a_screenshot_of_every_page(checked):
    _, report, _, shots, _ = checked
    names = sorted(path.name for path in shots.iterdir())
    assert names == sorted(check.screenshot_name(page["path"]) for page in report["pages"])
    assert "zh_index.png" in names and "en_raw-latex.png" in names
    assert all((shots / name).read_bytes().startswith(b"\x89PNG") for name in names)


def test_a_clean_site_passes(tmp_path):
    with _decoy() as (decoy, _):
        site = _write_site(tmp_path / "site", GOOD, decoy)
        with contextlib.redirect_stdout(io.StringIO()):
            assert check.main([str(site), "--no-search"]) == 0


def test_missing_site_says_to_build_it(tmp_path, capsys):
    assert check.main([str(tmp_path / "nowhere")]) == 2
    assert "make docs" in capsys.readouterr().err


def test_missing_chromium_says_to_install_it(tmp_path, capsys):
    with _decoy() as (decoy, _):
        site = _write_site(tmp_path / "site", GOOD, decoy)
    assert check.main([str(site), "--chromium", str(tmp_path / "no-chromium")]) == 2
    assert "apt-get install chromium" in capsys.readouterr().err
