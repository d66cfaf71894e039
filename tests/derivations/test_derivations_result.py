"""The result values, the builder that writes their LaTeX, and the check runner."""

from __future__ import annotations

import json

import pytest
import sympy as sp

from derivations._result import (
    SEPARATOR,
    VERDICTS,
    ClaimVerdict,
    Result,
    latex,
    result,
    run_check,
)

x = sp.Symbol("x", real=True)
IDENTITY = sp.Eq(sp.sin(x) ** 2 + sp.cos(x) ** 2, 1)


def test_result_topic_comes_from_id() -> None:
    r = result("fourier.gibbs", claim="c", statement=IDENTITY, verified=1, values={"x": 1.5})
    assert (r.topic, r.verified, r.values["x"]) == ("fourier", True, 1.5)
    assert json.loads(json.dumps(r.as_dict()))["id"] == "fourier.gibbs"


def test_statement_and_steps_are_sympy_latex_of_the_formulas() -> None:
    derivative = sp.Derivative(sp.exp(2 * x), x)
    steps = (sp.Eq(derivative, derivative.doit()), sp.Gt(derivative.doit(), 0))
    r = result("demo.steps", claim="c", statement=[IDENTITY, steps[1]], verified=True, steps=steps)
    assert r.statement == sp.latex(IDENTITY) + SEPARATOR + sp.latex(steps[1])
    assert r.steps == tuple(sp.latex(step) for step in steps)
    assert r.as_dict()["steps"] == list(r.steps)


def test_a_matrix_is_a_formula() -> None:
    matrix = sp.Matrix([[x, 0], [0, 1]])
    assert latex(matrix) == sp.latex(matrix)


@pytest.mark.parametrize("typed", ["1 + 1 = 2", r"\sigma' = \sigma(1 - \sigma)"])
def test_a_hand_typed_statement_is_refused(typed: str) -> None:
    with pytest.raises(TypeError, match=r"statement of demo\.typed must be a SymPy .* got str"):
        result("demo.typed", claim="c", statement=typed, verified=True)


def test_a_hand_typed_step_is_refused() -> None:
    with pytest.raises(TypeError, match=r"step 2 of demo\.typed must be a SymPy .* got str"):
        result("demo.typed", claim="c", statement=IDENTITY, verified=True, steps=[IDENTITY, "x"])


@pytest.mark.parametrize("other", [1.5, True, None, [IDENTITY, "x = 1"]])
def test_other_non_sympy_statements_are_refused(other: object) -> None:
    with pytest.raises(TypeError, match="must be a SymPy expression"):
        result("demo.other", claim="c", statement=other, verified=True)  # type: ignore[arg-type]


def test_an_empty_statement_is_refused() -> None:
    with pytest.raises(ValueError, match=r"statement of demo\.empty is empty"):
        result("demo.empty", claim="c", statement=[], verified=True)


def test_latex_writes_sums_and_integrals_of_constants_as_they_are() -> None:
    # Such sums are written in structural order (the default order would evaluate the
    # constants numerically to sort them, which can take minutes).
    n = sp.Symbol("n", integer=True, positive=True)
    total = sp.Sum(1 / n**2, (n, 1, sp.oo)) + sp.Integral(x**2, (x, 0, 1))
    text = latex(total)
    assert sp.latex(sp.Sum(1 / n**2, (n, 1, sp.oo))) in text
    assert r"\int\limits_{0}^{1} x^{2}\, dx" in text


def test_result_is_immutable() -> None:
    r = Result("a.b", "a", "c", "s", True)
    with pytest.raises(AttributeError):
        r.verified = False  # type: ignore[misc]


def test_claim_verdict_rejects_unknown_verdict() -> None:
    with pytest.raises(ValueError, match="verdict must be one of"):
        ClaimVerdict("x", "c", "mostly true", "", ("a.b",))  # type: ignore[arg-type]


def test_claim_verdict_needs_deciding_checks() -> None:
    with pytest.raises(ValueError, match="names no deciding checks"):
        ClaimVerdict("x", "c", "holds", "", ())


def test_verdicts_are_the_three_of_the_ledger() -> None:
    assert VERDICTS == ("holds", "holds with a caveat", "wrong")


def test_run_check_turns_an_exception_into_a_failed_result() -> None:
    def exploding() -> Result:
        """Divides by zero."""
        return 1 / 0  # type: ignore[return-value]

    r = run_check(exploding, "demo")
    assert (r.id, r.verified, r.claim) == ("demo.exploding", False, "Divides by zero.")
    assert r.detail.startswith("ZeroDivisionError")
    assert r.steps == ()
