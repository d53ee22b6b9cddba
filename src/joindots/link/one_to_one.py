"""Pairs between sources declared duplicate-free (a register known to hold one record per person),
scored as a one-to-one matching.

Splink scores every pair on its own. When two sources each hold one record per person, a record of one
has at most one partner in the other, so its candidates there compete, and a pair that is the only
plausible candidate of both its records is likelier than its own evidence says. This is the bipartite
matching model (Sadinle, "Bayesian estimation of bipartite matchings for record linkage", JASA 2017),
with the number of links estimated from the data instead of sampled. For a record a of source A with
candidates b in source B, each with Bayes factor BF (the pair's evidence, the model's prior taken out):

    P(a ~ b) = λ·BF(a, b) / ((1 − L/n_A) + λ·Σ_b' BF(a, b'))        λ = L / (n_A·n_B)

L is the expected number of A–B links, n_A and n_B the records in each source: a record of A has a
partner with probability L/n_A, equally likely any record of B. L is the fixed point of L = Σ P, as EM
estimates one mixing proportion. The same is written from b's side, and the smaller of the two is kept:
a record's probabilities towards the other source sum to less than one, so above 0.5 each record links
to at most one record there. Pairs inside one duplicate-free source are dropped, since the declaration
says they are never the same person; pairs with any other source are left as they are.

Candidates scored below the floor the pairs were kept at are not counted among the competitors, and
cannot rise: score the pairs down to SCORING_FLOOR for the sources this is used on.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

LEVEL = "one to one: competing candidates"
SCORING_FLOOR = 0.001  # a pair this weak rises to 0.9 only when its sources overlap almost wholly
MAX_ITERATIONS = 200
TOLERANCE = 1e-9  # relative change of L at which the fixed point is reached
TINY = 1e-300


def one_to_one(
    pairs: pd.DataFrame,
    source_of: Mapping[int, str],
    duplicate_free: Collection[str],
    prior: float,
) -> pd.DataFrame:
    """`pairs` (record_l, record_r, match_probability, match_weight, explanation) with the pairs between
    two duplicate-free sources rescored and those within one dropped. `source_of` maps every record of
    the run (not only those in pairs) to its source; `prior` is the model's
    probability_two_random_records_match. The change of weight is one more part of each explanation,
    so the parts still add up to the weight."""
    free = set(duplicate_free)
    left = pairs["record_l"].map(source_of)
    right = pairs["record_r"].map(source_of)
    keep = ~((left == right) & left.isin(free))
    out, left, right = pairs[keep].reset_index(drop=True), left[keep].to_numpy(), right[keep].to_numpy()
    sizes = pd.Series(list(source_of.values())).value_counts()
    for a, b in combinations(sorted(free & set(sizes.index)), 2):
        rows = ((left == a) & (right == b)) | ((left == b) & (right == a))
        if rows.any():
            _rescore(out, rows, left == a, (int(sizes[a]), int(sizes[b])), prior)
    return out


def _rescore(
    out: pd.DataFrame, rows: np.ndarray, left_in_a: np.ndarray, sizes: tuple[int, int], prior: float
) -> None:
    """Rescore `out`'s `rows` (all between sources a and b, of `sizes` records) in place."""
    part = out.loc[rows]
    flip = left_in_a[rows]
    ids_l, ids_r = part["record_l"].to_numpy(), part["record_r"].to_numpy()
    weight_before = part["match_weight"].to_numpy(dtype=float)
    log2_bf = weight_before - math.log2(prior / (1.0 - prior))
    weight = bipartite_weight(np.where(flip, ids_l, ids_r), np.where(flip, ids_r, ids_l), log2_bf, sizes)
    out.loc[rows, "match_weight"] = weight
    out.loc[rows, "match_probability"] = np.exp2(-np.logaddexp2(0.0, -weight))  # 1 / (1 + 2^-w)
    out.loc[rows, "explanation"] = [
        _with_part(e, d) for e, d in zip(part["explanation"], weight - weight_before, strict=True)
    ]


def bipartite_weight(a: np.ndarray, b: np.ndarray, log2_bf: np.ndarray, sizes: tuple[int, int]) -> np.ndarray:
    """log2 odds that each pair (a[i] of source A, b[i] of source B, log2 Bayes factor log2_bf[i]) is one
    person, when A and B hold `sizes` records and each at most one record per person."""
    shift = float(log2_bf.max()) if len(log2_bf) else 0.0
    bf = np.exp2(log2_bf - shift)  # scaled by 2^-shift: sums stay finite, ratios unchanged
    groups = [np.unique(ids, return_inverse=True)[1] for ids in (a, b)]
    competing = [np.bincount(g, weights=bf)[g] - bf for g in groups]  # the other candidates' evidence
    links = min(sizes) / 2.0
    for _ in range(MAX_ITERATIONS):
        weight = _log2_odds(log2_bf, shift, competing, links, sizes)
        new = float(np.exp2(-np.logaddexp2(0.0, -weight)).sum())
        if abs(new - links) <= TOLERANCE * max(links, 1.0):
            break
        links = max(new, TINY)
    return weight


def _log2_odds(
    log2_bf: np.ndarray, shift: float, competing: list[np.ndarray], links: float, sizes: tuple[int, int]
) -> np.ndarray:
    """The smaller of the two sides' log2 odds: λ·BF against no partner at all or another candidate."""
    prior = links / (sizes[0] * sizes[1])  # λ
    against = [
        (1.0 - links / size) + prior * math.pow(2.0, shift) * np.maximum(other, 0.0)
        for other, size in zip(competing, sizes, strict=True)
    ]
    return math.log2(prior) + log2_bf - np.log2(np.maximum(np.maximum(*against), TINY))


def _with_part(explanation: Any, delta: float) -> Any:
    if not isinstance(explanation, dict):
        return explanation
    return {
        **explanation,
        "one_to_one": {"level": LEVEL, "weight": delta, "bayes_factor": math.pow(2.0, delta)},
    }
