"""Training curves: a run's per-epoch history as CSV, and as loss and accuracy plots.

The held-out split is called *validation* here as everywhere in funcnet: history keys
`val_loss` and `val_accuracy`, the legend entry "validation".
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

__all__ = ["as_csv", "as_png", "figure"]


def as_csv(history: Mapping[str, list[float]]) -> bytes:
    """The history as CSV: a header `epoch,<metric>,...`, then one row per epoch.

    Examples:
        >>> from funcnet.curves import as_csv
        >>> print(as_csv({"loss": [1.0, 0.5], "val_loss": [1.25, 0.75]}).decode(), end="")
        epoch,loss,val_loss
        1,1,1.25
        2,0.5,0.75
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    names = list(history)
    writer.writerow(["epoch", *names])
    for epoch, row in enumerate(zip(*(history[name] for name in names), strict=True), 1):
        writer.writerow([epoch, *(f"{value:.6g}" for value in row)])
    return buffer.getvalue().encode()


def figure(history: Mapping[str, list[float]], title: str) -> Any:
    """The loss and accuracy curves of a run, training and validation, as a figure.

    Args:
        history: per-epoch lists (`loss`, `accuracy`, `val_loss`, `val_accuracy`).
        title: the figure's title (the model and dataset).

    Returns:
        A matplotlib `Figure` with one axis per metric.

    Raises:
        ImportError: without matplotlib.

    Examples:
        >>> from funcnet.curves import figure
        >>> history = {"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]}
        >>> axes = figure(history, "MLP on iris").axes
        >>> [text.get_text() for text in axes[0].get_legend().get_texts()]
        ['training', 'validation']
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = [name for name in ("loss", "accuracy") if name in history]
    result, axes = plt.subplots(1, len(metrics), figsize=(4.5 * len(metrics), 3.8), squeeze=False)
    epochs = range(1, len(history[metrics[0]]) + 1)
    for axis, metric in zip(axes[0], metrics, strict=True):
        for prefix, label in (("", "training"), ("val_", "validation")):
            if prefix + metric in history:
                axis.plot(epochs, history[prefix + metric], label=label)
        axis.set_xlabel("epoch")
        axis.set_title(metric)
        axis.legend()
    result.suptitle(title)
    result.tight_layout()
    return result


def as_png(history: Mapping[str, list[float]], title: str) -> bytes | None:
    """`figure` as PNG bytes; None without matplotlib."""
    try:
        drawn = figure(history, title)
    except ImportError:
        return None
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    drawn.savefig(buffer, format="png", dpi=100)
    plt.close(drawn)
    return buffer.getvalue()
