"""PyTorch arguments beyond the basics, against torch: softmax's `dtype=`, and the
1-tuple and empty size forms of conv and pool arguments."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import funcnet
from funcnet.layers import MaxUnpool2d

_TORCH_DTYPES = {jnp.float32: torch.float32, jnp.float64: torch.float64}


def _normal(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("source", [jnp.float32, jnp.float64])
@pytest.mark.parametrize("target", [jnp.float32, jnp.float64])
@pytest.mark.parametrize("dim", [-1, 0])
def test_softmax_dtype_matches_torch(name, source, target, dim):
    x = _normal((3, 4)).astype(source)
    cotangent = _normal((3, 4), seed=1)

    def loss(x):
        y = getattr(funcnet, name)(x, dim, dtype=target)
        return jnp.sum(y * cotangent.astype(target)), y

    (_, y), grad = jax.value_and_grad(loss, has_aux=True)(jnp.asarray(x))
    t = torch.tensor(x, dtype=_TORCH_DTYPES[source], requires_grad=True)
    ty = getattr(TF, name)(t, dim, dtype=_TORCH_DTYPES[target])
    (ty * torch.tensor(cotangent, dtype=_TORCH_DTYPES[target])).sum().backward()

    assert y.dtype == target and grad.dtype == source
    assert str(ty.dtype).endswith(str(y.dtype)) and str(t.grad.dtype).endswith(str(grad.dtype))
    tolerance = 1e-6 if jnp.float32 in (source, target) else 1e-12
    np.testing.assert_allclose(np.asarray(y), ty.detach().numpy(), rtol=tolerance, atol=tolerance)
    np.testing.assert_allclose(np.asarray(grad), t.grad.numpy(), rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_dtype_none_keeps_the_input_dtype(name):
    x = jnp.ones(3, jnp.float32)
    assert getattr(funcnet, name)(x).dtype == jnp.float32
    assert getattr(funcnet, name)(x, dtype=None).dtype == jnp.float32


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dtype", [jnp.int32, "not a dtype"])
def test_softmax_dtype_must_be_floating(name, dtype):
    match = rf"{name}: dtype must be a floating dtype, got .*; pass .* or jnp.float64, or None"
    with pytest.raises(TypeError, match=match):
        getattr(funcnet, name)(jnp.ones(3), dtype=dtype)


def _torch_leaf(x) -> torch.Tensor:
    return torch.tensor(np.asarray(x), dtype=torch.float64, requires_grad=True)


def _value_and_input_grad(function, x, cotangent):
    def loss(x):
        y = function(x)
        return jnp.sum(y * cotangent), y

    (_, y), grad = jax.jit(jax.value_and_grad(loss, has_aux=True))(jnp.asarray(x))
    return np.asarray(y), np.asarray(grad)


def _compare(function, torch_function, x):
    y_shape = jax.eval_shape(function, jnp.asarray(x)).shape
    cotangent = _normal(y_shape, seed=3)
    y, grad = _value_and_input_grad(function, x, cotangent)
    t = _torch_leaf(x)
    ty = torch_function(t)
    (ty * torch.from_numpy(cotangent)).sum().backward()
    np.testing.assert_allclose(y, ty.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(grad, t.grad.numpy(), rtol=1e-12, atol=1e-12)


SIZE_FORMS = [
    {"kernel_size": (3,)},
    {"kernel_size": 3, "padding": (1,)},
    {"kernel_size": 3, "stride": (2,)},
    {"kernel_size": (3,), "stride": (2,), "padding": (1,)},
]


@pytest.mark.parametrize("config", [*SIZE_FORMS, {"kernel_size": 3, "dilation": (2,)}], ids=str)
def test_conv2d_size_forms_match_torch(config):
    layer = funcnet.Conv2d(2, 3, **config)
    params = {
        "weight": jnp.asarray(_normal(layer.weight_shape, seed=1)),
        "bias": jnp.asarray(_normal((3,), seed=2)),
    }
    weight, bias = (torch.tensor(np.asarray(params[k])) for k in ("weight", "bias"))
    # torch.nn.Conv2d refuses kernel_size=(k,); the functional form takes the weight as is.
    torch_config = {k: v for k, v in config.items() if k != "kernel_size"}
    x = _normal((2, 2, 7, 7))
    assert (
        layer.output_shape((2, 2, 7, 7))
        == jax.eval_shape(lambda x: layer.apply(params, x), jnp.asarray(x)).shape
    )
    _compare(
        lambda x: layer.apply(params, x),
        lambda t: TF.conv2d(t, weight, bias, **torch_config),
        x,
    )


POOL_FORMS = [*SIZE_FORMS, {"kernel_size": 3, "stride": ()}, {"kernel_size": 2, "stride": None}]


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [(funcnet.MaxPool2d, torch.nn.MaxPool2d), (funcnet.AvgPool2d, torch.nn.AvgPool2d)],
    ids=["MaxPool2d", "AvgPool2d"],
)
@pytest.mark.parametrize("config", POOL_FORMS, ids=str)
def test_pool_size_forms_match_torch(ours, theirs, config):
    layer = ours(**config)
    x = _normal((2, 2, 7, 7))
    assert (
        layer.output_shape(x.shape)
        == jax.eval_shape(lambda x: layer.apply({}, x), jnp.asarray(x)).shape
    )
    _compare(lambda x: layer.apply({}, x), theirs(**config), x)


def test_max_pool_dilation_one_tuple_matches_torch():
    config = {"kernel_size": 3, "dilation": (2,)}
    _compare(
        lambda x: funcnet.MaxPool2d(**config).apply({}, x),
        torch.nn.MaxPool2d(**config),
        _normal((1, 2, 7, 7)),
    )


def test_pool_stride_defaults_to_the_kernel_size():
    assert funcnet.MaxPool2d(3, stride=()).stride == 3
    assert funcnet.AvgPool2d((3,), stride=[]).stride == (3,)


@pytest.mark.parametrize("argument", ["kernel_size", "stride", "padding", "dilation"])
def test_conv2d_wrong_length_names_the_argument(argument):
    config = {"kernel_size": 3, argument: (1, 1, 1)}
    with pytest.raises(
        ValueError,
        match=rf"Conv2d: {argument} must be .* got \(1, 1, 1\), which has 3 entries instead "
        r"of 2 \(or 1, used for both\)",
    ):
        funcnet.Conv2d(2, 3, **config)


@pytest.mark.parametrize("ours", [funcnet.MaxPool2d, funcnet.AvgPool2d], ids=lambda c: c.__name__)
@pytest.mark.parametrize("argument", ["kernel_size", "stride", "padding"])
def test_pool_wrong_length_names_the_argument(ours, argument):
    config = {"kernel_size": 3, argument: (0, 0, 0) if argument == "padding" else (1, 1, 1)}
    with pytest.raises(
        ValueError, match=rf"{ours.__name__}: {argument} must be .* which has 3 entries instead"
    ):
        ours(**config)


def test_conv2d_empty_stride_is_refused_as_in_torch():
    with pytest.raises(ValueError, match=r"Conv2d: stride must be .* has 0 entries"):
        funcnet.Conv2d(2, 3, 3, stride=())


INDEX_CASES = [
    ({"kernel_size": 2}, (2, 3, 6, 6)),
    ({"kernel_size": 3, "stride": 2, "padding": 1}, (2, 3, 7, 7)),
    ({"kernel_size": (2, 3), "stride": (1, 2), "padding": (1, 0)}, (1, 2, 5, 6)),
    ({"kernel_size": 3, "dilation": 2, "padding": 1}, (1, 2, 7, 8)),
    ({"kernel_size": 2, "ceil_mode": True}, (1, 2, 5, 5)),
    ({"kernel_size": (3,), "stride": ()}, (2, 7, 7)),
]


@pytest.mark.parametrize(("config", "shape"), INDEX_CASES, ids=str)
def test_max_pool_return_indices_matches_torch(config, shape):
    layer = funcnet.MaxPool2d(**config, return_indices=True)
    x = _normal(shape)
    cotangent = _normal(layer.output_shape(shape), seed=3)

    def loss(x):
        y, indices = layer.apply({}, x)
        return jnp.sum(y * cotangent), (y, indices)

    (_, (y, indices)), grad = jax.jit(jax.value_and_grad(loss, has_aux=True))(jnp.asarray(x))
    t = _torch_leaf(x)
    ty, tindices = torch.nn.MaxPool2d(**config, return_indices=True)(t)
    (ty * torch.from_numpy(cotangent)).sum().backward()

    assert y.shape == indices.shape == layer.output_shape(shape)
    assert indices.dtype == jnp.int64 and tindices.dtype == torch.int64
    np.testing.assert_array_equal(np.asarray(indices), tindices.numpy())
    np.testing.assert_allclose(np.asarray(y), ty.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(np.asarray(grad), t.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_max_pool_indices_pick_the_first_of_tied_maxima_as_torch():
    x = np.zeros((1, 1, 4, 4))
    _, indices = funcnet.MaxPool2d(2, return_indices=True).apply({}, x)
    _, tindices = torch.nn.MaxPool2d(2, return_indices=True)(torch.from_numpy(x))
    np.testing.assert_array_equal(np.asarray(indices), tindices.numpy())


def test_max_pool_return_indices_composes_with_vmap_and_eval_shape():
    layer = funcnet.MaxPool2d(2, return_indices=True)
    xs = jnp.asarray(_normal((3, 2, 4, 4)))
    ys, indices = jax.vmap(lambda x: layer.apply({}, x))(xs)
    y1, i1 = layer.apply({}, xs[1])
    np.testing.assert_array_equal(ys[1], y1)
    np.testing.assert_array_equal(indices[1], i1)
    shapes = jax.eval_shape(lambda x: layer.apply({}, x), xs)
    assert [s.shape for s in shapes] == [(3, 2, 2, 2)] * 2


def test_max_pool_return_indices_off_by_default_and_keyword_only():
    assert funcnet.MaxPool2d(2).return_indices is False
    assert funcnet.MaxPool2d(2, None, 0, 1, True).ceil_mode is True
    assert repr(funcnet.MaxPool2d(2, return_indices=True)).endswith(", return_indices=True)")


def test_max_pool_return_indices_must_be_bool():
    with pytest.raises(TypeError, match="MaxPool2d: return_indices must be True or False"):
        funcnet.MaxPool2d(2, return_indices=1)


UNPOOL_CASES = [
    ({"kernel_size": 2}, (2, 3, 6, 6), None),
    ({"kernel_size": 2}, (1, 2, 5, 5), (5, 5)),
    ({"kernel_size": 3, "stride": 2, "padding": 1}, (2, 2, 7, 7), None),
    ({"kernel_size": (2, 3), "stride": (1, 2), "padding": (1, 0)}, (1, 2, 5, 6), (5, 6)),
    ({"kernel_size": 3}, (2, 6, 7), (1, 2, 6, 7)),
]


@pytest.mark.parametrize(("config", "shape", "output_size"), UNPOOL_CASES, ids=str)
def test_max_unpool_matches_torch(config, shape, output_size):
    pooled, indices = funcnet.MaxPool2d(**config, return_indices=True).apply({}, _normal(shape))
    unpool = MaxUnpool2d(**config)
    cotangent = _normal(shape if output_size else unpool.output_shape(pooled.shape), seed=4)

    def loss(pooled):
        y = unpool.apply({}, (pooled, indices), output_size=output_size)
        return jnp.sum(y * cotangent), y

    (_, y), grad = jax.jit(jax.value_and_grad(loss, has_aux=True))(pooled)
    t = _torch_leaf(pooled)
    ty = torch.nn.MaxUnpool2d(**config)(t, torch.tensor(np.asarray(indices)), output_size)
    (ty * torch.from_numpy(cotangent)).sum().backward()

    assert y.shape == tuple(ty.shape)
    np.testing.assert_allclose(np.asarray(y), ty.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(np.asarray(grad), t.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_max_unpool_layer_contract():
    """The shared layer check, for a layer that takes the pair (x, indices)."""
    layer = MaxUnpool2d(2)
    x = jnp.asarray(_normal((2, 3, 3, 3)))
    _, indices = funcnet.MaxPool2d(2, return_indices=True).apply({}, _normal((2, 3, 6, 6)))
    promised = layer.output_shape(x.shape)
    assert promised == (2, 3, 6, 6)
    assert layer.init(jax.random.key(0), x.shape) == {}
    y = layer({}, (x, indices))
    assert y.shape == promised
    assert jax.eval_shape(lambda v: layer.apply({}, (v, indices)), x).shape == promised
    np.testing.assert_array_equal(jax.jit(lambda v: layer.apply({}, (v, indices)))(x), y)
    grad = jax.grad(lambda v: jnp.sum(jnp.sin(layer.apply({}, (v, indices)))))(x)
    np.testing.assert_allclose(grad, jnp.cos(x), rtol=1e-12)
    ys = jax.vmap(lambda v, i: layer.apply({}, (v, i)))(
        jnp.stack([x, 2 * x]), jnp.stack([indices] * 2)
    )
    np.testing.assert_allclose(ys[1], 2 * y, rtol=1e-12)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda u: u.apply({}, jnp.ones((1, 1, 2, 2))), TypeError, r"the pair \(x, indices\)"),
        (
            lambda u: u.apply({}, (jnp.ones((1, 1, 2, 2)), jnp.zeros((1, 1, 2, 1), int))),
            ValueError,
            "Expected shape of indices to be same as that of the input",
        ),
        (
            lambda u: u.apply({}, (jnp.ones((1, 1, 2, 2)), jnp.zeros((1, 1, 2, 2)))),
            TypeError,
            "indices must be integers",
        ),
        (
            lambda u: u.apply(
                {}, (jnp.ones((1, 1, 2, 2)), jnp.zeros((1, 1, 2, 2), int)), output_size=(6, 6)
            ),
            ValueError,
            r"invalid output_size \(6, 6\): .* strictly between \(2, 2\) and \(6, 6\)",
        ),
        (
            lambda u: u.apply(
                {}, (jnp.ones((1, 1, 2, 2)), jnp.zeros((1, 1, 2, 2), int)), output_size=(1, 4, 4)
            ),
            ValueError,
            "output_size must have 2 or 4 entries",
        ),
        (lambda u: u.output_shape((2, 2)), funcnet.ShapeError, "should be a 3d or 4d Tensor"),
    ],
)
def test_max_unpool_errors(call, error, match):
    with pytest.raises(error, match=match):
        call(MaxUnpool2d(2))


def test_max_unpool_size_forms_equal_the_int_forms():
    # torch.nn.MaxUnpool2d refuses these forms; MaxPool2d takes them, so its pair does.
    x = jnp.asarray(_normal((1, 2, 3, 3)))
    indices = jnp.broadcast_to(jnp.arange(9).reshape(3, 3) * 2, (1, 2, 3, 3))
    ours = MaxUnpool2d((3,), stride=(), padding=(1,)).apply({}, (x, indices))
    np.testing.assert_array_equal(ours, MaxUnpool2d(3, padding=1).apply({}, (x, indices)))


def test_max_unpool_wrong_length_names_the_argument():
    with pytest.raises(ValueError, match=r"MaxUnpool2d: padding must be .* 3 entries instead"):
        MaxUnpool2d(2, padding=(0, 0, 0))
