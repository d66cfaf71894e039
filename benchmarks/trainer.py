"""`Trainer`: what every framework's implementation hands to the timing tasks.

One value per (framework, model): how to make a fresh training state from the shared
initial weights, how to make a (freshly traced) train step, and how to read a loss.
The tasks in `benchmarks.tasks` only ever talk to this interface.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Skip", "Trainer", "jax_sync"]

State = Any
Batch = Any
Step = Callable[[State, Batch], tuple[State, Any]]


class Skip(Exception):
    """This implementation cannot run on this machine; the message says why."""


@dataclass
class Trainer:
    """One framework's training loop for one model, behind a uniform interface.

    Attributes:
        init: `() -> state`, a fresh state from the shared initial weights.
        make_step: `() -> step`, with `step(state, batch) -> (state, out)`; each call
            traces a new function, so its first call measures trace + compile.
        loss_of: `out -> float`, the loss a step reported.
        to_batch: `(x, y) -> batch` from float64/int32 numpy arrays.
        sync: `state -> None`, waits for all queued work on `state`.
        make_epoch: for JAX trainers, `() -> epoch` with `epoch(state, x, y) -> state`
            running one shuffled epoch as one compiled call; None elsewhere.
    """

    init: Callable[[], State]
    make_step: Callable[[], Step]
    to_batch: Callable[[np.ndarray, np.ndarray], Batch]
    sync: Callable[[State], None]
    loss_of: Callable[[Any], float] = float
    make_epoch: Callable[[], Callable[[State, Any, Any], State]] | None = None
    _step: Step | None = field(default=None, repr=False)

    def step(self) -> Step:
        """One step function made by `make_step`, kept: it compiles once per process."""
        if self._step is None:
            self._step = self.make_step()
        return self._step


def jax_sync(state: State) -> None:
    import jax

    jax.block_until_ready(state)
