"""The figures of the "Activations compared" page, drawn from its own code's results.

`docs/sweep.md` trains its sweeps in its own Python blocks. Here those blocks run once
when the site is built, in one namespace, exactly as `docsite.execute` runs a page;
the figures are drawn from the variables they leave: `lesson` and `digits_history`
(each a `SweepHistory`) and `norms` (activation -> per-layer gradient norms at
initialisation and after training). So the figures show the very runs whose code and
printed tables the page shows: `docsite.execute` runs the page once per build, for
its outputs and for these figures, in either language.

Each figure is published as `figures/<name>.png`.
"""

from __future__ import annotations

import functools
import io
import pathlib
from collections.abc import Callable
from typing import Any

PAGE = pathlib.Path(__file__).resolve().parent.parent / "docs" / "sweep.md"


def namespace() -> dict[str, Any]:
    """The variables the page's blocks define, from the run that renders the page.

    Raises:
        docsite.execute.BlockError: naming the block, when one raises.
    """
    from docsite import execute

    return execute.page_namespace(PAGE.read_text(encoding="utf-8"), "sweep.md")


def _from_history(variable: str, kind: str, title: str) -> Callable[[], Any]:
    """A figure of the `SweepHistory` the page leaves in `variable`: the per-epoch
    curves (`kind="curves"`) or the final validation accuracy per run (`"final"`)."""

    def draw() -> Any:
        from funcnet import _sweep_report

        history = namespace()[variable]
        if kind == "curves":
            return _sweep_report.curves_figure(history, ["loss", "val_accuracy"], title)
        return _sweep_report.final_figure(history, "val_accuracy", title)

    return draw


def _gradients() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    norms = namespace()["norms"]
    figure, axis = plt.subplots(figsize=(6.5, 4.0))
    for name, (initial, trained) in norms.items():
        layers = range(len(initial))
        (line,) = axis.plot(layers, initial, marker="o", label=name)
        axis.plot(layers, trained, marker="o", linestyle="--", color=line.get_color())
    axis.set_yscale("log")
    axis.set_xticks(list(range(len(next(iter(norms.values()))[0]))))
    axis.set_xlabel("Linear layer (0 is nearest the input)")
    axis.set_ylabel("gradient norm of its weights")
    axis.set_title("Mean over 16 seeds: at initialisation (solid), trained (dashed)")
    axis.legend(fontsize="small", ncol=2)
    figure.tight_layout()
    return figure


FIGURES: dict[str, Callable[[], Any]] = {
    "sweep-lesson-curves": _from_history(
        "lesson", "curves", "The lesson's model on its task: 16 seeds each"
    ),
    "sweep-lesson-final": _from_history("lesson", "final", "The lesson's model, after 30 epochs"),
    "sweep-digits-curves": _from_history(
        "digits_history", "curves", "Digits, four hidden layers of 32: 16 seeds each"
    ),
    "sweep-digits-final": _from_history("digits_history", "final", "Digits, after 10 epochs"),
    "sweep-gradients": _gradients,
}


def names() -> list[str]:
    """The names of the figures this module publishes."""
    return sorted(FIGURES)


@functools.cache
def png(name: str) -> bytes:
    """The figure `name` as PNG bytes; drawn once per build, for every language."""
    import matplotlib.pyplot as plt

    figure = FIGURES[name]()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()
