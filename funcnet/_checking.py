"""Checked mode: value checks that also run inside compiled code, when asked for.

Outside `jax.jit` funcnet checks values as soon as it sees them (a class index outside
`[0, C)` raises at once). Under `jit` the values are unknown while tracing, so those
checks cannot run in Python. `checked(fn)` compiles `fn` with
`jax.experimental.checkify`, and while it traces, each such check adds a run-time
check with the eager message; the compiled function then raises that message as a
`ValueError`. Functions traced without `checked` contain no trace of these checks.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from jax.experimental import checkify

from funcnet._validate import concrete

__all__ = ["checked", "fail_if_any", "refuse_any"]

_ACTIVE: contextvars.ContextVar[bool] = contextvars.ContextVar("funcnet_checked", default=False)
_SUFFIX = " (`check` failed)"  # what checkify appends to a failed check's message


def fail_if_any(wrong: Callable[[jax.Array], jax.Array], values: jax.Array, message: str) -> None:
    """Under `checked`: a run-time error `message.format(v)` for the first wrong `v`.

    Outside `checked` this adds nothing to the traced function.

    Args:
        wrong: maps `values` to a bool array of their shape, True where one is wrong.
        values: the traced values to check.
        message: the eager error's message, with `{}` where the value goes.
    """
    if not _ACTIVE.get() or values.size == 0:
        return
    flat = values.ravel()
    bad = wrong(flat)
    checkify.debug_check(~jnp.any(bad), message, flat[jnp.argmax(bad)])


def refuse_any(wrong: Callable[[Any], Any], values: jax.Array, message: str) -> None:
    """A `ValueError(message.format(v))` for the first wrong integer `v` of `values`.

    The one rule for value checks: concrete values (outside `jit`) are checked now;
    traced ones at run time inside `checked`, and not at all under plain `jit`, where
    the caller makes the wrong entries visible (a `nan`) instead.

    Args:
        wrong: maps an array of values to a bool array, True where one is wrong;
            it must work on numpy and on traced arrays.
        values: integer values, such as class indices or embedding indices.
        message: the error's message, with `{}` where the first wrong value goes.

    Raises:
        ValueError: for a concrete wrong value.
    """
    known = concrete(values)
    if known is None:
        fail_if_any(wrong, values, message)
        return
    bad = wrong(known)
    if bad.any():
        raise ValueError(message.format(int(known[bad].flat[0])))


def checked(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Compile `fn` with `jax.jit` and funcnet's value checks turned on inside it.

    Under plain `jax.jit`, a class index outside `[0, C)` cannot raise (its value is
    unknown while tracing), so that example's loss is `nan`. The function returned
    here checks such values while it runs and raises the same `ValueError` as the
    eager call, naming the value. It costs a few reductions per check; `fn` itself,
    jitted without `checked`, is unchanged.

    Args:
        fn: a function of arrays (pytrees of arrays), as for `jax.jit`; for example a
            step from `make_train_step`, or a loss computed from a model.

    Returns:
        A compiled function with `fn`'s arguments and results. Call it directly;
        do not wrap it in `jax.jit` again (the error is raised outside the compiled
        code). Give `checked` the function itself, not an already jitted one: a
        jitted function that was traced before is reused without the checks.

    Raises:
        ValueError: from the returned function, when a checked value is wrong.

    Examples:
        >>> import jax.numpy as jnp, funcnet
        >>> loss = funcnet.checked(funcnet.cross_entropy)
        >>> float(loss(jnp.zeros((2, 8)), jnp.array([0, 7])))  # log(8)
        2.0794...
        >>> loss(jnp.zeros((2, 8)), jnp.array([0, 8]))
        Traceback (most recent call last):
        ...
        ValueError: ...Target 8 is out of bounds: class indices must lie in [0, 8) ...
    """

    def traced(*args, **kwargs):
        token = _ACTIVE.set(True)
        try:
            return fn(*args, **kwargs)
        finally:
            _ACTIVE.reset(token)

    compiled = jax.jit(checkify.checkify(traced, errors=checkify.user_checks))

    @functools.wraps(fn)
    def run(*args, **kwargs):
        error, out = compiled(*args, **kwargs)
        message = error.get()
        if message is not None:
            raise ValueError(message.removesuffix(_SUFFIX))
        return out

    return run
