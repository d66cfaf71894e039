"""Activation functions: derivatives, kinks, ranges, centring and saturation.

Every activation is taken from :mod:`derivations.definitions`, where it is written with
``exp``, ``log`` and ``erf`` only, so no check relies on a derivative SymPy already
knows. A claim is stated with the named functions (``Sigmoid``, ``Tanh``, ...) and
proved on their definitions; identities are decided by ``cancel``/``expand`` reaching
exactly 0, which is fast and leaves no doubt, instead of ``simplify``. The range,
centring and saturation checks are written in :mod:`derivations.activation_ranges` and
listed here in ``CHECKS``.
"""

from __future__ import annotations

import sympy as sp

from derivations import definitions as sym
from derivations._algebra import derivative_limits, eq, evaluate, identity, side_limits
from derivations._result import Result, result
from derivations.activation_ranges import (
    centring,
    saturation,
    sigmoid_derivative_max,
    sigmoid_range,
    sigmoid_smooth,
    sigmoid_symmetry,
    tanh_derivative_max,
    tanh_not_arctan,
    tanh_odd,
)
from derivations.definitions import (
    ELU,
    GELU,
    LeakyReLU,
    NormalPdf,
    Phi,
    ReLU,
    Sigmoid,
    SiLU,
    Softplus,
    Tanh,
    alpha,
    slope,
    z,
)

_positive, _negative = sp.Symbol("p", positive=True), sp.Symbol("n", negative=True)


def _derivative_check(
    name: str, claim: str, lhs: sp.Expr, rhs: sp.Expr, method: str, *where: sp.Eq
) -> Result:
    holds, steps = identity(lhs, rhs)
    return result(
        f"activations.{name}",
        claim=claim,
        statement=eq(lhs, rhs),
        verified=holds,
        detail=f"{method}(derivative of the definition - right side) == 0",
        steps=(*where, *steps),
    )


def sigmoid_derivative() -> Result:
    r"""$\sigma' = \sigma(1 - \sigma)$.

    Examples:
        >>> r = sigmoid_derivative()
        >>> r.verified, r.statement.startswith(r"\frac{d}{d z} \sigma{\left(z \right)} =")
        (True, True)
    """
    return _derivative_check(
        "sigmoid_derivative",
        "the derivative of sigmoid is sigmoid times (1 - sigmoid)",
        sp.Derivative(Sigmoid(z), z),
        Sigmoid(z) * (1 - Sigmoid(z)),
        "cancel",
    )


def tanh_derivative() -> Result:
    r"""$\tanh' = 1 - \tanh^2$, with $\tanh z = (e^z - e^{-z}) / (e^z + e^{-z})$.

    Examples:
        >>> tanh_derivative().verified
        True
    """
    return _derivative_check(
        "tanh_derivative",
        "the derivative of tanh is 1 - tanh^2",
        sp.Derivative(Tanh(z), z),
        1 - Tanh(z) ** 2,
        "cancel",
    )


def tanh_from_sigmoid() -> Result:
    r"""$\tanh(z) = 2\sigma(2z) - 1$: tanh is a shifted, rescaled sigmoid.

    Examples:
        >>> tanh_from_sigmoid().verified
        True
    """
    holds, steps = identity(Tanh(z), 2 * Sigmoid(2 * z) - 1)
    return result(
        "activations.tanh_from_sigmoid",
        claim="tanh is a rescaled sigmoid: tanh(z) = 2 sigmoid(2z) - 1",
        statement=eq(Tanh(z), 2 * Sigmoid(2 * z) - 1),
        verified=holds,
        detail="cancel(tanh(z) - 2 sigma(2z) + 1) == 0",
        steps=steps,
    )


def softplus_derivative() -> Result:
    r"""$\frac{d}{dz}\log(1 + e^z) = \sigma(z)$.

    Examples:
        >>> softplus_derivative().verified
        True
    """
    return _derivative_check(
        "softplus_derivative",
        "the derivative of softplus is sigmoid",
        sp.Derivative(Softplus(z), z),
        Sigmoid(z),
        "cancel",
    )


def silu_derivative() -> Result:
    r"""$\mathrm{SiLU}'(z) = \sigma(z)\,(1 + z(1 - \sigma(z)))$.

    Examples:
        >>> silu_derivative().verified
        True
    """
    return _derivative_check(
        "silu_derivative",
        "the derivative of SiLU is sigmoid(z) (1 + z (1 - sigmoid(z)))",
        sp.Derivative(SiLU(z), z),
        Sigmoid(z) * (1 + z * (1 - Sigmoid(z))),
        "cancel",
    )


def gelu_derivative() -> Result:
    r"""$\mathrm{GELU}'(z) = \Phi(z) + z\varphi(z)$ for the exact (erf) GELU.

    Examples:
        >>> gelu_derivative().verified
        True
    """
    return _derivative_check(
        "gelu_derivative",
        "the derivative of the exact GELU z Phi(z) is Phi(z) + z phi(z)",
        sp.Derivative(GELU(z), z),
        Phi(z) + z * NormalPdf(z),
        "expand and cancel",
        eq(Phi(z), sym.normal_cdf(z)),
        eq(NormalPdf(z), sym.normal_pdf(z)),
    )


def elu_derivative() -> Result:
    r"""ELU' is 1 right of 0 and $\alpha e^z$ left of it; at 0 it needs $\alpha = 1$.

    Examples:
        >>> elu_derivative().verified
        True
    """
    derivative = sp.Derivative(ELU(z), z)
    d = evaluate(derivative)
    cases = sp.Piecewise((1, z > 0), (alpha * sp.exp(z), z < 0))
    limits = derivative_limits(ELU(z), z)
    left, right = map(evaluate, limits)
    convention = sp.Subs(sym.elu_derivative(z), z, 0)
    ok = (
        d.subs(z, _positive) == 1
        and d.subs(z, _negative) - alpha * sp.exp(_negative) == 0
        and (left, right) == (alpha, 1)
        and convention.doit() == left
    )
    return result(
        "activations.elu_derivative",
        claim="ELU' is 1 for z > 0 and alpha e^z for z < 0; the one-sided derivatives at 0 "
        "are alpha and 1, so ELU is differentiable at 0 only for alpha = 1; funcnet uses "
        "the left value alpha at 0",
        statement=(eq(derivative, cases), eq(limits[0], left), eq(limits[1], right)),
        verified=ok,
        detail=f"d/dz ELU = {d}; one-sided derivatives at 0: left {left}, right {right}; "
        f"funcnet's derivative at 0: {convention.doit()}",
        values={"left": str(left), "right": str(right)},
        steps=(eq(ELU(z), sym.elu(z)), eq(derivative, d), eq(convention, convention.doit())),
    )


def relu_kink() -> Result:
    """ReLU: the one-sided derivatives at 0 differ, so it has no derivative there.

    Examples:
        >>> relu_kink().verified
        True
    """
    limits = derivative_limits(ReLU(z), z)
    left, right = map(evaluate, limits)
    sides = side_limits(ReLU(z), z)
    continuous = tuple(map(evaluate, sides)) == (0, 0) and sym.relu(sp.Integer(0)) == 0
    return result(
        "activations.relu_kink",
        claim="ReLU is continuous at 0 but its left (0) and right (1) derivatives differ, "
        "so it is not differentiable at 0",
        statement=(eq(limits[0], left), eq(limits[1], right)),
        verified=continuous and (left, right) == (0, 1),
        detail=f"left {left}, right {right}; both one-sided limits of ReLU at 0 are 0",
        values={"left": int(left), "right": int(right)},
        steps=(eq(ReLU(z), sym.relu(z)), *(eq(side, 0) for side in sides)),
    )


def relu_derivative() -> Result:
    """ReLU' is 1 for z > 0 and 0 for z < 0; funcnet sets ReLU'(0) = 0, a subgradient.

    Examples:
        >>> relu_derivative().verified
        True
    """
    derivative = sp.Derivative(ReLU(z), z)
    d = evaluate(derivative)
    convention = sp.Subs(sym.relu_derivative(z), z, 0)
    ok = d.subs(z, _positive) == 1 and d.subs(z, _negative) == 0 and convention.doit() == 0
    return result(
        "activations.relu_derivative",
        claim="ReLU' = 1 for z > 0 and 0 for z < 0; at 0 funcnet (like PyTorch) uses 0, "
        "which lies in the subdifferential [0, 1]",
        statement=(eq(derivative, sp.Piecewise((1, z > 0), (0, z < 0))), eq(convention, 0)),
        verified=ok,
        detail=f"d/dz ReLU = {d}; convention at 0: {convention.doit()}",
        steps=(eq(derivative, d),),
    )


def leaky_relu_kink() -> Result:
    """LeakyReLU: left derivative ``a``, right 1 at 0, so no derivative there for a != 1.

    Examples:
        >>> leaky_relu_kink().verified
        True
    """
    limits = derivative_limits(LeakyReLU(z), z)
    left, right = map(evaluate, limits)
    fifth = sp.Rational(1, 5)
    limits_02 = derivative_limits(LeakyReLU(z, fifth), z)
    at_02 = tuple(map(evaluate, limits_02))
    derivative = sp.Derivative(LeakyReLU(z), z)
    d = evaluate(derivative)
    convention = sp.Subs(sym.leaky_relu_derivative(z), z, 0)
    ok = (
        (left, right) == (slope, 1)
        and at_02 == (fifth, 1)
        and (d.subs(z, _positive), d.subs(z, _negative)) == (1, slope)
        and convention.doit() == slope
    )
    return result(
        "activations.leaky_relu_kink",
        claim="LeakyReLU' is 1 for z > 0 and a for z < 0; at 0 the one-sided derivatives "
        "are a and 1, so for a != 1 (e.g. a = 0.2) it is not differentiable at 0; funcnet "
        "(like PyTorch) uses a at 0",
        statement=(eq(limits[0], left), eq(limits[1], right)),
        verified=ok,
        detail=f"left {left}, right {right}; for a = 1/5: {at_02}; d/dz LeakyReLU = {d}",
        steps=(
            eq(LeakyReLU(z), sym.leaky_relu(z)),
            eq(derivative, d),
            *(eq(limit, value) for limit, value in zip(limits_02, at_02, strict=True)),
            eq(convention, convention.doit()),
        ),
    )


CHECKS = (
    sigmoid_derivative,
    tanh_derivative,
    tanh_from_sigmoid,
    softplus_derivative,
    silu_derivative,
    gelu_derivative,
    elu_derivative,
    relu_kink,
    relu_derivative,
    leaky_relu_kink,
    sigmoid_range,
    sigmoid_symmetry,
    tanh_odd,
    sigmoid_smooth,
    sigmoid_derivative_max,
    tanh_derivative_max,
    saturation,
    centring,
    tanh_not_arctan,
)
