"""What was done about a report: an analyst's triage outcome, with who, when and why.

A report awaits triage until an analyst records one of `OUTCOMES` with a reason; the outcome can be
recorded again (a referral that turns out to belong to an existing investigation), and each time is
an alteration in the access log, with the outcome it replaced. "No further action" needs its reason
as much as a referral does: the national audit found cases dropped with no record of why.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from joindots.audit import Action, record_access
from joindots.errors import InvalidInput, NotFound
from joindots.intake.queries import one_report
from joindots.intake.tables import Report
from joindots.store.base import utcnow

OUTCOMES = {
    "referred": "referred for a strategy discussion",
    "existing": "added to an existing investigation",
    "no_further_action": "no further action",
}


def triage_report(session: Session, receipt: str, outcome: str, reason: str, actor: str) -> Report:
    report = one_report(session, receipt)
    if report is None:
        raise NotFound(f"no report {receipt}")
    if outcome not in OUTCOMES:
        raise InvalidInput(f"a triage outcome is one of: {', '.join(OUTCOMES)}")
    if len(reason.strip()) < 5:
        raise InvalidInput("say why (5 characters or more)")
    was = report.triage
    report.triage, report.triaged_by, report.triaged_at = outcome, actor, utcnow()
    report.triage_note = reason.strip()[:500]
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
