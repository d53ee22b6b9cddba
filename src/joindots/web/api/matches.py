"""Identity links to review, and decisions on them."""

from __future__ import annotations

from fastapi import APIRouter

from joindots.web.api.models import DecisionMade, DecisionRequest, Pair, RowId
from joindots.web.decisions import decide_pair, pairs_to_review
from joindots.web.deps import DB, CurrentUser, State

router = APIRouter(prefix="/api/matches", tags=["matches"])


@router.get("", response_model=list[Pair])
def to_review(db: DB, state: State, principal: CurrentUser) -> list[Pair]:
    """Pairs of the latest run between the loose and strict thresholds that nobody has decided."""
    pairs = pairs_to_review(db, state.settings.match_threshold, state.settings.loose_match_threshold)
    return [Pair.model_validate(p) for p in pairs]


@router.post("/{pair_id}/decision", response_model=DecisionMade, status_code=201)
def decide(pair_id: RowId, body: DecisionRequest, db: DB, principal: CurrentUser) -> DecisionMade:
    row = decide_pair(db, pair_id, body.decision, body.reason, principal.username)
    db.commit()
    return DecisionMade(id=row.id, decision=row.decision)
