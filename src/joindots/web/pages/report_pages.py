"""Forms for reports from professionals, a reporter's own receipts, reports received."""

from __future__ import annotations

import re
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
    count_reports,
    one_report,
    own_reports,
    people_named,
)
from joindots.intake.schemas import DutyToReport, MakesafeConcern, MakesafeIndicator
from joindots.intake.service import file_report
from joindots.intake.triage import OUTCOMES, triage_report
from joindots.web.api.models import TriageRequest
from joindots.web.audited import log_access
from joindots.web.deps import DB, CurrentUser, State
from joindots.web.pages.forms import form_fields, validated
from joindots.web.pages.render import page_asked, page_count, render

router = APIRouter()
KINDS = {"duty": "report_duty.html", "makesafe": "report_makesafe.html"}
REPORTS_PAGE = 50


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise NotFound("there are two report forms: /reports/new/duty and /reports/new/makesafe")
    return kind


def _split(text: str | None) -> list[str]:
    return [p.strip() for p in re.split(r"[,;\n]", text or "") if p.strip()]


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
    return validated(DutyToReport, data)


def makesafe_from_form(form: FormData) -> MakesafeConcern:
    names = [{"name": n, "who": "young_person"} for n in _split(str(form.get("young_names", "")))]
    names += [{"name": n, "who": "adult"} for n in _split(str(form.get("adult_names", "")))]
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
    return validated(MakesafeConcern, data)


def _form_page(request: Request, kind: str, status: int = 200, **extra: Any) -> Response:
    return render(request, KINDS[kind], status, indicators=list(MakesafeIndicator), **extra)


@router.get("/reports/new/{kind}")
def new_report(kind: str, request: Request, principal: CurrentUser) -> Response:
    return _form_page(request, _kind(kind), values={})


@router.post("/reports/new/{kind}")
async def submit_report(kind: str, request: Request, principal: CurrentUser, state: State) -> Response:
    """Filed and committed first; the receipt page is shown only after that."""
    form = await request.form()
    try:
        report = duty_from_form(form) if _kind(kind) == "duty" else makesafe_from_form(form)
    except InvalidInput as exc:
        return _form_page(request, kind, 422, error=str(exc), values=dict(form))
    receipt = match_report(state.engine, file_report(state.engine, report, principal.username, state.routing))
    return render(request, "receipt.html", 201, receipt=receipt)


@router.get("/reports/mine")
def my_receipts(request: Request, principal: CurrentUser, db: DB) -> Response:
    return render(request, "receipts.html", reports=own_reports(db, principal.username))


@router.get("/reports")
def reports_received(request: Request, principal: CurrentUser, db: DB) -> Response:
    """Reports from professionals, newest first, a page at a time."""
    awaiting = request.query_params.get("awaiting") == "1"
    page, total = page_asked(request), count_reports(db, awaiting)
    reports = all_reports(db, REPORTS_PAGE, (page - 1) * REPORTS_PAGE, awaiting)
    log_access(
        db,
        request,
        principal,
        Action.CONSULTATION,
        "reports from professionals",
        details={"receipts": [r.receipt for r in reports]},
    )
    db.commit()
    people = people_named(db, reports)
    return render(
        request,
        "reports.html",
        reports=reports,
        people=people,
        ages=ages_then(db, reports, people),
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
    """One report whole, as filed (the reporter to call back, what happened in their words), with
    each person it names, who they are and the evidence for each match."""
    report = one_report(db, receipt)
    if report is None:
        raise NotFound(f"no report {receipt}")
    log_access(db, request, principal, Action.CONSULTATION, f"report {receipt}")
    db.commit()
    people = people_named(db, [report])
    return render(
        request,
        "report.html",
        r=report,
        given=report.payload or {},
        named=people.get(report.event_id, []),
        ages=ages_then(db, [report], people),
        outcomes=OUTCOMES,
        can_triage=allowed(principal.role, Permission.TRIAGE_REPORTS),
    )


@router.post("/reports/{receipt}/triage")
async def triage(receipt: str, request: Request, principal: CurrentUser, db: DB) -> Response:
    """What was done about the report, with why; back to the report."""
    body = validated(TriageRequest, await form_fields(request))
    triage_report(db, receipt, body.outcome, body.reason, principal.username)
    db.commit()
    return RedirectResponse(f"/reports/{receipt}#triage", status_code=303)
