"""The data-quality scorecard on a small synthetic world: its completeness figures equal those
computed independently from the source files, and the CLI writes the scorecard and feedback."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from joindots.audit.tables import AccessLog
from joindots.cli.main import app
from joindots.ingest.load import ingest_dir
from joindots.quality.scorecard import FIELDS, build_scorecard
from joindots.quality.service import run_quality, web_summary
from joindots.store.db import session_scope
from joindots.store.schema import Quarantine
from joindots.synth import generate_world
from joindots.web.parts import part_result


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("quality") / "world"
    generate_world(out, 500, 7)
    return out


@pytest.fixture
def loaded(engine: Engine, world: Path) -> Engine:
    ingest_dir(engine, world)
    return engine


def _quarantined(engine: Engine, source: str) -> set[str]:
    with session_scope(engine) as session:
        return set(session.scalars(select(Quarantine.source_record_id).where(Quarantine.source == source)))


def _card_row(card: pd.DataFrame, source: str, field: str, dimension: str = "completeness") -> pd.Series:
    hit = card[
        (card.source == source) & (card.field == field) & (card.dimension == dimension) & (card.year == "all")
    ]
    assert len(hit) == 1
    return hit.iloc[0]


def _filled(column: pd.Series) -> int:
    return int((column.fillna("").astype(str).str.strip() != "").sum())


def test_completeness_equals_independent_count_from_source_files(
    loaded: Engine, world: Path, tmp_path: Path
) -> None:
    card = run_quality(loaded, tmp_path / "out", "tester").rows
    north = pd.read_csv(
        world / "sources/police_north.csv", encoding="cp1252", dtype=str, keep_default_na=False
    )
    north = north[~north["NOMINAL_ID"].isin(_quarantined(loaded, "police_north"))]
    suspects = north[north["ROLE"] == "SUS"]
    row = _card_row(card, "police_north", "ethnicity (suspects)")
    assert (row.numerator, row.denominator) == (_filled(suspects["ETHNICITY"]), len(suspects))
    row = _card_row(card, "police_north", "nationality (suspects)")
    assert (row.numerator, row.denominator) == (_filled(suspects["NATIONALITY"]), len(suspects))
    row = _card_row(card, "police_north", "dob")
    assert (row.numerator, row.denominator) == (_filled(north["DOB"]), len(north))
    health = pd.read_parquet(world / "sources/health.parquet").astype("string")
    health = health[~health["attendance_id"].isin(_quarantined(loaded, "health"))]
    row = _card_row(card, "health", "dob")
    assert (row.numerator, row.denominator) == (_filled(health["patient_dob"]), len(health))
    row = _card_row(card, "health", "ethnicity")
    assert (row.numerator, row.denominator) == (_filled(health["ethnic_category"]), len(health))
    # a field the source never collects is shown as such, not silently dropped
    assert _card_row(card, "police_south", "ic_code").note == "not collected by this source"


def test_cli_writes_scorecard_feedback_and_logs_consultation(
    loaded: Engine, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("JOINDOTS_DATABASE_URL", loaded.url.render_as_string(hide_password=False))
    from joindots.settings import get_settings

    get_settings.cache_clear()
    out = tmp_path / "q"
    result = CliRunner().invoke(app, ["quality", "--out", str(out)])
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    card = pd.read_csv(out / "scorecard.csv")
    assert set(card["dimension"]) >= {
        "completeness",
        "conformity",
        "duplication",
        "consistency",
        "timeliness",
    }
    html = (out / "scorecard.html").read_text()
    assert "<svg" in html and "<script" not in html and "src=" not in html  # offline, self-contained
    feedback = pd.read_csv(out / "feedback/police_north.csv")
    missing = feedback[(feedback.check == "missing") & (feedback.field == "ethnicity")]
    row = card[(card.source == "police_north") & (card.field == "ethnicity") & (card.year == "all")]
    row = row[row.dimension == "completeness"].iloc[0]
    assert len(missing) == row.denominator - row.numerator
    with session_scope(loaded) as session:
        summary = web_summary(session)
        assert summary and all("rate" in item for item in summary)
        assert part_result(session, "quality").available  # what the web app shows
        assert (
            session.scalars(select(AccessLog).where(AccessLog.action == "consultation")).first() is not None
        )


def _records(*rows: tuple[str, str, str, str]) -> pd.DataFrame:
    """Missing-episode records (record id, linked person, forename, surname), one date of birth."""
    data = []
    for record_id, person, forename, surname in rows:
        fields = dict.fromkeys(FIELDS) | {"forename": forename, "surname": surname, "dob": "2009-04-01"}
        data.append(
            {"source": "missing", "record_id": record_id, "role": "missing", **fields, "original": {}}
            | {"event_date": None, "outcome_date": None, "person_id": person, "year": "2020"}
        )
    return pd.DataFrame(data)


def _duplication(frame: pd.DataFrame) -> tuple[int, int, list[str]]:
    card = build_scorecard(frame, {})
    row = _card_row(card.rows, "missing", "person", "duplication")
    dups = card.feedback[card.feedback.check == "duplicate"]
    return int(row.numerator), int(row.denominator), sorted(dups.record_id + ": " + dups.value)


def test_a_child_reported_missing_five_times_is_not_a_duplicate() -> None:
    episodes = [(f"MP-{n}", "P000001", "Amy", "Hart") for n in range(5)]
    assert _duplication(_records(*episodes)) == (1, 1, [])


def test_a_second_identity_for_one_person_is_a_duplicate() -> None:
    """The same child recorded once as 'Aimee' is held by the source as two people: one duplicate
    identity, and the data owner is told which record it duplicates."""
    episodes = [(f"MP-{n}", "P000001", "Amy", "Hart") for n in range(4)] + [
        ("MP-9", "P000001", "Aimee", "Hart")
    ]
    other = [("MP-5", "P000002", "Ben", "Cole")]
    assert _duplication(_records(*episodes, *other)) == (2, 3, ["MP-9: same person as MP-0"])
