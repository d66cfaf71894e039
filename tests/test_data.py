"""Data: batching, bundled scikit-learn sets, generated toy sets, and their errors."""

import builtins

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from funcnet import data
from funcnet.data import Dataset, Split, batches, num_batches


def labels_seen(split_y, num_classes):
    return np.bincount(split_y, minlength=num_classes) / len(split_y)


# --- batches ---------------------------------------------------------------------


def check_epoch(n, batch_size, drop_last, key):
    x, y = np.arange(n), np.arange(n) * 10
    got = list(batches((x, y), batch_size, key=key, drop_last=drop_last))
    assert len(got) == num_batches(n, batch_size, drop_last)
    seen = np.concatenate([b_x for b_x, _ in got]) if got else np.zeros(0, int)
    for index, (b_x, b_y) in enumerate(got):
        np.testing.assert_array_equal(b_y, b_x * 10)  # arrays stay aligned
        assert len(b_x) == batch_size or (not drop_last and index == len(got) - 1)
    assert len(set(seen.tolist())) == len(seen)  # no example twice
    assert len(seen) == (n - n % batch_size if drop_last else n)
    return seen


@settings(max_examples=100, deadline=None)
@given(n=st.integers(0, 60), batch_size=st.integers(1, 15), drop_last=st.booleans())
def test_batches_in_order_cover_every_example_once(n, batch_size, drop_last):
    seen = check_epoch(n, batch_size, drop_last, key=None)
    np.testing.assert_array_equal(seen, np.arange(len(seen)))


@pytest.mark.parametrize(
    ("n", "batch_size", "drop_last"), [(0, 3, False), (1, 4, False), (37, 8, False), (37, 8, True)]
)
def test_shuffled_batches_cover_every_example_once(n, batch_size, drop_last):
    seen = check_epoch(n, batch_size, drop_last, key=jax.random.key(n))
    if not drop_last:
        np.testing.assert_array_equal(np.sort(seen), np.arange(n))


def test_ragged_last_batch_is_kept_or_dropped():
    x = np.arange(10)
    assert [b.tolist() for (b,) in batches((x,), 4)] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert [b.tolist() for (b,) in batches((x,), 4, drop_last=True)] == [
        [0, 1, 2, 3],
        [4, 5, 6, 7],
    ]
    assert len(list(batches((x,), 5, drop_last=True))) == 2


def test_shuffling_depends_only_on_the_key():
    x = np.arange(100)
    order = lambda key: np.concatenate([b for (b,) in batches((x,), 16, key=key)])  # noqa: E731
    np.testing.assert_array_equal(order(jax.random.key(0)), order(jax.random.key(0)))
    assert not np.array_equal(order(jax.random.key(0)), order(jax.random.key(1)))
    assert not np.array_equal(order(jax.random.key(0)), x)
    # Legacy uint32 keys work as well.
    assert sorted(order(jax.random.PRNGKey(0))) == list(range(100))


def test_batches_keep_array_kinds_and_accept_a_split():
    split = Split(np.ones((6, 3), np.float32), np.arange(6, dtype=np.int32))
    x_batch, y_batch = next(batches(split, 4))
    assert isinstance(x_batch, np.ndarray) and x_batch.shape == (4, 3)
    jax_batch = next(batches((jnp.ones((6, 2)), [1, 2, 3, 4, 5, 6]), 4, key=jax.random.key(0)))
    assert isinstance(jax_batch[0], jax.Array) and jax_batch[0].shape == (4, 2)
    assert isinstance(jax_batch[1], np.ndarray)
    assert y_batch.dtype == np.int32


def test_batches_errors_are_raised_at_call_time():
    x = np.zeros((10, 2))
    with pytest.raises(ValueError, match=r"same length along axis 0, got lengths \(10, 9\)"):
        batches((x, np.zeros(9)), 2)
    with pytest.raises(TypeError, match=r"sequence of arrays.*pass \(x,\)"):
        batches(x, 2)
    with pytest.raises(ValueError, match="arrays is empty"):
        batches((), 2)
    with pytest.raises(ValueError, match=r"needs a first \(example\) axis"):
        batches((np.float64(1.0),), 2)
    with pytest.raises(ValueError, match="batch_size must be a positive int, got 0"):
        batches((x,), 0)
    with pytest.raises(ValueError, match="batch_size must be a positive int, got -3"):
        batches((x,), -3)
    for bad in (2.5, True, "4"):
        with pytest.raises(TypeError, match="batch_size must be a positive int"):
            batches((x,), bad)
    with pytest.raises(TypeError, match=r"key must be a single PRNG key from jax\.random\.key"):
        batches((x,), 2, key=0)


def test_num_batches_values_and_errors():
    assert [num_batches(n, 4) for n in (0, 1, 4, 5, 8)] == [0, 1, 1, 2, 2]
    assert [num_batches(n, 4, drop_last=True) for n in (0, 3, 4, 7, 8)] == [0, 0, 1, 1, 2]
    with pytest.raises(ValueError, match="n must be a non-negative int, got -1"):
        num_batches(-1, 4)
    with pytest.raises(TypeError, match=r"n must be a non-negative int, got 2\.5 of type float"):
        num_batches(2.5, 4)
    with pytest.raises(ValueError, match="batch_size must be a positive int, got 0"):
        num_batches(10, 0)


# --- bundled sets ------------------------------------------------------------------


@pytest.fixture(scope="module")
def digits():
    return data.load_digits()


def test_digits_shapes_dtypes_and_ranges(digits):
    assert isinstance(digits, Dataset) and digits.name == "digits" and digits.num_classes == 10
    assert digits.train.x.shape == (1437, 64) and digits.test.x.shape == (360, 64)
    for split in digits[:2]:
        assert split.x.dtype == np.float32 and split.y.dtype == np.int32
        assert split.x.min() == 0.0 and split.x.max() == 1.0
        assert set(np.unique(split.y)) == set(range(10))
        # Pixels were integers 0..16: every value is a multiple of 1/16.
        np.testing.assert_array_equal(split.x * 16, np.round(split.x * 16))


def test_digits_images_are_the_same_pixels_in_nchw(digits):
    images = data.load_digits(image=True, dtype=np.float64)
    assert images.train.x.shape == (1437, 1, 8, 8) and images.train.x.dtype == np.float64
    np.testing.assert_array_equal(images.train.x.reshape(-1, 64), digits.train.x)
    np.testing.assert_array_equal(images.test.y, digits.test.y)


def test_digits_split_is_stratified_and_seeded(digits):
    np.testing.assert_allclose(
        labels_seen(digits.train.y, 10), labels_seen(digits.test.y, 10), atol=0.01
    )
    again = data.load_digits()
    np.testing.assert_array_equal(again.train.x, digits.train.x)
    np.testing.assert_array_equal(again.test.y, digits.test.y)
    other = data.load_digits(seed=1)
    assert not np.array_equal(other.test.y, digits.test.y)
    half = data.load_digits(test_fraction=0.5)
    assert len(half.test.y) == 899 and len(half.train.y) == 898


def test_iris_is_standardised_with_training_statistics_only():
    from sklearn.datasets import load_iris
    from sklearn.model_selection import train_test_split

    iris = data.load_iris(dtype=np.float64)
    assert iris.train.x.shape == (120, 4) and iris.test.x.shape == (30, 4)
    assert iris.num_classes == 3 and iris.name == "iris" and iris.train.y.dtype == np.int32
    np.testing.assert_allclose(iris.train.x.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(iris.train.x.std(axis=0), 1.0, rtol=1e-12)
    raw = load_iris()
    x_train, x_test, *_ = train_test_split(
        raw.data, raw.target, test_size=0.2, stratify=raw.target, random_state=0
    )
    expected = (x_test - x_train.mean(axis=0)) / x_train.std(axis=0)
    np.testing.assert_allclose(iris.test.x, expected, rtol=1e-12)
    assert np.abs(iris.test.x.mean(axis=0)).max() > 1e-3  # test stats were not used
    np.testing.assert_array_equal(np.bincount(iris.test.y), [10, 10, 10])
    assert data.load_iris().train.x.dtype == np.float32


@pytest.mark.parametrize("loader", [data.load_digits, data.load_iris])
def test_missing_scikit_learn_says_how_to_install(monkeypatch, loader):
    real_import = builtins.__import__

    def no_sklearn(name, *args, **kwargs):
        if name == "sklearn" or name.startswith("sklearn."):
            raise ModuleNotFoundError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_sklearn)
    expected = f"{loader.__name__} needs scikit-learn: pip install 'funcnet\\[examples\\]'"
    with pytest.raises(ImportError, match=expected):
        loader()


@pytest.mark.parametrize("loader", [data.load_digits, data.load_iris])
def test_bundled_loader_option_errors(loader):
    for fraction in (0, 1, 1.5, -0.1):
        with pytest.raises(ValueError, match=r"test_fraction must be in \(0, 1\)"):
            loader(test_fraction=fraction)
    with pytest.raises(TypeError, match="test_fraction must be a float"):
        loader(test_fraction="0.2")
    with pytest.raises(TypeError, match="dtype must be a floating dtype, got int32"):
        loader(dtype=np.int32)


# --- generated sets ---------------------------------------------------------------


GENERATORS = [
    (data.two_moons, {}, 500, 2),
    (data.spirals, {}, 600, 3),
    (data.spirals, {"n": 301, "classes": 5}, 301, 5),
    (data.regression_1d, {}, 256, None),
]


@pytest.mark.parametrize(("generate", "kwargs", "n", "num_classes"), GENERATORS)
def test_generated_sets_shapes_determinism_and_splits(generate, kwargs, n, num_classes):
    dataset = generate(jax.random.key(0), **kwargs)
    assert dataset.num_classes == num_classes and dataset.name == generate.__name__
    assert len(dataset.train.x) + len(dataset.test.x) == n
    assert len(dataset.test.x) == int(np.ceil(0.2 * n))
    width = 1 if num_classes is None else 2
    for split in dataset[:2]:
        assert split.x.dtype == np.float32 and split.x.shape[1:] == (width,)
        assert len(split.y) == len(split.x)
        if num_classes is None:
            assert split.y.shape[1:] == (1,) and split.y.dtype == np.float32
        else:
            assert split.y.dtype == np.int32 and set(np.unique(split.y)) <= set(range(num_classes))
    same = generate(jax.random.key(0), **kwargs)
    other = generate(jax.random.key(1), **kwargs)
    np.testing.assert_array_equal(same.train.x, dataset.train.x)
    np.testing.assert_array_equal(same.test.y, dataset.test.y)
    assert not np.array_equal(other.train.x, dataset.train.x)
    if num_classes is not None:
        counts = np.bincount(np.concatenate([dataset.train.y, dataset.test.y]))
        assert counts.max() - counts.min() <= 1  # classes are balanced


def test_two_moons_without_noise_lie_on_their_half_circles():
    moons = data.two_moons(jax.random.key(3), n=101, noise=0.0, dtype=np.float64)
    x = np.concatenate([moons.train.x, moons.test.x])
    y = np.concatenate([moons.train.y, moons.test.y])
    np.testing.assert_allclose(np.linalg.norm(x[y == 0], axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(x[y == 1] - [1.0, 0.5], axis=1), 1.0, rtol=1e-12)
    assert (x[y == 0, 1] >= -1e-12).all() and (x[y == 1, 1] <= 0.5 + 1e-12).all()
    assert np.bincount(y).tolist() == [50, 51]


def test_spirals_stay_in_the_unit_disc_and_noise_matters():
    calm = data.spirals(jax.random.key(0), noise=0.0)
    noisy = data.spirals(jax.random.key(0), noise=0.5)
    assert np.linalg.norm(noisy.train.x, axis=1).max() <= 1.0 + 1e-6
    # Noise moves points along their circle: radii are unchanged, positions are not.
    np.testing.assert_allclose(
        np.sort(np.linalg.norm(calm.train.x, axis=1)),
        np.sort(np.linalg.norm(noisy.train.x, axis=1)),
        atol=1e-6,
    )
    assert not np.allclose(calm.train.x, noisy.train.x)


def test_regression_targets_follow_the_function():
    exact = data.regression_1d(jax.random.key(0), n=200, function=np.cos, low=0.0, high=2.0)
    assert exact.train.x.min() >= 0.0 and exact.train.x.max() <= 2.0
    np.testing.assert_allclose(exact.train.y, np.cos(exact.train.x.astype(np.float64)), rtol=1e-6)
    noisy = data.regression_1d(jax.random.key(0), n=2000, noise=0.1, dtype=np.float64)
    residual = noisy.train.y - np.sin(noisy.train.x)
    assert 0.08 < residual.std() < 0.12


def test_generated_set_errors():
    key = jax.random.key(0)
    with pytest.raises(TypeError, match="two_moons: key must be a single PRNG key"):
        data.two_moons(0)
    with pytest.raises(ValueError, match="n must be a positive int, got 0"):
        data.two_moons(key, n=0)
    with pytest.raises(ValueError, match="n must be at least 2"):
        data.regression_1d(key, n=1)
    with pytest.raises(ValueError, match=r"noise must be a finite number >= 0, got -0.1"):
        data.spirals(key, noise=-0.1)
    with pytest.raises(ValueError, match=r"need 2 <= classes <= n, got classes=1"):
        data.spirals(key, classes=1)
    with pytest.raises(ValueError, match=r"need finite low < high, got low=1.0, high=1.0"):
        data.regression_1d(key, low=1.0, high=1.0)
    with pytest.raises(ValueError, match=r"returned shape \(\) for input shape \(256, 1\)"):
        data.regression_1d(key, function=np.sum)
    with pytest.raises(ValueError, match=r"test_fraction must be in \(0, 1\)"):
        data.two_moons(key, test_fraction=1.0)
