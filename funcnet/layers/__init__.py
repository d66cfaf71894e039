"""Layers: immutable values with `init`, `apply` and `output_shape`."""

from funcnet.layers._base import Layer, Params, Shape, State
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
from funcnet.layers.conv import Conv2d
from funcnet.layers.dropout import Dropout
from funcnet.layers.embedding import Embedding
from funcnet.layers.linear import Linear
from funcnet.layers.norm import BatchNorm1d, BatchNorm2d, LayerNorm
from funcnet.layers.pool import AvgPool2d, MaxPool2d
from funcnet.layers.sequential import Sequential
from funcnet.layers.unpool import MaxUnpool2d

__all__ = [
    "ELU",
    "GELU",
    "AvgPool2d",
    "BatchNorm1d",
    "BatchNorm2d",
    "Conv2d",
    "Dropout",
    "Embedding",
    "Flatten",
    "Identity",
    "Layer",
    "LayerNorm",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "MaxPool2d",
    "MaxUnpool2d",
    "Params",
    "ReLU",
    "Sequential",
    "Shape",
    "SiLU",
    "Sigmoid",
    "Softmax",
    "Softplus",
    "State",
    "Tanh",
]
