"""Exceptions raised by funcnet.

Each subclasses a built-in exception, so an ordinary `except ValueError:` also catches
it; the subclasses let a caller tell a shape problem from other bad values.
"""

from __future__ import annotations

__all__ = ["ShapeError", "StateDictError"]

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
    ) -> None:
        self.headline = headline
        self.layer = layer
        self.detail = detail
        self.hint = hint
        self.path = path
        self.source = source
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
        elif previous is not None:
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
        )

    def __reduce__(self):
        kwargs = {
            "layer": self.layer,
            "detail": self.detail,
            "hint": self.hint,
            "path": self.path,
            "source": self.source,
        }
        return (_rebuild_shape_error, (self.headline, kwargs))


def _rebuild_shape_error(headline: str, kwargs: dict) -> ShapeError:
    return ShapeError(headline, **kwargs)


class StateDictError(ValueError):
    """A state dict does not match the parameters it is loaded into.

    The message lists missing keys, unexpected keys and size mismatches, in the order
    and words of PyTorch's `load_state_dict(strict=True)`.
    """
