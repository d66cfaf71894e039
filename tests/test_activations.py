"""Activations: values and gradients against PyTorch (float64) and jax.nn, kinks, stability."""

import zlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from jax.test_util import check_grads

import funcnet

# (funcnet function, keyword arguments, torch reference)
CASES = [
    ("sigmoid", {}, lambda t: torch.sigmoid(t)),
    ("tanh", {}, lambda t: torch.tanh(t)),
    ("relu", {}, lambda t: TF.relu(t)),
    ("leaky_relu", {}, lambda t: TF.leaky_relu(t)),
    ("leaky_relu", {"negative_slope": 0.2}, lambda t: TF.leaky_relu(t, 0.2)),
    ("gelu", {}, lambda t: TF.gelu(t)),
    ("gelu", {"approximate": "tanh"}, lambda t: TF.gelu(t, approximate="tanh")),
    ("elu", {}, lambda t: TF.elu(t)),
    ("elu", {"alpha": 0.5}, lambda t: TF.elu(t, 0.5)),
    ("softplus", {}, lambda t: TF.softplus(t)),
    ("softplus", {"beta": 2.0, "threshold": 5.0}, lambda t: TF.softplus(t, 2.0, 5.0)),
    ("silu", {}, lambda t: TF.silu(t)),
    ("softmax", {}, lambda t: TF.softmax(t, dim=-1)),
    ("softmax", {"dim": 0}, lambda t: TF.softmax(t, dim=0)),
    ("log_softmax", {}, lambda t: TF.log_softmax(t, dim=-1)),
    ("log_softmax", {"dim": 0}, lambda t: TF.log_softmax(t, dim=0)),
]
IDS = [f"{name}-{kwargs}" for name, kwargs, _ in CASES]


def _torch_value_and_grad(reference, x, cotangent):
    t = torch.tensor(np.asarray(x), dtype=torch.float64, requires_grad=True)
    y = reference(t)
    (y * torch.tensor(np.asarray(cotangent))).sum().backward()
    return y.detach().numpy(), t.grad.numpy()


@pytest.mark.parametrize(("name", "kwargs", "reference"), CASES, ids=IDS)
@pytest.mark.parametrize("shape", [(7,), (3, 5), (2, 3, 4)])
def test_value_and_gradient_match_pytorch(name, kwargs, reference, shape):
    rng = np.random.default_rng(zlib.crc32(repr((name, kwargs, shape)).encode()))
    x = rng.normal(scale=3.0, size=shape)
    x.flat[0] = 0.0  # the kink, where conventions matter
    cotangent = rng.normal(size=shape)
    function = getattr(funcnet, name)
    value, vjp = jax.vjp(lambda v: function(v, **kwargs), jnp.asarray(x))
    (gradient,) = vjp(jnp.asarray(cotangent))
    expected_value, expected_gradient = _torch_value_and_grad(reference, x, cotangent)
    np.testing.assert_allclose(value, expected_value, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(gradient, expected_gradient, rtol=1e-10, atol=1e-13)


JAX_NN = [
    ("sigmoid", jax.nn.sigmoid),
    ("tanh", jnp.tanh),
    ("silu", jax.nn.silu),
    ("softplus", jax.nn.softplus),
    ("elu", jax.nn.elu),
    ("gelu", lambda x: jax.nn.gelu(x, approximate=False)),
    ("softmax", jax.nn.softmax),
    ("log_softmax", jax.nn.log_softmax),
]


@pytest.mark.parametrize(("name", "reference"), JAX_NN, ids=[n for n, _ in JAX_NN])
def test_values_match_jax_nn(name, reference):
    x = jnp.linspace(-15.0, 15.0, 61).reshape(61, 1) * jnp.ones((1, 3))
    np.testing.assert_allclose(getattr(funcnet, name)(x), reference(x), rtol=1e-12, atol=1e-12)


SMOOTH = ["sigmoid", "tanh", "gelu", "softplus", "silu", "softmax", "log_softmax"]
PIECEWISE = ["relu", "leaky_relu", "elu"]


@pytest.mark.parametrize("name", SMOOTH + PIECEWISE)
def test_check_grads_second_order(name):
    x = jnp.array([[-3.1, -0.7, 0.4], [1.3, 2.9, -5.2]])  # away from the kink at 0
    check_grads(getattr(funcnet, name), (x,), order=2, modes=["fwd", "rev"])


def test_relu_derivative_at_zero_is_zero_unlike_maximum():
    assert jax.grad(funcnet.relu)(0.0) == 0.0
    # The trap avoided: jnp.maximum splits the derivative at a tie.
    assert jax.grad(lambda x: jnp.maximum(x, 0.0))(0.0) == 0.5


@pytest.mark.parametrize("slope", [0.01, 0.2])
def test_leaky_relu_derivative_at_zero_is_the_slope_as_pytorch(slope):
    assert jax.grad(lambda x: funcnet.leaky_relu(x, slope))(0.0) == pytest.approx(slope)
    t = torch.zeros((), dtype=torch.float64, requires_grad=True)
    TF.leaky_relu(t, slope).backward()
    assert t.grad.item() == pytest.approx(slope)
    # jax.nn picks the other side, which is why funcnet does not wrap it.
    assert jax.grad(jax.nn.leaky_relu)(0.0) == 1.0


def test_elu_derivative_at_zero_is_alpha_as_pytorch():
    assert jax.grad(lambda x: funcnet.elu(x, alpha=0.5))(0.0) == pytest.approx(0.5)


def test_one_sided_derivatives_differ_at_the_kinks():
    h = 1e-7
    for function in (funcnet.relu, lambda x: funcnet.leaky_relu(x, 0.2)):
        right = (function(h) - function(0.0)) / h
        left = (function(0.0) - function(-h)) / h
        assert not np.isclose(right, left)


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
@pytest.mark.parametrize("name", SMOOTH + PIECEWISE)
def test_stable_for_inputs_of_magnitude_1e4(name, dtype):
    x = jnp.array([-1e4, -50.0, 0.0, 50.0, 1e4], dtype=dtype)
    function = getattr(funcnet, name)
    value = function(x)
    gradient = jax.grad(lambda v: jnp.sum(function(v)))(x)
    assert value.dtype == dtype
    assert jnp.all(jnp.isfinite(value)), value
    assert jnp.all(jnp.isfinite(gradient)), gradient


def test_softmax_rows_sum_to_one_and_saturate():
    p = funcnet.softmax(jnp.array([[1e4, 0.0, -1e4], [3.0, 3.0, 3.0]]))
    np.testing.assert_allclose(p.sum(axis=-1), 1.0)
    np.testing.assert_allclose(p[0], [1.0, 0.0, 0.0])


def test_tanh_is_not_arctan_but_a_scaled_sigmoid():
    z = jnp.linspace(-4.0, 4.0, 9)
    np.testing.assert_allclose(funcnet.tanh(z), 2 * funcnet.sigmoid(2 * z) - 1, atol=1e-15)
    assert not np.allclose(funcnet.tanh(z), jnp.arctan(z))


def test_integer_input_is_promoted_to_float():
    y = funcnet.relu(jnp.array([-1, 2]))
    assert jnp.issubdtype(y.dtype, jnp.floating)
    np.testing.assert_array_equal(y, [0.0, 2.0])


def test_compose_with_jit_and_vmap():
    x = jnp.arange(12.0).reshape(3, 4) - 6
    for name in SMOOTH + PIECEWISE:
        function = getattr(funcnet, name)
        np.testing.assert_allclose(jax.jit(function)(x), function(x), rtol=1e-14)
        np.testing.assert_allclose(jax.vmap(function)(x), function(x), rtol=1e-14)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: funcnet.leaky_relu(1.0, negative_slope="a"), TypeError, "negative_slope"),
        (lambda: funcnet.elu(1.0, alpha=None), TypeError, "alpha must be a real number"),
        (lambda: funcnet.softplus(1.0, beta=0), ValueError, "beta must be non-zero"),
        (lambda: funcnet.softmax(jnp.ones((2, 3)), dim=1.5), TypeError, "dim must be an int"),
        (lambda: funcnet.softmax(jnp.ones((2, 3)), dim=2), ValueError, "Dimension out of range"),
        (lambda: funcnet.log_softmax(jnp.ones(3), dim=-2), ValueError, r"\[-1, 0\]"),
        (lambda: funcnet.gelu(1.0, approximate="fast"), ValueError, "'none' or 'tanh'"),
    ],
)
def test_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize(
    ("layer", "function", "settings"),
    [
        (funcnet.LeakyReLU, funcnet.leaky_relu, {"negative_slope": "0.1"}),
        (funcnet.ELU, funcnet.elu, {"alpha": None}),
        (funcnet.Softplus, funcnet.softplus, {"beta": 0}),
        (funcnet.Softplus, funcnet.softplus, {"threshold": "high"}),
        (funcnet.GELU, funcnet.gelu, {"approximate": "fast"}),
    ],
)
def test_a_layer_refuses_what_its_function_refuses_in_its_own_name(layer, function, settings):
    with pytest.raises((TypeError, ValueError), match=rf"^{function.__name__}: ") as called:
        function(1.0, **settings)
    with pytest.raises(type(called.value), match=rf"^{layer.__name__}: ") as built:
        layer(**settings)
    assert str(built.value).split(": ", 1)[1] == str(called.value).split(": ", 1)[1]
