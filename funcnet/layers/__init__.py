"""Layers: immutable values with `init`, `apply` and `output_shape`."""

from funcnet.layers._base import Layer, Params, Shape
from funcnet.layers.activation import (
    ELU,
    GELU,
    Flatten,
    Identity,
    LeakyReLU,
    LogSoftmax,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from funcnet.layers.linear import Linear
from funcnet.layers.sequential import Sequential

__all__ = [
    "ELU",
    "GELU",
    "Flatten",
    "Identity",
    "Layer",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "Params",
    "ReLU",
    "Sequential",
    "Shape",
    "SiLU",
    "Sigmoid",
    "Softmax",
    "Softplus",
    "Tanh",
]
