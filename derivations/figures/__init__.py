"""The figures of the mathematics pages, drawn from the symbols and from funcnet.

`FIGURES` maps a figure's name to a function returning a matplotlib figure; the site
publishes each as `figures/<name>.png` (`docsite/figures.py`), drawn when the site is
built, never committed.

Every figure's numbers come from a data function beside it (`activation_data`,
`affine_data`, `gibbs_data`, ...), which the tests check against independent
references; the drawing functions only draw. This subpackage is the second place in
`derivations` that uses funcnet (after `derivations.crosscheck`, which checks it), and
only to draw: funcnet, JAX and matplotlib are imported inside the functions, so
`import derivations` stays free of them.

Examples:
    >>> len(FIGURES), "activations" in FIGURES
    (11, True)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from derivations.figures.activations import (
    activations_figure,
    more_activations_figure,
    vanishing_figure,
)
from derivations.figures.affine import affine_figure
from derivations.figures.approximation import approximation_figure
from derivations.figures.fourier import fourier_figure, gibbs_figure
from derivations.figures.losses import convexity_figure, differentiability_figure, landscape_figure
from derivations.figures.taylor import taylor_figure

__all__ = ["FIGURES"]

FIGURES: dict[str, Callable[[], Any]] = {
    "activations": activations_figure,
    "activations-more": more_activations_figure,
    "vanishing-gradient": vanishing_figure,
    "affine-collapse": affine_figure,
    "fourier-series": fourier_figure,
    "fourier-gibbs": gibbs_figure,
    "taylor": taylor_figure,
    "approximation": approximation_figure,
    "convexity-definition": convexity_figure,
    "convexity-parameters": landscape_figure,
    "differentiability": differentiability_figure,
}
