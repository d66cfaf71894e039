r"""Losses: what convex means, where convexity is lost, and why accuracy is no loss.

- the chord definition on $x^2$: the correct one (graph on or below the chord) beside
  the lesson's (graph on or above it, which describes a concave function);
- $(\hat y - 1)^2$ is convex in the output $\hat y$, but with $\hat y = w_2 w_1 x$ it is
  not convex in the weights: two separate valleys;
- accuracy and precision of a one-weight classifier are step functions of the weight
  (zero derivative almost everywhere), while cross-entropy is smooth. The numbers come
  from funcnet's metrics and loss on the data set of the ``convexity`` checks.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import numpy as np
import sympy as sp

from derivations.figures._plot import COLORS, figure, frozen

#: The chord's endpoints on $x^2$.
CHORD = (-1.5, 1.0)
#: The one-weight classifier's data, as in ``convexity.precision_recall_piecewise_constant``:
#: score $w x_i + b$, class 1 predicted when the score is positive.
FEATURES = (-2.0, -1.0, 1.0, 2.0, 3.0)
LABELS = (0, 1, 0, 1, 1)
BIAS = 0.5


@dataclasses.dataclass(frozen=True)
class Chord:
    """$x^2$ and $-x^2$ with the chord between :data:`CHORD`'s endpoints.

    Attributes:
        x: `(points,)` the grid.
        value: `(points,)` $x^2$.
        segment: `(m,)` points between the endpoints.
        lam: `(m,)` $\\lambda$ with `segment` $= \\lambda a + (1 - \\lambda) b$.
        chord: `(m,)` the chord of $x^2$ over `segment`.
        gap: `(m,)` chord minus graph for $x^2$ (the correct definition wants $\\ge 0$).
        negated_gap: `(m,)` the same for $-x^2$ (the lesson's definition wants
            $\\le 0$; it holds here, and $-x^2$ is concave).
    """

    x: np.ndarray
    value: np.ndarray
    segment: np.ndarray
    lam: np.ndarray
    chord: np.ndarray
    gap: np.ndarray
    negated_gap: np.ndarray


@functools.cache
def chord_data(points: int = 401) -> Chord:
    """The chord test on $x^2$ and on $-x^2$.

    Args:
        points: Grid size (the segment gets a quarter of it).

    Returns:
        A :class:`Chord`.

    Examples:
        >>> data = chord_data(points=41)
        >>> bool(data.gap.min() >= 0), bool(data.negated_gap.max() <= 0)
        (True, True)
    """
    a, b = CHORD
    x = np.linspace(-2.0, 2.0, points)
    lam = np.linspace(1.0, 0.0, points // 4)
    segment = lam * a + (1 - lam) * b
    chord = lam * a**2 + (1 - lam) * b**2
    return Chord(
        x=frozen(x),
        value=frozen(x**2),
        segment=frozen(segment),
        lam=frozen(lam),
        chord=frozen(chord),
        gap=frozen(chord - segment**2),
        negated_gap=frozen(-chord + segment**2),
    )


@dataclasses.dataclass(frozen=True)
class Landscape:
    """$L = (\\hat y - 1)^2$ over the output, and over two weights with $\\hat y = w_2w_1$.

    Attributes:
        output: `(points,)` values of $\\hat y$.
        output_loss: `(points,)` $L$ over them.
        weights: `(grid,)` the axis of $w_1$ and of $w_2$.
        loss: `(grid, grid)` $L(w_1, w_2)$, rows indexed by $w_2$.
        t: `(points,)` the diagonal $w_1 = w_2 = t$.
        diagonal: `(points,)` $L(t, t)$.
        minima: The local minima of `diagonal`, read off the grid.
        midpoint: $L$ at the midpoint of the two minima.
    """

    output: np.ndarray
    output_loss: np.ndarray
    weights: np.ndarray
    loss: np.ndarray
    t: np.ndarray
    diagonal: np.ndarray
    minima: tuple[float, ...]
    midpoint: float


def _local_minima(x: np.ndarray, values: np.ndarray) -> tuple[float, ...]:
    inner = (values[1:-1] < values[:-2]) & (values[1:-1] <= values[2:])
    return tuple(float(v) for v in x[1:-1][inner])


@functools.cache
def landscape_data(points: int = 801, grid: int = 201) -> Landscape:
    """The loss of $\\hat y = w_2 w_1 x$ at the example $(x, y) = (1, 1)$.

    Args:
        points: Size of the one-dimensional grids.
        grid: Size of each axis of the two-dimensional grid.

    Returns:
        A :class:`Landscape`.

    Examples:
        >>> landscape_data(points=81, grid=5).minima
        (-1.0, 1.0)
    """
    w1, w2, out = sp.symbols("w1 w2 yhat", real=True)
    in_output = (out - 1) ** 2
    in_weights = sp.lambdify((w1, w2), in_output.subs(out, w2 * w1 * 1), "numpy")
    output = np.linspace(-1.0, 3.0, points)
    weights = np.linspace(-2.0, 2.0, grid)
    t = np.linspace(-2.0, 2.0, points)
    diagonal = in_weights(t, t)
    minima = _local_minima(t, diagonal)
    middle = (minima[0] + minima[-1]) / 2
    return Landscape(
        output=frozen(output),
        output_loss=frozen(sp.lambdify(out, in_output, "numpy")(output)),
        weights=frozen(weights),
        loss=frozen(in_weights(*np.meshgrid(weights, weights))),
        t=frozen(t),
        diagonal=frozen(diagonal),
        minima=minima,
        midpoint=float(in_weights(middle, middle)),
    )


@dataclasses.dataclass(frozen=True)
class Sweep:
    """Metrics and loss of the one-weight classifier as the weight sweeps an interval.

    Attributes:
        w: `(points,)` the weights.
        accuracy: `(points,)` `funcnet.accuracy`.
        precision: `(points,)` `funcnet.precision`.
        cross_entropy: `(points,)` `funcnet.cross_entropy`.
        grad_accuracy: `(points,)` `jax.grad` of the accuracy.
        grad_cross_entropy: `(points,)` `jax.grad` of the cross-entropy.
        breakpoints: The weights where a score crosses 0: $-b/x_i$.
    """

    w: np.ndarray
    accuracy: np.ndarray
    precision: np.ndarray
    cross_entropy: np.ndarray
    grad_accuracy: np.ndarray
    grad_cross_entropy: np.ndarray
    breakpoints: tuple[float, ...]


def _sweep(w: np.ndarray) -> dict[str, np.ndarray]:
    import jax
    import jax.numpy as jnp

    import funcnet

    features, labels = jnp.asarray(FEATURES), jnp.asarray(LABELS)

    def logits(weight: Any) -> Any:  # (examples, 2): class 0 scores 0, class 1 the score
        return jnp.stack([jnp.zeros_like(features), weight * features + BIAS], axis=-1)

    metrics = {
        "accuracy": lambda v: funcnet.accuracy(logits(v), labels),
        "precision": lambda v: funcnet.precision(logits(v), labels),
        "cross_entropy": lambda v: funcnet.cross_entropy(logits(v), labels),
    }
    metrics["grad_accuracy"] = jax.grad(metrics["accuracy"])
    metrics["grad_cross_entropy"] = jax.grad(metrics["cross_entropy"])
    with jax.enable_x64(True):
        swept = jax.jit(lambda g: {k: jax.vmap(f)(g) for k, f in metrics.items()})(jnp.asarray(w))
        return {name: frozen(values) for name, values in swept.items()}


@functools.cache
def sweep_data(points: int = 2000, limit: float = 1.0) -> Sweep:
    """Accuracy, precision and cross-entropy of the classifier for $w \\in$ `[-limit, limit]`.

    Args:
        points: Grid size (even, so no grid point lands on a breakpoint).
        limit: Half-width of the sweep.

    Returns:
        A :class:`Sweep`.

    Examples:
        >>> data = sweep_data()
        >>> data.breakpoints, set(data.grad_accuracy.tolist())
        ((-0.5, -0.25, -0.16666666666666666, 0.25, 0.5), {0.0})
    """
    w = np.linspace(-limit, limit, points)
    return Sweep(w=frozen(w), **_sweep(w), breakpoints=tuple(sorted(-BIAS / x for x in FEATURES)))


def convexity_figure() -> Any:
    """The chord definition on $x^2$: the correct one, and the lesson's.

    Returns:
        A matplotlib figure, 2 panels.

    Examples:
        >>> len(convexity_figure().axes)
        2
    """
    data = chord_data()
    fig, (left, right) = figure(2, height=4.2)
    left.plot(data.x, data.value, color=COLORS["target"], lw=2, label="$f(x) = x^2$")
    left.plot(data.segment, data.chord, color=COLORS["good"], lw=2, label="chord")
    left.fill_between(data.segment, data.segment**2, data.chord, color=COLORS["good"], alpha=0.2)
    left.set(title="Correct: graph on or below every chord, so convex", xlabel="x")
    right.plot(data.x, data.value, color=COLORS["target"], lw=2, label="$f(x) = x^2$")
    right.plot(data.segment, data.chord, color=COLORS["bad"], lw=2, label="chord")
    right.fill_between(data.segment, data.segment**2, data.chord, color=COLORS["bad"], alpha=0.2)
    right.plot(
        data.x,
        -data.value,
        color=COLORS["function"],
        lw=2,
        ls="--",
        label="$-x^2$: on or above its chords, and concave",
    )
    right.plot(data.segment, -data.chord, color=COLORS["function"], lw=1.2)
    right.set(title="The lesson's: graph on or above the chord; x² fails it", xlabel="x")
    for axis in (left, right):
        axis.plot(CHORD, [v**2 for v in CHORD], "ko", ms=5)
        axis.legend(fontsize=8.5, loc="lower left" if axis is right else "upper center")
    return fig


def landscape_figure() -> Any:
    """$(\\hat y - 1)^2$ over the output, over $(w_1, w_2)$, and along $w_1 = w_2$.

    Returns:
        A matplotlib figure, 3 panels.

    Examples:
        >>> [axis.get_xlabel() for axis in landscape_figure().axes][:3]
        ['output ŷ', 'w1', 't']
    """
    data = landscape_data()
    fig, axes = figure(3, width=12.0, height=4.0)
    axes[0].plot(data.output, data.output_loss, color=COLORS["good"], lw=2)
    axes[0].set(title="Convex in the output: (ŷ - 1)²", xlabel="output ŷ", ylabel="loss")
    levels = np.linspace(0.0, 4.0, 17)
    contour = axes[1].contourf(
        data.weights, data.weights, data.loss, levels=levels, cmap="viridis_r", extend="max"
    )
    fig.colorbar(contour, ax=axes[1], label="loss")
    axes[1].plot(data.minima, data.minima, "wo", ms=6, mec="black")
    axes[1].plot(data.minima, data.minima, "w--", lw=1)
    axes[1].set(title="Not convex in the weights: ŷ = w2 w1", xlabel="w1", ylabel="w2")
    axes[2].plot(data.t, data.diagonal, color=COLORS["bad"], lw=2, label="loss at w1 = w2 = t")
    axes[2].plot(
        [data.minima[0], data.minima[-1]],
        [0.0, 0.0],
        "ko--",
        lw=1,
        ms=5,
        label="chord between the minima",
    )
    axes[2].plot(
        [0.0],
        [data.midpoint],
        "o",
        color=COLORS["bad"],
        ms=7,
        label=f"midpoint: loss {data.midpoint:g}, above the chord",
    )
    axes[2].set(title="Along the diagonal: two minima", xlabel="t", ylim=(-0.3, 3.0))
    axes[2].legend(fontsize=8.5, loc="upper center")
    return fig


def differentiability_figure() -> Any:
    """Accuracy and precision against one weight, beside cross-entropy and the slopes.

    Returns:
        A matplotlib figure, 3 panels.

    Examples:
        >>> [axis.get_xlabel() for axis in differentiability_figure().axes]
        ['weight w', 'weight w', 'weight w']
    """
    data = sweep_data()
    fig, axes = figure(3, width=12.0, height=4.0)
    axes[0].plot(data.w, data.accuracy, color=COLORS["symbolic"], lw=2, label="accuracy")
    axes[0].plot(
        data.w, data.precision, color=COLORS["numeric"], lw=1.5, ls="--", label="precision"
    )
    axes[0].set(title="Metrics: steps", ylabel="metric")
    axes[1].plot(data.w, data.cross_entropy, color=COLORS["good"], lw=2, label="cross-entropy")
    axes[1].set(title="Cross-entropy: smooth", ylabel="loss")
    axes[2].plot(
        data.w,
        np.gradient(data.accuracy, data.w),
        color=COLORS["symbolic"],
        lw=1,
        label="accuracy, finite differences",
    )
    axes[2].plot(
        data.w, data.grad_accuracy, color="black", lw=1, ls=":", label="accuracy, jax.grad"
    )
    axes[2].plot(
        data.w,
        data.grad_cross_entropy,
        color=COLORS["good"],
        lw=2,
        label="cross-entropy, jax.grad",
    )
    axes[2].set(
        title="Slopes: 0 almost everywhere, or informative", ylabel="d/dw", ylim=(-3.0, 3.0)
    )
    for axis in axes:
        for point in data.breakpoints:
            axis.axvline(point, color=COLORS["function"], lw=0.8, ls=":")
        axis.set_xlabel("weight w")
        axis.legend(fontsize=8, loc="lower right" if axis is axes[2] else "best")
    return fig
