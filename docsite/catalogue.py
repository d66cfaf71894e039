"""The "Bad input" page: every catalogue entry run at build time, with what it raised.

`<!-- errors:catalogue -->` in a page becomes one table per category of
tests/trust/catalogue.py: the call, the exception it actually raised and its message.
An entry that stops raising its documented exception fails the build.
"""

from __future__ import annotations

import importlib.util
import pathlib
import sys

MARKER = "<!-- errors:catalogue -->"
CATALOGUE = pathlib.Path(__file__).resolve().parent.parent / "tests" / "trust" / "catalogue.py"

# HTML's own characters and every character Markdown gives a meaning, as entities.
_INERT = {ord(character): f"&#{ord(character)};" for character in "&<>\"'|*_`[]\\{}#!$"}


def code_cell(text: str) -> str:
    """`text` as inline code inside a table cell: HTML-escaped, Markdown-inert, lines kept.

    Examples:
        >>> code_cell("a|b")
        '<code>a&#124;b</code>'
    """
    return "<code>" + text.translate(_INERT).replace("\n", "<br>") + "</code>"


def _load():
    spec = importlib.util.spec_from_file_location("funcnet_error_catalogue", CATALOGUE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while building
    spec.loader.exec_module(module)
    return module


def tables() -> str:
    """One Markdown table per category: each call run now, with its exception and message."""
    catalogue = _load()
    sections = []
    for category in catalogue.CATEGORIES:
        rows = [f"### {category[0].upper()}{category[1:]}", "", "| call | raises | message |"]
        rows.append("|---|---|---|")
        for entry in catalogue.ENTRIES:
            if entry.category != category or entry.known_issue:
                continue
            error = catalogue.run(entry)
            if type(error) is not entry.error:
                raise RuntimeError(
                    f"catalogue entry {entry.id!r} should raise {entry.error.__name__}, "
                    f"got {error!r}"
                )
            rows.append(
                f"| {code_cell(catalogue.source(entry))} | `{type(error).__name__}` | "
                f"{code_cell(str(error))} |"
            )
        sections.append("\n".join(rows))
    return "\n\n".join(sections)


def expand(markdown: str) -> str:
    """Replaces the catalogue marker, if the page has it."""
    return markdown.replace(MARKER, tables()) if MARKER in markdown else markdown
