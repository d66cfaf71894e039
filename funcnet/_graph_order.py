"""Topological orders of a graph given as edges between node ids `0 .. count - 1`.

Kahn's algorithm finds one; a cycle is found by walking back from a node the
algorithm could not order. `funcnet.graph.Graph` turns the results into its answers
and errors.
"""

from __future__ import annotations

import collections
from collections.abc import Iterable, Sequence


def kahn(count: int, edges: Iterable[tuple[int, int]]) -> tuple[list[int], list[int]]:
    """Kahn's algorithm: `(order, waiting)`, where `waiting[i]` counts the edges into
    node `i` not yet removed (all 0 when every node was ordered).

    Examples:
        >>> kahn(3, [(2, 0), (0, 1)])
        ([2, 0, 1], [0, 0, 0])
        >>> kahn(3, [(0, 1), (1, 2), (2, 1)])
        ([0], [0, 1, 1])
    """
    successors: list[list[int]] = [[] for _ in range(count)]
    waiting = [0] * count
    for source, target in edges:
        successors[source].append(target)
        waiting[target] += 1
    # First come, first served: a queue of the nodes whose inputs are all computed.
    ready = collections.deque(i for i in range(count) if waiting[i] == 0)
    order = []
    while ready:
        node = ready.popleft()
        order.append(node)
        for target in successors[node]:
            waiting[target] -= 1
            if waiting[target] == 0:
                ready.append(target)
    return order, waiting


def find_cycle(waiting: Sequence[int], edges: Iterable[tuple[int, int]]) -> tuple[int, ...]:
    """One cycle among the nodes Kahn's algorithm left waiting, its first node repeated
    at the end, starting from its smallest id.

    Every node left waiting has a predecessor that is also left (else its count would
    have reached 0), so walking back through those must come round to a node again.

    Examples:
        >>> find_cycle([0, 1, 1], [(0, 1), (1, 2), (2, 1)])
        (1, 2, 1)
    """
    left = {i for i, count in enumerate(waiting) if count > 0}
    back = {target: source for source, target in edges if source in left}
    walk, seen = [min(left)], {min(left): 0}
    while (previous := back[walk[-1]]) not in seen:
        seen[previous] = len(walk)
        walk.append(previous)
    loop = walk[seen[previous] :][::-1]
    start = loop.index(min(loop))
    loop = loop[start:] + loop[:start]
    return (*loop, loop[0])


def not_a_permutation(order: Sequence[int], count: int) -> str | None:
    """What is wrong with `order` as a listing of ids `0 .. count - 1`, or None.

    Examples:
        >>> not_a_permutation([0, 2, 2, 5], 4)
        'missing [1, 3], repeated [2], unknown [5]'
        >>> not_a_permutation([1, 0], 2) is None
        True
    """
    expected = set(range(count))
    if len(order) == count and set(order) == expected:
        return None
    counts = collections.Counter(order)
    missing = sorted(expected - set(order))
    repeated = sorted(i for i, n in counts.items() if n > 1)
    unknown = sorted(i for i in counts if i not in expected)
    return f"missing {missing}, repeated {repeated}, unknown {unknown}"
