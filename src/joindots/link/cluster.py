"""Clustering records into people: pairs at or above the threshold and analysts' "same" decisions join
records; "not the same" (an analyst's decision, or a contradiction the run found) keeps two records
apart, and no cluster may break it.

Must-links first (one that would join a "not the same" pair is refused), then every pair at the
threshold: connected components. A component that holds a "not the same" pair is cut where the
evidence holding it together is least: the minimum cut between the two records (networkx), each pair
weighing what its probability says (-log2(1 - p) bits, so 0.99 holds twice as hard as 0.9), a must-link
infinitely. One noisy record that contradicts another leaves its person alone, instead of the chain
breaking between two halves of a person's thirty records. Pairs a cut removed are then offered again,
strongest first, and kept wherever they join no "not the same" pair, so the result is maximal: every
pair left between two clusters would have joined a pair that must stay apart.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

Pair = tuple[int, int, float]


def sorted_distinct(values: np.ndarray) -> np.ndarray:
    """np.unique of an integer array by sorting: numpy 2.4's np.unique hashes wide-ranged integers,
    5 s for 5M values where sorting takes 0.04 s."""
    out = np.sort(values)
    return out[np.r_[True, out[1:] != out[:-1]]] if len(out) else out


def sorted_has(ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Which of `wanted` are in `ids` (sorted, not empty)."""
    at = np.minimum(np.searchsorted(ids, wanted), len(ids) - 1)
    return np.asarray(ids[at] == wanted)


@dataclass(frozen=True)
class Edges:
    """Scored pairs as three arrays (record, record, probability): a million pairs as Python tuples
    take 300 MB and seconds to walk; a run clusters them several times."""

    left: np.ndarray
    right: np.ndarray
    probability: np.ndarray

    @classmethod
    def of(cls, pairs: Iterable[Pair]) -> Edges:
        listed = list(pairs)
        return cls(
            np.fromiter((e[0] for e in listed), np.int64, len(listed)),
            np.fromiter((e[1] for e in listed), np.int64, len(listed)),
            np.fromiter((e[2] for e in listed), np.float64, len(listed)),
        )

    def __len__(self) -> int:
        return len(self.left)

    def __iter__(self) -> Iterator[Pair]:
        return zip(self.left.tolist(), self.right.tolist(), self.probability.tolist(), strict=True)

    def __add__(self, extra: Iterable[Pair]) -> Edges:
        more = Edges.of(extra)
        return Edges(
            np.concatenate([self.left, more.left]),
            np.concatenate([self.right, more.right]),
            np.concatenate([self.probability, more.probability]),
        )

    def at_least(self, threshold: float) -> Edges:
        keep = self.probability >= threshold
        return Edges(self.left[keep], self.right[keep], self.probability[keep])


MAX_STRENGTH = 64.0  # bits: p = 1.0 in floating point is strong, not infinite (a must-link is)


@dataclass
class Forest:
    """Union-find that also keeps, per root, the records its members must never be joined with."""

    parent: dict[int, int] = field(default_factory=dict)
    apart: dict[int, set[int]] = field(default_factory=dict)  # only roots with a cannot-link

    def add(self, x: int) -> None:
        if x not in self.parent:
            self.parent[x] = x

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

    def keep_apart(self, a: int, b: int) -> None:
        self.apart.setdefault(a, set()).add(b)
        self.apart.setdefault(b, set()).add(a)


def strength(probability: float) -> float:
    """How hard a pair holds two records together, in bits: -log2(1 - p), at most MAX_STRENGTH."""
    if probability >= 1.0:
        return MAX_STRENGTH
    return min(MAX_STRENGTH, -math.log2(1.0 - probability))


def cluster_records(
    record_ids: Iterable[int],
    pairs: Edges | Iterable[Pair],
    threshold: float,
    must_link: Iterable[tuple[int, int]] = (),
    cannot_link: Iterable[tuple[int, int]] = (),
) -> dict[int, int]:
    """Map every record to its cluster, named by the cluster's smallest record id.

    Records mentioned only in pairs or decisions are clustered too. A must-link that contradicts
    cannot-links (directly or through other must-links) is refused: "not the same" wins.

    The connected components come from scipy (a million records in seconds); only the components
    holding a "not the same" pair are cut, by `_resolve`."""
    cannot = [(a, b) for a, b in cannot_link if a != b]
    decided = Forest()
    for a, b in cannot:
        decided.add(a)
        decided.add(b)
        decided.keep_apart(a, b)
    must = []
    for a, b in sorted(must_link):
        decided.add(a)
        decided.add(b)
        if decided.union(a, b):
            must.append((a, b))
    strong = (pairs if isinstance(pairs, Edges) else Edges.of(pairs)).at_least(threshold)
    joins_a = np.concatenate([strong.left, np.array([a for a, _ in must], np.int64)])
    joins_b = np.concatenate([strong.right, np.array([b for _, b in must], np.int64)])
    listed = np.fromiter(record_ids, np.int64)
    nodes = sorted_distinct(
        np.concatenate([listed, joins_a, joins_b, np.array(list(decided.parent), np.int64)])
    )
    at_a, at_b = np.searchsorted(nodes, joins_a), np.searchsorted(nodes, joins_b)
    links = coo_matrix((np.ones(len(at_a), np.int8), (at_a, at_b)), shape=(len(nodes), len(nodes)))
    _, label = connected_components(links, directed=False)
    name = np.full(int(label.max(initial=-1)) + 1, np.iinfo(np.int64).max)
    np.minimum.at(name, label, nodes)
    out = dict(zip(nodes.tolist(), name[label].tolist(), strict=True))
    component_of = {r: int(label[np.searchsorted(nodes, r)]) for pair in cannot for r in pair}
    broken = {component_of[a] for a, b in cannot if component_of[a] == component_of[b]}
    if broken:
        inside_nodes = np.isin(label, np.fromiter(broken, np.int64, len(broken)))
        inside = set(nodes[inside_nodes].tolist())
        held = inside_nodes[np.searchsorted(nodes, strong.left)]
        out.update(
            _resolve(
                inside,
                list(Edges(strong.left[held], strong.right[held], strong.probability[held])),
                [m for m in must if m[0] in inside],
                [c for c in cannot if c[0] in inside and c[1] in inside],
            )
        )
    return out


def _resolve(
    records: set[int], strong: list[Pair], must: list[tuple[int, int]], cannot: list[tuple[int, int]]
) -> dict[int, int]:
    """Clusters of components that hold "not the same" pairs: cut at the minimum, then the removed
    pairs offered again, strongest first, wherever they join no "not the same" pair."""
    removed = _cuts(records, strong, must, cannot)
    out = Forest()
    for r in records:
        out.add(r)
    for a, b in cannot:
        out.keep_apart(a, b)
    cut = {(a, b) for a, b, _ in removed}
    for a, b in must:
        out.union(a, b)
    for a, b, _ in strong:
        if (min(a, b), max(a, b)) not in cut:
            out.union(a, b)
    for a, b, _ in sorted(removed, key=lambda e: (-e[2], e[0], e[1])):
        out.union(a, b)
    return _named(out)


def _cuts(
    records: set[int], strong: list[Pair], must: list[tuple[int, int]], cannot: list[tuple[int, int]]
) -> list[Pair]:
    """The pairs to remove so that no component holds a cannot-link pair: minimum cuts, one pair at a time."""
    if not cannot:
        return []
    joined = Forest()
    for r in records:
        joined.add(r)
    for a, b in must:
        joined.union(a, b)
    for a, b, _ in strong:
        joined.add(a)
        joined.add(b)
        joined.union(a, b)
    broken = {joined.find(a) for a, b in cannot if joined.find(a) == joined.find(b)}
    if not broken:
        return []
    graph = _graph(
        [e for e in strong if joined.find(e[0]) in broken], [m for m in must if joined.find(m[0]) in broken]
    )
    removed: list[Pair] = []
    for a, b in cannot:
        if a not in graph or b not in graph:
            continue
        component = nx.node_connected_component(graph, a)
        if b in component:  # cut within this person's records only, not all the graph's
            _, (side_a, _) = nx.minimum_cut(graph.subgraph(component), a, b)
            crossing = [(x, y) for x, y in graph.edges(side_a) if (x in side_a) != (y in side_a)]
            for x, y in crossing:
                p = graph[x][y]["probability"]
                removed.append((min(x, y), max(x, y), p))
                graph.remove_edge(x, y)
    return removed


def _graph(strong: list[Pair], must: list[tuple[int, int]]) -> nx.Graph:
    """The pairs as a graph whose capacities are their strengths (the strongest of repeated pairs);
    a must-link has no capacity, which networkx reads as infinite."""
    graph = nx.Graph()
    for a, b, p in strong:
        held = graph.get_edge_data(a, b)
        if held is None or held["capacity"] < strength(p):
            graph.add_edge(a, b, capacity=strength(p), probability=p)
    for a, b in must:
        graph.add_edge(a, b)
        graph[a][b].pop("capacity", None)
    return graph


def _named(forest: Forest) -> dict[int, int]:
    members: dict[int, list[int]] = {}
    for r in forest.parent:
        members.setdefault(forest.find(r), []).append(r)
    out: dict[int, int] = {}
    for group in members.values():
        name = min(group)
        for r in group:
            out[r] = name
    return out
