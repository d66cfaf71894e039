"""Maclaurin series, Lagrange remainders, radii of convergence, and a flat function.

Series are computed from the ``exp``-based definitions with ``sympy.series`` and
compared with textbook coefficient formulas (factorials, and Bernoulli numbers for
tanh and sigmoid); the Bernoulli formula also supplies the long polynomials used to
show divergence outside the radius of convergence.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import mpmath
import sympy as sp

from derivations._result import Result, result
from derivations.definitions import sigmoid

z = sp.Symbol("z", real=True)
_w = sp.Symbol("w")  # complex variable for the poles

#: Highest power kept in the Maclaurin checks (at least 11, past the first few terms).
ORDER = 13


def tanh_coefficient(k: int) -> sp.Rational:
    r"""Coefficient of $z^k$ in the Maclaurin series of $\tanh$, from Bernoulli numbers.

    $\tanh z = \sum_{m\ge1} \frac{2^{2m}(2^{2m}-1)B_{2m}}{(2m)!} z^{2m-1}$.

    Example:
        >>> [tanh_coefficient(k) for k in (1, 3, 5)]
        [1, -1/3, 2/15]
    """
    if k % 2 == 0:
        return sp.Integer(0)
    m = (k + 1) // 2
    return 2 ** (2 * m) * (2 ** (2 * m) - 1) * sp.bernoulli(2 * m) / sp.factorial(2 * m)


def sigmoid_coefficient(k: int) -> sp.Rational:
    r"""Coefficient of $z^k$ for sigmoid, via $\sigma(z) = \tfrac12 + \tfrac12\tanh(z/2)$.

    Example:
        >>> [sigmoid_coefficient(k) for k in (0, 1, 3)]
        [1/2, 1/4, -1/48]
    """
    return sp.Rational(1, 2) if k == 0 else tanh_coefficient(k) / 2 ** (k + 1)


def _closed_forms(k: int) -> dict[str, sp.Rational]:
    odd_sign = (-1) ** ((k - 1) // 2)
    return {
        "exp": 1 / sp.factorial(k),
        "sin": odd_sign / sp.factorial(k) if k % 2 else sp.Integer(0),
        "cos": (-1) ** (k // 2) / sp.factorial(k) if k % 2 == 0 else sp.Integer(0),
        "sigmoid": sigmoid_coefficient(k),
        "tanh": tanh_coefficient(k),
    }


def maclaurin() -> Result:
    r"""Exact Maclaurin coefficients of exp, sin, cos, sigmoid and tanh up to $z^{13}$.

    Example:
        >>> maclaurin().values["tanh"]["7"]
        '-17/315'
    """
    polys = {
        name: sp.series(f, z, 0, ORDER + 1).removeO()
        for name, f in (
            ("exp", sp.exp(z)),
            ("sin", sp.sin(z)),
            ("cos", sp.cos(z)),
            ("sigmoid", sigmoid(z)),
        )
    }
    # tanh(z) = 2 sigma(2z) - 1 (activations.tanh_from_sigmoid) turns sigmoid's series
    # into tanh's; expanding the exp form of tanh directly is several times slower.
    polys["tanh"] = sp.expand(2 * polys["sigmoid"].subs(z, 2 * z) - 1)
    table, ok = {}, True
    for name, poly in polys.items():
        coeffs = [poly.coeff(z, k) for k in range(ORDER + 1)]
        ok = ok and all(c.is_Rational for c in coeffs)
        ok = ok and all(c == _closed_forms(k)[name] for k, c in enumerate(coeffs))
        table[name] = {str(k): str(c) for k, c in enumerate(coeffs) if c != 0}
    return result(
        "taylor.maclaurin",
        claim=f"the Maclaurin series of exp, sin, cos, sigmoid and tanh have exact rational "
        f"coefficients, given through z^{ORDER} by factorials and Bernoulli numbers",
        statement=r"\tanh z = z - \tfrac{z^3}{3} + \tfrac{2z^5}{15} - \tfrac{17z^7}{315} + "
        r"\cdots,\quad \sigma(z) = \tfrac12 + \tfrac z4 - \tfrac{z^3}{48} + \tfrac{z^5}{480}"
        r" - \cdots",
        verified=ok,
        detail="sympy.series of the exp-based definitions equals the closed forms for every "
        f"coefficient up to z^{ORDER}; tanh: "
        + ", ".join(f"z^{k}: {c}" for k, c in table["tanh"].items()),
        values=table,
    )


def _taylor_poly(
    coefficient: Callable[[int], sp.Rational], degree: int, at: mpmath.mpf
) -> mpmath.mpf:
    exact = [sp.Rational(coefficient(k)) for k in range(degree + 1)]
    return mpmath.fsum(mpmath.mpf(c.p) / c.q * at**k for k, c in enumerate(exact))


def lagrange_remainder() -> Result:
    r"""Lagrange bounds hold: $|e^x - T_n| \le e^{\max(x,0)}\frac{|x|^{n+1}}{(n+1)!}$, and
    $|\sin x - T_n| \le \frac{|x|^{n+1}}{(n+1)!}$.

    Example:
        >>> lagrange_remainder().verified
        True
    """
    exp_c = lambda k: 1 / sp.factorial(k)  # noqa: E731 - coefficient tables
    sin_c = lambda k: _closed_forms(k)["sin"]  # noqa: E731
    grid = [mpmath.mpf(i) / 20 for i in range(-60, 61)]  # [-3, 3]
    worst = {}
    with mpmath.workdps(40):
        for degree in range(1, 12):
            ratios = []
            for t in grid:
                if t == 0:
                    continue
                scale = abs(t) ** (degree + 1) / mpmath.factorial(degree + 1)
                ratios.append(
                    abs(mpmath.exp(t) - _taylor_poly(exp_c, degree, t))
                    / (mpmath.exp(max(t, 0)) * scale)
                )
                ratios.append(abs(mpmath.sin(t) - _taylor_poly(sin_c, degree, t)) / scale)
            worst[str(degree)] = float(max(ratios))
    return result(
        "taylor.lagrange_remainder",
        claim="the Lagrange remainder bounds the Taylor error of exp and sin on [-3, 3] for "
        "every degree 1..11 (the error never exceeds the bound)",
        statement=r"|R_n(x)| = \frac{|f^{(n+1)}(\xi)|}{(n+1)!}|x|^{n+1} \le "
        r"\frac{M_{n+1}|x|^{n+1}}{(n+1)!}",
        verified=all(v <= 1 for v in worst.values()),
        detail="largest error/bound ratio by degree: "
        + ", ".join(f"{k}: {v:.3f}" for k, v in worst.items()),
        values={"max_ratio": worst},
    )


def _nearest_pole(denominator: sp.Expr) -> sp.Expr:
    poles = sp.solveset(denominator, _w, sp.S.Complexes)
    if not isinstance(poles, sp.ImageSet) or poles.base_sets[0] != sp.S.Integers:
        raise ValueError(f"expected poles indexed by the integers, got {poles}")
    # The poles lie on the imaginary axis, evenly spaced; indices -3..3 include the nearest.
    return min((sp.Abs(poles.lamda(m)) for m in range(-3, 4)), key=float)


def radii() -> Result:
    r"""Radius of convergence: $\pi$ for sigmoid, $\pi/2$ for tanh, set by complex poles.

    $1 + e^{-w} = 0$ at $w = \pm i\pi, \pm 3i\pi, \dots$ and $e^{2w} + 1 = 0$ at
    $w = \pm i\pi/2, \dots$; the root test on the Bernoulli coefficients agrees.

    Example:
        >>> radii().values["sigmoid"]["pole"]
        3.14159...
    """
    poles = {"sigmoid": _nearest_pole(1 + sp.exp(-_w)), "tanh": _nearest_pole(sp.exp(2 * _w) + 1)}
    degree = 81
    # Exact rational powers would make SymPy factor huge integers; floats suffice here.
    root_test = {
        "sigmoid": abs(float(sigmoid_coefficient(degree))) ** (-1 / degree),
        "tanh": abs(float(tanh_coefficient(degree))) ** (-1 / degree),
    }
    ok = poles == {"sigmoid": sp.pi, "tanh": sp.pi / 2} and all(
        abs(root_test[k] - float(poles[k])) < 0.05 for k in poles
    )
    return result(
        "taylor.radii",
        claim="the Maclaurin series of sigmoid converges only for |z| < pi and that of tanh "
        "only for |z| < pi/2: their nearest complex poles are at +-i pi and +-i pi/2",
        statement=r"R_\sigma = |\pm i\pi| = \pi,\quad R_{\tanh} = |\pm i\pi/2| = \pi/2",
        verified=ok,
        detail=f"nearest poles: {poles}; root test |c_{degree}|^(-1/{degree}): "
        + ", ".join(f"{k} {v:.4f}" for k, v in root_test.items()),
        values={k: {"pole": float(poles[k]), "root_test": root_test[k]} for k in poles},
    )


def divergence_outside() -> Result:
    r"""Taylor polynomials converge inside the radius and blow up outside it.

    Example:
        >>> divergence_outside().verified
        True
    """
    degrees = (5, 11, 21, 31, 41)
    cases = {
        ("sigmoid", 2): sigmoid_coefficient,
        ("sigmoid", 4): sigmoid_coefficient,
        ("tanh", 1): tanh_coefficient,
        ("tanh", 2): tanh_coefficient,
    }
    exact = {"sigmoid": lambda t: 1 / (1 + mpmath.exp(-t)), "tanh": mpmath.tanh}
    table = {}
    with mpmath.workdps(40):
        for (name, at), coefficient in cases.items():
            point = mpmath.mpf(at)
            table[f"{name}({at})"] = [
                float(abs(_taylor_poly(coefficient, d, point) - exact[name](point)))
                for d in degrees
            ]
    shrinks = [table["sigmoid(2)"], table["tanh(1)"]]
    grows = [table["sigmoid(4)"], table["tanh(2)"]]
    ok = all(r[-1] < 1e-4 and r[-1] < r[0] for r in shrinks)
    ok = ok and all(all(a < b for a, b in itertools.pairwise(r)) and r[-1] > 1e3 for r in grows)
    return result(
        "taylor.divergence_outside",
        claim="inside the radius (sigmoid at 2 < pi, tanh at 1 < pi/2) the Taylor error falls "
        "with the degree; outside it (sigmoid at 4, tanh at 2) it grows without bound",
        statement=r"|T_N(x) - f(x)| \to 0 \ (|x| < R),\qquad |T_N(x)| \to \infty \ (|x| > R)",
        verified=ok,
        detail=f"errors for degrees {degrees}: "
        + "; ".join(f"{k}: " + ", ".join(f"{v:.1e}" for v in row) for k, row in table.items()),
        values={"degrees": list(degrees), "errors": table},
    )


def flat_function() -> Result:
    r"""$e^{-1/x^2}$ is smooth, all its derivatives vanish at 0, yet it is not 0.

    Its Maclaurin series is identically 0, so it converges everywhere, to the wrong function.

    Example:
        >>> flat_function().verified
        True
    """
    x = sp.Symbol("x", real=True)
    f = sp.exp(-1 / x**2)
    derivatives = [sp.limit(sp.diff(f, x, k), x, 0, side) for k in range(5) for side in "+-"]
    ok = all(d == 0 for d in derivatives) and f.subs(x, 1) == sp.exp(-1)
    return result(
        "taylor.flat_function",
        claim="a smooth function need not equal its Taylor series: exp(-1/x^2) (with value 0 "
        "at 0) has every derivative 0 at 0, so its series is 0, but the function is not",
        statement=r"f(x) = e^{-1/x^2},\ f^{(k)}(0) = 0\ \forall k,\ f(1) = e^{-1} \ne 0",
        verified=ok,
        detail=f"one-sided limits of f^(k) at 0 for k = 0..4: {derivatives}; f(1) = exp(-1)",
    )


CHECKS = (maclaurin, lagrange_remainder, radii, divergence_outside, flat_function)
