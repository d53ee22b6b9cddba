"""Explanations of a score: for each field, the level two records reached and the weight it carried.

Every number comes from Splink's own computation (its gamma, mw and mw_tf_adj columns), so an explanation
can never disagree with the score it explains.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd


def plain_label(label: str) -> str:
    """A level as an analyst would say it: Splink's own default labels ("Exact match on sex", "All
    other comparisons") in the words the other levels use ("exact", "different")."""
    if label == "All other comparisons":
        return "different"
    if label.startswith("Exact match on "):
        return "exact"
    return label


def level_labels(model: dict[str, Any]) -> dict[str, dict[int, str]]:
    """field -> gamma value -> level label, numbered as Splink numbers them (null -1, then n-1..0)."""
    labels: dict[str, dict[int, str]] = {}
    for comparison in model["comparisons"]:
        levels = comparison["comparison_levels"]
        counter = sum(1 for lv in levels if not lv.get("is_null_level")) - 1
        by_gamma: dict[int, str] = {}
        for level in levels:
            label = plain_label(level.get("label_for_charts") or level["sql_condition"])
            if level.get("is_null_level"):
                by_gamma[-1] = "missing"
            else:
                by_gamma[counter] = label
                counter -= 1
        labels[comparison["output_column_name"]] = by_gamma
    return labels


def _part(labels: dict[int, str], gamma: int, weight: float) -> dict[str, Any]:
    return {"level": labels.get(gamma, str(gamma)), "weight": weight, "bayes_factor": math.pow(2.0, weight)}


def _field(row: dict[str, Any], field: str, labels: dict[int, str]) -> dict[str, Any]:
    gamma = int(row[f"gamma_{field}"])
    weight = float(row[f"mw_{field}"])
    tf = row.get(f"mw_tf_adj_{field}")
    if tf is not None and not (isinstance(tf, float) and math.isnan(tf)):
        weight += float(tf)
    return _part(labels, gamma, weight)


def explanation_of(row: dict[str, Any], labels: dict[str, dict[int, str]]) -> dict[str, Any]:
    return {field: _field(row, field, by_gamma) for field, by_gamma in labels.items()}


def _field_parts(
    predictions: pd.DataFrame, field: str, labels: dict[int, str]
) -> tuple[list[dict[str, Any]], np.ndarray]:
    """One field's distinct parts (level, weight, Bayes factor) and each row's index into them. A part
    is made from the first row with its level and weight, as a row-by-row reading would make it."""
    gammas = predictions[f"gamma_{field}"].to_numpy(dtype=np.int64)
    weights = predictions[f"mw_{field}"].to_numpy(dtype=float)
    tf = f"mw_tf_adj_{field}"
    if tf in predictions:
        weights = weights + np.nan_to_num(predictions[tf].to_numpy(dtype=float), nan=0.0)
    by_weight, _ = pd.factorize(weights)  # exact values, hashed: sorting pairs of them cost seconds
    codes, first = _coded(by_weight.astype(np.int64) * (int(gammas.max(initial=0)) + 2) + gammas + 1)
    parts = [_part(labels, int(gammas[i]), float(weights[i])) for i in first.tolist()]
    return parts, codes


def _coded(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each key's code (0.. in order of first appearance) and each code's first row."""
    codes, uniques = pd.factorize(keys)
    first = np.full(len(uniques), len(keys), dtype=np.int64)
    np.minimum.at(first, codes, np.arange(len(keys), dtype=np.int64))
    return codes.astype(np.int64), first


def explanations(predictions: pd.DataFrame, model: dict[str, Any]) -> list[dict[str, Any]]:
    """Each row's explanation (field -> level, weight, Bayes factor), as `explanation_of` gives it.

    Rows whose every field has the same level and weight share one (read-only) explanation, and
    equal parts are shared between explanations: two million pairs hold as many dicts as they have
    distinct explanations, not one per pair and field."""
    labels = level_labels(model)
    fields = list(labels)
    per_field = [_field_parts(predictions, field, labels[field]) for field in fields]
    combo = np.zeros(len(predictions), dtype=np.int64)
    for parts, codes in per_field:  # kept dense, so the key never outgrows rows x parts
        combo, _ = _coded(combo * len(parts) + codes)
    first = _coded(combo)[1]
    shared = [
        dict(zip(fields, (parts[codes[row]] for parts, codes in per_field), strict=True))
        for row in first.tolist()
    ]
    return [shared[c] for c in combo.tolist()]


def _prior_weight(model: dict[str, Any]) -> float:
    p = float(model["probability_two_random_records_match"])
    return math.log2(p / (1.0 - p))


TF_COLUMNS = ("forename_fold", "surname_fold")


def with_term_frequencies(rows: pd.DataFrame, population: pd.DataFrame) -> pd.DataFrame:
    """`rows` with Splink's tf_ columns as they are in `population` (share of non-null values)."""
    out = rows.copy()
    for column in TF_COLUMNS:
        shares = population[column].value_counts(normalize=True, dropna=True)
        out[f"tf_{column}"] = out[column].map(shares).astype(float)
    return out


def explain_pair(
    model: dict[str, Any],
    record_a_row: dict[str, Any],
    record_b_row: dict[str, Any],
    population: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """The waterfall for one pair: prior, each comparison's level and weight, final probability.

    Pass the records' `population` (the linkage frame) for term frequencies as a run had them;
    without it, the two records alone are the population.
    """
    from joindots.link.frame import build_frame
    from joindots.link.model import linker_for, scoring_model

    frame = build_frame(pd.DataFrame([record_a_row, record_b_row]))
    if population is not None:
        frame = with_term_frequencies(frame, population)
    linker = linker_for(frame, scoring_model(model))
    a, b = frame.to_dict("records")
    scored = linker.inference.score_pair(a, b).as_pandas_dataframe().to_dict("records")[0]
    return {
        "prior": {
            "probability": model["probability_two_random_records_match"],
            "weight": _prior_weight(model),
        },
        "fields": explanation_of(scored, level_labels(model)),
        "match_weight": float(scored["match_weight"]),
        "match_probability": float(scored["match_probability"]),
    }
