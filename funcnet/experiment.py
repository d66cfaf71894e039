"""Train a model on a bundled dataset, save the run, resume it, re-evaluate it later.

This is what `funcnet train` and `funcnet evaluate` run. `funcnet.config` holds the
settings and what they build; `funcnet.runs` reads and writes the run directory. The
held-out split of the dataset is the *validation* split: it is evaluated after every
epoch for the curves (`val_loss`, `val_accuracy`), and nothing is selected on it, so
its final score is an honest estimate.

A run interrupted by Ctrl-C or SIGTERM saves the state of its last completed epoch;
`resume_run` finishes it, and the result is bit for bit the result of a run that was
never interrupted: the saved state carries the optimizer's step count (so the
learning-rate schedule continues where it was) and the PRNG key (so the shuffling
does too). A run whose loss diverges writes nothing: its last finite state would
diverge again on resume, as a resumed run keeps its settings.

`devices=` trains (and evaluates) data parallel on a mesh of that many devices. It is
not one of the run's settings: the numbers do not depend on it beyond the order of
floating-point sums, so a run trained on four GPUs resumes on one CPU, and back.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sys
from collections.abc import Iterator
from typing import Any, NamedTuple, NoReturn

import jax
import optax
from jax.sharding import Mesh

from funcnet import checkpoint, data, runs
from funcnet import devices as _devices
from funcnet.config import Config, build, make_optimizer, read_config
from funcnet.errors import DivergenceError, StateDictError, TrainingInterrupted
from funcnet.layers import Layer
from funcnet.losses import cross_entropy
from funcnet.params import load_state_dict
from funcnet.runs import RunError
from funcnet.train import TrainState, evaluate, fit, init_state

__all__ = [
    "Config",
    "LoadedRun",
    "RunError",
    "RunInterrupted",
    "RunResult",
    "build",
    "evaluate_run",
    "load_run",
    "make_optimizer",
    "read_config",
    "resume_run",
    "train_run",
]


class RunResult(NamedTuple):
    """What `train_run` and `resume_run` return.

    Attributes:
        directory: the run directory.
        config: the run's settings.
        history: per-epoch lists for the whole run (`loss`, `accuracy`, `val_loss`,
            `val_accuracy`, `seconds`).
        val_loss: the final validation loss.
        val_accuracy: the final validation accuracy.
        files: the names of the files written.
        resumed_from: the epochs completed before this call (0 for a new run).
    """

    directory: str
    config: Config
    history: dict[str, list[float]]
    val_loss: float
    val_accuracy: float
    files: list[str]
    resumed_from: int = 0


class RunInterrupted(TrainingInterrupted):
    """A run was interrupted (Ctrl-C / SIGINT or SIGTERM); what was finished is saved.

    Attributes:
        state: the `TrainState` after the last completed epoch.
        history: the per-epoch lists of the completed epochs, for the whole run.
        epoch: the epochs the run has completed, counting those before a resume.
        epochs: the epochs the run is configured for.
        directory: the run directory holding those epochs, ready for `resume_run`;
            None when no epoch had completed and nothing was written.
        signal: the name of the signal, e.g. `"SIGINT"`.

    Examples:
        >>> from funcnet.experiment import RunInterrupted
        >>> print(RunInterrupted(state=None, history={}, epoch=3, epochs=40, directory="runs/x"))
        training was interrupted by SIGINT after epoch 3 of 40; resume_run('runs/x') finishes it.
    """

    def __init__(
        self,
        *,
        state: Any,
        history: dict[str, list[float]],
        epoch: int,
        epochs: int,
        directory: str | None,
        signal: str = "SIGINT",
    ) -> None:
        super().__init__(state=state, history=history, epoch=epoch, signal=signal)
        self.epochs, self.directory = epochs, directory
        if directory is None:
            message = f"before epoch {epoch + 1} of {epochs} completed; nothing was written."
        else:
            message = f"after epoch {epoch} of {epochs}; resume_run({directory!r}) finishes it."
        self.args = (f"training was interrupted by {signal} {message}",)

    def __reduce__(self):
        names = ("state", "history", "epoch", "epochs", "directory", "signal")
        return (_rebuild_interrupted, ({name: getattr(self, name) for name in names},))


def _rebuild_interrupted(kwargs: dict[str, Any]) -> RunInterrupted:
    return RunInterrupted(**kwargs)


class _Run(NamedTuple):
    """What a training call works with, beside the state it starts from."""

    config: Config
    directory: str
    model: Layer
    dataset: data.Dataset
    optimizer: optax.GradientTransformation
    grid: Mesh | None = None


def _prepare(config: Config, directory: str, grid: Mesh | None = None) -> _Run:
    model, dataset = build(config)
    optimizer = make_optimizer(config, dataset.train.x.shape[0])
    return _Run(config, directory, model, dataset, optimizer, grid)


def _mesh(devices: _devices.DevicesLike, config: Config) -> Mesh | None:
    """The mesh a run trains on, checked against its batch size before anything runs."""
    if devices is None:
        return None
    grid = _devices.mesh(devices)
    _devices.split_batches(config.batch_size, grid, "train_run")
    return grid


def _merge(old: dict[str, list[float]], new: dict[str, list[float]]) -> dict[str, list[float]]:
    return {name: [*old.get(name, []), *new.get(name, [])] for name in {**old, **new}}


def _title(config: Config) -> str:
    return (
        f"{config.model.upper()} on {config.dataset}: {config.epochs} epochs, "
        f"lr {config.lr:g}, batch size {config.batch_size}, seed {config.seed}"
    )


def _write(run: _Run, state: TrainState, history: dict[str, list[float]], done: int) -> list[str]:
    config = dataclasses.asdict(run.config)
    title = _title(run.config)
    return runs.write_run(
        run.directory, config, state, history, epochs_completed=done, title=title
    )


def _stop(run: _Run, error: TrainingInterrupted, history: dict, done: int) -> NoReturn:
    """Save what an interrupted `fit` finished, then raise `RunInterrupted`."""
    history = _merge(history, error.history)
    if error.epoch > 0:
        _write(run, error.state, history, done + error.epoch)
    directory = run.directory if done + error.epoch > 0 else None
    raise RunInterrupted(
        state=error.state,
        history=history,
        epoch=done + error.epoch,
        epochs=run.config.epochs,
        directory=directory,
        signal=error.signal,
    ) from None


def _train(run: _Run, state: TrainState, history: dict, done: int, progress: bool) -> RunResult:
    """Train the epochs left after `done`, write the run, evaluate it."""
    try:
        state, new = fit(
            run.model,
            state,
            run.dataset.train,
            loss_fn=cross_entropy,
            optimizer=run.optimizer,
            epochs=run.config.epochs - done,
            batch_size=run.config.batch_size,
            validation=run.dataset.test,
            progress=progress,
            devices=run.grid,
        )
    except TrainingInterrupted as error:
        _stop(run, error, history, done)
    except DivergenceError as error:
        raise DivergenceError(
            state=error.state,
            history=_merge(history, error.history),
            epoch=done + error.epoch,
            step=error.step,
            loss=error.loss,
        ) from None
    history = _merge(history, new)
    files = _write(run, state, history, run.config.epochs)
    scores = evaluate(run.model, state, run.dataset.test, loss_fn=cross_entropy, devices=run.grid)
    return RunResult(
        run.directory, run.config, history, scores["loss"], scores["accuracy"], files, done
    )


def train_run(
    config: Config,
    out: str | os.PathLike | None = None,
    *,
    force: bool = False,
    progress: bool = True,
    devices: _devices.DevicesLike = None,
) -> RunResult:
    """Train as `config` says and write the run directory `out`.

    Args:
        config: the run's settings.
        out: the run directory; it must be absent or empty unless `force`. None picks
            the first free `runs/DATASET-MODEL-N` (`runs/digits-mlp-1`, ...).
        force: write into `out` even if it holds files (funcnet's own are replaced).
        progress: print one line per epoch to stderr.
        devices: None for the default device; else a mesh, or a device count (see
            `funcnet.devices.mesh`) to train data parallel on.

    Returns:
        A `RunResult`.

    Raises:
        ValueError: before anything is written, for devices that do not exist or
            a batch size they do not divide.
        RunInterrupted: on Ctrl-C or SIGTERM, after saving the completed epochs (or,
            before the first one, removing the directory it had created).
        DivergenceError: if the loss becomes nan or inf; nothing is written then.
        RunExistsError: if `out` holds files and `force` is False.
        RunError: if `out` is a file or lies under one.
    """
    stem = os.path.join("runs", f"{config.dataset}-{config.model}")
    grid = _mesh(devices, config)
    with runs.claimed(out, stem=stem, force=force) as directory:
        with runs.signals_held(redeliver=True):  # Ctrl-C here: cleaned up, not lost
            run = _prepare(config, directory, grid)
            init_key, train_key = jax.random.split(jax.random.key(config.seed))
            state = _initial_state(run, init_key, train_key)
        return _train(run, state, {}, 0, progress)


@contextlib.contextmanager
def _fitting(directory: str, name: str) -> Iterator[None]:
    """Say which files disagree when a checkpoint does not fit its `config.json`."""
    try:
        yield
    except StateDictError as error:
        problems = [line.rstrip(".") for line in str(error).split("\n\t")[1:]] or [str(error)]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        if problems[0].startswith("dtype mismatch"):
            hint = "use the JAX_ENABLE_X64 setting the run was trained with"
        else:
            hint = "the two files come from different runs"
        raise RunError(
            f"{os.path.join(directory, name)} does not fit "
            f"{os.path.join(directory, 'config.json')}: {problems[0]}{more}; {hint}."
        ) from None


def _initial_state(run: _Run, init_key: jax.Array, train_key: jax.Array) -> TrainState:
    """The run's `TrainState` before its first step: params, and running statistics."""
    shape = run.dataset.train.x.shape
    params = run.model.init(init_key, shape)
    return init_state(params, run.optimizer, train_key, run.model.initial_state(shape))


def _read_run(
    directory: str | os.PathLike, devices: _devices.DevicesLike
) -> tuple[_Run, TrainState, int, dict]:
    """What `resume_run` continues from: the run, its state, epochs done, history."""
    config = read_config(directory)
    run = _prepare(config, os.fspath(directory), _mesh(devices, config))
    like = jax.eval_shape(lambda key: _initial_state(run, key, key), jax.random.key(0))
    with _fitting(run.directory, "state.safetensors"):
        state, done = runs.read_state(run.directory, like)
    return run, state, done, runs.read_history(run.directory)


def resume_run(
    directory: str | os.PathLike,
    *,
    progress: bool = True,
    devices: _devices.DevicesLike = None,
) -> RunResult:
    """Finish an interrupted run, with the settings in its `config.json`.

    The final parameters are exactly those of the same run left uninterrupted.

    Args:
        directory: a run directory written by an interrupted `train_run`.
        progress: print where the run resumes, then one line per epoch, to stderr.
        devices: as for `train_run`; it need not be what the run started with.

    Returns:
        A `RunResult` for the whole run (`resumed_from` says where it restarted).

    Raises:
        ValueError: for devices that do not exist or a batch size they do not divide.
        RunError: if `directory` is not a run, cannot be resumed, or is complete.
        CheckpointError, StateDictError: if its `state.safetensors` is corrupt or does
            not fit its `config.json`.
        RunInterrupted, DivergenceError: as for `train_run`.
    """
    with runs.signals_held(redeliver=True):
        run, state, done, history = _read_run(directory, devices)
    config = run.config
    if len(history.get("loss", [])) != done:
        raise RunError(
            f"{run.directory}: history.json lists {len(history.get('loss', []))} epochs but "
            f"state.safetensors holds {done}; the run directory is inconsistent."
        )
    if done >= config.epochs:
        raise RunError(
            f"{run.directory} has completed its {config.epochs} epoch"
            f"{'' if config.epochs == 1 else 's'}; there is nothing to "
            f"resume (evaluate it with `funcnet evaluate {run.directory}`)."
        )
    if progress:
        print(f"resuming {run.directory} after epoch {done} of {config.epochs}", file=sys.stderr)
    return _train(run, state, history, done, progress)


class LoadedRun(NamedTuple):
    """A run rebuilt from its directory by `load_run`.

    Attributes:
        config: the run's settings.
        model: the model they describe.
        params: the trained parameters.
        dataset: the dataset, split as in training.
        model_state: the model's state (batch norm's running statistics); `()`-like
            empty entries for a model without state.
    """

    config: Config
    model: Layer
    params: Any
    dataset: data.Dataset
    model_state: Any


def load_run(out: str | os.PathLike) -> LoadedRun:
    """Rebuild a run's config, model, trained params, dataset and model state.

    Raises:
        RunError: if `out` is not a run directory or its `config.json` is invalid.
        CheckpointError, StateDictError: if `params.safetensors` is corrupt or does
            not fit the config.
    """
    config = read_config(out)
    runs.epochs_completed(os.fspath(out))  # a missing params file is named first
    model, dataset = build(config)
    shape = dataset.train.x.shape
    like = jax.eval_shape(lambda key: model.init(key, shape), jax.random.key(0))
    stored = checkpoint.load(os.path.join(out, "params.safetensors"))
    # load_state_dict checks every name and shape, and casts to the current default
    # float (the run may have been trained with or without 64-bit mode).
    with _fitting(os.fspath(out), "params.safetensors"):
        params, model_state = load_state_dict(like, stored, state_like=model.initial_state(shape))
    return LoadedRun(config, model, params, dataset, model_state)


def evaluate_run(
    out: str | os.PathLike, *, devices: _devices.DevicesLike = None
) -> dict[str, float]:
    """Reload a run directory's parameters and evaluate them on the validation split.

    `devices` (a mesh, or a device count) splits the validation examples over devices.

    Returns:
        `{"loss", "accuracy", "epochs_completed", "epochs"}`: the validation scores,
        the epochs the parameters were trained for (None for runs saved without that
        record) and the epochs the run was configured for.
    """
    run = load_run(out)
    config = run.config
    scores = evaluate(
        run.model,
        run.params,
        run.dataset.test,
        loss_fn=cross_entropy,
        state=run.model_state,
        devices=devices,
    )
    done = runs.epochs_completed(os.fspath(out))
    return {**scores, "epochs_completed": done, "epochs": config.epochs}
