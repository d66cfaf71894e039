"""`Embedding`: a lookup table from integer indices to learned vectors."""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
from jax.typing import DTypeLike

from funcnet._checking import refuse_any
from funcnet._validate import floating_dtype, integer, positive_int, resolve_dtype
from funcnet.layers._base import Layer, Params, ParamSpec, Shape

__all__ = ["Embedding"]


def _check_padding_idx(padding_idx: object, num_embeddings: int) -> int | None:
    """PyTorch's rule: `padding_idx` in `[-num_embeddings, num_embeddings)`, negatives wrap."""
    if padding_idx is None:
        return None
    index = integer(padding_idx, "padding_idx", "Embedding", wanted="None or an int")
    if not -num_embeddings <= index < num_embeddings:
        raise ValueError(
            f"Embedding: padding_idx must be within num_embeddings: in "
            f"[{-num_embeddings}, {num_embeddings}), got {padding_idx!r}."
        )
    return index % num_embeddings


@dataclass(frozen=True, repr=False)
class Embedding(Layer):
    """Row `i` of a `(num_embeddings, embedding_dim)` table for each index `i`.

    `weight` is drawn from $\\mathcal N(0, 1)$, as in PyTorch. With `padding_idx`, that
    row starts at zeros and gets no gradient, so it stays what it is in training.
    Indices are checked as class targets are: outside `jit` an index outside
    `[0, num_embeddings)` raises at once; under `funcnet.checked` it raises at run
    time; under plain `jit` its output row is `nan`, which `fit` stops on.

    Args:
        num_embeddings: the number of rows, one per index.
        embedding_dim: the length of each vector.
        padding_idx: an index whose row is zeros and receives no gradient.
        dtype: dtype of the table; None for JAX's default float.

    Shapes:
        x: `(*shape)` integer indices -> y: `(*shape, embedding_dim)`.

    Raises:
        TypeError: for non-integer indices, as PyTorch refuses them.
        ValueError: for bad arguments, or an index out of range.

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> import funcnet
        >>> layer = funcnet.Embedding(10, 3, padding_idx=0)
        >>> params = layer.init(jax.random.key(0), (2, 4))
        >>> y = layer(params, jnp.array([[0, 2, 4, 5], [4, 3, 2, 9]]))
        >>> y.shape, y[0, 0].tolist()
        ((2, 4, 3), [0.0, 0.0, 0.0])
    """

    num_embeddings: int
    embedding_dim: int
    padding_idx: int | None = None
    dtype: DTypeLike | None = None

    def __post_init__(self) -> None:
        positive_int(self.num_embeddings, "num_embeddings", "Embedding")
        positive_int(self.embedding_dim, "embedding_dim", "Embedding")
        padding = _check_padding_idx(self.padding_idx, self.num_embeddings)
        object.__setattr__(self, "padding_idx", padding)
        floating_dtype(self.dtype, "Embedding", optional=True)

    def __repr__(self) -> str:
        padding = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"Embedding({self.num_embeddings}, {self.embedding_dim}{padding})"

    def _output_shape(self, input_shape: Shape) -> Shape:
        return (*input_shape, self.embedding_dim)

    def _param_specs(self) -> dict[str, ParamSpec]:
        return {
            "weight": ParamSpec(
                (self.num_embeddings, self.embedding_dim), ("num_embeddings", "embedding_dim")
            )
        }

    def _init(self, key: jax.Array, input_shape: Shape) -> Params:
        dtype = resolve_dtype(self.dtype, "Embedding")
        weight = jax.random.normal(key, (self.num_embeddings, self.embedding_dim), dtype)
        if self.padding_idx is not None:
            weight = weight.at[self.padding_idx].set(0)
        return {"weight": weight}

    def _check_indices(self, x: jax.Array) -> None:
        if not jnp.issubdtype(x.dtype, jnp.integer):
            raise TypeError(
                f"{self!r} expects integer indices, got dtype {x.dtype}; PyTorch refuses "
                "them too. Convert with x.astype(jnp.int32) if the values are whole numbers."
            )
        message = (
            f"{self!r}: index {{}} is out of range: indices must lie in "
            f"[0, {self.num_embeddings})."
        )

        def wrong(values):
            return (values < 0) | (values >= self.num_embeddings)

        refuse_any(wrong, x, message)

    def _apply(self, params: Params, x: jax.Array, *, key, training) -> jax.Array:
        self._check_indices(x)
        # An index out of range under plain jit reads a row of nan, never a clamped row.
        rows = jnp.take(params["weight"], x, axis=0, mode="fill", fill_value=jnp.nan)
        if self.padding_idx is None:
            return rows
        # PyTorch: the padding row receives no gradient.
        padding = (x == self.padding_idx)[..., None]
        return jnp.where(padding, jax.lax.stop_gradient(rows), rows)
