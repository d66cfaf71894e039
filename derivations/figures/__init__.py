"""The figures of the mathematics pages, drawn from the symbols and from funcnet.

`FIGURES` maps a figure's name to a function returning a matplotlib figure; the site
publishes each as `figures/<name>.png`. matplotlib is imported inside the functions,
so `import derivations` stays free of it.
"""

from __future__ import annotations

from collections.abc import Callable

from derivations.figures.activations import activations_figure

FIGURES: dict[str, Callable[[], object]] = {
    "activations": activations_figure,
}
