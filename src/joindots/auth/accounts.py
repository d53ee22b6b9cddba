"""What is done to an account, each written to the access log as an alteration with who and why:
minting and revoking API tokens, disabling and enabling a user, resetting a password, changing the
purpose of a session. The faces (CLI, web, API) call these, not the unlogged primitives in `users.py`.
None of them may leave nobody able to manage users: the last active admin cannot be disabled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from joindots.audit import Action, record_access
from joindots.auth.passwords import one_time_secret
from joindots.auth.roles import Permission, Role, allowed
from joindots.auth.tables import ApiToken, User
from joindots.auth.users import (
    TOKEN_DAYS,
    create_user,
    end_sessions,
    new_token,
    revoke_tokens,
    set_password,
    set_session_purpose,
    user_named,
)
from joindots.errors import Conflict, InvalidInput
from joindots.store.base import utcnow

PURPOSE_MIN = 10  # as at sign-in: the case, operation or task
# the roles that may manage users (today only admin), read from the one declared table
MANAGING_ROLES = tuple(r.value for r in Role if allowed(r, Permission.MANAGE_USERS))


@dataclass(frozen=True)
class IssuedToken:
    token: str  # the secret, shown once
    id: int
    expires_at: datetime


@dataclass(frozen=True)
class TokenInfo:
    """A token as it may be shown: never its secret or hash."""

    id: int
    label: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    state: str  # live, expired or revoked


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    active: bool
    must_change_password: bool
    created_at: datetime
    created_by: str
    live_tokens: int


def _why(why: str) -> str:
    reason = " ".join(why.split())
    if len(reason) < 5:
        raise InvalidInput("say why (5 characters or more): it is written to the access log")
    return reason[:500]


def _log(session: Session, actor: str, username: str, what: str, why: str, **details: Any) -> None:
    record_access(
        session,
        actor=actor,
        action=Action.ALTERATION,
        subject=f"user {username}",
        justification=why,
        details={"what": what, **details},
    )


def add_user(session: Session, username: str, role: Role, *, actor: str, why: str) -> str:
    """A new user with a role; returns their one-time password (shown once). Logged with who added
    them, as what, and why: an account that can read personal data is itself an alteration."""
    reason = _why(why)
    secret = create_user(session, username, role, created_by=actor)
    _log(session, actor, username, "created", reason, role=role.value)
    return secret


def mint_token(
    session: Session, username: str, label: str, *, actor: str, why: str, days: int | None = None,
    max_days: int = TOKEN_DAYS,
) -> IssuedToken:  # fmt: skip
    """A token for `username` lasting `days` (at most `max_days`, the setting; that by default)."""
    label = " ".join(label.split())
    if not 1 <= len(label) <= 100:
        raise InvalidInput("a token's label says what it is for (1 to 100 characters)")
    if days is not None and days > max_days:
        raise InvalidInput(f"a token lasts at most {max_days} days here")
    reason = _why(why)
    raw, row = new_token(session, username, label, days or max_days)
    _log(
        session, actor, username, "API token issued", reason,
        token_id=row.id, label=label, expires_at=row.expires_at.isoformat(timespec="seconds"),
    )  # fmt: skip
    return IssuedToken(raw, row.id, row.expires_at)


def revoke_user_tokens(
    session: Session, username: str, *, actor: str, why: str, token_id: int | None = None
) -> int:
    """Revoke the user's live tokens (or only `token_id`); returns how many were revoked."""
    reason = _why(why)
    user = user_named(session, username)
    count = revoke_tokens(session, user.id, token_id)
    if token_id is not None and count == 0:
        raise Conflict(f"{username} holds no live token {token_id}")
    _log(session, actor, username, "API tokens revoked", reason, tokens=count, token_id=token_id)
    return count


def _keep_a_manager(session: Session, user: User) -> None:
    """Refuse to take away `user` if they are the last active account that may manage users: nobody
    could then enable, reset or add anyone from the web app. Every active manager's row is locked
    (FOR UPDATE, on PostgreSQL) so two admins disabling each other at once cannot both get through."""
    if user.role not in MANAGING_ROLES:
        return
    managers = session.scalars(
        select(User.id)
        .where(User.active.is_(True), User.role.in_(MANAGING_ROLES))
        .order_by(User.id)
        .with_for_update()
    ).all()
    if not set(managers) - {user.id}:
        raise Conflict(
            f"user {user.username!r} is the last active admin: add or enable another admin first,"
            " so that someone can still manage users"
        )


def disable_user(session: Session, username: str, *, actor: str, why: str) -> int:
    """Stop a user signing in or using the API: their sessions end and their tokens are revoked (so
    enabling them again does not bring old tokens back). Returns how many tokens were revoked. Refused
    for your own account and for the last active admin."""
    reason = _why(why)
    if username == actor:
        raise Conflict("you cannot disable your own account")
    user = user_named(session, username)
    if not user.active:
        raise Conflict(f"user {username!r} is already disabled")
    _keep_a_manager(session, user)
    user.active = False
    end_sessions(session, user.id)
    count = revoke_tokens(session, user.id)
    _log(session, actor, username, "disabled", reason, tokens_revoked=count)
    return count


def enable_user(session: Session, username: str, *, actor: str, why: str) -> None:
    """Let a disabled user sign in again with their password (their old tokens stay revoked)."""
    reason = _why(why)
    user = user_named(session, username)
    if user.active:
        raise Conflict(f"user {username!r} is not disabled")
    user.active = True
    _log(session, actor, username, "enabled", reason)


def reset_password(session: Session, username: str, *, actor: str, why: str) -> str:
    """A new one-time password for a user who lost theirs, returned once; every session ends and every
    token is revoked, and the user must choose their own password before anything else."""
    reason = _why(why)
    secret = one_time_secret()
    set_password(session, username, secret, one_time=True)
    _log(session, actor, username, "password reset", reason)
    return secret


def change_purpose(session: Session, username: str, session_hash: str, purpose: str) -> None:
    """Switch a signed-in session to another case or task: what follows is logged with the new purpose."""
    purpose = " ".join(purpose.split())
    if not PURPOSE_MIN <= len(purpose) <= 500:
        raise InvalidInput(f"say what the session is for ({PURPOSE_MIN} to 500 characters)")
    was = set_session_purpose(session, session_hash, purpose)
    _log(session, username, username, "session purpose changed", purpose, was=was)


def _state(token: ApiToken, now: datetime) -> str:
    if token.revoked_at is not None:
        return "revoked"
    return "expired" if token.expires_at <= now else "live"


def tokens_of(session: Session, username: str) -> list[TokenInfo]:
    """The user's tokens, newest first, without their secrets."""
    user = user_named(session, username)
    now = utcnow()
    rows = session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
    ).all()
    return [TokenInfo(t.id, t.label, t.created_at, t.expires_at, t.revoked_at, _state(t, now)) for t in rows]


def account_named(session: Session, username: str) -> Account:
    user_named(session, username)  # NotFound when there is none
    return next(a for a in accounts(session, username) if a.username == username)


def accounts(session: Session, username: str | None = None) -> list[Account]:
    """Every user (or the one named), by name, with how many live tokens each holds."""
    live = (
        select(ApiToken.user_id, func.count().label("n"))
        .where(ApiToken.revoked_at.is_(None), ApiToken.expires_at > utcnow())
        .group_by(ApiToken.user_id)
        .subquery()
    )
    query = select(User, func.coalesce(live.c.n, 0)).outerjoin(live, live.c.user_id == User.id)
    if username is not None:
        query = query.where(User.username == username)
    rows = session.execute(query.order_by(User.username)).all()
    return [
        Account(u.username, u.role, u.active, u.password_must_change, u.created_at, u.created_by, n)
        for u, n in rows
    ]
