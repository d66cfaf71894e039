"""A sweep's loop over epochs: every chunk's compiled epoch, validation, records and progress.

As in `fit`, an epoch counts once its compiled calls, its validation and its records
are done; Ctrl-C or SIGTERM is recorded and raised after the epoch it arrived in. A
run whose loss (or a parameter) becomes non-finite is stopped, not the sweep: it keeps
its last finite state, its figures are nan from then on, and the history says in which
epoch it diverged. Only when every run has diverged does the sweep raise.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from funcnet._sweep_epochs import Chunk, EpochCall


class Progress:
    """One line per epoch on stderr: the best run's figures and the median of every run."""

    def __init__(self, epochs: int, runs: int, enabled: bool) -> None:
        self.epochs, self.runs, self.enabled = epochs, runs, enabled

    def update(self, epoch: int, figures: dict[str, np.ndarray], best: int, note: str) -> None:
        if not self.enabled:
            return
        width = 20
        filled = round(width * (epoch + 1) / self.epochs)
        bar = "#" * filled + "." * (width - filled)
        at_best = "  ".join(f"{name} {values[best]:.4f}" for name, values in figures.items())
        median = "  ".join(
            f"{name} {np.nanmedian(values):.4f}" for name, values in figures.items()
        )
        line = (
            f"[{bar}] epoch {epoch + 1}/{self.epochs}  {self.runs} runs  best (run {best}) "
            f"{at_best}  |  median {median}{note}"
        )
        print(line, file=sys.stderr, flush=True)


def ranking_metric(names: Sequence[str]) -> str:
    """The figure that decides the best run: `val_loss` when there is one, else `loss`."""
    return "val_loss" if "val_loss" in names else "loss"


def best_run(values: np.ndarray, metric: str) -> int:
    """The index of the best finite value: the lowest loss, or the highest other figure."""
    finite = np.where(np.isfinite(values), values, np.inf if "loss" in metric else -np.inf)
    return int(np.argmin(finite) if "loss" in metric else np.argmax(finite))


class Records:
    """Per-run, per-epoch figures of a sweep, filled in epoch by epoch."""

    def __init__(self, runs: int, epochs: int) -> None:
        self.runs, self.epochs = runs, epochs
        self.figures: dict[str, np.ndarray] = {}
        self.seconds: list[float] = []
        self.diverged: dict[int, int] = {}

    def put(self, name: str, epoch: int, runs: Sequence[int], values: np.ndarray) -> None:
        if name not in self.figures:
            self.figures[name] = np.full((self.runs, self.epochs), np.nan)
        self.figures[name][list(runs), epoch] = values

    def completed(self, count: int) -> dict[str, np.ndarray]:
        """The figures of the first `count` epochs."""
        return {name: values[:, :count].copy() for name, values in self.figures.items()}


class ChunkState:
    """One chunk's runs: their compiled epoch and where their state stands."""

    def __init__(self, chunk: Chunk, epoch: EpochCall, state: Any, place: Callable) -> None:
        self.chunk, self.epoch, self.place = chunk, epoch, place
        self.state = state
        self.index = place(jnp.asarray(_local_models(chunk), jnp.int32))
        self.alive = place(jnp.ones(len(chunk.runs), bool))
        self.real = list(chunk.runs[: chunk.count])


def _local_models(chunk: Chunk) -> list[int]:
    return [chunk.models.index(model) for model in chunk.model_of_run]


def stacked(chunks: Sequence[ChunkState], states: Sequence[Any]) -> Any:
    """The chunks' states as one `TrainState` over the real runs, in run order."""
    if len(chunks) == 1 and chunks[0].chunk.count == len(chunks[0].chunk.runs):
        return states[0]
    return jax.tree.map(
        lambda *leaves: jnp.concatenate(
            [leaf[: part.chunk.count] for leaf, part in zip(leaves, chunks, strict=True)]
        ),
        *states,
    )


def run_epoch(parts: Sequence[ChunkState], setup: Any, records: Records, epoch: int):
    """Train every chunk one epoch: `(states, alive, [(run, step, loss) newly diverged])`.

    `setup` brings the training `data` and the `validation` data (or None).
    """
    validation = () if setup.validation is None else setup.validation
    start = time.perf_counter()
    outputs = [
        part.epoch.run(part.index, part.alive, part.state, *setup.data, validation)
        for part in parts
    ]
    diverged = []
    for part, (_, _, report) in zip(parts, outputs, strict=True):
        report = np.asarray(jax.device_get(report), np.float64)[: part.chunk.count]
        bad, loss, alive, kept = report[:, -4:].T
        kept = kept.astype(bool)
        for column, name in enumerate(part.epoch.names):
            records.put(name, epoch, part.real, np.where(kept, report[:, column], np.nan))
        for local in np.flatnonzero(alive.astype(bool) & ~kept):
            diverged.append((part.real[local], int(bad[local]), float(loss[local])))
    records.seconds.append(time.perf_counter() - start)
    return [output[0] for output in outputs], [output[1] for output in outputs], diverged


def continue_from(parts: Sequence[ChunkState], records: Records, state: Any, history: Any) -> int:
    """Continue from an earlier sweep's stacked `state` and `history`: the epochs done.

    Each chunk takes its runs' states (placed as its own first states were) and their
    alive flags; the records start with the history's figures. The caller has checked
    that `history` describes the same runs.

    Raises:
        ValueError: if `state` is not shaped like the chunks' states (it comes from
            another sweep), naming the first leaf that differs.
    """
    for part in parts:
        rows = np.asarray(part.chunk.runs)
        taken = jax.tree.map(lambda leaf, rows=rows: jnp.asarray(leaf)[rows], state)
        _check_like(taken, part.state)
        part.state = part.place(taken)
        alive = [run not in history.diverged for run in part.chunk.runs]
        part.alive = part.place(jnp.asarray(alive, bool))
    done = len(history.seconds)
    for name, values in history.figures.items():
        records.figures[name] = np.full((records.runs, records.epochs), np.nan)
        records.figures[name][:, :done] = values
    records.seconds.extend(history.seconds)
    records.diverged.update(history.diverged)
    return done


def _check_like(given: Any, expected: Any) -> None:
    paths = jax.tree_util.tree_flatten_with_path(expected)[0]
    try:
        leaves = jax.tree_util.tree_structure(expected).flatten_up_to(given)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"sweep: resume's state is not shaped like this sweep's states: {error}"
        ) from None
    for (path, want), leaf in zip(paths, leaves, strict=True):
        if jnp.shape(leaf) != jnp.shape(want) or jnp.result_type(leaf) != want.dtype:
            raise ValueError(
                f"sweep: resume's state{jax.tree_util.keystr(path)} is "
                f"{jnp.result_type(leaf)}{list(jnp.shape(leaf))}, but this sweep's is "
                f"{want.dtype}{list(want.shape)}; resume with the state of the same sweep."
            )
