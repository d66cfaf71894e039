"""Hypothesis strategies for the trust suites: shapes, value regimes, keyword arguments.

Shapes come from a short menu so that JAX's per-shape compilations are reused across
examples and operators. Values are drawn per array from a *regime*:

- `normal`: moderate values in [-4, 4];
- `huge`: magnitudes in [1e3, 1e30] (representable in float32);
- `tiny`: magnitudes in [1e-30, 1e-3];
- `zeros`: exact zeros (the kinks of ReLU, L1, ...);
- `ties`: a few repeated small integers (ties in max, argmax, and kinks);
- `mixed`: every element from any of the above;
- `large` and `mixed_no_huge` (not in `REGIMES`): magnitudes in [1e3, 1e18], and every
  element from any regime but `huge`: squares of deviations from the mean, summed
  over a few dozen elements, stay finite in float32 (`SQUARABLE`).

Every value is a float32 number, so a float32 case and a float64 case draw the same
numbers and the two dtypes differ only in the arithmetic. None is subnormal: XLA on
CPU flushes float32 subnormals to zero and PyTorch does not, a platform difference
rather than funcnet's.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

REGIMES = ("normal", "huge", "tiny", "zeros", "ties", "mixed")
# Matrix products and window sums cancel: huge entries next to normal ones make the
# result depend on summation order, which PyTorch and XLA do not share.
NO_HUGE = ("normal", "tiny", "zeros", "ties")
# Normalisation layers square deviations from the mean: in float32 a deviation beyond
# about 1.8e19 overflows (a documented convention of the batch and layer norms).
SQUARABLE = ("normal", "large", "tiny", "zeros", "ties", "mixed_no_huge")

BATCH_SIZES = (0, 1, 2, 3)
FEATURE_SIZES = (1, 2, 3)


def _f32(value: float) -> float:
    return float(np.float32(value))


_NORMAL = st.floats(-4.0, 4.0, width=32, allow_subnormal=False)
_HUGE = st.floats(_f32(1e3), _f32(1e30), width=32)
_TINY = st.floats(_f32(1e-30), _f32(1e-3), width=32)
_SIGN = st.sampled_from([-1.0, 1.0])
_ELEMENTS = {
    "normal": _NORMAL,
    "huge": st.builds(lambda s, v: s * v, _SIGN, _HUGE),
    "tiny": st.builds(lambda s, v: s * v, _SIGN, _TINY),
    "zeros": st.just(0.0),
    "ties": st.sampled_from([-1.0, 0.0, 1.0, 2.0]),
}
_ELEMENTS["mixed"] = st.one_of(*_ELEMENTS.values())
_ELEMENTS["large"] = st.builds(
    lambda s, v: s * v, _SIGN, st.floats(_f32(1e3), _f32(1e18), width=32)
)
_ELEMENTS["mixed_no_huge"] = st.one_of(
    *(_ELEMENTS[r] for r in ("normal", "large", "tiny", "zeros", "ties"))
)
# Smooth points for gradient checks: magnitudes well away from 0, no ties.
_SMOOTH = st.builds(lambda s, v: s * v, _SIGN, st.floats(0.25, 3.0, width=32))


# A fixed menu of shapes, so that the compilations JAX makes for one example are reused
# by the next ones (and by other operators): empty and size-1 axes, a scalar, and a few
# small shapes of ranks 1 to 4.
SHAPES = (
    (),
    (0,),
    (1,),
    (3,),
    (0, 3),
    (1, 3),
    (2, 3),
    (3, 1),
    (2, 0, 3),
    (2, 1, 3),
    (1, 2, 3),
    (2, 3, 1, 2),
)
# Gradient checks compile many transformations of each operator for every new shape:
# smooth cases use one shape, (2, 3), or the nearest rank the operator accepts.
SMOOTH_SHAPES = ((), (3,), (2, 3), (2, 1, 3), (2, 3, 1, 2))


def shapes(min_rank: int = 0, max_rank: int = 3, *, smooth: bool = False) -> st.SearchStrategy:
    """Shapes of rank `min_rank..max_rank` from `SHAPES` (one of `SMOOTH_SHAPES` if `smooth`)."""
    if smooth:
        return st.just(SMOOTH_SHAPES[min(max(2, min_rank), max_rank)])
    return st.sampled_from([shape for shape in SHAPES if min_rank <= len(shape) <= max_rank])


@st.composite
def floats(draw, shape, dtype, regimes=REGIMES, *, smooth: bool = False) -> np.ndarray:
    """A float array of `shape` and `dtype` from one drawn regime (or smooth values)."""
    if smooth:
        elements = _SMOOTH
    else:
        elements = _ELEMENTS[draw(st.sampled_from(regimes))]
    return draw(hnp.arrays(np.float32, shape, elements=elements)).astype(dtype)


@st.composite
def unit_floats(draw, shape, dtype, *, smooth: bool = False, edges: bool = True) -> np.ndarray:
    """Values in [0, 1]: uniform, or (with `edges`) also exact 0, 1 and near-edge values."""
    if smooth:
        elements = st.floats(_f32(0.2), _f32(0.8), width=32)
    elif edges and draw(st.booleans()):
        elements = st.sampled_from([0.0, 1.0, _f32(1e-30), _f32(1e-7), 0.5, _f32(1 - 1e-7)])
    else:
        elements = st.floats(0.0, 1.0, width=32, allow_subnormal=False)
    return draw(hnp.arrays(np.float32, shape, elements=elements)).astype(dtype)


@st.composite
def labels(draw, shape, classes: int) -> np.ndarray:
    """Integer labels in `[0, classes)`."""
    return draw(hnp.arrays(np.int64, shape, elements=st.integers(0, classes - 1)))


@st.composite
def distinct(draw, shape, dtype) -> np.ndarray:
    """Values spaced at least 0.1 apart in random order: no ties, for max-pool gradients."""
    size = int(np.prod(shape))
    order = draw(st.permutations(range(size)))
    return (np.asarray(order, dtype) * 0.1 - 0.05 * size).reshape(shape).astype(dtype)


def seeds() -> st.SearchStrategy:
    """Seeds for `np.random.default_rng`: cotangents are drawn from them."""
    return st.integers(0, 2**32 - 1)
