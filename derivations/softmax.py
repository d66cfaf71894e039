"""Softmax and cross-entropy: shift invariance, Jacobian, gradient, double softmax.

Explicit checks use ``n = 2 .. 5`` logits; the symbolic-``n`` checks differentiate
``Sum`` expressions over an ``IndexedBase``, where SymPy produces Kronecker deltas.
"""

from __future__ import annotations

from typing import Any

import mpmath
import sympy as sp

from derivations._algebra import eq, is_zero
from derivations._result import Result, result
from derivations.definitions import logits, softmax

SIZES = (2, 3, 4, 5)

_n = sp.Symbol("n", integer=True, positive=True)
_i, _j, _k, _y = sp.symbols("i j k y", integer=True, positive=True)
_zi = sp.IndexedBase("z", real=True)
_c = sp.Symbol("c", real=True)
# Softmax outputs and logits as indexed names, for statements entry by entry.
_p, _z = sp.IndexedBase("p"), sp.IndexedBase("z")


def _sum_exp(shift: sp.Expr = 0) -> sp.Sum:
    return sp.Sum(sp.exp(_zi[_j] + shift), (_j, 1, _n))


def _sift(expr: sp.Expr) -> sp.Expr:
    # d/dz_k sum_j e^{z_j} = sum_j delta_jk e^{z_j}; SymPy evaluates this to
    # Piecewise((e^{z_k}, k <= n), (0, True)), and k indexes a logit, so 1 <= k <= n.
    def first_branch(*pairs: tuple[sp.Expr, sp.Expr]) -> sp.Expr:
        value, condition = pairs[0]
        if condition != (_k <= _n):
            raise ValueError(f"unexpected condition {condition}")
        return value

    return expr.doit().replace(sp.Piecewise, first_branch)


def shift_invariance() -> Result:
    r"""$\mathrm{softmax}(z + c\mathbf 1) = \mathrm{softmax}(z)$.

    Examples:
        >>> shift_invariance().verified
        True
    """
    explicit = all(
        is_zero(entry)
        for n in SIZES
        for entry in softmax(logits(n) + _c * sp.ones(n, 1)) - softmax(logits(n))
    )
    shifted, plain = sp.exp(_zi[_i] + _c) / _sum_exp(_c), sp.exp(_zi[_i]) / _sum_exp()
    expanded = sp.expand(shifted)
    # factor_terms pulls the common factor e^c out of the Sum, where it cancels.
    factored = sp.factor_terms(expanded)
    return result(
        "softmax.shift_invariance",
        claim="adding the same constant to every logit leaves softmax unchanged",
        statement=eq(shifted, plain),
        verified=explicit and factored - plain == 0,
        detail=f"exact for n = {SIZES}; symbolic n: e^(z_i + c)/sum_j e^(z_j + c) - "
        f"e^z_i/sum_j e^z_j = {factored - plain}",
        steps=(eq(shifted, expanded), eq(expanded, factored)),
    )


def _jacobian_entry() -> sp.Expr:
    # p_i (delta_ik - p_k), in the symbols p_i, with i and k as in the statement.
    return _p[_i] * (sp.KroneckerDelta(_i, _k) - _p[_k])


def jacobian() -> Result:
    r"""$\partial p_i / \partial z_k = p_i(\delta_{ik} - p_k)$ entry by entry, $n = 2, \dots, 5$.

    Examples:
        >>> jacobian().verified
        True
    """
    ok = True
    for n in SIZES:
        z, p = logits(n), softmax(logits(n))
        entries = _jacobian_entries(n, p)
        ok = ok and all(is_zero(e) for e in p.jacobian(z) - entries)
    z, p = logits(2), softmax(logits(2))
    in_p = _jacobian_entries(2, sp.Matrix([_p[0], _p[1]]))
    return result(
        "softmax.jacobian",
        claim="the Jacobian of softmax is diag(p) - p p^T (checked for n = 2..5)",
        statement=eq(sp.Derivative(_p[_i], _z[_k]), _jacobian_entry()),
        verified=ok,
        detail=f"every entry of J - (diag(p) - p p^T) cancels to 0 for n in {SIZES}",
        steps=(
            *(eq(_p[i], p[i]) for i in range(2)),
            eq(sp.Derivative(p, z), in_p),
        ),
    )


def _jacobian_entries(n: int, p: sp.Matrix) -> sp.Matrix:
    entry = _jacobian_entry()
    values = {_p[i]: p[i] for i in range(n)}
    # xreplace substitutes i and k at once: subs would first meet delta(0, k) with k >= 1.
    return sp.Matrix(n, n, lambda i, k: entry.xreplace({_i: i, _k: k}).xreplace(values))


def jacobian_symbolic_n() -> Result:
    r"""$\partial p_i / \partial z_k = p_i(\delta_{ik} - p_k)$ for symbolic $n$.

    Examples:
        >>> jacobian_symbolic_n().verified
        True
    """
    p_i, p_k = sp.exp(_zi[_i]) / _sum_exp(), sp.exp(_zi[_k]) / _sum_exp()
    derivative = sp.Derivative(p_i, _zi[_k])
    raw = derivative.doit()
    d = _sift(raw)
    expected = p_i * (sp.KroneckerDelta(_i, _k) - p_k)
    gap = sp.expand(d - expected)
    return result(
        "softmax.jacobian_symbolic_n",
        claim="the softmax Jacobian formula holds for any number n of classes",
        statement=eq(derivative, expected),
        verified=gap == 0,
        detail=f"d p_i / d z_k = {d}; minus p_i (delta_ik - p_k) expands to {gap}",
        steps=(eq(derivative, raw), eq(raw, d), eq(d, expected)),
    )


def cross_entropy_gradient() -> Result:
    r"""$\nabla_z\,[-\log \mathrm{softmax}(z)_y] = \mathrm{softmax}(z) - e_y$.

    Examples:
        >>> cross_entropy_gradient().verified
        True
    """
    explicit = True
    for n in SIZES:
        z, p = logits(n), softmax(logits(n))
        for y in range(n):
            # -log p_y = -z_y + log sum_j e^{z_j}; expand_log may split the log because
            # every factor is positive.
            loss = sp.expand_log(-sp.log(p[y]), force=True)
            grad = sp.Matrix([loss]).jacobian(z).T
            explicit = explicit and all(is_zero(e) for e in grad - (p - sp.eye(n)[:, y]))
    p_y = sp.exp(_zi[_y]) / _sum_exp()
    loss = -_zi[_y] + sp.log(_sum_exp())  # -log p_y, written as -z_y + logsumexp(z)
    derivative = sp.Derivative(loss, _zi[_k])
    d = _sift(derivative.doit())
    expected = sp.exp(_zi[_k]) / _sum_exp() - sp.KroneckerDelta(_k, _y)
    gap = sp.expand(d - expected)
    return result(
        "softmax.cross_entropy_gradient",
        claim="the gradient of cross_entropy(softmax(z), y) with respect to the logits z is "
        "softmax(z) - onehot(y)",
        statement=eq(sp.Derivative(-sp.log(p_y, evaluate=False), _zi[_k]), expected),
        verified=explicit and gap == 0 and is_zero(sp.expand_log(-sp.log(p_y), force=True) - loss),
        detail=f"exact for every class y and n in {SIZES}; symbolic n: gap {gap}",
        steps=(eq(-sp.log(p_y, evaluate=False), loss), eq(derivative, d)),
    )


def double_softmax() -> Result:
    r"""Feeding softmax outputs to cross-entropy (which applies softmax again) cripples it.

    With $p = \mathrm{softmax}(z)$ and $q = \mathrm{softmax}(p)$, the gradient becomes
    $J_p(q - e_y)$; the loss can never fall below $\log(1 + (n-1)/e)$; and for a
    confidently wrong prediction the gradient vanishes while the loss stays bounded.

    Examples:
        >>> double_softmax().verified
        True
    """
    chain_ok, spot_error, chain = _double_softmax_chain_rule(3)
    floors = {n: _double_softmax_floor(n) for n in SIZES}
    # Compare exp(-floor) so that no logarithm identity is needed.
    bounds = {n: sp.log(1 + (n - 1) / sp.E) for n in SIZES}
    floors_ok = all(is_zero(sp.exp(-floors[n]) - sp.exp(-bounds[n])) for n in SIZES)
    wrong = _confidently_wrong()
    return result(
        "softmax.double_softmax",
        claim="if the model already ends in softmax, cross-entropy applies softmax a second "
        "time: the gradient picks up an extra factor diag(p) - p p^T, the loss cannot go below "
        "log(1 + (n-1)/e) > 0, and a confidently wrong model gets a vanishing gradient",
        statement=(chain[0], eq(floors[3], bounds[3]), wrong["statement"]),
        verified=chain_ok and floors_ok and wrong["ok"],
        detail=f"grad_p = softmax(p) - e_y exactly and J_p symmetric, so grad_z = J_p (q - e_y);"
        f" full gradient agrees to {spot_error:.1e} at random points; loss floor at p = e_y: "
        + ", ".join(f"n={n}: {float(v):.4f}" for n, v in floors.items())
        + f"; z = (t, 0), y = 2, t -> oo: gradient -> {wrong['double_grad']}, loss -> "
        f"{wrong['double_loss']} (single softmax: gradient -> {wrong['single_grad']}, "
        f"loss -> {wrong['single_loss']})",
        values={"floor": {str(n): float(v) for n, v in floors.items()}},
        steps=(*chain[1:], *(eq(floors[n], bounds[n]) for n in SIZES), *wrong["steps"]),
    )


def _double_softmax_chain_rule(n: int) -> tuple[bool, float, tuple[sp.Basic, ...]]:
    # Differentiating softmax(softmax(z)) directly nests exponentials and takes SymPy
    # tens of seconds; the chain rule splits it into two exact facts and one spot check.
    z, p_sym = logits(n), sp.Matrix(sp.symbols(f"p0:{n}", real=True))
    onehot = sp.eye(n)[:, 0]
    outer_loss = -sp.log(softmax(p_sym)[0])
    outer = sp.Matrix([outer_loss]).jacobian(p_sym).T
    outer_ok = all(is_zero(e) for e in outer - (softmax(p_sym) - onehot))
    inner_sym = sp.diag(*p_sym) - p_sym * p_sym.T
    p = softmax(z)
    inner = inner_sym.xreplace(dict(zip(p_sym, p, strict=True)))
    full = sp.Matrix([-sp.log(softmax(p)[0])]).jacobian(z).T
    formula = inner * (softmax(p) - onehot)
    gap = sp.lambdify(list(z), list(full - formula), modules="mpmath", cse=True)
    points = ((0.3, -1.2, 2.0), (-4.0, 0.5, 0.25), (7.0, 3.0, -2.0))
    with mpmath.workdps(30):
        error = max(abs(v) for point in points for v in gap(*point))
    formulas = (
        eq(sp.Derivative(outer_loss, p_sym), softmax(p_sym) - onehot),
        eq(sp.Derivative(p_sym, z), inner_sym),
        eq(sp.ImmutableMatrix(inner_sym), sp.Transpose(sp.ImmutableMatrix(inner_sym))),
    )
    return outer_ok and inner_sym == inner_sym.T and error < 1e-25, float(error), formulas


def _double_softmax_floor(n: int) -> sp.Expr:
    # The loss is log sum_j exp(p_j - p_y); since p_j >= 0 and p_y <= 1, each term with
    # j != y is at least 1/e, with equality exactly at p = e_y, which gives the minimum.
    p = sp.eye(n)[:, 0]
    return -sp.log(softmax(p)[0])


def _confidently_wrong() -> dict[str, Any]:
    # Logits z = (t, 0) with true class 2: as t -> oo the model is ever surer of class 1.
    # Everything depends on t through u = p_2 = sigma(-t) -> 0+, continuously in u except
    # the single-softmax loss -log u, so the limits are taken in u.
    u = sp.Symbol("u", positive=True)
    p = sp.Matrix([1 - u, u])
    onehot = sp.Matrix([0, 1])
    single_grad = sp.ImmutableMatrix(p - onehot)
    double_grad = sp.ImmutableMatrix((sp.diag(*p) - p * p.T) * (softmax(p) - onehot))
    single_loss = sp.Limit(-sp.log(u), u, 0, "+")
    double_loss = sp.Subs(-sp.log(softmax(p)[1]), u, 0)
    at_zero = [sp.Subs(g, u, 0) for g in (single_grad, double_grad)]
    limits = [g.doit() for g in at_zero]
    ok = (
        limits[1] == sp.zeros(2, 1)
        and single_loss.doit() == sp.oo
        and is_zero(sp.exp(-double_loss.doit()) - 1 / (1 + sp.E))
    )
    return {
        "ok": ok,
        "statement": eq(at_zero[1], limits[1]),
        "steps": (
            eq(at_zero[0], limits[0]),
            eq(single_loss, single_loss.doit()),
            eq(double_loss, double_loss.doit()),
        ),
        "single_grad": list(limits[0]),
        "double_grad": list(limits[1]),
        "single_loss": single_loss.doit(),
        "double_loss": double_loss.doit(),
    }


CHECKS = (
    shift_invariance,
    jacobian,
    jacobian_symbolic_n,
    cross_entropy_gradient,
    double_softmax,
)
