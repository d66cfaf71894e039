"""Forward and backward passes: what each needs, on a two-layer network.

The network is $h = \\sigma(w_1x + b_1)$, $\\hat y = w_2h + b_2$, with the loss
$L = \\tfrac12(\\hat y - y)^2$.
"""

from __future__ import annotations

import sympy as sp

from derivations._algebra import is_zero
from derivations._result import Result, result
from derivations.definitions import sigmoid

_x, _y, _w1, _b1, _w2, _b2 = sp.symbols("x y w1 b1 w2 b2", real=True)
_hidden = sigmoid(_w1 * _x + _b1)
_prediction = _w2 * _hidden + _b2
_loss = (_prediction - _y) ** 2 / 2


def backward_needs_forward() -> Result:
    r"""Every gradient is a formula in values the forward pass computes ($h$, $\hat y$).

    $\partial L/\partial w_2 = (\hat y - y)h$ and
    $\partial L/\partial w_1 = (\hat y - y)\,w_2\,h(1 - h)\,x$: without running the forward
    pass first, $h$ and $\hat y$ are unknown and the backward pass has nothing to multiply.

    Example:
        >>> backward_needs_forward().verified
        True
    """
    h, yhat = sp.symbols("h yhat", real=True)  # the forward pass's cached values
    backward = {
        _w2: (yhat - _y) * h,
        _b2: yhat - _y,
        _w1: (yhat - _y) * _w2 * h * (1 - h) * _x,
        _b1: (yhat - _y) * _w2 * h * (1 - h),
    }
    cache = {h: _hidden, yhat: _prediction}
    ok = all(is_zero(sp.diff(_loss, p) - g.subs(cache)) for p, g in backward.items())
    # The backward formulas use the first layer's weights only through the cached h.
    ok = ok and all({_w1, _b1}.isdisjoint(g.free_symbols) for g in backward.values())
    return result(
        "backprop.backward_needs_forward",
        claim="backpropagation multiplies local derivatives evaluated at the forward pass's "
        "values, so the forward pass must run first",
        statement=r"\frac{\partial L}{\partial w_1} = (\hat y - y)\,w_2\,h(1-h)\,x,\quad "
        r"h = \sigma(w_1x + b_1),\ \hat y = w_2h + b_2",
        verified=ok,
        detail="sympy's gradients equal the backward formulas written in the cached h and "
        "yhat, which contain no w1 or b1",
    )


def prediction_needs_no_loss() -> Result:
    """A prediction uses only the input and the parameters: no label, loss or gradient.

    Example:
        >>> prediction_needs_no_loss().verified
        True
    """
    needs = _prediction.free_symbols
    ok = _y not in needs and needs == {_x, _w1, _b1, _w2, _b2} and _y in _loss.free_symbols
    return result(
        "backprop.prediction_needs_no_loss",
        claim="a trained model predicts with the forward pass alone: the prediction does not "
        "depend on the label, so neither the loss nor a backward pass is needed",
        statement=r"\hat y = w_2\sigma(w_1x + b_1) + b_2 \text{ has no } y;\ "
        r"L(\hat y, y) \text{ does}",
        verified=ok,
        detail=f"prediction depends on {sorted(map(str, needs))}; the loss adds y",
    )


CHECKS = (backward_needs_forward, prediction_needs_no_loss)
