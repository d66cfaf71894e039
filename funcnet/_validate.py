"""Argument checks shared by every layer, loss, metric, loop and loader: the one home for them.

Each check raises the built-in exception a Python user expects (`TypeError` for a
wrong type, `ValueError` for a wrong value) with a message that names the caller
(`owner`), the argument, what arrived and what was expected. `owner` is a name such as
`"Conv2d"` or `"cross_entropy"`, or a layer itself, whose repr (with its settings) is
written only when a check fails. Shapes are static in JAX, so these checks run in
Python at trace time and cost nothing inside `jit`.
"""

from __future__ import annotations

import numbers
import operator
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike, DTypeLike

__all__ = [
    "Pair",
    "Shape",
    "as_pair",
    "as_shape",
    "boolean",
    "check_dim",
    "check_key",
    "check_parameter_options",
    "concrete",
    "describe",
    "floating",
    "floating_dtype",
    "integer",
    "is_key",
    "one_of",
    "positive_int",
    "real",
    "resolve_dtype",
]

Shape = tuple[int, ...]
Pair = tuple[int, int]

# What `integer` says it expected, by the smallest value allowed.
_INTS = {None: "an int", 0: "a non-negative int", 1: "a positive int"}


def describe(value: object) -> str:
    """A short description of `value` for an error message: shape and dtype of arrays."""
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return f"an array of shape {tuple(value.shape)} and dtype {value.dtype}"
    return f"{value!r} of type {type(value).__name__}"


# --- numbers, flags and choices --------------------------------------------------------


def integer(
    value: Any, name: str, owner: object, *, minimum: int | None = None, wanted: str | None = None
) -> int:
    """`value` as an int: a Python or numpy int, or anything with `__index__`; never a bool.

    Args:
        value: the argument to check.
        name: its name, for the message.
        owner: the function or layer it was given to.
        minimum: the smallest value allowed, or None for any int.
        wanted: what the message says was expected; by default `"an int"`, `"a
            non-negative int"` (minimum 0) or `"a positive int"` (minimum 1).

    Raises:
        TypeError: if `value` is not an int.
        ValueError: if it is below `minimum`.
    """
    wanted = wanted or _INTS.get(minimum, f"an int >= {minimum}")
    try:
        if isinstance(value, bool):
            raise TypeError
        number = operator.index(value)
    except TypeError:
        raise TypeError(f"{owner}: {name} must be {wanted}, got {describe(value)}.") from None
    if minimum is not None and number < minimum:
        raise ValueError(f"{owner}: {name} must be {wanted}, got {number}.")
    return number


def positive_int(value: Any, name: str, owner: object) -> int:
    """`value` as an int if it is a positive int; see `integer`.

    Raises:
        TypeError: if `value` is not an int.
        ValueError: if it is zero or negative.
    """
    return integer(value, name, owner, minimum=1)


def real(value: Any, name: str, owner: object, *, wanted: str = "a real number") -> float:
    """`value` as a float if it is a real number (ints and numpy floats too, never a bool).

    Range checks (`p` in `[0, 1]`, `beta` non-zero) stay with the caller, whose message
    can speak PyTorch's words for them.

    Raises:
        TypeError: if `value` is not a real number; the message says `wanted`.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {name} must be {wanted}, got {describe(value)}.")
    return float(value)


def boolean(value: Any, name: str, owner: object) -> bool:
    """`value` if it is True or False (1, 0 and None are refused, as they are ambiguous).

    Raises:
        TypeError: for anything else.
    """
    if not isinstance(value, bool):
        raise TypeError(f"{owner}: {name} must be True or False, got {value!r}.")
    return value


def one_of(value: Any, choices: tuple[str, ...], name: str, owner: object) -> str:
    """`value` if it is one of the strings `choices`.

    Raises:
        ValueError: naming every choice, as `reduction must be 'mean', 'sum' or
            'none', got 'avg'.`
    """
    if isinstance(value, str) and value in choices:
        return value
    listed = ", ".join(repr(choice) for choice in choices[:-1]) + f" or {choices[-1]!r}"
    raise ValueError(f"{owner}: {name} must be {listed}, got {value!r}.")


# --- axes, shapes and sizes ------------------------------------------------------------


def check_dim(dim: Any, ndim: int, owner: object, name: str = "dim") -> int:
    """A PyTorch-style axis `dim` of an array of rank `ndim`, as a non-negative index.

    As in PyTorch, a scalar (rank 0) accepts `dim` 0 and -1.

    Raises:
        TypeError: if `dim` is not an int.
        ValueError: if it is out of range, in PyTorch's words (`Dimension out of range
            (expected to be in range of [-2, 1], but got 2)`).
    """
    dim = integer(dim, name, owner)
    low, high = (-1, 0) if ndim == 0 else (-ndim, ndim - 1)
    if not low <= dim <= high:
        raise ValueError(
            f"{owner}: Dimension out of range (expected to be in range of "
            f"[{low}, {high}], but got {dim})"
        )
    return dim % max(ndim, 1)


def as_shape(shape: object, owner: object) -> Shape:
    """Validate an input shape (a sequence of non-negative ints) and return it as a tuple."""
    if hasattr(shape, "shape") and not isinstance(shape, tuple | list):
        raise TypeError(
            f"{owner}: input_shape must be a tuple of ints such as (4, 10), got an array; "
            "pass x.shape instead of x."
        )
    try:
        dims = tuple(operator.index(dim) for dim in shape)  # type: ignore[union-attr]
    except TypeError:
        raise TypeError(
            f"{owner}: input_shape must be a tuple of ints such as (4, 10), got {shape!r}."
        ) from None
    if any(dim < 0 for dim in dims):
        raise ValueError(f"{owner}: input_shape must not have negative sizes, got {dims}.")
    return dims


def as_pair(value: object, name: str, owner: object, *, minimum: int) -> Pair:
    """`value` as `(height, width)`: an int is used for both, a pair is taken as given.

    A 1-tuple `(v,)` means `(v, v)`, as PyTorch's functional convolutions and pooling
    expand it.

    Args:
        value: an int or a sequence of one or two ints.
        name: the argument's name, for the error message.
        owner: the layer's name, for the error message.
        minimum: the smallest allowed entry (1 for sizes, 0 for padding).

    Raises:
        TypeError: if `value` is not an int or a pair of ints.
        ValueError: if it has the wrong length or an entry below `minimum`.
    """
    allowed = "a positive int" if minimum == 1 else "a non-negative int"
    message = f"{owner}: {name} must be {allowed} or a pair of them, got {value!r}"
    items = tuple(value) if isinstance(value, tuple | list) else (value, value)
    if len(items) == 1:
        items = items * 2
    if len(items) != 2:
        raise ValueError(
            f"{message}, which has {len(items)} entries instead of 2 (or 1, used for both)."
        )
    pair = []
    for item in items:
        if isinstance(item, bool):
            raise TypeError(f"{message}.")
        try:
            pair.append(operator.index(item))
        except TypeError:
            raise TypeError(f"{message} of type {type(item).__name__}.") from None
    if min(pair) < minimum:
        raise ValueError(f"{message}.")
    return pair[0], pair[1]


# --- arrays and dtypes -----------------------------------------------------------------


def floating(
    x: ArrayLike, owner: object, argument: str | None = None, *, integers: bool = False
) -> jax.Array:
    """`x` as an array if its dtype is floating (or, with `integers`, an integer dtype).

    Nothing is converted: a silent cast would change the mathematics (an integer
    target, a bool mask), so the message says how to convert.

    Args:
        x: the array to check.
        owner: the function or layer it was given to.
        argument: the argument's name (`"input"`, `"weight"`), or None for a layer's
            input, which the message calls "a floating-point input".
        integers: also accept integer dtypes (max pooling is defined on them).

    Raises:
        TypeError: for another dtype, such as int32 (or bool with `integers`).
    """
    x = jnp.asarray(x)
    if jnp.issubdtype(x.dtype, jnp.floating) or (
        integers and jnp.issubdtype(x.dtype, jnp.integer)
    ):
        return x
    if argument is None:
        kind = "real-valued" if integers else "floating-point"
        raise TypeError(
            f"{owner} expects a {kind} input, got dtype {x.dtype}; convert it with "
            "x.astype(jnp.float32)."
        )
    raise TypeError(
        f"{owner}: {argument} must be floating point, got dtype {x.dtype}; "
        f"convert it with {argument}.astype(jnp.float32)."
    )


def floating_dtype(dtype: DTypeLike | None, owner: object, *, optional: bool = False):
    """`dtype` as a numpy dtype if it names a floating dtype; None too, with `optional`.

    Raises:
        TypeError: if `dtype` is no dtype, or not a floating one.
    """
    if dtype is None and optional:
        return None
    fix = "pass jnp.float32 or jnp.float64" + (", or None" if optional else "")
    try:
        resolved = jnp.dtype(dtype)
    except TypeError:
        resolved = None
    if resolved is None or not jnp.issubdtype(resolved, jnp.floating):
        got = repr(dtype) if resolved is None else str(resolved)
        raise TypeError(f"{owner}: dtype must be a floating dtype, got {got}; {fix}.")
    return resolved


def resolve_dtype(dtype: DTypeLike | None, owner: object) -> np.dtype:
    """The floating dtype a layer's parameters use: `dtype`, or JAX's default float.

    Raises:
        TypeError: if `dtype` is not a floating dtype.
        ValueError: if float64 is asked for while 64-bit mode is off (JAX would
            silently give float32 instead).
    """
    resolved = floating_dtype(dtype, owner, optional=True)
    if resolved is None:
        return jnp.dtype(jax.dtypes.canonicalize_dtype(jnp.float64))
    if resolved.itemsize == 8 and not jax.config.jax_enable_x64:
        raise ValueError(
            f"{owner}: dtype float64 needs JAX's 64-bit mode; call "
            "jax.config.update('jax_enable_x64', True) before creating parameters."
        )
    return resolved


def check_parameter_options(layer: Any, owner: object) -> None:
    """Validate the `bias`, `weight_init`, `bias_init` and `dtype` a layer was built with.

    64-bit mode is checked at `init`, when the parameters are made (`resolve_dtype`).
    """
    boolean(layer.bias, "bias", owner)
    for name in ("weight_init", "bias_init"):
        value = getattr(layer, name)
        if value is not None and not callable(value):
            raise TypeError(f"{owner}: {name} must be callable (key, shape, dtype).")
    floating_dtype(layer.dtype, owner, optional=True)


def concrete(x: ArrayLike) -> np.ndarray | None:
    """The values of `x` if they are known now (outside `jit`), else None.

    Checks on values (class indices in range, probabilities in `[0, 1]`) run eagerly
    when this gives values; under `jit` the values are unknown while tracing.
    """
    if isinstance(x, jax.core.Tracer):
        return None
    return np.asarray(x)


# --- PRNG keys -------------------------------------------------------------------------


def is_key(value: object) -> bool:
    """True for one PRNG key: a typed key (`jax.random.key`) or a raw uint32[2] key."""
    if not isinstance(value, jax.Array | jax.core.Tracer):
        return False
    if jnp.issubdtype(value.dtype, jax.dtypes.prng_key):
        return value.shape == ()
    return value.dtype == jnp.uint32 and value.shape == (2,)


def check_key(key: object, owner: object) -> jax.Array:
    """`key` if it is one PRNG key, else a `TypeError` that says how to make one."""
    if is_key(key):
        return key
    raise TypeError(
        f"{owner}: key must be a single PRNG key from jax.random.key(seed) or "
        f"jax.random.PRNGKey(seed), got {describe(key)}."
    )
