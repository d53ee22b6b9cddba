"""Creating users and signing them in: argon2 passwords, server-side sessions, API tokens.

These are the primitives; what an admin does to an account (and minting a token), each written to
the access log, is in `accounts.py`."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from joindots.auth.passwords import (
    MIN_PASSWORD_LENGTH,
    hash_password,
    one_time_secret,
    token_digest,
    verify_password,
)
from joindots.auth.roles import Role
from joindots.auth.tables import ApiToken, User, WebSession
from joindots.errors import Conflict, InvalidInput, NotFound
from joindots.settings import Settings
from joindots.store.base import utcnow

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
TOKEN_DAYS: int = Settings.model_fields["api_token_days"].default


@dataclass(frozen=True)
class Principal:
    """Who is asking: the user, their role, and (for browser sessions) the session's justification."""

    user_id: int
    username: str
    role: Role
    session_hash: str | None = None
    csrf_token: str | None = None
    justification: str | None = None
    must_change_password: bool = False  # signed in with a one-time password not yet replaced


def create_user(session: Session, username: str, role: Role | str, *, created_by: str) -> str:
    """Add a user with a one-time secret and return the secret (shown once, stored only as a hash)."""
    if not USERNAME.match(username):
        raise InvalidInput("username: 2-64 characters, lower-case letters, digits, '.', '_' or '-'")
    try:
        role = Role(role)
    except ValueError as exc:
        raise InvalidInput(f"role must be one of {', '.join(r.value for r in Role)}") from exc
    if session.scalars(select(User).where(User.username == username)).first():
        raise Conflict(f"user {username!r} already exists")
    secret = one_time_secret()
    session.add(
        User(
            username=username,
            role=role.value,
            password_hash=hash_password(secret),
            password_must_change=True,
            created_by=created_by,
        )
    )
    session.flush()
    return secret


def set_password(session: Session, username: str, password: str, *, one_time: bool = False) -> None:
    """Give a user a password: their own, or (one_time) one they must replace when they first sign in.
    Whatever the old password opened closes: every session of the user ends and every token is revoked."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    user = user_named(session, username)
    user.password_hash = hash_password(password)
    user.password_must_change = one_time
    end_sessions(session, user.id)
    revoke_tokens(session, user.id)


def user_named(session: Session, username: str) -> User:
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFound(f"no user {username!r}")
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user whose password this is, or None (the same cost whether or not they exist)."""
    user = session.scalars(select(User).where(User.username == username)).first()
    ok = verify_password(user.password_hash if user else None, password)
    return user if ok and user is not None and user.active else None


def start_session(session: Session, user: User, justification: str) -> str:
    """A new browser session; returns the random id for the cookie (only its hash is stored)."""
    raw = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            id_hash=token_digest(raw),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            justification=justification,
        )
    )
    session.flush()
    return raw


def session_principal(session: Session, raw_id: str, idle: timedelta) -> Principal | None:
    """The principal behind a cookie, if the session is live and not idle too long; touches it."""
    row = session.get(WebSession, token_digest(raw_id))
    now = utcnow()
    if row is None or row.ended_at is not None or now - row.last_seen_at > idle:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    row.last_seen_at = now
    return Principal(
        user.id, user.username, Role(user.role), row.id_hash, row.csrf_token, row.justification,
        must_change_password=user.password_must_change,
    )  # fmt: skip


def set_session_purpose(session: Session, session_hash: str, purpose: str) -> str:
    """Give a live session a new purpose (the justification logged with its accesses); returns the old."""
    row = session.get(WebSession, session_hash)
    if row is None or row.ended_at is not None:
        raise NotFound("the session has ended: sign in again")
    was, row.justification = row.justification, purpose
    return was


def end_session(session: Session, session_hash: str) -> None:
    session.execute(update(WebSession).where(WebSession.id_hash == session_hash).values(ended_at=utcnow()))


def end_sessions(session: Session, user_id: int) -> None:
    session.execute(
        update(WebSession)
        .where(WebSession.user_id == user_id, WebSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )


def new_token(session: Session, username: str, label: str, days: int = TOKEN_DAYS) -> tuple[str, ApiToken]:
    """A new API bearer token for `username` that lasts `days`: the secret (returned once) and its row
    (which keeps only the hash). Refused for a disabled user and for one still on a one-time password
    (the token would be refused, and then revoked when they chose their own)."""
    if not 1 <= days <= 366:
        raise InvalidInput("a token lasts from 1 to 366 days")
    user = user_named(session, username)
    if not user.active:
        raise Conflict(f"user {username!r} is disabled")
    if user.password_must_change:
        raise Conflict(f"user {username!r} must first replace their one-time password with their own")
    raw = "jd_" + secrets.token_urlsafe(32)
    now = utcnow()
    row = ApiToken(
        token_hash=token_digest(raw), user_id=user.id, label=label, created_at=now,
        expires_at=now + timedelta(days=days),
    )  # fmt: skip
    session.add(row)
    session.flush()
    return raw, row


def issue_token(session: Session, username: str, label: str, days: int = TOKEN_DAYS) -> str:
    """A new API bearer token for `username`; returned once, stored as a hash (not logged: the faces
    mint through `accounts.mint_token`, which logs)."""
    return new_token(session, username, label, days)[0]


def token_principal(session: Session, raw: str) -> Principal | None:
    """The principal behind a live token: not revoked, not expired, its user active. A user still on
    a one-time password is marked so, and the authorisation refuses them until they choose their own."""
    token = session.scalars(
        select(ApiToken).where(
            ApiToken.token_hash == token_digest(raw),
            ApiToken.revoked_at.is_(None),
            ApiToken.expires_at > utcnow(),
        )
    ).first()
    user = session.get(User, token.user_id) if token else None
    if user is None or not user.active:
        return None
    return Principal(user.id, user.username, Role(user.role), must_change_password=user.password_must_change)


def revoke_tokens(session: Session, user_id: int, token_id: int | None = None) -> int:
    """Revoke the user's live tokens (or the one with `token_id`); returns how many were revoked."""
    query = update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
    if token_id is not None:
        query = query.where(ApiToken.id == token_id)
    return session.execute(query.values(revoked_at=utcnow())).rowcount  # type: ignore[attr-defined]
