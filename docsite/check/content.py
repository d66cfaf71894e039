"""What a reader sees on a page: raw LaTeX, KaTeX errors and fonts, images.

`INSPECT` is the script that runs in the page once it has loaded and reports what is
visible; `content_problems` turns its answer into the page's problems, so the rules are
tested without a browser.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from docsite.check.report import Problem

_TEX_COMMAND = r"\\(?:[()\[\]]|[A-Za-z]{2,})"
# Pandoc's rule for inline math: no space inside either dollar, no digit after the closing
# one, so "costs $5 and $10" is prose.
_DOLLAR_MATH = r"\$\$[^$]+?\$\$|\$(?=\S)[^$\n]{1,200}?(?<=\S)\$(?!\d)"
_RAW_LATEX = re.compile(f"{_TEX_COMMAND}|{_DOLLAR_MATH}")


def find_raw_latex(text: str, context: int = 20) -> list[str]:
    """Snippets of `text` that are LaTeX a reader would see unrendered.

    Examples:
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
INSPECT = """
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
    """The problems in what `INSPECT` saw on a page.

    Examples:
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
