"""Stacked affine maps collapse to one; a nonlinearity between them stops the collapse.

Also home to the constructive side of "linear and nonlinear layers, alternated, can fit
any function": a one-hidden-layer ReLU network that reproduces the piecewise-linear
interpolant of a continuous function, and why a polynomial activation cannot do that.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from derivations._algebra import eq, evaluate
from derivations._result import Result, result
from derivations.definitions import LeakyReLU, ReLU, Sigmoid, Tanh

_x = sp.Symbol("x", real=True)
STACK_DEPTHS = (2, 3, 4, 5, 6)


def _grouped(weight: sp.Basic, x: sp.Basic, bias: sp.Basic) -> sp.Basic:
    # (weight) x + (bias), kept as written so the statement shows the grouping.
    with sp.evaluate(False):
        if isinstance(x, sp.MatrixExpr):
            return sp.MatAdd(sp.MatMul(weight, x), bias)
        return sp.Add(sp.Mul(*sp.Mul.make_args(weight), x), bias)


def scalar_collapse() -> Result:
    r"""$g(f(x)) = w_2(wx + b) + b_2 = (w_2 w)x + (w_2 b + b_2)$.

    Examples:
        >>> scalar_collapse().verified
        True
    """
    w, b, w2, b2 = sp.symbols("w b w_2 b_2", real=True)
    composed = w2 * (w * _x + b) + b2
    expanded = sp.expand(composed)
    grouped = _grouped(w2 * w, _x, w2 * b + b2)
    gap = sp.expand(composed - grouped)
    # The lesson reuses one bias b for both maps (g(x) = w2 x + b): the special case b2 = b.
    lesson = composed.subs(b2, b)
    lesson_grouped = _grouped(w2 * w, _x, w2 * b + b)
    lesson_gap = sp.expand(lesson - lesson_grouped)
    return result(
        "affine.scalar_collapse",
        claim="two scalar affine maps compose to one affine map: "
        "w2 (w x + b) + b2 = (w2 w) x + (w2 b + b2)",
        statement=eq(composed, grouped),
        verified=gap == 0 and lesson_gap == 0,
        detail=f"expand(difference) = {gap}; with the lesson's shared bias (b2 = b) the "
        f"composition is w2 w x + w2 b + b (difference {lesson_gap})",
        steps=(eq(composed, expanded), eq(expanded, grouped), eq(lesson, lesson_grouped)),
    )


def matrix_collapse() -> Result:
    r"""$W_2(W_1x + b_1) + b_2 = (W_2W_1)x + (W_2b_1 + b_2)$ for symbolic matrices.

    Examples:
        >>> print(matrix_collapse().statement)  # doctest: +ELLIPSIS
        W_{2} \left(W_{1} x + b_{1}\right) + b_{2} = \left(W_{2} W_{1}\right) x + ...
    """
    n, m, r = sp.symbols("n m r", integer=True, positive=True)
    w1, b1 = sp.MatrixSymbol("W1", m, n), sp.MatrixSymbol("b1", m, 1)
    w2, b2 = sp.MatrixSymbol("W2", r, m), sp.MatrixSymbol("b2", r, 1)
    x = sp.MatrixSymbol("x", n, 1)
    composed = w2 * (w1 * x + b1) + b2
    grouped = _grouped(w2 * w1, x, w2 * b1 + b2)
    gap = (composed - grouped).expand()
    # The same identity entry by entry, for one concrete shape (n, m, r) = (3, 4, 2).
    sizes = {n: 3, m: 4, r: 2}
    e_w1, e_b1, e_w2, e_b2, e_x = (e.subs(sizes).as_explicit() for e in (w1, b1, w2, b2, x))
    entry_gap = e_w2 * (e_w1 * e_x + e_b1) + e_b2 - (e_w2 * e_w1 * e_x + e_w2 * e_b1 + e_b2)
    entries_ok = entry_gap.expand() == sp.zeros(2, 1)
    return result(
        "affine.matrix_collapse",
        claim="two affine layers without an activation are one affine layer, with weight "
        "W2 W1 and bias W2 b1 + b2",
        statement=eq(composed, grouped),
        verified=bool(gap.is_ZeroMatrix) and entries_ok,
        detail=f"matrix expand gives {gap!r}; entry-wise identity also exact for shapes "
        "x: 3, W1: 4x3, W2: 2x4",
        steps=(eq(composed, composed.expand()), eq(composed.expand(), grouped)),
    )


def stack_collapse() -> Result:
    r"""$k$ affine layers collapse to $W = W_k \cdots W_1$, $b = \sum_i W_k\cdots W_{i+1} b_i$.

    The statement shows $k = 3$ and the step the deepest stack; the check runs every
    depth in ``STACK_DEPTHS``.

    Examples:
        >>> stack_collapse().verified
        True
    """
    stacks = {k: _stack(k) for k in STACK_DEPTHS}
    ok = all((out - collapsed).expand().is_ZeroMatrix for out, collapsed in stacks.values())
    return result(
        "affine.stack_collapse",
        claim="any stack of k affine layers without activations is a single affine layer",
        statement=eq(*stacks[3]),
        verified=ok,
        detail=f"exact with symbolic matrices of symbolic sizes, k in {STACK_DEPTHS}",
        steps=[eq(*stacks[STACK_DEPTHS[-1]])],
    )


def _stack(k: int) -> tuple[sp.MatrixExpr, sp.MatrixExpr]:
    # (A_k o ... o A_1)(x), and (W_k ... W_1) x + sum_i W_k ... W_{i+1} b_i.
    dims = sp.symbols(f"d0:{k + 1}", integer=True, positive=True)
    weights = [sp.MatrixSymbol(f"W{i}", dims[i], dims[i - 1]) for i in range(1, k + 1)]
    biases = [sp.MatrixSymbol(f"b{i}", dims[i], 1) for i in range(1, k + 1)]
    x = sp.MatrixSymbol("x", dims[0], 1)
    out = x
    for w, b in zip(weights, biases, strict=True):
        out = w * out + b
    weight = sp.MatMul(*reversed(weights))
    # W_k ... W_{i+1} b_i; the last bias is added as it is.
    bias = sp.MatAdd(*(sp.MatMul(*reversed(weights[i + 1 :]), biases[i]) for i in range(k)))
    return out, _grouped(weight, x, bias)


def nonlinearity_breaks_collapse() -> Result:
    r"""With sigmoid, tanh, ReLU or LeakyReLU between two layers the map is not affine.

    An affine $h$ satisfies $h(\tfrac{u+v}{2}) = \tfrac{h(u) + h(v)}{2}$ and $h'' \equiv 0$;
    each activation breaks the midpoint rule at some points, and sigmoid and tanh also have
    a second derivative that is not identically 0.

    Examples:
        >>> nonlinearity_breaks_collapse().verified
        True
    """
    activations = {
        "sigmoid": Sigmoid(_x),
        "tanh": Tanh(_x),
        "relu": ReLU(_x),
        "leaky_relu(0.2)": LeakyReLU(_x, sp.Rational(1, 5)),
    }
    gaps = {}
    for name, f in activations.items():
        u, v = (-1, 1) if "relu" in name else (0, 2)
        with sp.evaluate(False):
            gaps[name] = sp.Abs((f.subs(_x, u) + f.subs(_x, v)) / 2 - f.subs(_x, (u + v) // 2))
    midpoint = {name: float(evaluate(gap)) for name, gap in gaps.items()}
    second = {
        n: sp.Subs(sp.Derivative(activations[n], (_x, 2)), _x, 1) for n in ("sigmoid", "tanh")
    }
    curvature = {n: float(evaluate(d)) for n, d in second.items()}
    threshold = sp.Rational(1, 1000)
    ok = all(g > threshold for g in midpoint.values()) and all(c != 0 for c in curvature.values())
    return result(
        "affine.nonlinearity_breaks_collapse",
        claim="putting sigmoid, tanh, ReLU or LeakyReLU between two affine layers gives a map "
        "that is not affine, so the layers no longer collapse",
        statement=[sp.Gt(gap, threshold, evaluate=False) for gap in gaps.values()]
        + [sp.Ne(d, 0, evaluate=False) for d in second.values()],
        verified=ok,
        detail="midpoint gaps (sigmoid, tanh at 0, 2; ReLUs at -1, 1): "
        + ", ".join(f"{k} {v:.4f}" for k, v in midpoint.items())
        + "; second derivatives at 1: "
        + ", ".join(f"{k} {v:.4f}" for k, v in curvature.items()),
        values={"midpoint_gap": midpoint, "second_derivative_at_1": curvature},
        steps=[eq(formula, evaluate(formula)) for formula in (*gaps.values(), *second.values())],
    )


def relu_network_interpolates() -> Result:
    r"""A Linear-ReLU-Linear network reproduces any piecewise-linear interpolant exactly.

    With knots $t_0 < \dots < t_N$ and slopes $s_i$ of the interpolant of $f$,
    $N(x) = f(t_0) + \sum_i c_i\,\mathrm{ReLU}(x - t_i)$, $c_0 = s_0$,
    $c_i = s_i - s_{i-1}$. For $f = \sin$ on $[0, \pi]$ the uniform error is at most
    $h^2/8$ with $h = \pi/N$, so it shrinks like $1/N^2$ as the hidden layer widens.

    Examples:
        >>> relu_network_interpolates().values["max_error"]["64"] < 3.1e-4
        True
    """
    grid = np.linspace(0.0, np.pi, 20001)
    widths = (4, 8, 16, 32, 64)
    errors = {
        str(n): float(np.max(np.abs(_hinge_network(np.sin, n, grid) - np.sin(grid))))
        for n in widths
    }
    width = sp.Symbol("N", integer=True, positive=True)
    bound = (sp.pi / width) ** 2 / 8  # h^2 / 8 with knot spacing h = pi / N
    bounds = {str(n): bound.subs(width, n) for n in widths}
    ok = all(errors[n] <= float(bounds[n]) for n in errors) and list(errors.values()) == sorted(
        errors.values(), reverse=True
    )
    network = sp.Function("fhat_N")(_x)  # the network with N hidden units
    return result(
        "affine.relu_network_interpolates",
        claim="a network Linear(1, N) -> ReLU -> Linear(N, 1) can reproduce the piecewise-linear "
        "interpolant of a continuous function, so its error shrinks as N grows (sin on [0, pi])",
        statement=(
            sp.Le(sp.Abs(network - sp.sin(_x)), bound, evaluate=False),
            sp.Contains(_x, sp.Interval(0, sp.pi), evaluate=False),
        ),
        verified=ok,
        detail="max error by hidden width: "
        + ", ".join(f"N={n}: {e:.2e} (bound {float(bounds[n]):.2e})" for n, e in errors.items()),
        values={"max_error": errors},
        steps=[sp.Le(sp.Float(errors[n], 3), bounds[n], evaluate=False) for n in errors],
    )


def _hinge_network(f: np.ufunc, width: int, x: np.ndarray) -> np.ndarray:
    knots = np.linspace(x[0], x[-1], width + 1)
    slopes = np.diff(f(knots)) / np.diff(knots)
    # Output-layer weights: each hidden unit turns the slope by the change at its knot.
    weights = np.diff(slopes, prepend=0.0)
    hidden = np.maximum(x[:, None] - knots[None, :-1], 0.0)  # Linear(1, N) then ReLU
    return f(knots[0]) + hidden @ weights  # Linear(N, 1)


def polynomial_activation_fails() -> Result:
    r"""With the activation $u^2$, any width gives a quadratic in $x$: no universality.

    Examples:
        >>> polynomial_activation_fails().verified
        True
    """
    width = 4
    w1, b1, w2 = (sp.symbols(f"{name}0:{width}", real=True) for name in ("w", "b", "v"))
    net = sum(w2[i] * (w1[i] * _x + b1[i]) ** 2 for i in range(width)) + sp.Symbol("c")
    derivatives = [sp.Derivative(net, (_x, order)) for order in (1, 2, 3)]
    expanded = [sp.expand(sp.diff(net, _x))]
    for _ in range(2):  # each derivative from the one before
        expanded.append(sp.expand(sp.diff(expanded[-1], _x)))
    third = expanded[-1]
    return result(
        "affine.polynomial_activation_fails",
        claim="nonlinearity alone is not enough: with a polynomial activation (u^2) a "
        "one-hidden-layer network of any width is a polynomial of fixed degree, so it cannot "
        "approximate e.g. |x| or x^3; universal approximation needs a non-polynomial activation",
        statement=eq(derivatives[-1], 0),
        verified=third == 0,
        detail=f"third derivative of the width-{width} network: {third}",
        steps=[eq(d, e) for d, e in zip(derivatives[:2], expanded, strict=False)],
    )


CHECKS = (
    scalar_collapse,
    matrix_collapse,
    stack_collapse,
    nonlinearity_breaks_collapse,
    relu_network_interpolates,
    polynomial_activation_fails,
)
