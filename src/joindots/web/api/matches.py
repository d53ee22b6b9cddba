"""Identity links to review, and decisions on them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from joindots.audit import Action
from joindots.web.api.models import DecisionMade, DecisionRequest, Pair, RowId
from joindots.web.audited import log_access
from joindots.web.decisions import decide_pair, pairs_to_review, persons_of_pair
from joindots.web.deps import DB, CurrentUser, State

router = APIRouter(prefix="/api/matches", tags=["matches"])


def read_pairs(db: DB, request: Request, principal: CurrentUser, state: State) -> list[dict[str, Any]]:
    """The pairs to review; reading them is a consultation (pair ids logged, never names)."""
    pairs = pairs_to_review(db, state.settings.match_threshold, state.settings.loose_match_threshold)
    if pairs:
        shown = [p["id"] for p in pairs]
        log_access(db, request, principal, Action.CONSULTATION, "match review", details={"pairs": shown})
        db.commit()
    return pairs


@router.get("", response_model=list[Pair])
def to_review(db: DB, request: Request, state: State, principal: CurrentUser) -> list[Pair]:
    """Pairs of the latest run between the loose and strict thresholds that nobody has decided."""
    return [Pair.model_validate(p) for p in read_pairs(db, request, principal, state)]


@router.post("/{pair_id}/decision", response_model=DecisionMade, status_code=201)
def decide(pair_id: RowId, body: DecisionRequest, db: DB, principal: CurrentUser) -> DecisionMade:
    """Applied at once, as `joindots decide` does: the two records' persons are merged or split now,
    with lineage, and every later run honours the decision until it is withdrawn."""
    outcome = decide_pair(db, pair_id, body.decision, body.reason, principal.username)
    db.commit()
    return DecisionMade(
        id=outcome.decision_id,
        decision=body.decision,
        message=outcome.message,
        lineage_ids=outcome.lineage_ids,
        persons={str(r): p for r, p in persons_of_pair(db, pair_id).items()},
    )
