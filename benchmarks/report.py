"""The results as JSON, as Markdown tables, and the targets they are judged against.

The Markdown block goes into the docs' Benchmarks page between two marker comments,
replacing the previous block; both files are written atomically (a temporary file in
the same folder, then `os.replace`), so a reader never sees half a table.
"""

from __future__ import annotations

import datetime
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks.harness import summary

__all__ = [
    "BEGIN",
    "END",
    "in_child",
    "inject",
    "machine",
    "markdown",
    "measured",
    "publish",
    "targets",
    "write_atomic",
    "write_outputs",
]

BEGIN = "<!-- benchmarks:begin -->"
END = "<!-- benchmarks:end -->"
PACKAGES = ("jax", "jaxlib", "optax", "numpy", "torch", "flax", "equinox", "dm-haiku")


def machine() -> dict[str, Any]:
    """CPU model (from /proc/cpuinfo), cores, Python and package versions, the date."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.partition(":")[2].strip()
                break
    except OSError:
        pass
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


# --- targets -------------------------------------------------------------------------


def _case(results: dict, config: str, key: str) -> dict | None:
    for record in results["configs"]:
        if record["name"] == config:
            return next((c for c in record["cases"] if c["key"] == key and "samples" in c), None)
    return None


def _stat(results: dict, config: str, key: str, field: str) -> float | None:
    case = _case(results, config, key)
    return case[field]["median"] if case and field in case else None


def _paired(results: dict, config: str, a: str, b: str, combine: Callable) -> float | None:
    """Median over rounds of `combine(a, b)` for two cases timed in the same rounds."""
    first, second = _case(results, config, a), _case(results, config, b)
    if not first or not second:
        return None
    pairs = zip(first["samples"], second["samples"], strict=True)
    return summary([combine(x, y) for x, y in pairs])["median"]


def _ratio_of(config: str, key: str, field: str = "ratio") -> Callable[[dict], float | None]:
    return lambda results: _stat(results, config, key, field)


def _speedup(config: str, slow: str, fast: str) -> Callable[[dict], float | None]:
    return lambda results: _paired(results, config, slow, fast, lambda x, y: x / y)


def _import_cost(results: dict) -> float | None:
    return _paired(results, "import", "funcnet", "jax-optax", lambda x, y: x - y)


# (target, relation, goal, unit of the value, how to read the value from the results)
TARGETS = (
    ("funcnet step / raw JAX step, lesson model float64", "<=", 1.05, "x",
     _ratio_of("lesson-f64", "funcnet")),
    ("funcnet step / raw JAX step, lesson model float32", "<=", 1.05, "x",
     _ratio_of("lesson-f32", "funcnet")),
    ("funcnet step / raw JAX step, MNIST-size MLP", "<=", 1.05, "x",
     _ratio_of("mnist-mlp", "funcnet")),
    ("first call funcnet / raw JAX, lesson model", "<=", 1.05, "x",
     _ratio_of("first-call", "funcnet-lesson")),
    ("first call funcnet / raw JAX, MNIST-size MLP", "<=", 1.05, "x",
     _ratio_of("first-call", "funcnet-mnist")),
    ("fit speed-up per step over a Python loop of jitted funcnet steps", ">=", 5.0, "x",
     _speedup("fit", "funcnet-loop", "funcnet-fit")),
    ("fit speed-up per step over the PyTorch eager loop", ">=", 30.0, "x",
     _speedup("fit", "torch-loop", "funcnet-fit")),
    ("MNIST-size MLP: funcnet step speed-up over PyTorch eager", ">=", 1.2, "x",
     _speedup("mnist-mlp", "torch", "funcnet")),
    ("MNIST-size MLP: funcnet step's share of the matmul peak", ">=", 0.70, "%",
     _ratio_of("mnist-mlp", "funcnet", "peak_fraction")),
    ("import funcnet minus import jax, optax", "<", 0.100, "s", _import_cost),
)  # fmt: skip

_RELATIONS = {"<=": lambda a, b: a <= b, ">=": lambda a, b: a >= b, "<": lambda a, b: a < b}


def targets(results: dict) -> list[dict[str, Any]]:
    """Each target with its measured value (None when its config did not run) and verdict."""
    records = []
    for name, relation, goal, unit, read in TARGETS:
        value = read(results)
        met = None if value is None else _RELATIONS[relation](value, goal)
        record = {"target": name, "relation": relation, "goal": goal, "unit": unit}
        records.append({**record, "value": value, "met": met})
    return records


# --- Markdown ------------------------------------------------------------------------


def _time(seconds: float) -> str:
    for scale, unit in ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs")):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def _value(value: float | None, unit: str) -> str:
    if value is None:
        return "not run"
    if unit == "%":
        return f"{100 * value:.0f}%"
    if unit == "s":
        return f"{1000 * value:+.0f} ms"
    return f"{value:.2f}x"


def _range(stats: dict[str, float], form: Callable[[float], str]) -> str:
    return f"{form(stats['median'])} ({form(stats['q1'])}–{form(stats['q3'])})"


def _ratio(case: dict) -> str:
    if "ratio" in case:
        return _range(case["ratio"], lambda v: f"{v:.2f}")
    return "—" if case.get("reference") else "reference"


def _row(case: dict, flops: bool) -> str:
    seconds = case["seconds"]
    cells = [
        case["label"],
        f"{_time(seconds['median'])} / {case['unit']}",
        _time(seconds["q3"] - seconds["q1"]),
        _ratio(case),
    ]
    if flops:
        gflops, share = case.get("gflops"), case.get("peak_fraction")
        cells.append(f"{gflops['median']:.1f}" if gflops else "")
        cells.append(_range(share, lambda v: f"{100 * v:.0f}%") if share else "")
    return "| " + " | ".join(cells) + " |"


def _table(config: dict) -> list[str]:
    lines = [f"### {config['title']}", "", config["note"], ""]
    if config.get("skipped"):
        return [*lines, f"Skipped: {config['skipped']}.", ""]
    cases = config["cases"]
    flops = any("gflops" in case for case in cases)
    columns = ["implementation", "median", "IQR", "ratio to reference (IQR)"]
    columns += ["GFLOP/s", "share of peak (IQR)"] if flops else []
    lines += ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += [_row(case, flops) for case in cases if "skipped" not in case]
    lines.append("")
    skipped = [f"- {case['label']}: {case['skipped']}" for case in cases if "skipped" in case]
    return [*lines, "Not timed:", "", *skipped, ""] if skipped else lines


def _machine_line(info: dict, settings: dict) -> str:
    versions = ", ".join(
        f"{name} {version}" for name, version in info["versions"].items() if version
    )
    return (
        f"Measured {info['date']} on {info['cpu']}, {info['usable_cores']} cores "
        f"(JAX's CPU client and `torch.set_num_threads({settings['torch_threads']})`); "
        f"Python {info['python']}, {versions}."
    )


def _targets_lines(results: dict) -> list[str]:
    lines = ["### Targets", "", "| target | measured | goal | met |", "|---|---|---|---|"]
    for target in results["targets"]:
        goal = _value(target["goal"], target["unit"]).lstrip("+")
        met = {True: "yes", False: "**no**", None: "—"}[target["met"]]
        value = _value(target["value"], target["unit"])
        lines.append(f"| {target['target']} | {value} | {target['relation']} {goal} | {met} |")
    lines.append("")
    if results["skipped_implementations"]:
        lines += ["Left out of every table:", ""]
        for impl, reason in results["skipped_implementations"].items():
            lines.append(f"- {impl}: {reason}")
        lines.append("")
    return lines


def targets_table(results: dict) -> str:
    """The targets as a Markdown table, with the implementations left out."""
    return "\n".join(_targets_lines(results))


def markdown_table(config: dict) -> str:
    """One configuration's results as a Markdown table."""
    return "\n".join(_table(config))


def markdown(results: dict) -> str:
    """The Markdown block: machine, method, targets, then one table per configuration."""
    settings = results["settings"]
    lines = [
        BEGIN,
        "",
        _machine_line(results["machine"], settings),
        "",
        f"Each table: {settings['describe']}. Median and interquartile range (IQR) per unit; "
        "the ratio is taken round by round against the reference timed in the same round "
        "(raw JAX unless the table says otherwise), then its median and IQR.",
        "",
        *_targets_lines(results),
    ]
    for config in results["configs"]:
        lines += _table(config)
    return "\n".join([*lines, END]) + "\n"


# --- files ---------------------------------------------------------------------------


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file and `os.replace`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o777)
        else:
            os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def inject(page: str, block: str, begin: str = BEGIN, end: str = END) -> str:
    """`page` with the text between the markers replaced by `block` (appended if absent).

    Each benchmark module owns one section of the page, between its own two markers.

    Example:
        >>> inject(f"# B\\n{BEGIN}\\nold\\n{END}\\ntail\\n", f"{BEGIN}\\nnew\\n{END}\\n")
        '# B\\n<!-- benchmarks:begin -->\\nnew\\n<!-- benchmarks:end -->\\ntail\\n'
        >>> marks = ("<!-- x:begin -->", "<!-- x:end -->")
        >>> inject("# B", f"{marks[0]}\\nnew\\n{marks[1]}\\n", *marks)
        '# B\\n<!-- x:begin -->\\nnew\\n<!-- x:end -->\\n'
    """
    start, stop = page.find(begin), page.find(end)
    if start < 0 or stop < start:
        return page + ("\n" if page and not page.endswith("\n") else "") + block
    return page[:start] + block.rstrip("\n") + page[stop + len(end) :]


def publish(
    results: dict,
    block: str,
    *,
    json_path: Path | None,
    page_path: Path | None,
    markers: tuple[str, str],
) -> None:
    """Print a benchmark's Markdown `block`; write its JSON and its section of the page.

    Args:
        results: the JSON-compatible record, written to `json_path` (None: not written).
        block: the section, markers included, put into `page_path` (None: not written)
            between `markers`, `(begin, end)`, replacing what was there.
    """
    print(block, end="")
    if json_path is not None:
        write_atomic(json_path, json.dumps(results, indent=1) + "\n")
    if page_path is not None:
        page = page_path.read_text(encoding="utf-8") if page_path.exists() else ""
        write_atomic(page_path, inject(page, block, *markers))


def measured(info: dict, how: str) -> str:
    """The first line of a section: when, on what, with which jax, and how it was timed."""
    return (
        f"Measured {info['date']} on {info['cpu']}, {info['usable_cores']} usable cores; "
        f"jax {info['versions']['jax']}; {how}."
    )


def in_child(module: str, arguments: Sequence[str], cpu_devices: int) -> dict:
    """Run `python -m module --child PATH *arguments` with `cpu_devices` simulated CPU
    devices (`XLA_FLAGS=--xla_force_host_platform_device_count`, which must be set
    before JAX starts), and return the JSON it writes to PATH."""
    environment = dict(os.environ)
    flags = environment.get("XLA_FLAGS", "")
    environment["XLA_FLAGS"] = f"{flags} --xla_force_host_platform_device_count={cpu_devices}"
    environment["JAX_PLATFORMS"] = "cpu"
    with tempfile.TemporaryDirectory() as directory:
        out = Path(directory) / "results.json"
        command = [sys.executable, "-m", module, "--child", str(out), *arguments]
        subprocess.run(command, env=environment, check=True)
        return json.loads(out.read_text(encoding="utf-8"))


def write_outputs(results: dict, json_path: Path | None, page_path: Path | None) -> None:
    if json_path is not None:
        write_atomic(json_path, json.dumps(results, indent=1) + "\n")
    if page_path is not None:
        page = page_path.read_text(encoding="utf-8") if page_path.exists() else "# Benchmarks\n\n"
        write_atomic(page_path, inject(page, markdown(results)))
