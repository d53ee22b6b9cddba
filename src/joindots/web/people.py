"""Read models for the people pages: search, a profile, its network neighbourhood and timeline.

A person is addressed by key: a stable person ID ('P000123') once linkage has run, or 'R<id>' for a
single record that no run has placed yet (so a report filed a minute ago can be read at once).
Ethnicity, IC code and nationality are never selected here: they are for aggregate statistics only.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from joindots.errors import InvalidInput, NotFound
from joindots.intake.normalise import phone_e164, vehicle_mark
from joindots.intake.queries import reports_naming
from joindots.store.link_tables import Lineage, MatchDecision, MatchPair, Person, RecordPerson
from joindots.store.schema import Event, PersonRecord, RecordObject

KEY = re.compile(r"^(P\d{1,12}|R\d{1,9})$")
MAX_HITS = 50
MAX_RECORDS = 500  # records read for one search
SHOWN_FIELDS = ("forename", "middle_names", "surname", "dob", "sex", "postcode", "address", "email", "role")


@dataclass(frozen=True)
class Criteria:
    name: str | None = None
    dob: date | None = None
    phone: str | None = None
    vehicle: str | None = None

    def empty(self) -> bool:
        return not (self.name or self.dob or self.phone or self.vehicle)


def _like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _name_filter(stmt: Select, name: str) -> Select:
    for term in name.split():
        stmt = stmt.where(
            or_(
                PersonRecord.forename.ilike(_like(term), escape="\\"),
                PersonRecord.surname.ilike(_like(term), escape="\\"),
                PersonRecord.middle_names.ilike(_like(term), escape="\\"),
            )
        )
    return stmt


def _object_filter(stmt: Select, kind: str, value: str | None) -> Select:
    if value is None:
        raise InvalidInput(f"that {kind} could not be read; check the number or mark")
    owners = select(RecordObject.person_record_id).where(
        RecordObject.kind == kind, RecordObject.value == value
    )
    return stmt.where(PersonRecord.id.in_(owners))


def search(session: Session, criteria: Criteria) -> tuple[list[dict[str, Any]], bool]:
    """People with a record matching every criterion given (names by prefix), one row per person
    (at most MAX_HITS), and whether more match than are shown (so a page never says "50 found" when
    there are thousands)."""
    if criteria.empty():
        raise InvalidInput("give a name, a date of birth, a phone or a vehicle mark")
    stmt = select(PersonRecord, RecordPerson.person_id).outerjoin(
        RecordPerson, RecordPerson.person_record_id == PersonRecord.id
    )
    if criteria.name:
        stmt = _name_filter(stmt, criteria.name)
    if criteria.dob:
        stmt = stmt.where(PersonRecord.dob == criteria.dob)
    if criteria.phone:
        stmt = _object_filter(stmt, "phone", phone_e164(criteria.phone))
    if criteria.vehicle:
        stmt = _object_filter(stmt, "vehicle", vehicle_mark(criteria.vehicle))
    rows = session.execute(stmt.order_by(PersonRecord.surname, PersonRecord.id).limit(MAX_RECORDS + 1)).all()
    hits = group_hits(rows[:MAX_RECORDS], limit=None)
    return hits[:MAX_HITS], len(rows) > MAX_RECORDS or len(hits) > MAX_HITS


def group_hits(rows: Sequence[Any], limit: int | None = MAX_HITS) -> list[dict[str, Any]]:
    """(record, person_id) rows as one row per person: names, dates of birth, sources, record count."""
    people: dict[str, dict[str, Any]] = {}
    for record, person_id in rows:
        key = person_id or f"R{record.id}"
        hit = people.setdefault(
            key, {"key": key, "names": [], "dobs": [], "sources": [], "records": 0, "linked": bool(person_id)}
        )
        hit["records"] += 1
        _add_unique(hit["names"], " ".join(p for p in (record.forename, record.surname) if p) or "(no name)")
        _add_unique(hit["dobs"], record.dob.isoformat() if record.dob else None)
        _add_unique(hit["sources"], record.source)
    return list(people.values())[:limit]


def _add_unique(values: list, value: Any) -> None:
    if value is not None and value not in values:
        values.append(value)


def parse_key(key: str) -> str:
    if not KEY.match(key):
        raise NotFound("no such person (keys look like P000123, or R123 for a record not yet linked)")
    return key


def successor(session: Session, key: str) -> str | None:
    """Where to find `key` now: the person a record key's record belongs to, or the person a retired
    person's records went to (followed through later merges); None when `key` is current."""
    if key.startswith("R"):
        return persons_of(session, {int(key[1:])}).get(int(key[1:])) if key[1:].isdecimal() else None
    current, seen = key, {key}
    while (person := session.get(Person, current)) is not None and person.status == "retired":
        heirs = session.scalars(
            select(Lineage.other_person_ids)
            .where(Lineage.person_id == current, Lineage.action == "retired")
            .order_by(Lineage.id.desc())
            .limit(1)
        ).first()
        if not heirs or heirs[0] in seen:
            break
        current = heirs[0]
        seen.add(current)
    return None if current == key else current


def record_ids_for(session: Session, key: str) -> list[int]:
    parse_key(key)
    if key.startswith("R"):
        ids = [int(key[1:])] if session.get(PersonRecord, int(key[1:])) else []
    else:
        ids = list(
            session.scalars(select(RecordPerson.person_record_id).where(RecordPerson.person_id == key))
        )
    if not ids:
        heir = successor(session, key)
        raise NotFound(f"person {key} was merged into {heir}" if heir else f"no person {key}")
    return sorted(ids)


def _record_view(record: PersonRecord, event: Event | None, objects: list[RecordObject]) -> dict[str, Any]:
    view: dict[str, Any] = {"id": record.id, "source": record.source, "record_id": record.record_id}
    for name in SHOWN_FIELDS:
        value = getattr(record, name)
        view[name] = value.isoformat() if isinstance(value, date) else value
    view["event"] = _event_view(event) if event else None
    view["objects"] = [{"kind": o.kind, "value": o.value} for o in objects]
    return view


def _event_view(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "source": event.source,
        "ref": event.ref,
        "type": event.type,
        "date": event.date.isoformat() if event.date else None,
        "offence_code": event.offence_code,
        "outcome_code": event.outcome_code,
        "location": event.location_name or event.location_postcode,
    }


def _objects_by_record(session: Session, ids: list[int]) -> dict[int, list[RecordObject]]:
    found: dict[int, list[RecordObject]] = defaultdict(list)
    for obj in session.scalars(select(RecordObject).where(RecordObject.person_record_id.in_(ids))):
        found[obj.person_record_id].append(obj)
    return found


def records(session: Session, ids: list[int]) -> list[dict[str, Any]]:
    rows = session.execute(
        select(PersonRecord, Event)
        .outerjoin(Event, Event.id == PersonRecord.event_id)
        .where(PersonRecord.id.in_(ids))
    ).all()
    objects = _objects_by_record(session, ids)
    return [_record_view(r, e, objects.get(r.id, [])) for r, e in rows]


def links(session: Session, ids: list[int]) -> list[dict[str, Any]]:
    """Pairs the latest run scored that touch these records, each with its explanation and the person
    each of its two records belongs to now: pairs held apart first, then joined ones, most likely first."""
    latest = session.scalar(select(func.max(MatchPair.run_id)).where(
        or_(MatchPair.record_l.in_(ids), MatchPair.record_r.in_(ids))
    ))  # fmt: skip
    if latest is None:
        return []
    pairs = list(
        session.scalars(
            select(MatchPair)
            .where(MatchPair.run_id == latest)
            .where(or_(MatchPair.record_l.in_(ids), MatchPair.record_r.in_(ids)))
            .order_by(MatchPair.match_probability.desc())
            .limit(200)
        )
    )
    placed = persons_of(session, {r for p in pairs for r in (p.record_l, p.record_r)})
    views = [
        pair_view(p) | {"person_l": placed.get(p.record_l), "person_r": placed.get(p.record_r)} for p in pairs
    ]
    # pairs held apart (perhaps this person under another ID) first: they are the ones to look at
    return sorted(views, key=lambda v: v["person_l"] is not None and v["person_l"] == v["person_r"])


def persons_of(session: Session, record_ids: set[int]) -> dict[int, str]:
    """The person each record belongs to now (records no run or decision has placed are left out)."""
    query = select(RecordPerson.person_record_id, RecordPerson.person_id)
    return dict(session.execute(query.where(RecordPerson.person_record_id.in_(record_ids))).tuples().all())


def pair_view(pair: MatchPair) -> dict[str, Any]:
    return {
        "id": pair.id,
        "run_id": pair.run_id,
        "record_l": pair.record_l,
        "record_r": pair.record_r,
        "match_probability": pair.match_probability,
        "match_weight": pair.match_weight,
        "explanation": pair.explanation,
        "found_by": pair.found_by,
    }


def decisions(session: Session, ids: list[int]) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(MatchDecision).where(or_(MatchDecision.record_l.in_(ids), MatchDecision.record_r.in_(ids)))
    )
    return [
        {
            "record_l": d.record_l,
            "record_r": d.record_r,
            "decision": d.decision,
            "decided_by": d.decided_by,
            "reason": d.reason,
            "decided_at": d.decided_at.isoformat(),
            "withdrawn": d.withdrawn_at is not None,
        }
        for d in rows
    ]


def timeline(recs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events a person's records sit in, oldest first (undated ones last)."""
    events = {r["event"]["id"]: r["event"] | {"role": r["role"]} for r in recs if r["event"]}
    return sorted(events.values(), key=lambda e: (e["date"] is None, e["date"] or ""))


def with_reports(session: Session, found: dict[str, Any]) -> dict[str, Any]:
    """The profile with the reports naming the person since the last run (`reports_naming`)."""
    return found | {"reports": reports_naming(session, found["key"]) if found["linked"] else []}


def profile(session: Session, key: str) -> dict[str, Any]:
    ids = record_ids_for(session, key)
    recs = records(session, ids)
    return {
        "key": key,
        "linked": key.startswith("P"),
        "records": recs,
        "links": links(session, ids),
        "decisions": decisions(session, ids),
        "timeline": timeline(recs),
        "reports": [],  # filled by the caller for those who may read reports (`with_reports`)
    }
