"""Each release keeps the rounding base it was published with. The data team publishes with totals
rounded to 5, the administrator changes the base to 10, and the next release is checked against the
first as it was printed (base 5): read with today's base the check lets through a release that gives
back the first release's small count. The release log, the command line and the web app show each
release's own base; releases logged before bases were recorded show "not recorded", and the check
says what it assumed for them."""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pytest
import sqlalchemy as sa
from alembic import command
from scipy.optimize import linprog
from sqlalchemy import Engine, inspect, select
from typer.testing import CliRunner

from joindots.auth.users import issue_token
from joindots.cli.common import console
from joindots.cli.main import app
from joindots.settings import get_settings
from joindots.stats.disclosure import TOTAL, Grid, Release, Share, protect
from joindots.stats.service import web_summary
from joindots.stats.tables import ReleaseTable, StatsRelease
from joindots.store.db import alembic_config, migrate, session_scope
from joindots.store.schema import Event, LoadBatch, PersonRecord, SourceRow
from web_world import add_user, make_client, sign_in

NR, WHO = "Not recorded", ("Suspects", "Victims")
SEXES = {"Female": "F", "Male": "M", NR: None}
# The sex table of the first release: 2 male suspects and 1 male victim are small counts.
FIRST = {
    ("Female", "Suspects"): 12,
    ("Female", "Victims"): 5,
    ("Male", "Suspects"): 2,
    ("Male", "Victims"): 1,
    (NR, "Suspects"): 6,
    (NR, "Victims"): 0,
}
# By the second release five more male suspects and three more male victims are on record.
ADDED = {("Male", "Suspects"): 5, ("Male", "Victims"): 3}


def add_people(engine: Engine, counts: dict[tuple[str, str], int], start: int = 0) -> int:
    """One person per record (not yet linked), each a suspect or victim of a CSE-flagged crime in
    2016, with the given sex; returns the next record number."""
    n = start
    with session_scope(engine) as s:
        batch = LoadBatch(
            source="police_north", file_name=f"f{start}.csv", file_sha256="0" * 64, mapping_sha256="0" * 64
        )
        s.add(batch)
        s.flush()
        for (sex, who), count in sorted(counts.items()):
            for _ in range(count):
                n += 1
                row = SourceRow(
                    batch_id=batch.id,
                    source="police_north",
                    source_record_id=f"N{n}",
                    row_number=n,
                    original={},
                )
                event = Event(
                    batch_id=batch.id,
                    source="police_north",
                    ref=f"C{n}",
                    type="crime",
                    date=dt.date(2016, 3, 1),
                    force="north",
                    cse_flag=True,
                )
                s.add_all([row, event])
                s.flush()
                role = "suspect" if who == "Suspects" else "victim"
                s.add(
                    PersonRecord(
                        source_row_id=row.id,
                        batch_id=batch.id,
                        source="police_north",
                        record_id=f"N{n}",
                        event_id=event.id,
                        role=role,
                        dob=dt.date(1990, 1, 1),
                        sex=SEXES[sex],
                    )
                )
    return n


def publish(monkeypatch: pytest.MonkeyPatch, out, base: int | None) -> str:
    """`joindots stats` with the rounding base the administrator has set."""
    if base is None:
        monkeypatch.delenv("JOINDOTS_DISCLOSURE_ROUND_TOTALS", raising=False)
    else:
        monkeypatch.setenv("JOINDOTS_DISCLOSURE_ROUND_TOTALS", str(base))
    get_settings.cache_clear()
    monkeypatch.setattr(console, "width", 400)
    result = CliRunner().invoke(app, ["stats", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return result.output


def _sex_tables(engine: Engine) -> list[ReleaseTable]:
    with session_scope(engine) as s:
        tables = s.scalars(select(ReleaseTable).where(ReleaseTable.name == "sex").order_by(ReleaseTable.id))
        return [_detached(t) for t in tables]


def _detached(t: ReleaseTable) -> ReleaseTable:
    return ReleaseTable(
        release_id=t.release_id, rows=t.rows, cols=t.cols, counts=t.counts, published=t.published,
        suppressed=t.suppressed,
    )  # fmt: skip


def _grid(t: ReleaseTable) -> Grid:
    counts = {tuple(k.split("|", 1)): v for k, v in t.counts.items()}
    return Grid(tuple(t.rows), tuple(t.cols), counts)  # type: ignore[arg-type]


def printed_attack(printed: list[tuple[Grid, dict, int | None]]) -> dict[tuple[int, tuple[str, str]], tuple]:
    """An outsider with every printed table (numbers, [c], and the base each release states) bounds
    each suppressed value by linear programming; a rounded total R with base b is R - b/2 to
    R + b/2 - 1/2. As in the strongest difference attack, a cell with the same key and the same
    true value in two releases is one unknown. Returns (release, key) -> (least, greatest)."""
    ids: dict[tuple[tuple[str, str], int], int] = {}
    low: dict[int, float] = {}
    high: dict[int, float] = {}
    lines = []
    for grid, shown, base in printed:
        for line in grid.lines():
            lines.append([ids.setdefault((k, grid.value(k) or 0), len(ids)) for k in line])
        for key in grid.cells():
            var = ids[(key, grid.value(key) or 0)]
            value = shown[f"{key[0]}|{key[1]}"]
            if not isinstance(value, int):
                continue
            lo, hi = (value - base / 2, value + base / 2 - 0.5) if TOTAL in key and base else (value, value)
            low[var], high[var] = max(low.get(var, 0), lo), min(high.get(var, math.inf), hi)
    n = len(ids)
    a_eq = np.zeros((len(lines), n))
    for i, vs in enumerate(lines):
        for sign, var in zip([1] * (len(vs) - 1) + [-1], vs, strict=True):
            a_eq[i, var] += sign
    bounds = [(max(0.0, low.get(v, 0.0)), high.get(v)) for v in range(n)]
    found = {}
    for index, (grid, shown, _) in enumerate(printed):
        for key in grid.cells():
            var = ids[(key, grid.value(key) or 0)]
            if shown[f"{key[0]}|{key[1]}"] != "[c]" or var in low and low[var] == high[var]:
                continue
            c = np.zeros(n)
            c[var] = 1
            lo = linprog(c, A_eq=a_eq, b_eq=np.zeros(len(lines)), bounds=bounds, method="highs")
            hi = linprog(-c, A_eq=a_eq, b_eq=np.zeros(len(lines)), bounds=bounds, method="highs")
            top = math.inf if hi.status == 3 else math.floor(-hi.fun + 1e-6)
            found[(index, key)] = (math.ceil(lo.fun - 1e-6), top)
    return found


def _protected(bounds: dict, grids: list[Grid], threshold: int = 4) -> bool:
    for (index, key), (lo, hi) in bounds.items():
        value = grids[index].value(key) or 0
        if lo >= hi or (1 <= value <= threshold and not lo < threshold < hi):
            return False
    return True


def test_the_second_release_is_checked_against_the_first_as_it_was_rounded(db_env, monkeypatch, tmp_path):
    add_people(db_env, FIRST)
    first_said = publish(monkeypatch, tmp_path / "first", 5)
    assert "protected: counts 1 to 4 suppressed, totals rounded to a multiple of 5" in first_said
    add_people(db_env, ADDED, start=100)
    second_said = publish(monkeypatch, tmp_path / "second", 10)  # the administrator changed the base
    assert "totals rounded to a multiple of 10" in second_said
    assert "difference check:" not in second_said  # the first release recorded its base: nothing assumed

    with session_scope(db_env) as s:
        log = [
            (r.id, r.threshold, r.round_totals)
            for r in s.scalars(select(StatsRelease).order_by(StatsRelease.id))
        ]
    assert log == [(1, 4, 5), (2, 4, 10)]  # each release's own base
    # the data team reads the log: newest first, each with its own protection, and no counts
    listed = CliRunner().invoke(app, ["stats-releases"])
    assert listed.exit_code == 0, listed.output
    lines = [line for line in listed.output.splitlines() if "suppressed," in line]
    assert "multiple of 10" in lines[0] and "multiple of 5" in lines[1]
    as_json = json.loads(CliRunner().invoke(app, ["stats-releases", "--json"]).output)
    assert [(r["release"], r["round_totals"]) for r in as_json] == [(2, 10), (1, 5)]
    assert as_json[1]["cells_suppressed"]["sex"] == len(_sex_tables(db_env)[0].suppressed)
    first, second = _sex_tables(db_env)
    assert first.published[f"{TOTAL}|Suspects"] == 20 and first.published[f"{TOTAL}|Victims"] == 5
    g1, g2 = _grid(first), _grid(second)
    assert g1.value(("Male", "Suspects")) == 2 and g2.value(("Male", "Suspects")) == 7

    # As printed, with each release's own base, the two releases together give nothing away ...
    printed = [(g1, first.published, 5), (g2, second.published, 10)]
    assert _protected(printed_attack(printed), [g1, g2])
    assert second.published["Male|Suspects"] == "[c]"

    # ... but read with today's base 10 for both (the old check), the first release looks safer than
    # it was: the second release would have shown its 7 male suspects, and the printed tables
    # together leave the first release's 2 male suspects shown to be small.
    shares = [Share((NR, w), (TOTAL, w)) for w in WHO]
    earlier = [Release(g1, frozenset(tuple(k.split("|", 1)) for k in first.suppressed), 10)]  # type: ignore[misc]
    naive = protect(g2, 4, earlier, 10, shares, last_resort=(NR,))
    assert naive.published()[("Male", "Suspects")] == 7
    naive_printed = {f"{r}|{c}": v for (r, c), v in naive.published().items()}
    bounds = printed_attack([(g1, first.published, 5), (g2, naive_printed, 10)])
    assert not _protected(bounds, [g1, g2])


def test_the_web_app_and_its_api_show_the_release_base(db_env, monkeypatch, tmp_path):
    add_people(db_env, FIRST)
    publish(monkeypatch, tmp_path / "out", 5)
    add_user(db_env, "statistician1", "statistician")
    client = make_client(db_env)
    sign_in(client, "statistician1")
    page = client.get("/stats").text
    assert "counts 1 to 4 suppressed, totals rounded to a multiple of 5" in page
    with session_scope(db_env) as s:
        token = issue_token(s, "statistician1", "tests")
    api = {"Authorization": f"Bearer {token}", "X-Justification": "quarterly statistics"}
    items = make_client(db_env).get("/api/stats", headers=api).json()["items"]
    assert {(i["release"], i["threshold"], i["round_totals"]) for i in items} == {(1, 4, 5)}


def test_the_data_team_reads_an_earlier_release_on_the_web_and_through_the_api(db_env, monkeypatch, tmp_path):
    """Two releases: /stats shows the latest and lists both; ?release=1 shows the first as it was
    printed, with its own base; a release not in the log is not found; the API gives the same."""
    add_people(db_env, FIRST)
    publish(monkeypatch, tmp_path / "one", 5)
    add_people(db_env, ADDED, start=100)
    publish(monkeypatch, tmp_path / "two", 10)
    first, second = _sex_tables(db_env)
    add_user(db_env, "statistician1", "statistician")
    client = make_client(db_env)
    sign_in(client, "statistician1")

    latest = client.get("/stats").text
    assert "Release 2, as published" in latest and 'href="/stats?release=1"' in latest
    log = latest.split('id="release-log"')[1]
    assert log.index("multiple of 10") < log.index("multiple of 5")  # newest first, each its own base
    earlier = client.get("/stats?release=1")
    assert earlier.status_code == 200
    assert "Release 1 (an earlier release" in earlier.text and 'href="/stats?release=2"' in earlier.text
    assert f"<td>{first.published[f'{TOTAL}|Suspects']}</td>" in earlier.text  # the first release's total
    assert client.get("/stats?release=3").status_code == 404
    assert client.get("/stats?release=x1").status_code == 404

    with session_scope(db_env) as s:
        token = issue_token(s, "statistician1", "tests")
    api = {"Authorization": f"Bearer {token}", "X-Justification": "quarterly statistics"}
    reader = make_client(db_env)
    items = reader.get("/api/stats", params={"release": 1}, headers=api).json()["items"]
    assert {(i["release"], i["round_totals"]) for i in items} == {(1, 5)}
    cells = {(i["row"], i["column"]): i["value"] for i in items if i["table"] == "sex"}
    assert cells == {tuple(k.split("|", 1)): v for k, v in first.published.items()}
    assert reader.get("/api/stats", params={"release": 3}, headers=api).status_code == 404
    listed = reader.get("/api/stats/releases", headers=api).json()
    assert [(r["release"], r["round_totals"]) for r in listed] == [(2, 10), (1, 5)]
    assert listed[0]["cells_suppressed"]["sex"] == len(second.suppressed)
    assert not any("counts" in r for r in listed)  # the log publishes no counts


def _release_at_0008(conn, published: dict[str, int], counts: dict[str, int]) -> None:
    """A release as the code before revision 0009 logged it: a threshold, no rounding base."""
    release = sa.table("stats_release", sa.column("id", sa.Integer), sa.column("released_at", sa.DateTime),
                       sa.column("released_by", sa.String), sa.column("basis", sa.Text),
                       sa.column("threshold", sa.Integer))  # fmt: skip
    table = sa.table("release_table", sa.column("id", sa.Integer), sa.column("release_id", sa.Integer),
                     sa.column("name", sa.String), sa.column("title", sa.Text), sa.column("caveat", sa.Text),
                     sa.column("rows", sa.JSON), sa.column("cols", sa.JSON), sa.column("counts", sa.JSON),
                     sa.column("published", sa.JSON), sa.column("suppressed", sa.JSON))  # fmt: skip
    made = conn.execute(  # ids from the database's own sequence, as the code before 0009 took them
        release.insert().values(
            released_at=dt.datetime(2026, 11, 2, 9, 0), released_by="statistician1",
            basis="suspects and victims of CSE-flagged crimes (no offender groups yet)", threshold=4,
        ).returning(release.c.id)
    ).scalar_one()  # fmt: skip
    conn.execute(
        table.insert().values(
            release_id=made, name="sex", title="Suspects and victims by sex", caveat="",
            rows=["Female", "Male", NR], cols=list(WHO), counts=counts, published=published, suppressed=[],
        )
    )  # fmt: skip


OLD_COUNTS = {"Female|Suspects": 20, "Female|Victims": 11, "Male|Suspects": 14, "Male|Victims": 9}
OLD_COUNTS |= {f"{NR}|Suspects": 0, f"{NR}|Victims": 0}
OLD_COUNTS |= {"Female|Total": 31, "Male|Total": 23, f"{NR}|Total": 0}
OLD_COUNTS |= {"Total|Suspects": 34, "Total|Victims": 20, "Total|Total": 54}
ROUNDED_TO_10 = OLD_COUNTS | {"Female|Total": 30, "Male|Total": 20, "Total|Suspects": 30, "Total|Total": 50}


@pytest.mark.parametrize(
    ("today", "assumed"),
    [
        (10, "taken as today's base, 10"),
        (None, "today's setting (exact totals) does not give its printed totals: taken as exact"),
    ],
)
def test_a_release_logged_before_bases_were_recorded_says_not_recorded(
    db_env, monkeypatch, tmp_path, today, assumed
) -> None:
    """Migration 0009: a release made at 0008 (its totals rounded to 10) gets no base invented; the
    web app lists it as "not recorded", and the next release's check says what it assumed for it."""
    cfg = alembic_config(db_env.url.render_as_string(hide_password=False))
    try:
        with db_env.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0008")
        assert "round_totals" not in {c["name"] for c in inspect(db_env).get_columns("stats_release")}
        with db_env.begin() as conn:
            _release_at_0008(conn, ROUNDED_TO_10, OLD_COUNTS)
    finally:
        migrate(db_env)
    with session_scope(db_env) as s:
        assert s.scalars(select(StatsRelease.round_totals)).one() is None  # not recorded, not invented
        items = web_summary(s)
    assert {(i["release"], i["threshold"], i["round_totals"]) for i in items} == {(1, 4, None)}
    assert items[0]["protection"] == "counts 1 to 4 suppressed, rounding base not recorded"
    add_user(db_env, "statistician1", "statistician")
    client = make_client(db_env)
    sign_in(client, "statistician1")
    page = client.get("/stats").text
    assert "Release 1" in page and "rounding base not recorded" in page

    add_people(db_env, FIRST)
    said = publish(monkeypatch, tmp_path / "out", today)
    assert f"difference check: release 1: rounding base not recorded; {assumed}" in said
    assert "(sex)" in said
    with session_scope(db_env) as s:
        assert list(s.scalars(select(StatsRelease.round_totals).order_by(StatsRelease.id))) == [
            None,
            today or 1,
        ]
