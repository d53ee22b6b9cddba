"""The linkage model on a small synthetic world: quality against truth, pair shape, explanations that
add up to the score, instant matching of stored and partial records."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
import sqlglot

from joindots.link.evaluate import evaluate
from joindots.link.explain import explain_pair, explanation_of, explanations, level_labels
from joindots.link.frame import build_frame
from joindots.link.instant import matcher_for
from joindots.link.model import M_FLOOR, score_pairs, train_model
from joindots.link.names import fold, fold_address, name_keys, phonetic
from joindots.link.scorer import FastScorer
from link_model_world import World, build_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    built = build_world(tmp_path_factory.mktemp("linkmodel"))
    yield built
    built.engine.dispose()


@pytest.fixture(scope="module")
def pairs(world: World) -> pd.DataFrame:
    return score_pairs(world.frame, world.model, 0.5)


def test_variants_share_a_key() -> None:
    def shared(a: str, b: str) -> set[str]:
        return set(name_keys(fold(a)) or []) & set(name_keys(fold(b)) or [])

    assert shared("Jim", "James") and shared("Jimmy", "Jim")
    assert shared("Mohammed", "Muhammad") and shared("Hussein", "Hossain") and shared("Mohd", "Mohamed")
    assert not shared("Mohammed", "James")
    assert fold("Wójcik") == "wojcik" and fold("O'Neil") == "oneil" and fold("  ") is None
    assert phonetic("mohammed") == phonetic("muhammad")
    assert fold_address("30 Church Rd.,  Chilworth Green") == "30 church rd chilworth green"
    assert fold_address(" ") is None and fold_address(None) is None


def _levels(model: dict, field: str) -> dict[str, dict]:
    comparison = next(c for c in model["comparisons"] if c["output_column_name"] == field)
    return {lv.get("label_for_charts") or lv["sql_condition"]: lv for lv in comparison["comparison_levels"]}


def test_training_leaves_no_level_neutral_or_impossible(world: World) -> None:
    dob_missing = _levels(world.model, "dob")["missing on one side"]
    # a birth date on one record only is weaker evidence than names alone suggest: it counts against
    assert dob_missing["m_probability"] < dob_missing["u_probability"]
    initial = _levels(world.model, "forename")["initial agrees"]
    assert initial["m_probability"] > initial["u_probability"]  # trained by EM, not a default
    for comparison in world.model["comparisons"]:
        for level in comparison["comparison_levels"]:
            assert level.get("m_probability") is None or level["m_probability"] >= M_FLOOR


def test_initial_and_missing_dob_levels(world: World) -> None:
    base = world.frame[world.frame["forename"].notna() & world.frame["dob"].notna()].iloc[0].to_dict()
    guest = {**base, "unique_id": 999_997, "forename": base["forename"][0], "dob": None, "postcode": None}
    fields = explain_pair(world.model, base, guest)["fields"]
    assert fields["forename"]["level"] == "initial agrees"
    assert fields["dob"]["level"] == "missing on one side" and fields["dob"]["weight"] < 0


def test_address_words_in_another_order_agree(world: World) -> None:
    base = world.frame[world.frame["address"].notna()].iloc[0].to_dict()
    words = base["address"].replace(",", " ").split()
    moved = {**base, "unique_id": 999_996, "address": " ".join(words[1:] + words[:1])}
    fields = explain_pair(world.model, base, moved)["fields"]
    assert fields["address"]["level"] == "3 or more words shared" and fields["address"]["weight"] > 0


def test_training_without_phones_skips_that_session(world: World) -> None:
    frame = world.frame.assign(phones=None)
    model = train_model(frame)
    assert _levels(model, "dob")["exact"]["m_probability"] > 0.5


@pytest.mark.slow
def test_quality_against_truth(world: World, pairs: pd.DataFrame) -> None:
    result = evaluate(pairs, world.truth, world.frame)
    print(result["pairwise"], result["bcubed"])
    assert result["pairwise"]["precision"] >= 0.995
    assert result["pairwise"]["f1"] >= 0.98
    assert result["bcubed"]["f1"] >= 0.98


def test_pairs_shape(world: World, pairs: pd.DataFrame) -> None:
    assert list(pairs.columns) == ["record_l", "record_r", "match_probability", "match_weight", "explanation"]
    assert (pairs["record_l"] < pairs["record_r"]).all()
    assert pairs["record_l"].dtype == "int64" and pairs["record_r"].dtype == "int64"
    assert (pairs["match_probability"] >= 0.5).all()
    assert not pairs.duplicated(["record_l", "record_r"]).any()


def test_explanation_adds_up_to_the_weight(world: World, pairs: pd.DataFrame) -> None:
    p = world.model["probability_two_random_records_match"]
    prior = math.log2(p / (1 - p))
    for row in pairs.head(200).to_dict("records"):
        total = prior + sum(f["weight"] for f in row["explanation"].values())
        assert total == pytest.approx(row["match_weight"], abs=1e-6)


def test_explain_pair_agrees_with_the_run(world: World, pairs: pd.DataFrame) -> None:
    row = pairs.iloc[len(pairs) // 2]
    by_id = world.frame.set_index("unique_id")
    a = {"unique_id": int(row["record_l"]), **by_id.loc[row["record_l"]].to_dict()}
    b = {"unique_id": int(row["record_r"]), **by_id.loc[row["record_r"]].to_dict()}
    waterfall = explain_pair(world.model, a, b, world.frame)
    assert waterfall["match_probability"] == pytest.approx(row["match_probability"], rel=1e-9)
    assert {k: v["level"] for k, v in waterfall["fields"].items()} == {
        k: v["level"] for k, v in row["explanation"].items()
    }


def test_swapped_names_and_dob_link(world: World) -> None:
    base = world.frame[world.frame["forename"].notna() & world.frame["dob"].notna()].iloc[0].to_dict()
    swapped = {**base, "unique_id": 999_999, "forename": base["surname"], "surname": base["forename"]}
    assert explain_pair(world.model, base, swapped)["match_probability"] > 0.5
    other_year = {**base, "unique_id": 999_998, "dob": str(int(base["dob"][:4]) + 1) + base["dob"][4:]}
    result = explain_pair(world.model, base, other_year)
    assert result["fields"]["dob"]["level"] == "same day, year one digit off"


def _swap(text: str, at: int) -> str:
    """`text` with the characters at `at` and `at + 1` swapped."""
    return text[:at] + text[at + 1] + text[at] + text[at + 2 :]


def test_keying_slips_reach_their_levels(world: World) -> None:
    people = world.frame[world.frame["surname"].str.len().ge(6) & world.frame["forename"].str.len().ge(6)]
    dated = people[people["dob"].str[8] != people["dob"].str[9]]
    base = dated[dated["postcode"].str[0] != dated["postcode"].str[1]].iloc[0].to_dict()
    slipped = {
        **base,
        "unique_id": 999_995,
        "forename": base["surname"][:-1] + ("x" if base["surname"][-1] != "x" else "y"),
        "surname": base["forename"],
        "dob": _swap(base["dob"], 8),  # the day's digits: '1985-03-12' -> '1985-03-21'
        "postcode": _swap(base["postcode"], 0),  # 'LS6 2AB' -> 'SL6 2AB'
    }
    fields = explain_pair(world.model, base, slipped)["fields"]
    assert fields["forename"]["level"] == "swapped with surname"
    assert fields["dob"]["level"] == "one character off" and fields["dob"]["weight"] > 0
    assert fields["postcode"]["level"] == "one character off"


def test_a_shared_birth_date_is_a_candidate_only_with_more_in_common(world: World) -> None:
    """At a million records thousands share each birth date: blocking on it alone made most of the
    candidate pairs. A shared date pairs two records only where their names or places also agree
    somewhere (the instant scorer blocks as Splink does, tests/test_link_instant.py)."""
    frame = world.frame
    known = frame[
        frame["forename"].notna()
        & frame["surname"].str.len().ge(5)
        & frame["dob"].notna()
        & frame["postcode"].str.contains(" ", na=False)
        & ~frame["forename_initial"].eq("z")
        & ~frame["surname_start"].eq("qui")
    ]
    base = known.iloc[0]
    scorer = FastScorer(world.model, frame)
    position = int(scorer.positions([int(base["unique_id"])])[0])

    def candidate(**fields: str) -> bool:
        stranger = {"forename": "Zebedee", "surname": "Quillfeather", "postcode": "ZZ9 9ZZ", **fields}
        row = build_frame(pd.DataFrame([{"unique_id": 999_990, "dob": base["dob"], **stranger}]))
        return position in scorer.candidate_rows(row.to_dict("records")[0])

    slip = base["surname"][:1] + ("x" if base["surname"][1] != "x" else "y") + base["surname"][2:]
    assert not candidate()
    assert candidate(surname=slip)  # 'Smith' keyed as 'Sxith': another sound, another start
    assert candidate(forename=base["surname"], surname=base["forename"])  # swapped
    assert candidate(postcode=base["postcode_district"] + " 9ZZ")  # the same district


def test_instant_match_of_a_stored_record(world: World, pairs: pd.DataFrame) -> None:
    matcher = matcher_for(world.engine, world.model)
    strong = pairs.sort_values("match_probability").iloc[-1]
    found = matcher.match_record_id(int(strong["record_l"]))
    assert int(strong["record_l"]) not in {m["record_id"] for m in found}
    assert int(strong["record_r"]) in {m["record_id"] for m in found}
    assert all({"person_id", "record_id", "match_probability", "explanation"} <= set(m) for m in found)


def test_partial_record_links_on_phone(world: World) -> None:
    with_phone = world.frame[world.frame["phones"].notna() & world.frame["surname"].notna()].iloc[0]
    matcher = matcher_for(world.engine, world.model)
    guest = {"surname": with_phone["surname"], "phones": list(with_phone["phones"])}
    found = matcher.match_frame_row(guest)
    assert int(with_phone["unique_id"]) in {m["record_id"] for m in found}
    nobody = matcher.match_frame_row({"surname": "Zzyzx", "phones": ["+447000000001"]})
    assert nobody == []


def test_explanations_of_many_rows_equal_each_row_explained_alone():
    levels = [
        {"sql_condition": "l IS NULL", "is_null_level": True},
        {"sql_condition": "l = r", "label_for_charts": "exact"},
        {"sql_condition": "ELSE", "label_for_charts": "else"},
    ]
    model = {
        "comparisons": [{"output_column_name": f, "comparison_levels": levels} for f in ("dob", "surname")]
    }
    rows = pd.DataFrame(
        {
            "gamma_dob": [1, 0, -1, 1],
            "mw_dob": [5.5, -3.0, 0.0, 5.5],
            "gamma_surname": [1, 1, 0, 1],
            "mw_surname": [7.0, 7.0, -4.0, 7.0],
            "mw_tf_adj_surname": [1.25, float("nan"), 0.0, 1.25],
        }
    )
    labels = level_labels(model)
    one_by_one = [explanation_of(row, labels) for row in rows.to_dict("records")]
    together = explanations(rows, model)
    assert together == one_by_one
    assert together[0]["surname"] == {"level": "exact", "weight": 8.25, "bayes_factor": 2**8.25}
    assert together[2]["dob"]["level"] == "missing" and together[1]["dob"]["level"] == "else"
    assert together[0]["dob"] is together[3]["dob"]  # equal parts are shared, not copied per pair


def _one_rule_per_alternative(rule: dict[str, Any]) -> list[dict[str, Any]]:
    """'keys AND CASE WHEN keys THEN (a OR b) ELSE false END' -> 'keys AND a', 'keys AND b'."""
    terms = _and_terms(sqlglot.parse_one(rule["blocking_rule"], read="duckdb"))
    case = next((t for t in terms if isinstance(t, sqlglot.exp.Case)), None)
    if case is None:
        return [rule]
    keys = " AND ".join(t.sql("duckdb") for t in terms if t is not case)
    alternatives = _or_terms(case.args["ifs"][0].args["true"])
    return [{**rule, "blocking_rule": f"{keys} AND ({a.sql('duckdb')})"} for a in alternatives]


def _and_terms(node: Any) -> list[Any]:
    node = node.this if isinstance(node, sqlglot.exp.Paren) else node
    if isinstance(node, sqlglot.exp.And):
        return _and_terms(node.this) + _and_terms(node.expression)
    return [node]


def _or_terms(node: Any) -> list[Any]:
    node = node.this if isinstance(node, sqlglot.exp.Paren) else node
    if isinstance(node, sqlglot.exp.Or):
        return _or_terms(node.this) + _or_terms(node.expression)
    return [node]


def test_blocking_rules_merged_by_key_find_the_pairs_of_one_rule_per_alternative(world: World) -> None:
    """Each broad key's alternatives are one rule behind a CASE (fast in the database); as a rule
    each, in another order, they find exactly the same candidate pairs."""
    rules = world.model["blocking_rules_to_generate_predictions"]
    split = [r for rule in reversed(rules) for r in _one_rule_per_alternative(rule)]
    assert len(split) > len(rules) + 10
    merged = score_pairs(world.frame, world.model, 0.0)
    apart = score_pairs(world.frame, {**world.model, "blocking_rules_to_generate_predictions": split}, 0.0)
    assert len(merged) > len(world.frame)  # every candidate (4,528), not only the likely ones
    assert merged[["record_l", "record_r"]].equals(apart[["record_l", "record_r"]])
