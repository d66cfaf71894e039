"""Exceptions raised by funcnet.

Each subclasses a built-in exception, so an ordinary `except ValueError:` also catches
it; the subclasses let a caller tell a shape problem from other bad values.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "DivergenceError",
    "DoubleSoftmaxWarning",
    "ShapeError",
    "StateDictError",
    "TrainingInterrupted",
]

Path = tuple[int, ...]


def _dotted(path: Path) -> str:
    return ".".join(str(index) for index in path)


class ShapeError(ValueError):
    """An array's shape does not fit the layer or loss it was given to.

    The first line is PyTorch's wording where PyTorch has one (for example
    `mat1 and mat2 shapes cannot be multiplied (4x10 and 8x5)`); the next lines say
    which layer (and its index inside a `Sequential`), what it expected, where the
    offending shape came from, and how to fix it.

    Attributes:
        headline: the first line of the message.
        layer: the `repr` of the layer that rejected the shape.
        detail: what the layer expected and what it received.
        hint: how to fix it, or None.
        path: the layer's index inside nested `Sequential`s, outermost first.
        about_params: True when the layer's params, not its input, have the wrong
            shape; the message then names no earlier layer as the source.

    Examples:
        >>> import funcnet
        >>> try:
        ...     funcnet.Linear(8, 5).output_shape((4, 10))
        ... except funcnet.ShapeError as error:
        ...     print(error)
        mat1 and mat2 shapes cannot be multiplied (4x10 and 8x5)
          Linear(in_features=8, out_features=5, bias=True) expects 8 input features
          but receives 10.
          Fix: give the input 8 features, or build Linear(10, 5).
    """

    def __init__(
        self,
        headline: str,
        *,
        layer: str,
        detail: str,
        hint: str | None = None,
        path: Path = (),
        source: tuple[Path, str] | None = None,
        about_params: bool = False,
    ) -> None:
        self.headline = headline
        self.layer = layer
        self.detail = detail
        self.hint = hint
        self.path = path
        self.source = source
        self.about_params = about_params
        super().__init__(self._message())

    def _message(self) -> str:
        if self.path:
            where = f"layer {_dotted(self.path)}, {self.layer},"
        else:
            where = self.layer
        origin = ""
        if self.source is not None:
            origin = f" from layer {_dotted(self.source[0])}, {self.source[1]}"
        lines = [self.headline, f"  {where} {self.detail}{origin}."]
        if self.hint:
            lines.append(f"  Fix: {self.hint}")
        return "\n".join(lines)

    def located(self, index: int, previous: str | None) -> ShapeError:
        """The same error seen from the enclosing `Sequential`, at position `index`.

        Args:
            index: this error's layer position in the enclosing `Sequential`.
            previous: `repr` of the layer before it there, or None for the first.
        """
        if self.source is not None:
            source = ((index, *self.source[0]), self.source[1])
        elif previous is not None and not self.about_params:
            source = ((index - 1,), previous)
        else:
            source = None
        return ShapeError(
            self.headline,
            layer=self.layer,
            detail=self.detail,
            hint=self.hint,
            path=(index, *self.path),
            source=source,
            about_params=self.about_params,
        )

    def __reduce__(self):
        kwargs = {
            "layer": self.layer,
            "detail": self.detail,
            "hint": self.hint,
            "path": self.path,
            "source": self.source,
            "about_params": self.about_params,
        }
        return (_rebuild_shape_error, (self.headline, kwargs))


def _rebuild_shape_error(headline: str, kwargs: dict) -> ShapeError:
    return ShapeError(headline, **kwargs)


class StateDictError(ValueError):
    """A state dict does not match the parameters it is loaded into.

    The message lists missing keys, unexpected keys and size mismatches, in the order
    and words of PyTorch's `load_state_dict(strict=True)`.
    """


def _completed(count: int) -> str:
    return f"{count} completed epoch" + ("" if count == 1 else "s")


class TrainingInterrupted(KeyboardInterrupt):
    """`fit` was interrupted (Ctrl-C / SIGINT, or SIGTERM); holds what was finished.

    The epoch that was running when the signal arrived is dropped, so `state` is a
    clean point to resume from: `fit(model, error.state, ...)` for the remaining
    epochs continues exactly as an uninterrupted run would have. It subclasses
    `KeyboardInterrupt`, so code that already handles Ctrl-C keeps working.

    Attributes:
        state: the `TrainState` after the last completed epoch.
        history: the per-epoch lists of `fit`, completed epochs only.
        epoch: the number of epochs this call of `fit` completed (its progress lines
            count from 1 in each call, a resumed run included).
        signal: the name of the signal, e.g. `"SIGINT"`.

    Examples:
        >>> import funcnet
        >>> error = funcnet.TrainingInterrupted(state=None, history={}, epoch=3)
        >>> print(error)
        fit was interrupted by SIGINT after 3 completed epochs; the unfinished epoch was dropped.
          error.state holds the TrainState after epoch 3 and error.history its metrics.
          Fix: to resume, call fit(model, error.state, ...) with the remaining epochs.
    """

    def __init__(
        self, *, state: Any, history: dict[str, list[float]], epoch: int, signal: str = "SIGINT"
    ) -> None:
        self.state, self.history, self.epoch, self.signal = state, history, epoch, signal
        super().__init__(
            f"fit was interrupted by {signal} after {_completed(epoch)}; the unfinished "
            "epoch was dropped.\n"
            f"  error.state holds the TrainState after epoch {epoch} and error.history "
            "its metrics.\n"
            "  Fix: to resume, call fit(model, error.state, ...) with the remaining epochs."
        )

    def __reduce__(self):
        kwargs = {
            "state": self.state,
            "history": self.history,
            "epoch": self.epoch,
            "signal": self.signal,
        }
        return (_rebuild, (TrainingInterrupted, kwargs))


class DivergenceError(FloatingPointError):
    """The training loss became non-finite (nan or inf).

    Raised by `fit` after the epoch in which it happened; that epoch's updates are
    discarded, so `state` never holds non-finite parameters.

    Attributes:
        state: the last `TrainState` whose loss was finite (before the failing epoch).
        history: the per-epoch lists of the completed, finite epochs.
        epoch: the 1-based epoch of this `fit` call in which the loss stopped being
            finite.
        step: the 1-based global step of the first non-finite loss, or None if unknown.
        loss: the non-finite value, e.g. `nan`.

    Examples:
        >>> import funcnet
        >>> error = funcnet.DivergenceError(state=None, history={}, epoch=4, step=37)
        >>> print(error)
        training loss became nan in epoch 4 (step 37); training stopped.
          error.state holds the last TrainState with a finite loss, before epoch 4.
          Fix: use a smaller learning rate (try a tenth), or clip the gradients
          (optax.clip_by_global_norm); check the data for nan or inf.
    """

    def __init__(
        self,
        *,
        state: Any,
        history: dict[str, list[float]],
        epoch: int,
        step: int | None = None,
        loss: float = float("nan"),
    ) -> None:
        self.state, self.history, self.epoch, self.step, self.loss = (
            state,
            history,
            epoch,
            step,
            loss,
        )
        where = f"epoch {epoch}" + ("" if step is None else f" (step {step})")
        super().__init__(
            f"training loss became {loss} in {where}; training stopped.\n"
            f"  error.state holds the last TrainState with a finite loss, before epoch "
            f"{epoch}.\n"
            "  Fix: use a smaller learning rate (try a tenth), or clip the gradients\n"
            "  (optax.clip_by_global_norm); check the data for nan or inf."
        )

    def __reduce__(self):
        kwargs = {
            "state": self.state,
            "history": self.history,
            "epoch": self.epoch,
            "step": self.step,
            "loss": self.loss,
        }
        return (_rebuild, (DivergenceError, kwargs))


def _rebuild(cls: type, kwargs: dict) -> BaseException:
    return cls(**kwargs)


class DoubleSoftmaxWarning(UserWarning):
    """A model ending in `Softmax` (or `LogSoftmax`) is trained with `cross_entropy`.

    `cross_entropy` takes logits and applies `log_softmax` itself, as PyTorch's
    `CrossEntropyLoss` does. After a final `Softmax` the outputs are squashed twice,
    which flattens the loss and shrinks the gradients; after a final `LogSoftmax` the
    second normalisation changes nothing but costs work. Drop the final layer (or use
    `nll_loss`, which takes log-probabilities, after `LogSoftmax`).
    """
