"""A small hand-built world for the network tests (synthetic people only): events with their people,
phones and vehicles, persons as linkage would resolve them, and scored pairs for the loose view."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Engine

from joindots.store.db import session_scope
from joindots.store.link_tables import LinkRun, MatchDecision, MatchPair, Person, RecordPerson
from joindots.store.schema import Event, LoadBatch, PersonRecord, RecordObject, SourceRow


@dataclass
class World:
    """Adds rows; `rec[name]` is the PersonRecord id of a named record."""

    engine: Engine
    rec: dict[str, int] = field(default_factory=dict)
    protected: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    _n: int = 0

    def event(
        self, source: str, ref: str, type_: str, date: str, people: list[tuple[str, str]],
        location: str | None = None, objects: dict[str, list[tuple[str, str]]] | None = None,
        offence: str | None = None, location_type: str | None = None, postcode: str | None = None,
        addresses: dict[str, tuple[str, str]] | None = None,
        names: dict[str, tuple[str, str | None]] | None = None, dobs: dict[str, str] | None = None,
    ) -> None:  # fmt: skip
        """people: (record name, role); objects: record name -> [(kind, value)]; a crime is a sexual
        offence (22B) unless `offence` says otherwise; addresses: record name -> (address, postcode);
        names: record name -> (forename, surname), by default ('Fore<name>', 'Testperson');
        dobs: record name -> date of birth (ISO), by default none."""
        if type_ == "crime" and offence is None:
            offence = "22B"
        with session_scope(self.engine) as s:
            batch = LoadBatch(source=source, file_name="f.csv", file_sha256="0" * 64, mapping_sha256="0" * 64)
            s.add(batch)
            s.flush()
            ev = Event(batch_id=batch.id, source=source, ref=ref, type=type_, date=dt.date.fromisoformat(date),
                       location_name=location, location_postcode=postcode, offence_code=offence,
                       location_type=location_type or ("hotel" if location else None))  # fmt: skip
            s.add(ev)
            s.flush()
            self._n += 1
            row = SourceRow(
                batch_id=batch.id, source=source, source_record_id=ref, row_number=self._n, original={}
            )
            s.add(row)
            s.flush()
            for i, (name, role) in enumerate(people):
                rid = ref if i == 0 else f"{ref}#{i}"
                eth, ic, nat = self.protected.get(name, ("W1", "IC1", "GBR"))
                address, code = (addresses or {}).get(name, (None, None))
                forename, surname = (names or {}).get(name, (f"Fore{name}", "Testperson"))
                pr = PersonRecord(source_row_id=row.id, batch_id=batch.id, source=source, record_id=rid,
                                  event_id=ev.id, role=role, forename=forename, surname=surname,
                                  dob=dt.date.fromisoformat(dobs[name]) if name in (dobs or {}) else None,
                                  ethnicity=eth, ic_code=ic, nationality=nat, address=address,
                                  postcode=code)  # fmt: skip
                s.add(pr)
                s.flush()
                self.rec[name] = pr.id
                for kind, value in (objects or {}).get(name, []):
                    s.add(RecordObject(person_record_id=pr.id, kind=kind, value=value))

    def link(self, persons: dict[str, list[str]], probability: float = 0.99) -> int:
        """persons: person id -> record names; returns the run id."""
        with session_scope(self.engine) as s:
            run = LinkRun(status="done", threshold=0.9, loose_threshold=0.5)
            s.add(run)
            s.flush()
            for pid, names in persons.items():
                s.add(Person(id=pid, created_run_id=run.id))
                s.flush()
                for n in names:
                    s.add(RecordPerson(person_record_id=self.rec[n], person_id=pid, run_id=run.id,
                                       match_probability=probability))  # fmt: skip
            return run.id

    def pair(self, run_id: int, a: str, b: str, p: float, found_by: str = "model") -> None:
        with session_scope(self.engine) as s:
            s.add(MatchPair(run_id=run_id, record_l=self.rec[a], record_r=self.rec[b], match_probability=p,
                            match_weight=1.0, explanation={}, found_by=found_by))  # fmt: skip

    def different(self, a: str, b: str) -> None:
        with session_scope(self.engine) as s:
            s.add(MatchDecision(record_l=self.rec[a], record_r=self.rec[b], decision="different",
                                decided_by="analyst1", reason="different dates of birth"))  # fmt: skip


def small_world(engine: Engine, protected: dict[str, tuple[str, str, str]] | None = None) -> World:
    """Two strict groups, a third that only the loose view joins to one of them, and a refused merge.

    A, B (crime N1 on V1) and C (crime N2 on V1); D, E found with missing child V2, D shares a phone
    with hotel guest F; E2 is another record of E (loose pair 0.7) who offended with G on V3; X is a
    lone suspect whom a loose pair would join to B but an analyst said is different.
    """
    w = World(engine, protected=protected or {})
    w.event(
        "police_north", "N1", "crime", "2020-01-05", [("V1", "victim"), ("A", "suspect"), ("B", "suspect")]
    )
    w.event("police_north", "N2", "crime", "2020-03-09", [("V1b", "victim"), ("C", "suspect")])
    w.event(
        "social_care", "S1", "referral", "2020-02-01", [("V1c", "subject"), ("A2", "alleged_perpetrator")]
    )
    w.event("missing", "M1", "missing_episode", "2021-06-01", [("V2", "missing_person"), ("D", "found_with"),
            ("E", "found_with")], objects={"D": [("phone", "+447700900001")]})  # fmt: skip
    w.event("hotel", "H1", "hotel_report", "2021-06-02", [("F", "guest")], location="Synthetic Inn",
            objects={"F": [("phone", "+447700900001"), ("vehicle", "AB12CDE")]})  # fmt: skip
    w.event(
        "police_south", "S9", "crime", "2021-08-01", [("V3", "victim"), ("E2", "suspect"), ("G", "suspect")]
    )
    w.event(
        "police_south",
        "S10",
        "crime",
        "2021-09-01",
        [("V3b", "victim"), ("G2", "suspect"), ("E3", "suspect")],
    )
    w.event("police_south", "S11", "crime", "2019-09-01", [("V4", "victim"), ("X", "suspect")])
    w.event("hotel", "H2", "hotel_report", "2021-07-02", [("H", "guest")], location="Synthetic Inn")
    persons = {"P000001": ["V1", "V1b", "V1c"], "P000002": ["A", "A2"], "P000003": ["B"], "P000004": ["C"],
               "P000005": ["V2"], "P000006": ["D"], "P000007": ["E"], "P000008": ["F"], "P000009": ["V3", "V3b"],
               "P000010": ["E2", "E3"], "P000011": ["G", "G2"], "P000012": ["V4"], "P000013": ["X"],
               "P000014": ["H"]}  # fmt: skip
    run = w.link(persons)
    w.pair(run, "E", "E2", 0.7)
    w.pair(run, "B", "X", 0.8)
    w.different("B", "X")
    return w
