"""Reports from professionals: file one (committed before it is acknowledged), read receipts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.orm import Session

from joindots.audit import Action
from joindots.errors import NotFound
from joindots.intake.matching import match_report
from joindots.intake.queries import (
    ages_then,
    all_reports,
    count_own_reports,
    count_reports,
    one_report,
    own_reports,
    people_in,
    people_named,
)
from joindots.intake.schemas import AnyReport, Receipt
from joindots.intake.service import file_report
from joindots.intake.tables import Report
from joindots.intake.triage import triage_history, triage_report
from joindots.web.api.models import (
    NamedPerson,
    ReceiptSummary,
    ReportDetail,
    TriageEntry,
    TriageRequest,
)
from joindots.web.audited import log_access
from joindots.web.deps import DB, CurrentUser, State

router = APIRouter(prefix="/api/reports", tags=["reports"])


@router.post("", response_model=Receipt, status_code=201)
def file(body: AnyReport, principal: CurrentUser, state: State) -> Receipt:
    """File a duty-to-report or a hotel/taxi concern. The 201 comes only after the report is committed;
    resending with the same `client_key` returns the same receipt."""
    receipt = file_report(state.engine, body, principal.username, state.routing)
    return match_report(state.engine, receipt)


@router.get("/mine", response_model=list[ReceiptSummary])
def mine(
    response: Response,
    principal: CurrentUser,
    db: DB,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[ReceiptSummary]:
    """The caller's own receipts, newest first, a page at a time; X-Total-Count gives how many."""
    response.headers["X-Total-Count"] = str(count_own_reports(db, principal.username))
    return [
        ReceiptSummary.model_validate(r, from_attributes=True)
        for r in own_reports(db, principal.username, limit, offset)
    ]


@router.get("", response_model=list[ReportDetail])
def everything(
    request: Request,
    response: Response,
    principal: CurrentUser,
    db: DB,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    awaiting: bool = False,
) -> list[ReportDetail]:
    """Reports from professionals, newest first, a page at a time (`awaiting`: only those not yet
    triaged); X-Total-Count gives how many."""
    reports = all_reports(db, limit, offset, awaiting)
    response.headers["X-Total-Count"] = str(count_reports(db, awaiting))
    log_access(
        db,
        request,
        principal,
        Action.CONSULTATION,
        "reports from professionals",
        details={
            "receipts": [r.receipt for r in reports],
            "people": people_in(reports, people_named(db, reports)),
        },
    )
    db.commit()
    return detailed(db, reports)


@router.get("/{receipt}", response_model=ReportDetail)
def one(receipt: str, request: Request, principal: CurrentUser, db: DB) -> ReportDetail:
    """One report whole, with each person it names and their matches (as in the list), and what was
    done about it: the latest triage, and every outcome recorded in `triage_history`, newest first."""
    report = one_report(db, receipt)
    if report is None:
        raise NotFound(f"no report {receipt}")
    shown = {"people": people_in([report], people_named(db, [report]))}
    log_access(db, request, principal, Action.CONSULTATION, f"report {receipt}", details=shown)
    db.commit()
    return detailed(db, [report])[0]


@router.post("/{receipt}/triage", response_model=ReportDetail)
def triage(receipt: str, body: TriageRequest, principal: CurrentUser, db: DB) -> ReportDetail:
    """Record what was done about the report, and why (an alteration in the access log)."""
    report = triage_report(db, receipt, body.outcome, body.reason, principal.username)
    db.commit()
    return detailed(db, [report])[0]


def detailed(db: Session, reports: list[Report]) -> list[ReportDetail]:
    """Each report as the API gives it: with each person it names, their matches and ages then, and
    every triage outcome recorded, newest first."""
    people = people_named(db, reports)
    ages = ages_then(db, reports, people)
    history = triage_history(db, reports)

    def age(r: Report, person: str | None) -> int | None:
        return ages.get((r.id, person)) if person else None

    return [
        ReportDetail.model_validate(r, from_attributes=True).model_copy(
            update={
                "people": [
                    NamedPerson(**vars(n), age_then=age(r, n.person_id)) for n in people.get(r.event_id, [])
                ],
                "matches": [hit | {"age_then": age(r, hit.get("person_id"))} for hit in r.matches or []],
                "triage_history": [
                    TriageEntry.model_validate(t, from_attributes=True) for t in history.get(r.id, [])
                ],
            }
        )
        for r in reports
    ]
