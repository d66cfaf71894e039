"""The mathematics pages' generated parts: the report of `python -m derivations`.

- `<!-- derivations:claims -->`: the lesson's claims ledger;
- `<!-- derivations:checks -->`: every symbolic check.
"""

from __future__ import annotations

import functools

CHECKS = "<!-- derivations:checks -->"
CLAIMS = "<!-- derivations:claims -->"


@functools.cache
def report():
    """`(results, claims)` of the whole derivations report, computed once per build."""
    from derivations.__main__ import report

    return report()


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def checks_table() -> str:
    results, _ = report()
    rows = ["| check | claim | verified |", "|---|---|---|"]
    for result in results:
        mark = "yes" if result.verified else "**no**"
        rows.append(f"| `{result.id}` | {_cell(result.claim)} | {mark} |")
    return "\n".join(rows)


def claims_table() -> str:
    _, claims = report()
    rows = ["| the lesson says | verdict | correction | decided by |", "|---|---|---|---|"]
    for claim in claims:
        checks = ", ".join(f"`{check}`" for check in claim.get("checks", ()))
        rows.append(
            f"| {_cell(claim['claim'])} | {claim['verdict']} | "
            f"{_cell(claim.get('correction') or '')} | {checks} |"
        )
    return "\n".join(rows)


def expand(markdown: str) -> str:
    """Replaces the derivations markers the page has."""
    if CHECKS in markdown:
        markdown = markdown.replace(CHECKS, checks_table())
    if CLAIMS in markdown:
        markdown = markdown.replace(CLAIMS, claims_table())
    return markdown
