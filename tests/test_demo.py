"""A new user runs `joindots demo`: a synthetic world is made, ingested, linked, analysed and published,
sample reports about its people are filed and matched at once, one user per role can sign in with the
password printed once, and running it again changes nothing that matters (the world is kept, nothing
is loaded or filed twice, every person keeps their ID, and the reports' people are placed where
instant matching said)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from joindots.auth.roles import Role
from joindots.auth.users import authenticate
from joindots.cli.main import app
from joindots.intake.tables import Report
from joindots.link.identity import current_persons
from joindots.network.tables import NetworkBuild
from joindots.screening.tables import ReviewItem
from joindots.store.db import session_scope
from joindots.store.schema import LoadBatch

pytestmark = pytest.mark.slow

runner = CliRunner()
STEP_NAMES = ("world", "ingest", "link", "groups", "screen", "quality", "stats", "reports")


def _demo(work: Path) -> str:
    result = runner.invoke(
        app, ["demo", "--people", "1500", "--seed", "3", "--work", str(work), "--no-serve"]
    )
    assert result.exit_code == 0, result.output
    return result.output


def _passwords(output: str) -> dict[str, str]:
    found = dict(re.findall(r"(demo-[a-z]+)\s+│\s+[a-z]+\s+│\s+(\S+)", output))
    assert set(found) == {f"demo-{role.value}" for role in Role}, output
    return found


def test_the_demo_runs_every_step_and_lets_each_role_sign_in(cli_db, tmp_path):
    output = _demo(tmp_path / "work")
    for step in STEP_NAMES:
        assert re.search(rf"│ {step}\s+│", output), f"step {step} missing:\n{output}"
    assert (tmp_path / "work" / "world" / "truth").is_dir()
    assert (tmp_path / "work" / "outputs" / "quality" / "scorecard.csv").is_file()
    assert any((tmp_path / "work" / "outputs" / "stats").rglob("*.csv"))
    with session_scope(cli_db) as session:
        for username, password in _passwords(output).items():
            user = authenticate(session, username, password)
            assert user is not None and user.username == username
        assert len(current_persons(session)) > 1000
        assert session.scalar(select(func.count()).select_from(NetworkBuild)) == 1
        assert session.scalar(select(func.count()).select_from(ReviewItem)) > 0
        reports = session.scalars(select(Report)).all()
    assert [r.kind for r in reports] == ["duty_to_report", "makesafe"]
    assert {r.filed_by for r in reports} == {"demo-reporter"}  # who sees them under "my receipts"
    assert all(r.match_status == "matched" for r in reports)
    found_by = [h.get("found_by") for r in reports for h in r.matches if h["person_id"]]
    assert "context" in found_by  # the suspect named by first name, found around the child
    assert re.search(r"│ reports\s+│ 2 filed \(a duty to report, a hotel concern\)", output), output


def test_running_the_demo_again_keeps_the_world_ids_and_loads_nothing_twice(cli_db, tmp_path):
    first = _demo(tmp_path / "work")
    marker = tmp_path / "work" / "world" / "world.json"
    made_at = marker.stat().st_mtime_ns
    with session_scope(cli_db) as session:
        before = current_persons(session)
        batches = session.scalar(select(func.count()).select_from(LoadBatch))
    _demo(tmp_path / "work")
    assert marker.stat().st_mtime_ns == made_at, "the same world was made again"
    with session_scope(cli_db) as session:
        assert session.scalar(select(func.count()).select_from(LoadBatch)) == batches
        after = current_persons(session)
        assert {record: after[record] for record in before} == before
        reports = session.scalars(select(Report)).all()
        assert len(reports) == 2, "a sample report was filed twice"
        best = {h["record"]: h["person_id"] for r in reports for h in reversed(r.matches) if h["person_id"]}
        old = _passwords(first)["demo-analyst"]
        assert authenticate(session, "demo-analyst", old) is None, "a one-time password outlived its demo"
    assert {record: after.get(record) for record in best} == best  # the full run placed them there
