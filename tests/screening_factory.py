"""A small factory of hand-built records for the screening tests (synthetic people only)."""

from __future__ import annotations

import datetime as dt
import itertools

from sqlalchemy.orm import Session

from joindots.network.tables import GroupMember, NetworkBuild, OffenderGroup
from joindots.store.link_tables import Person, RecordPerson
from joindots.store.schema import Event, LoadBatch, PersonRecord, SourceRow

DAY = dt.date(2020, 6, 1)
CHILD_14 = dt.date(2006, 1, 1)  # 14 on DAY
ADULT = dt.date(1980, 3, 3)


class Factory:
    """Adds events with their people; `person` names a resolved person for linkage (optional)."""

    def __init__(self, session: Session) -> None:
        self.s = session
        self.n = itertools.count(1)
        self.batch = LoadBatch(
            source="test", file_name="t.csv", file_sha256="0" * 64, mapping_sha256="0" * 64
        )
        session.add(self.batch)
        session.flush()

    def event(self, source: str, ref: str, type_: str, **fields: object) -> Event:
        ev = Event(
            batch_id=self.batch.id, source=source, ref=ref, type=type_, date=fields.pop("date", DAY), **fields
        )
        self.s.add(ev)
        self.s.flush()
        return ev

    def person(self, ev: Event, role: str, name: str, dob: dt.date | None, person: str | None = None,
               original: dict | None = None, **extra: object) -> PersonRecord:  # fmt: skip
        """`original`: the row as the agency sent it (its column names say what the event's date is)."""
        rid = f"{ev.ref}-{next(self.n)}"
        row = SourceRow(
            batch_id=self.batch.id,
            source=ev.source,
            source_record_id=rid,
            row_number=1,
            original=original or {},
        )
        self.s.add(row)
        self.s.flush()
        fore, sur = name.split(" ", 1)
        rec = PersonRecord(source_row_id=row.id, batch_id=self.batch.id, source=ev.source, record_id=rid,
                           event_id=ev.id, role=role, forename=fore, surname=sur, dob=dob, **extra)  # fmt: skip
        self.s.add(rec)
        self.s.flush()
        if person:
            if self.s.get(Person, person) is None:
                self.s.add(Person(id=person))
                self.s.flush()
            self.s.add(RecordPerson(person_record_id=rec.id, person_id=person))
            self.s.flush()
        return rec

    def crime(self, ref: str, *, force: str = "north", offence: str = "22B", original: str | None = None,
              outcome: str | None = "16", notes: str = "", victims: tuple = (), suspects: tuple = (),
              source: str | None = None, date: dt.date = DAY) -> Event:  # fmt: skip
        """victims/suspects: (name, dob, person id or None) tuples."""
        ev = self.event(source or f"police_{force}", ref, "crime", force=force, offence_code=offence,
                        offence_code_original=original, outcome_code=outcome, notes=notes, date=date)  # fmt: skip
        for name, dob, pid in victims:
            self.person(ev, "victim", name, dob, pid)
        for name, dob, pid in suspects:
            self.person(ev, "suspect", name, dob, pid)
        return ev

    def missing(self, ref: str, child: tuple, *, where: str = "Hotel", date: dt.date = DAY,
                found_with: tuple | None = None) -> Event:  # fmt: skip
        ev = self.event("missing", ref, "missing_episode", location_type=where, date=date)
        self.person(ev, "missing_person", *child)
        if found_with:
            self.person(ev, "found_with", *found_with)
        return ev

    def group(self, key: str, members: list[str]) -> None:
        build = NetworkBuild(threshold=0.9, loose_threshold=0.5, built_by="test")
        self.s.add(build)
        self.s.flush()
        grp = OffenderGroup(
            build_id=build.id, group_key=key, view="strict", stability="stable", size=len(members)
        )
        self.s.add(grp)
        self.s.flush()
        self.s.add_all(GroupMember(group_id=grp.id, person_id=m) for m in members)
        self.s.flush()
