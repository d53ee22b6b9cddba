"""The access log, for admins: search it, and check its hash chain."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query

from joindots.audit import Action, LogQuery, search_log, verify_chain
from joindots.web.api.models import ChainStatus, LogEntry, LogPage
from joindots.web.deps import DB

router = APIRouter(prefix="/api/audit", tags=["audit"])


@router.get("", response_model=LogPage)
def search(
    db: DB,
    actor: Annotated[str | None, Query(max_length=100)] = None,
    action: Action | None = None,
    subject: Annotated[str | None, Query(max_length=300)] = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> LogPage:
    """Entries newest first. Subjects are pseudonymous keys (person IDs, receipts), never names."""
    query = LogQuery(
        actor, action.value if action else None, subject, _naive(since), _naive(until), limit, offset
    )
    total, entries = search_log(db, query)
    return LogPage(total=total, entries=[LogEntry.model_validate(e, from_attributes=True) for e in entries])


def _naive(value: dt.datetime | None) -> dt.datetime | None:
    """The log stores UTC without a zone; a zoned query time is converted to UTC first."""
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(dt.UTC).replace(tzinfo=None)


@router.get("/verify", response_model=ChainStatus)
def verify(db: DB) -> ChainStatus:
    report = verify_chain(db)
    return ChainStatus(
        entries=report.entries, ok=report.ok, first_bad_id=report.first_bad_id, problem=report.problem
    )
