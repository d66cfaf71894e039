"""`Dropout`: zero each entry with probability `p` in training, with an explicit key."""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp

from funcnet._validate import check_key, floating, real
from funcnet.layers._base import Layer, Params

__all__ = ["Dropout"]


@dataclass(frozen=True, repr=False)
class Dropout(Layer):
    """Inverted dropout, as `torch.nn.Dropout`: $y = x \\cdot m / (1 - p)$, $m_i \\sim
    \\text{Bernoulli}(1 - p)$ in training, $y = x$ in evaluation.

    Scaling the survivors by $1/(1 - p)$ keeps $\\mathbb{E}[y] = x$, so evaluation needs
    no rescaling. Randomness is explicit: training needs a PRNG key, and the same key
    gives the same mask. `apply` evaluates by default (`training=False`).

    Args:
        p: probability of zeroing an entry, in $[0, 1]$; `p=1` gives zeros, as PyTorch.

    Shapes:
        x: `(*shape)` -> y: `(*shape)`.

    Raises:
        TypeError: if `p` is not a real number, the key is not a PRNG key, or a training
            input is not floating-point.
        ValueError: if `p` is outside $[0, 1]$, or `training=True` comes without a key.

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> from funcnet.layers.dropout import Dropout
        >>> drop = Dropout(p=0.5)
        >>> x = jnp.ones(8)
        >>> print(drop({}, x))
        [1. 1. 1. 1. 1. 1. 1. 1.]
        >>> y = drop({}, x, key=jax.random.key(0), training=True)
        >>> bool(((y == 0.0) | (y == 2.0)).all())  # dropped, or kept and scaled by 1/(1-p)
        True
    """

    p: float = 0.5

    stochastic = True

    def __post_init__(self) -> None:
        real(self.p, "p", "Dropout", wanted="a real number in [0, 1]")
        if not 0 <= self.p <= 1:
            raise ValueError(
                f"Dropout: dropout probability has to be between 0 and 1, but got {self.p}."
            )

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"

    def _apply(self, params: Params, x: jax.Array, *, key, training) -> jax.Array:
        if not training or self.p == 0:
            return x
        if key is None:
            raise ValueError(
                f"{self!r} in training needs a PRNG key: pass key=jax.random.key(seed) to "
                "apply, or training=False for evaluation."
            )
        key = check_key(key, self)
        floating(x, f"{self!r} in training")
        if self.p == 1:
            # PyTorch multiplies by zeros here, so NaN and inf stay NaN.
            return x * jnp.zeros((), x.dtype)
        keep = jax.random.bernoulli(key, 1 - self.p, x.shape)
        # input * mask * scale, PyTorch's order, so NaN in dropped entries stays NaN.
        return x * keep.astype(x.dtype) * jnp.asarray(1 / (1 - self.p), x.dtype)
