"""PyTorch parity under generated inputs, for every registered operator.

For each operator in the registry, Hypothesis draws shapes (batch sizes 0 and 1
included where PyTorch accepts them), values (normal, huge, tiny, exact zeros, ties)
and keyword arguments. funcnet's value and its vector-Jacobian product with a random
cotangent must match PyTorch's, computed on the same numbers in the same dtype:

- float64: `rtol = 1e-10` (1e-8 for binary_cross_entropy, whose PyTorch epsilon is a
  float32 constant, see its registry conventions);
- float32: `rtol = 2e-5`, about 170 float32 ulps: two float32 implementations differ
  by a few ulps per transcendental function and by the order of their sums, and a loss
  chains several of each.

The absolute tolerance is `rtol` times the largest finite magnitude of the expected
array, or of the terms summed where a computation can cancel (the operator's `scale`
and `grad_scale`), and at least the dtype's smallest normal number: XLA on CPU flushes
subnormal results to zero, PyTorch does not. nan and inf must appear in the same
places. The metrics have no PyTorch counterpart and are compared with scikit-learn.

Element-wise operators run eagerly; composite ones (losses, layers with parameters)
run under `jax.jit`, so both ways of running funcnet are covered. The number of
examples comes from the Hypothesis profile (tests/conftest.py).
"""

from __future__ import annotations

import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from registry import OPERATORS, WITH_ORACLE, WITH_TORCH, Operator, to_torch, xla_aborts_on
from strategies import seeds

import funcnet

DTYPES = ["float64", "float32"]


def _largest(array: np.ndarray) -> float:
    finite = np.abs(array[np.isfinite(array)]).astype(np.float64)
    return float(finite.max(initial=0.0))


def assert_close(actual, expected, *, rtol: float, scale: float, what: str) -> None:
    """Equal shapes, dtypes, nan and inf positions; finite values to rtol (see above)."""
    expected = np.asarray(expected)
    tiny = float(np.finfo(expected.dtype).tiny) if expected.dtype.kind == "f" else 0.0
    atol = max(rtol * max(_largest(expected), scale), tiny)
    np.testing.assert_allclose(
        np.asarray(actual), expected, rtol=rtol, atol=atol, strict=True, err_msg=what
    )


def funcnet_value_and_grads(op: Operator, case, seed: int):
    """funcnet's value and the VJP of a normal cotangent drawn from `seed`."""
    function = op.funcnet(case)
    arrays = [jnp.asarray(a) for a in case.arrays]
    out = jax.eval_shape(function, *arrays)
    cotangent = np.random.default_rng(seed).normal(size=out.shape).astype(out.dtype)

    def value_and_grads(arrays, cotangent):
        value, pullback = jax.vjp(function, *arrays)
        return value, pullback(cotangent)

    if op.jit:
        value_and_grads = jax.jit(value_and_grads)
    value, grads = value_and_grads(arrays, jnp.asarray(cotangent))
    return np.asarray(value), [np.asarray(g) for g in grads], cotangent


def torch_value_and_grads(op: Operator, case, cotangent: np.ndarray):
    tensors = [to_torch(a, requires_grad=True) for a in case.arrays]
    value = op.torch(case)(*tensors)
    if value.requires_grad:
        (value * torch.from_numpy(cotangent)).sum().backward()
    grads = [
        np.zeros_like(a) if t.grad is None else t.grad.numpy()
        for t, a in zip(tensors, case.arrays, strict=True)
    ]
    return value.detach().numpy(), grads


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", WITH_TORCH)
@given(data=st.data())
def test_values_and_gradients_match_pytorch(name, dtype, data):
    op = OPERATORS[name]
    case = data.draw(op.cases(dtype), label="case")
    seed = data.draw(seeds(), label="cotangent seed")
    value, grads, cotangent = funcnet_value_and_grads(op, case, seed)
    expected, expected_grads = torch_value_and_grads(op, case, cotangent)
    rtol = op.rtol64 if dtype == "float64" else op.rtol32
    scale = op.scale(case, cotangent) if op.scale else 0.0
    assert_close(value, expected, rtol=rtol, scale=scale, what=f"{name} value")
    if op.grad_scale:
        scale = max(scale, op.grad_scale(case, cotangent))
    for index, (grad, expected_grad) in enumerate(zip(grads, expected_grads, strict=True)):
        what = f"{name} gradient with respect to argument {index}"
        if index in op.finite_gradients_only:
            finite = np.isfinite(expected_grad)
            grad, expected_grad = grad[finite], expected_grad[finite]
        assert_close(grad, expected_grad, rtol=rtol, scale=scale, what=what)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", WITH_ORACLE)
@given(data=st.data())
def test_metrics_match_scikit_learn(name, dtype, data):
    op = OPERATORS[name]
    case = data.draw(op.cases(dtype), label="case")
    value = np.asarray(op.funcnet(case)())
    expected = op.oracle(case)
    assert value.shape == expected.shape
    np.testing.assert_allclose(value, expected, rtol=1e-12, atol=0, err_msg=name)


@pytest.mark.parametrize("dtype", DTYPES)
def test_bce_target_gradient_at_the_edges_is_that_of_the_clamped_loss(dtype):
    """At p = 0 or 1 PyTorch's gradient with respect to the target is +-inf; funcnet's is
    the derivative of the loss it computes, whose logs are clamped at -100."""
    p = jnp.array([0.0, 1.0, 0.0, 1.0], dtype)
    y = jnp.array([0.0, 1.0, 1.0, 0.0], dtype)
    _, grad = jax.grad(funcnet.binary_cross_entropy, argnums=(0, 1))(p, y)
    np.testing.assert_allclose(grad, np.array([100.0, -100.0, 100.0, -100.0]) / 4, rtol=1e-6)
    t = torch.tensor(np.asarray(y), requires_grad=True)
    torch.nn.functional.binary_cross_entropy(torch.tensor(np.asarray(p)), t).backward()
    assert np.isinf(t.grad.numpy()).all()


SCALAR_NORMALISERS = {
    "softmax": lambda x, dim: funcnet.softmax(x, dim=dim),
    "log_softmax": lambda x, dim: funcnet.log_softmax(x, dim=dim),
    "Softmax": lambda x, dim: funcnet.Softmax(dim=dim).apply({}, x),
    "LogSoftmax": lambda x, dim: funcnet.LogSoftmax(dim=dim).apply({}, x),
}


@pytest.mark.parametrize("dim", [-1, 0])
@pytest.mark.parametrize("name", SCALAR_NORMALISERS)
def test_normalising_a_scalar_matches_pytorch(name, dim):
    """A scalar is its own class axis: softmax gives 1, log_softmax 0, as PyTorch."""
    x = np.array(2.5)
    value, pullback = jax.vjp(lambda v: SCALAR_NORMALISERS[name](v, dim), jnp.asarray(x))
    (grad,) = pullback(jnp.ones_like(value))
    t = torch.tensor(x, requires_grad=True)
    reference = torch.softmax if name.lower() == "softmax" else torch.log_softmax
    expected = reference(t, dim)
    expected.backward()
    np.testing.assert_allclose(value, expected.detach().numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(grad, t.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_maxpool_window_inside_the_padding_is_minus_inf_without_gradient():
    """With dilation a window can miss the input entirely (see the registry conventions)."""
    pool = funcnet.MaxPool2d(2, stride=1, padding=1, dilation=2, ceil_mode=True)
    x = jnp.array([[[1.0, 2.0, 3.0]]])
    value, pullback = jax.vjp(lambda v: pool.apply({}, v), x)
    np.testing.assert_array_equal(value, np.full((1, 1, 3), -np.inf))
    np.testing.assert_array_equal(pullback(jnp.ones_like(value))[0], np.zeros_like(x))


# A geometry `xla_aborts_on` describes, run in a child process: the abort would end
# the test session.
CONV_GRADIENT = """
import jax, jax.numpy as jnp
import funcnet
layer = funcnet.Conv2d(1, 1, (2, 3), stride=2, padding=(1, 0))
params = layer.init(jax.random.key(0), (1, 1, 4, 5))
jax.grad(lambda p, x: layer.apply(p, x).sum(), argnums=(0, 1))(params, jnp.ones((1, 1, 4, 5)))
"""


@pytest.mark.xfail(
    strict=True,
    reason=(
        "XLA (jaxlib 0.10.2, CPU) aborts the process while compiling this convolution's "
        "input gradient: algebraic_simplifier.cc 'Check failed: ... Window dimensions do "
        "not match RHS shape' (plain jax.lax.conv_general_dilated does the same); the "
        "generated cases leave such geometries out (registry.xla_aborts_on)"
    ),
)
def test_conv_gradient_where_xla_aborts():
    assert xla_aborts_on((2, 3), 2, (1, 0), 1, (4, 5))
    environment = {**os.environ, "JAX_PLATFORMS": "cpu"}
    result = subprocess.run(
        [sys.executable, "-c", CONV_GRADIENT], capture_output=True, env=environment, timeout=300
    )
    assert result.returncode == 0, result.stderr.decode()[-2000:]
