"""Small SymPy helpers shared by the topic modules."""

from __future__ import annotations

import sympy as sp

_h = sp.Symbol("h", positive=True)


def is_zero(expr: sp.Expr) -> bool:
    """Whether ``expr`` reduces to a literal 0 under ``expand`` then ``cancel``.

    ``cancel`` brings a rational function of ``exp(z)`` to one fraction (``exp(-z)``
    counts as ``1/exp(z)``), so an identity between such functions reduces to 0. This is
    much faster than ``simplify`` and never reports a false 0.

    Example:
        >>> x = sp.Symbol("x")
        >>> is_zero(1 / (1 + sp.exp(-x)) - sp.exp(x) / (sp.exp(x) + 1))
        True
    """
    return sp.cancel(sp.expand(expr)) == 0


def one_sided_derivatives(f: sp.Expr, x: sp.Symbol, at: sp.Expr = 0) -> tuple[sp.Expr, sp.Expr]:
    """Left and right derivatives of ``f`` at ``at``, as limits of difference quotients.

    SymPy 1.14 mis-evaluates one-sided limits of a ``Piecewise`` taken directly, so the
    point is approached as ``at - h`` and ``at + h`` with a positive ``h`` tending to 0:
    the ``Piecewise`` then picks its branch before the limit is taken.

    Args:
        f: Expression in ``x``.
        x: The variable.
        at: The point.

    Returns:
        ``(left, right)``.

    Example:
        >>> x = sp.Symbol("x", real=True)
        >>> one_sided_derivatives(sp.Abs(x), x)
        (-1, 1)
    """
    f0 = f.subs(x, at)
    left = sp.limit((f.subs(x, at - _h) - f0) / (-_h), _h, 0, "+")
    right = sp.limit((f.subs(x, at + _h) - f0) / _h, _h, 0, "+")
    return left, right


def one_sided_limits(f: sp.Expr, x: sp.Symbol, at: sp.Expr = 0) -> tuple[sp.Expr, sp.Expr]:
    """Left and right limits of ``f`` at ``at``, approached as in :func:`one_sided_derivatives`.

    Example:
        >>> x = sp.Symbol("x", real=True)
        >>> one_sided_limits(sp.Piecewise((x, x > 0), (0, True)), x)
        (0, 0)
    """
    left = sp.limit(f.subs(x, at - _h), _h, 0, "+")
    right = sp.limit(f.subs(x, at + _h), _h, 0, "+")
    return left, right
