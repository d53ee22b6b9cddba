"""Identity links waiting for a person to decide, and recording that decision.

A decision goes through the linkage engine's own `decide_in`, exactly as `joindots decide` does: it is
stored as a `match_decision` (honoured by every later run as a must-link / cannot-link constraint),
applied to the current persons at once (merged or split, with lineage), and logged as an alteration.
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from joindots.errors import Conflict, NotFound
from joindots.link.decisions import Outcome, decide_in
from joindots.store.link_tables import LinkRun, MatchDecision, MatchPair
from joindots.web.people import pair_view, persons_of, records

Decision = Literal["same", "different"]


def _decided(pair: Any) -> Any:
    return exists().where(
        MatchDecision.withdrawn_at.is_(None),
        or_(
            and_(MatchDecision.record_l == pair.record_l, MatchDecision.record_r == pair.record_r),
            and_(MatchDecision.record_l == pair.record_r, MatchDecision.record_r == pair.record_l),
        ),
    )


FoundBy = Literal["model", "context"]


def _to_review(strict: float, loose: float, found_by: FoundBy | None) -> Any:
    """The conditions of an undecided pair of the latest finished run between the two thresholds."""
    latest = select(func.max(LinkRun.id)).where(LinkRun.status == "done").scalar_subquery()
    where = [MatchPair.run_id == latest, MatchPair.match_probability >= loose]
    where += [MatchPair.match_probability < strict, ~_decided(MatchPair)]
    if found_by is not None:
        where.append(MatchPair.found_by == found_by)
    return and_(*where)


def pairs_to_review(
    session: Session,
    strict: float,
    loose: float,
    limit: int = 100,
    offset: int = 0,
    found_by: FoundBy | None = None,
) -> list[dict[str, Any]]:
    """Undecided pairs of the latest finished run scored between the loose and strict thresholds, most
    likely first; `found_by` "context" keeps the partial records the context step suggested."""
    stmt = (
        select(MatchPair)
        .where(_to_review(strict, loose, found_by))
        .order_by(MatchPair.match_probability.desc(), MatchPair.id)
        .offset(offset)
        .limit(limit)
    )
    return [pair_view(p) for p in session.scalars(stmt)]


def count_to_review(session: Session, strict: float, loose: float, found_by: FoundBy | None = None) -> int:
    """How many pairs `pairs_to_review` would give without a limit."""
    stmt = select(func.count()).select_from(MatchPair).where(_to_review(strict, loose, found_by))
    return int(session.scalar(stmt) or 0)


def decide_pair(session: Session, pair_id: int, decision: Decision, reason: str, actor: str) -> Outcome:
    """Decide that the two records of pair `pair_id` are (or are not) the same person, and apply it
    now, in the caller's transaction (the caller commits)."""
    pair = session.get(MatchPair, pair_id)
    if pair is None:
        raise NotFound(f"no match pair {pair_id}")
    if session.scalar(select(_decided(pair))):
        raise Conflict("these two records already have a decision; withdraw it first")
    return decide_in(session, pair.record_l, pair.record_r, decision, actor, reason)


def persons_of_pair(session: Session, pair_id: int) -> dict[int, str | None]:
    """The person each record of the pair belongs to now (None if no run or decision placed it)."""
    pair = session.get(MatchPair, pair_id)
    if pair is None:
        raise NotFound(f"no match pair {pair_id}")
    placed = persons_of(session, {pair.record_l, pair.record_r})
    return {r: placed.get(r) for r in (pair.record_l, pair.record_r)}


def with_records(session: Session, pairs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each pair with its two records side by side and the persons they belong to now."""
    ids = {r for p in pairs for r in (p["record_l"], p["record_r"])}
    found = {r["id"]: r for r in records(session, sorted(ids))}
    placed = persons_of(session, ids)
    return [
        p
        | {
            "left": found.get(p["record_l"]),
            "right": found.get(p["record_r"]),
            "person_l": placed.get(p["record_l"]),
            "person_r": placed.get(p["record_r"]),
        }
        for p in pairs
    ]
