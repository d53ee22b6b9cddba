"""Match review, groups, the review queue, data quality and statistics."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from joindots.web.api.aggregates import ReviewDecision
from joindots.web.api.models import DecisionRequest, RowId
from joindots.web.decisions import decide_pair, pairs_to_review
from joindots.web.deps import DB, CurrentUser, State
from joindots.web.pages.forms import form_fields, validated
from joindots.web.pages.render import render
from joindots.web.parts import decide_review_item, part_result

router = APIRouter()


@router.get("/matches")
def matches(request: Request, principal: CurrentUser, db: DB, state: State) -> Response:
    pairs = pairs_to_review(db, state.settings.match_threshold, state.settings.loose_match_threshold)
    return render(request, "matches.html", pairs=pairs, done=request.query_params.get("done"))


@router.post("/matches/{pair_id}/decision")
async def decide_match(pair_id: RowId, request: Request, principal: CurrentUser, db: DB) -> Response:
    body = validated(DecisionRequest, await form_fields(request))
    decide_pair(db, pair_id, body.decision, body.reason, principal.username)
    db.commit()
    return RedirectResponse(f"/matches?done={pair_id}", status_code=303)


def _part_page(request: Request, db: DB, part: str, title: str) -> Response:
    return render(request, "part.html", title=title, result=part_result(db, part))


@router.get("/groups")
def groups(request: Request, principal: CurrentUser, db: DB) -> Response:
    return _part_page(request, db, "groups", "Offender groups")


@router.get("/review")
def review(request: Request, principal: CurrentUser, db: DB) -> Response:
    return render(request, "review.html", result=part_result(db, "review"))


@router.post("/review/{item_id}/decision")
async def decide_review(item_id: RowId, request: Request, principal: CurrentUser, db: DB) -> Response:
    body = validated(ReviewDecision, await form_fields(request))
    decide_review_item(db, item_id, body.decision, body.reason, principal.username)
    db.commit()
    return RedirectResponse("/review", status_code=303)


@router.get("/quality")
def quality(request: Request, principal: CurrentUser, db: DB) -> Response:
    return _part_page(request, db, "quality", "Data quality")


@router.get("/stats")
def stats(request: Request, principal: CurrentUser, db: DB) -> Response:
    return _part_page(request, db, "stats", "Statistics")
