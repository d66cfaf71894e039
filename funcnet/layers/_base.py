"""The layer protocol: an immutable value with `init`, `apply` and `output_shape`.

A layer holds configuration only. Its parameters live outside it, in a pytree that
`init` creates and `apply` reads, so `jax.jit`, `jax.grad` and `jax.vmap` compose with
`apply` directly. Shapes are static in JAX, so every shape check here runs in Python at
init and at trace time and costs nothing inside a compiled function.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from funcnet._validate import as_shape, check_key, describe, is_key
from funcnet.errors import ShapeError

Params = Any  # a pytree of arrays: {} for layers without parameters
State = Any  # a pytree of arrays carried between calls: {} for layers without state
Shape = tuple[int, ...]

__all__ = ["Layer", "ParamSpec", "Params", "Shape", "State", "check_params"]


class ParamSpec(NamedTuple):
    """The shape a layer declares for one of its parameters.

    Attributes:
        shape: the sizes, with None for a size the layer infers from its input.
        axes: a name per axis, in PyTorch's words, such as
            `("out_features", "in_features")`.
    """

    shape: tuple[int | None, ...]
    axes: tuple[str, ...]


def _leaf_shape(leaf: object) -> Shape:
    return tuple(leaf.shape) if hasattr(leaf, "shape") else np.shape(leaf)


def _fits(shape: Shape, spec: ParamSpec) -> bool:
    return len(shape) == len(spec.shape) and all(
        want is None or want == got for want, got in zip(spec.shape, shape, strict=True)
    )


def _params_kind(params: object) -> str:
    if isinstance(params, tuple | list):
        return (
            f"a {type(params).__name__} of {len(params)} entries (the params of a whole "
            "Sequential?)"
        )
    return describe(params)


def check_params(
    layer: Layer, params: Params, specs: Mapping[str, ParamSpec], *, what: str = "params"
) -> None:
    """Check `params` against the shapes `layer` declares, before any data flows.

    Shapes are static, so this runs in Python at trace time and costs nothing under
    `jit`. Params that come from another model (a `Linear(10, 6)` where the layer is a
    `Linear(10, 5)`) fail here, at the layer they belong to, instead of later in a
    layer whose input they have distorted. The same check runs on a stateful layer's
    state (`what="state"`).

    Args:
        layer: the layer that is about to use `params`.
        params: a dict from parameter name to array.
        specs: the declared shape of every parameter `layer` uses.
        what: `"params"` or `"state"`, the word the messages use.

    Raises:
        ValueError: if `params` is not a dict with exactly the names in `specs`.
        ShapeError: if an array's shape differs from its declared shape; the message
            names the layer and both shapes.
    """
    make = _MAKE[what]
    if not isinstance(params, dict):
        name = next(iter(specs))
        raise ValueError(
            f"{layer!r} needs {what} with a {name!r} entry, got {_params_kind(params)}; "
            f"create them with {make}."
        )
    for name in specs:
        if name not in params:
            raise ValueError(
                f"{layer!r} needs {what} with a {name!r} entry, got {sorted(params)}; "
                f"create them with {make}."
            )
    unexpected = sorted(str(name) for name in params if name not in specs)
    if unexpected:
        raise ValueError(
            f"{layer!r} uses {what} {sorted(specs)} but was given unexpected entries "
            f"{unexpected} as well, which it would ignore; the {what} were made for a "
            f"different layer: create them with {make}."
        )
    for name, spec in specs.items():
        shape = _leaf_shape(params[name])
        if not _fits(shape, spec):
            raise _param_mismatch(layer, params, name, spec, shape, what)


_MAKE = {"params": "layer.init(key, input_shape)", "state": "layer.initial_state(input_shape)"}


def _param_mismatch(
    layer: Layer, params: Params, name: str, spec: ParamSpec, shape: Shape, what: str
) -> ShapeError:
    sizes = ", ".join(
        axis if want is None else str(want)
        for want, axis in zip(spec.shape, spec.axes, strict=True)
    )
    sizes = f"({sizes},)" if len(spec.shape) == 1 else f"({sizes})"
    hint = (
        f"the {what} were made for a different model: create them with "
        f"{_MAKE[what].replace('layer.', 'model.')} for this one, or load a state dict "
        "that fits it"
    )
    fitting = layer._fitted_to({key: _leaf_shape(value) for key, value in params.items()})
    if what == "params" and fitting is not None and fitting != layer:
        hint += f"; or build {fitting!r} to use these params"
    return ShapeError(
        f"{type(layer).__name__}: expected {name} of shape {sizes}, got {shape}",
        layer=repr(layer),
        detail=(
            f"needs {what}[{name!r}] of shape {sizes}, that is ({', '.join(spec.axes)}), "
            f"but receives {shape}"
        ),
        hint=hint + ".",
        about_params=True,
    )


def _with_arguments(names: tuple[str, str], usage: Callable[[Layer, int], str]):
    """Let a method of two required arguments say how to call it when given fewer."""

    def decorate(method):
        @functools.wraps(method)
        def checked(self, *args, **kwargs):
            given = len(args) + sum(name in kwargs for name in names[len(args) :])
            if given < len(names):
                raise TypeError(usage(self, given))
            return method(self, *args, **kwargs)

        return checked

    return decorate


def _arguments(given: int) -> str:
    return f"{given} argument" if given == 1 else f"{given} arguments"


def _call_usage(method: str) -> Callable[[Layer, int], str]:
    habit = "model(x) as in PyTorch" if not method else f"model{method}(x)"

    def usage(layer: Layer, given: int) -> str:
        return (
            f"{type(layer).__name__}{method} got {_arguments(given)} but needs 2: funcnet "
            f"layers are called as model{method}(params, x), not {habit}. The params "
            "come from model.init(key, input_shape), for example "
            "params = model.init(jax.random.key(0), x.shape); a funcnet layer holds no "
            "parameters (unlike a torch.nn.Module), so every call passes them in."
        )

    return usage


def _stateful_usage(layer: Layer) -> str:
    return (
        f"{type(layer).__name__} carries state (the running statistics of batch norm) "
        "beside its params, so it runs with y, state = model.apply_with_state(params, "
        "state, x, training=True) in training, which also returns the updated state, or "
        "training=False for evaluation with the running statistics. The first state "
        "comes from state = model.initial_state(x.shape). fit, evaluate and predict do "
        "this for you."
    )


def _init_usage(layer: Layer, given: int) -> str:
    return (
        f"{type(layer).__name__}.init got {_arguments(given)} but needs 2, a PRNG key and "
        "the input shape: params = model.init(jax.random.key(0), (4, 10)), or "
        "model.init(key, x.shape)."
    )


class Layer:
    """Base class of all layers: configuration plus pure methods.

    Subclasses are frozen dataclasses and implement `_output_shape`, `_apply` and,
    if they have parameters, `_init` and `_param_specs`; a layer with state (batch
    norm's running statistics) also implements `_initial_state`, `_state_specs` and
    `_apply_with_state`. The public methods validate their arguments and call those.

    State is explicit: `initial_state(input_shape)` makes it, and
    `apply_with_state(params, state, x, training=...)` returns `(y, new_state)`,
    never mutating anything. A model without state is run with `apply(params, x)`,
    as in the lesson; a model with state refuses `apply` and says how to call it.

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> import funcnet
        >>> layer = funcnet.Linear(10, 5)
        >>> params = layer.init(jax.random.key(0), (4, 10))
        >>> layer.apply(params, jnp.ones((4, 10))).shape
        (4, 5)
        >>> layer.output_shape((4, 10))
        (4, 5)
    """

    #: True for layers that draw random numbers in training (dropout), so a train
    #: step splits a PRNG key only for models that need one.
    stochastic: bool = False
    #: True for layers that carry state between calls (batch norm's running
    #: statistics); such a model runs with `apply_with_state`.
    stateful: bool = False

    @_with_arguments(("key", "input_shape"), _init_usage)
    def init(self, key: jax.Array, input_shape: Sequence[int]) -> Params:
        """Create this layer's parameters for inputs of shape `input_shape`.

        Args:
            key: a PRNG key; the same key gives the same parameters.
            input_shape: `(*batch, ...)` the shape of the input `apply` will see.

        Returns:
            A pytree of arrays (`{}` for a layer without parameters).

        Raises:
            ShapeError: if `input_shape` does not fit this layer.
            TypeError: if `key` is not a PRNG key or `input_shape` not a tuple of ints,
                or if either is missing.
        """
        if is_key(input_shape) and not is_key(key):
            raise TypeError(
                f"{self!r}.init: the arguments look swapped: init takes the PRNG key "
                "first, then the input shape: model.init(jax.random.key(0), (4, 10))."
            )
        shape = as_shape(input_shape, f"{self!r}.init")
        self.output_shape(shape)
        return self._init(check_key(key, f"{self!r}.init"), shape)

    @_with_arguments(("params", "x"), _call_usage(".apply"))
    def apply(
        self,
        params: Params,
        x: ArrayLike,
        *,
        key: jax.Array | None = None,
        training: bool = False,
    ) -> jax.Array:
        """Run the layer: a pure function of `params`, `x` and (for dropout) `key`.

        Args:
            params: the pytree `init` returned (or one of the same structure).
            x: `(*batch, ...)` input of a shape this layer accepts.
            key: a PRNG key, needed only by stochastic layers in training.
            training: True in training (dropout active), False for evaluation.

        Returns:
            The output, of shape `self.output_shape(x.shape)`.

        Raises:
            ShapeError: if `x` does not fit this layer, or an array in `params` differs
                from the shape this layer declares for it (params made for another
                model), naming the layer and both shapes.
            ValueError: if `params` lacks an entry this layer uses, or has extra ones.
            TypeError: if `params` or `x` is missing: a PyTorch habit is `model(x)`,
                where funcnet needs `model(params, x)`.
        """
        if self.stateful:
            raise TypeError(_stateful_usage(self))
        x = self._checked(params, x)
        return self._apply(params, x, key=key, training=training)

    def apply_with_state(
        self,
        params: Params,
        state: State,
        x: ArrayLike,
        *,
        key: jax.Array | None = None,
        training: bool = False,
    ) -> tuple[jax.Array, State]:
        """Run the layer and return its output and its new state.

        In training (`training=True`) a batch norm layer normalises with the batch's
        statistics and returns running statistics updated from them; in evaluation it
        normalises with the running statistics and returns `state` unchanged. A layer
        without state returns `state` as it came. Nothing is mutated.

        Args:
            params: the pytree `init` returned.
            state: the pytree `initial_state` returned, or one returned by an
                earlier call.
            x: `(*batch, ...)` input of a shape this layer accepts.
            key: a PRNG key, needed only by stochastic layers in training.
            training: True in training, False for evaluation.

        Returns:
            `(y, new_state)`: the output, of shape `self.output_shape(x.shape)`, and a
            state of the same structure as `state`.

        Raises:
            ShapeError: as `apply`, and for a state array of the wrong shape.
            ValueError: if `params` or `state` lacks an entry or has extra ones.

        Examples:
            >>> import jax, jax.numpy as jnp
            >>> import funcnet
            >>> model = funcnet.Sequential(funcnet.Linear(3, 4), funcnet.BatchNorm1d(4))
            >>> params = model.init(jax.random.key(0), (8, 3))
            >>> state = model.initial_state((8, 3))
            >>> x = jax.random.normal(jax.random.key(1), (8, 3))
            >>> y, state = model.apply_with_state(params, state, x, training=True)
            >>> y.shape, int(state[1]["num_batches_tracked"])
            ((8, 4), 1)
        """
        x = self._checked(params, x)
        specs = self._state_specs()
        if specs:
            check_params(self, state, specs, what="state")
        return self._apply_with_state(params, state, x, key=key, training=training)

    def initial_state(self, input_shape: Sequence[int]) -> State:
        """The state this layer starts from, for inputs of shape `input_shape`.

        Needs no key: batch norm starts from running mean 0, running variance 1 and
        a count of 0 batches, as PyTorch does.

        Args:
            input_shape: `(*batch, ...)` the shape of the input.

        Returns:
            A pytree of arrays, shaped like the params: a dict per layer (`{}` for a
            layer without state), a tuple per `Sequential`.

        Examples:
            >>> import funcnet
            >>> funcnet.Linear(3, 4).initial_state((8, 3))
            {}
        """
        shape = as_shape(input_shape, f"{self!r}.initial_state")
        self.output_shape(shape)
        return self._initial_state(shape)

    def sublayers(self, input_shape: Sequence[int]) -> tuple[tuple[str, Layer, Shape], ...]:
        """The layers a combinator is built from, for inputs of shape `input_shape`.

        Returns:
            `(name, layer, layer_input_shape)` per layer, `name` being the key of
            its entry in the params (`"0"`, `"1"`, ... for `Sequential`); `()` for a
            layer that is not built from others.

        Examples:
            >>> import funcnet
            >>> model = funcnet.Sequential(funcnet.Linear(3, 4), funcnet.ReLU())
            >>> [(name, shape) for name, _, shape in model.sublayers((8, 3))]
            [('0', (8, 3)), ('1', (8, 4))]
        """
        return self._sublayers(as_shape(input_shape, f"{self!r}.sublayers"))

    def _checked(self, params: Params, x: ArrayLike) -> jax.Array:
        x = jnp.asarray(x)
        self.output_shape(x.shape)
        specs = self._param_specs()
        if specs:
            check_params(self, params, specs)
        return x

    @_with_arguments(("params", "x"), _call_usage(""))
    def __call__(
        self,
        params: Params,
        x: ArrayLike,
        *,
        key: jax.Array | None = None,
        training: bool = False,
    ) -> jax.Array:
        """Same as `apply`: `layer(params, x)`."""
        return self.apply(params, x, key=key, training=training)

    def output_shape(self, input_shape: Sequence[int]) -> Shape:
        """The output shape for `input_shape`, computed without touching any data.

        Raises:
            ShapeError: if `input_shape` does not fit this layer.
        """
        return self._output_shape(as_shape(input_shape, f"{self!r}.output_shape"))

    # Subclasses override these, the parameter pair below if they have parameters,
    # and the state trio if they carry state.
    def _init(self, key: jax.Array, input_shape: Shape) -> Params:
        return {}

    def _initial_state(self, input_shape: Shape) -> State:
        return {}

    def _state_specs(self) -> dict[str, ParamSpec]:
        """The declared shape of each state entry, checked by `apply_with_state`."""
        return {}

    def _apply_with_state(
        self, params: Params, state: State, x: jax.Array, *, key, training
    ) -> tuple[jax.Array, State]:
        return self._apply(params, x, key=key, training=training), state

    def _sublayers(self, input_shape: Shape) -> tuple[tuple[str, Layer, Shape], ...]:
        return ()

    def _param_specs(self) -> dict[str, ParamSpec]:
        """The declared shape of each parameter, checked by `apply`."""
        return {}

    def _fitted_to(self, shapes: dict[str, Shape]) -> Layer | None:
        """A layer like this one whose parameters would have `shapes`, if one exists."""
        return None

    def _output_shape(self, input_shape: Shape) -> Shape:
        return input_shape

    def _apply(self, params: Params, x: jax.Array, *, key, training) -> jax.Array:
        raise NotImplementedError
