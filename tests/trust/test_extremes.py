"""Extreme values: magnitudes 1e-30 .. 1e30 and +-inf, in float32 and float64.

A sweep scales a fixed input pattern (negative, zero, positive, ties) by each magnitude
and requires finite values and finite gradients wherever the mathematical result is
finite and representable in the dtype: an operator whose value grows like |x|^k
(`growth`) must stay finite while 100 |x|^k is below the dtype's largest number, and
its gradient while 100 |x|^(k-1) is (|x| for k = 1).

Batch norm in training and layer norm are scale-invariant, (c x - mean) / sqrt(var +
eps) being the same for every c once c^2 var >> eps (`growth = 0`): their values must
be finite at every magnitude, and equal at 1e5 .. 1e30 to the normalised pattern. In
float32 the variance of deviations beyond about 1.8e19 overflows to inf; the output
there is the bias, as PyTorch's batch_norm (its layer_norm gives the bias or nan): a
documented convention, pinned below.

At +-inf, the activations must give their limits, and softmax, log_softmax and
cross_entropy must treat -inf logits as masked-out classes. Where nan or inf is the
right or documented answer (PyTorch gives the same), the test says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from registry import OPERATORS

import funcnet

MAGNITUDES = (1e-30, 1e-20, 1e-10, 1e-5, 1.0, 1e5, 1e10, 1e20, 1e30)
DTYPES = ("float32", "float64")
# Signs, a zero and a tie, so that every branch and kink is visited at each magnitude.
PATTERN = np.array([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 1.0, 2.0])
ROWS = np.array([[-2.0, -1.0, 0.5, 2.0], [1.0, 1.0, -0.5, 0.0], [0.0, 0.0, 0.0, 0.0]])
LABELS = np.array([3, 0, 1])


@dataclass(frozen=True)
class Sweep:
    """`build(magnitude, dtype) -> (function, arrays)`; None skips a magnitude."""

    id: str
    name: str  # the registry name it covers
    build: Callable[[float, str], tuple[Callable, tuple] | None]
    growth: int = 1
    differentiable: bool = True


def _scaled(pattern: np.ndarray, magnitude: float, dtype: str) -> np.ndarray:
    return (pattern * magnitude).astype(dtype)


def _elementwise(function, pattern=PATTERN):
    return lambda m, dtype: (function, (_scaled(pattern, m, dtype),))


_LAYER_FORMS = {
    "sigmoid": "Sigmoid",
    "tanh": "Tanh",
    "relu": "ReLU",
    "leaky_relu": "LeakyReLU",
    "elu": "ELU",
    "gelu": "GELU",
    "softplus": "Softplus",
    "silu": "SiLU",
    "softmax": "Softmax",
    "log_softmax": "LogSoftmax",
}


def _activation_sweeps() -> list[Sweep]:
    variants = [
        ("sigmoid", {}),
        ("tanh", {}),
        ("relu", {}),
        ("leaky_relu", {"negative_slope": 0.2}),
        ("elu", {"alpha": 0.5}),
        ("gelu", {}),
        ("gelu", {"approximate": "tanh"}),
        ("softplus", {}),
        ("softplus", {"beta": 2.0, "threshold": 5.0}),
        ("softplus", {"beta": -1.0}),
        ("silu", {}),
        ("softmax", {}),
        ("softmax", {"dim": 0}),
        ("log_softmax", {}),
        ("log_softmax", {"dim": 0}),
    ]
    sweeps = []
    for name, kwargs in variants:
        pattern = ROWS if "softmax" in name else PATTERN
        suffix = "".join(f"-{key}={value}" for key, value in kwargs.items())
        function = getattr(funcnet, name)
        layer = getattr(funcnet, _LAYER_FORMS[name])(**kwargs)
        sweeps.append(
            Sweep(
                name + suffix,
                name,
                _elementwise(lambda x, f=function, k=kwargs: f(x, **k), pattern),
            )
        )
        sweeps.append(
            Sweep(
                _LAYER_FORMS[name] + suffix,
                _LAYER_FORMS[name],
                _elementwise(lambda x, layer=layer: layer.apply({}, x), pattern),
            )
        )
    return sweeps


def _layer(layer, input_shape, pattern):
    """A layer with parameters from a fixed key, swept over the input."""

    def build(m, dtype):
        params = layer.init(jax.random.key(0), input_shape)
        leaves, tree = jax.tree_util.tree_flatten(params)
        leaves = [np.asarray(leaf, dtype) for leaf in leaves]
        x = _scaled(pattern.reshape(input_shape), m, dtype)

        def run(x, *leaves):
            return layer.apply(jax.tree_util.tree_unflatten(tree, leaves), x)

        return run, (x, *leaves)

    return build


_IMAGE = np.resize(PATTERN, 32)


def _in_dtype(tree, dtype):
    """Float leaves in the sweep's dtype (layers build them in JAX's default float)."""

    def convert(leaf):
        leaf = np.asarray(leaf)
        return leaf.astype(dtype) if leaf.dtype.kind == "f" else leaf

    return jax.tree_util.tree_map(convert, tree)


def _with_state(layer, input_shape, pattern, *, training: bool):
    """A layer with running statistics (batch norm): its initial state, then the swept
    input in training (batch statistics) or evaluation (running mean 0, variance 1)."""

    def build(m, dtype):
        params = _in_dtype(layer.init(jax.random.key(0), input_shape), dtype)
        state = _in_dtype(layer.initial_state(input_shape), dtype)
        leaves, tree = jax.tree_util.tree_flatten(params)

        def run(x, *leaves):
            params = jax.tree_util.tree_unflatten(tree, leaves)
            return layer.apply_with_state(params, state, x, training=training)[0]

        return run, (_scaled(pattern.reshape(input_shape), m, dtype), *leaves)

    return build


# Rows 0 and 3 of the table hold the largest entries; row 3 is the padding row.
_INDICES = np.array([[0, 3, 3], [1, 2, 0]])


def _embedding(m, dtype):
    layer = funcnet.Embedding(4, 2, padding_idx=-1)
    return (lambda table: layer.apply({"weight": table}, _INDICES)), (
        _scaled(PATTERN.reshape(4, 2), m, dtype),
    )


def _dropout(m, dtype):
    drop = funcnet.Dropout(0.5)
    key = jax.random.key(0)
    return lambda x: drop.apply({}, x, key=key, training=True), (_scaled(PATTERN, m, dtype),)


def _loss(name, target, pattern=ROWS, **kwargs):
    function = getattr(funcnet, name)

    def build(m, dtype):
        converted = {k: np.asarray(v, dtype) for k, v in kwargs.items() if k in ("weight",)}
        options = {**kwargs, **converted}
        t = target.astype(dtype) if target.dtype.kind == "f" else target
        return (lambda x: function(x, t, **options)), (_scaled(pattern, m, dtype),)

    return build


def _regression(name, **kwargs):
    function = getattr(funcnet, name)

    def build(m, dtype):
        x = _scaled(PATTERN, m, dtype)
        y = _scaled(PATTERN[::-1] / 2, m, dtype)
        return (lambda x, y: function(x, y, **kwargs)), (x, y)

    return build


def _bce(m, dtype):
    # Probabilities only exist up to 1: near 0 (m), near 1 (1 - m), and the edges.
    if m > 1:
        return None
    p = np.array([m, 0.5 * m, 1 - m, 1 - 0.5 * m, 0.0, 1.0], dtype)
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.0], dtype)
    return (lambda p, y: funcnet.binary_cross_entropy(p, y)), (p, y)


def _bce_logits(**kwargs):
    def build(m, dtype):
        x = _scaled(PATTERN, m, dtype)
        y = np.resize([0.0, 0.3, 1.0], PATTERN.shape).astype(dtype)
        options = {k: np.asarray(v, dtype) for k, v in kwargs.items()}
        return (lambda x, y: funcnet.binary_cross_entropy_with_logits(x, y, **options)), (x, y)

    return build


def _metric(name, **kwargs):
    function = getattr(funcnet, name)
    return lambda m, dtype: (
        lambda x: function(x, LABELS, **kwargs),
        (_scaled(ROWS, m, dtype),),
    )


def _unpool(m, dtype):
    """Max unpooling of the pattern's 2x2 maxima, at the positions max pooling found."""
    image = _IMAGE.reshape(1, 2, 4, 4)
    pooled, indices = funcnet.MaxPool2d(2, return_indices=True)({}, image)
    layer = funcnet.MaxUnpool2d(2)
    return (lambda x: layer.apply({}, (x, indices))), (_scaled(np.asarray(pooled), m, dtype),)


_PROBABILITIES = np.array([[0.0, 0.5, 0.5, 0.0], [1.0, 0.0, 0.0, 0.0], [0.2, 0.2, 0.3, 0.3]])

SWEEPS = [
    *_activation_sweeps(),
    Sweep("Linear", "Linear", _layer(funcnet.Linear(4, 2), (3, 4), ROWS)),
    Sweep(
        "Conv2d",
        "Conv2d",
        _layer(funcnet.Conv2d(2, 3, 3, padding=1), (1, 2, 4, 4), _IMAGE),
    ),
    Sweep("MaxPool2d", "MaxPool2d", _layer(funcnet.MaxPool2d(2), (1, 2, 4, 4), _IMAGE)),
    Sweep(
        "AvgPool2d",
        "AvgPool2d",
        _layer(funcnet.AvgPool2d(3, 2, padding=1), (1, 2, 4, 4), _IMAGE),
    ),
    Sweep("MaxUnpool2d", "MaxUnpool2d", _unpool),
    Sweep("Flatten", "Flatten", _layer(funcnet.Flatten(), (2, 4), PATTERN)),
    Sweep("Identity", "Identity", _layer(funcnet.Identity(), (8,), PATTERN)),
    Sweep("Dropout", "Dropout", _dropout),
    # Normalisations in training are scale-invariant (growth 0): finite at every scale.
    Sweep(
        "BatchNorm1d-training",
        "BatchNorm1d",
        _with_state(funcnet.BatchNorm1d(4), (3, 4), ROWS, training=True),
        growth=0,
    ),
    # Evaluation with running mean 0 and variance 1 is x / sqrt(1 + eps): growth 1.
    Sweep(
        "BatchNorm1d-evaluation",
        "BatchNorm1d",
        _with_state(funcnet.BatchNorm1d(4), (3, 4), ROWS, training=False),
    ),
    Sweep(
        "BatchNorm2d-training",
        "BatchNorm2d",
        _with_state(funcnet.BatchNorm2d(2), (1, 2, 4, 4), _IMAGE, training=True),
        growth=0,
    ),
    Sweep(
        "BatchNorm2d-evaluation",
        "BatchNorm2d",
        _with_state(funcnet.BatchNorm2d(2), (1, 2, 4, 4), _IMAGE, training=False),
    ),
    Sweep("LayerNorm", "LayerNorm", _layer(funcnet.LayerNorm(4), (3, 4), ROWS), growth=0),
    Sweep(
        "LayerNorm-2d-no-affine",
        "LayerNorm",
        _layer(funcnet.LayerNorm((2, 4), elementwise_affine=False), (4, 2, 4), _IMAGE),
        growth=0,
    ),
    # A lookup copies rows of the table: growth 1 in the table's entries.
    Sweep("Embedding", "Embedding", _embedding),
    Sweep(
        "Sequential",
        "Sequential",
        _layer(
            funcnet.Sequential(
                funcnet.Linear(4, 3), funcnet.Tanh(), funcnet.Linear(3, 2), funcnet.LogSoftmax()
            ),
            (3, 4),
            ROWS,
        ),
    ),
    Sweep("cross_entropy", "cross_entropy", _loss("cross_entropy", LABELS)),
    Sweep(
        "cross_entropy-weighted-smoothed",
        "cross_entropy",
        _loss("cross_entropy", LABELS, weight=np.array([0.5, 1.0, 2.0, 1.0]), label_smoothing=0.1),
    ),
    Sweep(
        "cross_entropy-ignored-none",
        "cross_entropy",
        _loss("cross_entropy", np.array([3, -100, 1]), reduction="none"),
    ),
    Sweep(
        "cross_entropy-probabilities",
        "cross_entropy",
        _loss("cross_entropy", _PROBABILITIES, label_smoothing=0.2),
    ),
    Sweep("nll_loss", "nll_loss", _loss("nll_loss", LABELS, pattern=-np.abs(ROWS))),
    Sweep("mse_loss", "mse_loss", _regression("mse_loss"), growth=2),
    Sweep("l1_loss", "l1_loss", _regression("l1_loss")),
    Sweep("smooth_l1_loss", "smooth_l1_loss", _regression("smooth_l1_loss", beta=0.5)),
    Sweep("huber_loss", "huber_loss", _regression("huber_loss", delta=2.0, reduction="sum")),
    Sweep("binary_cross_entropy", "binary_cross_entropy", _bce, growth=0),
    Sweep(
        "binary_cross_entropy_with_logits",
        "binary_cross_entropy_with_logits",
        _bce_logits(),
    ),
    Sweep(
        "binary_cross_entropy_with_logits-weights",
        "binary_cross_entropy_with_logits",
        _bce_logits(weight=np.resize([0.5, 2.0], PATTERN.shape), pos_weight=3.0),
    ),
    Sweep("accuracy", "accuracy", _metric("accuracy"), differentiable=False),
    Sweep(
        "confusion_matrix",
        "confusion_matrix",
        _metric("confusion_matrix", num_classes=4),
        differentiable=False,
    ),
    Sweep("precision", "precision", _metric("precision", average="macro"), differentiable=False),
    Sweep("recall", "recall", _metric("recall", average="macro"), differentiable=False),
    Sweep("f1_score", "f1_score", _metric("f1_score", average="macro"), differentiable=False),
]

# Known failures: (sweep id, dtype) -> what goes wrong.
KNOWN = {
    (sweep_id, "float32"): (
        "gelu(approximate='tanh') has a nan gradient for |x| >= 1e20 in float32: "
        "x**3 overflows to inf inside the tanh and (1 - tanh^2) * inf is 0 * inf "
        "(PyTorch does the same); the derivative is 0 or 1 there"
    )
    for sweep_id in ("gelu-approximate=tanh", "GELU-approximate=tanh")
}


def _cotangent(shape) -> np.ndarray:
    """A fixed cotangent with mixed signs (all ones would zero softmax's gradient)."""
    return (np.arange(int(np.prod(shape))) % 3 - 0.75).reshape(shape)


def _values_and_grads(function, stacked, differentiable: bool, *, jit: bool = False):
    """Values and VJPs for inputs stacked along a new first axis (one row per magnitude),
    in a single vmapped call (compiled as a whole with `jit`)."""
    stacked = [jnp.asarray(a) for a in stacked]
    if not differentiable:
        return np.asarray(jax.vmap(function)(*stacked)), []

    def value_and_grads(*arrays):
        value, pullback = jax.vjp(function, *arrays)
        return value, pullback(jnp.asarray(_cotangent(value.shape), value.dtype))

    batched = jax.vmap(value_and_grads)
    values, grads = (jax.jit(batched) if jit else batched)(*stacked)
    return np.asarray(values), [np.asarray(g) for g in grads]


def _representable(size: float, dtype: str) -> bool:
    return 100 * size < float(np.finfo(dtype).max)


def _params():
    for sweep in SWEEPS:
        for dtype in DTYPES:
            marks = ()
            if (sweep.id, dtype) in KNOWN:
                marks = pytest.mark.xfail(strict=True, reason=KNOWN[(sweep.id, dtype)])
            yield pytest.param(sweep, dtype, id=f"{sweep.id}-{dtype}", marks=marks)


@pytest.mark.parametrize(("sweep", "dtype"), list(_params()))
def test_finite_wherever_the_result_is_finite(sweep: Sweep, dtype: str):
    built = [(m, sweep.build(m, dtype)) for m in MAGNITUDES]
    built = [(magnitude, case) for magnitude, case in built if case is not None]
    function = built[0][1][0]  # the same computation at every magnitude
    stacked = [
        np.stack(parts) for parts in zip(*(arrays for _, (_, arrays) in built), strict=True)
    ]
    values, grads = _values_and_grads(function, stacked, sweep.differentiable)
    problems = []
    for row, (magnitude, _) in enumerate(built):
        value = values[row]
        if _representable(magnitude**sweep.growth, dtype) and not np.isfinite(value).all():
            problems.append(f"|x| = {magnitude:g}: value {value}")
        if _representable(magnitude ** max(sweep.growth - 1, 1), dtype):
            for index, grad in enumerate(grads):
                if not np.isfinite(grad[row]).all():
                    problems.append(f"|x| = {magnitude:g}: gradient {index} {grad[row]}")
    assert not problems, "\n".join(problems)


def test_every_operator_is_swept():
    swept = {sweep.name for sweep in SWEEPS}
    assert set(OPERATORS) <= swept, f"add sweeps for {sorted(set(OPERATORS) - swept)}"
    ids = [sweep.id for sweep in SWEEPS]
    assert len(ids) == len(set(ids))


# --- normalisation is scale-invariant -----------------------------------------------

# name -> (layer, input shape, pattern, PyTorch's functional form in training). Every
# group of the patterns has a spread, so all of them overflow together in float32.
NORMALISATIONS = {
    "BatchNorm1d": (
        funcnet.BatchNorm1d(4),
        (3, 4),
        ROWS,
        lambda t: TF.batch_norm(t, None, None, training=True),
    ),
    "BatchNorm2d": (
        funcnet.BatchNorm2d(2),
        (1, 2, 4, 4),
        _IMAGE,
        lambda t: TF.batch_norm(t, None, None, training=True),
    ),
    "LayerNorm": (funcnet.LayerNorm(4), (2, 4), ROWS[:2], lambda t: TF.layer_norm(t, (4,))),
}
LARGE = (1e5, 1e10, 1e20, 1e30)
# Where the patterns' squared deviations from the mean exceed float32's largest number.
FLOAT32_OVERFLOW = (1e20, 1e30)


def _normalised(name: str, magnitudes: tuple[float, ...], dtype: str):
    """Values and input gradients (for `_cotangent`) of a normalisation of the pattern
    scaled by each magnitude, stacked along a first axis (one vmapped call)."""
    layer, shape, pattern, _ = NORMALISATIONS[name]
    if layer.stateful:
        build = _with_state(layer, shape, pattern, training=True)
    else:
        build = _layer(layer, shape, pattern)
    built = [build(magnitude, dtype) for magnitude in magnitudes]
    stacked = [np.stack(parts) for parts in zip(*(arrays for _, arrays in built), strict=True)]
    values, grads = _values_and_grads(built[0][0], stacked, differentiable=True, jit=True)
    return values, grads[0]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", NORMALISATIONS)
def test_normalisation_is_scale_invariant(name, dtype):
    """y(c x) = y(x) and c grad(c x) = grad(x) once c^2 var >> eps: at 1e5 .. 1e30 the
    values, and the gradients times c, are those at 1e10 in float64 (eps negligible),
    except where float32's squares overflow (the next test)."""
    values, grads = _normalised(name, LARGE, "float64")
    expected_value, expected_grad = values[1], grads[1] * LARGE[1]  # at 1e10
    if dtype == "float32":
        magnitudes = tuple(m for m in LARGE if m not in FLOAT32_OVERFLOW)
        values, grads = _normalised(name, magnitudes, dtype)
    else:
        magnitudes = LARGE
    rtol = 1e-5 if dtype == "float32" else 1e-12
    for value, grad, magnitude in zip(values, grads, magnitudes, strict=True):
        what = f"{name} at |x| = {magnitude:g}"
        atol = rtol * np.abs(expected_value).max()
        np.testing.assert_allclose(value, expected_value, rtol=rtol, atol=atol, err_msg=what)
        atol = rtol * np.abs(expected_grad).max()
        np.testing.assert_allclose(
            grad * magnitude, expected_grad, rtol=rtol, atol=atol, err_msg=what
        )


@pytest.mark.parametrize("name", NORMALISATIONS)
def test_float32_variance_overflow_gives_the_bias(name):
    """In float32 the patterns' deviations times 1e20 square beyond the largest number:
    the variance is inf and x_hat = (x - mean) / sqrt(inf) = 0, so the output is the
    bias (0 here) and the gradient 0, where the exact answer is the normalised pattern.
    PyTorch's batch_norm gives 0 too; its layer_norm gives 0 for some rows and nan for
    others. The registry's conventions say so."""
    _, shape, pattern, reference = NORMALISATIONS[name]
    values, grads = _normalised(name, FLOAT32_OVERFLOW, "float32")
    np.testing.assert_array_equal(values, 0.0)
    np.testing.assert_array_equal(grads, 0.0)
    for magnitude, value in zip(FLOAT32_OVERFLOW, values, strict=True):
        x = _scaled(pattern.reshape(shape), magnitude, "float32")
        expected = reference(torch.tensor(x)).numpy()
        if name == "LayerNorm":  # nan in some rows, and the bias where it is not
            assert np.isnan(expected).any()
            expected = np.where(np.isnan(expected), 0, expected)
        np.testing.assert_array_equal(expected, value)
    assert any("1.8e19" in convention for convention in OPERATORS[name].conventions)


# --- +-inf ---------------------------------------------------------------------------

INF = np.inf
# value and derivative at -inf and +inf: the mathematical limits.
LIMITS = {
    "sigmoid": ({}, [0.0, 1.0], [0.0, 0.0]),
    "tanh": ({}, [-1.0, 1.0], [0.0, 0.0]),
    "relu": ({}, [0.0, INF], [0.0, 1.0]),
    "leaky_relu": ({"negative_slope": 0.2}, [-INF, INF], [0.2, 1.0]),
    "elu": ({"alpha": 0.5}, [-0.5, INF], [0.0, 1.0]),
    "softplus": ({}, [0.0, INF], [0.0, 1.0]),
    "softplus-beta": ({"beta": -1.0}, [-INF, -0.0], [1.0, 0.0]),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", LIMITS, ids=LIMITS)
def test_infinite_inputs_give_the_limits(case, dtype):
    kwargs, values, derivatives = LIMITS[case]
    function = getattr(funcnet, case.split("-")[0])
    x = jnp.array([-INF, INF], dtype)
    value, pullback = jax.vjp(lambda v: function(v, **kwargs), x)
    (derivative,) = pullback(jnp.ones_like(value))
    np.testing.assert_array_equal(value, np.asarray(values, dtype))
    np.testing.assert_array_equal(derivative, np.asarray(derivatives, dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("name", "kwargs", "reference"),
    [
        ("silu", {}, TF.silu),
        ("gelu", {}, TF.gelu),
        ("gelu", {"approximate": "tanh"}, lambda t: TF.gelu(t, approximate="tanh")),
    ],
    ids=["silu", "gelu", "gelu-tanh"],
)
def test_infinite_inputs_give_nan_as_pytorch_where_documented(name, kwargs, reference, dtype):
    """x * sigmoid(x) and x * Phi(x) evaluate inf * 0 at -inf: the value there is nan,
    as in PyTorch (the registry's conventions say so), though the limit is 0. The
    derivatives at +-inf are nan in PyTorch; funcnet gives nan or the limit (0, 1)."""
    x = np.array([-INF, INF], dtype)
    value, pullback = jax.vjp(lambda v: getattr(funcnet, name)(v, **kwargs), jnp.asarray(x))
    (derivative,) = pullback(jnp.ones_like(value))
    t = torch.tensor(x, requires_grad=True)
    expected = reference(t)
    expected.sum().backward()
    assert np.isnan(value[0]) and np.isnan(expected[0].item())
    assert value[1] == INF
    for got, limit in zip(np.asarray(derivative), (0.0, 1.0), strict=True):
        assert np.isnan(got) or got == limit
    assert np.isnan(t.grad.numpy()[0])
    assert any("nan" in convention for convention in OPERATORS[name].conventions)


MASKED = np.array([[-INF, 0.0, 1.0, -INF], [2.0, -INF, -1.0, 0.5]])


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_treats_minus_inf_as_masked(dtype):
    x = jnp.asarray(MASKED, dtype)
    for function in (funcnet.softmax, funcnet.log_softmax):
        value, pullback = jax.vjp(function, x)
        (grad,) = pullback(jnp.asarray(_cotangent(x.shape), dtype))
        assert np.isfinite(grad).all()
        if function is funcnet.softmax:
            np.testing.assert_array_equal(value[np.isinf(MASKED)], 0.0)
            np.testing.assert_allclose(value.sum(axis=-1), 1.0, rtol=1e-6)
        else:
            # log 0 = -inf is the exact answer for a masked class.
            np.testing.assert_array_equal(value[np.isinf(MASKED)], -INF)
            assert np.isfinite(value[~np.isinf(MASKED)]).all()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_cross_entropy_with_masked_classes_matches_pytorch(dtype, reduction):
    target = np.array([2, 3])  # each an unmasked class
    value, pullback = jax.vjp(
        lambda x: funcnet.cross_entropy(x, jnp.asarray(target), reduction=reduction),
        jnp.asarray(MASKED, dtype),
    )
    (grad,) = pullback(jnp.ones_like(value))
    assert np.isfinite(value).all() and np.isfinite(grad).all()
    t = torch.tensor(MASKED.astype(dtype), requires_grad=True)
    expected = TF.cross_entropy(t, torch.tensor(target), reduction=reduction)
    expected.sum().backward()
    np.testing.assert_allclose(value, expected.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(grad, t.grad.numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("dtype", DTYPES)
def test_label_smoothing_over_a_masked_class_is_inf_as_pytorch(dtype):
    """Smoothing gives every class probability eps / C, so a class with logit -inf
    (probability 0) costs eps / C * inf: the loss is +inf, as in PyTorch."""
    logits, target = MASKED.astype(dtype), np.array([2, 3])
    value = funcnet.cross_entropy(jnp.asarray(logits), jnp.asarray(target), label_smoothing=0.1)
    expected = TF.cross_entropy(torch.tensor(logits), torch.tensor(target), label_smoothing=0.1)
    assert np.isposinf(value) and np.isposinf(expected.item())


@pytest.mark.parametrize("dtype", DTYPES)
def test_probability_targets_with_masked_classes_stay_finite(dtype):
    probabilities = np.array([[0.0, 0.25, 0.75, 0.0], [0.5, 0.0, 0.25, 0.25]], dtype)
    value, pullback = jax.vjp(
        lambda x: funcnet.cross_entropy(x, jnp.asarray(probabilities)),
        jnp.asarray(MASKED, dtype),
    )
    (grad,) = pullback(jnp.ones_like(value))
    assert np.isfinite(value) and np.isfinite(grad).all()


# --- where nan is the documented answer ------------------------------------------------------

NAN_ANSWERS = {
    "cross_entropy-all-ignored": (
        funcnet.cross_entropy,
        TF.cross_entropy,
        np.zeros((2, 3)),
        np.array([-100, -100]),
    ),
    "nll_loss-all-ignored": (
        funcnet.nll_loss,
        TF.nll_loss,
        np.zeros((2, 3)),
        np.array([-100, -100]),
    ),
    "cross_entropy-empty-batch": (
        funcnet.cross_entropy,
        TF.cross_entropy,
        np.zeros((0, 3)),
        np.zeros(0, np.int64),
    ),
    "mse_loss-empty": (funcnet.mse_loss, TF.mse_loss, np.zeros(0), np.zeros(0)),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", NAN_ANSWERS, ids=NAN_ANSWERS)
def test_mean_over_nothing_is_nan_as_pytorch(case, dtype):
    """A "mean" reduction with nothing to average is 0/0 = nan in PyTorch and in funcnet
    (documented in nll_loss and cross_entropy: every target ignored)."""
    function, reference, input, target = NAN_ANSWERS[case]
    input = input.astype(dtype)
    target = target.astype(dtype) if target.dtype.kind == "f" else target
    assert np.isnan(function(jnp.asarray(input), jnp.asarray(target)))
    assert np.isnan(reference(torch.tensor(input), torch.tensor(target)).item())
