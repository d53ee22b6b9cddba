"""The match review queue: pairs of the latest finished run scored between the loose and strict
thresholds that no analyst has decided, most likely first. `found_by` says which step found a pair:
"model" (the Splink model alone) or "context" (a partial record and the person around it who fits
best, joined at the strict threshold or suggested below it)."""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from joindots.store.link_tables import LinkRun, MatchDecision, MatchPair

FoundBy = Literal["model", "context"]


def decided(pair: Any) -> Any:
    """A condition: an analyst's decision in force covers the pair's two records, either way round."""
    return exists().where(
        MatchDecision.withdrawn_at.is_(None),
        or_(
            and_(MatchDecision.record_l == pair.record_l, MatchDecision.record_r == pair.record_r),
            and_(MatchDecision.record_l == pair.record_r, MatchDecision.record_r == pair.record_l),
        ),
    )


def _waiting(strict: float, loose: float, found_by: FoundBy | None) -> Any:
    latest = select(func.max(LinkRun.id)).where(LinkRun.status == "done").scalar_subquery()
    where = [MatchPair.run_id == latest, MatchPair.match_probability >= loose]
    where += [MatchPair.match_probability < strict, ~decided(MatchPair)]
    if found_by is not None:
        where.append(MatchPair.found_by == found_by)
    return and_(*where)


def waiting_pairs(
    session: Session,
    strict: float,
    loose: float,
    limit: int = 100,
    offset: int = 0,
    found_by: FoundBy | None = None,
) -> list[MatchPair]:
    """A page of the pairs waiting for a decision, most likely first."""
    stmt = (
        select(MatchPair)
        .where(_waiting(strict, loose, found_by))
        .order_by(MatchPair.match_probability.desc(), MatchPair.id)
        .offset(offset)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def count_waiting(session: Session, strict: float, loose: float, found_by: FoundBy | None = None) -> int:
    """How many pairs wait for a decision."""
    stmt = select(func.count()).select_from(MatchPair).where(_waiting(strict, loose, found_by))
    return int(session.scalar(stmt) or 0)
