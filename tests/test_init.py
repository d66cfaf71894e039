"""Initializers: variances against their formulas, PyTorch's gains, determinism."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch

from funcnet import init

SHAPE = (256, 384)  # fan_in 384, fan_out 256: about 98,000 draws per check
FAN_IN, FAN_OUT = 384, 256


def draw(initializer, shape=SHAPE):
    return np.asarray(initializer(jax.random.key(0), shape, jnp.float64))


@pytest.mark.parametrize(
    ("initializer", "variance"),
    [
        (init.uniform(-0.5, 0.5), 1 / 12),
        (init.normal(0.0, 0.1), 0.01),
        (init.xavier_uniform(), 2 / (FAN_IN + FAN_OUT)),
        (init.xavier_normal(gain=2.0), 4 * 2 / (FAN_IN + FAN_OUT)),
        (init.kaiming_uniform(nonlinearity="relu"), 2 / FAN_IN),
        (init.kaiming_normal(nonlinearity="relu"), 2 / FAN_IN),
        (init.kaiming_normal(mode="fan_out", nonlinearity="relu"), 2 / FAN_OUT),
        (init.kaiming_uniform(a=0.2), 2 / (1 + 0.04) / FAN_IN),
        (init.kaiming_normal(nonlinearity="tanh"), (5 / 3) ** 2 / FAN_IN),
        (init.lecun_normal(), 1 / FAN_IN),
        (init.lecun_uniform(), 1 / FAN_IN),
        (init.pytorch_default(), 1 / (3 * FAN_IN)),
    ],
    ids=repr,
)
def test_variance_matches_the_formula(initializer, variance):
    values = draw(initializer)
    # With ~98k draws the sample variance is within ~1% of the true one (4 sigma < 2.5%).
    assert values.var() == pytest.approx(variance, rel=0.03)
    assert abs(values.mean()) < 4 * math.sqrt(variance / values.size)


def test_bounds_of_uniform_families():
    bound = math.sqrt(6 / (FAN_IN + FAN_OUT))
    assert np.abs(draw(init.xavier_uniform())).max() <= bound
    assert np.abs(draw(init.pytorch_default())).max() <= 1 / math.sqrt(FAN_IN)
    assert np.abs(draw(init.truncated_normal(std=1.0, a=-2.0, b=2.0))).max() <= 2.0


def test_truncated_normal_variance():
    # Variance of N(0,1) truncated to [-2, 2]: 1 - 2*2*phi(2)/(2*Phi(2)-1).
    phi = math.exp(-2) / math.sqrt(2 * math.pi)
    mass = math.erf(2 / math.sqrt(2))
    expected = 1 - 4 * phi / mass
    assert draw(init.truncated_normal()).var() == pytest.approx(expected, rel=0.03)


def test_orthogonal_rows_or_columns_are_orthonormal():
    wide = draw(init.orthogonal(gain=2.0), (3, 7))
    np.testing.assert_allclose(wide @ wide.T, 4 * np.eye(3), atol=1e-5)
    tall = draw(init.orthogonal(), (7, 3))
    np.testing.assert_allclose(tall.T @ tall, np.eye(3), atol=1e-5)
    conv = draw(init.orthogonal(), (4, 2, 3, 3))
    flat = conv.reshape(4, -1)
    np.testing.assert_allclose(flat @ flat.T, np.eye(4), atol=1e-5)


@pytest.mark.parametrize(
    ("name", "param"),
    [
        ("linear", None),
        ("sigmoid", None),
        ("tanh", None),
        ("relu", None),
        ("leaky_relu", None),
        ("leaky_relu", 0.2),
        ("selu", None),
        ("conv2d", None),
    ],
)
def test_gains_match_pytorch(name, param):
    assert init.calculate_gain(name, param) == pytest.approx(
        torch.nn.init.calculate_gain(name, param)
    )


@pytest.mark.parametrize("shape", [(5, 10), (16, 3, 5, 5), (8, 2, 3)])
def test_fans_match_pytorch(shape):
    expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert init.fans(shape) == expected


def test_seeded_determinism_and_key_sensitivity():
    for initializer in (init.kaiming_uniform(), init.normal(), init.orthogonal()):
        a = initializer(jax.random.key(1), (6, 4), jnp.float32)
        b = initializer(jax.random.key(1), (6, 4), jnp.float32)
        c = initializer(jax.random.key(2), (6, 4), jnp.float32)
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c)
        assert a.dtype == jnp.float32


def test_constants():
    np.testing.assert_array_equal(draw(init.zeros(), (2, 2)), np.zeros((2, 2)))
    np.testing.assert_array_equal(draw(init.ones(), (2,)), np.ones(2))
    np.testing.assert_array_equal(draw(init.constant(0.25), (3,)), np.full(3, 0.25))


def test_initializers_compare_equal_by_settings():
    assert init.kaiming_uniform(a=math.sqrt(5)) == init.pytorch_default()
    assert init.normal(std=0.1) != init.normal(std=0.2)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: init.calculate_gain("swish"), ValueError, "unknown nonlinearity"),
        (lambda: init.fans((3,)), ValueError, "fewer than 2 dimensions"),
        (lambda: init.kaiming_uniform(mode="fan_avg"), ValueError, "'fan_in' or 'fan_out'"),
        (lambda: init.uniform(1.0, 0.0), ValueError, "low < high"),
        (lambda: init.normal(std=-1.0), ValueError, "std must be >= 0"),
        (lambda: init.truncated_normal(a=2.0, b=-2.0), ValueError, "a < b"),
        (lambda: draw(init.orthogonal(), (5,)), ValueError, "2 or more dimensions"),
    ],
)
def test_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
