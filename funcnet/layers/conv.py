"""`Conv2d`: 2-D cross-correlation over NCHW images, with PyTorch's parameter layout."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import KW_ONLY, dataclass

import jax
import jax.numpy as jnp
from jax import lax
from jax.typing import DTypeLike

from funcnet import init as initializers
from funcnet._validate import (
    Pair,
    as_pair,
    check_parameter_options,
    floating,
    positive_int,
    resolve_dtype,
)
from funcnet.errors import ShapeError
from funcnet.layers._base import Layer, Params, ParamSpec, Shape

__all__ = ["Conv2d"]

_PADDING_STRINGS = ("same", "valid")


def _dims(shape: Shape) -> str:
    return "[" + ", ".join(str(dim) for dim in shape) + "]"


@dataclass(frozen=True, repr=False)
class Conv2d(Layer):
    """2-D convolution (cross-correlation, as in PyTorch) over `(N, C, H, W)` images.

    $$y_{n,o} = b_o + \\sum_{c \\in \\text{group}(o)} w_{o,c} \\star x_{n,c}$$

    `weight` has shape `(out_channels, in_channels // groups, kh, kw)` and `bias`
    `(out_channels,)`, exactly as PyTorch stores them, so a PyTorch `state_dict` loads
    unchanged. The default initialization is PyTorch's: both drawn from $U(-k, k)$ with
    $k = 1/\\sqrt{\\text{fan\\_in}}$, $\\text{fan\\_in} = \\text{in\\_channels} / \\text{groups}
    \\cdot kh \\cdot kw$.

    Args:
        in_channels: channels of the input, $C$.
        out_channels: channels of the output.
        kernel_size: `k` or `(kh, kw)`; `(k,)` means `(k, k)` (torch.nn.Conv2d refuses
            it; `torch.nn.functional.conv2d` takes any square kernel).
        stride: `s` or `(sh, sw)`; `(s,)` means `(s, s)`, as in PyTorch.
        padding: `p`, `(p,)` or `(ph, pw)` zeros on both sides; `"valid"` for none;
            `"same"` for an output as large as the input (stride 1 only, as in PyTorch;
            an odd total goes one more to the bottom and right, as PyTorch pads).
        dilation: spacing `d` or `(dh, dw)` between kernel taps; `(d,)` means `(d, d)`.
        groups: split channels into this many independent groups; `in_channels` and
            `out_channels` must both be divisible by it.
        bias: whether to add the learned bias $b$.
        dtype: parameter dtype; None uses JAX's default float (float64 with x64 on).
        weight_init: initializer `(key, shape, dtype) -> array` for the weight.
        bias_init: initializer for the bias.

    Shapes:
        x: `(N, C, H, W)` or unbatched `(C, H, W)` -> y: `(N, out_channels, H_out, W_out)`
        or `(out_channels, H_out, W_out)`, with, per spatial axis,
        $H_{out} = \\lfloor (H + p_{top} + p_{bottom} - d (k - 1) - 1) / s \\rfloor + 1$.

    Raises:
        TypeError, ValueError: for a bad argument, naming it and what is allowed.
        ShapeError: at `init` or `apply`, for a wrong rank, a wrong channel count
            (PyTorch's `Given groups=1, weight of size [16, 3, 3, 3], expected
            input[2, 4, 8, 8] to have 3 channels, but got 4 channels instead`), or an
            input smaller than the kernel.

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> from funcnet.layers.conv import Conv2d
        >>> layer = Conv2d(3, 16, kernel_size=3, padding=1)
        >>> layer
        Conv2d(3, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
        >>> params = layer.init(jax.random.key(0), (2, 3, 8, 8))
        >>> params["weight"].shape, params["bias"].shape
        ((16, 3, 3, 3), (16,))
        >>> layer(params, jnp.ones((2, 3, 8, 8))).shape
        (2, 16, 8, 8)
    """

    in_channels: int
    out_channels: int
    kernel_size: int | Pair
    stride: int | Pair = 1
    padding: int | Pair | str = 0
    dilation: int | Pair = 1
    groups: int = 1
    bias: bool = True
    _: KW_ONLY
    dtype: DTypeLike | None = None
    weight_init: initializers.Initializer | None = None
    bias_init: initializers.Initializer | None = None

    def __post_init__(self) -> None:
        positive_int(self.in_channels, "in_channels", "Conv2d")
        positive_int(self.out_channels, "out_channels", "Conv2d")
        groups = positive_int(self.groups, "groups", "Conv2d")
        for name in ("in_channels", "out_channels"):
            if getattr(self, name) % groups:
                raise ValueError(
                    f"Conv2d: {name} must be divisible by groups, got {name}="
                    f"{getattr(self, name)} and groups={groups}."
                )
        for name in ("kernel_size", "stride", "dilation"):
            pair = as_pair(getattr(self, name), name, "Conv2d", minimum=1)
            object.__setattr__(self, name, pair)
        self._check_padding()
        check_parameter_options(self, "Conv2d")

    def _check_padding(self) -> None:
        if isinstance(self.padding, str):
            if self.padding not in _PADDING_STRINGS:
                raise ValueError(
                    f"Conv2d: invalid padding string {self.padding!r}, should be one of "
                    "'same' or 'valid' (or an int, or a pair of ints)."
                )
            if self.padding == "same" and self.stride != (1, 1):
                raise ValueError(
                    "Conv2d: padding='same' is not supported for strided convolutions "
                    f"(stride={self.stride}); use stride=1, or give the padding as ints."
                )
            return
        padding = as_pair(self.padding, "padding", "Conv2d", minimum=0)
        object.__setattr__(self, "padding", padding)

    def __repr__(self) -> str:
        # Mirrors torch.nn.Conv2d.extra_repr: defaults are left out.
        text = (
            f"Conv2d({self.in_channels}, {self.out_channels}, "
            f"kernel_size={self.kernel_size}, stride={self.stride}"
        )
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if not self.bias:
            text += ", bias=False"
        return text + ")"

    @property
    def weight_shape(self) -> tuple[int, int, int, int]:
        """`(out_channels, in_channels // groups, kh, kw)`, PyTorch's layout."""
        return (self.out_channels, self.in_channels // self.groups, *self.kernel_size)

    def _padding_pairs(self) -> tuple[Pair, Pair]:
        """`((top, bottom), (left, right))` zero padding."""
        if self.padding == "valid":
            return (0, 0), (0, 0)
        if self.padding == "same":
            # PyTorch's _conv_forward: total d*(k-1); the odd one goes bottom/right.
            totals = [d * (k - 1) for k, d in zip(self.kernel_size, self.dilation, strict=True)]
            return tuple((total // 2, total - total // 2) for total in totals)
        return tuple((p, p) for p in self.padding)

    def _output_shape(self, input_shape: Shape) -> Shape:
        if len(input_shape) not in (3, 4):
            raise ShapeError(
                "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of "
                f"size: {_dims(input_shape)}",
                layer=repr(self),
                detail=f"needs an input of shape (N, C, H, W) or (C, H, W) but receives "
                f"shape {input_shape}",
                hint="reshape the input to (N, C, H, W); a flat batch of images needs "
                "x.reshape(N, C, H, W).",
            )
        batched = input_shape if len(input_shape) == 4 else (1, *input_shape)
        if batched[1] != self.in_channels:
            raise self._channel_mismatch(batched)
        sizes = []
        padded = []
        spans = []
        for size, (low, high), k, s, d in zip(
            batched[2:],
            self._padding_pairs(),
            self.kernel_size,
            self.stride,
            self.dilation,
            strict=True,
        ):
            padded.append(size + low + high)
            spans.append(d * (k - 1) + 1)
            sizes.append((padded[-1] - spans[-1]) // s + 1)
        if any(p < span for p, span in zip(padded, spans, strict=True)):
            raise ShapeError(
                f"Calculated padded input size per channel: ({padded[0]} x {padded[1]}). "
                f"Kernel size: ({spans[0]} x {spans[1]}). Kernel size can't be greater "
                "than actual input size",
                layer=repr(self),
                detail=f"needs a padded image of at least {spans[0]}x{spans[1]} but receives "
                f"{batched[2]}x{batched[3]}, padded to {padded[0]}x{padded[1]}",
                hint="use a larger input, more padding, or a smaller kernel_size or dilation.",
            )
        return (*input_shape[:-3], self.out_channels, *sizes)

    def _channel_mismatch(self, batched: Shape) -> ShapeError:
        received = batched[1]
        hint = f"give the input {self.in_channels} channels on axis -3"
        if received > 0 and received % self.groups == 0:
            hint += f", or build {dataclasses.replace(self, in_channels=received)!r}"
        return ShapeError(
            f"Given groups={self.groups}, weight of size {_dims(self.weight_shape)}, expected "
            f"input{_dims(batched)} to have {self.in_channels} channels, but got "
            f"{received} channels instead",
            layer=repr(self),
            detail=f"expects {self.in_channels} input channels but receives {received}",
            hint=hint + ".",
        )

    def _init(self, key: jax.Array, input_shape: Shape) -> Params:
        dtype = resolve_dtype(self.dtype, "Conv2d")
        weight_key, bias_key = jax.random.split(key)
        weight_init = self.weight_init or initializers.pytorch_default()
        params = {"weight": weight_init(weight_key, self.weight_shape, dtype)}
        if self.bias:
            fan_in = math.prod(self.weight_shape[1:])
            bound = 1.0 / math.sqrt(fan_in)
            bias_init = self.bias_init or initializers.uniform(-bound, bound)
            params["bias"] = bias_init(bias_key, (self.out_channels,), dtype)
        return params

    def _param_specs(self) -> dict[str, ParamSpec]:
        axes = ("out_channels", "in_channels // groups", "kh", "kw")
        specs = {"weight": ParamSpec(self.weight_shape, axes)}
        if self.bias:
            specs["bias"] = ParamSpec((self.out_channels,), ("out_channels",))
        return specs

    def _fitted_to(self, shapes: dict[str, Shape]) -> Conv2d | None:
        weight = shapes.get("weight", ())
        if len(weight) != 4:
            return None
        try:
            return dataclasses.replace(
                self,
                in_channels=weight[1] * self.groups,
                out_channels=weight[0],
                kernel_size=tuple(weight[2:]),
                bias="bias" in shapes,
            )
        except (TypeError, ValueError):
            return None

    def _apply(self, params: Params, x: jax.Array, *, key, training) -> jax.Array:
        weight, bias = params["weight"], params.get("bias")
        floating(x, self)
        # lax.conv needs equal dtypes; promote as Linear's dot_general does.
        dtype = jnp.result_type(x.dtype, weight.dtype)
        batched = x if x.ndim == 4 else x[None]
        y = lax.conv_general_dilated(
            batched.astype(dtype),
            weight.astype(dtype),
            window_strides=self.stride,
            padding=self._padding_pairs(),
            rhs_dilation=self.dilation,
            dimension_numbers=("NCHW", "OIHW", "NCHW"),
            feature_group_count=self.groups,
        )
        if bias is not None:
            y = y + jnp.broadcast_to(bias.reshape(1, -1, 1, 1), y.shape)
        return y if x.ndim == 4 else y[0]
