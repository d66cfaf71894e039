"""Metrics against scikit-learn (zero_division=0), edge cases, errors, jit."""

import zlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn import metrics as skm

import funcnet

N = 12
SCORES = {
    "precision": (funcnet.precision, skm.precision_score),
    "recall": (funcnet.recall, skm.recall_score),
    "f1_score": (funcnet.f1_score, skm.f1_score),
}


def _rng(*key) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def _assert_scores_match_sklearn(input, predicted, target, average, **kwargs):
    """Each of precision, recall, F1 of `input` equals scikit-learn's on `predicted`."""
    for name, (ours, theirs) in SCORES.items():
        expected = theirs(target, predicted, average=average, zero_division=0)
        value = ours(jnp.asarray(input), jnp.asarray(target), average=average, **kwargs)
        np.testing.assert_allclose(value, expected, rtol=1e-12, err_msg=name)


# --- against scikit-learn ------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_binary_labels_match_sklearn(seed):
    rng = _rng("binary-labels", seed)
    target, predicted = rng.integers(0, 2, size=(2, N))
    _assert_scores_match_sklearn(predicted, predicted, target, "binary")
    np.testing.assert_allclose(
        funcnet.accuracy(predicted, target), skm.accuracy_score(target, predicted)
    )


@pytest.mark.parametrize("threshold", [0.5, 0.3])
@pytest.mark.parametrize("seed", range(3))
def test_binary_probabilities_are_thresholded(threshold, seed):
    rng = _rng("binary-probabilities", threshold, seed)
    target = rng.integers(0, 2, size=N)
    probabilities = rng.uniform(size=N)
    probabilities[0] = threshold  # the boundary counts as positive
    predicted = (probabilities >= threshold).astype(int)
    _assert_scores_match_sklearn(probabilities, predicted, target, "binary", threshold=threshold)
    np.testing.assert_allclose(
        funcnet.accuracy(probabilities, target, threshold=threshold),
        skm.accuracy_score(target, predicted),
    )


@pytest.mark.parametrize("seed", range(3))
def test_binary_scores_use_the_argmax(seed):
    rng = _rng("binary-scores", seed)
    target = rng.integers(0, 2, size=N)
    scores = rng.normal(size=(N, 2))
    _assert_scores_match_sklearn(scores, scores.argmax(axis=1), target, "binary")


@pytest.mark.parametrize("classes", [3, 7])
@pytest.mark.parametrize("seed", range(4))
def test_macro_from_labels_matches_sklearn(classes, seed):
    """With 7 classes and 12 examples some classes are absent, as scikit-learn handles."""
    rng = _rng("macro-labels", classes, seed)
    target, predicted = rng.integers(0, classes, size=(2, N))
    _assert_scores_match_sklearn(predicted, predicted, target, "macro", num_classes=classes)


@pytest.mark.parametrize("classes", [3, 7])
@pytest.mark.parametrize("seed", range(3))
def test_macro_from_scores_matches_sklearn(classes, seed):
    rng = _rng("macro-scores", classes, seed)
    target = rng.integers(0, classes, size=N)
    scores = rng.normal(size=(N, classes))
    predicted = scores.argmax(axis=1)
    _assert_scores_match_sklearn(scores, predicted, target, "macro")
    np.testing.assert_allclose(
        funcnet.accuracy(scores, target), skm.accuracy_score(target, predicted)
    )


def test_macro_counts_a_class_that_is_only_predicted():
    target = np.array([0, 0, 1, 1])
    predicted = np.array([0, 2, 1, 1])
    _assert_scores_match_sklearn(predicted, predicted, target, "macro", num_classes=3)
    np.testing.assert_allclose(
        funcnet.precision(predicted, target, average="macro", num_classes=3), 2 / 3
    )


@pytest.mark.parametrize("classes", [2, 4])
@pytest.mark.parametrize("seed", range(3))
def test_confusion_matrix_matches_sklearn(classes, seed):
    rng = _rng("confusion", classes, seed)
    target = rng.integers(0, classes, size=N)
    scores = rng.normal(size=(N, classes))
    expected = skm.confusion_matrix(target, scores.argmax(axis=1), labels=range(classes))
    np.testing.assert_array_equal(funcnet.confusion_matrix(scores, target, classes), expected)
    np.testing.assert_array_equal(
        funcnet.confusion_matrix(scores.argmax(axis=1), target, classes), expected
    )


def test_confusion_matrix_of_batched_labels_counts_every_element():
    target = np.array([[0, 1], [2, 2]])
    predicted = np.array([[0, 2], [2, 1]])
    expected = skm.confusion_matrix(target.ravel(), predicted.ravel(), labels=range(3))
    np.testing.assert_array_equal(funcnet.confusion_matrix(predicted, target, 3), expected)


# --- edge cases --------------------------------------------------------------------------

EDGE_CASES = {
    "no-positive-predictions": ([0, 0, 0, 0], [0, 1, 1, 0]),
    "no-actual-positives": ([1, 0, 1, 0], [0, 0, 0, 0]),
    "no-positives-at-all": ([0, 0, 0, 0], [0, 0, 0, 0]),
    "all-positive-and-right": ([1, 1, 1, 1], [1, 1, 1, 1]),
    "all-wrong": ([1, 0, 1, 0], [0, 1, 0, 1]),
}


@pytest.mark.parametrize(("predicted", "target"), EDGE_CASES.values(), ids=EDGE_CASES.keys())
@pytest.mark.parametrize("average", ["binary", "macro"])
def test_edge_cases_match_sklearn(predicted, target, average):
    predicted, target = np.array(predicted), np.array(target)
    kwargs = {"num_classes": 2} if average == "macro" else {}
    _assert_scores_match_sklearn(predicted, predicted, target, average, **kwargs)


def test_no_positive_predictions_give_zero_precision_and_f1():
    predicted, target = jnp.zeros(4, int), jnp.array([0, 1, 1, 0])
    assert funcnet.precision(predicted, target) == 0.0
    assert funcnet.f1_score(predicted, target) == 0.0
    assert funcnet.recall(predicted, target) == 0.0
    assert funcnet.accuracy(predicted, target) == 0.5


def test_boolean_labels_are_accepted():
    target = np.array([True, False, True, True])
    predicted = np.array([True, True, False, True])
    _assert_scores_match_sklearn(predicted, predicted, target, "binary")


# --- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: funcnet.accuracy(jnp.zeros(3, int), jnp.zeros(3)),
            TypeError,
            "target must hold integer labels, got dtype float",
        ),
        (lambda: funcnet.precision(jnp.zeros(3), jnp.zeros(3)), TypeError, "integer labels"),
        (
            lambda: funcnet.accuracy(jnp.zeros(4, int), jnp.zeros(3, int)),
            funcnet.ShapeError,
            r"input shape \(4,\) does not fit target shape \(3,\)",
        ),
        (
            lambda: funcnet.recall(jnp.zeros((3, 2, 2)), jnp.zeros(3, int)),
            funcnet.ShapeError,
            "does not fit target shape",
        ),
        (
            lambda: funcnet.f1_score(jnp.zeros(3, int), jnp.zeros(3, int), average="micro"),
            ValueError,
            "average must be 'binary' or 'macro', got 'micro'",
        ),
        (
            lambda: funcnet.precision(jnp.zeros(3, int), jnp.zeros(3, int), average="macro"),
            ValueError,
            "average='macro' with label input needs num_classes",
        ),
        (
            lambda: funcnet.precision(jnp.array([0, 2, 1]), jnp.array([0, 1, 1])),
            ValueError,
            "label 2 is out of range; average='binary' needs labels 0 and 1",
        ),
        (
            lambda: funcnet.recall(jnp.array([0, 1, 1]), jnp.array([0, -1, 1])),
            ValueError,
            "label -1 is out of range",
        ),
        (
            lambda: funcnet.f1_score(jnp.zeros((3, 3)), jnp.array([0, 2, 1])),
            ValueError,
            "label 2 is out of range; average='binary'",
        ),
        (
            lambda: funcnet.confusion_matrix(jnp.array([0, 2]), jnp.array([0, 1]), 2),
            ValueError,
            r"label 2 is out of range; labels must lie in \[0, 2\) for num_classes=2",
        ),
        (
            lambda: funcnet.confusion_matrix(jnp.array([0, 1]), jnp.array([-1, 1]), 2),
            ValueError,
            "label -1 is out of range",
        ),
        (
            lambda: funcnet.precision(
                jnp.array([0, 3]), jnp.array([0, 1]), average="macro", num_classes=3
            ),
            ValueError,
            "label 3 is out of range",
        ),
        (
            lambda: funcnet.confusion_matrix(jnp.zeros(2, int), jnp.zeros(2, int), 0),
            ValueError,
            "num_classes must be at least 1, got 0",
        ),
        (
            lambda: funcnet.confusion_matrix(jnp.zeros(2, int), jnp.zeros(2, int), 2.0),
            TypeError,
            "num_classes must be an integer, got 2.0",
        ),
        (
            lambda: funcnet.confusion_matrix(jnp.zeros((2, 3)), jnp.zeros(2, int), 4),
            funcnet.ShapeError,
            "scores have 3 classes but num_classes=4",
        ),
        (
            lambda: funcnet.recall(
                jnp.zeros((2, 3)), jnp.zeros(2, int), average="macro", num_classes=2
            ),
            funcnet.ShapeError,
            "scores have 3 classes",
        ),
    ],
    ids=[
        "float-target",
        "float-target-precision",
        "label-shape",
        "score-shape",
        "bad-average",
        "macro-without-num-classes",
        "binary-multiclass-prediction",
        "binary-negative-target",
        "binary-three-scores",
        "confusion-prediction-range",
        "confusion-target-range",
        "macro-label-range",
        "zero-classes",
        "float-num-classes",
        "confusion-score-classes",
        "macro-score-classes",
    ],
)
def test_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_sklearn_also_refuses_multiclass_labels_with_binary_average():
    with pytest.raises(ValueError, match="Target is multiclass but average='binary'"):
        skm.precision_score([0, 1, 1], [0, 2, 1], zero_division=0)


# --- jit -----------------------------------------------------------------------------------


def test_metrics_compose_with_jit():
    rng = _rng("jit")
    target = jnp.asarray(rng.integers(0, 3, size=N))
    scores = jnp.asarray(rng.normal(size=(N, 3)))
    for metric in (funcnet.precision, funcnet.recall, funcnet.f1_score):
        jitted = jax.jit(lambda x, t, metric=metric: metric(x, t, average="macro"))
        np.testing.assert_allclose(jitted(scores, target), metric(scores, target, average="macro"))
    np.testing.assert_allclose(
        jax.jit(funcnet.accuracy)(scores, target), funcnet.accuracy(scores, target)
    )
    matrix = jax.jit(funcnet.confusion_matrix, static_argnums=2)(scores, target, 3)
    np.testing.assert_array_equal(matrix, funcnet.confusion_matrix(scores, target, 3))


def test_out_of_range_labels_under_jit_are_not_counted():
    """Documented in the module docstring: jit cannot raise on values it does not know."""
    matrix = jax.jit(funcnet.confusion_matrix, static_argnums=2)(
        jnp.array([0, 2, 1, -1]), jnp.array([0, 0, 1, 1]), 2
    )
    np.testing.assert_array_equal(matrix, [[1, 0], [0, 1]])
    # average="binary" counts every label but 1 as negative.
    value = jax.jit(funcnet.precision)(jnp.array([1, 2, 1]), jnp.array([1, 1, 2]))
    np.testing.assert_allclose(value, 0.5)
    assert "jit" in funcnet.metrics.__doc__


# --- laws (Hypothesis) -------------------------------------------------------------------

_LABELS = hnp.arrays(np.int64, (N,), elements=st.integers(0, 2))


@settings(deadline=None, max_examples=25)
@given(predicted=_LABELS, target=_LABELS)
def test_confusion_matrix_sums_and_diagonal_give_accuracy(predicted, target):
    matrix = np.asarray(funcnet.confusion_matrix(predicted, target, 3))
    assert matrix.sum() == N
    np.testing.assert_array_equal(matrix.sum(axis=1), np.bincount(target, minlength=3))
    np.testing.assert_allclose(np.trace(matrix) / N, funcnet.accuracy(predicted, target))


@settings(deadline=None, max_examples=25)
@given(
    predicted=hnp.arrays(np.int64, (N,), elements=st.integers(0, 1)),
    target=hnp.arrays(np.int64, (N,), elements=st.integers(0, 1)),
)
def test_binary_f1_is_the_harmonic_mean_of_precision_and_recall(predicted, target):
    p = float(funcnet.precision(predicted, target))
    r = float(funcnet.recall(predicted, target))
    f1 = float(funcnet.f1_score(predicted, target))
    expected = 0.0 if p + r == 0 else 2 * p * r / (p + r)
    np.testing.assert_allclose(f1, expected, rtol=1e-12)
    assert 0.0 <= min(p, r) <= f1 <= max(p, r) <= 1.0
