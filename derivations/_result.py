"""The values every check and every claim verdict are reported as.

A check is a plain function with no arguments that returns a :class:`Result`. The CLI
prints results, the tests assert on them and the docs site renders them from the JSON
the CLI writes, so all three read the same values.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any, Literal

Verdict = Literal["holds", "holds with a caveat", "wrong"]
VERDICTS: tuple[Verdict, ...] = ("holds", "holds with a caveat", "wrong")


@dataclasses.dataclass(frozen=True)
class Result:
    """The outcome of one check.

    Attributes:
        id: Dotted identifier, ``"<topic>.<name>"``; stable, used by the claims ledger.
        topic: The module the check lives in, e.g. ``"activations"``.
        claim: What is being checked, in words.
        statement: The same claim in LaTeX (without surrounding ``$``).
        verified: Whether the check established the claim.
        detail: How it was established, or what went wrong.
        values: Key numbers or small tables (JSON-compatible) that the tests compare
            against independent numeric computations and the docs render.

    Example:
        >>> r = Result("demo.one", "demo", "1 + 1 = 2", "1 + 1 = 2", True)
        >>> r.verified, r.as_dict()["id"]
        (True, 'demo.one')
    """

    id: str
    topic: str
    claim: str
    statement: str
    verified: bool
    detail: str = ""
    values: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Returns the result as a JSON-compatible dictionary.

        Example:
            >>> sorted(Result("a.b", "a", "c", "s", False).as_dict())
            ['claim', 'detail', 'id', 'statement', 'topic', 'values', 'verified']
        """
        return {**dataclasses.asdict(self), "values": dict(self.values)}


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

    Example:
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

        Example:
            >>> ClaimVerdict("x", "c", "holds", "", ("a.b",)).as_dict()["checks"]
            ['a.b']
        """
        return {**dataclasses.asdict(self), "checks": list(self.checks)}


Check = Callable[[], Result]


def result(
    id: str,
    *,
    claim: str,
    statement: str,
    verified: bool,
    detail: str = "",
    values: Mapping[str, Any] | None = None,
) -> Result:
    """Builds a :class:`Result`, taking the topic from the id's first component.

    Args:
        id: ``"<topic>.<name>"``.
        claim: The claim in words.
        statement: The claim in LaTeX.
        verified: Whether it was established (anything truthy counts, e.g. a SymPy
            ``true``).
        detail: How it was established.
        values: Key numbers, JSON-compatible.

    Returns:
        The result value.

    Example:
        >>> result("demo.two", claim="1 + 1 = 2", statement="1 + 1 = 2", verified=True).topic
        'demo'
    """
    topic = id.split(".", 1)[0]
    return Result(id, topic, claim, statement, bool(verified), detail, dict(values or {}))


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

    Example:
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
