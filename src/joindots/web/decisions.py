"""Identity links waiting for a person to decide, and recording that decision.

A decision goes through the linkage engine's own `decide_in`, exactly as `joindots decide` does: it is
stored as a `match_decision` (honoured by every later run as a must-link / cannot-link constraint),
applied to the current persons at once (merged or split, with lineage), and logged as an alteration.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from joindots.errors import Conflict, NotFound
from joindots.intake.queries import age_on
from joindots.link.decisions import Outcome, decide_in
from joindots.link.review import decided
from joindots.store.link_tables import MatchPair
from joindots.web.people import persons_of, records

Decision = Literal["same", "different"]


def decide_pair(session: Session, pair_id: int, decision: Decision, reason: str, actor: str) -> Outcome:
    """Decide that the two records of pair `pair_id` are (or are not) the same person, and apply it
    now, in the caller's transaction (the caller commits)."""
    pair = session.get(MatchPair, pair_id)
    if pair is None:
        raise NotFound(f"no match pair {pair_id}")
    if session.scalar(select(decided(pair))):
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
            "age_if_same": age_if_same(found.get(p["record_l"]), found.get(p["record_r"])),
        }
        for p in pairs
    ]


def age_if_same(a: dict[str, Any] | None, b: dict[str, Any] | None) -> str | None:
    """For a record with no birth date (a "found with", a hotel guest) and one with it: how old that
    person was at the first record's event, were they the same ("aged 9 at the missing episode of
    2019-03-02, named as found_with"), so a reviewer sees at once a child put forward as an adult."""
    if a is None or b is None or bool(a.get("dob")) == bool(b.get("dob")):
        return None
    dated, undated = (a, b) if a.get("dob") else (b, a)
    event = undated.get("event") or {}
    if not event.get("date"):
        return None
    born, on = date.fromisoformat(dated["dob"]), date.fromisoformat(event["date"])
    if on < born:
        return f"not born yet at the {event['type'].replace('_', ' ')} of {on}"
    age = age_on(born, on)
    role = f", named as {undated['role']}" if undated.get("role") else ""
    return f"aged {age} at the {event['type'].replace('_', ' ')} of {on}{role}"
