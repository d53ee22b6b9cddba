"""Health, who am I, and API tokens."""

from __future__ import annotations

from fastapi import APIRouter

from joindots.auth.users import issue_token
from joindots.web.api.models import Me, NewToken, TokenIssued
from joindots.web.deps import DB, CurrentUser

router = APIRouter(prefix="/api", tags=["core"])


@router.get("/health")
def health() -> dict[str, str]:
    """Liveness: the app answers. Holds no data."""
    return {"status": "ok"}


@router.get("/me", response_model=Me)
def me(principal: CurrentUser) -> Me:
    return Me(username=principal.username, role=principal.role.value)


@router.post("/tokens", response_model=TokenIssued, status_code=201)
def new_token(body: NewToken, principal: CurrentUser, db: DB) -> TokenIssued:
    """A bearer token for yourself, shown once (stored only as a hash)."""
    token = issue_token(db, principal.username, body.label)
    db.commit()
    return TokenIssued(token=token)
