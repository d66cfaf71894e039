"""Each lesson page is also a notebook; run in a Jupyter kernel, it prints what the page shows."""

import pathlib
import re

import pytest

from docsite.execute import blocks, run_page
from docsite.notebooks import dumps

ROOT = pathlib.Path(__file__).resolve().parent.parent
nbformat = pytest.importorskip("nbformat", reason="the docs extra is installed by `make test`")
nbclient = pytest.importorskip("nbclient", reason="the docs extra is installed by `make test`")


def _lesson_pages() -> list[pathlib.Path]:
    from mkdocs.utils.meta import get_data

    return [
        path
        for path in sorted((ROOT / "docs").rglob("*.md"))
        if get_data(path.read_text(encoding="utf-8"))[1].get("notebook")
    ]


def test_the_lessons_are_notebooks():
    assert {p.name for p in _lesson_pages()} >= {"lesson.md", "lesson.zh.md"}


_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # a kernel colours what JAX pretty-prints


def _printed(cell) -> str:
    return _ANSI.sub(
        "",
        "".join(
            output.get("text", "") if output["output_type"] == "stream" else ""
            for output in cell.get("outputs", [])
        ),
    )


@pytest.mark.slow
@pytest.mark.parametrize("page", _lesson_pages(), ids=lambda p: p.name)
def test_notebook_runs_and_prints_what_the_page_shows(page, tmp_path):
    from mkdocs.utils.meta import get_data

    markdown, _ = get_data(page.read_text(encoding="utf-8"))
    book = nbformat.reads(dumps(markdown), as_version=4)  # as a reader opens the file
    nbformat.validate(book)
    resources = {"metadata": {"path": str(tmp_path)}}
    nbclient.NotebookClient(book, timeout=600, resources=resources).execute()
    code_cells = [cell for cell in book.cells if cell.cell_type == "code"]
    outputs = zip(blocks(markdown), run_page(markdown, page.name), strict=True)
    shown = [output for block, output in outputs if block.run]
    for cell, output in zip(code_cells, shown, strict=True):
        if "raises-exception" in cell.metadata.get("tags", []):
            assert any(o["output_type"] == "error" for o in cell.outputs), cell.source
        else:
            assert _printed(cell) == output, cell.source
