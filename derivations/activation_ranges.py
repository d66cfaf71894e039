"""Activation functions: ranges, symmetry, centring, peak slopes and saturation.

These checks belong to the ``activations`` topic (their ids start with
``activations.``); they live in their own module to keep each file short.
"""

from __future__ import annotations

import mpmath
import sympy as sp

from derivations._algebra import is_zero
from derivations._result import Result, result
from derivations.definitions import sigmoid, tanh, z

_s = sp.Symbol("s", positive=True)  # stands for sigma(z), which ranges over (0, 1)
_t = sp.Symbol("t", real=True)  # stands for tanh(z), which ranges over (-1, 1)


def sigmoid_range() -> Result:
    r"""$0 < \sigma(z) < 1$ for every real $z$, with the bounds approached, never reached.

    Example:
        >>> sigmoid_range().verified
        True
    """
    s = sigmoid(z)
    upper_gap = sp.cancel(1 - s)  # = e^{-z} / (1 + e^{-z})
    limits = (sp.limit(s, z, -sp.oo), sp.limit(s, z, sp.oo))
    ok = s.is_positive and upper_gap.is_positive and limits == (0, 1)
    return result(
        "activations.sigmoid_range",
        claim="sigmoid maps the real line into the open interval (0, 1)",
        statement=r"0 < \sigma(z) < 1,\quad \lim_{z\to-\infty}\sigma = 0,\ "
        r"\lim_{z\to\infty}\sigma = 1",
        verified=ok,
        detail=f"sigma > 0 and 1 - sigma = {upper_gap} > 0 since e^-z > 0; limits {limits}",
    )


def sigmoid_symmetry() -> Result:
    r"""$\sigma(-z) = 1 - \sigma(z)$: sigmoid is symmetric about the point $(0, 1/2)$.

    Example:
        >>> sigmoid_symmetry().verified
        True
    """
    return result(
        "activations.sigmoid_symmetry",
        claim="sigmoid(-z) = 1 - sigmoid(z), so sigmoid is centred on 1/2, not on 0",
        statement=r"\sigma(-z) = 1 - \sigma(z)",
        verified=is_zero(sigmoid(-z) - (1 - sigmoid(z))),
        detail="cancel(sigma(-z) - 1 + sigma(z)) == 0",
    )


def tanh_odd() -> Result:
    r"""$\tanh(-z) = -\tanh(z)$ and $-1 < \tanh(z) < 1$.

    Example:
        >>> tanh_odd().verified
        True
    """
    limits = (sp.limit(tanh(z), z, -sp.oo), sp.limit(tanh(z), z, sp.oo))
    below_one = sp.cancel(1 - tanh(z)).is_positive and sp.cancel(1 + tanh(z)).is_positive
    return result(
        "activations.tanh_odd",
        claim="tanh is odd (centred on 0) and maps the real line into (-1, 1)",
        statement=r"\tanh(-z) = -\tanh(z),\quad -1 < \tanh(z) < 1",
        verified=is_zero(tanh(-z) + tanh(z)) and below_one and limits == (-1, 1),
        detail=f"cancel(tanh(-z) + tanh(z)) == 0; 1 -/+ tanh > 0; limits {limits}",
    )


def sigmoid_smooth() -> Result:
    r"""Sigmoid is differentiable everywhere and its derivative is positive everywhere.

    Example:
        >>> sigmoid_smooth().verified
        True
    """
    d = sp.diff(sigmoid(z), z)
    # 1 + e^{-z} > 0 for real z: the quotient of smooth functions has no pole on R.
    denominator_positive = (1 + sp.exp(-z)).is_positive
    return result(
        "activations.sigmoid_smooth",
        claim="sigmoid is differentiable at every real z and sigmoid'(z) > 0 everywhere, "
        "so its gradient is never exactly 0",
        statement=r"\sigma'(z) = \frac{e^{-z}}{(1 + e^{-z})^2} > 0 \quad \forall z \in \mathbb R",
        verified=denominator_positive and d.is_positive,
        detail=f"sigma' = {d}; its denominator never vanishes and every factor is positive",
    )


def sigmoid_derivative_max() -> Result:
    r"""$\max_z \sigma'(z) = 1/4$, attained only at $z = 0$.

    Writing $s = \sigma(z) \in (0, 1)$ (a bijection, as $\sigma' > 0$), $\sigma' = s(1-s)$,
    a downward parabola in $s$ whose only critical point is $s = 1/2$, i.e. $z = 0$.

    Example:
        >>> sigmoid_derivative_max().verified
        True
    """
    g = _s * (1 - _s)
    critical = sp.solve(sp.diff(g, _s), _s)
    peak = g.subs(_s, critical[0])
    ok = (
        critical == [sp.Rational(1, 2)]
        and sp.diff(g, _s, 2) < 0
        and sigmoid(sp.Integer(0)) == critical[0]
        and sp.diff(sigmoid(z), z).subs(z, 0) == peak == sp.Rational(1, 4)
    )
    return result(
        "activations.sigmoid_derivative_max",
        claim="sigmoid' is at most 1/4, reached only at z = 0",
        statement=r"\max_z \sigma'(z) = \sigma'(0) = \tfrac14",
        verified=ok,
        detail=f"s(1 - s) has its only critical point at s = {critical[0]} = sigma(0); "
        f"value {peak}",
        values={"max": float(peak), "argmax": 0.0},
    )


def tanh_derivative_max() -> Result:
    r"""$\max_z \tanh'(z) = 1$, attained only at $z = 0$.

    Example:
        >>> tanh_derivative_max().verified
        True
    """
    g = 1 - _t**2
    critical = sp.solve(sp.diff(g, _t), _t)
    peak = g.subs(_t, critical[0])
    ok = (
        critical == [0]
        and sp.diff(g, _t, 2) < 0
        and tanh(sp.Integer(0)) == 0
        and sp.diff(tanh(z), z).subs(z, 0) == peak == 1
    )
    return result(
        "activations.tanh_derivative_max",
        claim="tanh' is at most 1, reached only at z = 0 (four times sigmoid's peak slope)",
        statement=r"\max_z \tanh'(z) = \tanh'(0) = 1",
        verified=ok,
        detail=f"1 - t^2 has its only critical point at t = 0 = tanh(0); value {peak}",
        values={"max": float(peak), "argmax": 0.0},
    )


def saturation() -> Result:
    r"""$\sigma'(z) \to 0$ and $\tanh'(z) \to 0$ as $|z| \to \infty$ (vanishing gradients).

    Example:
        >>> saturation().verified
        True
    """
    ds, dt = sp.diff(sigmoid(z), z), sp.diff(tanh(z), z)
    limits = [sp.limit(d, z, end) for d in (ds, dt) for end in (-sp.oo, sp.oo)]
    table = {str(x): float(ds.subs(z, x)) for x in (0, 2, 5, 10, 20)}
    depth = {str(k): float(sp.Rational(1, 4) ** k) for k in (1, 5, 10)}
    return result(
        "activations.saturation",
        claim="sigmoid' and tanh' tend to 0 as |z| grows, though they never equal 0; through "
        "k sigmoid layers the chain rule multiplies k factors of at most 1/4 "
        "(vanishing gradients)",
        statement=r"\lim_{|z|\to\infty} \sigma'(z) = \lim_{|z|\to\infty}\tanh'(z) = 0,\quad "
        r"\prod_{i=1}^k \sigma'(z_i) \le 4^{-k}",
        verified=all(limit == 0 for limit in limits),
        detail=f"limits at -oo/+oo: {limits}; sigma'(z) at z = 0, 2, 5, 10, 20: "
        + ", ".join(f"{v:.3g}" for v in table.values()),
        values={"sigmoid_prime": table, "four_to_minus_k": depth},
    )


def _mean_under_normal(f: sp.Expr, mean: float) -> float:
    fn = sp.lambdify(z, f, modules="mpmath")
    density = lambda x: mpmath.npdf(x, mean, 1)  # noqa: E731 - a one-line integrand
    with mpmath.workdps(20):
        return float(mpmath.quad(lambda x: fn(x) * density(x), [-mpmath.inf, mean, mpmath.inf]))


def centring() -> Result:
    r"""Mean outputs: 1/2 for sigmoid and 0 for tanh when inputs are symmetric about 0.

    The symmetry $\sigma(-z) = 1 - \sigma(z)$ gives $\mathbb E\,\sigma(Z) = 1/2$ for any
    $Z$ symmetric about 0, and oddness gives $\mathbb E \tanh(Z) = 0$; for other inputs
    the means move, as the $N(1, 1)$ row shows.

    Example:
        >>> centring().values["sigmoid_N(0,1)"]
        0.5
    """
    means = {
        f"{name}_N({m},1)": _mean_under_normal(f, m)
        for name, f in (("sigmoid", sigmoid(z)), ("tanh", tanh(z)))
        for m in (0, 1)
    }
    ok = (
        abs(means["sigmoid_N(0,1)"] - 0.5) < 1e-12
        and abs(means["tanh_N(0,1)"]) < 1e-12
        and means["sigmoid_N(1,1)"] > 0.6
        and means["tanh_N(1,1)"] > 0.5
    )
    return result(
        "activations.centring",
        claim="for inputs symmetric about 0 the mean output is 1/2 for sigmoid and 0 for "
        "tanh; for other inputs both means shift",
        statement=r"Z \overset{d}{=} -Z \implies \mathbb E\,\sigma(Z) = \tfrac12,\ "
        r"\mathbb E \tanh(Z) = 0",
        verified=ok,
        detail=", ".join(f"E {k} = {v:.6f}" for k, v in means.items()),
        values=means,
    )


def tanh_not_arctan() -> Result:
    r"""tanh is the hyperbolic tangent, not the arctangent.

    Example:
        >>> tanh_not_arctan().verified
        True
    """
    at_one = (tanh(sp.Integer(1)), sp.atan(1))
    ranges = (sp.limit(tanh(z), z, sp.oo), sp.limit(sp.atan(z), z, sp.oo))
    derivative_gap = sp.diff(sp.atan(z), z) - sp.diff(tanh(z), z)
    ok = abs(float(at_one[0] - at_one[1])) > 0.02 and ranges == (1, sp.pi / 2)
    return result(
        "activations.tanh_not_arctan",
        claim="tanh(z) = (e^z - e^-z)/(e^z + e^-z) is the hyperbolic tangent; it differs "
        "from the arctangent (tanh(1) = 0.7616 but atan(1) = pi/4 = 0.7854; tanh tends to 1, "
        "atan to pi/2)",
        statement=r"\tanh(1) \approx 0.7616 \ne \tfrac{\pi}{4} = \arctan(1),\quad "
        r"\lim_{z\to\infty}\tanh z = 1 \ne \tfrac{\pi}{2}",
        verified=ok and abs(float(derivative_gap.subs(z, 1))) > 0.05,
        detail=f"tanh(1) = {float(at_one[0]):.6f}, atan(1) = {float(at_one[1]):.6f}; "
        f"limits at +oo: {ranges}",
        values={"tanh(1)": float(at_one[0]), "atan(1)": float(at_one[1])},
    )
