"""MkDocs hooks: pages and figures generated from funcnet and derivations at build time.

Markers in the Markdown are replaced by content computed from the code, so the site
cannot drift from it:

- `<!-- derivations:checks -->` and `<!-- derivations:claims -->`: the report of
  `python -m derivations` (every symbolic check, and the lesson's claims ledger);
- `<!-- errors:catalogue -->`: the bad-input catalogue (tests/trust/catalogue.py),
  every call run at build time with the exception and message it actually raised;
- `figures/activations.png`: the activations and their derivatives, computed with
  funcnet and `jax.grad`.
"""

from __future__ import annotations

import functools
import importlib.util
import io
import pathlib
import sys

from mkdocs.structure.files import File

MARKERS = ("<!-- derivations:checks -->", "<!-- derivations:claims -->")
ERRORS_MARKER = "<!-- errors:catalogue -->"
CATALOGUE = pathlib.Path(__file__).resolve().parent.parent / "tests" / "trust" / "catalogue.py"


@functools.lru_cache(maxsize=1)
def _report():
    from derivations.__main__ import report

    return report()


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _checks_table() -> str:
    results, _ = _report()
    rows = ["| check | claim | verified |", "|---|---|---|"]
    for result in results:
        mark = "yes" if result.verified else "**no**"
        rows.append(f"| `{result.id}` | {_cell(result.claim)} | {mark} |")
    return "\n".join(rows)


def _claims_table() -> str:
    _, claims = _report()
    rows = ["| the lesson says | verdict | correction | decided by |", "|---|---|---|---|"]
    for claim in claims:
        checks = ", ".join(f"`{check}`" for check in claim.get("checks", ()))
        rows.append(
            f"| {_cell(claim['claim'])} | {claim['verdict']} | "
            f"{_cell(claim.get('correction') or '')} | {checks} |"
        )
    return "\n".join(rows)


def _load_catalogue():
    spec = importlib.util.spec_from_file_location("funcnet_error_catalogue", CATALOGUE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while building
    spec.loader.exec_module(module)
    return module


# HTML's own characters and every character Markdown gives a meaning, as entities.
_INERT = {ord(character): f"&#{ord(character)};" for character in "&<>\"'|*_`[]\\{}#!"}


def _code(text: str) -> str:
    """`text` as inline code inside a table cell: HTML-escaped, Markdown-inert, lines kept."""
    return "<code>" + text.translate(_INERT).replace("\n", "<br>") + "</code>"


def _errors_catalogue() -> str:
    """One table per category: each call run now, with its exception and message."""
    catalogue = _load_catalogue()
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
                f"| {_code(catalogue.source(entry))} | `{type(error).__name__}` | "
                f"{_code(str(error))} |"
            )
        sections.append("\n".join(rows))
    return "\n\n".join(sections)


def on_page_markdown(markdown: str, page, config, files) -> str:
    if MARKERS[0] in markdown:
        markdown = markdown.replace(MARKERS[0], _checks_table())
    if MARKERS[1] in markdown:
        markdown = markdown.replace(MARKERS[1], _claims_table())
    if ERRORS_MARKER in markdown:
        markdown = markdown.replace(ERRORS_MARKER, _errors_catalogue())
    return markdown


def _activations_png() -> bytes:
    import jax
    import jax.numpy as jnp
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import funcnet

    z = jnp.linspace(-5.0, 5.0, 401)
    functions = {
        "sigmoid": funcnet.sigmoid,
        "tanh": funcnet.tanh,
        "relu": funcnet.relu,
        "leaky_relu (a=0.2)": lambda v: funcnet.leaky_relu(v, 0.2),
    }
    figure, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for name, function in functions.items():
        axes[0].plot(z, function(z), label=name)
        axes[1].plot(z, jax.vmap(jax.grad(function))(z), label=name)
    axes[0].set_title("activation")
    axes[1].set_title("derivative (jax.grad)")
    for axis in axes:
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90)
    plt.close(figure)
    return buffer.getvalue()


def on_files(files, config):
    files.append(File.generated(config, "figures/activations.png", content=_activations_png()))
    return files
