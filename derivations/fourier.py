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

from derivations._result import Result, result

x = sp.Symbol("x", real=True)
n = sp.Symbol("n", integer=True, positive=True)
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

        Example:
            >>> WAVES[2].expr
            Piecewise((-x, x < 0), (x, True))
        """
        return sp.Piecewise((self.left, x < 0), (self.right, True))

    def partial_sum(self, order: int) -> sp.Expr:
        """$S_N(x)$ for ``N = order``, from the closed forms.

        Example:
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


def _integrate(wave: Wave, weight: sp.Expr) -> sp.Expr:
    halves = (
        sp.integrate(wave.left * weight, (x, -sp.pi, 0)),
        sp.integrate(wave.right * weight, (x, 0, sp.pi)),
    )
    return sp.expand(sp.Add(*halves) / sp.pi)


def coefficients() -> Result:
    r"""Closed-form $a_n$, $b_n$ of the three waves, integrated and cross-checked.

    Example:
        >>> coefficients().values["sawtooth"]["bn"]
        '2*(-1)**(n + 1)/n'
    """
    ok, table = True, {}
    for wave in WAVES:
        derived = (
            _integrate(wave, 1),
            _integrate(wave, sp.cos(n * x)),
            _integrate(wave, sp.sin(n * x)),
        )
        closed = (wave.a0, wave.an, wave.bn)
        ok = ok and all(sp.expand(d - c) == 0 for d, c in zip(derived, closed, strict=True))
        ok = ok and _matches_sympy(wave)
        table[wave.name] = {"a0": str(wave.a0), "an": str(wave.an), "bn": str(wave.bn)}
    return result(
        "fourier.coefficients",
        claim="the Fourier coefficients of the square (4/(n pi), odd n), sawtooth "
        "(2(-1)^(n+1)/n) and triangle (a0 = pi, -4/(pi n^2), odd n) waves, integrated for a "
        "symbolic integer n, agree with sympy.fourier_series",
        statement=r"\text{square: } b_n = \tfrac{2(1-(-1)^n)}{n\pi},\ "
        r"\text{sawtooth: } b_n = \tfrac{2(-1)^{n+1}}{n},\ "
        r"\text{triangle: } a_0 = \pi,\ a_n = \tfrac{2((-1)^n-1)}{\pi n^2}",
        verified=ok,
        detail="integrals over (-pi, 0) and (0, pi) equal the closed forms exactly; "
        "sympy.fourier_series agrees for n = 1..12",
        values=table,
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


def partial_sums() -> Result:
    r"""$S_N$ converges to the midpoint of a jump: $S_N(0) = 0$ for the square wave.

    Example:
        >>> partial_sums().verified
        True
    """
    square, sawtooth = WAVES[0], WAVES[1]
    s7 = square.partial_sum(7)
    at_jump = [square.partial_sum(m).subs(x, 0) for m in (1, 7, 25)]
    at_edge = [sawtooth.partial_sum(m).subs(x, sp.pi) for m in (1, 7, 25)]
    inside = float(square.partial_sum(65).subs(x, sp.pi / 2))
    ok = all(v == 0 for v in at_jump + at_edge) and abs(inside - 1) < 0.01
    return result(
        "fourier.partial_sums",
        claim="the partial sums S_N approach the wave where it is continuous and the midpoint "
        "of the jump at a discontinuity (square at 0, sawtooth at pi: both give 0)",
        statement=r"S_N(x) = \tfrac{a_0}{2} + \sum_{n=1}^{N}(a_n\cos nx + b_n\sin nx),\quad "
        r"S_N(0) = \tfrac{f(0^-) + f(0^+)}{2}",
        verified=ok,
        detail=f"square S_7 = {s7}; S_N(0) = {at_jump}, sawtooth S_N(pi) = {at_edge}; square "
        f"S_65(pi/2) = {inside:.4f}",
    )


def _energy(wave: Wave) -> sp.Expr:
    # (1 / 2 pi) * integral of f^2 over one period.
    return (
        sp.integrate(wave.left**2, (x, -sp.pi, 0)) + sp.integrate(wave.right**2, (x, 0, sp.pi))
    ) / (2 * sp.pi)


def mean_square_error(wave: Wave, order: int) -> sp.Expr:
    r"""$\frac{1}{2\pi}\int_{-\pi}^{\pi}(f - S_N)^2\,dx$, exactly, by Parseval's identity.

    By orthogonality the error is the energy of $f$ minus the energy of $S_N$:
    $\frac{1}{2\pi}\int f^2 - \frac{a_0^2}{4} - \frac12\sum_{n\le N}(a_n^2 + b_n^2)$.

    Example:
        >>> mean_square_error(WAVES[0], 1)
        1 - 8/pi**2
    """
    return _error_table(wave, (order,))[0]


def _error_table(wave: Wave, orders: tuple[int, ...]) -> list[sp.Expr]:
    # One running sum of the coefficient energies serves every order in the table.
    remaining = _energy(wave) - wave.a0**2 / 4
    errors, done = [], 0
    for order in orders:
        remaining -= sp.Add(
            *(
                (wave.an.subs(n, m) ** 2 + wave.bn.subs(n, m) ** 2) / 2
                for m in range(done + 1, order + 1)
            )
        )
        done = order
        errors.append(sp.expand(remaining))
    return errors


def _odd_zeta(power: int) -> sp.Expr:
    # sum over odd n >= 1 of n^-power.
    return (1 - sp.Integer(2) ** -power) * sp.zeta(power)


def mse_table() -> Result:
    r"""The mean-square error of $S_N$ shrinks with $N$ and tends to 0 (Parseval).

    Example:
        >>> mse_table().values["square"]["1"] < 0.19
        True
    """
    table, ok = {}, True
    # Sum over all n of (a_n^2 + b_n^2)/2, which must equal the energy. The sums over odd
    # n are zeta(s) minus its even terms 2^-s zeta(s); Sum(...).doit() takes seconds.
    tails = {
        "square": 8 / sp.pi**2 * _odd_zeta(2),
        "sawtooth": 2 * sp.zeta(2),
        "triangle": 8 / sp.pi**2 * _odd_zeta(4),
    }
    for wave in WAVES:
        errors = [float(e) for e in _error_table(wave, MSE_ORDERS)]
        table[wave.name] = dict(zip(map(str, MSE_ORDERS), errors, strict=True))
        parseval = sp.expand(tails[wave.name] + wave.a0**2 / 4 - _energy(wave))
        ok = ok and all(a > b > 0 for a, b in itertools.pairwise(errors)) and parseval == 0
    return result(
        "fourier.mse_table",
        claim="the mean-square error of the partial sum S_N decreases as N grows and tends to "
        "0 (Parseval's identity), even where S_N does not converge uniformly",
        statement=r"\frac1{2\pi}\int_{-\pi}^{\pi}(f - S_N)^2 = \frac1{2\pi}\int f^2 - "
        r"\frac{a_0^2}{4} - \frac12\sum_{n\le N}(a_n^2 + b_n^2) \xrightarrow{N\to\infty} 0",
        verified=ok,
        detail="; ".join(
            f"{name}: " + ", ".join(f"N={m}: {e:.2e}" for m, e in row.items())
            for name, row in table.items()
        ),
        values=table,
    )


def gibbs_overshoot(order: int) -> float:
    r"""Peak overshoot of the square wave's $S_N$ next to its jump, as a fraction of the jump.

    $S_N'(x) = \tfrac{2}{\pi}\sin((N+1)x)/\sin x$ for odd $N$, so the first peak right of 0
    is at $x = \pi/(N+1)$; the jump is 2.

    Example:
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

    Example:
        >>> round(gibbs().values["limit"], 5)
        0.08949
    """
    square = WAVES[0]
    derivative_ok = all(
        sp.diff(square.partial_sum(m), x).subs(x, sp.pi / (m + 1)).equals(0) for m in (3, 9)
    )
    table = {str(m): gibbs_overshoot(m) for m in GIBBS_ORDERS}
    limit = float(GIBBS_LIMIT)
    ok = derivative_ok and all(0.089 < v < 0.0905 for v in list(table.values())[1:])
    ok = ok and abs(table[str(GIBBS_ORDERS[-1])] - limit) < 1e-5
    return result(
        "fourier.gibbs",
        claim="near a jump the partial sums overshoot by about 8.95 % of the jump; as N grows "
        "the overshoot moves closer to the jump but does not shrink (Gibbs phenomenon)",
        statement=r"\lim_{N\to\infty}\frac{\max S_N - 1}{2} = \frac{\mathrm{Si}(\pi)}{\pi} "
        r"- \frac12 \approx 0.08949",
        verified=ok,
        detail="peak at x = pi/(N+1); overshoot/jump: "
        + ", ".join(f"N={m}: {v:.5f}" for m, v in table.items())
        + f"; limit {limit:.6f}",
        values={"overshoot": table, "limit": limit},
    )


def lesson_formula() -> Result:
    r"""The lesson's sum runs from $n = 1$ to $0$; it must run to $\infty$ (or $N$).

    Example:
        >>> lesson_formula().verified
        True
    """
    square = WAVES[0]
    a_n, b_n = sp.Function("a")(n), sp.Function("b")(n)
    empty = sp.Sum(a_n * sp.cos(n * x) + b_n * sp.sin(n * x), (n, 1, 0)).doit()
    # With the empty sum, the best the formula can do is the constant a0/2 = 0.
    as_written = mean_square_error(square, 0)
    period = sp.Symbol("T", positive=True)
    b_general = 4 / period * sp.integrate(sp.sin(2 * sp.pi * n * x / period), (x, 0, period / 2))
    ok = empty == 0 and as_written == 1 and sp.expand(b_general - square.bn) == 0
    return result(
        "fourier.lesson_formula",
        claim="the lesson's series has upper limit 0, an empty sum that leaves only a constant "
        "(mean-square error 1 for the square wave); the corrected formula sums to infinity, "
        "or to N for a partial sum, with a0/2 as constant and frequency 1/T",
        statement=r"f(x) = \frac{a_0}{2} + \sum_{n=1}^{\infty}\Big(a_n\cos\frac{2\pi nx}{T} + "
        r"b_n\sin\frac{2\pi nx}{T}\Big),\ a_n = \frac2T\int_0^T f(x)\cos\frac{2\pi nx}{T}dx",
        verified=ok,
        detail=f"sum from 1 to 0 evaluates to {empty}; error of the constant: {as_written}; "
        f"square wave of period T: b_n = {sp.factor(b_general)}, independent of T",
    )


CHECKS = (coefficients, partial_sums, mse_table, gibbs, lesson_formula)
