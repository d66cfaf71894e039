"""The documentation site builds strictly from the code, complete, in both languages.

The site is built once for this module (about a minute); what a real browser sees is
checked by `python -m docsite.check` (tests/test_site_check.py tests the checker).
"""

import inspect
import pathlib
import re
import shutil
import subprocess
import sys
import types

import pytest

import derivations
import funcnet
from derivations import TOPICS

ROOT = pathlib.Path(__file__).resolve().parent.parent
mkdocs = pytest.importorskip("mkdocs", reason="the docs extra is installed by `make test`")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> pathlib.Path:
    out = tmp_path_factory.mktemp("site")
    command = shutil.which("mkdocs", path=str(pathlib.Path(sys.executable).parent))
    completed = subprocess.run(
        [command, "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert completed.returncode == 0, completed.stderr[-6000:]
    return out


def _html(site: pathlib.Path, page: str) -> str:
    return (site / page / "index.html").read_text(encoding="utf-8")


def _anchors(obj, public_name: str) -> set[str]:
    """The ids mkdocstrings may give `obj`: its public path, its name under the module
    that defines it or any package above that one (`funcnet.losses.cross_entropy`), or
    under a module that exports it in `__all__` (`funcnet.sweep.SweepHistory`)."""
    if isinstance(obj, types.ModuleType):
        return {obj.__name__}
    anchors = {public_name}
    if inspect.isclass(obj) or inspect.isfunction(obj):
        parts = obj.__module__.split(".")
        anchors |= {".".join([*parts[:n], obj.__qualname__]) for n in range(1, len(parts) + 1)}
        anchors |= {
            f"{name}.{obj.__qualname__}"
            for name, module in list(sys.modules.items())
            if name.startswith("funcnet.")
            and obj.__name__ in getattr(module, "__all__", ())
            and getattr(module, obj.__name__, None) is obj
        }
    return anchors


def _public_api():
    for name in funcnet.__all__:
        yield f"funcnet.{name}", getattr(funcnet, name)
    for name in derivations.__all__:
        yield f"derivations.{name}", getattr(derivations, name)
    for module in [*TOPICS.values(), "derivations.claims", "derivations.figures"]:
        yield module, sys.modules.get(module) or __import__(module, fromlist=["_"])


def test_every_public_name_is_on_the_api_page(site):
    ids = set(re.findall(r'id="([\w.]+)"', _html(site, "api")))
    missing = [name for name, obj in _public_api() if not _anchors(obj, name) & ids]
    assert not missing, f"missing from docs/api.md: {missing}"


def test_generated_parts_are_on_the_pages(site):
    assert "wrong" in _html(site, "math")  # the generated claims ledger
    assert (site / "figures" / "activations.png").stat().st_size > 1000
    lesson = _html(site, "lesson")
    assert "mat1 and mat2 shapes cannot be multiplied (4x10 and 8x5)" in lesson
    assert 'class="fn-output"' in lesson  # what the blocks printed


@pytest.mark.parametrize("language", ["", "zh/"])
def test_every_formula_is_rendered_and_katex_is_served(site, language):
    pages = sorted((site / language).glob("**/index.html"))
    if not language:
        pages = [p for p in pages if "zh" not in p.relative_to(site).parts]
    rendered = 0
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert 'class="arithmatex"' not in text, f"{page} has a formula KaTeX did not render"
        rendered += text.count('class="katex"')
    assert rendered > 50
    assert (site / "assets/katex/katex.min.css").exists()
    assert any((site / "assets/katex/fonts").glob("*.woff2"))


def test_nothing_is_fetched_from_outside_and_no_hook_is_published(site):
    for page in site.glob("**/*.html"):
        text = page.read_text(encoding="utf-8")
        assert "fonts.googleapis" not in text and "fonts.gstatic" not in text, page
        assert not re.search(r'<script[^>]+src="https?://', text), page
        assert not re.search(r'<link rel="(?:stylesheet|preload|icon)"[^>]+href="https?://', text)
    assert not (site / "hooks.py").exists()


def test_chinese_pages_are_chinese_and_linked(site):
    for page in ("zh", "zh/lesson"):
        text = (site / page / "index.html").read_text(encoding="utf-8")
        assert "激活函数" in text, page
        assert 'lang="zh"' in text
    assert 'hreflang="zh"' in _html(site, "lesson")  # the language switch


def test_lesson_pages_link_their_notebooks(site):
    for page, notebook in (("lesson", "lesson.ipynb"), ("zh/lesson", "lesson.zh.ipynb")):
        assert f"notebooks/{notebook}" in (site / page / "index.html").read_text()
        assert (site / "notebooks" / notebook).exists() or (
            site / "zh" / "notebooks" / notebook
        ).exists()
