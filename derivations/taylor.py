"""Maclaurin series, Lagrange remainders, radii of convergence, and a flat function.

Series are computed from the ``exp``-based definitions by exact power-series arithmetic
and compared with textbook coefficient formulas (factorials, and Bernoulli numbers for
tanh and sigmoid); the Bernoulli formula also supplies the long polynomials used to
show divergence outside the radius of convergence.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable

import mpmath
import sympy as sp
from sympy.polys import ring_series
from sympy.polys.domains import QQ
from sympy.polys.rings import ring

from derivations._algebra import eq
from derivations._result import Result, result
from derivations.definitions import Sigmoid, Tanh, sigmoid, tanh

z = sp.Symbol("z", real=True)
_w = sp.Symbol("w")  # complex variable for the poles
_k, _m, _n = sp.symbols("k m n", integer=True, nonnegative=True)

#: Highest power kept in the Maclaurin checks (at least 11, past the first few terms).
ORDER = 13

_SERIES_RULES = {
    sp.exp: ring_series.rs_exp,
    sp.sin: ring_series.rs_sin,
    sp.cos: ring_series.rs_cos,
}


def maclaurin_polynomial(expr: sp.Expr, order: int) -> sp.Expr:
    r"""The Maclaurin polynomial of ``expr`` in ``z`` through $z^{order}$, exactly.

    Power series with rational coefficients (``sympy.polys.ring_series``) are combined
    along the expression tree: sums, products, integer powers (a reciprocal is a series
    inversion), and ``exp``, ``sin``, ``cos`` of a series. As exact as ``sympy.series``
    and a hundred times faster on nested exponentials such as sigmoid.

    Args:
        expr: An expression in ``z`` built from those pieces and rational numbers.
        order: The highest power kept.

    Returns:
        The polynomial, with rational coefficients.

    Raises:
        ValueError: ``expr`` contains a piece without a rule (e.g. ``log``).

    Examples:
        >>> maclaurin_polynomial(sigmoid(z), 5)
        z**5/480 - z**3/48 + z/4 + 1/2
    """
    series_ring, t = ring("t", QQ)
    precision = order + 1

    def walk(e: sp.Expr) -> object:
        if e == z:
            return t
        if e.is_Rational:
            return series_ring(e)
        if e.is_Add:
            return sum((walk(a) for a in e.args), series_ring(0))
        if e.is_Mul:
            factors = map(walk, e.args)
            return functools.reduce(lambda a, b: ring_series.rs_mul(a, b, t, precision), factors)
        if e.is_Pow and e.exp.is_Integer:
            return ring_series.rs_pow(walk(e.base), int(e.exp), t, precision)
        if e.func in _SERIES_RULES:
            return _SERIES_RULES[e.func](walk(e.args[0]), t, precision)
        raise ValueError(f"no power-series rule for {e} (in {expr})")

    terms = walk(expr).terms()
    return sp.Add(*(sp.Rational(int(c.numerator), int(c.denominator)) * z**k for (k,), c in terms))


def tanh_coefficient(k: int) -> sp.Rational:
    r"""Coefficient of $z^k$ in the Maclaurin series of $\tanh$, from Bernoulli numbers.

    $\tanh z = \sum_{m\ge1} \frac{2^{2m}(2^{2m}-1)B_{2m}}{(2m)!} z^{2m-1}$.

    Examples:
        >>> [tanh_coefficient(k) for k in (1, 3, 5)]
        [1, -1/3, 2/15]
    """
    if k % 2 == 0:
        return sp.Integer(0)
    return _TANH_TERM.subs(_m, (k + 1) // 2)


def sigmoid_coefficient(k: int) -> sp.Rational:
    r"""Coefficient of $z^k$ for sigmoid, via $\sigma(z) = \tfrac12 + \tfrac12\tanh(z/2)$.

    Examples:
        >>> [sigmoid_coefficient(k) for k in (0, 1, 3)]
        [1/2, 1/4, -1/48]
    """
    return sp.Rational(1, 2) if k == 0 else tanh_coefficient(k) / 2 ** (k + 1)


# The textbook series, term by term: z^k / k!, (-1)^m z^(2m+1) / (2m+1)!, ..., and the
# Bernoulli-number series of tanh (m >= 1) and of sigmoid = 1/2 + tanh(z/2)/2.
_TANH_TERM = 2 ** (2 * _m) * (2 ** (2 * _m) - 1) * sp.bernoulli(2 * _m) / sp.factorial(2 * _m)
_HALF = (ORDER + 1) // 2
_SERIES = {
    "exp": (sp.exp(z), sp.Sum(z**_k / sp.factorial(_k), (_k, 0, ORDER))),
    "sin": (
        sp.sin(z),
        sp.Sum((-1) ** _m * z ** (2 * _m + 1) / sp.factorial(2 * _m + 1), (_m, 0, _HALF - 1)),
    ),
    "cos": (
        sp.cos(z),
        sp.Sum((-1) ** _m * z ** (2 * _m) / sp.factorial(2 * _m), (_m, 0, _HALF - 1)),
    ),
    "sigmoid": (
        Sigmoid(z),
        sp.Rational(1, 2) + sp.Sum(_TANH_TERM / 2 ** (2 * _m) * z ** (2 * _m - 1), (_m, 1, _HALF)),
    ),
    "tanh": (Tanh(z), sp.Sum(_TANH_TERM * z ** (2 * _m - 1), (_m, 1, _HALF))),
}
_DEFINITIONS = {
    "exp": sp.exp(z),
    "sin": sp.sin(z),
    "cos": sp.cos(z),
    "sigmoid": sigmoid(z),
    "tanh": tanh(z),
}


def _with_remainder(series: sp.Expr, remainder: sp.Order) -> sp.Expr:
    # Left unevaluated: adding an Order makes SymPy test whether each term lies inside it.
    return sp.Add(*sp.Add.make_args(series), remainder, evaluate=False)


def maclaurin() -> Result:
    r"""Exact Maclaurin coefficients of exp, sin, cos, sigmoid and tanh up to $z^{13}$.

    Examples:
        >>> maclaurin().values["tanh"]["7"]
        '-17/315'
    """
    table, ok, found = {}, True, {}
    for name, (_, textbook) in _SERIES.items():
        poly = maclaurin_polynomial(_DEFINITIONS[name], ORDER)
        coeffs = [poly.coeff(z, k) for k in range(ORDER + 1)]
        ok = ok and all(c.is_Rational for c in coeffs) and sp.expand(poly - textbook.doit()) == 0
        table[name] = {str(k): str(c) for k, c in enumerate(coeffs) if c != 0}
        found[name] = poly
    remainder = sp.O(z ** (ORDER + 1))
    return result(
        "taylor.maclaurin",
        claim=f"the Maclaurin series of exp, sin, cos, sigmoid and tanh have exact rational "
        f"coefficients, given through z^{ORDER} by factorials and Bernoulli numbers",
        statement=[
            eq(_SERIES[name][0], _with_remainder(_SERIES[name][1], remainder))
            for name in ("sigmoid", "tanh")
        ],
        verified=ok,
        detail="power-series arithmetic on the exp-based definitions equals the closed forms "
        f"for every coefficient up to z^{ORDER}; tanh: "
        + ", ".join(f"z^{k}: {c}" for k, c in table["tanh"].items()),
        values=table,
        steps=[
            *(
                eq(function, _with_remainder(textbook, remainder))
                for function, textbook in (
                    v for k, v in _SERIES.items() if k in ("exp", "sin", "cos")
                )
            ),
            *(
                eq(_SERIES[name][0], _with_remainder(found[name], remainder))
                for name in ("sigmoid", "tanh")
            ),
        ],
    )


@functools.cache
def _exact_coefficients(coefficient: Callable[[int], sp.Rational], degree: int) -> tuple:
    return tuple(sp.Rational(coefficient(k)) for k in range(degree + 1))


def _taylor_poly(
    coefficient: Callable[[int], sp.Rational], degree: int, at: mpmath.mpf
) -> mpmath.mpf:
    exact = _exact_coefficients(coefficient, degree)
    return mpmath.fsum(mpmath.mpf(c.p) / c.q * at**k for k, c in enumerate(exact))


_x = sp.Symbol("x", real=True)
# f, its Taylor polynomial T_n, and the bound M_{n+1} |x|^{n+1} / (n+1)! on the error,
# with M_{n+1} the largest |f^{(n+1)}| between 0 and x.
_LAGRANGE = {
    "exp": (
        sp.exp(_x),
        sp.Sum(_x**_k / sp.factorial(_k), (_k, 0, _n)),
        sp.exp(sp.Max(_x, 0)) * sp.Abs(_x) ** (_n + 1) / sp.factorial(_n + 1),
    ),
    "sin": (
        sp.sin(_x),
        sp.Sum(sp.sin(_k * sp.pi / 2) * _x**_k / sp.factorial(_k), (_k, 0, _n)),
        sp.Abs(_x) ** (_n + 1) / sp.factorial(_n + 1),
    ),
}


@functools.cache
def _lagrange_functions(name: str) -> tuple[Callable, Callable]:
    # f(x) and its bound as functions of (x, n), for mpmath.
    function, _, bound = _LAGRANGE[name]
    return (
        sp.lambdify(_x, function, modules="mpmath"),
        sp.lambdify((_x, _n), bound, modules="mpmath"),
    )


def _worst_ratio(name: str, degree: int, grid: list[mpmath.mpf]) -> mpmath.mpf:
    # max over the grid of |f - T_n| / bound, T_n summed out exactly for n = degree.
    taylor = _LAGRANGE[name][1]
    poly = sp.Poly(taylor.subs(_n, degree).doit(), _x).all_coeffs()
    coefficients = [mpmath.mpf(c.p) / c.q for c in poly]
    f, bound = _lagrange_functions(name)
    return max(abs(f(t) - mpmath.polyval(coefficients, t)) / bound(t, degree) for t in grid)


def lagrange_remainder() -> Result:
    r"""Lagrange bounds hold: $|e^x - T_n| \le e^{\max(x,0)}\frac{|x|^{n+1}}{(n+1)!}$, and
    $|\sin x - T_n| \le \frac{|x|^{n+1}}{(n+1)!}$.

    Examples:
        >>> lagrange_remainder().verified
        True
    """
    grid = [mpmath.mpf(i) / 20 for i in range(-60, 61) if i != 0]  # [-3, 3] without 0
    worst = {}
    with mpmath.workdps(40):
        for degree in range(1, 12):
            worst[str(degree)] = float(max(_worst_ratio(name, degree, grid) for name in _LAGRANGE))
    return result(
        "taylor.lagrange_remainder",
        claim="the Lagrange remainder bounds the Taylor error of exp and sin on [-3, 3] for "
        "every degree 1..11 (the error never exceeds the bound)",
        statement=(
            *(sp.Le(sp.Abs(f - t), b, evaluate=False) for f, t, b in _LAGRANGE.values()),
            sp.Contains(_x, sp.Interval(-3, 3), evaluate=False),
        ),
        verified=all(v <= 1 for v in worst.values()),
        detail="largest error/bound ratio by degree: "
        + ", ".join(f"{k}: {v:.3f}" for k, v in worst.items()),
        values={"max_ratio": worst},
    )


def _nearest_pole(denominator: sp.Expr) -> tuple[sp.Set, list[sp.Expr], sp.Expr]:
    poles = sp.solveset(denominator, _w, sp.S.Complexes)
    if not isinstance(poles, sp.ImageSet) or poles.base_sets[0] != sp.S.Integers:
        raise ValueError(f"expected poles indexed by the integers, got {poles}")
    # The poles lie on the imaginary axis, evenly spaced; indices -3..3 include the nearest.
    distances = sorted({sp.Abs(poles.lamda(m)) for m in range(-3, 4)}, key=float)
    return poles, distances, distances[0]


def radii() -> Result:
    r"""Radius of convergence: $\pi$ for sigmoid, $\pi/2$ for tanh, set by complex poles.

    $1 + e^{-w} = 0$ at $w = \pm i\pi, \pm 3i\pi, \dots$ and $e^{2w} + 1 = 0$ at
    $w = \pm i\pi/2, \dots$; the root test on the Bernoulli coefficients agrees.

    Examples:
        >>> radii().values["sigmoid"]["pole"]
        3.14159...
    """
    denominators = {"sigmoid": 1 + sp.exp(-_w), "tanh": sp.exp(2 * _w) + 1}
    found = {name: _nearest_pole(d) for name, d in denominators.items()}
    poles = {name: nearest for name, (_, _, nearest) in found.items()}
    degree = 81
    coefficients = {"sigmoid": sigmoid_coefficient(degree), "tanh": tanh_coefficient(degree)}
    # Exact rational powers would make SymPy factor huge integers; floats suffice here.
    root_test = {k: abs(float(c)) ** (-1 / degree) for k, c in coefficients.items()}
    ok = poles == {"sigmoid": sp.pi, "tanh": sp.pi / 2} and all(
        abs(root_test[k] - float(poles[k])) < 0.05 for k in poles
    )
    return result(
        "taylor.radii",
        claim="the Maclaurin series of sigmoid converges only for |z| < pi and that of tanh "
        "only for |z| < pi/2: their nearest complex poles are at +-i pi and +-i pi/2",
        statement=[
            sp.Equivalent(eq(denominators[k], 0), sp.Contains(_w, found[k][0], evaluate=False))
            for k in denominators
        ]
        + [eq(sp.Min(*found[k][1], evaluate=False), poles[k]) for k in poles],
        verified=ok,
        detail=f"nearest poles: {poles}; root test |c_{degree}|^(-1/{degree}): "
        + ", ".join(f"{k} {v:.4f}" for k, v in root_test.items()),
        values={k: {"pole": float(poles[k]), "root_test": root_test[k]} for k in poles},
        steps=[
            sp.Lt(sp.Abs(sp.Float(root_test[k], 6) - poles[k]), sp.Rational(1, 20), evaluate=False)
            for k in poles
        ],
    )


def divergence_outside() -> Result:
    r"""Taylor polynomials converge inside the radius and blow up outside it.

    $T_N(x) = \sum_{k=0}^{N} c_k x^k$ with the exact coefficients of
    :func:`sigmoid_coefficient` and :func:`tanh_coefficient`, evaluated at 40 digits.

    Examples:
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
        statement=[_error_bound(name, at, degrees[-1]) for name, at in cases],
        verified=ok,
        detail=f"errors for degrees {degrees}: "
        + "; ".join(f"{k}: " + ", ".join(f"{v:.1e}" for v in row) for k, row in table.items()),
        values={"degrees": list(degrees), "errors": table},
    )


def _error_bound(name: str, at: int, degree: int) -> sp.Rel:
    # |T_N(at) - f(at)| < 10^-4 inside the radius, > 10^3 outside it, as the table checks.
    coefficients = sp.IndexedBase(f"c_{name}")
    polynomial = sp.Sum(coefficients[_k] * _x**_k, (_k, 0, _n))
    function = {"sigmoid": Sigmoid, "tanh": Tanh}[name]
    error = sp.Abs(sp.Subs(polynomial, (_x, _n), (at, degree)) - function(at))
    inside = at < {"sigmoid": 3, "tanh": 1.5}[name]
    if inside:
        return sp.Lt(error, sp.Rational(1, 10**4), evaluate=False)
    return sp.Gt(error, sp.Integer(10**3), evaluate=False)


def flat_function() -> Result:
    r"""$e^{-1/x^2}$ is smooth, all its derivatives vanish at 0, yet it is not 0.

    Its Maclaurin series is identically 0, so it converges everywhere, to the wrong function.
    The limit from the right is taken as $u = 1/x \to \infty$, the same limit and a simpler
    one for SymPy's Gruntz algorithm; $f$ is even, so $f^{(k)}(-x) = (-1)^k f^{(k)}(x)$
    (checked) and the limit from the left is $(-1)^k$ times it.

    Examples:
        >>> flat_function().verified
        True
    """
    u = sp.Symbol("u", positive=True)
    f = sp.exp(-1 / _x**2)
    derivatives = [sp.diff(f, _x, k) for k in range(5)]
    right = [(sp.Limit(d, _x, 0, "+"), sp.Limit(d.subs(_x, 1 / u), u, sp.oo)) for d in derivatives]
    values = [limit.doit() for _, limit in right]
    mirrored = all(
        sp.expand(d.subs(_x, -_x) - (-1) ** k * d) == 0 for k, d in enumerate(derivatives)
    )
    ok = mirrored and all(v == 0 for v in values) and f.subs(_x, 1) == sp.exp(-1)
    return result(
        "taylor.flat_function",
        claim="a smooth function need not equal its Taylor series: exp(-1/x^2) (with value 0 "
        "at 0) has every derivative 0 at 0, so its series is 0, but the function is not",
        statement=(
            *(eq(sp.Limit(sp.Derivative(f, (_x, k)), _x, 0, "+-"), 0) for k in range(5)),
            sp.Ne(f.subs(_x, 1), 0, evaluate=False),
        ),
        verified=ok,
        detail=f"limits of f^(k) at 0+ for k = 0..4: {values}, and at 0- by symmetry; "
        "f(1) = exp(-1)",
        steps=(
            *(eq(sp.Derivative(f, (_x, k)), d) for k, d in enumerate(derivatives) if k),
            *(eq(shown, limit) for shown, limit in right),
        ),
    )


CHECKS = (maclaurin, lagrange_remainder, radii, divergence_outside, flat_function)
