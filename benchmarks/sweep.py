"""`python -m benchmarks.sweep`: runs trained together by `funcnet.sweep`, or one `fit` each.

Four cases, each timed as one `funcnet.sweep` call against the same runs as
sequential `funcnet.fit` calls (same models, keys, optimizer object and data; no
progress lines):

- `lesson`: 32 seeds of the lesson's model, Linear 10→5, Sigmoid, Linear 5→8 (logits
  into `cross_entropy`), trained on the lesson's own batch "round after round": 4
  examples of 10 features (`jax.random.uniform`, as on the lesson page) and 4 class
  indices in [0, 8); Adam 1e-2, 200 epochs of one step each.
- `lesson-task`: the same model on the lesson's shapes as a task: 64 examples of 10
  standard-normal features in batches of 4, 8 classes given by a fixed random linear
  teacher; Adam 1e-2, 40 epochs of 16 steps.
- `digits`: 8 seeds of the digits MLP, 64→128→10 with ReLU, on `load_digits` (1437
  training examples, batches of 32), Adam 3e-3, 10 epochs, scored on the 360
  held-out examples after every epoch.
- `digits-cores`: the same, with the sweep's runs split over one CPU device per
  usable core (`devices=N`). At these sizes XLA runs a computation on one core, so
  one sweep, like one `fit`, leaves the others idle; one device per core gives each
  core a share of the runs. The `fit` side is the same plain single-device `fit`.

Everything runs in a child process started with
`XLA_FLAGS=--xla_force_host_platform_device_count=N`, N the usable cores (the flag
must be set before JAX starts); the other cases use the default device only.

Before timing, the sweep's runs are checked against the fits (final losses within
1e-4). Then, for each case:

- *compile excluded*: both sides compiled beforehand; interleaved rounds, each running
  the two in a new random order after a short pause; the ratio (fits / sweep) is taken
  within each round, and its median and interquartile range over the rounds reported;
- *compile included*: every compilation cache cleared (`jax.clear_caches()` and
  funcnet's own) before each side, so each pays for all its compiling; fewer rounds;
- *memory*: XLA's memory analysis of the sweep's compiled epoch (arguments, outputs
  and temporaries of the whole chunk) beside one `fit` epoch's, and the estimate that
  chooses `max_parallel` automatically.

Usage::

    python -m benchmarks.sweep          # writes benchmarks/sweep.json and the docs section
    python -m benchmarks.sweep --quick  # a correctness run on tiny sizes: prints only
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks import report
from benchmarks.harness import ROOT, summary

DEFAULT_JSON = ROOT / "benchmarks" / "sweep.json"
DEFAULT_PAGE = ROOT / "docs" / "benchmarks.md"
BEGIN = "<!-- sweep:begin -->"
END = "<!-- sweep:end -->"


@dataclasses.dataclass(frozen=True)
class Case:
    """One comparison: `runs` seeds of one model, as a sweep and as sequential fits."""

    name: str
    description: str
    runs: int
    epochs: int
    batch_size: int
    learning_rate: float
    target: float  # the speed-up asked of the sweep
    problem: Callable[[bool], tuple[Any, Any, Any]]  # quick -> (model, data, validation)
    split: bool = False  # the sweep's runs split over every device, one per core


def lesson_task(count: int = 64, seed: int = 0) -> tuple[Any, Any]:
    """The lesson's shapes as a task: `count` examples of 10 features, 8 teacher classes."""
    import jax
    import jax.numpy as jnp

    features, teacher = jax.random.split(jax.random.key(seed))
    x = jax.random.normal(features, (count, 10))
    y = jnp.argmax(x @ jax.random.normal(teacher, (10, 8)), axis=1).astype(jnp.int32)
    return x, y


def lesson_batch() -> tuple[Any, Any]:
    """The lesson page's batch: `(4, 10)` uniform inputs and 4 class indices in [0, 8)."""
    import jax

    x = jax.random.uniform(jax.random.key(0), (4, 10))
    return x, jax.random.randint(jax.random.key(4), (4,), 0, 8)


def _lesson(quick: bool) -> tuple[Any, Any, Any]:
    from funcnet.models import mlp

    return mlp(10, 5, 8, activation="sigmoid"), lesson_batch(), None


def _lesson_task(quick: bool) -> tuple[Any, Any, Any]:
    from funcnet.models import mlp

    return mlp(10, 5, 8, activation="sigmoid"), lesson_task(16 if quick else 64), None


def _digits(quick: bool) -> tuple[Any, Any, Any]:
    import jax.numpy as jnp

    from funcnet.data import load_digits
    from funcnet.models import mlp

    digits = load_digits(seed=0)
    train = (jnp.asarray(digits.train.x), jnp.asarray(digits.train.y))
    test = (jnp.asarray(digits.test.x), jnp.asarray(digits.test.y))
    if quick:
        train, test = (train[0][:64], train[1][:64]), (test[0][:32], test[1][:32])
    return mlp(64, 16 if quick else 128, 10), train, test


CASES = (
    Case(
        "lesson",
        "32 seeds of the lesson model 10→5→8 (sigmoid) on its batch of 4",
        32, 200, 4, 1e-2, 10.0, _lesson,
    ),
    Case(
        "lesson-task",
        "32 seeds of the lesson model on 64 examples, batches of 4",
        32, 40, 4, 1e-2, 10.0, _lesson_task,
    ),
    Case(
        "digits",
        "8 seeds of the digits MLP 64→128→10 (ReLU), batch 32",
        8, 10, 32, 3e-3, 2.0, _digits,
    ),
    Case(
        "digits-cores",
        "the same, the sweep's runs split over one CPU device per core (`devices=`)",
        8, 10, 32, 3e-3, 2.0, _digits, split=True,
    ),
)  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Settings:
    """How often to time (see the module docstring)."""

    rounds: int = 9
    cold_rounds: int = 3
    pause_seconds: float = 0.2
    seed: int = 0
    quick: bool = False


QUICK = Settings(rounds=2, cold_rounds=1, pause_seconds=0.0, quick=True)


class Contest:
    """A case's two sides, built once: `sweep()` and `fits()` each train every run."""

    def __init__(self, case: Case, quick: bool) -> None:
        import optax

        self.case = case
        self.runs = 2 if quick else case.runs
        self.epochs = 2 if quick else case.epochs
        self.model, self.data, self.validation = case.problem(quick)
        self.optimizer = optax.adam(case.learning_rate)

    def options(self) -> dict[str, Any]:
        import funcnet

        return {
            "loss_fn": funcnet.cross_entropy,
            "optimizer": self.optimizer,
            "epochs": self.epochs,
            "batch_size": self.case.batch_size,
            "validation": self.validation,
            "progress": False,
        }

    def sweep(self) -> list[float]:
        import jax

        import funcnet

        devices = len(jax.devices()) if self.case.split else None
        state, history = funcnet.sweep(
            self.model, self.data, seeds=self.runs, devices=devices, **self.options()
        )
        jax.block_until_ready(state)
        return [float(value) for value in history.final("loss")]

    def fits(self) -> list[float]:
        import jax

        import funcnet

        losses = []
        for seed in range(self.runs):
            init_key, train_key = jax.random.split(jax.random.key(seed))
            params = self.model.init(init_key, self.data[0].shape)
            state, history = funcnet.fit(
                self.model, params, self.data, key=train_key, **self.options()
            )
            losses.append(history["loss"][-1])
        jax.block_until_ready(state)
        return losses


def clear_caches() -> None:
    """Forget every compilation: JAX's caches and the compiled calls funcnet keeps."""
    import jax

    from funcnet import _sweep_epochs, _sweep_grid, train

    jax.clear_caches()
    for cached in (
        train._compiled_epoch,
        train._compiled_evaluate,
        _sweep_epochs.compiled_epoch,
        _sweep_grid._compiled_init,
        _sweep_grid._injected,
        _sweep_grid._shapes_of,
    ):
        cached.cache_clear()


def _seconds(run: Callable[[], Any]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def _rounds(sides: dict[str, Callable[[], float]], rounds: int, settings: Settings) -> dict:
    """Interleaved rounds of `sides`; seconds per side and the ratio fits / sweep."""
    order, rng = list(sides), random.Random(settings.seed)
    seconds: dict[str, list[float]] = {name: [] for name in sides}
    ratios = []
    for _ in range(rounds):
        rng.shuffle(order)
        this_round = {}
        for name in order:
            time.sleep(settings.pause_seconds)
            this_round[name] = sides[name]()
            seconds[name].append(this_round[name])
        ratios.append(this_round["fits"] / this_round["sweep"])
    return {
        "seconds": {name: summary(values) for name, values in seconds.items()},
        "ratio": summary(ratios),
    }


def _memory(stats: Any) -> dict[str, int]:
    names = ("argument_size_in_bytes", "output_size_in_bytes", "temp_size_in_bytes")
    sizes = {name.removesuffix("_size_in_bytes"): int(getattr(stats, name)) for name in names}
    return {**sizes, "total": sum(sizes.values())}


def memory(contest: Contest) -> dict[str, Any]:
    """XLA's memory analysis of the sweep's chunk epoch and of one fit epoch; the estimate."""
    import importlib

    import jax

    from funcnet import _sweep_epochs, _sweep_setup, train

    funcnet_sweep = importlib.import_module("funcnet.sweep")

    options = contest.options()
    setup = _sweep_setup.check(
        contest.model, contest.data, contest.validation, options["loss_fn"],
        options["optimizer"], None, contest.runs, (options["batch_size"], False),
    )  # fmt: skip
    setup = setup._replace(runs=funcnet_sweep.grid(1, {}, setup.seeds))
    [part] = _sweep_setup.parts(
        setup, options["loss_fn"], options["batch_size"], False, None, None
    )
    validation = () if contest.validation is None else contest.validation
    arguments = (part.index, part.alive, part.state, *contest.data, validation)
    chunk = part.epoch.run.lower(*arguments).compile().memory_analysis()
    one = train._compiled_epoch(
        contest.model, options["loss_fn"], options["optimizer"], options["batch_size"], False
    )
    single = jax.tree.map(lambda leaf: leaf[0], part.state)
    alone = one.lower(single, *contest.data).compile().memory_analysis()
    like = jax.tree.map(lambda leaf: leaf[0], part.state)
    estimate = _sweep_epochs.bytes_per_run(
        [contest.model], like, *contest.data, contest.case.batch_size
    )
    return {
        "runs_per_chunk": len(part.chunk.runs),
        "chunk": _memory(chunk),
        "fit_epoch": _memory(alone),
        "estimate_per_run": estimate,
    }


def measure(cases: Sequence[Case], settings: Settings) -> dict[str, Any]:
    """Check, time and size every case; a JSON-compatible record."""
    import jax

    results = []
    for case in cases:
        contest = Contest(case, settings.quick)
        swept, fitted = contest.sweep(), contest.fits()  # compiles both, and checks
        worst = max(abs(a - b) for a, b in zip(swept, fitted, strict=True))
        if worst > 1e-4:
            raise AssertionError(f"{case.name}: sweep and fits disagree by {worst:.2e}")
        sides = {
            "sweep": lambda c=contest: _seconds(c.sweep),
            "fits": lambda c=contest: _seconds(c.fits),
        }
        warm = _rounds(sides, settings.rounds, settings)

        def cold(side: Callable[[], Any]) -> float:
            clear_caches()
            return _seconds(side)

        cold_sides = {
            "sweep": lambda c=contest: cold(c.sweep),
            "fits": lambda c=contest: cold(c.fits),
        }
        results.append(
            {
                "name": case.name,
                "description": case.description,
                "runs": contest.runs,
                "devices": len(jax.devices()) if case.split else 1,
                "epochs": contest.epochs,
                "target": case.target,
                "largest_difference": worst,
                "compile_excluded": warm,
                "compile_included": _rounds(cold_sides, settings.cold_rounds, settings),
                "memory": memory(contest),
            }
        )
    return {
        "machine": report.machine(),
        "settings": dataclasses.asdict(settings),
        "cases": results,
    }


def _time(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _bytes(count: int) -> str:
    for unit, scale in (("MiB", 2**20), ("KiB", 2**10)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} B"


def _ratio(record: dict[str, Any]) -> str:
    ratio = record["ratio"]
    return f"{ratio['median']:.1f}× ({ratio['q1']:.1f}–{ratio['q3']:.1f})"


def markdown(results: dict[str, Any]) -> str:
    """The results as the docs section between the markers, markers included."""
    info, settings = results["machine"], results["settings"]
    lines = [
        BEGIN,
        "",
        report.measured(
            info,
            f"{settings['rounds']} interleaved rounds compile excluded, "
            f"{settings['cold_rounds']} with every cache cleared before each side",
        )
        + (" A --quick run on tiny sizes: not a measurement." if settings["quick"] else ""),
        "",
        "| case | sweep | one fit per run | speed-up, compile excluded (IQR) "
        "| sweep, compile included | fits, compile included | speed-up, compile included |",
        "|---|---|---|---|---|---|---|",
    ]
    for case in results["cases"]:
        warm, cold = case["compile_excluded"], case["compile_included"]
        lines.append(
            f"| {case['description']}, {case['epochs']} epochs "
            f"| {_time(warm['seconds']['sweep']['median'])} "
            f"| {_time(warm['seconds']['fits']['median'])} | {_ratio(warm)} "
            f"| {_time(cold['seconds']['sweep']['median'])} "
            f"| {_time(cold['seconds']['fits']['median'])} | {_ratio(cold)} |"
        )
    lines += ["", *(_break_even(case) for case in results["cases"])]
    lines += [
        "",
        "| case | runs per compiled call | sweep epoch: arguments / outputs / temporaries "
        "| one fit epoch, total | the estimate per run |",
        "|---|---|---|---|---|",
    ]
    for case in results["cases"]:
        if case["devices"] > 1:
            continue  # the same chunk, split: each device holds its share of the runs
        memory = case["memory"]
        chunk = memory["chunk"]
        lines.append(
            f"| {case['name']} | {memory['runs_per_chunk']} | {_bytes(chunk['argument'])} / "
            f"{_bytes(chunk['output'])} / {_bytes(chunk['temp'])} "
            f"| {_bytes(memory['fit_epoch']['total'])} | {_bytes(memory['estimate_per_run'])} |"
        )
    return "\n".join([*lines, "", END]) + "\n"


def break_even(case: dict[str, Any], factor: float = 10.0) -> float | None:
    """The epochs from which the sweep is `factor` times faster, compile included.

    From the medians: per epoch, each side's compile-excluded time over the epochs;
    compiling, the difference between its compile-included and -excluded times. None
    when the sweep never gets there (its epochs are not `factor` times cheaper).

    Examples:
        >>> seconds = lambda s, f: {"seconds": {"sweep": {"median": s}, "fits": {"median": f}}}
        >>> case = {"epochs": 10, "compile_excluded": seconds(1.0, 20.0),
        ...         "compile_included": seconds(6.0, 23.0)}
        >>> break_even(case)  # (10 * 5 - 3) / (2 - 10 * 0.1) epochs
        47.0
    """
    warm, cold = case["compile_excluded"]["seconds"], case["compile_included"]["seconds"]
    per_epoch = {side: warm[side]["median"] / case["epochs"] for side in ("sweep", "fits")}
    compiling = {side: max(cold[side]["median"] - warm[side]["median"], 0.0) for side in per_epoch}
    gain = per_epoch["fits"] - factor * per_epoch["sweep"]
    if gain <= 0:
        return None
    return max(factor * compiling["sweep"] - compiling["fits"], 0.0) / gain


def _break_even(case: dict[str, Any]) -> str:
    target = case["target"]
    epochs = break_even(case, target)
    where = (
        f"at no length: its epochs are not {target:g} times cheaper"
        if epochs is None
        else f"from about {epochs:,.0f} epochs on"
    )
    return f"- {case['name']}: compile included, the sweep is {target:g} times faster {where}."


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.sweep", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes, 1 round; writes nothing")
    parser.add_argument("--only", action="append", choices=[c.name for c in CASES], metavar="CASE")
    parser.add_argument("--json", type=Path, metavar="PATH", help="results file")
    parser.add_argument("--markdown", type=Path, metavar="PATH", help="page to update")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument(
        "--rounds", type=int, default=Settings.rounds, help="rounds, compile excluded"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = QUICK if args.quick else Settings(rounds=args.rounds)
    cases = [case for case in CASES if not args.only or case.name in args.only]
    if args.child is not None:  # the process with one CPU device per core
        report.write_atomic(args.child, json.dumps(measure(cases, settings), indent=1) + "\n")
        return 0
    arguments = [f"--rounds={settings.rounds}", *(f"--only={case.name}" for case in cases)]
    arguments += ["--quick"] if args.quick else []
    results = report.in_child("benchmarks.sweep", arguments, len(os.sched_getaffinity(0)))
    json_path = args.json or (None if args.quick else DEFAULT_JSON)
    page_path = args.markdown or (None if args.quick else DEFAULT_PAGE)
    report.publish(
        results, markdown(results), json_path=json_path, page_path=page_path, markers=(BEGIN, END)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
