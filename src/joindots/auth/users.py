"""Creating users and signing them in: argon2 passwords, server-side sessions, API tokens."""

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
from joindots.store.base import utcnow

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


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
    """Give a user a password: their own, or (one_time) one they must replace when they first sign in."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    user = _user_named(session, username)
    user.password_hash = hash_password(password)
    user.password_must_change = one_time
    end_sessions(session, user.id)


def _user_named(session: Session, username: str) -> User:
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


def end_session(session: Session, session_hash: str) -> None:
    session.execute(update(WebSession).where(WebSession.id_hash == session_hash).values(ended_at=utcnow()))


def end_sessions(session: Session, user_id: int) -> None:
    session.execute(
        update(WebSession)
        .where(WebSession.user_id == user_id, WebSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )


def issue_token(session: Session, username: str, label: str) -> str:
    """A new API bearer token for `username`; returned once, stored as a hash."""
    user = _user_named(session, username)
    raw = "jd_" + secrets.token_urlsafe(32)
    session.add(ApiToken(token_hash=token_digest(raw), user_id=user.id, label=label))
    session.flush()
    return raw


def token_principal(session: Session, raw: str) -> Principal | None:
    token = session.scalars(
        select(ApiToken).where(ApiToken.token_hash == token_digest(raw), ApiToken.revoked_at.is_(None))
    ).first()
    user = session.get(User, token.user_id) if token else None
    if user is None or not user.active:
        return None
    return Principal(user.id, user.username, Role(user.role))
