"""The bad-input catalogue: every wrong call raises its documented exception and names the
problem; the "Bad input" docs page publishes the catalogue.
"""

from __future__ import annotations

import pathlib
import re

import pytest
from catalogue import CATEGORIES, ENTRIES, Entry, run, source

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _param(entry: Entry):
    marks = ()
    if entry.known_issue:
        marks = pytest.mark.xfail(strict=True, reason=entry.known_issue)
    return pytest.param(entry, id=entry.id, marks=marks)


@pytest.mark.parametrize("entry", [_param(entry) for entry in ENTRIES])
def test_bad_input_raises_the_documented_error(entry: Entry):
    error = run(entry)
    assert error is not None, f"{source(entry)}\nraised nothing"
    assert type(error) is entry.error, f"{source(entry)}\nraised {type(error).__name__}: {error}"
    assert re.search(entry.match, str(error)), f"{source(entry)}\nsaid: {error}"


def test_catalogue_is_well_formed():
    ids = [entry.id for entry in ENTRIES]
    assert len(ids) == len(set(ids)), "catalogue ids must be unique"
    for entry in ENTRIES:
        assert entry.category in CATEGORIES, entry.id
        assert issubclass(entry.error, Exception), entry.id
        re.compile(entry.match)
        compile(source(entry), entry.id, "exec")


@pytest.mark.parametrize("category", CATEGORIES)
def test_every_category_has_working_entries(category):
    assert any(e.category == category and not e.known_issue for e in ENTRIES)


def test_docs_page_publishes_the_catalogue():
    pytest.importorskip("mkdocs", reason="the docs extra is installed by `make test`")
    from docsite import catalogue

    page = (ROOT / "docs" / "errors.md").read_text()
    assert catalogue.MARKER in page
    rendered = catalogue.expand(page)
    assert catalogue.MARKER not in rendered
    for category in CATEGORIES:
        assert f"### {category[0].upper()}{category[1:]}" in rendered
    for entry in ENTRIES:
        cell = catalogue.code_cell(source(entry))
        # Calls that still misbehave stay off the page until they are fixed.
        assert (cell in rendered) != bool(entry.known_issue), entry.id
