"""`fit`'s loop over compiled epochs, and the pieces its steps and evaluations share.

The pieces (`forward`, `metrics`, `as_pair`, `batches`, `place`, `outputs`, ...) know
nothing of `TrainState`, so `funcnet.train` and `funcnet.evaluation` both build on
them.

The loop records each epoch, prints progress lines, and says where it stopped.

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
import jax.numpy as jnp
from jax.sharding import Mesh

from funcnet import devices as _devices
from funcnet._guards import Terminated
from funcnet._validate import positive_int
from funcnet.errors import DivergenceError, TrainingInterrupted
from funcnet.layers import Layer, Params, State

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


# --- the pieces of a step, an epoch and an evaluation -----------------------------


def forward(model: Layer, params: Params, model_state: State, x: jax.Array, **options):
    """`(outputs, new model state)`; a model without state runs with plain `apply`."""
    if model.stateful:
        return model.apply_with_state(params, model_state, x, **options)
    return model.apply(params, x, **options), model_state


def metrics(outputs: jax.Array, target: jax.Array, loss: jax.Array) -> dict[str, jax.Array]:
    """Loss, plus accuracy when the outputs are class scores for integer targets."""
    values = {"loss": loss}
    if jnp.issubdtype(target.dtype, jnp.integer) and outputs.ndim == target.ndim + 1:
        hits = jnp.argmax(outputs, axis=-1) == target
        values["accuracy"] = jnp.mean(hits.astype(loss.dtype))
    return values


def floats(values: dict[str, jax.Array]) -> dict[str, float]:
    """Host floats, `"loss"` first, then the rest as the console prints them."""
    values = jax.device_get(values)
    return {"loss": float(values["loss"])} | {name: float(v) for name, v in values.items()}


def as_pair(data: Any, what: str) -> tuple[jax.Array, jax.Array]:
    """`data` as arrays `(x, y)` with one target per example, or a clear error."""
    try:
        x, y = data
    except (TypeError, ValueError):
        raise TypeError(
            f"{what} must be a pair (x, y) of arrays, got {type(data).__name__}."
        ) from None
    x, y = jnp.asarray(x), jnp.asarray(y)
    if x.shape[:1] != y.shape[:1]:
        raise ValueError(
            f"{what}: x and y must have the same number of examples, got {_count(x)} "
            f"and {_count(y)} (x of shape {x.shape}, y of shape {y.shape}). Fix: give "
            "one target per example, y[i] for x[i]."
        )
    return x, y


def _count(array: jax.Array) -> int | str:
    return array.shape[0] if array.ndim else "a scalar"


def check_batch_size(batch_size: object, count: int, drop_last: bool) -> int:
    """`fit`'s `batch_size`, checked against the `count` examples it splits."""
    positive_int(batch_size, "batch_size", "fit")
    if drop_last and count < batch_size:
        raise ValueError(
            f"fit: drop_last=True with {count} examples and batch_size={batch_size} "
            "leaves no batch to train on."
        )
    return batch_size


def batches(tree: Any, full: int, batch_size: int) -> Any:
    """Each `(full * batch_size, ...)` array as a `(full, batch_size, ...)` stack."""
    return jax.tree_util.tree_map(lambda a: a.reshape(full, batch_size, *a.shape[1:]), tree)


def place(tree: Any, grid: Mesh | None, dim: int) -> Any:
    """`tree` as it is on one device; on a mesh, its examples (axis `dim`) split."""
    return tree if grid is None else _devices.constrain(tree, grid, dim)


def outputs(model: Layer, params: Params, model_state: State, x: jax.Array, grid: Any):
    """The evaluation forward pass; on a mesh, with the examples split over its devices.

    The examples are padded to a multiple of the device count and the padded outputs
    dropped (a forward pass in evaluation mode treats examples independently); the
    outputs come back whole on every device.
    """
    if grid is None:
        return forward(model, params, model_state, x)[0]
    padded = _devices.constrain(_devices.pad_examples(x, grid), grid)
    result = forward(model, params, model_state, padded)[0][: x.shape[0]]
    return jax.lax.with_sharding_constraint(result, _devices.replicated(grid))
