"""Forms for reports from professionals, a reporter's own receipts, reports received."""

from __future__ import annotations

import re
import secrets
from types import SimpleNamespace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from joindots.audit import Action
from joindots.auth.roles import Permission, allowed
from joindots.errors import InvalidInput, NotFound
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
    unplaced_hits,
)
from joindots.intake.schemas import DutyToReport, MakesafeConcern, MakesafeIndicator, Receipt
from joindots.intake.service import file_report
from joindots.intake.triage import OUTCOMES, triage_history, triage_report
from joindots.web.api.models import TriageRequest
from joindots.web.audited import log_access
from joindots.web.deps import DB, CurrentUser, State
from joindots.web.pages.forms import form_fields, validated
from joindots.web.pages.render import page_asked, page_count, render

router = APIRouter()
KINDS = {"duty": "report_duty.html", "makesafe": "report_makesafe.html"}
REPORTS_PAGE = 50


# each field as the forms label it, for errors a professional can act on
LABELS = {
    "reporter.name": "Your name",
    "reporter.role": "Your role",
    "reporter.organisation": "Organisation",
    "reporter.phone": "Your phone",
    "reporter.email": "Your email",
    "child": "The child",
    "child.forename": "The child's forename",
    "child.surname": "The child's surname",
    "child.dob": "The child's date of birth",
    "child.postcode": "The child's home postcode",
    "suspects.forename": "The suspect's forename",
    "suspects.surname": "The suspect's surname or nickname",
    "suspects.phones": "The suspect's phones",
    "suspects.vehicle_marks": "The suspect's vehicle marks",
    "suspects.description": "The suspect's description",
    "business": "Business",
    "business_name": "Business name",
    "indicators": "What you noticed",
    "names_as_given.name": "Names as given",
    "phones": "Phones",
    "vehicle_marks": "Vehicle marks",
    "what_happened": "What happened",
    "occurred_on": "When",
    "location_postcode": "Postcode of where it happened",
}


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise NotFound("there are two report forms: /reports/new/duty and /reports/new/makesafe")
    return kind


def _split(text: str | None) -> list[str]:
    """Phones or vehicle marks, however they were separated."""
    return [p.strip() for p in re.split(r"[,;\n]", text or "") if p.strip()]


def _lines(text: str | None) -> list[str]:
    """Names, one per line: "Smith, John" is one name as given."""
    return [p.strip() for p in (text or "").splitlines() if p.strip()]


def _pick(form: FormData, prefix: str, names: tuple[str, ...]) -> dict[str, Any]:
    values = {n: str(form.get(f"{prefix}{n}", "")).strip() for n in names}
    return {k: v for k, v in values.items() if v}


def _reporter(form: FormData) -> dict[str, Any]:
    return _pick(form, "reporter_", ("name", "role", "organisation", "phone", "email"))


def _person(form: FormData, prefix: str) -> dict[str, Any] | None:
    person = _pick(form, prefix, ("forename", "surname", "dob", "sex", "postcode", "description"))
    person |= {k: _split(str(form.get(f"{prefix}{k}", ""))) for k in ("phones", "vehicle_marks")}
    return person if any(person.values()) else None


def duty_from_form(form: FormData) -> DutyToReport:
    suspect = _person(form, "suspect_")
    data = {
        "reporter": _reporter(form),
        "child": _person(form, "child_") or {},
        "suspects": [suspect] if suspect else [],
        **_pick(form, "", ("what_happened", "occurred_on", "location_postcode", "client_key")),
    }
    return validated(DutyToReport, data, LABELS)


def makesafe_from_form(form: FormData) -> MakesafeConcern:
    names = [{"name": n, "who": "young_person"} for n in _lines(str(form.get("young_names", "")))]
    names += [{"name": n, "who": "adult"} for n in _lines(str(form.get("adult_names", "")))]
    data = {
        "reporter": _reporter(form),
        "indicators": [str(v) for v in form.getlist("indicators")],
        "names_as_given": names,
        "phones": _split(str(form.get("phones", ""))),
        "vehicle_marks": _split(str(form.get("vehicle_marks", ""))),
        **_pick(
            form,
            "",
            ("business", "business_name", "location_postcode", "what_happened", "occurred_on", "client_key"),
        ),
    }
    return validated(MakesafeConcern, data, LABELS)


def _form_page(
    request: Request, kind: str, values: dict[str, Any], status: int = 200, **extra: Any
) -> Response:
    """The form, with what was typed (ticked indicators included) and a fresh key for this filing."""
    values = {"client_key": secrets.token_urlsafe(16)} | values
    return render(request, KINDS[kind], status, indicators=list(MakesafeIndicator), values=values, **extra)


@router.get("/reports/new/{kind}")
def new_report(kind: str, request: Request, principal: CurrentUser) -> Response:
    return _form_page(request, _kind(kind), {})


@router.post("/reports/new/{kind}")
async def submit_report(kind: str, request: Request, principal: CurrentUser, state: State) -> Response:
    """Filed and committed first, then on to the receipt. The form's own key makes a second press,
    a refresh or the back button give the same receipt, not a second report."""
    form = await request.form()
    try:
        report = duty_from_form(form) if _kind(kind) == "duty" else makesafe_from_form(form)
    except InvalidInput as exc:
        typed = dict(form) | {"indicators": form.getlist("indicators")}
        return _form_page(request, kind, typed, 422, error=str(exc))
    receipt = match_report(state.engine, file_report(state.engine, report, principal.username, state.routing))
    return RedirectResponse(f"/reports/mine/{receipt.receipt}", status_code=303)


@router.get("/reports/mine")
def my_receipts(request: Request, principal: CurrentUser, db: DB) -> Response:
    """The user's own receipts, newest first, a page at a time."""
    total = count_own_reports(db, principal.username)
    page = min(page_asked(request), page_count(total, REPORTS_PAGE))
    reports = own_reports(db, principal.username, REPORTS_PAGE, (page - 1) * REPORTS_PAGE)
    return render(
        request,
        "receipts.html",
        reports=reports,
        result=SimpleNamespace(items=reports, total=total, offset=(page - 1) * REPORTS_PAGE),
        page=page,
        pages=page_count(total, REPORTS_PAGE),
        path=request.url.path,
    )


@router.get("/reports/mine/{receipt}")
def my_receipt(receipt: str, request: Request, principal: CurrentUser, db: DB) -> Response:
    """The receipt of a report this user filed (no one else's: a reporter reads only their own)."""
    report = one_report(db, receipt)
    if report is None or report.filed_by != principal.username:
        raise NotFound(f"you have filed no report {receipt}")
    return render(request, "receipt.html", receipt=Receipt.model_validate(report, from_attributes=True))


@router.get("/reports")
def reports_received(request: Request, principal: CurrentUser, db: DB) -> Response:
    """Reports from professionals, newest first, a page at a time."""
    awaiting = request.query_params.get("awaiting") == "1"
    total = count_reports(db, awaiting)
    page = min(page_asked(request), page_count(total, REPORTS_PAGE))  # past the end: the last page
    reports = all_reports(db, REPORTS_PAGE, (page - 1) * REPORTS_PAGE, awaiting)
    people = people_named(db, reports)
    log_access(
        db,
        request,
        principal,
        Action.CONSULTATION,
        "reports from professionals",
        details={"receipts": [r.receipt for r in reports], "people": people_in(reports, people)},
    )
    db.commit()
    return render(
        request,
        "reports.html",
        reports=reports,
        people=people,
        ages=ages_then(db, reports, people),
        earlier=unplaced_hits(db, reports),
        result=SimpleNamespace(items=reports, total=total, offset=(page - 1) * REPORTS_PAGE),
        page=page,
        pages=page_count(total, REPORTS_PAGE),
        path=request.url.path,
        awaiting=awaiting,
        waiting=count_reports(db, awaiting=True),
        outcomes=OUTCOMES,
    )


@router.get("/reports/{receipt}")
def report_received(receipt: str, request: Request, principal: CurrentUser, db: DB) -> Response:
    """One report whole, as filed (the reporter to call back, what happened in their words), what
    was done about it (every outcome recorded, newest first), with each person it names, who they
    are and the evidence for each match."""
    report = one_report(db, receipt)
    if report is None:
        raise NotFound(f"no report {receipt}")
    people = people_named(db, [report])
    shown = {"people": people_in([report], people)}
    log_access(db, request, principal, Action.CONSULTATION, f"report {receipt}", details=shown)
    db.commit()
    return render(
        request,
        "report.html",
        r=report,
        given=report.payload or {},
        named=people.get(report.event_id, []),
        ages=ages_then(db, [report], people),
        earlier=unplaced_hits(db, [report]),
        outcomes=OUTCOMES,
        history=triage_history(db, [report]).get(report.id, []),
        can_triage=allowed(principal.role, Permission.TRIAGE_REPORTS),
    )


@router.post("/reports/{receipt}/triage")
async def triage(receipt: str, request: Request, principal: CurrentUser, db: DB) -> Response:
    """What was done about the report, with why; back to the report."""
    body = validated(TriageRequest, await form_fields(request))
    triage_report(db, receipt, body.outcome, body.reason, principal.username)
    db.commit()
    return RedirectResponse(f"/reports/{receipt}#triage", status_code=303)
