"""Small SymPy helpers shared by the topic modules."""

from __future__ import annotations

import functools

import sympy as sp

from derivations.definitions import unfold

_h = sp.Symbol("h", positive=True)


def eq(lhs: sp.Basic, rhs: sp.Basic) -> sp.Eq:
    """The equation ``lhs = rhs``, left as written (``sympy.Eq`` would decide ``2 = 2``).

    Examples:
        >>> eq(sp.Integer(2), sp.Integer(2))
        Eq(2, 2)
    """
    return sp.Eq(lhs, rhs, evaluate=False)


def is_zero(expr: sp.Expr) -> bool:
    """Whether ``expr`` reduces to a literal 0 under ``expand`` then ``cancel``.

    ``cancel`` brings a rational function of ``exp(z)`` to one fraction (``exp(-z)``
    counts as ``1/exp(z)``), so an identity between such functions reduces to 0. This is
    much faster than ``simplify`` and never reports a false 0.

    Examples:
        >>> x = sp.Symbol("x")
        >>> is_zero(1 / (1 + sp.exp(-x)) - sp.exp(x) / (sp.exp(x) + 1))
        True
    """
    return sp.cancel(sp.expand(expr)) == 0


@functools.cache
def evaluate(formula: sp.Basic) -> sp.Basic:
    """Unfolds the named functions of ``formula`` and evaluates its derivatives and limits.

    Cached: several checks take the same limit (tanh at infinity, say), and SymPy does
    not cache limits itself.

    Examples:
        >>> from derivations.definitions import Sigmoid, z
        >>> evaluate(sp.Derivative(Sigmoid(z), z))
        exp(-z)/(1 + exp(-z))**2
    """
    return unfold(formula).doit()


def identity(lhs: sp.Expr, rhs: sp.Expr) -> tuple[bool, tuple[sp.Eq, ...]]:
    r"""Proves ``lhs = rhs`` (named functions allowed) and returns the chain of steps.

    Both sides are unfolded and evaluated; the identity holds when their difference
    reduces to 0 under :func:`is_zero`. The steps are the definition, the evaluation (a
    derivative, say) and the equality with the right side, each only where it changes
    something.

    Args:
        lhs: Left side, e.g. ``Derivative(Sigmoid(z), z)``.
        rhs: Right side, e.g. ``Sigmoid(z) * (1 - Sigmoid(z))``.

    Returns:
        ``(holds, steps)``.

    Examples:
        >>> from derivations.definitions import Sigmoid, z
        >>> holds, steps = identity(Sigmoid(-z), 1 - Sigmoid(z))
        >>> holds
        True
        >>> for step in steps:
        ...     print(sp.latex(step))
        \sigma{\left(- z \right)} = \frac{1}{e^{z} + 1}
        \frac{1}{e^{z} + 1} = 1 - \frac{1}{1 + e^{- z}}
    """
    written, target = unfold(lhs), unfold(rhs).doit()
    evaluated = written.doit()
    steps = [eq(lhs, written)] if written != lhs else []
    if evaluated != written:
        steps.append(eq(written, evaluated))
    if target != evaluated:
        steps.append(eq(evaluated, target))
    return is_zero(evaluated - target), tuple(steps)


def derivative_limits(f: sp.Expr, x: sp.Symbol, at: sp.Expr = 0) -> tuple[sp.Limit, sp.Limit]:
    r"""Left and right derivatives of ``f`` at ``at``, as unevaluated limits.

    The left one is $\lim_{h\to0^+} (f(a) - f(a - h))/h$, the right one
    $\lim_{h\to0^+} (f(a + h) - f(a))/h$. SymPy 1.14 mis-evaluates one-sided limits of
    a ``Piecewise`` taken directly; with a positive ``h`` the ``Piecewise`` picks its
    branch before the limit is taken. Evaluate the limits with :func:`evaluate`.

    Args:
        f: Expression in ``x`` (named functions allowed).
        x: The variable.
        at: The point.

    Returns:
        ``(left, right)``, the limits of the two difference quotients.

    Examples:
        >>> x = sp.Symbol("x", real=True)
        >>> left, right = derivative_limits(sp.Abs(x), x)
        >>> print(sp.latex(left))
        \lim_{h \to 0^+}\left(- \frac{\left|{- h}\right|}{h}\right)
        >>> evaluate(left), evaluate(right)
        (-1, 1)
    """
    f0 = f.subs(x, at)
    before, after = _substitute(f, x, at - _h), _substitute(f, x, at + _h)
    rise_before = -before if f0 == 0 else f0 - before
    rise_after = after if f0 == 0 else after - f0
    return sp.Limit(rise_before / _h, _h, 0, "+"), sp.Limit(rise_after / _h, _h, 0, "+")


def side_limits(f: sp.Expr, x: sp.Symbol, at: sp.Expr = 0) -> tuple[sp.Limit, sp.Limit]:
    """Left and right limits of ``f`` at ``at``, approached as in :func:`derivative_limits`.

    Examples:
        >>> x = sp.Symbol("x", real=True)
        >>> limits = side_limits(sp.Abs(x), x)
        >>> limits, [evaluate(v) for v in limits]
        ((Limit(Abs(-h), h, 0, dir='+'), Limit(Abs(h), h, 0, dir='+')), [0, 0])
    """
    before, after = _substitute(f, x, at - _h), _substitute(f, x, at + _h)
    return sp.Limit(before, _h, 0, "+"), sp.Limit(after, _h, 0, "+")


def _substitute(f: sp.Expr, x: sp.Symbol, point: sp.Expr) -> sp.Expr:
    # Left unevaluated, so that a statement shows |-h| rather than what it reduces to.
    with sp.evaluate(False):
        return f.subs(x, point)
