"""Health, who am I, and API tokens."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter

from joindots.auth.accounts import mint_token, tokens_of
from joindots.errors import Forbidden
from joindots.web.api.models import Me, NewToken, TokenIssued, TokenPublic
from joindots.web.deps import DB, CurrentUser, State

router = APIRouter(prefix="/api", tags=["core"])


@router.get("/health")
def health() -> dict[str, str]:
    """Liveness: the app answers. Holds no data."""
    return {"status": "ok"}


@router.get("/me", response_model=Me)
def me(principal: CurrentUser) -> Me:
    return Me(username=principal.username, role=principal.role.value)


@router.post("/tokens", response_model=TokenIssued, status_code=201)
def new_token(body: NewToken, principal: CurrentUser, db: DB, state: State) -> TokenIssued:
    """A bearer token for yourself, shown once (stored only as a hash), expiring after `days`. Only a
    signed-in browser session may ask (a token cannot renew itself past its expiry); the minting is
    logged with the session's purpose."""
    if principal.session_hash is None or principal.justification is None:
        raise Forbidden("a token cannot issue another: sign in to the web app, or ask an admin")
    issued = mint_token(
        db, principal.username, body.label, actor=principal.username, why=principal.justification,
        days=body.days, max_days=state.settings.api_token_days,
    )  # fmt: skip
    db.commit()
    return TokenIssued(token=issued.token, id=issued.id, expires_at=issued.expires_at)


@router.get("/tokens", response_model=list[TokenPublic])
def my_tokens(principal: CurrentUser, db: DB) -> list[TokenPublic]:
    """Your tokens, newest first: label, when issued, when they expire, whether revoked; never a secret."""
    return [TokenPublic(**asdict(t)) for t in tokens_of(db, principal.username)]
