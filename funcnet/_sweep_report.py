"""A sweep's results as files: a table (CSV and JSON) and plots, written atomically.

`funcnet sweep` writes them; the site's "Activations compared" page draws its figures
with the same functions. Runs are grouped by their settings (model and
hyperparameters) across seeds: a group's curve is the mean over its seeds, with a band
from the lowest to the highest seed. matplotlib is imported only by the plotting
functions.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from funcnet import _io
from funcnet.runs import signals_held

FILES = ("results.csv", "results.json", "curves.png", "final.png")


def settings_of(history: Any) -> list[str]:
    """The fields that tell groups of runs apart: the model and the hyperparameters that
    take more than one value (the model alone when nothing varies)."""
    fields = ["model"] if len(history.model_names) > 1 else []
    for name in history.runs[0].hyperparameters:
        if len({run.hyperparameters[name] for run in history.runs}) > 1:
            fields.append(name)
    return fields or ["model"]


def title_of(name: str) -> str:
    """A figure's name in words: `"val_loss"` is the validation loss.

    Examples:
        >>> title_of("val_accuracy"), title_of("loss")
        ('validation accuracy', 'training loss')
    """
    if name.startswith("val_"):
        return "validation " + name.removeprefix("val_").replace("_", " ")
    return "training " + name.replace("_", " ")


_SHORT = {"learning_rate": "lr", "weight_decay": "wd"}


def label(key: Sequence[Any], fields: Sequence[str]) -> str:
    """A group's legend entry, e.g. `"relu, lr 0.01"`.

    Examples:
        >>> label(("relu", 0.01), ["model", "learning_rate"])
        'relu, lr 0.01'
    """
    parts = [f"{value:g}" if isinstance(value, float) else str(value) for value in key]
    return ", ".join(
        part if field == "model" else f"{_SHORT.get(field, field)} {part}"
        for field, part in zip(fields, parts, strict=True)
    )


def summary(history: Any, name: str, fields: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Per group of runs (same `fields`, every seed): the final `name`'s mean, spread, count.

    `fields` default to `settings_of(history)`. Diverged runs (nan) are counted apart
    and left out of the mean.
    """
    fields = settings_of(history) if fields is None else list(fields)
    final = history.final(name)
    rows = []
    for key, runs in history.group(*fields).items():
        values = final[runs]
        finite = values[np.isfinite(values)]
        rows.append(
            {
                **dict(zip(fields, key, strict=True)),
                "runs": len(runs),
                "diverged": int(len(values) - len(finite)),
                "mean": float(finite.mean()) if len(finite) else math.nan,
                "std": float(finite.std()) if len(finite) else math.nan,
                "min": float(finite.min()) if len(finite) else math.nan,
                "max": float(finite.max()) if len(finite) else math.nan,
            }
        )
    return rows


def _rows(history: Any, model_field: str) -> list[dict[str, Any]]:
    return [
        {(model_field if key == "model" else key): value for key, value in row.items()}
        for row in history.rows()
    ]


def as_csv(history: Any, model_field: str = "model") -> bytes:
    """One row per run: its settings, seed, the epoch it diverged in, its final figures.

    `model_field` names the column of the model's name (`"activation"` for a sweep
    of activations).

    Examples:
        >>> from funcnet.sweep import SweepHistory, SweepRun
        >>> history = SweepHistory((SweepRun(0, 0, {"lr": 0.1}, 3),), ("relu",),
        ...                        {"loss": np.array([[0.9, 0.5]])}, (0.1, 0.1), {})
        >>> print(as_csv(history).decode(), end="")
        run,model,seed,lr,diverged,loss
        0,relu,3,0.1,,0.5
    """
    rows = _rows(history, model_field)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _cell(value) for key, value in row.items()})
    return buffer.getvalue().encode()


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{value:.6g}" if isinstance(value, float) else value


def as_json(history: Any, settings: Mapping[str, Any], model_field: str = "model") -> bytes:
    """The settings, one summary per run, and every per-epoch figure, as JSON."""
    rows = [
        {key: _finite(value) for key, value in row.items()} for row in _rows(history, model_field)
    ]
    document = {"settings": dict(settings), "runs": rows, "history": history.as_dict()}
    return json.dumps(document, indent=1).encode()


def _finite(value: Any) -> Any:
    return None if isinstance(value, float) and math.isnan(value) else value


def curves_figure(history: Any, names: Sequence[str], title: str) -> Any:
    """Per group, the mean of `names` over the seeds per epoch, with the min-max band.

    Raises:
        ImportError: without matplotlib.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fields = settings_of(history)
    figure, axes = plt.subplots(1, len(names), figsize=(5 * len(names), 3.8), squeeze=False)
    for axis, name in zip(axes[0], names, strict=True):
        values = history.figures[name]
        epochs = np.arange(1, values.shape[1] + 1)
        for key, runs in history.group(*fields).items():
            group = values[runs]
            if not np.isfinite(group).any():
                continue
            mean = np.nanmean(group, axis=0)
            (line,) = axis.plot(epochs, mean, label=label(key, fields))
            low, high = np.nanmin(group, axis=0), np.nanmax(group, axis=0)
            axis.fill_between(epochs, low, high, color=line.get_color(), alpha=0.15)
        axis.set_xlabel("epoch")
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
        axis.set_title(title_of(name))
        if "loss" in name:
            axis.set_yscale("log")
    axes[0][0].legend(fontsize="small")
    figure.suptitle(title)
    figure.tight_layout()
    return figure


def final_figure(history: Any, name: str, title: str) -> Any:
    """Per group, the final `name` of every seed as a dot, and their mean as a bar.

    Raises:
        ImportError: without matplotlib.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fields, final = settings_of(history), history.final(name)
    groups = history.group(*fields)
    figure, axis = plt.subplots(figsize=(max(4.0, 0.9 * len(groups) + 1.5), 3.8))
    for position, runs in enumerate(groups.values()):
        values = final[runs]
        axis.bar(position, np.nanmean(values) if np.isfinite(values).any() else 0, alpha=0.35)
        jitter = np.linspace(-0.2, 0.2, len(values))
        axis.plot(position + jitter, values, "o", color="black", markersize=3)
    axis.set_xticks(range(len(groups)))
    axis.set_xticklabels([label(key, fields) for key in groups], rotation=30, ha="right")
    axis.set_ylabel("final " + title_of(name))
    axis.set_title("\n".join(textwrap.wrap(title, 48)), fontsize="medium")
    figure.tight_layout()
    return figure


def _png(figure: Any) -> bytes:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    plt.close(figure)
    return buffer.getvalue()


def plots(history: Any, title: str) -> dict[str, bytes]:
    """`{"curves.png": ..., "final.png": ...}`; empty without matplotlib."""
    prefix = "val_" if "val_loss" in history.figures else ""
    names = [prefix + name for name in ("loss", "accuracy") if prefix + name in history.figures]
    try:
        return {
            "curves.png": _png(curves_figure(history, names, title)),
            "final.png": _png(final_figure(history, names[-1], title)),
        }
    except ImportError:
        return {}


def write(
    directory: str,
    history: Any,
    settings: Mapping[str, Any],
    title: str,
    model_field: str = "model",
) -> list[str]:
    """Write the table and the plots into `directory` (which must exist); their names.

    Each file is written atomically, with Ctrl-C and SIGTERM held back until all are.
    """
    files = {
        "results.csv": as_csv(history, model_field),
        "results.json": as_json(history, settings, model_field),
        **plots(history, title),
    }
    with signals_held(redeliver=False):
        for name, data in files.items():
            _io.write_bytes(os.path.join(directory, name), data)
    return list(files)
