"""A sweep's arguments, checked, and its chunks of runs ready to train.

Everything here runs once, before the first epoch: the checks (in Python, before
anything compiles), the chunk size (given, or estimated from the memory a run needs),
and for each chunk its compiled calls and the first state of its runs, placed on the
mesh when there is one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jax

from funcnet import _sweep_epochs as epochs_
from funcnet import _sweep_grid as grid_
from funcnet import devices
from funcnet._epochs import as_pair
from funcnet._guards import check_targets, warn_double_softmax
from funcnet._sweep_grid import OWNER
from funcnet._sweep_loop import ChunkState
from funcnet._validate import boolean, positive_int
from funcnet.layers import Layer

#: The mesh axis a sweep splits its runs over.
RUNS = "runs"


class Setup(NamedTuple):
    """A sweep's checked arguments, and its runs (anything with `.model`, `.seed` and
    `.hyperparameters`, in run order)."""

    models: tuple[Layer, ...]
    names: tuple[str, ...]
    data: tuple[jax.Array, jax.Array]
    validation: tuple[jax.Array, jax.Array] | None
    spec: grid_.OptimizerSpec
    values: dict[str, tuple[float, ...]]
    seeds: tuple[int, ...]
    runs: tuple[Any, ...] = ()


def check_data(data: Any, validation: Any, batch_size: Any, drop_last: Any) -> tuple:
    """`((x, y), validation)` as arrays, with the batch size checked against them."""
    x, y = as_pair(data, f"{OWNER}: data")
    if x.shape[0] == 0:
        raise ValueError(f"{OWNER}: data has no examples (x has 0 rows); nothing to train on.")
    positive_int(batch_size, "batch_size", OWNER)
    if boolean(drop_last, "drop_last", OWNER) and x.shape[0] < batch_size:
        raise ValueError(
            f"{OWNER}: drop_last=True with {x.shape[0]} examples and batch_size={batch_size} "
            "leaves no batch to train on."
        )
    if validation is not None:
        validation = as_pair(validation, f"{OWNER}: validation")
    return (x, y), validation


def check(models, data, validation, loss_fn, optimizer, hyperparameters, seeds, options) -> Setup:
    """Every argument of `sweep` that shapes its runs, checked before anything compiles."""
    layers, names = grid_.check_models(models)
    data, validation = check_data(data, validation, *options)
    seeds = grid_.check_seeds(seeds)
    spec, values = grid_.check_optimizer(optimizer, hyperparameters)
    grid_.check_same_structure(layers, data[0].shape)
    for model in layers:
        # Shape and label errors here name the layer or the label, before compiling.
        check_targets(OWNER, model.output_shape(data[0].shape), data[1], loss_fn)
        if validation is not None:
            check_targets(OWNER, model.output_shape(validation[0].shape), validation[1], loss_fn)
        warn_double_softmax(model, loss_fn, stacklevel=4)
    return Setup(layers, names, data, validation, spec, values, seeds)


def on_devices(setup: Setup, given: devices.DevicesLike) -> tuple[Setup, Any]:
    """`(setup, grid)`: the data copied to every device of the mesh, and the mesh."""
    if given is None:
        return setup, None
    grid = devices.mesh(given, axis=RUNS)
    validation = None if setup.validation is None else devices.replicate(setup.validation, grid)
    return setup._replace(data=devices.replicate(setup.data, grid), validation=validation), grid


def _chunk_size(setup: Setup, max_parallel: Any, batch_size: int, count: int) -> int:
    if max_parallel is not None:
        return positive_int(max_parallel, "max_parallel", OWNER)
    x, y = setup.data
    like = grid_.state_like(setup.models[0], setup.spec, x.shape, setup.runs[0].hyperparameters)
    per_run = epochs_.bytes_per_run(setup.models, like, x, y, batch_size)
    return epochs_.automatic_parallel(per_run, count)


def _placer(grid: Any) -> Callable[[Any], Any]:
    """Put arrays with a leading run axis on the mesh, split along that axis."""
    if grid is None:
        return lambda tree: tree
    sharding = devices.split(grid, 0, RUNS)
    return lambda tree: jax.device_put(tree, sharding)


def parts(setup: Setup, loss_fn, batch_size, drop_last, max_parallel, grid) -> list[ChunkState]:
    """The chunks of runs, each with its compiled calls and its first state, placed."""
    count = 1 if grid is None else devices.count(grid, RUNS)
    size = _chunk_size(setup, max_parallel, batch_size, count)
    place, optimizer = _placer(grid), setup.spec.update()
    chunks: list[ChunkState] = []
    for chunk in epochs_.plan([run.model for run in setup.runs], size, count):
        models = tuple(setup.models[model] for model in chunk.models)
        runs = _local(setup.runs, chunk)
        state = place(grid_.initial_states(models, setup.spec, runs, setup.data[0].shape))
        epoch = epochs_.compiled_epoch(models, loss_fn, optimizer, batch_size, drop_last)
        chunks.append(ChunkState(chunk, epoch, state, place))
    return chunks


def _local(runs: Sequence[Any], chunk: epochs_.Chunk) -> list[Any]:
    """The chunk's runs, their model indices counted among the chunk's own models."""
    return [runs[run]._replace(model=chunk.models.index(runs[run].model)) for run in chunk.runs]
