"""`Sequential`: layers applied one after another, itself a layer."""

from __future__ import annotations

import inspect

import jax

from funcnet.errors import ShapeError
from funcnet.layers._base import Layer, Params, Shape

__all__ = ["Sequential"]


def _check_layer(index: int, layer: object) -> Layer:
    if isinstance(layer, Layer):
        return layer
    if inspect.isclass(layer) and issubclass(layer, Layer):
        raise TypeError(
            f"Sequential: argument {index} is the class {layer.__name__}, not a layer; "
            f"call it: {layer.__name__}()."
        )
    if callable(layer):
        name = getattr(layer, "__name__", repr(layer))
        raise TypeError(
            f"Sequential: argument {index} is the function {name}, not a layer; use a "
            "layer such as funcnet.ReLU() (functions are snake_case, layers CamelCase)."
        )
    raise TypeError(
        f"Sequential: argument {index} must be a layer, got {layer!r} "
        f"of type {type(layer).__name__}."
    )


def _describe_params(params: object) -> str:
    if isinstance(params, tuple | list):
        count = len(params)
        return f"a {type(params).__name__} of {count} {'entry' if count == 1 else 'entries'}"
    if isinstance(params, dict):
        return f"a dict with keys {sorted(map(str, params))} (the params of a single layer?)"
    return f"{params!r}" if params is None else f"a {type(params).__name__}"


class Sequential(Layer):
    """Apply layers in order; the output of layer `i` is the input of layer `i + 1`.

    Its params are a tuple with one entry per layer (`{}` for layers without
    parameters), so `named_parameters` gives PyTorch's names: `0.weight`, `0.bias`,
    `2.weight`, ... `init` checks the whole chain of shapes before any data flows.

    Args:
        *layers: the layers, in order.

    Raises:
        TypeError: if an argument is not a layer (a class not yet called, a function).

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> import funcnet
        >>> model = funcnet.Sequential(
        ...     funcnet.Linear(10, 5), funcnet.Sigmoid(), funcnet.Linear(5, 8), funcnet.Softmax()
        ... )
        >>> params = model.init(jax.random.key(0), (4, 10))
        >>> model(params, jnp.ones((4, 10))).shape
        (4, 8)
        >>> [name for name, _ in funcnet.named_parameters(params)]
        ['0.bias', '0.weight', '2.bias', '2.weight']
    """

    __slots__ = ("layers",)

    def __init__(self, *layers: Layer) -> None:
        if len(layers) == 1 and isinstance(layers[0], list | tuple):
            layers = tuple(layers[0])
        checked = tuple(_check_layer(i, layer) for i, layer in enumerate(layers))
        object.__setattr__(self, "layers", checked)

    def __setattr__(self, name, value):
        raise AttributeError("Sequential is immutable; build a new one instead.")

    def __reduce__(self):
        # Immutable with __slots__: copy, deepcopy and pickle rebuild it from its layers.
        return (Sequential, self.layers)

    def __eq__(self, other: object) -> bool:
        return type(other) is Sequential and other.layers == self.layers

    def __hash__(self) -> int:
        return hash(("Sequential", self.layers))

    @property
    def stochastic(self) -> bool:
        """True if any layer draws random numbers in training."""
        return any(layer.stochastic for layer in self.layers)

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)

    def __getitem__(self, index: int | slice) -> Layer:
        if isinstance(index, slice):
            return Sequential(*self.layers[index])
        return self.layers[index]

    def __repr__(self) -> str:
        if not self.layers:
            return "Sequential()"
        lines = []
        for i, layer in enumerate(self.layers):
            body = repr(layer).replace("\n", "\n  ")
            lines.append(f"  ({i}): {body}")
        return "Sequential(\n" + "\n".join(lines) + "\n)"

    def _located(self, error: ShapeError, index: int) -> ShapeError:
        previous = repr(self.layers[index - 1]) if index > 0 else None
        return error.located(index, previous)

    def _output_shape(self, input_shape: Shape) -> Shape:
        shape = input_shape
        for index, layer in enumerate(self.layers):
            try:
                shape = layer.output_shape(shape)
            except ShapeError as error:
                raise self._located(error, index) from None
        return shape

    def _init(self, key: jax.Array, input_shape: Shape) -> Params:
        keys = jax.random.split(key, max(len(self.layers), 1))
        params = []
        shape = input_shape
        for index, layer in enumerate(self.layers):
            params.append(layer.init(keys[index], shape))
            shape = layer.output_shape(shape)
        return tuple(params)

    def _apply(self, params: Params, x: jax.Array, *, key, training) -> jax.Array:
        if not isinstance(params, tuple | list) or len(params) != len(self.layers):
            raise ValueError(
                f"Sequential of {len(self.layers)} layers needs params with one entry per "
                f"layer, got {_describe_params(params)}; create them with "
                "model.init(key, input_shape)."
            )
        keys = [None] * len(self.layers)
        if key is not None and self.stochastic:
            keys = list(jax.random.split(key, len(self.layers)))
        for index, (layer, layer_params) in enumerate(zip(self.layers, params, strict=True)):
            try:
                x = layer.apply(layer_params, x, key=keys[index], training=training)
            except ShapeError as error:
                raise self._located(error, index) from None
        return x
