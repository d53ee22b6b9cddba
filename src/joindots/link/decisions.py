"""Analysts' decisions: "these two records are the same person" / "are not". A decision is applied to
the current persons at once (with lineage) and honoured by every later run until withdrawn. A merge or
split can be undone: its records go back to their former person, and a decision keeps it so."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from joindots.audit import Action, record_access
from joindots.errors import Conflict, InvalidInput, NotFound
from joindots.link import lineage
from joindots.link.cluster import cluster_records
from joindots.link.identity import format_id, next_number
from joindots.link.run import decisions_in_force, latest_done_run
from joindots.settings import get_settings
from joindots.store.base import utcnow
from joindots.store.db import session_scope
from joindots.store.link_tables import Lineage, MatchDecision, MatchPair, Person, RecordPerson
from joindots.store.schema import PersonRecord

DECISIONS = ("same", "different")
UNDOABLE = ("merged", "moved", "split")


@dataclass
class Outcome:
    decision_id: int | None
    lineage_ids: list[int]
    message: str


def resolve_record(session: Session, ref: str | int) -> int:
    """A PersonRecord id from '123' or 'source:record_id' (e.g. 'police_north:CR0042#1')."""
    text = str(ref).strip()
    if text.isdigit():
        found = session.get(PersonRecord, int(text))
    elif ":" in text:
        source, record_id = text.split(":", 1)
        query = select(PersonRecord).where(PersonRecord.source == source, PersonRecord.record_id == record_id)
        found = session.scalars(query.order_by(PersonRecord.id.desc()).limit(1)).first()
    else:
        raise InvalidInput(f"{text!r}: give a record as a number or as source:record_id")
    if found is None:
        raise NotFound(f"no person record {text!r}")
    return found.id


def _person_of(session: Session, record: int) -> RecordPerson | None:
    return session.get(RecordPerson, record)


def _records_of(session: Session, person_id: str) -> list[int]:
    query = select(RecordPerson.person_record_id).where(RecordPerson.person_id == person_id)
    return sorted(session.scalars(query))


def _move(session: Session, records: list[int], person_id: str, probability: float | None = None) -> None:
    for record in records:
        row = session.get(RecordPerson, record)
        if row is None:
            session.add(RecordPerson(person_record_id=record, person_id=person_id, assigned_by="decision"))
        else:
            row.person_id, row.assigned_by = person_id, "decision"
            if probability is not None:
                row.match_probability = probability
    session.flush()


def _retire_if_empty(session: Session, person_id: str, heir: str, cause: str) -> None:
    if _records_of(session, person_id):
        return
    person = session.get_one(Person, person_id)
    person.status = "retired"
    lineage.write(session, "retired", person_id, [], cause, others=[heir])


def _new_person(session: Session) -> str:
    pid = format_id(next_number(session))
    session.add(Person(id=pid))
    session.flush()
    return pid


def decide(
    engine: Engine, record_a: str | int, record_b: str | int, decision: str, actor: str, reason: str
) -> Outcome:
    """Store the decision and apply it to the current persons at once, in one transaction."""
    with session_scope(engine) as session:
        return decide_in(session, record_a, record_b, decision, actor, reason)


def decide_in(
    session: Session, record_a: str | int, record_b: str | int, decision: str, actor: str, reason: str
) -> Outcome:
    """`decide` inside the caller's transaction (for the web app, which holds its own session)."""
    if decision not in DECISIONS:
        raise InvalidInput(f"decision must be one of {DECISIONS}, not {decision!r}")
    if not reason.strip():
        raise InvalidInput("a decision needs a reason")
    a, b = sorted((resolve_record(session, record_a), resolve_record(session, record_b)))
    if a == b:
        raise InvalidInput("a record is always the same person as itself")
    row = MatchDecision(record_l=a, record_r=b, decision=decision, decided_by=actor, reason=reason.strip())
    session.add(row)
    session.flush()
    cause = f"decision {row.id} by {actor}"
    apply = _apply_same if decision == "same" else _apply_different
    lineage_ids, message = apply(session, a, b, cause)
    record_access(
        session,
        actor=actor,
        action=Action.ALTERATION,
        subject=f"records {a} and {b}",
        justification=reason.strip(),
        details={
            "decision": decision,
            "decision_id": row.id,
            "people": _people_touched(session, (a, b), cause),
        },
    )
    return Outcome(row.id, lineage_ids, message)


def _people_touched(session: Session, records: tuple[int, int], cause: str) -> list[str]:
    """For the access log: the persons the two records belong to now, and every person the lineage
    this decision wrote names (the one merged away and retired, the ones split off). Only lineage
    written by decisions has no run, so the run_id index keeps this off the runs' lineage."""
    people = {rp.person_id for r in records if (rp := _person_of(session, r)) is not None}
    written = select(Lineage).where(Lineage.run_id.is_(None), Lineage.caused_by == cause)
    for entry in session.scalars(written):
        people.update([entry.person_id, *(entry.other_person_ids or [])])
    return sorted(people)


def _apply_same(session: Session, a: int, b: int, cause: str) -> tuple[list[int], str]:
    pa, pb = _person_of(session, a), _person_of(session, b)
    if pa is None and pb is None:
        pid = _new_person(session)
        _move(session, [a, b], pid, 1.0)
        return [lineage.write(session, "created", pid, [a, b], cause).id], f"both records are now {pid}"
    if pa is not None and pb is not None and pa.person_id == pb.person_id:
        return [], f"already the same person ({pa.person_id}); the decision keeps them so"
    if pa is None or pb is None:
        known = pa or pb
        assert known is not None
        loose = b if pa is not None else a
        _move(session, [loose], known.person_id, 1.0)
        session.flush()
        return [
            lineage.write(session, "added", known.person_id, [loose], cause).id
        ], f"added to {known.person_id}"
    sizes = {p: len(_records_of(session, p)) for p in (pa.person_id, pb.person_id)}
    keep, gone = sorted(sizes, key=lambda p: (-sizes[p], p))
    records = _records_of(session, gone)
    _move(session, records, keep)
    entry = lineage.write(session, "merged", keep, records, cause, others=[gone])
    session.flush()
    _retire_if_empty(session, gone, keep, cause)
    return [entry.id], f"{gone} merged into {keep}"


def _apply_different(session: Session, a: int, b: int, cause: str) -> tuple[list[int], str]:
    pa, pb = _person_of(session, a), _person_of(session, b)
    if pa is None or pb is None or pa.person_id != pb.person_id:
        return [], "already different persons; the decision keeps them so"
    pid = pa.person_id
    records = _records_of(session, pid)
    run = latest_done_run(session)
    threshold = run.threshold if run is not None else get_settings().match_threshold
    edges: list[tuple[int, int, float]] = []
    if run is not None:
        query = select(MatchPair.record_l, MatchPair.record_r, MatchPair.match_probability).where(
            MatchPair.run_id == run.id, MatchPair.record_l.in_(records), MatchPair.record_r.in_(records)
        )
        edges = [(x, y, p) for x, y, p in session.execute(query).tuples()]
    must, cannot = decisions_in_force(session)
    inside = set(records)
    must = [(x, y) for x, y in must if x in inside and y in inside]
    cannot = [(x, y) for x, y in cannot if x in inside and y in inside]
    groups: dict[int, list[int]] = defaultdict(list)
    for record, cluster in cluster_records(records, edges, threshold, must, cannot).items():
        groups[cluster].append(record)
    ordered = sorted(groups.values(), key=lambda g: (-len(g), min(g)))
    ids = []
    for group in ordered[1:]:
        new = _new_person(session)
        _move(session, sorted(group), new)
        ids.append(lineage.write(session, "split", new, group, cause, others=[pid]).id)
    return ids, f"{pid} split into {len(ordered)} persons"


def withdraw(engine: Engine, decision_id: int, actor: str, reason: str) -> None:
    """Withdraw a decision: later runs no longer honour it (current persons stay until the next run)."""
    with session_scope(engine) as session:
        row = session.get(MatchDecision, decision_id)
        if row is None:
            raise NotFound(f"no decision {decision_id}")
        if row.withdrawn_at is not None:
            raise Conflict(f"decision {decision_id} was already withdrawn")
        row.withdrawn_at = utcnow()
        record_access(
            session,
            actor=actor,
            action=Action.ALTERATION,
            subject=f"decision {decision_id}",
            justification=reason,
            details={"withdrawn": True},
        )


def undo(engine: Engine, lineage_id: int, actor: str) -> Outcome:
    """Reverse a merge, move or split: its records go back to their former person; a decision
    ('different' for a merge, 'same' for a split) keeps it so in later runs."""
    with session_scope(engine) as session:
        entry = session.get(Lineage, lineage_id)
        if entry is None:
            raise NotFound(f"no lineage entry {lineage_id}")
        if entry.action not in UNDOABLE or not entry.other_person_ids:
            raise InvalidInput(f"lineage {lineage_id} is a {entry.action!r}; only {UNDOABLE} can be undone")
        cause = f"undo of lineage {lineage_id} by {actor}"
        earlier = Lineage.caused_by.like(f"undo of lineage {lineage_id} by %")
        done = session.scalars(select(Lineage).where(earlier, Lineage.action == "undone"))
        if done.first() is not None:
            raise Conflict(f"lineage {lineage_id} was already undone")
        return _undo(session, entry, actor, cause)


def _undo(session: Session, entry: Lineage, actor: str, cause: str) -> Outcome:
    now, former = entry.person_id, entry.other_person_ids[0]
    records = [r for r in entry.record_ids if (rp := _person_of(session, r)) and rp.person_id == now]
    if not records:
        raise Conflict(f"the records of lineage {entry.id} have all moved on since; nothing to undo")
    person = session.get(Person, former) or Person(id=former)
    person.status, person.retired_run_id = "active", None
    session.add(person)
    session.flush()
    already_there = _records_of(session, former)
    _move(session, records, former)
    staying = _records_of(session, now)
    decision = None
    if entry.action == "split" and already_there:
        decision = MatchDecision(record_l=min(records[0], already_there[0]), record_r=max(records[0], already_there[0]),
                                 decision="same", decided_by=actor, reason=cause)  # fmt: skip
    elif entry.action != "split" and staying:
        decision = MatchDecision(record_l=min(records[0], staying[0]), record_r=max(records[0], staying[0]),
                                 decision="different", decided_by=actor, reason=cause)  # fmt: skip
    if decision is not None:
        session.add(decision)
        session.flush()
    row = lineage.write(session, "undone", former, records, cause, others=[now])
    session.flush()
    _retire_if_empty(session, now, former, cause)
    record_access(
        session,
        actor=actor,
        action=Action.ALTERATION,
        subject=f"persons {now} and {former}",
        justification=cause,
        details={"lineage_id": entry.id, "records": records, "people": sorted({now, former})},
    )
    return Outcome(decision.id if decision else None, [row.id], f"{len(records)} record(s) back to {former}")
