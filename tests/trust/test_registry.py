"""The operator registry covers every public name of funcnet, and each entry is complete.

A new public operator fails `test_every_public_name_is_registered_or_explained` until
it joins tests/trust/registry.py (and so the parity, gradient, extreme-value and purity
suites) or is listed in `NOT_OPERATORS` with the reason and the place it is tested.
"""

from __future__ import annotations

import inspect

import pytest
from registry import NOT_OPERATORS, OPERATORS

import funcnet

KINDS = {"activation", "layer", "loss", "metric"}


def test_every_public_name_is_registered_or_explained():
    missing = set(funcnet.__all__) - set(OPERATORS) - set(NOT_OPERATORS)
    assert not missing, f"add to tests/trust/registry.py (OPERATORS or NOT_OPERATORS): {missing}"


def test_registry_names_are_public_and_listed_once():
    assert not set(OPERATORS) & set(NOT_OPERATORS)
    stale = (set(OPERATORS) | set(NOT_OPERATORS)) - set(funcnet.__all__)
    assert not stale, f"no longer public: {stale}"


def test_every_layer_class_is_registered_as_a_layer():
    for name in funcnet.__all__:
        value = getattr(funcnet, name)
        if inspect.isclass(value) and issubclass(value, funcnet.Layer) and name != "Layer":
            assert OPERATORS[name].kind == "layer", name


@pytest.mark.parametrize("name", sorted(OPERATORS))
def test_entry_is_complete(name):
    op = OPERATORS[name]
    assert op.name == name
    assert op.kind in KINDS
    assert callable(getattr(funcnet, name))
    # Exactly one reference: PyTorch (values and gradients) or an oracle (values).
    assert (op.torch is None) != (op.oracle is None)
    assert op.reference.startswith(("torch.", "sklearn."))
    assert op.differentiable == (op.kind != "metric")
    assert 0 < op.rtol64 <= 1e-8 and 0 < op.rtol32 <= 1e-4
    assert all(isinstance(text, str) and text for text in op.conventions)


def test_kinds_match_the_public_api():
    assert {n for n, op in OPERATORS.items() if op.kind == "loss"} == set(funcnet.losses.__all__)
    assert {n for n, op in OPERATORS.items() if op.kind == "metric"} == set(
        funcnet.metrics.__all__
    )
    activations = {n for n, op in OPERATORS.items() if op.kind == "activation"}
    assert activations == set(funcnet.activations.__all__)
