"""Persons that contradict themselves: two records of one cluster that the model, asked about the pair
directly, says are different people.

Clustering joins records through chains of strong pairs, so one false pair (a hotel guest "Naila
Iqbal" linked to two women of that name born 45 years apart) can put two people into one person. For
each cluster this asks the model about its distinct identities (records with a date of birth, one per
distinct set of compared values) pair by pair; a pair whose fields together speak against a match
(evidence below CONTRADICTION, in log2 Bayes factor, the prior left out) becomes a "not the same" that
the clustering then honours the way it honours an analyst's, breaking the chain at its weakest pair.
Analysts' "same" decisions are never contradicted: pairs they joined are left alone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from joindots.link.context import signatures
from joindots.link.scorer import FastScorer, compared_columns, is_list_column

# Measured at 100k records (seed 1): evidence below -1 bit split clusters for precision 0.9941 -> 0.9974
# and recall 0.9621 -> 0.9612; below +2 bits gave 0.9983 / 0.9596, below +4 0.9990 / 0.9589.
CONTRADICTION = -1.0
BATCH = 250_000  # pairs scored in one pass
MAX_IDENTITIES = 50  # a cluster with more distinct identities than this is checked on its first 50


def contradictions(
    frame: pd.DataFrame,
    model: dict[str, Any],
    clusters: dict[int, int],
    joined_by_analysts: Iterable[tuple[int, int]] = (),
    scored: Iterable[tuple[int, int]] = (),
) -> list[tuple[int, int]]:
    """Record pairs (a < b) of one cluster whose own evidence is below CONTRADICTION. `scored`: pairs
    the run kept (at the loose threshold or above), whose identities are not asked about again."""
    lists = {c for c in frame.columns if is_list_column(frame[c])}
    signature = signatures(
        frame, compared_columns(model, lists)
    )  # the whole frame, not a copy of its dated rows
    dated = frame.loc[frame["dob"].notna(), ["unique_id", "dob"]]
    members: dict[int, dict[tuple[Any, int], int]] = defaultdict(dict)
    identity: dict[int, int] = {}
    for record, dob in zip(dated["unique_id"].astype(int), dated["dob"], strict=True):
        identity[record] = members[clusters.get(record, record)].setdefault((dob, signature[record]), record)
    direct = {
        (min(ia, ib), max(ia, ib))
        for a, b in scored
        if (ia := identity.get(int(a))) is not None and (ib := identity.get(int(b))) is not None
    }
    asked = {
        c: ids
        for c, m in members.items()
        if len(m) > 1 and _unscored(ids := sorted(m.values())[:MAX_IDENTITIES], direct)
    }
    if not asked:
        return []
    wanted = {r for rs in asked.values() for r in rs}
    chosen = frame[frame["unique_id"].isin(wanted)]
    scorer = FastScorer(model, chosen, lists, blocking=False)
    scorer.count_terms_of(frame)
    together = _together(joined_by_analysts)
    pairs = [
        (a, b)
        for records in asked.values()
        for i, a in enumerate(records[:-1])
        for b in records[i + 1 :]
        if (a, b) not in direct
    ]
    found = []
    for start in range(0, len(pairs), BATCH):  # scored in batches of array operations
        batch = np.array(pairs[start : start + BATCH], dtype=np.int64).reshape(-1, 2)
        result = scorer.score_row_pairs(scorer.positions(batch[:, 0]), scorer.positions(batch[:, 1]))
        evidence = result.match_weight - scorer.prior_weight
        for (a, b), e in zip(batch.tolist(), evidence.tolist(), strict=True):
            if e < CONTRADICTION and together.get(a, a) != together.get(b, b):
                found.append((a, b))
    return found


def _unscored(identities: list[int], direct: set[tuple[int, int]]) -> bool:
    """Whether two of these identities (sorted) were joined only through others."""
    return any((a, b) not in direct for i, a in enumerate(identities) for b in identities[i + 1 :])


def _together(pairs: Iterable[tuple[int, int]]) -> dict[int, int]:
    """record -> a name for the group of records analysts' "same" decisions join."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {x: find(x) for x in list(parent)}
