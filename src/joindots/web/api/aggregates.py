"""Groups, the review queue, data quality and statistics, as their parts provide them."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict

from joindots.audit import Action
from joindots.web.api.models import Availability, Reason, RowId
from joindots.web.audited import log_access
from joindots.web.deps import DB, CurrentUser
from joindots.web.parts import decide_review_item, part_result

router = APIRouter(prefix="/api", tags=["analysis"])


def _available(db: DB, part: str) -> Availability:
    result = part_result(db, part)
    return Availability(available=result.available, message=result.message, items=result.items)


@router.get("/groups", response_model=Availability)
def groups(db: DB, request: Request, principal: CurrentUser) -> Availability:
    found = _available(db, "groups")
    if found.available:
        log_access(
            db,
            request,
            principal,
            Action.CONSULTATION,
            "offender groups",
            details={"groups": len(found.items)},
        )
        db.commit()
    return found


@router.get("/review-queue", response_model=Availability)
def review_queue(db: DB) -> Availability:
    return _available(db, "review")


class ReviewDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["refer", "no_further_action", "needs_more_information"]
    reason: Reason


@router.post("/review-queue/{item_id}/decision", status_code=201)
def decide(item_id: RowId, body: ReviewDecision, db: DB, principal: CurrentUser) -> dict[str, str]:
    decide_review_item(db, item_id, body.decision, body.reason, principal.username)
    db.commit()
    return {"status": "recorded"}


@router.get("/quality", response_model=Availability)
def quality(db: DB) -> Availability:
    return _available(db, "quality")


@router.get("/stats", response_model=Availability)
def stats(db: DB) -> Availability:
    return _available(db, "stats")
