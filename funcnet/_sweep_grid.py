"""A sweep's axes, checked, and each run's first state.

The models, seeds, optimizer and hyperparameter values `sweep` is given are checked
here, in Python, before anything compiles; each error names the argument at fault
and what was expected. `initial_states` then makes every run's first `TrainState` as
`fit` makes it, and stacks them along the run axis.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from funcnet._names import dotted_names
from funcnet._validate import integer, positive_int, real
from funcnet.layers import Layer
from funcnet.train import TrainState

OWNER = "sweep"


def check_models(models: Any) -> tuple[tuple[Layer, ...], tuple[str, ...]]:
    """`(models, names)` from a layer, a sequence of layers or a mapping name -> layer.

    Raises:
        TypeError: if something given is not a funcnet layer.
        ValueError: if no model is given.
    """
    if isinstance(models, Layer):
        models = [models]
    if isinstance(models, Mapping):
        names, layers = tuple(str(name) for name in models), tuple(models.values())
    elif isinstance(models, Sequence) and not isinstance(models, str):
        layers = tuple(models)
        names = tuple(f"model {index}" for index in range(len(layers)))
    else:
        raise TypeError(
            f"{OWNER}: models must be a layer, a list of layers or a dict name -> layer, "
            f"got {type(models).__name__}."
        )
    if not layers:
        raise ValueError(f"{OWNER}: models is empty; give at least one layer.")
    for index, layer in enumerate(layers):
        if not isinstance(layer, Layer):
            raise TypeError(
                f"{OWNER}: models[{index}] must be a funcnet layer (such as a Sequential), "
                f"got {type(layer).__name__}."
            )
    return layers, names


def _shapes(tree: Any) -> dict[str, str]:
    """Dotted name -> `"(5, 10) float32"` for every leaf."""
    return {name: f"{tuple(leaf.shape)} {leaf.dtype}" for name, leaf in dotted_names(tree)}


def _difference(first: dict[str, str], other: dict[str, str]) -> str:
    for name in sorted(first.keys() | other.keys()):
        if first.get(name) != other.get(name):
            return f"{name} is {other.get(name, 'missing')}, not {first.get(name, 'absent')}"
    return ""


@functools.lru_cache(maxsize=64)
def _shapes_of(model: Layer, shape: tuple[int, ...]) -> tuple[dict[str, str], dict[str, str]]:
    """The names, shapes and dtypes of a model's parameters and of its state."""
    params = jax.eval_shape(lambda key: model.init(key, shape), jax.random.key(0))
    return _shapes(params), _shapes(model.initial_state(shape))


def check_same_structure(models: Sequence[Layer], shape: tuple[int, ...]) -> None:
    """Every model's params and state must be shaped like the first model's.

    Runs of different models share one stacked `TrainState`, so their parameters (and
    batch norm's running statistics) must have the same names, shapes and dtypes.

    Raises:
        ValueError: naming the first model that differs, and the first entry.
    """
    first = None
    for index, model in enumerate(models):
        shapes = _shapes_of(model, tuple(shape))
        if first is None:
            first = shapes
            continue
        for what, mine, theirs in zip(("parameters", "state"), first, shapes, strict=True):
            if mine != theirs:
                raise ValueError(
                    f"{OWNER}: models[{index}] has {what} shaped differently from "
                    f"models[0]: {_difference(mine, theirs)}. The runs of a sweep share one "
                    "stacked TrainState, so every model needs the same parameter structure "
                    "(e.g. the same Linear layers with different activations); sweep "
                    "different architectures in separate calls."
                )


def check_seeds(seeds: Any) -> tuple[int, ...]:
    """`seeds` as a tuple: an int N means seeds 0 .. N-1; a sequence gives them.

    Raises:
        TypeError: if a seed is not an int.
        ValueError: if N is not positive, the sequence is empty or repeats a seed.
    """
    if not isinstance(seeds, Sequence) or isinstance(seeds, str):
        return tuple(range(positive_int(seeds, "seeds", OWNER)))
    values = tuple(
        integer(seed, f"seeds[{index}]", OWNER, minimum=0) for index, seed in enumerate(seeds)
    )
    if not values:
        raise ValueError(f"{OWNER}: seeds is empty; give a count such as 8 or a list of seeds.")
    if len(set(values)) != len(values):
        repeated = sorted({seed for seed in values if values.count(seed) > 1})
        raise ValueError(f"{OWNER}: seeds repeats {repeated}; each seed makes one run.")
    return values


@dataclasses.dataclass(frozen=True)
class OptimizerSpec:
    """The optimizer of every run: one transformation, or a function of hyperparameters.

    Attributes:
        plain: the optimizer every run shares, when no hyperparameters are swept.
        factory: `factory(**hyperparameters) -> GradientTransformation`, else None.
        names: the swept hyperparameters' names, in grid order.
    """

    plain: optax.GradientTransformation | None
    factory: Callable[..., optax.GradientTransformation] | None
    names: tuple[str, ...]

    def update(self) -> optax.GradientTransformation:
        """The transformation whose `update` every run shares."""
        return self.plain if self.factory is None else _injected(self.factory, self.names)

    def init(self, params: Any, values: Mapping[str, jax.Array]) -> optax.OptState:
        """One run's optimizer state; with a factory, its hyperparameters live in it."""
        if self.factory is None:
            return self.plain.init(params)
        return optax.inject_hyperparams(self.factory)(**values).init(params)


@functools.lru_cache(maxsize=32)
def _injected(factory: Callable, names: tuple[str, ...]) -> optax.GradientTransformation:
    # `inject_hyperparams` keeps numeric hyperparameters in the optimizer state and its
    # update reads them from there, so one transformation serves every run; the values
    # given here are used by `init` only, which each run calls with its own.
    return optax.inject_hyperparams(factory)(**dict.fromkeys(names, 1.0))


def check_optimizer(
    optimizer: Any, hyperparameters: Any
) -> tuple[OptimizerSpec, dict[str, tuple[float, ...]]]:
    """The optimizer spec and the hyperparameter values, checked.

    Raises:
        TypeError: for an optimizer that is neither a `GradientTransformation` nor a
            function of the hyperparameters, or a value that is not a real number.
        ValueError: for an empty list of values, or a name the function does not take.
    """
    values = _check_values(hyperparameters)
    if isinstance(optimizer, optax.GradientTransformation):
        if values:
            raise TypeError(
                f"{OWNER}: hyperparameters {sorted(values)} need optimizer to be a function "
                "of them, such as optimizer=optax.adam with "
                "hyperparameters={'learning_rate': [1e-3, 1e-2]}; got a built "
                "GradientTransformation, whose settings are fixed."
            )
        return OptimizerSpec(optimizer, None, ()), {}
    if not callable(optimizer):
        raise TypeError(
            f"{OWNER}: optimizer must be an optax GradientTransformation (optax.adam(1e-3)) "
            f"or a function of the hyperparameters (optax.adam), got {type(optimizer).__name__}."
        )
    if not values:
        raise TypeError(
            f"{OWNER}: optimizer is a function ({getattr(optimizer, '__name__', optimizer)}) "
            "but no hyperparameters are given; pass hyperparameters={'learning_rate': "
            "[1e-3, 1e-2]}, or a built optimizer such as optax.adam(1e-3)."
        )
    _check_names(optimizer, tuple(values))
    return OptimizerSpec(None, optimizer, tuple(values)), values


def _check_values(hyperparameters: Any) -> dict[str, tuple[float, ...]]:
    if hyperparameters is None:
        return {}
    if not isinstance(hyperparameters, Mapping):
        raise TypeError(
            f"{OWNER}: hyperparameters must be a dict name -> list of values, such as "
            f"{{'learning_rate': [1e-3, 1e-2]}}, got {type(hyperparameters).__name__}."
        )
    values = {}
    for name, given in hyperparameters.items():
        where = f"hyperparameters[{name!r}]"
        if isinstance(given, str) or not isinstance(given, Sequence):
            given = [given]  # one value: the same for every run
        if not given:
            raise ValueError(f"{OWNER}: {where} is empty; give at least one value.")
        values[str(name)] = tuple(real(v, f"{where}[{i}]", OWNER) for i, v in enumerate(given))
    return values


def _check_names(factory: Callable, names: tuple[str, ...]) -> None:
    try:
        parameters = inspect.signature(factory).parameters
    except (TypeError, ValueError):  # a builtin without a signature: let optax decide
        return
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    unknown = [name for name in names if name not in parameters and not takes_any]
    if unknown:
        raise ValueError(
            f"{OWNER}: the optimizer function takes {list(parameters)}, not "
            f"{unknown}; name the hyperparameters as its arguments."
        )


def _first_state(model: Layer, spec: OptimizerSpec, shape: tuple[int, ...]) -> Callable:
    """`first(key, values) -> TrainState`: one run's state before its first step."""

    def first(key: jax.Array, values: dict[str, Any]) -> TrainState:
        init_key, train_key = jax.random.split(key)
        params = model.init(init_key, shape)
        opt_state = spec.init(params, values)
        step = jnp.zeros((), jnp.int32)
        return TrainState(params, opt_state, step, train_key, model.initial_state(shape))

    return first


# Compiled first-state functions by the program they compute: models that differ only
# in layers without parameters (activations) initialise identically, and share one.
_BY_PROGRAM: dict[tuple, Callable] = {}


@functools.lru_cache(maxsize=32)
def _compiled_init(model: Layer, spec: OptimizerSpec, shape: tuple[int, ...]) -> Callable:
    """`firsts(keys, values) -> TrainState`: `first` for each run, stacked, one call.

    `lax.map` runs `first` once per run inside one compiled loop, so the program is
    compiled for one run (as `fit`'s initialisation is), whatever the number of runs.
    It is compiled once per distinct program.
    """
    first = _first_state(model, spec, shape)
    closed = jax.make_jaxpr(first)(jax.random.key(0), dict.fromkeys(spec.names, 0.0))
    consts = tuple((str(c.dtype), c.shape, np.asarray(c).tobytes()) for c in closed.consts)
    program = (str(closed.jaxpr), consts, spec, shape)
    if program not in _BY_PROGRAM:
        if len(_BY_PROGRAM) >= 32:
            _BY_PROGRAM.clear()
        _BY_PROGRAM[program] = jax.jit(
            lambda keys, values: jax.lax.map(lambda pair: first(*pair), (keys, values))
        )
    return _BY_PROGRAM[program]


def state_like(model: Layer, spec: OptimizerSpec, shape, values: Mapping[str, Any]) -> Any:
    """The shapes and dtypes of one run's first `TrainState`, computing nothing."""
    first = _first_state(model, spec, tuple(shape))
    return jax.eval_shape(first, jax.random.key(0), dict(values))


def initial_states(
    models: tuple[Layer, ...], spec: OptimizerSpec, runs: Sequence[Any], shape
) -> TrainState:
    """The stacked first `TrainState` of `runs`, whose models are indices into `models`.

    Each run's state is made as `fit` makes it from the run's keys,
    `init_key, train_key = jax.random.split(jax.random.key(seed))`:
    `init_state(model.init(init_key, shape), optimizer, train_key,
    model.initial_state(shape))`, with the run's own hyperparameters in the optimizer
    state. Runs whose models initialise alike are made by one compiled call.
    """
    groups: dict[Callable, list[int]] = {}
    for position, run in enumerate(runs):
        firsts = _compiled_init(models[run.model], spec, tuple(shape))
        groups.setdefault(firsts, []).append(position)
    parts, order = [], []
    for firsts, positions in groups.items():
        keys = jnp.stack([jax.random.key(runs[p].seed) for p in positions])
        values = {
            name: jnp.asarray([runs[p].hyperparameters[name] for p in positions])
            for name in spec.names
        }
        parts.append(firsts(keys, values))
        order += positions
    if len(parts) == 1:
        return parts[0]
    back = jnp.asarray(np.argsort(order))
    return jax.tree.map(lambda *leaves: jnp.concatenate(leaves)[back], *parts)
