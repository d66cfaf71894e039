"""Convexity of losses, and what continuity and differentiability do and do not give.

Positive semidefiniteness of symbolic Hessians is proved through an explicit sum of
squares, because SymPy's ``is_positive_semidefinite`` gives up (returns ``None``) on
matrices built from softmax probabilities. The differentiability checks live in
:mod:`derivations.differentiability`.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from derivations._algebra import eq, is_zero
from derivations._result import Result, result
from derivations.definitions import Sigmoid, logits, sigmoid, softmax
from derivations.differentiability import (
    continuity_necessary,
    continuity_not_sufficient,
    losses_differentiable,
    precision_recall_piecewise_constant,
)

_x = sp.Symbol("x", real=True)
_lam = sp.Symbol("lambda", positive=True)  # the chord parameter, in (0, 1)
_a, _b = sp.symbols("a b", real=True)
_i, _j, _n = sp.symbols("i j n", integer=True, positive=True)
_P, _V = sp.IndexedBase("p", positive=True), sp.IndexedBase("v", real=True)


def mse_convex() -> Result:
    r"""MSE is convex (even strictly) in the predictions: its Hessian is $\tfrac2n I$.

    Examples:
        >>> mse_convex().verified
        True
    """
    ok, formulas = True, {}
    for n in (1, 2, 3, 4):
        pred, target = (
            sp.symbols(f"yhat1:{n + 1}", real=True),
            sp.symbols(f"y1:{n + 1}", real=True),
        )
        loss = sum((p - t) ** 2 for p, t in zip(pred, target, strict=True)) / n
        hessian = sp.hessian(loss, pred)
        ok = ok and hessian == sp.Rational(2, n) * sp.eye(n) and hessian.is_positive_definite
        formulas[n] = eq(sp.Derivative(loss, (sp.Matrix(pred), 2)), hessian)
    return result(
        "convexity.mse_convex",
        claim="mean squared error is convex in the predictions (Hessian (2/n) I, positive "
        "definite)",
        statement=formulas[2],
        verified=ok,
        detail="Hessian equals (2/n) I exactly, and is positive definite, for n = 1..4",
        steps=[formulas[n] for n in (1, 3, 4)],
    )


def cross_entropy_convex() -> Result:
    r"""Cross-entropy is convex in the logits: its Hessian is the softmax Jacobian, PSD.

    $v^\top(\mathrm{diag}(p) - pp^\top)v = \sum_i p_i (v_i - \sum_j p_j v_j)^2 \ge 0$ when
    $\sum_i p_i = 1$; the direction $\mathbf 1$ has curvature 0, so not strictly convex.

    Examples:
        >>> cross_entropy_convex().verified
        True
    """
    ok = True
    for n in (2, 3, 4):
        z, p = logits(n), softmax(logits(n))
        hessian = sp.hessian(_cross_entropy(z), list(z))
        jacobian = sp.diag(*p) - p * p.T
        ok = ok and all(is_zero(e) for e in hessian - jacobian)
        # J 1 = p (1 - sum p), which is 0 on the simplex, where softmax lies.
        ok = ok and _sum_of_squares(n) and _kills_ones(n) and is_zero(sum(p) - 1)
    z, p_sym = logits(3), sp.Matrix([_P[i] for i in range(1, 4)])
    jacobian_sym = _jacobian_in_p(3)
    ones = sp.ones(3, 1)
    quadratic, squares = _quadratic_forms()
    return result(
        "convexity.cross_entropy_convex",
        claim="cross-entropy is convex in the logits: its Hessian is the softmax Jacobian "
        "diag(p) - p p^T, which is positive semidefinite but singular (adding a constant to "
        "all logits changes nothing), so not strictly convex",
        statement=(
            eq(sp.Derivative(_cross_entropy(z), (z, 2)), jacobian_sym),
            eq(quadratic, squares),
            sp.Ge(squares, 0, evaluate=False),
        ),
        verified=ok,
        detail="Hessian = softmax Jacobian, the sum-of-squares identity (on the simplex, sum "
        "p_i = 1) and J 1 = 0 are exact for n = 2, 3, 4",
        steps=(
            *(eq(p_sym[i], softmax(z)[i]) for i in range(3)),
            eq(sp.Sum(_P[_i], (_i, 1, _n)), 1),
            eq(
                sp.MatMul(jacobian_sym, ones, evaluate=False),
                (jacobian_sym * ones).applyfunc(sp.factor),
            ),
        ),
    )


def _jacobian_in_p(n: int) -> sp.Matrix:
    # diag(p) - p p^T in the symbols p_1 .. p_n.
    p = [_P[i] for i in range(1, n + 1)]
    return sp.Matrix(n, n, lambda i, k: p[i] * (int(i == k) - p[k]))


def _kills_ones(n: int) -> bool:
    # (diag(p) - p p^T) 1 = 0 for p on the simplex, p_n = 1 - (p_1 + ... + p_{n-1}).
    on_simplex = {_P[n]: 1 - sum(_P[i] for i in range(1, n))}
    product = (_jacobian_in_p(n) * sp.ones(n, 1)).subs(on_simplex)
    return all(sp.expand(e) == 0 for e in product)


def _cross_entropy(z: sp.Matrix) -> sp.Expr:
    # -log softmax(z)_0 = -z_0 + log sum_j e^{z_j}
    return -z[0] + sp.log(sum(z.applyfunc(sp.exp)))


def _quadratic_forms() -> tuple[sp.Expr, sp.Expr]:
    # v^T (diag(p) - p p^T) v, and the same as a weighted sum of squares.
    mean = sp.Sum(_P[_j] * _V[_j], (_j, 1, _n))
    quadratic = sp.Sum(_P[_i] * _V[_i] ** 2, (_i, 1, _n)) - mean**2
    squares = sp.Sum(_P[_i] * (_V[_i] - mean) ** 2, (_i, 1, _n))
    return quadratic, squares


def _sum_of_squares(n: int) -> bool:
    quadratic, squares = (e.subs(_n, n).doit() for e in _quadratic_forms())
    on_simplex = {_P[n]: 1 - sum(_P[i] for i in range(1, n))}  # the identity uses sum p = 1
    return sp.expand((quadratic - squares).subs(on_simplex)) == 0 and squares.is_nonnegative


def bce_with_logits_convex() -> Result:
    r"""Binary cross-entropy with logits, $-[y\log\sigma(z) + (1-y)\log(1-\sigma(z))]$, is convex.

    Its second derivative in $z$ is $\sigma(z)(1 - \sigma(z)) > 0$ whatever the label.

    Examples:
        >>> bce_with_logits_convex().verified
        True
    """
    y, z = sp.Symbol("y", real=True), sp.Symbol("z", real=True)
    s = sigmoid(z)
    # 1 - sigma written as one fraction, 1 / (1 + e^z); otherwise cancel must undo a nested
    # fraction at every step, which is ten times slower.
    complement = sp.cancel(1 - s)
    named = -(y * sp.log(Sigmoid(z)) + (1 - y) * sp.log(1 - Sigmoid(z)))
    loss = named.subs(1 - Sigmoid(z), complement).subs(Sigmoid(z), s)
    curvature = sp.diff(loss, z, 2)
    target = Sigmoid(z) * (1 - Sigmoid(z))
    ok = is_zero(curvature - s * (1 - s)) and sp.cancel(s * (1 - s)).is_positive
    return result(
        "convexity.bce_with_logits_convex",
        claim="binary cross-entropy with logits is convex in the logit: its second derivative "
        "is sigmoid (1 - sigmoid) > 0, independent of the label",
        statement=(eq(sp.Derivative(named, (z, 2)), target), sp.Gt(target, 0, evaluate=False)),
        verified=ok,
        detail="cancel(second derivative - sigma (1 - sigma)) == 0; the right side is positive",
        steps=(
            eq(1 - Sigmoid(z), complement),
            eq(sp.Derivative(loss, (z, 2)), curvature),
            eq(target, sp.cancel(s * (1 - s))),
        ),
    )


def nonconvex_in_parameters() -> Result:
    r"""A loss convex in the output is not convex in the weights: $f(x) = w_2 w_1 x$.

    With one example $(x, y) = (1, 1)$, $L(w_1, w_2) = (w_1w_2 - 1)^2$ has the distinct
    global minima $(1, 1)$ and $(-1, -1)$; their midpoint $(0, 0)$ has $L = 1$, which
    breaks the chord inequality, and the Hessian there has eigenvalues $\pm 2$.

    Examples:
        >>> nonconvex_in_parameters().verified
        True
    """
    w1, w2, out = sp.symbols("w_1 w_2 yhat", real=True)
    in_output = (out - 1) ** 2
    loss = in_output.subs(out, w2 * w1 * 1)
    at = {point: sp.Subs(loss, (w1, w2), point) for point in ((1, 1), (-1, -1), (0, 0))}
    minima, midpoint = [at[(1, 1)], at[(-1, -1)]], at[(0, 0)]
    hessian = sp.hessian(loss, (w1, w2)).subs({w1: 0, w2: 0})
    eigen = hessian.eigenvals()
    ok = (
        sp.diff(in_output, out, 2) > 0
        and all(m.doit() == 0 for m in minima)
        and midpoint.doit() > (minima[0].doit() + minima[1].doit()) / 2
        and set(eigen) == {-2, 2}
    )
    trained = _gradient_descent((0.5, 0.3))
    return result(
        "convexity.nonconvex_in_parameters",
        claim="a loss that is convex in the network's output is in general not convex in its "
        "parameters: f(x) = w2 w1 x with the example (1, 1) has two distinct minima, (1, 1) and "
        "(-1, -1), and gradient descent still finds one",
        statement=(
            *(eq(m, m.doit()) for m in minima),
            sp.Gt(midpoint, (minima[0] + minima[1]) / 2, evaluate=False),
        ),
        verified=ok and trained < 1e-12,
        detail=f"midpoint loss {midpoint.doit()}; Hessian eigenvalues at (0, 0): "
        f"{sorted(eigen)}; gradient descent from (0.5, 0.3) ends at loss {trained:.1e}",
        values={"midpoint_loss": float(midpoint.doit()), "gradient_descent_loss": trained},
        steps=(
            eq(sp.Derivative(in_output, (out, 2)), sp.diff(in_output, out, 2)),
            eq(midpoint, midpoint.doit()),
            eq(sp.Subs(sp.Derivative(loss, (sp.Matrix([w1, w2]), 2)), (w1, w2), (0, 0)), hessian),
        ),
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

    Examples:
        >>> convexity_definition().verified
        True
    """
    mix = _lam * _a + (1 - _lam) * _b
    chords = {f: _lam * f.subs(_x, _a) + (1 - _lam) * f.subs(_x, _b) for f in (_x**2, -(_x**2))}
    gaps = {f: sp.factor(chord - f.subs(_x, mix)) for f, chord in chords.items()}
    square, negated = gaps.values()
    expected = _lam * (1 - _lam) * (_a - _b) ** 2
    ok = is_zero(square - expected) and is_zero(negated + expected)
    convex, concave = ((f.subs(_x, mix), chord) for f, chord in chords.items())
    return result(
        "convexity.convexity_definition",
        claim="f is convex when its graph lies on or below every chord; a graph on or above "
        "its chords (e.g. -x^2) is concave",
        statement=(
            sp.Le(*convex, evaluate=False),
            sp.Ge(*concave, evaluate=False),
            sp.Contains(_lam, sp.Interval(0, 1), evaluate=False),
        ),
        verified=ok,
        detail=f"chord minus graph: x^2 -> {square} >= 0; -x^2 -> {negated} <= 0",
        steps=[eq(chords[f] - f.subs(_x, mix), gap) for f, gap in gaps.items()],
    )


def common_functions() -> Result:
    r"""Which of linear, exponential, power and absolute-value functions are convex.

    Linear: $f'' = 0$ (convex and concave). $e^x$: $f'' > 0$. $|x| = \max(x, -x)$: a
    maximum of linear functions. $x^p$ on $x > 0$: $f'' = p(p-1)x^{p-2}$, convex only for
    $p \ge 1$ or $p \le 0$; $\sqrt x$ is concave and $x^3$ is not convex on $\mathbb R$.

    Examples:
        >>> common_functions().verified
        True
    """
    pos, power = sp.Symbol("t", positive=True), sp.Symbol("p", real=True)
    second = sp.Derivative(pos**power, (pos, 2))
    general = power * (power - 1) * pos ** (power - 2)
    curvature = [
        eq(sp.Derivative(_a * _x + _b, (_x, 2)), sp.diff(_a * _x + _b, _x, 2)),
        eq(sp.Derivative(sp.exp(_x), (_x, 2)), sp.diff(sp.exp(_x), _x, 2)),
    ]
    chords = [_chord(sp.Abs(_x), u, v) for u, v in ((-3, 1), (-1, 2), (sp.Rational(1, 2), 4))]
    powers = {p: sp.diff(pos**p, pos, 2) for p in (2, 3, sp.Rational(1, 2), -1)}
    # Counterexamples: the midpoint lies above the chord.
    counter = [sp.Gt(*_chord(f, u, v).args, evaluate=False) for f, u, v in _COUNTER]
    ok = (
        sp.expand(second.doit() - general) == 0
        and curvature[0].rhs == 0
        and curvature[1].rhs.is_positive
        and all(map(_holds, chords))
        and {p: d.is_nonnegative for p, d in powers.items()}
        == {2: True, 3: True, sp.Rational(1, 2): False, -1: True}
        and all(map(_holds, counter))
    )
    return result(
        "convexity.common_functions",
        claim="linear functions, e^x and |x| are convex (linear ones also concave); a power "
        "x^p is convex on x > 0 only for p >= 1 or p <= 0: sqrt is concave and x^3 is not "
        "convex on the whole line",
        statement=eq(second, general),
        verified=ok,
        detail="x^p'' on x > 0 for p = "
        + ", ".join(f"{p}: {d}" for p, d in powers.items())
        + "; midpoint below chord for |x|; not for sqrt on [0, 4] or x^3 on [-2, 0]",
        steps=(
            *curvature,
            *(eq(sp.Derivative(pos**p, (pos, 2)), d) for p, d in powers.items()),
            *chords,
            *counter,
        ),
    )


_COUNTER = ((sp.sqrt(_x), 0, 4), (_x**3, -2, 0))


def _chord(f: sp.Expr, u: sp.Expr, v: sp.Expr) -> sp.Le:
    # Midpoint convexity at (u, v): f((u + v) / 2) <= (f(u) + f(v)) / 2, as written.
    u, v = sp.sympify(u), sp.sympify(v)
    with sp.evaluate(False):
        return sp.Le(f.subs(_x, (u + v) / 2), (f.subs(_x, u) + f.subs(_x, v)) / 2)


def _holds(relation: sp.Rel) -> bool:
    return bool(relation.func(*(side.doit() for side in relation.args)))


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
