"""Screening runs: evaluate the rules over the store, update the review queue in one transaction,
and report what changed since the last run (new, raised, lowered, resolved) and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from joindots.audit import Action, record_access
from joindots.screening.checks import CaseKey, Finding, evaluate
from joindots.screening.facts import load_facts
from joindots.screening.rules import RuleSet, load_rules
from joindots.screening.tables import ReviewItem, ScreenRun
from joindots.store.base import utcnow
from joindots.store.db import session_scope


@dataclass(frozen=True)
class Change:
    item_id: int
    source: str
    case_ref: str
    change: str  # new | raised | lowered | resolved
    before: int
    after: int
    why: str


@dataclass
class ScreenReport:
    run_id: int
    rules_version: str
    cases_examined: int
    active: int
    resolved_links: bool  # whether linkage results were there to resolve people
    changes: list[Change] = field(default_factory=list)

    def count(self, change: str) -> int:
        return sum(1 for c in self.changes if c.change == change)


def _why(old: ReviewItem, finding: Finding) -> str:
    before, after = set(old.rules), set(finding.rules)
    parts = [f"+{r}" for r in sorted(after - before)] + [f"-{r}" for r in sorted(before - after)]
    return ", ".join(parts) or "weights changed"


def _apply(item: ReviewItem, finding: Finding, run_id: int) -> None:
    item.kind = finding.case.kind
    item.priority = finding.priority
    item.rules = list(finding.rules)
    item.parts = list(finding.parts)
    item.reasons = list(finding.reasons)
    item.evidence = dict(finding.evidence)
    item.active = True
    item.last_run_id = run_id
    item.updated_at = utcnow()


def _update(session: Session, findings: dict[CaseKey, Finding], run_id: int) -> list[Change]:
    changes: list[Change] = []
    existing = {(i.source, i.case_ref): i for i in session.scalars(select(ReviewItem))}
    for key, finding in sorted(findings.items()):
        item = existing.get(key)
        if item is None or not item.active:
            before = 0 if item is None else item.priority
            if item is None:
                item = ReviewItem(source=key[0], case_ref=key[1], first_run_id=run_id)
                session.add(item)
            _apply(item, finding, run_id)
            session.flush()
            changes.append(Change(item.id, *key, "new", before, item.priority, "; ".join(finding.rules)))
            continue
        before, why = item.priority, _why(item, finding)
        _apply(item, finding, run_id)
        if item.priority != before:
            change = "raised" if item.priority > before else "lowered"
            changes.append(Change(item.id, *key, change, before, item.priority, why))
    for key, item in sorted(existing.items()):
        if item.active and key not in findings:
            changes.append(
                Change(
                    item.id,
                    *key,
                    "resolved",
                    item.priority,
                    0,
                    "no rule fires now: -" + ", -".join(item.rules),
                )
            )
            item.active, item.last_run_id, item.updated_at = False, run_id, utcnow()
    return changes


def screen(engine: Engine, actor: str, rules: RuleSet | Path | None = None) -> ScreenReport:
    """Re-run the rules over everything in the store and update the queue; all or nothing.

    Decisions are kept: an item that stops firing is marked inactive, never deleted.
    """
    ruleset = rules if isinstance(rules, RuleSet) else load_rules(rules)
    with session_scope(engine) as session:
        facts = load_facts(session)
        run = ScreenRun(ran_by=actor, rules_version=ruleset.version)
        session.add(run)
        session.flush()
        findings = evaluate(ruleset, facts)
        changes = _update(session, findings, run.id)
        n_cases = sum(1 for e in facts.events.values() if e.type in ("crime", "missing_episode"))
        report = ScreenReport(run.id, ruleset.version, n_cases, len(findings), facts.resolved, changes)
        run.stats = {c: report.count(c) for c in ("new", "raised", "lowered", "resolved")} | {
            "active": len(findings)
        }
        record_access(
            session,
            actor=actor,
            action=Action.CONSULTATION,
            subject="case review screening",
            justification="screen police, missing-person and partner records for cases to review",
            details={"run": run.id, "rules_version": ruleset.version, **run.stats},
        )
    return report
