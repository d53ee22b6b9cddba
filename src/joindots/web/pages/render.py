"""Rendering a page with what every template needs: who is signed in, their CSRF token, their menu."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from joindots.auth.roles import Permission, allowed

MENU = (
    ("/people", "Search people", Permission.READ_PEOPLE),
    ("/matches", "Match review", Permission.DECIDE_MATCHES),
    ("/groups", "Groups", Permission.READ_GROUPS),
    ("/review", "Review queue", Permission.REVIEW_CASES),
    ("/quality", "Data quality", Permission.READ_AGGREGATES),
    ("/stats", "Statistics", Permission.READ_AGGREGATES),
    ("/reports", "Reports received", Permission.READ_ALL_REPORTS),
    ("/reports/new/duty", "File a report", Permission.FILE_REPORTS),
    ("/reports/mine", "My receipts", Permission.READ_OWN_RECEIPTS),
    ("/audit", "Access log", Permission.READ_ACCESS_LOG),
    ("/users", "Users", Permission.MANAGE_USERS),
)


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    principal = getattr(request.state, "principal", None)
    role = principal.role if principal else None
    menu = [(href, label) for href, label, perm in MENU if allowed(role, perm)]
    context = {
        "principal": principal,
        "csrf_token": principal.csrf_token if principal else "",
        "menu": menu,
        "can": lambda permission: allowed(role, Permission(permission)),
        **context,
    }
    return request.app.state.web.templates.TemplateResponse(
        request, template, context, status_code=status_code
    )


def page_count(total: int, size: int) -> int:
    return max(1, -(-total // size))


def page_asked(request: Request) -> int:
    """The ?page= asked for (1 when missing or not a sensible number)."""
    value = request.query_params.get("page", "1")
    return max(1, min(int(value), 100_000)) if value.isdecimal() and len(value) < 7 else 1
