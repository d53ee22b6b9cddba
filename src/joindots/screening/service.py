"""What the faces (web app, CLI) call: the queue, assigning an item, recording a decision.

Functions take the caller's session and never commit: the caller's transaction holds the change
and its access-log entry together.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from joindots.audit import Action, record_access
from joindots.errors import Conflict, InvalidInput, NotFound
from joindots.screening.checks import UNDECIDED
from joindots.screening.tables import ReviewDecision, ReviewItem
from joindots.store.base import utcnow

DECISIONS = ("reopen", "refer", "no_further_action", "needs_more_information")


def _latest_decisions(session: Session) -> dict[int, str]:
    rows = session.execute(
        select(ReviewDecision.item_id, ReviewDecision.decision).order_by(ReviewDecision.id)
    )
    return {int(item_id): str(decision) for item_id, decision in rows.all()}


def queue(session: Session, include_inactive: bool = False, limit: int | None = None) -> list[ReviewItem]:
    """Items, highest priority first (ties by case), active ones only unless asked."""
    stmt = select(ReviewItem).order_by(ReviewItem.priority.desc(), ReviewItem.source, ReviewItem.case_ref)
    if not include_inactive:
        stmt = stmt.where(ReviewItem.active.is_(True))
    return list(session.scalars(stmt.limit(limit) if limit else stmt))


def shown_reasons(item: ReviewItem, decision: str | None) -> list[str]:
    """The item's reasons as they read now: a reason frozen at screening saying no reviewer had
    decided gives way, once one has, to what was decided (until the next screen drops the rule)."""
    shown = list(item.reasons)
    if decision is None:
        return shown
    for i, rule in enumerate(item.rules):
        if i < len(shown) and (item.evidence or {}).get(rule, {}).get(UNDECIDED):
            weight = next((p["weight"] for p in item.parts if p["rule"] == rule), 0)
            shown[i] = (
                f"Decided since it was screened ({decision.replace('_', ' ')}); the {weight} points for "
                "not yet being reviewed go at the next screen."
            )
    return shown


def web_summary(session: Session) -> list[dict[str, Any]]:
    """The queue for the web app, highest priority first."""
    decisions = _latest_decisions(session)
    return [
        {
            "id": item.id,
            "case_ref": item.case_ref,
            "source": item.source,
            "priority": item.priority,
            "rules": list(item.rules),
            "reasons": shown_reasons(item, decisions.get(item.id)),
            "status": item.status,
            "decision": decisions.get(item.id),
            "assigned_to": item.assigned_to,
        }
        for item in queue(session)
    ]


def _item(session: Session, item_id: int) -> ReviewItem:
    item = session.get(ReviewItem, item_id)
    if item is None:
        raise NotFound(f"no review item {item_id}")
    return item


def assign_item(session: Session, item_id: int, to: str, actor: str) -> ReviewItem:
    if not to.strip():
        raise InvalidInput("say who the item is assigned to")
    item = _item(session, item_id)
    item.assigned_to = to.strip()
    if item.status == "open":
        item.status = "assigned"
    item.updated_at = utcnow()
    record_access(
        session,
        actor=actor,
        action=Action.ALTERATION,
        subject=f"review item {item.id} ({item.source} {item.case_ref})",
        justification="assign a case for review",
        details={"assigned_to": item.assigned_to},
    )
    session.flush()
    return item


def decide_item(session: Session, item_id: int, decision: str, reason: str, actor: str) -> ReviewDecision:
    """Record a reviewer's decision with its rationale; earlier decisions are kept."""
    if decision not in DECISIONS:
        raise InvalidInput(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
    if not reason or not reason.strip():
        raise InvalidInput("a decision needs a reason in words")
    item = _item(session, item_id)
    earlier = decisions_for(session, item.id)
    if decision == "reopen" and (not earlier or earlier[-1].decision == "reopen"):
        raise Conflict(
            f"review item {item.id} ({item.source} {item.case_ref}) is open: no decision to reopen"
        )
    made = ReviewDecision(item_id=item.id, decision=decision, rationale=reason.strip(), decided_by=actor)
    session.add(made)
    item.status = _status_after(item, decision)
    item.updated_at = utcnow()
    record_access(
        session,
        actor=actor,
        action=Action.ALTERATION,
        subject=f"review item {item.id} ({item.source} {item.case_ref})",
        justification=reason.strip()[:500],
        details={"decision": decision},
    )
    session.flush()
    return made


def _status_after(item: ReviewItem, decision: str) -> str:
    """Reopening puts the item back in review (with its reviewer, if it has one); any other decision decides it."""
    if decision != "reopen":
        return "decided"
    return "assigned" if item.assigned_to else "open"


def decisions_for(session: Session, item_id: int) -> list[ReviewDecision]:
    stmt = select(ReviewDecision).where(ReviewDecision.item_id == item_id).order_by(ReviewDecision.id)
    return list(session.scalars(stmt))


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "|")
EXPORT_COLUMNS = ("case_ref", "priority", "rules", "reasons")


def _safe_cell(value: Any) -> str:
    """Text a spreadsheet would read as a formula gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def export_queue(session: Session, out: Path, actor: str) -> int:
    """Write the active queue as CSV (case_ref, priority, rules, reasons), logged as a disclosure."""
    items = queue(session)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, quoting=csv.QUOTE_ALL)
        writer.writerow(EXPORT_COLUMNS)
        for item in items:
            row = (item.case_ref, item.priority, ";".join(item.rules), " | ".join(item.reasons))
            writer.writerow([_safe_cell(v) for v in row])
    record_access(
        session,
        actor=actor,
        action=Action.DISCLOSURE,
        subject="case review queue",
        justification="export the review queue",
        recipient=str(out),
        details={"items": len(items), "file": out.name},
    )
    return len(items)
