r"""Many training runs in one compiled call: seeds, hyperparameters and models swept with `vmap`.

A training run is a pure function of its keys, its hyperparameters and its model, so
`jax.vmap` can train dozens of them at once: `sweep` stacks their `TrainState`s along a
leading *run* axis and runs `fit`'s own compiled epoch (`funcnet.train.epoch_function`)
vmapped over that axis, one compiled call per epoch for all the runs.

The axes are crossed as a grid, models outermost, seeds innermost:

- **seeds**: run with seed `s` uses `init_key, train_key = jax.random.split(jax.random.key(s))`:
  its parameters are `model.init(init_key, x.shape)` and `train_key` drives its
  shuffling and dropout — the keys `funcnet train --seed s` uses;
- **hyperparameters**: the optimizer is a function of named hyperparameters (such as
  `optax.adam`, with `hyperparameters={"learning_rate": [1e-3, 1e-2]}`), wrapped in
  `optax.inject_hyperparams`, so each run's values live in its optimizer state;
- **models**: models with the same parameter structure (the same `Linear` stack with
  different activations); each run's train step is chosen by `lax.switch` on its model
  index.

Each run equals the single `fit` with the same keys and hyperparameters::

    init_key, train_key = jax.random.split(jax.random.key(seed))
    fit(model, model.init(init_key, x.shape), data, key=train_key,
        optimizer=optimizer(**hyperparameters), ...)

to $10^{-12}$ in float64. In float32 the vmapped matrix products may sum in another
order, so a run agrees with `fit` to a few ulps (within $2 \cdot 10^{-6}$ after a few
Adam steps, with `fit` given `optax.inject_hyperparams(optimizer)(**hyperparameters)`,
the same optimizer arithmetic; `optimizer(**hyperparameters)` itself rounds some of its
constants differently in float32, which shifts float32 results by about $10^{-5}$).
The chunking (`max_parallel`, `devices`) changes nothing beyond such rounding either.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax
import numpy as np
import optax
from jax.typing import ArrayLike

from funcnet import _sweep_setup
from funcnet._guards import Terminated, deferred_interrupts, sigterm_interrupts
from funcnet._sweep_grid import OWNER
from funcnet._sweep_history import SweepHistory, SweepInterrupted, SweepRun, grid
from funcnet._sweep_loop import (
    Progress,
    Records,
    best_run,
    continue_from,
    ranking_metric,
    run_epoch,
    stacked,
)
from funcnet._validate import boolean, integer, positive_int
from funcnet.devices import DevicesLike
from funcnet.errors import DivergenceError
from funcnet.layers import Layer
from funcnet.train import TrainState, steps_per_epoch

__all__ = ["SweepHistory", "SweepInterrupted", "SweepRun", "select_run", "sweep"]


def select_run(state: TrainState, run: int) -> TrainState:
    """One run of a sweep's stacked state, as the `TrainState` a `fit` would return.

    It works with `evaluate`, `predict`, `funcnet.checkpoint.save`, and `fit` (to train
    it on, with `optax.inject_hyperparams(optimizer)(**run.hyperparameters)` when the
    sweep's optimizer was a function of hyperparameters).

    Args:
        state: the stacked `TrainState` from `sweep`, every leaf `(runs, ...)`.
        run: the run's index (`SweepHistory.best()`, or a `SweepRun.index`); negative
            counts from the end.

    Returns:
        A `TrainState` whose leaves have lost the run axis.

    Raises:
        TypeError: if `state` is not a `TrainState` or `run` is not an int.
        ValueError: if `run` is out of range.

    Examples:
        >>> import jax.numpy as jnp, funcnet
        >>> stacked = funcnet.TrainState(jnp.zeros((3, 2)), (), jnp.arange(3), jnp.zeros(3))
        >>> int(funcnet.select_run(stacked, -1).step)
        2
    """
    if not isinstance(state, TrainState):
        raise TypeError(
            f"select_run: state must be the stacked TrainState sweep returned, got "
            f"{type(state).__name__}."
        )
    if np.ndim(state.step) != 1:
        raise ValueError(
            "select_run: state has no run axis (its step has shape "
            f"{np.shape(state.step)}, not (runs,)); pass the stacked state sweep returned."
        )
    count = int(np.shape(state.step)[0])
    number = integer(run, "run", "select_run")
    if not -count <= number < count:
        raise ValueError(
            f"select_run: run must be in [{-count}, {count}) for a sweep of {count} runs, "
            f"got {number}."
        )
    return jax.tree.map(lambda leaf: leaf[number], state)


def _history(setup: _sweep_setup.Setup, records: Records, count: int) -> SweepHistory:
    seconds = tuple(records.seconds[:count])
    diverged = {run: epoch for run, epoch in records.diverged.items() if epoch <= count}
    return SweepHistory(setup.runs, setup.names, records.completed(count), seconds, diverged)


def _report(bar: Progress, records: Records, epoch: int) -> None:
    figures = {name: values[:, epoch] for name, values in records.figures.items()}
    metric = ranking_metric(list(figures))
    note = f"  {len(records.diverged)} diverged" if records.diverged else ""
    bar.update(
        epoch,
        figures,
        best_run(figures[metric], metric),
        f"{note}  {records.seconds[epoch]:.2f} s",
    )


def _epochs(setup, parts, epochs: int, steps: int, bar: Progress, interrupted, resumed) -> tuple:
    """Train every chunk up to `epochs` epochs: `(stacked state, SweepHistory)`."""
    records = Records(len(setup.runs), epochs)
    first = 0 if resumed is None else continue_from(parts, records, *resumed)
    done = ([part.state for part in parts], [part.alive for part in parts], first)
    try:
        for epoch in range(first, epochs):
            for part, state, alive in zip(parts, done[0], done[1], strict=True):
                part.state, part.alive = state, alive
            states, alive, diverged = run_epoch(parts, setup, records, epoch)
            for run, _, _ in diverged:
                records.diverged[run] = epoch + 1
            if len(records.diverged) == len(setup.runs):
                run, bad, loss = diverged[0]
                raise DivergenceError(
                    state=stacked(parts, states),
                    history=_history(setup, records, epoch),
                    epoch=epoch + 1,
                    step=epoch * steps + bad + 1,
                    loss=loss,
                )
            done = (states, alive, epoch + 1)
            _report(bar, records, epoch)
            interrupted()
    except KeyboardInterrupt as stop:
        raise SweepInterrupted(
            state=stacked(parts, done[0]),
            history=_history(setup, records, done[2]),
            epoch=done[2],
            signal="SIGTERM" if isinstance(stop, Terminated) else "SIGINT",
        ) from None
    return stacked(parts, done[0]), _history(setup, records, epochs)


def sweep(
    models: Layer | Sequence[Layer] | Mapping[str, Layer],
    data: tuple[ArrayLike, ArrayLike],
    *,
    loss_fn: Callable[[jax.Array, jax.Array], jax.Array],
    optimizer: optax.GradientTransformation | Callable[..., optax.GradientTransformation],
    epochs: int,
    batch_size: int,
    seeds: int | Sequence[int] = 1,
    hyperparameters: Mapping[str, Sequence[float]] | None = None,
    validation: tuple[ArrayLike, ArrayLike] | None = None,
    drop_last: bool = False,
    max_parallel: int | None = None,
    devices: DevicesLike = None,
    progress: bool = True,
    resume: SweepInterrupted | tuple[TrainState, SweepHistory] | None = None,
) -> tuple[TrainState, SweepHistory]:
    """Train every combination of model, hyperparameters and seed; each epoch is one call.

    The runs form a grid, models outermost, seeds innermost: run
    `r = (m * H + h) * S + s` for model `m`, hyperparameter combination `h` (of `H`, in
    the order of `itertools.product` over `hyperparameters`) and seed `s` (of `S`).
    Each run is the `fit` with the same model, keys and hyperparameters (see the
    module's docstring for the keys), and `SweepHistory.runs` lists them.

    Runs are trained in chunks of at most `max_parallel`, one compiled call per chunk
    and epoch; the results do not depend on the chunking. A run whose loss becomes nan
    or inf stops there with its last finite state (`SweepHistory.diverged`); the others
    go on. Ctrl-C or SIGTERM stops the sweep after the running epoch, as in `fit`.

    Args:
        models: a layer, a list of layers, or a dict name -> layer; all of them must
            have parameters (and state) of the same structure.
        data: `(x, y)` with `x: (N, ...)` and `y: (N, ...)`, shared by every run.
        loss_fn: `loss_fn(outputs, target) -> ()`.
        optimizer: an optax `GradientTransformation` for every run, or, with
            `hyperparameters`, a function of them such as `optax.adam`.
        epochs: passes over the data.
        batch_size: examples per step.
        seeds: a count N (seeds 0 .. N-1) or a list of non-negative seeds.
        hyperparameters: name -> list of values of the optimizer function's arguments,
            e.g. `{"learning_rate": [1e-3, 1e-2]}`; the lists are crossed.
        validation: optional `(x, y)`, evaluated for every run after every epoch.
        drop_last: skip the ragged last batch of each epoch.
        max_parallel: the most runs per compiled call; by default as many as a quarter
            of the device's memory holds by an estimate from the model, optimizer,
            batch and data sizes.
        devices: None for the default device; else, as in `fit`, an int N for the
            first N of `jax.devices()`, a sequence of devices, or a
            `jax.sharding.Mesh` with an axis `"runs"` (see `funcnet.devices.mesh`).
            Each chunk's runs are split over the devices (no communication between
            them: runs are independent), chunks padded to a multiple of their count.
        progress: print one line per epoch to stderr: the best run's figures and the
            median of every run's.
        resume: continue an interrupted sweep: the `SweepInterrupted` it raised, or its
            `(state, history)`. Give the same models, data, settings and chunking;
            `epochs` is the total, so the sweep trains the epochs after
            `len(history.seconds)`. The result equals the uninterrupted sweep's.

    Returns:
        `(state, history)`: the `TrainState`s of every run stacked along a leading run
        axis (take one with `select_run`), and a `SweepHistory`.

    Raises:
        TypeError, ValueError: for malformed data, models of different structures, a
            bad seed, hyperparameter, batch size, chunk size or devices.
        ShapeError, ValueError: for class targets that do not fit a model's outputs.
        DivergenceError: when every run has diverged; `error.state` holds each run's
            last finite state.
        SweepInterrupted: on SIGINT or SIGTERM, with the completed epochs (pass it
            as `resume` to go on).

    Examples:
        >>> import jax, jax.numpy as jnp, optax, funcnet
        >>> x = jax.random.normal(jax.random.key(0), (64, 2))
        >>> y = (x[:, 0] > 0).astype(jnp.int32)
        >>> state, history = funcnet.sweep(
        ...     funcnet.Linear(2, 2), (x, y), loss_fn=funcnet.cross_entropy,
        ...     optimizer=optax.sgd, hyperparameters={"learning_rate": [0.01, 0.5]},
        ...     seeds=3, epochs=4, batch_size=16, progress=False)
        >>> state.params["weight"].shape, history.figures["loss"].shape
        ((6, 2, 2), (6, 4))
        >>> best = history.best()  # the lowest final loss
        >>> history.runs[best].hyperparameters, float(history.final("accuracy")[best])
        ({'learning_rate': 0.5}, 0.9...)
        >>> int(funcnet.select_run(state, best).step)
        16
    """
    positive_int(epochs, "epochs", OWNER)
    progress = boolean(progress, "progress", OWNER)
    setup = _sweep_setup.check(
        models,
        data,
        validation,
        loss_fn,
        optimizer,
        hyperparameters,
        seeds,
        (batch_size, drop_last),
    )
    setup = setup._replace(runs=grid(len(setup.models), setup.values, setup.seeds))
    setup, mesh = _sweep_setup.on_devices(setup, devices)
    parts = _sweep_setup.parts(setup, loss_fn, batch_size, drop_last, max_parallel, mesh)
    steps = steps_per_epoch(setup.data[0].shape[0], batch_size, drop_last)
    resumed = _resumable(resume, setup, epochs)
    bar = Progress(epochs, len(setup.runs), progress)
    with sigterm_interrupts(), deferred_interrupts() as interrupted:
        return _epochs(setup, parts, epochs, steps, bar, interrupted, resumed)


def _resumable(given: Any, setup: _sweep_setup.Setup, epochs: int) -> tuple | None:
    """`(state, history)` to resume from, checked against this sweep's runs, or None."""
    if given is None:
        return None
    if isinstance(given, SweepInterrupted):
        given = (given.state, given.history)
    if not (isinstance(given, tuple) and len(given) == 2 and isinstance(given[1], SweepHistory)):
        raise TypeError(
            f"{OWNER}: resume must be the SweepInterrupted an earlier sweep raised, or its "
            f"(state, history), got {type(given).__name__}."
        )
    state, history = given
    if not isinstance(state, TrainState):
        raise TypeError(
            f"{OWNER}: resume's state must be a TrainState, got {type(state).__name__}."
        )
    if history.runs != tuple(setup.runs) or history.model_names != tuple(setup.names):
        raise ValueError(
            f"{OWNER}: resume comes from a sweep of {len(history.runs)} runs over models "
            f"{list(history.model_names)}; these arguments make {len(setup.runs)} runs over "
            f"{list(setup.names)}. Give the models, seeds and hyperparameters of the "
            "interrupted sweep."
        )
    done = len(history.seconds)
    if done >= epochs:
        raise ValueError(
            f"{OWNER}: resume's sweep has already completed {done} epochs; epochs={epochs} "
            f"is the total, so ask for more than {done}."
        )
    return state, history
