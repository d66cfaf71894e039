"""Every funcnet activation with its derivative, and the derivative that vanishes.

The derivatives are drawn twice: the SymPy expression the ``activations`` checks
differentiate (from :mod:`derivations.definitions`), lambdified, and ``jax.grad`` of
funcnet's implementation in float64. Where the two could disagree by convention, at a
kink, both one-sided slopes and the value funcnet uses are marked.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from derivations import definitions as sym
from derivations.definitions import z
from derivations.figures._plot import COLORS, figure, frozen, runs

#: The activations funcnet offers, in the order the figure shows them.
NAMES = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "softplus", "silu")
#: LeakyReLU's slope left of 0: the lesson's a = 0.2.
LEAKY_SLOPE = sp.Rational(1, 5)
#: ELU's scale (funcnet's default, PyTorch's too).
ELU_ALPHA = sp.Integer(1)
#: A derivative below this in magnitude passes almost no gradient: shaded as saturated.
SATURATED = 0.05

_h = sp.Symbol("h", positive=True)


@dataclasses.dataclass(frozen=True)
class Kink:
    """A point where the one-sided derivatives differ, and the value funcnet picks there.

    Attributes:
        at: Where the kink is.
        left: The left derivative (SymPy limit of difference quotients).
        right: The right derivative.
        convention: `jax.grad` of funcnet's implementation at the kink.
    """

    at: float
    left: float
    right: float
    convention: float


@dataclasses.dataclass(frozen=True)
class ActivationCurve:
    """One activation sampled on a grid, with its derivative computed two ways.

    Attributes:
        name: funcnet's name for it.
        z: `(points,)` inputs.
        value: `(points,)` the function, from its symbolic definition.
        derivative: `(points,)` the lambdified symbolic derivative.
        grad: `(points,)` `jax.grad` of funcnet's implementation, in float64.
        kinks: Where the derivative jumps.
        saturated: `(start, stop)` intervals of the grid where `|derivative| < SATURATED`.
    """

    name: str
    z: np.ndarray
    value: np.ndarray
    derivative: np.ndarray
    grad: np.ndarray
    kinks: tuple[Kink, ...]
    saturated: tuple[tuple[float, float], ...]


def symbolic(name: str) -> tuple[sp.Expr, sp.Expr]:
    """The activation `name` and its derivative, as the ``activations`` checks build them.

    Smooth activations are differentiated by SymPy; the piecewise ones carry their
    derivative written out with funcnet's value at the kink.

    Args:
        name: One of :data:`NAMES`.

    Returns:
        `(f, f')` as expressions in :data:`derivations.definitions.z`.

    Examples:
        >>> symbolic("relu")[1].subs(z, 0), symbolic("sigmoid")[1].subs(z, 0)
        (0, 1/4)
    """
    piecewise = {
        "relu": (sym.relu(z), sym.relu_derivative(z)),
        "leaky_relu": (sym.leaky_relu(z, LEAKY_SLOPE), sym.leaky_relu_derivative(z, LEAKY_SLOPE)),
        "elu": (sym.elu(z, ELU_ALPHA), sym.elu_derivative(z, ELU_ALPHA)),
    }
    if name in piecewise:
        return piecewise[name]
    f = getattr(sym, name)(z)
    return f, sp.diff(f, z)


def _funcnet_activation(funcnet: Any, name: str) -> Callable[[Any], Any]:
    options = {"leaky_relu": {"negative_slope": float(LEAKY_SLOPE)}, "elu": {"alpha": 1.0}}
    function = getattr(funcnet, name)
    return lambda v: function(v, **options.get(name, {}))


def _evaluate(expr: sp.Expr, points: np.ndarray) -> np.ndarray:
    fn = sp.lambdify(z, expr, modules="mpmath")
    with mpmath.workdps(30):
        return np.array([float(fn(mpmath.mpf(float(p)))) for p in points])


def _grads(names: tuple[str, ...], points: np.ndarray) -> list[np.ndarray]:
    import jax

    import funcnet

    functions = [_funcnet_activation(funcnet, name) for name in names]
    with jax.enable_x64(True):
        grid = jax.numpy.asarray(points, dtype="float64")
        # One compiled program for all of them: compiling each costs more than running.
        grads = jax.jit(lambda g: [jax.vmap(jax.grad(f))(g) for f in functions])(grid)
        return [np.asarray(g) for g in grads]


def _kinks(name: str, f: sp.Expr, points: np.ndarray, grad: np.ndarray) -> tuple[Kink, ...]:
    if not isinstance(f, sp.Piecewise):
        return ()
    # Difference quotients with a positive h: the Piecewise picks its branch first.
    f0 = f.subs(z, 0)
    left = sp.limit((f0 - f.subs(z, -_h)) / _h, _h, 0, "+")
    right = sp.limit((f.subs(z, _h) - f0) / _h, _h, 0, "+")
    if left == right:
        return ()
    at_zero = int(np.flatnonzero(points == 0.0)[0])
    return (Kink(0.0, float(left), float(right), float(grad[at_zero])),)


@functools.cache
def activation_data(points: int = 401, limit: float = 5.0) -> dict[str, ActivationCurve]:
    """Every activation and its derivative (SymPy and `jax.grad`) on `[-limit, limit]`.

    Args:
        points: Grid size; odd, so that 0 is on the grid.
        limit: Half-width of the grid.

    Returns:
        :class:`ActivationCurve` by name, in the order of :data:`NAMES`.

    Examples:
        >>> relu = activation_data()["relu"]
        >>> relu.grad[[0, 200, 400]].tolist(), relu.kinks
        ([0.0, 0.0, 1.0], (Kink(at=0.0, left=0.0, right=1.0, convention=0.0),))
    """
    grid = np.linspace(-limit, limit, points)
    grads = _grads(NAMES, grid)
    curves = {}
    for name, grad in zip(NAMES, grads, strict=True):
        f, d = symbolic(name)
        derivative = _evaluate(d, grid)
        curves[name] = ActivationCurve(
            name=name,
            z=frozen(grid),
            value=frozen(_evaluate(f, grid)),
            derivative=frozen(derivative),
            grad=frozen(grad),
            kinks=_kinks(name, f, grid, grad),
            saturated=runs(np.abs(derivative) < SATURATED, grid),
        )
    return curves


def _label(name: str) -> str:
    return {
        "leaky_relu": f"leaky_relu (a = {float(LEAKY_SLOPE):g})",
        "elu": f"elu (alpha = {float(ELU_ALPHA):g})",
    }.get(name, name)


def _draw_curve(axis: Any, curve: ActivationCurve) -> None:
    for start, stop in curve.saturated:
        axis.axvspan(start, stop, color=COLORS["shade"], alpha=0.12, lw=0)
    axis.plot(curve.z, curve.value, color=COLORS["function"], lw=1.2, label="f")
    derivative = curve.derivative.copy()
    derivative[np.isin(curve.z, [kink.at for kink in curve.kinks])] = np.nan  # no riser
    axis.plot(curve.z, derivative, color=COLORS["symbolic"], lw=2, label="f' (SymPy)")
    every = slice(None, None, 16)
    axis.plot(
        curve.z[every],
        curve.grad[every],
        "o",
        ms=3.5,
        color=COLORS["numeric"],
        label="jax.grad of funcnet",
    )
    for kink in curve.kinks:
        axis.plot(
            [kink.at] * 2,
            [kink.left, kink.right],
            "o",
            ms=7,
            mfc="white",
            mec="black",
            zorder=5,
            label="one-sided slopes at the kink",
        )
        axis.plot(
            [kink.at],
            [kink.convention],
            "o",
            ms=5,
            color="black",
            zorder=6,
            label="funcnet's value at the kink",
        )
        axis.annotate(
            f"{curve.name}'({kink.at:g}) = {kink.convention:g}",
            (kink.at, kink.convention),
            xytext=(-8, 12),
            textcoords="offset points",
            ha="right",
            fontsize=9,
            bbox={"fc": "white", "ec": "none", "alpha": 0.8},
        )
    axis.set_title(_label(curve.name))
    axis.set_xlabel("z")


def _grid_figure(names: tuple[str, ...]) -> Any:
    fig, axes = figure(2, rows=2, width=10.0, height=7.4)
    curves = activation_data()
    for axis, name in zip(axes, names, strict=True):
        _draw_curve(axis, curves[name])
    handles = {}
    for axis in axes:
        for handle, label in zip(*axis.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    handles[f"|f'| < {SATURATED:g} (saturated)"] = _shade_patch()
    fig.legend(handles.values(), handles.keys(), loc="outside upper center", ncol=3, fontsize=9)
    return fig


def activations_figure() -> Any:
    """The lesson's four activations, their SymPy derivatives and `jax.grad` of funcnet's.

    Sigmoid, tanh, ReLU and LeakyReLU. Kinks show both one-sided slopes (open circles)
    and funcnet's value there (dot); shaded: where the derivative is below
    :data:`SATURATED` in magnitude.

    Returns:
        A matplotlib figure, 2 x 2 panels.

    Examples:
        >>> [axis.get_title() for axis in activations_figure().axes]
        ['sigmoid', 'tanh', 'relu', 'leaky_relu (a = 0.2)']
    """
    return _grid_figure(NAMES[:4])


def more_activations_figure() -> Any:
    """ELU, GELU, softplus and SiLU, drawn as :func:`activations_figure` draws the others.

    Returns:
        A matplotlib figure, 2 x 2 panels.

    Examples:
        >>> [axis.get_title() for axis in more_activations_figure().axes]
        ['elu (alpha = 1)', 'gelu', 'softplus', 'silu']
    """
    return _grid_figure(NAMES[4:])


def _shade_patch() -> Any:
    from matplotlib.patches import Patch

    return Patch(color=COLORS["shade"], alpha=0.25)


@dataclasses.dataclass(frozen=True)
class Vanishing:
    """Sigmoid's slope, its peak, and the product of slopes through a chain of sigmoids.

    Attributes:
        z: `(points,)` inputs.
        sigmoid_prime: `(points,)` the lambdified symbolic $\\sigma'$.
        tanh_prime: `(points,)` the lambdified symbolic $\\tanh'$.
        peak: $\\max \\sigma'$, exactly, from SymPy.
        peak_at: Where the peak is: the only real zero of $\\sigma''$.
        depths: `(depths,)` chain depths $k$.
        bound: `(depths,)` $(\\max\\sigma')^k$.
        chains: Start $x_0$ -> `(depths,)` $d h_k / d x_0$ for $h_k = \\sigma(h_{k-1})$,
            $h_0 = x_0$, by `jax.jacfwd` of funcnet's sigmoid.
    """

    z: np.ndarray
    sigmoid_prime: np.ndarray
    tanh_prime: np.ndarray
    peak: sp.Expr
    peak_at: sp.Expr
    depths: np.ndarray
    bound: np.ndarray
    chains: dict[float, np.ndarray]


def _chain_grads(starts: tuple[float, ...], depth: int) -> dict[float, np.ndarray]:
    import jax

    import funcnet

    def chain(x0: Any) -> Any:
        return jax.lax.scan(
            lambda h, _: (funcnet.sigmoid(h), funcnet.sigmoid(h)), x0, None, length=depth
        )[1]

    with jax.enable_x64(True):
        slopes = jax.jit(jax.vmap(jax.jacfwd(chain)))(jax.numpy.asarray(starts, "float64"))
        return {start: frozen(row) for start, row in zip(starts, np.asarray(slopes), strict=True)}


@functools.cache
def vanishing_data(depth: int = 12, starts: tuple[float, ...] = (0.0, 3.0)) -> Vanishing:
    """$\\sigma' \\le 1/4$, and the slope of `depth` stacked sigmoids against $4^{-k}$.

    Args:
        depth: The deepest chain.
        starts: Inputs $x_0$ the chains start from.

    Returns:
        A :class:`Vanishing`.

    Examples:
        >>> data = vanishing_data()
        >>> data.peak, data.peak_at, data.bound[:3].tolist()
        (1/4, 0, [0.25, 0.0625, 0.015625])
    """
    slope = symbolic("sigmoid")[1]
    # sigma'' = e^z (1 - e^z) / (1 + e^z)^3 after cancel: one real zero, at z = 0.
    (peak_at,) = sp.solveset(sp.numer(sp.cancel(sp.diff(slope, z))), z, sp.S.Reals)
    peak = slope.subs(z, peak_at)
    grid = np.linspace(-8.0, 8.0, 321)
    depths = np.arange(1, depth + 1)
    return Vanishing(
        z=frozen(grid),
        sigmoid_prime=frozen(_evaluate(symbolic("sigmoid")[1], grid)),
        tanh_prime=frozen(_evaluate(symbolic("tanh")[1], grid)),
        peak=peak,
        peak_at=peak_at,
        depths=frozen(depths),
        bound=frozen(float(peak) ** depths),
        chains=_chain_grads(starts, depth),
    )


def vanishing_figure() -> Any:
    """$\\sigma'$ and $\\tanh'$ with sigmoid's peak slope, and the product through depth.

    Returns:
        A matplotlib figure, 2 panels.

    Examples:
        >>> [axis.get_yscale() for axis in vanishing_figure().axes]
        ['linear', 'log']
    """
    data = vanishing_data()
    peak, at = sp.latex(data.peak), sp.latex(data.peak_at)
    fig, (left, right) = figure(2)
    left.plot(data.z, data.sigmoid_prime, color=COLORS["symbolic"], lw=2, label=r"$\sigma'(z)$")
    left.plot(data.z, data.tanh_prime, color=COLORS["linear"], lw=1.5, label=r"$\tanh'(z)$")
    left.axhline(float(data.peak), color="black", ls=":", lw=1)
    left.annotate(
        rf"$\max\,\sigma' = \sigma'({at}) = {peak}$",
        (float(data.peak_at), float(data.peak)),
        xytext=(14, 10),
        textcoords="offset points",
    )
    left.set(title="It is the derivative that vanishes, not the loss", xlabel="z", ylabel="slope")
    left.legend(loc="upper left")
    right.semilogy(data.depths, data.bound, "k--", label=rf"bound $({peak})^k$")
    for start, slopes in data.chains.items():
        right.semilogy(
            data.depths, slopes, "o-", ms=4, label=rf"$k$ sigmoids from $x_0 = {start:g}$"
        )
    right.set(
        title="Slope through k stacked sigmoids, by jax.grad",
        xlabel="depth k",
        ylabel=r"$dh_k\,/\,dx_0$",
    )
    right.legend()
    return fig
