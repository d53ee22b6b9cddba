"""Pairs between duplicate-free sources scored as a one-to-one matching: competitors lower a pair,
a sole candidate rises when the sources overlap, the overlap is recovered from the data, and each
record keeps at most one link above 0.5 to the other source."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from joindots.link.one_to_one import LEVEL, bipartite_weight, one_to_one

PRIOR = 1e-4
PRIOR_WEIGHT = math.log2(PRIOR / (1 - PRIOR))
SEED = 20240611


def _pairs(rows: list[tuple[int, int, float]]) -> pd.DataFrame:
    """(record_l, record_r, log2 Bayes factor) -> pairs as score_pairs gives them."""
    weight = np.array([bf for _, _, bf in rows]) + PRIOR_WEIGHT
    return pd.DataFrame(
        {
            "record_l": [a for a, _, _ in rows],
            "record_r": [b for _, b, _ in rows],
            "match_probability": 1 / (1 + np.exp2(-weight)),
            "match_weight": weight,
            "explanation": [
                {"dob": {"level": "exact", "weight": bf, "bayes_factor": 2.0**bf}} for *_, bf in rows
            ],
        }
    )


def _register_world(rng: np.random.Generator, size: int, linked: int) -> tuple[pd.DataFrame, dict[int, str]]:
    """Registers A (ids 0..size-1) and B (size..2*size-1): the first `linked` records of A are in B,
    with strong evidence; every record also has three weak, wrong candidates."""
    rows = [(i, size + i, float(rng.uniform(20, 30))) for i in range(linked)]
    for i in range(size):
        for j in rng.choice(size, 3, replace=False):
            if j != i or i >= linked:
                rows.append((i, size + int(j), float(rng.uniform(-10, 0))))
    rows = list({(a, b): (a, b, w) for a, b, w in rows}.values())
    sources = dict.fromkeys(range(size), "A") | {size + i: "B" for i in range(size)}
    return _pairs(rows), sources


def test_pairs_inside_a_register_are_dropped_and_other_sources_kept() -> None:
    pairs = _pairs([(1, 2, 20.0), (1, 3, 20.0), (2, 4, 20.0)])
    sources = {1: "A", 2: "A", 3: "police", 4: "police"}
    out = one_to_one(pairs, sources, ["A", "B"], PRIOR)
    assert list(zip(out["record_l"], out["record_r"], strict=True)) == [(1, 3), (2, 4)]
    pd.testing.assert_frame_equal(out, pairs.iloc[1:].reset_index(drop=True))


def test_a_competitor_on_either_side_lowers_a_pair() -> None:
    alone = _pairs([(1, 11, 14.0), (2, 12, 14.0)])
    rival_of_a = _pairs([(1, 11, 14.0), (1, 13, 14.0), (2, 12, 14.0)])
    rival_of_b = _pairs([(1, 11, 14.0), (3, 11, 14.0), (2, 12, 14.0)])
    sources = dict.fromkeys((1, 2, 3), "A") | dict.fromkeys((11, 12, 13), "B")

    def first(pairs: pd.DataFrame) -> float:
        out = one_to_one(pairs, sources, ["A", "B"], PRIOR)
        return float(out.set_index(["record_l", "record_r"]).loc[(1, 11), "match_probability"])

    assert first(rival_of_a) < first(alone)
    assert first(rival_of_b) < first(alone)
    assert first(rival_of_a) < 0.5  # two equal candidates: neither is likelier than not


def test_overlap_is_recovered_and_a_sole_candidate_rises() -> None:
    rng = np.random.default_rng(SEED)
    print("seed", SEED)
    pairs, sources = _register_world(rng, 400, 300)
    modest = _pairs([(0, 400, 8.0)])  # a true pair with weak evidence, among weak wrong ones
    pairs = pd.concat([modest, pairs[~((pairs["record_l"] == 0) & (pairs["record_r"] == 400))]])
    out = one_to_one(pairs, sources, ["A", "B"], PRIOR)
    assert out["match_probability"].sum() == pytest.approx(300, abs=1.5)  # L: the 300 links
    before = float(modest["match_probability"].iloc[0])
    after = float(out.set_index(["record_l", "record_r"]).loc[(0, 400), "match_probability"])
    # λ = 300/400² and 2^8 evidence: odds 0.48 against 1/4 (no partner) and the weak rivals
    assert before < 0.05 and after > 0.6


def test_each_record_links_at_most_once_above_half() -> None:
    rng = np.random.default_rng(SEED + 1)
    print("seed", SEED + 1)
    size = 60
    a = rng.integers(0, size, 2_000)
    b = rng.integers(0, size, 2_000)
    log2_bf = rng.uniform(-5, 30, 2_000)
    keep = ~pd.DataFrame({"a": a, "b": b}).duplicated().to_numpy()
    weight = bipartite_weight(a[keep], b[keep] + size, log2_bf[keep], (size, size))
    strong = pd.DataFrame({"a": a[keep], "b": b[keep]})[weight > 0]
    assert strong["a"].is_unique and strong["b"].is_unique
    assert np.isfinite(weight).all()


def test_explanation_adds_up_to_the_new_weight() -> None:
    rng = np.random.default_rng(SEED + 2)
    print("seed", SEED + 2)
    pairs, sources = _register_world(rng, 50, 30)
    out = one_to_one(pairs, sources, ["A", "B"], PRIOR)
    for row in out.to_dict("records"):
        assert row["explanation"]["one_to_one"]["level"] == LEVEL
        parts = sum(part["weight"] for part in row["explanation"].values())
        assert PRIOR_WEIGHT + parts == pytest.approx(row["match_weight"], abs=1e-9)
        assert row["match_probability"] == pytest.approx(1 / (1 + 2 ** -row["match_weight"]), rel=1e-12)
