"""Convexity of losses, and what continuity and differentiability do and do not give.

Positive semidefiniteness of symbolic Hessians is proved through an explicit sum of
squares, because SymPy's ``is_positive_semidefinite`` gives up (returns ``None``) on
matrices built from softmax probabilities. The differentiability checks live in
:mod:`derivations.differentiability`.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from derivations._algebra import is_zero
from derivations._result import Result, result
from derivations.definitions import logits, sigmoid, softmax
from derivations.differentiability import (
    continuity_necessary,
    continuity_not_sufficient,
    losses_differentiable,
    precision_recall_piecewise_constant,
)

_x = sp.Symbol("x", real=True)
_lam = sp.Symbol("lambda", positive=True)  # the chord parameter, in (0, 1)
_a, _b = sp.symbols("a b", real=True)


def mse_convex() -> Result:
    r"""MSE is convex (even strictly) in the predictions: its Hessian is $\tfrac2n I$.

    Example:
        >>> mse_convex().verified
        True
    """
    ok = True
    for n in (1, 2, 3, 4):
        pred, target = sp.symbols(f"yhat0:{n}", real=True), sp.symbols(f"y0:{n}", real=True)
        loss = sum((p - t) ** 2 for p, t in zip(pred, target, strict=True)) / n
        hessian = sp.hessian(loss, pred)
        ok = ok and hessian == sp.Rational(2, n) * sp.eye(n) and hessian.is_positive_definite
    return result(
        "convexity.mse_convex",
        claim="mean squared error is convex in the predictions (Hessian (2/n) I, positive "
        "definite)",
        statement=r"\nabla^2_{\hat y}\, \tfrac1n\lVert \hat y - y\rVert^2 = \tfrac2n I \succ 0",
        verified=ok,
        detail="Hessian equals (2/n) I exactly for n = 1..4",
    )


def cross_entropy_convex() -> Result:
    r"""Cross-entropy is convex in the logits: its Hessian is the softmax Jacobian, PSD.

    $v^\top(\mathrm{diag}(p) - pp^\top)v = \sum_i p_i (v_i - \sum_j p_j v_j)^2 \ge 0$ when
    $\sum_i p_i = 1$; the direction $\mathbf 1$ has curvature 0, so not strictly convex.

    Example:
        >>> cross_entropy_convex().verified
        True
    """
    ok = True
    for n in (2, 3, 4):
        z, p = logits(n), softmax(logits(n))
        hessian = sp.hessian(-z[0] + sp.log(sum(z.applyfunc(sp.exp))), list(z))
        jacobian = sp.diag(*p) - p * p.T
        ok = ok and all(is_zero(e) for e in hessian - jacobian)
        ok = ok and _sum_of_squares(n) and all(is_zero(e) for e in jacobian * sp.ones(n, 1))
    return result(
        "convexity.cross_entropy_convex",
        claim="cross-entropy is convex in the logits: its Hessian is the softmax Jacobian "
        "diag(p) - p p^T, which is positive semidefinite but singular (adding a constant to "
        "all logits changes nothing), so not strictly convex",
        statement=r"\nabla_z^2 L = \operatorname{diag}(p) - pp^\top,\quad "
        r"v^\top \nabla_z^2 L\, v = \sum_i p_i\Big(v_i - \sum_j p_j v_j\Big)^2 \ge 0,\quad "
        r"\nabla_z^2 L\,\mathbf 1 = 0",
        verified=ok,
        detail="Hessian = softmax Jacobian, the sum-of-squares identity and J 1 = 0 are exact "
        "for n = 2, 3, 4",
    )


def _sum_of_squares(n: int) -> bool:
    p = sp.symbols(f"p0:{n}", positive=True)
    v = sp.symbols(f"v0:{n}", real=True)
    on_simplex = {p[-1]: 1 - sum(p[:-1])}  # the identity uses sum_i p_i = 1
    pv, vv = sp.Matrix(p), sp.Matrix(v)
    quadratic = (vv.T * (sp.diag(*p) - pv * pv.T) * vv)[0]
    mean = sum(pi * vi for pi, vi in zip(p, v, strict=True))
    squares = sum(pi * (vi - mean) ** 2 for pi, vi in zip(p, v, strict=True))
    return sp.expand((quadratic - squares).subs(on_simplex)) == 0


def bce_with_logits_convex() -> Result:
    r"""Binary cross-entropy with logits, $-[y\log\sigma(z) + (1-y)\log(1-\sigma(z))]$, is convex.

    Its second derivative in $z$ is $\sigma(z)(1 - \sigma(z)) > 0$ whatever the label.

    Example:
        >>> bce_with_logits_convex().verified
        True
    """
    y, z = sp.Symbol("y", real=True), sp.Symbol("z", real=True)
    s = sigmoid(z)
    # 1 - sigma written as one fraction, e^{-z} / (1 + e^{-z}); otherwise cancel must undo
    # a nested fraction at every step, which is ten times slower.
    loss = -(y * sp.log(s) + (1 - y) * sp.log(sp.cancel(1 - s)))
    curvature = sp.diff(loss, z, 2)
    ok = is_zero(curvature - s * (1 - s)) and sp.cancel(s * (1 - s)).is_positive
    return result(
        "convexity.bce_with_logits_convex",
        claim="binary cross-entropy with logits is convex in the logit: its second derivative "
        "is sigmoid (1 - sigmoid) > 0, independent of the label",
        statement=r"\frac{\partial^2}{\partial z^2}\Big[-y\log\sigma(z) - (1-y)\log(1-\sigma(z))"
        r"\Big] = \sigma(z)(1 - \sigma(z)) > 0",
        verified=ok,
        detail="cancel(second derivative - sigma (1 - sigma)) == 0; the right side is positive",
    )


def nonconvex_in_parameters() -> Result:
    r"""A loss convex in the output is not convex in the weights: $f(x) = w_2 w_1 x$.

    With one example $(x, y) = (1, 1)$, $L(w_1, w_2) = (w_1w_2 - 1)^2$ has the distinct
    global minima $(1, 1)$ and $(-1, -1)$; their midpoint $(0, 0)$ has $L = 1$, which
    breaks the chord inequality, and the Hessian there has eigenvalues $\pm 2$.

    Example:
        >>> nonconvex_in_parameters().verified
        True
    """
    w1, w2, out = sp.symbols("w1 w2 yhat", real=True)
    in_output = (out - 1) ** 2
    loss = in_output.subs(out, w2 * w1 * 1)
    minima = [{w1: 1, w2: 1}, {w1: -1, w2: -1}]
    midpoint = loss.subs({w1: 0, w2: 0})
    eigen = sp.hessian(loss, (w1, w2)).subs({w1: 0, w2: 0}).eigenvals()
    ok = (
        sp.diff(in_output, out, 2) > 0
        and all(loss.subs(m) == 0 for m in minima)
        and midpoint > (loss.subs(minima[0]) + loss.subs(minima[1])) / 2
        and set(eigen) == {-2, 2}
    )
    trained = _gradient_descent((0.5, 0.3))
    return result(
        "convexity.nonconvex_in_parameters",
        claim="a loss that is convex in the network's output is in general not convex in its "
        "parameters: f(x) = w2 w1 x with the example (1, 1) has two distinct minima, (1, 1) and "
        "(-1, -1), and gradient descent still finds one",
        statement=r"L(w_1, w_2) = (w_1w_2 - 1)^2,\quad L(1,1) = L(-1,-1) = 0 < 1 = L(0, 0)",
        verified=ok and trained < 1e-12,
        detail=f"midpoint loss {midpoint}; Hessian eigenvalues at (0, 0): {sorted(eigen)}; "
        f"gradient descent from (0.5, 0.3) ends at loss {trained:.1e}",
        values={"midpoint_loss": float(midpoint), "gradient_descent_loss": trained},
    )


def _gradient_descent(start: tuple[float, float], rate: float = 0.1, steps: int = 500) -> float:
    w = np.array(start, dtype=float)
    for _ in range(steps):
        residual = w[0] * w[1] - 1.0
        w = w - rate * 2.0 * residual * w[::-1]  # d/dw1 = 2 r w2, d/dw2 = 2 r w1
    return float((w[0] * w[1] - 1.0) ** 2)


def convexity_definition() -> Result:
    r"""Convex means the graph lies on or below every chord; on or above means concave.

    $x^2$ satisfies $f(\lambda a + (1-\lambda)b) \le \lambda f(a) + (1-\lambda) f(b)$
    because the gap is $\lambda(1-\lambda)(a-b)^2$; $-x^2$ satisfies the reversed
    inequality, and it is concave, not convex.

    Example:
        >>> convexity_definition().verified
        True
    """

    def chord_gap(f: sp.Expr) -> sp.Expr:
        mix = _lam * _a + (1 - _lam) * _b
        return sp.factor(_lam * f.subs(_x, _a) + (1 - _lam) * f.subs(_x, _b) - f.subs(_x, mix))

    square, negated = chord_gap(_x**2), chord_gap(-(_x**2))
    expected = _lam * (1 - _lam) * (_a - _b) ** 2
    ok = is_zero(square - expected) and is_zero(negated + expected)
    return result(
        "convexity.convexity_definition",
        claim="f is convex when its graph lies on or below every chord; a graph on or above "
        "its chords (e.g. -x^2) is concave",
        statement=r"f(\lambda a + (1-\lambda)b) \le \lambda f(a) + (1-\lambda)f(b),"
        r"\quad \lambda \in [0, 1]",
        verified=ok,
        detail=f"chord minus graph: x^2 -> {square} >= 0; -x^2 -> {negated} <= 0",
    )


def common_functions() -> Result:
    r"""Which of linear, exponential, power and absolute-value functions are convex.

    Linear: $f'' = 0$ (convex and concave). $e^x$: $f'' > 0$. $|x| = \max(x, -x)$: a
    maximum of linear functions. $x^p$ on $x > 0$: $f'' = p(p-1)x^{p-2}$, convex only for
    $p \ge 1$ or $p \le 0$; $\sqrt x$ is concave and $x^3$ is not convex on $\mathbb R$.

    Example:
        >>> common_functions().verified
        True
    """
    pos = sp.Symbol("t", positive=True)
    linear_exp = sp.diff(_a * _x + _b, _x, 2) == 0 and sp.diff(sp.exp(_x), _x, 2).is_positive
    abs_ok = all(_chord_ok(abs, u, v) for u, v in ((-3.0, 1.0), (-1.0, 2.0), (0.5, 4.0)))
    powers = {p: sp.diff(pos**p, pos, 2).is_nonnegative for p in (2, 3, sp.Rational(1, 2), -1)}
    counter = {
        "sqrt on [0, 4]": _chord_ok(np.sqrt, 0.0, 4.0),
        "x^3 on [-2, 0]": _chord_ok(lambda t: t**3, -2.0, 0.0),
    }
    ok = (
        linear_exp
        and abs_ok
        and powers == {2: True, 3: True, sp.Rational(1, 2): False, -1: True}
        and not any(counter.values())
    )
    return result(
        "convexity.common_functions",
        claim="linear functions, e^x and |x| are convex (linear ones also concave); a power "
        "x^p is convex on x > 0 only for p >= 1 or p <= 0: sqrt is concave and x^3 is not "
        "convex on the whole line",
        statement=r"(x^p)'' = p(p-1)x^{p-2} \ge 0 \iff p \ge 1 \text{ or } p \le 0\ (x > 0)",
        verified=ok,
        detail=f"x^p'' >= 0 on x > 0 for p = {', '.join(f'{k}: {v}' for k, v in powers.items())}"
        f"; midpoint below chord: {counter}",
    )


def _chord_ok(f: object, u: float, v: float) -> bool:
    # Midpoint convexity at (u, v): f((u + v) / 2) <= (f(u) + f(v)) / 2.
    return bool(f((u + v) / 2) <= (f(u) + f(v)) / 2)  # type: ignore[operator]


CHECKS = (
    mse_convex,
    cross_entropy_convex,
    bce_with_logits_convex,
    nonconvex_in_parameters,
    convexity_definition,
    common_functions,
    continuity_not_sufficient,
    continuity_necessary,
    losses_differentiable,
    precision_recall_piecewise_constant,
)
