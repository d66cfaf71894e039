"""The numbers behind the mathematics pages' figures, against independent references.

Each figure is drawn from a data function in `derivations.figures`; these tests compare
those numbers with what SciPy, mpmath, NumPy or SymPy compute on their own (or a
textbook value), and check that the pages' generated claim blocks cover the ledger.
"""

from __future__ import annotations

import io
import pathlib

import mpmath
import numpy as np
import pytest
import scipy.integrate
import scipy.optimize
import scipy.special
import sympy as sp

from derivations.claims import CLAIMS
from derivations.figures import FIGURES, activations, affine, approximation, fourier, losses
from derivations.figures import taylor as taylor_figures

ROOT = pathlib.Path(__file__).resolve().parents[2]


# Activations -------------------------------------------------------------------------


def _off_kinks(curve: activations.ActivationCurve) -> np.ndarray:
    return ~np.isin(curve.z, [kink.at for kink in curve.kinks])


@pytest.mark.parametrize("name", activations.NAMES)
def test_symbolic_derivative_equals_jax_grad_of_funcnet(name):
    curve = activations.activation_data()[name]
    keep = _off_kinks(curve)
    np.testing.assert_allclose(curve.grad[keep], curve.derivative[keep], rtol=0, atol=1e-12)


# Each derivative written with SciPy's special functions, independently of SymPy.
def _scipy_derivative(name: str, z: np.ndarray) -> np.ndarray:
    s = scipy.special.expit(z)
    phi = np.exp(-(z**2) / 2) / np.sqrt(2 * np.pi)
    return {
        "sigmoid": s * (1 - s),
        "tanh": 1 - np.tanh(z) ** 2,
        "relu": (z > 0).astype(float),
        "leaky_relu": np.where(z > 0, 1.0, 0.2),
        "elu": np.where(z > 0, 1.0, np.exp(z)),
        "gelu": scipy.special.ndtr(z) + z * phi,
        "softplus": s,
        "silu": s * (1 + z * (1 - s)),
    }[name]


@pytest.mark.parametrize("name", activations.NAMES)
def test_derivatives_match_scipy(name):
    curve = activations.activation_data()[name]
    np.testing.assert_allclose(
        curve.derivative, _scipy_derivative(name, curve.z), rtol=0, atol=1e-12
    )


def test_kinks_carry_both_slopes_and_pytorchs_convention():
    curves = activations.activation_data()
    kinks = {name: curve.kinks for name, curve in curves.items() if curve.kinks}
    # PyTorch's backward at 0: ReLU gives 0, LeakyReLU gives negative_slope; ELU with
    # alpha = 1 has equal one-sided slopes (1), so it has no kink to mark.
    assert kinks == {
        "relu": (activations.Kink(0.0, 0.0, 1.0, 0.0),),
        "leaky_relu": (activations.Kink(0.0, 0.2, 1.0, 0.2),),
    }


def test_sigmoid_saturation_starts_where_its_slope_drops_below_the_threshold():
    curve = activations.activation_data()["sigmoid"]
    slope = lambda z: scipy.special.expit(z) * (1 - scipy.special.expit(z))  # noqa: E731
    edge = scipy.optimize.brentq(lambda z: slope(z) - activations.SATURATED, 0.0, 10.0)
    spacing = curve.z[1] - curve.z[0]
    (left, right) = curve.saturated
    assert left[1] == pytest.approx(-edge, abs=spacing) and right[0] == pytest.approx(
        edge, abs=spacing
    )


def test_sigmoid_peak_slope_is_a_quarter_and_bounds_every_chain():
    data = activations.vanishing_data()
    z = sp.Symbol("z", real=True)
    slope = sp.diff(1 / (1 + sp.exp(-z)), z)
    assert data.peak == slope.subs(z, 0) == sp.Rational(1, 4)
    found = scipy.optimize.minimize_scalar(
        lambda t: -scipy.special.expit(t) * (1 - scipy.special.expit(t)), bounds=(-5, 5)
    )
    assert -found.fun == pytest.approx(0.25, abs=1e-12) and found.x == pytest.approx(0, abs=1e-4)
    assert np.array_equal(data.bound, 0.25**data.depths)
    for start, slopes in data.chains.items():
        # The chain rule by hand: h_k = sigmoid(h_{k-1}), slope = prod sigmoid'(h_{i-1}).
        h, product, expected = start, 1.0, []
        for _ in data.depths:
            product *= scipy.special.expit(h) * (1 - scipy.special.expit(h))
            h = scipy.special.expit(h)
            expected.append(product)
        np.testing.assert_allclose(slopes, expected, rtol=1e-12)
        assert np.all(slopes <= data.bound)


# The affine collapse ------------------------------------------------------------------


def test_collapsed_map_equals_the_stack():
    fit = affine.affine_data()
    first, second = fit.params
    weight = second["weight"] @ first["weight"]  # (1, 1)
    bias = second["weight"] @ first["bias"] + second["bias"]  # (1,)
    assert fit.weight == pytest.approx(weight.item(), abs=1e-12)
    assert fit.bias == pytest.approx(bias.item(), abs=1e-12)
    by_hand = (fit.x[:, None] @ first["weight"].T + first["bias"]) @ second["weight"].T
    np.testing.assert_allclose(fit.stack, by_hand[:, 0] + second["bias"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(fit.collapsed, fit.stack, rtol=0, atol=1e-12)
    assert fit.gap < 1e-12


def test_symbolic_collapse_is_affine_with_the_product_weight():
    c = affine.collapse(3)
    w1, b1, w2, b2 = c.symbols
    assert c.curvature == 0
    assert sp.expand(c.weight - (w2 * w1)[0]) == 0
    assert sp.expand(c.bias - (w2 * b1 + b2)[0]) == 0


def test_without_activation_no_better_than_a_line_with_tanh_much_better():
    fit = affine.affine_data()
    slope, intercept = np.polyfit(fit.x, fit.y, 1)
    best_line = float(np.mean((slope * fit.x + intercept - fit.y) ** 2))
    assert fit.mse["line"] == pytest.approx(best_line, rel=1e-12)
    assert fit.mse["stack"] >= best_line - 1e-12  # least squares is optimal among lines
    assert fit.mse["stack"] <= 1.01 * best_line  # and training reached it
    assert fit.mse["tanh"] < 0.01 * best_line


# Fourier ------------------------------------------------------------------------------


def test_gibbs_overshoot_read_off_the_plot_converges_to_si_pi():
    data = fourier.gibbs_data()
    limit = scipy.special.sici(np.pi)[0] / np.pi - 0.5
    assert data.limit == pytest.approx(limit, abs=1e-15)
    assert limit == pytest.approx(0.0895, abs=1e-4)  # the textbook 8.95 % of the jump
    assert abs(data.overshoot[-1] - limit) < 1e-3
    assert np.all(np.diff(np.abs(data.overshoot - limit)) <= 0)


@pytest.mark.parametrize("name", ["square", "sawtooth", "triangle"])
def test_mean_square_error_matches_quadrature_and_decreases(name):
    data = fourier.gibbs_data()
    errors = data.mse[name]
    assert np.all(np.diff(errors) <= 1e-15) and errors[-1] < errors[0] / 10
    for order in (1, 5, 16):
        # Gauss-Legendre on each half period, where the wave is smooth: exact to
        # rounding for these trigonometric polynomials and low-degree pieces.
        def integrand(x: np.ndarray, order: int = order) -> np.ndarray:
            return (fourier.wave_values(name, x) - fourier.partial_sum(name, order, x)) ** 2

        halves = ((-np.pi, 0.0), (0.0, np.pi))
        pieces = [scipy.integrate.fixed_quad(integrand, a, b, n=200)[0] for a, b in halves]
        assert errors[order - 1] == pytest.approx(sum(pieces) / (2 * np.pi), rel=1e-7)


def test_partial_sums_converge_where_the_wave_is_continuous():
    data = fourier.fourier_data()["triangle"]
    gaps = np.max(np.abs(data.sums - data.value), axis=1)
    assert np.all(np.diff(gaps) < 0) and gaps[-1] < 0.05


# Taylor -------------------------------------------------------------------------------


def test_taylor_coefficients_equal_sympy_series_and_mpmath():
    x = sp.Symbol("x")
    for name, f in (("sigmoid", 1 / (1 + sp.exp(-x))), ("tanh", sp.tanh(x))):
        series = sp.series(f, x, 0, 12).removeO()
        expected = [float(series.coeff(x, k)) for k in range(12)]
        np.testing.assert_array_equal(taylor_figures.taylor_coefficients(name, 11), expected)
    numeric = mpmath.taylor(mpmath.tanh, 0, 9)
    np.testing.assert_allclose(
        taylor_figures.taylor_coefficients("tanh", 9), [float(c) for c in numeric], atol=1e-12
    )


@pytest.mark.parametrize("name", ["sigmoid", "tanh"])
def test_taylor_error_shrinks_inside_the_radius_and_grows_outside(name):
    curves = taylor_figures.taylor_data()[name]
    inside, outside = curves.probes
    assert inside < curves.radius < outside
    assert np.all(np.diff(curves.errors[0]) < 0) and curves.errors[0][-1] < 1e-4
    assert np.all(np.diff(curves.errors[1]) > 0) and curves.errors[1][-1] > 100
    # The radius is the distance to the nearest pole: pi for sigmoid, pi/2 for tanh.
    assert curves.radius == pytest.approx({"sigmoid": np.pi, "tanh": np.pi / 2}[name])


def test_flat_function_has_an_all_zero_series():
    flat = taylor_figures.flat_data()
    assert not flat.coefficients.any() and not flat.series.any()
    assert flat.value[np.argmin(np.abs(flat.x - 1.0))] == pytest.approx(np.exp(-1.0))


# Three approximations -----------------------------------------------------------------


def test_fourier_coefficients_of_the_target_match_quadrature():
    a, b = approximation.fourier_coefficients(approximation.MAX_ORDER)
    half = approximation.HALF_WIDTH
    assert a[0] == pytest.approx(2 * np.arctan(half) / half, abs=1e-13)
    for n in (1, 2, 5, 11):
        expected = scipy.integrate.quad(
            lambda x, n=n: np.cos(n * np.pi * x / half) / (1 + x**2), -half, half
        )[0]
        assert a[n] == pytest.approx(expected / half, abs=1e-12)
    np.testing.assert_allclose(b, 0.0, atol=1e-12)


def test_mlp_error_is_honestly_small_and_every_error_finite():
    data = approximation.approximation_data()
    for method, errors in data.errors.items():
        assert np.all(np.isfinite(errors)), method
    mlp = data.errors["mlp"]
    assert mlp[-1] < 5e-3 and mlp[-1] < mlp[0]
    assert np.all(np.diff(data.errors["fourier"]) <= 1e-15)
    # Taylor at 0 cannot cover [-3, 3]: its radius is 1, and more terms make it worse.
    assert data.radius == 1.0 and data.errors["taylor"][-1] > 1e6


# Losses -------------------------------------------------------------------------------


def test_chord_gap_is_the_textbook_expression():
    data = losses.chord_data()
    a, b = losses.CHORD
    expected = data.lam * (1 - data.lam) * (a - b) ** 2
    np.testing.assert_allclose(data.gap, expected, rtol=0, atol=1e-12)
    assert data.gap.min() >= 0 >= data.negated_gap.max()


def test_landscape_minima_are_where_sympy_puts_them():
    data = losses.landscape_data()
    t = sp.Symbol("t", real=True)
    loss = (t * t - 1) ** 2
    critical = sp.solve(sp.diff(loss, t), t)
    minima = sorted(c for c in critical if sp.diff(loss, t, 2).subs(t, c) > 0)
    assert minima == [-1, 1]
    spacing = data.t[1] - data.t[0]
    assert data.minima == pytest.approx([float(m) for m in minima], abs=spacing)
    assert data.midpoint == float(loss.subs(t, 0)) == 1.0
    assert np.min(data.output_loss) == pytest.approx(0.0, abs=1e-5)


def test_accuracy_is_a_step_function_and_cross_entropy_is_not():
    data = losses.sweep_data()
    scores = data.w[:, None] * np.array(losses.FEATURES) + losses.BIAS
    labels = np.array(losses.LABELS)
    predicted = scores > 0
    np.testing.assert_allclose(data.accuracy, np.mean(predicted == labels, axis=1), atol=1e-12)
    hits = np.sum(predicted & (labels == 1), axis=1)
    precision = np.where(predicted.sum(axis=1) > 0, hits / np.maximum(predicted.sum(axis=1), 1), 0)
    np.testing.assert_allclose(data.precision, precision, atol=1e-12)
    ce = np.mean(np.logaddexp(0.0, scores) - labels * scores, axis=1)
    np.testing.assert_allclose(data.cross_entropy, ce, rtol=1e-12)
    assert len(np.unique(data.accuracy.round(12))) <= len(data.breakpoints) + 1
    accuracy_slope = np.gradient(data.accuracy, data.w)
    assert np.mean(np.abs(accuracy_slope) < 1e-9) > 0.98 and not data.grad_accuracy.any()
    ce_slope = np.gradient(data.cross_entropy, data.w)
    assert np.mean(np.abs(ce_slope) > 1e-6) > 0.99
    np.testing.assert_allclose(data.grad_cross_entropy[1:-1], ce_slope[1:-1], atol=1e-5)


# Drawing and pages --------------------------------------------------------------------


def test_every_figure_draws_with_titles_and_labels():
    for name, draw in FIGURES.items():
        fig = draw()
        width, height = fig.get_size_inches()
        assert 9 <= width <= 13 and 3.5 <= height <= 7.5, name
        for axis in fig.axes:
            if axis.get_label() == "<colorbar>":
                continue
            assert axis.get_title() and axis.get_xlabel(), (name, axis)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=40)
        assert buffer.getvalue().startswith(b"\x89PNG"), name


def test_every_claim_has_a_topic_page_that_shows_it():
    from docsite import mathpages

    for claim in CLAIMS:
        page = mathpages.PAGES[claim.id].page
        text = (ROOT / "docs" / "math" / f"{page}.md").read_text(encoding="utf-8")
        assert f"<!-- derivations:claim {claim.id} -->" in text, claim.id
    assert set(mathpages.PAGES) == {claim.id for claim in CLAIMS}


def test_every_figure_is_shown_on_a_page():
    pages = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "docs" / "math").glob("*.md"))
    for name in FIGURES:
        assert f"../figures/{name}.png" in pages, name


def test_every_check_is_listed_on_its_topic_page():
    import derivations
    from docsite import mathpages

    assert set(mathpages.TOPIC_PAGES) == set(derivations.TOPICS)
    for topic, page in mathpages.TOPIC_PAGES.items():
        text = (ROOT / "docs" / "math" / f"{page}.md").read_text(encoding="utf-8")
        assert f"<!-- derivations:topic {topic} -->" in text, topic


def test_claim_block_shows_the_quote_verdict_and_display_math(monkeypatch):
    import derivations
    from derivations.claims import judge
    from docsite import mathpages

    # One topic's checks are enough for a claim that rests on them alone.
    results = derivations.run(["activations"])
    claim = next(c for c in CLAIMS if c.id == "tanh_is_arctangent")
    row = {**claim.as_dict(), "decided": judge(claim, {r.id: r for r in results})}
    monkeypatch.setattr(mathpages, "report", lambda: (results, [row]))
    block = mathpages.claim_block(claim.id)
    assert "反正切函数" in block and '!!! failure "Verdict: wrong"' in block
    assert row["decided"] and "undecided" not in block
    shown = [r for r in results if r.id in claim.checks]
    formulas = sum(bool(r.statement) + bool(getattr(r, "steps", ())) for r in shown)
    assert formulas >= len(claim.checks) and block.count("$$") == 2 * formulas
    with pytest.raises(ValueError, match="unknown claim"):
        mathpages.expand("<!-- derivations:claim no_such_claim -->")
