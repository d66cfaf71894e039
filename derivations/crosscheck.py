"""Symbols against numbers: SymPy's derivatives versus ``jax.grad`` of funcnet.

This is the only module of ``derivations`` that imports funcnet (and JAX), and it does
so inside the checks, so importing the package stays free of JAX. Each check turns on
64-bit floats with ``jax.config.update("jax_enable_x64", True)`` while it computes,
because comparing to 1e-12 is meaningless in float32, and then restores the previous
setting: the flag is process-wide and other code may rely on it. The symbolic side is
evaluated with mpmath at 30 digits, so overflow in an intermediate (``e^z`` for large
``z``) cannot pollute the reference.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from derivations import definitions as sym
from derivations._algebra import evaluate
from derivations._result import Result, result
from derivations.definitions import (
    ELU,
    GELU,
    GELUTanh,
    LeakyReLU,
    ReLU,
    Sigmoid,
    SiLU,
    Softplus,
    Tanh,
    z,
)

#: Grid of inputs: 0, tiny and large magnitudes, and both sides of softplus' switch at 20.
GRID = np.unique(
    np.concatenate(
        [
            np.linspace(-100.0, 100.0, 401),
            [0.0, 1e-300, 1e-12, 1e-6, 0.5, 1.0, 19.999, 20.0, 20.001, 40.0, 60.0],
            [-1e-300, -1e-12, -1e-6, -0.5, -1.0, -19.999, -20.0, -20.001, -40.0, -60.0],
        ]
    )
)

#: Absolute tolerance for float64 gradients of O(1) size.
TOLERANCE = 1e-12


@contextlib.contextmanager
def _float64() -> Iterator[tuple[ModuleType, ModuleType]]:
    """Imports JAX and funcnet, with 64-bit floats on for the duration of the block."""
    import jax

    previous = jax.config.read("jax_enable_x64")
    jax.config.update("jax_enable_x64", True)
    try:
        import funcnet

        yield jax, funcnet
    finally:
        jax.config.update("jax_enable_x64", previous)


#: The gradient JAX computes, ``JaxGrad(f(z), z)``: a name for statements, never evaluated.
JaxGrad = sp.Function("grad_jax")


def _reference(expr: sp.Expr, points: np.ndarray) -> np.ndarray:
    # cse: the derivative of GELU's tanh form repeats its inner expression many times.
    fn = sp.lambdify(z, expr, modules="mpmath", cse=True)
    with mpmath.workdps(30):
        return np.array([float(fn(mpmath.mpf(float(p)))) for p in points])


def _all_grads(jax: ModuleType, functions: list[Callable[[Any], Any]]) -> list[np.ndarray]:
    # One compiled program for all functions: compiling each separately (or running
    # eagerly, which compiles every primitive) costs seconds.
    grads = jax.jit(lambda g: [jax.vmap(jax.grad(f))(g) for f in functions])
    return [np.asarray(v) for v in grads(jax.numpy.asarray(GRID, dtype="float64"))]


def _activation_cases(funcnet: ModuleType) -> dict[str, tuple[Callable, sp.Expr, sp.Expr, float]]:
    # name -> (funcnet function of one array, the function named, its symbolic derivative
    # (a convention at a kink), tolerance)
    def d(f: sp.Expr) -> sp.Expr:
        return sp.Derivative(f, z)

    fifth, hundredth = sp.Rational(1, 5), sp.Rational(1, 100)
    # funcnet's softplus returns x itself above threshold 20 (PyTorch's switch), so its
    # derivative there is 1 instead of sigmoid(z): off by at most sigmoid(-20) ~ 2.1e-9.
    switch = float(sym.sigmoid(sp.Integer(-20))) * 1.01
    return {
        "sigmoid": (funcnet.sigmoid, Sigmoid(z), d(Sigmoid(z)), TOLERANCE),
        "tanh": (funcnet.tanh, Tanh(z), d(Tanh(z)), TOLERANCE),
        "softplus": (funcnet.softplus, Softplus(z), d(Softplus(z)), switch),
        "silu": (funcnet.silu, SiLU(z), d(SiLU(z)), TOLERANCE),
        "gelu": (funcnet.gelu, GELU(z), d(GELU(z)), TOLERANCE),
        "gelu_tanh": (
            lambda x: funcnet.gelu(x, approximate="tanh"),
            GELUTanh(z),
            d(GELUTanh(z)),
            TOLERANCE,
        ),
        "relu": (funcnet.relu, ReLU(z), sym.relu_derivative(z), 0.0),
        "leaky_relu(0.01)": (
            funcnet.leaky_relu,
            LeakyReLU(z, hundredth),
            sym.leaky_relu_derivative(z, hundredth),
            TOLERANCE,
        ),
        "leaky_relu(0.2)": (
            lambda x: funcnet.leaky_relu(x, negative_slope=0.2),
            LeakyReLU(z, fifth),
            sym.leaky_relu_derivative(z, fifth),
            TOLERANCE,
        ),
        "elu(1)": (funcnet.elu, ELU(z, 1), sym.elu_derivative(z, sp.Integer(1)), TOLERANCE),
        "elu(1.5)": (
            lambda x: funcnet.elu(x, alpha=1.5),
            ELU(z, sp.Rational(3, 2)),
            sym.elu_derivative(z, sp.Rational(3, 2)),
            TOLERANCE,
        ),
    }


def _bound(numeric: sp.Expr, exact: sp.Expr, tolerance: float) -> sp.Le:
    # |numeric - exact| <= tolerance, as written.
    return sp.Le(sp.Abs(numeric - exact), sp.Float(tolerance, 3), evaluate=False)


def derivatives() -> Result:
    """``jax.grad`` of every funcnet activation matches its symbolic derivative in float64.

    The grid includes 0, where the piecewise derivatives take funcnet's conventions
    (ReLU' = 0, LeakyReLU' = slope, ELU' = alpha), and |z| up to 100.

    Example:
        >>> derivatives().verified
        True
    """
    with _float64() as (jax, funcnet):
        cases = _activation_cases(funcnet)
        numeric = _all_grads(jax, [fn for fn, _, _, _ in cases.values()])
    errors = {
        name: float(np.max(np.abs(values - _reference(evaluate(expr), GRID))))
        for (name, (_, _, expr, _)), values in zip(cases.items(), numeric, strict=True)
    }
    ok = all(errors[name] <= tolerance for name, (_, _, _, tolerance) in cases.items())
    f = sp.Function("f")(z)
    return result(
        "crosscheck.derivatives",
        claim="for every activation, jax.grad of funcnet's implementation equals the "
        "symbolic derivative on a grid from -100 to 100 including 0 (float64)",
        statement=(
            _bound(JaxGrad(f, z), sp.Derivative(f, z), TOLERANCE),
            sp.Contains(z, sp.Interval(-100, 100), evaluate=False),
        ),
        verified=ok,
        detail=f"{len(GRID)} points; max |error|: "
        + ", ".join(f"{k} {v:.1e}" for k, v in errors.items())
        + " (softplus: within sigmoid(-20), funcnet's linear switch above 20)",
        values={"max_error": errors},
        steps=[
            _bound(JaxGrad(named, z), expr, max(tolerance, TOLERANCE))
            for _, named, expr, tolerance in cases.values()
        ],
    )


def kink_conventions() -> Result:
    """At 0, ``jax.grad`` of funcnet's ReLU, LeakyReLU and ELU gives the documented values.

    Example:
        >>> kink_conventions().verified
        True
    """
    with _float64() as (jax, funcnet):
        found = _kink_values(jax, funcnet)
    ok = all(abs(numeric - float(value)) <= TOLERANCE for numeric, _, value in found.values())
    return result(
        "crosscheck.kink_conventions",
        claim="at the kink z = 0 funcnet's gradients follow the conventions the symbolic "
        "derivatives use: ReLU'(0) = 0, LeakyReLU'(0) = negative_slope, ELU'(0) = alpha",
        statement=[_bound(shown, value, TOLERANCE) for _, shown, value in found.values()],
        verified=ok,
        detail=", ".join(f"{k}: jax {n} vs symbolic {v}" for k, (n, _, v) in found.items()),
        values={k: n for k, (n, _, _) in found.items()},
    )


def _kink_values(
    jax: ModuleType, funcnet: ModuleType
) -> dict[str, tuple[float, sp.Expr, sp.Expr]]:
    # name -> (jax.grad at 0, its statement, the symbolic convention's value at 0)
    zero = jax.numpy.asarray(0.0, dtype="float64")
    fifth, three_halves = sp.Rational(1, 5), sp.Rational(3, 2)
    cases = {
        "relu": (funcnet.relu, ReLU(z), sym.relu_derivative(z)),
        "leaky_relu(0.2)": (
            lambda x: funcnet.leaky_relu(x, negative_slope=0.2),
            LeakyReLU(z, fifth),
            sym.leaky_relu_derivative(z, fifth),
        ),
        "elu(1.5)": (
            lambda x: funcnet.elu(x, alpha=1.5),
            ELU(z, three_halves),
            sym.elu_derivative(z, three_halves),
        ),
    }
    # jit: compiled once per function instead of once per primitive.
    return {
        k: (
            float(jax.jit(jax.grad(f))(zero)),
            sp.Subs(JaxGrad(named, z), z, 0),
            convention.subs(z, 0),
        )
        for k, (f, named, convention) in cases.items()
    }


_POINTS = (
    np.array([0.3, -1.2, 2.0, 0.0]),
    np.array([40.0, -40.0, 1.0, 5.0]),
    np.array([-3.0, -3.0, -3.0, 7.5]),
)
_i, _k = sp.symbols("i k", integer=True, nonnegative=True)
_p, _z = sp.IndexedBase("p"), sp.IndexedBase("z")


def _entries(n: int, entry: sp.Expr, p: sp.Matrix) -> sp.Matrix:
    # The n x n matrix of `entry` in i, k, with p_i replaced by the softmax outputs.
    values = {_p[i]: p[i] for i in range(n)}
    return sp.Matrix(n, n, lambda i, k: entry.xreplace({_i: i, _k: k}).xreplace(values))


def softmax_jacobian() -> Result:
    """``jax.jacfwd`` of funcnet's softmax equals p_i (delta_ik - p_k), lambdified from SymPy.

    Example:
        >>> softmax_jacobian().verified
        True
    """
    logits = sym.logits(4)
    entry = _p[_i] * (sp.KroneckerDelta(_i, _k) - _p[_k])
    formula = sp.lambdify(list(logits), _entries(4, entry, sym.softmax(logits)), modules="mpmath")
    with _float64() as (jax, funcnet):
        jacobian = jax.jit(jax.jacfwd(funcnet.softmax))
        error = max(_vector_error(jacobian, formula, point) for point in _POINTS)
    shown = JaxGrad(sp.Function("softmax_i")(_z), _z[_k])
    return result(
        "crosscheck.softmax_jacobian",
        claim="the Jacobian of funcnet.softmax (by jax.jacfwd) equals diag(p) - p p^T",
        statement=_bound(shown, entry, TOLERANCE),
        verified=error <= TOLERANCE,
        detail=f"max |error| {error:.1e} over {len(_POINTS)} logit vectors of length 4",
        values={"max_error": error},
    )


def loss_gradients() -> Result:
    """Gradients of funcnet's losses match the symbolic ones, including double softmax.

    Cross-entropy of logits: softmax(z) - e_y. Cross-entropy fed softmax outputs:
    J_p (softmax(p) - e_y). Binary cross-entropy with logits: sigmoid(z) - y.

    Example:
        >>> loss_gradients().verified
        True
    """
    with _float64() as (jax, funcnet):
        errors, formulas = _loss_errors(jax, funcnet)
    return result(
        "crosscheck.loss_gradients",
        claim="jax.grad of funcnet's cross_entropy is softmax(z) - onehot(y); fed softmax "
        "outputs it is (diag(p) - p p^T)(softmax(p) - onehot(y)); for "
        "binary_cross_entropy_with_logits it is sigmoid(z) - y",
        statement=formulas,
        verified=all(v <= TOLERANCE for v in errors.values()),
        detail="max |error|: " + ", ".join(f"{k} {v:.1e}" for k, v in errors.items()),
        values={"max_error": errors},
    )


def _loss_errors(jax: ModuleType, funcnet: ModuleType) -> tuple[dict[str, float], list[sp.Le]]:
    jnp = jax.numpy
    logits, label = sym.logits(4), 2
    p = sym.softmax(logits)
    # The gradients entry by entry, in p_k = softmax(z)_k and q_i = softmax(p)_i.
    q, y = sp.IndexedBase("q"), sp.Symbol("y", integer=True)
    jacobian = _p[_k] * (sp.KroneckerDelta(_k, _i) - _p[_i])
    entries = {
        "cross_entropy": _p[_k] - sp.KroneckerDelta(_k, y),
        "cross_entropy(softmax)": sp.Sum(
            jacobian * (q[_i] - sp.KroneckerDelta(_i, y)), (_i, 0, 3)
        ),
    }
    values = {y: label, **{_p[i]: p[i] for i in range(4)}}
    values.update({q[i]: sym.softmax(p)[i] for i in range(4)})
    losses = {
        "cross_entropy": lambda v: funcnet.cross_entropy(v[None, :], jnp.array([label])),
        "cross_entropy(softmax)": lambda v: funcnet.cross_entropy(
            funcnet.softmax(v)[None, :], jnp.array([label])
        ),
    }
    cross_entropy, softmax = sp.Function("CE"), sp.Function("softmax")
    shown = {
        "cross_entropy": cross_entropy(_z, y),
        "cross_entropy(softmax)": cross_entropy(softmax(_z), y),
    }
    errors, statements = {}, []
    for name, entry in entries.items():
        # The label first: a delta summed against a symbolic y would leave a Piecewise.
        vector = [entry.subs({y: label, _k: k}).doit().xreplace(values) for k in range(4)]
        exact_fn = sp.lambdify(list(logits), vector, modules="mpmath", cse=True)
        grad_fn = jax.jit(jax.grad(losses[name]))
        errors[name] = max(_vector_error(grad_fn, exact_fn, pt) for pt in _POINTS)
        statements.append(_bound(JaxGrad(shown[name], _z[_k]), entry, TOLERANCE))
    errors["bce_with_logits"] = _bce_error(jax, funcnet)
    target = sp.Symbol("t", real=True)
    bce = JaxGrad(sp.Function("BCE")(z, target), z)
    statements.append(_bound(bce, Sigmoid(z) - target, TOLERANCE))
    return errors, statements


def _vector_error(grad_fn: Callable, exact_fn: Callable, point: np.ndarray) -> float:
    numeric = np.asarray(grad_fn(point)).ravel()
    with mpmath.workdps(30):
        exact = np.array(
            sp.Matrix(exact_fn(*map(mpmath.mpf, point))).tolist(), dtype=float
        ).ravel()
    return float(np.max(np.abs(numeric - exact)))


def _bce_error(jax: ModuleType, funcnet: ModuleType) -> float:
    grid = jax.numpy.asarray(GRID)
    # With reduction="sum" each element's gradient is its own derivative.
    grad_fn = jax.jit(
        jax.grad(lambda v, t: funcnet.binary_cross_entropy_with_logits(v, t, reduction="sum"))
    )
    error = 0.0
    for label in (0.0, 1.0, 0.3):
        grads = grad_fn(grid, jax.numpy.full_like(grid, label))
        exact = _reference(evaluate(Sigmoid(z)) - label, GRID)
        error = max(error, float(np.max(np.abs(np.asarray(grads) - exact))))
    return error


CHECKS = (derivatives, kink_conventions, softmax_jacobian, loss_gradients)
