"""The access log's page: who consulted, disclosed or altered what, when and why (DPA 2018 s.62)."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from joindots.audit import Action, LogQuery
from joindots.audit.tables import AccessLog
from joindots.errors import InvalidInput
from joindots.web.api.audit import PERSON, read_log
from joindots.web.deps import DB, CurrentUser
from joindots.web.pages.render import page_asked, page_count, render

router = APIRouter()

LOG_PAGE = 50
FILTERS = ("actor", "action", "subject", "person", "since", "until")
LISTED = 8  # items of a list shown in the details column before "+N more"


@dataclass(frozen=True)
class Shown:
    """What the pager macro reads: this page's entries, how many match, where the page starts."""

    items: list[AccessLog]
    total: int
    offset: int


def _date(params: dict[str, str], name: str) -> dt.date | None:
    value = params.get(name)
    if not value:
        return None
    try:
        return min(dt.date.fromisoformat(value), dt.date.max - dt.timedelta(days=1))
    except ValueError:
        raise InvalidInput(f"{name} must be a date, YYYY-MM-DD") from None


def _asked(request: Request) -> dict[str, str]:
    """The filters as given (blank ones dropped), checked before any is used."""
    params = {k: request.query_params.get(k, "").strip() for k in FILTERS}
    params = {k: v[:300] for k, v in params.items() if v}
    if params.get("action") and params["action"] not in {a.value for a in Action}:
        raise InvalidInput(f"action must be one of {', '.join(a.value for a in Action)}")
    if params.get("person") and not re.match(PERSON, params["person"].upper()):
        raise InvalidInput("person must be a person ID such as P000123 (or R123, a record not yet linked)")
    return params


def _query(params: dict[str, str], page: int) -> LogQuery:
    """Dates are whole UTC days: `until` includes the day it names."""
    since, until = _date(params, "since"), _date(params, "until")
    return LogQuery(
        actor=params.get("actor", "")[:100] or None,
        action=params.get("action"),
        subject=params.get("subject"),
        person=params["person"].upper() if params.get("person") else None,
        since=dt.datetime.combine(since, dt.time()) if since else None,
        until=dt.datetime.combine(until + dt.timedelta(days=1), dt.time()) if until else None,
        limit=LOG_PAGE,
        offset=(page - 1) * LOG_PAGE,
    )


def compact(details: dict[str, Any]) -> str:
    """An entry's details on one line: "people: P000001, P000002 · records: 3, 4" (the channel left
    out, long lists cut short with how many more)."""
    parts = []
    for key, value in details.items():
        if key == "via":
            continue
        if isinstance(value, list):
            shown = ", ".join(str(v) for v in value[:LISTED])
            text = shown + (f" +{len(value) - LISTED} more" if len(value) > LISTED else "")
        elif isinstance(value, dict):
            text = json.dumps(value, separators=(", ", ": "), default=str)
        else:
            text = str(value)
        parts.append(f"{key}: {text}")
    return " · ".join(parts)


@router.get("/audit")
def access_log(request: Request, principal: CurrentUser, db: DB) -> Response:
    """Search by who (start of the username), action, subject, person and dates, 50 entries a page,
    newest first (pseudonymous keys only, so a GET form is safe here). Looking is itself logged."""
    params = _asked(request)
    page = page_asked(request)
    query = _query(params, page)
    total, entries = read_log(db, request, principal, query)
    return render(
        request,
        "audit.html",
        total=total,
        entries=[(e, compact(e.details or {})) for e in entries],
        params=params,
        actions=[a.value for a in Action],
        result=Shown(entries, total, query.offset),
        page=page,
        pages=page_count(total, LOG_PAGE),
        path=request.url.path,
        pager_query=urlencode(params) + "&" if params else "",
    )
