"""The access log's page: who consulted, disclosed or altered what, when and why (DPA 2018 s.62)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from joindots.audit import Action, LogQuery, search_log
from joindots.errors import InvalidInput
from joindots.web.deps import DB, CurrentUser
from joindots.web.pages.render import render

router = APIRouter()


@router.get("/audit")
def access_log(request: Request, principal: CurrentUser, db: DB) -> Response:
    """Search by actor, action and subject (pseudonymous keys only, so a GET form is safe here)."""
    params = request.query_params
    action = params.get("action") or None
    if action is not None and action not in {a.value for a in Action}:
        raise InvalidInput(f"action must be one of {', '.join(a.value for a in Action)}")
    query = LogQuery(
        actor=params.get("actor") or None, action=action, subject=params.get("subject") or None, limit=200
    )
    total, entries = search_log(db, query)
    return render(
        request, "audit.html", total=total, entries=entries, query=query, actions=[a.value for a in Action]
    )
