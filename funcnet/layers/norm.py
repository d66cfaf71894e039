"""Normalisation layers: `BatchNorm1d`, `BatchNorm2d` (with state) and `LayerNorm`.

Batch norm is the one layer whose output in training depends on the other examples
of the batch and whose evaluation uses statistics gathered in training. Those running
statistics are its state: `initial_state` makes them, `apply_with_state(...,
training=True)` returns them updated, and nothing is mutated. The update rule is
PyTorch's, so a PyTorch model's `state_dict()` loads and gives the same outputs in
both modes:

$$\\hat\\mu \\leftarrow (1 - m)\\,\\hat\\mu + m\\,\\mu_B, \\qquad
\\hat\\sigma^2 \\leftarrow (1 - m)\\,\\hat\\sigma^2 + m\\,\\frac{n}{n - 1}\\,\\sigma_B^2,$$

with momentum $m$ (0.1 by default), batch mean $\\mu_B$ and biased batch variance
$\\sigma_B^2$ over the $n$ values of each channel; the running variance is the
unbiased estimate, while the batch is normalised with the biased one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import jax
import jax.numpy as jnp
from jax.typing import DTypeLike

from funcnet._validate import (
    as_shape,
    boolean,
    floating,
    floating_dtype,
    positive_int,
    real,
    resolve_dtype,
)
from funcnet.errors import ShapeError
from funcnet.layers._base import Layer, Params, ParamSpec, Shape, State

__all__ = ["BatchNorm1d", "BatchNorm2d", "LayerNorm"]


def _check_eps(eps: object, owner: str) -> None:
    if not real(eps, "eps", owner, wanted="a positive number") > 0:
        raise ValueError(f"{owner}: eps must be a positive number, got {eps!r}.")


def _normalise(x: jax.Array, axes: tuple[int, ...], eps: float):
    """`(x - mean) / sqrt(var + eps)` over `axes`, with the biased variance; also mean, var."""
    mean = jnp.mean(x, axis=axes, keepdims=True)
    var = jnp.mean(jnp.square(x - mean), axis=axes, keepdims=True)
    return (x - mean) * jax.lax.rsqrt(var + eps), mean, var


@dataclass(frozen=True, repr=False)
class _BatchNorm(Layer):
    """Batch norm over axis 1 of `(N, C, *spatial)`; subclasses fix the allowed ranks."""

    num_features: int
    eps: float = 1e-5
    momentum: float | None = 0.1
    affine: bool = True
    track_running_stats: bool = True
    dtype: DTypeLike | None = None

    _ranks: ClassVar[tuple[int, ...]] = ()

    def __post_init__(self) -> None:
        owner = type(self).__name__
        positive_int(self.num_features, "num_features", owner)
        _check_eps(self.eps, owner)
        wanted = "None or a number in [0, 1]"
        if (
            self.momentum is not None
            and not 0 <= real(self.momentum, "momentum", owner, wanted=wanted) <= 1
        ):
            raise ValueError(f"{owner}: momentum must be {wanted}, got {self.momentum!r}.")
        boolean(self.affine, "affine", owner)
        boolean(self.track_running_stats, "track_running_stats", owner)
        floating_dtype(self.dtype, owner, optional=True)

    @property
    def stateful(self) -> bool:
        """True unless built with `track_running_stats=False` (then no state at all)."""
        return self.track_running_stats

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.num_features}, eps={self.eps}, "
            f"momentum={self.momentum}, affine={self.affine}, "
            f"track_running_stats={self.track_running_stats})"
        )

    def _output_shape(self, input_shape: Shape) -> Shape:
        ranks = " or ".join(f"{rank}D" for rank in self._ranks)
        if len(input_shape) not in self._ranks:
            raise ShapeError(
                f"expected {ranks} input (got {len(input_shape)}D input)",
                layer=repr(self),
                detail=f"normalises {ranks} inputs but receives shape {input_shape}",
                hint=f"give it inputs of shape {self._usage()}.",
            )
        if input_shape[1] != self.num_features:
            raise ShapeError(
                f"running_mean should contain {input_shape[1]} elements not {self.num_features}",
                layer=repr(self),
                detail=(
                    f"expects {self.num_features} channels (axis 1) but receives "
                    f"{input_shape[1]}, in shape {input_shape}"
                ),
                hint=f"build {type(self).__name__}({input_shape[1]}).",
            )
        return input_shape

    def _usage(self) -> str:
        return " or ".join(
            {2: "(N, C)", 3: "(N, C, L)", 4: "(N, C, H, W)"}[rank] for rank in self._ranks
        )

    def _init(self, key: jax.Array, input_shape: Shape) -> Params:
        if not self.affine:
            return {}
        dtype = resolve_dtype(self.dtype, type(self).__name__)
        return {
            "weight": jnp.ones(self.num_features, dtype),
            "bias": jnp.zeros(self.num_features, dtype),
        }

    def _param_specs(self) -> dict[str, ParamSpec]:
        if not self.affine:
            return {}
        spec = ParamSpec((self.num_features,), ("num_features",))
        return {"weight": spec, "bias": spec}

    def _initial_state(self, input_shape: Shape) -> State:
        if not self.track_running_stats:
            return {}
        dtype = resolve_dtype(self.dtype, type(self).__name__)
        return {
            "running_mean": jnp.zeros(self.num_features, dtype),
            "running_var": jnp.ones(self.num_features, dtype),
            # PyTorch keeps a long; int64 with x64 on, else JAX's int32.
            "num_batches_tracked": jnp.zeros((), jax.dtypes.canonicalize_dtype(jnp.int64)),
        }

    def _state_specs(self) -> dict[str, ParamSpec]:
        if not self.track_running_stats:
            return {}
        spec = ParamSpec((self.num_features,), ("num_features",))
        return {
            "running_mean": spec,
            "running_var": spec,
            "num_batches_tracked": ParamSpec((), ()),
        }

    def _axes(self, x: jax.Array) -> tuple[int, ...]:
        return (0, *range(2, x.ndim))

    def _channel(self, values: jax.Array, ndim: int) -> jax.Array:
        """A `(C,)` vector shaped to broadcast over `(N, C, *spatial)`."""
        return values.reshape(1, -1, *([1] * (ndim - 2)))

    def _affine(self, params: Params, y: jax.Array) -> jax.Array:
        if not self.affine:
            return y
        return y * self._channel(params["weight"], y.ndim) + self._channel(params["bias"], y.ndim)

    def _batch_statistics(self, params: Params, x: jax.Array):
        floating(x, repr(self))
        count = x.size // x.shape[1]
        if count == 1:
            raise ValueError(
                "Expected more than 1 value per channel when training, got input size "
                f"{x.shape}: {self!r} normalises each channel over the batch, which needs "
                "at least 2 values; use a batch of 2 or more, or evaluate with "
                "training=False (running statistics)."
            )
        y, mean, var = _normalise(x, self._axes(x), self.eps)
        return self._affine(params, y), mean.reshape(-1), var.reshape(-1), count

    def _apply(self, params: Params, x: jax.Array, *, key, training) -> jax.Array:
        # Reached only with track_running_stats=False: batch statistics in both modes,
        # as PyTorch does when there are no running statistics to use.
        return self._batch_statistics(params, x)[0]

    def _apply_with_state(
        self, params: Params, state: State, x: jax.Array, *, key, training
    ) -> tuple[jax.Array, State]:
        if not self.track_running_stats:
            return self._apply(params, x, key=key, training=training), state
        if not training:
            floating(x, repr(self))
            mean = self._channel(state["running_mean"], x.ndim)
            var = self._channel(state["running_var"], x.ndim)
            y = (x - mean) * jax.lax.rsqrt(var + self.eps)
            return self._affine(params, y), state
        y, mean, var, count = self._batch_statistics(params, x)
        tracked = state["num_batches_tracked"] + 1
        if count == 0:  # an empty batch counts, but has no statistics: PyTorch keeps them
            return y, {**state, "num_batches_tracked": tracked}
        # momentum=None: PyTorch's cumulative average, weight 1/t for the t-th batch.
        factor = 1.0 / tracked if self.momentum is None else self.momentum
        mean, var = jax.lax.stop_gradient((mean, var * (count / (count - 1))))
        dtype = state["running_mean"].dtype
        return y, {
            "running_mean": ((1 - factor) * state["running_mean"] + factor * mean).astype(dtype),
            "running_var": ((1 - factor) * state["running_var"] + factor * var).astype(dtype),
            "num_batches_tracked": tracked,
        }


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of `(N, C)` or `(N, C, L)` inputs, as `torch.nn.BatchNorm1d`.

    In training each channel is normalised with the mean and (biased) variance of
    its $n$ values in the batch, $y = (x - \\mu_B)/\\sqrt{\\sigma_B^2 + \\epsilon}
    \\cdot \\gamma + \\beta$, and the running statistics are updated (see the module
    docstring); in evaluation the running statistics replace the batch's.

    Args:
        num_features: the number of channels $C$.
        eps: $\\epsilon$, added to the variance.
        momentum: $m$ of the running averages; None for the cumulative average.
        affine: learn `weight` $\\gamma$ (ones) and `bias` $\\beta$ (zeros), `(C,)`.
        track_running_stats: keep `running_mean`, `running_var` `(C,)` and
            `num_batches_tracked` `()` as state; if False the layer has no state
            and uses batch statistics in evaluation too.
        dtype: dtype of params and running statistics; None for JAX's default float.

    Shapes:
        x: `(N, C)` or `(N, C, L)` -> y: the same shape.

    Raises:
        ValueError: for bad arguments; in training for a single value per channel.
        ShapeError: for an input of another rank or channel count.

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> import funcnet
        >>> layer = funcnet.BatchNorm1d(3)
        >>> params, state = layer.init(jax.random.key(0), (4, 3)), layer.initial_state((4, 3))
        >>> x = jnp.arange(12.0).reshape(4, 3)
        >>> y, state = layer.apply_with_state(params, state, x, training=True)
        >>> print(y[:, 0].round(4), state["running_mean"])  # column means 4.5, 5.5, 6.5
        [-1.3416 -0.4472  0.4472  1.3416] [0.45 0.55 0.65]
    """

    _ranks = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of `(N, C, H, W)` images per channel, as `torch.nn.BatchNorm2d`.

    Statistics are taken over the batch and both spatial axes, $n = N H W$ values per
    channel; otherwise as `BatchNorm1d`.

    Args:
        num_features: the number of channels $C$.
        eps: $\\epsilon$, added to the variance.
        momentum: $m$ of the running averages; None for the cumulative average.
        affine: learn `weight` and `bias` of shape `(C,)`.
        track_running_stats: keep running statistics as state.
        dtype: dtype of params and running statistics.

    Shapes:
        x: `(N, C, H, W)` -> y: the same shape.

    Raises:
        ValueError: for bad arguments; in training for a single value per channel.
        ShapeError: for an input that is not 4-D or has another channel count.

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> import funcnet
        >>> layer = funcnet.BatchNorm2d(2)
        >>> state = layer.initial_state((8, 2, 5, 5))
        >>> {name: value.shape for name, value in state.items()}
        {'running_mean': (2,), 'running_var': (2,), 'num_batches_tracked': ()}
        >>> x = jax.random.normal(jax.random.key(0), (8, 2, 5, 5))
        >>> y, state = layer.apply_with_state({"weight": jnp.ones(2), "bias": jnp.zeros(2)},
        ...                                   state, x, training=True)
        >>> print(y.mean(axis=(0, 2, 3)).round(5) + 0.0, int(state["num_batches_tracked"]))
        [0. 0.] 1
    """

    _ranks = (4,)


def _as_normalized_shape(value: object) -> tuple[int, ...]:
    if isinstance(value, str) or not hasattr(value, "__iter__"):
        value = (positive_int(value, "normalized_shape", "LayerNorm"),)
    dims = as_shape(value, "LayerNorm: normalized_shape")
    if not dims or min(dims) == 0:
        raise ValueError(
            f"LayerNorm: normalized_shape must be positive sizes such as 5 or (3, 4), "
            f"got {value!r}."
        )
    return dims


@dataclass(frozen=True, repr=False)
class LayerNorm(Layer):
    """Layer normalisation over the trailing axes, as `torch.nn.LayerNorm`.

    Each example is normalised over its last `len(normalized_shape)` axes with their
    mean and biased variance, $y = (x - \\mu)/\\sqrt{\\sigma^2 + \\epsilon} \\cdot
    \\gamma + \\beta$; no batch statistics, so training and evaluation agree and there
    is no state.

    Args:
        normalized_shape: the trailing sizes, an int for the last axis only.
        eps: $\\epsilon$, added to the variance.
        elementwise_affine: learn `weight` $\\gamma$ (ones) of shape `normalized_shape`.
        bias: with `elementwise_affine`, also learn `bias` $\\beta$ (zeros).
        dtype: parameter dtype; None for JAX's default float.

    Shapes:
        x: `(*batch, *normalized_shape)` -> y: the same shape.

    Raises:
        TypeError, ValueError: for bad arguments.
        ShapeError: if the input's trailing axes are not `normalized_shape`, in
            PyTorch's words.

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> import funcnet
        >>> layer = funcnet.LayerNorm(4)
        >>> params = layer.init(jax.random.key(0), (2, 4))
        >>> print(layer(params, jnp.array([[1.0, 2.0, 3.0, 4.0], [0.0, 0.0, 0.0, 8.0]])).round(3))
        [[-1.342 -0.447  0.447  1.342]
         [-0.577 -0.577 -0.577  1.732]]
    """

    normalized_shape: int | tuple[int, ...]
    eps: float = 1e-5
    elementwise_affine: bool = True
    bias: bool = True
    dtype: DTypeLike | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "normalized_shape", _as_normalized_shape(self.normalized_shape))
        _check_eps(self.eps, "LayerNorm")
        boolean(self.elementwise_affine, "elementwise_affine", "LayerNorm")
        boolean(self.bias, "bias", "LayerNorm")
        floating_dtype(self.dtype, "LayerNorm", optional=True)

    def __repr__(self) -> str:
        return (
            f"LayerNorm({self.normalized_shape}, eps={self.eps}, "
            f"elementwise_affine={self.elementwise_affine})"
        )

    def _output_shape(self, input_shape: Shape) -> Shape:
        trailing = input_shape[len(input_shape) - len(self.normalized_shape) :]
        if len(input_shape) < len(self.normalized_shape) or trailing != self.normalized_shape:
            sizes = ", ".join(map(str, self.normalized_shape))
            raise ShapeError(
                f"Given normalized_shape=[{sizes}], expected input with shape [*, {sizes}], "
                f"but got input of size{list(input_shape)}",
                layer=repr(self),
                detail=(
                    f"normalises the trailing axes {self.normalized_shape} but receives "
                    f"shape {input_shape}"
                ),
                hint=f"build LayerNorm({input_shape[-1] if input_shape else 1}) to "
                "normalise the last axis of this input.",
            )
        return input_shape

    def _param_specs(self) -> dict[str, ParamSpec]:
        if not self.elementwise_affine:
            return {}
        spec = ParamSpec(self.normalized_shape, ("normalized_shape",) * len(self.normalized_shape))
        return {"weight": spec, "bias": spec} if self.bias else {"weight": spec}

    def _init(self, key: jax.Array, input_shape: Shape) -> Params:
        dtype = resolve_dtype(self.dtype, "LayerNorm")
        specs = self._param_specs()
        makers = {"weight": jnp.ones, "bias": jnp.zeros}
        return {name: makers[name](self.normalized_shape, dtype) for name in specs}

    def _apply(self, params: Params, x: jax.Array, *, key, training) -> jax.Array:
        floating(x, repr(self))
        axes = tuple(range(x.ndim - len(self.normalized_shape), x.ndim))
        y = _normalise(x, axes, self.eps)[0]
        if "weight" in params:
            y = y * jnp.broadcast_to(params["weight"], y.shape)
        if "bias" in params:
            y = y + jnp.broadcast_to(params["bias"], y.shape)
        return y
