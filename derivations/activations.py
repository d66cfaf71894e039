"""Activation functions: derivatives, kinks, ranges, centring and saturation.

Every activation is taken from :mod:`derivations.definitions`, where it is written with
``exp``, ``log`` and ``erf`` only, so no check relies on a derivative SymPy already
knows. Identities are decided by ``cancel``/``expand`` reaching exactly 0, which is
fast and leaves no doubt, instead of ``simplify``. The range, centring and saturation
checks are written in :mod:`derivations.activation_ranges` and listed here in ``CHECKS``.
"""

from __future__ import annotations

import sympy as sp

from derivations import definitions as sym
from derivations._algebra import is_zero, one_sided_derivatives, one_sided_limits
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
    alpha,
    elu,
    gelu,
    leaky_relu,
    normal_cdf,
    normal_pdf,
    relu,
    sigmoid,
    silu,
    slope,
    softplus,
    tanh,
    z,
)


def sigmoid_derivative() -> Result:
    r"""$\sigma' = \sigma(1 - \sigma)$.

    Example:
        >>> sigmoid_derivative().verified
        True
    """
    s = sigmoid(z)
    return result(
        "activations.sigmoid_derivative",
        claim="the derivative of sigmoid is sigmoid times (1 - sigmoid)",
        statement=r"\sigma'(z) = \sigma(z)\,(1 - \sigma(z))",
        verified=is_zero(sp.diff(s, z) - s * (1 - s)),
        detail="cancel(d/dz sigma - sigma (1 - sigma)) == 0 with sigma = 1/(1 + exp(-z))",
    )


def tanh_derivative() -> Result:
    r"""$\tanh' = 1 - \tanh^2$.

    Example:
        >>> tanh_derivative().verified
        True
    """
    t = tanh(z)
    return result(
        "activations.tanh_derivative",
        claim="the derivative of tanh is 1 - tanh^2",
        statement=r"\tanh'(z) = 1 - \tanh^2(z)",
        verified=is_zero(sp.diff(t, z) - (1 - t**2)),
        detail="cancel(d/dz tanh - (1 - tanh^2)) == 0 with tanh = (e^z - e^-z)/(e^z + e^-z)",
    )


def tanh_from_sigmoid() -> Result:
    r"""$\tanh(z) = 2\sigma(2z) - 1$: tanh is a shifted, rescaled sigmoid.

    Example:
        >>> tanh_from_sigmoid().verified
        True
    """
    return result(
        "activations.tanh_from_sigmoid",
        claim="tanh is a rescaled sigmoid: tanh(z) = 2 sigmoid(2z) - 1",
        statement=r"\tanh(z) = 2\sigma(2z) - 1",
        verified=is_zero(tanh(z) - (2 * sigmoid(2 * z) - 1)),
        detail="cancel(tanh(z) - 2 sigma(2z) + 1) == 0",
    )


def softplus_derivative() -> Result:
    r"""$\frac{d}{dz}\log(1 + e^z) = \sigma(z)$.

    Example:
        >>> softplus_derivative().verified
        True
    """
    return result(
        "activations.softplus_derivative",
        claim="the derivative of softplus is sigmoid",
        statement=r"\frac{d}{dz} \log(1 + e^z) = \sigma(z)",
        verified=is_zero(sp.diff(softplus(z), z) - sigmoid(z)),
        detail="cancel(d/dz log(1 + e^z) - 1/(1 + e^-z)) == 0",
    )


def silu_derivative() -> Result:
    r"""$\mathrm{SiLU}'(z) = \sigma(z)\,(1 + z(1 - \sigma(z)))$.

    Example:
        >>> silu_derivative().verified
        True
    """
    s = sigmoid(z)
    return result(
        "activations.silu_derivative",
        claim="the derivative of SiLU is sigmoid(z) (1 + z (1 - sigmoid(z)))",
        statement=r"\frac{d}{dz}\, z\sigma(z) = \sigma(z)\,(1 + z(1 - \sigma(z)))",
        verified=is_zero(sp.diff(silu(z), z) - s * (1 + z * (1 - s))),
        detail="cancel(d/dz z sigma(z) - sigma (1 + z (1 - sigma))) == 0",
    )


def gelu_derivative() -> Result:
    r"""$\mathrm{GELU}'(z) = \Phi(z) + z\varphi(z)$ for the exact (erf) GELU.

    Example:
        >>> gelu_derivative().verified
        True
    """
    gap = sp.expand(sp.diff(gelu(z), z) - (normal_cdf(z) + z * normal_pdf(z)))
    return result(
        "activations.gelu_derivative",
        claim="the derivative of the exact GELU z Phi(z) is Phi(z) + z phi(z)",
        statement=r"\frac{d}{dz}\, z\Phi(z) = \Phi(z) + z\,\varphi(z), "
        r"\quad \Phi(z) = \tfrac12\left(1 + \operatorname{erf}(z/\sqrt2)\right)",
        verified=gap == 0,
        detail=f"expand(d/dz z Phi(z) - Phi(z) - z phi(z)) = {gap}",
    )


def elu_derivative() -> Result:
    r"""ELU' is 1 right of 0 and $\alpha e^z$ left of it; at 0 it needs $\alpha = 1$.

    Example:
        >>> elu_derivative().verified
        True
    """
    left, right = one_sided_derivatives(elu(z), z)
    neg_branch = sp.diff(alpha * (sp.exp(z) - 1), z)
    ok = (
        sp.diff(z, z) == 1
        and neg_branch - alpha * sp.exp(z) == 0
        and (left, right) == (alpha, 1)
        and sym.elu_derivative(sp.Integer(0)) == left
    )
    return result(
        "activations.elu_derivative",
        claim="ELU' is 1 for z > 0 and alpha e^z for z < 0; the one-sided derivatives at 0 "
        "are alpha and 1, so ELU is differentiable at 0 only for alpha = 1; funcnet uses "
        "the left value alpha at 0",
        statement=r"\mathrm{ELU}'(z) = \begin{cases} 1 & z > 0 \\ \alpha e^z & z < 0 "
        r"\end{cases},\quad \partial_-(0) = \alpha,\ \partial_+(0) = 1",
        verified=ok,
        detail=f"one-sided derivatives at 0: left {left}, right {right}",
        values={"left": str(left), "right": str(right)},
    )


def relu_kink() -> Result:
    """ReLU: the one-sided derivatives at 0 differ, so it has no derivative there.

    Example:
        >>> relu_kink().verified
        True
    """
    left, right = one_sided_derivatives(relu(z), z)
    continuous = one_sided_limits(relu(z), z) == (0, 0)
    return result(
        "activations.relu_kink",
        claim="ReLU is continuous at 0 but its left (0) and right (1) derivatives differ, "
        "so it is not differentiable at 0",
        statement=r"\partial_-\mathrm{ReLU}(0) = 0 \ne 1 = \partial_+\mathrm{ReLU}(0)",
        verified=continuous and (left, right) == (0, 1),
        detail=f"left {left}, right {right}; both one-sided limits of ReLU at 0 are 0",
        values={"left": int(left), "right": int(right)},
    )


def relu_derivative() -> Result:
    """ReLU' is 1 for z > 0 and 0 for z < 0; funcnet sets ReLU'(0) = 0, a subgradient.

    Example:
        >>> relu_derivative().verified
        True
    """
    pos, neg = sp.Symbol("p", positive=True), sp.Symbol("n", negative=True)
    d = sp.diff(relu(z), z)
    convention = sym.relu_derivative(sp.Integer(0))
    ok = d.subs(z, pos) == 1 and d.subs(z, neg) == 0 and convention == 0
    return result(
        "activations.relu_derivative",
        claim="ReLU' = 1 for z > 0 and 0 for z < 0; at 0 funcnet (like PyTorch) uses 0, "
        "which lies in the subdifferential [0, 1]",
        statement=r"\mathrm{ReLU}'(z) = \begin{cases} 1 & z > 0 \\ 0 & z \le 0 \end{cases}",
        verified=ok,
        detail=f"d/dz ReLU = {d}; convention at 0: {convention}",
    )


def leaky_relu_kink() -> Result:
    """LeakyReLU: left derivative ``a``, right 1 at 0, so no derivative there for a != 1.

    Example:
        >>> leaky_relu_kink().verified
        True
    """
    left, right = one_sided_derivatives(leaky_relu(z), z)
    pos, neg = sp.Symbol("p", positive=True), sp.Symbol("n", negative=True)
    d = sp.diff(leaky_relu(z), z)
    at_02 = one_sided_derivatives(leaky_relu(z, sp.Rational(1, 5)), z)
    ok = (
        (left, right) == (slope, 1)
        and at_02 == (sp.Rational(1, 5), 1)
        and (d.subs(z, pos), d.subs(z, neg)) == (1, slope)
        and sym.leaky_relu_derivative(sp.Integer(0)) == slope
    )
    return result(
        "activations.leaky_relu_kink",
        claim="LeakyReLU' is 1 for z > 0 and a for z < 0; at 0 the one-sided derivatives "
        "are a and 1, so for a != 1 (e.g. a = 0.2) it is not differentiable at 0; funcnet "
        "(like PyTorch) uses a at 0",
        statement=r"\partial_-\mathrm{LeakyReLU}(0) = a \ne 1 = \partial_+\mathrm{LeakyReLU}(0)",
        verified=ok,
        detail=f"left {left}, right {right}; for a = 1/5: {at_02}",
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
