"""Parameters and buffers by name, as PyTorch shows them: `state_dict`, `summary`, ...

Names are the pytree path joined with dots: a `Sequential`'s tuple index, then the
layer's dict key, so `Sequential(Linear(10, 5), Sigmoid(), Linear(5, 8))` has
`0.weight`, `0.bias`, `2.weight`, `2.bias`, exactly PyTorch's names for the same model.
A stateful model's state (batch norm's running statistics) is named the same way;
PyTorch calls those entries buffers (`1.running_mean`, `1.running_var`,
`1.num_batches_tracked`), and `state_dict` holds both, as PyTorch's does.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from funcnet._names import check_loadable, check_unique, dotted_names, size_mismatch
from funcnet.layers import Layer, Params
from funcnet.layers._base import State

__all__ = [
    "LoadReport",
    "Summary",
    "count_parameters",
    "load_state_dict",
    "named_buffers",
    "named_parameters",
    "state_dict",
    "summary",
]


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
    yield from dotted_names(params)


def named_buffers(state: State) -> Iterator[tuple[str, jax.Array]]:
    """Yield `(name, array)` for every buffer of a model's state, PyTorch's `named_buffers`.

    Buffers are what a stateful layer carries between calls without training them:
    batch norm's `running_mean`, `running_var` and `num_batches_tracked`. A model's
    state (`model.initial_state(input_shape)`) has the structure of its params, so
    the names line up with `named_parameters`'.

    Args:
        state: a model's state, a pytree of arrays (`{}` per layer without state).

    Yields:
        `(name, array)` pairs such as `("1.running_mean", (4,) array)`.

    Examples:
        >>> import jax.numpy as jnp
        >>> import funcnet
        >>> state = ({}, {"running_mean": jnp.zeros(4), "running_var": jnp.ones(4)})
        >>> [(name, b.shape) for name, b in funcnet.named_buffers(state)]
        [('1.running_mean', (4,)), ('1.running_var', (4,))]
    """
    yield from dotted_names(state)


def count_parameters(params: Params) -> int:
    """The total number of scalar parameters (or buffer entries, given a state).

    Examples:
        >>> import jax
        >>> import funcnet
        >>> params = funcnet.Linear(10, 5).init(jax.random.key(0), (4, 10))
        >>> funcnet.count_parameters(params)
        55
    """
    return sum(math.prod(np.shape(leaf)) for leaf in jax.tree_util.tree_leaves(params))


def _layer_order(name: str) -> list[tuple[int, int, str]]:
    """Sort key of a name's layer path (all but its last part), numbers compared as numbers."""
    parts = name.split(".")[:-1]
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in parts]


def state_dict(params: Params, state: State | None = None) -> dict[str, np.ndarray]:
    """A flat `{name: numpy array}` dict, PyTorch's `model.state_dict()` layout.

    Args:
        params: the model's params.
        state: the model's state (`model.initial_state(input_shape)` or one returned
            by `apply_with_state`), or None for a model without state.

    Returns:
        Every parameter and, given `state`, every buffer, under PyTorch's names;
        layer by layer, a layer's parameters before its buffers, as PyTorch orders them.

    Raises:
        ValueError: if a parameter and a buffer would share a name.

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> import funcnet
        >>> params = funcnet.Linear(10, 5).init(jax.random.key(0), (4, 10))
        >>> {name: a.shape for name, a in funcnet.state_dict(params).items()}
        {'bias': (5,), 'weight': (5, 10)}
        >>> params = ({"bias": jnp.zeros(2)}, {"bias": jnp.zeros(2)})
        >>> state = ({}, {"running_mean": jnp.zeros(2)})
        >>> list(funcnet.state_dict(params, state))
        ['0.bias', '1.bias', '1.running_mean']
    """
    named = list(named_parameters(params))
    if state is not None:
        named += named_buffers(state)
        named.sort(key=lambda item: _layer_order(item[0]))  # stable: params first
    check_unique(named, "state_dict")
    return {name: np.asarray(leaf) for name, leaf in named}


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


@dataclass(frozen=True)
class LoadReport:
    """What `load_state_dict(..., return_report=True)` loaded, by name.

    PyTorch's `load_state_dict` returns its `missing_keys` and `unexpected_keys`; this
    adds the names that did load, so a partial load (`strict=False`) can be checked.

    Attributes:
        matched: the names loaded from the state dict.
        missing_keys: the model's names the state dict lacks; they kept their values.
        unexpected_keys: the state dict's names the model lacks; they were ignored.
        buffers: the model's buffer names, when buffers were loaded too (`state_like`).

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
    buffers: tuple[str, ...] = ()

    def __str__(self) -> str:
        total = len(self.matched) + len(self.missing_keys)
        kinds = "parameters and buffers" if self.buffers else "parameters"
        text = f"loaded {len(self.matched)} of {total} {kinds}"
        if self.missing_keys:
            text += "; missing: " + ", ".join(self.missing_keys)
        if self.unexpected_keys:
            text += "; unexpected: " + ", ".join(self.unexpected_keys)
        return text


def _filled(named: list[tuple[str, Any]], given: Mapping[str, Any]) -> tuple[list, list[str]]:
    """Each like leaf replaced by its value from `given` (cast to its dtype), and problems."""
    leaves, problems = [], []
    for name, like in named:
        value = _to_numpy(given[name]) if name in given else None
        if value is not None and value.dtype.kind not in "biuf":
            problems.append(
                f"wrong type for {name}: expected a numeric array, got "
                f"{type(given[name]).__name__} of dtype {value.dtype}."
            )
        elif value is not None and value.shape != _shape(like):
            problems.append(size_mismatch(name, value.shape, _shape(like)))
        elif value is not None:
            # Cast to the model's dtype, as PyTorch's copy_ does (torch's int64 counts too).
            like = jnp.asarray(value, dtype=_dtype(like))
        leaves.append(like)
    return leaves, problems


def load_state_dict(
    params_like: Params,
    state_dict: Mapping[str, Any],
    *,
    state_like: State | None = None,
    strict: bool = True,
    return_report: bool = False,
) -> Any:
    """Params (and state) of the `like` structures with values taken from `state_dict`.

    Accepts numpy arrays, JAX arrays or torch tensors (torch is not imported), so
    `load_state_dict(params, torch_model.state_dict())` moves PyTorch weights into
    funcnet. Values are cast to the dtype of the matching `like` entry, as PyTorch's
    `copy_` does (so torch's int64 `num_batches_tracked` becomes the state's int
    dtype). Nothing is mutated: new pytrees are returned.

    A model with state (batch norm) has buffers too: pass `state_like` to load them,
    and the result is `(params, state)`. Without `state_like`, buffers in the state
    dict are unexpected keys: an error with `strict=True` that says to pass
    `state_like`, ignored with `strict=False`.

    Args:
        params_like: params whose structure, shapes and dtypes to fill; its leaves may
            be `jax.ShapeDtypeStruct`s (from `jax.eval_shape`), so nothing needs to be
            initialised first.
        state_dict: `{name: array}`, names as `state_dict` or PyTorch give them.
        state_like: the model's state to fill the same way
            (`model.initial_state(input_shape)`), or None to load parameters only.
        strict: if True, missing and unexpected keys are errors; if False, missing
            entries keep their `like` values and unexpected keys are ignored.
            Size mismatches are errors either way, as in PyTorch. Unlike PyTorch, a
            state dict of which no key matches is an error even with `strict=False`:
            it would load nothing and leave the initial values in place.
        return_report: if True, also return a `LoadReport` naming what was loaded,
            missing and ignored (PyTorch returns the last two).

    Returns:
        The new params; `(params, state)` with `state_like`; with
        `return_report=True`, the report comes last: `(params, report)` or
        `(params, state, report)`.

    Raises:
        StateDictError: listing every missing key, unexpected key and size mismatch,
            in PyTorch's words; or, with `strict=False`, when no key matches, naming a
            few keys of each side.
        TypeError: if `state_dict` is not a mapping.
        ValueError: if a parameter and a buffer share a name.

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> import funcnet
        >>> layer = funcnet.Linear(10, 5)
        >>> params = layer.init(jax.random.key(0), (4, 10))
        >>> other = layer.init(jax.random.key(1), (4, 10))
        >>> loaded = funcnet.load_state_dict(other, funcnet.state_dict(params))
        >>> bool((loaded["weight"] == params["weight"]).all())
        True
        >>> state = {"running_mean": jnp.full(5, 0.5)}
        >>> sd = funcnet.state_dict(params, state)
        >>> like = {"running_mean": jnp.zeros(5)}
        >>> _, new_state = funcnet.load_state_dict(other, sd, state_like=like)
        >>> new_state["running_mean"].tolist()
        [0.5, 0.5, 0.5, 0.5, 0.5]
    """
    if not isinstance(state_dict, Mapping):
        raise TypeError(
            "load_state_dict: state_dict must be a mapping of name -> array, "
            f"got {type(state_dict).__name__}."
        )
    # JAX's own leaf order, so the results unflatten into the like structures.
    named_params = dotted_names(params_like)
    named = named_params + ([] if state_like is None else dotted_names(state_like))
    check_unique(named, "load_state_dict")
    names = [name for name, _ in named]
    leaves, problems = _filled(named, state_dict)
    check_loadable(names, state_dict, problems, strict=strict, buffers_hint=state_like is None)
    split = len(named_params)
    results = [jax.tree_util.tree_unflatten(_structure(params_like), leaves[:split])]
    if state_like is not None:
        results.append(jax.tree_util.tree_unflatten(_structure(state_like), leaves[split:]))
    if return_report:
        results.append(_report(names, state_dict, names[split:]))
    return results[0] if len(results) == 1 else tuple(results)


def _structure(tree: Any) -> Any:
    return jax.tree_util.tree_structure(tree)


def _report(names: list[str], given: Mapping[str, Any], buffers: list[str]) -> LoadReport:
    known = set(names)
    return LoadReport(
        matched=tuple(name for name in names if name in given),
        missing_keys=tuple(name for name in names if name not in given),
        unexpected_keys=tuple(name for name in given if name not in known),
        buffers=tuple(buffers),
    )


@dataclass(frozen=True)
class Summary:
    """A model's layer-by-layer table; `str(summary)` renders it.

    Attributes:
        rows: `(index, layer, output_shape, parameter_count, buffer_count)` per layer
            that is not built from others, `index` being its dotted name.
        input_shape: the input shape the table was computed for.
        total_parameters: the model's number of scalar parameters.
        total_buffers: the model's number of buffer entries (running statistics);
            when it is not 0, the table has a `buffers` column.
    """

    rows: tuple[tuple[str, str, tuple[int, ...], int, int], ...]
    input_shape: tuple[int, ...]
    total_parameters: int
    total_buffers: int = 0

    def __str__(self) -> str:
        columns = 5 if self.total_buffers else 4
        header = ("#", "layer", "output shape", "params", "buffers")[:columns]
        body = [
            (i, name, str(shape), *(f"{n:,}" for n in counts))
            for i, name, shape, *counts in self.rows
        ]
        body = [row[:columns] for row in body]
        widths = [max(len(str(r[c])) for r in [header, *body]) for c in range(columns)]

        def line(row):
            cells = [str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)]
            cells[3:] = [
                str(cell).rjust(width) for cell, width in zip(row[3:], widths[3:], strict=True)
            ]
            return "  ".join(cells).rstrip()

        rule = "-" * len(line(header))
        text = [
            line(header),
            rule,
            line(("", "input", str(self.input_shape), *[""] * (columns - 3))),
        ]
        text += [line(row) for row in body]
        text += [rule, f"total parameters: {self.total_parameters:,}"]
        if self.total_buffers:
            text.append(f"total buffers: {self.total_buffers:,}")
        return "\n".join(text)


def _counts(layer: Layer, shape: tuple[int, ...]) -> tuple[int, int]:
    """Parameter and buffer counts of `layer` for inputs of `shape`, computing nothing."""
    params = jax.eval_shape(lambda key: layer.init(key, shape), jax.random.key(0))
    state = jax.eval_shape(lambda: layer.initial_state(shape))
    return count_parameters(params), count_parameters(state)


def _rows(layer: Layer, shape: tuple[int, ...], prefix: str):
    """Yield a `Summary` row per layer that is not built from others, recursing."""
    parts = layer.sublayers(shape)
    if not parts:
        yield (prefix or "0", _one_line(layer), layer.output_shape(shape), *_counts(layer, shape))
        return
    for name, part, part_shape in parts:
        yield from _rows(part, part_shape, f"{prefix}.{name}" if prefix else name)


def _one_line(layer: Layer) -> str:
    return " ".join(repr(layer).split())


def summary(model: Layer, input_shape: Sequence[int]) -> Summary:
    """Per-layer output shapes and parameter counts, without computing anything.

    Answers the lesson's question "what must `in_features` of the second Linear
    be?": read the output shape of the layer before it. Any combinator is walked
    through its `sublayers`, so nested models list every layer under its dotted name
    (`1.0`, `1.1`, ...). Shapes come from `output_shape`, parameter and buffer counts
    from `jax.eval_shape`, so nothing is allocated or run. A model with state (batch
    norm) gets a `buffers` column and a total of its buffer entries.

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
    return Summary(rows, shape, *_counts(model, shape))
