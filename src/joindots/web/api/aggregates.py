"""Groups, the review queue, data quality and statistics, as their parts provide them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from joindots.audit import Action, people_shown
from joindots.audit.log import PERSON_IN_TEXT
from joindots.errors import NotFound
from joindots.web.api.models import Availability, Reason, RowId
from joindots.web.audited import log_access
from joindots.web.deps import DB, CurrentUser
from joindots.web.parts import (
    PartResult,
    assign_review_item,
    decide_review_item,
    part_result,
    stats_releases,
)

router = APIRouter(prefix="/api", tags=["analysis"])


# Parts whose results name people (person IDs, case references): reading them is a consultation.
PERSONAL = {"groups": ("offender groups", "key"), "review": ("case review queue", "id")}


def read_part(
    db: DB, request: Request, principal: CurrentUser, part: str, offset: int = 0, limit: int | None = None
) -> PartResult:
    """A page of a part's results; reading groups or the review queue is logged with the keys shown
    and the persons they name."""
    result = part_result(db, part, offset, limit)
    if result.available and part in PERSONAL:
        subject, key = PERSONAL[part]
        shown = [item.get(key) for item in result.items]
        details = {"shown": shown, "people": people_named(part, result.items)}
        log_access(db, request, principal, Action.CONSULTATION, subject, details=details)
        db.commit()
    return result


def people_named(part: str, items: list[dict[str, Any]]) -> list[str]:
    """Persons a page of groups shows (members and victims), or a page of the review queue names in
    its reasons (shown as person IDs, each a link to the person)."""
    if part == "groups":
        return people_shown(p for item in items for p in (*item["members"], *item["victims"]))
    texts = (str(reason) for item in items for reason in item.get("reasons", []))
    return people_shown(p for text in texts for p in PERSON_IN_TEXT.findall(text))


def _available(result: PartResult) -> Availability:
    return Availability(
        available=result.available,
        message=result.message,
        items=result.items,
        total=result.total,
        offset=result.offset,
    )


Offset = Annotated[int, Query(ge=0, le=10_000_000)]
Limit = Annotated[int, Query(ge=1, le=5000)]


@router.get("/groups", response_model=Availability)
def groups(
    db: DB, request: Request, principal: CurrentUser, offset: Offset = 0, limit: Limit = 500
) -> Availability:
    """Offender groups of the latest network build (members and victims as person IDs), a page at a time."""
    return _available(read_part(db, request, principal, "groups", offset, limit))


@router.get("/review-queue", response_model=Availability)
def review_queue(
    db: DB, request: Request, principal: CurrentUser, offset: Offset = 0, limit: Limit = 500
) -> Availability:
    """Cases the screening rules put up for review, highest priority first, with the latest decision."""
    return _available(read_part(db, request, principal, "review", offset, limit))


class ReviewDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["refer", "no_further_action", "needs_more_information", "reopen"]
    reason: Reason


class ReviewAssignment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: str = Field(min_length=1, max_length=100, description="The reviewer's username.")


@router.post("/review-queue/{item_id}/assign")
def assign(item_id: RowId, body: ReviewAssignment, db: DB, principal: CurrentUser) -> dict[str, str]:
    """Give the case to a reviewer (an alteration in the access log); they see it as theirs."""
    assign_review_item(db, item_id, body.to, principal.username)
    db.commit()
    return {"status": "assigned", "assigned_to": body.to}


@router.post("/review-queue/{item_id}/decision", status_code=201)
def decide(item_id: RowId, body: ReviewDecision, db: DB, principal: CurrentUser) -> dict[str, str]:
    decide_review_item(db, item_id, body.decision, body.reason, principal.username)
    db.commit()
    return {"status": "recorded"}


@router.get("/quality", response_model=Availability)
def quality(db: DB) -> Availability:
    """The latest data-quality scorecard (aggregates by source and field)."""
    return _available(part_result(db, "quality"))


@router.get("/stats", response_model=Availability)
def stats(
    db: DB,
    release: Annotated[
        int | None, Query(ge=1, description="A release from /api/stats/releases (default: the latest).")
    ] = None,
) -> Availability:
    """A statistics release (the latest, or `release`), one published cell per item (small counts
    already suppressed)."""
    if release is not None and release not in {r["release"] for r in stats_releases(db)}:
        raise NotFound(f"no statistics release {release}: see /api/stats/releases")
    return _available(part_result(db, "stats", release=release))


@router.get("/stats/releases")
def stats_release_log(db: DB) -> list[dict[str, Any]]:
    """The statistics release log, newest first: each release's date, who made it, who was counted,
    the cells each table suppressed and the protection it was made with (no counts)."""
    return stats_releases(db)
