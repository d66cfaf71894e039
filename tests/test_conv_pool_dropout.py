"""Conv2d, MaxPool2d, AvgPool2d and Dropout against PyTorch (float64), plus their contracts."""

from __future__ import annotations

import math
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import funcnet
from funcnet import init
from funcnet.layers.activation import Flatten, ReLU
from funcnet.layers.conv import Conv2d
from funcnet.layers.dropout import Dropout
from funcnet.layers.linear import Linear
from funcnet.layers.pool import AvgPool2d, MaxPool2d
from funcnet.layers.sequential import Sequential

KEY = jax.random.key(0)


def _id(value: object) -> str:
    """A test id that is the same in every process (no object addresses)."""
    if callable(value) and getattr(value, "__name__", "") == "<lambda>":
        return "call"
    return str(value)


def _normal(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _leaf(array) -> torch.Tensor:
    return torch.from_numpy(np.array(array, dtype=np.float64)).requires_grad_(True)


def _funcnet_run(layer, params, x, cotangent):
    """Output and the gradients of sum(y * cotangent) w.r.t. params and x, in one compile."""

    def loss(params, x):
        y = layer.apply(params, x)
        return jnp.sum(y * cotangent), y

    run = jax.jit(jax.value_and_grad(loss, argnums=(0, 1), has_aux=True))
    (_, y), (grad_params, grad_x) = run(params, jnp.asarray(x))
    return y, grad_params, grad_x


def _random_params(layer, seed=9):
    """Conv2d params drawn here, not by `init`: the comparison copies them to torch anyway."""
    params = {"weight": jnp.asarray(_normal(layer.weight_shape, seed))}
    if layer.bias:
        params["bias"] = jnp.asarray(_normal((layer.out_channels,), seed + 1))
    return params


def _close(actual, expected):
    expected = expected.detach().numpy() if isinstance(expected, torch.Tensor) else expected
    np.testing.assert_allclose(np.asarray(actual), expected, rtol=1e-10, atol=1e-12)


def _torch_error(function) -> str:
    with pytest.raises(RuntimeError) as caught:
        function()
    return re.escape(str(caught.value))


# ----------------------------------------------------------------------------- Conv2d

CONV_CASES = [
    # in, out, kernel, stride, padding, dilation, groups, bias, input shape
    (3, 4, 3, 1, 0, 1, 1, True, (2, 3, 7, 7)),
    (3, 4, 3, 2, 1, 1, 1, True, (2, 3, 8, 8)),
    (3, 4, (2, 3), (2, 1), (1, 0), 1, 1, False, (2, 3, 7, 6)),
    (2, 3, 3, 3, 0, 1, 1, True, (1, 2, 10, 11)),
    (4, 6, 3, 1, "same", 1, 2, True, (2, 4, 6, 5)),
    (4, 6, 2, 1, "same", 1, 1, True, (1, 4, 5, 5)),
    (2, 3, (4, 2), 1, "same", (1, 3), 1, False, (2, 2, 7, 8)),
    (3, 4, 3, 1, "valid", 2, 1, True, (2, 3, 9, 9)),
    (4, 4, 3, 2, 2, (2, 1), 4, False, (2, 4, 9, 8)),
    (4, 8, 1, 1, 0, 1, 2, True, (3, 4, 4, 4)),
    (3, 5, 3, 1, 1, 1, 1, True, (3, 6, 6)),
    (4, 2, 2, 1, "same", 2, 2, True, (4, 5, 6)),
]


@pytest.mark.parametrize("case", CONV_CASES, ids=_id)
# PyTorch notes that it pads a copy for even "same" kernels; the result is what we check.
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel:UserWarning")
def test_conv2d_matches_torch_values_and_gradients(case):
    in_channels, out_channels, kernel, stride, padding, dilation, groups, bias, shape = case
    layer = Conv2d(in_channels, out_channels, kernel, stride, padding, dilation, groups, bias)
    params = _random_params(layer)
    x = _normal(shape, seed=1)
    cotangent = _normal(layer.output_shape(shape), seed=2)
    y, grad_params, grad_x = _funcnet_run(layer, params, x, cotangent)

    x_t, w_t = _leaf(x), _leaf(params["weight"])
    b_t = _leaf(params["bias"]) if bias else None
    y_t = F.conv2d(x_t, w_t, b_t, layer.stride, layer.padding, layer.dilation, layer.groups)
    (y_t * torch.from_numpy(cotangent)).sum().backward()
    _close(y, y_t)
    _close(grad_x, x_t.grad)
    _close(grad_params["weight"], w_t.grad)
    if bias:
        _close(grad_params["bias"], b_t.grad)
    else:
        assert set(params) == {"weight"}


@pytest.mark.parametrize("bias", [True, False])
def test_conv2d_loads_a_torch_state_dict(bias):
    torch.manual_seed(0)
    module = torch.nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2, bias=bias).double()
    layer = Conv2d(4, 6, 3, stride=2, padding=1, groups=2, bias=bias)
    params = funcnet.load_state_dict(layer.init(KEY, (2, 4, 7, 7)), module.state_dict())
    x = _normal((2, 4, 7, 7))
    _close(layer(params, x), module(torch.from_numpy(x)))


def test_conv2d_loads_float32_torch_weights_into_float32_params():
    torch.manual_seed(0)
    module = torch.nn.Conv2d(3, 5, 3, padding="same")
    layer = Conv2d(3, 5, 3, padding="same", dtype=jnp.float32)
    params = funcnet.load_state_dict(layer.init(KEY, (1, 3, 6, 6)), module.state_dict())
    x = _normal((1, 3, 6, 6)).astype(np.float32)
    y = layer(params, x)
    assert y.dtype == jnp.float32
    expected = module(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    ("layer", "expected"),
    [
        (Conv2d(3, 16, 3), torch.nn.Conv2d(3, 16, 3)),
        (
            Conv2d(3, 16, (3, 2), stride=2, padding=1, dilation=2, bias=False),
            torch.nn.Conv2d(3, 16, (3, 2), stride=2, padding=1, dilation=2, bias=False),
        ),
        (
            Conv2d(4, 16, 3, padding="same", groups=2),
            torch.nn.Conv2d(4, 16, 3, padding="same", groups=2),
        ),
        (Conv2d(4, 16, [3, 3], padding="valid"), torch.nn.Conv2d(4, 16, 3, padding="valid")),
        (MaxPool2d(2), torch.nn.MaxPool2d(2)),
        (
            MaxPool2d((2, 3), stride=1, padding=1, dilation=2, ceil_mode=True),
            torch.nn.MaxPool2d((2, 3), stride=1, padding=1, dilation=2, ceil_mode=True),
        ),
        (AvgPool2d(2), torch.nn.AvgPool2d(2)),
        (
            AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False),
            torch.nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False),
        ),
    ],
    ids=_id,
)
def test_repr_is_torchs(layer, expected):
    assert repr(layer) == repr(expected)


def test_dropout_repr_and_normalised_conv_fields_compare_equal():
    assert repr(Dropout()) == "Dropout(p=0.5)"
    assert Conv2d(3, 4, 3) == Conv2d(3, 4, (3, 3), stride=(1, 1))
    assert hash(MaxPool2d([2, 2])) == hash(MaxPool2d((2, 2)))


def test_conv2d_default_init_is_pytorchs():
    layer = Conv2d(8, 32, 3, groups=2)
    params = layer.init(KEY, (1, 8, 5, 5))
    bound = 1 / math.sqrt(8 // 2 * 3 * 3)  # fan_in = in_channels / groups * kh * kw
    assert params["weight"].shape == (32, 4, 3, 3)
    for array in (params["weight"], params["bias"]):
        assert float(jnp.abs(array).max()) <= bound
        assert float(jnp.abs(array).max()) > 0.8 * bound
    again = layer.init(KEY, (1, 8, 5, 5))
    assert bool((again["weight"] == params["weight"]).all())


def test_conv2d_dtype_and_custom_initializers():
    layer = Conv2d(2, 3, 2, dtype=jnp.float32, weight_init=init.ones(), bias_init=init.zeros())
    params = layer.init(KEY, (2, 4, 4))
    assert params["weight"].dtype == jnp.float32
    assert bool((params["weight"] == 1).all() and (params["bias"] == 0).all())
    # All-ones 2x2 kernels over 2 channels sum 8 ones.
    y = layer(params, jnp.ones((2, 4, 4), jnp.float32))
    assert y.shape == (3, 3, 3) and bool((y == 8).all())


# ----------------------------------------------------------------------------- pools

MAX_CASES = [
    # kernel, stride, padding, dilation, ceil_mode, input shape
    (2, None, 0, 1, False, (2, 3, 6, 6)),
    (3, 2, 1, 1, False, (2, 3, 7, 7)),
    (3, 2, 1, 1, True, (2, 3, 8, 8)),
    ((2, 3), (1, 2), (1, 1), 1, True, (1, 2, 5, 7)),
    (2, 2, 1, 1, True, (1, 2, 3, 3)),
    (3, 1, 1, 2, False, (2, 2, 7, 7)),
    (2, 2, 1, (2, 1), True, (1, 2, 6, 5)),
    (3, 3, 0, 1, True, (3, 7, 8)),
    (2, None, 0, 2, False, (3, 6, 6)),
]


@pytest.mark.parametrize("case", MAX_CASES, ids=_id)
def test_max_pool2d_matches_torch_values_and_gradients(case):
    kernel, stride, padding, dilation, ceil_mode, shape = case
    layer = MaxPool2d(kernel, stride, padding, dilation, ceil_mode)
    x = _normal(shape, seed=3)
    cotangent = _normal(layer.output_shape(shape), seed=4)
    y, _, grad_x = _funcnet_run(layer, {}, x, cotangent)
    x_t = _leaf(x)
    y_t = F.max_pool2d(x_t, kernel, stride, padding, dilation, ceil_mode)
    (y_t * torch.from_numpy(cotangent)).sum().backward()
    _close(y, y_t)
    _close(grad_x, x_t.grad)


@pytest.mark.parametrize("dilation", [1, 2])
def test_max_pool2d_sends_the_gradient_of_a_tie_to_the_first_maximum(dilation):
    # After a ReLU many window entries tie at 0; PyTorch picks the first in row-major order.
    layer = MaxPool2d(3, 1, 1, dilation)
    x = np.maximum(np.round(_normal((1, 2, 7, 7), seed=5)), 0.0)
    cotangent = _normal(layer.output_shape(x.shape), seed=6)
    _, _, grad_x = _funcnet_run(layer, {}, x, cotangent)
    x_t = _leaf(x)
    (F.max_pool2d(x_t, 3, 1, 1, dilation) * torch.from_numpy(cotangent)).sum().backward()
    _close(grad_x, x_t.grad)


def test_max_pool2d_accepts_integers_as_torch():
    x = np.arange(-30, 45).reshape(1, 3, 5, 5)
    expected = F.max_pool2d(torch.from_numpy(x), 2, 2, 1, ceil_mode=True).numpy()
    y = MaxPool2d(2, 2, 1, ceil_mode=True)({}, x)
    assert y.dtype == x.dtype
    np.testing.assert_array_equal(y, expected)


AVG_CASES = [
    # kernel, stride, padding, ceil_mode, count_include_pad, divisor_override, input shape
    (2, None, 0, False, True, None, (2, 3, 6, 6)),
    (3, 2, 1, False, True, None, (2, 3, 7, 7)),
    (3, 2, 1, False, False, None, (2, 3, 7, 7)),
    (3, 2, 1, True, True, None, (2, 3, 8, 8)),
    (3, 2, 1, True, False, None, (2, 3, 8, 8)),
    ((2, 3), (2, 1), (1, 1), True, True, None, (1, 2, 5, 7)),
    (2, 2, 1, True, True, None, (1, 2, 3, 3)),
    (3, 2, 1, False, True, 2, (1, 2, 6, 6)),
    (3, 3, 1, True, False, None, (2, 7, 8)),
]


@pytest.mark.parametrize("case", AVG_CASES, ids=_id)
def test_avg_pool2d_matches_torch_values_and_gradients(case):
    kernel, stride, padding, ceil_mode, include, divisor, shape = case
    layer = AvgPool2d(kernel, stride, padding, ceil_mode, include, divisor)
    x = _normal(shape, seed=7)
    cotangent = _normal(layer.output_shape(shape), seed=8)
    y, _, grad_x = _funcnet_run(layer, {}, x, cotangent)
    x_t = _leaf(x)
    y_t = F.avg_pool2d(x_t, kernel, stride, padding, ceil_mode, include, divisor)
    (y_t * torch.from_numpy(cotangent)).sum().backward()
    _close(y, y_t)
    _close(grad_x, x_t.grad)


# ----------------------------------------------------------------------------- contracts

CONTRACT_CASES = [
    (Conv2d(3, 4, 3, padding=1), (2, 3, 6, 6)),
    (Conv2d(4, 6, 2, stride=2, groups=2, bias=False), (4, 5, 7)),
    (Conv2d(3, 4, 3), (0, 3, 5, 5)),
    (MaxPool2d(2), (2, 3, 6, 6)),
    (MaxPool2d(3, 2, 1, dilation=2, ceil_mode=True), (3, 9, 9)),
    (AvgPool2d(3, 2, 1, ceil_mode=True), (2, 3, 8, 8)),
    (Dropout(0.3), (2, 3, 4)),
]


@pytest.mark.parametrize(("layer", "shape"), CONTRACT_CASES, ids=_id)
def test_promised_shape_is_apply_shape_is_eval_shape_and_transforms_compose(layer, shape):
    # Everything under jit: one compile per transform keeps this grid quick.
    params = jax.jit(layer.init, static_argnums=1)(KEY, shape)
    x = jnp.asarray(_normal(shape))
    promised = layer.output_shape(shape)
    y = jax.jit(layer.apply)(params, x)
    assert y.shape == promised
    assert jax.eval_shape(layer.apply, params, x).shape == promised

    def trained(params, x):
        return layer.apply(params, x, key=KEY, training=True)

    assert jax.eval_shape(trained, params, x).shape == promised
    grad = jax.jit(jax.grad(lambda p, x: jnp.sum(trained(p, x) ** 2), argnums=(0, 1)))
    assert jax.tree.map(jnp.shape, grad(params, x)) == jax.tree.map(jnp.shape, (params, x))
    if len(shape) == 4 and not isinstance(layer, Dropout):
        # vmap over unbatched (C, H, W) images gives the batched result.
        mapped = jax.jit(jax.vmap(layer.apply, in_axes=(None, 0)))(params, x)
        np.testing.assert_allclose(mapped, y, rtol=1e-12)


def test_a_small_cnn_matches_the_same_torch_model():
    model = Sequential(
        Conv2d(1, 4, 3, padding=1),
        ReLU(),
        MaxPool2d(2),
        Conv2d(4, 8, 3),
        ReLU(),
        AvgPool2d(2, ceil_mode=True),
        Flatten(),
        Dropout(0.2),
        Linear(32, 3),
    )
    reference = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(4, 8, 3),
        torch.nn.ReLU(),
        torch.nn.AvgPool2d(2, ceil_mode=True),
        torch.nn.Flatten(),
        torch.nn.Dropout(0.2),
        torch.nn.Linear(32, 3),
    ).double()
    reference.eval()
    params_like = jax.jit(model.init, static_argnums=1)(KEY, (5, 1, 10, 10))
    params = funcnet.load_state_dict(params_like, reference.state_dict())
    x = _normal((5, 1, 10, 10))
    run = jax.jit(model.apply, static_argnames="training")
    evaluated = run(params, x)
    _close(evaluated, reference(torch.from_numpy(x)))
    trained = run(params, x, key=KEY, training=True)
    assert trained.shape == (5, 3)
    assert not bool(jnp.allclose(trained, evaluated))


def test_a_shape_error_inside_sequential_names_the_layer():
    model = Sequential(Conv2d(3, 4, 3), ReLU(), Conv2d(3, 8, 3))
    with pytest.raises(funcnet.ShapeError, match=r"(?s)have 3 channels.*layer 2, Conv2d\(3, 8"):
        model.init(KEY, (1, 3, 8, 8))


# ----------------------------------------------------------------------------- Dropout


def test_dropout_is_the_identity_in_evaluation():
    layer = Dropout(0.5)
    x = jnp.asarray(_normal((3, 4)))
    np.testing.assert_array_equal(layer({}, x), x)
    np.testing.assert_array_equal(layer({}, x, key=KEY), x)
    np.testing.assert_array_equal(layer({}, jnp.arange(4)), jnp.arange(4))
    np.testing.assert_array_equal(Dropout(0.0)({}, x, key=KEY, training=True), x)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_keeps_about_one_minus_p_and_preserves_the_mean(p):
    x = jnp.ones((400, 500))
    y = Dropout(p)({}, x, key=jax.random.key(1), training=True)
    kept = y != 0
    # 200,000 Bernoulli draws: the standard error of the kept fraction is below 0.0012.
    assert abs(float(kept.mean()) - (1 - p)) < 0.01
    assert abs(float(y.mean()) - 1.0) < 0.05
    np.testing.assert_allclose(y[kept], 1 / (1 - p), rtol=1e-12)


def test_dropout_same_key_same_mask_different_key_different_mask():
    layer = Dropout(0.5)
    x = jnp.ones(1000)
    first = layer({}, x, key=jax.random.key(7), training=True)
    np.testing.assert_array_equal(layer({}, x, key=jax.random.key(7), training=True), first)
    assert not bool((layer({}, x, key=jax.random.key(8), training=True) == first).all())
    raw = layer({}, x, key=jax.random.PRNGKey(7), training=True)
    assert raw.shape == x.shape


def test_dropout_p_one_gives_zeros_and_keeps_nan_as_torch():
    x = np.array([np.nan, 1.0, -2.0])
    y = Dropout(1.0)({}, x, key=KEY, training=True)
    np.testing.assert_array_equal(y, F.dropout(torch.from_numpy(x), 1.0).numpy())


def test_dropout_gradient_is_the_scaled_mask_and_transforms_compose():
    layer = Dropout(0.25)
    x = jnp.asarray(_normal((50,)))

    def run(x, key):
        return layer.apply({}, x, key=key, training=True)

    y = run(x, KEY)
    np.testing.assert_allclose(jax.jit(run)(x, KEY), y, rtol=1e-15)
    grad = jax.jit(jax.grad(lambda x: jnp.sum(run(x, KEY))))(x)
    np.testing.assert_allclose(grad, (y != 0) / 0.75, rtol=1e-15)
    masks = jax.jit(jax.vmap(lambda k: run(jnp.ones(50), k)))(jax.random.split(KEY, 4))
    assert masks.shape == (4, 50)
    assert not bool((masks[0] == masks[1]).all())


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"in_channels": 0}, ValueError, "in_channels must be a positive int, got 0"),
        ({"in_channels": "3"}, TypeError, "in_channels must be a positive int"),
        ({"out_channels": True}, TypeError, "out_channels must be a positive int"),
        ({"groups": 0}, ValueError, "groups must be a positive int"),
        ({"groups": 2}, ValueError, "in_channels must be divisible by groups"),
        ({"in_channels": 4, "groups": 4}, ValueError, "out_channels must be divisible by groups"),
        ({"kernel_size": 0}, ValueError, "kernel_size must be a positive int or a pair"),
        ({"kernel_size": (1, 2, 3)}, ValueError, "has 3 entries instead of 2"),
        ({"kernel_size": 2.5}, TypeError, "kernel_size must be a positive int .* float"),
        ({"stride": (1, 0)}, ValueError, "stride must be a positive int"),
        ({"dilation": -1}, ValueError, "dilation must be a positive int"),
        ({"padding": -1}, ValueError, "padding must be a non-negative int"),
        ({"padding": "full"}, ValueError, "invalid padding string 'full'.*'same' or 'valid'"),
        ({"padding": "same", "stride": 2}, ValueError, "not supported for strided"),
        ({"bias": 1}, TypeError, "bias must be True or False"),
        ({"weight_init": 0.1}, TypeError, "weight_init must be callable"),
        ({"dtype": "nonsense"}, TypeError, "nonsense"),
    ],
    ids=_id,
)
def test_conv2d_rejects_bad_arguments(kwargs, error, message):
    arguments = {"in_channels": 3, "out_channels": 6, "kernel_size": 3} | kwargs
    with pytest.raises(error, match=message):
        Conv2d(**arguments)


def test_conv2d_rejects_an_integer_dtype_when_built():
    with pytest.raises(TypeError, match="Conv2d: dtype must be a floating dtype, got int32"):
        Conv2d(3, 6, 3, dtype=jnp.int32)


@pytest.mark.parametrize(
    ("layer", "shape"),
    [
        (Conv2d(3, 16, 3), (2, 4, 8, 8)),
        (Conv2d(3, 16, 3), (4, 8, 8)),
        (Conv2d(4, 16, 3, groups=2), (2, 3, 8, 8)),
        (Conv2d(3, 16, 3), (3, 8)),
        (Conv2d(3, 16, 3), (2, 3, 2, 2)),
        (Conv2d(3, 16, 3, dilation=2, padding=(0, 1)), (2, 3, 4, 4)),
        (Conv2d(3, 16, 3), (2, 3, 0, 8)),
    ],
    ids=_id,
)
def test_conv2d_shape_errors_use_torchs_words(layer, shape):
    module = torch.nn.Conv2d(
        layer.in_channels,
        layer.out_channels,
        layer.kernel_size,
        layer.stride,
        layer.padding,
        layer.dilation,
        layer.groups,
    )
    expected = _torch_error(lambda: module(torch.zeros(shape)))
    with pytest.raises(funcnet.ShapeError, match=expected):
        layer.init(KEY, shape)
    with pytest.raises(ValueError, match=expected):
        layer.apply(_random_params(layer), jnp.zeros(shape))


def test_conv2d_channel_error_suggests_the_matching_layer():
    with pytest.raises(funcnet.ShapeError, match=r"Fix: .*build Conv2d\(4, 16, kernel_size"):
        Conv2d(3, 16, 3).output_shape((2, 4, 8, 8))


def test_conv2d_apply_rejects_bad_params_and_integer_input():
    layer = Conv2d(3, 4, 3)
    params = _random_params(layer)
    x = jnp.zeros((1, 3, 5, 5))
    with pytest.raises(TypeError, match="expects a floating-point input, got dtype int"):
        layer(params, jnp.zeros((1, 3, 5, 5), jnp.int32))
    with pytest.raises(ValueError, match="needs params with a 'weight' entry"):
        layer({}, x)
    with pytest.raises(ValueError, match=r"weight of shape \(4, 3, 3, 3\).*got \(4, 3, 2, 2\)"):
        layer({"weight": jnp.zeros((4, 3, 2, 2)), "bias": params["bias"]}, x)
    with pytest.raises(ValueError, match="needs params with a 'bias' entry"):
        layer({"weight": params["weight"]}, x)
    with pytest.raises(ValueError, match=r"bias of shape \(4,\), got \(3,\)"):
        layer({"weight": params["weight"], "bias": jnp.zeros(3)}, x)


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (lambda: MaxPool2d(0), ValueError, "kernel_size must be a positive int"),
        (lambda: MaxPool2d(2, stride=0), ValueError, "stride must be a positive int"),
        (lambda: MaxPool2d(2, padding=-1), ValueError, "padding must be a non-negative int"),
        (lambda: MaxPool2d(2, dilation=0), ValueError, "dilation must be a positive int"),
        (lambda: MaxPool2d(2, ceil_mode=1), TypeError, "ceil_mode must be True or False"),
        (lambda: MaxPool2d("2"), TypeError, "kernel_size must be a positive int"),
        (lambda: AvgPool2d(2, count_include_pad=0), TypeError, "count_include_pad must be"),
        (lambda: AvgPool2d(2, divisor_override=0), ValueError, "divisor_override must be"),
        (lambda: AvgPool2d(2, divisor_override=1.5), TypeError, "divisor_override must be"),
    ],
    ids=_id,
)
def test_pools_reject_bad_arguments(build, error, message):
    with pytest.raises(error, match=message):
        build()


@pytest.mark.parametrize(
    ("kernel", "padding", "dilation"), [(3, 2, 1), (3, 2, 2), ((2, 4), (1, 3), 1)]
)
def test_pool_padding_must_be_at_most_half_the_kernel_as_torch(kernel, padding, dilation):
    x = torch.zeros(1, 1, 9, 9)
    expected = _torch_error(lambda: F.max_pool2d(x, kernel, 1, padding, dilation))
    with pytest.raises(ValueError, match=f"MaxPool2d: {expected}; padding must be at most"):
        MaxPool2d(kernel, 1, padding, dilation)
    if dilation == 1:
        expected = _torch_error(lambda: F.avg_pool2d(x, kernel, 1, padding))
        with pytest.raises(ValueError, match=expected):
            AvgPool2d(kernel, 1, padding)


@pytest.mark.parametrize("shape", [(1, 1, 2, 2), (1, 2, 2), (1, 0, 8), (1, 1, 0, 8)], ids=_id)
@pytest.mark.parametrize("pool", ["max", "avg"])
def test_pool_shape_errors_use_torchs_words(shape, pool):
    layer = MaxPool2d(3) if pool == "max" else AvgPool2d(3)
    function = F.max_pool2d if pool == "max" else F.avg_pool2d
    expected = _torch_error(lambda: function(torch.zeros(shape), 3))
    with pytest.raises(funcnet.ShapeError, match=expected):
        layer.output_shape(shape)
    with pytest.raises(funcnet.ShapeError, match=expected):
        layer.apply({}, jnp.zeros(shape))


def test_pool_rank_error_uses_torchs_words():
    expected = _torch_error(lambda: F.max_pool2d(torch.zeros(8, 8), 2))
    for layer in (MaxPool2d(2), AvgPool2d(2)):
        with pytest.raises(funcnet.ShapeError, match=expected):
            layer.output_shape((8, 8))


def test_pools_reject_unsupported_dtypes():
    with pytest.raises(TypeError, match="expects a floating-point input, got dtype int"):
        AvgPool2d(2)({}, jnp.zeros((1, 4, 4), jnp.int32))
    with pytest.raises(TypeError, match="expects a real-valued input, got dtype bool"):
        MaxPool2d(2)({}, jnp.zeros((1, 4, 4), bool))


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (lambda: Dropout(1.5), ValueError, "has to be between 0 and 1, but got 1.5"),
        (lambda: Dropout(-0.1), ValueError, "has to be between 0 and 1, but got -0.1"),
        (lambda: Dropout(True), TypeError, "p must be a real number in"),
        (lambda: Dropout("0.5"), TypeError, "p must be a real number in"),
    ],
    ids=_id,
)
def test_dropout_rejects_bad_p(build, error, message):
    with pytest.raises(error, match=message):
        build()


def test_dropout_training_errors():
    layer = Dropout()
    x = jnp.ones(4)
    with pytest.raises(
        ValueError, match=r"pass key=jax.random.key\(seed\) to apply, or training=False"
    ):
        layer({}, x, training=True)
    with pytest.raises(TypeError, match="key must be a single PRNG key"):
        layer({}, x, key=0, training=True)
    with pytest.raises(TypeError, match="expects a floating-point input, got dtype int"):
        layer({}, jnp.arange(4), key=KEY, training=True)
