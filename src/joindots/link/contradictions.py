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

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from joindots.link.cluster import Edges, sorted_distinct, sorted_has
from joindots.link.context import frame_signatures
from joindots.link.scorer import FastScorer, frame_list_columns

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
    scored: Edges | Iterable[tuple[int, int]] = (),
    codes: np.ndarray | None = None,
) -> list[tuple[int, int]]:
    """Record pairs (a < b) of one cluster whose own evidence is below CONTRADICTION. `scored`: pairs
    the run kept (at the loose threshold or above), whose identities are not asked about again.
    Identities and pairs are found in array operations (a million records: 2 million scored pairs).
    `codes`: the frame's `frame_signatures`, where the caller has them already."""
    lists = frame_list_columns(frame)
    codes = frame_signatures(frame, model) if codes is None else codes  # the whole frame, not a copy
    ids = frame["unique_id"].to_numpy(dtype=np.int64)
    dated = frame["dob"].notna().to_numpy()
    records = ids[dated]
    cluster = np.fromiter((clusters.get(r, r) for r in records.tolist()), np.int64, len(records))
    keyed = pd.DataFrame({"cluster": cluster, "dob": frame["dob"].to_numpy()[dated], "code": codes[dated]})
    keyed["record"] = records
    # an identity: the first record of a cluster with its birth date and compared values
    first = keyed.groupby(["cluster", "dob", "code"], sort=False)["record"].transform("first").to_numpy()
    width = int(ids.max(initial=0)) + 1
    identity = np.full(width, -1, np.int64)
    identity[records] = first
    direct = _direct(identity, scored, width)
    left, right = _unscored(cluster, first, direct, width)
    if not len(left):
        return []
    wanted = sorted_distinct(np.concatenate([left, right]))
    chosen = frame[frame["unique_id"].isin(wanted)]
    scorer = FastScorer(model, chosen, lists, blocking=False)
    scorer.count_terms_of(frame)
    together = _together(joined_by_analysts)
    found = []
    for start in range(0, len(left), BATCH):  # scored in batches of array operations
        a, b = left[start : start + BATCH], right[start : start + BATCH]
        result = scorer.score_row_pairs(scorer.positions(a), scorer.positions(b))
        evidence = result.match_weight - scorer.prior_weight
        for x, y in zip(
            a[evidence < CONTRADICTION].tolist(), b[evidence < CONTRADICTION].tolist(), strict=True
        ):
            if together.get(x, x) != together.get(y, y):
                found.append((x, y))
    return found


def _direct(identity: np.ndarray, scored: Edges | Iterable[tuple[int, int]], width: int) -> np.ndarray:
    """The pairs of identities the run scored directly, as sorted keys (lower * width + higher)."""
    if isinstance(scored, Edges):
        a, b = scored.left, scored.right
    else:
        pairs = np.array([(int(x), int(y)) for x, y in scored], np.int64).reshape(-1, 2)
        a, b = pairs[:, 0], pairs[:, 1]
    ia, ib = identity[a], identity[b]
    kept = (ia >= 0) & (ib >= 0)
    ia, ib = ia[kept], ib[kept]
    return sorted_distinct(np.minimum(ia, ib) * width + np.maximum(ia, ib))


def _unscored(
    cluster: np.ndarray, identity: np.ndarray, direct: np.ndarray, width: int
) -> tuple[np.ndarray, np.ndarray]:
    """Every pair (a < b) of one cluster's identities (its first MAX_IDENTITIES by id) not scored directly:
    those joined only through others."""
    held = pd.DataFrame({"cluster": cluster, "identity": identity}).drop_duplicates()
    held = held.sort_values(["cluster", "identity"], kind="stable")
    held = held[held.groupby("cluster")["identity"].transform("size").to_numpy() > 1]
    held = held[held.groupby("cluster").cumcount().to_numpy() < MAX_IDENTITIES]
    clusters, members = held["cluster"].to_numpy(), held["identity"].to_numpy()
    starts = np.flatnonzero(np.r_[True, clusters[1:] != clusters[:-1]]) if len(clusters) else np.empty(0, int)
    sizes = np.diff(np.r_[starts, len(clusters)])
    left, right = [np.empty(0, np.int64)], [np.empty(0, np.int64)]
    for n in np.unique(sizes).tolist():  # clusters of n identities at once: their pairs (i < j)
        block = members[starts[sizes == n][:, None] + np.arange(n)]
        i, j = np.triu_indices(n, 1)
        left.append(block[:, i].ravel())
        right.append(block[:, j].ravel())
    a, b = np.concatenate(left), np.concatenate(right)
    fresh = ~sorted_has(direct, a * width + b) if len(direct) else np.ones(len(a), bool)
    order = np.lexsort((b[fresh], a[fresh]))
    return a[fresh][order], b[fresh][order]


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
