"""`MaxPool2d` and `AvgPool2d`: windowed reductions over NCHW images, as PyTorch's."""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from funcnet._validate import Pair, as_pair, boolean, floating, integer
from funcnet.errors import ShapeError
from funcnet.layers._base import Layer, Params, Shape

__all__ = ["AvgPool2d", "MaxPool2d"]


def _pooled_size(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """PyTorch's `pooling_output_shape` for one spatial axis."""
    span = d * (k - 1) + 1
    out = (size + 2 * p - span + (s - 1 if ceil_mode else 0)) // s + 1
    # In ceil mode the last window must start inside the input or its left padding.
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


class Window2d(Layer):
    """What the pooling layers and `MaxUnpool2d` share: a 2-D window over NCHW images,
    given by `kernel_size`, `stride`, `padding` and (pooling only) `dilation`, read as
    PyTorch reads them."""

    dilation = 1  # AvgPool2d and MaxUnpool2d have no dilation argument

    def _store_window(self) -> None:
        """Keep the size arguments as given, but hashable, and check them.

        A stride of None or `()` (max_pool2d's default) means the kernel size, and
        lists become tuples so that the frozen layer stays hashable; `(k,)` stays as
        given, so the repr shows what the user wrote.
        """
        if self.stride is None or (isinstance(self.stride, tuple | list) and not self.stride):
            object.__setattr__(self, "stride", self.kernel_size)
        for field in ("kernel_size", "stride", "padding", "dilation"):
            value = getattr(self, field)
            if isinstance(value, list):
                object.__setattr__(self, field, tuple(value))
        self._geometry()

    def _geometry(self) -> tuple[Pair, Pair, Pair, Pair]:
        """`(kernel_size, stride, padding, dilation)`, each as `(height, width)`."""
        name = type(self).__name__
        return (
            as_pair(self.kernel_size, "kernel_size", name, minimum=1),
            as_pair(self.stride, "stride", name, minimum=1),
            as_pair(self.padding, "padding", name, minimum=0),
            as_pair(self.dilation, "dilation", name, minimum=1),
        )


class _Pool2d(Window2d):
    """Shared checks and geometry of the 2-D pooling layers (no parameters)."""

    def _validate(self) -> None:
        name = type(self).__name__
        self._store_window()
        kernel, _, padding, dilation = self._geometry()
        boolean(self.ceil_mode, "ceil_mode", name)
        # The two checks of PyTorch's pooling_output_shape_pad_lr and pool2d_shape_check.
        for k, p, d in zip(kernel, padding, dilation, strict=True):
            if p > (d * (k - 1) + 1) // 2:
                raise ValueError(
                    f"{name}: pad should be at most half of effective kernel size, but got "
                    f"pad={p}, kernel_size={k} and dilation={d}; padding must be at most "
                    "kernel_size // 2."
                )
        if any(p > k // 2 for k, p in zip(kernel, padding, strict=True)):
            raise ValueError(
                f"{name}: pad should be smaller than or equal to half of kernel size, but got "
                f"padW = {padding[1]}, padH = {padding[0]}, kW = {kernel[1]}, kH = {kernel[0]}; "
                "padding must be at most kernel_size // 2."
            )

    def _sizes(self, spatial: Shape) -> list[int]:
        return [
            _pooled_size(size, k, s, p, d, self.ceil_mode)
            for size, k, s, p, d in zip(spatial, *self._geometry(), strict=True)
        ]

    def _output_shape(self, input_shape: Shape) -> Shape:
        if len(input_shape) not in (3, 4):
            raise ShapeError(
                "non-empty 3D or 4D (batch mode) tensor expected for input",
                layer=repr(self),
                detail=f"needs an input of shape (N, C, H, W) or (C, H, W) but receives "
                f"shape {input_shape}",
                hint="reshape the input to (N, C, H, W).",
            )
        if 0 in input_shape[-3:]:
            dims = ", ".join(str(dim) for dim in input_shape)
            raise ShapeError(
                "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for "
                f"input, but got:[{dims}]",
                layer=repr(self),
                detail=f"needs non-empty channel and spatial axes but receives {input_shape}",
            )
        channels, *spatial = input_shape[-3:]
        sizes = self._sizes(tuple(spatial))
        if min(sizes) < 1:
            raise ShapeError(
                f"Given input size: ({channels}x{spatial[0]}x{spatial[1]}). Calculated output "
                f"size: ({channels}x{sizes[0]}x{sizes[1]}). Output size is too small",
                layer=repr(self),
                detail=f"needs at least one full window but receives {spatial[0]}x{spatial[1]}",
                hint="use a larger input, a smaller kernel_size, or padding.",
            )
        return (*input_shape[:-2], *sizes)

    def _padding_config(self, spatial: Shape) -> list[Pair]:
        """`(low, high)` per spatial axis: `padding` plus, in ceil mode, what the last
        window needs past the end (filled so that it never wins or counts)."""
        config = []
        for size, out, k, s, p, d in zip(
            spatial, self._sizes(spatial), *self._geometry(), strict=True
        ):
            needed = (out - 1) * s + d * (k - 1) + 1
            config.append((p, p + max(0, needed - size - 2 * p)))
        return config


@dataclass(frozen=True, repr=False)
class MaxPool2d(_Pool2d):
    """The maximum over each window, as `torch.nn.MaxPool2d`.

    Args:
        kernel_size: window size `k` or `(kh, kw)`; `(k,)` means `(k, k)`, as in PyTorch.
        stride: step `s`, `(s,)` or `(sh, sw)`; None or `()` means `kernel_size`, as in
            PyTorch.
        padding: implicit $-\\infty$ on both sides, `p` or `(ph, pw)`; at most
            `kernel_size // 2`, as PyTorch requires.
        dilation: spacing `d` or `(dh, dw)` between window elements.
        ceil_mode: round the output size up instead of down, so a last partial window
            counts (PyTorch's rule: it must start inside the input or left padding).
        return_indices: keyword-only (ceil_mode keeps its place as the fifth positional
            argument); if True, `apply` returns `(y, indices)`, where `indices` are
            PyTorch's: the position `h * W + w` of each window's first maximum within its
            `(H, W)` plane, int64 with x64 on (the default int otherwise).

    Shapes:
        x: `(N, C, H, W)` or `(C, H, W)` -> y: `(N, C, H_out, W_out)` or `(C, H_out, W_out)`,
        $H_{out} = \\lfloor (H + 2p - d (k - 1) - 1) / s \\rfloor + 1$ (ceiling in ceil mode).
        `indices`, when returned, has the shape of y.

    Gradients go to the first maximum of each window in row-major order, as in PyTorch.

    Raises:
        TypeError, ValueError: for a bad argument, naming it and what is allowed.
        ShapeError: for a wrong rank, an empty axis, or an output smaller than 1x1
            (PyTorch's wording).

    Examples:
        >>> import jax.numpy as jnp
        >>> from funcnet.layers.pool import MaxPool2d
        >>> pool = MaxPool2d(2)
        >>> pool
        MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
        >>> x = jnp.arange(16.0).reshape(1, 1, 4, 4)
        >>> print(pool({}, x))
        [[[[ 5.  7.]
           [13. 15.]]]]
        >>> y, indices = MaxPool2d(2, return_indices=True)({}, x)
        >>> print(indices)
        [[[[ 5  7]
           [13 15]]]]
    """

    kernel_size: int | Pair
    stride: int | Pair | None = None
    padding: int | Pair = 0
    dilation: int | Pair = 1
    ceil_mode: bool = False
    _: KW_ONLY
    return_indices: bool = False

    def __post_init__(self) -> None:
        self._validate()
        boolean(self.return_indices, "return_indices", "MaxPool2d")

    def __repr__(self) -> str:
        extra = ", return_indices=True" if self.return_indices else ""
        return (
            f"MaxPool2d(kernel_size={self.kernel_size}, stride={self.stride}, "
            f"padding={self.padding}, dilation={self.dilation}, ceil_mode={self.ceil_mode}"
            f"{extra})"
        )

    def _apply(
        self, params: Params, x: jax.Array, *, key, training
    ) -> jax.Array | tuple[jax.Array, jax.Array]:
        floating(x, self, integers=True)
        kernel, stride, _, dilation = self._geometry()
        lead = (1,) * (x.ndim - 2)
        pads = [(0, 0)] * (x.ndim - 2) + self._padding_config(x.shape[-2:])
        if jnp.issubdtype(x.dtype, jnp.floating):
            lowest = np.array(-np.inf, x.dtype)
        else:
            lowest = np.array(np.iinfo(x.dtype).min, x.dtype)
        if self.return_indices:
            return self._with_indices(x, pads, lowest)
        if dilation != (1, 1):
            stacked = self._taps(x, pads, lowest)
            first = jnp.argmax(stacked, axis=-1, keepdims=True)
            return jnp.take_along_axis(stacked, first, axis=-1)[..., 0]
        return lax.reduce_window(x, lowest, lax.max, lead + kernel, lead + stride, pads)

    def _with_indices(
        self, x: jax.Array, pads: list[Pair], lowest: np.ndarray
    ) -> tuple[jax.Array, jax.Array]:
        """The maxima and PyTorch's indices: each window's first maximum (row-major),
        located by the same tap through an array of flat positions `h * W + w`."""
        height, width = x.shape[-2:]
        index_dtype = jnp.asarray(0).dtype  # int64 with x64 on, as PyTorch's indices
        positions = jnp.arange(height * width, dtype=index_dtype).reshape(height, width)
        positions = jnp.broadcast_to(positions, x.shape)
        stacked = self._taps(x, pads, lowest)
        first = jnp.argmax(stacked, axis=-1, keepdims=True)
        values = jnp.take_along_axis(stacked, first, axis=-1)[..., 0]
        where = self._taps(positions, pads, np.array(-1, index_dtype))
        return values, jnp.take_along_axis(where, first, axis=-1)[..., 0]

    def _taps(self, x: jax.Array, pads: list[Pair], fill: np.ndarray) -> jax.Array:
        """`(*x.shape[:-2], H_out, W_out, kh * kw)`: each window's cells, row-major.

        JAX has no gradient for a dilated `reduce_window` max, so dilated windows (and
        those whose indices are wanted) are stacked as strided slices, one per kernel
        tap, and the first maximum (PyTorch's choice) is picked with `argmax`.
        """
        kernel, stride, _, dilation = self._geometry()
        padded = jnp.pad(x, pads, constant_values=fill)
        lead = x.ndim - 2
        sizes = self._sizes(x.shape[-2:])
        taps = []
        for i in range(kernel[0]):
            for j in range(kernel[1]):
                offsets = (i * dilation[0], j * dilation[1])
                ends = [
                    o + (n - 1) * s + 1 for o, n, s in zip(offsets, sizes, stride, strict=True)
                ]
                start, limit = (0,) * lead + offsets, (*x.shape[:lead], *ends)
                taps.append(lax.slice(padded, start, limit, (1,) * lead + stride))
        return jnp.stack(taps, axis=-1)


@dataclass(frozen=True, repr=False)
class AvgPool2d(_Pool2d):
    """The mean over each window, as `torch.nn.AvgPool2d`.

    Args:
        kernel_size: window size `k` or `(kh, kw)`; `(k,)` means `(k, k)`, as in PyTorch.
        stride: step `s`, `(s,)` or `(sh, sw)`; None or `()` means `kernel_size`, as in
            PyTorch.
        padding: implicit zeros on both sides, `p` or `(ph, pw)`; at most
            `kernel_size // 2`, as PyTorch requires.
        ceil_mode: round the output size up instead of down (PyTorch's rule).
        count_include_pad: whether the zeros of `padding` count in the divisor. The
            extra cells a ceil-mode window reaches past the padding never count.
        divisor_override: divide every window's sum by this instead.

    Shapes:
        x: `(N, C, H, W)` or `(C, H, W)` -> y: `(N, C, H_out, W_out)` or `(C, H_out, W_out)`,
        $H_{out} = \\lfloor (H + 2p - k) / s \\rfloor + 1$ (ceiling in ceil mode).

    Raises:
        TypeError, ValueError: for a bad argument, naming it and what is allowed.
        ShapeError: for a wrong rank, an empty axis, or an output smaller than 1x1.

    Examples:
        >>> import jax.numpy as jnp
        >>> from funcnet.layers.pool import AvgPool2d
        >>> pool = AvgPool2d(2)
        >>> pool
        AvgPool2d(kernel_size=2, stride=2, padding=0)
        >>> x = jnp.arange(16.0).reshape(1, 1, 4, 4)
        >>> print(pool({}, x))
        [[[[ 2.5  4.5]
           [10.5 12.5]]]]
    """

    kernel_size: int | Pair
    stride: int | Pair | None = None
    padding: int | Pair = 0
    ceil_mode: bool = False
    count_include_pad: bool = True
    divisor_override: int | None = None

    def __post_init__(self) -> None:
        self._validate()
        boolean(self.count_include_pad, "count_include_pad", "AvgPool2d")
        if self.divisor_override is not None:
            wanted = "None or a positive int"
            integer(
                self.divisor_override, "divisor_override", "AvgPool2d", minimum=1, wanted=wanted
            )

    def __repr__(self) -> str:
        # torch.nn.AvgPool2d.extra_repr shows only these three.
        return (
            f"AvgPool2d(kernel_size={self.kernel_size}, stride={self.stride}, "
            f"padding={self.padding})"
        )

    def _divisor(self, spatial: Shape) -> np.ndarray:
        """`(H_out, W_out)` window sizes as PyTorch's avg_pool2d counts them."""
        if self.divisor_override is not None:
            return np.full(self._sizes(spatial), self.divisor_override)
        counts = []
        for size, out, k, s, p, _ in zip(
            spatial, self._sizes(spatial), *self._geometry(), strict=True
        ):
            start = np.arange(out) * s - p
            end = np.minimum(start + k, size + p)
            if not self.count_include_pad:
                start, end = np.maximum(start, 0), np.minimum(end, size)
            counts.append(end - start)
        return np.outer(*counts)

    def _apply(self, params: Params, x: jax.Array, *, key, training) -> jax.Array:
        floating(x, self)
        kernel, stride, _, _ = self._geometry()
        lead = (1,) * (x.ndim - 2)
        pads = [(0, 0)] * (x.ndim - 2) + self._padding_config(x.shape[-2:])
        zero = np.array(0, x.dtype)
        total = lax.reduce_window(x, zero, lax.add, lead + kernel, lead + stride, pads)
        divisor = jnp.asarray(self._divisor(x.shape[-2:]), x.dtype)
        return total / jnp.broadcast_to(divisor.reshape(lead + divisor.shape), total.shape)
