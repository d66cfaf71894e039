"""`python -m benchmarks.devices`: steps/s of `fit` and `sweep` on 1, 2 and 4 CPU devices.

Two models train on the digits data (1,437 examples, float32, Adam): the digits MLP
(64-128-10, batch 32, the default of `funcnet train`) and a wider MLP (64-1024-1024-10,
batch 128). Each trains with `fit` on the default device (no mesh), and data parallel
with `devices=2` and `devices=4`. A sweep of 8 digits MLPs (8 seeds) trains with
`funcnet.sweep` on the default device and with its run axis split over 2 and 4 devices
(`devices=2`, `devices=4`); its steps/s count every run's steps.

The devices are simulated: one process started with
`XLA_FLAGS=--xla_force_host_platform_device_count=4`, whose four "devices" share this
machine's cores. So the numbers measure what splitting each batch and all-reducing
the gradients costs, not a speed-up; on real accelerators each device brings its own
compute. The configurations are timed in interleaved rounds: every round runs each one
for a block of epochs (about `block_seconds`) in a new random order, and the ratio to
the one-device run is taken within the round; the table gives the median steps/s and
the median ratio with its interquartile range.

Usage::

    python -m benchmarks.devices          # writes benchmarks/devices.json and the docs section
    python -m benchmarks.devices --quick  # a correctness run, small and short: prints only
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import random
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks import report
from benchmarks.harness import ROOT, summary

DEFAULT_JSON = ROOT / "benchmarks" / "devices.json"
DEFAULT_PAGE = ROOT / "docs" / "benchmarks.md"
BEGIN = "<!-- devices:begin -->"
END = "<!-- devices:end -->"
DEVICES = (1, 2, 4)
NOTE = (
    "Simulated devices share one machine's cores: these figures measure the overhead "
    "of splitting batches over devices and all-reducing gradients, not a speed-up."
)


@dataclasses.dataclass(frozen=True)
class Model:
    """One model to time: its name, layer widths and batch size."""

    name: str
    widths: tuple[int, ...]
    batch_size: int

    runs: int = 1  # more than one: a sweep of that many seeds


MODELS = (
    Model("digits MLP", (64, 128, 10), 32),
    Model("wide MLP", (64, 1024, 1024, 10), 128),
    Model("sweep of 8 digits MLPs", (64, 128, 10), 32, runs=8),
)
QUICK_MODELS = (
    Model("digits MLP", (64, 16, 10), 32),
    Model("wide MLP", (64, 64, 64, 10), 128),
    Model("sweep of 8 digits MLPs", (64, 16, 10), 32, runs=8),
)


@dataclasses.dataclass(frozen=True)
class Settings:
    """How long and how often to time."""

    rounds: int = 9
    block_seconds: float = 0.3
    seed: int = 0
    quick: bool = False


QUICK = Settings(rounds=2, block_seconds=0.01, quick=True)


def _mlp(widths: tuple[int, ...]):
    import funcnet

    layers = []
    for index, (fan_in, fan_out) in enumerate(itertools.pairwise(widths)):
        layers += [funcnet.Linear(fan_in, fan_out)]
        if index < len(widths) - 2:
            layers += [funcnet.ReLU()]
    return funcnet.Sequential(*layers)


def _trainer(model: Model, devices: int | None, data) -> tuple[Any, int]:
    """`run(epochs) -> seconds in the compiled epochs`, and the steps of one epoch.

    A sweep's steps are every run's: `runs` times those of one.
    """
    import jax
    import optax

    import funcnet

    layer, optimizer = _mlp(model.widths), optax.adam(1e-3)
    options = dict(loss_fn=funcnet.cross_entropy, optimizer=optimizer, progress=False)
    options |= dict(batch_size=model.batch_size)
    if model.runs > 1:

        def run(epochs: int) -> float:
            _, history = funcnet.sweep(
                layer,
                (data.x, data.y),
                epochs=epochs,
                seeds=model.runs,
                devices=devices,
                **options,
            )
            return sum(history.seconds)

    else:
        params = layer.init(jax.random.key(0), data.x.shape)
        options |= dict(key=jax.random.key(1), devices=devices)

        def run(epochs: int) -> float:
            _, history = funcnet.fit(layer, params, (data.x, data.y), epochs=epochs, **options)
            return sum(history["seconds"])

    run(1)  # compiles
    return run, model.runs * funcnet.steps_per_epoch(len(data.x), model.batch_size)


def measure(models: Sequence[Model], settings: Settings) -> dict[str, Any]:
    """Interleaved rounds of every model on every device count, in this process.

    It must have been started with at least `max(DEVICES)` devices.
    """
    import funcnet

    data = funcnet.data.load_digits().train
    keys = [(model, count) for model in models for count in DEVICES]
    runners = {}
    for model, count in keys:
        runners[model.name, count] = _trainer(model, None if count == 1 else count, data)
    epochs = {
        key: max(1, round(settings.block_seconds / max(run(1), 1e-9)))
        for key, (run, _) in runners.items()
    }
    rates: dict = {key: [] for key in runners}
    ratios: dict = {key: [] for key in runners}
    order, rng = list(runners), random.Random(settings.seed)
    for _ in range(settings.rounds):
        rng.shuffle(order)
        this_round = {}
        for key in order:
            run, steps = runners[key]
            this_round[key] = steps * epochs[key] / run(epochs[key])
            rates[key].append(this_round[key])
        for name, count in runners:
            ratios[name, count].append(this_round[name, count] / this_round[name, 1])
    return _record(models, settings, rates, ratios, epochs)


def _record(models, settings, rates, ratios, epochs) -> dict[str, Any]:
    import jax

    return {
        "machine": report.machine(),
        "settings": dataclasses.asdict(settings),
        "device_kind": jax.devices()[0].device_kind,
        "note": NOTE,
        "cases": [
            {
                "model": model.name,
                "widths": list(model.widths),
                "batch_size": model.batch_size,
                "runs": model.runs,
                "devices": count,
                "epochs_per_block": epochs[model.name, count],
                "steps_per_second": summary(rates[model.name, count]),
                "ratio_to_one_device": summary(ratios[model.name, count]),
            }
            for model in models
            for count in DEVICES
        ],
    }


def markdown(results: dict[str, Any]) -> str:
    """The results as the docs section between the markers, markers included."""
    info, settings = results["machine"], results["settings"]
    lines = [
        BEGIN,
        "",
        report.measured(
            info,
            f"{settings['rounds']} interleaved rounds of blocks "
            f"of about {settings['block_seconds'] * 1000:.0f} ms",
        )
        + (" A --quick run on smaller models: not a measurement." if settings["quick"] else ""),
        "",
        f"**{results['note']}**",
        "",
        "| model | batch | devices | steps/s (a sweep: all runs') | ratio to 1 device (IQR) |",
        "|---|---|---|---|---|",
    ]
    for case in results["cases"]:
        ratio = case["ratio_to_one_device"]
        widths = "-".join(str(width) for width in case["widths"])
        lines.append(
            f"| {case['model']} ({widths}) | {case['batch_size']} | {case['devices']} "
            f"| {case['steps_per_second']['median']:,.0f} "
            f"| {ratio['median']:.2f} ({ratio['q1']:.2f}–{ratio['q3']:.2f}) |"
        )
    return "\n".join([*lines, "", END]) + "\n"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.devices", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="small and short; writes nothing")
    parser.add_argument("--json", type=Path, metavar="PATH", help="results file")
    parser.add_argument("--markdown", type=Path, metavar="PATH", help="page to update")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.child is not None:  # the process with the simulated devices
        settings, models = (QUICK, QUICK_MODELS) if args.quick else (Settings(), MODELS)
        report.write_atomic(args.child, json.dumps(measure(models, settings), indent=1) + "\n")
        return 0
    results = report.in_child(
        "benchmarks.devices", ["--quick"] if args.quick else [], max(DEVICES)
    )
    json_path = args.json or (None if args.quick else DEFAULT_JSON)
    page_path = args.markdown or (None if args.quick else DEFAULT_PAGE)
    report.publish(
        results, markdown(results), json_path=json_path, page_path=page_path, markers=(BEGIN, END)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
