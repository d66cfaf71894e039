"""Dotted names for pytree leaves, and PyTorch's report of a state dict that does not fit.

One home for both, used by `funcnet.params` (state dicts) and `funcnet.checkpoint`
(files). A leaf's name is its pytree path joined with dots: a `Sequential`'s tuple
index, then the layer's dict key, so the params of
`Sequential(Linear(10, 5), Sigmoid(), Linear(5, 8))` are named `0.weight`, `0.bias`,
`2.weight`, `2.bias`, exactly as PyTorch names the same model's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import jax

from funcnet.errors import StateDictError

__all__ = [
    "BUFFER_NAMES",
    "check_loadable",
    "check_unique",
    "dotted_names",
    "load_error",
    "quoted",
    "size_mismatch",
    "torch_size",
]


def _entry_name(entry: Any) -> str:
    """One path entry as text: a dict key, a sequence index or an attribute name."""
    for attribute in ("key", "idx", "name"):
        if hasattr(entry, attribute):
            return str(getattr(entry, attribute))
    return str(entry)


def dotted_names(tree: Any) -> list[tuple[str, Any]]:
    """`(name, leaf)` for every leaf of `tree`, in JAX's leaf order.

    Args:
        tree: any pytree (tuples, lists, dicts, NamedTuples, registered classes).

    Returns:
        The dotted name and the leaf, such as `("0.weight", (5, 10) array)`.

    Examples:
        >>> from funcnet._names import dotted_names
        >>> dotted_names(({"weight": 1, "bias": 2}, {}, {"weight": 3}))
        [('0.bias', 2), ('0.weight', 1), ('2.weight', 3)]
    """
    flat = jax.tree_util.tree_flatten_with_path(tree)[0]
    return [(".".join(_entry_name(entry) for entry in path), leaf) for path, leaf in flat]


def check_unique(named: Sequence[tuple[str, Any]], owner: str) -> None:
    """Refuse two leaves with the same dotted name (`{"a.b": x, "a": {"b": y}}`).

    Raises:
        ValueError: naming the first repeated name and how to fix it.

    Examples:
        >>> from funcnet._names import check_unique, dotted_names
        >>> check_unique(dotted_names({"a.b": 1, "a": {"b": 2}}), "save")
        Traceback (most recent call last):
        ...
        ValueError: save: two leaves share the name 'a.b'; rename the dict keys ...
    """
    seen: set[str] = set()
    for name, _ in named:
        if name in seen:
            raise ValueError(
                f"{owner}: two leaves share the name {name!r}; rename the dict keys so "
                "that every dotted path is unique."
            )
        seen.add(name)


def torch_size(shape: Sequence[int]) -> str:
    """A shape as PyTorch prints it.

    Examples:
        >>> from funcnet._names import torch_size
        >>> torch_size((8, 5))
        'torch.Size([8, 5])'
    """
    return f"torch.Size([{', '.join(str(d) for d in shape)}])"


def quoted(names: Sequence[str], limit: int | None = None) -> str:
    """Names in double quotes, as PyTorch lists keys; past `limit`, a count instead.

    Examples:
        >>> from funcnet._names import quoted
        >>> quoted(["a", "b", "c"], limit=2)
        '"a", "b", ... (3 in all)'
    """
    shown = ", ".join(f'"{name}"' for name in names[:limit])
    if limit is not None and len(names) > limit:
        shown += f", ... ({len(names)} in all)"
    return shown


def size_mismatch(name: str, found: Sequence[int], expected: Sequence[int]) -> str:
    """PyTorch's sentence for an entry whose shape differs from the model's.

    Args:
        name: the dotted name.
        found: the shape in the state dict or checkpoint.
        expected: the shape in the current model.

    Examples:
        >>> from funcnet._names import size_mismatch
        >>> print(size_mismatch("2.weight", (8, 4), (8, 5)))
        size mismatch for 2.weight: copying a param with shape torch.Size([8, 4]) from
        checkpoint, the shape in current model is torch.Size([8, 5]).
    """
    return (
        f"size mismatch for {name}: copying a param with shape {torch_size(found)} from "
        f"checkpoint, the shape in current model is {torch_size(expected)}."
    )


def load_error(
    what: str,
    *,
    missing: Sequence[str] = (),
    unexpected: Sequence[str] = (),
    problems: Sequence[str] = (),
    source: str = "state_dict",
    unexpected_hint: str = "",
) -> StateDictError | None:
    """PyTorch's `Error(s) in loading state_dict` report, or None if nothing is wrong.

    The order and words are PyTorch's `load_state_dict(strict=True)`: missing keys,
    then unexpected keys, then one line per other problem (size mismatches).

    Args:
        what: what was being loaded, for the first line (`"state_dict"`, or
            `"checkpoint 'run/params.safetensors'"`).
        missing: the model's names that the source lacks.
        unexpected: the source's names that the model lacks.
        problems: further lines, such as `size_mismatch(...)`; empty ones are dropped.
        source: the word for where the keys came from (`"state_dict"`, `"checkpoint"`).
        unexpected_hint: a sentence appended to the unexpected-keys line.

    Returns:
        A `StateDictError` to raise, or None when every list is empty.

    Examples:
        >>> from funcnet._names import load_error
        >>> print(load_error("state_dict", missing=["0.bias"], unexpected=["3.weight"]))
        Error(s) in loading state_dict:
            Missing key(s) in state_dict: "0.bias".
            Unexpected key(s) in state_dict: "3.weight".
        >>> load_error("state_dict") is None
        True
    """
    lines = []
    if missing:
        lines.append(f"Missing key(s) in {source}: {quoted(missing)}. ")
    if unexpected:
        lines.append(f"Unexpected key(s) in {source}: {quoted(unexpected)}. {unexpected_hint}")
    lines += [problem for problem in problems if problem]
    if not lines:
        return None
    return StateDictError(f"Error(s) in loading {what}:\n\t" + "\n\t".join(lines))


# PyTorch's names for the buffers (running statistics) of its batch norm layers.
BUFFER_NAMES = ("running_mean", "running_var", "num_batches_tracked")


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
        f"{quoted(names, 4)}; "
    )
    if not given:
        return text + "the state_dict is empty."
    hint = _prefix_hint(names, given) or (
        " Rename the keys to the model's names, which funcnet.named_parameters(params) lists."
    )
    return text + f"the state_dict's keys: {quoted(given, 4)}.{hint}"


def _buffer_hint(unexpected: Sequence[str]) -> str:
    """What to do when a state dict brings buffers but only params were asked for."""
    buffers = [name for name in unexpected if name.rsplit(".", 1)[-1] in BUFFER_NAMES]
    if not buffers:
        return ""
    return (
        f"{quoted(buffers, 3)} are buffers (running statistics), not parameters: pass "
        "state_like=model.initial_state(input_shape) to load them too, and "
        "load_state_dict returns (params, state)."
    )


def check_loadable(
    names: Sequence[str],
    given: Iterable[str],
    problems: Sequence[str] = (),
    *,
    strict: bool = True,
    buffers_hint: bool = False,
) -> None:
    """Raise PyTorch's strict-load report if the state dict's keys do not fit the model's.

    Args:
        names: the model's names, in order.
        given: the state dict's names.
        problems: lines already found, such as size mismatches.
        strict: if True, missing and unexpected keys are errors (PyTorch's
            `strict=True`); either way a state dict of which no key matches is one.
        buffers_hint: if True, unexpected buffer names (`running_mean`, ...) get a
            sentence saying to pass `state_like`.

    Raises:
        StateDictError: the report, `Error(s) in loading state_dict:` and one line
            per problem; a common prefix in front of every key is named with its fix.

    Examples:
        >>> from funcnet._names import check_loadable
        >>> check_loadable(["0.weight", "0.bias"], ["module.0.weight", "module.0.bias"])
        Traceback (most recent call last):
        ...
        funcnet.errors.StateDictError: Error(s) in loading state_dict:
            Missing key(s) in state_dict: "0.weight", "0.bias".
            Unexpected key(s) in state_dict: "module.0.weight", "module.0.bias".
            The state_dict's keys are the model's behind the prefix "module."; drop it: ...
    """
    given = list(given)
    present = set(given)
    missing = [name for name in names if name not in present]
    known = set(names)
    unexpected = [name for name in given if name not in known]
    problems = list(problems)
    if names and len(missing) == len(names):
        if strict:
            problems.append(_prefix_hint(names, given).strip())
        else:
            problems.insert(0, _nothing_matches(names, given))
    error = load_error(
        "state_dict",
        missing=missing if strict else (),
        unexpected=unexpected if strict else (),
        problems=problems,
        unexpected_hint=_buffer_hint(unexpected) if buffers_hint else "",
    )
    if error is not None:
        raise error
