"""Worker processes: one per framework family, driven over a pipe by the coordinator.

`jax64` runs the JAX frameworks with 64-bit mode on, `jax32` with it off (as most
float32 users run), `torch` runs PyTorch with `torch.set_num_threads` set to the number
of cores JAX uses. PyTorch and JAX never share a process, so neither's thread pools or
allocator state leak into the other's timings. The coordinator imports no framework.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import traceback
from typing import Any

from benchmarks.trainer import Skip

__all__ = ["FAMILIES", "WorkerError", "Workers", "cores"]

FAMILIES = ("jax64", "jax32", "torch")


class WorkerError(RuntimeError):
    """A worker failed; the message carries its traceback."""


def cores() -> int:
    """The cores this process may run on: what XLA's CPU client sizes its pool to."""
    return len(os.sched_getaffinity(0))


def _setup(family: str) -> dict[str, Any]:
    import importlib.metadata as metadata

    if family == "torch":
        # Idle OpenMP threads sleep instead of spinning: on a shared machine spinning
        # threads made PyTorch's own steps many times slower and slowed the next block.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        import torch

        torch.set_num_threads(cores())
        return {
            "torch": torch.__version__,
            "torch_threads": torch.get_num_threads(),
            "omp_wait_policy": os.environ["OMP_WAIT_POLICY"],
        }
    import jax

    jax.config.update("jax_enable_x64", family == "jax64")
    info = {"jax": jax.__version__, "jaxlib": metadata.version("jaxlib")}
    info["jax_devices"] = [str(device) for device in jax.devices()]
    return info


def _serve(connection, family: str) -> None:
    from benchmarks import tasks
    from benchmarks.models import ModelSpec

    try:
        info = _setup(family)
    except ImportError as error:  # every request is answered with what to install
        info = None
        failure = f"{error}; install the benchmark dependencies: pip install -e '.[bench]'"
    built: dict[str, tasks.Runnable] = {}
    handlers = {
        "info": lambda: info,
        "losses": lambda impl, model: tasks.losses(impl, ModelSpec(**model)),
        "build": lambda key, task: _build(built, key, task),
        "run": lambda key, count: built[key].run(count),
        "release": lambda: built.clear(),
    }
    while True:
        op, args = connection.recv()
        if op == "quit":
            connection.close()
            return
        if info is None:
            connection.send(("error", failure))
            continue
        try:
            connection.send(("ok", handlers[op](*args)))
        except Skip as skip:
            connection.send(("skip", str(skip)))
        except Exception:
            connection.send(("error", traceback.format_exc()))


def _build(built: dict, key: str, task: dict) -> float:
    from benchmarks import tasks

    built[key] = tasks.make_runnable(task)
    return tasks.estimate(built[key])


class Workers:
    """Started on first use, one per family; `call` returns the result or raises."""

    def __init__(self) -> None:
        self._context = multiprocessing.get_context("spawn")
        self._workers: dict[str, tuple[Any, Any]] = {}

    def _get(self, family: str):
        if family not in self._workers:
            parent, child = self._context.Pipe()
            process = self._context.Process(target=_serve, args=(child, family), daemon=True)
            process.start()
            child.close()
            self._workers[family] = (process, parent)
        return self._workers[family][1]

    def start(self, families: set[str]) -> None:
        """Start these workers now, so that they import their frameworks in parallel."""
        for family in sorted(families):
            self._get(family)

    def started(self, family: str) -> bool:
        return family in self._workers

    def send(self, family: str, op: str, *args: Any) -> None:
        """Queue `op` in the family's worker; `receive` returns the answers in order."""
        self._get(family).send((op, args))

    def receive(self, family: str) -> Any:
        """The answer to the family's oldest unanswered `send`; raises `Skip` or `WorkerError`."""
        try:
            status, value = self._get(family).recv()
        except (EOFError, OSError):
            raise WorkerError(f"the {family} worker died (its traceback is above)") from None
        if status == "skip":
            raise Skip(value)
        if status == "error":
            raise WorkerError(f"the {family} worker failed:\n{value}")
        return value

    def call(self, family: str, op: str, *args: Any) -> Any:
        """Run `op` in the family's worker and wait for its answer."""
        self.send(family, op, *args)
        return self.receive(family)

    def close(self) -> None:
        for process, connection in self._workers.values():
            with contextlib.suppress(BrokenPipeError, OSError):
                connection.send(("quit", ()))
            process.join(timeout=10)
            if process.is_alive():
                process.terminate()
        self._workers.clear()

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
