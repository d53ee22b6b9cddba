"""Identity links to review, and decisions on them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from joindots.audit import Action, people_shown
from joindots.link.review import FoundBy, count_waiting, waiting_pairs
from joindots.web.api.models import DecisionMade, DecisionRequest, Pair, RowId
from joindots.web.audited import log_access
from joindots.web.decisions import decide_pair, persons_of_pair
from joindots.web.deps import DB, CurrentUser, State
from joindots.web.people import pair_view, persons_of

router = APIRouter(prefix="/api/matches", tags=["matches"])


REVIEW_PAGE = 100


def pair_people(db: DB, pairs: list[dict[str, Any]]) -> list[str]:
    """The persons whose records a page of pairs shows side by side (R123 for a record not yet placed)."""
    records = {r for p in pairs for r in (p["record_l"], p["record_r"])}
    placed = persons_of(db, records)
    return people_shown(placed.get(r, f"R{r}") for r in records)


def read_pairs(
    db: DB,
    request: Request,
    principal: CurrentUser,
    state: State,
    found_by: FoundBy | None = None,
    offset: int = 0,
    limit: int = REVIEW_PAGE,
) -> tuple[list[dict[str, Any]], int]:
    """A page of the pairs to review, most likely first, and how many there are in all; reading them
    is a consultation (pair ids and the persons of their records logged, never names)."""
    strict, loose = state.settings.match_threshold, state.settings.loose_match_threshold
    pairs = [pair_view(p) for p in waiting_pairs(db, strict, loose, limit, offset, found_by)]
    if pairs:
        details = {"pairs": [p["id"] for p in pairs], "people": pair_people(db, pairs)}
        log_access(db, request, principal, Action.CONSULTATION, "match review", details=details)
        db.commit()
    return pairs, count_waiting(db, strict, loose, found_by)


@router.get("", response_model=list[Pair])
def to_review(
    db: DB,
    request: Request,
    response: Response,
    state: State,
    principal: CurrentUser,
    found_by: Annotated[FoundBy | None, Query(description="model or context: who found the pair")] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = REVIEW_PAGE,
) -> list[Pair]:
    """Pairs of the latest run between the loose and strict thresholds that nobody has decided, most
    likely first (`found_by=context`: partial records whose best fit in their context fell short of
    the strict threshold). The X-Total-Count header gives how many there are in all."""
    pairs, total = read_pairs(db, request, principal, state, found_by, offset, limit)
    response.headers["X-Total-Count"] = str(total)
    return [Pair.model_validate(p) for p in pairs]


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
