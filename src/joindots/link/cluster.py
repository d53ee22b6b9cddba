"""Clustering records into people: pairs at or above the threshold and analysts' "same" decisions join
records; "different" decisions are hard constraints that no cluster may break.

Greedy agglomeration over a union-find: must-links first, then pairs by descending probability. A merge
that would put both ends of a cannot-link pair in one cluster is refused. With no cannot-links this is
exactly connected components; with them, every cannot-link pair always ends apart and the result is
maximal (any refused edge would have joined a cannot-link pair).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

Pair = tuple[int, int, float]


@dataclass
class _Forest:
    """Union-find that also keeps, per root, the records its members must never be joined with."""

    parent: dict[int, int] = field(default_factory=dict)
    apart: dict[int, set[int]] = field(default_factory=dict)  # only roots with a cannot-link

    def find(self, x: int) -> int:
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: int, b: int) -> bool:
        """Join a's and b's clusters unless a cannot-link forbids it; True when they are (now) together."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        apart_a, apart_b = self.apart.get(ra, set()), self.apart.get(rb, set())
        if any(self.find(x) == rb for x in apart_a) or any(self.find(x) == ra for x in apart_b):
            return False
        small, big = sorted((ra, rb), key=lambda r: len(self.apart.get(r, ())))
        self.parent[small] = big
        moved = self.apart.pop(small, None)
        if moved:
            self.apart.setdefault(big, set()).update(moved)
        return True


def cluster_records(
    record_ids: Iterable[int],
    pairs: Iterable[Pair],
    threshold: float,
    must_link: Iterable[tuple[int, int]] = (),
    cannot_link: Iterable[tuple[int, int]] = (),
) -> dict[int, int]:
    """Map every record to its cluster, named by the cluster's smallest record id.

    Records mentioned only in pairs or decisions are clustered too. A must-link that contradicts
    cannot-links (directly or through other must-links) is refused: "not the same" wins."""
    forest: _Forest = _Forest()

    def add(x: int) -> None:
        if x not in forest.parent:
            forest.parent[x] = x

    for r in record_ids:
        add(r)
    cannot = [(a, b) for a, b in cannot_link if a != b]
    for a, b in cannot:
        add(a)
        add(b)
        forest.apart.setdefault(a, set()).add(b)
        forest.apart.setdefault(b, set()).add(a)
    edges = sorted(must_link)
    strong = [(a, b, p) for a, b, p in pairs if p >= threshold]
    strong.sort(key=lambda e: (-e[2], e[0], e[1]))
    for a, b in [*edges, *((a, b) for a, b, _ in strong)]:
        add(a)
        add(b)
        forest.union(a, b)
    members: dict[int, list[int]] = {}
    for r in forest.parent:
        members.setdefault(forest.find(r), []).append(r)
    out: dict[int, int] = {}
    for group in members.values():
        name = min(group)
        for r in group:
            out[r] = name
    return out
