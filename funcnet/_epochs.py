"""`fit`'s loop over compiled epochs: records, progress lines, and where it stops.

An epoch counts once its compiled call, its validation and its record are all done.
A signal (Ctrl-C, or SIGTERM) is recorded while `fit` runs and raised after the epoch
it arrived in (`deferred_interrupts`); an interrupt raised inside an epoch (a second
Ctrl-C) drops that epoch. Either way `TrainingInterrupted` carries the state and
history of the completed epochs. An
epoch whose step losses (or final parameters) are not finite raises `DivergenceError`
with the state it started from, so no caller ever receives non-finite parameters.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

import jax

from funcnet._guards import Terminated
from funcnet.errors import DivergenceError, TrainingInterrupted

Record = dict[str, float]


class Progress:
    """One line per epoch on stderr: the epoch, its metrics and the step rate."""

    def __init__(self, epochs: int, enabled: bool) -> None:
        self.epochs, self.enabled = epochs, enabled

    def update(self, epoch: int, record: Record, steps_per_second: float) -> None:
        if not self.enabled:
            return
        width = 20
        filled = round(width * (epoch + 1) / self.epochs)
        bar = "#" * filled + "." * (width - filled)
        numbers = "  ".join(
            f"{name} {value:.4f}" for name, value in record.items() if name != "seconds"
        )
        line = (
            f"[{bar}] epoch {epoch + 1}/{self.epochs}  {numbers}  {steps_per_second:,.0f} steps/s"
        )
        print(line, file=sys.stderr, flush=True)


class EpochLoop:
    """The epochs of one `fit` call and what they completed.

    Args:
        epoch_fn: the compiled epoch, `(state, x, y) -> (state, means, (index, loss))`
            with `index` the first non-finite step of the epoch, or -1.
        data: the training `(x, y)`.
        steps: optimizer steps per epoch (for the progress line).
        validate: `validate(state) -> {"loss": ..., ...}` on the validation data, given
            the `TrainState`; or None.
    """

    def __init__(
        self,
        epoch_fn: Callable,
        data: tuple[jax.Array, jax.Array],
        steps: int,
        validate: Callable[[Any], dict[str, float]] | None,
    ) -> None:
        self.epoch_fn, self.data, self.steps, self.validate = epoch_fn, data, steps, validate
        self.records: list[Record] = []

    def history(self, count: int) -> dict[str, list[float]]:
        """The first `count` records as per-epoch lists."""
        history: dict[str, list[float]] = {}
        for record in self.records[:count]:
            for name, value in record.items():
                history.setdefault(name, []).append(value)
        return history

    def run(
        self, state: Any, epochs: int, bar: Progress, interrupted: Callable[[], None]
    ) -> tuple[Any, dict[str, list[float]]]:
        """Train `epochs` epochs from `state`: `(final state, history)`.

        `interrupted()` raises `KeyboardInterrupt` if a signal arrived; it is called
        after each completed epoch.
        """
        done = (state, 0)  # one assignment, so a signal never sees it half updated
        try:
            for epoch in range(epochs):
                new_state, record = self.epoch(done[0], epoch)
                self.records.append(record)
                done = (new_state, epoch + 1)
                bar.update(epoch, record, self.steps / max(record["seconds"], 1e-9))
                interrupted()
        except KeyboardInterrupt as stop:
            raise TrainingInterrupted(
                state=done[0],
                history=self.history(done[1]),
                epoch=done[1],
                signal="SIGTERM" if isinstance(stop, Terminated) else "SIGINT",
            ) from None
        return done[0], self.history(epochs)

    def epoch(self, state: Any, epoch: int) -> tuple[Any, Record]:
        """One compiled epoch from `state` (the 0-based `epoch`): its state and record."""
        start = time.perf_counter()
        new_state, metrics, (bad, loss) = self.epoch_fn(state, *self.data)
        record = {"loss": float(metrics["loss"])}  # one scalar transfer each: the cheapest
        record.update({name: float(value) for name, value in metrics.items()})
        bad = int(bad)
        seconds = time.perf_counter() - start
        if bad >= 0:
            raise DivergenceError(
                state=state,
                history=self.history(epoch),
                epoch=epoch + 1,
                step=int(state.step) + bad + 1,
                loss=float(loss),
            )
        if self.validate is not None:
            scores = self.validate(new_state)
            record.update({f"val_{name}": value for name, value in scores.items()})
        record["seconds"] = seconds
        return new_state, record
