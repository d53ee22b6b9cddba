"""The whole job in order: a synthetic world made, ingested, linked, analysed and published, and
reports from professionals about its people filed.

`joindots demo` runs it; each step is the same function its own command calls, so the demo shows
exactly what an analyst would get step by step. Every step is safe to repeat: the world is made
again only when its size or seed changed, re-ingesting adds nothing, linking keeps person IDs, and
screening reports only what changed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from joindots.auth.accounts import add_user
from joindots.auth.passwords import one_time_secret
from joindots.auth.roles import Role
from joindots.auth.tables import User
from joindots.auth.users import set_password
from joindots.store.db import session_scope

STEPS = ("world", "ingest", "link", "groups", "screen", "quality", "stats", "reports")
DEMO_USERS = {role: f"demo-{role.value}" for role in Role}

Step = Callable[[str], None]  # told the name of each step as it starts


@dataclass
class PipelineSummary:
    """What each step did, in words and numbers, for the demo's closing table."""

    world_dir: Path
    out_dir: Path
    lines: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def _quiet(_step: str) -> None:
    return None


def make_world(world_dir: Path, people: int, seed: int) -> str:
    """Make the synthetic world unless this folder already holds the one asked for."""
    from joindots.synth import generate_world

    marker = world_dir / "world.json"
    wanted = {"people": people, "seed": seed}
    if marker.is_file() and json.loads(marker.read_text()) == wanted:
        return f"kept the world already in {world_dir} ({people:,} people, seed {seed})"
    summary = generate_world(world_dir, people, seed)
    marker.write_text(json.dumps(wanted))
    return (
        f"{people:,} people, {summary.total_records:,} person records in 7 sources, {summary.groups} groups"
    )


def ingest_world(engine: Engine, world_dir: Path, actor: str) -> str:
    from joindots.ingest.load import ingest_dir

    reports = ingest_dir(engine, world_dir, actor)
    loaded = sum(r.rows_loaded for r in reports)
    quarantined = sum(r.rows_quarantined for r in reports)
    unchanged = sum(r.status == "unchanged" for r in reports)
    return f"{loaded:,} rows loaded, {quarantined:,} quarantined with reasons, {unchanged} files unchanged"


def link(engine: Engine, actor: str) -> str:
    from joindots.link.run import run_linkage

    s = run_linkage(engine, actor=actor)
    trained = "model trained" if s.trained else "saved model reused"
    return f"run {s.run_id}: {s.records:,} records -> {s.persons:,} persons ({trained})"


def groups(engine: Engine, actor: str) -> str:
    from joindots.network.groups import build_groups

    stats = build_groups(engine, actor).stats
    return (
        f"{stats.get('strict_groups', 0)} groups (strict identity), {stats.get('loose_groups', 0)} (loose); "
        f"{stats.get('stable', 0)} stable"
    )


def screen_cases(engine: Engine, actor: str) -> str:
    from joindots.screening.queue import screen

    report = screen(engine, actor)
    changes = ", ".join(f"{report.count(c)} {c}" for c in ("new", "raised", "lowered", "resolved"))
    return f"{report.active} of {report.cases_examined:,} cases on the review queue ({changes})"


def quality(engine: Engine, out_dir: Path, actor: str) -> str:
    from joindots.quality.service import run_quality

    card = run_quality(engine, out_dir / "quality", actor)
    return f"{len(card.rows)} scorecard rows, {len(card.feedback)} failing checks -> {out_dir / 'quality'}"


def stats(engine: Engine, out_dir: Path, actor: str) -> str:
    from joindots.stats.service import run_stats

    release, tables, _basis = run_stats(engine, out_dir / "stats", actor)
    suppressed = sum(len(t.protected.suppressed) for t in tables)
    return f"release {release}: {len(tables)} tables, {suppressed} cells suppressed -> {out_dir / 'stats'}"


def reports(engine: Engine) -> str:
    """Sample reports from professionals about the world's people, filed and matched at once as
    intake files them (a second run files nothing twice)."""
    from joindots.intake.samples import file_samples

    return file_samples(engine, DEMO_USERS[Role.REPORTER])


def after_link(engine: Engine, actor: str, tell: Step = _quiet) -> dict[str, str]:
    """What follows every link run: the network's groups are rebuilt, then cases are screened again."""
    tell("groups")
    found = groups(engine, actor)
    tell("screen")
    return {"groups": found, "screen": screen_cases(engine, actor)}


def run_pipeline(
    engine: Engine, work_dir: Path, *, people: int, seed: int, actor: str, tell: Step = _quiet
) -> PipelineSummary:
    """Run every step on a synthetic world under ``work_dir`` (world/ and outputs/)."""
    import time

    summary = PipelineSummary(world_dir=work_dir / "world", out_dir=work_dir / "outputs")
    steps: dict[str, Callable[[], str]] = {
        "world": lambda: make_world(summary.world_dir, people, seed),
        "ingest": lambda: ingest_world(engine, summary.world_dir, actor),
        "link": lambda: link(engine, actor),
        "groups": lambda: groups(engine, actor),
        "screen": lambda: screen_cases(engine, actor),
        "quality": lambda: quality(engine, summary.out_dir, actor),
        "stats": lambda: stats(engine, summary.out_dir, actor),
        "reports": lambda: reports(engine),
    }
    for name in STEPS:
        tell(name)
        started = time.perf_counter()
        summary.lines[name] = steps[name]()
        summary.seconds[name] = time.perf_counter() - started
    return summary


def demo_users(engine: Engine, actor: str) -> dict[str, tuple[Role, str]]:
    """One demo user per role, each with a fresh one-time password: {username: (role, password)}."""
    out: dict[str, tuple[Role, str]] = {}
    with session_scope(engine) as session:
        for role, username in DEMO_USERS.items():
            exists = session.scalars(select(User.id).where(User.username == username)).first()
            if exists is None:
                out[username] = (role, add_user(session, username, role, actor=actor, why="a demo user"))
            else:
                secret = one_time_secret()
                set_password(session, username, secret, one_time=True)
                out[username] = (role, secret)
    return out


def describe(summary: PipelineSummary) -> list[dict[str, Any]]:
    """Rows of (step, what it did, seconds) for a table."""
    return [
        {"step": name, "result": summary.lines[name], "seconds": summary.seconds[name]}
        for name in STEPS
        if name in summary.lines
    ]
