"""The affine collapse, drawn: two `Linear` layers without an activation are one.

Two funcnet networks are fitted to the same non-linear target: `Linear -> Linear` and
`Linear -> Tanh -> Linear`. The first can do no better than the best straight line,
because it *is* a straight line: SymPy composes the two layers with symbolic weights,
finds one weight and one bias, and those, evaluated at the trained weights, reproduce
the stack to float64 precision.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import numpy as np
import sympy as sp

from derivations.figures._plot import COLORS, figure, frozen

#: Hidden width of both networks.
HIDDEN = 8
#: The interval the target is sampled on.
INTERVAL = (-2.0, 2.0)


def target(x: np.ndarray) -> np.ndarray:
    """The non-linear function both networks fit, $\\sin(2x) + 0.3x^2$.

    Args:
        x: `(points,)` inputs.

    Returns:
        `(points,)` values.

    Examples:
        >>> target(np.array([0.0])).tolist()
        [0.0]
    """
    return np.sin(2.0 * x) + 0.3 * x**2


@dataclasses.dataclass(frozen=True)
class Collapse:
    """The symbolic single map of `Linear(1, h) -> Linear(h, 1)`.

    Attributes:
        weight: $W_2W_1$ in the entries of the symbolic weights.
        bias: $W_2b_1 + b_2$ likewise.
        curvature: The stack's second derivative in $x$ (0: the stack is affine).
        symbols: `(W1, b1, W2, b2)` as SymPy matrices, shaped like funcnet's parameters.
    """

    weight: sp.Expr
    bias: sp.Expr
    curvature: sp.Expr
    symbols: tuple[sp.Matrix, sp.Matrix, sp.Matrix, sp.Matrix]


@functools.cache
def collapse(hidden: int = HIDDEN) -> Collapse:
    """Composes two symbolic `Linear` layers and reads off the one map they make.

    Args:
        hidden: The width between the layers.

    Returns:
        A :class:`Collapse`.

    Examples:
        >>> c = collapse(1)
        >>> c.weight, c.bias, c.curvature
        (W1_0*W2_0, W2_0*b1_0 + b2_0, 0)
    """
    x = sp.Symbol("x", real=True)
    w1 = sp.Matrix(hidden, 1, lambda i, _: sp.Symbol(f"W1_{i}", real=True))
    b1 = sp.Matrix(hidden, 1, lambda i, _: sp.Symbol(f"b1_{i}", real=True))
    w2 = sp.Matrix(1, hidden, lambda _, j: sp.Symbol(f"W2_{j}", real=True))
    b2 = sp.Matrix([sp.Symbol("b2_0", real=True)])
    stack = sp.expand((w2 * (w1 * x + b1) + b2)[0])
    return Collapse(
        weight=sp.diff(stack, x),
        bias=stack.subs(x, 0),
        curvature=sp.diff(stack, x, 2),
        symbols=(w1, b1, w2, b2),
    )


@dataclasses.dataclass(frozen=True)
class AffineFit:
    """Both networks fitted to :func:`target`, and the stack's single map.

    Attributes:
        x: `(examples,)` inputs.
        y: `(examples,)` targets.
        stack: `(examples,)` predictions of `Linear -> Linear`.
        tanh: `(examples,)` predictions of `Linear -> Tanh -> Linear`.
        line: `(examples,)` the least-squares line (`numpy.polyfit`, degree 1).
        mse: Mean squared error of `"stack"`, `"tanh"` and `"line"`.
        weight: The collapsed map's weight at the trained parameters.
        bias: The collapsed map's bias.
        collapsed: `(examples,)` `weight * x + bias`.
        gap: `max |stack - collapsed|`.
        params: The trained `Linear -> Linear` parameters, as NumPy arrays.
    """

    x: np.ndarray
    y: np.ndarray
    stack: np.ndarray
    tanh: np.ndarray
    line: np.ndarray
    mse: dict[str, float]
    weight: float
    bias: float
    collapsed: np.ndarray
    gap: float
    params: tuple[dict[str, np.ndarray], ...]


def _collapsed(params: Any, hidden: int) -> tuple[float, float]:
    c = collapse(hidden)
    symbols = [s for matrix in c.symbols for s in matrix]
    first, second = params[0], params[1]
    values = [
        *np.asarray(first["weight"]).ravel(),
        *np.asarray(first["bias"]).ravel(),
        *np.asarray(second["weight"]).ravel(),
        *np.asarray(second["bias"]).ravel(),
    ]
    weight = sp.lambdify(symbols, c.weight, modules="math")(*map(float, values))
    bias = sp.lambdify(symbols, c.bias, modules="math")(*map(float, values))
    return float(weight), float(bias)


@functools.cache
def affine_data(steps: int = 400, examples: int = 64, seed: int = 0) -> AffineFit:
    """Fits both networks (Adam, full batch, float64) and collapses the plain stack.

    Args:
        steps: Adam steps per network.
        examples: Evenly spaced points of :data:`INTERVAL`.
        seed: Seeds the initial parameters.

    Returns:
        An :class:`AffineFit`.

    Examples:
        >>> fit = affine_data()
        >>> fit.gap < 1e-12, fit.mse["stack"] >= fit.mse["line"] - 1e-12
        (True, True)
    """
    import jax

    import funcnet
    from derivations.figures._training import train

    x = np.linspace(*INTERVAL, examples)
    y = target(x)
    models = {
        "stack": funcnet.Sequential(funcnet.Linear(1, HIDDEN), funcnet.Linear(HIDDEN, 1)),
        "tanh": funcnet.Sequential(
            funcnet.Linear(1, HIDDEN), funcnet.Tanh(), funcnet.Linear(HIDDEN, 1)
        ),
    }
    with jax.enable_x64(True):
        inputs, targets = jax.numpy.asarray(x[:, None]), jax.numpy.asarray(y[:, None])
        trained = train(models, inputs, targets, steps=steps, learning_rate=0.05, seed=seed)
        fitted = {name: params for name, (params, _) in trained.items()}
        out = {name: np.asarray(models[name](fitted[name], inputs))[:, 0] for name in models}
    line = np.polyval(np.polyfit(x, y, 1), x)
    weight, bias = _collapsed(fitted["stack"], HIDDEN)
    collapsed = weight * x + bias
    return AffineFit(
        x=frozen(x),
        y=frozen(y),
        stack=frozen(out["stack"]),
        tanh=frozen(out["tanh"]),
        line=frozen(line),
        mse={k: float(np.mean((v - y) ** 2)) for k, v in {**out, "line": line}.items()},
        weight=weight,
        bias=bias,
        collapsed=frozen(collapsed),
        gap=float(np.max(np.abs(out["stack"] - collapsed))),
        params=tuple({k: frozen(v) for k, v in layer.items()} for layer in fitted["stack"]),
    )


def affine_figure() -> Any:
    """The two fits beside the best line, and the stack against its collapsed map.

    Returns:
        A matplotlib figure, 2 panels.

    Examples:
        >>> [axis.get_xlabel() for axis in affine_figure().axes]
        ['x', 'x']
    """
    fit = affine_data()
    fig, (left, right) = figure(2, height=4.6)
    left.plot(fit.x, fit.y, "o", ms=3.5, color=COLORS["target"], label="target")
    left.plot(
        fit.x,
        fit.line,
        "--",
        lw=2.5,
        color=COLORS["function"],
        label=f"best straight line (MSE {fit.mse['line']:.3f})",
    )
    left.plot(
        fit.x,
        fit.stack,
        lw=1.5,
        color=COLORS["linear"],
        label=f"Linear -> Linear (MSE {fit.mse['stack']:.3f})",
    )
    left.plot(
        fit.x,
        fit.tanh,
        lw=2,
        color=COLORS["mlp"],
        label=f"Linear -> Tanh -> Linear (MSE {fit.mse['tanh']:.1e})",
    )
    left.set(title=f"Two layers of width {HIDDEN}, fitted with Adam", xlabel="x", ylabel="y")
    left.legend(fontsize=8.5, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
    right.plot(
        fit.x,
        fit.stack,
        lw=5,
        alpha=0.35,
        color=COLORS["linear"],
        label="Linear -> Linear, run by funcnet",
    )
    right.plot(
        fit.x, fit.collapsed, "k--", lw=1.2, label=f"one map: {fit.weight:.4f} x + {fit.bias:.4f}"
    )
    right.set(title=f"The stack is one affine map (max gap {fit.gap:.1e})", xlabel="x", ylabel="y")
    right.legend(fontsize=8.5, loc="upper center", bbox_to_anchor=(0.5, -0.16))
    return fig
