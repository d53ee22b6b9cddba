"""Typed dependencies: the database session, and the ONE authorisation dependency every route
passes through (installed on the app, so no route can forget it)."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from joindots.auth.roles import Permission, allowed
from joindots.auth.users import Principal, session_principal, token_principal
from joindots.web.access import permission_for
from joindots.web.errors import WebError
from joindots.web.state import SESSION_COOKIE, WebState

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# all a user signed in with a one-time password may reach until they choose their own
ONE_TIME_ROUTES = {("GET", "/"), ("POST", "/logout"), ("GET", "/account"), ("POST", "/account/password")}


def web_state(request: Request) -> WebState:
    return request.app.state.web


def get_db(request: Request) -> Iterator[Session]:
    """A session per request; routes that write commit explicitly, anything else is rolled back."""
    session = web_state(request).sessions()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _identify(request: Request, state: WebState) -> Principal | None:
    with state.sessions() as session:
        token = _bearer(request)
        if token is not None:
            principal = token_principal(session, token)
            if principal is None:
                raise WebError(401, "the API token is not valid, has expired or was revoked")
            return principal
        cookie = request.cookies.get(SESSION_COOKIE)
        principal = session_principal(session, cookie, state.idle) if cookie else None
        session.commit()  # keeps the session's last-seen time
        return principal


async def _check_csrf(request: Request, principal: Principal) -> None:
    """Browser sessions must send the session's CSRF token with every unsafe request."""
    sent = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get("csrf_token")
        sent = value if isinstance(value, str) else None
    if not sent or not principal.csrf_token or not hmac.compare_digest(sent, principal.csrf_token):
        raise WebError(
            403, "the form has expired or did not come from joindots; reload and try again", "csrf_failed"
        )


def _check_origin(request: Request) -> None:
    """An unsafe request that says it comes from another site is refused, sign-in included (the
    session cookie is SameSite=strict too; this also covers the sign-in form, which has no session)."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host", ""):
        raise WebError(403, "requests from other sites are refused", "cross_origin")


async def authorise(request: Request) -> Principal | None:
    """Decide the request from the declared permission table: 401 if a sign-in is needed, 403 if
    the role may not, and CSRF for browser sessions. The principal is kept on `request.state`."""
    if request.method in UNSAFE:
        _check_origin(request)
    route = request.scope.get("route")
    permission = permission_for(request.method, getattr(route, "path", ""))
    if permission is None:
        raise WebError(403, "this route has no declared permission, so it is refused")
    principal = None if permission is Permission.PUBLIC else _identify(request, web_state(request))
    if not allowed(principal.role if principal else None, permission):
        if principal is None:
            raise WebError(401, "sign in first")
        raise WebError(403, "your role does not allow this")
    path = getattr(route, "path", "")
    if (
        principal is not None
        and principal.must_change_password
        and (request.method, path) not in ONE_TIME_ROUTES
    ):
        raise WebError(
            403, "choose your own password first: you signed in with a one-time password (see Account)",
            "password_change_required",
        )  # fmt: skip
    if principal is not None and principal.session_hash and request.method in UNSAFE:
        await _check_csrf(request, principal)
    request.state.principal = principal
    return principal


def current_principal(request: Request) -> Principal:
    principal = getattr(request.state, "principal", None)
    if principal is None:
        raise WebError(401, "sign in first")
    return principal


def optional_principal(request: Request) -> Principal | None:
    return getattr(request.state, "principal", None)


DB = Annotated[Session, Depends(get_db)]
CurrentUser = Annotated[Principal, Depends(current_principal)]
State = Annotated[WebState, Depends(web_state)]


def justification(request: Request, principal: Principal) -> str:
    """Why this access: the browser session's stated purpose, or the API's X-Justification header."""
    reason = principal.justification or request.headers.get("x-justification", "").strip()
    if len(reason) < 5:
        raise WebError(
            422,
            "say why you need this: send an X-Justification header (5+ characters)",
            "justification_required",
        )
    return reason[:500]
