"""Ready-made models for the bundled datasets (used by `funcnet train` and the docs)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

from funcnet._validate import one_of, positive_int
from funcnet.layers import (
    ELU,
    GELU,
    Flatten,
    Layer,
    LeakyReLU,
    Linear,
    ReLU,
    Sequential,
    Sigmoid,
    SiLU,
    Tanh,
)
from funcnet.layers.conv import Conv2d
from funcnet.layers.dropout import Dropout
from funcnet.layers.norm import BatchNorm1d, BatchNorm2d
from funcnet.layers.pool import MaxPool2d

__all__ = ["ACTIVATIONS", "digits_cnn", "mlp"]


#: The activations `mlp` puts between its `Linear` layers, by name: the lesson's four,
#: then GELU, SiLU and ELU. LeakyReLU has PyTorch's default slope, 0.01.
ACTIVATIONS: dict[str, Callable[[], Layer]] = {
    "relu": ReLU,
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "leaky_relu": LeakyReLU,
    "gelu": GELU,
    "silu": SiLU,
    "elu": ELU,
}


def mlp(
    in_features: int, hidden: int | Sequence[int], classes: int, *, activation: str = "relu"
) -> Sequential:
    """A perceptron: `Linear` layers with an activation after each hidden one (logits out).

    Args:
        in_features: input width.
        hidden: the hidden width, or one width per hidden layer (`(32, 32, 32)` makes
            three hidden layers).
        classes: output width (class count, or 1 for scalar regression).
        activation: a name in `ACTIVATIONS`: `"relu"`, `"sigmoid"`, `"tanh"`,
            `"leaky_relu"`, `"gelu"`, `"silu"` or `"elu"`.

    Returns:
        `Sequential` mapping `(N, in_features)` to `(N, classes)`. Models that differ
        only in `activation` have the same parameters: a sweep can run them together.

    Raises:
        TypeError: if a width is not an int.
        ValueError: for an unknown activation, no hidden layer, or a width below 1.

    Examples:
        >>> from funcnet.models import mlp
        >>> mlp(64, 128, 10).output_shape((32, 64))
        (32, 10)
        >>> mlp(10, (5,), 8, activation="sigmoid")
        Sequential(
          (0): Linear(in_features=10, out_features=5, bias=True)
          (1): Sigmoid()
          (2): Linear(in_features=5, out_features=8, bias=True)
        )
    """
    one_of(activation, tuple(ACTIVATIONS), "activation", "mlp")
    widths = (hidden,) if isinstance(hidden, int) and not isinstance(hidden, bool) else hidden
    if isinstance(widths, str) or not isinstance(widths, Sequence):
        raise TypeError(f"mlp: hidden must be an int or a sequence of ints, got {hidden!r}.")
    if not widths:
        raise ValueError("mlp: hidden is empty; give at least one hidden width.")
    sizes = [positive_int(in_features, "in_features", "mlp")]
    sizes += [positive_int(width, f"hidden[{i}]", "mlp") for i, width in enumerate(widths)]
    layers: list[Layer] = []
    for fan_in, fan_out in itertools.pairwise(sizes):
        layers += [Linear(fan_in, fan_out), ACTIVATIONS[activation]()]
    return Sequential(*layers, Linear(sizes[-1], positive_int(classes, "classes", "mlp")))


def digits_cnn(classes: int = 10, *, dropout: float = 0.2, batch_norm: bool = False) -> Sequential:
    """A small CNN for 8x8 single-channel images (NCHW), two conv blocks then a head.

    Shapes: `(N, 1, 8, 8)` -> conv 32 -> pool -> `(N, 32, 4, 4)` -> conv 64 -> pool ->
    `(N, 64, 2, 2)` -> flatten `(N, 256)` -> 128 -> `(N, classes)` logits.

    Args:
        classes: the number of classes.
        dropout: the dropout probability before the last layer.
        batch_norm: put `BatchNorm2d` after each convolution and `BatchNorm1d` after
            the hidden `Linear` (the model then has state: running statistics).

    Examples:
        >>> from funcnet.models import digits_cnn
        >>> digits_cnn().output_shape((5, 1, 8, 8))
        (5, 10)
        >>> digits_cnn(batch_norm=True)[1]
        BatchNorm2d(32, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
    """

    def normalised(layer, norm):
        return [layer, norm] if batch_norm else [layer]

    return Sequential(
        *normalised(Conv2d(1, 32, 3, padding=1), BatchNorm2d(32)),
        ReLU(),
        MaxPool2d(2),
        *normalised(Conv2d(32, 64, 3, padding=1), BatchNorm2d(64)),
        ReLU(),
        MaxPool2d(2),
        Flatten(),
        *normalised(Linear(64 * 2 * 2, 128), BatchNorm1d(128)),
        ReLU(),
        Dropout(dropout),
        Linear(128, classes),
    )
