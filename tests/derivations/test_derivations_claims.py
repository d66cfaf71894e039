"""The claims ledger: every verdict, and the checks that decide it."""

from __future__ import annotations

import pytest

from derivations import Result
from derivations.claims import CLAIMS, judge, required_topics

# The ledger's verdicts, one line per claim of the lesson.
EXPECTED = {
    "topological_order_needed": "holds",
    "graph_before_or_while_running": "holds with a caveat",
    "stacked_linear_is_linear": "holds",
    "alternating_layers_fit_anything": "holds with a caveat",
    "fourier_represents_any_function": "holds with a caveat",
    "everything_is_a_taylor_polynomial": "wrong",
    "forward_before_backward": "holds",
    "precision_recall_not_a_loss": "holds with a caveat",
    "mse_and_cross_entropy_differentiable": "holds",
    "continuity_necessary_not_sufficient": "holds",
    "loss_must_be_convex": "wrong",
    "convexity_definition": "wrong",
    "common_functions_convex": "holds with a caveat",
    "sigmoid_properties": "holds with a caveat",
    "sigmoid_slower_than_relu": "holds with a caveat",
    "tanh_is_arctangent": "wrong",
    "saturation_loss_is_zero": "wrong",
    "relu_derivative": "holds",
    "leaky_relu_differentiable_everywhere": "wrong",
    "softmax_then_cross_entropy": "wrong",
}
BY_ID = {claim.id: claim for claim in CLAIMS}


def test_ledger_covers_exactly_the_expected_claims() -> None:
    assert list(BY_ID) == list(EXPECTED)


@pytest.mark.parametrize(("claim_id", "verdict"), EXPECTED.items())
def test_verdict(results: dict[str, Result], claim_id: str, verdict: str) -> None:
    claim = BY_ID[claim_id]
    assert claim.verdict == verdict
    # For a wrong claim the deciding checks verify the corrected statement.
    for check in claim.checks:
        assert check in results, f"{claim_id} cites unknown check {check}"
        assert results[check].verified, results[check].detail
    assert judge(claim, results)


@pytest.mark.parametrize("claim_id", [c for c, v in EXPECTED.items() if v != "holds"])
def test_caveats_and_wrong_claims_carry_a_correction(claim_id: str) -> None:
    assert len(BY_ID[claim_id].correction) > 40


def test_a_failed_or_missing_check_leaves_a_verdict_undecided(
    results: dict[str, Result],
) -> None:
    claim = BY_ID["tanh_is_arctangent"]
    failed = dict(results)
    failed[claim.checks[0]] = Result(claim.checks[0], "activations", "c", "s", False)
    assert not judge(claim, failed)
    assert not judge(claim, {})


def test_required_topics_include_the_crosscheck() -> None:
    assert "crosscheck" in required_topics()


# --- measurements the ledger cites from the page "Activations compared" --------------


def _first_over_last(activation: str, seeds: int = 4) -> float:
    """The mean over `seeds` of the first layer's weight gradient norm over the last's, at
    initialisation, for the page's digits MLP (four hidden layers of 32)."""
    import jax
    import jax.numpy as jnp

    import funcnet
    from funcnet.models import mlp

    digits = funcnet.data.load_digits(seed=0)
    x, y = jnp.asarray(digits.train.x), jnp.asarray(digits.train.y)
    model = mlp(64, (32, 32, 32, 32), 10, activation=activation)

    def norms(seed):
        params = model.init(jax.random.split(jax.random.key(seed))[0], x.shape)
        grads = jax.grad(lambda p: funcnet.cross_entropy(model(p, x), y))(params)
        return jnp.stack([jnp.linalg.norm(g["weight"]) for g in grads if g])

    mean = jax.jit(jax.vmap(norms))(jnp.arange(seeds)).mean(0)
    return float(mean[0] / mean[-1])


def test_the_cited_vanishing_gradient_is_measured_as_the_ledger_says() -> None:
    correction = BY_ID["saturation_loss_is_zero"].correction
    assert "Activations compared" in correction and "about a thousandth" in correction
    assert 1e-4 < _first_over_last("sigmoid") < 1e-2  # about a thousandth
    for activation in ("tanh", "relu", "leaky_relu", "gelu", "silu"):
        assert 1 / 4 < _first_over_last(activation) < 4  # within a factor of four
