"""The benchmark configurations: which cases run together, interleaved, in one table.

A `Case` is one timed thing: a task for a worker (or a subprocess the coordinator
starts), with the case its ratio is taken against. A `Config` is a group of cases timed
in the same shuffled rounds. `CONFIGS` lists them in the order they run.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from benchmarks.models import ModelSpec, step_flops
from benchmarks.tasks import IMPLEMENTATIONS

__all__ = ["CONFIGS", "QUICK_CONFIGS", "Case", "Config", "family_of"]

LESSON = ModelSpec("mlp", (10, 5, 8), "sigmoid", 4, "float64")
MNIST = ModelSpec("mlp", (784, 512, 512, 10), "relu", 128, "float32")
DIGITS_MLP = ModelSpec("mlp", (64, 128, 10), "relu", 64, "float32", data="digits")
DIGITS_CNN = ModelSpec("cnn", (1, 8, 8, 8, 10), "relu", 64, "float32", data="digits")
PEAK_SIZE = 2048

LABELS = {
    "funcnet": "funcnet",
    "rawjax": "raw JAX (jax.numpy)",
    "stax": "jax.example_libraries.stax",
    "nnx": "Flax NNX",
    "equinox": "Equinox",
    "haiku": "Haiku",
    "torch": "PyTorch eager",
}


@dataclass(frozen=True)
class Case:
    """One timed thing.

    Attributes:
        key: identifier, unique within its config (`funcnet`, `rawjax:donate`, ...).
        label: what the table calls it.
        task: the task dict a worker builds (see `benchmarks.tasks`), or for
            `family="local"` one the coordinator runs as subprocesses.
        family: the worker that runs it: `jax64`, `jax32`, `torch` or `local`.
        reference: key of the case its ratio is taken against (None: no ratio).
        flops: floating-point operations per unit, for GFLOP/s (None: not shown).
        unit: what one sample measures: `step`, `call`, `import`, `run`, `matmul`.
    """

    key: str
    label: str
    task: dict
    family: str
    reference: str | None = "rawjax"
    flops: int | None = None
    unit: str = "step"

    @property
    def impl(self) -> str | None:
        return self.task.get("impl")

    @property
    def spec(self) -> ModelSpec | None:
        model = self.task.get("model")
        return ModelSpec(**model) if model else None


@dataclass(frozen=True)
class Config:
    """Cases timed together in interleaved, shuffled rounds.

    Attributes:
        name: what `--only` selects.
        title: the table's heading.
        note: one line under the heading: what is compared and how.
        cases: the cases.
        rounds: recorded rounds of a full run (`--quick` uses 2).
        warmup: whether a first, unrecorded round runs (cases are warmed up when built).
        needs: `(module, attribute)` pairs that must exist, else the config is skipped
            (attribute None: the module alone).
    """

    name: str
    title: str
    note: str
    cases: tuple[Case, ...]
    rounds: int = 15
    warmup: bool = True
    needs: tuple[tuple[str, str | None], ...] = field(default=())


def family_of(impl: str, spec: ModelSpec) -> str:
    if impl.startswith("torch"):
        return "torch"
    return "jax64" if spec.dtype == "float64" else "jax32"


def _case(
    impl: str, spec: ModelSpec, kind: str = "step", label: str | None = None, **extra
) -> Case:
    task = {"kind": kind, "impl": impl, "model": asdict(spec), **extra}
    name, _, option = impl.partition(":")
    label = label or LABELS[name] + (f", {option.replace('+', ', ')}" if option else "")
    return Case(impl, label, task, family_of(impl, spec), flops=step_flops(spec))


def _peak() -> Case:
    task = {"kind": "peak", "size": PEAK_SIZE}
    label = f"matmul peak: jnp.dot {PEAK_SIZE}x{PEAK_SIZE} float32"
    return Case("peak", label, task, "jax32", None, 2 * PEAK_SIZE**3, "matmul")


def _steps(spec: ModelSpec, peak: bool = False) -> tuple[Case, ...]:
    cases = tuple(_case(impl, spec) for impl in IMPLEMENTATIONS)
    return (*cases, _peak()) if peak else cases


def _fit_cases(spec: ModelSpec, steps: int) -> tuple[Case, ...]:
    cases = (
        _case("funcnet", spec, "epoch", "funcnet fit: one compiled lax.scan epoch", steps=steps),
        _case("rawjax", spec, "epoch", "raw JAX: jit of a lax.scan epoch", steps=steps),
        _case("funcnet", spec, "loop", "funcnet: Python loop of jitted steps", steps=steps),
        _case("rawjax", spec, "loop", "raw JAX: Python loop of jitted steps", steps=steps),
        _case("torch", spec, "loop", "PyTorch eager: the usual loop", steps=steps),
    )
    keys = ("funcnet-fit", "rawjax", "funcnet-loop", "rawjax-loop", "torch-loop")
    return tuple(_rekey(case, key) for case, key in zip(cases, keys, strict=True))


def _rekey(case: Case, key: str, reference: str = "rawjax") -> Case:
    return Case(key, case.label, case.task, case.family, reference, case.flops, case.unit)


def _first_calls() -> tuple[Case, ...]:
    cases = []
    for name, spec in (("lesson", LESSON.with_dtype("float32")), ("mnist", MNIST)):
        for impl in ("funcnet", "rawjax"):
            label = f"{LABELS[impl]}, {name} model"
            case = _case(impl, spec, "first_call", label)
            cases.append(_rekey(case, f"{impl}-{name}", f"rawjax-{name}"))
    return tuple(Case(c.key, c.label, c.task, c.family, c.reference, None, "call") for c in cases)


def _local(key: str, label: str, task: dict, reference: str | None, unit: str) -> Case:
    return Case(key, label, task, "local", reference, None, unit)


_DIGITS = (("funcnet.data", "load_digits"), ("sklearn", None))
_TUNING = ("rawjax", "rawjax:donate", "rawjax:io", "rawjax:io+donate", "funcnet", "funcnet:donate")
FIT_STEPS = 100

_FIRST_CALL_NOTE = "jax.clear_caches() before each call; a new step function each time."


def _import_cases() -> tuple[Case, ...]:
    base = {"kind": "import", "modules": "jax, optax"}
    funcnet = {"kind": "import", "modules": "funcnet"}
    return (
        _local("jax-optax", "import jax, optax", base, None, "import"),
        _local("funcnet", "import funcnet", funcnet, "jax-optax", "import"),
    )


def _tuning_cases() -> tuple[Case, ...]:
    fit = _case("funcnet", MNIST, "epoch", "funcnet fit: compiled epoch of 20 steps", steps=20)
    cases = tuple(_case(impl, MNIST) for impl in _TUNING)
    return (*cases, _rekey(fit, "funcnet-fit"), _peak())


def _configs() -> tuple[Config, ...]:
    lesson32 = LESSON.with_dtype("float32")
    derivations = {"kind": "command", "argv": ["-m", "derivations"]}
    conv = (("funcnet.layers.conv", "Conv2d"), ("funcnet.layers.pool", "MaxPool2d"))
    return (
        Config(
            "lesson-f64",
            "Lesson model, float64: one train step",
            "Linear 10->5, Sigmoid, Linear 5->8; batch 4; cross-entropy on logits; Adam.",
            _steps(LESSON),
        ),
        Config(
            "lesson-f32",
            "Lesson model, float32: one train step",
            "The same model and data in float32.",
            _steps(lesson32),
        ),
        Config(
            "mnist-mlp",
            "MNIST-size MLP, float32: one train step",
            "784-512-512-10, ReLU, batch 128, random data.",
            _steps(MNIST, peak=True),
        ),
        Config(
            "digits-mlp",
            "Digits MLP, float32: one train step",
            "64-128-10, ReLU, batch 64, funcnet.data.load_digits.",
            _steps(DIGITS_MLP, peak=True),
            needs=_DIGITS,
        ),
        Config(
            "digits-cnn",
            "Digits CNN, float32: one train step",
            DIGITS_CNN.describe() + "; funcnet.data.load_digits.",
            _steps(DIGITS_CNN),
            needs=(*_DIGITS, *conv),
        ),
        Config(
            "fit",
            f"Training epoch of {FIT_STEPS} steps, lesson model, float32: time per step",
            f"funcnet.fit's compiled epoch against Python loops over the same {FIT_STEPS} "
            "batches (the compiled epochs also shuffle).",
            _fit_cases(lesson32, FIT_STEPS),
        ),
        Config(
            "mlp-tuning",
            "MNIST-size MLP: layouts and buffer donation",
            "Variants of one step: donate = jit with donate_argnums=0 (the state's buffers "
            "are reused); io = W stored as (in, out), x @ W.",
            _tuning_cases(),
            rounds=10,
        ),
        Config(
            "first-call",
            "First call: trace + compile + one step",
            _FIRST_CALL_NOTE,
            _first_calls(),
            rounds=10,
        ),
        Config(
            "import",
            "Import time, a fresh interpreter each time",
            "Seconds spent in the import statement itself.",
            _import_cases(),
        ),
        Config(
            "derivations",
            "python -m derivations: wall time",
            "The whole math report in a fresh process.",
            (_local("derivations", "python -m derivations", derivations, None, "run"),),
            rounds=3,
            warmup=False,
            needs=(("derivations", "__main__"),),
        ),
    )


CONFIGS = _configs()
QUICK_CONFIGS = ("lesson-f64",)
