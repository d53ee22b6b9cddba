"""Identity links waiting for a person to decide, and recording that decision.

The decision is written as a `match_decision` row, which every later linkage run honours as a
must-link / cannot-link constraint, and is logged as an alteration in the access log.
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from joindots.audit import Action, record_access
from joindots.errors import Conflict, InvalidInput, NotFound
from joindots.store.link_tables import LinkRun, MatchDecision, MatchPair
from joindots.web.people import pair_view

Decision = Literal["same", "different"]


def _decided(pair: Any) -> Any:
    return exists().where(
        MatchDecision.withdrawn_at.is_(None),
        or_(
            and_(MatchDecision.record_l == pair.record_l, MatchDecision.record_r == pair.record_r),
            and_(MatchDecision.record_l == pair.record_r, MatchDecision.record_r == pair.record_l),
        ),
    )


def pairs_to_review(session: Session, strict: float, loose: float, limit: int = 100) -> list[dict[str, Any]]:
    """Undecided pairs of the latest finished run scored between the loose and strict thresholds."""
    latest = session.scalar(select(func.max(LinkRun.id)).where(LinkRun.status == "done"))
    if latest is None:
        return []
    stmt = (
        select(MatchPair)
        .where(MatchPair.run_id == latest, MatchPair.match_probability >= loose)
        .where(MatchPair.match_probability < strict, ~_decided(MatchPair))
        .order_by(MatchPair.match_probability.desc())
        .limit(limit)
    )
    return [pair_view(p) for p in session.scalars(stmt)]


def decide_pair(session: Session, pair_id: int, decision: Decision, reason: str, actor: str) -> MatchDecision:
    """Record that the two records of pair `pair_id` are (or are not) the same person."""
    pair = session.get(MatchPair, pair_id)
    if pair is None:
        raise NotFound(f"no match pair {pair_id}")
    if decision not in ("same", "different"):
        raise InvalidInput("decision must be 'same' or 'different'")
    if session.scalar(select(_decided(pair))):
        raise Conflict("these two records already have a decision; withdraw it first")
    row = MatchDecision(
        record_l=pair.record_l, record_r=pair.record_r, decision=decision, decided_by=actor, reason=reason
    )
    session.add(row)
    session.flush()
    record_access(
        session,
        actor=actor,
        action=Action.ALTERATION,
        subject=f"records {pair.record_l} and {pair.record_r}",
        justification=reason,
        details={"decision": decision, "pair": pair_id, "match_probability": pair.match_probability},
    )
    return row
