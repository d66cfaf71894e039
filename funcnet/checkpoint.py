"""Checkpoints as safetensors files: `save`, `load`, `load_metadata`.

The file format is read and written by the `safetensors` package (the maintained
reference implementation, which validates every header before touching the data).
funcnet adds what a pytree needs on top: leaves are named by their dotted paths, as
`funcnet.named_parameters` names them, so a params checkpoint holds `0.weight`,
`0.bias`, ... and loads into the same PyTorch model with
`safetensors.torch.load_file` and `load_state_dict`. Any pytree can be saved: params,
a model's state (batch norm's running statistics), or a whole training state with
its optax state, step counter and typed PRNG key.

Writes are atomic (temp file in the same directory, `fsync`, `os.replace`): a crash
mid-save leaves the previous checkpoint intact. A truncated, corrupt or foreign file
raises `CheckpointError`, naming the file and what is wrong, instead of yielding
garbage parameters.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import safetensors
import safetensors.numpy

from funcnet import _io
from funcnet._names import check_unique, dotted_names, load_error, size_mismatch

__all__ = ["CheckpointError", "load", "load_metadata", "save"]

# The dtypes safetensors' numpy reader gives back (it cannot return float8 arrays),
# so that everything `save` writes, `load` reads.
_STORABLE_NAMES = "bool int8 uint8 int16 uint16 int32 uint32 int64 uint64 float16 float32 float64"
_STORABLE = frozenset(
    jnp.dtype(name) for name in [*_STORABLE_NAMES.split(), "bfloat16", "complex64"]
)
# Metadata entry recording the PRNG implementation of a typed key leaf.
_KEY_IMPL = "funcnet.prng_key_impl."


class CheckpointError(ValueError):
    """A checkpoint file is truncated, corrupt or not a safetensors file.

    The message names the file and what is wrong with it.
    """


class _Spec(NamedTuple):
    """What a leaf is stored as: a typed key is stored as its uint32 key data."""

    shape: tuple[int, ...]
    dtype: np.dtype
    impl: str | None  # PRNG implementation name for typed keys, else None


def _is_key(leaf: Any) -> bool:
    dtype = getattr(leaf, "dtype", None)
    return dtype is not None and jax.dtypes.issubdtype(dtype, jax.dtypes.prng_key)


def _native(dtype: Any) -> np.dtype:
    return np.dtype(dtype).newbyteorder("=")


def _spec(leaf: Any) -> _Spec:
    """Shape, dtype and key impl of a leaf; works on arrays and `jax.ShapeDtypeStruct`."""
    if _is_key(leaf):
        impls = []

        def key_data(key):
            impls.append(str(jax.random.key_impl(key)))
            return jax.random.key_data(key)

        data = jax.eval_shape(key_data, leaf)
        return _Spec(tuple(data.shape), np.dtype(data.dtype), impls[0])
    if hasattr(leaf, "dtype") and hasattr(leaf, "shape"):
        return _Spec(tuple(leaf.shape), _native(leaf.dtype), None)
    array = np.asarray(leaf)
    return _Spec(array.shape, _native(array.dtype), None)


def _named_leaves(tree: Any, caller: str) -> list[tuple[str, Any]]:
    named = dotted_names(tree)
    if any(name == "__metadata__" for name, _ in named):
        raise ValueError(f"{caller}: the name '__metadata__' is reserved by safetensors.")
    check_unique(named, caller)
    return named


def _check_metadata(metadata: Mapping[str, str] | None) -> dict[str, str]:
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
    ):
        raise TypeError("save: metadata must be a dict of str -> str, as safetensors requires.")
    reserved = [key for key in metadata if key.startswith(_KEY_IMPL)]
    if reserved:
        raise ValueError(f"save: metadata keys starting with {_KEY_IMPL!r} are reserved.")
    return dict(metadata)


def _as_array(name: str, leaf: Any) -> tuple[np.ndarray, str | None]:
    """A leaf as a contiguous native-order numpy array, and its key impl if it is a key."""
    impl = str(jax.random.key_impl(leaf)) if _is_key(leaf) else None
    array = np.asarray(jax.random.key_data(leaf) if impl else leaf)
    if _native(array.dtype) not in _STORABLE:
        raise TypeError(
            f"save: leaf {name!r} has dtype {array.dtype}, which funcnet cannot store in "
            f"safetensors; supported: {', '.join(sorted(str(d) for d in _STORABLE))}."
        )
    return np.asarray(array, dtype=_native(array.dtype), order="C"), impl


def save(path: str | os.PathLike, tree: Any, *, metadata: dict[str, str] | None = None) -> None:
    """Write any pytree of arrays to a safetensors file, atomically.

    Leaves are named by their dotted pytree paths (`0.weight`, `opt_state.0.mu.0.bias`,
    `step`). Python scalars become 0-d arrays; `None` and empty containers (the `{}`
    of a layer without parameters or state) store nothing and come back from
    `load(path, like)` as they are in `like`. A typed PRNG key (`jax.random.key`) is
    stored as its uint32 `jax.random.key_data`, with its implementation recorded in
    the metadata so that `load` gives back a typed key.

    The file is written by `safetensors` to a temporary file in the same directory,
    `fsync`-ed, then renamed over `path`; if anything fails, the temporary file is
    removed and a previous checkpoint at `path` is left untouched.

    Args:
        path: the file to write. Its directory must exist.
        tree: a pytree of arrays (`jax.Array`, numpy arrays, Python scalars).
        metadata: extra `{str: str}` entries for the header's `__metadata__`.

    Raises:
        FileNotFoundError: if the directory of `path` does not exist.
        TypeError: if a leaf's dtype cannot be stored (complex128, float8), or
            `metadata` is not `{str: str}`.
        ValueError: if two leaves would get the same name.

    Examples:
        >>> import os, tempfile
        >>> import jax
        >>> import funcnet
        >>> from funcnet import checkpoint
        >>> params = funcnet.Linear(10, 5).init(jax.random.key(0), (4, 10))
        >>> path = os.path.join(tempfile.mkdtemp(), "linear.safetensors")
        >>> checkpoint.save(path, params, metadata={"epoch": "3"})
        >>> {name: a.shape for name, a in checkpoint.load(path).items()}
        {'bias': (5,), 'weight': (5, 10)}
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            errno.ENOENT, "checkpoint directory does not exist; create it first", directory
        )
    metadata = _check_metadata(metadata)
    arrays = {}
    for name, leaf in _named_leaves(tree, "save"):
        arrays[name], impl = _as_array(name, leaf)
        if impl is not None:
            metadata[_KEY_IMPL + name] = impl
    with _io.atomic_path(path) as temporary:
        safetensors.numpy.save_file(arrays, temporary, metadata=metadata or None)


# The package's reasons for the commonest damage, in plain words.
_PLAIN = {
    "header too small": "it has {size} bytes, too few for the 8-byte header length",
    "invalid header length": "the header length in its first 8 bytes exceeds the file",
    "header too large": "the header length in its first 8 bytes is beyond safetensors' limit",
    "file not fully covered": "the tensors do not cover the file's data exactly",
}


def _unreadable(path: str | os.PathLike, error: Exception) -> CheckpointError:
    reason = str(error)
    plain = next((text for key, text in _PLAIN.items() if key in reason), None)
    if plain is not None:
        reason = plain.format(size=os.path.getsize(path)) + f" (safetensors: {reason})"
    return CheckpointError(
        f"{_where(path)} is truncated, corrupt or not a safetensors file: {reason}."
    )


@contextlib.contextmanager
def _opened(path: str | os.PathLike) -> Iterator[Any]:
    """`safetensors.safe_open`, its errors raised as `CheckpointError` naming the file."""
    try:
        with safetensors.safe_open(os.fspath(path), framework="numpy") as file:
            yield file
    except safetensors.SafetensorError as error:
        raise _unreadable(path, error) from None


def _where(path: str | os.PathLike) -> str:
    return f"checkpoint {os.fspath(path)!r}"


def _read(file: Any, name: str, where: str) -> np.ndarray:
    try:
        array = file.get_tensor(name)
    except (AttributeError, TypeError, ValueError):  # a dtype numpy lacks, such as float8
        code = file.get_slice(name).get_dtype()
        raise CheckpointError(
            f"{where}: tensor {name!r} has dtype {code}, which funcnet cannot read."
        ) from None
    # safetensors does not check bool bytes; anything but 0 and 1 is corruption.
    if array.dtype == np.bool_ and array.size and array.view(np.uint8).max() > 1:
        raise CheckpointError(f"{where}: tensor {name!r} holds bytes that are not bools.")
    return array


def _read_all(path: str | os.PathLike) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Every tensor by name (sorted) and the metadata of a safetensors file."""
    with _opened(path) as file:
        metadata = file.metadata() or {}
        arrays = {name: _read(file, name, _where(path)) for name in sorted(file.keys())}
    return arrays, metadata


def _describe(spec: _Spec) -> str:
    return f"PRNG key ({spec.impl})" if spec.impl else str(spec.dtype)


def _stored_specs(
    arrays: dict[str, np.ndarray], metadata: dict[str, str], expected: dict[str, _Spec]
) -> dict[str, _Spec]:
    specs = {}
    for name, array in arrays.items():
        impl = metadata.get(_KEY_IMPL + name)
        want = expected.get(name)
        # Raw uint32 key data written by another tool is taken as the expected key type.
        if impl is None and want is not None and want.impl and array.dtype == np.uint32:
            impl = want.impl
        specs[name] = _Spec(array.shape, array.dtype, impl)
    return specs


def _mismatches(expected: list[tuple[str, _Spec]], stored: dict[str, _Spec]) -> list[str]:
    problems = []
    for name, want in expected:
        found = stored.get(name)
        if found is None:
            continue
        if found.shape != want.shape:
            problems.append(size_mismatch(name, found.shape, want.shape))
        if (found.dtype, found.impl) != (want.dtype, want.impl):
            problems.append(
                f"dtype mismatch for {name}: the checkpoint holds {_describe(found)}, "
                f"the current model expects {_describe(want)}."
            )
    return problems


def _restore(like: Any, value: np.ndarray, spec: _Spec) -> Any:
    """`value` in the form of `like`: a JAX array on like's sharding, numpy, or a scalar."""
    sharding = getattr(like, "sharding", None)
    if spec.impl is not None:
        key = jax.random.wrap_key_data(jnp.asarray(value), impl=spec.impl)
        return key if sharding is None else jax.device_put(key, sharding)
    if isinstance(like, jax.Array | jax.ShapeDtypeStruct):
        return jnp.asarray(value) if sharding is None else jax.device_put(value, sharding)
    if isinstance(like, np.generic):
        return value[()]
    if isinstance(like, bool | int | float | complex):
        return value.item()
    return value


def load(path: str | os.PathLike, like: Any = None) -> Any:
    """Read a safetensors file, into `like`'s structure or as a flat dict.

    With `like`, every name, shape and dtype is checked first and every mismatch is
    reported at once; nothing is cast (unlike `load_state_dict`, which follows
    PyTorch's `copy_`), so a float64 checkpoint does not silently become float32.
    Leaves come back in `like`'s form: JAX arrays on `like`'s sharding, numpy arrays,
    Python scalars, and typed PRNG keys where `like` holds keys. `like` may be built
    with `jax.eval_shape` (leaves `jax.ShapeDtypeStruct`) to load without initialising.

    Args:
        path: a safetensors file (written by `save`, `safetensors` or PyTorch tools).
        like: a pytree of the expected structure, shapes and dtypes, or None.

    Returns:
        A pytree of `like`'s structure; or, without `like`, `{name: np.ndarray}` sorted
        by name (typed keys appear as their uint32 key data).

    Raises:
        CheckpointError: if the file is truncated, corrupt or not safetensors.
        StateDictError: listing every missing name, unexpected name, size mismatch
            and dtype mismatch against `like`.
        FileNotFoundError: if there is no file at `path`.

    Examples:
        >>> import os, tempfile
        >>> import jax
        >>> import funcnet
        >>> from funcnet import checkpoint
        >>> model = funcnet.Sequential(funcnet.Linear(3, 2), funcnet.ReLU())
        >>> params = model.init(jax.random.key(0), (1, 3))
        >>> state = {"params": params, "key": jax.random.key(7), "step": 10}
        >>> path = os.path.join(tempfile.mkdtemp(), "state.safetensors")
        >>> checkpoint.save(path, state)
        >>> restored = checkpoint.load(path, like=state)
        >>> restored["step"], bool((restored["params"][0]["weight"] == params[0]["weight"]).all())
        (10, True)
        >>> restored["key"].dtype
        key<fry>
    """
    arrays, metadata = _read_all(path)
    if like is None:
        return arrays
    named = _named_leaves(like, "load")
    expected = [(name, _spec(leaf)) for name, leaf in named]
    stored = _stored_specs(arrays, metadata, dict(expected))
    error = load_error(
        _where(path),
        missing=[name for name, _ in expected if name not in stored],
        unexpected=sorted(set(stored) - {name for name, _ in expected}),
        problems=_mismatches(expected, stored),
        source="checkpoint",
    )
    if error is not None:
        raise error
    leaves = [_restore(leaf, arrays[name], stored[name]) for name, leaf in named]
    return jax.tree_util.tree_unflatten(jax.tree_util.tree_structure(like), leaves)


def load_metadata(path: str | os.PathLike) -> dict[str, str]:
    """The `__metadata__` given to `save` (entries funcnet adds for itself are left out).

    Raises:
        CheckpointError: if the file is truncated, corrupt or not safetensors.

    Examples:
        >>> import os, tempfile
        >>> import numpy as np
        >>> from funcnet import checkpoint
        >>> path = os.path.join(tempfile.mkdtemp(), "tiny.safetensors")
        >>> checkpoint.save(path, {"w": np.zeros(2)}, metadata={"epoch": "3"})
        >>> checkpoint.load_metadata(path)
        {'epoch': '3'}
    """
    with _opened(path) as file:
        metadata = file.metadata() or {}
    return {key: value for key, value in metadata.items() if not key.startswith(_KEY_IMPL)}
