"""A sweep's compiled call: one epoch of many runs and their validation; how runs are chunked.

The epoch is `funcnet.train.epoch_function` — the very function `fit` jits — vmapped
over the run axis. Runs of different models choose their train step with
`lax.switch` on a per-run model index; under `vmap` XLA evaluates every branch and
selects each run's own, so a sweep over M models costs about M times the arithmetic
of one model per run, and no more than one compiled call.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from funcnet._epochs import forward, metrics
from funcnet.layers import Layer, Sequential
from funcnet.train import epoch_function, step_function


def _where_runs(keep: jax.Array, new: jax.Array, old: jax.Array) -> jax.Array:
    """`new` for the runs where `keep`, `old` elsewhere; `keep` is `(runs,)`."""
    return jnp.where(keep.reshape(keep.shape + (1,) * (new.ndim - 1)), new, old)


class EpochCall(NamedTuple):
    """A chunk's compiled epoch and the names of the figures its report holds.

    Attributes:
        run: `run(index, alive, state, x, y, validation) -> (state, alive, report)`,
            jitted; `validation` is `(x, y)` or `()`.
        names: the figures in the report's first columns, in order (filled in when
            `run` is first traced); the last four columns are the step of the first
            non-finite loss (-1 if none), that loss, whether the run was alive before
            the epoch, and whether it is after.
    """

    run: Callable
    names: list[str]


def _switched(functions: Sequence[Callable], index: jax.Array) -> Callable:
    """The function of `functions` that `index` picks: `lax.switch` unless there is one."""
    if len(functions) == 1:
        return functions[0]
    return lambda *args: jax.lax.switch(index, functions, *args)


@functools.lru_cache(maxsize=32)
def compiled_epoch(
    models: tuple[Layer, ...],
    loss_fn: Callable,
    optimizer: Any,
    batch_size: int,
    drop_last: bool,
) -> EpochCall:
    """One epoch of a chunk of runs, then their validation, as one compiled call.

    `index` `(runs,)` picks each run's model in `models`; `state` is stacked. Each run
    trains as `fit`'s epoch does (`epoch_function`) and is scored on the validation
    data as `evaluate` scores it. A run whose epoch met a non-finite loss or parameter,
    or that was not `alive`, keeps the state it started from, so no run ever holds
    non-finite parameters. Every figure comes back in one `(runs, columns)` report, so
    the host waits for one transfer per chunk and epoch.
    """
    steps = [step_function(model, loss_fn, optimizer) for model in models]
    forwards = [lambda p, s, v, m=m: forward(m, p, s, v)[0] for m in models]
    names: list[str] = []

    def one(index, state, x, y, validation):
        epoch = epoch_function(_switched(steps, index), batch_size, drop_last)
        new, means, (bad, loss) = epoch(state, x, y)
        if validation:
            outputs = _switched(forwards, index)(new.params, new.model_state, validation[0])
            scores = metrics(outputs, validation[1], loss_fn(outputs, validation[1]))
            means = {**means, **{f"val_{name}": value for name, value in scores.items()}}
        return new, means, bad, loss

    many = jax.vmap(one, in_axes=(0, 0, None, None, None))

    def run(index, alive, state, x, y, validation):
        new, means, bad, loss = many(index, state, x, y, validation)
        kept = alive & (bad < 0)
        new = jax.tree.map(functools.partial(_where_runs, kept), new, state)
        names[:] = sorted(means, key=_figure_order)
        columns = [means[name] for name in names] + [bad, loss, alive, kept]
        dtype = means["loss"].dtype
        return new, kept, jnp.stack([column.astype(dtype) for column in columns], axis=1)

    return EpochCall(jax.jit(run), names)


def _figure_order(name: str) -> tuple[bool, bool, str]:
    """Training figures before validation ones, the loss first in each, as `fit` prints."""
    return name.startswith("val_"), name.removeprefix("val_") != "loss", name


class Chunk(NamedTuple):
    """Runs trained together by one compiled call.

    Attributes:
        runs: the run indices, padded (by repeating the last) to `size`.
        count: how many of them are real runs; the padding is dropped.
        models: the distinct models of these runs, as indices into the sweep's models.
        model_of_run: the model of each of `runs`, padding included.
    """

    runs: tuple[int, ...]
    count: int
    models: tuple[int, ...]
    model_of_run: tuple[int, ...]


def chunk_size(runs: int, max_parallel: int, multiple: int = 1) -> int:
    """The size of every chunk: as even as possible, a multiple of `multiple`.

    All chunks get the same size (the last one padded), so one compiled call serves
    them all; spreading the runs evenly keeps the padding below one run per chunk.

    Examples:
        >>> chunk_size(10, 4), chunk_size(9, 8), chunk_size(6, 100, multiple=4)
        (4, 5, 8)
    """
    chunks = -(-runs // max_parallel)
    while True:
        size = -(-runs // chunks)
        size += -size % multiple
        if size <= max(max_parallel, multiple) or chunks >= runs:
            return size
        chunks += 1


def plan(model_of_run: Sequence[int], max_parallel: int, multiple: int = 1) -> list[Chunk]:
    """Consecutive chunks of at most `max_parallel` runs, all padded to one size.

    Examples:
        >>> [(c.runs, c.count, c.models) for c in plan([0, 0, 1], 2)]
        [((0, 1), 2, (0,)), ((2, 2), 1, (1,))]
        >>> plan([0, 0, 1], 2, multiple=4)[0].runs
        (0, 1, 2, 2)
    """
    size = chunk_size(len(model_of_run), max_parallel, multiple)
    chunks = []
    for start in range(0, len(model_of_run), size):
        runs = tuple(range(start, min(start + size, len(model_of_run))))
        padded = runs + (runs[-1],) * (size - len(runs))
        models = tuple(sorted({model_of_run[run] for run in runs}))
        own = tuple(model_of_run[run] for run in padded)
        chunks.append(Chunk(padded, len(runs), models, own))
    return chunks


def _bytes(tree: Any) -> int:
    return sum(
        math.prod(leaf.shape) * np.dtype(leaf.dtype).itemsize
        for leaf in jax.tree.leaves(tree)
        if not jax.dtypes.issubdtype(leaf.dtype, jax.dtypes.prng_key)
    )


def _activation_bytes(model: Layer, shape: tuple[int, ...], itemsize: int) -> int:
    """What a forward pass keeps for the backward pass: every layer's output."""
    layers = list(model) if isinstance(model, Sequential) else [model]
    total = 0
    for layer in layers:
        shape = layer.output_shape(shape)
        total += math.prod(shape) * itemsize
    return total


def memory_budget() -> int:
    """A quarter of the first device's memory (of the machine's, on a CPU)."""
    device = jax.devices()[0]
    stats = device.memory_stats() if device.platform != "cpu" else None
    if stats and stats.get("bytes_limit"):
        total = int(stats["bytes_limit"]) - int(stats.get("bytes_in_use", 0))
    else:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
    return max(total // 4, 1 << 20)


def bytes_per_run(
    models: Sequence[Layer], state: Any, x: jax.Array, y: jax.Array, batch_size: int
) -> int:
    """An estimate of one run's memory in a compiled epoch.

    Its shuffled copy of the data (and its reshaped batches), four copies of its
    `TrainState` (state, gradients, updates, new state), and each model's layer
    outputs for one batch, three times (forward values, their gradients, slack): under
    `lax.switch` every model of the chunk runs.
    """
    data = 2 * (x.nbytes + y.nbytes)
    batch = (min(batch_size, x.shape[0]), *x.shape[1:])
    itemsize = np.dtype(x.dtype).itemsize
    activations = sum(_activation_bytes(model, batch, itemsize) for model in models)
    return data + 4 * _bytes(state) + 3 * activations


def automatic_parallel(per_run: int, devices: int = 1) -> int:
    """How many runs fit in one chunk: the memory budget over a run's estimate.

    Examples:
        >>> automatic_parallel(per_run=1 << 60)
        1
    """
    return max(1, devices * memory_budget() // max(per_run, 1))
