"""Formulas rendered to HTML with KaTeX when the site is built.

The site ships KaTeX's stylesheet and fonts and no JavaScript for math: every formula
is already HTML when the page is served, so a page shows its math with nothing fetched
from outside and nothing left to run. KaTeX itself (pinned in `docsite/package.json`,
installed by `make docs` with `npm ci`) runs under Node, one process per batch.

A formula KaTeX cannot parse raises :class:`KatexError` naming it, so a malformed
formula fails the build instead of reaching a reader as raw LaTeX.
"""

from __future__ import annotations

import json
import pathlib
import shutil
import subprocess
from collections.abc import Iterable, Sequence

HERE = pathlib.Path(__file__).resolve().parent
SCRIPT = HERE / "render_katex.js"
DIST = HERE / "node_modules" / "katex" / "dist"


class KatexError(ValueError):
    """A formula KaTeX refused, or KaTeX itself could not be run."""


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        raise KatexError(
            "rendering the site's formulas needs Node.js: install it (apt-get install nodejs "
            "npm), then run `npm ci --prefix docsite`"
        )
    if not (DIST / "katex.min.css").exists():
        raise KatexError(f"KaTeX is not installed in {DIST.parent}: run `npm ci --prefix docsite`")
    return node


def render(formulas: Sequence[tuple[str, bool]], *, where: str = "") -> list[str]:
    """Renders LaTeX formulas to HTML, in one Node process.

    Args:
        formulas: `(tex, display)` pairs; `display` is True for a block formula.
        where: What the formulas belong to (a page, a check id), named in errors.

    Returns:
        One HTML string per formula, in order.

    Raises:
        KatexError: A formula does not parse (the message names it and `where`), or
            Node or KaTeX is missing.

    Examples:
        >>> html = render([("\\\\sigma'(z) = \\\\sigma(z)(1 - \\\\sigma(z))", False)])
        >>> html[0].startswith('<span class="katex">')
        True
    """
    if not formulas:
        return []
    payload = json.dumps([{"tex": tex, "display": bool(display)} for tex, display in formulas])
    completed = subprocess.run(
        [_node(), str(SCRIPT)],
        input=payload,
        capture_output=True,
        text=True,
        cwd=HERE,
        check=False,
    )
    if completed.returncode != 0:
        raise KatexError(f"KaTeX failed{_at(where)}: {completed.stderr.strip()}")
    rendered = json.loads(completed.stdout)
    errors = [
        f"  {tex!r}: {item['error']}"
        for (tex, _), item in zip(formulas, rendered, strict=True)
        if "error" in item
    ]
    if errors:
        raise KatexError(f"malformed formula{_at(where)}:\n" + "\n".join(errors))
    return [item["html"] for item in rendered]


def _at(where: str) -> str:
    return f" in {where}" if where else ""


def assets() -> Iterable[tuple[str, pathlib.Path]]:
    """KaTeX's stylesheet and fonts as `(site path, file)` pairs, served by the site.

    Examples:
        >>> sorted(path for path, _ in assets())[0]
        'assets/katex/fonts/KaTeX_AMS-Regular.ttf'
    """
    _node()
    yield "assets/katex/katex.min.css", DIST / "katex.min.css"
    for font in sorted((DIST / "fonts").iterdir()):
        yield f"assets/katex/fonts/{font.name}", font
