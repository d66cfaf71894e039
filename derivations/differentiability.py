"""Continuity versus differentiability, smooth losses, and why metrics are not losses.

These checks belong to the ``convexity`` topic (their ids start with ``convexity.``);
they live in their own module to keep each file short.
"""

from __future__ import annotations

import itertools

import sympy as sp

from derivations._algebra import one_sided_derivatives, one_sided_limits
from derivations._result import Result, result
from derivations.definitions import logits, relu, softmax

_x = sp.Symbol("x", real=True)
_w = sp.Symbol("w", real=True)

# A tiny scored data set: score_i = w x_i + 1/2, predicted positive when score_i > 0.
_FEATURES = (-2, -1, 1, 2, 3)
_LABELS = (0, 1, 0, 1, 1)
_BIAS = sp.Rational(1, 2)


def continuity_not_sufficient() -> Result:
    r"""$|x|$ and ReLU are continuous at 0 but not differentiable there.

    Example:
        >>> continuity_not_sufficient().verified
        True
    """
    found = {}
    for name, f in (("|x|", sp.Abs(_x)), ("relu", relu(_x))):
        limits = one_sided_limits(f, _x)
        found[name] = (limits, one_sided_derivatives(f, _x))
    # Both functions are 0 at 0, so continuity there means both one-sided limits are 0.
    ok = all(lim == (0, 0) and left != right for lim, (left, right) in found.values())
    return result(
        "convexity.continuity_not_sufficient",
        claim="continuity does not imply differentiability: |x| and ReLU are continuous at 0, "
        "but their left and right derivatives there differ",
        statement=r"\lim_{x\to0^\pm}|x| = 0 = |0|,\quad \partial_-|x|(0) = -1 \ne 1 = "
        r"\partial_+|x|(0)",
        verified=ok,
        detail="; ".join(
            f"{k}: one-sided limits {v[0]}, one-sided derivatives {v[1]}" for k, v in found.items()
        ),
    )


def continuity_necessary() -> Result:
    r"""A jump rules out a derivative: the difference quotient of a step diverges.

    In general $f(x_0 + h) - f(x_0) = h \cdot \frac{f(x_0 + h) - f(x_0)}{h} \to 0 \cdot
    f'(x_0) = 0$, so a differentiable function is continuous; the step shows the
    contrapositive concretely.

    Example:
        >>> continuity_necessary().verified
        True
    """
    step = sp.Piecewise((1, _x > 0), (0, True))
    limits = one_sided_limits(step, _x)
    derivatives = one_sided_derivatives(step, _x)
    return result(
        "convexity.continuity_necessary",
        claim="continuity is necessary for differentiability: at a jump the difference "
        "quotient diverges, so no derivative exists",
        statement=r"\lim_{h\to0^+}\frac{H(h) - H(0)}{h} = \infty \quad (H = \mathbb 1_{x>0})",
        verified=limits == (0, 1) and derivatives == (0, sp.oo),
        detail=f"one-sided limits of the step at 0: {limits}; one-sided difference quotients: "
        f"{derivatives}",
    )


def losses_differentiable() -> Result:
    r"""MSE and cross-entropy on logits are differentiable everywhere.

    MSE's gradient $2(\hat y - y)/n$ is a polynomial; cross-entropy on logits has gradient
    $p - e_y$ with $p = \mathrm{softmax}(z)$ finite for every real $z$. On probabilities,
    $-\log p_y$ is differentiable only for $p_y > 0$ and its slope blows up as $p_y \to 0$.

    Example:
        >>> losses_differentiable().verified
        True
    """
    yhat, y = sp.symbols("yhat y", real=True)
    mse_grad = sp.diff((yhat - y) ** 2, yhat)
    z = logits(3)
    ce_grad = sp.Matrix([-sp.log(softmax(z)[0])]).jacobian(z)
    # Every entry is a rational function of positive exponentials with a positive
    # denominator, so it is finite for every real z.
    ce_ok = all(sp.denom(sp.cancel(e)).is_positive for e in ce_grad)
    prob = sp.Symbol("p", positive=True)
    slope_at_zero = sp.limit(sp.diff(-sp.log(prob), prob), prob, 0, "+")
    return result(
        "convexity.losses_differentiable",
        claim="MSE is differentiable everywhere and cross-entropy on logits (PyTorch's "
        "CrossEntropyLoss input) is differentiable everywhere; on probabilities, -log p is "
        "differentiable only for p > 0",
        statement=r"\nabla \mathrm{MSE} = \tfrac2n(\hat y - y),\quad "
        r"\nabla_z \mathrm{CE} = \mathrm{softmax}(z) - e_y,\quad "
        r"\lim_{p\to0^+} \tfrac{d}{dp}(-\log p) = -\infty",
        verified=mse_grad.is_polynomial(yhat) and ce_ok and slope_at_zero == -sp.oo,
        detail=f"MSE gradient {mse_grad}; CE gradient denominators positive; slope of -log p "
        f"as p -> 0+: {slope_at_zero}",
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

    Example:
        >>> precision_recall_piecewise_constant().verified
        True
    """
    precision, recall = _metrics(_w)
    breaks = sorted({-_BIAS / x for x in _FEATURES})
    probes = [breaks[0] - 1, *((u + v) / 2 for u, v in itertools.pairwise(breaks)), breaks[-1] + 1]
    grads = [sp.diff(m, _w).subs(_w, t) for m in (precision, recall) for t in probes]
    eps = sp.Rational(1, 10**6)
    jumps = [(precision.subs(_w, b - eps), precision.subs(_w, b + eps)) for b in breaks]
    steps = {str(t): (str(precision.subs(_w, t)), str(recall.subs(_w, t))) for t in probes}
    ok = all(g == 0 for g in grads) and all(left != right for left, right in jumps)
    return result(
        "convexity.precision_recall_piecewise_constant",
        claim="precision and recall of thresholded scores are piecewise constant in the "
        "weights: their gradient is 0 almost everywhere and undefined at the jumps, so they "
        "give gradient descent nothing to follow",
        statement=r"\frac{\partial}{\partial w}\mathrm{precision}(w) = 0 \text{ for } "
        r"w \notin \{-b/x_i\}",
        verified=ok,
        detail=f"derivative 0 at every probe between the breakpoints {breaks}; precision "
        f"jumps at each; (precision, recall) on the pieces: {list(steps.values())}",
        values={"breakpoints": [float(b) for b in breaks], "pieces": steps},
    )


CHECKS = (
    continuity_not_sufficient,
    continuity_necessary,
    losses_differentiable,
    precision_recall_piecewise_constant,
)
