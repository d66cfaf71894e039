"""What every figure shares: a pyplot-free matplotlib figure and a few colours.

Figures are built as :class:`matplotlib.figure.Figure` objects, not through pyplot, so
drawing them keeps no global state: nothing to close, no backend to choose, and a test
that draws every figure leaves no open windows behind.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: One colour per role, so a reader can follow a quantity from figure to figure.
COLORS = {
    "function": "0.55",
    "symbolic": "tab:blue",
    "numeric": "tab:orange",
    "target": "black",
    "fourier": "tab:blue",
    "taylor": "tab:red",
    "mlp": "tab:green",
    "linear": "tab:purple",
    "shade": "tab:orange",
    "good": "tab:green",
    "bad": "tab:red",
}


def figure(columns: int, *, rows: int = 1, width: float = 10.0, height: float = 4.0) -> Any:
    """A constrained-layout figure with a `rows` x `columns` grid of axes.

    Args:
        columns: Axes per row.
        rows: Rows of axes.
        width: Width in inches.
        height: Height in inches.

    Returns:
        `(figure, axes)`, with `axes` a flat array of `rows * columns` axes.

    Examples:
        >>> fig, axes = figure(3)
        >>> axes.shape, fig.get_size_inches().tolist()
        ((3,), [10.0, 4.0])
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(rows, columns, squeeze=False)
    for axis in axes.flat:
        axis.grid(alpha=0.3)
    return fig, np.asarray(axes).ravel()


def frozen(array: Any) -> np.ndarray:
    """`array` as a read-only float NumPy array, safe to share between callers of a cache.

    Examples:
        >>> frozen([1, 2]).flags.writeable
        False
    """
    out = np.array(array, dtype=float)
    out.setflags(write=False)
    return out


def runs(mask: np.ndarray, x: np.ndarray) -> tuple[tuple[float, float], ...]:
    """The intervals of `x` over which `mask` holds, as `(start, stop)` pairs.

    Args:
        mask: `(points,)` booleans.
        x: `(points,)` increasing coordinates.

    Returns:
        One `(x[first], x[last])` pair per run of consecutive true entries.

    Examples:
        >>> runs(np.array([True, True, False, True]), np.arange(4.0))
        ((0.0, 1.0), (3.0, 3.0))
    """
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(int), [0]])))
    return tuple(
        (float(x[a]), float(x[b - 1])) for a, b in zip(edges[::2], edges[1::2], strict=True)
    )
