"""Interleaved timing: the same-loss check first, then shuffled rounds of every case.

Each round runs every case of a configuration once, in an order shuffled per round,
after a short pause (PyTorch's worker threads keep spinning for a while after a block
and would slow whatever runs next). Each case's block lasts about `block_seconds`.
Ratios are taken round by round against the reference case timed in the same round,
then summarised by their median and interquartile range.
"""

from __future__ import annotations

import importlib.util
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.configs import Case, Config, family_of
from benchmarks.models import ModelSpec
from benchmarks.trainer import Skip
from benchmarks.worker import Workers

__all__ = ["CheckFailed", "Settings", "check_losses", "compare_losses", "run_config", "summary"]

ROOT = Path(__file__).resolve().parent.parent
TOLERANCE = {"float64": 1e-12, "float32": 1e-5}


@dataclass(frozen=True)
class Settings:
    """How long and how often to time.

    Attributes:
        quick: 2 rounds per config, short blocks (a correctness run, not a measurement).
        block_seconds: the length one case's timed block aims for.
        pause_seconds: the sleep before each timed block.
        warmup_rounds: leading rounds that are run but not recorded.
        seed: the seed of the shuffled orders.
        frameworks: implementations to time (None: all); raw JAX always runs.
    """

    quick: bool = False
    block_seconds: float = 0.1
    pause_seconds: float = 0.08
    warmup_rounds: int = 1
    seed: int = 0
    frameworks: frozenset[str] | None = None

    def rounds(self, config: Config) -> int:
        return 2 if self.quick else config.rounds

    def wanted(self, case: Case) -> bool:
        name = (case.impl or "").partition(":")[0]
        return self.frameworks is None or not name or name in self.frameworks | {"rawjax"}


class CheckFailed(RuntimeError):
    """Implementations disagree on the loss: nothing is timed."""


# --- the same-loss check -----------------------------------------------------------


def compare_losses(losses: dict[str, list[float]], dtype: str, reference: str = "rawjax") -> float:
    """The largest relative difference from the reference; raises `CheckFailed` past tolerance."""
    expected = losses[reference]
    worst = 0.0
    for values in losses.values():
        for value, want in zip(values, expected, strict=True):
            worst = max(worst, abs(value - want) / max(abs(want), 1e-300))
    if not worst <= TOLERANCE[dtype]:
        rows = "\n".join(f"  {impl:>18}: {values}" for impl, values in losses.items())
        raise CheckFailed(
            f"the implementations disagree in {dtype}: largest relative difference {worst:.3g} "
            f"> {TOLERANCE[dtype]:g}. The losses three steps report (the third: after two "
            "Adam updates):\n"
            f"{rows}"
        )
    return worst


def check_losses(
    cases: Iterable[Case], workers: Workers, log: Callable[[str], None]
) -> tuple[list[dict], dict[str, str]]:
    """Run the check for every model among `cases`, in float64 and in the timed dtype.

    Variants that only change how a step is jitted (`:donate`) are checked in the timed
    dtype alone. The requests are queued to all workers first, so the families check in
    parallel.

    Returns:
        `(checks, skipped)`: one record per (model, dtype), and `{impl: reason}` for the
        implementations that cannot run here.
    """
    groups: dict[ModelSpec, set[str]] = {}
    for case in cases:
        if case.spec is None:
            continue
        groups.setdefault(case.spec, {"rawjax"}).add(case.impl)
        if case.spec.dtype != "float64":  # options such as donate change no arithmetic
            base = case.impl.partition(":")[0] if "donate" in case.impl else case.impl
            groups.setdefault(case.spec.with_dtype("float64"), {"rawjax"}).add(base)
    jobs = [(spec, impl) for spec, impls in groups.items() for impl in sorted(impls)]
    for spec, impl in jobs:
        workers.send(family_of(impl, spec), "losses", impl, vars(spec))
    losses: dict[ModelSpec, dict[str, list[float]]] = {spec: {} for spec in groups}
    skipped: dict[str, str] = {}
    for spec, impl in jobs:
        try:
            losses[spec][impl] = workers.receive(family_of(impl, spec))
        except Skip as reason:
            skipped[impl] = str(reason)
    checks = []
    for spec, values in losses.items():
        worst = compare_losses(values, spec.dtype)
        log(f"check {spec.describe()}: {len(values)} agree within {worst:.1e}")
        checks.append(
            {
                "model": spec.describe(),
                "dtype": spec.dtype,
                "losses": values,
                "max_relative_difference": worst,
                "tolerance": TOLERANCE[spec.dtype],
            }
        )
    return checks, skipped


# --- subprocess cases, run by the coordinator ---------------------------------------


def _local_unit(task: dict) -> float:
    if task["kind"] == "import":
        code = f"import time; t = time.perf_counter(); import {task['modules']}; "
        code += "print(time.perf_counter() - t)"
        argv = [sys.executable, "-c", code]
    else:
        argv = [sys.executable, *task["argv"]]
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise Skip(f"{' '.join(argv[1:])} exited with {done.returncode}: {done.stderr[-300:]}")
    return float(done.stdout.split()[-1]) if task["kind"] == "import" else wall


def _source(module: str) -> Path | None:
    """The file or package folder of `module`, found without importing anything."""
    top, *rest = module.split(".")
    spec = importlib.util.find_spec(top)
    if spec is None or not spec.submodule_search_locations:
        return Path(spec.origin) if spec and spec.origin and not rest else None
    path = Path(next(iter(spec.submodule_search_locations)))
    for part in rest:
        path = path / part if (path / part).is_dir() else path / f"{part}.py"
    return path if path.exists() else None


def _missing(needs: Iterable[tuple[str, str | None]]) -> list[str]:
    """Which `module.attribute` does not exist, found without importing anything.

    `attribute` None asks for the module only; `"__main__"` for the package's CLI.
    """
    missing = []
    for module, attribute in needs:
        path = _source(module)
        if path is not None and path.is_dir():
            path = path / ("__main__.py" if attribute == "__main__" else "__init__.py")
        if attribute is None:
            found = path is not None
        else:
            text = path.read_text(encoding="utf-8") if path and path.is_file() else ""
            found = attribute == "__main__" and bool(text)
            found = found or any(f"{kind} {attribute}" in text for kind in ("def", "class"))
        if not found:
            missing.append(module if attribute is None else f"{module}.{attribute}")
    return missing


# --- interleaved rounds --------------------------------------------------------------


class _Runner:
    """One case, ready to time: `count` units per block, as calibrated when built."""

    def __init__(self, case: Case, workers: Workers, index: int) -> None:
        self.case, self.workers, self.key = case, workers, f"{index}:{case.key}"
        self.count = 1

    def build(self, block_seconds: float) -> float:
        if self.case.family == "local":
            seconds = _local_unit(self.case.task)  # also fills the bytecode caches
        else:
            seconds = self.workers.call(self.case.family, "build", self.key, self.case.task)
        if self.case.unit not in ("call", "import", "run"):
            self.count = max(1, round(block_seconds / seconds))
        return seconds

    def run(self) -> float:
        if self.case.family == "local":
            return statistics.fmean(_local_unit(self.case.task) for _ in range(self.count))
        return self.workers.call(self.case.family, "run", self.key, self.count)


def _runners(config, workers, settings, skipped, log) -> tuple[list[_Runner], dict[str, str]]:
    """Build the config's cases; those that cannot run here go to `reasons`."""
    runners, reasons = [], {}
    for index, case in enumerate(config.cases):
        if not settings.wanted(case):
            continue
        if case.impl in skipped:
            reasons[case.key] = skipped[case.impl]
            continue
        runner = _Runner(case, workers, index)
        try:
            seconds = runner.build(settings.block_seconds)
        except Skip as reason:
            reasons[case.key] = str(reason)
            continue
        log(f"{config.name}: ready {case.key}, {seconds * 1e3:,.2f} ms per call")
        runners.append(runner)
    return runners, reasons


def run_config(
    config: Config,
    workers: Workers,
    settings: Settings,
    skipped: dict[str, str],
    log: Callable[[str], None],
) -> dict[str, Any]:
    """Time every case of `config` in shuffled rounds; returns the config's record."""
    result = {"name": config.name, "title": config.title, "note": config.note, "cases": []}
    missing = _missing(config.needs)
    if missing:
        result["skipped"] = f"needs {', '.join(missing)}, which is not there"
        log(f"skip {config.name}: {result['skipped']}")
        return result
    runners, reasons = _runners(config, workers, settings, skipped, log)
    samples: dict[str, list[float]] = {runner.case.key: [] for runner in runners}
    shuffler = random.Random(settings.seed)
    rounds = settings.rounds(config)
    for round_index in range(-settings.warmup_rounds if config.warmup else 0, rounds):
        order = runners[:]
        shuffler.shuffle(order)
        for runner in order:
            time.sleep(settings.pause_seconds)
            seconds = runner.run()
            if round_index >= 0:
                samples[runner.case.key].append(seconds)
        done = "warm-up round" if round_index < 0 else f"round {round_index + 1}/{rounds}"
        log(f"{config.name}: {done}")
    for family in {runner.case.family for runner in runners} - {"local"}:
        workers.call(family, "release")
    counts = {runner.case.key: runner.count for runner in runners}
    result["cases"] = _summarise(config, samples, counts, reasons)
    return result


# --- statistics ------------------------------------------------------------------------


def summary(values: list[float]) -> dict[str, float]:
    """Median and quartiles (`q1`, `q3`) of `values`.

    Example:
        >>> summary([1.0, 2.0, 3.0, 4.0, 100.0])
        {'median': 3.0, 'q1': 2.0, 'q3': 4.0}
    """
    if len(values) < 2:
        return {"median": values[0], "q1": values[0], "q3": values[0]}
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return {"median": median, "q1": q1, "q3": q3}


def _summarise(config: Config, samples: dict, counts: dict, reasons: dict) -> list[dict]:
    peak = next((case for case in config.cases if case.unit == "matmul"), None)
    records = []
    for case in config.cases:
        record = {"key": case.key, "label": case.label, "unit": case.unit}
        if case.key not in samples:
            if case.key in reasons:
                records.append({**record, "skipped": reasons[case.key]})
            continue
        values = samples[case.key]
        record.update(seconds=summary(values), samples=values, per_block=counts[case.key])
        record["reference"] = case.reference
        if case.reference in samples:
            reference = samples[case.reference]
            record["ratio"] = summary([a / b for a, b in zip(values, reference, strict=True)])
        if case.flops and peak:
            record["gflops"] = summary([case.flops / value / 1e9 for value in values])
            if peak and peak.key in samples and case is not peak:
                rates = zip(values, samples[peak.key], strict=True)
                fractions = [(case.flops / a) / (peak.flops / b) for a, b in rates]
                record["peak_fraction"] = summary(fractions)
        records.append(record)
    return records
