"""Evaluation against truth, checked on cases worked out by hand."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from joindots.link.evaluate import blocking_recall, clusters_from_pairs, evaluate, record_shapes

# Records 1-3 are person A (1, 2 police, 3 health), 4-5 person B, 6 person C.
RECORDS = pd.DataFrame(
    {
        "unique_id": [1, 2, 3, 4, 5, 6],
        "source": ["police", "police", "health", "health", "police", "health"],
        "record_id": ["N1", "N2", "H1", "H2", "N3", "H3"],
    }
)
TRUTH = "source,record_id,person_id\npolice,N1,A\npolice,N2,A\nhealth,H1,A\nhealth,H2,B\npolice,N3,B\nhealth,H3,C\n"


@pytest.fixture
def truth(tmp_path: Path) -> Path:
    path = tmp_path / "records.csv"
    path.write_text(TRUTH)
    return path


def _pairs(*pairs: tuple[int, int]) -> pd.DataFrame:
    return pd.DataFrame(pairs, columns=["record_l", "record_r"])


def test_perfect_linkage(truth: Path) -> None:
    result = evaluate(_pairs((1, 2), (2, 3), (4, 5)), truth, RECORDS)
    assert result["pairwise"] == {
        "precision": 1.0,
        "recall": 1.0,
        "f1": 1.0,
        "pairs_found": 4,
        "pairs_true": 4,
    }
    assert result["bcubed"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0}


def test_missed_and_wrong_links(truth: Path) -> None:
    # 1-2 found, 3 missed; 5 wrongly joined to 6; 4 alone.
    result = evaluate(_pairs((1, 2), (5, 6)), truth, RECORDS)
    pw = result["pairwise"]
    assert (pw["pairs_found"], pw["pairs_true"]) == (2, 4)
    assert pw["precision"] == pytest.approx(1 / 2) and pw["recall"] == pytest.approx(1 / 4)
    # B-cubed precision: 1,2 -> 1; 3 -> 1; 4 -> 1; 5,6 -> 1/2 each => 5/6
    # B-cubed recall: 1,2 -> 2/3; 3 -> 1/3; 4,5 -> 1/2; 6 -> 1 => (4/3 + 1/3 + 1 + 1) / 6
    assert result["bcubed"]["precision"] == pytest.approx(5 / 6)
    assert result["bcubed"]["recall"] == pytest.approx((2 / 3 * 2 + 1 / 3 + 1 / 2 * 2 + 1) / 6)
    assert result["by_source"]["health"]["pairwise"]["pairs_true"] == 3


def test_transitive_closure_and_clusters_agree(truth: Path) -> None:
    assert clusters_from_pairs(_pairs((3, 1), (2, 3)), [1, 2, 3, 4]) == {1: 1, 2: 1, 3: 1, 4: 4}
    clusters = pd.DataFrame(
        {"unique_id": [1, 2, 3, 4, 5, 6], "person_id": ["P1", "P1", "P1", "P2", "P2", "P3"]}
    )
    assert evaluate(clusters, truth, RECORDS)["pairwise"]["f1"] == 1.0


def test_scores_by_what_each_record_gives(truth: Path) -> None:
    # A's police records are full (names and dob), its health record a first name only; B's records
    # give a full name and an address; C's a surname only.
    records = RECORDS.assign(
        forename=["Ann", "Ann", "Ann", "Bo", "Bo", None],
        surname=["Lee", "Lee", None, "Hart", "Hart", "Cole"],
        dob=["2001-02-03", "2001-02-03", None, None, None, None],
        postcode=[None, None, None, "LS1 1AA", None, None],
        address=[None, None, None, None, "1 High St", " "],
    )
    assert record_shapes(records) == [
        "full name and date of birth",
        "full name and date of birth",
        "first name only",
        "full name and address",
        "full name and address",
        "surname only",
    ]
    # 1-2 and 4-5 found; A's first-name-only health record (3) missed
    shapes = evaluate(_pairs((1, 2), (4, 5)), truth, records)["by_shape"]
    assert shapes["full name and date of birth"]["records"] == 2
    assert shapes["full name and date of birth"]["pairwise"]["recall"] == pytest.approx(1 / 3)
    assert shapes["first name only"]["pairwise"]["recall"] == 0.0
    assert shapes["full name and address"]["pairwise"]["f1"] == 1.0
    assert "by_shape" not in evaluate(_pairs((1, 2)), truth, RECORDS), "no identity fields, no shapes"


def test_blocking_recall_counts_the_true_pairs_some_rule_proposes() -> None:
    """A has 1-2-3 (pairs 1-2, 1-3, 2-3), B has 4-5, C alone: four true pairs. The dob rule
    proposes 1-2; the exploded phone rule 2-3 and 4-5 (one shared number each); nothing proposes
    1-3, and 5-6 share a phone but are not a true pair."""
    frame = pd.DataFrame(
        {
            "unique_id": [1, 2, 3, 4, 5, 6],
            "dob": ["1990-01-02", "1990-01-02", None, "1970-05-05", "1971-05-05", None],
            "phones": [
                None,
                ["+447700900001"],
                ["+447700900001", "+447700900002"],
                ["+447700900003"],
                ["+447700900003", "+447700900009"],
                ["+447700900009"],
            ],
        }
    )
    truth = {1: "A", 2: "A", 3: "A", 4: "B", 5: "B", 6: "C"}
    rules = [
        {"blocking_rule": "l.dob = r.dob", "sql_dialect": "duckdb"},
        {
            "blocking_rule": 'l."phones" = r."phones"',
            "sql_dialect": "duckdb",
            "arrays_to_explode": ["phones"],
        },
    ]
    assert blocking_recall(frame, rules, truth) == {"true_pairs": 4, "candidates": 3, "recall": 0.75}
    assert blocking_recall(frame, rules[:1], truth)["candidates"] == 1
    # a rule that reads one side only counts the pair as Splink orients it (lower id on the left)
    one_sided = [{"blocking_rule": "l.dob IS NULL AND r.dob IS NOT NULL", "sql_dialect": "duckdb"}]
    assert (
        blocking_recall(frame, one_sided, truth)["candidates"] == 0
    )  # 3 has no dob, but is the right of 1-3 and 2-3
