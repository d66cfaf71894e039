"""Activation functions: ranges, symmetry, centring, peak slopes and saturation.

These checks belong to the ``activations`` topic (their ids start with
``activations.``); they live in their own module to keep each file short.
"""

from __future__ import annotations

import mpmath
import sympy as sp

from derivations._algebra import eq, evaluate, identity
from derivations._result import Result, result
from derivations.definitions import NormalPdf, Sigmoid, Tanh, sigmoid, tanh, unfold, z

_s = sp.Symbol("s", positive=True)  # stands for sigma(z), which ranges over (0, 1)
_t = sp.Symbol("t", real=True)  # stands for tanh(z), which ranges over (-1, 1)
_oo = sp.oo


def _lt(lhs: sp.Expr, rhs: sp.Expr) -> sp.Lt:
    return sp.Lt(lhs, rhs, evaluate=False)


def _gt(lhs: sp.Expr, rhs: sp.Expr) -> sp.Gt:
    return sp.Gt(lhs, rhs, evaluate=False)


def _limits(f: sp.Expr) -> tuple[tuple[sp.Limit, sp.Limit], tuple[sp.Expr, sp.Expr]]:
    ends = (sp.Limit(f, z, -_oo), sp.Limit(f, z, _oo))
    return ends, (evaluate(ends[0]), evaluate(ends[1]))


def sigmoid_range() -> Result:
    r"""$0 < \sigma(z) < 1$ for every real $z$, with the bounds approached, never reached.

    Examples:
        >>> sigmoid_range().statement.split(r",\quad ")[:2]
        ['0 < \\sigma{\\left(z \\right)}', '\\sigma{\\left(z \\right)} < 1']
    """
    s = sigmoid(z)
    upper_gap = sp.cancel(1 - s)
    ends, limits = _limits(Sigmoid(z))
    ok = s.is_positive and upper_gap.is_positive and limits == (0, 1)
    return result(
        "activations.sigmoid_range",
        claim="sigmoid maps the real line into the open interval (0, 1)",
        statement=(
            _lt(0, Sigmoid(z)),
            _lt(Sigmoid(z), 1),
            eq(ends[0], limits[0]),
            eq(ends[1], limits[1]),
        ),
        verified=ok,
        detail=f"sigma > 0 and 1 - sigma = {upper_gap} > 0 since e^z > 0; limits {limits}",
        steps=(eq(Sigmoid(z), s), _gt(s, 0), eq(1 - Sigmoid(z), upper_gap), _gt(upper_gap, 0)),
    )


def sigmoid_symmetry() -> Result:
    r"""$\sigma(-z) = 1 - \sigma(z)$: sigmoid is symmetric about the point $(0, 1/2)$.

    Examples:
        >>> sigmoid_symmetry().verified
        True
    """
    holds, steps = identity(Sigmoid(-z), 1 - Sigmoid(z))
    return result(
        "activations.sigmoid_symmetry",
        claim="sigmoid(-z) = 1 - sigmoid(z), so sigmoid is centred on 1/2, not on 0",
        statement=eq(Sigmoid(-z), 1 - Sigmoid(z)),
        verified=holds,
        detail="cancel(sigma(-z) - 1 + sigma(z)) == 0",
        steps=steps,
    )


def tanh_odd() -> Result:
    r"""$\tanh(-z) = -\tanh(z)$ and $-1 < \tanh(z) < 1$.

    Examples:
        >>> tanh_odd().verified
        True
    """
    odd, steps = identity(Tanh(-z), -Tanh(z))
    gaps = {1 - Tanh(z): sp.cancel(1 - tanh(z)), 1 + Tanh(z): sp.cancel(1 + tanh(z))}
    ends, limits = _limits(Tanh(z))
    return result(
        "activations.tanh_odd",
        claim="tanh is odd (centred on 0) and maps the real line into (-1, 1)",
        statement=(
            eq(Tanh(-z), -Tanh(z)),
            _lt(-1, Tanh(z)),
            _lt(Tanh(z), 1),
            eq(ends[0], limits[0]),
            eq(ends[1], limits[1]),
        ),
        verified=odd and all(gap.is_positive for gap in gaps.values()) and limits == (-1, 1),
        detail=f"cancel(tanh(-z) + tanh(z)) == 0; 1 -/+ tanh = {list(gaps.values())} > 0; "
        f"limits {limits}",
        steps=(*steps, *(f for named, gap in gaps.items() for f in (eq(named, gap), _gt(gap, 0)))),
    )


def sigmoid_smooth() -> Result:
    r"""Sigmoid is differentiable everywhere and its derivative is positive everywhere.

    Examples:
        >>> sigmoid_smooth().verified
        True
    """
    derivative = sp.Derivative(Sigmoid(z), z)
    d = evaluate(derivative)
    # 1 + e^{-z} > 0 for real z: the quotient of smooth functions has no pole on R.
    denominator = 1 + sp.exp(-z)
    return result(
        "activations.sigmoid_smooth",
        claim="sigmoid is differentiable at every real z and sigmoid'(z) > 0 everywhere, "
        "so its gradient is never exactly 0",
        statement=(_gt(derivative, 0), sp.Contains(z, sp.Reals, evaluate=False)),
        verified=denominator.is_positive and d.is_positive,
        detail=f"sigma' = {d}; its denominator never vanishes and every factor is positive",
        steps=(eq(derivative, d), _gt(denominator, 0), _gt(d, 0)),
    )


def _peak(
    derivative: sp.Expr, inner: sp.Expr, g: sp.Expr, u: sp.Symbol
) -> tuple[bool, sp.Expr, tuple[sp.Basic, ...]]:
    # derivative = g(u) with u = inner(z), a bijection onto u's range: the peak of the
    # derivative is g's only critical point, if g is concave there.
    critical = sp.solve(sp.diff(g, u), u)
    peak = g.subs(u, critical[0])
    curvature = sp.diff(g, u, 2)
    at_zero = sp.Subs(derivative, z, 0)
    ok = (
        len(critical) == 1
        and curvature < 0
        and evaluate(inner.subs(z, 0)) == critical[0]
        and evaluate(at_zero) == peak
    )
    steps = (
        eq(sp.Derivative(g, u), sp.diff(g, u)),
        eq(u, critical[0]),
        eq(sp.Derivative(g, (u, 2)), curvature),
        eq(inner.subs(z, 0), critical[0]),
        eq(at_zero, peak),
    )
    return ok, peak, steps


def sigmoid_derivative_max() -> Result:
    r"""$\max_z \sigma'(z) = 1/4$, attained only at $z = 0$.

    Writing $s = \sigma(z) \in (0, 1)$ (a bijection, as $\sigma' > 0$), $\sigma' = s(1-s)$,
    a downward parabola in $s$ whose only critical point is $s = 1/2$, i.e. $z = 0$.

    Examples:
        >>> sigmoid_derivative_max().verified
        True
    """
    derivative = sp.Derivative(Sigmoid(z), z)
    chain, _ = identity(derivative, Sigmoid(z) * (1 - Sigmoid(z)))
    ok, peak, steps = _peak(derivative, Sigmoid(z), _s * (1 - _s), _s)
    return result(
        "activations.sigmoid_derivative_max",
        claim="sigmoid' is at most 1/4, reached only at z = 0",
        statement=(sp.Le(derivative, peak, evaluate=False), eq(sp.Subs(derivative, z, 0), peak)),
        verified=chain and ok and peak == sp.Rational(1, 4),
        detail=f"sigma' = s (1 - s) with s = sigma(z); its only critical point is s = 1/2 = "
        f"sigma(0); value {peak}",
        values={"max": float(peak), "argmax": 0.0},
        steps=(eq(derivative, Sigmoid(z) * (1 - Sigmoid(z))), *steps),
    )


def tanh_derivative_max() -> Result:
    r"""$\max_z \tanh'(z) = 1$, attained only at $z = 0$.

    Examples:
        >>> tanh_derivative_max().verified
        True
    """
    derivative = sp.Derivative(Tanh(z), z)
    chain, _ = identity(derivative, 1 - Tanh(z) ** 2)
    ok, peak, steps = _peak(derivative, Tanh(z), 1 - _t**2, _t)
    return result(
        "activations.tanh_derivative_max",
        claim="tanh' is at most 1, reached only at z = 0 (four times sigmoid's peak slope)",
        statement=(sp.Le(derivative, peak, evaluate=False), eq(sp.Subs(derivative, z, 0), peak)),
        verified=chain and ok and peak == 1,
        detail=f"tanh' = 1 - t^2 with t = tanh(z); its only critical point is t = 0 = "
        f"tanh(0); value {peak}",
        values={"max": float(peak), "argmax": 0.0},
        steps=(eq(derivative, 1 - Tanh(z) ** 2), *steps),
    )


def saturation() -> Result:
    r"""$\sigma'(z) \to 0$ and $\tanh'(z) \to 0$ as $|z| \to \infty$ (vanishing gradients).

    Examples:
        >>> saturation().verified
        True
    """
    derivatives = (sp.Derivative(Sigmoid(z), z), sp.Derivative(Tanh(z), z))
    ends = [sp.Limit(d, z, end) for d in derivatives for end in (-_oo, _oo)]
    limits = [evaluate(end) for end in ends]
    ds = evaluate(derivatives[0])
    table = {str(x): float(ds.subs(z, x)) for x in (0, 2, 5, 10, 20)}
    depth = {str(k): float(sp.Rational(1, 4) ** k) for k in (1, 5, 10)}
    return result(
        "activations.saturation",
        claim="sigmoid' and tanh' tend to 0 as |z| grows, though they never equal 0; through "
        "k sigmoid layers the chain rule multiplies k factors of at most 1/4 "
        "(vanishing gradients)",
        statement=[eq(end, limit) for end, limit in zip(ends, limits, strict=True)],
        verified=all(limit == 0 for limit in limits),
        detail=f"limits at -oo/+oo: {limits}; sigma'(z) at z = 0, 2, 5, 10, 20: "
        + ", ".join(f"{v:.3g}" for v in table.values()),
        values={"sigmoid_prime": table, "four_to_minus_k": depth},
        steps=[eq(d, evaluate(d)) for d in derivatives],
    )


def _mean(integral: sp.Integral, centre: int) -> float:
    integrand, (variable, *_) = integral.args[0], integral.limits[0]
    # cse: tanh's definition repeats e^z and e^-z; each is then computed once per point.
    fn = sp.lambdify(variable, unfold(integrand), modules="mpmath", cse=True)
    with mpmath.workdps(20):
        return float(mpmath.quad(fn, [-mpmath.inf, centre, mpmath.inf]))


def centring() -> Result:
    r"""Mean outputs: 1/2 for sigmoid and 0 for tanh when inputs are symmetric about 0.

    The symmetry $\sigma(-z) = 1 - \sigma(z)$ gives $\mathbb E\,\sigma(Z) = 1/2$ for any
    $Z$ symmetric about 0, and oddness gives $\mathbb E \tanh(Z) = 0$; for other inputs
    the means move, as the $N(1, 1)$ row shows. The means are integrals against the
    normal density, computed by mpmath quadrature.

    Examples:
        >>> centring().values["sigmoid_N(0,1)"]
        0.5
    """
    integrals = {
        (f"{name}_N({m},1)", m): sp.Integral(f * NormalPdf(z - m), (z, -_oo, _oo))
        for name, f in (("sigmoid", Sigmoid(z)), ("tanh", Tanh(z)))
        for m in (0, 1)
    }
    means = {name: _mean(integral, m) for (name, m), integral in integrals.items()}
    integrals = {name: integral for (name, _), integral in integrals.items()}
    # Symmetric inputs: the exact values (to quadrature accuracy); shifted inputs: bounds.
    exact = {"sigmoid_N(0,1)": sp.Rational(1, 2), "tanh_N(0,1)": sp.Integer(0)}
    above = {"sigmoid_N(1,1)": sp.Rational(3, 5), "tanh_N(1,1)": sp.Rational(1, 2)}
    ok = all(abs(means[k] - v) < 1e-12 for k, v in exact.items()) and all(
        means[k] > v for k, v in above.items()
    )
    return result(
        "activations.centring",
        claim="for inputs symmetric about 0 the mean output is 1/2 for sigmoid and 0 for "
        "tanh; for other inputs both means shift",
        statement=[eq(integrals[k], v) for k, v in exact.items()],
        verified=ok,
        detail=", ".join(f"E {k} = {v:.6f}" for k, v in means.items()),
        values=means,
        steps=[_gt(integrals[k], v) for k, v in above.items()],
    )


def tanh_not_arctan() -> Result:
    r"""tanh is the hyperbolic tangent, not the arctangent.

    Examples:
        >>> tanh_not_arctan().verified
        True
    """
    one = sp.Integer(1)
    gap = sp.Abs(tanh(one) - sp.atan(one))
    ends = (sp.Limit(Tanh(z), z, _oo), sp.Limit(sp.atan(z), z, _oo))
    limits = tuple(map(evaluate, ends))
    slope_gap = sp.Abs(sp.Subs(sp.Derivative(sp.atan(z), z) - sp.Derivative(Tanh(z), z), z, 1))
    bounds = (sp.Rational(1, 50), sp.Rational(1, 20))
    ok = gap > bounds[0] and limits == (1, sp.pi / 2) and evaluate(slope_gap) > bounds[1]
    return result(
        "activations.tanh_not_arctan",
        claim="tanh(z) = (e^z - e^-z)/(e^z + e^-z) is the hyperbolic tangent; it differs "
        "from the arctangent (tanh(1) = 0.7616 but atan(1) = pi/4 = 0.7854; tanh tends to 1, "
        "atan to pi/2)",
        statement=(
            sp.Ne(Tanh(one), sp.atan(one), evaluate=False),
            eq(ends[0], limits[0]),
            eq(ends[1], limits[1]),
        ),
        verified=ok,
        detail=f"tanh(1) = {float(tanh(one)):.6f}, atan(1) = {float(sp.atan(one)):.6f}; "
        f"limits at +oo: {limits}",
        values={"tanh(1)": float(tanh(one)), "atan(1)": float(sp.atan(one))},
        steps=(eq(Tanh(one), tanh(one)), _gt(gap, bounds[0]), _gt(slope_gap, bounds[1])),
    )
