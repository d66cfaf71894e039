"""`Linear`: the affine map $y = x W^T + b$ with PyTorch's parameter layout."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import jax
import jax.numpy as jnp
from jax import lax
from jax.typing import DTypeLike

from funcnet import init as initializers
from funcnet._validate import check_parameter_options, floating, positive_int, resolve_dtype
from funcnet.errors import ShapeError
from funcnet.layers._base import Layer, Params, ParamSpec, Shape

__all__ = ["Linear"]


@dataclass(frozen=True, repr=False)
class Linear(Layer):
    """Affine map over the last axis: $y = x W^T + b$.

    `weight` has shape `(out_features, in_features)` and `bias` `(out_features,)`,
    exactly as PyTorch stores them, so a PyTorch `state_dict` loads unchanged. The
    default initialization is PyTorch's: both drawn from $U(-k, k)$ with
    $k = 1/\\sqrt{\\text{in\\_features}}$.

    Args:
        in_features: size of the input's last axis; None infers it from the input
            shape at `init` (write `Linear(out_features=5)`).
        out_features: size of the output's last axis.
        bias: whether to add the learned bias $b$.
        dtype: parameter dtype; None uses JAX's default float (float64 with x64 on).
        weight_init: initializer `(key, shape, dtype) -> array` for the weight.
        bias_init: initializer for the bias.

    Shapes:
        x: `(*batch, in_features)` -> y: `(*batch, out_features)`. Any number of leading
        axes, as in PyTorch; `jax.vmap` works on top.

    Raises:
        TypeError, ValueError: for non-positive or non-integer feature counts.
        ShapeError: at `init` or `apply`, when the input's last axis is not
            `in_features`, with PyTorch's message `mat1 and mat2 shapes cannot be
            multiplied (4x10 and 8x5)`.

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> import funcnet
        >>> layer = funcnet.Linear(10, 5)
        >>> params = layer.init(jax.random.key(0), (4, 10))
        >>> params["weight"].shape, params["bias"].shape
        ((5, 10), (5,))
        >>> layer(params, jnp.ones((4, 10))).shape
        (4, 5)
    """

    in_features: int | None = None
    out_features: int | None = None
    bias: bool = True
    dtype: DTypeLike | None = None
    weight_init: initializers.Initializer | None = None
    bias_init: initializers.Initializer | None = None

    def __post_init__(self) -> None:
        if self.out_features is None and self.in_features is not None:
            raise TypeError(
                f"Linear({self.in_features}) sets only in_features; give both, as in "
                f"Linear(10, {self.in_features}), or write "
                f"Linear(out_features={self.in_features}) to infer in_features."
            )
        if self.in_features is not None:
            positive_int(self.in_features, "in_features", "Linear")
        positive_int(self.out_features, "out_features", "Linear")
        check_parameter_options(self, "Linear")

    def __repr__(self) -> str:
        inputs = "inferred" if self.in_features is None else self.in_features
        return f"Linear(in_features={inputs}, out_features={self.out_features}, bias={self.bias})"

    def _mismatch(self, input_shape: Shape, in_features: int) -> ShapeError:
        rows = math.prod(input_shape[:-1]) if len(input_shape) > 1 else 1
        received = input_shape[-1] if input_shape else 1
        return ShapeError(
            # PyTorch flattens the batch axes into mat1's rows and shows W^T as mat2.
            f"mat1 and mat2 shapes cannot be multiplied ({rows}x{received} and "
            f"{in_features}x{self.out_features})",
            layer=repr(self),
            detail=f"expects {in_features} input features but receives {received}",
            hint=(
                f"give the input {in_features} features, or build "
                f"Linear({received}, {self.out_features})."
            ),
        )

    def _output_shape(self, input_shape: Shape) -> Shape:
        if not input_shape:
            raise ShapeError(
                "Linear: input must have at least 1 dimension, got a scalar",
                layer=repr(self),
                detail="needs an input of shape (*batch, in_features) but receives shape ()",
            )
        if self.in_features is not None and input_shape[-1] != self.in_features:
            raise self._mismatch(input_shape, self.in_features)
        if input_shape[-1] == 0:
            raise ShapeError(
                "Linear: the input's last dimension is 0",
                layer=repr(self),
                detail="needs at least 1 input feature but receives 0",
            )
        return (*input_shape[:-1], self.out_features)

    def _init(self, key: jax.Array, input_shape: Shape) -> Params:
        dtype = resolve_dtype(self.dtype, "Linear")
        fan_in = input_shape[-1]
        weight_key, bias_key = jax.random.split(key)
        weight_init = self.weight_init or initializers.pytorch_default()
        params = {"weight": weight_init(weight_key, (self.out_features, fan_in), dtype)}
        if self.bias:
            bound = 1.0 / math.sqrt(fan_in)
            bias_init = self.bias_init or initializers.uniform(-bound, bound)
            params["bias"] = bias_init(bias_key, (self.out_features,), dtype)
        return params

    def _param_specs(self) -> dict[str, ParamSpec]:
        specs = {
            "weight": ParamSpec(
                (self.out_features, self.in_features), ("out_features", "in_features")
            )
        }
        if self.bias:
            specs["bias"] = ParamSpec((self.out_features,), ("out_features",))
        return specs

    def _fitted_to(self, shapes: dict[str, Shape]) -> Linear | None:
        weight = shapes.get("weight", ())
        if len(weight) != 2 or min(weight) <= 0:
            return None
        return dataclasses.replace(
            self, in_features=weight[1], out_features=weight[0], bias="bias" in shapes
        )

    def _apply(self, params: Params, x: jax.Array, *, key, training) -> jax.Array:
        weight = params["weight"]
        floating(x, self)
        if x.shape[-1] != weight.shape[-1]:
            # Only with in_features inferred: the params, made at init, fix it.
            raise self._mismatch(x.shape, weight.shape[-1])
        # Contract x's last axis with W's axis 1: x @ W.T without materialising W.T.
        y = lax.dot_general(x, weight, (((x.ndim - 1,), (1,)), ((), ())))
        if self.bias:
            y = y + jnp.broadcast_to(params["bias"], y.shape)
        return y
