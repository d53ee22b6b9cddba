"""Stable person IDs. A new run's clusters inherit the ID of the earlier person they overlap most (by
records); one earlier ID goes to at most one cluster; the rest get new IDs and persons no cluster
keeps are retired. Every change is written as lineage."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from joindots.link import lineage
from joindots.store.link_tables import Lineage, LinkRun, Person, RecordPerson
from joindots.store.schema import PersonRecord


def format_id(number: int) -> str:
    return f"P{number:06d}"


def next_number(session: Session) -> int:
    """The number after the largest person ID ever given (retired ones included)."""
    ids = session.scalars(select(Person.id)).all()
    return max((int(i[1:]) for i in ids if i[1:].isdigit()), default=0) + 1


def current_persons(session: Session) -> dict[int, str]:
    """record id -> person id, as things stand."""
    return dict(session.execute(select(RecordPerson.person_record_id, RecordPerson.person_id)).tuples().all())


def _members(clusters: Mapping[int, int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = defaultdict(list)
    for record, cluster in clusters.items():
        out[cluster].append(record)
    return out


def _inherit(members: dict[int, list[int]], before: dict[int, str]) -> dict[int, str]:
    """Cluster -> earlier person ID it inherits: greedy over (overlap desc, person ID, cluster)."""
    candidates = []
    for cluster, records in members.items():
        for person, overlap in Counter(before[r] for r in records if r in before).items():
            candidates.append((-overlap, person, cluster))
    candidates.sort()
    given: dict[int, str] = {}
    taken: set[str] = set()
    for _, person, cluster in candidates:
        if cluster not in given and person not in taken:
            given[cluster] = person
            taken.add(person)
    return given


def assign_ids(session: Session, clusters: Mapping[int, int], run: LinkRun) -> dict[int, str]:
    """Give every cluster a person ID, write lineage, retire persons no cluster keeps.

    Returns cluster -> person ID. RecordPerson rows are left to the caller (they carry probabilities).
    Works in bulk statements, so a run over a million records does not issue a query per person."""
    before = current_persons(session)
    members = _members(clusters)
    given = _inherit(members, before)
    number = next_number(session)
    fresh = []
    for cluster in sorted(members):
        if cluster not in given:
            given[cluster] = format_id(number)
            number += 1
            fresh.append({"id": given[cluster], "created_run_id": run.id, "status": "active"})
    _chunked(session, insert(Person), fresh)
    kept = set(given.values())
    retired = set(session.scalars(select(Person.id).where(Person.status != "active")))
    _set_status(session, sorted(retired & kept), "active", None)
    rows = _changes(members, given, before, kept, run)
    gone = set(before.values()) - kept
    rows += _retirements(gone, before, clusters, given, run)
    _set_status(session, sorted(gone), "retired", run.id)
    _chunked(session, insert(Lineage), rows)
    return given


def _chunked(session: Session, statement: Any, rows: list[dict[str, Any]], size: int = 5000) -> None:
    for start in range(0, len(rows), size):
        session.execute(statement, rows[start : start + size])


def _set_status(session: Session, ids: list[str], status: str, run_id: int | None) -> None:
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        session.execute(
            update(Person).where(Person.id.in_(chunk)).values(status=status, retired_run_id=run_id)
        )


def _changes(
    members: dict[int, list[int]],
    given: dict[int, str],
    before: dict[int, str],
    kept: set[str],
    run: LinkRun,
) -> list[dict[str, Any]]:
    cause = f"run {run.id}"
    earlier = set(before.values())
    rows = []
    for cluster in sorted(members):
        pid = given[cluster]
        by_origin: dict[str | None, list[int]] = defaultdict(list)
        for r in members[cluster]:
            by_origin[before.get(r)].append(r)
        inherited = pid in earlier
        for origin, records in sorted(by_origin.items(), key=lambda kv: kv[0] or ""):
            if origin == pid:
                continue
            if origin is None:
                action = "added" if inherited else "created"
            elif not inherited:
                action = "split"
            else:
                action = "merged" if origin not in kept else "moved"
            others = [origin] if origin else []
            rows.append(lineage.row(action, pid, records, cause, run_id=run.id, others=others))
    return rows


def _retirements(
    gone: Iterable[str],
    before: dict[int, str],
    clusters: Mapping[int, int],
    given: dict[int, str],
    run: LinkRun,
) -> list[dict[str, Any]]:
    records_of: dict[str, list[int]] = defaultdict(list)
    for record, pid in before.items():
        records_of[pid].append(record)
    rows = []
    for pid in sorted(gone):
        records = records_of[pid]
        heirs = {given[clusters[r]] for r in records if r in clusters}
        rows.append(lineage.row("retired", pid, records, f"run {run.id}", run_id=run.id, others=heirs))
    return rows


def count_persons(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Person).where(Person.status == "active")) or 0


def person_records(session: Session, person_id: str) -> list[tuple[PersonRecord, RecordPerson]]:
    """The person's records with their assignments, oldest record first (identity fields only)."""
    query = (
        select(PersonRecord, RecordPerson)
        .join(RecordPerson, RecordPerson.person_record_id == PersonRecord.id)
        .where(RecordPerson.person_id == person_id)
        .order_by(PersonRecord.id)
    )
    return [(rec, rp) for rec, rp in session.execute(query).tuples()]


def assignment_rows(session: Session) -> list[tuple[str, str, str | None, float | None]]:
    """(source, record_id, person_id, match_probability) for every record; unlinked ones have no person."""
    query = (
        select(
            PersonRecord.source,
            PersonRecord.record_id,
            RecordPerson.person_id,
            RecordPerson.match_probability,
        )
        .outerjoin(RecordPerson, RecordPerson.person_record_id == PersonRecord.id)
        .order_by(PersonRecord.source, PersonRecord.record_id)
    )
    return [(s, r, p, m) for s, r, p, m in session.execute(query).tuples()]
