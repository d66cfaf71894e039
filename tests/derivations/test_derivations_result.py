"""The result values and the check runner."""

from __future__ import annotations

import json

import pytest

from derivations._result import VERDICTS, ClaimVerdict, Result, result, run_check


def test_result_topic_comes_from_id() -> None:
    r = result("fourier.gibbs", claim="c", statement="s", verified=1, values={"x": 1.5})
    assert (r.topic, r.verified, r.values["x"]) == ("fourier", True, 1.5)
    assert json.loads(json.dumps(r.as_dict()))["id"] == "fourier.gibbs"


def test_result_is_immutable() -> None:
    r = Result("a.b", "a", "c", "s", True)
    with pytest.raises(AttributeError):
        r.verified = False  # type: ignore[misc]


def test_claim_verdict_rejects_unknown_verdict() -> None:
    with pytest.raises(ValueError, match="verdict must be one of"):
        ClaimVerdict("x", "c", "mostly true", "", ("a.b",))  # type: ignore[arg-type]


def test_claim_verdict_needs_deciding_checks() -> None:
    with pytest.raises(ValueError, match="names no deciding checks"):
        ClaimVerdict("x", "c", "holds", "", ())


def test_verdicts_are_the_three_of_the_ledger() -> None:
    assert VERDICTS == ("holds", "holds with a caveat", "wrong")


def test_run_check_turns_an_exception_into_a_failed_result() -> None:
    def exploding() -> Result:
        """Divides by zero."""
        return 1 / 0  # type: ignore[return-value]

    r = run_check(exploding, "demo")
    assert (r.id, r.verified, r.claim) == ("demo.exploding", False, "Divides by zero.")
    assert r.detail.startswith("ZeroDivisionError")
