"""Reading reports back: a reporter's own receipts, and all reports for analysts."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from joindots.intake.tables import Report
from joindots.store.schema import PersonRecord


def own_reports(session: Session, username: str, limit: int = 200) -> list[Report]:
    """Only what `username` filed: a reporter never sees anyone else's report."""
    stmt = select(Report).where(Report.filed_by == username).order_by(Report.id.desc()).limit(limit)
    return list(session.scalars(stmt))


def all_reports(session: Session, limit: int = 200) -> list[Report]:
    return list(session.scalars(select(Report).order_by(Report.id.desc()).limit(limit)))


def named_in(session: Session, reports: list[Report]) -> dict[int, str]:
    """Each record of these reports as the report named it ("suspect Ricky"), so an analyst sees
    which of a report's people each match is for."""
    events = [r.event_id for r in reports if r.event_id is not None]
    if not events:
        return {}
    query = select(PersonRecord.id, PersonRecord.role, PersonRecord.forename, PersonRecord.surname)
    rows = session.execute(query.where(PersonRecord.event_id.in_(events))).all()
    return {
        int(record): " ".join(part for part in (role.replace("_", " "), forename, surname) if part)
        for record, role, forename, surname in rows
    }
