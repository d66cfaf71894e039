"""`python -m benchmarks`: time funcnet against raw JAX, its peers and PyTorch.

Usage::

    python -m benchmarks                       # everything; writes JSON and the docs page
    python -m benchmarks --only mnist-mlp      # one configuration (repeatable)
    python -m benchmarks --quick               # a correctness run: tiny, prints only
    python -m benchmarks --json out.json --markdown page.md

Before anything is timed, every implementation's loss after two Adam steps is compared
with raw JAX's (float64, and float32 where a table is float32); a disagreement stops
the run with exit status 1.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks import report
from benchmarks.configs import CONFIGS, QUICK_CONFIGS, Config
from benchmarks.harness import ROOT, CheckFailed, Settings, check_losses, run_config
from benchmarks.tasks import IMPLEMENTATIONS
from benchmarks.worker import Workers, cores

DEFAULT_JSON = ROOT / "benchmarks" / "results.json"
DEFAULT_PAGE = ROOT / "docs" / "benchmarks.md"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n")[0]
    )
    names = [config.name for config in CONFIGS]
    parser.add_argument(
        "--quick", action="store_true", help="2 short rounds; writes nothing unless asked"
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=names,
        metavar="CONFIG",
        help=f"one of {', '.join(names)}",
    )
    parser.add_argument(
        "--frameworks", help=f"comma-separated subset of {','.join(IMPLEMENTATIONS)}"
    )
    parser.add_argument(
        "--json",
        type=Path,
        metavar="PATH",
        help=f"results file (default {DEFAULT_JSON.relative_to(ROOT)})",
    )
    parser.add_argument(
        "--markdown",
        type=Path,
        metavar="PATH",
        help=f"page to write the tables into (default {DEFAULT_PAGE.relative_to(ROOT)})",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the shuffled round orders")
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    frameworks = None
    if args.frameworks:
        frameworks = frozenset(name.strip() for name in args.frameworks.split(","))
        unknown = frameworks - set(IMPLEMENTATIONS)
        if unknown:
            raise SystemExit(f"unknown frameworks: {', '.join(sorted(unknown))}")
    if args.quick:
        return Settings(True, 0.005, 0.005, 1, args.seed, frameworks)
    return Settings(seed=args.seed, frameworks=frameworks)


def _describe(settings: Settings) -> str:
    if settings.quick:
        return "a --quick correctness run (2 rounds of short blocks): not a measurement"
    return (
        "rounds of all its cases in a new random order each round, "
        f"{settings.pause_seconds * 1000:.0f} ms pause before each block, blocks of about "
        f"{settings.block_seconds * 1000:.0f} ms (one call for first calls and subprocesses), "
        f"{settings.warmup_rounds} unrecorded warm-up round"
    )


_START = time.perf_counter()


def _log(message: str) -> None:
    elapsed = time.perf_counter() - _START
    print(f"[benchmarks {elapsed:5.0f} s] {message}", file=sys.stderr, flush=True)


def _settings_record(settings: Settings, threads: int | None, seconds: float) -> dict:
    return {
        "quick": settings.quick,
        "block_seconds": settings.block_seconds,
        "pause_seconds": settings.pause_seconds,
        "warmup_rounds": settings.warmup_rounds,
        "seed": settings.seed,
        "jax_cores": cores(),
        "torch_threads": threads,
        "describe": _describe(settings),
        "seconds": round(seconds, 1),
    }


def run(configs: Sequence[Config], settings: Settings) -> dict:
    """Check, then time every configuration; the results record (without targets).

    Raises:
        CheckFailed: if an implementation's losses differ from raw JAX's.
    """
    started = time.perf_counter()
    with Workers() as workers:
        cases = [case for config in configs for case in config.cases if settings.wanted(case)]
        workers.start({case.family for case in cases} - {"local"})
        checks, skipped = check_losses(cases, workers, _log)
        for impl, reason in skipped.items():
            _log(f"leaving out {impl}: {reason}")
        timed = []
        for config in configs:
            _log(f"timing {config.name}: {config.title}")
            timed.append(run_config(config, workers, settings, skipped, _log))
            print(report.markdown_table(timed[-1]), flush=True)
        threads = (
            workers.call("torch", "info")["torch_threads"] if workers.started("torch") else None
        )
    return {
        "machine": report.machine(),
        "settings": _settings_record(settings, threads, time.perf_counter() - started),
        "checks": checks,
        "skipped_implementations": skipped,
        "configs": timed,
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = _settings(args)
    names = args.only or (QUICK_CONFIGS if args.quick else [config.name for config in CONFIGS])
    json_path = args.json or (None if args.quick else DEFAULT_JSON)
    page_path = args.markdown or (None if args.quick else DEFAULT_PAGE)
    try:
        results = run([config for config in CONFIGS if config.name in names], settings)
    except CheckFailed as error:
        print(f"benchmarks: same-loss check failed, nothing timed: {error}", file=sys.stderr)
        return 1
    results["targets"] = report.targets(results)
    print(report.targets_table(results), flush=True)
    report.write_outputs(results, json_path, page_path)
    for path in (json_path, page_path):
        if path is not None:
            _log(f"wrote {path}")
    _log(f"done in {results['settings']['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
