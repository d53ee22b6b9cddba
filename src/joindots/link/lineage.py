"""Lineage: every change to a person (created, added, merged, moved, split, retired, undone), written with
the run or decision that caused it and the records it concerned."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import String, cast, or_, select
from sqlalchemy.orm import Session

from joindots.store.base import utcnow
from joindots.store.link_tables import Lineage

ACTIONS = ("created", "added", "merged", "moved", "split", "retired", "undone")


def row(
    action: str,
    person_id: str,
    records: Iterable[int],
    caused_by: str,
    *,
    run_id: int | None = None,
    others: Iterable[str] = (),
) -> dict[str, Any]:
    """One lineage row as a dict, for bulk inserts (see `write`)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown lineage action {action!r}")
    return {
        "run_id": run_id,
        "at": utcnow(),
        "action": action,
        "person_id": person_id,
        "other_person_ids": sorted(set(others)),
        "record_ids": sorted(records),
        "caused_by": caused_by,
    }


def write(
    session: Session,
    action: str,
    person_id: str,
    records: Iterable[int],
    caused_by: str,
    *,
    run_id: int | None = None,
    others: Iterable[str] = (),
) -> Lineage:
    """Add one lineage row, its id assigned (a decision reports the ids it wrote). `others` are the
    persons the records came from (or went to, for 'retired')."""
    entry = Lineage(**row(action, person_id, records, caused_by, run_id=run_id, others=others))
    session.add(entry)
    session.flush([entry])
    return entry


def history(session: Session, person_id: str) -> list[Lineage]:
    """Every lineage row that names the person, as the subject or as the other side, oldest first."""
    rows = session.scalars(
        select(Lineage)
        .where(
            or_(
                Lineage.person_id == person_id,
                cast(Lineage.other_person_ids, String).contains(f'"{person_id}"'),
            )
        )
        .order_by(Lineage.id)
    ).all()
    return [r for r in rows if r.person_id == person_id or person_id in (r.other_person_ids or [])]
