"""Lesson pages as Jupyter notebooks, generated from the same Markdown.

A page whose front matter says `notebook: true` is also published as
`notebooks/<page>.ipynb` and links to it: its prose becomes Markdown cells (formulas
stay `$...$`, which Jupyter renders), its Python blocks become code cells, in order.
A block marked `raises=` gets Jupyter's `raises-exception` tag, so running the whole
notebook goes past it as the page does. The tests execute every generated notebook.
"""

from __future__ import annotations

import json
import pathlib
import re

from docsite.execute import blocks

_COMMENTS = re.compile(r"<!--.*?-->", re.S)


def _markdown_cell(text: str) -> dict | None:
    text = _COMMENTS.sub("", text).strip()
    if not text:
        return None
    return {"cell_type": "markdown", "metadata": {}, "source": text.splitlines(keepends=True)}


def _code_cell(code: str, raises: bool) -> dict:
    metadata = {"tags": ["raises-exception"]} if raises else {}
    return {
        "cell_type": "code",
        "execution_count": None,
        "metadata": metadata,
        "outputs": [],
        "source": code.rstrip("\n").splitlines(keepends=True),
    }


def notebook(markdown: str) -> dict:
    """A page's Markdown (front matter removed) as an nbformat-4 notebook.

    Examples:
        >>> nb = notebook("# Title\\n\\n```python\\nprint(1)\\n```\\n")
        >>> [cell["cell_type"] for cell in nb["cells"]]
        ['markdown', 'code']
    """
    cells, last = [], 0
    for block in blocks(markdown):
        if (cell := _markdown_cell(markdown[last : block.start])) is not None:
            cells.append(cell)
        if block.run:
            cells.append(_code_cell(block.code, block.raises is not None))
        last = block.end
    if (cell := _markdown_cell(markdown[last:])) is not None:
        cells.append(cell)
    for number, cell in enumerate(cells):
        cell["id"] = f"cell-{number}"  # nbformat 4.5: stable ids, so the file never churns
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def site_path(source: str) -> str:
    """Where the notebook of the page `source` (relative to docs/) is published.

    Examples:
        >>> site_path("lesson.zh.md")
        'notebooks/lesson.zh.ipynb'
    """
    return "notebooks/" + pathlib.PurePosixPath(source).with_suffix(".ipynb").as_posix()


def dumps(markdown: str) -> str:
    """The notebook as the text of an `.ipynb` file."""
    return json.dumps(notebook(markdown), indent=1, ensure_ascii=False) + "\n"
