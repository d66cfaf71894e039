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
import functools
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


def _activation_functions(funcnet: ModuleType) -> dict[str, Callable[[Any], Any]]:
    return {
        "sigmoid": funcnet.sigmoid,
        "tanh": funcnet.tanh,
        "softplus": funcnet.softplus,
        "silu": funcnet.silu,
        "gelu": funcnet.gelu,
        "gelu_tanh": lambda x: funcnet.gelu(x, approximate="tanh"),
        "relu": funcnet.relu,
        "leaky_relu(0.01)": funcnet.leaky_relu,
        "leaky_relu(0.2)": lambda x: funcnet.leaky_relu(x, negative_slope=0.2),
        "elu(1)": funcnet.elu,
        "elu(1.5)": lambda x: funcnet.elu(x, alpha=1.5),
    }


def _activation_symbols() -> dict[str, tuple[sp.Expr, sp.Expr, float]]:
    # name -> (the function named, its symbolic derivative (a convention at a kink),
    # tolerance), for the functions of _activation_functions.
    def d(f: sp.Expr) -> sp.Expr:
        return sp.Derivative(f, z)

    fifth, hundredth, three_halves = sp.Rational(1, 5), sp.Rational(1, 100), sp.Rational(3, 2)
    # funcnet's softplus returns x itself above threshold 20 (PyTorch's switch), so its
    # derivative there is 1 instead of sigmoid(z): off by at most sigmoid(-20) ~ 2.1e-9.
    switch = float(sym.sigmoid(sp.Integer(-20))) * 1.01
    return {
        "sigmoid": (Sigmoid(z), d(Sigmoid(z)), TOLERANCE),
        "tanh": (Tanh(z), d(Tanh(z)), TOLERANCE),
        "softplus": (Softplus(z), d(Softplus(z)), switch),
        "silu": (SiLU(z), d(SiLU(z)), TOLERANCE),
        "gelu": (GELU(z), d(GELU(z)), TOLERANCE),
        "gelu_tanh": (GELUTanh(z), d(GELUTanh(z)), TOLERANCE),
        "relu": (ReLU(z), sym.relu_derivative(z), 0.0),
        "leaky_relu(0.01)": (
            LeakyReLU(z, hundredth),
            sym.leaky_relu_derivative(z, hundredth),
            TOLERANCE,
        ),
        "leaky_relu(0.2)": (LeakyReLU(z, fifth), sym.leaky_relu_derivative(z, fifth), TOLERANCE),
        "elu(1)": (ELU(z, 1), sym.elu_derivative(z, sp.Integer(1)), TOLERANCE),
        "elu(1.5)": (
            ELU(z, three_halves),
            sym.elu_derivative(z, three_halves),
            TOLERANCE,
        ),
    }


@functools.cache
def _activation_grads() -> dict[str, np.ndarray]:
    """``jax.grad`` of each activation over :data:`GRID`, in float64, by name.

    One compiled program for all of them, shared by :func:`derivatives` and
    :func:`kink_conventions`: compiling each function separately (or running eagerly,
    which compiles every primitive) costs seconds.
    """
    with _float64() as (jax, funcnet):
        functions = _activation_functions(funcnet)
        grads = jax.jit(lambda g: {k: jax.vmap(jax.grad(f))(g) for k, f in functions.items()})
        found = grads(jax.numpy.asarray(GRID, dtype="float64"))
        return {k: np.asarray(v) for k, v in found.items()}


def _bound(numeric: sp.Expr, exact: sp.Expr, tolerance: float) -> sp.Le:
    # |numeric - exact| <= tolerance, as written.
    return sp.Le(sp.Abs(numeric - exact), sp.Float(tolerance, 3), evaluate=False)


def derivatives() -> Result:
    """``jax.grad`` of every funcnet activation matches its symbolic derivative in float64.

    The grid includes 0, where the piecewise derivatives take funcnet's conventions
    (ReLU' = 0, LeakyReLU' = slope, ELU' = alpha), and |z| up to 100.

    Examples:
        >>> derivatives().verified
        True
    """
    cases, numeric = _activation_symbols(), _activation_grads()
    errors = {
        name: float(np.max(np.abs(numeric[name] - _reference(evaluate(expr), GRID))))
        for name, (_, expr, _) in cases.items()
    }
    ok = all(errors[name] <= tolerance for name, (_, _, tolerance) in cases.items())
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
            for named, expr, tolerance in cases.values()
        ],
    )


def kink_conventions() -> Result:
    """At 0, ``jax.grad`` of funcnet's ReLU, LeakyReLU and ELU gives the documented values.

    Examples:
        >>> kink_conventions().verified
        True
    """
    found = _kink_values()
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


def _kink_values() -> dict[str, tuple[float, sp.Expr, sp.Expr]]:
    # name -> (jax.grad at 0, its statement, the symbolic convention's value at 0); the
    # gradients are the ones over GRID, which holds 0 exactly.
    zero = int(np.flatnonzero(GRID == 0.0)[0])
    grads, symbols = _activation_grads(), _activation_symbols()
    return {
        name: (
            float(grads[name][zero]),
            sp.Subs(JaxGrad(symbols[name][0], z), z, 0),
            symbols[name][1].subs(z, 0),
        )
        for name in ("relu", "leaky_relu(0.2)", "elu(1.5)")
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


#: The class index the loss gradients are checked at, and the labels of the BCE check.
_LABEL = 2
_BCE_LABELS = (0.0, 1.0, 0.3)


@functools.cache
def _softmax_and_loss_grads() -> dict[str, np.ndarray]:
    """JAX's softmax Jacobian and loss gradients, in float64, from one compiled program.

    At each logit vector of ``_POINTS``: ``jacfwd`` of softmax and ``grad`` of
    cross-entropy, on logits and on softmax outputs; over :data:`GRID` for each label of
    ``_BCE_LABELS``: the gradient of the summed binary cross-entropy with logits (each
    element's own derivative). Shared by :func:`softmax_jacobian` and
    :func:`loss_gradients`.
    """
    with _float64() as (jax, funcnet):
        jnp = jax.numpy
        target = jnp.array([_LABEL])

        def cross_entropy(v: Any) -> Any:
            return funcnet.cross_entropy(v[None, :], target)

        def cross_entropy_of_softmax(v: Any) -> Any:
            return funcnet.cross_entropy(funcnet.softmax(v)[None, :], target)

        def bce(v: Any, t: Any) -> Any:
            return funcnet.binary_cross_entropy_with_logits(v, t, reduction="sum")

        def program(points: Any, grid: Any, labels: Any) -> dict[str, Any]:
            return {
                "softmax_jacobian": jax.vmap(jax.jacfwd(funcnet.softmax))(points),
                "cross_entropy": jax.vmap(jax.grad(cross_entropy))(points),
                "cross_entropy(softmax)": jax.vmap(jax.grad(cross_entropy_of_softmax))(points),
                "bce_with_logits": jax.vmap(lambda t: jax.grad(bce)(grid, jnp.full_like(grid, t)))(
                    labels
                ),
            }

        found = jax.jit(program)(
            jnp.asarray(np.stack(_POINTS)), jnp.asarray(GRID), jnp.asarray(_BCE_LABELS)
        )
        return {k: np.asarray(v) for k, v in found.items()}


def softmax_jacobian() -> Result:
    """``jax.jacfwd`` of funcnet's softmax equals p_i (delta_ik - p_k), lambdified from SymPy.

    Examples:
        >>> softmax_jacobian().verified
        True
    """
    logits = sym.logits(4)
    entry = _p[_i] * (sp.KroneckerDelta(_i, _k) - _p[_k])
    formula = sp.lambdify(list(logits), _entries(4, entry, sym.softmax(logits)), modules="mpmath")
    numeric = _softmax_and_loss_grads()["softmax_jacobian"]
    error = max(
        _vector_error(n, formula, point) for n, point in zip(numeric, _POINTS, strict=True)
    )
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

    Examples:
        >>> loss_gradients().verified
        True
    """
    errors, formulas = _loss_errors()
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


def _loss_errors() -> tuple[dict[str, float], list[sp.Le]]:
    logits = sym.logits(4)
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
    values = {**{_p[i]: p[i] for i in range(4)}, **{q[i]: sym.softmax(p)[i] for i in range(4)}}
    cross_entropy, softmax = sp.Function("CE"), sp.Function("softmax")
    shown = {
        "cross_entropy": cross_entropy(_z, y),
        "cross_entropy(softmax)": cross_entropy(softmax(_z), y),
    }
    numeric = _softmax_and_loss_grads()
    errors, statements = {}, []
    for name, entry in entries.items():
        # The label first: a delta summed against a symbolic y would leave a Piecewise.
        vector = [entry.subs({y: _LABEL, _k: k}).doit().xreplace(values) for k in range(4)]
        exact_fn = sp.lambdify(list(logits), vector, modules="mpmath", cse=True)
        errors[name] = max(
            _vector_error(n, exact_fn, point)
            for n, point in zip(numeric[name], _POINTS, strict=True)
        )
        statements.append(_bound(JaxGrad(shown[name], _z[_k]), entry, TOLERANCE))
    target = sp.Symbol("t", real=True)
    exact = _reference(evaluate(Sigmoid(z)), GRID)  # the gradient is sigmoid(z) - t
    errors["bce_with_logits"] = max(
        float(np.max(np.abs(grads - (exact - t))))
        for grads, t in zip(numeric["bce_with_logits"], _BCE_LABELS, strict=True)
    )
    bce = JaxGrad(sp.Function("BCE")(z, target), z)
    statements.append(_bound(bce, Sigmoid(z) - target, TOLERANCE))
    return errors, statements


def _vector_error(numeric: np.ndarray, exact_fn: Callable, point: np.ndarray) -> float:
    with mpmath.workdps(30):
        exact = np.array(
            sp.Matrix(exact_fn(*map(mpmath.mpf, point))).tolist(), dtype=float
        ).ravel()
    return float(np.max(np.abs(numeric.ravel() - exact)))


CHECKS = (derivatives, kink_conventions, softmax_jacobian, loss_gradients)
