"""Every public operator of funcnet, with how to build its inputs and what to compare it to.

An `Operator` says, for one public name:

- `cases(dtype, smooth=False)`: a Hypothesis strategy of `Case`s (inputs, keyword
  arguments, layer settings); `smooth=True` gives float64 points away from kinks and
  ties, for numerical gradient checks;
- `funcnet(case)`: a function of the case's differentiable arrays that runs funcnet;
- `torch(case)`: the same computation in PyTorch, or `oracle(case)` for a value-only
  reference (scikit-learn for the metrics);
- `conventions`: where funcnet's answer is a choice (a derivative at a kink, an
  accuracy trade-off, a refusal where PyTorch broadcasts), what it is.

`NOT_OPERATORS` lists the public names that compute nothing to compare (exceptions,
bookkeeping, training loops) and where they are tested instead. A public name in
neither is a test failure, so a new operator must join the registry.
"""

from __future__ import annotations

import functools
import itertools
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import torch
import torch.nn.functional as TF
from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from strategies import (
    BATCH_SIZES,
    FEATURE_SIZES,
    NO_HUGE,
    REGIMES,
    SHAPES,
    SQUARABLE,
    distinct,
    floats,
    labels,
    shapes,
    unit_floats,
)

import funcnet

REDUCTIONS = ("mean", "sum", "none")


@dataclass(frozen=True)
class Case:
    """One generated input.

    Attributes:
        arrays: the differentiable float inputs, in the order the functions take them.
        data: other positional inputs (class targets, labels), numpy arrays.
        kwargs: keyword arguments of the operator (numpy arrays allowed).
        config: how to build a layer, or other settings of the case.
    """

    arrays: tuple[np.ndarray, ...] = ()
    data: tuple[np.ndarray, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Operator:
    """A public operator and how to test it (see the module docstring)."""

    name: str
    kind: str  # "activation", "layer", "loss" or "metric"
    cases: Callable[..., st.SearchStrategy]
    funcnet: Callable[[Case], Callable[..., Any]]
    reference: str
    torch: Callable[[Case], Callable[..., Any]] | None = None
    oracle: Callable[[Case], np.ndarray] | None = None
    conventions: tuple[str, ...] = ()
    differentiable: bool = True
    # An absolute error scale beyond the result's own magnitude, for computations that
    # sum terms which may cancel: `scale(case, cotangent) -> float`; `grad_scale` for the
    # gradients only.
    scale: Callable[[Case, np.ndarray], float] | None = None
    grad_scale: Callable[[Case, np.ndarray], float] | None = None
    rtol64: float = 1e-10
    rtol32: float = 2e-5
    # Arguments whose gradient is compared only where PyTorch's is finite (a documented
    # convention says what funcnet gives elsewhere).
    finite_gradients_only: tuple[int, ...] = ()
    # Run a case under jax.jit: one compilation for the whole computation, where eager
    # execution compiles every primitive for every new shape. Element-wise operators
    # run eagerly, and their compilations are shared across cases and operators.
    jit: bool = False


def _max(array) -> float:
    array = np.asarray(array, dtype=np.float64)
    finite = array[np.isfinite(array)]
    return float(np.max(np.abs(finite), initial=0.0))


def to_torch(value: Any, *, requires_grad: bool = False) -> Any:
    """numpy to torch: floats keep their dtype, integers become int64; others unchanged."""
    if not isinstance(value, np.ndarray):
        return value
    if np.issubdtype(value.dtype, np.floating):
        return torch.tensor(value, requires_grad=requires_grad)
    return torch.tensor(value, dtype=torch.int64)


def _torch_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {name: to_torch(value) for name, value in kwargs.items()}


# --- activations ---------------------------------------------------------------------


def _dim(shape) -> st.SearchStrategy:
    rank = len(shape)
    return st.integers(-1, 0) if rank == 0 else st.integers(-rank, rank - 1)


def _no_kwargs(shape, smooth):
    return st.just({})


def _leaky_kwargs(shape, smooth):
    slopes = st.sampled_from([0.01, 0.2, 0.0, 1, 2.5, -0.5])
    return st.one_of(st.just({}), st.fixed_dictionaries({"negative_slope": slopes}))


def _elu_kwargs(shape, smooth):
    return st.one_of(
        st.just({}), st.fixed_dictionaries({"alpha": st.sampled_from([1.0, 0.5, 2.0, 0.0])})
    )


def _gelu_kwargs(shape, smooth):
    return st.fixed_dictionaries({"approximate": st.sampled_from(["none", "tanh"])})


def _softplus_kwargs(shape, smooth):
    beta = st.sampled_from([1.0, 2.0, 0.5, -1.0])
    # The switch to the identity at beta * x = threshold is a kink: keep smooth points
    # (|beta * x| <= 6) below it.
    threshold = st.just(20.0) if smooth else st.sampled_from([20.0, 5.0, 1.0, 0.0])
    return st.fixed_dictionaries({"beta": beta, "threshold": threshold})


def _dim_kwargs(shape, smooth):
    return st.one_of(st.just({}), st.fixed_dictionaries({"dim": _dim(shape)}))


def _torch_dim(function):
    """PyTorch's softmax without dim guesses an axis (and warns); funcnet's default is -1."""
    return lambda t, dim=-1: function(t, dim=dim)


def _cotangent_scale(case: Case, cotangent: np.ndarray) -> float:
    """For derivatives computed by cancellation, such as 1 - tanh(x)^2 or y (1 - y):
    their absolute error is that of the O(1) terms, times the cotangent."""
    return _max(cotangent)


@dataclass(frozen=True)
class _Activation:
    kwargs: Callable[..., st.SearchStrategy]
    torch_function: Callable[..., torch.Tensor]
    layer: str
    torch_module: Callable[..., torch.nn.Module]
    conventions: tuple[str, ...] = ()
    scale: Callable[[Case, np.ndarray], float] | None = None
    grad_scale: Callable[[Case, np.ndarray], float] | None = _cotangent_scale


def _gelu_scale(case: Case, cotangent: np.ndarray) -> float:
    return _max(case.arrays[0]) * max(1.0, _max(cotangent))


_ACTIVATIONS = {
    "sigmoid": _Activation(_no_kwargs, torch.sigmoid, "Sigmoid", torch.nn.Sigmoid),
    "tanh": _Activation(_no_kwargs, torch.tanh, "Tanh", torch.nn.Tanh),
    "relu": _Activation(
        _no_kwargs,
        TF.relu,
        "ReLU",
        torch.nn.ReLU,
        ("relu'(0) = 0, as PyTorch (jnp.maximum(x, 0) would give 1/2)",),
    ),
    "leaky_relu": _Activation(
        _leaky_kwargs,
        TF.leaky_relu,
        "LeakyReLU",
        torch.nn.LeakyReLU,
        ("leaky_relu'(0) = negative_slope, as PyTorch (jax.nn.leaky_relu gives 1)",),
    ),
    "elu": _Activation(_elu_kwargs, TF.elu, "ELU", torch.nn.ELU, ("elu'(0) = alpha, as PyTorch",)),
    "gelu": _Activation(
        _gelu_kwargs,
        TF.gelu,
        "GELU",
        torch.nn.GELU,
        (
            "the exact form uses erfc for the left tail; PyTorch's 1 + erf(x/sqrt 2) loses "
            "relative accuracy there, so values and gradients are compared to an "
            "absolute error of eps * |x|",
            "gelu(-inf) is nan, as PyTorch (x * Phi(x) is inf * 0 there; the limit is 0)",
        ),
        _gelu_scale,
    ),
    "softplus": _Activation(
        _softplus_kwargs,
        TF.softplus,
        "Softplus",
        torch.nn.Softplus,
        ("returns x itself where beta * x > threshold (strictly), as PyTorch",),
    ),
    "silu": _Activation(
        _no_kwargs,
        TF.silu,
        "SiLU",
        torch.nn.SiLU,
        ("silu(-inf) is nan, as PyTorch (x * sigmoid(x) is inf * 0 there; the limit is 0)",),
    ),
    "softmax": _Activation(
        _dim_kwargs,
        _torch_dim(TF.softmax),
        "Softmax",
        lambda dim=-1: torch.nn.Softmax(dim=dim),
        ("dim defaults to -1; torch.nn.Softmax() without dim guesses and warns",),
    ),
    "log_softmax": _Activation(
        _dim_kwargs,
        _torch_dim(TF.log_softmax),
        "LogSoftmax",
        lambda dim=-1: torch.nn.LogSoftmax(dim=dim),
    ),
}


def _activation_cases(name: str):
    def cases(dtype, smooth: bool = False):
        @st.composite
        def case(draw):
            shape = draw(shapes(0, 3, smooth=smooth))
            x = draw(floats(shape, dtype, smooth=smooth))
            return Case((x,), kwargs=draw(_ACTIVATIONS[name].kwargs(shape, smooth)))

        return case()

    return cases


def _activation(name: str) -> Operator:
    spec = _ACTIVATIONS[name]
    function = getattr(funcnet, name)
    return Operator(
        name=name,
        kind="activation",
        cases=_activation_cases(name),
        funcnet=lambda c: lambda x: function(x, **c.kwargs),
        torch=lambda c: lambda t: spec.torch_function(t, **c.kwargs),
        reference=f"torch.nn.functional.{name}",
        conventions=spec.conventions,
        scale=spec.scale,
        grad_scale=spec.grad_scale,
    )


def _activation_layer(name: str) -> Operator:
    spec = _ACTIVATIONS[name]
    layer = getattr(funcnet, spec.layer)
    return Operator(
        name=spec.layer,
        kind="layer",
        cases=_activation_cases(name),
        funcnet=lambda c: lambda x: layer(**c.kwargs).apply({}, x),
        torch=lambda c: lambda t: spec.torch_module(**c.kwargs)(t),
        reference=f"torch.nn.{spec.layer}",
        conventions=(f"the layer form of funcnet.{name}", *spec.conventions),
        scale=spec.scale,
        grad_scale=spec.grad_scale,
    )


# --- layers with parameters ------------------------------------------------------------


def _batch(smooth) -> st.SearchStrategy:
    """The leading batch shape of an image: unbatched, or N images."""
    return st.sampled_from([(), (1,), (2,)] if smooth else [(), (0,), (1,), (2,)])


def _weights(shape, dtype, smooth):
    return floats(shape, dtype, ("normal", "ties", "zeros"), smooth=smooth)


@st.composite
def _linear_case(draw, dtype, smooth=False):
    # Gradient checks compile for every new shape: smooth cases keep one.
    in_features, out_features = (3, 2) if smooth else draw(_feature_pair())
    batch = draw(shapes(0, 2, smooth=smooth))
    bias = draw(st.booleans())
    x = draw(floats((*batch, in_features), dtype, NO_HUGE, smooth=smooth))
    arrays = (x, draw(_weights((out_features, in_features), dtype, smooth)))
    if bias:
        arrays += (draw(_weights((out_features,), dtype, smooth)),)
    infer = draw(st.booleans())
    config = {"in_features": None if infer else in_features, "out_features": out_features}
    return Case(arrays, config={**config, "bias": bias})


def _feature_pair() -> st.SearchStrategy:
    return st.tuples(st.sampled_from(FEATURE_SIZES), st.sampled_from(FEATURE_SIZES))


def _params(weight, bias=None):
    return {"weight": weight} if bias is None else {"weight": weight, "bias": bias}


def _linear_funcnet(case: Case):
    layer = funcnet.Linear(**case.config)
    return lambda x, weight, *bias: layer.apply(_params(weight, *bias), x)


def _sum_scale(case: Case, cotangent: np.ndarray) -> float:
    """For sums of products (matmul, convolution, window sums): the terms' magnitude."""
    x, *params = case.arrays
    product = _max(x) * max([1.0, *map(_max, params)]) + max([0.0, *map(_max, params[1:])])
    return product * max(1.0, _max(cotangent)) * max(x.size, cotangent.size, 1)


def _pair(value) -> tuple[int, int]:
    return value if isinstance(value, tuple) else (value, value)


def xla_aborts_on(kernel, stride, padding, dilation, size) -> bool:
    """Geometries whose convolution gradient makes XLA abort the process (jaxlib 0.10.2,
    CPU: 'algebraic_simplifier.cc: Check failed ... Window dimensions do not match RHS
    shape'): an axis of size 4 with kernel 2, stride 2, padding 1 and no dilation, next
    to an axis whose kernel is larger than 1. A scan of every geometry these cases
    draw found no others. test_parity_fuzz.py tracks it; the cases leave them out.
    """
    if isinstance(padding, str):
        return False
    axes = list(zip(_pair(kernel), _pair(stride), _pair(padding), size, strict=True))
    for axis, other in ((0, 1), (1, 0)):
        if axes[axis] == (2, 2, 1, 4) and dilation == 1 and axes[other][0] > 1:
            return True
    return False


@st.composite
def _conv_case(draw, dtype, smooth=False):
    groups = draw(st.sampled_from([1, 2]))
    in_channels = groups * draw(st.sampled_from([1, 2]))
    out_channels = groups * draw(st.sampled_from([1, 2]))
    kernel = (draw(st.sampled_from([1, 2, 3])), draw(st.sampled_from([1, 3])))
    stride = draw(st.sampled_from([1, 2, (1, 2)]))
    dilation = draw(st.sampled_from([1, 2]))
    paddings = [0, 1, (1, 0), "valid"] + (["same"] if stride == 1 else [])
    padding = draw(st.sampled_from(paddings))
    dilations = (dilation, dilation)
    spans = [d * (k - 1) + 1 for k, d in zip(kernel, dilations, strict=True)]
    size = [span + draw(st.sampled_from([0, 1, 2])) for span in spans]
    assume(not xla_aborts_on(kernel, stride, padding, dilation, size))
    batch = draw(_batch(smooth))
    bias = draw(st.booleans())
    x = draw(floats((*batch, in_channels, *size), dtype, NO_HUGE, smooth=smooth))
    weight_shape = (out_channels, in_channels // groups, *kernel)
    arrays = (x, draw(_weights(weight_shape, dtype, smooth)))
    if bias:
        arrays += (draw(_weights((out_channels,), dtype, smooth)),)
    config = {
        "in_channels": in_channels,
        "out_channels": out_channels,
        "kernel_size": kernel if kernel[0] != kernel[1] else kernel[0],
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
        "groups": groups,
        "bias": bias,
    }
    return Case(arrays, config=config)


def _conv_funcnet(case: Case):
    layer = funcnet.Conv2d(**case.config)
    return lambda x, weight, *bias: layer.apply(_params(weight, *bias), x)


def _conv_torch(case: Case):
    c = case.config

    def run(x, weight, *bias):
        bias = bias[0] if bias else None
        with warnings.catch_warnings():
            # PyTorch says once per process that even kernels with padding='same' copy
            # the input; it says nothing about the result.
            warnings.filterwarnings("ignore", "Using padding='same'", UserWarning)
            return TF.conv2d(
                x, weight, bias, c["stride"], c["padding"], c["dilation"], c["groups"]
            )

    return run


@st.composite
def _pool_geometry(draw, *, dilated: bool):
    kernel = draw(st.sampled_from([1, 2, 3, (2, 3)]))
    pair = kernel if isinstance(kernel, tuple) else (kernel, kernel)
    dilation = draw(st.sampled_from([1, 2])) if dilated else 1
    # PyTorch's limits: padding <= kernel // 2 and <= half the effective kernel.
    pad_limit = min(pair) // 2
    padding = draw(st.integers(0, pad_limit))
    stride = draw(st.sampled_from([None, 1, 2]))
    spans = [dilation * (k - 1) + 1 for k in pair]
    size = [max(1, span - 2 * padding) + draw(st.sampled_from([0, 1, 2])) for span in spans]
    config = {"kernel_size": kernel, "stride": stride, "padding": padding}
    if dilated:
        config["dilation"] = dilation
    config["ceil_mode"] = draw(st.booleans())
    return config, size


def _windows_touch_input(config: dict, size: list[int]) -> bool:
    """Whether every pooling window holds at least one input cell (not only padding).

    With dilation a window can fall entirely into the padding. funcnet gives -inf there
    and no gradient; PyTorch's max_pool2d backward writes that window's gradient at
    index -1, corrupting memory, so such geometries are not compared.
    """
    kernel, stride = config["kernel_size"], config["stride"] or config["kernel_size"]
    pads, dilation = config["padding"], config["dilation"]
    for axis, length in enumerate(size):
        k = kernel[axis] if isinstance(kernel, tuple) else kernel
        s = stride[axis] if isinstance(stride, tuple) else stride
        span = dilation * (k - 1) + 1
        extra = s - 1 if config["ceil_mode"] else 0
        count = (length + 2 * pads - span + extra) // s + 1
        if config["ceil_mode"] and (count - 1) * s >= length + pads:
            count -= 1
        for start in range(-pads, -pads + count * s, s):
            if not any(0 <= start + dilation * j < length for j in range(k)):
                return False
    return True


@st.composite
def _maxpool_case(draw, dtype, smooth=False):
    config, size = draw(_pool_geometry(dilated=True))
    assume(_windows_touch_input(config, size))
    shape = (*draw(_batch(smooth)), draw(st.sampled_from([1, 2])), *size)
    x = draw(distinct(shape, dtype)) if smooth else draw(floats(shape, dtype))
    return Case((x,), config=config)


@st.composite
def _avgpool_case(draw, dtype, smooth=False):
    config, size = draw(_pool_geometry(dilated=False))
    config["count_include_pad"] = draw(st.booleans())
    config["divisor_override"] = draw(st.sampled_from([None, 1, 3]))
    shape = (*draw(_batch(smooth)), draw(st.sampled_from([1, 2])), *size)
    return Case((draw(floats(shape, dtype, smooth=smooth)),), config=config)


def _avgpool_scale(case: Case, cotangent: np.ndarray) -> float:
    return _max(case.arrays[0]) * max(1.0, _max(cotangent)) * 9


@st.composite
def _maxunpool_case(draw, dtype, smooth=False):
    """Maxima and their indices from PyTorch's max pooling of distinct values."""
    config, size = draw(_pool_geometry(dilated=False))
    del config["ceil_mode"]
    # Windows that do not overlap pick distinct indices: with a repeated index the
    # forward value is one of the values while the gradient (PyTorch's) adds up all.
    config["stride"] = None
    assume(_windows_touch_input({**config, "dilation": 1, "ceil_mode": False}, size))
    shape = (*draw(_batch(smooth)), draw(st.sampled_from([1, 2])), *size)
    source = torch.tensor(draw(distinct(shape, dtype)))
    pooled, indices = TF.max_pool2d(source, **config, return_indices=True)
    # The pooled input's size: unpooling to it is within a stride of the default.
    return Case(
        (pooled.numpy(),), data=(indices.numpy(),), kwargs={"output_size": size}, config=config
    )


def _maxunpool_funcnet(case: Case):
    layer = funcnet.MaxUnpool2d(**case.config)
    return lambda x: layer.apply({}, (x, case.data[0]), output_size=case.kwargs["output_size"])


def _maxunpool_torch(case: Case):
    indices = torch.tensor(case.data[0])
    size = case.kwargs["output_size"]
    return lambda t: TF.max_unpool2d(t, indices, **case.config, output_size=size)


@st.composite
def _dropout_case(draw, dtype, smooth=False):
    shape = draw(shapes(0, 3, smooth=smooth))
    config = {
        "p": draw(st.sampled_from([0.0, 0.3, 0.5, 1.0])),
        "training": draw(st.booleans()),
        "seed": draw(st.integers(0, 2**31 - 1)),
    }
    return Case((draw(floats(shape, dtype, smooth=smooth)),), config=config)


def _dropout_funcnet(case: Case):
    c = case.config
    key = jax.random.key(c["seed"])
    return lambda x: funcnet.Dropout(c["p"]).apply({}, x, key=key, training=c["training"])


def _dropout_torch(case: Case):
    """PyTorch's dropout arithmetic, `input * mask * (1 / (1 - p))`, on funcnet's mask.

    The masks come from different generators and cannot match; given the same mask,
    the values, the scaling and the gradients must.
    """
    c = case.config
    x = case.arrays[0]
    if not c["training"] or c["p"] in (0.0, 1.0):
        return lambda t: TF.dropout(t, c["p"], training=c["training"])
    ones = jnp.ones(x.shape, x.dtype)
    kept = funcnet.Dropout(c["p"]).apply({}, ones, key=jax.random.key(c["seed"]), training=True)
    mask = torch.tensor(np.asarray(kept != 0).astype(x.dtype))
    return lambda t: t * mask * (1 / (1 - c["p"]))


@st.composite
def _flatten_case(draw, dtype, smooth=False):
    shape = draw(shapes(1, 4, smooth=smooth))
    rank = len(shape)
    start = draw(st.integers(-rank, rank - 1))
    end = draw(st.integers(start % rank, rank - 1))
    if draw(st.booleans()):
        end -= rank  # the same axis, counted from the end
    return Case(
        (draw(floats(shape, dtype, smooth=smooth)),), kwargs={"start_dim": start, "end_dim": end}
    )


@st.composite
def _identity_case(draw, dtype, smooth=False):
    return Case((draw(floats(draw(shapes(0, 3, smooth=smooth)), dtype, smooth=smooth)),))


_SEQUENTIAL_ACTIVATIONS = ("relu", "sigmoid", "tanh", "gelu", "softplus", "leaky_relu")


@st.composite
def _sequential_case(draw, dtype, smooth=False):
    # Linear has its own cases over feature sizes; here the composition is what varies.
    sizes = [3, 2, 2] if smooth else [3, 2, draw(st.sampled_from([1, 3]))]
    batch = draw(shapes(0, 2, smooth=smooth))
    x = draw(floats((*batch, sizes[0]), dtype, NO_HUGE, smooth=smooth))
    arrays = [x]
    for fan_in, fan_out in itertools.pairwise(sizes):
        arrays += [
            draw(_weights((fan_out, fan_in), dtype, smooth)),
            draw(_weights((fan_out,), dtype, smooth)),
        ]
    # The hidden pre-activations are sums that may land on a kink: smooth cases use
    # smooth activations.
    activation = draw(
        st.sampled_from(_SEQUENTIAL_ACTIVATIONS[1:5] if smooth else _SEQUENTIAL_ACTIVATIONS)
    )
    kwargs = draw(_ACTIVATIONS[activation].kwargs((*batch, sizes[1]), smooth))
    head = draw(st.sampled_from([None, "softmax", "log_softmax"]))
    return Case(tuple(arrays), config={"activation": (activation, kwargs), "head": head})


def _sequential_funcnet(case: Case):
    name, kwargs = case.config["activation"]
    fan_in, fan_out = case.arrays[0].shape[-1], case.arrays[2].shape[0]
    layers = [
        funcnet.Linear(fan_in, fan_out),
        getattr(funcnet, _ACTIVATIONS[name].layer)(**kwargs),
        funcnet.Linear(fan_out, case.arrays[4].shape[0]),
    ]
    if case.config["head"]:
        layers.append(getattr(funcnet, _ACTIVATIONS[case.config["head"]].layer)())
    model = funcnet.Sequential(*layers)

    def run(x, w1, b1, w2, b2):
        params = (_params(w1, b1), {}, _params(w2, b2)) + (({},) if case.config["head"] else ())
        return model.apply(params, x)

    return run


def _sequential_torch(case: Case):
    name, kwargs = case.config["activation"]
    activation = _ACTIVATIONS[name].torch_module(**kwargs)
    head = case.config["head"]

    def run(x, w1, b1, w2, b2):
        y = TF.linear(activation(TF.linear(x, w1, b1)), w2, b2)
        return y if head is None else _ACTIVATIONS[head].torch_function(y, dim=-1)

    return run


def _sequential_scale(case: Case, cotangent: np.ndarray) -> float:
    x, w1, b1, w2, _ = case.arrays
    hidden = max(1.0, _max(x) * _max(w1) * x.shape[-1] + _max(b1))
    return hidden * max(1.0, _max(w2)) * w2.shape[1] * max(1.0, _max(cotangent)) * 10


# --- normalisation and embedding layers ----------------------------------------------


_EPSILONS = (1e-5, 1e-3, 0.5)
_MOMENTA = (0.1, 0.0, 1.0, None)
# Channels on axis 1; shapes from the strategies menu where they fit, so compilations
# are shared. A single value per channel is allowed only in evaluation.
_BATCH_NORM_SHAPES = {
    "BatchNorm1d": ((2, 3), (3, 1), (1, 3), (0, 3), (2, 1, 3), (1, 2, 3), (3, 2, 1)),
    "BatchNorm2d": ((2, 3, 1, 2), (1, 1, 2, 2), (2, 2, 1, 1), (1, 3, 1, 1), (0, 2, 2, 2)),
}
_BATCH_NORM_SMOOTH_SHAPES = {"BatchNorm1d": (2, 3, 2), "BatchNorm2d": (2, 3, 1, 2)}
# "training": batch statistics, running statistics updated; "evaluation": the running
# statistics; "untracked": track_running_stats=False, batch statistics in both modes.
_BATCH_NORM_MODES = ("training", "evaluation", "untracked")


def _spread(shape, dtype) -> st.SearchStrategy:
    """Smooth points for normalisation: distinct values 1 apart, so that each group's
    variance is far from 0 and finite differences stay well conditioned."""
    return distinct(shape, dtype).map(lambda a: (a * 10).astype(dtype))


def _per_channel(shape) -> int:
    return int(np.prod(shape)) // shape[1]


@st.composite
def batch_norm_case(draw, dtype, smooth=False, *, name, modes=_BATCH_NORM_MODES):
    """A case of BatchNorm1d or BatchNorm2d (`name`) in one of `modes`; `data` holds
    the running mean and variance unless the mode is "untracked"."""
    if smooth:
        shape = _BATCH_NORM_SMOOTH_SHAPES[name]
    else:
        shape = draw(st.sampled_from(_BATCH_NORM_SHAPES[name]))
    if "evaluation" not in modes:
        assume(_per_channel(shape) != 1)
    channels = shape[1]
    mode = "evaluation"
    if _per_channel(shape) != 1:
        mode = draw(st.sampled_from(modes))
    if smooth:
        x = draw(_spread(shape, dtype))
    else:
        # Evaluation squares nothing; batch statistics do (see the float32 convention).
        squares = mode != "evaluation" and dtype == "float32"
        x = draw(floats(shape, dtype, SQUARABLE if squares else REGIMES))
    affine = draw(st.booleans())
    arrays = (x,)
    if affine:
        arrays += tuple(draw(_weights((channels,), dtype, smooth)) for _ in range(2))
    data = ()
    if mode != "untracked":
        mean = draw(floats((channels,), dtype, smooth=smooth))
        variance = np.abs(draw(floats((channels,), dtype, NO_HUGE, smooth=smooth)))
        data = (mean, variance)
    config = {
        "num_features": channels,
        "eps": draw(st.sampled_from(_EPSILONS)),
        "momentum": draw(st.sampled_from(_MOMENTA)),
        "affine": affine,
        "track_running_stats": mode != "untracked",
    }
    # Untracked layers use batch statistics whatever `training` says.
    training = mode == "training" or (mode == "untracked" and draw(st.booleans()))
    return Case(arrays, data, config={**config, "training": training})


def batch_norm_state(layer, shape, running_mean, running_var) -> dict:
    """`layer.initial_state(shape)` with the given running statistics."""
    return {
        **layer.initial_state(shape),
        "running_mean": running_mean,
        "running_var": running_var,
    }


def _batch_norm_funcnet(name: str):
    def run(case: Case):
        config = dict(case.config)
        training = config.pop("training")
        layer = getattr(funcnet, name)(**config)
        if not layer.stateful:
            return lambda x, *affine: layer.apply(_params(*affine) if affine else {}, x)
        state = batch_norm_state(layer, case.arrays[0].shape, *case.data)

        def apply(x, *affine):
            params = _params(*affine) if affine else {}
            return layer.apply_with_state(params, state, x, training=training)[0]

        return apply

    return run


def _batch_norm_torch(case: Case):
    c = case.config
    # Without running statistics PyTorch's modules normalise with the batch's.
    training = c["training"] or not c["track_running_stats"]
    # Only the updated buffers depend on the momentum (tests/trust/test_state_updates.py);
    # the functional form has no cumulative average (momentum=None).
    momentum = 0.1 if c["momentum"] is None else c["momentum"]

    def run(x, weight=None, bias=None):
        running = [to_torch(a) for a in case.data] if case.data else [None, None]
        return TF.batch_norm(x, *running, weight, bias, training, momentum, c["eps"])

    return run


def _normalised_terms(case: Case, axes: tuple[int, ...]) -> tuple[float, float, int]:
    """`(K, 1 / sqrt(var + eps), n)` of a normalisation case, in float64: K bounds
    |x - mean| / sqrt(var + eps) term by term (the size of what cancels), n is the
    size of a group. The statistics are the batch's over `axes`, or the running ones."""
    x = np.abs(case.arrays[0].astype(np.float64))
    if x.size == 0:
        return 1.0, 1.0, 1
    if case.config.get("training", True) or not case.data:
        mean = case.arrays[0].astype(np.float64).mean(axis=axes, keepdims=True)
        variance = np.square(case.arrays[0] - mean).mean(axis=axes, keepdims=True)
    else:
        shape = (1, -1, *([1] * (x.ndim - 2)))
        mean, variance = (a.astype(np.float64).reshape(shape) for a in case.data)
    inverse = 1 / np.sqrt(variance + case.config["eps"])
    group = int(np.prod([x.shape[axis] for axis in axes]))
    return max(1.0, _max((x + np.abs(mean)) * inverse)), _max(inverse), group


def _norm_scales(axes_of: Callable[[Case], tuple[int, ...]]):
    """`(scale, grad_scale)` of a normalisation, `y = x_hat * weight + bias` with
    `x_hat = (x - mean) / sqrt(var + eps)`: the absolute errors of x - mean and of the
    variance are those of the terms, K relative (see `_normalised_terms`). The
    gradients add the sums over a group (input) and over the batch (weight and bias)."""

    def scale(case: Case, cotangent: np.ndarray) -> float:
        conditioning, _, _ = _normalised_terms(case, axes_of(case))
        affine = [_max(a) for a in case.arrays[1:]]  # (weight, bias), (weight,) or ()
        return conditioning * max([1.0, *affine[:1]]) + max([0.0, *affine[1:]])

    def grad_scale(case: Case, cotangent: np.ndarray) -> float:
        conditioning, inverse, group = _normalised_terms(case, axes_of(case))
        weight = max([1.0, *map(_max, case.arrays[1:])])
        size = max(case.arrays[0].size, 1)
        return _max(cotangent) * conditioning * max(weight * inverse * (1 + group), size)

    return scale, grad_scale


def _batch_norm_axes(case: Case) -> tuple[int, ...]:
    return (0, *range(2, case.arrays[0].ndim))


_BATCH_NORM_SCALE, _BATCH_NORM_GRAD_SCALE = _norm_scales(_batch_norm_axes)


def _float32_variance(pytorch: str) -> str:
    return (
        "float32: a deviation from the mean beyond about 1.8e19 squares to inf, so the "
        "variance is inf and x_hat = 0: the output is the bias (0 without affine) and the "
        f"gradient 0, where the exact output is finite; {pytorch}. The float32 cases stay "
        "below 1e18; test_extremes.py pins the behaviour beyond"
    )


_BATCH_NORM_CONVENTIONS = (
    "training normalises with the batch's biased variance; the running variance is "
    "updated with the unbiased one, n / (n - 1) times it, as PyTorch",
    "the output is compared here, the updated running statistics (the second result of "
    "apply_with_state) in tests/trust/test_state_updates.py",
    "track_running_stats=False normalises with the batch's statistics in evaluation too, "
    "as torch.nn.BatchNorm1d",
    _float32_variance("PyTorch's batch_norm gives the bias too"),
)


@st.composite
def _layer_norm_case(draw, dtype, smooth=False):
    if smooth:
        shape, trailing = (2, 1, 3), draw(st.sampled_from([1, 2]))
    else:
        shape = draw(st.sampled_from([s for s in SHAPES if s and s[-1] > 0]))
        fits = [k for k in (1, 2) if k <= len(shape) and 0 not in shape[-k:]]
        trailing = draw(st.sampled_from(fits))
    normalized = shape[-trailing:]
    if smooth:
        x = draw(_spread(shape, dtype))
    else:
        x = draw(floats(shape, dtype, SQUARABLE if dtype == "float32" else REGIMES))
    affine, bias = draw(st.booleans()), draw(st.booleans())
    arrays = (x,)
    if affine:
        count = 2 if bias else 1
        arrays += tuple(draw(_weights(normalized, dtype, smooth)) for _ in range(count))
    # An int for one trailing axis, as torch.nn.LayerNorm(5).
    as_int = trailing == 1 and draw(st.booleans())
    config = {
        "normalized_shape": normalized[0] if as_int else normalized,
        "eps": draw(st.sampled_from(_EPSILONS)),
        "elementwise_affine": affine,
        "bias": bias,
    }
    return Case(arrays, config=config)


def _layer_norm_funcnet(case: Case):
    layer = funcnet.LayerNorm(**case.config)
    names = ("weight", "bias")[: int(layer.elementwise_affine) * (1 + int(layer.bias))]
    return lambda x, *affine: layer.apply(dict(zip(names, affine, strict=True)), x)


def _layer_norm_torch(case: Case):
    c = case.config
    shape = c["normalized_shape"]
    shape = (shape,) if isinstance(shape, int) else shape
    return lambda x, weight=None, bias=None: TF.layer_norm(x, shape, weight, bias, c["eps"])


def _layer_norm_axes(case: Case) -> tuple[int, ...]:
    shape = case.config["normalized_shape"]
    trailing = 1 if isinstance(shape, int) else len(shape)
    rank = case.arrays[0].ndim
    return tuple(range(rank - trailing, rank))


_LAYER_NORM_SCALE, _LAYER_NORM_GRAD_SCALE = _norm_scales(_layer_norm_axes)


@st.composite
def _embedding_case(draw, dtype, smooth=False):
    # Gradient checks compile for every new shape: smooth cases keep one.
    rows = 3 if smooth else draw(st.sampled_from([1, 2, 3, 5]))
    columns = 2 if smooth else draw(st.sampled_from(FEATURE_SIZES))
    shape = (2, 3) if smooth else draw(shapes(0, 3))
    indices = draw(labels(shape, rows)).astype(np.int32 if dtype == "float32" else np.int64)
    padding = draw(st.sampled_from(["none", "non-negative", "negative"]))
    padding_idx = {
        "none": None,
        "non-negative": draw(st.integers(0, rows - 1)),
        "negative": draw(st.integers(-rows, -1)),
    }[padding]
    if smooth and padding_idx is not None:
        # The padding row's gradient is 0 by convention, not by derivation: numerical
        # gradient checks look up the other rows only.
        padding_row = padding_idx % rows
        indices = np.where(indices == padding_row, (padding_row + 1) % rows, indices)
    weight = draw(floats((rows, columns), dtype, smooth=smooth))
    config = {"num_embeddings": rows, "embedding_dim": columns, "padding_idx": padding_idx}
    return Case((weight,), (indices,), config=config)


def _embedding_funcnet(case: Case):
    layer = funcnet.Embedding(**case.config)
    (indices,) = case.data
    return lambda weight: layer.apply({"weight": weight}, indices)


def _embedding_torch(case: Case):
    indices = to_torch(case.data[0])
    padding_idx = case.config["padding_idx"]
    return lambda weight: TF.embedding(indices, weight, padding_idx)


def _embedding_grad_scale(case: Case, cotangent: np.ndarray) -> float:
    # A row's gradient sums the cotangents of every index that picks it.
    return _max(cotangent) * max(case.data[0].size, 1)


# --- losses --------------------------------------------------------------------------


@st.composite
def _class_shapes(draw, smooth):
    """`(input_shape, target_shape, classes)` in one of PyTorch's three layouts."""
    layout = draw(st.sampled_from(["unbatched", "batched", "spatial"]))
    if smooth:
        classes, batch, extra = 3, 2, 2  # one shape per layout for gradient checks
    else:
        classes = draw(st.sampled_from(FEATURE_SIZES))
        batch = draw(st.sampled_from(BATCH_SIZES))
        extra = draw(st.sampled_from([1, 2]))
    if layout == "unbatched":
        return (classes,), (), classes
    if layout == "batched":
        return (batch, classes), (batch,), classes
    return (batch, classes, extra), (batch, extra), classes


@st.composite
def _class_weight(draw, classes, dtype, smooth):
    if not draw(st.booleans()):
        return {}
    # Zero weights can make a weighted mean 0/0; smooth cases keep them positive.
    elements = st.sampled_from([0.5, 1.0, 2.0, 0.25] + ([] if smooth else [0.0]))
    weight = draw(hnp.arrays(np.float32, (classes,), elements=elements)).astype(dtype)
    return {"weight": weight}


@st.composite
def _index_target(draw, shape, classes, smooth):
    """Class indices with some entries set to a drawn `ignore_index` (maybe in range)."""
    ignore_index = draw(st.sampled_from([-100, 0, 1]))
    target = draw(labels(shape, classes))
    # Smooth cases keep every target: an all-ignored mean is nan (0/0).
    ignored = np.zeros(shape, bool) if smooth else draw(hnp.arrays(np.bool_, shape))
    target = np.where(ignored, ignore_index, target)
    kwargs = {} if ignore_index == -100 and draw(st.booleans()) else {"ignore_index": ignore_index}
    return target, kwargs


@st.composite
def _cross_entropy_case(draw, dtype, smooth=False):
    input_shape, target_shape, classes = draw(_class_shapes(smooth))
    x = draw(floats(input_shape, dtype, smooth=smooth))
    kwargs = {"reduction": draw(st.sampled_from(REDUCTIONS))}
    kwargs.update(draw(_class_weight(classes, dtype, smooth)))
    smoothing = draw(st.sampled_from([0.0, 0.0, 0.1, 0.5, 1.0]))
    if smoothing:
        kwargs["label_smoothing"] = smoothing
    if draw(st.booleans()):
        target = draw(unit_floats(input_shape, dtype, smooth=smooth, edges=False))
        return Case((x, target), kwargs=kwargs, config={"target": "probabilities"})
    target, extra = draw(_index_target(target_shape, classes, smooth))
    return Case((x,), (target,), {**kwargs, **extra}, config={"target": "indices"})


@st.composite
def _nll_case(draw, dtype, smooth=False):
    input_shape, target_shape, classes = draw(_class_shapes(smooth))
    x = draw(floats(input_shape, dtype, smooth=smooth))
    kwargs = {"reduction": draw(st.sampled_from(REDUCTIONS))}
    kwargs.update(draw(_class_weight(classes, dtype, smooth)))
    target, extra = draw(_index_target(target_shape, classes, smooth))
    return Case((x,), (target,), {**kwargs, **extra})


def _cross_entropy_grad_scale(case: Case, cotangent: np.ndarray) -> float:
    # The gradient is softmax * sum(target) - target: it cancels, and its terms are of
    # the size of the targets (1 for class indices) times the weights.
    weight = _max(case.kwargs.get("weight", np.ones(1)))
    target = _max(case.arrays[1]) * case.arrays[1].shape[-1] if len(case.arrays) > 1 else 1.0
    return _max(cotangent) * max(1.0, weight) * max(1.0, target)


def _nll_scale(case: Case, cotangent: np.ndarray) -> float:
    # Log-probabilities of either sign: a weighted sum of them can cancel.
    weight = _max(case.kwargs.get("weight", np.ones(1)))
    return _max(case.arrays[0]) * max(1.0, weight) * max(1.0, _max(cotangent))


def _loss_funcnet(name: str):
    function = getattr(funcnet, name)
    return lambda c: lambda *arrays: function(*arrays, *c.data, **c.kwargs)


def _loss_torch(name: str):
    function = getattr(TF, name)
    return lambda c: (
        lambda *tensors: function(*tensors, *map(to_torch, c.data), **_torch_kwargs(c.kwargs))
    )


_SWITCHES = {
    "smooth_l1_loss": ("beta", [1.0, 0.5, 0.0, 2.0]),
    "huber_loss": ("delta", [1.0, 0.5, 2.0]),
}


def _regression_cases(name: str):
    @st.composite
    def case(draw, dtype, smooth=False):
        shape = draw(shapes(0, 3, smooth=smooth))
        kwargs = {"reduction": draw(st.sampled_from(REDUCTIONS))}
        if name in _SWITCHES:
            argument, values = _SWITCHES[name]
            kwargs[argument] = draw(st.sampled_from(values))
        x = draw(floats(shape, dtype, smooth=smooth))
        if smooth:
            # Differences away from 0 and from the switch point beta / delta.
            switch = max(kwargs.get("beta", kwargs.get("delta", 1.0)), 1.0)
            magnitude = st.sampled_from([0.3, 0.7, 1.6, 2.5]).map(lambda m: m * switch)
            signed = st.builds(lambda s, m: s * m, st.sampled_from([-1.0, 1.0]), magnitude)
            difference = draw(hnp.arrays(np.float64, shape, elements=signed))
            return Case((x, (x + difference).astype(dtype)), kwargs=kwargs)
        return Case((x, draw(floats(shape, dtype))), kwargs=kwargs)

    return case


@st.composite
def _binary_weight(draw, shape, dtype, argument, *, full: bool = True):
    """None, or a weight of shape (), (last axis,) or `shape`, all broadcastable."""
    options = [None, ()]
    if shape:
        options.append((shape[-1],))
        if full:
            options.append(shape)
    weight_shape = draw(st.sampled_from(options))
    if weight_shape is None:
        return {}
    elements = st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0])
    return {argument: draw(hnp.arrays(np.float32, weight_shape, elements=elements)).astype(dtype)}


@st.composite
def _bce_case(draw, dtype, smooth=False):
    shape = draw(shapes(0, 3, smooth=smooth))
    p = draw(unit_floats(shape, dtype, smooth=smooth))
    target = draw(unit_floats(shape, dtype, smooth=smooth))
    kwargs = {"reduction": draw(st.sampled_from(REDUCTIONS))}
    kwargs.update(draw(_binary_weight(shape, dtype, "weight")))
    return Case((p, target), kwargs=kwargs)


@st.composite
def _bce_logits_case(draw, dtype, smooth=False):
    shape = draw(shapes(0, 3, smooth=smooth))
    x = draw(floats(shape, dtype, smooth=smooth))
    target = draw(unit_floats(shape, dtype, smooth=smooth))
    kwargs = {"reduction": draw(st.sampled_from(REDUCTIONS))}
    kwargs.update(draw(_binary_weight(shape, dtype, "weight")))
    kwargs.update(draw(_binary_weight(shape, dtype, "pos_weight", full=False)))
    return Case((x, target), kwargs=kwargs)


def _bce_logits_grad_scale(case: Case, cotangent: np.ndarray) -> float:
    # sigmoid(x) - y cancels; its terms are at most 1, times the weights.
    weights = [_max(case.kwargs.get(k, np.ones(1))) for k in ("weight", "pos_weight")]
    return _max(cotangent) * max(1.0, *weights) ** 2


def _bce_logits_scale(case: Case, cotangent: np.ndarray) -> float:
    # (1 - y) x + softplus(-x) cancels for large |x|: the terms are of size |x|.
    weights = [_max(case.kwargs.get(k, np.ones(1))) for k in ("weight", "pos_weight")]
    return _max(case.arrays[0]) * max(1.0, *weights) ** 2 * max(1.0, _max(cotangent))


# --- metrics (scikit-learn is the reference) -----------------------------------------------


@st.composite
def _metric_case(draw, dtype, *, binary: bool, macro: bool):
    """Labels, binary probabilities or class scores, with integer targets."""
    batch = (draw(st.sampled_from([1, 2, 3, 5, 8])),)
    average = "binary"
    if macro and draw(st.booleans()):
        average = "macro"
    classes = 2 if average == "binary" and binary else draw(st.sampled_from([2, 3, 4]))
    target = draw(labels(batch, classes)).astype(np.int32 if dtype == "float32" else np.int64)
    form = draw(
        st.sampled_from(["labels", "scores"] + (["probabilities"] if classes == 2 else []))
    )
    kwargs = {} if not macro else {"average": average}
    if average == "macro" and form != "scores":
        kwargs["num_classes"] = classes
    if form == "labels":
        input = draw(labels(batch, classes)).astype(target.dtype)
    elif form == "scores":
        input = draw(floats((*batch, classes), dtype))
    else:
        input = draw(unit_floats(batch, dtype))
        if draw(st.booleans()):
            kwargs["threshold"] = draw(st.sampled_from([0.3, 0.5, 0.9]))
    return Case(data=(input, target), kwargs=kwargs, config={"form": form, "classes": classes})


_SKLEARN_NAMES = {
    "accuracy": "accuracy_score",
    "confusion_matrix": "confusion_matrix",
    "f1_score": "f1_score",
    "precision": "precision_score",
    "recall": "recall_score",
}


def _predicted(case: Case) -> np.ndarray:
    input, _ = case.data
    if case.config["form"] == "scores":
        return np.argmax(input, axis=-1)  # the first maximum on ties, as jnp.argmax
    if case.config["form"] == "probabilities":
        return (input >= case.kwargs.get("threshold", 0.5)).astype(np.int64)
    return input


def _sklearn(name: str):
    def oracle(case: Case) -> np.ndarray:
        import sklearn.metrics

        target, predicted = case.data[1], _predicted(case)
        if name == "accuracy":
            return np.asarray(sklearn.metrics.accuracy_score(target, predicted))
        if name == "confusion_matrix":
            classes = range(case.config["classes"])
            return sklearn.metrics.confusion_matrix(target, predicted, labels=classes)
        score = getattr(sklearn.metrics, _SKLEARN_NAMES[name])
        average = case.kwargs.get("average", "binary")
        return np.asarray(score(target, predicted, average=average, zero_division=0))

    return oracle


def _metric_cases(name: str):
    def cases(dtype, smooth: bool = False):
        if name == "accuracy":
            return _metric_case(dtype, binary=False, macro=False)
        if name == "confusion_matrix":
            return _metric_case(dtype, binary=False, macro=False).map(
                lambda c: Case(data=c.data, kwargs={}, config=c.config)
            )
        return _metric_case(dtype, binary=True, macro=True)

    return cases


def _metric_funcnet(name: str):
    function = getattr(funcnet, name)

    def run(case: Case):
        if name == "confusion_matrix":
            return lambda: function(*case.data, case.config["classes"])
        return lambda: function(*case.data, **case.kwargs)

    return run


def _metric(name: str) -> Operator:
    return Operator(
        name=name,
        kind="metric",
        cases=_metric_cases(name),
        funcnet=_metric_funcnet(name),
        oracle=_sklearn(name),
        reference=f"sklearn.metrics.{_SKLEARN_NAMES[name]}",
        conventions=(
            "piecewise constant: no gradient is compared",
            "zero divisions give 0 (scikit-learn's zero_division=0)",
            "macro averages over the classes in target or predictions (scikit-learn's)",
            "scores: the arg-max, first maximum on ties",
        ),
        differentiable=False,
    )


# --- the registry ----------------------------------------------------------------------

_LOSS_CONVENTIONS = {
    "cross_entropy": (
        "takes logits and applies log_softmax itself",
        "'mean' with every target ignored (or all weights 0) is nan (0/0), as PyTorch",
        "class indices out of [0, C) raise outside jit, give nan under jit",
    ),
    "nll_loss": (
        "'mean' divides by the summed weights of the kept targets, as PyTorch",
        "'mean' with every target ignored is nan (0/0), as PyTorch",
    ),
    "mse_loss": ("target and input must have the same shape: no broadcasting",),
    "l1_loss": ("gradient 0 where input == target, as PyTorch's sign",),
    "smooth_l1_loss": ("beta = 0 is l1_loss",),
    "huber_loss": ("delta * smooth_l1_loss(beta=delta)",),
    "binary_cross_entropy": (
        "each log is clamped at -100 and the gradient divides by max(p(1-p), 1e-12), as "
        "PyTorch; PyTorch's 1e-12 is a float32 constant (9.99999996e-13), so float64 "
        "gradients where p(1-p) < 1e-12 differ by 4e-9 relative",
        "the gradient with respect to target at p = 0 or 1 is that of the clamped loss, "
        "log(1 - p) - log(p) with both logs clamped at -100 (+-100), where PyTorch's is "
        "+-inf",
    ),
    "binary_cross_entropy_with_logits": (
        "(1 - y) x + (1 + (pos_weight - 1) y) softplus(-x): exact for any finite logit",
        "logits of +-inf give nan (inf * 0), as PyTorch",
    ),
}

_LOSS_CASES = {
    "cross_entropy": lambda dtype, smooth=False: _cross_entropy_case(dtype, smooth),
    "nll_loss": lambda dtype, smooth=False: _nll_case(dtype, smooth),
    "mse_loss": _regression_cases("mse_loss"),
    "l1_loss": _regression_cases("l1_loss"),
    "smooth_l1_loss": _regression_cases("smooth_l1_loss"),
    "huber_loss": _regression_cases("huber_loss"),
    "binary_cross_entropy": lambda dtype, smooth=False: _bce_case(dtype, smooth),
    "binary_cross_entropy_with_logits": lambda dtype, smooth=False: _bce_logits_case(
        dtype, smooth
    ),
}


def _loss(name: str) -> Operator:
    extra: dict[str, Any] = {}
    if name == "cross_entropy":
        extra["grad_scale"] = _cross_entropy_grad_scale
    if name == "nll_loss":
        extra["scale"] = _nll_scale
    if name == "binary_cross_entropy":
        extra["rtol64"] = 1e-8  # PyTorch's float32 epsilon, see the convention
        extra["finite_gradients_only"] = (1,)  # the target gradient at p = 0 or 1
    if name == "binary_cross_entropy_with_logits":
        extra["scale"] = _bce_logits_scale
        extra["grad_scale"] = _bce_logits_grad_scale
    return Operator(
        name=name,
        kind="loss",
        jit=True,
        cases=_LOSS_CASES[name],
        funcnet=_loss_funcnet(name),
        torch=_loss_torch(name),
        reference=f"torch.nn.functional.{name}",
        conventions=_LOSS_CONVENTIONS[name],
        **extra,
    )


def _layer(name, cases, run, torch_run, reference, conventions=(), **extra) -> Operator:
    def strategy(dtype, smooth=False):
        return cases(dtype, smooth)

    return Operator(
        name=name,
        kind="layer",
        jit=name not in ("Flatten", "Identity"),
        cases=strategy,
        funcnet=run,
        torch=torch_run,
        reference=reference,
        conventions=conventions,
        **extra,
    )


_LAYERS = [
    _layer(
        "Linear",
        _linear_case,
        _linear_funcnet,
        lambda c: lambda x, weight, *bias: TF.linear(x, weight, *bias),
        "torch.nn.functional.linear",
        ("weight is (out_features, in_features), as PyTorch",),
        scale=_sum_scale,
    ),
    _layer(
        "Conv2d",
        _conv_case,
        _conv_funcnet,
        _conv_torch,
        "torch.nn.functional.conv2d",
        (
            "padding='same' puts an odd total on the bottom and right, as PyTorch",
            "geometries on which XLA aborts while differentiating are left out (xla_aborts_on)",
        ),
        scale=_sum_scale,
    ),
    _layer(
        "MaxPool2d",
        _maxpool_case,
        lambda c: lambda x: funcnet.MaxPool2d(**c.config).apply({}, x),
        lambda c: lambda t: TF.max_pool2d(t, **c.config),
        "torch.nn.functional.max_pool2d",
        (
            "the gradient goes to the first maximum of a window (row-major), as PyTorch",
            "a window entirely in the padding (possible with dilation) gives -inf and no "
            "gradient; PyTorch's backward corrupts memory there, so it is not compared",
        ),
    ),
    _layer(
        "AvgPool2d",
        _avgpool_case,
        lambda c: lambda x: funcnet.AvgPool2d(**c.config).apply({}, x),
        lambda c: lambda t: TF.avg_pool2d(t, **c.config),
        "torch.nn.functional.avg_pool2d",
        ("cells a ceil-mode window reaches past the padding never count, as PyTorch",),
        scale=_avgpool_scale,
    ),
    _layer(
        "MaxUnpool2d",
        _maxunpool_case,
        _maxunpool_funcnet,
        _maxunpool_torch,
        "torch.nn.functional.max_unpool2d",
        (
            "the gradient gathers the output's gradient at the indices, as PyTorch",
            "windows that overlap (a repeated index) are left to tests/test_torch_arguments.py",
        ),
    ),
    _layer(
        "Dropout",
        _dropout_case,
        _dropout_funcnet,
        _dropout_torch,
        "torch.nn.functional.dropout",
        (
            "masks come from JAX's PRNG: only the arithmetic given a mask is compared",
            "evaluation (training=False) is the identity; p=1 multiplies by 0 (nan stays)",
        ),
    ),
    _layer(
        "Flatten",
        _flatten_case,
        lambda c: lambda x: funcnet.Flatten(**c.kwargs).apply({}, x),
        lambda c: lambda t: torch.nn.Flatten(**c.kwargs)(t),
        "torch.nn.Flatten",
        ("a 0-d input flattens to (1,), as torch.flatten; torch.nn.Flatten refuses it",),
    ),
    _layer(
        "Identity",
        _identity_case,
        lambda c: lambda x: funcnet.Identity().apply({}, x),
        lambda c: lambda t: torch.nn.Identity()(t),
        "torch.nn.Identity",
    ),
    _layer(
        "Sequential",
        _sequential_case,
        _sequential_funcnet,
        _sequential_torch,
        "torch.nn.Sequential",
        ("params are a tuple with one entry per layer ({} for none)",),
        scale=_sequential_scale,
    ),
    _layer(
        "BatchNorm1d",
        functools.partial(batch_norm_case, name="BatchNorm1d"),
        _batch_norm_funcnet("BatchNorm1d"),
        _batch_norm_torch,
        "torch.nn.functional.batch_norm",
        _BATCH_NORM_CONVENTIONS,
        scale=_BATCH_NORM_SCALE,
        grad_scale=_BATCH_NORM_GRAD_SCALE,
    ),
    _layer(
        "BatchNorm2d",
        functools.partial(batch_norm_case, name="BatchNorm2d"),
        _batch_norm_funcnet("BatchNorm2d"),
        _batch_norm_torch,
        "torch.nn.functional.batch_norm",
        _BATCH_NORM_CONVENTIONS,
        scale=_BATCH_NORM_SCALE,
        grad_scale=_BATCH_NORM_GRAD_SCALE,
    ),
    _layer(
        "LayerNorm",
        _layer_norm_case,
        _layer_norm_funcnet,
        _layer_norm_torch,
        "torch.nn.functional.layer_norm",
        (
            "normalises with the biased variance of the trailing axes, as PyTorch",
            _float32_variance("PyTorch's layer_norm gives the bias for some rows, nan for others"),
        ),
        scale=_LAYER_NORM_SCALE,
        grad_scale=_LAYER_NORM_GRAD_SCALE,
    ),
    _layer(
        "Embedding",
        _embedding_case,
        _embedding_funcnet,
        _embedding_torch,
        "torch.nn.functional.embedding",
        (
            "the differentiable array is the table; the indices are data",
            "the padding_idx row is looked up as it is and gets no gradient, as PyTorch (so "
            "numerical gradient checks leave it out); a negative padding_idx counts from the end",
            "an index outside [0, num_embeddings) raises outside jit, and gives a row of nan "
            "under plain jit (PyTorch raises)",
        ),
        grad_scale=_embedding_grad_scale,
    ),
]

_METRICS = ["accuracy", "confusion_matrix", "f1_score", "precision", "recall"]

OPERATORS: dict[str, Operator] = {
    op.name: op
    for op in [
        *map(_activation, _ACTIVATIONS),
        *map(_activation_layer, _ACTIVATIONS),
        *_LAYERS,
        *map(_loss, _LOSS_CASES),
        *map(_metric, _METRICS),
    ]
}

# Public names that are not operators, and where they are tested.
NOT_OPERATORS = {
    "Layer": "the abstract base class; every concrete layer is registered",
    "ShapeError": "an exception: tests/trust/test_bad_input.py",
    "StateDictError": "an exception: tests/trust/test_bad_input.py",
    "CheckpointError": "an exception: tests/trust/test_bad_input.py",
    "DivergenceError": "an exception of fit: tests/test_train_trust.py",
    "TrainingInterrupted": "an exception of fit: tests/test_train_trust.py, tests/test_cli.py",
    "DoubleSoftmaxWarning": "a warning of fit: tests/test_train_trust.py",
    "checked": "wraps a function with run-time checks: tests/test_train_trust.py",
    "Summary": "a table of shapes: tests/test_params.py",
    "summary": "shapes without computing: tests/test_params.py",
    "count_parameters": "bookkeeping: tests/test_params.py",
    "named_parameters": "bookkeeping: tests/test_params.py",
    "named_buffers": "bookkeeping: tests/test_params.py",
    "graph": "traces a function into its computation graph: tests/test_graph.py",
    "Graph": "a traced computation graph and its topological order: tests/test_graph.py",
    "state_dict": "bookkeeping: tests/test_params.py",
    "load_state_dict": "bookkeeping: tests/test_params.py, bad input in the catalogue",
    "TrainState": "training: tests/test_train.py, tests/trust/test_determinism.py",
    "init_state": "training: tests/test_train.py",
    "make_train_step": "training: tests/test_train.py, tests/trust/test_purity.py",
    "fit": "training: tests/test_train.py, tests/trust/test_determinism.py",
    "evaluate": "training: tests/test_train.py",
    "predict": "training: tests/test_train.py",
    "per_example_grads": "training: tests/test_train.py",
    "steps_per_epoch": "arithmetic on counts: tests/test_train.py",
    "checkpoint": "a module: tests/test_checkpoint.py",
    "data": "a module: tests/test_data.py",
    "devices": "a module: tests/test_devices.py",
    "sweep": "training many runs at once: tests/test_sweep.py",
    "select_run": "indexing a stacked state: tests/test_sweep.py",
    "SweepRun": "a run's configuration: tests/test_sweep.py",
    "SweepHistory": "a sweep's per-run figures: tests/test_sweep.py",
    "SweepInterrupted": "an exception of sweep: tests/test_sweep.py",
    "init": "a module of initializers: tests/test_init.py",
    "models": "a module of ready-made Sequentials of registered layers: tests/test_layers.py",
}

DIFFERENTIABLE = [name for name, op in OPERATORS.items() if op.differentiable]
WITH_TORCH = [name for name, op in OPERATORS.items() if op.torch is not None]
WITH_ORACLE = [name for name, op in OPERATORS.items() if op.oracle is not None]
