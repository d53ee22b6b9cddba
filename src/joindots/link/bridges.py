"""Records that bridge two persons: a record with no date of birth or no forename linked to two people
who are apart.

A "found with: Antony Sullivan" in a missing episode, or a police record with a name and an address
but no birth date, scores about 0.94 against every Antony Sullivan on file on the names alone: right
for one of them at most. Clustering joins everything a record links to, so such a record joins
namesakes born fifty years apart into one person, and the contradictions step cannot see it when one
of them is known only from records like it. This step asks, inside each person, whether the records
with a birth date fall apart into separate persons once the undated records are set aside; an undated
record (or a group of them joined to each other) that links to more than one of those persons must
be one of them, not all:

    P(it is person i) = odds_i / (1 + sum over j of odds_j)

with odds_i from its strongest pair with person i (p / (1 - p)): two equal namesakes share the
probability and neither reaches the threshold. It stays with the person it clearly fits (the others
become "not the same" for it), or, where none fits clearly, on its own: the context step can still
place it by who is around it. Every record of such a group is kept apart, not only the one of its
strongest pair: otherwise the clustering's cut could set that one record aside and leave the others
joining both persons (two "Frederick Thomson"s born in 1963 and 1971 were one person that way; on the
100,000-person world precision 0.99715 -> 0.99765, recall 0.98124 -> 0.98114; at 100k records F1
unchanged, 0.9902). Analysts' "same" decisions are never undone.

A record with a birth date but no forename bridges the same way: "Lamb, born 8 March 1988, WF2 3AJ"
links to twin sisters Angela and Olivia Lamb alike. Counting such records as thin moved precision on
the 100,000-person world from 0.99658 to 0.99715 and at 1M from 0.99586 to 0.99606, recall unchanged
(10k, seeds 1 and 7, and 100k seed 1: no change).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import pandas as pd

from joindots.link.cluster import Forest

Edge = tuple[int, int, float]


def thin_records(frame: pd.DataFrame) -> set[int]:
    """Records that cannot tell namesakes apart: no date of birth, or no forename."""
    thin = frame["dob"].isna() | frame["forename"].isna()
    return set(frame.loc[thin, "unique_id"].astype(int).tolist())


def bridging_records(
    undated: set[int],
    clusters: dict[int, int],
    edges: Iterable[Edge],
    threshold: float,
    joined_by_analysts: Iterable[tuple[int, int]] = (),
) -> list[tuple[int, int]]:
    """Pairs (a < b) to keep apart: an undated record and a record of each person it bridges to but
    does not clearly belong to."""
    apart: set[tuple[int, int]] = set()
    bridges, members = _bridges(undated, clusters, edges, threshold, joined_by_analysts)
    for bridge, persons in bridges.items():
        if len(persons) < 2:
            continue
        odds = {person: _odds(p) for person, (p, _, _) in persons.items()}
        likeliest = max(odds, key=lambda person: (odds[person], -person))
        fits = odds[likeliest] / (1.0 + sum(odds.values())) >= threshold
        for person, (_, _, fixed) in persons.items():
            if not (fits and person == likeliest):
                # every record of the bridge, not only the one of its strongest pair: a cut that
                # set one record apart would leave the others joining both persons
                apart.update((min(loose, fixed), max(loose, fixed)) for loose in members[bridge])
    return sorted(apart)


def _bridges(
    undated: set[int],
    clusters: dict[int, int],
    edges: Iterable[Edge],
    threshold: float,
    joined_by_analysts: Iterable[tuple[int, int]],
) -> tuple[dict[int, dict[int, tuple[float, int, int]]], dict[int, list[int]]]:
    """Within clusters holding both: each group of undated records -> each person (group of dated
    records) it has a pair with -> its strongest pair (probability, undated record, dated record);
    and each such group's undated records."""
    inside = _mixed_pairs(undated, clusters, edges, threshold)
    groups = Forest()  # with no records kept apart, a plain union-find
    for a, b in [*joined_by_analysts, *((a, b) for a, b, _ in inside)]:
        groups.add(a)
        groups.add(b)
    for a, b in joined_by_analysts:
        groups.union(a, b)
    for a, b, _ in inside:
        if (a in undated) == (b in undated):
            groups.union(a, b)  # dated with dated (a person), undated with undated (a bridge)
    best: dict[int, dict[int, tuple[float, int, int]]] = defaultdict(dict)
    for a, b, p in inside:
        if (a in undated) != (b in undated):
            loose, fixed = (a, b) if a in undated else (b, a)
            bridge, person = groups.find(loose), groups.find(fixed)
            if bridge != person and p > best[bridge].get(person, (-1.0, 0, 0))[0]:
                best[bridge][person] = (p, loose, fixed)  # (bridge == person: an analyst joined them)
    members: dict[int, list[int]] = defaultdict(list)
    for record in groups.parent:
        if record in undated and (root := groups.find(record)) in best:
            members[root].append(record)
    return best, members


def _mixed_pairs(
    undated: set[int], clusters: dict[int, int], edges: Iterable[Edge], threshold: float
) -> list[Edge]:
    """The pairs at the threshold inside clusters with at least two dated records and an undated one."""
    size: dict[int, int] = defaultdict(int)
    dated: dict[int, int] = defaultdict(int)
    for record, cluster in clusters.items():
        size[cluster] += 1
        dated[cluster] += record not in undated
    mixed = {c for c, n in size.items() if dated[c] >= 2 and n > dated[c]}
    return [
        (a, b, p)
        for a, b, p in edges
        if p >= threshold and (c := clusters.get(a)) in mixed and clusters.get(b) == c
    ]


def _odds(probability: float) -> float:
    p = min(probability, 1.0 - 1e-12)
    return p / (1.0 - p)
