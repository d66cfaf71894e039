"""Parameters by name, as PyTorch shows them: `named_parameters`, `state_dict`, `summary`.

Names are the pytree path joined with dots: a `Sequential`'s tuple index, then the
layer's dict key, so `Sequential(Linear(10, 5), Sigmoid(), Linear(5, 8))` has
`0.weight`, `0.bias`, `2.weight`, `2.bias`, exactly PyTorch's names for the same model.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, overload

import jax
import jax.numpy as jnp
import numpy as np

from funcnet.errors import StateDictError
from funcnet.layers import Layer, Params, Sequential

__all__ = [
    "LoadReport",
    "Summary",
    "count_parameters",
    "load_state_dict",
    "named_parameters",
    "state_dict",
    "summary",
]


def _key_name(entry: Any) -> str:
    for attribute in ("key", "idx", "name"):
        if hasattr(entry, attribute):
            return str(getattr(entry, attribute))
    return str(entry)


def named_parameters(params: Params) -> Iterator[tuple[str, jax.Array]]:
    """Yield `(name, array)` for every leaf, with PyTorch-style dotted names.

    Works on params and on anything of the same structure, such as the gradients
    `jax.grad` returns, so the lesson's `for p in model.parameters(): print(p.grad)`
    becomes a loop over `named_parameters(grads)`. The names are PyTorch's; the order
    is JAX's (dict keys sorted, so a layer's `bias` comes before its `weight`).

    Args:
        params: a pytree of arrays (tuples, lists and dicts).

    Yields:
        `(name, array)` pairs such as `("0.weight", (5, 10) array)`.

    Examples:
        >>> import jax
        >>> import funcnet
        >>> model = funcnet.Sequential(funcnet.Linear(10, 5), funcnet.ReLU())
        >>> params = model.init(jax.random.key(0), (4, 10))
        >>> [(name, p.shape) for name, p in funcnet.named_parameters(params)]
        [('0.bias', (5,)), ('0.weight', (5, 10))]
    """
    for path, leaf in jax.tree_util.tree_flatten_with_path(params)[0]:
        yield ".".join(_key_name(entry) for entry in path), leaf


def count_parameters(params: Params) -> int:
    """The total number of scalar parameters.

    Examples:
        >>> import jax
        >>> import funcnet
        >>> params = funcnet.Linear(10, 5).init(jax.random.key(0), (4, 10))
        >>> funcnet.count_parameters(params)
        55
    """
    return sum(math.prod(np.shape(leaf)) for leaf in jax.tree_util.tree_leaves(params))


def state_dict(params: Params) -> dict[str, np.ndarray]:
    """A flat `{name: numpy array}` dict, PyTorch's `model.state_dict()` layout.

    Examples:
        >>> import jax
        >>> import funcnet
        >>> params = funcnet.Linear(10, 5).init(jax.random.key(0), (4, 10))
        >>> {name: a.shape for name, a in funcnet.state_dict(params).items()}
        {'bias': (5,), 'weight': (5, 10)}
    """
    return {name: np.asarray(leaf) for name, leaf in named_parameters(params)}


def _to_numpy(value: Any) -> np.ndarray:
    """numpy, JAX or torch arrays to numpy, without importing torch."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def _shape(like: Any) -> tuple[int, ...]:
    """Shape of an array, a Python scalar or a `jax.ShapeDtypeStruct`."""
    return tuple(like.shape) if hasattr(like, "shape") else np.shape(like)


def _dtype(like: Any) -> np.dtype:
    return like.dtype if hasattr(like, "dtype") else jnp.asarray(like).dtype


def _torch_size(shape: Sequence[int]) -> str:
    return f"torch.Size([{', '.join(str(d) for d in shape)}])"


@dataclass(frozen=True)
class LoadReport:
    """What `load_state_dict(..., return_report=True)` loaded, by name.

    PyTorch's `load_state_dict` returns its `missing_keys` and `unexpected_keys`; this
    adds the names that did load, so a partial load (`strict=False`) can be checked.

    Attributes:
        matched: the names loaded from the state dict.
        missing_keys: the model's names the state dict lacks; they kept their values.
        unexpected_keys: the state dict's names the model lacks; they were ignored.

    Examples:
        >>> import jax, numpy as np
        >>> import funcnet
        >>> params = funcnet.Linear(3, 2).init(jax.random.key(0), (1, 3))
        >>> state = {"weight": np.zeros((2, 3)), "head.weight": np.zeros((1, 2))}
        >>> _, report = funcnet.load_state_dict(params, state, strict=False, return_report=True)
        >>> print(report)
        loaded 1 of 2 parameters; missing: bias; unexpected: head.weight
    """

    matched: tuple[str, ...]
    missing_keys: tuple[str, ...]
    unexpected_keys: tuple[str, ...]

    def __str__(self) -> str:
        total = len(self.matched) + len(self.missing_keys)
        text = f"loaded {len(self.matched)} of {total} parameters"
        if self.missing_keys:
            text += "; missing: " + ", ".join(self.missing_keys)
        if self.unexpected_keys:
            text += "; unexpected: " + ", ".join(self.unexpected_keys)
        return text


def _quoted(names: Sequence[str], limit: int | None = None) -> str:
    shown = ", ".join(f'"{name}"' for name in names[:limit])
    if limit is not None and len(names) > limit:
        shown += f", ... ({len(names)} in all)"
    return shown


def _prefix_hint(names: Sequence[str], given: Sequence[str]) -> str:
    """How to rename `given` keys that are the model's names behind one common prefix."""
    prefixes = {key[: -len(name)] for key in given for name in names if key.endswith("." + name)}
    if len(prefixes) != 1:
        return ""
    prefix = prefixes.pop()
    return (
        f" The state_dict's keys are the model's behind the prefix \"{prefix}\"; drop it: "
        f'{{k.removeprefix("{prefix}"): v for k, v in state.items()}}.'
    )


def _nothing_matches(names: Sequence[str], given: Sequence[str]) -> str:
    text = (
        "No key of the state_dict matches a parameter of the model, so nothing would be "
        "loaded (strict=False would silently keep every initial value). The model's keys: "
        f"{_quoted(names, 4)}; "
    )
    if not given:
        return text + "the state_dict is empty."
    hint = _prefix_hint(names, given) or (
        " Rename the keys to the model's names, which funcnet.named_parameters(params) lists."
    )
    return text + f"the state_dict's keys: {_quoted(given, 4)}.{hint}"


@overload
def load_state_dict(
    params_like: Params,
    state: Mapping[str, Any],
    *,
    strict: bool = ...,
    return_report: Literal[False] = ...,
) -> Params: ...


@overload
def load_state_dict(
    params_like: Params,
    state: Mapping[str, Any],
    *,
    strict: bool = ...,
    return_report: Literal[True],
) -> tuple[Params, LoadReport]: ...


def load_state_dict(
    params_like: Params,
    state: Mapping[str, Any],
    *,
    strict: bool = True,
    return_report: bool = False,
) -> Params | tuple[Params, LoadReport]:
    """Params of `params_like`'s structure with values taken from `state` by name.

    Accepts numpy arrays, JAX arrays or torch tensors (torch is not imported), so
    `load_state_dict(params, torch_model.state_dict())` moves PyTorch weights into
    funcnet. Values are cast to the dtype of the matching entry in `params_like`, as
    PyTorch's `copy_` does. Nothing is mutated: a new pytree is returned.

    Args:
        params_like: params whose structure, shapes and dtypes to fill; its leaves may
            be `jax.ShapeDtypeStruct`s (from `jax.eval_shape`), so nothing needs to be
            initialised first.
        state: `{name: array}`, names as `named_parameters` gives them.
        strict: if True, missing and unexpected keys are errors; if False, missing
            entries keep their `params_like` values and unexpected keys are ignored.
            Size mismatches are errors either way, as in PyTorch. Unlike PyTorch, a
            state dict of which no key matches is an error even with `strict=False`:
            it would load nothing and leave the initial values in place.
        return_report: if True, also return a `LoadReport` naming what was loaded,
            missing and ignored (PyTorch returns the last two).

    Returns:
        The new params; with `return_report=True`, the pair `(params, report)`.

    Raises:
        StateDictError: listing every missing key, unexpected key and size mismatch,
            in PyTorch's words; or, with `strict=False`, when no key matches, naming a
            few keys of each side.
        TypeError: if `state` is not a mapping.

    Examples:
        >>> import jax
        >>> import funcnet
        >>> layer = funcnet.Linear(10, 5)
        >>> params = layer.init(jax.random.key(0), (4, 10))
        >>> other = layer.init(jax.random.key(1), (4, 10))
        >>> loaded = funcnet.load_state_dict(other, funcnet.state_dict(params))
        >>> bool((loaded["weight"] == params["weight"]).all())
        True
    """
    if not isinstance(state, Mapping):
        raise TypeError(
            "load_state_dict: state must be a mapping of name -> array, "
            f"got {type(state).__name__}."
        )
    # JAX's own leaf order, so the result unflattens into params_like's structure.
    flat, structure = jax.tree_util.tree_flatten_with_path(params_like)
    names = [".".join(_key_name(entry) for entry in path) for path, _ in flat]
    likes = [leaf for _, leaf in flat]
    missing = [name for name in names if name not in state]
    known = set(names)
    unexpected = [name for name in state if name not in known]
    problems, leaves = [], []
    for name, like in zip(names, likes, strict=True):
        if name not in state:
            leaves.append(like)
            continue
        value = _to_numpy(state[name])
        if value.dtype.kind not in "biuf":
            problems.append(
                f"wrong type for {name}: expected a numeric array, got "
                f"{type(state[name]).__name__} of dtype {value.dtype}."
            )
            continue
        if value.shape != tuple(_shape(like)):
            problems.append(
                f"size mismatch for {name}: copying a param with shape "
                f"{_torch_size(value.shape)} from checkpoint, the shape in current model "
                f"is {_torch_size(_shape(like))}."
            )
            continue
        leaves.append(jnp.asarray(value, dtype=_dtype(like)))
    if strict and unexpected:
        problems.insert(0, f"Unexpected key(s) in state_dict: {_quoted(unexpected)}. ")
    if strict and missing:
        problems.insert(0, f"Missing key(s) in state_dict: {_quoted(missing)}. ")
    if names and len(missing) == len(names):
        if strict:
            problems.append(_prefix_hint(names, list(state)).strip())
        else:
            problems.insert(0, _nothing_matches(names, list(state)))
    problems = [problem for problem in problems if problem]
    if problems:
        raise StateDictError("Error(s) in loading state_dict:\n\t" + "\n\t".join(problems))
    params = jax.tree_util.tree_unflatten(structure, leaves)
    if not return_report:
        return params
    matched = tuple(name for name in names if name in state)
    return params, LoadReport(matched, tuple(missing), tuple(unexpected))


@dataclass(frozen=True)
class Summary:
    """A model's layer-by-layer table; `str(summary)` renders it.

    Attributes:
        rows: `(index, layer, output_shape, parameter_count)` per layer.
        input_shape: the input shape the table was computed for.
        total_parameters: the sum of the parameter counts.
    """

    rows: tuple[tuple[str, str, tuple[int, ...], int], ...]
    input_shape: tuple[int, ...]
    total_parameters: int

    def __str__(self) -> str:
        header = ("#", "layer", "output shape", "params")
        body = [(i, name, str(shape), f"{count:,}") for i, name, shape, count in self.rows]
        widths = [max(len(str(r[c])) for r in [header, *body]) for c in range(4)]

        def line(row):
            cells = [str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)]
            cells[3] = str(row[3]).rjust(widths[3])
            return "  ".join(cells).rstrip()

        rule = "-" * len(line(header))
        text = [line(header), rule, line(("", "input", str(self.input_shape), ""))]
        text += [line(row) for row in body]
        text += [rule, f"total parameters: {self.total_parameters:,}"]
        return "\n".join(text)


def _rows(layer: Layer, shape: tuple[int, ...], prefix: str):
    """Yield (index, layer repr, output shape, params) for each layer, recursing."""
    if not isinstance(layer, Sequential):
        params = jax.eval_shape(lambda key: layer.init(key, shape), jax.random.key(0))
        yield prefix or "0", _one_line(layer), layer.output_shape(shape), count_parameters(params)
        return
    for index, child in enumerate(layer.layers):
        name = f"{prefix}.{index}" if prefix else str(index)
        yield from _rows(child, shape, name)
        shape = child.output_shape(shape)


def _one_line(layer: Layer) -> str:
    return " ".join(repr(layer).split())


def summary(model: Layer, input_shape: Sequence[int]) -> Summary:
    """Per-layer output shapes and parameter counts, without computing anything.

    Answers the lesson's question "what must `in_features` of the second Linear
    be?": read the output shape of the layer before it. Shapes come from
    `output_shape` and parameter counts from `jax.eval_shape`, so nothing is
    allocated or run.

    Args:
        model: a layer (usually a `Sequential`).
        input_shape: `(*batch, ...)` the input shape.

    Returns:
        A `Summary`; `print(summary(...))` shows the table.

    Raises:
        ShapeError: if the chain of shapes breaks, naming the layer.

    Examples:
        >>> import funcnet
        >>> from funcnet import Linear, Sequential, Sigmoid
        >>> model = Sequential(Linear(10, 5), Sigmoid(), Linear(5, 8))
        >>> print(funcnet.summary(model, (4, 10)))
        #  layer                                              output shape  params
        --------------------------------------------------------------------------
           input                                              (4, 10)
        0  Linear(in_features=10, out_features=5, bias=True)  (4, 5)            55
        1  Sigmoid()                                          (4, 5)             0
        2  Linear(in_features=5, out_features=8, bias=True)   (4, 8)            48
        --------------------------------------------------------------------------
        total parameters: 103
    """
    model.output_shape(input_shape)  # fails early, naming the layer, if the chain breaks
    shape = tuple(input_shape)
    rows = tuple(_rows(model, shape, ""))
    return Summary(rows, shape, sum(row[3] for row in rows))
