"""PyTorch as a float64 oracle: a loss value and its gradient with respect to the input."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import torch
import torch.nn.functional as TF


def to_torch(x, *, requires_grad: bool = False, dtype=torch.float64) -> torch.Tensor:
    """A torch tensor with `x`'s values; floats become `dtype`, integers int64."""
    x = np.asarray(x)
    if np.issubdtype(x.dtype, np.floating):
        return torch.tensor(x, dtype=dtype, requires_grad=requires_grad)
    return torch.tensor(x, dtype=torch.int64)


def to_numpy(t: torch.Tensor) -> np.ndarray:
    return t.detach().numpy()


def torch_loss(name: str, input, target, *, cotangent=None, dtype=torch.float64, **kwargs):
    """`torch.nn.functional.<name>(input, target, **kwargs)` and its input gradient.

    Array-valued keyword arguments (`weight`, `pos_weight`) are converted too. The
    gradient is that of `sum(cotangent * loss)`; `cotangent` defaults to ones.

    Returns:
        `(value, gradient)` as numpy arrays.
    """
    t_input = to_torch(input, requires_grad=True, dtype=dtype)
    t_target = to_torch(target, dtype=dtype)
    for key in ("weight", "pos_weight"):
        if kwargs.get(key) is not None:
            kwargs[key] = to_torch(kwargs[key], dtype=dtype)
    value = getattr(TF, name)(t_input, t_target, **kwargs)
    if cotangent is None:
        cotangent = np.ones(value.shape)
    (value * to_torch(cotangent, dtype=dtype)).sum().backward()
    return to_numpy(value), to_numpy(t_input.grad)


def funcnet_loss(loss, input, target, *, cotangent=None, **kwargs):
    """funcnet's `loss(input, target, **kwargs)` and its input gradient, as `torch_loss`."""
    value, pullback = jax.vjp(lambda x: loss(x, jnp.asarray(target), **kwargs), jnp.asarray(input))
    if cotangent is None:
        cotangent = np.ones(value.shape)
    (gradient,) = pullback(jnp.asarray(cotangent, dtype=value.dtype))
    return np.asarray(value), np.asarray(gradient)
