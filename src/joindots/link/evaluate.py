"""Linkage quality against the synthetic world's truth: pairwise precision/recall/F1 and B-cubed,
overall, by source and by the record's shape (what it gives: a full name and a birth date, a first
name only...). Pairs are first closed into clusters, as the identity step does."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd


def _find(parent: dict[int, int], x: int) -> int:
    while parent.setdefault(x, x) != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


def clusters_from_pairs(pairs: pd.DataFrame, ids: list[int]) -> dict[int, int]:
    """record -> cluster (the smallest record id in it): connected components of the pairs."""
    parent: dict[int, int] = {i: i for i in ids}
    for left, right in zip(pairs["record_l"], pairs["record_r"], strict=True):
        a, b = _find(parent, int(left)), _find(parent, int(right))
        if a != b:
            parent[max(a, b)] = min(a, b)
    return {i: _find(parent, i) for i in ids}


def _same_pairs(labels: dict[int, Any]) -> set[tuple[int, int]]:
    groups: dict[Any, list[int]] = defaultdict(list)
    for record, label in labels.items():
        groups[label].append(record)
    return {(a, b) for members in groups.values() for a in members for b in members if a < b}


def _ratio(num: int | float, den: int | float) -> float:
    return num / den if den else 1.0


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def _pairwise(found: set[tuple[int, int]], true: set[tuple[int, int]]) -> dict[str, float]:
    return _pairwise_counts(len(found & true), len(found), len(true))


def _pairwise_counts(hit: int, found: int, true: int) -> dict[str, float]:
    p, r = _ratio(hit, found), _ratio(hit, true)
    return {"precision": p, "recall": r, "f1": _f1(p, r), "pairs_found": found, "pairs_true": true}


def _members(labels: dict[int, Any]) -> dict[Any, set[int]]:
    members: dict[Any, set[int]] = defaultdict(set)
    for rec, label in labels.items():
        members[label].add(rec)
    return members


Members = tuple[dict[Any, set[int]], dict[Any, set[int]]]  # each predicted and each true cluster's records


def _bcubed(
    predicted: dict[int, Any], truth: dict[int, Any], records: list[int], members: Members
) -> dict[str, float]:
    pred_members, true_members = members
    ps, rs = [], []
    for rec in records:
        mine, real = pred_members[predicted[rec]], true_members[truth[rec]]
        both = len(mine & real)
        ps.append(both / len(mine))
        rs.append(both / len(real))
    p, r = _ratio(sum(ps), len(ps)), _ratio(sum(rs), len(rs))
    return {"precision": p, "recall": r, "f1": _f1(p, r)}


def truth_labels(records: pd.DataFrame, truth_records_csv: str | Path) -> dict[int, str]:
    """unique_id -> true person, joining the frame's (source, record_id) to the truth CSV."""
    truth = pd.read_csv(truth_records_csv, dtype=str)
    key = dict(zip(zip(truth["source"], truth["record_id"], strict=True), truth["person_id"], strict=True))
    labels: dict[int, str] = {}
    for uid, source, record_id in zip(
        records["unique_id"], records["source"], records["record_id"], strict=True
    ):
        labels[int(uid)] = key.get((source, record_id), f"unknown:{source}:{record_id}")
    return labels


def _predicted(pairs_or_clusters: pd.DataFrame, ids: list[int]) -> dict[int, Any]:
    if "record_l" in pairs_or_clusters.columns:
        return clusters_from_pairs(pairs_or_clusters, ids)
    label_col = "person_id" if "person_id" in pairs_or_clusters.columns else "cluster_id"
    given = dict(zip(pairs_or_clusters["unique_id"].astype(int), pairs_or_clusters[label_col], strict=True))
    return {i: given.get(i, f"alone:{i}") for i in ids}


SHAPE_FIELDS = ("forename", "surname", "dob", "postcode", "address")


def record_shapes(records: pd.DataFrame) -> list[str]:
    """What each record gives to be linked on: its names, then a birth date or else an address
    ("full name and date of birth", "first name only"): a figure for all records hides that a
    hotel guest's first name links far less often than a police record."""

    def given(column: str) -> pd.Series:
        values = records[column]
        return values.notna() & (values.astype(str).str.strip() != "")

    forename, surname, dob = given("forename"), given("surname"), given("dob")
    place = given("postcode") | given("address")
    names = [
        {(True, True): "full name", (True, False): "first name", (False, True): "surname"}.get(
            (f, s), "no name"
        )
        for f, s in zip(forename, surname, strict=True)
    ]
    return [
        f"{name} and date of birth" if d else f"{name} and address" if a else f"{name} only"
        for name, d, a in zip(names, dob, place, strict=True)
    ]


def _touching(labels: dict[int, str], pairs: Iterable[tuple[int, int]]) -> Counter[str]:
    """For each label, the pairs with a record of that label on either side (each pair counted once)."""
    counts: Counter[str] = Counter()
    for a, b in pairs:
        left, right = labels[a], labels[b]
        counts[left] += 1
        if right != left:
            counts[right] += 1
    return counts


def _by(
    labels: dict[int, str],
    ids: list[int],
    found: set[tuple[int, int]],
    true: set[tuple[int, int]],
    predicted: dict[int, Any],
    truth: dict[int, Any],
    members: Members,
) -> dict[str, dict[str, Any]]:
    """Each label's scores: pairwise over the pairs touching its records, B-cubed over its records
    (the pairs counted in one pass for every label: a million records' pairs are millions)."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i in ids:
        groups[labels[i]].append(i)
    hit, nfound, ntrue = (_touching(labels, pairs) for pairs in (found & true, found, true))
    return {
        label: {
            "records": len(groups[label]),
            "pairwise": _pairwise_counts(hit[label], nfound[label], ntrue[label]),
            "bcubed": _bcubed(predicted, truth, groups[label], members),
        }
        for label in sorted(groups)
    }


def evaluate(pairs_or_clusters: pd.DataFrame, truth_records_csv: str | Path, records: pd.DataFrame) -> dict:
    """Scores of pairs (record_l, record_r) or clusters (unique_id, person_id|cluster_id).

    `records` maps unique_id to (source, record_id), e.g. the linkage frame; where it also has the
    identity fields (SHAPE_FIELDS), the scores are given by record shape too.
    """
    ids = [int(i) for i in records["unique_id"]]
    truth = truth_labels(records, truth_records_csv)
    predicted = _predicted(pairs_or_clusters, ids)
    found, true = _same_pairs(predicted), _same_pairs(truth)
    result: dict[str, Any] = {"records": len(ids), "pairwise": _pairwise(found, true)}
    members = (_members(predicted), _members(truth))
    result["bcubed"] = _bcubed(predicted, truth, ids, members)
    scored = (found, true, predicted, truth, members)
    source_of = dict(zip(records["unique_id"].astype(int), records["source"], strict=True))
    result["by_source"] = _by(source_of, ids, *scored)
    if all(column in records.columns for column in SHAPE_FIELDS):
        shape_of = dict(zip(records["unique_id"].astype(int), record_shapes(records), strict=True))
        result["by_shape"] = _by(shape_of, ids, *scored)
    return result


def blocking_recall(
    frame: pd.DataFrame, rules: list[dict[str, Any]], truth: dict[int, Any]
) -> dict[str, Any]:
    """How many true pairs the blocking rules make candidates: a pair no rule proposes is never
    scored, whatever the model would say of it. The rules (a model's
    `blocking_rules_to_generate_predictions`) are evaluated in DuckDB on the true pairs only, each as
    Splink orients it (the lower record id on the left); an exploded list rule holds where the two
    lists share an item."""
    import duckdb

    pairs = pd.DataFrame(sorted(_same_pairs(truth)), columns=["id_l", "id_r"], dtype="int64")
    condition = " OR ".join(f"coalesce(({_pair_condition(rule)}), false)" for rule in rules) or "false"
    with duckdb.connect() as con:
        con.register("records", frame)
        con.register("pairs", pairs)
        found = con.execute(
            "SELECT count(*) FROM pairs p JOIN records l ON l.unique_id = p.id_l "
            f"JOIN records r ON r.unique_id = p.id_r WHERE {condition}"
        ).fetchone()
    candidates = int(found[0]) if found else 0
    return {"true_pairs": len(pairs), "candidates": candidates, "recall": _ratio(candidates, len(pairs))}


def _pair_condition(rule: dict[str, Any]) -> str:
    """A blocking rule's SQL as a condition on one pair: `l.x = r.x` on an exploded list column
    becomes 'the lists share an item'."""
    sql = str(rule["blocking_rule"])
    for column in rule.get("arrays_to_explode") or []:
        for left, right in ((f'l."{column}"', f'r."{column}"'), (f"l.{column}", f"r.{column}")):
            sql = sql.replace(f"{left} = {right}", f"list_has_any({left}, {right})")
    return sql
