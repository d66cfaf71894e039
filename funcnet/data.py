"""Data without downloads: minibatches, scikit-learn's bundled sets, generated toy sets.

Every dataset is a `Dataset` of numpy arrays with a train and a test split, so the same
training code runs on all of them. Randomness is explicit: bundled sets are split with
a fixed `seed` (scikit-learn's `random_state`), generated sets draw from a JAX PRNG
`key`, and `batches` shuffles only when given a key. scikit-learn is imported only by
the loaders that need it (`pip install 'funcnet[examples]'`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike, DTypeLike

from funcnet._validate import check_key, floating_dtype, integer, positive_int, real

__all__ = [
    "Dataset",
    "Split",
    "batches",
    "load_digits",
    "load_iris",
    "num_batches",
    "regression_1d",
    "spirals",
    "two_moons",
]


class Split(NamedTuple):
    """The inputs and targets of one split.

    Attributes:
        x: `(N, *features)` inputs.
        y: `(N,)` int32 class labels, or `(N, *targets)` regression targets.
    """

    x: np.ndarray
    y: np.ndarray


class Dataset(NamedTuple):
    """A dataset with its train and test splits.

    Attributes:
        train: the training split.
        test: the held-out split.
        num_classes: the number of classes, or None for regression.
        name: a short name, such as `"digits"`.
    """

    train: Split
    test: Split
    num_classes: int | None
    name: str


def num_batches(n: int, batch_size: int, drop_last: bool = False) -> int:
    """How many batches `batches` yields for `n` examples: the steps of one epoch.

    `funcnet.steps_per_epoch` gives the same count for training.

    Args:
        n: the number of examples (non-negative).
        batch_size: examples per batch (positive).
        drop_last: whether a ragged last batch is dropped.

    Returns:
        $\\lfloor n / b \\rfloor$ with `drop_last`, else $\\lceil n / b \\rceil$.

    Raises:
        TypeError: if `n` or `batch_size` is not an int.
        ValueError: if `n` is negative or `batch_size` is not positive.

    Examples:
        >>> from funcnet.data import num_batches
        >>> num_batches(10, 4), num_batches(10, 4, drop_last=True)
        (3, 2)
    """
    n = integer(n, "n", "num_batches", minimum=0)
    batch_size = positive_int(batch_size, "batch_size", "num_batches")
    return n // batch_size if drop_last else -(-n // batch_size)


def _as_arrays(arrays: Any) -> list[Any]:
    if isinstance(arrays, np.ndarray | jax.Array) or not isinstance(arrays, Sequence):
        raise TypeError(
            "batches: arrays must be a sequence of arrays, such as (x, y); "
            f"got {type(arrays).__name__}. For one array, pass (x,)."
        )
    if not arrays:
        raise ValueError("batches: arrays is empty; pass at least one array.")
    arrays = [a if isinstance(a, np.ndarray | jax.Array) else np.asarray(a) for a in arrays]
    if any(a.ndim == 0 for a in arrays):
        raise ValueError("batches: every array needs a first (example) axis; got a scalar.")
    lengths = tuple(a.shape[0] for a in arrays)
    if len(set(lengths)) > 1:
        raise ValueError(
            f"batches: arrays must have the same length along axis 0, got lengths {lengths}."
        )
    return arrays


def batches(
    arrays: Sequence[ArrayLike],
    batch_size: int,
    *,
    key: jax.Array | None = None,
    drop_last: bool = False,
) -> Iterator[tuple[np.ndarray | jax.Array, ...]]:
    """Minibatches over the first axis of equally long arrays: one epoch.

    In order without `key`; shuffled by `jax.random.permutation(key, N)` with it, so
    the same key gives the same epoch (split the key for the next epoch). Arrays stay
    aligned: batch `i` of every array holds the same examples. numpy arrays yield numpy
    batches and JAX arrays yield JAX batches. Arguments are checked when `batches` is
    called, not at the first `next`.

    Args:
        arrays: `(N, ...)` arrays, such as `(x, y)` or a `Split`.
        batch_size: examples per batch, a positive int.
        key: PRNG key to shuffle with, or None for the stored order.
        drop_last: drop a last batch smaller than `batch_size`, as PyTorch's
            `DataLoader(drop_last=True)` does.

    Yields:
        Tuples with one `(B, ...)` batch per array; `B == batch_size` except possibly
        for the last batch. `num_batches(N, batch_size, drop_last)` batches in all.

    Raises:
        TypeError: if `arrays` is a single array or `batch_size` is not an int.
        ValueError: if the lengths differ or `batch_size` is not positive.

    Examples:
        >>> import jax
        >>> import numpy as np
        >>> from funcnet.data import batches
        >>> x, y = np.arange(10).reshape(5, 2), np.arange(5)
        >>> [b_y.tolist() for _, b_y in batches((x, y), 2)]
        [[0, 1], [2, 3], [4]]
        >>> sorted(int(i) for _, b_y in batches((x, y), 2, key=jax.random.key(0)) for i in b_y)
        [0, 1, 2, 3, 4]
    """
    arrays = _as_arrays(arrays)
    batch_size = positive_int(batch_size, "batch_size", "batches")
    n = arrays[0].shape[0]
    order = None
    if key is not None:
        check_key(key, "batches")
        order = np.asarray(jax.random.permutation(key, n))
    return _batches(arrays, n, batch_size, order, drop_last)


def _batches(arrays, n, batch_size, order, drop_last):
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        end = start + batch_size
        index = slice(start, end) if order is None else order[start:end]
        yield tuple(array[index] for array in arrays)


def _check_split_options(test_fraction: Any, dtype: DTypeLike, caller: str) -> np.dtype:
    real(test_fraction, "test_fraction", caller, wanted="a float")
    if not 0 < test_fraction < 1:
        raise ValueError(f"{caller}: test_fraction must be in (0, 1), got {test_fraction}.")
    return floating_dtype(dtype, caller)


def _sklearn(caller: str) -> Any:
    try:
        import sklearn.datasets
        import sklearn.model_selection
    except ImportError as error:
        raise ImportError(
            f"{caller} needs scikit-learn: pip install 'funcnet[examples]'"
        ) from error
    return sklearn


def _stratified_split(sklearn, x, y, test_fraction, seed):
    x_train, x_test, y_train, y_test = sklearn.model_selection.train_test_split(
        x, y, test_size=test_fraction, stratify=y, random_state=seed
    )
    return (x_train, y_train.astype(np.int32)), (x_test, y_test.astype(np.int32))


def load_digits(
    *,
    test_fraction: float = 0.2,
    seed: int = 0,
    image: bool = False,
    dtype: DTypeLike = np.float32,
) -> Dataset:
    """scikit-learn's bundled handwritten digits: 1,797 8x8 images, 10 classes.

    No download: the data ships with scikit-learn (a copy of the UCI optical digits
    test set). Pixels, 0 to 16 in the source, are divided by 16 into $[0, 1]$. The split
    is stratified (each class keeps its share in both splits) with a fixed `seed`.

    Args:
        test_fraction: the share of examples held out for the test split.
        seed: `random_state` of scikit-learn's `train_test_split`.
        image: give `x` as `(N, 1, 8, 8)` NCHW images instead of `(N, 64)` vectors.
        dtype: the floating dtype of `x`.

    Returns:
        A `Dataset`: `x` of shape `(N, 64)` or `(N, 1, 8, 8)`, `y` `(N,)` int32 in
        `0..9`; 1,437 training and 360 test examples at the default fraction.

    Raises:
        ImportError: if scikit-learn is not installed.

    Examples:
        >>> from funcnet.data import load_digits
        >>> digits = load_digits(image=True)
        >>> digits.train.x.shape, digits.test.x.shape, digits.num_classes
        ((1437, 1, 8, 8), (360, 1, 8, 8), 10)
    """
    dtype = _check_split_options(test_fraction, dtype, "load_digits")
    sklearn = _sklearn("load_digits")
    bunch = sklearn.datasets.load_digits()
    (x_train, y_train), (x_test, y_test) = _stratified_split(
        sklearn, bunch.data / 16.0, bunch.target, test_fraction, seed
    )
    shape = (-1, 1, 8, 8) if image else (-1, 64)
    return Dataset(
        Split(x_train.reshape(shape).astype(dtype), y_train),
        Split(x_test.reshape(shape).astype(dtype), y_test),
        10,
        "digits",
    )


def load_iris(
    *, test_fraction: float = 0.2, seed: int = 0, dtype: DTypeLike = np.float32
) -> Dataset:
    """scikit-learn's bundled iris flowers: 150 examples, 4 features, 3 classes.

    Features are standardised, $(x - \\mu) / \\sigma$, with the mean and standard
    deviation of the TRAINING split only, so nothing about the test split leaks into
    training. The split is stratified with a fixed `seed`.

    Args:
        test_fraction: the share of examples held out for the test split.
        seed: `random_state` of scikit-learn's `train_test_split`.
        dtype: the floating dtype of `x`.

    Returns:
        A `Dataset`: `x` `(N, 4)`, `y` `(N,)` int32 in `0..2`; 120 training and 30
        test examples at the default fraction.

    Raises:
        ImportError: if scikit-learn is not installed.

    Examples:
        >>> from funcnet.data import load_iris
        >>> iris = load_iris()
        >>> iris.train.x.shape, iris.test.x.shape, iris.num_classes
        ((120, 4), (30, 4), 3)
        >>> iris.train.x.mean(axis=0).round(6).tolist()
        [0.0, 0.0, 0.0, 0.0]
    """
    dtype = _check_split_options(test_fraction, dtype, "load_iris")
    sklearn = _sklearn("load_iris")
    bunch = sklearn.datasets.load_iris()
    (x_train, y_train), (x_test, y_test) = _stratified_split(
        sklearn, bunch.data, bunch.target, test_fraction, seed
    )
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    return Dataset(
        Split(((x_train - mean) / std).astype(dtype), y_train),
        Split(((x_test - mean) / std).astype(dtype), y_test),
        3,
        "iris",
    )


def _check_generated(key: Any, n: Any, noise: Any, test_fraction: Any, dtype, caller: str):
    check_key(key, caller)
    n = positive_int(n, "n", caller)
    dtype = _check_split_options(test_fraction, dtype, caller)
    if n < 2:
        raise ValueError(f"{caller}: n must be at least 2 to fill a train and a test split.")
    if not (isinstance(noise, int | float) and math.isfinite(noise) and noise >= 0):
        raise ValueError(f"{caller}: noise must be a finite number >= 0, got {noise!r}.")
    return n, dtype


def _normal(key: jax.Array, shape: tuple[int, ...]) -> np.ndarray:
    # float32 draws give the same numbers with and without jax_enable_x64.
    return np.asarray(jax.random.normal(key, shape, dtype=jnp.float32), dtype=np.float64)


def _shuffle_split(key, x, y, test_fraction, dtype, num_classes, name) -> Dataset:
    """Shuffle, then hold out the first ceil(n * test_fraction) as the test split."""
    order = np.asarray(jax.random.permutation(key, len(x)))
    x, y = x[order].astype(dtype), y[order]
    n_test = min(max(math.ceil(len(x) * test_fraction), 1), len(x) - 1)
    return Dataset(Split(x[n_test:], y[n_test:]), Split(x[:n_test], y[:n_test]), num_classes, name)


def two_moons(
    key: jax.Array,
    n: int = 500,
    noise: float = 0.1,
    *,
    test_fraction: float = 0.2,
    dtype: DTypeLike = np.float32,
) -> Dataset:
    """Two interleaving half circles, the classic non-linearly-separable toy set.

    As scikit-learn's `make_moons`: class 0 on the upper unit half circle
    $(\\cos t, \\sin t)$, class 1 on $(1 - \\cos t, \\tfrac12 - \\sin t)$, $t \\in [0, \\pi]$,
    plus Gaussian noise of standard deviation `noise`.

    Args:
        key: PRNG key for the noise and the shuffle.
        n: total examples (train + test); classes get `n // 2` and `n - n // 2`.
        noise: standard deviation of the noise added to each coordinate.
        test_fraction: the share of examples held out for the test split.
        dtype: the floating dtype of `x`.

    Returns:
        A `Dataset`: `x` `(N, 2)`, `y` `(N,)` int32 in `{0, 1}`.

    Examples:
        >>> import jax
        >>> from funcnet.data import two_moons
        >>> moons = two_moons(jax.random.key(0))
        >>> moons.train.x.shape, moons.test.x.shape, moons.num_classes
        ((400, 2), (100, 2), 2)
    """
    n, dtype = _check_generated(key, n, noise, test_fraction, dtype, "two_moons")
    noise_key, order_key = jax.random.split(key)
    outer = np.linspace(0.0, np.pi, n // 2)
    inner = np.linspace(0.0, np.pi, n - n // 2)
    x = np.concatenate(
        [
            np.stack([np.cos(outer), np.sin(outer)], axis=1),
            np.stack([1.0 - np.cos(inner), 0.5 - np.sin(inner)], axis=1),
        ]
    )
    y = np.repeat(np.array([0, 1], np.int32), [n // 2, n - n // 2])
    x = x + noise * _normal(noise_key, x.shape)
    return _shuffle_split(order_key, x, y, test_fraction, dtype, 2, "two_moons")


def spirals(
    key: jax.Array,
    n: int = 600,
    classes: int = 3,
    noise: float = 0.2,
    *,
    test_fraction: float = 0.2,
    dtype: DTypeLike = np.float32,
) -> Dataset:
    """Interleaved spiral arms, one per class (the CS231n spiral set).

    Class $c$ has points $r(\\sin t, \\cos t)$ with radius $r$ from 0 to 1 and angle
    $t$ from $4c$ to $4(c + 1)$ radians plus Gaussian noise of standard deviation
    `noise` (noise on the angle, so it grows with the radius).

    Args:
        key: PRNG key for the noise and the shuffle.
        n: total examples (train + test), shared as evenly as possible by the classes.
        classes: the number of spiral arms (at least 2).
        noise: standard deviation of the angle noise, in radians.
        test_fraction: the share of examples held out for the test split.
        dtype: the floating dtype of `x`.

    Returns:
        A `Dataset`: `x` `(N, 2)` inside the unit disc, `y` `(N,)` int32 in
        `0..classes - 1`.

    Examples:
        >>> import jax
        >>> from funcnet.data import spirals
        >>> data = spirals(jax.random.key(0), n=300, classes=3)
        >>> data.train.x.shape, data.test.x.shape, data.num_classes
        ((240, 2), (60, 2), 3)
    """
    n, dtype = _check_generated(key, n, noise, test_fraction, dtype, "spirals")
    classes = positive_int(classes, "classes", "spirals")
    if classes < 2 or n < classes:
        raise ValueError(f"spirals: need 2 <= classes <= n, got classes={classes}, n={n}.")
    counts = [n // classes + (c < n % classes) for c in range(classes)]
    noise_key, order_key = jax.random.split(key)
    jitter = noise * _normal(noise_key, (n,))
    radius = np.concatenate([np.linspace(0.0, 1.0, m) for m in counts])
    angle = np.concatenate([np.linspace(4.0 * c, 4.0 * (c + 1), m) for c, m in enumerate(counts)])
    angle = angle + jitter
    x = np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1)
    y = np.repeat(np.arange(classes, dtype=np.int32), counts)
    return _shuffle_split(order_key, x, y, test_fraction, dtype, classes, "spirals")


def regression_1d(
    key: jax.Array,
    n: int = 256,
    function: Callable[[np.ndarray], np.ndarray] = np.sin,
    low: float = -np.pi,
    high: float = np.pi,
    noise: float = 0.0,
    *,
    test_fraction: float = 0.2,
    dtype: DTypeLike = np.float32,
) -> Dataset:
    """Samples of a 1-D function, $y = f(x) + \\varepsilon$, for regression demos.

    $x$ is uniform on `[low, high]`; $\\varepsilon$ is Gaussian with standard deviation
    `noise`. `function` is applied to a float64 numpy array of shape `(n, 1)` holding
    the inputs exactly as returned (already rounded to `dtype`).

    Args:
        key: PRNG key for the inputs, the noise and the shuffle.
        n: total examples (train + test).
        function: a numpy function of an `(n, 1)` array returning an `(n, 1)` array.
        low: the smallest input.
        high: the largest input; must exceed `low`.
        noise: standard deviation of the noise added to the targets.
        test_fraction: the share of examples held out for the test split.
        dtype: the floating dtype of `x` and `y`.

    Returns:
        A `Dataset`: `x` `(N, 1)` and `y` `(N, 1)`, both `dtype`; `num_classes` None.

    Examples:
        >>> import jax
        >>> import numpy as np
        >>> from funcnet.data import regression_1d
        >>> data = regression_1d(jax.random.key(0), n=100)
        >>> data.train.x.shape, data.train.y.shape, data.num_classes
        ((80, 1), (80, 1), None)
        >>> bool(np.allclose(data.train.y, np.sin(data.train.x), atol=1e-6))
        True
    """
    n, dtype = _check_generated(key, n, noise, test_fraction, dtype, "regression_1d")
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise ValueError(f"regression_1d: need finite low < high, got low={low}, high={high}.")
    x_key, noise_key, order_key = jax.random.split(key, 3)
    unit = np.asarray(jax.random.uniform(x_key, (n, 1), dtype=jnp.float32), dtype=np.float64)
    # Targets are computed from the inputs as returned, after rounding to `dtype`.
    x = (low + (high - low) * unit).astype(dtype).astype(np.float64)
    y = np.asarray(function(x), dtype=np.float64)
    if y.shape != x.shape:
        raise ValueError(
            f"regression_1d: function must map an (n, 1) array to an (n, 1) array; "
            f"it returned shape {y.shape} for input shape {x.shape}."
        )
    y = (y + noise * _normal(noise_key, y.shape)).astype(dtype)
    return _shuffle_split(order_key, x, y, test_fraction, dtype, None, "regression_1d")
