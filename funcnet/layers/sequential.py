"""`Sequential`: layers applied one after another, itself a layer."""

from __future__ import annotations

import inspect
from dataclasses import dataclass

import jax

from funcnet.errors import ShapeError
from funcnet.layers._base import Layer, Params, Shape, State

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


def _check_entries(model: Sequential, tree: object, what: str, make: str) -> None:
    if not isinstance(tree, tuple | list) or len(tree) != len(model.layers):
        raise ValueError(
            f"Sequential of {len(model.layers)} layers needs {what} with one entry per "
            f"layer, got {_describe_params(tree)}; create them with {make}."
        )


def _describe_params(params: object) -> str:
    if isinstance(params, tuple | list):
        count = len(params)
        return f"a {type(params).__name__} of {count} {'entry' if count == 1 else 'entries'}"
    if isinstance(params, dict):
        return f"a dict with keys {sorted(map(str, params))} (the params of a single layer?)"
    return f"{params!r}" if params is None else f"a {type(params).__name__}"


@dataclass(frozen=True, init=False, repr=False)
class Sequential(Layer):
    """Apply layers in order; the output of layer `i` is the input of layer `i + 1`.

    Its params are a tuple with one entry per layer (`{}` for layers without
    parameters), so `named_parameters` gives PyTorch's names: `0.weight`, `0.bias`,
    `2.weight`, ... `init` checks the whole chain of shapes before any data flows.
    Its state (`initial_state`) is a tuple of the same form, and `apply_with_state`
    threads each layer's state through. Each layer runs inside
    `jax.named_scope(f"{index}:{LayerClass}")`, so a traced graph can tell which
    layer an operation comes from.

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

    layers: tuple[Layer, ...]

    def __init__(self, *layers: Layer) -> None:
        if len(layers) == 1 and isinstance(layers[0], list | tuple):
            layers = tuple(layers[0])
        checked = tuple(_check_layer(i, layer) for i, layer in enumerate(layers))
        object.__setattr__(self, "layers", checked)

    @property
    def stochastic(self) -> bool:
        """True if any layer draws random numbers in training."""
        return any(layer.stochastic for layer in self.layers)

    @property
    def stateful(self) -> bool:
        """True if any layer carries state (batch norm's running statistics)."""
        return any(layer.stateful for layer in self.layers)

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

    def _sublayers(self, input_shape: Shape) -> tuple[tuple[str, Layer, Shape], ...]:
        rows, shape = [], input_shape
        for index, layer in enumerate(self.layers):
            rows.append((str(index), layer, shape))
            shape = layer.output_shape(shape)
        return tuple(rows)

    def _init(self, key: jax.Array, input_shape: Shape) -> Params:
        keys = jax.random.split(key, max(len(self.layers), 1))
        return tuple(
            layer.init(keys[index], shape)
            for index, (_, layer, shape) in enumerate(self._sublayers(input_shape))
        )

    def _initial_state(self, input_shape: Shape) -> State:
        rows = self._sublayers(input_shape)
        return tuple(layer.initial_state(shape) for _, layer, shape in rows)

    def _apply(self, params: Params, x: jax.Array, *, key, training) -> jax.Array:
        return self._run(params, None, x, key, training)[0]

    def _apply_with_state(
        self, params: Params, state: State, x: jax.Array, *, key, training
    ) -> tuple[jax.Array, State]:
        _check_entries(self, state, "state", "model.initial_state(input_shape)")
        return self._run(params, state, x, key, training)

    def _run(self, params, state, x, key, training):
        """Apply the layers in order; with `state`, thread each layer's entry through."""
        _check_entries(self, params, "params", "model.init(key, input_shape)")
        keys = [None] * len(self.layers)
        if key is not None and self.stochastic:
            keys = list(jax.random.split(key, len(self.layers)))
        states = []
        for index, layer in enumerate(self.layers):
            try:
                with jax.named_scope(f"{index}:{type(layer).__name__}"):
                    if state is None:
                        x = layer.apply(params[index], x, key=keys[index], training=training)
                    else:
                        x, new = layer.apply_with_state(
                            params[index], state[index], x, key=keys[index], training=training
                        )
                        states.append(new)
            except ShapeError as error:
                raise self._located(error, index) from None
        return x, (None if state is None else tuple(states))
