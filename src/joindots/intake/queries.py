"""Reading reports back: a reporter's own receipts, and all reports for analysts."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from joindots.intake.tables import Report
from joindots.store.link_tables import RecordPerson
from joindots.store.schema import PersonRecord


def own_reports(session: Session, username: str, limit: int = 200) -> list[Report]:
    """Only what `username` filed: a reporter never sees anyone else's report."""
    stmt = select(Report).where(Report.filed_by == username).order_by(Report.id.desc()).limit(limit)
    return list(session.scalars(stmt))


def all_reports(session: Session, limit: int = 200) -> list[Report]:
    return list(session.scalars(select(Report).order_by(Report.id.desc()).limit(limit)))


@dataclass(frozen=True)
class Named:
    """One person a report names, as it named them, and the person a full run has placed them in
    since (None until a run has)."""

    record: int
    label: str  # "suspect Ricky"
    person_id: str | None


def people_named(session: Session, reports: list[Report]) -> dict[int, list[Named]]:
    """Each report's people (by the report's event), in the order the report named them: an analyst
    sees which of them each match is for, and where a run has placed them since filing."""
    events = [r.event_id for r in reports if r.event_id is not None]
    if not events:
        return {}
    query = (
        select(PersonRecord.id, PersonRecord.event_id, PersonRecord.role, PersonRecord.forename)
        .add_columns(PersonRecord.surname, RecordPerson.person_id)
        .outerjoin(RecordPerson, RecordPerson.person_record_id == PersonRecord.id)
        .where(PersonRecord.event_id.in_(events))
        .order_by(PersonRecord.id)
    )
    named: dict[int, list[Named]] = defaultdict(list)
    for record, event, role, forename, surname, person in session.execute(query):
        label = " ".join(part for part in (role.replace("_", " "), forename, surname) if part)
        named[int(event)].append(Named(int(record), label, person))
    return dict(named)
