"""Writing the access-log entry for a web request, with the justification the user gave."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from joindots.audit import Action, record_access
from joindots.auth.users import Principal
from joindots.web.deps import justification


def log_access(
    db: Session,
    request: Request,
    principal: Principal,
    action: Action,
    subject: str,
    *,
    reason: str | None = None,
    recipient: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Append the entry in `db`'s transaction; the caller commits it with (or before) the response.

    `reason` is a per-action justification (exports, decisions); otherwise the session's stated
    purpose (browser) or the X-Justification header (API) is used.
    """
    why = reason or justification(request, principal)
    channel = "api-token" if principal.session_hash is None else "web-session"
    record_access(
        db,
        actor=principal.username,
        action=action,
        subject=subject,
        justification=why,
        recipient=recipient,
        details={"via": channel, **(details or {})},
    )
