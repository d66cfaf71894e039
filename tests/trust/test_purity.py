"""Purity: no operator mutates its inputs or module-level state, and a second call with
the same inputs gives a bit-identical result.

Inputs are passed as writable numpy arrays (JAX arrays cannot be mutated, numpy arrays
can), and layer parameters (and batch norm's running statistics) as plain dicts and
tuples of them. Module-level state is every global of every funcnet module, the
attributes of funcnet's classes, JAX's configuration, and the global generators of
numpy and `random`.
"""

from __future__ import annotations

import copy
import pickle
import random
import sys

import jax
import numpy as np
import optax
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from registry import OPERATORS

import funcnet

EXAMPLES = max(1, settings.default.max_examples // 10)


def _fingerprint(value) -> tuple:
    if isinstance(value, np.ndarray):
        return ("array", id(value), value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, dict | list | set | frozenset | tuple | bytearray):
        return (type(value).__name__, id(value), repr(value))
    if isinstance(value, type) and value.__module__.startswith("funcnet"):
        attributes = {k: id(v) for k, v in vars(value).items() if not k.startswith("__")}
        return ("class", id(value), tuple(sorted(attributes.items())))
    return ("object", id(value))


def module_state() -> dict:
    """Everything an operator could change behind its caller's back."""
    state = {}
    for name, module in sorted(sys.modules.items()):
        if name == "funcnet" or name.startswith("funcnet."):
            for attribute, value in vars(module).items():
                if not attribute.startswith("__"):
                    state[f"{name}.{attribute}"] = _fingerprint(value)
    state["jax.config"] = repr(sorted(jax.config.values.items(), key=lambda item: item[0]))
    state["numpy.random"] = pickle.dumps(np.random.get_state())
    state["random"] = pickle.dumps(random.getstate())
    return state


def _leaves(tree) -> list:
    return jax.tree_util.tree_leaves(tree)


def _same_bytes(first, second) -> bool:
    pairs = zip(_leaves(first), _leaves(second), strict=True)
    return all(np.asarray(a).tobytes() == np.asarray(b).tobytes() for a, b in pairs)


def _assert_unchanged(before, after, what: str) -> None:
    assert jax.tree_util.tree_structure(before) == jax.tree_util.tree_structure(after), what
    for old, new in zip(_leaves(before), _leaves(after), strict=True):
        if isinstance(old, np.ndarray):
            assert old.dtype == new.dtype and old.shape == new.shape, what
            assert old.tobytes() == new.tobytes(), f"{what} was modified"
        else:
            assert old == new or old is new, what


@pytest.mark.parametrize("name", sorted(OPERATORS))
@settings(max_examples=EXAMPLES)
@given(data=st.data())
def test_operators_do_not_mutate_inputs_or_module_state(name, data):
    op = OPERATORS[name]
    case = data.draw(op.cases("float64"), label="case")
    original = copy.deepcopy(case)
    function = op.funcnet(case)
    first = function(*case.arrays)  # numpy in: any in-place write would show
    state = module_state()
    second = function(*case.arrays)
    assert module_state() == state
    assert _same_bytes(first, second), "a second call gave a different result"
    for field in ("arrays", "data", "kwargs", "config"):
        _assert_unchanged(getattr(original, field), getattr(case, field), f"{name}: {field}")


# Every registered layer, built with parameters: init, then apply twice on numpy inputs.
LAYERS = {
    "Linear": (funcnet.Linear(4, 3), (2, 4)),
    "Conv2d": (funcnet.Conv2d(2, 4, 3, padding=1, groups=2), (2, 2, 5, 5)),
    "MaxPool2d": (funcnet.MaxPool2d(2, dilation=2, ceil_mode=True), (1, 2, 5, 5)),
    "AvgPool2d": (funcnet.AvgPool2d(3, 2, padding=1), (1, 2, 5, 5)),
    "MaxUnpool2d": (funcnet.MaxUnpool2d(2), (1, 2, 3, 3)),
    "Dropout": (funcnet.Dropout(0.5), (3, 4)),
    "Flatten": (funcnet.Flatten(), (2, 3, 4)),
    "Identity": (funcnet.Identity(), (3,)),
    "Sequential": (
        funcnet.Sequential(
            funcnet.Linear(4, 3), funcnet.Dropout(0.5), funcnet.ReLU(), funcnet.Linear(3, 2)
        ),
        (2, 4),
    ),
    "ELU": (funcnet.ELU(0.5), (3, 4)),
    "GELU": (funcnet.GELU("tanh"), (3, 4)),
    "LeakyReLU": (funcnet.LeakyReLU(0.2), (3, 4)),
    "LogSoftmax": (funcnet.LogSoftmax(0), (3, 4)),
    "ReLU": (funcnet.ReLU(), (3, 4)),
    "SiLU": (funcnet.SiLU(), (3, 4)),
    "Sigmoid": (funcnet.Sigmoid(), (3, 4)),
    "Softmax": (funcnet.Softmax(), (3, 4)),
    "Softplus": (funcnet.Softplus(2.0, 5.0), (3, 4)),
    "Tanh": (funcnet.Tanh(), (3, 4)),
    "BatchNorm1d": (funcnet.BatchNorm1d(4, momentum=None), (3, 4, 2)),
    "BatchNorm2d": (funcnet.BatchNorm2d(2), (2, 2, 3, 3)),
    "LayerNorm": (funcnet.LayerNorm((2, 3)), (4, 2, 3)),
    "Embedding": (funcnet.Embedding(5, 3, padding_idx=0), (2, 4)),
}


def _input(layer, shape) -> np.ndarray:
    """A writable numpy input: indices for an embedding, a pair for unpooling, else floats."""
    rng = np.random.default_rng(0)
    if isinstance(layer, funcnet.Embedding):
        return rng.integers(0, layer.num_embeddings, size=shape)
    if isinstance(layer, funcnet.MaxUnpool2d):  # max pooling's (values, indices) pair
        pooled = funcnet.MaxPool2d(2, return_indices=True)({}, rng.normal(size=(1, 2, 6, 6)))
        return tuple(np.array(part) for part in pooled)
    return rng.normal(size=shape)


def _run(layer, params, state, x):
    """apply, or apply_with_state for a layer with running statistics."""
    options = {"key": jax.random.key(1), "training": True}
    if layer.stateful:
        return layer.apply_with_state(params, state, x, **options)
    return layer.apply(params, x, **options)


def test_every_registered_layer_is_checked_here():
    layers = {name for name, op in OPERATORS.items() if op.kind == "layer"}
    assert layers == set(LAYERS)


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layers_do_not_mutate_params_inputs_or_themselves(name):
    layer, shape = LAYERS[name]
    params = jax.tree_util.tree_map(np.array, layer.init(jax.random.key(0), shape))
    layer_state = jax.tree_util.tree_map(np.array, layer.initial_state(shape))
    x = _input(layer, shape)
    params_copy, layer_state_copy, x_copy = copy.deepcopy((params, layer_state, x))
    identity = (repr(layer), hash(layer))
    first = _run(layer, params, layer_state, x)
    state = module_state()
    second = _run(layer, params, layer_state, x)
    assert module_state() == state
    assert _same_bytes(first, second)
    _assert_unchanged(params_copy, params, f"{name}: params")
    _assert_unchanged(layer_state_copy, layer_state, f"{name}: state")
    _assert_unchanged(x_copy, x, f"{name}: input")
    assert (repr(layer), hash(layer)) == identity


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layers_are_values_that_copy_and_pickle(name):
    layer, _ = LAYERS[name]
    for twin in (copy.copy(layer), copy.deepcopy(layer), pickle.loads(pickle.dumps(layer))):
        assert twin == layer and hash(twin) == hash(layer) and repr(twin) == repr(layer)


def test_fit_does_not_mutate_its_arguments():
    model = funcnet.Sequential(funcnet.Linear(3, 4), funcnet.ReLU(), funcnet.Linear(4, 2))
    params = jax.tree_util.tree_map(np.array, model.init(jax.random.key(0), (1, 3)))
    rng = np.random.default_rng(1)
    data = (rng.normal(size=(10, 3)).astype(np.float32), rng.integers(0, 2, size=10))
    before = copy.deepcopy((params, data))
    options = {
        "loss_fn": funcnet.cross_entropy,
        "optimizer": optax.sgd(0.1),
        "epochs": 2,
        "batch_size": 4,
        "progress": False,
    }
    first, _ = funcnet.fit(model, params, data, key=jax.random.key(2), **options)
    second, _ = funcnet.fit(model, params, data, key=jax.random.key(2), **options)
    _assert_unchanged(before, (params, data), "fit's arguments")
    assert _same_bytes(first.params, second.params)
