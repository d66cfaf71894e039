"""The values every check and every claim verdict are reported as.

A check is a plain function with no arguments that returns a :class:`Result`. The CLI
prints results, the tests assert on them and the docs site renders them from the JSON
the CLI writes, so all three read the same values.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, TypeAlias

import sympy as sp

Verdict = Literal["holds", "holds with a caveat", "wrong"]
VERDICTS: tuple[Verdict, ...] = ("holds", "holds with a caveat", "wrong")

#: What a statement or a step is made of: a SymPy expression, relation or boolean (all
#: ``sympy.Basic``) or a matrix, one of them or several side by side.
Formula: TypeAlias = "sp.Basic | sp.MatrixBase"
Formulas: TypeAlias = "Formula | Sequence[Formula]"

#: The LaTeX put between formulas written side by side.
SEPARATOR = r",\quad "


@dataclasses.dataclass(frozen=True)
class Result:
    """The outcome of one check.

    Attributes:
        id: Dotted identifier, ``"<topic>.<name>"``; stable, used by the claims ledger.
        topic: The module the check lives in, e.g. ``"activations"``.
        claim: What is being checked, in words.
        statement: The same claim in LaTeX (without surrounding ``$``), written by
            ``sympy.latex`` from the expressions the check verified.
        verified: Whether the check established the claim.
        detail: How it was established, or what went wrong.
        values: Key numbers or small tables (JSON-compatible) that the tests compare
            against independent numeric computations and the docs render.
        steps: The proof's chain of intermediate results, one LaTeX formula each, from
            the expressions the check computed; empty when the proof has no chain.

    Examples:
        >>> r = Result("demo.one", "demo", "1 + 1 = 2", "1 + 1 = 2", True)
        >>> r.verified, r.as_dict()["id"], r.steps
        (True, 'demo.one', ())
    """

    id: str
    topic: str
    claim: str
    statement: str
    verified: bool
    detail: str = ""
    values: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    steps: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """Returns the result as a JSON-compatible dictionary.

        Examples:
            >>> sorted(Result("a.b", "a", "c", "s", False).as_dict())
            ['claim', 'detail', 'id', 'statement', 'steps', 'topic', 'values', 'verified']
        """
        return {**dataclasses.asdict(self), "values": dict(self.values), "steps": list(self.steps)}


@dataclasses.dataclass(frozen=True)
class ClaimVerdict:
    """The ledger's judgement of one claim made by the lesson.

    Attributes:
        id: Short identifier, e.g. ``"tanh_is_arctan"``.
        claim: The lesson's claim, in our words.
        verdict: ``"holds"``, ``"holds with a caveat"`` or ``"wrong"``.
        correction: The caveat or the corrected statement (empty when it simply holds).
        checks: Ids of the checks whose results decide the verdict. Each of them verifies
            the statement the verdict rests on (for a wrong claim, the corrected one).

    Examples:
        >>> v = ClaimVerdict("x", "1 = 2", "wrong", "1 != 2", ("demo.one",))
        >>> v.verdict
        'wrong'
    """

    id: str
    claim: str
    verdict: Verdict
    correction: str
    checks: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {self.verdict!r}")
        if not self.checks:
            raise ValueError(f"claim {self.id!r} names no deciding checks")

    def as_dict(self) -> dict[str, Any]:
        """Returns the verdict as a JSON-compatible dictionary.

        Examples:
            >>> ClaimVerdict("x", "c", "holds", "", ("a.b",)).as_dict()["checks"]
            ['a.b']
        """
        return {**dataclasses.asdict(self), "checks": list(self.checks)}


Check = Callable[[], Result]


def latex(formulas: Formulas, *, what: str = "a formula") -> str:
    r"""Writes SymPy formulas as one LaTeX string, several separated by ``,\quad``.

    This is where every statement and step of a result becomes LaTeX, so each one is
    ``sympy.latex`` of an expression a check computed, never text typed by hand.

    Args:
        formulas: A SymPy expression, relation, boolean or matrix, or a sequence of them.
        what: What the formulas are, named in errors (e.g. ``"the statement of a.b"``).

    Returns:
        The LaTeX, without surrounding ``$``.

    Raises:
        TypeError: A formula is not a SymPy object (a ``str`` above all).
        ValueError: The sequence is empty.

    Examples:
        >>> x = sp.Symbol("x")
        >>> latex([sp.Eq(sp.sin(x) ** 2 + sp.cos(x) ** 2, 1), sp.Lt(0, sp.exp(x))])
        '\\sin^{2}{\\left(x \\right)} + \\cos^{2}{\\left(x \\right)} = 1,\\quad 0 < e^{x}'
        >>> latex("1 + 1 = 2")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        TypeError: a formula must be a SymPy expression, ... got str '1 + 1 = 2'
    """
    if isinstance(formulas, (sp.Basic, sp.MatrixBase)):
        # The default order sorts the terms of a sum by evaluating the constant ones
        # numerically, which for an infinite Sum or a definite Integral can take minutes;
        # order="old" sorts them structurally instead.
        constants = formulas.atoms(sp.Sum, sp.Integral)
        slow = any(not c.free_symbols for c in constants)
        return sp.latex(formulas, order="old") if slow else sp.latex(formulas)
    if isinstance(formulas, str) or not isinstance(formulas, Sequence):
        raise TypeError(
            f"{what} must be a SymPy expression, relation, boolean or matrix, "
            f"got {type(formulas).__name__} {formulas!r}"
        )
    if not formulas:
        raise ValueError(f"{what} is empty: give at least one SymPy formula")
    return SEPARATOR.join(latex(f, what=what) for f in formulas)


def result(
    id: str,
    *,
    claim: str,
    statement: Formulas,
    verified: bool,
    detail: str = "",
    values: Mapping[str, Any] | None = None,
    steps: Sequence[Formulas] = (),
) -> Result:
    """Builds a :class:`Result`, taking the topic from the id's first component.

    Args:
        id: ``"<topic>.<name>"``.
        claim: The claim in words.
        statement: The claim as the SymPy formulas the check verified (an ``Eq``, an
            inequality, a ``Limit``, ...), or several of them; written to LaTeX here.
        verified: Whether it was established (anything truthy counts, e.g. a SymPy
            ``true``).
        detail: How it was established.
        values: Key numbers, JSON-compatible.
        steps: The chain of intermediate results, each a SymPy formula (or several side
            by side), in the order the proof takes them.

    Returns:
        The result value.

    Raises:
        TypeError: The statement or a step is not made of SymPy objects (e.g. a ``str``).

    Examples:
        >>> two = sp.Eq(sp.Add(1, 1, evaluate=False), 2, evaluate=False)
        >>> r = result("demo.two", claim="1 + 1 = 2", statement=two, verified=True)
        >>> r.topic, r.statement
        ('demo', '1 + 1 = 2')
    """
    topic = id.split(".", 1)[0]
    return Result(
        id,
        topic,
        claim,
        latex(statement, what=f"the statement of {id}"),
        bool(verified),
        detail,
        dict(values or {}),
        tuple(latex(step, what=f"step {i} of {id}") for i, step in enumerate(steps, 1)),
    )


def run_check(check: Check, topic: str) -> Result:
    """Runs one check; an exception becomes a failed result instead of propagating.

    A broken check must not hide the others in the report, so the error is recorded in
    the result's detail and the check counts as not verified.

    Args:
        check: A function with no arguments returning a :class:`Result`; its name is
            the second part of its id.
        topic: The topic it belongs to, the first part of its id.

    Returns:
        The check's result, or a failed result naming the exception.

    Examples:
        >>> def broken() -> Result:
        ...     raise ZeroDivisionError("division by zero")
        >>> r = run_check(broken, "demo")
        >>> r.verified, r.detail
        (False, 'ZeroDivisionError: division by zero')
    """
    try:
        return check()
    except Exception as error:  # reported in the result, see the docstring
        summary = (check.__doc__ or check.__name__).strip().splitlines()[0]
        return Result(
            f"{topic}.{check.__name__}",
            topic,
            summary,
            "",
            False,
            f"{type(error).__name__}: {error}",
        )
