"""Where the pipeline stands, for the home page: which steps have run, and the command for those that
have not. Counts only (aggregates), so every role that sees aggregates may see it."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from joindots.link.review import count_waiting
from joindots.settings import get_settings
from joindots.store.link_tables import LinkRun, Person
from joindots.store.schema import PersonRecord


@dataclass(frozen=True)
class Step:
    name: str
    done: bool
    text: str  # what it produced, or the command to run


def _latest(session: Session, module: str, table: str) -> Any | None:
    """The newest row of a part's run table, or None (also when the part is not in this build)."""
    try:
        model = getattr(importlib.import_module(module), table)
    except (ModuleNotFoundError, AttributeError):
        return None
    return session.scalars(select(model).order_by(model.id.desc()).limit(1)).first()


def _records(session: Session) -> Step:
    count, sources = session.execute(
        select(func.count(PersonRecord.id), func.count(func.distinct(PersonRecord.source)))
    ).one()
    if not count:
        return Step("Records loaded", False, "not run yet: `joindots ingest-dir WORLD_DIR`")
    return Step("Records loaded", True, f"{count:,} person records from {sources} sources")


def _linkage(session: Session) -> Step:
    run = session.scalars(
        select(LinkRun).where(LinkRun.status == "done").order_by(LinkRun.id.desc()).limit(1)
    ).first()
    if run is None:
        return Step("Linkage", False, "not run yet: `joindots link`")
    persons = session.scalar(select(func.count(Person.id)).where(Person.status == "active")) or 0
    settings = get_settings()
    strict, loose = settings.match_threshold, settings.loose_match_threshold
    waiting = count_waiting(session, strict, loose)
    by_context = count_waiting(session, strict, loose, "context") if waiting else 0
    review = f"; {waiting:,} pairs wait for match review ({by_context:,} found by context)"
    return Step("Linkage", True, f"run {run.id}{_when(run)}: {persons:,} persons{review}")


PART_STEPS = (
    ("Offender groups", "joindots.network.tables", "NetworkBuild", "joindots groups", "network build"),
    ("Case screening", "joindots.screening.tables", "ScreenRun", "joindots screen", "screening run"),
    ("Data quality", "joindots.quality.tables", "QualityRun", "joindots quality", "scorecard"),
    ("Statistics", "joindots.stats.tables", "StatsRelease", "joindots stats", "release"),
)


def _when(row: Any) -> str:
    for column in ("finished_at", "built_at", "ran_at", "run_at", "released_at", "started_at"):
        value = getattr(row, column, None)
        if value is not None:
            return f", {value:%d %b %Y %H:%M} UTC"
    return ""


def pipeline_status(session: Session) -> list[Step]:
    steps = [_records(session), _linkage(session)]
    for name, module, table, command, what in PART_STEPS:
        row = _latest(session, module, table)
        text = f"{what} {row.id}{_when(row)}" if row is not None else f"not run yet: `{command}`"
        steps.append(Step(name, row is not None, text))
    return steps
