"""Sign in (with the purpose of the session), sign out, the home page, and one's account: changing
one's password, changing the session's purpose, one's API tokens. The users page (admins) is
`users_pages.py`, included here."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from joindots.auth import accounts
from joindots.auth.accounts import change_purpose, tokens_of
from joindots.auth.passwords import MIN_PASSWORD_LENGTH
from joindots.auth.roles import Permission, Role, allowed
from joindots.auth.users import authenticate, end_session, set_password, start_session
from joindots.errors import Conflict, InvalidInput
from joindots.web.api.models import RowId
from joindots.web.deps import DB, CurrentUser, State
from joindots.web.pages import users_pages
from joindots.web.pages.render import render
from joindots.web.state import SESSION_COOKIE
from joindots.web.status import pipeline_status

router = APIRouter()
router.include_router(users_pages.router)
HOME = {Role.REPORTER: "/reports/mine", Role.STATISTICIAN: "/stats"}


@router.get("/login")
def login_page(request: Request) -> Response:
    changed = request.query_params.get("changed") == "1"
    return render(
        request, "login.html", notice="Password changed: sign in with the new one." if changed else None
    )


def _client(request: Request) -> str:
    return "addr:" + (request.client.host if request.client else "unknown")


@router.post("/login")
def login(
    request: Request,
    db: DB,
    state: State,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=200)],
    justification: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Check the password (rate limited per username and per address) and start a session. The user
    states the purpose of the session; every consultation in it is logged with that purpose."""
    keys = ("user:" + username.lower(), _client(request))
    typed = {"username": username, "justification": justification}  # kept on a refusal; never the password
    wait = state.limiter.retry_after(*keys)
    if wait:
        return render(
            request,
            "login.html",
            429,
            error=f"Too many failed attempts. Try again in {wait} seconds.",
            typed=typed,
        )
    user = authenticate(db, username.strip().lower(), password)
    if user is None:
        state.limiter.failed(*keys)
        return render(request, "login.html", 401, error="Wrong username or password.", typed=typed)
    reason = " ".join(justification.split())
    if user.role != Role.REPORTER and len(reason) < 10:
        return render(
            request,
            "login.html",
            422,
            error="Say why you are signing in (10+ characters): "
            "the case, operation or task. It is recorded with everything you look at.",
            typed=typed,
        )
    state.limiter.succeeded(*keys)
    raw = start_session(db, user, reason or "filing reports from professionals")
    db.commit()
    home = "/account" if user.password_must_change else HOME.get(Role(user.role), "/")
    response = RedirectResponse(home, status_code=303)
    response.set_cookie(
        SESSION_COOKIE, raw, httponly=True, samesite="strict", secure=state.settings.cookie_secure, path="/"
    )
    return response


@router.post("/logout")
def logout(principal: CurrentUser, db: DB) -> Response:
    if principal.session_hash:
        end_session(db, principal.session_hash)
        db.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/")
def home(request: Request, principal: CurrentUser, db: DB) -> Response:
    """What the user can do, and (for roles that see aggregates) which pipeline steps have run."""
    steps = pipeline_status(db) if allowed(principal.role, Permission.READ_AGGREGATES) else []
    return render(request, "home.html", steps=steps)


@router.get("/account")
def account(request: Request, principal: CurrentUser, db: DB) -> Response:
    switched = request.query_params.get("purpose") == "1"
    notice = "Purpose changed: what you look at from now on is recorded with it." if switched else None
    return _account(request, db, principal.username, notice=notice)


def _account(request: Request, db: DB, username: str, status: int = 200, **context: str | None) -> Response:
    return render(request, "account.html", status, tokens=tokens_of(db, username), **context)


@router.post("/account/purpose")
def new_purpose(
    request: Request, principal: CurrentUser, db: DB, purpose: Annotated[str, Form(max_length=500)]
) -> Response:
    """Switch this session to another case or task without signing out; logged, and what follows is
    logged with the new purpose."""
    if principal.session_hash is None:
        raise InvalidInput("only a signed-in browser session has a purpose to change")
    try:
        change_purpose(db, principal.username, principal.session_hash, purpose)
    except InvalidInput as exc:
        return _account(request, db, principal.username, 422, error=str(exc))
    db.commit()
    return RedirectResponse("/account?purpose=1", status_code=303)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_own_token(token_id: RowId, request: Request, principal: CurrentUser, db: DB) -> Response:
    """A user revokes one of their own tokens (an alteration in the access log, as an admin's is)."""
    try:
        accounts.revoke_user_tokens(
            db, principal.username, actor=principal.username, why="revoked by its holder", token_id=token_id
        )
    except Conflict as exc:
        return _account(request, db, principal.username, 409, error=str(exc))
    db.commit()
    return _account(request, db, principal.username, notice=f"Token {token_id} revoked.")


@router.post("/account/password")
def change_password(
    request: Request,
    principal: CurrentUser,
    db: DB,
    state: State,
    current: Annotated[str, Form(max_length=200)],
    new: Annotated[str, Form(max_length=200)],
    repeat: Annotated[str, Form(max_length=200)],
) -> Response:
    """Replace the one-time password (or any other) with one of the user's own. Every session of the
    user ends, this one too, so the new password is needed at once, and every API token is revoked."""
    key = "user:" + principal.username
    wait = state.limiter.retry_after(key)
    if wait:
        return _account(
            request,
            db,
            principal.username,
            429,
            error=f"Too many wrong passwords. Try again in {wait} seconds.",
        )
    if authenticate(db, principal.username, current) is None:
        state.limiter.failed(key)
        return _account(request, db, principal.username, 422, error="The current password is wrong.")
    if new != repeat:
        return _account(request, db, principal.username, 422, error="The two new passwords differ.")
    if len(new) < MIN_PASSWORD_LENGTH or new == current:
        return _account(
            request, db, principal.username, 422,
            error=f"Choose a new password of at least {MIN_PASSWORD_LENGTH} characters.",
        )  # fmt: skip
    set_password(db, principal.username, new)
    db.commit()
    response = RedirectResponse("/login?changed=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
