"""MkDocs hooks: the site is generated from funcnet and derivations when it is built.

- every ```` ```python ```` block runs and its output is shown under it
  (`docsite/execute.py`);
- generated tables replace markers: the derivations report (`docsite/mathpages.py`),
  the bad-input catalogue (`docsite/catalogue.py`);
- figures are drawn (`docsite/figures.py`), graphs laid out as SVG
  (`docsite/graphs.py`), lesson pages become notebooks
  (`docsite/notebooks.py`);
- every formula is rendered to HTML by KaTeX (`docsite/katex.py`), and KaTeX's
  stylesheet and fonts are served by the site, so nothing is fetched from outside.

MkDocs loads this file by path (`hooks:` in mkdocs.yml); the rest of `docsite` is
imported as a package, so its caches last across the English and Chinese builds.
"""

from __future__ import annotations

import html
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from mkdocs.exceptions import PluginError  # noqa: E402
from mkdocs.plugins import event_priority  # noqa: E402
from mkdocs.structure.files import File  # noqa: E402
from mkdocs.utils.meta import get_data  # noqa: E402

from docsite import (  # noqa: E402
    catalogue,
    execute,
    figures,
    graphs,
    katex,
    mathpages,
    notebooks,
    search,
    sweeps,
)

# pymdownx.arithmatex (generic mode) leaves formulas as \( \) spans and \[ \] divs.
_MATH = re.compile(
    r'<(?P<tag>span|div) class="arithmatex">\s*'
    r"(?P<open>\\\(|\\\[)(?P<tex>.*?)(?:\\\)|\\\])\s*</(?P=tag)>",
    re.S,
)


def on_config(config):
    search.remember_root(config)
    return config


# After mkdocs-static-i18n has sorted the files into languages: generated files have
# no source path for it to sort.
@event_priority(-200)
def on_files(files, config):
    for path, source in katex.assets():
        files.append(File.generated(config, path, abs_src_path=str(source)))
    for name in figures.names():
        files.append(File.generated(config, f"figures/{name}.png", content=figures.png(name)))
    for name in graphs.names():
        files.append(File.generated(config, f"figures/{name}.svg", content=graphs.svg(name)))
    for name in sweeps.names():
        files.append(File.generated(config, f"figures/{name}.png", content=sweeps.png(name)))
    for source in sorted(pathlib.Path(config["docs_dir"]).rglob("*.md")):
        text, meta = get_data(source.read_text(encoding="utf-8"))
        if meta.get("notebook"):
            relative = source.relative_to(config["docs_dir"]).as_posix()
            notebook = notebooks.dumps(text)
            files.append(File.generated(config, notebooks.site_path(relative), content=notebook))
    return files


def _notebook_link(page) -> str:
    source = page.file.src_uri
    language = "zh" if source.endswith(".zh.md") else "en"
    label = {"en": "Download this page as a Jupyter notebook", "zh": "下载本页的 Jupyter 笔记本"}
    depth = source.count("/")
    target = "../" * depth + notebooks.site_path(source)
    return f"[:material-notebook: {label[language]}]({target}){{ .md-button }}\n\n"


def on_page_markdown(markdown, page, config, files):
    try:
        markdown = execute.render(markdown, page.file.src_uri)
    except execute.BlockError as error:
        raise PluginError(str(error)) from error
    markdown = mathpages.expand(markdown)
    markdown = catalogue.expand(markdown)
    if page.meta.get("notebook"):
        markdown = _notebook_link(page) + markdown
    return markdown


def _render_math(output: str, where: str) -> str:
    found = list(_MATH.finditer(output))
    if not found:
        return output
    formulas = [(html.unescape(m.group("tex")), m.group("open") == "\\[") for m in found]
    try:
        rendered = katex.render(formulas, where=where)
    except katex.KatexError as error:
        raise PluginError(str(error)) from error
    pieces, last = [], 0
    for match, markup in zip(found, rendered, strict=True):
        pieces += [output[last : match.start()], markup]
        last = match.end()
    pieces.append(output[last:])
    return "".join(pieces)


# mkdocs-static-i18n points each page's <link rel="alternate"> at that page in the other
# language; Material reads those links as language roots and fetches `<page>/sitemap.xml`,
# a 404 on every page. The header's language switch is separate and keeps working.
_ALTERNATE_LINK = re.compile(r'<link rel="alternate" href="[^"]*" hreflang="[^"]*">\s*')


def on_post_page(output, page, config):
    search.remember_entries(config)
    output = _ALTERNATE_LINK.sub("", output)
    return _render_math(output, page.file.src_uri)


# Last of all, after mkdocs-static-i18n has built the other language and written its
# own (incomplete) index.
@event_priority(-200)
def on_post_build(config):
    search.write_index()
