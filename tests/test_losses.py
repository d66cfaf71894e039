"""Losses: values and input gradients against PyTorch (float64), kinks, stability, errors."""

import zlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from jax.test_util import check_grads

import funcnet
from tests.torch_oracle import funcnet_loss, torch_loss

REDUCTIONS = ["mean", "sum", "none"]
RTOL = 1e-6
ATOL = 1e-12
# Random index targets in these tests draw from [0, C); this value marks the ignored ones.
IGNORE = -100


def _rng(*key) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def _assert_matches_torch(name, input, target, *, cotangent=None, rtol=RTOL, **kwargs):
    """funcnet.<name> and torch.nn.functional.<name> agree in value and input gradient."""
    value, gradient = funcnet_loss(
        getattr(funcnet, name), input, target, cotangent=cotangent, **kwargs
    )
    expected_value, expected_gradient = torch_loss(
        name, input, target, cotangent=cotangent, **kwargs
    )
    np.testing.assert_allclose(value, expected_value, rtol=rtol, atol=ATOL)
    np.testing.assert_allclose(gradient, expected_gradient, rtol=rtol, atol=ATOL)


def _cotangent(rng, reduction, shape):
    return rng.normal(size=shape) if reduction == "none" else None


def _index_target(rng, shape, classes, ignored):
    target = rng.integers(0, classes, size=shape)
    if ignored:
        mask = np.zeros(target.size, dtype=bool)
        mask[: max(1, target.size // 3)] = True
        target[rng.permutation(mask).reshape(shape)] = IGNORE
    return target


def _probabilities(rng, shape, axis):
    return np.asarray(jax.nn.softmax(rng.normal(scale=2.0, size=shape), axis=axis))


# --- cross_entropy and nll_loss against PyTorch ------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("ignored", [False, True], ids=["all-kept", "some-ignored"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1, 0.7])
def test_cross_entropy_index_targets_match_torch(reduction, weighted, ignored, label_smoothing):
    rng = _rng("ce-index", reduction, weighted, ignored, label_smoothing)
    logits = rng.normal(scale=2.0, size=(4, 3))
    target = _index_target(rng, (4,), 3, ignored)
    weight = rng.uniform(0.2, 2.0, size=3) if weighted else None
    _assert_matches_torch(
        "cross_entropy",
        logits,
        target,
        cotangent=_cotangent(rng, reduction, (4,)),
        weight=weight,
        ignore_index=IGNORE,
        reduction=reduction,
        label_smoothing=label_smoothing,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1, 0.7])
def test_cross_entropy_probability_targets_match_torch(reduction, weighted, label_smoothing):
    rng = _rng("ce-probability", reduction, weighted, label_smoothing)
    logits = rng.normal(scale=2.0, size=(4, 3))
    target = _probabilities(rng, (4, 3), axis=1)
    weight = rng.uniform(0.2, 2.0, size=3) if weighted else None
    _assert_matches_torch(
        "cross_entropy",
        logits,
        target,
        cotangent=_cotangent(rng, reduction, (4,)),
        weight=weight,
        reduction=reduction,
        label_smoothing=label_smoothing,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("probabilities", [False, True], ids=["index", "probability"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.7])
def test_cross_entropy_unbatched_matches_torch(reduction, probabilities, label_smoothing):
    rng = _rng("ce-unbatched", reduction, probabilities, label_smoothing)
    logits = rng.normal(size=3)
    target = _probabilities(rng, (3,), axis=0) if probabilities else np.int64(2)
    _assert_matches_torch(
        "cross_entropy",
        logits,
        target,
        cotangent=_cotangent(rng, reduction, ()),
        weight=rng.uniform(0.2, 2.0, size=3),
        reduction=reduction,
        label_smoothing=label_smoothing,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("probabilities", [False, True], ids=["index", "probability"])
def test_cross_entropy_spatial_matches_torch(reduction, probabilities):
    """`(N, C, d1, d2)` logits, as for per-pixel segmentation."""
    rng = _rng("ce-spatial", reduction, probabilities)
    logits = rng.normal(size=(2, 3, 4, 2))
    if probabilities:
        target, extra = _probabilities(rng, (2, 3, 4, 2), axis=1), {}
    else:
        target, extra = _index_target(rng, (2, 4, 2), 3, ignored=True), {"ignore_index": IGNORE}
    _assert_matches_torch(
        "cross_entropy",
        logits,
        target,
        cotangent=_cotangent(rng, reduction, (2, 4, 2)),
        weight=rng.uniform(0.2, 2.0, size=3),
        reduction=reduction,
        label_smoothing=0.1,
        **extra,
    )


@pytest.mark.parametrize("seed", range(4))
def test_cross_entropy_random_shapes_match_torch(seed):
    rng = _rng("ce-random", seed)
    batch = tuple(int(n) for n in rng.integers(1, 4, size=rng.integers(0, 3)))
    classes = int(rng.integers(2, 6))
    shape = (*batch[:1], classes, *batch[1:])
    reduction = REDUCTIONS[seed % 3]
    logits = rng.normal(scale=3.0, size=shape)
    target = _index_target(rng, batch, classes, ignored=seed % 2 == 1)
    _assert_matches_torch(
        "cross_entropy",
        logits,
        target,
        cotangent=_cotangent(rng, reduction, batch),
        weight=rng.uniform(0.2, 2.0, size=classes),
        ignore_index=IGNORE,
        reduction=reduction,
        label_smoothing=float(rng.choice([0.0, 0.1, 0.7])),
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize(
    ("input_shape", "target_shape"),
    [((3,), ()), ((4, 3), (4,)), ((2, 3, 2), (2, 2))],
    ids=["unbatched", "batched", "spatial"],
)
def test_nll_loss_matches_torch(reduction, weighted, input_shape, target_shape):
    rng = _rng("nll", reduction, weighted, input_shape)
    log_probs = rng.normal(size=input_shape)  # nll_loss does not require normalised input
    target = _index_target(rng, target_shape, 3, ignored=target_shape != ())
    _assert_matches_torch(
        "nll_loss",
        log_probs,
        target,
        cotangent=_cotangent(rng, reduction, target_shape),
        weight=rng.uniform(0.2, 2.0, size=3) if weighted else None,
        ignore_index=IGNORE,
        reduction=reduction,
    )


def test_nll_loss_ignore_index_inside_the_class_range_matches_torch():
    rng = _rng("nll-ignore-class")
    log_probs = rng.normal(size=(4, 3))
    target = np.array([0, 1, 2, 1])
    _assert_matches_torch(
        "nll_loss", log_probs, target, weight=np.array([1.0, 2.0, 3.0]), ignore_index=1
    )


# --- elementwise regression losses --------------------------------------------------------

REGRESSION = [
    ("mse_loss", {}),
    ("l1_loss", {}),
    ("smooth_l1_loss", {}),
    ("smooth_l1_loss", {"beta": 0.5}),
    ("smooth_l1_loss", {"beta": 2.0}),
    ("smooth_l1_loss", {"beta": 0.0}),
    ("huber_loss", {}),
    ("huber_loss", {"delta": 0.5}),
    ("huber_loss", {"delta": 2.0}),
]
REGRESSION_IDS = [f"{name}-{kwargs}" for name, kwargs in REGRESSION]


@pytest.mark.parametrize(("name", "kwargs"), REGRESSION, ids=REGRESSION_IDS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(), (4, 3)])
def test_regression_losses_match_torch(name, kwargs, reduction, shape):
    rng = _rng("regression", name, kwargs, reduction, shape)
    input = rng.normal(scale=2.0, size=shape)
    target = rng.normal(scale=2.0, size=shape)
    _assert_matches_torch(
        name,
        input,
        target,
        cotangent=_cotangent(rng, reduction, shape),
        reduction=reduction,
        **kwargs,
    )


@pytest.mark.parametrize(("name", "kwargs"), REGRESSION, ids=REGRESSION_IDS)
def test_regression_gradients_at_the_kinks_match_torch(name, kwargs):
    """diff = 0 (l1's kink; torch's `sign(0) = 0`) and |diff| = beta or delta exactly."""
    switch = kwargs.get("beta", kwargs.get("delta", 1.0))
    diff = np.array([0.0, -0.0, switch, -switch, 0.5 * switch, 3.0])
    target = np.linspace(-1.0, 1.0, diff.size)
    _assert_matches_torch(name, target + diff, target, reduction="sum", **kwargs)


def test_l1_gradient_at_zero_difference_is_zero():
    x = jnp.array([1.0, 2.0, 3.0])
    gradient = jax.grad(funcnet.l1_loss)(x, x)
    np.testing.assert_array_equal(gradient, np.zeros(3))
    _, expected = torch_loss("l1_loss", x, x)
    np.testing.assert_array_equal(gradient, expected)


# --- binary cross-entropy -----------------------------------------------------------------

BINARY_WEIGHTS = {
    "no-weight": None,
    "per-column": np.array([0.5, 1.0, 2.0]),
    "per-element": np.linspace(0.1, 2.0, 12).reshape(4, 3),
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", BINARY_WEIGHTS.values(), ids=BINARY_WEIGHTS.keys())
def test_binary_cross_entropy_matches_torch(reduction, weight):
    rng = _rng("bce", reduction, None if weight is None else weight.shape)
    probabilities = rng.uniform(0.02, 0.98, size=(4, 3))
    target = rng.uniform(size=(4, 3))
    target[0] = [0.0, 1.0, 1.0]
    _assert_matches_torch(
        "binary_cross_entropy",
        probabilities,
        target,
        cotangent=_cotangent(rng, reduction, (4, 3)),
        weight=weight,
        reduction=reduction,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", BINARY_WEIGHTS.values(), ids=BINARY_WEIGHTS.keys())
@pytest.mark.parametrize(
    "pos_weight", [None, np.array([0.5, 1.0, 3.0])], ids=["no-pos-weight", "pos-weight"]
)
def test_binary_cross_entropy_with_logits_matches_torch(reduction, weight, pos_weight):
    rng = _rng("bce-logits", reduction, weight is None, pos_weight is None)
    logits = rng.normal(scale=4.0, size=(4, 3))
    target = rng.uniform(size=(4, 3))
    target[0] = [0.0, 1.0, 1.0]
    _assert_matches_torch(
        "binary_cross_entropy_with_logits",
        logits,
        target,
        cotangent=_cotangent(rng, reduction, (4, 3)),
        weight=weight,
        pos_weight=pos_weight,
        reduction=reduction,
    )


@pytest.mark.parametrize("target", [0.0, 1.0, 0.3])
def test_binary_cross_entropy_at_zero_and_one_matches_torch(target):
    """PyTorch clamps each log at -100 and divides the gradient by max(p(1 - p), 1e-12)."""
    probabilities = np.array([0.0, 1.0, 0.0, 1.0])
    targets = np.full(4, target)
    value, gradient = funcnet_loss(
        funcnet.binary_cross_entropy, probabilities, targets, reduction="none"
    )
    assert np.isfinite(value).all() and np.isfinite(gradient).all()
    expected_value, expected_gradient = torch_loss(
        "binary_cross_entropy", probabilities, targets, reduction="none"
    )
    np.testing.assert_allclose(value, expected_value, rtol=RTOL)
    np.testing.assert_allclose(gradient, expected_gradient, rtol=RTOL)


# --- stability for large logits ----------------------------------------------------------

BIG = 1e4
BIG_LOGITS = np.array([[BIG, -BIG, 0.0], [-BIG, -BIG, BIG], [BIG, BIG, -BIG], [0.0, -BIG, 1.0]])
BIG_CASES = {
    "ce-index": ("cross_entropy", np.array([1, 2, 2, 0]), {}),
    "ce-index-smoothed-weighted": (
        "cross_entropy",
        np.array([1, IGNORE, 2, 0]),
        {"label_smoothing": 0.1, "weight": np.array([0.5, 1.0, 2.0]), "ignore_index": IGNORE},
    ),
    "ce-probability": ("cross_entropy", np.eye(3)[[1, 2, 0, 0]], {"label_smoothing": 0.1}),
    "bce-logits": ("binary_cross_entropy_with_logits", np.eye(3)[[1, 2, 0, 0]], {}),
    "bce-logits-pos-weight": (
        "binary_cross_entropy_with_logits",
        np.eye(3)[[1, 2, 0, 0]],
        {"pos_weight": np.array([2.0, 0.5, 1.0])},
    ),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("name", "target", "kwargs"), BIG_CASES.values(), ids=BIG_CASES.keys())
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_large_logits_stay_finite_and_match_torch(dtype, name, target, kwargs, reduction):
    torch_dtype = getattr(torch, dtype)
    logits = BIG_LOGITS.astype(dtype)
    if np.issubdtype(target.dtype, np.floating):
        target = target.astype(dtype)
    kwargs = {
        key: np.asarray(value, dtype) if isinstance(value, np.ndarray) else value
        for key, value in kwargs.items()
    }
    value, gradient = funcnet_loss(
        getattr(funcnet, name), logits, target, reduction=reduction, **kwargs
    )
    assert value.dtype == dtype and gradient.dtype == dtype
    assert np.isfinite(value).all() and np.isfinite(gradient).all()
    expected_value, expected_gradient = torch_loss(
        name, logits, target, dtype=torch_dtype, reduction=reduction, **kwargs
    )
    rtol = 1e-5 if dtype == "float32" else RTOL
    finite = np.isfinite(expected_value)
    np.testing.assert_allclose(value[finite], expected_value[finite], rtol=rtol, atol=1e-6)
    finite = np.isfinite(expected_gradient)
    np.testing.assert_allclose(gradient[finite], expected_gradient[finite], rtol=rtol, atol=1e-6)


# --- numerical gradients, first and second order -----------------------------------------


def _away_from_kinks(rng, shape, switch):
    """Differences whose magnitude keeps away from 0 and from `switch` (beta or delta)."""
    magnitude = rng.choice([0.3, 0.7, 1.6, 2.5], size=shape) * switch
    return magnitude * rng.choice([-1.0, 1.0], size=shape)


# beta=0 is l1_loss and the defaults sit between these switch points: one of each suffices.
CHECK_GRADS_REGRESSION = [
    ("mse_loss", {}),
    ("l1_loss", {}),
    ("smooth_l1_loss", {"beta": 0.5}),
    ("huber_loss", {"delta": 2.0}),
]


@pytest.mark.parametrize(
    ("name", "kwargs"), CHECK_GRADS_REGRESSION, ids=[name for name, _ in CHECK_GRADS_REGRESSION]
)
def test_regression_losses_pass_check_grads(name, kwargs):
    rng = _rng("check-grads", name, kwargs)
    switch = kwargs.get("beta", kwargs.get("delta", 1.0))
    target = rng.normal(size=(4, 3))
    input = target + _away_from_kinks(rng, (4, 3), switch)
    loss = getattr(funcnet, name)
    check_grads(lambda x, y: loss(x, y, **kwargs), (input, target), order=2, modes=["fwd", "rev"])


def test_cross_entropy_index_targets_pass_check_grads():
    """Label smoothing, class weights and an ignored target together: the longest path."""
    logits = _rng("check-grads-ce").normal(size=(4, 3))
    target = jnp.array([0, 1, 2, 2])
    weight = np.array([0.5, 1.0, 2.0])
    check_grads(
        lambda x: funcnet.cross_entropy(
            x, target, weight=weight, ignore_index=1, label_smoothing=0.1
        ),
        (logits,),
        order=2,
        modes=["fwd", "rev"],
    )


def test_cross_entropy_probability_targets_pass_check_grads():
    rng = _rng("check-grads-ce-probability")
    logits = rng.normal(size=(4, 3))
    target = _probabilities(rng, (4, 3), axis=1)
    weight = np.array([0.5, 1.0, 2.0])
    check_grads(
        lambda x, t: funcnet.cross_entropy(x, t, weight=weight, label_smoothing=0.2),
        (logits, target),
        order=2,
        modes=["fwd", "rev"],
    )


def test_nll_loss_passes_check_grads():
    rng = _rng("check-grads-nll")
    log_probs = rng.normal(size=(4, 3))
    target = jnp.array([0, 2, -100, 2])
    weight = np.array([0.5, 1.0, 2.0])
    check_grads(
        lambda x: funcnet.nll_loss(x, target, weight=weight),
        (log_probs,),
        order=2,
        modes=["fwd", "rev"],
    )


def test_binary_cross_entropy_passes_check_grads():
    rng = _rng("check-grads-bce")
    probabilities = rng.uniform(0.1, 0.9, size=(4, 3))
    target = rng.uniform(size=(4, 3))
    weight = np.array([0.5, 2.0, 1.0])
    check_grads(
        lambda p, y: funcnet.binary_cross_entropy(p, y, weight=weight),
        (probabilities, target),
        order=2,
        modes=["fwd", "rev"],
    )


def test_binary_cross_entropy_with_logits_passes_check_grads():
    rng = _rng("check-grads-bce-logits")
    logits = rng.normal(scale=3.0, size=(4, 3))
    target = rng.uniform(size=(4, 3))
    check_grads(
        lambda x, y, w, pw: funcnet.binary_cross_entropy_with_logits(
            x, y, weight=w, pos_weight=pw
        ),
        (logits, target, np.array([0.5, 2.0, 1.0]), np.array([3.0, 0.7, 1.0])),
        order=2,
        modes=["fwd", "rev"],
    )


# --- behaviour: nan, errors, jit --------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "extra"),
    [("nll_loss", {}), ("cross_entropy", {}), ("cross_entropy", {"label_smoothing": 0.1})],
    ids=["nll_loss", "cross_entropy", "cross_entropy-smoothed"],
)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_all_targets_ignored_with_mean_is_nan_as_in_torch(name, extra, weighted):
    weight = np.array([1.0, 2.0, 3.0]) if weighted else None
    logits = np.zeros((2, 3))
    target = np.array([IGNORE, IGNORE])
    value = getattr(funcnet, name)(
        jnp.asarray(logits), jnp.asarray(target), weight=weight, **extra
    )
    expected, _ = torch_loss(name, logits, target, weight=weight, **extra)
    assert np.isnan(value)
    assert np.isnan(expected)


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("bad", [3, -1, 7])
def test_out_of_range_class_index_raises(name, bad):
    loss = getattr(funcnet, name)
    with pytest.raises(ValueError, match=rf"Target {bad} is out of bounds.*\[0, 3\)"):
        loss(jnp.zeros((2, 3)), jnp.array([0, bad]))
    with pytest.raises(IndexError, match="out of bounds"):
        torch_loss(name, np.zeros((2, 3)), np.array([0, bad]))


def test_out_of_range_class_index_raises_for_unbatched_input():
    with pytest.raises(ValueError, match=r"Target 5 is out of bounds"):
        funcnet.cross_entropy(jnp.zeros(3), jnp.array(5))


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_out_of_range_class_index_under_jit_is_nan(name, weighted):
    """Documented in the module docstring: under jit the values are unknown while tracing."""
    loss = getattr(funcnet, name)
    weight = jnp.array([1.0, 2.0, 3.0]) if weighted else None
    logits = jnp.zeros((3, 3))
    target = jnp.array([0, 3, -1])
    per_example = jax.jit(lambda x, t: loss(x, t, weight=weight, reduction="none"))(logits, target)
    assert np.isfinite(per_example[0]) and np.isnan(per_example[1:]).all()
    mean = jax.jit(lambda x, t: loss(x, t, weight=weight))(logits, target)
    assert np.isnan(mean)
    assert "nan" in funcnet.losses.__doc__


def test_ignore_index_is_not_out_of_range():
    value = funcnet.cross_entropy(jnp.zeros((2, 3)), jnp.array([0, -7]), ignore_index=-7)
    np.testing.assert_allclose(value, np.log(3.0))


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: funcnet.cross_entropy(jnp.zeros((4, 3)), jnp.zeros(4)), "class probabilities"),
        (lambda: funcnet.nll_loss(jnp.zeros((4, 3)), jnp.zeros(4)), "must be integers"),
        (
            lambda: funcnet.cross_entropy(jnp.zeros((4, 3), int), jnp.zeros(4, int)),
            "input must be floating point",
        ),
        (
            lambda: funcnet.nll_loss(jnp.zeros((4, 3), int), jnp.zeros(4, int)),
            "input must be floating point",
        ),
        (lambda: funcnet.mse_loss(jnp.zeros(3, int), jnp.zeros(3)), "input must be floating"),
        (lambda: funcnet.l1_loss(jnp.zeros(3), jnp.zeros(3, int)), "target must be floating"),
        (
            lambda: funcnet.binary_cross_entropy_with_logits(jnp.zeros(3), jnp.zeros(3, int)),
            "target must be floating",
        ),
        (
            lambda: funcnet.cross_entropy(
                jnp.zeros((4, 3)), jnp.zeros(4, int), weight=jnp.ones(3, int)
            ),
            "weight must be floating",
        ),
    ],
    ids=[
        "ce-float-index",
        "nll-float-index",
        "ce-int-logits",
        "nll-int-input",
        "mse-int",
        "l1-int-target",
        "bce-logits-int-target",
        "ce-int-weight",
    ],
)
def test_type_errors(call, match):
    with pytest.raises(TypeError, match=match):
        call()


LOSSES = [
    "cross_entropy",
    "nll_loss",
    "mse_loss",
    "l1_loss",
    "smooth_l1_loss",
    "huber_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
]


def _example_arguments(name):
    """Small valid `(input, target)` for each loss."""
    if name in ("cross_entropy", "nll_loss"):
        return jnp.zeros((2, 3)), jnp.array([0, 2])
    return jnp.full((2, 3), 0.25), jnp.full((2, 3), 0.5)


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("reduction", ["average", "MEAN", None])
def test_bad_reduction_raises(name, reduction):
    input, target = _example_arguments(name)
    with pytest.raises(ValueError, match=f"{name}: reduction must be 'mean', 'sum' or 'none'"):
        getattr(funcnet, name)(input, target, reduction=reduction)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (
            lambda: funcnet.cross_entropy(jnp.zeros((4, 3)), jnp.zeros(5, int)),
            r"expected target of shape \(4,\), got \(5,\)",
        ),
        (
            lambda: funcnet.nll_loss(jnp.zeros((4, 3, 2)), jnp.zeros((4, 3), int)),
            r"expected target of shape \(4, 2\), got \(4, 3\)",
        ),
        (
            lambda: funcnet.cross_entropy(jnp.zeros(()), jnp.zeros((), int)),
            "must have a class dimension",
        ),
        (
            lambda: funcnet.cross_entropy(
                jnp.zeros((4, 3)), jnp.zeros(4, int), weight=jnp.ones(4)
            ),
            "weight tensor should be defined either for all 3 classes",
        ),
        (
            lambda: funcnet.cross_entropy(
                jnp.zeros((4, 3)), jnp.full((4, 3), 1 / 3), weight=jnp.ones(2)
            ),
            "weight tensor should be defined either for all 3 classes",
        ),
        (
            lambda: funcnet.mse_loss(jnp.zeros((4, 1)), jnp.zeros(4)),
            r"target size \(\(4,\)\) that is different to the input size \(\(4, 1\)\)",
        ),
        (lambda: funcnet.l1_loss(jnp.zeros(3), jnp.zeros(())), "different to the input size"),
        (lambda: funcnet.smooth_l1_loss(jnp.zeros(3), jnp.zeros((2, 3))), "different"),
        (lambda: funcnet.huber_loss(jnp.zeros(3), jnp.zeros(4)), "different"),
        (lambda: funcnet.binary_cross_entropy(jnp.zeros(3), jnp.zeros((3, 1))), "different"),
        (
            lambda: funcnet.binary_cross_entropy(
                jnp.zeros((2, 3)), jnp.zeros((2, 3)), weight=jnp.ones(2)
            ),
            r"weight of shape \(2,\) does not broadcast to \(2, 3\)",
        ),
        (
            lambda: funcnet.binary_cross_entropy_with_logits(
                jnp.zeros((2, 3)), jnp.zeros((2, 3)), pos_weight=jnp.ones(4)
            ),
            r"pos_weight of shape \(4,\) does not broadcast to \(2, 3\)",
        ),
    ],
    ids=[
        "ce-target-length",
        "nll-spatial-target",
        "ce-scalar-input",
        "ce-weight-length",
        "ce-probability-weight-length",
        "mse-column-vs-vector",
        "l1-scalar-target",
        "smooth-l1",
        "huber",
        "bce",
        "bce-weight",
        "bce-logits-pos-weight",
    ],
)
def test_shape_errors(call, match):
    with pytest.raises(funcnet.ShapeError, match=match) as info:
        call()
    assert isinstance(info.value, ValueError)


def test_elementwise_shape_mismatch_is_refused_where_torch_broadcasts():
    """Documented difference: PyTorch warns and broadcasts, computing a different loss."""
    input, target = np.zeros((4, 1)), np.arange(4.0)
    with pytest.warns(UserWarning, match="different to the input size"):
        torch_loss("mse_loss", input, target)
    with pytest.raises(funcnet.ShapeError):
        funcnet.mse_loss(input, target)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (
            lambda: funcnet.cross_entropy(
                jnp.zeros((2, 3)), jnp.array([0, 1]), label_smoothing=1.5
            ),
            "label_smoothing must be between 0.0 and 1.0, got 1.5",
        ),
        (
            lambda: funcnet.cross_entropy(
                jnp.zeros((2, 3)), jnp.array([0, 1]), label_smoothing=-0.1
            ),
            "label_smoothing",
        ),
        (
            lambda: funcnet.smooth_l1_loss(jnp.zeros(2), jnp.zeros(2), beta=-1.0),
            "beta must be >= 0, got -1.0",
        ),
        (
            lambda: funcnet.huber_loss(jnp.zeros(2), jnp.zeros(2), delta=0.0),
            "delta must be > 0, got 0.0",
        ),
        (
            lambda: funcnet.binary_cross_entropy(jnp.array([1.5, 0.5]), jnp.zeros(2)),
            "between 0 and 1",
        ),
        (
            lambda: funcnet.binary_cross_entropy(jnp.array([jnp.nan, 0.5]), jnp.zeros(2)),
            "between 0 and 1",
        ),
    ],
    ids=[
        "label-smoothing-above-1",
        "label-smoothing-negative",
        "negative-beta",
        "zero-delta",
        "bce-above-1",
        "bce-nan",
    ],
)
def test_value_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --- composition with jit, grad and vmap ---------------------------------------------------


def _composition_arguments(name):
    rng = _rng("compose", name)
    if name == "cross_entropy":
        return rng.normal(size=(4, 3)), np.array([0, 2, 1, IGNORE]), {"label_smoothing": 0.1}
    if name == "nll_loss":
        return rng.normal(size=(4, 3)), np.array([0, 2, 1, 0]), {}
    if name == "binary_cross_entropy":
        return rng.uniform(0.1, 0.9, size=(4, 3)), rng.uniform(size=(4, 3)), {}
    return rng.normal(size=(4, 3)), rng.normal(size=(4, 3)), {}


@pytest.mark.parametrize("name", LOSSES)
def test_jit_grad_and_vmap_compose(name):
    loss = getattr(funcnet, name)
    input, target, kwargs = _composition_arguments(name)
    input, target = jnp.asarray(input), jnp.asarray(target)

    eager = loss(input, target, **kwargs)
    np.testing.assert_allclose(
        jax.jit(lambda x, t: loss(x, t, **kwargs))(input, target), eager, rtol=1e-12
    )

    gradient = jax.grad(lambda x: loss(x, target, **kwargs))(input)
    jitted_gradient = jax.jit(jax.grad(lambda x, t: loss(x, t, **kwargs)))(input, target)
    np.testing.assert_allclose(jitted_gradient, gradient, rtol=1e-9)

    # vmap over examples of the per-example loss equals the batched reduction="none".
    batched = loss(input, target, reduction="none", **kwargs)
    per_example = jax.vmap(lambda x, t: loss(x, t, reduction="none", **kwargs))(input, target)
    np.testing.assert_allclose(per_example, batched, rtol=1e-9)
    # and vmap of the mean over rows, then a mean, is the batched mean (equal row weights).
    if name not in ("cross_entropy", "nll_loss"):
        row_means = jax.vmap(lambda x, t: loss(x, t, **kwargs))(input, target)
        np.testing.assert_allclose(jnp.mean(row_means), eager, rtol=1e-9)


# --- laws (Hypothesis) -------------------------------------------------------------------

_LOGITS = hnp.arrays(np.float64, (4, 3), elements=st.floats(-30, 30))
_INDEX_TARGETS = hnp.arrays(np.int64, (4,), elements=st.integers(0, 2))


@settings(deadline=None, max_examples=25)
@given(logits=_LOGITS, target=_INDEX_TARGETS, label_smoothing=st.sampled_from([0.0, 0.1, 0.7]))
def test_cross_entropy_is_nonnegative(logits, target, label_smoothing):
    losses = funcnet.cross_entropy(
        logits, target, reduction="none", label_smoothing=label_smoothing
    )
    assert (np.asarray(losses) >= 0).all()
    probabilities = np.asarray(jax.nn.softmax(logits[::-1], axis=1))
    losses = funcnet.cross_entropy(
        logits, probabilities, reduction="none", label_smoothing=label_smoothing
    )
    assert (np.asarray(losses) >= -1e-12).all()


@settings(deadline=None, max_examples=25)
@given(
    logits=_LOGITS,
    target=_INDEX_TARGETS,
    label_smoothing=st.sampled_from([0.0, 0.1, 0.7]),
    reduction=st.sampled_from(["sum", "none"]),
)
def test_one_hot_probability_targets_equal_index_targets(
    logits, target, label_smoothing, reduction
):
    weight = np.array([0.5, 1.0, 2.0])
    kwargs = {"weight": weight, "label_smoothing": label_smoothing, "reduction": reduction}
    by_index = funcnet.cross_entropy(logits, target, **kwargs)
    by_probability = funcnet.cross_entropy(logits, np.eye(3)[target], **kwargs)
    np.testing.assert_allclose(by_probability, by_index, rtol=1e-12, atol=1e-12)
    # Without weights the "mean" normalisers agree too (both count the examples).
    kwargs = {"label_smoothing": label_smoothing}
    np.testing.assert_allclose(
        funcnet.cross_entropy(logits, np.eye(3)[target], **kwargs),
        funcnet.cross_entropy(logits, target, **kwargs),
        rtol=1e-12,
        atol=1e-12,
    )


@settings(deadline=None, max_examples=25)
@given(
    # Beyond |x| = 15, 1 - sigmoid(x) loses digits, and so does the reference.
    logits=hnp.arrays(np.float64, (4, 3), elements=st.floats(-15, 15)),
    target=hnp.arrays(np.float64, (4, 3), elements=st.floats(0, 1)),
)
def test_bce_with_logits_equals_bce_of_sigmoid_and_is_nonnegative(logits, target):
    with_logits = funcnet.binary_cross_entropy_with_logits(logits, target, reduction="none")
    of_sigmoid = funcnet.binary_cross_entropy(jax.nn.sigmoid(logits), target, reduction="none")
    np.testing.assert_allclose(with_logits, of_sigmoid, rtol=1e-7, atol=1e-9)
    assert (np.asarray(with_logits) >= -1e-12).all()
