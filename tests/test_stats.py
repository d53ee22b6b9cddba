"""Statistics: totals reconcile with the linked data (distinct persons), no published cell is below
the threshold, 'Not recorded' is always its own row, the CLI writes CSV/HTML/xlsx and logs the
release, and a second release keeps earlier suppressed cells hidden."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from joindots.audit.tables import AccessLog
from joindots.cli.main import app
from joindots.network.tables import GroupMember, NetworkBuild, OffenderGroup
from joindots.settings import get_settings
from joindots.stats.disclosure import TOTAL, C, Grid, Protected, Share, exposed, protect
from joindots.stats.service import _caveat, poisson_interval, run_stats, web_summary
from joindots.stats.tables import ReleaseTable
from joindots.store.db import session_scope
from joindots.store.link_tables import Person, RecordPerson
from joindots.store.schema import Event, LoadBatch, PersonRecord, SourceRow
from joindots.web.parts import part_result

ETHNICITIES = ["W1", "A2", "B2", "NS", None, None]


def make_world(engine: Engine, seed: int, people: int = 60) -> dict[str, set[str]]:
    """CSE-flagged crimes with suspects and victims, several records per person, linked by hand;
    plus crimes without the flag (whose people must not be counted). Returns person ids by role."""
    rng = random.Random(seed)
    print(f"stats world seed {seed}")
    roles: dict[str, set[str]] = {"suspect": set(), "victim": set()}
    with session_scope(engine) as s:
        batch = LoadBatch(
            source="police_north", file_name="f.csv", file_sha256="0" * 64, mapping_sha256="0" * 64
        )
        s.add(batch)
        s.flush()
        s.add_all(Person(id=f"P{i:06d}") for i in range(people))
        for n in range(people * 2):
            person = f"P{rng.randrange(people):06d}"
            role = "suspect" if int(person[1:]) % 3 else "victim"
            flagged = rng.random() < 0.8
            row = SourceRow(
                batch_id=batch.id, source="police_north", source_record_id=f"N{n}", row_number=n, original={}
            )
            event = Event(
                batch_id=batch.id,
                source="police_north",
                ref=f"C{n}",
                type="crime",
                date=dt.date(2015 + rng.randrange(4), 1 + rng.randrange(12), 1),
                force=rng.choice(["north", "south"]),
                cse_flag=flagged,
            )
            s.add_all([row, event])
            s.flush()
            rec = PersonRecord(
                source_row_id=row.id,
                batch_id=batch.id,
                source="police_north",
                record_id=f"N{n}",
                event_id=event.id,
                role=role,
                dob=dt.date(1970 + rng.randrange(40), 1, 1),
                sex=rng.choice("MFU"),
                ethnicity=ETHNICITIES[int(person[1:]) % len(ETHNICITIES)],
                nationality=rng.choice(["GBR", "PAK", None]),
            )
            s.add(rec)
            s.flush()
            s.add(RecordPerson(person_record_id=rec.id, person_id=person))
            if flagged:
                roles[role].add(person)
    return roles


def _true(engine: Engine, release: int, name: str) -> dict[str, int]:
    with session_scope(engine) as s:
        return s.scalars(
            select(ReleaseTable.counts).where(ReleaseTable.release_id == release, ReleaseTable.name == name)
        ).one()


def test_totals_reconcile_with_distinct_linked_persons(engine: Engine, tmp_path: Path) -> None:
    roles = make_world(engine, seed=3)
    release, tables, basis = run_stats(engine, tmp_path, "tester")
    assert "CSE-flagged" in basis
    for name in ("age_band", "sex", "ethnicity", "nationality"):
        counts = _true(engine, release, name)
        assert counts[f"{TOTAL}|Suspects"] == len(roles["suspect"])
        assert counts[f"{TOTAL}|Victims"] == len(roles["victim"])
    north = _true(engine, release, "suspects_by_force_year")
    assert north[f"{TOTAL}|{TOTAL}"] == len(roles["suspect"])
    eth = next(t for t in tables if t.name == "ethnicity")
    assert eth.protected.grid.rows[-1] == "Not recorded"
    assert "'Not recorded' is its own row" in eth.caveat


def test_no_published_cell_below_threshold_anywhere(engine: Engine, tmp_path: Path) -> None:
    make_world(engine, seed=5)
    run_stats(engine, tmp_path, "tester")
    threshold = get_settings().disclosure_threshold
    for csv in (tmp_path / "tables").glob("*.csv"):
        frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
        value_cols = [c for c in frame.columns if c not in ("", "Unnamed: 0", "force", "year", "population")]
        for value in frame[value_cols].to_numpy().ravel():
            if value.isdigit():
                assert not 1 <= int(value) <= threshold, (csv.name, value)
    with session_scope(engine) as s:
        items = web_summary(s)
        assert part_result(s, "stats").available  # what the web app shows
        assert {i["table"] for i in items} >= {"ethnicity", "suspects_by_force_year"}
        for item in items:
            value = item["value"]
            assert value == C or not isinstance(value, int) or not 1 <= value <= threshold


def test_groups_are_the_basis_when_they_exist(engine: Engine, tmp_path: Path) -> None:
    roles = make_world(engine, seed=7)
    members = sorted(roles["suspect"])[:6]
    victims = sorted(roles["victim"])[:3]
    with session_scope(engine) as s:
        build = NetworkBuild(threshold=0.9, loose_threshold=0.5, built_by="tester")
        s.add(build)
        s.flush()
        group = OffenderGroup(
            build_id=build.id, group_key="G00001", view="strict", stability="stable", size=6, victims=victims
        )
        s.add(group)
        s.flush()
        s.add_all(GroupMember(group_id=group.id, person_id=p) for p in members)
    release, _, basis = run_stats(engine, tmp_path, "tester")
    assert "offender groups" in basis
    counts = _true(engine, release, "sex")
    assert (counts[f"{TOTAL}|Suspects"], counts[f"{TOTAL}|Victims"]) == (6, 3)


def test_cli_writes_csv_html_xlsx_and_logs_the_release(db_env: Engine, tmp_path: Path) -> None:
    make_world(db_env, seed=11)
    out = tmp_path / "s"
    result = CliRunner().invoke(app, ["stats", "--out", str(out)])
    assert result.exit_code == 0, result.output
    html = (out / "stats.html").read_text()
    assert "<svg" in html and "<script" not in html and "[c]" in html
    book = openpyxl.load_workbook(out / "stats.xlsx")
    assert {"Notes", "ethnicity", "suspects_by_force_year"} <= set(book.sheetnames)
    rates = pd.read_csv(out / "tables/suspects_by_force_year_rates.csv", dtype=str)
    assert {"rate_per_100k", "lower_95", "upper_95"} <= set(rates.columns)
    with session_scope(db_env) as s:
        actions = set(s.scalars(select(AccessLog.action)))
        assert {"consultation", "disclosure"} <= actions
    # a second release of unchanged data keeps every earlier suppressed cell suppressed
    assert CliRunner().invoke(app, ["stats", "--out", str(tmp_path / "t")]).exit_code == 0
    with session_scope(db_env) as s:
        assert s.scalar(select(func.count(func.distinct(ReleaseTable.release_id)))) == 2
        for name in ("ethnicity", "suspects_by_force_year"):
            first, second = s.scalars(
                select(ReleaseTable).where(ReleaseTable.name == name).order_by(ReleaseTable.id)
            )
            assert set(first.suppressed) <= set(second.suppressed)


@pytest.mark.parametrize("count", [0, 1, 10, 100])
def test_poisson_interval_contains_the_count(count: int) -> None:
    low, high = poisson_interval(count)
    assert low <= count <= high
    if count == 0:
        assert (low, round(high, 3)) == (0.0, 3.689)  # the textbook exact upper limit for 0
    else:
        assert low > 0


def _by_who(suspects: dict[str, int], victims: dict[str, int]) -> Grid:
    rows = tuple(sorted((set(suspects) | set(victims)) - {"Not recorded"})) + ("Not recorded",)
    counts = {(r, "Suspects"): suspects.get(r, 0) for r in rows} | {
        (r, "Victims"): victims.get(r, 0) for r in rows
    }
    return Grid(rows, ("Suspects", "Victims"), counts)


def test_the_suspects_not_recorded_share_is_stated_for_suspects_alone() -> None:
    """The audit's figure: ethnicity not recorded for 26 of 68 suspects (38%). Blended with victims
    it read 'about 30%'; now each column has its own share of its published total, rounded half up
    to 5%, and the suspects' 'Not recorded' cell stays published rather than hidden as a partner."""
    grid = _by_who(
        {"A2 Asian - Pakistani": 3, "W1 White": 30, "B2 Black - African": 9, "Not recorded": 26},
        {"A2 Asian - Pakistani": 12, "W1 White": 17, "B2 Black - African": 2, "Not recorded": 4},
    )
    out = _protect_new(grid)
    caveat = _caveat(out, "ethnicity")
    assert "about 40% of suspects" in caveat
    assert "not given for victims" in caveat  # 4 victims: a suppressed count, so no share
    assert out.published()[("Not recorded", "Suspects")] == 26
    assert exposed([out.release()], 4) == []


def test_a_share_is_never_stated_beside_a_suppressed_count() -> None:
    grid = _by_who({"W1 White": 40, "Not recorded": 2}, {"W1 White": 30, "Not recorded": 0})
    out = _protect_new(grid)
    assert out.published()[("Not recorded", "Suspects")] == C
    caveat = _caveat(out, "sex")
    assert "not given for suspects" in caveat and "% of suspects" not in caveat


def _protect_new(grid: Grid) -> Protected:
    shares = [Share(("Not recorded", w), (TOTAL, w)) for w in grid.cols]
    return protect(grid, 4, shares=shares, last_resort=("Not recorded",))
