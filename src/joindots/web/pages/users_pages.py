"""The users page (admins): who may sign in, their tokens, and disabling, enabling, revoking tokens
and resetting a password, each with why (written to the access log by `joindots.auth.accounts`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from joindots.auth import accounts
from joindots.errors import Conflict, InvalidInput
from joindots.web.deps import DB, CurrentUser
from joindots.web.pages.render import render

router = APIRouter()
Username = Annotated[str, Path(min_length=2, max_length=64)]
Why = Annotated[str, Form(max_length=500)]


@router.get("/users")
def users(request: Request, db: DB) -> Response:
    return render(request, "users.html", users=accounts.accounts(db))


@router.get("/users/{username}")
def user_page(request: Request, db: DB, username: Username) -> Response:
    return _user_page(request, db, username)


def _user_page(
    request: Request, db: Session, username: str, context: dict[str, str] | None = None, status: int = 200
) -> Response:
    account = accounts.account_named(db, username)
    tokens = accounts.tokens_of(db, username)
    return render(request, "user.html", status, account=account, tokens=tokens, **(context or {}))


def _act(request: Request, db: Session, username: str, act: Callable[[], dict[str, str]]) -> Response:
    """Do `act` and show the user again with what it did (its notice), or why it could not be done."""
    try:
        done = act()
    except (InvalidInput, Conflict) as exc:
        db.rollback()
        return _user_page(request, db, username, {"error": str(exc)}, exc.status_code)
    db.commit()
    return _user_page(request, db, username, done)


@router.post("/users/{username}/disable")
def disable(request: Request, principal: CurrentUser, db: DB, username: Username, why: Why) -> Response:
    def act() -> dict[str, str]:
        count = accounts.disable_user(db, username, actor=principal.username, why=why)
        return {"notice": f"{username} is disabled: their sessions ended and {count} token(s) were revoked."}

    return _act(request, db, username, act)


@router.post("/users/{username}/enable")
def enable(request: Request, principal: CurrentUser, db: DB, username: Username, why: Why) -> Response:
    def act() -> dict[str, str]:
        accounts.enable_user(db, username, actor=principal.username, why=why)
        return {"notice": f"{username} may sign in again (their old tokens stay revoked)."}

    return _act(request, db, username, act)


@router.post("/users/{username}/revoke-tokens")
def revoke(request: Request, principal: CurrentUser, db: DB, username: Username, why: Why) -> Response:
    def act() -> dict[str, str]:
        count = accounts.revoke_user_tokens(db, username, actor=principal.username, why=why)
        return {"notice": f"{count} token(s) of {username} revoked."}

    return _act(request, db, username, act)


@router.post("/users/{username}/reset-password")
def reset(request: Request, principal: CurrentUser, db: DB, username: Username, why: Why) -> Response:
    def act() -> dict[str, str]:
        secret = accounts.reset_password(db, username, actor=principal.username, why=why)
        notice = (
            f"{username}'s sessions ended and their tokens were revoked. Give them this one-time password."
        )
        return {"notice": notice, "secret": secret}

    return _act(request, db, username, act)
