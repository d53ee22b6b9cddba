"""What the rules look at, read once from the store: events, the people in them (resolved to persons
where linkage has run, each with a birth date: their record's own, else their person's, see
`born.py`) and the groups of the latest network build.

Only the columns the rules need are selected. Ethnicity, IC code and nationality are never read.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from joindots.ingest.date_kinds import date_kinds
from joindots.network.tables import GroupMember, NetworkBuild, OffenderGroup
from joindots.screening.born import Born, PersonBirths, age_on, born_for
from joindots.screening.tables import ReviewDecision, ReviewItem
from joindots.store.link_tables import RecordPerson
from joindots.store.schema import Event, PersonRecord

__all__ = ["Born", "Ev", "Facts", "Rec", "age_on", "load_facts", "person_key"]


@dataclass(frozen=True)
class Rec:
    """One person record as the rules see it: which person it is and when they were born."""

    id: int
    source: str
    record_id: str
    role: str
    person: str  # resolved person id, else a stand-in key (see `person_key`)
    dob: dt.date | None  # as this record gives it
    born: Born | None = None  # this record's birth date, else its person's, with where it came from

    @property
    def birth(self) -> dt.date | None:
        """The birth date the rules use: the record's own, else the one most of its person's records give."""
        return self.born.date if self.born else None

    @property
    def label(self) -> str:
        return self.person if not self.person.startswith("~") else f"{self.source}/{self.record_id}"


@dataclass
class Ev:
    id: int
    source: str
    ref: str
    type: str
    date: dt.date | None
    force: str | None
    offence_code: str | None
    offence_code_original: str | None
    outcome_code: str | None
    notes: str | None
    location_type: str | None
    date_kind: str = (
        "unknown"  # what `date` is: offence | reported | recorded | unknown (see ingest/date_kinds.py)
    )
    people: list[Rec] = field(default_factory=list)

    def role(self, *roles: str) -> list[Rec]:
        return [p for p in self.people if p.role in roles]


@dataclass
class Facts:
    events: dict[int, Ev]
    groups: dict[str, list[str]]  # person id -> group keys (latest build, strict view first)
    decided: set[tuple[str, str]]  # case keys a reviewer has decided on
    by_person: dict[str, list[tuple[Ev, str]]]  # person -> (event, role) they appear in
    resolved: bool  # whether any linkage result was there
    group_members: dict[str, frozenset[str]] = field(default_factory=dict)  # group key -> person ids


def person_key(
    link: str | None, forename: str | None, surname: str | None, dob: dt.date | None, rid: int
) -> str:
    """The resolved person; before linkage has run, records with the same forename, surname and date
    of birth stand for one person ('~' marks such a stand-in), and any other record for itself."""
    if link:
        return link
    if forename and surname and dob:
        return f"~{forename.lower()}|{surname.lower()}|{dob.isoformat()}"
    return f"~r{rid}"


def _events(session: Session) -> dict[int, Ev]:
    cols = (
        Event.id, Event.source, Event.ref, Event.type, Event.date, Event.force, Event.offence_code,
        Event.offence_code_original, Event.outcome_code, Event.notes, Event.location_type,
    )  # fmt: skip
    events = {row[0]: Ev(*row) for row in session.execute(select(*cols)).all()}
    kinds = date_kinds(session)
    for event_id, batch_id in session.execute(select(Event.id, Event.batch_id)):
        events[event_id].date_kind = kinds.get(batch_id, "unknown")
    return events


def _births(session: Session) -> dict[str, PersonBirths]:
    """Each resolved person's birth dates, with the records that give each, and their record count."""
    stmt = (
        select(RecordPerson.person_id, PersonRecord.source, PersonRecord.record_id, PersonRecord.dob)
        .join(PersonRecord, PersonRecord.id == RecordPerson.person_record_id)
        .order_by(PersonRecord.id)
    )
    dates: dict[str, dict[dt.date, list[str]]] = defaultdict(lambda: defaultdict(list))
    counts: dict[str, int] = defaultdict(int)
    for person, source, record_id, dob in session.execute(stmt):
        counts[person] += 1
        if dob is not None:
            dates[person][dob].append(f"{source}/{record_id}")
    return {p: PersonBirths({d: tuple(r) for d, r in dates.get(p, {}).items()}, n) for p, n in counts.items()}


def _people(session: Session, events: dict[int, Ev]) -> bool:
    stmt = (
        select(
            PersonRecord.id,
            PersonRecord.source,
            PersonRecord.record_id,
            PersonRecord.event_id,
            PersonRecord.role,
            PersonRecord.forename,
            PersonRecord.surname,
            PersonRecord.dob,
            RecordPerson.person_id,
        )  # fmt: skip
        .outerjoin(RecordPerson, RecordPerson.person_record_id == PersonRecord.id)
        .where(PersonRecord.event_id.is_not(None))
        .order_by(PersonRecord.id)
    )
    resolved = False
    births = _births(session)
    for rid, source, record_id, event_id, role, fore, sur, dob, link in session.execute(stmt).all():
        resolved = resolved or link is not None
        born = born_for(dob, births.get(link) if link else None)
        rec = Rec(rid, source, record_id, role, person_key(link, fore, sur, dob, rid), dob, born)
        if event_id is not None:
            events[event_id].people.append(rec)
    return resolved


def _groups(session: Session) -> tuple[dict[str, list[str]], dict[str, frozenset[str]]]:
    """person -> group keys, and group key -> members, from the latest network build."""
    build = session.scalars(select(NetworkBuild.id).order_by(NetworkBuild.id.desc()).limit(1)).first()
    found: dict[str, list[str]] = defaultdict(list)
    members: dict[str, set[str]] = defaultdict(set)
    if build is None:
        return found, {}
    stmt = (
        select(GroupMember.person_id, OffenderGroup.group_key, OffenderGroup.view)
        .join(OffenderGroup, OffenderGroup.id == GroupMember.group_id)
        .where(OffenderGroup.build_id == build)
        .order_by(OffenderGroup.view.desc(), OffenderGroup.group_key)  # strict before loose
    )
    for person, key, _view in session.execute(stmt).all():
        members[key].add(person)
        if key not in found[person]:
            found[person].append(key)
    return found, {k: frozenset(v) for k, v in members.items()}


def load_facts(session: Session) -> Facts:
    events = _events(session)
    resolved = _people(session, events)
    by_person: dict[str, list[tuple[Ev, str]]] = defaultdict(list)
    for ev in events.values():
        for rec in ev.people:
            by_person[rec.person].append((ev, rec.role))
    decided = {
        (source, ref)
        for source, ref in session.execute(
            select(ReviewItem.source, ReviewItem.case_ref).join(
                ReviewDecision, ReviewDecision.item_id == ReviewItem.id
            )
        ).all()
    }
    groups, members = _groups(session)
    return Facts(events, groups, decided, by_person, resolved, members)
