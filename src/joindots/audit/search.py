"""Searching the access log: who looked at what, when, and why (for admins and auditors)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from joindots.audit.tables import AccessLog, AccessLogPerson


@dataclass(frozen=True)
class LogQuery:
    """Filters, all optional and combined with AND. `actor` matches the start of the username in any
    case ("ana" finds "Analyst1"); `subject` matches a part of the subject; `person` finds every entry
    that showed or touched that person (through the `access_log_person` index)."""

    actor: str | None = None
    action: str | None = None
    subject: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    limit: int = 100
    offset: int = 0
    person: str | None = None


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filtered(query: LogQuery) -> Select:
    stmt = select(AccessLog)
    if query.person:
        stmt = stmt.join(AccessLogPerson, AccessLogPerson.entry_id == AccessLog.id).where(
            AccessLogPerson.person_id == query.person
        )
    if query.actor:
        prefix = _like_escaped(query.actor.strip().lower()) + "%"
        stmt = stmt.where(func.lower(AccessLog.actor).like(prefix, escape="\\"))
    if query.action:
        stmt = stmt.where(AccessLog.action == query.action)
    if query.subject:
        stmt = stmt.where(AccessLog.subject.ilike(f"%{_like_escaped(query.subject)}%", escape="\\"))
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
