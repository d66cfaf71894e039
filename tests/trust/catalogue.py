"""The bad-input catalogue: wrong calls, the exception each must raise, and what it must say.

Plain data: every `Entry` holds a Python expression (`call`), optional statements that
prepare it (`setup`), the exact exception type, and a regular expression the message
must match, which names the problem. `run` executes one entry in a fresh namespace.
tests/trust/test_bad_input.py checks every entry; docsite/catalogue.py runs them again when
the site is built and publishes the call, the exception and its actual message on the
"Bad input" page.

An entry with a `known_issue` documents behaviour that is still wrong: its test is a
strict xfail and the site leaves it out.

The calls use float32 and int32 explicitly, so they behave alike with and without
JAX's 64-bit mode (the tests run with it, the site is built without).
"""

from __future__ import annotations

import pathlib
import tempfile
from dataclasses import dataclass

import funcnet
from funcnet import CheckpointError, ShapeError, StateDictError

CATEGORIES = (
    "wrong shape",
    "wrong rank",
    "wrong dtype",
    "out-of-range label",
    "empty batch",
    "mismatched state dict",
    "bad constructor argument",
    "bad keyword argument",
    "non-array input",
)


@dataclass(frozen=True)
class Entry:
    """One wrong call and the error it must raise.

    Attributes:
        id: a short unique name (the test id).
        category: one of `CATEGORIES`.
        call: a Python expression that must raise.
        error: the exact exception type it must raise.
        match: a regular expression the message must match (`re.search`).
        setup: statements run before `call`, in the same namespace.
        known_issue: why the call does not behave yet, or None.
    """

    id: str
    category: str
    call: str
    error: type[BaseException]
    match: str
    setup: str = ""
    known_issue: str | None = None


_LINEAR = "layer = funcnet.Linear(10, 5)\nparams = layer.init(key, (4, 10))"
_CONV = "layer = funcnet.Conv2d(3, 4, 3)\nparams = layer.init(key, (1, 3, 5, 5))"
_FIT = (
    "model = funcnet.Linear(2, 3)\n"
    "params = model.init(key, (1, 2))\n"
    "options = dict(loss_fn=funcnet.cross_entropy, optimizer=optax.sgd(0.1), epochs=1,\n"
    "               batch_size=4, key=key, progress=False)"
)
_STATE = (
    "model = funcnet.Sequential(funcnet.Linear(3, 2), funcnet.ReLU(), funcnet.Linear(2, 1))\n"
    "params = model.init(key, (1, 3))\n"
    "state = funcnet.state_dict(params)"
)
_SAVED = (
    'path = f"{tmp}/weights.safetensors"\ncheckpoint.save(path, {"w": np.zeros(2, np.float32)})'
)
_LOGITS = "logits, target = jnp.zeros((4, 3), jnp.float32), jnp.array([0, 1, 2, 1])"
_BATCH_NORM = (
    "layer = funcnet.BatchNorm1d(3)\n"
    "params, state = layer.init(key, (4, 3)), layer.initial_state((4, 3))"
)
_EMBEDDING = "layer = funcnet.Embedding(10, 3)\nparams = layer.init(key, (2, 4))"

ENTRIES = [
    # --- wrong shape ----------------------------------------------------------------
    Entry(
        "linear-in-features",
        "wrong shape",
        "funcnet.Linear(8, 5).init(key, (4, 10))",
        ShapeError,
        r"mat1 and mat2 shapes cannot be multiplied \(4x10 and 8x5\)",
    ),
    Entry(
        "linear-apply-features",
        "wrong shape",
        "layer.apply(params, jnp.ones((4, 8), jnp.float32))",
        ShapeError,
        r"\(4x8 and 10x5\)[\s\S]*expects 10 input features but receives 8",
        _LINEAR,
    ),
    Entry(
        "sequential-chain",
        "wrong shape",
        "funcnet.Sequential(funcnet.Linear(10, 5), funcnet.Sigmoid(), funcnet.Linear(8, 5))"
        ".init(key, (4, 10))",
        ShapeError,
        r"\(4x5 and 8x5\)[\s\S]*layer 2, Linear\(in_features=8",
    ),
    Entry(
        "conv-channels",
        "wrong shape",
        "funcnet.Conv2d(3, 16, 3).init(key, (2, 4, 8, 8))",
        ShapeError,
        r"expected input\[2, 4, 8, 8\] to have 3 channels, but got 4 channels instead",
    ),
    Entry(
        "conv-kernel-larger-than-input",
        "wrong shape",
        "funcnet.Conv2d(1, 1, 5).init(key, (1, 1, 3, 3))",
        ShapeError,
        r"Kernel size can't be greater than actual input size",
    ),
    Entry(
        "conv-weight-param",
        "wrong shape",
        "layer.apply({'weight': jnp.zeros((4, 3, 2, 2), jnp.float32), "
        "'bias': jnp.zeros(4, jnp.float32)}, jnp.ones((1, 3, 5, 5), jnp.float32))",
        ShapeError,
        r"expected weight of shape \(4, 3, 3, 3\), got \(4, 3, 2, 2\)",
        _CONV,
    ),
    Entry(
        "linear-bias-param",
        "wrong shape",
        "funcnet.Linear(2, 3).apply({'weight': jnp.zeros((3, 2), jnp.float32), "
        "'bias': jnp.zeros(4, jnp.float32)}, jnp.ones((1, 2), jnp.float32))",
        funcnet.ShapeError,
        r"bias of shape \(3,\)",
    ),
    Entry(
        "pool-output-too-small",
        "wrong shape",
        "funcnet.MaxPool2d(4).output_shape((1, 1, 2, 2))",
        ShapeError,
        r"Output size is too small",
    ),
    Entry(
        "batch-norm-channels",
        "wrong shape",
        "layer.apply_with_state(params, state, jnp.ones((4, 5), jnp.float32), training=True)",
        ShapeError,
        r"running_mean should contain 5 elements not 3[\s\S]*expects 3 channels \(axis 1\) "
        r"but receives 5",
        _BATCH_NORM,
    ),
    Entry(
        "batch-norm-one-value-per-channel",
        "wrong shape",
        "layer.apply_with_state(params, state, jnp.ones((1, 3), jnp.float32), training=True)",
        ValueError,
        r"Expected more than 1 value per channel when training, got input size \(1, 3\)",
        _BATCH_NORM,
    ),
    Entry(
        "layer-norm-trailing-shape",
        "wrong shape",
        "funcnet.LayerNorm(4).init(key, (2, 5))",
        ShapeError,
        r"Given normalized_shape=\[4\], expected input with shape \[\*, 4\], but got input "
        r"of size\[2, 5\]",
    ),
    Entry(
        "mse-target-shape",
        "wrong shape",
        "funcnet.mse_loss(jnp.zeros((4, 1), jnp.float32), jnp.zeros(4, jnp.float32))",
        ShapeError,
        r"Using a target size \(\(4,\)\) that is different to the input size \(\(4, 1\)\)",
    ),
    Entry(
        "cross-entropy-target-shape",
        "wrong shape",
        "funcnet.cross_entropy(logits, jnp.zeros(5, jnp.int32))",
        ShapeError,
        r"expected target of shape \(4,\), got \(5,\)",
        _LOGITS,
    ),
    Entry(
        "cross-entropy-weight-shape",
        "wrong shape",
        "funcnet.cross_entropy(logits, target, weight=jnp.ones(2, jnp.float32))",
        ShapeError,
        r"weight tensor should be defined either for all 3 classes",
        _LOGITS,
    ),
    Entry(
        "bce-pos-weight-shape",
        "wrong shape",
        "funcnet.binary_cross_entropy_with_logits(logits, jnp.zeros((4, 3), jnp.float32), "
        "pos_weight=jnp.ones(2, jnp.float32))",
        ShapeError,
        r"pos_weight of shape \(2,\) does not broadcast to \(4, 3\)",
        _LOGITS,
    ),
    Entry(
        "accuracy-shapes",
        "wrong shape",
        "funcnet.accuracy(jnp.zeros((4, 3, 2), jnp.float32), jnp.zeros(5, jnp.int32))",
        ShapeError,
        r"input shape \(4, 3, 2\) does not fit target shape \(5,\)",
    ),
    Entry(
        "confusion-matrix-classes",
        "wrong shape",
        "funcnet.confusion_matrix(logits, target, num_classes=2)",
        ShapeError,
        r"scores have 3 classes but num_classes=2",
        _LOGITS,
    ),
    Entry(
        "sequential-params-count",
        "wrong shape",
        "model.apply((params[0],), jnp.ones((1, 3), jnp.float32))",
        ValueError,
        r"Sequential of 3 layers needs params with one entry per layer, got a tuple of 1 entry",
        _STATE,
    ),
    Entry(
        "fit-example-counts",
        "wrong shape",
        "funcnet.fit(model, params, (jnp.zeros((4, 2), jnp.float32), jnp.zeros(5, jnp.int32)),"
        " **options)",
        ValueError,
        r"x and y must have the same number of examples, got 4 and 5",
        _FIT,
    ),
    # --- wrong rank -----------------------------------------------------------------
    Entry(
        "linear-scalar",
        "wrong rank",
        "funcnet.Linear(1, 5).output_shape(())",
        ShapeError,
        r"input must have at least 1 dimension, got a scalar",
    ),
    Entry(
        "conv-2d-input",
        "wrong rank",
        "funcnet.Conv2d(1, 4, 3).init(key, (8, 8))",
        ShapeError,
        r"Expected 3D \(unbatched\) or 4D \(batched\) input to conv2d, but got input of "
        r"size: \[8, 8\]",
    ),
    Entry(
        "pool-5d-input",
        "wrong rank",
        "funcnet.MaxPool2d(2).output_shape((1, 1, 1, 4, 4))",
        ShapeError,
        r"3D or 4D \(batch mode\) tensor expected",
    ),
    Entry(
        "batch-norm-2d-rank",
        "wrong rank",
        "funcnet.BatchNorm2d(3).init(key, (4, 3, 5))",
        ShapeError,
        r"expected 4D input \(got 3D input\)",
    ),
    Entry(
        "cross-entropy-scalar",
        "wrong rank",
        "funcnet.cross_entropy(jnp.float32(1.0), jnp.int32(0))",
        ShapeError,
        r"input must have a class dimension, got a scalar",
    ),
    Entry(
        "softmax-dim",
        "wrong rank",
        "funcnet.softmax(jnp.ones(3, jnp.float32), dim=1)",
        ValueError,
        r"Dimension out of range \(expected to be in range of \[-1, 0\], but got 1\)",
    ),
    Entry(
        "softmax-layer-dim",
        "wrong rank",
        "funcnet.Softmax(dim=2).output_shape((4, 8))",
        ShapeError,
        r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)",
    ),
    Entry(
        "flatten-dims-reversed",
        "wrong rank",
        "funcnet.Flatten(start_dim=2, end_dim=1).output_shape((2, 3, 4))",
        ShapeError,
        r"start_dim cannot come after end_dim",
    ),
    Entry(
        "flatten-1d",
        "wrong rank",
        "funcnet.Flatten().output_shape((5,))",
        ShapeError,
        r"Dimension out of range",
    ),
    # --- wrong dtype ----------------------------------------------------------------
    Entry(
        "cross-entropy-float-labels",
        "wrong dtype",
        "funcnet.cross_entropy(logits, jnp.array([0.0, 1.0, 2.0, 1.0], jnp.float32))",
        TypeError,
        r"a float target means class probabilities and must have the input's shape",
        _LOGITS,
    ),
    Entry(
        "nll-float-labels",
        "wrong dtype",
        "funcnet.nll_loss(logits, jnp.zeros(4, jnp.float32))",
        TypeError,
        r"class-index targets must be integers, got dtype float32",
        _LOGITS,
    ),
    Entry(
        "cross-entropy-bool-labels",
        "wrong dtype",
        "funcnet.cross_entropy(logits[:2], jnp.array([True, False]))",
        TypeError,
        r"class-index targets must be integers, got dtype bool",
        _LOGITS,
    ),
    Entry(
        "cross-entropy-int-logits",
        "wrong dtype",
        "funcnet.cross_entropy(jnp.zeros((4, 3), jnp.int32), target)",
        TypeError,
        r"input must be floating point, got dtype int32",
        _LOGITS,
    ),
    Entry(
        "cross-entropy-int-weight",
        "wrong dtype",
        "funcnet.cross_entropy(logits, target, weight=jnp.ones(3, jnp.int32))",
        TypeError,
        r"weight must be floating point",
        _LOGITS,
    ),
    Entry(
        "mse-int-input",
        "wrong dtype",
        "funcnet.mse_loss(jnp.zeros(3, jnp.int32), jnp.zeros(3, jnp.float32))",
        TypeError,
        r"mse_loss: input must be floating point, got dtype int32",
    ),
    Entry(
        "bce-logits-int-target",
        "wrong dtype",
        "funcnet.binary_cross_entropy_with_logits(jnp.zeros(3, jnp.float32), "
        "jnp.zeros(3, jnp.int32))",
        TypeError,
        r"target must be floating point",
    ),
    Entry(
        "linear-int-input",
        "wrong dtype",
        "layer.apply(params, jnp.ones((4, 10), jnp.int32))",
        TypeError,
        r"expects a floating-point input, got dtype int32",
        _LINEAR,
    ),
    Entry(
        "conv-int-input",
        "wrong dtype",
        "layer.apply(params, jnp.ones((1, 3, 5, 5), jnp.int32))",
        TypeError,
        r"expects a floating-point input, got dtype int32",
        _CONV,
    ),
    Entry(
        "avgpool-int-input",
        "wrong dtype",
        "funcnet.AvgPool2d(2).apply({}, jnp.ones((1, 1, 4, 4), jnp.int32))",
        TypeError,
        r"expects a floating-point input, got dtype int32",
    ),
    Entry(
        "maxpool-bool-input",
        "wrong dtype",
        "funcnet.MaxPool2d(2).apply({}, jnp.ones((1, 1, 4, 4), bool))",
        TypeError,
        r"expects a real-valued input, got dtype bool",
    ),
    Entry(
        "batch-norm-int-input",
        "wrong dtype",
        "layer.apply_with_state(params, state, jnp.ones((4, 3), jnp.int32), training=True)",
        TypeError,
        r"expects a floating-point input, got dtype int32",
        _BATCH_NORM,
    ),
    Entry(
        "layer-norm-int-input",
        "wrong dtype",
        "funcnet.LayerNorm(3, elementwise_affine=False).apply({}, jnp.ones((2, 3), jnp.int32))",
        TypeError,
        r"expects a floating-point input, got dtype int32",
    ),
    Entry(
        "embedding-float-indices",
        "wrong dtype",
        "layer.apply(params, jnp.array([0.0, 2.0, 5.0], jnp.float32))",
        TypeError,
        r"expects integer indices, got dtype float32",
        _EMBEDDING,
    ),
    Entry(
        "dropout-int-input",
        "wrong dtype",
        "funcnet.Dropout(0.5).apply({}, jnp.ones(3, jnp.int32), key=key, training=True)",
        TypeError,
        r"in training expects a floating-point input, got dtype int32",
    ),
    Entry(
        "accuracy-float-labels",
        "wrong dtype",
        "funcnet.accuracy(logits, jnp.zeros(4, jnp.float32))",
        TypeError,
        r"target must hold integer labels, got dtype float32",
        _LOGITS,
    ),
    Entry(
        "linear-int-dtype",
        "wrong dtype",
        "funcnet.Linear(2, 3, dtype=jnp.int32).init(key, (1, 2))",
        TypeError,
        r"dtype must be a floating dtype, got int32",
    ),
    Entry(
        "relu-complex",
        "wrong dtype",
        "funcnet.relu(jnp.array([1 + 1j, -1 + 2j], jnp.complex64))",
        TypeError,
        r"complex",
    ),
    Entry(
        "leaky-relu-complex",
        "wrong dtype",
        "funcnet.leaky_relu(jnp.array([1 + 1j, -1 + 2j], jnp.complex64))",
        TypeError,
        r"complex",
    ),
    # --- out-of-range label -----------------------------------------------------------
    Entry(
        "cross-entropy-label-too-large",
        "out-of-range label",
        "funcnet.cross_entropy(jnp.zeros((4, 8), jnp.float32), jnp.array([0, 1, 2, 9]))",
        ValueError,
        r"Target 9 is out of bounds: class indices must lie in \[0, 8\)",
    ),
    Entry(
        "nll-negative-label",
        "out-of-range label",
        "funcnet.nll_loss(jnp.zeros((2, 3), jnp.float32), jnp.array([0, -1]))",
        ValueError,
        r"Target -1 is out of bounds",
    ),
    Entry(
        "confusion-matrix-label",
        "out-of-range label",
        "funcnet.confusion_matrix(jnp.array([0, 1]), jnp.array([0, 3]), num_classes=3)",
        ValueError,
        r"label 3 is out of range; labels must lie in \[0, 3\)",
    ),
    Entry(
        "embedding-index-too-large",
        "out-of-range label",
        "layer.apply(params, jnp.array([0, 3, 10], jnp.int32))",
        ValueError,
        r"index 10 is out of range: indices must lie in \[0, 10\)",
        _EMBEDDING,
    ),
    Entry(
        "embedding-negative-index",
        "out-of-range label",
        "layer.apply(params, jnp.array([0, -1], jnp.int32))",
        ValueError,
        r"index -1 is out of range: indices must lie in \[0, 10\)",
        _EMBEDDING,
    ),
    Entry(
        "precision-binary-multiclass",
        "out-of-range label",
        "funcnet.precision(jnp.array([0, 1, 2]), jnp.array([0, 1, 2]))",
        ValueError,
        r"average='binary' needs labels 0 and 1",
    ),
    Entry(
        "bce-probability-above-one",
        "out-of-range label",
        "funcnet.binary_cross_entropy(jnp.array([1.5], jnp.float32), "
        "jnp.array([1.0], jnp.float32))",
        ValueError,
        r"all elements of input should be between 0 and 1",
    ),
    # --- empty batch ------------------------------------------------------------------
    Entry(
        "linear-zero-features",
        "empty batch",
        "funcnet.Linear(out_features=5).init(key, (4, 0))",
        ShapeError,
        r"the input's last dimension is 0",
    ),
    Entry(
        "pool-zero-channels",
        "empty batch",
        "funcnet.MaxPool2d(2).output_shape((2, 0, 4, 4))",
        ShapeError,
        r"with optional 0 dim batch size for input, but got:\[2, 0, 4, 4\]",
    ),
    Entry(
        "avgpool-zero-height",
        "empty batch",
        "funcnet.AvgPool2d(2).output_shape((1, 3, 0, 4))",
        ShapeError,
        r"needs non-empty channel and spatial axes",
    ),
    Entry(
        "cross-entropy-zero-classes",
        "empty batch",
        "funcnet.cross_entropy(jnp.zeros((2, 0), jnp.float32), jnp.zeros(2, jnp.int32))",
        ValueError,
        r"class indices must lie in \[0, 0\)",
    ),
    Entry(
        "fit-drop-last-no-batch",
        "empty batch",
        "funcnet.fit(model, params, (jnp.zeros((3, 2), jnp.float32), jnp.zeros(3, jnp.int32)),"
        " **{**options, 'drop_last': True})",
        ValueError,
        r"drop_last=True with 3 examples and batch_size=4 leaves no batch",
        _FIT,
    ),
    Entry(
        "fit-no-examples",
        "empty batch",
        "funcnet.fit(model, params, (jnp.zeros((0, 2), jnp.float32), jnp.zeros(0, jnp.int32)),"
        " **options)",
        ValueError,
        r"(no|0) examples",
        _FIT,
    ),
    Entry(
        "batches-no-arrays",
        "empty batch",
        "list(funcnet.data.batches((), 2))",
        ValueError,
        r"arrays is empty; pass at least one array",
    ),
    # --- mismatched state dict ------------------------------------------------------
    Entry(
        "state-dict-missing-key",
        "mismatched state dict",
        "funcnet.load_state_dict(params, {k: v for k, v in state.items() if k != '2.bias'})",
        StateDictError,
        r'Missing key\(s\) in state_dict: "2.bias"',
        _STATE,
    ),
    Entry(
        "state-dict-unexpected-key",
        "mismatched state dict",
        "funcnet.load_state_dict(params, {**state, '3.weight': np.zeros((1, 1))})",
        StateDictError,
        r'Unexpected key\(s\) in state_dict: "3.weight"',
        _STATE,
    ),
    Entry(
        "state-dict-size-mismatch",
        "mismatched state dict",
        "funcnet.load_state_dict(params, {**state, '0.weight': np.zeros((2, 4))})",
        StateDictError,
        r"size mismatch for 0.weight: copying a param with shape torch.Size\(\[2, 4\]\)",
        _STATE,
    ),
    Entry(
        "state-dict-not-a-mapping",
        "mismatched state dict",
        "funcnet.load_state_dict(params, list(state.values()))",
        TypeError,
        r"state_dict must be a mapping of name -> array, got list",
        _STATE,
    ),
    Entry(
        "state-dict-non-array-value",
        "mismatched state dict",
        "funcnet.load_state_dict(params, {**state, '0.bias': 'zeros'})",
        funcnet.StateDictError,
        r"0\.bias.*(array|str)",
        _STATE,
    ),
    Entry(
        "checkpoint-dtype",
        "mismatched state dict",
        "checkpoint.load(path, like={'w': np.zeros(2, np.float16)})",
        StateDictError,
        r"dtype mismatch for w: the checkpoint holds float32, the current model expects float16",
        _SAVED,
    ),
    Entry(
        "checkpoint-missing-key",
        "mismatched state dict",
        "checkpoint.load(path, like={'w': np.zeros(2, np.float32), 'b': np.zeros(2, np.float32)})",
        StateDictError,
        r'Missing key\(s\) in checkpoint: "b"',
        _SAVED,
    ),
    Entry(
        "checkpoint-truncated",
        "mismatched state dict",
        "checkpoint.load(path)",
        CheckpointError,
        r"truncated",
        _SAVED + "\nPath(path).write_bytes(Path(path).read_bytes()[:-3])",
    ),
    Entry(
        "checkpoint-not-safetensors",
        "mismatched state dict",
        "checkpoint.load(path)",
        CheckpointError,
        r"too few for the 8-byte header length",
        'path = f"{tmp}/notes.txt"\nPath(path).write_bytes(b"hello")',
    ),
    # --- bad constructor argument -----------------------------------------------------
    Entry(
        "linear-zero-features-argument",
        "bad constructor argument",
        "funcnet.Linear(0, 5)",
        ValueError,
        r"in_features must be a positive int, got 0",
    ),
    Entry(
        "linear-one-argument",
        "bad constructor argument",
        "funcnet.Linear(10)",
        TypeError,
        r"Linear\(10\) sets only in_features",
    ),
    Entry(
        "linear-float-features",
        "bad constructor argument",
        "funcnet.Linear(10.0, 5)",
        TypeError,
        r"in_features must be a positive int, got 10.0 of type float",
    ),
    Entry(
        "linear-bias-string",
        "bad constructor argument",
        "funcnet.Linear(10, 5, bias='yes')",
        TypeError,
        r"bias must be True or False, got 'yes'",
    ),
    Entry(
        "linear-weight-init-string",
        "bad constructor argument",
        "funcnet.Linear(10, 5, weight_init='xavier')",
        TypeError,
        r"weight_init must be callable",
    ),
    Entry(
        "conv-groups",
        "bad constructor argument",
        "funcnet.Conv2d(3, 4, 3, groups=2)",
        ValueError,
        r"in_channels must be divisible by groups, got in_channels=3 and groups=2",
    ),
    Entry(
        "conv-zero-kernel",
        "bad constructor argument",
        "funcnet.Conv2d(3, 4, 0)",
        ValueError,
        r"kernel_size must be a positive int or a pair of them, got 0",
    ),
    Entry(
        "conv-padding-string",
        "bad constructor argument",
        "funcnet.Conv2d(3, 4, 3, padding='full')",
        ValueError,
        r"invalid padding string 'full'",
    ),
    Entry(
        "conv-same-strided",
        "bad constructor argument",
        "funcnet.Conv2d(3, 4, 3, stride=2, padding='same')",
        ValueError,
        r"padding='same' is not supported for strided convolutions",
    ),
    Entry(
        "maxpool-padding",
        "bad constructor argument",
        "funcnet.MaxPool2d(2, padding=2)",
        ValueError,
        r"pad should be at most half of effective kernel size",
    ),
    Entry(
        "maxpool-kernel-string",
        "bad constructor argument",
        "funcnet.MaxPool2d('2')",
        TypeError,
        r"kernel_size must be a positive int or a pair of them, got '2'",
    ),
    Entry(
        "avgpool-divisor",
        "bad constructor argument",
        "funcnet.AvgPool2d(2, divisor_override=0)",
        ValueError,
        r"divisor_override must be None or a positive int, got 0",
    ),
    Entry(
        "dropout-probability",
        "bad constructor argument",
        "funcnet.Dropout(1.5)",
        ValueError,
        r"dropout probability has to be between 0 and 1, but got 1.5",
    ),
    Entry(
        "dropout-string",
        "bad constructor argument",
        "funcnet.Dropout('0.5')",
        TypeError,
        r"p must be a real number in \[0, 1\], got '0.5'",
    ),
    Entry(
        "batch-norm-momentum",
        "bad constructor argument",
        "funcnet.BatchNorm1d(3, momentum=1.5)",
        ValueError,
        r"momentum must be None or a number in \[0, 1\], got 1.5",
    ),
    Entry(
        "layer-norm-zero-size",
        "bad constructor argument",
        "funcnet.LayerNorm((3, 0))",
        ValueError,
        r"normalized_shape must be positive sizes such as 5 or \(3, 4\), got \(3, 0\)",
    ),
    Entry(
        "embedding-padding-idx",
        "bad constructor argument",
        "funcnet.Embedding(10, 3, padding_idx=10)",
        ValueError,
        r"padding_idx must be within num_embeddings: in \[-10, 10\), got 10",
    ),
    Entry(
        "leaky-relu-slope-string",
        "bad constructor argument",
        "funcnet.LeakyReLU('0.1')",
        TypeError,
        r"negative_slope must be a real number, got '0.1'",
    ),
    Entry(
        "softplus-beta-zero",
        "bad constructor argument",
        "funcnet.Softplus(beta=0)",
        ValueError,
        r"beta must be non-zero",
    ),
    Entry(
        "gelu-approximate",
        "bad constructor argument",
        "funcnet.GELU('fast')",
        ValueError,
        r"approximate must be 'none' or 'tanh', got 'fast'",
    ),
    Entry(
        "softmax-float-dim",
        "bad constructor argument",
        "funcnet.Softmax(dim=1.5)",
        TypeError,
        r"dim must be an int, got 1.5",
    ),
    Entry(
        "flatten-float-dim",
        "bad constructor argument",
        "funcnet.Flatten(1.0)",
        TypeError,
        r"start_dim must be an int, got 1.0",
    ),
    Entry(
        "sequential-class",
        "bad constructor argument",
        "funcnet.Sequential(funcnet.ReLU)",
        TypeError,
        r"argument 0 is the class ReLU, not a layer; call it: ReLU\(\)",
    ),
    Entry(
        "sequential-function",
        "bad constructor argument",
        "funcnet.Sequential(funcnet.relu)",
        TypeError,
        r"argument 0 is the function relu, not a layer",
    ),
    Entry(
        "sequential-string",
        "bad constructor argument",
        "funcnet.Sequential(funcnet.Linear(2, 3), 'relu')",
        TypeError,
        r"argument 1 must be a layer, got 'relu'",
    ),
    # --- bad keyword argument ---------------------------------------------------------
    Entry(
        "reduction",
        "bad keyword argument",
        "funcnet.cross_entropy(logits, target, reduction='avg')",
        ValueError,
        r"reduction must be 'mean', 'sum' or 'none', got 'avg'",
        _LOGITS,
    ),
    Entry(
        "label-smoothing-range",
        "bad keyword argument",
        "funcnet.cross_entropy(logits, target, label_smoothing=1.5)",
        ValueError,
        r"label_smoothing must be between 0.0 and 1.0, got 1.5",
        _LOGITS,
    ),
    Entry(
        "label-smoothing-string",
        "bad keyword argument",
        "funcnet.cross_entropy(logits, target, label_smoothing='0.1')",
        TypeError,
        r"label_smoothing",
        _LOGITS,
    ),
    Entry(
        "ignore-index-float",
        "bad keyword argument",
        "funcnet.cross_entropy(logits, target, ignore_index=1.5)",
        TypeError,
        r"ignore_index",
        _LOGITS,
    ),
    Entry(
        "smooth-l1-negative-beta",
        "bad keyword argument",
        "funcnet.smooth_l1_loss(jnp.zeros(2, jnp.float32), jnp.zeros(2, jnp.float32), beta=-1)",
        ValueError,
        r"beta must be >= 0, got -1",
    ),
    Entry(
        "smooth-l1-nan-beta",
        "bad keyword argument",
        "funcnet.smooth_l1_loss(jnp.zeros(2, jnp.float32), jnp.zeros(2, jnp.float32), "
        "beta=float('nan'))",
        ValueError,
        r"beta",
    ),
    Entry(
        "smooth-l1-string-beta",
        "bad keyword argument",
        "funcnet.smooth_l1_loss(jnp.zeros(2, jnp.float32), jnp.zeros(2, jnp.float32), beta='1')",
        TypeError,
        r"beta",
    ),
    Entry(
        "huber-zero-delta",
        "bad keyword argument",
        "funcnet.huber_loss(jnp.zeros(2, jnp.float32), jnp.zeros(2, jnp.float32), delta=0)",
        ValueError,
        r"delta must be > 0, got 0",
    ),
    Entry(
        "huber-nan-delta",
        "bad keyword argument",
        "funcnet.huber_loss(jnp.zeros(2, jnp.float32), jnp.zeros(2, jnp.float32), "
        "delta=float('nan'))",
        ValueError,
        r"delta",
    ),
    Entry(
        "precision-average",
        "bad keyword argument",
        "funcnet.precision(jnp.array([0, 1]), jnp.array([0, 1]), average='micro')",
        ValueError,
        r"average must be 'binary' or 'macro', got 'micro'",
    ),
    Entry(
        "precision-macro-labels",
        "bad keyword argument",
        "funcnet.precision(jnp.array([0, 1]), jnp.array([0, 1]), average='macro')",
        ValueError,
        r"average='macro' with label input needs num_classes",
    ),
    Entry(
        "confusion-matrix-zero-classes",
        "bad keyword argument",
        "funcnet.confusion_matrix(jnp.array([0, 1]), jnp.array([0, 1]), num_classes=0)",
        ValueError,
        r"num_classes must be at least 1, got 0",
    ),
    Entry(
        "confusion-matrix-string-classes",
        "bad keyword argument",
        "funcnet.confusion_matrix(jnp.array([0, 1]), jnp.array([0, 1]), num_classes='3')",
        TypeError,
        r"num_classes must be an integer, got '3'",
    ),
    Entry(
        "softplus-function-beta",
        "bad keyword argument",
        "funcnet.softplus(jnp.ones(2, jnp.float32), beta=0)",
        ValueError,
        r"softplus: beta must be non-zero, got 0",
    ),
    Entry(
        "leaky-relu-function-slope",
        "bad keyword argument",
        "funcnet.leaky_relu(jnp.ones(2, jnp.float32), negative_slope='a')",
        TypeError,
        r"negative_slope must be a real number, got 'a' of type str",
    ),
    Entry(
        "softmax-function-dim",
        "bad keyword argument",
        "funcnet.softmax(jnp.ones((2, 3), jnp.float32), dim=1.5)",
        TypeError,
        r"dim must be an int, got 1.5 of type float",
    ),
    Entry(
        "dropout-training-without-key",
        "bad keyword argument",
        "funcnet.Dropout(0.5).apply({}, jnp.ones(3, jnp.float32), training=True)",
        ValueError,
        r"in training needs a PRNG key",
    ),
    Entry(
        "fit-batch-size",
        "bad keyword argument",
        "funcnet.fit(model, params, (jnp.zeros((4, 2), jnp.float32), jnp.zeros(4, jnp.int32)),"
        " **{**options, 'batch_size': 0})",
        ValueError,
        r"batch_size must be a positive int, got 0",
        _FIT,
    ),
    Entry(
        "fit-without-key",
        "bad keyword argument",
        "funcnet.fit(model, params, (jnp.zeros((4, 2), jnp.float32), jnp.zeros(4, jnp.int32)),"
        " **{**options, 'key': None})",
        ValueError,
        r"starting from params needs key=jax.random.key\(seed\)",
        _FIT,
    ),
    Entry(
        "fit-negative-epochs",
        "bad keyword argument",
        "funcnet.fit(model, params, (jnp.zeros((4, 2), jnp.float32), jnp.zeros(4, jnp.int32)),"
        " **{**options, 'epochs': -1})",
        ValueError,
        r"epochs",
        _FIT,
    ),
    Entry(
        "predict-zero-batch-size",
        "bad keyword argument",
        "funcnet.predict(model, params, jnp.zeros((5, 2), jnp.float32), batch_size=0)",
        ValueError,
        r"batch_size",
        _FIT,
    ),
    Entry(
        "steps-per-epoch-zero-batch",
        "bad keyword argument",
        "funcnet.steps_per_epoch(10, 0)",
        ValueError,
        r"batch_size",
    ),
    # --- non-array input --------------------------------------------------------------
    Entry(
        "init-array-for-shape",
        "non-array input",
        "funcnet.Linear(10, 5).init(key, jnp.ones((4, 10), jnp.float32))",
        TypeError,
        r"input_shape must be a tuple of ints such as \(4, 10\), got an array; pass x.shape",
    ),
    Entry(
        "init-string-shape",
        "non-array input",
        "funcnet.Linear(10, 5).init(key, '4x10')",
        TypeError,
        r"input_shape must be a tuple of ints such as \(4, 10\), got '4x10'",
    ),
    Entry(
        "init-int-key",
        "non-array input",
        "funcnet.Linear(10, 5).init(0, (4, 10))",
        TypeError,
        r"key must be a single PRNG key from jax.random.key\(seed\)",
    ),
    Entry(
        "init-key-batch",
        "non-array input",
        "funcnet.Linear(10, 5).init(jax.random.split(key, 2), (4, 10))",
        TypeError,
        r"key must be a single PRNG key",
    ),
    Entry(
        "dropout-int-key",
        "non-array input",
        "funcnet.Dropout(0.5).apply({}, jnp.ones(3, jnp.float32), key=0, training=True)",
        TypeError,
        r"key must be a single PRNG key",
    ),
    Entry(
        "relu-string",
        "non-array input",
        "funcnet.relu('abc')",
        TypeError,
        r"must be an array or a number, got str",
    ),
    Entry(
        "linear-string-input",
        "non-array input",
        "layer.apply(params, 'abc')",
        TypeError,
        r"not a valid JAX array type",
        _LINEAR,
    ),
    Entry(
        "relu-none",
        "non-array input",
        "funcnet.relu(None)",
        TypeError,
        r"None",
    ),
    Entry(
        "linear-params-missing-weight",
        "non-array input",
        "funcnet.Linear(2, 3).apply({'w': jnp.zeros((3, 2), jnp.float32)}, "
        "jnp.ones((1, 2), jnp.float32))",
        ValueError,
        r"needs params with a 'weight' entry, got \['w'\]",
    ),
    Entry(
        "sequential-params-none",
        "non-array input",
        "model.apply(None, jnp.ones((1, 3), jnp.float32))",
        ValueError,
        r"needs params with one entry per layer, got None",
        _STATE,
    ),
    Entry(
        "fit-data-not-a-pair",
        "non-array input",
        "funcnet.fit(model, params, jnp.zeros((4, 2), jnp.float32), **options)",
        TypeError,
        r"fit: data must be a pair \(x, y\) of arrays",
        _FIT,
    ),
    Entry(
        "per-example-grads-not-a-pair",
        "non-array input",
        "funcnet.per_example_grads(lambda p, x, y: 0.0, params, jnp.zeros(3, jnp.float32))",
        TypeError,
        r"batch must be a pair \(x, y\) of arrays",
        _FIT,
    ),
    Entry(
        "batches-single-array",
        "non-array input",
        "list(funcnet.data.batches(np.zeros((4, 2)), 2))",
        TypeError,
        r"arrays must be a sequence of arrays, such as \(x, y\)",
    ),
    # --- habits from PyTorch, and params or labels made for something else ----------
    Entry(
        "call-without-params",
        "non-array input",
        "model(jnp.ones((1, 3), jnp.float32))",
        TypeError,
        r"called as model\(params, x\), not model\(x\)[\s\S]*model\.init\(key, input_shape\)",
        _STATE,
    ),
    Entry(
        "apply-without-params",
        "non-array input",
        "model.apply(jnp.ones((1, 3), jnp.float32))",
        TypeError,
        r"called as model\.apply\(params, x\)",
        _STATE,
    ),
    Entry(
        "batch-norm-apply-without-state",
        "non-array input",
        "layer.apply(params, jnp.ones((4, 3), jnp.float32))",
        TypeError,
        r"carries state[\s\S]*y, state = model\.apply_with_state\(params, state, x, "
        r"training=True\)",
        _BATCH_NORM,
    ),
    Entry(
        "init-arguments-swapped",
        "non-array input",
        "funcnet.Linear(3, 2).init((1, 3), key)",
        TypeError,
        r"arguments look swapped: init takes the PRNG key first",
    ),
    Entry(
        "sequential-params-of-another-model",
        "wrong shape",
        "model.apply(other, jnp.ones((1, 3), jnp.float32))",
        ShapeError,
        r"expected weight of shape \(2, 3\), got \(4, 3\)\n  layer 0, Linear\(in_features=3",
        _STATE + "\nother = funcnet.Sequential(funcnet.Linear(3, 4), funcnet.ReLU(), "
        "funcnet.Linear(4, 1)).init(key, (1, 3))",
    ),
    Entry(
        "linear-params-extra-bias",
        "wrong shape",
        "funcnet.Linear(10, 5, bias=False).apply(params, jnp.ones((4, 10), jnp.float32))",
        ValueError,
        r"unexpected entries \['bias'\] as well, which it would ignore",
        _LINEAR,
    ),
    Entry(
        "cross-entropy-labels-extra-axis",
        "wrong shape",
        "funcnet.cross_entropy(logits, target[:, None])",
        ShapeError,
        r"^cross_entropy: expected target of shape \(4,\), got \(4, 1\)[\s\S]*"
        r"labels\[:, 0\]\) or labels\.squeeze\(-1\)",
        _LOGITS,
    ),
    Entry(
        "cross-entropy-batch-size",
        "wrong shape",
        "funcnet.cross_entropy(logits, target[:3])",
        ShapeError,
        r"batch of 4 logits but 3 labels",
        _LOGITS,
    ),
    Entry(
        "cross-entropy-arguments-swapped",
        "wrong dtype",
        "funcnet.cross_entropy(target, logits)",
        TypeError,
        r"arguments look swapped[\s\S]*cross_entropy\(input=logits, target=labels\)",
        _LOGITS,
    ),
    Entry(
        "state-dict-nothing-matches",
        "mismatched state dict",
        "funcnet.load_state_dict(params, {'fc.' + k: v for k, v in state.items()}, strict=False)",
        StateDictError,
        r"No key of the state_dict matches a parameter of the model",
        _STATE,
    ),
    # --- training: labels checked before compiling, checked mode, divergence -----------
    Entry(
        "fit-label-out-of-range",
        "out-of-range label",
        "funcnet.fit(model, params, (jnp.zeros((4, 2), jnp.float32), jnp.array([0, 1, 2, 3])),"
        " **options)",
        ValueError,
        r"cross_entropy: Target 3 is out of bounds: class indices must lie in \[0, 3\)",
        _FIT,
    ),
    Entry(
        "fit-validation-label-out-of-range",
        "out-of-range label",
        "funcnet.fit(model, params, (jnp.zeros((4, 2), jnp.float32), jnp.array([0, 1, 2, 0])),"
        " validation=(jnp.zeros((2, 2), jnp.float32), jnp.array([0, 5])), **options)",
        ValueError,
        r"Target 5 is out of bounds: class indices must lie in \[0, 3\)",
        _FIT,
    ),
    Entry(
        "evaluate-label-out-of-range",
        "out-of-range label",
        "funcnet.evaluate(model, params, (jnp.zeros((2, 2), jnp.float32), jnp.array([0, -2])),"
        " loss_fn=funcnet.cross_entropy)",
        ValueError,
        r"Target -2 is out of bounds: class indices must lie in \[0, 3\)",
        _FIT,
    ),
    Entry(
        "checked-label-out-of-range-under-jit",
        "out-of-range label",
        "funcnet.checked(funcnet.cross_entropy)(jnp.zeros((4, 8), jnp.float32), "
        "jnp.array([0, 1, 2, 8]))",
        ValueError,
        r"Target 8 is out of bounds: class indices must lie in \[0, 8\)",
    ),
    Entry(
        "train-step-example-counts",
        "wrong shape",
        "step(state, (jnp.zeros((4, 2), jnp.float32), jnp.zeros(3, jnp.int32)))",
        ValueError,
        r"train step: batch: x and y must have the same number of examples, got 4 and 3",
        _FIT + "\nstep = funcnet.make_train_step(model, funcnet.cross_entropy, optax.sgd(0.1))"
        "\nstate = funcnet.init_state(params, optax.sgd(0.1), key)",
    ),
    Entry(
        "fit-learning-rate-diverges",
        "bad keyword argument",
        "funcnet.fit(model, params, (jnp.ones((4, 2), jnp.float32), jnp.array([0, 1, 2, 0])),"
        " **(options | {'optimizer': optax.sgd(float('inf'))}))",
        funcnet.DivergenceError,
        r"training loss became nan in epoch 1 \(step 1\)[\s\S]*smaller learning rate",
        _FIT,
    ),
    Entry(
        "run-config-lr-string",
        "bad constructor argument",
        "Config(dataset='iris', lr='0.1')",
        ValueError,
        r"lr must be a positive number, got '0\.1'",
        "from funcnet.config import Config",
    ),
    Entry(
        "run-config-cnn-on-iris",
        "bad constructor argument",
        "Config(model='cnn', dataset='iris')",
        ValueError,
        r"model 'cnn' needs image data: use dataset 'digits'",
        "from funcnet.config import Config",
    ),
]


def namespace(tmp: str) -> dict:
    """The names a catalogue call may use; `tmp` is a scratch directory."""
    import jax
    import jax.numpy as jnp
    import numpy as np
    import optax

    return {
        "jax": jax,
        "jnp": jnp,
        "np": np,
        "optax": optax,
        "funcnet": funcnet,
        "checkpoint": funcnet.checkpoint,
        "Path": pathlib.Path,
        "key": jax.random.key(0),
        "tmp": tmp,
    }


def run(entry: Entry) -> BaseException | None:
    """Run `entry` in a fresh namespace: the exception it raised, or None."""
    with tempfile.TemporaryDirectory() as tmp:
        names = namespace(tmp)
        exec(entry.setup, names)
        try:
            eval(entry.call, names)
        except Exception as error:
            return error
    return None


def source(entry: Entry) -> str:
    """The entry as one runnable snippet: setup, then the call."""
    return f"{entry.setup}\n{entry.call}" if entry.setup else entry.call
