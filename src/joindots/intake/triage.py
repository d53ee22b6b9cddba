"""What was done about a report: an analyst's triage outcome, with who, when and why.

A report awaits triage until an analyst records one of `OUTCOMES` with a reason; the outcome can be
recorded again (a referral that turns out to belong to an existing investigation), and each time is
an alteration in the access log, with the outcome it replaced. The report shows the latest outcome;
every outcome recorded stays with it, in its triage history, so a reviewer reads the whole decision
trail on the report itself. "No further action" needs its reason as much as a referral does: the
national audit found cases dropped with no record of why.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from joindots.audit import Action, record_access
from joindots.errors import InvalidInput, NotFound
from joindots.intake.queries import one_report
from joindots.intake.tables import Report, ReportTriage
from joindots.store.base import utcnow

OUTCOMES = {
    "referred": "referred for a strategy discussion",
    "existing": "added to an existing investigation",
    "no_further_action": "no further action",
}


def triage_report(session: Session, receipt: str, outcome: str, reason: str, actor: str) -> Report:
    """Record `outcome` with why: the report's latest triage, one more entry in its history and an
    alteration in the access log, all in the session's transaction."""
    report = one_report(session, receipt)
    if report is None:
        raise NotFound(f"no report {receipt}")
    if outcome not in OUTCOMES:
        raise InvalidInput(f"a triage outcome is one of: {', '.join(OUTCOMES)}")
    if len(reason.strip()) < 5:
        raise InvalidInput("say why (5 characters or more)")
    was = report.triage
    entry = ReportTriage(
        report_id=report.id, outcome=outcome, triaged_by=actor, triaged_at=utcnow(), note=reason.strip()[:500]
    )
    session.add(entry)
    report.triage, report.triaged_by, report.triaged_at = outcome, actor, entry.triaged_at
    report.triage_note = entry.note
    record_access(
        session,
        actor=actor,
        action=Action.ALTERATION,
        subject=f"report {receipt}",
        justification=report.triage_note,
        details={"triage": outcome, "was": was},
    )
    session.flush()
    return report


def triage_history(session: Session, reports: list[Report]) -> dict[int, list[ReportTriage]]:
    """Every outcome recorded for each report (by report id), newest first; a report no one has
    triaged has none."""
    ids = [r.id for r in reports]
    if not ids:
        return {}
    query = (
        select(ReportTriage)
        .where(ReportTriage.report_id.in_(ids))
        .order_by(ReportTriage.triaged_at.desc(), ReportTriage.id.desc())
    )
    history: dict[int, list[ReportTriage]] = defaultdict(list)
    for entry in session.scalars(query):
        history[entry.report_id].append(entry)
    return dict(history)
