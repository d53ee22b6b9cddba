"""A new user runs `joindots demo`: a synthetic world is made, ingested, linked, analysed and published,
one user per role can sign in with the password printed once, and running it again changes nothing
that matters (the world is kept, nothing is loaded twice, every person keeps their ID)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from joindots.auth.roles import Role
from joindots.auth.users import authenticate
from joindots.cli.main import app
from joindots.link.identity import current_persons
from joindots.network.tables import NetworkBuild
from joindots.screening.tables import ReviewItem
from joindots.store.db import session_scope
from joindots.store.schema import LoadBatch

pytestmark = pytest.mark.slow

runner = CliRunner()
STEP_NAMES = ("world", "ingest", "link", "groups", "screen", "quality", "stats")


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
        assert current_persons(session) == before
        old = _passwords(first)["demo-analyst"]
        assert authenticate(session, "demo-analyst", old) is None, "a one-time password outlived its demo"
