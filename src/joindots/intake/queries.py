"""Reading reports back: a reporter's own receipts, and all reports for analysts."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from joindots.intake.tables import Report


def own_reports(session: Session, username: str, limit: int = 200) -> list[Report]:
    """Only what `username` filed: a reporter never sees anyone else's report."""
    stmt = select(Report).where(Report.filed_by == username).order_by(Report.id.desc()).limit(limit)
    return list(session.scalars(stmt))


def all_reports(session: Session, limit: int = 200) -> list[Report]:
    return list(session.scalars(select(Report).order_by(Report.id.desc()).limit(limit)))
