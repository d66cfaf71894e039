"""Figures drawn when the site is built, published as `figures/<name>.png`.

Every figure comes from a function in `derivations.figures.FIGURES` (name -> a function
returning a matplotlib figure), so a figure on the site is drawn from the same code
the tests check. Nothing drawn is committed.
"""

from __future__ import annotations

import functools
import io


@functools.cache
def png(name: str) -> bytes:
    """The figure `name` as PNG bytes; drawn once per build, for every language."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from derivations.figures import FIGURES

    figure = FIGURES[name]()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def names() -> list[str]:
    """The names of every figure the site publishes."""
    from derivations.figures import FIGURES

    return sorted(FIGURES)
