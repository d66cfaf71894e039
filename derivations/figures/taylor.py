r"""Taylor polynomials of sigmoid and tanh against the functions, and a flat function.

The coefficients are the exact rationals of :mod:`derivations.taylor` (Bernoulli
numbers, checked there against ``sympy.series``); the radii of convergence are the
distances to the nearest complex poles, found here by SymPy as in the ``taylor.radii``
check.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from derivations.figures._plot import COLORS, figure, frozen

#: Degrees of the Taylor polynomials drawn (odd: both functions minus their constant
#: term are odd, so even degrees add nothing).
ORDERS = (1, 3, 5, 9, 15, 25)
#: Points inside and outside the radius where the error is tabulated, per function.
PROBES = {"sigmoid": (2.0, 4.0), "tanh": (1.0, 2.0)}
#: Half-width of the plotted interval, per function.
HALF_WIDTH = {"sigmoid": 6.0, "tanh": 3.5}


def taylor_coefficients(name: str, degree: int) -> np.ndarray:
    """The Maclaurin coefficients of ``"sigmoid"`` or ``"tanh"`` up to `degree`.

    Args:
        name: The function.
        degree: The highest power.

    Returns:
        `(degree + 1,)` coefficients of $z^0, \\dots, z^{degree}$.

    Examples:
        >>> taylor_coefficients("sigmoid", 3).tolist()  # 1/2 + z/4 - z^3/48
        [0.5, 0.25, 0.0, -0.020833333333333332]
    """
    from derivations import taylor

    coefficient = {"sigmoid": taylor.sigmoid_coefficient, "tanh": taylor.tanh_coefficient}[name]
    return np.array([float(coefficient(k)) for k in range(degree + 1)])


def _exact(name: str, points: np.ndarray) -> np.ndarray:
    function = {"sigmoid": lambda t: 1 / (1 + mpmath.exp(-t)), "tanh": mpmath.tanh}[name]
    return np.array([float(function(mpmath.mpf(float(p)))) for p in points])


def radius(function: Callable[[sp.Expr], sp.Expr]) -> sp.Expr:
    """The radius of convergence at 0 of a rational function of $e^w$ or $w$.

    It is the distance from 0 to the nearest complex pole, a zero of the denominator.

    Args:
        function: Builds the expression from a variable, e.g.
            :func:`derivations.definitions.sigmoid`.

    Returns:
        The radius, exactly.

    Examples:
        >>> from derivations.definitions import sigmoid, tanh
        >>> radius(sigmoid), radius(tanh), radius(lambda w: 1 / (1 + w**2))
        (pi, pi/2, 1)
    """
    w = sp.Symbol("w")
    poles = sp.solveset(sp.denom(sp.cancel(function(w))), w, sp.S.Complexes)
    if isinstance(poles, sp.ImageSet):
        # Evenly spaced on the imaginary axis: indices -3..3 hold the nearest.
        poles = [poles.lamda(m) for m in range(-3, 4)]
    return min((sp.Abs(pole) for pole in poles), key=float)


@dataclasses.dataclass(frozen=True)
class TaylorCurves:
    """A function, its Taylor polynomials, its radius and the error at two probes.

    Attributes:
        name: ``"sigmoid"`` or ``"tanh"``.
        x: `(points,)` the grid.
        value: `(points,)` the function.
        orders: The degrees $N$.
        polynomials: `(len(orders), points)` $T_N(x)$.
        radius: The radius of convergence.
        radius_latex: The same, as SymPy writes it (``\\pi``, ``\\frac{\\pi}{2}``).
        probes: `(inside, outside)` points.
        errors: `(2, len(orders))` $|T_N - f|$ at the inside and the outside probe.
    """

    name: str
    x: np.ndarray
    value: np.ndarray
    orders: tuple[int, ...]
    polynomials: np.ndarray
    radius: float
    radius_latex: str
    probes: tuple[float, float]
    errors: np.ndarray


def _curves(name: str, orders: tuple[int, ...], points: int) -> TaylorCurves:
    half = HALF_WIDTH[name]
    x = np.linspace(-half, half, points)
    coefficients = taylor_coefficients(name, max(orders))
    polys = [np.polynomial.polynomial.polyval(x, coefficients[: n + 1]) for n in orders]
    probes = np.array(PROBES[name])
    at_probes = [np.polynomial.polynomial.polyval(probes, coefficients[: n + 1]) for n in orders]
    from derivations import definitions

    exact = radius(getattr(definitions, name))
    return TaylorCurves(
        name=name,
        x=frozen(x),
        value=frozen(_exact(name, x)),
        orders=orders,
        polynomials=frozen(polys),
        radius=float(exact),
        radius_latex=sp.latex(exact),
        probes=PROBES[name],
        errors=frozen(np.abs(np.array(at_probes) - _exact(name, probes)).T),
    )


@functools.cache
def taylor_data(orders: tuple[int, ...] = ORDERS, points: int = 601) -> dict[str, TaylorCurves]:
    """Sigmoid and tanh with their Taylor polynomials of the given degrees.

    Args:
        orders: The degrees.
        points: Grid size.

    Returns:
        :class:`TaylorCurves` by name.

    Examples:
        >>> data = taylor_data(orders=(1, 3), points=11)
        >>> data["tanh"].radius_latex, data["tanh"].errors.shape
        ('\\\\frac{\\\\pi}{2}', (2, 2))
    """
    return {name: _curves(name, orders, points) for name in ("sigmoid", "tanh")}


@dataclasses.dataclass(frozen=True)
class Flat:
    """$e^{-1/x^2}$ (0 at 0) and its Maclaurin polynomial.

    Attributes:
        x: `(points,)` the grid.
        value: `(points,)` the function.
        coefficients: `(degree + 1,)` $f^{(k)}(0)/k!$, each a SymPy limit.
        series: `(points,)` the Maclaurin polynomial with those coefficients.
    """

    x: np.ndarray
    value: np.ndarray
    coefficients: np.ndarray
    series: np.ndarray


@functools.cache
def flat_data(degree: int = 4, points: int = 601) -> Flat:
    """The smooth function whose Taylor series converges everywhere, to the wrong function.

    Args:
        degree: The highest derivative taken at 0.
        points: Grid size.

    Returns:
        A :class:`Flat`.

    Examples:
        >>> flat_data(degree=2, points=3).coefficients.tolist()
        [0.0, 0.0, 0.0]
    """
    t = sp.Symbol("x", real=True)
    f = sp.exp(-1 / t**2)
    coefficients = np.array(
        [float(sp.limit(sp.diff(f, t, k), t, 0) / sp.factorial(k)) for k in range(degree + 1)]
    )
    x = np.linspace(-3.0, 3.0, points)
    with np.errstate(divide="ignore"):
        value = np.where(x == 0, 0.0, np.exp(-1 / np.where(x == 0, 1.0, x) ** 2))
    return Flat(
        x=frozen(x),
        value=frozen(value),
        coefficients=frozen(coefficients),
        series=frozen(np.polynomial.polynomial.polyval(x, coefficients)),
    )


def _draw_taylor(axis: Any, curves: TaylorCurves, ylim: tuple[float, float]) -> None:
    for side in (-1, 1):
        edge = side * curves.radius
        axis.axvspan(edge, side * curves.x[-1], color=COLORS["bad"], alpha=0.09, lw=0)
        axis.axvline(edge, color=COLORS["bad"], ls="--", lw=1)
    axis.plot(curves.x, curves.value, color=COLORS["target"], lw=3, alpha=0.4, label="function")
    for order, values in zip(curves.orders, curves.polynomials, strict=True):
        axis.plot(curves.x, values, lw=1.1, label=f"$T_{{{order}}}$")
    axis.annotate(
        f"$|z| = R = {curves.radius_latex}$",
        (curves.radius, ylim[0]),
        xytext=(5, 8),
        textcoords="offset points",
        color=COLORS["bad"],
        bbox={"fc": "white", "ec": "none", "alpha": 0.85},
    )
    axis.set(title=f"{curves.name}: Taylor polynomials at 0", xlabel="z", ylim=ylim)


def taylor_figure() -> Any:
    """Sigmoid's and tanh's Taylor polynomials break away at $|z| = R$; $e^{-1/x^2}$.

    Returns:
        A matplotlib figure, 3 panels.

    Examples:
        >>> len(taylor_figure().axes)
        3
    """
    data = taylor_data()
    fig, axes = figure(3, width=12.0, height=4.2)
    _draw_taylor(axes[0], data["sigmoid"], (-0.6, 1.6))
    _draw_taylor(axes[1], data["tanh"], (-2.0, 2.0))
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(labels))
    flat = flat_data()
    axes[2].plot(flat.x, flat.value, color=COLORS["target"], lw=2, label="$e^{-1/x^2}$")
    degree = len(flat.coefficients) - 1
    axes[2].plot(
        flat.x,
        flat.series,
        color=COLORS["taylor"],
        lw=2,
        ls="--",
        label=f"its Maclaurin polynomial, degree {degree} (every term 0)",
    )
    axes[2].set(title="Smooth, yet not its Taylor series", xlabel="x", ylim=(-0.1, 1.0))
    axes[2].legend(fontsize=8.5, loc="upper center")
    return fig
