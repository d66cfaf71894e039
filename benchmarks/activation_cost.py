"""`python -m benchmarks.activation_cost`: is sigmoid slower than ReLU, and does it matter?

The lesson says sigmoid is slow because of its exponential. Three cases, each compiled
twice, once with `funcnet.sigmoid` and once with `funcnet.relu`:

- `elementwise`: the activation alone on 2^20 float32 values;
- `elementwise-grad`: the activation's value and gradient (`jax.grad` of its sum);
- `mlp-step`: the gradient of the cross-entropy of a 784-512-512-10 MLP (batch 128,
  float32) with that activation after each hidden layer: where the activation sits in
  a network, beside the matrix products.

For each, XLA's cost analysis of the compiled function gives its FLOPs and its
transcendental evaluations (the exponentials), and the two are timed in interleaved
rounds: every round runs the six functions in a new random order, each for a block of
about 100 ms after a short pause, and the ratio sigmoid / ReLU is taken within the
round; the tables give its median and interquartile range over the rounds.

Usage::

    python -m benchmarks.activation_cost          # writes the JSON and the docs section
    python -m benchmarks.activation_cost --quick  # a correctness run: prints only
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks import report
from benchmarks.harness import ROOT, summary

DEFAULT_JSON = ROOT / "benchmarks" / "activation_cost.json"
DEFAULT_PAGE = ROOT / "docs" / "benchmarks.md"
BEGIN = "<!-- activation-cost:begin -->"
END = "<!-- activation-cost:end -->"
ACTIVATIONS = ("sigmoid", "relu")


@dataclasses.dataclass(frozen=True)
class Case:
    """One computation, built with either activation.

    Attributes:
        name: What `--only` selects and the JSON names it.
        description: One line for the table.
        build: `build(activation, size)` returns `(function, arguments)`, where
            `activation` is `"sigmoid"` or `"relu"` and `size` is 1 in a full run and
            smaller in a quick one.
    """

    name: str
    description: str
    build: Callable[[str, float], tuple[Callable, tuple]]


def _elementwise(activation: str, size: float) -> tuple[Callable, tuple]:
    import jax
    import jax.numpy as jnp

    import funcnet

    x = jax.random.normal(jax.random.key(0), (int(2**20 * size),), jnp.float32)
    return getattr(funcnet, activation), (x,)


def _elementwise_grad(activation: str, size: float) -> tuple[Callable, tuple]:
    import jax

    function, args = _elementwise(activation, size)
    return jax.value_and_grad(lambda x: function(x).sum()), args


def _mlp_step(activation: str, size: float) -> tuple[Callable, tuple]:
    import jax
    import jax.numpy as jnp

    import funcnet

    layer = {"sigmoid": funcnet.Sigmoid, "relu": funcnet.ReLU}[activation]
    hidden, batch = int(512 * size) or 1, int(128 * size) or 1
    model = funcnet.Sequential(
        funcnet.Linear(784, hidden),
        layer(),
        funcnet.Linear(hidden, hidden),
        layer(),
        funcnet.Linear(hidden, 10),
    )
    keys = jax.random.split(jax.random.key(0), 3)
    params = model.init(keys[0], (batch, 784))
    params = jax.tree.map(lambda p: p.astype(jnp.float32), params)
    x = jax.random.normal(keys[1], (batch, 784), jnp.float32)
    target = jax.random.randint(keys[2], (batch,), 0, 10)

    def loss(params, x, target):
        return funcnet.cross_entropy(model(params, x), target)

    return jax.grad(loss), (params, x, target)


CASES = (
    Case("elementwise", "activation(x), 2^20 float32 values", _elementwise),
    Case("elementwise-grad", "value and gradient of sum(activation(x))", _elementwise_grad),
    Case("mlp-step", "gradient of the loss of a 784-512-512-10 MLP, batch 128", _mlp_step),
)


def _compiled(case: Case, name: str, size: float) -> tuple[Callable[[int], float], dict]:
    """A runner `run(count) -> seconds per call` and XLA's cost of the compiled call."""
    import jax

    from funcnet.graph import compiled_ops

    function, args = case.build(name, size)
    ops = compiled_ops(function, *args)
    compiled = jax.jit(function)
    jax.block_until_ready(compiled(*args))

    def run(count: int) -> float:
        start = time.perf_counter()
        for _ in range(count):
            out = compiled(*args)
        jax.block_until_ready(out)
        return (time.perf_counter() - start) / count

    cost = {
        "flops": ops.flops,
        "transcendentals": ops.transcendentals,
        "bytes_accessed": ops.bytes_accessed,
        "kernels": ops.compiled,
    }
    return run, cost


def _count_for(run: Callable[[int], float], seconds: float) -> int:
    count = 1
    while (per_call := run(count)) * count < seconds / 4 and count < 1 << 20:
        count *= 4
    return max(1, round(seconds / max(per_call, 1e-9)))


@dataclasses.dataclass(frozen=True)
class Settings:
    """How long and how often to time (see the module docstring)."""

    rounds: int = 15
    block_seconds: float = 0.1
    pause_seconds: float = 0.05
    size: float = 1.0
    seed: int = 0
    quick: bool = False


QUICK = Settings(rounds=2, block_seconds=0.005, pause_seconds=0.0, size=1 / 64, quick=True)


def measure(cases: Sequence[Case], settings: Settings) -> dict[str, Any]:
    """Costs and interleaved timings of every case with both activations.

    Returns:
        A JSON-compatible record: the machine, the settings, and per case the cost
        analysis of each activation, each one's seconds per call and the ratio
        sigmoid / ReLU (median, `q1`, `q3` over the rounds).
    """
    runners, costs = {}, {}
    for case in cases:
        for name in ACTIVATIONS:
            runners[case.name, name], costs[case.name, name] = _compiled(case, name, settings.size)
    counts = {key: _count_for(run, settings.block_seconds) for key, run in runners.items()}
    order, rng = list(runners), random.Random(settings.seed)
    seconds: dict[tuple[str, str], list[float]] = {key: [] for key in runners}
    ratios: dict[str, list[float]] = {case.name: [] for case in cases}
    for _ in range(settings.rounds):
        rng.shuffle(order)
        this_round = {}
        for key in order:
            time.sleep(settings.pause_seconds)
            this_round[key] = runners[key](counts[key])
            seconds[key].append(this_round[key])
        for case in cases:
            ratios[case.name].append(
                this_round[case.name, "sigmoid"] / this_round[case.name, "relu"]
            )
    return {
        "machine": report.machine(),
        "settings": dataclasses.asdict(settings),
        "cases": [
            {
                "name": case.name,
                "description": case.description,
                "cost": {name: costs[case.name, name] for name in ACTIVATIONS},
                "seconds": {name: summary(seconds[case.name, name]) for name in ACTIVATIONS},
                "ratio": summary(ratios[case.name]),
            }
            for case in cases
        ],
    }


def _time(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds * 1e9:.3g} ns"


def _count(value: float) -> str:
    return f"{value:,.0f}"


def markdown(results: dict[str, Any]) -> str:
    """The results as the docs section between the markers, markers included."""
    info = results["machine"]
    settings = results["settings"]
    lines = [
        BEGIN,
        "",
        report.measured(
            info,
            f"{settings['rounds']} interleaved rounds of blocks "
            f"of about {settings['block_seconds'] * 1000:.0f} ms",
        )
        + (
            " A --quick run on arrays 64 times smaller: not a measurement."
            if settings["quick"]
            else ""
        ),
        "",
        "| case | transcendentals: sigmoid / ReLU | FLOPs: sigmoid / ReLU "
        "| time per call: sigmoid / ReLU | ratio sigmoid / ReLU (IQR) |",
        "|---|---|---|---|---|",
    ]
    for case in results["cases"]:
        cost, seconds, ratio = case["cost"], case["seconds"], case["ratio"]
        lines.append(
            f"| {case['description']} "
            f"| {_count(cost['sigmoid']['transcendentals'])} / "
            f"{_count(cost['relu']['transcendentals'])} "
            f"| {_count(cost['sigmoid']['flops'])} / {_count(cost['relu']['flops'])} "
            f"| {_time(seconds['sigmoid']['median'])} / {_time(seconds['relu']['median'])} "
            f"| {ratio['median']:.2f} ({ratio['q1']:.2f}–{ratio['q3']:.2f}) |"
        )
    return "\n".join([*lines, "", END]) + "\n"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.activation_cost", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--quick", action="store_true", help="2 short rounds on small arrays; writes nothing"
    )
    parser.add_argument("--only", action="append", choices=[c.name for c in CASES], metavar="CASE")
    parser.add_argument("--json", type=Path, metavar="PATH", help="results file")
    parser.add_argument("--markdown", type=Path, metavar="PATH", help="page to update")
    parser.add_argument("--rounds", type=int, default=Settings.rounds, help="recorded rounds")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = QUICK if args.quick else Settings(rounds=args.rounds)
    cases = [case for case in CASES if not args.only or case.name in args.only]
    json_path = args.json or (None if args.quick else DEFAULT_JSON)
    page_path = args.markdown or (None if args.quick else DEFAULT_PAGE)
    results = measure(cases, settings)
    report.publish(
        results, markdown(results), json_path=json_path, page_path=page_path, markers=(BEGIN, END)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
