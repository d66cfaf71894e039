"""What XLA does with a traced graph: operations before and after compiling, and cost.

`jax.jit(fn).lower(...)` turns the jaxpr into an XLA program (HLO) operation for
operation; `.compile()` optimises it. The optimised program's entry computation is
what runs: each instruction there is one kernel, and a `fusion` instruction is one
kernel computing many operations without writing the values between them to memory.
The counts are read from the HLO text JAX returns; XLA's cost analysis gives FLOPs,
transcendental functions (`exp`, `log`, `tanh`, ...) and bytes accessed.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator
from typing import Any

import jax

__all__ = ["CompiledOps", "Kernel", "compiled_ops", "parse_hlo"]

#: HLO instructions that compute nothing: arguments, literals, views and tuples.
FREE = frozenset({"parameter", "constant", "tuple", "get-tuple-element", "bitcast"})
_INSTRUCTION = re.compile(r"^\s*(?:ROOT\s+)?%?(?P<name>[\w.\-]+)\s*=\s*")
_OPCODE = re.compile(r"\s*(?P<opcode>[a-z][\w\-]*)\(")
_CALLS = re.compile(r"calls=%?(?P<callee>[\w.\-]+)")
_OP_NAME = re.compile(r'op_name="(?P<op_name>(?:[^"\\]|\\.)*)"')


@dataclasses.dataclass(frozen=True)
class Instruction:
    """One line of an HLO computation."""

    name: str
    opcode: str
    callee: str | None
    op_name: str


@dataclasses.dataclass(frozen=True)
class Kernel:
    """One instruction of the compiled program's entry computation.

    Attributes:
        name: XLA's name for it, e.g. `"add_divide_fusion"`.
        opcode: `"fusion"` for a fused kernel, else the HLO operation (`"dot"`, ...).
        operations: The HLO operations it computes: a fusion's whole body (its
            parameters and constants left out), else just `opcode`.
        sources: The traced operations they come from, as JAX names them in the HLO's
            metadata, `layer scopes/primitive` (`"0:Linear/add"`, `"1:Sigmoid/exp"`),
            each once, in order.
    """

    name: str
    opcode: str
    operations: tuple[str, ...]
    sources: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class CompiledOps:
    """Operation counts of a function before and after XLA compiles it, and its cost.

    Attributes:
        traced: Operations in the traced graph (`len(graph(fn, ...).operations)`).
        lowered: HLO operations before XLA optimises (parameters, constants and
            tuples left out).
        kernels: The compiled program's kernels, in the order they run.
        flops: Floating-point operations, from XLA's cost analysis.
        transcendentals: Transcendental function evaluations (`exp`, `log`, ...),
            from XLA's cost analysis.
        bytes_accessed: Bytes read and written, from XLA's cost analysis.
    """

    traced: int
    lowered: int
    kernels: tuple[Kernel, ...]
    flops: float
    transcendentals: float
    bytes_accessed: float

    @property
    def compiled(self) -> int:
        """The number of kernels the compiled program runs."""
        return len(self.kernels)

    @property
    def fused(self) -> tuple[Kernel, ...]:
        """The kernels that fuse more than one operation."""
        return tuple(k for k in self.kernels if len(k.operations) > 1)


def _instruction(line: str) -> Instruction | None:
    head = _INSTRUCTION.match(line)
    if not head:
        return None
    rest = line[head.end() :]
    if rest.startswith("("):  # a tuple shape: skip to its closing parenthesis
        depth = 0
        for i, char in enumerate(rest):
            depth += {"(": 1, ")": -1}.get(char, 0)
            if depth == 0:
                rest = rest[i + 1 :]
                break
    else:
        rest = rest.split(" ", 1)[1] if " " in rest else ""
    opcode = _OPCODE.match(rest)
    if not opcode:
        return None
    callee = _CALLS.search(rest)
    op_name = _OP_NAME.search(rest)
    return Instruction(
        head.group("name"),
        opcode.group("opcode"),
        callee.group("callee") if callee else None,
        op_name.group("op_name") if op_name else "",
    )


def parse_hlo(text: str) -> tuple[str, dict[str, list[Instruction]]]:
    """The name of the entry computation and every computation's instructions.

    Args:
        text: HLO text, as `as_hlo_text()` or a compiled function's `as_text()` gives it.

    Returns:
        `(entry, computations)`.

    Raises:
        ValueError: The text has no entry computation.

    Examples:
        >>> entry, computations = parse_hlo('''
        ... ENTRY %main (x: f32[3]) -> f32[3] {
        ...   %x = f32[3]{0} parameter(0)
        ...   ROOT %exp = f32[3]{0} exponential(%x), metadata={op_name="jit(f)/exp"}
        ... }
        ... ''')
        >>> entry, [(i.opcode, i.op_name) for i in computations[entry]]
        ('main', [('parameter', ''), ('exponential', 'jit(f)/exp')])
    """
    computations: dict[str, list[Instruction]] = {}
    entry, current = None, None
    for line in text.splitlines():
        header = re.match(r"^(ENTRY\s+)?%?([\w.\-]+)\s.*\{\s*$", line)
        if header and " = " not in line.split("{", 1)[0]:
            current = header.group(2)
            computations[current] = []
            if header.group(1):
                entry = current
        elif line.startswith("}"):
            current = None
        elif current is not None and (instruction := _instruction(line)):
            computations[current].append(instruction)
    if entry is None:
        raise ValueError("parse_hlo: no ENTRY computation in the HLO text.")
    return entry, computations


def _source(op_name: str) -> str:
    # "jit(f)/0:Linear/add" -> "0:Linear/add": the outermost jit is the function itself.
    parts = op_name.split("/")
    return "/".join(parts[1:]) if len(parts) > 1 and parts[0].startswith("jit(") else op_name


def _body(computations: dict[str, list[Instruction]], name: str) -> Iterator[Instruction]:
    for instruction in computations.get(name, []):
        if instruction.opcode == "fusion" and instruction.callee:
            yield from _body(computations, instruction.callee)
        elif instruction.opcode not in FREE:
            yield instruction


def kernels(text: str) -> tuple[Kernel, ...]:
    """The kernels of a compiled program's HLO text (see `Kernel`)."""
    entry, computations = parse_hlo(text)
    found = []
    for instruction in computations[entry]:
        if instruction.opcode in FREE:
            continue
        inside = [instruction]
        if instruction.opcode == "fusion" and instruction.callee:
            inside = list(_body(computations, instruction.callee))
        sources = [_source(i.op_name) for i in inside if i.op_name]
        found.append(
            Kernel(
                instruction.name,
                instruction.opcode,
                tuple(i.opcode for i in inside),
                tuple(dict.fromkeys(sources)),
            )
        )
    return tuple(found)


def lowered_count(text: str) -> int:
    """Operations of the entry computation of unoptimised HLO text, free ones left out."""
    entry, computations = parse_hlo(text)
    return sum(i.opcode not in FREE for i in computations[entry])


def _cost(compiled: Any) -> dict[str, float]:
    cost = compiled.cost_analysis()
    if isinstance(cost, list | tuple):  # older JAX: one dict per device program
        cost = cost[0] if cost else {}
    return dict(cost or {})


def compiled_ops(fn: Callable[..., Any], *example_args: Any) -> CompiledOps:
    """Compiles `fn` for the example arguments and counts its operations at each stage.

    Args:
        fn: As for `funcnet.graph`; it is wrapped in `jax.jit` (a jitted function
            stays as it is).
        *example_args: Arrays, pytrees of arrays or `jax.ShapeDtypeStruct`s.

    Returns:
        The traced, lowered and compiled counts, the kernels and XLA's cost analysis,
        for the default backend (the CPU unless JAX finds an accelerator).

    Raises:
        TypeError: As for `funcnet.graph`.

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> from funcnet.graph import compiled_ops
        >>> x = jax.ShapeDtypeStruct((8,), jnp.float32)
        >>> ops = compiled_ops(lambda x: jnp.exp(jnp.sin(x) * 2.0), x)
        >>> ops.traced, ops.compiled, ops.transcendentals
        (3, 1, 16.0)
        >>> ops.kernels[0].sources
        ('sin', 'mul', 'exp')
    """
    from funcnet.graph import graph

    traced = len(graph(fn, *example_args).operations)
    lowered = jax.jit(fn).lower(*example_args)
    before = lowered.compiler_ir("hlo").as_hlo_text()
    compiled = lowered.compile()
    cost = _cost(compiled)
    return CompiledOps(
        traced=traced,
        lowered=lowered_count(before),
        kernels=kernels(compiled.as_text()),
        flops=float(cost.get("flops", 0.0)),
        transcendentals=float(cost.get("transcendentals", 0.0)),
        bytes_accessed=float(cost.get("bytes accessed", 0.0)),
    )
