r"""Fourier series of the square, sawtooth and triangle waves on $(-\pi, \pi)$.

Convention: $f(x) \sim \tfrac{a_0}{2} + \sum_{n\ge1} (a_n\cos nx + b_n\sin nx)$ with
$a_n = \tfrac1\pi\int_{-\pi}^{\pi} f(x)\cos nx\,dx$ and $b_n$ likewise with $\sin$. The
coefficients are integrated here for a symbolic integer $n$ and compared with
``sympy.fourier_series``; the error table follows from Parseval's identity.
"""

from __future__ import annotations

import dataclasses
import itertools

import mpmath
import sympy as sp

from derivations._algebra import eq
from derivations._result import Result, result

x = sp.Symbol("x", real=True)
n = sp.Symbol("n", integer=True, positive=True)
_order = sp.Symbol("N", integer=True, positive=True)
_k = sp.Symbol("k", integer=True, positive=True)

#: Partial-sum orders of the mean-square-error table.
MSE_ORDERS = (1, 3, 5, 9, 17, 33, 65)
#: Partial-sum orders of the Gibbs table (odd, so the last term is nonzero).
GIBBS_ORDERS = (9, 19, 49, 99, 199, 999)
#: The Gibbs limit: overshoot over jump, $\mathrm{Si}(\pi)/\pi - 1/2 \approx 0.0895$.
GIBBS_LIMIT = sp.Si(sp.pi) / sp.pi - sp.Rational(1, 2)


@dataclasses.dataclass(frozen=True)
class Wave:
    """A $2\\pi$-periodic wave given on $(-\\pi, \\pi)$ by two pieces, with its closed forms.

    Attributes:
        name: ``"square"``, ``"sawtooth"`` or ``"triangle"``.
        left: The expression on $(-\\pi, 0)$.
        right: The expression on $(0, \\pi)$.
        a0: Closed form of $a_0$.
        an: Closed form of $a_n$ in the symbol ``n``.
        bn: Closed form of $b_n$ in the symbol ``n``.
    """

    name: str
    left: sp.Expr
    right: sp.Expr
    a0: sp.Expr
    an: sp.Expr
    bn: sp.Expr

    @property
    def expr(self) -> sp.Expr:
        """The wave as one ``Piecewise`` on $(-\\pi, \\pi)$.

        Examples:
            >>> WAVES[2].expr
            Piecewise((-x, x < 0), (x, True))
        """
        return sp.Piecewise((self.left, x < 0), (self.right, True))

    @property
    def series(self) -> sp.Expr:
        """$S_N(x)$ for a symbolic order ``N``, as an unevaluated ``Sum`` of the closed forms.

        Examples:
            >>> WAVES[1].series
            Sum(2*(-1)**(n + 1)*sin(n*x)/n, (n, 1, N))
        """
        term = self.an * sp.cos(n * x) + self.bn * sp.sin(n * x)
        return self.a0 / 2 + sp.Sum(term, (n, 1, _order))

    def partial_sum(self, order: int) -> sp.Expr:
        """$S_N(x)$ for ``N = order``, from the closed forms.

        Examples:
            >>> WAVES[1].partial_sum(2)
            2*sin(x) - sin(2*x)
        """
        terms = (
            self.an.subs(n, m) * sp.cos(m * x) + self.bn.subs(n, m) * sp.sin(m * x)
            for m in range(1, order + 1)
        )
        return self.a0 / 2 + sp.Add(*terms)


WAVES = (
    Wave(
        "square",
        -sp.Integer(1),
        sp.Integer(1),
        sp.Integer(0),
        sp.Integer(0),
        2 * (1 - (-1) ** n) / (n * sp.pi),
    ),
    Wave("sawtooth", x, x, sp.Integer(0), sp.Integer(0), 2 * (-1) ** (n + 1) / n),
    Wave("triangle", -x, x, sp.pi, 2 * ((-1) ** n - 1) / (sp.pi * n**2), sp.Integer(0)),
)


def _integral(wave: Wave, weight: sp.Expr) -> sp.Expr:
    # (1/pi) times the integral of f(x) weight(x) over (-pi, pi), in its two halves.
    halves = (
        sp.Integral(wave.left * weight, (x, -sp.pi, 0)),
        sp.Integral(wave.right * weight, (x, 0, sp.pi)),
    )
    return sp.Add(*halves) / sp.pi


def _integrate(integral: sp.Integral) -> tuple[bool, sp.Expr, sp.Expr]:
    # The fundamental theorem: an antiderivative F, checked by differentiating it back,
    # evaluated at the ends. Cheaper than a definite `integrate` (no convergence checks),
    # and just as exact: the integrands are continuous on each closed half.
    integrand, (variable, low, high) = integral.function, integral.limits[0]
    antiderivative = sp.integrate(integrand, variable)
    ok = sp.expand(sp.diff(antiderivative, variable) - integrand) == 0
    value = antiderivative.subs(variable, high) - antiderivative.subs(variable, low)
    return ok, antiderivative, value


def _coefficient(wave: Wave, weight: sp.Expr) -> tuple[bool, sp.Expr, list[sp.Eq]]:
    integral = _integral(wave, weight)
    ok, total, steps = True, sp.Integer(0), []
    for half in sorted(integral.atoms(sp.Integral), key=lambda i: i.limits[0][1] != -sp.pi):
        half_ok, antiderivative, value = _integrate(half)
        ok, total = ok and half_ok, total + value
        steps.append(eq(sp.Integral(half.function, half.limits[0][0]), antiderivative))
    return ok, sp.expand(total / sp.pi), steps


def coefficients() -> Result:
    r"""Closed-form $a_n$, $b_n$ of the three waves, integrated and cross-checked.

    Examples:
        >>> coefficients().values["sawtooth"]["bn"]
        '2*(-1)**(n + 1)/n'
    """
    ok, table, statement, steps = True, {}, [], []
    for wave in WAVES:
        for weight, closed in ((1, wave.a0), (sp.cos(n * x), wave.an), (sp.sin(n * x), wave.bn)):
            found, value, antiderivatives = _coefficient(wave, weight)
            ok = ok and found and sp.expand(value - closed) == 0
            formula = eq(_integral(wave, weight), closed)
            (statement if closed != 0 else steps).append(formula)
            steps.extend(a for a in antiderivatives if a not in steps)
        ok = ok and _matches_sympy(wave)
        table[wave.name] = {"a0": str(wave.a0), "an": str(wave.an), "bn": str(wave.bn)}
    return result(
        "fourier.coefficients",
        claim="the Fourier coefficients of the square (4/(n pi), odd n), sawtooth "
        "(2(-1)^(n+1)/n) and triangle (a0 = pi, -4/(pi n^2), odd n) waves, integrated for a "
        "symbolic integer n, agree with sympy.fourier_series",
        statement=statement,
        verified=ok,
        detail="integrals over (-pi, 0) and (0, pi), by antiderivatives checked by "
        "differentiation, equal the closed forms exactly; sympy.fourier_series agrees for "
        "n = 1..12",
        values=table,
        steps=steps,
    )


def _matches_sympy(wave: Wave, orders: int = 12) -> bool:
    series = sp.fourier_series(wave.expr, (x, -sp.pi, sp.pi))
    ok = sp.expand(series.a0 - wave.a0 / 2) == 0  # SymPy's a0 is the constant term
    for m in range(1, orders + 1):
        cos_term = wave.an.subs(n, m) * sp.cos(m * x)
        sin_term = wave.bn.subs(n, m) * sp.sin(m * x)
        ok = ok and sp.expand(series.an.coeff(m) - cos_term) == 0
        ok = ok and sp.expand(series.bn.coeff(m) - sin_term) == 0
    return ok


def _at(expr: sp.Expr, point: sp.Expr, order: int) -> tuple[sp.Subs, sp.Expr]:
    # S_N(point) for N = order: shown as a substitution, computed term by term (doit on
    # the Subs itself would first try to sum the series in closed form for symbolic N).
    return sp.Subs(expr, (x, _order), (point, order)), expr.subs({_order: order}).doit().subs(
        x, point
    )


def partial_sums() -> Result:
    r"""$S_N$ converges to the midpoint of a jump: $S_N(0) = 0$ for the square wave.

    Examples:
        >>> partial_sums().verified
        True
    """
    square, sawtooth = WAVES[0], WAVES[1]
    # At the jumps every term vanishes (sin(n 0) = sin(n pi) = 0), for every N at once.
    at_jump = sp.Subs(square.series, x, 0)
    at_edge = sp.Subs(sawtooth.series, x, sp.pi)
    values = [s.expr.subs(x, point).doit() for s, point in ((at_jump, 0), (at_edge, sp.pi))]
    inside, inside_value = _at(square.series, sp.pi / 2, 65)
    bound = sp.Rational(1, 100)
    # The midpoints of the jumps: at 0 for the square wave, at pi (periodically, between
    # f(pi-) and f(-pi+)) for the sawtooth; written out, then evaluated.
    with sp.evaluate(False):
        shown = [
            (square.left.subs(x, 0) + square.right.subs(x, 0)) / 2,
            (sawtooth.right.subs(x, sp.pi) + sawtooth.left.subs(x, -sp.pi)) / 2,
        ]
    midpoints = [m.doit() for m in shown]
    ok = values == midpoints and abs(inside_value - 1) < bound
    return result(
        "fourier.partial_sums",
        claim="the partial sums S_N approach the wave where it is continuous and the midpoint "
        "of the jump at a discontinuity (square at 0, sawtooth at pi: both give 0)",
        statement=(
            eq(at_jump, shown[0]),
            eq(at_edge, shown[1]),
            sp.Lt(sp.Abs(inside - 1), bound, evaluate=False),
        ),
        verified=ok,
        detail=f"square S_7 = {square.partial_sum(7)}; S_N(0) = {values[0]} and sawtooth "
        f"S_N(pi) = {values[1]} for every N; square "
        f"S_65(pi/2) = {float(inside_value):.4f}",
        steps=(eq(inside, inside_value.evalf(6)),),
    )


def _energy(wave: Wave) -> sp.Expr:
    # (1 / 2 pi) * integral of f^2 over one period, unevaluated.
    halves = (
        sp.Integral(wave.left**2, (x, -sp.pi, 0)),
        sp.Integral(wave.right**2, (x, 0, sp.pi)),
    )
    return sp.Add(*halves) / (2 * sp.pi)


def _term_energy(wave: Wave) -> sp.Expr:
    # (a_n^2 + b_n^2) / 2: the energy of the n-th term of the series.
    return (wave.an**2 + wave.bn**2) / 2


def _error(wave: Wave) -> sp.Expr:
    # The mean-square error of S_N by Parseval, for a symbolic order N.
    return _energy(wave) - wave.a0**2 / 4 - sp.Sum(_term_energy(wave), (n, 1, _order))


def mean_square_error(wave: Wave, order: int) -> sp.Expr:
    r"""$\frac{1}{2\pi}\int_{-\pi}^{\pi}(f - S_N)^2\,dx$, exactly, by Parseval's identity.

    By orthogonality the error is the energy of $f$ minus the energy of $S_N$:
    $\frac{1}{2\pi}\int f^2 - \frac{a_0^2}{4} - \frac12\sum_{n\le N}(a_n^2 + b_n^2)$.

    Examples:
        >>> mean_square_error(WAVES[0], 1)
        1 - 8/pi**2
    """
    return _error_table(wave, (order,))[0]


def _error_table(wave: Wave, orders: tuple[int, ...]) -> list[sp.Expr]:
    # _error(wave) at each order; one running sum of the term energies serves them all.
    remaining = _energy(wave).doit() - wave.a0**2 / 4
    term = _term_energy(wave)
    errors, done = [], 0
    for order in orders:
        remaining -= sp.Add(*(term.subs(n, m) for m in range(done + 1, order + 1)))
        done = order
        errors.append(sp.expand(remaining))
    return errors


def _odd_zeta(power: int) -> sp.Expr:
    # sum over odd n >= 1 of n^-power: zeta(s) minus its even terms 2^-s zeta(s), as written.
    with sp.evaluate(False):
        return (1 - sp.Integer(2) ** -power) * sp.zeta(power)


def _tails() -> dict[str, sp.Expr]:
    # Sum over all n of (a_n^2 + b_n^2)/2: the square and triangle waves have terms only at
    # odd n, 8/(pi^2 n^2) and 8/(pi^2 n^4); the sawtooth has 2/n^2 at every n.
    # Sum(...).doit() takes seconds; zeta is exact.
    with sp.evaluate(False):
        return {
            "square": 8 / sp.pi**2 * _odd_zeta(2),
            "sawtooth": 2 * sp.zeta(2),
            "triangle": 8 / sp.pi**2 * _odd_zeta(4),
        }


def mse_table() -> Result:
    r"""The mean-square error of $S_N$ shrinks with $N$ and tends to 0 (Parseval).

    Examples:
        >>> mse_table().values["square"]["1"] < 0.19
        True
    """
    table, ok, parseval, exact = {}, True, [], {}
    for wave in WAVES:
        errors = exact[wave.name] = _error_table(wave, MSE_ORDERS)
        table[wave.name] = {str(m): float(e) for m, e in zip(MSE_ORDERS, errors, strict=True)}
        # Parseval: the term energies sum to the energy of f, so the error tends to 0.
        tail = _tails()[wave.name]
        gap = sp.expand(tail.doit() + wave.a0**2 / 4 - _energy(wave).doit())
        floats = list(table[wave.name].values())
        ok = ok and all(a > b > 0 for a, b in itertools.pairwise(floats)) and gap == 0
        total = tail if wave.a0 == 0 else sp.Add(wave.a0**2 / 4, tail, evaluate=False)
        parseval.append(eq(_energy(wave), total))
    square = WAVES[0]
    return result(
        "fourier.mse_table",
        claim="the mean-square error of the partial sum S_N decreases as N grows and tends to "
        "0 (Parseval's identity), even where S_N does not converge uniformly",
        statement=parseval,
        verified=ok,
        detail="; ".join(
            f"{name}: " + ", ".join(f"N={m}: {e:.2e}" for m, e in row.items())
            for name, row in table.items()
        ),
        values=table,
        steps=[
            eq(sp.Subs(_error(square), _order, m), e)
            for m, e in zip(MSE_ORDERS[:3], exact[square.name][:3], strict=True)
        ],
    )


def gibbs_overshoot(order: int) -> float:
    r"""Peak overshoot of the square wave's $S_N$ next to its jump, as a fraction of the jump.

    $S_N'(x) = \tfrac{2}{\pi}\sin((N+1)x)/\sin x$ for odd $N$, so the first peak right of 0
    is at $x = \pi/(N+1)$; the jump is 2. The sum runs over the odd $n$, where
    $b_n = 4/(n\pi)$ (it is 0 for even $n$).

    Examples:
        >>> round(gibbs_overshoot(99), 4)
        0.0895
    """
    peak = mpmath.pi / (order + 1)
    with mpmath.workdps(30):
        value = (
            4 / mpmath.pi * mpmath.fsum(mpmath.sin(m * peak) / m for m in range(1, order + 1, 2))
        )
        return float((value - 1) / 2)


def gibbs() -> Result:
    r"""The overshoot next to a jump tends to $\mathrm{Si}(\pi)/\pi - 1/2 \approx 8.95\,\%$.

    $S_N(\pi/(N+1))$ is a midpoint Riemann sum of $\tfrac2\pi\int_0^\pi \frac{\sin t}{t}dt
    = \tfrac2\pi\mathrm{Si}(\pi)$, so the peak converges to that value and never drops
    back to 1: the overshoot narrows but does not vanish.

    Examples:
        >>> round(gibbs().values["limit"], 5)
        0.08949
    """
    square = WAVES[0]
    peaks = [sp.Subs(sp.Derivative(square.partial_sum(m), x), x, sp.pi / (m + 1)) for m in (3, 9)]
    derivative_ok = all(peak.doit().equals(0) for peak in peaks)
    table = {str(m): gibbs_overshoot(m) for m in GIBBS_ORDERS}
    limit = float(GIBBS_LIMIT)
    ok = derivative_ok and all(0.089 < v < 0.0905 for v in list(table.values())[1:])
    last = GIBBS_ORDERS[-1]
    ok = ok and abs(table[str(last)] - limit) < 1e-5
    overshoot = (sp.Subs(square.series, x, sp.pi / (_order + 1)) - 1) / 2
    return result(
        "fourier.gibbs",
        claim="near a jump the partial sums overshoot by about 8.95 % of the jump; as N grows "
        "the overshoot moves closer to the jump but does not shrink (Gibbs phenomenon)",
        statement=sp.Lt(
            sp.Abs(sp.Subs(overshoot, _order, last) - GIBBS_LIMIT),
            sp.Rational(1, 10**5),
            evaluate=False,
        ),
        verified=ok,
        detail="peak at x = pi/(N+1); overshoot/jump: "
        + ", ".join(f"N={m}: {v:.5f}" for m, v in table.items())
        + f"; limit {limit:.6f}",
        values={"overshoot": table, "limit": limit},
        steps=[eq(peak, 0) for peak in peaks],
    )


def lesson_formula() -> Result:
    r"""The lesson's sum runs from $n = 1$ to $0$; it must run to $\infty$ (or $N$).

    Examples:
        >>> lesson_formula().verified
        True
    """
    square = WAVES[0]
    a_n, b_n = sp.Function("a")(n), sp.Function("b")(n)
    lesson_sum = sp.Sum(a_n * sp.cos(n * x) + b_n * sp.sin(n * x), (n, 1, 0))
    empty = lesson_sum.doit()
    # With the empty sum, the best the formula can do is the constant a0/2 = 0.
    as_written = mean_square_error(square, 0)
    period = sp.Symbol("T", positive=True)
    b_general = 4 / period * sp.Integral(sp.sin(2 * sp.pi * n * x / period), (x, 0, period / 2))
    b_value = b_general.doit()
    ok = empty == 0 and as_written == 1 and sp.expand(b_value - square.bn) == 0
    return result(
        "fourier.lesson_formula",
        claim="the lesson's series has upper limit 0, an empty sum that leaves only a constant "
        "(mean-square error 1 for the square wave); the corrected formula sums to infinity, "
        "or to N for a partial sum, with a0/2 as constant and frequency 1/T",
        statement=(
            eq(lesson_sum, empty),
            eq(sp.Subs(_error(square), _order, 0), as_written),
            eq(b_general, square.bn),
        ),
        verified=ok,
        detail=f"sum from 1 to 0 evaluates to {empty}; error of the constant: {as_written}; "
        f"square wave of period T: b_n = {sp.factor(b_value)}, independent of T",
        steps=(eq(b_general, sp.factor(b_value)),),
    )


CHECKS = (coefficients, partial_sums, mse_table, gibbs, lesson_formula)
