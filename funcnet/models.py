"""Ready-made models for the bundled datasets (used by `funcnet train` and the docs)."""

from __future__ import annotations

from funcnet.layers import Flatten, Linear, ReLU, Sequential, Tanh
from funcnet.layers.conv import Conv2d
from funcnet.layers.dropout import Dropout
from funcnet.layers.norm import BatchNorm1d, BatchNorm2d
from funcnet.layers.pool import MaxPool2d

__all__ = ["digits_cnn", "mlp"]


def mlp(in_features: int, hidden: int, classes: int, *, activation: str = "relu") -> Sequential:
    """A one-hidden-layer perceptron: Linear, activation, Linear (logits out).

    Args:
        in_features: input width.
        hidden: hidden width.
        classes: output width (class count, or 1 for scalar regression).
        activation: `"relu"` or `"tanh"`.

    Returns:
        `Sequential` mapping `(N, in_features)` to `(N, classes)`.

    Examples:
        >>> from funcnet.models import mlp
        >>> mlp(64, 128, 10).output_shape((32, 64))
        (32, 10)
    """
    layers = {"relu": ReLU, "tanh": Tanh}
    if activation not in layers:
        raise ValueError(f"mlp: activation must be 'relu' or 'tanh', got {activation!r}.")
    return Sequential(Linear(in_features, hidden), layers[activation](), Linear(hidden, classes))


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
