"""Matching a just-filed report's people against the people already known, at once.

The matching itself is the linkage engine's (`joindots.link.instant.Matcher`, scoring a new record
with the saved model of the latest run; a partial record, "suspect: Ricky", is also asked of the
context of the people the report's fuller records matched, `joindots.link.instant_context`). A
report stays 'pending' when there is nothing to match against yet: no finished linkage run with a
saved model, or the linkage engine is not installed in this build. The next full linkage run reconciles every record either way, so pending
never means lost. Matching runs after the report is committed: a failure here cannot lose a report.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from joindots.audit import Action, record_access
from joindots.intake.schemas import Receipt
from joindots.intake.tables import Report
from joindots.store.db import session_scope
from joindots.store.link_tables import LinkRun
from joindots.store.schema import PersonRecord

log = logging.getLogger("joindots.intake")
INSTANT = "joindots.link.instant"


def _latest_run(session: Session) -> LinkRun | None:
    run = session.scalars(
        select(LinkRun).where(LinkRun.status == "done").order_by(LinkRun.id.desc()).limit(1)
    ).first()
    return run if run is not None and run.model else None


def _latest_model(session: Session) -> dict[str, Any] | None:
    run = _latest_run(session)
    return run.model if run is not None else None


def _instant_module() -> Any | None:
    try:
        return importlib.import_module(INSTANT)
    except ModuleNotFoundError:  # a build without the linkage engine: reports stay pending
        return None


def _match_records(engine: Engine, module: Any, run: dict[str, Any], record_ids: list[int]) -> list[dict]:
    matcher = module.matcher_for(engine, run["model"])
    found = matcher.match_event_records(record_ids, run["shares"], run["threshold"])
    return [{"record": record_id, **candidate} for record_id in record_ids for candidate in found[record_id]]


def warm_up(engine: Engine) -> None:
    """Build the instant matcher now, so the first report after start-up does not wait for it."""
    with session_scope(engine) as session:
        model = _latest_model(session)
    module = _instant_module()
    if model is None or module is None:
        return
    try:
        module.matcher_for(engine, model)
    except Exception:  # reports still match (or stay pending) when they come
        log.exception("warming up the instant matcher failed")


def match_report(engine: Engine, receipt: Receipt) -> Receipt:
    """Try instant matching for the report's people; returns the receipt with its match status."""
    with session_scope(engine) as session:
        report = session.scalars(select(Report).where(Report.receipt == receipt.receipt)).one()
        if report.match_status != "pending":
            return receipt.model_copy(update={"match_status": report.match_status})
        latest, module = _latest_run(session), _instant_module()
        if latest is None or module is None:
            return receipt
        run = {
            "model": latest.model,
            "threshold": latest.threshold,
            "shares": (latest.stats or {}).get("context_shares") or {},
        }
        ids = list(session.scalars(select(PersonRecord.id).where(PersonRecord.event_id == report.event_id)))
    try:
        matches = _match_records(engine, module, run, ids)
    except Exception:  # the report is safe; the next full run will match it
        log.exception("instant matching failed for a report; it stays pending")
        return receipt
    with session_scope(engine) as session:
        stored = session.scalars(select(Report).where(Report.receipt == receipt.receipt)).one()
        stored.matches, stored.match_status = matches, "matched" if matches else "no_match"
        record_access(
            session, actor="instant-matching", action=Action.COMBINATION, subject=f"report:{receipt.receipt}",
            justification="a filed report matched at once against known people",
            details={
                "records": len(ids),
                "candidates": len(matches),
                "by_context": sum(m.get("found_by") == "context" for m in matches),
            },
        )  # fmt: skip
        return receipt.model_copy(update={"match_status": stored.match_status})
