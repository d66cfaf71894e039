"""Checkpoints: round trips, interop with safetensors and PyTorch, atomicity, corruption."""

import json
import os
import struct
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import safetensors
import safetensors.numpy
import safetensors.torch
import torch

import funcnet
from funcnet import checkpoint
from funcnet.checkpoint import CheckpointError


class TrainState(NamedTuple):
    params: Any
    opt_state: Any
    step: jax.Array
    key: jax.Array


def lesson_params(dtype=jnp.float64, seed=0):
    model = funcnet.Sequential(
        funcnet.Linear(10, 5, dtype=dtype), funcnet.Sigmoid(), funcnet.Linear(5, 8, dtype=dtype)
    )
    return model.init(jax.random.key(seed), (4, 10))


def train_state(seed=0):
    params = lesson_params(jnp.float32, seed)
    optimizer = optax.adam(1e-2)
    opt_state = optimizer.init(params)
    grads = jax.tree_util.tree_map(jnp.ones_like, params)
    updates, opt_state = optimizer.update(grads, opt_state, params)
    params = optax.apply_updates(params, updates)
    return TrainState(params, opt_state, jnp.int32(7 + seed), jax.random.key(42 + seed))


def assert_trees_identical(actual, expected):
    assert jax.tree_util.tree_structure(actual) == jax.tree_util.tree_structure(expected)
    leaves = jax.tree_util.tree_leaves
    for a, e in zip(leaves(actual), leaves(expected), strict=True):
        assert isinstance(a, jax.Array) if isinstance(e, jax.Array) else type(a) is type(e)
        assert a.dtype == e.dtype
        if jax.dtypes.issubdtype(e.dtype, jax.dtypes.prng_key):
            a, e = jax.random.key_data(a), jax.random.key_data(e)
        np.testing.assert_array_equal(np.asarray(a), np.asarray(e), strict=True)


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_params_round_trip_is_bit_exact(tmp_path, dtype):
    params = lesson_params(dtype)
    path = tmp_path / "params.safetensors"
    checkpoint.save(path, params)
    assert_trees_identical(checkpoint.load(path, like=lesson_params(dtype, seed=1)), params)
    flat = checkpoint.load(path)
    assert list(flat) == ["0.bias", "0.weight", "2.bias", "2.weight"]
    assert all(isinstance(a, np.ndarray) and a.dtype == dtype for a in flat.values())


def test_train_state_round_trip_with_adam_step_and_typed_key(tmp_path):
    state = train_state()
    path = tmp_path / "state.safetensors"
    checkpoint.save(path, state)
    restored = checkpoint.load(path, like=train_state(seed=1))
    assert_trees_identical(restored, state)
    assert isinstance(restored, TrainState)
    assert restored.step.dtype == jnp.int32 and restored.step.shape == ()
    # The restored key is the same key: it draws the same numbers.
    np.testing.assert_array_equal(
        jax.random.normal(restored.key, (3,)), jax.random.normal(state.key, (3,))
    )
    names = set(checkpoint.load(path))
    assert {"step", "key", "params.0.weight", "opt_state.0.count", "opt_state.0.mu.2.bias"} <= (
        names
    )


def test_load_into_abstract_like_from_eval_shape(tmp_path):
    state = train_state()
    checkpoint.save(tmp_path / "s.safetensors", state)
    like = jax.eval_shape(lambda: train_state(seed=3))
    assert_trees_identical(checkpoint.load(tmp_path / "s.safetensors", like=like), state)


def test_other_prng_impls_round_trip(tmp_path):
    tree = {"rbg": jax.random.key(3, impl="rbg"), "keys": jax.random.split(jax.random.key(1), 4)}
    checkpoint.save(tmp_path / "k.safetensors", tree)
    assert_trees_identical(checkpoint.load(tmp_path / "k.safetensors", like=tree), tree)
    assert checkpoint.load(tmp_path / "k.safetensors")["rbg"].shape == (4,)


def test_python_scalars_numpy_leaves_and_empty_leaves(tmp_path):
    tree = {"lr": 0.5, "epoch": 3, "done": False, "np": np.float32(2.5), "none": None, "e": ()}
    checkpoint.save(tmp_path / "t.safetensors", tree)
    flat = checkpoint.load(tmp_path / "t.safetensors")
    assert flat["lr"].shape == () and flat["epoch"].dtype == np.int64
    assert set(flat) == {"lr", "epoch", "done", "np"}
    restored = checkpoint.load(tmp_path / "t.safetensors", like=tree)
    assert restored == tree
    assert type(restored["epoch"]) is int and type(restored["np"]) is np.float32


def test_big_endian_non_contiguous_and_empty_trees(tmp_path):
    path = tmp_path / "t.safetensors"
    tree = {"be": np.arange(3, dtype=">f4"), "t": np.arange(6.0).reshape(2, 3).T}
    checkpoint.save(path, tree)
    loaded = checkpoint.load(path)
    np.testing.assert_array_equal(loaded["be"], np.arange(3, dtype=np.float32), strict=True)
    np.testing.assert_array_equal(loaded["t"], tree["t"])
    np.testing.assert_array_equal(safetensors.numpy.load_file(path)["t"], tree["t"])
    checkpoint.save(path, {"nothing": (), "none": None})
    assert checkpoint.load(path) == {} == safetensors.numpy.load_file(path)
    assert checkpoint.load(path, like={"nothing": (), "none": None}) == {
        "nothing": (),
        "none": None,
    }


def test_metadata_round_trip_and_readable_by_safetensors(tmp_path):
    path = tmp_path / "m.safetensors"
    checkpoint.save(path, {"key": jax.random.key(0)}, metadata={"epoch": "3", "note": "héllo"})
    assert checkpoint.load_metadata(path) == {"epoch": "3", "note": "héllo"}
    with safetensors.safe_open(path, framework="numpy") as file:
        stored = file.metadata()
    assert stored["epoch"] == "3" and stored["funcnet.prng_key_impl.key"] == "threefry2x32"
    checkpoint.save(path, {"w": np.zeros(1)})
    assert checkpoint.load_metadata(path) == {}


def test_params_checkpoint_loads_into_pytorch(tmp_path):
    params = lesson_params()
    path = tmp_path / "lesson.safetensors"
    checkpoint.save(path, params)
    reference = torch.nn.Sequential(
        torch.nn.Linear(10, 5), torch.nn.Sigmoid(), torch.nn.Linear(5, 8)
    ).double()
    reference.load_state_dict(safetensors.torch.load_file(path))
    model = funcnet.Sequential(funcnet.Linear(10, 5), funcnet.Sigmoid(), funcnet.Linear(5, 8))
    x = np.random.default_rng(0).random((3, 10))
    np.testing.assert_allclose(model(params, x), reference(torch.tensor(x)).detach(), rtol=1e-12)


def test_pytorch_checkpoint_loads_into_funcnet(tmp_path):
    torch.manual_seed(0)
    reference = torch.nn.Sequential(
        torch.nn.Linear(10, 5), torch.nn.Sigmoid(), torch.nn.Linear(5, 8)
    ).double()
    path = tmp_path / "torch.safetensors"
    safetensors.torch.save_file(reference.state_dict(), path)
    params = checkpoint.load(path, like=lesson_params())
    for name, value in funcnet.named_parameters(params):
        np.testing.assert_array_equal(value, reference.state_dict()[name].numpy())


NUMPY_DTYPES = [np.bool_, np.uint8, np.int8, np.int16, np.uint16, np.int32, np.uint32]
NUMPY_DTYPES += [np.int64, np.uint64, np.float16, np.float32, np.float64, np.complex64]


def numpy_tree():
    rng = np.random.default_rng(0)
    tree = {}
    for index, dtype in enumerate(NUMPY_DTYPES):
        shape = [(), (3,), (2, 3), (0, 4)][index % 4]
        tree[np.dtype(dtype).name] = np.asarray((rng.standard_normal(shape) * 50).astype(dtype))
    return tree


def test_interop_with_safetensors_numpy_both_ways(tmp_path):
    tree = numpy_tree()
    checkpoint.save(tmp_path / "ours.safetensors", tree)
    theirs = safetensors.numpy.load_file(tmp_path / "ours.safetensors")
    safetensors.numpy.save_file(tree, tmp_path / "theirs.safetensors", metadata={"a": "b"})
    ours = checkpoint.load(tmp_path / "theirs.safetensors")
    assert checkpoint.load_metadata(tmp_path / "theirs.safetensors") == {"a": "b"}
    for loaded in (theirs, ours, checkpoint.load(tmp_path / "theirs.safetensors", like=tree)):
        assert set(loaded) == set(tree)
        for name, value in tree.items():
            np.testing.assert_array_equal(loaded[name], value, strict=True)


def test_bfloat16_interop_with_safetensors_torch(tmp_path):
    values = torch.tensor([1.5, -2.25, 3.0e38, 1e-3], dtype=torch.bfloat16)
    safetensors.torch.save_file({"w": values}, tmp_path / "bf16.safetensors")
    loaded = checkpoint.load(tmp_path / "bf16.safetensors")["w"]
    assert loaded.dtype == jnp.bfloat16
    np.testing.assert_array_equal(loaded.astype(np.float32), values.float().numpy())
    checkpoint.save(tmp_path / "ours.safetensors", {"w": jnp.asarray(loaded)})
    assert torch.equal(safetensors.torch.load_file(tmp_path / "ours.safetensors")["w"], values)


def test_tensors_are_aligned_and_header_padded(tmp_path):
    path = tmp_path / "a.safetensors"
    checkpoint.save(path, {"a": np.int8(1), "b": np.zeros(3), "c": np.zeros(1, np.float32)})
    header, _ = split_file(path.read_bytes())
    assert (8 + len(header)) % 8 == 0
    for info in parse(header).values():
        size = np.dtype(checkpoint._DTYPES[info["dtype"]]).itemsize
        assert info["data_offsets"][0] % size == 0


# --- atomicity ---------------------------------------------------------------


class ExplodingLeaf:
    """Announces a shape and dtype, then fails when converted, as a lost device would."""

    shape = (1000,)
    dtype = np.dtype(np.float64)

    def __array__(self, dtype=None, copy=None):
        raise RuntimeError("device lost")


def fail(*args, **kwargs):
    raise OSError("disk full")


@pytest.mark.parametrize("how", ["os.replace", "os.fsync", "conversion", "os.chmod", "interrupt"])
def test_failed_save_leaves_previous_checkpoint_and_no_temp_file(tmp_path, monkeypatch, how):
    path = tmp_path / "state.safetensors"
    checkpoint.save(path, train_state())
    before = path.read_bytes()
    tree: Any = train_state(seed=1)
    error: type[BaseException] = OSError
    if how == "conversion":
        tree, error = {"a": np.ones(5000), "z": ExplodingLeaf()}, RuntimeError
    elif how == "interrupt":

        def interrupt(*args):
            raise KeyboardInterrupt

        monkeypatch.setattr(os, "fsync", interrupt)
        error = KeyboardInterrupt
    else:
        monkeypatch.setattr(os, how.split(".")[1], fail)
    with pytest.raises(error):
        checkpoint.save(path, tree)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["state.safetensors"]
    assert_trees_identical(checkpoint.load(path, like=train_state()), train_state())


def test_save_into_missing_directory_names_it(tmp_path):
    missing = tmp_path / "no" / "such"
    with pytest.raises(FileNotFoundError, match="checkpoint directory does not exist") as info:
        checkpoint.save(missing / "c.safetensors", {"w": np.zeros(1)})
    assert info.value.filename == str(missing)
    assert not (tmp_path / "no").exists()


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_new_file_follows_umask_and_overwrite_keeps_mode(tmp_path):
    path = tmp_path / "c.safetensors"
    old = os.umask(0o027)
    try:
        checkpoint.save(path, {"w": np.zeros(1)})
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o640
    path.chmod(0o600)
    checkpoint.save(path, {"w": np.ones(1)})
    assert path.stat().st_mode & 0o777 == 0o600


# --- bad input to save ----------------------------------------------------------


def test_save_rejects_unsupported_dtype_clashing_names_and_bad_metadata(tmp_path):
    path = tmp_path / "c.safetensors"
    with pytest.raises(TypeError, match=r"leaf 'z' has dtype complex128"):
        checkpoint.save(path, {"z": np.zeros(2, np.complex128)})
    with pytest.raises(ValueError, match=r"two leaves share the name 'a.b'"):
        checkpoint.save(path, {"a.b": np.zeros(1), "a": {"b": np.zeros(1)}})
    with pytest.raises(ValueError, match="the name '__metadata__' is reserved"):
        checkpoint.save(path, {"__metadata__": np.zeros(1)})
    with pytest.raises(TypeError, match="metadata must be a dict of str -> str"):
        checkpoint.save(path, {"w": np.zeros(1)}, metadata={"epoch": 3})
    with pytest.raises(ValueError, match="are reserved"):
        checkpoint.save(path, {"w": np.zeros(1)}, metadata={"funcnet.prng_key_impl.w": "rbg"})
    assert not path.exists()


# --- mismatched like -----------------------------------------------------------


def test_mismatched_like_reports_every_problem_at_once(tmp_path):
    path = tmp_path / "params.safetensors"
    params = lesson_params()
    checkpoint.save(path, params)
    like = lesson_params()
    like = (
        {"weight": like[0]["weight"]},  # 0.bias missing from like -> unexpected in file
        (),
        {"weight": jnp.zeros((8, 4)), "bias": like[2]["bias"].astype(jnp.float32)},
        {"weight": jnp.zeros((2, 2))},  # 3.weight is missing from the file
    )
    with pytest.raises(funcnet.StateDictError) as info:
        checkpoint.load(path, like=like)
    message = str(info.value)
    assert isinstance(info.value, ValueError)
    assert message.startswith(f"Error(s) in loading checkpoint {str(path)!r}:\n\t")
    assert 'Missing key(s) in checkpoint: "3.weight"' in message
    assert 'Unexpected key(s) in checkpoint: "0.bias"' in message
    assert (
        "size mismatch for 2.weight: copying a param with shape torch.Size([8, 5]) from "
        "checkpoint, the shape in current model is torch.Size([8, 4])."
    ) in message
    assert (
        "dtype mismatch for 2.bias: the checkpoint holds float64, the current model "
        "expects float32."
    ) in message


def test_key_against_plain_array_is_a_dtype_mismatch(tmp_path):
    path = tmp_path / "k.safetensors"
    checkpoint.save(path, {"key": jax.random.key(0)})
    with pytest.raises(funcnet.StateDictError, match=r"holds PRNG key \(threefry2x32\)"):
        checkpoint.load(path, like={"key": np.zeros(2, np.uint32)})
    with pytest.raises(funcnet.StateDictError, match=r"expects PRNG key \(rbg\)"):
        checkpoint.load(path, like={"key": jax.random.key(0, impl="rbg")})
    # Raw key data written by other tools is read as the key type `like` asks for.
    safetensors.numpy.save_file({"key": np.array([0, 5], np.uint32)}, path)
    key = checkpoint.load(path, like={"key": jax.random.key(0)})["key"]
    np.testing.assert_array_equal(jax.random.key_data(key), [0, 5])


# --- corrupt files ---------------------------------------------------------------


def split_file(data: bytes) -> tuple[bytes, bytes]:
    (length,) = struct.unpack("<Q", data[:8])
    return data[8 : 8 + length], data[8 + length :]


def parse(header: bytes) -> dict:
    header = json.loads(header)
    header.pop("__metadata__", None)
    return header


def build(header: Any, body: bytes) -> bytes:
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + body


@pytest.fixture
def good_file(tmp_path):
    path = tmp_path / "good.safetensors"
    checkpoint.save(path, {"a": np.arange(4.0), "b": np.arange(3, dtype=np.int32)})
    return path


def edit_header(path, edit):
    header, body = split_file(path.read_bytes())
    header = json.loads(header)
    edit(header)
    path.write_bytes(build(header, body))


@pytest.mark.parametrize(
    ("cut", "match"),
    [
        (0, "the file has 0 bytes, too few for the 8-byte header length"),
        (5, "the file has 5 bytes"),
        (8, "header length .* is larger than the 0 bytes that follow it"),
        (30, "is larger than the 22 bytes that follow it"),
        ("header", "out of range: the data section has only 0 bytes"),
        ("middle", "out of range: the data section has only 20 bytes"),
        (-1, "out of range: the data section has only 43 bytes"),
    ],
)
def test_truncated_files_raise(good_file, cut, match):
    data = good_file.read_bytes()
    header, _ = split_file(data)
    cut = {"header": 8 + len(header), "middle": 8 + len(header) + 20}.get(cut, cut)
    good_file.write_bytes(data[:cut])
    with pytest.raises(CheckpointError, match=match) as info:
        checkpoint.load(good_file)
    assert str(good_file) in str(info.value)
    with pytest.raises(CheckpointError, match=match):
        checkpoint.load_metadata(good_file)
    with pytest.raises(CheckpointError, match=match):
        checkpoint.load(good_file, like={"a": np.zeros(4), "b": np.zeros(3, np.int32)})


def set_offsets(name, offsets):
    return lambda header: header[name].__setitem__("data_offsets", offsets)


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (set_offsets("b", [36, 48]), "'b' has data_offsets \\[36, 48\\] out of range"),
        (set_offsets("b", [28, 40]), "tensors 'a' and 'b' have overlapping data_offsets"),
        (set_offsets("a", [12, 44]), "bytes \\[0, 12\\) before tensor 'a' belong to no tensor"),
        (set_offsets("a", [-8, 24]), "'a' has invalid data_offsets \\[-8, 24\\]"),
        (set_offsets("a", [0, 24]), "\\(24 bytes\\), but shape \\[4\\] of F64 needs 32 bytes"),
        (set_offsets("a", "0-32"), "invalid data_offsets"),
        (lambda h: h["a"].__setitem__("dtype", "F128"), "unknown dtype 'F128'"),
        (lambda h: h["a"].__setitem__("shape", [2, -2]), "invalid shape \\[2, -2\\]"),
        (lambda h: h["a"].__setitem__("shape", [8]), "shape \\[8\\] of F64 needs 64 bytes"),
        (lambda h: h["a"].pop("dtype"), "'a' needs 'dtype', 'shape' and 'data_offsets'"),
        (lambda h: h.pop("a"), "bytes \\[0, 32\\) before tensor 'b' belong to no tensor"),
        (lambda h: h.pop("b"), "it has 44 bytes, the tensors cover 32"),
        (lambda h: h.__setitem__("__metadata__", {"n": 1}), "__metadata__ must map str to str"),
    ],
)
def test_bad_headers_raise(good_file, edit, match):
    edit_header(good_file, edit)
    with pytest.raises(CheckpointError, match=match):
        checkpoint.load(good_file)


@pytest.mark.parametrize(
    ("header", "match"),
    [
        (b"[1, 2]   ", "the header is not a JSON object"),
        (b"{not json", "not valid UTF-8 JSON"),
        (b'{"a": 1, "a": 2}', "the header repeats a key"),
        (b'{"\xff": 1}', "not valid UTF-8 JSON"),
        (b"", "not valid UTF-8 JSON"),
    ],
)
def test_malformed_json_headers_raise(tmp_path, header, match):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(build(header, b""))
    with pytest.raises(CheckpointError, match=match):
        checkpoint.load(path)


@pytest.mark.parametrize(
    ("prefix", "match"),
    [
        (struct.pack("<q", -16), "header length 18446744073709551600 exceeds the 100000000"),
        (struct.pack("<Q", 10**12), "exceeds the 100000000-byte limit"),
        (struct.pack("<Q", 1000), "header length 1000 is larger than the 156 bytes"),
    ],
)
def test_bad_header_lengths_raise(good_file, prefix, match):
    good_file.write_bytes(prefix + good_file.read_bytes()[8:])
    with pytest.raises(CheckpointError, match=match):
        checkpoint.load(good_file)


def test_flipped_header_bytes_never_give_garbage(good_file):
    data = good_file.read_bytes()
    header, _ = split_file(data)
    for position in range(8, 8 + len(header)):
        corrupt = bytearray(data)
        corrupt[position] ^= 0x20
        good_file.write_bytes(bytes(corrupt))
        try:
            loaded = checkpoint.load(good_file)
        except CheckpointError:
            continue
        # A flip that still leaves a valid header (a changed letter in a name) is fine, as
        # long as the values are the ones written.
        values = sorted(loaded.values(), key=lambda a: a.dtype.itemsize)
        np.testing.assert_array_equal(values[0], np.arange(3, dtype=np.int32))
        np.testing.assert_array_equal(values[1], np.arange(4.0))


def test_invalid_bool_bytes_raise(tmp_path):
    path = tmp_path / "bool.safetensors"
    checkpoint.save(path, {"mask": np.array([True, False])})
    path.write_bytes(path.read_bytes()[:-1] + b"\x07")
    with pytest.raises(CheckpointError, match="'mask' holds bytes that are not bools"):
        checkpoint.load(path)


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        checkpoint.load(tmp_path / "nothing.safetensors")
