"""What `fit`, `evaluate` and `make_train_step` check before compiling, and how `fit` stops.

Labels are checked against the model's class count from `model.output_shape`, which
computes nothing, with the losses' own check, so the message is the eager one. A
non-finite loss is found from the per-step losses each compiled epoch returns, not by
a host sync per step. While `fit` runs, SIGINT and SIGTERM are recorded and raised
between epochs, where they cannot be lost.
"""

from __future__ import annotations

import contextlib
import functools
import signal
import threading
import warnings
from collections.abc import Callable, Iterator

import jax
import jax.numpy as jnp
import numpy as np

from funcnet.errors import DoubleSoftmaxWarning, ShapeError
from funcnet.layers import Layer, LogSoftmax, Params, Sequential, Softmax
from funcnet.losses import cross_entropy, nll_loss
from funcnet.losses._targets import check_ignore_index, check_index_target

_CLASSIFICATION = {cross_entropy: "cross_entropy", nll_loss: "nll_loss"}


def classification_loss(loss_fn: Callable) -> tuple[str, int] | None:
    """`(name, ignore_index)` for `cross_entropy` / `nll_loss` (or a partial of one), else None."""
    keywords: dict = {}
    while isinstance(loss_fn, functools.partial):
        keywords = {**loss_fn.keywords, **keywords}
        loss_fn = loss_fn.func
    try:
        name = _CLASSIFICATION.get(loss_fn)
    except TypeError:  # an unhashable callable is no funcnet loss
        return None
    if name is None:
        return None
    try:
        return name, check_ignore_index(name, keywords.get("ignore_index", -100))
    except TypeError:  # a bad ignore_index is the loss's own error, at trace time
        return None


def check_targets(
    owner: str, output_shape: tuple[int, ...], y: jax.Array, loss_fn: Callable
) -> None:
    """Integer class targets against the model's class count, before anything compiles.

    Raises the loss's own ShapeError / ValueError (the eager `cross_entropy` message),
    with a note saying where it was found and how to fix it.
    """
    spec = classification_loss(loss_fn)
    if spec is None or not jnp.issubdtype(y.dtype, jnp.integer) or len(output_shape) < 2:
        return
    name, ignore_index = spec
    classes = output_shape[1]
    try:
        check_index_target(name, y, (output_shape[0], *output_shape[2:]), classes, ignore_index)
    except ShapeError:
        raise
    except ValueError as error:
        error.add_note(_label_fix(owner, np.asarray(y), classes, ignore_index))
        raise


def _label_fix(owner: str, labels: np.ndarray, classes: int, ignore_index: int) -> str:
    kept = labels[labels != ignore_index]
    span = f"[{kept.min()}, {kept.max()}]" if kept.size else "none"
    return (
        f"{owner} checked the targets before compiling: the model gives {classes} class "
        f"scores per example, the labels span {span}. Fix: give the model's last layer one "
        f"output per class, or map the labels into [0, {classes})."
    )


def _last_layer(model: Layer) -> Layer:
    while isinstance(model, Sequential) and len(model):
        model = model[-1]
    return model


def warn_double_softmax(model: Layer, loss_fn: Callable, stacklevel: int) -> None:
    """Warn (once per call of the caller) when `cross_entropy` follows a final softmax."""
    spec = classification_loss(loss_fn)
    last = _last_layer(model)
    if spec is None or spec[0] != "cross_entropy":
        return
    if isinstance(last, Softmax):
        problem = "squashes the outputs twice, which flattens the loss and shrinks the gradients"
    elif isinstance(last, LogSoftmax):
        problem = "normalises twice: the loss is the same, the work is wasted"
    else:
        return
    warnings.warn(
        f"The model ends in {last!r} and cross_entropy applies log_softmax itself: it "
        f"{problem}. Fix: drop the final {type(last).__name__}; cross_entropy takes "
        "logits (or keep LogSoftmax and use nll_loss).",
        DoubleSoftmaxWarning,
        stacklevel=stacklevel + 1,
    )


def first_non_finite(losses: jax.Array, params: Params) -> tuple[jax.Array, jax.Array]:
    """Inside the compiled epoch: `(index, loss)` of the first non-finite step loss.

    `index` is -1 when every loss and every parameter is finite; when only the
    parameters are not, it is the last step (whose update broke them), with loss nan.
    """
    bad = ~jnp.isfinite(losses)
    params_finite = jnp.array(True)
    for leaf in jax.tree_util.tree_leaves(params):
        if jnp.issubdtype(leaf.dtype, jnp.inexact):
            params_finite = params_finite & jnp.all(jnp.isfinite(leaf))
    first = jnp.argmax(bad)
    index = jnp.where(bad[first], first, jnp.where(params_finite, -1, losses.shape[0] - 1))
    return index, jnp.where(bad[first], losses[first], jnp.nan)


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived while `fit` ran."""


def _terminate(number, frame):
    raise Terminated


@contextlib.contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """While the block runs, SIGTERM raises `Terminated` instead of ending the process.

    Only in the main thread (Python runs signal handlers there), and only while SIGTERM
    has its default action: a program's own handler, or SIG_IGN, is left alone. The
    previous handler is restored afterwards.
    """
    main = threading.current_thread() is threading.main_thread()
    if not main or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield
        return
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# The handlers `deferred_interrupts` stands in for: Python's own for SIGINT, and SIGTERM
# left at its default or turned into an interrupt above. A program's own handler stays.
_TAKEN_OVER = {
    signal.SIGINT: (signal.default_int_handler,),
    signal.SIGTERM: (signal.SIG_DFL, _terminate),
}


def _interrupt(number: int) -> KeyboardInterrupt:
    return Terminated() if number == signal.SIGTERM else KeyboardInterrupt()


@contextlib.contextmanager
def deferred_interrupts() -> Iterator[Callable[[], None]]:
    """While `fit` runs, SIGINT and SIGTERM are recorded, and raised between epochs.

    Python's own Ctrl-C handler raises wherever the interpreter happens to be, even in
    a callback whose exceptions it only prints ("Exception ignored in ..."), and there
    the interrupt is lost and training goes on. A recorded signal cannot be lost: the
    epoch running when it arrived completes, then `check()` raises it. A second signal
    raises at once, so a double Ctrl-C still stops a long compilation.

    Yields:
        `check()`, which raises `KeyboardInterrupt` (`Terminated` for SIGTERM) if a
        signal arrived.

    Examples:
        >>> import os, signal
        >>> with deferred_interrupts() as check:
        ...     os.kill(os.getpid(), signal.SIGINT)  # recorded, not raised
        ...     try:
        ...         check()
        ...     except KeyboardInterrupt:
        ...         print("raised at the boundary")
        raised at the boundary
    """
    pending: list[int] = []

    def record(number, frame):
        if pending:
            raise _interrupt(number)
        pending.append(number)

    def check() -> None:
        if pending:
            raise _interrupt(pending[0])

    previous = {}
    if threading.current_thread() is threading.main_thread():
        for number, handlers in _TAKEN_OVER.items():
            if signal.getsignal(number) in handlers:
                previous[number] = signal.signal(number, record)
    try:
        yield check
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
