"""Checkpoints as safetensors files: `save`, `load`, `load_metadata`.

A safetensors file is an 8-byte little-endian header length $N$, $N$ bytes of JSON
(`{name: {"dtype", "shape", "data_offsets"}, "__metadata__": {str: str}}`, padded with
spaces to a multiple of 8), then the raw little-endian bytes of every tensor. Names are
the dotted paths `funcnet.named_parameters` gives, so a params checkpoint holds
`0.weight`, `0.bias`, ... and loads into the same PyTorch model with
`safetensors.torch.load_file` and `load_state_dict`. Any pytree can be saved: params, or
a whole training state with its optax state, step counter and typed PRNG key.

Writes are atomic (temp file in the same directory, `fsync`, `os.replace`): a crash
mid-save leaves the previous checkpoint intact. Reads validate the whole header before
touching the data, so a truncated or corrupt file raises `CheckpointError` instead of
yielding garbage parameters. The format is read and written here with numpy alone; the
`safetensors` package is not needed at runtime.
"""

from __future__ import annotations

import errno
import json
import math
import os
import struct
from collections.abc import Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from funcnet import _io
from funcnet.errors import StateDictError
from funcnet.params import _key_name, _torch_size

__all__ = ["CheckpointError", "load", "load_metadata", "save"]

_DTYPES = {
    "BOOL": np.dtype(np.bool_),
    "U8": np.dtype(np.uint8),
    "I8": np.dtype(np.int8),
    "U16": np.dtype(np.uint16),
    "I16": np.dtype(np.int16),
    "U32": np.dtype(np.uint32),
    "I32": np.dtype(np.int32),
    "U64": np.dtype(np.uint64),
    "I64": np.dtype(np.int64),
    "F16": np.dtype(np.float16),
    "BF16": np.dtype(jnp.bfloat16),
    "F32": np.dtype(np.float32),
    "F64": np.dtype(np.float64),
    "C64": np.dtype(np.complex64),
    "F8_E4M3": np.dtype(jnp.float8_e4m3fn),
    "F8_E5M2": np.dtype(jnp.float8_e5m2),
    "F8_E4M3FNUZ": np.dtype(jnp.float8_e4m3fnuz),
    "F8_E5M2FNUZ": np.dtype(jnp.float8_e5m2fnuz),
}
_CODES = {dtype: code for code, dtype in _DTYPES.items()}
# The safetensors reference implementation refuses headers above 100 MB.
_MAX_HEADER = 100_000_000
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


class _Entry(NamedTuple):
    """One tensor as the file header describes it."""

    name: str
    dtype: np.dtype
    shape: tuple[int, ...]
    begin: int
    end: int


def _is_key(leaf: Any) -> bool:
    dtype = getattr(leaf, "dtype", None)
    return dtype is not None and jax.dtypes.issubdtype(dtype, jax.dtypes.prng_key)


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


def _native(dtype: Any) -> np.dtype:
    return np.dtype(dtype).newbyteorder("=")


def _named_leaves(tree: Any, caller: str) -> list[tuple[str, Any]]:
    flat = jax.tree_util.tree_flatten_with_path(tree)[0]
    named = [(".".join(_key_name(entry) for entry in path), leaf) for path, leaf in flat]
    seen = set()
    for name, _ in named:
        if name == "__metadata__":
            raise ValueError(f"{caller}: the name '__metadata__' is reserved by safetensors.")
        if name in seen:
            raise ValueError(
                f"{caller}: two leaves share the name {name!r}; rename the dict keys so "
                "that every dotted path is unique."
            )
        seen.add(name)
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


def _header(specs: list[tuple[str, _Spec]], metadata: dict[str, str]) -> bytes:
    header: dict[str, Any] = {"__metadata__": metadata} if metadata else {}
    offset = 0
    for name, spec in specs:
        size = math.prod(spec.shape) * spec.dtype.itemsize
        header[name] = {
            "dtype": _CODES[spec.dtype],
            "shape": list(spec.shape),
            "data_offsets": [offset, offset + size],
        }
        offset += size
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode()
    return text + b" " * (-len(text) % 8)


def _leaf_bytes(name: str, leaf: Any, spec: _Spec) -> np.ndarray:
    array = np.asarray(jax.random.key_data(leaf) if spec.impl else leaf)
    if array.shape != spec.shape or _native(array.dtype) != spec.dtype:
        raise ValueError(
            f"save: leaf {name!r} converted to {array.dtype}{list(array.shape)}, "
            f"but it announced {spec.dtype}{list(spec.shape)}."
        )
    array = np.ascontiguousarray(array, dtype=spec.dtype.newbyteorder("<"))
    return array.reshape(-1).view(np.uint8)


def _write_atomic(path: str, header: bytes, leaves: list[tuple[str, Any, _Spec]]) -> None:
    with _io.atomic_writer(path) as file:
        file.write(struct.pack("<Q", len(header)))
        file.write(header)
        # One leaf at a time, so host memory holds one converted array, not all.
        for name, leaf, spec in leaves:
            file.write(_leaf_bytes(name, leaf, spec))


def save(path: str | os.PathLike, tree: Any, *, metadata: dict[str, str] | None = None) -> None:
    """Write any pytree of arrays to a safetensors file, atomically.

    Leaves are named by their dotted pytree paths (`0.weight`, `opt_state.0.mu.0.bias`,
    `step`). Python scalars become 0-d arrays; `None` and empty containers store
    nothing. A typed PRNG key (`jax.random.key`) is stored as its uint32
    `jax.random.key_data`, with its implementation recorded in the metadata so that
    `load` gives back a typed key. Tensors are laid out largest item size first, so
    every tensor is aligned in the file.

    The file is written to a temporary file in the same directory, flushed and
    `fsync`-ed, then renamed over `path`; if anything fails, the temporary file is
    removed and a previous checkpoint at `path` is left untouched.

    Args:
        path: the file to write. Its directory must exist.
        tree: a pytree of arrays (`jax.Array`, numpy arrays, Python scalars).
        metadata: extra `{str: str}` entries for the header's `__metadata__`.

    Raises:
        FileNotFoundError: if the directory of `path` does not exist.
        TypeError: if a leaf's dtype has no safetensors code, or `metadata` is not
            `{str: str}`.
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
    leaves = [(name, leaf, _spec(leaf)) for name, leaf in _named_leaves(tree, "save")]
    for name, _, spec in leaves:
        if spec.dtype not in _CODES:
            raise TypeError(
                f"save: leaf {name!r} has dtype {spec.dtype}, which safetensors cannot "
                f"store; supported: {', '.join(str(d) for d in _CODES)}."
            )
        if spec.impl is not None:
            metadata[_KEY_IMPL + name] = spec.impl
    # safetensors' own writer orders by alignment too; any contiguous order is valid.
    leaves.sort(key=lambda item: (-item[2].dtype.itemsize, item[0]))
    header = _header([(name, spec) for name, _, spec in leaves], metadata)
    _write_atomic(path, header, leaves)


def _parse_json(raw: bytes, where: str) -> dict[str, Any]:
    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [key for key, _ in pairs]
        if len(set(keys)) != len(keys):
            raise CheckpointError(f"{where}: the header repeats a key.")
        return dict(pairs)

    try:
        header = json.loads(raw.decode("utf-8"), object_pairs_hook=unique)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CheckpointError(f"{where}: the header is not valid UTF-8 JSON ({error}).") from None
    if not isinstance(header, dict):
        raise CheckpointError(f"{where}: the header is not a JSON object.")
    return header


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _entry(name: str, info: Any, where: str) -> _Entry:
    if not isinstance(info, dict) or not {"dtype", "shape", "data_offsets"} <= info.keys():
        raise CheckpointError(
            f"{where}: tensor {name!r} needs 'dtype', 'shape' and 'data_offsets', got {info!r}."
        )
    code, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
    if code not in _DTYPES:
        raise CheckpointError(
            f"{where}: tensor {name!r} has unknown dtype {code!r}; known: {', '.join(_DTYPES)}."
        )
    if not isinstance(shape, list) or not all(_is_count(d) for d in shape):
        raise CheckpointError(f"{where}: tensor {name!r} has an invalid shape {shape!r}.")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(map(_is_count, offsets))):
        raise CheckpointError(f"{where}: tensor {name!r} has invalid data_offsets {offsets!r}.")
    begin, end = offsets
    needed = math.prod(shape) * _DTYPES[code].itemsize
    if end - begin != needed:
        raise CheckpointError(
            f"{where}: tensor {name!r} has data_offsets {offsets} ({end - begin} bytes), "
            f"but shape {shape} of {code} needs {needed} bytes."
        )
    return _Entry(name, _DTYPES[code], tuple(shape), begin, end)


def _check_layout(entries: list[_Entry], data_size: int, where: str) -> None:
    """The tensors must tile the data buffer exactly: no gap, no overlap, no overrun."""
    cursor, previous = 0, None
    for entry in sorted(entries, key=lambda e: (e.begin, e.end)):
        if entry.end > data_size:
            raise CheckpointError(
                f"{where}: tensor {entry.name!r} has data_offsets [{entry.begin}, {entry.end}] "
                f"out of range: the data section has only {data_size} bytes "
                "(the file is truncated or corrupt)."
            )
        if entry.begin < cursor:
            raise CheckpointError(
                f"{where}: tensors {previous!r} and {entry.name!r} have overlapping data_offsets."
            )
        if entry.begin > cursor:
            raise CheckpointError(
                f"{where}: data_offsets do not cover the data section: bytes "
                f"[{cursor}, {entry.begin}) before tensor {entry.name!r} belong to no tensor."
            )
        cursor, previous = entry.end, entry.name
    if cursor != data_size:
        raise CheckpointError(
            f"{where}: data_offsets do not cover the data section: it has {data_size} bytes, "
            f"the tensors cover {cursor}."
        )


def _read_header(file: Any, where: str) -> tuple[list[_Entry], dict[str, str], int]:
    """Validate the whole header; returns entries, metadata and where the data starts."""
    size = os.fstat(file.fileno()).st_size
    if size < 8:
        raise CheckpointError(
            f"{where}: the file has {size} bytes, too few for the 8-byte header length "
            "(it is truncated or not a safetensors file)."
        )
    (length,) = struct.unpack("<Q", file.read(8))
    if length > _MAX_HEADER:
        raise CheckpointError(
            f"{where}: header length {length} exceeds the {_MAX_HEADER}-byte limit "
            "(the file is corrupt or not a safetensors file)."
        )
    if length > size - 8:
        raise CheckpointError(
            f"{where}: header length {length} is larger than the {size - 8} bytes that "
            "follow it (the file is truncated or corrupt)."
        )
    header = _parse_json(file.read(length), where)
    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise CheckpointError(f"{where}: __metadata__ must map str to str, got {metadata!r}.")
    entries = [_entry(name, info, where) for name, info in header.items()]
    _check_layout(entries, size - 8 - length, where)
    return entries, metadata, 8 + length


def _read_tensor(file: Any, entry: _Entry, start: int, where: str) -> np.ndarray:
    array = np.empty(entry.shape, dtype=entry.dtype.newbyteorder("<"))
    raw = array.reshape(-1).view(np.uint8)
    file.seek(start + entry.begin)
    if file.readinto(raw) != raw.size:
        raise CheckpointError(f"{where}: the file ended inside tensor {entry.name!r}.")
    if entry.dtype == np.bool_ and raw.size and raw.max() > 1:
        raise CheckpointError(f"{where}: tensor {entry.name!r} holds bytes that are not bools.")
    return array.astype(entry.dtype.newbyteorder("="), copy=False)


def _describe(spec: _Spec) -> str:
    return f"PRNG key ({spec.impl})" if spec.impl else str(spec.dtype)


def _compare(named: list[tuple[str, _Spec]], stored: dict[str, _Spec]) -> list[str]:
    names = [name for name, _ in named]
    missing = [name for name in names if name not in stored]
    unexpected = sorted(set(stored) - set(names))
    problems = []
    if missing:
        problems.append("Missing key(s) in checkpoint: " + ", ".join(f'"{k}"' for k in missing))
    if unexpected:
        problems.append(
            "Unexpected key(s) in checkpoint: " + ", ".join(f'"{k}"' for k in unexpected)
        )
    for name, expected in named:
        found = stored.get(name)
        if found is None:
            continue
        if found.shape != expected.shape:
            problems.append(
                f"size mismatch for {name}: copying a param with shape "
                f"{_torch_size(found.shape)} from checkpoint, the shape in current model "
                f"is {_torch_size(expected.shape)}."
            )
        if (found.dtype, found.impl) != (expected.dtype, expected.impl):
            problems.append(
                f"dtype mismatch for {name}: the checkpoint holds {_describe(found)}, "
                f"the current model expects {_describe(expected)}."
            )
    return problems


def _stored_specs(
    entries: list[_Entry], metadata: dict[str, str], expected: dict[str, _Spec]
) -> dict[str, _Spec]:
    specs = {}
    for entry in entries:
        impl = metadata.get(_KEY_IMPL + entry.name)
        want = expected.get(entry.name)
        # Raw uint32 key data written by another tool is taken as the expected key type.
        if impl is None and want is not None and want.impl and entry.dtype == np.uint32:
            impl = want.impl
        specs[entry.name] = _Spec(entry.shape, entry.dtype, impl)
    return specs


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
    where = f"checkpoint {os.fspath(path)!r}"
    with open(path, "rb") as file:
        entries, metadata, start = _read_header(file, where)
        if like is None:
            entries.sort(key=lambda entry: entry.name)
            return {entry.name: _read_tensor(file, entry, start, where) for entry in entries}
        named = _named_leaves(like, "load")
        expected = [(name, _spec(leaf)) for name, leaf in named]
        stored = _stored_specs(entries, metadata, dict(expected))
        problems = _compare(expected, stored)
        if problems:
            raise StateDictError(f"Error(s) in loading {where}:\n\t" + "\n\t".join(problems))
        by_name = {entry.name: entry for entry in entries}
        leaves = [
            _restore(leaf, _read_tensor(file, by_name[name], start, where), stored[name])
            for name, leaf in named
        ]
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
    with open(path, "rb") as file:
        metadata = _read_header(file, f"checkpoint {os.fspath(path)!r}")[1]
    return {key: value for key, value in metadata.items() if not key.startswith(_KEY_IMPL)}
