"""End to end: a synthetic world's seven sources, loaded on SQLite and PostgreSQL, against the truth."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from joindots.audit.tables import AccessLog
from joindots.ingest.load import ingest_dir
from joindots.store.schema import Event, LoadBatch, PersonRecord, Quarantine, RecordObject, SourceRow
from joindots.synth import generate_world

SEED = 3


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("world")
    print(f"synthetic world: 1,500 people, seed {SEED}")
    generate_world(out, 1500, SEED)
    return out


def _truth_by_source(world: Path) -> Counter[str]:
    with (world / "truth" / "records.csv").open(encoding="utf-8") as handle:
        return Counter(row["source"] for row in csv.DictReader(handle))


def test_every_row_loaded_or_quarantined_and_records_match_truth(engine, world):
    reports = ingest_dir(engine, world, actor="test")
    assert {r.source for r in reports} == {
        "police_north", "police_south", "social_care", "health", "missing", "hotel", "taxi"
    }  # fmt: skip
    truth = _truth_by_source(world)
    with Session(engine) as session:
        for r in reports:
            assert r.rows_read == r.rows_loaded + r.rows_quarantined + r.rows_already_loaded, r
            assert r.rows_read > 0 and r.status == "loaded"
            stored = session.scalar(
                select(func.count()).select_from(PersonRecord).where(PersonRecord.source == r.source)
            )
            quarantined_people = session.scalar(
                select(func.count()).select_from(Quarantine).where(Quarantine.source == r.source)
            )
            assert stored == r.person_records
            # a quarantined row holds at least the one required person the truth counts
            assert stored <= truth[r.source] <= stored + 2 * quarantined_people, r.source
            if quarantined_people == 0:
                assert stored == truth[r.source], r.source
            rows = session.scalar(
                select(func.count()).select_from(SourceRow).where(SourceRow.source == r.source)
            )
            assert rows == r.rows_loaded
        formulas = session.scalars(select(Event.notes).where(Event.notes.like("=HYPERLINK%"))).all()
        assert (
            len(formulas) == sum(r.values.get("formula_kept_notes", 0) for r in reports) > 0
        )  # kept as text
        assert sum(r.values.get("dob_impossible", 0) for r in reports) > 0  # the world's 31/02 births
        batches = session.scalar(select(func.count()).select_from(LoadBatch))
        logged = session.scalars(select(AccessLog.action).where(AccessLog.actor == "test")).all()
        assert batches == 7 and logged == ["collection"] * 7


def test_records_ids_follow_the_truth_convention(engine, world):
    ingest_dir(engine, world)
    with (world / "truth" / "records.csv").open(encoding="utf-8") as handle:
        truth = {(row["source"], row["record_id"]) for row in csv.DictReader(handle)}
    with Session(engine) as session:
        stored = set(session.execute(select(PersonRecord.source, PersonRecord.record_id)).tuples())
        quarantined = set(session.scalars(select(Quarantine.source_record_id)))
    assert stored <= truth
    missing = {rid for _, rid in truth - stored}
    assert all(rid.split("#")[0] in quarantined for rid in missing), sorted(missing)[:5]


def test_names_in_display_form_and_phones_in_e164(engine, world):
    ingest_dir(engine, world)
    with Session(engine) as session:
        health = session.scalars(select(PersonRecord.surname).where(PersonRecord.source == "health")).all()
        phones = session.scalars(select(RecordObject.value).where(RecordObject.kind == "phone")).all()
        vehicles = session.scalars(select(RecordObject.value).where(RecordObject.kind == "vehicle")).all()
        postcodes = session.scalars(
            select(PersonRecord.postcode).where(PersonRecord.postcode.is_not(None))
        ).all()
        crimes = session.scalar(select(func.count()).select_from(Event).where(Event.source == "police_north"))
        north_rows = session.scalar(
            select(func.count()).select_from(SourceRow).where(SourceRow.source == "police_north")
        )
    assert health and all(
        s is None or not s.isupper() or len(s) == 1 for s in health
    )  # 'HAWKINS' -> 'Hawkins'
    assert phones and all(re.fullmatch(r"\+\d{8,15}", p) for p in phones)
    assert vehicles and all(re.fullmatch(r"[A-Z0-9]{2,7}", v) for v in vehicles)
    assert postcodes and all(re.fullmatch(r"[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}", p) for p in postcodes)
    assert 0 < crimes < north_rows  # one event per crime, shared by its victim, suspects and witnesses


def test_loading_the_world_twice_adds_nothing(engine, world):
    first = ingest_dir(engine, world)
    with Session(engine) as session:
        before = [
            session.scalar(select(func.count()).select_from(t))
            for t in (SourceRow, PersonRecord, Quarantine, LoadBatch)
        ]
    again = ingest_dir(engine, world)
    with Session(engine) as session:
        after = [
            session.scalar(select(func.count()).select_from(t))
            for t in (SourceRow, PersonRecord, Quarantine, LoadBatch)
        ]
    assert before == after
    for a, b in zip(first, again, strict=True):
        assert b.status == "unchanged" and b.rows_already_loaded == a.rows_read and b.rows_loaded == 0


def test_cli_ingest_dir(db_env, world, tmp_path):
    from typer.testing import CliRunner

    from joindots.cli.main import app

    runner = CliRunner()
    result = runner.invoke(app, ["ingest-dir", str(world)])
    assert result.exit_code == 0, result.output
    assert "police_north" in result.output and "taxi" in result.output
    result = runner.invoke(app, ["ingest-dir", str(tmp_path)])  # no sources/ or mappings/
    assert result.exit_code == 2 and "needs sources/ and mappings/" in " ".join(result.output.split())
