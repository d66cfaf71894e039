"""Checkpoints: round trips, interop with safetensors and PyTorch, atomicity, corruption."""

import json
import os
import re
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
    loaded = checkpoint.load(path)
    for name, info in parse(header).items():
        assert info["data_offsets"][0] % loaded[name].dtype.itemsize == 0


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


# The safetensors package validates the header; these check that every way a file can
# be broken reaches the caller as a CheckpointError naming the file and the package's
# reason.
UNREADABLE = "is truncated, corrupt or not a safetensors file: "


@pytest.mark.parametrize(
    ("cut", "match"),
    [
        (0, "it has 0 bytes, too few for the 8-byte header length .*header too small"),
        (5, "it has 5 bytes, too few"),
        (8, "the header length in its first 8 bytes exceeds the file .*invalid header"),
        (30, "the header length in its first 8 bytes exceeds the file"),
        ("header", "the tensors do not cover the file's data exactly .*not fully covered"),
        ("middle", "the tensors do not cover the file's data exactly"),
        (-1, "the tensors do not cover the file's data exactly"),
    ],
)
def test_truncated_files_raise(good_file, cut, match):
    data = good_file.read_bytes()
    header, _ = split_file(data)
    cut = {"header": 8 + len(header), "middle": 8 + len(header) + 20}.get(cut, cut)
    good_file.write_bytes(data[:cut])
    with pytest.raises(CheckpointError, match=UNREADABLE + ".*" + match) as info:
        checkpoint.load(good_file)
    assert str(info.value).startswith(f"checkpoint {str(good_file)!r} ")
    assert isinstance(info.value, ValueError)
    with pytest.raises(CheckpointError, match=match):
        checkpoint.load_metadata(good_file)
    with pytest.raises(CheckpointError, match=match):
        checkpoint.load(good_file, like={"a": np.zeros(4), "b": np.zeros(3, np.int32)})


def set_offsets(name, offsets):
    return lambda header: header[name].__setitem__("data_offsets", offsets)


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (set_offsets("b", [36, 48]), "invalid offset for tensor `b`"),  # out of range
        (set_offsets("b", [28, 40]), "invalid offset for tensor `b`"),  # overlapping
        (set_offsets("a", [12, 44]), "invalid offset for tensor `a`"),  # a gap
        (set_offsets("a", [-8, 24]), "invalid value: integer `-8`"),
        (set_offsets("a", [0, 24]), "invalid shape, data type, or offset for tensor"),
        (set_offsets("a", "0-32"), 'invalid type: string "0-32"'),
        (lambda h: h["a"].__setitem__("dtype", "F128"), "unknown variant `F128`"),
        (lambda h: h["a"].__setitem__("shape", [2, -2]), "invalid value: integer `-2`"),
        (lambda h: h["a"].__setitem__("shape", [8]), "invalid shape, data type, or offset"),
        (lambda h: h["a"].pop("dtype"), "missing field `dtype`"),
        (lambda h: h.pop("a"), "invalid offset for tensor `b`"),
        (lambda h: h.pop("b"), "incomplete metadata, file not fully covered"),
        (lambda h: h.__setitem__("__metadata__", {"n": 1}), "integer `1`, expected a string"),
    ],
)
def test_bad_headers_raise(good_file, edit, match):
    edit_header(good_file, edit)
    with pytest.raises(CheckpointError, match=UNREADABLE + ".*" + re.escape(match)):
        checkpoint.load(good_file)


@pytest.mark.parametrize(
    ("header", "match"),
    [
        (b"[1, 2]   ", "invalid JSON in header: invalid type: sequence"),
        (b"{not json", "invalid JSON in header: key must be a string"),
        (b'{"a": 1, "a": 2}', "invalid JSON in header"),
        (b'{"\xff": 1}', "invalid UTF-8 in header"),
        (b"", "invalid JSON in header: EOF while parsing"),
    ],
)
def test_malformed_json_headers_raise(tmp_path, header, match):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(build(header, b""))
    with pytest.raises(CheckpointError, match=UNREADABLE + ".*" + match):
        checkpoint.load(path)


def test_a_repeated_tensor_name_is_refused(good_file):
    _, body = split_file(good_file.read_bytes())
    entry = '"a": {{"dtype": "{}", "shape": [{}], "data_offsets": [{}, {}]}}'
    header = "{" + entry.format("F64", 4, 0, 32) + ", " + entry.format("I32", 3, 32, 44) + "}"
    good_file.write_bytes(build(header.encode(), body))
    with pytest.raises(CheckpointError, match="invalid offset for tensor `a`"):
        checkpoint.load(good_file)


@pytest.mark.parametrize(
    ("prefix", "match"),
    [
        (struct.pack("<q", -16), "beyond safetensors' limit .*header too large"),
        (struct.pack("<Q", 10**12), "beyond safetensors' limit"),
        (struct.pack("<Q", 1000), "invalid header length"),
    ],
)
def test_bad_header_lengths_raise(good_file, prefix, match):
    good_file.write_bytes(prefix + good_file.read_bytes()[8:])
    with pytest.raises(CheckpointError, match=UNREADABLE + ".*" + match):
        checkpoint.load(good_file)


def test_files_of_other_formats_raise(tmp_path):
    path = tmp_path / "params.pt"
    torch.save({"weight": torch.zeros(2)}, path)  # a zip archive, not safetensors
    with pytest.raises(CheckpointError, match=re.escape(f"checkpoint {str(path)!r} is")):
        checkpoint.load(path)
    path.write_text("weight,bias\n1,2\n")
    with pytest.raises(CheckpointError, match=UNREADABLE):
        checkpoint.load_metadata(path)


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


# --- model state (buffers) -------------------------------------------------------------


class StatefulTrainState(NamedTuple):
    params: Any
    model_state: Any
    opt_state: Any
    step: jax.Array
    key: jax.Array


def batch_norm_model():
    return funcnet.Sequential(
        funcnet.Linear(5, 4), funcnet.BatchNorm1d(4), funcnet.ReLU(), funcnet.Linear(4, 2)
    )


def stateful_train_state(seed=0):
    model = batch_norm_model()
    params = model.init(jax.random.key(seed), (8, 5))
    x = jax.random.normal(jax.random.key(seed + 10), (8, 5))
    _, model_state = model.apply_with_state(params, model.initial_state((8, 5)), x, training=True)
    opt_state = optax.sgd(0.1).init(params)  # (EmptyState(), EmptyState()): no leaves at all
    return StatefulTrainState(params, model_state, opt_state, jnp.int32(3), jax.random.key(seed))


def test_train_state_with_model_state_and_empty_entries_round_trips(tmp_path):
    state = stateful_train_state()
    assert state.model_state[0] == {} and state.params[2] == {}
    path = tmp_path / "state.safetensors"
    checkpoint.save(path, state)
    restored = checkpoint.load(path, like=jax.eval_shape(lambda: stateful_train_state(seed=1)))
    assert_trees_identical(restored, state)
    assert restored.model_state[2] == {} and restored.opt_state == state.opt_state
    assert set(checkpoint.load(path)) >= {
        "model_state.1.running_mean",
        "model_state.1.num_batches_tracked",
        "params.1.weight",
    }
    nested_empties = {"a": ({}, ()), "b": [{}], "c": {"d": ()}, "w": np.ones(2)}
    checkpoint.save(path, nested_empties)
    assert_trees_identical(checkpoint.load(path, like=nested_empties), nested_empties)


def test_batch_norm_state_dict_to_pytorch_through_safetensors_and_back(tmp_path):
    model = batch_norm_model()
    state = stateful_train_state()
    path = tmp_path / "bn.safetensors"
    checkpoint.save(path, funcnet.state_dict(state.params, state.model_state))
    reference = torch.nn.Sequential(
        torch.nn.Linear(5, 4), torch.nn.BatchNorm1d(4), torch.nn.ReLU(), torch.nn.Linear(4, 2)
    ).double()
    reference.load_state_dict(safetensors.torch.load_file(path))  # strict: every name fits
    reference.eval()
    x = np.random.default_rng(0).normal(size=(6, 5))
    y, _ = model.apply_with_state(state.params, state.model_state, x)
    np.testing.assert_allclose(y, reference(torch.tensor(x)).detach(), rtol=1e-12)
    # And back: torch writes the file (int64 count), funcnet loads it by name.
    reference.train()
    reference(torch.tensor(x))
    safetensors.torch.save_file(reference.state_dict(), path)
    params, model_state = funcnet.load_state_dict(
        state.params, checkpoint.load(path), state_like=state.model_state
    )
    assert int(model_state[1]["num_batches_tracked"]) == 2
    reference.eval()
    y, _ = model.apply_with_state(params, model_state, x)
    np.testing.assert_allclose(y, reference(torch.tensor(x)).detach(), rtol=1e-12)


# --- dtypes the safetensors package cannot give back ----------------------------------------


def test_float8_is_refused_when_saving_and_named_when_reading(tmp_path):
    path = tmp_path / "f8.safetensors"
    with pytest.raises(TypeError, match=r"leaf 'w' has dtype float8_e4m3fn, which funcnet"):
        checkpoint.save(path, {"w": jnp.zeros(2, jnp.float8_e4m3fn)})
    assert not path.exists()
    safetensors.numpy.save_file({"w": np.zeros(2, jnp.float8_e4m3fn)}, path)
    with pytest.raises(
        CheckpointError, match="tensor 'w' has dtype F8_E4M3, which funcnet cannot"
    ):
        checkpoint.load(path)
