r"""One target, three approximations: Fourier partial sums, Taylor polynomials, an MLP.

The target is Runge's $f(x) = 1/(1 + x^2)$ on $[-3, 3]$: smooth, but its Taylor
series at 0 converges only for $|x| < 1$ (poles at $\pm i$), and its periodic extension
has kinks at $\pm 3$. Each method is given a budget of numbers (coefficients or
parameters) and judged by the root-mean-square error on the interval.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import numpy as np
import sympy as sp

from derivations.figures._plot import COLORS, figure, frozen

#: Half-width of the interval.
HALF_WIDTH = 3.0
#: Hidden widths of the tanh MLPs: Linear(1, h) -> Tanh -> Linear(h, 1), 3h + 1 numbers.
WIDTHS = (2, 4, 8, 16)
#: Fourier orders N (2N + 1 coefficients) and Taylor degrees N (N + 1 coefficients).
MAX_ORDER = 24
#: The budget the left panel compares the three at.
BUDGET = 25


def runge(x: sp.Expr | np.ndarray) -> Any:
    """The target, $1/(1 + x^2)$, for a SymPy expression or a NumPy array.

    Examples:
        >>> runge(np.array([0.0, 1.0])).tolist(), runge(sp.Symbol("x"))
        ([1.0, 0.5], 1/(x**2 + 1))
    """
    return 1 / (1 + x**2)


@functools.cache
def fourier_coefficients(order: int) -> tuple[np.ndarray, np.ndarray]:
    """$a_n$, $b_n$ of the target on $[-L, L]$, $L$ = :data:`HALF_WIDTH`, for $n \\le N$.

    $a_n = \\frac1L\\int_{-L}^{L} f(x)\\cos\\frac{n\\pi x}{L}dx$ by Gauss-Legendre quadrature
    with 200 nodes (exact to rounding for these smooth integrands); $b_n = 0$ as $f$ is
    even, but they are computed all the same.

    Args:
        order: $N$.

    Returns:
        `(a, b)`, each `(order + 1,)`, with `b[0] = 0`.

    Examples:
        >>> a, b = fourier_coefficients(0)
        >>> round(float(a[0]), 6), round(2 * float(np.arctan(3.0)) / 3, 6)  # a_0 = (1/L) int f
        (0.832697, 0.832697)
    """
    nodes, weights = np.polynomial.legendre.leggauss(200)
    x = HALF_WIDTH * nodes
    phases = np.outer(np.arange(order + 1), np.pi * x / HALF_WIDTH)
    values = runge(x) * weights  # dx = L dnodes and the 1/L cancel
    return frozen(np.cos(phases) @ values), frozen(np.sin(phases) @ values)


def fourier_sum(order: int, x: np.ndarray) -> np.ndarray:
    """The partial sum $a_0/2 + \\sum_{n \\le N} (a_n\\cos + b_n\\sin)(n\\pi x / L)$.

    Examples:
        >>> float(np.abs(fourier_sum(24, np.array([0.5])) - 0.8)[0]) < 1e-3
        True
    """
    a, b = fourier_coefficients(max(order, MAX_ORDER))
    a, b = a[: order + 1], b[: order + 1]
    phases = np.outer(np.arange(order + 1), np.pi * x / HALF_WIDTH)
    return a[0] / 2 + a[1:] @ np.cos(phases[1:]) + b[1:] @ np.sin(phases[1:])


def taylor_coefficients(degree: int) -> np.ndarray:
    """The target's Maclaurin coefficients up to `degree`, from ``sympy.series``.

    Examples:
        >>> taylor_coefficients(4).tolist()
        [1.0, 0.0, -1.0, 0.0, 1.0]
    """
    x = sp.Symbol("x")
    series = sp.series(runge(x), x, 0, degree + 1).removeO()
    return np.array([float(series.coeff(x, k)) for k in range(degree + 1)])


@dataclasses.dataclass(frozen=True)
class Approximations:
    """The three methods on one target.

    Attributes:
        x: `(points,)` the evaluation grid on $[-L, L]$.
        value: `(points,)` the target.
        counts: Method -> `(k,)` numbers each approximation uses.
        errors: Method -> `(k,)` root-mean-square error on `x`, same order as `counts`.
        curves: Method -> `(points,)` the approximation that uses :data:`BUDGET` numbers.
        radius: The Taylor series' radius of convergence.
        radius_latex: The same, as SymPy writes it.
    """

    x: np.ndarray
    value: np.ndarray
    counts: dict[str, np.ndarray]
    errors: dict[str, np.ndarray]
    curves: dict[str, np.ndarray]
    radius: float
    radius_latex: str


def _rms(values: np.ndarray, target: np.ndarray) -> float:
    return float(np.sqrt(np.mean((values - target) ** 2)))


def _mlps(x: np.ndarray, steps: int) -> dict[int, np.ndarray]:
    import jax.numpy as jnp

    import funcnet
    from derivations.figures._training import train

    inputs = jnp.linspace(-HALF_WIDTH, HALF_WIDTH, 256)[:, None]
    models = {
        width: funcnet.Sequential(
            funcnet.Linear(1, width), funcnet.Tanh(), funcnet.Linear(width, 1)
        )
        for width in WIDTHS
    }
    trained = train(models, inputs, runge(inputs), steps=steps, learning_rate=0.02, seed=0)
    grid = jnp.asarray(x[:, None], jnp.float32)
    return {width: np.asarray(models[width](trained[width][0], grid))[:, 0] for width in WIDTHS}


@functools.cache
def approximation_data(steps: int = 3000, points: int = 1201) -> Approximations:
    """Fourier, Taylor and MLP approximations of :func:`runge`, and their errors.

    Args:
        steps: Adam steps for each MLP (full batch of 256 points, float32).
        points: Size of the grid the errors are measured on.

    Returns:
        An :class:`Approximations`.

    Examples:
        >>> data = approximation_data()
        >>> data.counts["mlp"].tolist(), data.radius
        ([7.0, 13.0, 25.0, 49.0], 1.0)
    """
    from derivations.figures.taylor import radius

    exact_radius = radius(runge)
    x = np.linspace(-HALF_WIDTH, HALF_WIDTH, points)
    value = runge(x)
    orders = np.arange(MAX_ORDER + 1)
    fourier = {2 * n + 1: fourier_sum(n, x) for n in orders}
    coefficients = taylor_coefficients(2 * MAX_ORDER)
    taylor = {
        d + 1: np.polynomial.polynomial.polyval(x, coefficients[: d + 1])
        for d in range(2 * MAX_ORDER + 1)
    }
    mlp = {3 * w + 1: out for w, out in _mlps(x, steps).items()}
    methods = {"fourier": fourier, "taylor": taylor, "mlp": mlp}
    return Approximations(
        x=frozen(x),
        value=frozen(value),
        counts={k: frozen(list(v)) for k, v in methods.items()},
        errors={k: frozen([_rms(c, value) for c in v.values()]) for k, v in methods.items()},
        curves={k: frozen(v[BUDGET]) for k, v in methods.items()},
        radius=float(exact_radius),
        radius_latex=sp.latex(exact_radius),
    )


_LABELS = {"fourier": "Fourier partial sum", "taylor": "Taylor polynomial at 0", "mlp": "tanh MLP"}


def approximation_figure() -> Any:
    """The three approximations at one budget, and error against the numbers they use.

    Returns:
        A matplotlib figure, 2 panels.

    Examples:
        >>> approximation_figure().axes[1].get_yscale()
        'log'
    """
    data = approximation_data()
    fig, (left, right) = figure(2, height=4.6)
    left.plot(data.x, data.value, color=COLORS["target"], lw=3, alpha=0.35, label="1/(1 + x²)")
    for method, curve in data.curves.items():
        left.plot(data.x, curve, lw=1.3, color=COLORS[method], label=_LABELS[method])
    for edge in (-data.radius, data.radius):
        left.axvline(edge, color=COLORS["taylor"], ls=":", lw=1)
    left.annotate(
        f"Taylor converges only for $|x| < {data.radius_latex}$",
        (data.radius, -0.3),
        xytext=(6, 8),
        textcoords="offset points",
        color=COLORS["taylor"],
        fontsize=9,
    )
    left.set(title=f"Each with {BUDGET} numbers", xlabel="x", ylim=(-0.3, 1.3))
    left.legend(fontsize=8.5, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
    for method in ("fourier", "taylor", "mlp"):
        right.semilogy(
            data.counts[method],
            data.errors[method],
            "o-",
            ms=3,
            color=COLORS[method],
            label=_LABELS[method],
        )
    right.set(
        title=f"Error on [{-HALF_WIDTH:g}, {HALF_WIDTH:g}] against numbers used",
        ylim=(1e-5, 1e2),
        xlabel="coefficients or parameters",
        ylabel="root-mean-square error",
    )
    right.legend(fontsize=8.5, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3)
    return fig
