"""The access log, for admins: search it, and check its hash chain."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from joindots.audit import Action, LogQuery, search_log, verify_chain
from joindots.audit.tables import AccessLog
from joindots.web.api.models import ChainStatus, LogEntry, LogPage
from joindots.web.audited import log_access
from joindots.web.deps import DB, CurrentUser

router = APIRouter(prefix="/api/audit", tags=["audit"])

PERSON = r"^(P\d{1,12}|R\d{1,9})$"


def read_log(
    db: DB, request: Request, principal: CurrentUser, query: LogQuery
) -> tuple[int, list[AccessLog]]:
    """A page of the log; reading it is itself a consultation of "access log", logged with the query
    (the filters used, the page and how many matched)."""
    total, entries = search_log(db, query)
    log_access(
        db,
        request,
        principal,
        Action.CONSULTATION,
        "access log",
        details={"query": query_asked(query), "total": total, "shown": len(entries)},
    )
    db.commit()
    return total, entries


def query_asked(query: LogQuery) -> dict[str, Any]:
    """The filters that were given (times as ISO text), with the page's offset and size."""
    asked = {k: v for k, v in vars(query).items() if v not in (None, "") and k not in ("limit", "offset")}
    asked = {k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in asked.items()}
    return asked | {"offset": query.offset, "limit": query.limit}


@router.get("", response_model=LogPage)
def search(
    db: DB,
    request: Request,
    principal: CurrentUser,
    actor: Annotated[
        str | None, Query(max_length=100, description="Start of the username, any case.")
    ] = None,
    action: Action | None = None,
    subject: Annotated[str | None, Query(max_length=300)] = None,
    person: Annotated[
        str | None, Query(pattern=PERSON, description="Every entry that showed or touched this person.")
    ] = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> LogPage:
    """Entries newest first. Subjects are pseudonymous keys (person IDs, receipts), never names; the
    persons an entry showed are in `details.people`. Searching is logged as a consultation."""
    query = LogQuery(
        actor=actor,
        action=action.value if action else None,
        subject=subject,
        since=naive(since),
        until=naive(until),
        limit=limit,
        offset=offset,
        person=person,
    )
    total, entries = read_log(db, request, principal, query)
    return LogPage(total=total, entries=[LogEntry.model_validate(e, from_attributes=True) for e in entries])


def naive(value: dt.datetime | None) -> dt.datetime | None:
    """The log stores UTC without a zone; a zoned query time is converted to UTC first."""
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(dt.UTC).replace(tzinfo=None)


@router.get("/verify", response_model=ChainStatus)
def verify(db: DB) -> ChainStatus:
    """Recompute the hash chain, and check the index of persons against the entries."""
    report = verify_chain(db)
    return ChainStatus(
        entries=report.entries, ok=report.ok, first_bad_id=report.first_bad_id, problem=report.problem
    )
