"""The linkage story from the command line, on a small synthetic world and the real Splink model:
link what has arrived, link again when the other agencies' files land (people keep their IDs), look
at a person, explain a pair, overrule the model, undo, evaluate against the truth, export."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from joindots.audit.tables import AccessLog
from joindots.cli.main import app
from joindots.ingest.load import ingest_file, source_files
from joindots.link.identity import current_persons
from joindots.store.db import session_scope
from joindots.store.link_tables import Lineage, MatchPair
from link_factory import add_records, make_world

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    return make_world(tmp_path_factory)


runner = CliRunner()


def _ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _persons(engine) -> dict[int, str]:
    with session_scope(engine) as s:
        return current_persons(s)


def test_people_keep_their_ids_when_the_other_agencies_files_arrive(world, cli_db) -> None:
    files = source_files(world)
    for path, mapping in files[:3]:
        ingest_file(cli_db, path, mapping)
    assert "lineage: created" in _ok("link")
    first = _persons(cli_db)
    for path, mapping in files[3:]:
        ingest_file(cli_db, path, mapping)
    out = _ok("link")
    assert "saved model reused" in out
    second = _persons(cli_db)
    assert len(second) > len(first)
    changed = {r for r in first if second[r] != first[r]}
    with session_scope(cli_db) as s:
        rows = s.scalars(select(Lineage).where(Lineage.run_id == 2, Lineage.action.in_(["merged", "moved"])))
        explained = {r for row in rows for r in row.record_ids}
    assert changed <= explained, "a record changed person without lineage saying why"
    assert len(changed) <= len(first) // 20, "most people should keep their IDs"
    table = _ok("evaluate", "--truth", str(world / "truth" / "records.csv"))
    overall = next(line for line in table.splitlines() if " all " in line)
    precision, recall = (float(x) for x in overall.replace("│", " ").split()[2:4])
    print(f"overall pairwise precision {precision} recall {recall}")
    assert precision >= 0.95 and recall >= 0.8
    # the same figures by what each record gives: a full record and a first name alone are not alike
    shapes = table[table.index("by what the record gives") :]
    assert "full name and date of birth" in shapes and "first name only" in shapes
    # and how many true pairs the blocking rules ever propose: linkage cannot find more than those
    blocked = " ".join(table[table.index("blocking:") :].split())
    found, true = (int(x.replace(",", "")) for x in blocked.split()[1:4:2])
    assert 0.9 * true <= found <= true and f"blocking recall {found / true:.4f}" in blocked
    # the data team scripts the same figures in full
    figures = json.loads(_ok("evaluate", "--truth", str(world / "truth" / "records.csv"), "--json"))
    assert round(figures["pairwise"]["precision"], 3) == precision
    assert round(figures["pairwise"]["recall"], 3) == recall
    assert figures["blocking"]["candidates"] == found and figures["blocking"]["true_pairs"] == true
    assert "first name only" in figures["by_shape"] and "all" not in figures["by_source"]


def test_an_analyst_overrules_the_model_inspects_and_undoes(world, cli_db) -> None:
    for path, mapping in source_files(world):
        ingest_file(cli_db, path, mapping)
    _ok("link")
    with session_scope(cli_db) as s:
        pair = s.scalars(select(MatchPair).order_by(MatchPair.match_probability.desc())).first()
        assert pair is not None
        a, b = pair.record_l, pair.record_r
    person = _persons(cli_db)[a]
    shown = _ok("person", person, "--why", "case review 7")
    assert str(a) in shown and "lineage" in shown
    explained = json.loads(_ok("explain", str(a), str(b), "--json"))
    assert explained["from"] == "stored" and explained["fields"]
    assert "running total" in _ok("explain", str(a), str(b))
    assert "split" in _ok("decide", str(a), str(b), "different", "--reason", "different custody photos")
    assert _persons(cli_db)[a] != _persons(cli_db)[b]
    _ok("link")
    assert _persons(cli_db)[a] != _persons(cli_db)[b], "the decision did not survive the re-run"
    with session_scope(cli_db) as s:
        split = s.scalars(select(Lineage).where(Lineage.action == "split").order_by(Lineage.id)).first()
        assert split is not None
        split_id = split.id
    assert "back to" in _ok("undo", str(split_id))
    assert "undone" in _ok("lineage", person)
    missing = runner.invoke(app, ["person", "P999999"])
    assert missing.exit_code != 0 and "no person" in missing.output
    with session_scope(cli_db) as s:
        consulted = s.scalars(select(AccessLog.justification).where(AccessLog.action == "consultation")).all()
    assert "case review 7" in consulted


def test_a_pair_the_run_did_not_keep_is_explained_by_the_saved_model(world, cli_db) -> None:
    a, b = add_records(
        cli_db, "police_north", [("X1", "Ayla Brennick", "1990-02-03"), ("X2", "Corin Dallow", "1961-07-21")]
    )
    for path, mapping in source_files(world)[:2]:
        ingest_file(cli_db, path, mapping)
    _ok("link")
    found = json.loads(_ok("explain", "police_north:X1", "police_north:X2", "--json"))
    assert found["from"] == "computed" and found["match_probability"] < 0.5
    total = found["prior"]["weight"] + sum(part["weight"] for part in found["fields"].values())
    assert total == pytest.approx(found["match_weight"], abs=1e-6), "the waterfall does not add up"


def test_export_persons_is_formula_safe_and_logged(world, cli_db, tmp_path) -> None:
    add_records(cli_db, "hotel", [('=HYPERLINK("http://x")', "Tobin Dallow", "1985-07-21")])
    ingest_file(cli_db, *source_files(world)[0])
    _ok("link")
    out = tmp_path / "persons.csv"
    _ok("export", "persons", "--out", str(out))
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert list(rows[0]) == ["source", "record_id", "person_id", "match_probability"]
    assert len(rows) == len(_persons(cli_db))
    assert all(r["person_id"].startswith("P") and 0 < float(r["match_probability"]) <= 1 for r in rows)
    assert any(r["record_id"] == '\'=HYPERLINK("http://x")' for r in rows)
    with session_scope(cli_db) as s:
        assert s.scalars(select(AccessLog).where(AccessLog.action == "disclosure")).first() is not None


def test_an_analyst_works_through_the_match_review_queue(world, cli_db) -> None:
    """`joindots matches` lists what waits, most likely first, with the evidence; deciding the first
    pair takes it off the list; reading the list is logged as a consultation."""
    for path, mapping in source_files(world):
        ingest_file(cli_db, path, mapping)
    none_yet = runner.invoke(app, ["matches"])
    assert none_yet.exit_code != 0 and "no linkage run yet" in none_yet.output
    _ok("link")
    with session_scope(cli_db) as s:
        waiting = s.scalars(
            select(MatchPair)
            .where(MatchPair.match_probability >= 0.5, MatchPair.match_probability < 0.9)
            .order_by(MatchPair.match_probability.desc(), MatchPair.id)
        ).all()
        first = waiting[0]
        a, b, first_id = first.record_l, first.record_r, first.id
    shown = _ok("matches", "--limit", "2", "--why", "weekly match review")
    assert f"{len(waiting):,} pairs wait" in shown
    listed = [int(m) for m in re.findall(r"^│ (\d+) +│ 0\.\d{3} ", shown, flags=re.MULTILINE)]
    assert listed == [p.id for p in waiting[:2]]  # the most likely first
    assert f"showing 1-{min(2, len(waiting))} of {len(waiting):,}" in shown
    context_only = _ok("matches", "--found-by", "context")
    assert f"{sum(p.found_by == 'context' for p in waiting):,} pairs wait" in context_only
    assert runner.invoke(app, ["matches", "--found-by", "nobody"]).exit_code != 0
    _ok("decide", str(a), str(b), "same", "--reason", "same mobile number in both files")
    after = _ok("matches", "--limit", "1000")
    listed = [int(m) for m in re.findall(r"^│ (\d+) +│ 0\.\d{3} ", after, flags=re.MULTILINE)]
    assert f"{len(waiting) - 1:,} pairs wait" in after and listed == [p.id for p in waiting[1:]]
    with session_scope(cli_db) as s:
        consulted = s.scalars(select(AccessLog).where(AccessLog.justification == "weekly match review")).all()
    assert len(consulted) == 1 and first_id in consulted[0].details["pairs"]
