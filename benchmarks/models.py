"""The benchmarked models as plain data: shapes, initial weights, batches, FLOP counts.

Every framework builds its model from the numpy arrays made here, so all of them start
from the same weights (PyTorch's layout and PyTorch's default initialisation,
$U(-1/\\sqrt{\\text{fan\\_in}}, 1/\\sqrt{\\text{fan\\_in}})$) and see the same data.
Nothing in this module imports a framework.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

__all__ = [
    "LEARNING_RATE",
    "ModelSpec",
    "batches",
    "initial_weights",
    "step_flops",
]

LEARNING_RATE = 1e-3


@dataclass(frozen=True)
class ModelSpec:
    """One model and its data.

    Attributes:
        kind: `"mlp"` (Linear layers with an activation between them) or `"cnn"`
            (Conv2d 3x3 padding 1, ReLU, MaxPool2d 2, Flatten, Linear).
        sizes: the MLP's feature sizes, e.g. `(10, 5, 8)`; for the CNN
            `(in_channels, channels, height, width, classes)`.
        activation: `"sigmoid"` or `"relu"`.
        batch: examples per step.
        dtype: `"float64"` or `"float32"`.
        data: `"random"` (standard normal inputs, uniform classes) or `"digits"`
            (`funcnet.data.load_digits`).
    """

    kind: str
    sizes: tuple[int, ...]
    activation: str
    batch: int
    dtype: str
    data: str = "random"

    def with_dtype(self, dtype: str) -> ModelSpec:
        return replace(self, dtype=dtype)

    @property
    def classes(self) -> int:
        return self.sizes[-1]

    @property
    def input_shape(self) -> tuple[int, ...]:
        if self.kind == "mlp":
            return (self.batch, self.sizes[0])
        channels, _, height, width, _ = self.sizes
        return (self.batch, channels, height, width)

    @property
    def layers(self) -> list[tuple[int, int]]:
        """`(in_features, out_features)` of each Linear layer (MLP only)."""
        return list(zip(self.sizes, self.sizes[1:], strict=False))

    def describe(self) -> str:
        if self.kind == "mlp":
            sizes = "-".join(str(size) for size in self.sizes)
            return f"MLP {sizes} ({self.activation}), batch {self.batch}, {self.dtype}"
        channels, hidden, height, width, classes = self.sizes
        flat = hidden * (height // 2) * (width // 2)
        return (
            f"CNN conv {channels}->{hidden} 3x3, ReLU, max-pool 2, Linear {flat}->{classes}; "
            f"batch {self.batch}, {self.dtype}"
        )


def _uniform(rng: np.random.Generator, fan_in: int, shape: tuple[int, ...]) -> np.ndarray:
    bound = 1.0 / np.sqrt(fan_in)
    return rng.uniform(-bound, bound, shape)


def initial_weights(spec: ModelSpec, seed: int = 0) -> list[dict[str, np.ndarray]]:
    """PyTorch-layout float64 weights: one `{"weight", "bias"}` per Linear or Conv2d.

    Linear weights are `(out_features, in_features)`; the Conv2d weight is
    `(out_channels, in_channels, 3, 3)`. Frameworks with another layout transpose.
    """
    rng = np.random.default_rng(seed)
    if spec.kind == "mlp":
        return [
            {
                "weight": _uniform(rng, fan_in, (fan_out, fan_in)),
                "bias": _uniform(rng, fan_in, (fan_out,)),
            }
            for fan_in, fan_out in spec.layers
        ]
    channels, hidden, height, width, classes = spec.sizes
    flat = hidden * (height // 2) * (width // 2)
    fan_in = channels * 9
    conv = {
        "weight": _uniform(rng, fan_in, (hidden, channels, 3, 3)),
        "bias": _uniform(rng, fan_in, (hidden,)),
    }
    linear = {
        "weight": _uniform(rng, flat, (classes, flat)),
        "bias": _uniform(rng, flat, (classes,)),
    }
    return [conv, linear]


def _digits(spec: ModelSpec, count: int) -> tuple[np.ndarray, np.ndarray]:
    from funcnet.data import load_digits

    dataset = load_digits(image=spec.kind == "cnn", dtype=np.float64)
    x, y = np.asarray(dataset.train.x), np.asarray(dataset.train.y)
    reps = -(-count // len(x))
    return np.concatenate([x] * reps)[:count], np.concatenate([y] * reps)[:count]


def batches(spec: ModelSpec, count: int = 1, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """`count` batches as float64 `x: (count, batch, ...)` and int32 `y: (count, batch)`."""
    total = count * spec.batch
    if spec.data == "digits":
        x, y = _digits(spec, total)
    else:
        rng = np.random.default_rng(seed)
        x = rng.standard_normal((total, *spec.input_shape[1:]))
        y = rng.integers(0, spec.classes, total)
    x = x.reshape(count, *spec.input_shape)
    return x.astype(np.float64), y.reshape(count, spec.batch).astype(np.int32)


def step_flops(spec: ModelSpec) -> int | None:
    """Floating-point operations one MLP training step needs (None for the CNN).

    Per Linear layer of `B x in -> out`: the forward product costs `2 B in out`, the
    backward pass two more products of the same size (the weight gradient and the
    input gradient), `4 B in out`, except in the first layer, whose input gradient
    nobody needs: `2 B in out` there. Elementwise work (bias, activation, loss,
    optimizer) is left out.

    Example:
        >>> spec = ModelSpec("mlp", (784, 512, 512, 10), "relu", 128, "float32")
        >>> step_flops(spec)
        410779648
    """
    if spec.kind != "mlp":
        return None
    total = 0
    for index, (fan_in, fan_out) in enumerate(spec.layers):
        products = 2 if index == 0 else 3
        total += products * 2 * spec.batch * fan_in * fan_out
    return total
