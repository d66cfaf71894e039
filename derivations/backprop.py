"""Forward and backward passes: what each needs, on a two-layer network.

The network is $h = \\sigma(w_1x + b_1)$, $\\hat y = w_2h + b_2$, with the loss
$L = \\tfrac12(\\hat y - y)^2$.
"""

from __future__ import annotations

import sympy as sp

from derivations._algebra import eq, identity
from derivations._result import Result, result
from derivations.definitions import Sigmoid, z

_x, _y, _w1, _b1, _w2, _b2 = sp.symbols("x y w_1 b_1 w_2 b_2", real=True)
_h, _yhat = sp.symbols("h yhat", real=True)  # the forward pass's cached values
_hidden = Sigmoid(_w1 * _x + _b1)
_prediction = _w2 * _hidden + _b2
_loss = (_prediction - _y) ** 2 / 2


def backward_needs_forward() -> Result:
    r"""Every gradient is a formula in values the forward pass computes ($h$, $\hat y$).

    $\partial L/\partial w_2 = (\hat y - y)h$ and
    $\partial L/\partial w_1 = (\hat y - y)\,w_2\,h(1 - h)\,x$: without running the forward
    pass first, $h$ and $\hat y$ are unknown and the backward pass has nothing to multiply.

    Examples:
        >>> backward_needs_forward().verified
        True
    """
    backward = {
        _w2: (_yhat - _y) * _h,
        _b2: _yhat - _y,
        _w1: (_yhat - _y) * _w2 * _h * (1 - _h) * _x,
        _b1: (_yhat - _y) * _w2 * _h * (1 - _h),
    }
    cache = {_h: _hidden, _yhat: _prediction}
    gradients = {p: sp.Derivative(_loss, p) for p in backward}
    # The chain rule leaves sigma'(w1 x + b1); sigma' = sigma (1 - sigma), proved here on the
    # definition, turns each gradient into a polynomial in h = sigma(w1 x + b1).
    sigma_prime = eq(sp.Derivative(Sigmoid(z), z), Sigmoid(z) * (1 - Sigmoid(z)))
    chain, _ = identity(sigma_prime.lhs, sigma_prime.rhs)
    ok = chain and all(
        sp.expand(_sigmoid_prime(gradients[p].doit()) - g.subs(cache, simultaneous=True)) == 0
        for p, g in backward.items()
    )
    # The backward formulas use the first layer's weights only through the cached h.
    ok = ok and all({_w1, _b1}.isdisjoint(g.free_symbols) for g in backward.values())
    return result(
        "backprop.backward_needs_forward",
        claim="backpropagation multiplies local derivatives evaluated at the forward pass's "
        "values, so the forward pass must run first",
        statement=[eq(gradients[p], g) for p, g in backward.items()],
        verified=ok,
        detail="sympy's gradients equal the backward formulas written in the cached h and "
        "yhat, which contain no w1 or b1",
        steps=(eq(_h, _hidden), eq(_yhat, _w2 * _h + _b2), sigma_prime),
    )


def _sigmoid_prime(expr: sp.Expr) -> sp.Expr:
    # Replaces each sigma'(u) that the chain rule left (a Subs of a Derivative) by
    # sigma(u) (1 - sigma(u)).
    def rule(subs: sp.Subs) -> sp.Expr:
        (point,) = subs.point
        return Sigmoid(point) * (1 - Sigmoid(point))

    return expr.replace(
        lambda e: (
            isinstance(e, sp.Subs) and e.expr == sp.Derivative(Sigmoid(*e.variables), *e.variables)
        ),
        rule,
    )


def prediction_needs_no_loss() -> Result:
    """A prediction uses only the input and the parameters: no label, loss or gradient.

    Examples:
        >>> prediction_needs_no_loss().verified
        True
    """
    needs = _prediction.free_symbols
    ok = _y not in needs and needs == {_x, _w1, _b1, _w2, _b2} and _y in _loss.free_symbols
    return result(
        "backprop.prediction_needs_no_loss",
        claim="a trained model predicts with the forward pass alone: the prediction does not "
        "depend on the label, so neither the loss nor a backward pass is needed",
        statement=(eq(_yhat, _prediction), eq(sp.Symbol("L"), _loss)),
        verified=ok,
        detail=f"prediction depends on {sorted(map(str, needs))}; the loss adds y",
    )


CHECKS = (backward_needs_forward, prediction_needs_no_loss)
