"""Every check of every topic is verified, and the results are well formed."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

import derivations
from derivations import Result
from derivations._result import SEPARATOR
from docsite.katex import KatexError, render

CHECKS = [
    (topic, check)
    for topic, module in derivations.TOPICS.items()
    for check in importlib.import_module(module).CHECKS
]
IDS = [f"{topic}.{check.__name__}" for topic, check in CHECKS]
ROOT = Path(__file__).resolve().parents[2]


def test_ids_are_unique() -> None:
    assert len(IDS) == len(set(IDS))


@pytest.mark.parametrize("check_id", IDS)
def test_check_is_verified(results: dict[str, Result], check_id: str) -> None:
    r = results[check_id]
    assert r.verified, r.detail


@pytest.mark.parametrize("check_id", IDS)
def test_result_is_well_formed(results: dict[str, Result], check_id: str) -> None:
    r = results[check_id]
    # The id names the function, so a failing check's id (built by run_check) matches.
    assert r.topic == check_id.split(".")[0]
    assert r.claim and r.statement and r.detail
    json.dumps(r.as_dict())  # the docs site reads these values as JSON


@pytest.mark.parametrize("check_id", IDS)
def test_statement_and_steps_were_written_by_sympy(
    results: dict[str, Result], latex_written: set[str], check_id: str
) -> None:
    r = results[check_id]
    for formula in (r.statement, *r.steps):
        assert formula.strip(), f"{check_id} has an empty formula"
        # The builder joins several formulas with SEPARATOR; each must be sympy.latex output.
        for part in formula.split(SEPARATOR):
            assert part in latex_written, f"{check_id}: {part!r} was not written by sympy.latex"


@pytest.mark.parametrize("check_id", IDS)
def test_statement_and_steps_render_with_katex(results: dict[str, Result], check_id: str) -> None:
    r = results[check_id]
    html = render([(tex, True) for tex in (r.statement, *r.steps)], where=check_id)
    assert len(html) == 1 + len(r.steps)
    assert all('class="katex-display"' in h for h in html)


def test_katex_names_a_malformed_formula() -> None:
    # The render test above relies on KaTeX refusing bad LaTeX, by name.
    with pytest.raises(KatexError, match=r"demo\.check"):
        render([(r"\frac{1}{", True)], where="demo.check")


def test_run_keeps_report_order_and_rejects_unknown_topics() -> None:
    topics = [r.topic for r in derivations.run(["backprop", "affine"])]
    assert topics.index("affine") < topics.index("backprop")
    with pytest.raises(ValueError, match="unknown topic"):
        derivations.run(["trigonometry"])


def test_only_crosscheck_imports_funcnet_and_jax() -> None:
    modules = [m for t, m in derivations.TOPICS.items() if t != "crosscheck"]
    code = (
        "import sys, importlib\n"
        f"for m in {modules!r} + ['derivations.claims', 'derivations.crosscheck']:\n"
        "    importlib.import_module(m)\n"
        "assert 'funcnet' not in sys.modules and 'jax' not in sys.modules, 'imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_funcnet_does_not_import_derivations_or_sympy() -> None:
    code = (
        "import sys, funcnet\n"
        "assert 'derivations' not in sys.modules and 'sympy' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_crosscheck_restores_the_x64_flag() -> None:
    import jax

    from derivations import crosscheck

    previous = jax.config.read("jax_enable_x64")
    try:
        jax.config.update("jax_enable_x64", False)
        assert crosscheck.kink_conventions().verified  # computed in float64 all the same
        assert jax.config.read("jax_enable_x64") is False
    finally:
        jax.config.update("jax_enable_x64", previous)
