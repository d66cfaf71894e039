"""`MaxUnpool2d`: puts `MaxPool2d`'s maxima back where they came from, as PyTorch's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import jax
import jax.numpy as jnp
from jax import lax
from jax.typing import ArrayLike

from funcnet._validate import Pair
from funcnet.errors import ShapeError
from funcnet.layers._base import Params, Shape
from funcnet.layers.pool import Window2d

__all__ = ["MaxUnpool2d"]


@dataclass(frozen=True, repr=False)
class MaxUnpool2d(Window2d):
    """The partial inverse of `MaxPool2d`, as `torch.nn.MaxUnpool2d`: each value goes
    back to the position its index names; every other cell is 0.

    Args:
        kernel_size: the pooling's window size `k`, `(k,)` or `(kh, kw)`.
        stride: the pooling's step; None or `()` means `kernel_size`, as in PyTorch.
        padding: the pooling's padding `p`, `(p,)` or `(ph, pw)`.

    Call it as `unpool.apply(params, (x, indices), output_size=None)` with the pair that
    `MaxPool2d(..., return_indices=True)` returns; `params` is `{}`.

    Shapes:
        x, indices: `(N, C, H, W)` or `(C, H, W)` -> y: `(N, C, H_out, W_out)` or
        `(C, H_out, W_out)`, $H_{out} = (H - 1) s - 2p + k$ unless `output_size` (2
        entries, or 4 of which the last two count, as PyTorch's) says otherwise;
        PyTorch allows it within `stride` of that default. `indices` are flat
        positions `h * W_out + w` in each `(H_out, W_out)` plane; out-of-range ones are
        dropped (PyTorch raises, which a traced index cannot).

    Gradients: the gradient w.r.t. `x` gathers the output's gradient at `indices`.

    Raises:
        TypeError, ValueError: for a bad argument, or `x` and `indices` of different
            shapes, or an `output_size` out of range.
        ShapeError: for a wrong rank.

    Examples:
        >>> import jax.numpy as jnp
        >>> from funcnet.layers.pool import MaxPool2d
        >>> from funcnet.layers.unpool import MaxUnpool2d
        >>> x = jnp.arange(16.0).reshape(1, 1, 4, 4)
        >>> y, indices = MaxPool2d(2, return_indices=True)({}, x)
        >>> print(MaxUnpool2d(2).apply({}, (y, indices)))
        [[[[ 0.  0.  0.  0.]
           [ 0.  5.  0.  7.]
           [ 0.  0.  0.  0.]
           [ 0. 13.  0. 15.]]]]
    """

    kernel_size: int | Pair
    stride: int | Pair | None = None
    padding: int | Pair = 0

    def __post_init__(self) -> None:
        self._store_window()

    def __repr__(self) -> str:
        return (
            f"MaxUnpool2d(kernel_size={self.kernel_size}, stride={self.stride}, "
            f"padding={self.padding})"
        )

    def _output_shape(self, input_shape: Shape) -> Shape:
        if len(input_shape) not in (3, 4):
            raise ShapeError(
                "Input to max_unpooling2d should be a 3d or 4d Tensor",
                layer=repr(self),
                detail=f"needs (N, C, H, W) or (C, H, W) but receives shape {input_shape}",
                hint="reshape the input to (N, C, H, W).",
            )
        kernel, stride, padding, _ = self._geometry()
        sizes = [
            (size - 1) * s - 2 * p + k
            for size, k, s, p in zip(input_shape[-2:], kernel, stride, padding, strict=True)
        ]
        return (*input_shape[:-2], *sizes)

    def _target(self, input_shape: Shape, output_size: object) -> Pair:
        default = self._output_shape(input_shape)[-2:]
        if output_size is None:
            return default
        # PyTorch's _unpool_output_size: 2 entries or 4, of which the last two count.
        if len(output_size) not in (2, 4):
            raise ValueError(
                f"{self!r}: output_size must have 2 or 4 entries (the last two are used), "
                f"got {tuple(output_size)}."
            )
        size = tuple(output_size)[-2:]
        stride = self._geometry()[1]
        if any(not b - s < n < b + s for n, b, s in zip(size, default, stride, strict=True)):
            low = tuple(b - s for b, s in zip(default, stride, strict=True))
            high = tuple(b + s for b, s in zip(default, stride, strict=True))
            raise ValueError(
                f"{self!r}: invalid output_size {tuple(output_size)}: its last two entries "
                f"must lie strictly between {low} and {high}, as PyTorch requires."
            )
        return size[0], size[1]

    def apply(  # takes the (x, indices) pair that MaxPool2d returns, as torch's forward
        self,
        params: Params,
        x: tuple[ArrayLike, ArrayLike],
        *,
        output_size: Sequence[int] | None = None,
        key: jax.Array | None = None,
        training: bool = False,
    ) -> jax.Array:
        """Scatter `x` to `indices`; see the class docstring for shapes."""
        return self._unpool(self._checked(params, x), output_size)

    def _checked(self, params: Params, x: object) -> tuple[jax.Array, jax.Array]:
        if not isinstance(x, tuple | list) or len(x) != 2:
            raise TypeError(
                f"{self!r}: apply takes the pair (x, indices) that MaxPool2d(..., "
                f"return_indices=True) returns, got {type(x).__name__}."
            )
        values, indices = jnp.asarray(x[0]), jnp.asarray(x[1])
        if values.shape != indices.shape:
            raise ValueError(
                f"{self!r}: Expected shape of indices to be same as that of the input tensor "
                f"({values.shape}) but got indices tensor with shape: {indices.shape}"
            )
        if not jnp.issubdtype(indices.dtype, jnp.integer):
            raise TypeError(f"{self!r}: indices must be integers, got dtype {indices.dtype}.")
        self.output_shape(values.shape)
        return values, indices

    def _apply(self, params: Params, x, *, key, training) -> jax.Array:
        return self._unpool(x, None)

    def _unpool(self, x: tuple[jax.Array, jax.Array], output_size) -> jax.Array:
        values, indices = x
        height, width = self._target(values.shape, output_size)
        lead = values.shape[:-2]
        flat = values.reshape(-1, values.shape[-2] * values.shape[-1])
        planes = jnp.arange(flat.shape[0])[:, None]
        where = (planes, indices.reshape(flat.shape))
        out = jnp.zeros((flat.shape[0], height * width), values.dtype)
        placed = out.at[where].set(lax.stop_gradient(flat), mode="drop")
        # Overlapping windows repeat an index. PyTorch's backward gathers the gradient at
        # every index, which is the derivative of a scatter-add, not of a scatter-set.
        added = out.at[where].add(flat, mode="drop")
        out = placed + (added - lax.stop_gradient(added))
        return out.reshape(*lead, height, width)
