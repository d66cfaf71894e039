"""Key numbers of the report against independent numeric computations.

The checks compute with SymPy (and mpmath where they must); these tests recompute the
same numbers another way: numpy grids, scipy quadrature, mpmath root finding and
numerical Taylor coefficients, exact power-series division with ``fractions``.
"""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest
from scipy import integrate, special, stats

from derivations import Result
from derivations.affine import _hinge_network
from derivations.fourier import GIBBS_ORDERS, MSE_ORDERS
from derivations.taylor import ORDER, sigmoid_coefficient


def _square_partial_sum(order: int, x: np.ndarray) -> np.ndarray:
    odd = np.arange(1, order + 1, 2)
    return 4 / np.pi * (np.sin(np.outer(x, odd)) / odd).sum(axis=1)


@pytest.mark.parametrize("order", [99, 199, 999])
def test_gibbs_overshoot_on_a_dense_grid(results: dict[str, Result], order: int) -> None:
    x = np.linspace(1e-9, 3 * np.pi / (order + 1), 4001)
    overshoot = (_square_partial_sum(order, x).max() - 1) / 2
    assert results["fourier.gibbs"].values["overshoot"][str(order)] == pytest.approx(
        overshoot, abs=1e-7
    )


def test_gibbs_first_peak_is_the_global_maximum() -> None:
    x = np.linspace(1e-9, np.pi - 1e-9, 200001)
    s = _square_partial_sum(99, x)
    assert x[np.argmax(s)] == pytest.approx(np.pi / 100, abs=1e-4)


def test_gibbs_limit_is_si_pi(results: dict[str, Result]) -> None:
    gibbs = results["fourier.gibbs"].values
    si_pi = special.sici(np.pi)[0]
    assert gibbs["limit"] == pytest.approx(si_pi / np.pi - 0.5, abs=1e-15)
    assert gibbs["limit"] == pytest.approx(0.0895, abs=5e-5)  # the textbook 8.95 %
    assert all(v > 0.0894 for v in gibbs["overshoot"].values())  # it does not vanish
    assert len(gibbs["overshoot"]) == len(GIBBS_ORDERS)


def _wave(name: str, x: np.ndarray) -> np.ndarray:
    return {"square": np.sign(x), "sawtooth": x, "triangle": np.abs(x)}[name]


def _partial_sum(name: str, order: int, x: np.ndarray) -> np.ndarray:
    n = np.arange(1, order + 1)
    if name == "square":
        return (np.sin(np.outer(x, n)) * (2 * (1 - (-1.0) ** n) / (n * np.pi))).sum(axis=1)
    if name == "sawtooth":
        return (np.sin(np.outer(x, n)) * (2 * (-1.0) ** (n + 1) / n)).sum(axis=1)
    return np.pi / 2 + (np.cos(np.outer(x, n)) * (2 * ((-1.0) ** n - 1) / (np.pi * n**2))).sum(
        axis=1
    )


@pytest.mark.parametrize("name", ["square", "sawtooth", "triangle"])
def test_mse_table_by_quadrature(results: dict[str, Result], name: str) -> None:
    table = results["fourier.mse_table"].values[name]
    for order in MSE_ORDERS:

        def squared_error(t: float, order: int = order) -> float:
            x = np.array([t])
            return float((_wave(name, x) - _partial_sum(name, order, x))[0] ** 2)

        # epsabs=0: the triangle errors are ~1e-7, below quad's default absolute tolerance.
        halves = [
            integrate.quad(squared_error, a, b, limit=2000, epsabs=0, epsrel=1e-10)[0]
            for a, b in ((-np.pi, 0), (0, np.pi))
        ]
        assert table[str(order)] == pytest.approx(sum(halves) / (2 * np.pi), rel=1e-6)


def test_fourier_coefficients_by_quadrature() -> None:
    for m in range(1, 6):
        b_square = 2 / np.pi * integrate.quad(lambda t, m=m: np.sin(m * t), 0, np.pi)[0]
        assert b_square == pytest.approx(4 / (m * np.pi) if m % 2 else 0, abs=1e-12)


_FUNCTIONS = {
    "exp": mpmath.exp,
    "sin": mpmath.sin,
    "cos": mpmath.cos,
    "sigmoid": lambda t: 1 / (1 + mpmath.exp(-t)),
    "tanh": mpmath.tanh,
}


@pytest.mark.parametrize("name", list(_FUNCTIONS))
def test_maclaurin_coefficients_by_numeric_differentiation(
    results: dict[str, Result], name: str
) -> None:
    table = results["taylor.maclaurin"].values[name]
    with mpmath.workdps(50):
        numeric = mpmath.taylor(_FUNCTIONS[name], 0, ORDER)
        for k, c in enumerate(numeric):
            exact = Fraction(table.get(str(k), "0"))
            assert abs(c - mpmath.mpf(exact.numerator) / exact.denominator) < mpmath.mpf(10) ** -30


def _sigmoid_series_by_division(degree: int) -> list[Fraction]:
    # 1 / (1 + e^{-z}) as a power series: divide 1 by the series of 1 + e^{-z}.
    denominator = [Fraction((-1) ** k, math.factorial(k)) for k in range(degree + 1)]
    denominator[0] += 1
    quotient: list[Fraction] = []
    for k in range(degree + 1):
        rest = (1 if k == 0 else 0) - sum(quotient[j] * denominator[k - j] for j in range(k))
        quotient.append(rest / denominator[0])
    return quotient


def test_sigmoid_coefficients_by_power_series_division() -> None:
    series = _sigmoid_series_by_division(61)
    assert all(Fraction(str(sigmoid_coefficient(k))) == c for k, c in enumerate(series))
    # Root test: |c_k|^(-1/k) tends to the radius of convergence, pi.
    assert abs(float(abs(series[61])) ** (-1 / 61) - np.pi) < 0.05


def test_radii_from_complex_roots(results: dict[str, Result]) -> None:
    radii = results["taylor.radii"].values
    sigmoid_pole = mpmath.findroot(lambda w: 1 + mpmath.exp(-w), 3j)
    tanh_pole = mpmath.findroot(mpmath.cosh, 1.5j)
    assert radii["sigmoid"]["pole"] == pytest.approx(float(abs(sigmoid_pole)), abs=1e-12)
    assert radii["tanh"]["pole"] == pytest.approx(float(abs(tanh_pole)), abs=1e-12)
    assert radii["sigmoid"]["pole"] == pytest.approx(np.pi, abs=1e-15)
    assert radii["tanh"]["pole"] == pytest.approx(np.pi / 2, abs=1e-15)


def test_taylor_divergence_outside_radius(results: dict[str, Result]) -> None:
    errors = results["taylor.divergence_outside"].values["errors"]
    degree = results["taylor.divergence_outside"].values["degrees"][-1]
    series = _sigmoid_series_by_division(degree)
    for at in (2.0, 4.0):
        value = sum(float(c) * at**k for k, c in enumerate(series))
        assert errors[f"sigmoid({at:g})"][-1] == pytest.approx(
            abs(value - special.expit(at)), rel=1e-6, abs=1e-14
        )


def test_centring_by_quadrature(results: dict[str, Result]) -> None:
    means = results["activations.centring"].values
    for mean in (0, 1):
        sig = integrate.quad(lambda t, m=mean: special.expit(t) * stats.norm.pdf(t, m), -40, 40)
        tan = integrate.quad(lambda t, m=mean: np.tanh(t) * stats.norm.pdf(t, m), -40, 40)
        assert means[f"sigmoid_N({mean},1)"] == pytest.approx(sig[0], abs=1e-9)
        assert means[f"tanh_N({mean},1)"] == pytest.approx(tan[0], abs=1e-9)


def test_saturation_and_peak_slopes(results: dict[str, Result]) -> None:
    table = results["activations.saturation"].values["sigmoid_prime"]
    for z, value in table.items():
        s = special.expit(float(z))
        assert value == pytest.approx(s * (1 - s), rel=1e-12)
    grid = np.linspace(-10, 10, 20001)
    s = special.expit(grid)
    assert results["activations.sigmoid_derivative_max"].values["max"] == (s * (1 - s)).max()
    assert (
        results["activations.tanh_derivative_max"].values["max"] == (1 - np.tanh(grid) ** 2).max()
    )


def test_tanh_is_not_arctan(results: dict[str, Result]) -> None:
    values = results["activations.tanh_not_arctan"].values
    assert values["tanh(1)"] == pytest.approx(np.tanh(1.0), abs=1e-15)
    assert values["atan(1)"] == pytest.approx(np.arctan(1.0), abs=1e-15)


def test_double_softmax_loss_floor(results: dict[str, Result]) -> None:
    floors = results["softmax.double_softmax"].values["floor"]
    rng = np.random.default_rng(0)
    for n in (2, 3, 4, 5):
        p = rng.dirichlet(np.ones(n), size=5000)
        loss = special.logsumexp(p, axis=1) - p[:, 0]  # cross-entropy of softmax(p), y = 0
        assert loss.min() >= floors[str(n)] - 1e-12
        vertex = np.eye(n)[0]
        assert special.logsumexp(vertex) - 1 == pytest.approx(floors[str(n)], abs=1e-12)


def test_precision_recall_pieces(results: dict[str, Result]) -> None:
    values = results["convexity.precision_recall_piecewise_constant"].values
    features, labels = np.array([-2, -1, 1, 2, 3]), np.array([0, 1, 0, 1, 1])
    for w, (precision, recall) in values["pieces"].items():
        predicted = (float(Fraction(w)) * features + 0.5) > 0
        true_positive = (predicted & (labels == 1)).sum()
        assert float(Fraction(precision)) == pytest.approx(true_positive / predicted.sum())
        assert float(Fraction(recall)) == pytest.approx(true_positive / labels.sum())


def test_relu_network_is_the_linear_interpolant(results: dict[str, Result]) -> None:
    x = np.linspace(0, np.pi, 5001)
    for width in (4, 16, 64):
        knots = np.linspace(0, np.pi, width + 1)
        interpolant = np.interp(x, knots, np.sin(knots))
        assert np.max(np.abs(_hinge_network(np.sin, width, x) - interpolant)) < 1e-12
        error = results["affine.relu_network_interpolates"].values["max_error"][str(width)]
        assert np.max(np.abs(interpolant - np.sin(x))) == pytest.approx(error, rel=1e-3)


def test_crosscheck_errors_are_tiny(results: dict[str, Result]) -> None:
    errors = results["crosscheck.derivatives"].values["max_error"]
    assert max(v for k, v in errors.items() if k != "softplus") <= 1e-12
    assert errors["softplus"] == pytest.approx(special.expit(-20.0), rel=1e-3)
