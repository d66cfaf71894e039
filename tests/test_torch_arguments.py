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
    with pytest.raises(TypeError, match=f"{name}: dtype must be a floating dtype or None"):
        getattr(funcnet, name)(jnp.ones(3), dtype=dtype)
