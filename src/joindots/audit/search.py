"""Searching the access log: who looked at what, when, and why (for admins and auditors)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from joindots.audit.tables import AccessLog


@dataclass(frozen=True)
class LogQuery:
    """Filters, all optional and combined with AND. `subject` matches a part of the subject."""

    actor: str | None = None
    action: str | None = None
    subject: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    limit: int = 100
    offset: int = 0


def _filtered(query: LogQuery) -> Select:
    stmt = select(AccessLog)
    if query.actor:
        stmt = stmt.where(AccessLog.actor == query.actor)
    if query.action:
        stmt = stmt.where(AccessLog.action == query.action)
    if query.subject:
        escaped = query.subject.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(AccessLog.subject.ilike(f"%{escaped}%", escape="\\"))
    if query.since:
        stmt = stmt.where(AccessLog.at >= query.since)
    if query.until:
        stmt = stmt.where(AccessLog.at < query.until)
    return stmt


def search_log(session: Session, query: LogQuery) -> tuple[int, list[AccessLog]]:
    """(how many entries match, the page of them asked for, newest first)."""
    stmt = _filtered(query)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = session.scalars(stmt.order_by(AccessLog.id.desc()).limit(query.limit).offset(query.offset))
    return total, list(page)
