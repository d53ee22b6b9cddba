"""Clustering: connected components when nobody has decided anything (checked against networkx), and
analysts' decisions honoured as hard constraints whatever the scores say (Hypothesis)."""

from __future__ import annotations

import random

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from joindots.link.cluster import Edges, cluster_records


def _groups(clusters: dict[int, int]) -> set[frozenset[int]]:
    out: dict[int, set[int]] = {}
    for record, cluster in clusters.items():
        out.setdefault(cluster, set()).add(record)
    return {frozenset(g) for g in out.values()}


@pytest.mark.parametrize("seed", range(20))
def test_without_decisions_clusters_are_networkx_connected_components(seed: int) -> None:
    print(f"seed={seed}")
    rng = random.Random(seed)
    n = rng.randint(1, 200)
    pairs = [(rng.randrange(n), rng.randrange(n), rng.random()) for _ in range(rng.randint(0, 3 * n))]
    pairs = [(a, b, p) for a, b, p in pairs if a != b]
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from((a, b) for a, b, p in pairs if p >= 0.7)
    expected = {frozenset(c) for c in nx.connected_components(graph)}
    assert _groups(cluster_records(range(n), pairs, 0.7)) == expected


def test_cluster_is_named_by_its_smallest_record() -> None:
    clusters = cluster_records([5, 3, 9, 4], [(9, 3, 0.95), (4, 9, 0.99)], 0.9)
    assert clusters == {3: 3, 4: 3, 9: 3, 5: 5}


def test_not_the_same_cuts_the_weakest_link_on_the_chain() -> None:
    # 1-2 strong, 2-3 weaker, 3-4 strong: "1 and 4 are different" must cut the 2-3 edge
    pairs = [(1, 2, 0.99), (2, 3, 0.92), (3, 4, 0.98)]
    clusters = cluster_records([1, 2, 3, 4], pairs, 0.9, cannot_link=[(1, 4)])
    assert _groups(clusters) == {frozenset({1, 2}), frozenset({3, 4})}


def test_same_joins_what_the_scores_left_apart_but_not_against_a_different() -> None:
    clusters = cluster_records([1, 2, 3], [], 0.9, must_link=[(1, 2), (2, 3)], cannot_link=[(1, 3)])
    assert clusters[1] == clusters[2]
    assert clusters[3] != clusters[1]


records = st.integers(min_value=0, max_value=30)
pair_lists = st.lists(st.tuples(records, records, st.floats(0, 1)), max_size=80)
link_lists = st.lists(st.tuples(records, records), max_size=10)


@settings(max_examples=200, deadline=None)
@given(pairs=pair_lists, must=link_lists, cannot=link_lists, threshold=st.floats(0, 1))
def test_decisions_always_hold_and_the_result_is_maximal(pairs, must, cannot, threshold) -> None:
    pairs = [(a, b, p) for a, b, p in pairs if a != b]
    cannot = [(a, b) for a, b in cannot if a != b]
    clusters = cluster_records(range(31), pairs, threshold, must_link=must, cannot_link=cannot)
    assert set(clusters) == set(range(31))
    for a, b in cannot:
        assert clusters[a] != clusters[b], "a 'different' decision was broken"
    forbidden = {frozenset((clusters[a], clusters[b])) for a, b in cannot}
    edges = [(a, b) for a, b, p in pairs if p >= threshold] + list(must)
    for a, b in edges:
        if clusters[a] != clusters[b]:
            assert frozenset((clusters[a], clusters[b])) in forbidden, "an edge was refused for no reason"
    # every cluster is held together by accepted edges
    graph = nx.Graph()
    graph.add_nodes_from(clusters)
    graph.add_edges_from((a, b) for a, b in edges if clusters[a] == clusters[b])
    assert _groups(clusters) == {frozenset(c) for c in nx.connected_components(graph)}
    as_arrays = cluster_records(range(31), Edges.of(pairs), threshold, must_link=must, cannot_link=cannot)
    assert as_arrays == clusters  # a run passes its pairs as arrays (Edges): the same clusters


def test_not_the_same_between_two_noisy_records_leaves_the_person_whole() -> None:
    # a person's records 1-6 (two addresses: 1-3 and 4-6, joined by name, birth date and phone);
    # 7 is a noisy record of the first address, 8 of the second, and the model says 7 and 8 differ.
    # Cutting the chain between the addresses would split the person in half; the least evidence
    # to cut is 8's one pair.
    halves = [(a, b, 0.99999) for a, b in [(1, 2), (2, 3), (1, 3), (4, 5), (5, 6), (4, 6)]]
    across = [(1, 4, 0.9999), (2, 5, 0.9999), (3, 6, 0.9999)]
    noisy = [(1, 7, 0.99), (2, 7, 0.99), (4, 8, 0.95)]
    clusters = cluster_records(range(1, 9), halves + across + noisy, 0.9, cannot_link=[(7, 8)])
    assert _groups(clusters) == {frozenset(range(1, 8)), frozenset({8})}


def test_a_must_link_is_never_cut() -> None:
    # 1 and 3 are different; the weakest pair is 2-3, but an analyst said 2 and 3 are the same
    pairs = [(1, 2, 0.999), (2, 3, 0.91)]
    clusters = cluster_records([1, 2, 3], pairs, 0.9, must_link=[(2, 3)], cannot_link=[(1, 3)])
    assert _groups(clusters) == {frozenset({1}), frozenset({2, 3})}
