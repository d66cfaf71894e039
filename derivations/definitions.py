"""Symbolic definitions of funcnet's activations, built from ``exp``, ``log`` and ``erf``.

Every function here is written out from elementary pieces instead of SymPy's own
``tanh`` or ``Heaviside``: SymPy already knows the derivative of its ``tanh``, so
differentiating that would assume what the checks set out to prove. The piecewise
functions come with their derivatives spelled out, including the value funcnet (like
PyTorch) uses at the kink, because a derivative at a kink is a convention, not a fact.

All functions take and return SymPy expressions.
"""

from __future__ import annotations

import sympy as sp

#: The real variable the activations are written in.
z = sp.Symbol("z", real=True)

#: The slope of LeakyReLU left of 0, kept symbolic (``negative_slope`` in funcnet).
slope = sp.Symbol("a", positive=True)

#: The ELU scale of the negative branch (``alpha`` in funcnet).
alpha = sp.Symbol("alpha", positive=True)


def sigmoid(x: sp.Expr) -> sp.Expr:
    r"""The logistic function $\sigma(x) = 1 / (1 + e^{-x})$.

    Examples:
        >>> sigmoid(sp.Integer(0))
        1/2
    """
    return 1 / (1 + sp.exp(-x))


def tanh(x: sp.Expr) -> sp.Expr:
    r"""The hyperbolic tangent $(e^x - e^{-x}) / (e^x + e^{-x})$, not SymPy's ``tanh``.

    Examples:
        >>> tanh(sp.Integer(0))
        0
    """
    return (sp.exp(x) - sp.exp(-x)) / (sp.exp(x) + sp.exp(-x))


def softplus(x: sp.Expr) -> sp.Expr:
    r"""$\log(1 + e^x)$ (funcnet's ``softplus`` with ``beta=1``, below its threshold).

    Examples:
        >>> softplus(sp.Integer(0))
        log(2)
    """
    return sp.log(1 + sp.exp(x))


def silu(x: sp.Expr) -> sp.Expr:
    r"""SiLU (swish), $x \sigma(x)$.

    Examples:
        >>> silu(sp.Integer(0))
        0
    """
    return x * sigmoid(x)


def normal_cdf(x: sp.Expr) -> sp.Expr:
    r"""The standard normal CDF $\Phi(x) = (1 + \operatorname{erf}(x / \sqrt 2)) / 2$.

    Examples:
        >>> normal_cdf(sp.Integer(0))
        1/2
    """
    return (1 + sp.erf(x / sp.sqrt(2))) / 2


def normal_pdf(x: sp.Expr) -> sp.Expr:
    r"""The standard normal density $\varphi(x) = e^{-x^2/2} / \sqrt{2\pi}$.

    Examples:
        >>> normal_pdf(sp.Integer(0))
        sqrt(2)/(2*sqrt(pi))
    """
    return sp.exp(-(x**2) / 2) / sp.sqrt(2 * sp.pi)


def gelu(x: sp.Expr) -> sp.Expr:
    r"""GELU in its exact form $x \Phi(x)$ (funcnet's ``approximate="none"``).

    Examples:
        >>> gelu(sp.Integer(0))
        0
    """
    return x * normal_cdf(x)


def gelu_tanh(x: sp.Expr) -> sp.Expr:
    r"""GELU's tanh approximation (funcnet's ``approximate="tanh"``, PyTorch's constants).

    $\tfrac12 x (1 + \tanh(\sqrt{2/\pi}\,(x + 0.044715 x^3)))$.

    Examples:
        >>> gelu_tanh(sp.Integer(0))
        0
    """
    inner = sp.sqrt(2 / sp.pi) * (x + sp.Rational(44715, 10**6) * x**3)
    return x * (1 + tanh(inner)) / 2


def relu(x: sp.Expr) -> sp.Expr:
    r"""$\max(x, 0)$ as an explicit ``Piecewise``.

    Examples:
        >>> relu(sp.Integer(-3)), relu(sp.Integer(2))
        (0, 2)
    """
    return sp.Piecewise((x, x > 0), (0, True))


def relu_derivative(x: sp.Expr) -> sp.Expr:
    """ReLU's derivative with funcnet's (and PyTorch's) value 0 at the kink.

    Examples:
        >>> relu_derivative(sp.Integer(0))
        0
    """
    return sp.Piecewise((1, x > 0), (0, True))


def leaky_relu(x: sp.Expr, negative_slope: sp.Expr = slope) -> sp.Expr:
    r"""LeakyReLU: $x$ for $x > 0$, ``negative_slope`` $\cdot x$ otherwise.

    Examples:
        >>> leaky_relu(sp.Integer(-2), sp.Rational(1, 5))
        -2/5
    """
    return sp.Piecewise((x, x > 0), (negative_slope * x, True))


def leaky_relu_derivative(x: sp.Expr, negative_slope: sp.Expr = slope) -> sp.Expr:
    """LeakyReLU's derivative; at 0 it is ``negative_slope``, as in funcnet and PyTorch.

    Examples:
        >>> leaky_relu_derivative(sp.Integer(0), sp.Rational(1, 5))
        1/5
    """
    return sp.Piecewise((1, x > 0), (negative_slope, True))


def elu(x: sp.Expr, scale: sp.Expr = alpha) -> sp.Expr:
    r"""ELU: $x$ for $x > 0$, $\alpha (e^x - 1)$ otherwise (``scale`` is $\alpha$).

    Examples:
        >>> elu(sp.Integer(0))
        0
    """
    return sp.Piecewise((x, x > 0), (scale * (sp.exp(x) - 1), True))


def elu_derivative(x: sp.Expr, scale: sp.Expr = alpha) -> sp.Expr:
    r"""ELU's derivative; at 0 it takes the left value $\alpha$, as funcnet and PyTorch do.

    Examples:
        >>> elu_derivative(sp.Integer(0), sp.Integer(2))
        2
    """
    return sp.Piecewise((1, x > 0), (scale * sp.exp(x), True))


def step(x: sp.Expr) -> sp.Expr:
    """The unit step: 1 for $x > 0$, 0 otherwise (a jump at 0).

    Examples:
        >>> step(sp.Integer(0)), step(sp.Integer(3))
        (0, 1)
    """
    return sp.Piecewise((1, x > 0), (0, True))


def softmax(logits: sp.Matrix) -> sp.Matrix:
    r"""Softmax of a column of logits, $p_i = e^{z_i} / \sum_j e^{z_j}$.

    Examples:
        >>> softmax(sp.Matrix([0, 0]))
        Matrix([
        [1/2],
        [1/2]])
    """
    exps = logits.applyfunc(sp.exp)
    return exps / sum(exps)


def logits(n: int) -> sp.Matrix:
    """A column of ``n`` real logit symbols ``z0 .. z{n-1}``.

    Examples:
        >>> logits(2).T
        Matrix([[z0, z1]])
    """
    return sp.Matrix(sp.symbols(f"z0:{n}", real=True))


# Named functions for statements. A check states its claim with these (so the LaTeX
# reads sigma(z), not 1/(1 + e^{-z})) and proves it on `unfold` of the same expression.
# They are SymPy undefined functions: `Tanh` prints as \tanh but is not `sympy.tanh`.
Sigmoid = sp.Function("sigma")
Tanh = sp.Function("tanh")
Softplus = sp.Function("softplus")
SiLU = sp.Function("SiLU")
GELU = sp.Function("GELU")
GELUTanh = sp.Function("GELU_tanh")
Phi = sp.Function("Phi")
NormalPdf = sp.Function("varphi")
ReLU = sp.Function("ReLU")
LeakyReLU = sp.Function("LeakyReLU")
ELU = sp.Function("ELU")
Step = sp.Function("H")

_DEFINITIONS = {
    Sigmoid: sigmoid,
    Tanh: tanh,
    Softplus: softplus,
    SiLU: silu,
    GELU: gelu,
    GELUTanh: gelu_tanh,
    Phi: normal_cdf,
    NormalPdf: normal_pdf,
    ReLU: relu,
    LeakyReLU: leaky_relu,
    ELU: elu,
    Step: step,
}


def unfold(expr: sp.Basic) -> sp.Basic:
    r"""Replaces every named function (``Sigmoid``, ``Tanh``, ...) by its definition.

    Derivatives, limits and sums stay unevaluated; call ``.doit()`` to evaluate them.

    Args:
        expr: An expression, relation or matrix written with the named functions.

    Returns:
        The same expression in ``exp``, ``log``, ``erf`` and ``Piecewise`` only.

    Examples:
        >>> unfold(Sigmoid(z) + Tanh(0))
        1/(1 + exp(-z))
        >>> unfold(sp.Derivative(Softplus(z), z)).doit()
        exp(z)/(exp(z) + 1)
    """
    for named, definition in _DEFINITIONS.items():
        expr = expr.replace(named, definition)
    return expr
