r"""Fourier partial sums of the square, sawtooth and triangle waves, and Gibbs' overshoot.

The coefficients are the closed forms of :mod:`derivations.fourier` (integrated there
and checked against ``sympy.fourier_series``), lambdified; the partial sums
$S_N(x) = a_0/2 + \sum_{n \le N} (a_n \cos nx + b_n \sin nx)$ are evaluated with NumPy.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import numpy as np
import sympy as sp

from derivations.figures._plot import COLORS, figure, frozen

#: Partial-sum orders drawn for every wave.
ORDERS = (1, 3, 9, 33)
#: Orders of the Gibbs close-up (odd: the square wave has odd harmonics only).
GIBBS_ORDERS = (9, 49, 199, 999)
#: Highest order of the mean-square-error curves.
MSE_ORDER = 128


def _wave(name: str) -> Any:
    from derivations.fourier import WAVES

    return next(wave for wave in WAVES if wave.name == name)


@functools.cache
def _formulas(name: str) -> tuple[float, Any, Any, Any]:
    from derivations.fourier import n, x

    wave = _wave(name)
    an, bn = (sp.lambdify(n, c, "numpy") for c in (wave.an, wave.bn))
    return float(wave.a0), an, bn, sp.lambdify(x, wave.expr, "numpy")


def _coefficients(name: str, order: int) -> tuple[float, np.ndarray, np.ndarray]:
    a0, an, bn, _ = _formulas(name)
    orders = np.arange(1, order + 1)
    return (
        a0,
        np.broadcast_to(np.asarray(an(orders), dtype=float), orders.shape),
        np.broadcast_to(np.asarray(bn(orders), dtype=float), orders.shape),
    )


def partial_sum(name: str, order: int, x: np.ndarray) -> np.ndarray:
    """$S_N(x)$ of the wave `name` for `N = order`.

    Args:
        name: ``"square"``, ``"sawtooth"`` or ``"triangle"``.
        order: $N$.
        x: `(points,)` where to evaluate.

    Returns:
        `(points,)` values.

    Examples:
        >>> partial_sum("square", 1, np.array([np.pi / 2])).round(6).tolist()  # 4/pi
        [1.27324]
    """
    a0, an, bn = _coefficients(name, order)
    phases = np.outer(np.arange(1, order + 1), x)
    return a0 / 2 + an @ np.cos(phases) + bn @ np.sin(phases)


def wave_values(name: str, x: np.ndarray) -> np.ndarray:
    """The $2\\pi$-periodic wave `name` itself at `x`.

    Examples:
        >>> wave_values("triangle", np.array([-1.0, 7.0])).round(6).tolist()
        [1.0, 0.716815]
    """
    inside = np.mod(x + np.pi, 2 * np.pi) - np.pi
    return np.asarray(_formulas(name)[3](inside), dtype=float)


@dataclasses.dataclass(frozen=True)
class WaveSums:
    """A wave and its partial sums on a grid.

    Attributes:
        name: The wave.
        x: `(points,)` the grid, two periods.
        value: `(points,)` the wave.
        orders: The orders $N$.
        sums: `(len(orders), points)` $S_N(x)$.
    """

    name: str
    x: np.ndarray
    value: np.ndarray
    orders: tuple[int, ...]
    sums: np.ndarray


@functools.cache
def fourier_data(orders: tuple[int, ...] = ORDERS, points: int = 1201) -> dict[str, WaveSums]:
    """The three waves and their partial sums of the given orders on $[-2\\pi, 2\\pi]$.

    Args:
        orders: The orders $N$.
        points: Grid size.

    Returns:
        :class:`WaveSums` by wave name.

    Examples:
        >>> fourier_data(orders=(1, 3), points=9)["sawtooth"].sums.shape
        (2, 9)
    """
    x = np.linspace(-2 * np.pi, 2 * np.pi, points)
    return {
        name: WaveSums(
            name=name,
            x=frozen(x),
            value=frozen(wave_values(name, x)),
            orders=orders,
            sums=frozen([partial_sum(name, order, x) for order in orders]),
        )
        for name in ("square", "sawtooth", "triangle")
    }


@dataclasses.dataclass(frozen=True)
class Gibbs:
    """The square wave's partial sums right of its jump at 0, and their error.

    Attributes:
        x: `(points,)` log-spaced points in $[10^{-3}, 1]$.
        orders: The orders $N$ of the close-up.
        sums: `(len(orders), points)` $S_N(x)$.
        overshoot: `(len(orders),)` $(\\max S_N - 1)/2$, read off `sums`: the overshoot
            as a fraction of the jump 2.
        limit: $\\mathrm{Si}(\\pi)/\\pi - 1/2$, from :data:`derivations.fourier.GIBBS_LIMIT`.
        mse_orders: `(MSE_ORDER,)` the orders $1, \\dots, N$ of the error curves.
        mse: Wave name -> `(MSE_ORDER,)` mean-square error of $S_N$ over a period, by
            Parseval's identity.
    """

    x: np.ndarray
    orders: tuple[int, ...]
    sums: np.ndarray
    overshoot: np.ndarray
    limit: float
    mse_orders: np.ndarray
    mse: dict[str, np.ndarray]


def mean_square_errors(name: str, order: int) -> np.ndarray:
    """$\\frac{1}{2\\pi}\\int_{-\\pi}^{\\pi}(f - S_N)^2\\,dx$ for $N = 1, \\dots,$ `order`.

    By Parseval: the energy of $f$ (integrated by SymPy) minus $a_0^2/4$ minus half the
    running sum of $a_n^2 + b_n^2$.

    Examples:
        >>> mean_square_errors("square", 1).round(6).tolist()  # 1 - 8/pi^2
        [0.189431]
    """
    from derivations.fourier import x

    wave = _wave(name)
    energy = sp.integrate(wave.left**2, (x, -sp.pi, 0)) + sp.integrate(
        wave.right**2, (x, 0, sp.pi)
    )
    a0, an, bn = _coefficients(name, order)
    return float(energy / (2 * sp.pi)) - a0**2 / 4 - np.cumsum(an**2 + bn**2) / 2


@functools.cache
def gibbs_data(orders: tuple[int, ...] = GIBBS_ORDERS, points: int = 3000) -> Gibbs:
    """The square wave's overshoot next to its jump, and every wave's error against $N$.

    Args:
        orders: Orders of the close-up.
        points: Grid size of the close-up.

    Returns:
        A :class:`Gibbs`.

    Examples:
        >>> data = gibbs_data(orders=(9, 99), points=400)
        >>> data.overshoot.round(4).tolist(), round(data.limit, 4)
        ([0.0912, 0.0895], 0.0895)
    """
    from derivations.fourier import GIBBS_LIMIT

    x = np.geomspace(1e-3, 1.0, points)
    sums = np.array([partial_sum("square", order, x) for order in orders])
    jump = float(_wave("square").right - _wave("square").left)
    mse_orders = np.arange(1, MSE_ORDER + 1)
    return Gibbs(
        x=frozen(x),
        orders=orders,
        sums=frozen(sums),
        overshoot=frozen((sums.max(axis=1) - 1.0) / jump),
        limit=float(GIBBS_LIMIT),
        mse_orders=frozen(mse_orders),
        mse={
            name: frozen(mean_square_errors(name, MSE_ORDER))
            for name in ("square", "sawtooth", "triangle")
        },
    )


def fourier_figure() -> Any:
    """The square, sawtooth and triangle waves with partial sums of growing order.

    Returns:
        A matplotlib figure, 3 panels.

    Examples:
        >>> [axis.get_title() for axis in fourier_figure().axes]
        ['square wave', 'sawtooth wave', 'triangle wave']
    """
    fig, axes = figure(3, width=12.0, height=4.0)
    colors = ["tab:blue", "tab:orange", "tab:green", "tab:red"]
    for axis, sums in zip(axes, fourier_data().values(), strict=True):
        axis.plot(sums.x, sums.value, color=COLORS["target"], lw=2.5, alpha=0.35, label="wave")
        for order, values, color in zip(sums.orders, sums.sums, colors, strict=False):
            axis.plot(sums.x, values, lw=1.1, color=color, label=f"$S_{{{order}}}$")
        axis.set(title=f"{sums.name} wave", xlabel="x")
        axis.set_xticks(np.pi * np.arange(-2, 3), ["-2π", "-π", "0", "π", "2π"])
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(labels))
    return fig


def gibbs_figure() -> Any:
    """Gibbs' overshoot next to the square wave's jump, and mean-square error against $N$.

    Returns:
        A matplotlib figure, 2 panels.

    Examples:
        >>> [axis.get_xscale() for axis in gibbs_figure().axes]
        ['log', 'log']
    """
    data = gibbs_data()
    fig, (left, right) = figure(2, height=4.8)
    for order, values, peak in zip(data.orders, data.sums, data.overshoot, strict=True):
        left.semilogx(data.x, values, lw=1.2, label=f"$S_{{{order}}}$: overshoot {peak:.4f}")
    left.axhline(1.0, color=COLORS["target"], lw=1)
    left.axhline(
        1 + 2 * data.limit,
        color=COLORS["bad"],
        ls="--",
        lw=1.2,
        label=rf"$1 + 2(\mathrm{{Si}}(\pi)/\pi - 1/2)$: {data.limit:.2%} of the jump",
    )
    left.set(
        title="Right of the square wave's jump: narrower, never lower",
        xlabel="x (log scale)",
        ylabel="$S_N(x)$",
        ylim=(0.75, 1.25),
    )
    left.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
    for name, errors in data.mse.items():
        right.loglog(data.mse_orders, errors, lw=1.5, label=f"{name} wave")
    right.set(
        title="Mean-square error of $S_N$ (Parseval) goes to 0",
        xlabel="N",
        ylabel=r"$\frac{1}{2\pi}\int (f - S_N)^2$",
    )
    right.legend(fontsize=8.5, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3)
    return fig
