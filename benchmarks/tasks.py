"""What a worker process can time: train steps, epochs, first calls, a matmul.

A task is a plain dict (it crosses a process boundary) naming its kind, its
implementation and its model. `make_runnable(task)` builds it and returns a
`Runnable`, whose `run(count)` does `count` units of work and returns the mean
seconds per unit. Units: one train step (`step`, `epoch` and `loop` report per step),
one first call, one matmul.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import time
from collections.abc import Callable
from dataclasses import dataclass

from benchmarks.models import ModelSpec, batches, initial_weights
from benchmarks.trainer import Skip, Trainer

__all__ = ["IMPLEMENTATIONS", "PEERS", "Runnable", "build_trainer", "losses", "make_runnable"]

# Implementation names and the packages they need; peers are optional.
IMPLEMENTATIONS = ("funcnet", "rawjax", "stax", "nnx", "equinox", "haiku", "torch")
PEERS = {"nnx": "flax", "equinox": "equinox", "haiku": "dm-haiku"}


@contextlib.contextmanager
def _peer_failures(impl: str):
    """A peer that imports but does not run with this JAX is left out, with the reason."""
    name = impl.partition(":")[0]
    try:
        yield
    except Skip:
        raise
    except Exception as error:
        if name not in PEERS:
            raise
        raise Skip(f"{PEERS[name]} fails here: {type(error).__name__}: {error}") from None


@functools.lru_cache(maxsize=64)
def build_trainer(impl: str, spec: ModelSpec) -> Trainer:
    """The `Trainer` of implementation `impl` (`name` or `name:option`) for `spec`.

    Kept per process, so the step the same-loss check compiled is the step timed.
    """
    name, _, option = impl.partition(":")
    if name == "torch":
        from benchmarks.impl_torch import torch_trainer as builder
    elif name in PEERS:
        from benchmarks import impl_peers

        builder = getattr(impl_peers, f"{name}_trainer")
    else:
        from benchmarks import impl_jax

        builder = {"funcnet": impl_jax.funcnet_trainer, "rawjax": impl_jax.raw_trainer}.get(name)
        builder = builder or impl_jax.stax_trainer
    return builder(spec, initial_weights(spec), option)


def _losses(trainer: Trainer, spec: ModelSpec, steps: int) -> list[float]:
    x, y = batches(spec)
    batch = trainer.to_batch(x[0], y[0])
    state, step = trainer.init(), trainer.step()
    values = []
    for _ in range(steps + 1):  # the last step reports the loss after `steps` updates
        state, out = step(state, batch)
        values.append(trainer.loss_of(out))
    return values


def losses(impl: str, spec: ModelSpec, steps: int = 2) -> list[float]:
    """The losses `steps + 1` train steps on batch 0 report; the last is after `steps` updates."""
    with _peer_failures(impl):
        return _losses(build_trainer(impl, spec), spec, steps)


@dataclass
class Runnable:
    """`run(count) -> seconds per unit`; `run` may keep state between calls."""

    run: Callable[[int], float]
    single: bool = False  # one unit per timed block (first calls, subprocesses)
    units: int = 1  # units of work per count (steps per epoch)


def _step_task(trainer: Trainer, spec: ModelSpec) -> Runnable:
    x, y = batches(spec)
    batch = trainer.to_batch(x[0], y[0])
    step = trainer.step()
    holder = [trainer.init()]

    def run(count: int) -> float:
        state = holder[0]
        start = time.perf_counter()
        for _ in range(count):
            state, _ = step(state, batch)
        trainer.sync(state)
        holder[0] = state
        return (time.perf_counter() - start) / count

    return Runnable(run)


def _epoch_task(trainer: Trainer, spec: ModelSpec, steps: int, loop: bool) -> Runnable:
    """One epoch of `steps` batches: compiled as one call, or as a Python loop of steps."""
    x, y = batches(spec, steps)
    holder = [trainer.init()]
    if loop:
        step = trainer.step()
        data = [trainer.to_batch(x[i], y[i]) for i in range(steps)]

        def epoch(state):
            for batch in data:
                state, _ = step(state, batch)
            return state

    else:
        if trainer.make_epoch is None:
            raise Skip("this implementation has no compiled epoch")
        compiled = trainer.make_epoch()
        flat_x, flat_y = trainer.to_batch(x.reshape(-1, *x.shape[2:]), y.reshape(-1))

        def epoch(state):
            return compiled(state, flat_x, flat_y)

    def run(count: int) -> float:
        state = holder[0]
        start = time.perf_counter()
        for _ in range(count):
            state = epoch(state)
        trainer.sync(state)
        holder[0] = state
        return (time.perf_counter() - start) / (count * steps)

    return Runnable(run, units=steps)


def _first_call_task(trainer: Trainer, spec: ModelSpec) -> Runnable:
    """Build a new step and call it once: trace, lower, compile and run, from cold caches."""
    import jax

    x, y = batches(spec)
    batch = trainer.to_batch(x[0], y[0])

    def run(count: int) -> float:
        total = 0.0
        for _ in range(count):
            state = trainer.init()
            trainer.sync(state)
            jax.clear_caches()
            gc.collect()
            start = time.perf_counter()
            state, _ = trainer.make_step()(state, batch)
            trainer.sync(state)
            total += time.perf_counter() - start
        return total / count

    return Runnable(run, single=True)


def _peak_task(size: int) -> Runnable:
    """A `size x size` float32 `jnp.dot`: `2 size^3` FLOPs per unit."""
    import jax
    import jax.numpy as jnp

    keys = jax.random.split(jax.random.key(0))
    a = jax.random.normal(keys[0], (size, size), jnp.float32)
    b = jax.random.normal(keys[1], (size, size), jnp.float32)
    dot = jax.jit(jnp.dot)
    dot(a, b).block_until_ready()

    def run(count: int) -> float:
        start = time.perf_counter()
        for _ in range(count):
            out = dot(a, b)
        out.block_until_ready()
        return (time.perf_counter() - start) / count

    return Runnable(run)


def make_runnable(task: dict) -> Runnable:
    """Build the task and run one unit, so that compiling is not timed later."""
    kind = task["kind"]
    if kind == "peak":
        runnable = _peak_task(task["size"])
        runnable.run(1)
        return runnable
    with _peer_failures(task["impl"]):
        spec = ModelSpec(**task["model"])
        trainer = build_trainer(task["impl"], spec)
        if kind == "step":
            runnable = _step_task(trainer, spec)
        elif kind in ("epoch", "loop"):
            runnable = _epoch_task(trainer, spec, task["steps"], loop=kind == "loop")
        elif kind == "first_call":
            runnable = _first_call_task(trainer, spec)
        else:
            raise ValueError(f"unknown task kind {kind!r}")
        runnable.run(1)
    return runnable


def estimate(runnable: Runnable, floor: float = 0.02) -> float:
    """Seconds per count of `run`, from at least `floor` seconds of work (one if single)."""
    if runnable.single:
        return runnable.run(1) * runnable.units
    count = 1
    while True:
        start = time.perf_counter()
        per_unit = runnable.run(count)
        if time.perf_counter() - start >= floor or count >= 1 << 16:
            return per_unit * runnable.units
        count *= 4
