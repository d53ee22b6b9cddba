"""Instant matching: the fast scorer against Splink itself (the oracle), on a small synthetic world.

For a sample of new records (existing ones with fields dropped, names swapped, a date slipped, a
forename cut to its initial), every blocked pair must be found by both, at the same comparison levels,
with the same match weight and probability (to 1e-6). Speed is measured in benchmarks/instant.py.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from joindots.link.frame import FORBIDDEN_COLUMNS, build_frame, load_person_frame
from joindots.link.instant import Matcher, _records_after, frame_row, matcher_for, rows_like_build_frame
from joindots.link.scorer import FastScorer, Growing, Unsupported
from joindots.store.db import session_scope
from joindots.store.schema import PersonRecord
from link_model_world import World, build_world

FIELDS = ("forename", "surname", "dob", "sex", "postcode", "address", "phones", "vehicles", "email")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    built = build_world(tmp_path_factory.mktemp("instant"))
    yield built
    built.engine.dispose()


@pytest.fixture(scope="module")
def matchers(world: World) -> tuple[Matcher, Matcher]:
    """Threshold 0: every blocked pair comes back, so blocking is compared too."""
    fast = Matcher(world.engine, world.model, 0.0)
    splink = Matcher(world.engine, world.model, 0.0, use_splink=True)
    assert fast.fast is not None and splink.splink is not None
    return fast, splink


def _typo(text: str | None, at: int = 2) -> str | None:
    if not text or len(text) <= at:
        return text
    return text[:at] + ("x" if text[at] != "x" else "y") + text[at + 1 :]


def _vary(i: int, row: dict[str, Any], query: dict[str, Any]) -> None:
    """Every kind of disagreement the comparisons grade: swaps, slips, initials, typos, partial addresses."""
    kind, dob, address, postcode = i % 8, row["dob"], row["address"], row["postcode"]
    if kind == 0 and dob and int(dob[8:]) <= 12:
        query["dob"] = f"{dob[:4]}-{dob[8:]}-{dob[5:7]}"
    elif kind == 1:
        query["forename"], query["surname"] = row["surname"], row["forename"]
    elif kind == 2 and dob:
        query["dob"] = dob[:3] + str((int(dob[3]) + 1) % 10) + dob[4:]
    elif kind == 3 and row["forename"]:
        query["forename"] = row["forename"][0]
    elif kind == 4:
        query["surname"], query["dob"] = (
            _typo(row["surname"]),
            dob and dob[:-1] + str((int(dob[-1]) + 1) % 10),
        )
    elif kind == 5 and address and postcode:
        query["address"], query["postcode"] = " ".join(address.split()[1:]), postcode[:-1] + "Z"
    elif kind == 6 and address and postcode:
        query["address"], query["postcode"] = (
            " ".join(reversed(address.split())),
            postcode.split()[0] + " 0ZZ",
        )
    elif kind == 7:
        query["forename"], query["address"] = _typo(row["forename"], 3), _typo(address, 4)


def _queries(frame: pd.DataFrame, n: int = 48) -> list[dict[str, Any]]:
    rng = random.Random(7)
    out = []
    for i, row in enumerate(frame.sample(n, random_state=7).to_dict("records")):
        query = {k: row[k] for k in FIELDS if rng.random() < 0.85}
        _vary(i, row, query)
        out.append(query)
    return out


@pytest.mark.slow
def test_fast_scorer_equals_splink(world: World, matchers: tuple[Matcher, Matcher]) -> None:
    fast, splink = matchers
    assert fast.fast is not None and splink.splink is not None
    pairs = 0
    for query in _queries(world.frame):
        row = frame_row({"unique_id": -1, **query})
        mine = fast.fast.score(row, 0.0)
        theirs = splink.splink.score(build_frame(pd.DataFrame([row])), 0.0)
        theirs = theirs.assign(r=theirs["unique_id_r"].astype("int64")).set_index("r")
        assert sorted(mine.record_ids.tolist()) == sorted(theirs.index.tolist()), query
        theirs = theirs.loc[mine.record_ids]
        pairs += len(theirs)
        np.testing.assert_allclose(mine.match_probability, theirs["match_probability"], rtol=0, atol=1e-6)
        np.testing.assert_allclose(mine.match_weight, theirs["match_weight"], rtol=0, atol=1e-6)
        for field, gamma in mine.gammas.items():
            assert gamma.tolist() == theirs[f"gamma_{field}"].astype(int).tolist(), field
            weight = theirs[f"mw_{field}"].to_numpy(dtype=float)
            if f"mw_tf_adj_{field}" in theirs:
                weight = weight + theirs[f"mw_tf_adj_{field}"].fillna(0).to_numpy(dtype=float)
            np.testing.assert_allclose(mine.weights[field], weight, rtol=0, atol=1e-9)
    assert pairs > 100  # a real comparison, not an empty one


def test_matches_agree_at_the_threshold(world: World) -> None:
    fast = Matcher(world.engine, world.model)
    splink = Matcher(world.engine, world.model, use_splink=True)
    for query in _queries(world.frame, 15):
        a, b = fast.match_frame_row(query), splink.match_frame_row(query)
        assert [(m["record_id"], m["person_id"]) for m in a] == [(m["record_id"], m["person_id"]) for m in b]
        for x, y in zip(a, b, strict=True):
            assert abs(x["match_probability"] - y["match_probability"]) < 1e-6
            assert {f: v["level"] for f, v in x["explanation"].items()} == {
                f: v["level"] for f, v in y["explanation"].items()
            }


def test_many_records_scored_at_once_score_as_one_at_a_time(world: World) -> None:
    """The context step scores thousands of records' candidates in one pass (`score_row_pairs`): each
    pair gets the levels and weights that scoring its record alone (`score_rows`) gives it."""
    scorer = FastScorer(world.model, world.frame)
    rng = np.random.default_rng(5)
    ids = world.frame["unique_id"].astype(int).to_numpy()
    left, right, expected = [], [], []
    for record in rng.choice(ids, 40, replace=False).tolist():
        row = world.frame[world.frame["unique_id"] == record].to_dict("records")[0]
        rows = np.unique(np.concatenate([scorer.candidate_rows(row), rng.integers(0, len(ids), 30)]))
        expected.append(scorer.score_rows(row, rows))
        left.append(np.full(len(rows), scorer.positions([record])[0]))
        right.append(rows)
    batch = scorer.score_row_pairs(np.concatenate(left), np.concatenate(right))
    alone = {
        "ids": np.concatenate([e.record_ids for e in expected]),
        "weight": np.concatenate([e.match_weight for e in expected]),
    }
    np.testing.assert_array_equal(batch.record_ids, alone["ids"])
    np.testing.assert_allclose(batch.match_weight, alone["weight"], rtol=0, atol=1e-9)
    for field in batch.gammas:
        gammas = np.concatenate([e.gammas[field] for e in expected])
        np.testing.assert_array_equal(batch.gammas[field], gammas)
    assert len(batch.record_ids) > 1000 and (batch.match_probability > 0.9).sum() >= 40


def test_new_records_are_derived_as_build_frame_derives_them(world: World) -> None:
    """`frame_row` is used only while it derives every column `build_frame` derives, identically."""
    columns = ["unique_id", *FIELDS, "middle_names", "source", "record_id", "dob_ambiguous"]
    raw = world.frame[[c for c in columns if c in world.frame]].head(300).to_dict("records")
    expected = build_frame(pd.DataFrame(raw)).to_dict("records")
    agrees = all(
        set(want) <= set(got := frame_row(record))
        and all(list(got[k]) == v if isinstance(v, list) else got[k] == v for k, v in want.items())
        for record, want in zip(raw, expected, strict=True)
    )
    assert rows_like_build_frame() == agrees  # the probes see what 300 real records see
    matcher = Matcher(world.engine, world.model)
    assert matcher.quick_rows == agrees
    record = raw[0]
    found = matcher.match_frame_row({k: record[k] for k in FIELDS})
    assert int(record["unique_id"]) in {m["record_id"] for m in found}


def test_the_index_holds_no_ethnicity_or_nationality(matchers: tuple[Matcher, Matcher]) -> None:
    fast = matchers[0].fast
    assert fast is not None
    held = (
        set(fast.columns.scalar) | set(fast.columns.lists) | {c for r in fast.rules for c in r.left + r.right}
    )
    assert held and not held & FORBIDDEN_COLUMNS
    assert not {c for c in held for bad in FORBIDDEN_COLUMNS if bad in c}


def test_a_condition_it_cannot_mirror_falls_back_to_splink(world: World) -> None:
    model = copy.deepcopy(world.model)
    level = model["comparisons"][0]["comparison_levels"][2]
    level["sql_condition"] = "substr(forename_fold_l, 1, 2) = substr(forename_fold_r, 1, 2)"
    with pytest.raises(Unsupported):
        FastScorer(model, world.frame)
    matcher = Matcher(world.engine, model)
    assert matcher.fast is None and matcher.splink is not None
    row = world.frame[world.frame["dob"].notna() & world.frame["surname"].notna()].iloc[0]
    found = matcher.match_frame_row({k: row[k] for k in ("forename", "surname", "dob", "postcode")})
    assert int(row["unique_id"]) in {m["record_id"] for m in found}


def test_records_added_after_warm_up_are_candidates(world: World) -> None:
    matcher = matcher_for(world.engine, world.model)
    assert matcher_for(world.engine, world.model) is matcher  # warm between calls
    newcomer = {"forename": "Zebedee", "surname": "Quartermaine", "dob": "1987-06-05"}
    assert matcher.match_frame_row(newcomer) == []
    stored = _store(world, "instant-test#4", **{**newcomer, "dob": dt.date(1987, 6, 5)})
    matcher.add_records(load_person_frame(world.engine, [stored]))
    found = matcher.match_frame_row({**newcomer, "forename": "Zeb"})
    assert [m["record_id"] for m in found] == [stored]
    assert found[0]["person_id"] is None and found[0]["match_probability"] > 0.9
    with session_scope(world.engine) as session:
        session.execute(delete(PersonRecord).where(PersonRecord.id == stored))


def test_matcher_for_sees_records_stored_and_removed_since_warm_up(world: World) -> None:
    matcher = matcher_for(world.engine, world.model)
    newcomer = {"forename": "Ottoline", "surname": "Vandersteen", "dob": dt.date(1979, 2, 3)}
    with session_scope(world.engine) as session:
        model_row = session.scalars(select(PersonRecord).limit(1)).one()
        record = PersonRecord(
            source_row_id=model_row.source_row_id,
            batch_id=model_row.batch_id,
            source=model_row.source,
            record_id="instant-test#1",
            role=model_row.role,
            **newcomer,
        )
        session.add(record)
        session.flush()
        new_id = record.id
    query = {**newcomer, "dob": "1979-02-03"}
    again = matcher_for(world.engine, world.model)
    assert again is matcher  # brought up to date, not rebuilt
    assert [m["record_id"] for m in again.match_frame_row(query)] == [new_id]
    with session_scope(world.engine) as session:
        session.execute(delete(PersonRecord).where(PersonRecord.id == new_id))
    rebuilt = matcher_for(world.engine, world.model)
    assert rebuilt is not matcher and rebuilt.match_frame_row(query) == []


def _store(world: World, record_id: str, **fields: Any) -> int:
    with session_scope(world.engine) as session:
        like = session.scalars(select(PersonRecord).limit(1)).one()
        record = PersonRecord(
            source_row_id=like.source_row_id, batch_id=like.batch_id, source=like.source,
            record_id=record_id, role=like.role, **fields,
        )  # fmt: skip
        session.add(record)
        session.flush()
        return int(record.id)


def test_a_record_removed_behind_newer_ones_is_never_listed_and_the_matcher_is_rebuilt(world: World) -> None:
    first = {"forename": "Philippa", "surname": "Quenby", "dob": dt.date(1981, 5, 6)}
    removed = _store(world, "instant-test#2", **first)
    newer = _store(world, "instant-test#3", forename="Tobias", surname="Wraxall", dob=dt.date(1990, 1, 2))
    matcher = matcher_for(world.engine, world.model)
    query = {**first, "dob": "1981-05-06"}
    assert [m["record_id"] for m in matcher.match_frame_row(query)] == [removed]
    with session_scope(world.engine) as session:
        session.execute(delete(PersonRecord).where(PersonRecord.id == removed))
    assert matcher_for(world.engine, world.model) is matcher  # the newest record is still there
    assert matcher.match_frame_row(query) == []  # never listed, though the index still holds it
    rebuilt = matcher_for(world.engine, world.model)
    assert rebuilt is not matcher and rebuilt.match_frame_row(query) == []
    with session_scope(world.engine) as session:
        session.execute(delete(PersonRecord).where(PersonRecord.id == newer))


@pytest.mark.parametrize(
    ("sql", "python"),
    [
        ("damerau_levenshtein", "DamerauLevenshtein"),
        ("levenshtein", "Levenshtein"),
        ("jaro_winkler_similarity", "JaroWinkler"),
    ],
)
def test_string_functions_equal_duckdbs(sql: str, python: str) -> None:
    """The fast scorer's rapidfuzz functions give DuckDB's values on slipped strings (seed printed)."""
    import random

    import duckdb
    from rapidfuzz import distance

    seed = 3
    print(f"seed {seed}")
    rng = random.Random(seed)
    pairs = []
    for _ in range(5000):
        a = "".join(rng.choice("abcd19-") for _ in range(rng.randint(1, 8)))
        b = list(a)
        for _ in range(rng.randint(0, 3)):
            i = rng.randrange(len(b)) if b else 0
            if rng.random() < 0.4 and len(b) > 1:
                i = min(i, len(b) - 2)
                b[i], b[i + 1] = b[i + 1], b[i]
            elif b:
                b[i] = rng.choice("abcd19-")
        pairs.append((a, "".join(b) or "x"))
    con = duckdb.connect()
    con.execute("CREATE TABLE t (a VARCHAR, b VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?)", pairs)
    theirs = [row[0] for row in con.execute(f"SELECT {sql}(a, b) FROM t").fetchall()]
    scorer = getattr(distance, python)
    mine = [
        scorer.normalized_similarity(a, b) if python == "JaroWinkler" else scorer.distance(a, b)
        for a, b in pairs
    ]
    assert mine == pytest.approx(theirs, abs=1e-9)


def test_records_appended_are_found_by_id_whatever_their_ids(world: World) -> None:
    frame = world.frame.sort_values("unique_id")
    scorer = FastScorer(world.model, frame.iloc[:200])
    ids = frame["unique_id"].iloc[:200].to_numpy()
    assert scorer.columns.ids[scorer.positions(ids)].tolist() == ids.tolist()
    later = frame.iloc[200:210].sample(frac=1.0, random_state=3)  # stored since: higher ids, any order
    scorer.append(later.reset_index(drop=True))
    ids = np.concatenate([ids, later["unique_id"].to_numpy()])
    assert scorer.columns.ids[scorer.positions(ids)].tolist() == ids.tolist()
    lower = frame.iloc[250:255].assign(unique_id=-frame["unique_id"].iloc[250:255])  # ids below all
    scorer.append(lower.reset_index(drop=True))
    ids = np.concatenate([ids, lower["unique_id"].to_numpy()])
    assert scorer.columns.ids[scorer.positions(ids)].tolist() == ids.tolist()


def test_records_taken_in_one_by_one_score_as_records_taken_in_through_pandas(world: World) -> None:
    """A report's few records join a warm index derived by `frame_row`; the scores are the same as
    when they are derived by `build_frame` (the path for many)."""
    frame = world.frame.sort_values("unique_id")
    last = int(frame["unique_id"].iloc[-40])
    ways = []
    for quick in (True, False):
        matcher = Matcher(world.engine, world.model, threshold=0.0, existing=frame.iloc[:-40].copy())
        matcher.add_records(_records_after(world.engine, last - 1, quick))
        ways.append(matcher)
    taken_in = frame.iloc[-40:]
    dated = taken_in[taken_in["dob"].notna() & taken_in["surname"].notna()]
    assert len(dated) >= 10
    for row in dated.to_dict("records"):
        query = {k: row[k] for k in ("forename", "surname", "dob", "postcode", "phones")}
        quick, pandas_way = (m.match_frame_row(query) for m in ways)
        assert int(row["unique_id"]) in {m["record_id"] for m in quick}  # its own record, taken in
        assert [(m["record_id"], round(m["match_probability"], 9)) for m in quick] == [
            (m["record_id"], round(m["match_probability"], 9)) for m in pandas_way
        ]


def test_a_report_matched_while_records_are_taken_in_waits_for_them(world: World) -> None:
    """The web files reports from a thread pool: a match never reads the index half extended."""
    frame = world.frame.sort_values("unique_id")
    matcher = Matcher(world.engine, world.model, existing=frame.iloc[:-1].copy())
    assert matcher.fast is not None
    last = frame.iloc[-1].to_dict()
    query = {k: last[k] for k in ("forename", "surname", "dob", "postcode") if last[k] is not None}
    entered, release = threading.Event(), threading.Event()
    append = matcher.fast.append

    def slow_append(new: pd.DataFrame) -> None:
        entered.set()
        assert release.wait(10)
        append(new)

    matcher.fast.append = slow_append  # type: ignore[method-assign]
    taking_in = threading.Thread(target=matcher.add_records, args=(frame.iloc[-1:].copy(),))
    taking_in.start()
    assert entered.wait(10)
    found: list[list[dict[str, Any]]] = []
    matching = threading.Thread(target=lambda: found.append(matcher.match_frame_row(query)))
    matching.start()
    matching.join(0.3)
    assert matching.is_alive() and not found  # waiting for the records being taken in
    release.set()
    taking_in.join(10)
    matching.join(10)
    assert int(last["unique_id"]) in {m["record_id"] for m in found[0]}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.lists(st.integers(-5, 5), max_size=40), st.integers(0, 3)), max_size=30))
def test_an_array_grown_in_place_holds_what_concatenating_would(steps: list[tuple[list[int], int]]) -> None:
    """`Growing.extend(more, at)` = the first `at` values (all by default) followed by `more`."""
    growing, expected = Growing(np.empty(0, dtype=np.int64)), np.empty(0, dtype=np.int64)
    for more, back in steps:
        at = max(len(expected) - back, 0) if back else None
        kept = expected if at is None else expected[:at]
        expected = np.concatenate([kept, np.array(more, dtype=np.int64)])
        assert growing.extend(np.array(more, dtype=np.int64), at).tolist() == expected.tolist()


def test_a_reports_records_are_taken_in_without_copying_the_rows_before_them(world: World) -> None:
    """The first report's records make room (the warm-up's index is exact, as a full run's is)."""
    frame = world.frame.sort_values("unique_id")
    fast = FastScorer(world.model, frame.iloc[:-3].copy())
    fast.append(frame.iloc[[-3]].copy())
    before = {c: fast.columns.codes[c] for c in fast.columns.scalar} | {"ids": fast.columns.ids}
    fast.positions(frame["unique_id"].iloc[:3])
    for at in (-2, -1):
        fast.append(frame.iloc[[at]].copy())
        assert fast.positions([int(frame["unique_id"].iloc[at])]).tolist() == [len(fast) - 1]  # the last row
    after = {c: fast.columns.codes[c] for c in fast.columns.scalar} | {"ids": fast.columns.ids}
    for name, values in before.items():
        assert np.shares_memory(values, after[name]), name  # written after them, not copied with them
        assert after[name][: len(values)].tolist() == values.tolist()
