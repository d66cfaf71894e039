"""Continuity versus differentiability, smooth losses, and why metrics are not losses.

These checks belong to the ``convexity`` topic (their ids start with ``convexity.``);
they live in their own module to keep each file short.
"""

from __future__ import annotations

import itertools

import sympy as sp

from derivations._algebra import derivative_limits, eq, evaluate, side_limits
from derivations._result import Result, result
from derivations.definitions import ReLU, Step, logits, softmax

_x = sp.Symbol("x", real=True)
_w = sp.Symbol("w", real=True)

# A tiny scored data set: score_i = w x_i + 1/2, predicted positive when score_i > 0.
_FEATURES = (-2, -1, 1, 2, 3)
_LABELS = (0, 1, 0, 1, 1)
_BIAS = sp.Rational(1, 2)
Precision, Recall = sp.Function("precision"), sp.Function("recall")


def continuity_not_sufficient() -> Result:
    r"""$|x|$ and ReLU are continuous at 0 but not differentiable there.

    Examples:
        >>> continuity_not_sufficient().verified
        True
    """
    found = {}
    for name, f in (("|x|", sp.Abs(_x)), ("relu", ReLU(_x))):
        limits, derivatives = side_limits(f, _x), derivative_limits(f, _x)
        found[name] = [(limit, evaluate(limit)) for limit in (*limits, *derivatives)]
    # Both functions are 0 at 0, so continuity there means both one-sided limits are 0.
    ok = all(
        [v for _, v in pairs[:2]] == [0, 0] and pairs[2][1] != pairs[3][1]
        for pairs in found.values()
    )
    return result(
        "convexity.continuity_not_sufficient",
        claim="continuity does not imply differentiability: |x| and ReLU are continuous at 0, "
        "but their left and right derivatives there differ",
        statement=[eq(limit, value) for limit, value in found["|x|"]],
        verified=ok,
        detail="; ".join(
            f"{k}: one-sided limits {[v for _, v in pairs[:2]]}, one-sided derivatives "
            f"{[v for _, v in pairs[2:]]}"
            for k, pairs in found.items()
        ),
        steps=[eq(limit, value) for limit, value in found["relu"]],
    )


def continuity_necessary() -> Result:
    r"""A jump rules out a derivative: the difference quotient of a step diverges.

    In general $f(x_0 + h) - f(x_0) = h \cdot \frac{f(x_0 + h) - f(x_0)}{h} \to 0 \cdot
    f'(x_0) = 0$, so a differentiable function is continuous; the step shows the
    contrapositive concretely.

    Examples:
        >>> continuity_necessary().verified
        True
    """
    limits, derivatives = side_limits(Step(_x), _x), derivative_limits(Step(_x), _x)
    limit_values = tuple(map(evaluate, limits))
    derivative_values = tuple(map(evaluate, derivatives))
    return result(
        "convexity.continuity_necessary",
        claim="continuity is necessary for differentiability: at a jump the difference "
        "quotient diverges, so no derivative exists",
        statement=eq(derivatives[1], derivative_values[1]),
        verified=limit_values == (0, 1) and derivative_values == (0, sp.oo),
        detail=f"one-sided limits of the step at 0: {limit_values}; one-sided difference "
        f"quotients: {derivative_values}",
        steps=(
            eq(Step(_x), sp.Piecewise((1, _x > 0), (0, True))),
            *(eq(limit, value) for limit, value in zip(limits, limit_values, strict=True)),
            eq(derivatives[0], derivative_values[0]),
        ),
    )


def losses_differentiable() -> Result:
    r"""MSE and cross-entropy on logits are differentiable everywhere.

    MSE's gradient $2(\hat y - y)/n$ is a polynomial; cross-entropy on logits has gradient
    $p - e_y$ with $p = \mathrm{softmax}(z)$ finite for every real $z$. On probabilities,
    $-\log p_y$ is differentiable only for $p_y > 0$ and its slope blows up as $p_y \to 0$.

    Examples:
        >>> losses_differentiable().verified
        True
    """
    yhat, y = sp.symbols("yhat y", real=True)
    mse = sp.Derivative((yhat - y) ** 2, yhat)
    mse_grad = mse.doit()
    z = logits(3)
    ce = sp.Derivative(-sp.log(softmax(z)[0]), z)
    ce_grad = sp.Matrix([-sp.log(softmax(z)[0])]).jacobian(z).T.applyfunc(sp.cancel)
    # Every entry is a rational function of positive exponentials with a positive
    # denominator, so it is finite for every real z.
    denominators = {sp.denom(e) for e in ce_grad}
    ce_ok = all(d.is_positive for d in denominators)
    prob = sp.Symbol("p", positive=True)
    slope = sp.Limit(sp.Derivative(-sp.log(prob), prob), prob, 0, "+")
    slope_at_zero = slope.doit()
    return result(
        "convexity.losses_differentiable",
        claim="MSE is differentiable everywhere and cross-entropy on logits (PyTorch's "
        "CrossEntropyLoss input) is differentiable everywhere; on probabilities, -log p is "
        "differentiable only for p > 0",
        statement=(eq(mse, mse_grad), eq(ce, ce_grad), eq(slope, slope_at_zero)),
        verified=mse_grad.is_polynomial(yhat) and ce_ok and slope_at_zero == -sp.oo,
        detail=f"MSE gradient {mse_grad}; CE gradient denominators positive; slope of -log p "
        f"as p -> 0+: {slope_at_zero}",
        steps=[sp.Gt(d, 0, evaluate=False) for d in denominators],
    )


def _metrics(w: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    # Heaviside(s, 0) is 0 at s = 0: a score exactly at the threshold is negative.
    predicted = [sp.Heaviside(w * x + _BIAS, 0) for x in _FEATURES]
    true_pos = sum(p * y for p, y in zip(predicted, _LABELS, strict=True))
    return true_pos / sum(predicted), true_pos / sum(_LABELS)


def precision_recall_piecewise_constant() -> Result:
    r"""Precision and recall of thresholded scores are step functions of the weights.

    For the scores $w x_i + \tfrac12$ on a small data set, both metrics change only where a
    score crosses the threshold, $w = -1/(2x_i)$; their derivative is a sum of Dirac
    deltas there and exactly 0 everywhere else, so gradient descent gets no signal.

    Examples:
        >>> precision_recall_piecewise_constant().verified
        True
    """
    precision, recall = _metrics(_w)
    breaks = sorted({-_BIAS / x for x in _FEATURES})
    probes = [breaks[0] - 1, *((u + v) / 2 for u, v in itertools.pairwise(breaks)), breaks[-1] + 1]
    named = {Precision: precision, Recall: recall}
    grads = [sp.diff(m, _w).subs(_w, t) for m in (precision, recall) for t in probes]
    eps = sp.Rational(1, 10**6)
    with sp.evaluate(False):
        sides = [(b - eps, b + eps) for b in breaks]
    jumps = [tuple(precision.subs(_w, point.doit()) for point in pair) for pair in sides]
    around = [tuple(sp.Subs(Precision(_w), _w, point) for point in pair) for pair in sides]
    steps = {str(t): (str(precision.subs(_w, t)), str(recall.subs(_w, t))) for t in probes}
    ok = all(g == 0 for g in grads) and all(left != right for left, right in jumps)
    off_breaks = sp.Contains(_w, sp.Complement(sp.Reals, sp.FiniteSet(*breaks)), evaluate=False)
    flat = sp.And(*(eq(sp.Derivative(m(_w), _w), 0) for m in named), evaluate=False)
    return result(
        "convexity.precision_recall_piecewise_constant",
        claim="precision and recall of thresholded scores are piecewise constant in the "
        "weights: their gradient is 0 almost everywhere and undefined at the jumps, so they "
        "give gradient descent nothing to follow",
        statement=sp.Implies(off_breaks, flat, evaluate=False),
        verified=ok,
        detail=f"derivative 0 at every probe between the breakpoints {breaks}; precision "
        f"jumps at each; (precision, recall) on the pieces: {list(steps.values())}",
        values={"breakpoints": [float(b) for b in breaks], "pieces": steps},
        steps=(
            *(eq(m(_w), expr) for m, expr in named.items()),
            *(eq(sp.Subs(sp.Derivative(m(_w), _w), _w, t), 0) for m in named for t in probes),
            *(sp.Ne(*pair, evaluate=False) for pair in around),
        ),
    )


CHECKS = (
    continuity_not_sufficient,
    continuity_necessary,
    losses_differentiable,
    precision_recall_piecewise_constant,
)
