"""Sample reports for the demo: what professionals might file about a linked synthetic world.

Picked from the world as the last run linked it, so that the reports page shows what intake does
with a real report: a known child and, among the persons on the child's telling events, one whose
first name no other person there gives (a school's duty-to-report naming the child in full and the
man the child was seen with as "Ricky"); a hotel and a known person seen there within a year whose first
name no one else seen there gives (a hotel's concern naming a guest by that first name). Each is
filed through intake exactly as a professional's report is (committed, routed, matched at once),
with a client key, so running the demo again files nothing twice. Only the world's synthetic people
are named.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, select

from joindots.intake.matching import match_report
from joindots.intake.routing import load_table
from joindots.intake.schemas import (
    DutyToReport,
    MakesafeConcern,
    MakesafeIndicator,
    NameGiven,
    PersonGiven,
    Reporter,
)
from joindots.intake.service import file_report
from joindots.intake.tables import Report
from joindots.link.instant_context import around
from joindots.store.db import session_scope
from joindots.store.link_tables import RecordPerson
from joindots.store.schema import Event, PersonRecord

CHILD_ROLES = ("missing_person", "subject", "victim", "vulnerable_child")
SCHOOL = Reporter(name="Imogen Larkspur", role="Designated safeguarding lead", organisation="Fellside School")


@dataclass
class Around:
    """A known child and the person around them to be named by first name alone."""

    child: PersonRecord  # a full record of the child (detached)
    suspect: str  # that person's id
    forename: str
    date: dt.date  # the child's telling event's date


@dataclass
class SeenAt:
    """A hotel and a known person seen there, to be named as a guest by first name alone."""

    person: str
    forename: str
    hotel: str
    postcode: str
    date: dt.date


def full_records(engine: Engine, roles: tuple[str, ...] | None = None) -> list[tuple[PersonRecord, str]]:
    """Placed records giving a forename, a surname and a date of birth, with their person; detached."""
    with session_scope(engine) as s:
        query = (
            select(PersonRecord, RecordPerson.person_id)
            .join(RecordPerson, RecordPerson.person_record_id == PersonRecord.id)
            .where(PersonRecord.dob.is_not(None), PersonRecord.forename.is_not(None))
            .where(PersonRecord.surname.is_not(None))
            .order_by(PersonRecord.id)
        )
        if roles:
            query = query.where(PersonRecord.role.in_(roles))
        rows = s.execute(query).all()
        for record, _ in rows:
            s.expunge(record)
        return [(record, person) for record, person in rows]


def _forenames(engine: Engine) -> dict[str, set[str]]:
    names: dict[str, set[str]] = {}
    for record, person in full_records(engine):
        names.setdefault(person, set()).add((record.forename or "").lower())
    return names


def _only_theirs(named: dict[str, set[str]], person: str) -> list[str]:
    """`person`'s first names (three letters or more) that no one else in `named` gives."""
    others = set().union(*(names for p, names in named.items() if p != person))
    return sorted(n for n in named[person] - others if len(n) > 2)


def child_with_someone_around(engine: Engine) -> Around | None:
    """The first known child (by record) on a dated event with, among the persons on the child's
    telling events, one with a full record whose first name no other person there gives."""
    forenames = _forenames(engine)
    nobody = Event(type="professional_report", location_name=None, location_postcode=None, date=None)
    for child, person in full_records(engine, CHILD_ROLES):
        with session_scope(engine) as s:
            date = s.scalar(select(Event.date).where(Event.id == child.event_id))
        if date is None:
            continue
        with engine.connect() as conn:
            near, _, _ = around(conn, {person}, nobody, set())
        named = {p: forenames.get(p, set()) for p in near}
        for candidate in sorted(near):
            unique = _only_theirs(named, candidate)
            if unique:
                return Around(child, candidate, unique[0].title(), date)
    return None


def guest_seen_at_a_hotel(engine: Engine) -> SeenAt | None:
    """The first hotel (by event) with a known person seen there within a year whose first name no
    one else seen there gives."""
    forenames = _forenames(engine)
    with session_scope(engine) as s:
        hotels = s.execute(
            select(Event.location_name, Event.location_postcode, Event.date)
            .where(Event.type == "hotel_report", Event.location_name.is_not(None))
            .where(Event.location_postcode.is_not(None), Event.date.is_not(None))
            .order_by(Event.id)
        ).all()
    for hotel in hotels:
        with engine.connect() as conn:
            _, seen, _ = around(conn, set(), hotel, set())
        named = {p: forenames.get(p, set()) for p in seen}
        for person in sorted(p for p in seen if named[p]):
            unique = _only_theirs(named, person)
            if unique:
                return SeenAt(
                    person, unique[0].title(), hotel.location_name, hotel.location_postcode, hotel.date
                )
    return None


def as_given(record: PersonRecord) -> PersonGiven:
    """A record's person as a reporter who knows them would name them."""
    return PersonGiven(
        forename=record.forename, surname=record.surname, dob=record.dob, postcode=record.postcode
    )


def sample_reports(engine: Engine) -> list[DutyToReport | MakesafeConcern]:
    """A duty-to-report and a hotel concern about the world's people, where it has such people."""
    out: list[DutyToReport | MakesafeConcern] = []
    known = child_with_someone_around(engine)
    if known is not None:
        out.append(
            DutyToReport(
                client_key=f"demo-duty-{known.child.id}",
                reporter=SCHOOL,
                child=as_given(known.child),
                suspects=[
                    PersonGiven(
                        forename=known.forename, description="Older man, collects the pupil after school."
                    )
                ],
                what_happened="Pupil disclosed lifts and gifts from an older man known to them by his first name.",
                occurred_on=known.date,
            )
        )
    seen = guest_seen_at_a_hotel(engine)
    if seen is not None:
        out.append(
            MakesafeConcern(
                client_key=f"demo-hotel-{seen.person}-{seen.date}",
                reporter=Reporter(name="Tobias Wrenfield", role="Night manager", organisation=seen.hotel),
                business="hotel",
                business_name=seen.hotel,
                location_postcode=seen.postcode,
                indicators=[MakesafeIndicator.PAID_CASH_OR_BY_ANOTHER, MakesafeIndicator.NO_LUGGAGE],
                names_as_given=[NameGiven(name=seen.forename, who="guest")],
                what_happened="Room paid in cash by a man for a girl who looked about fourteen; no luggage.",
                occurred_on=seen.date,
            )
        )
    return out


def file_samples(engine: Engine, filed_by: str) -> str:
    """File the sample reports as `filed_by` and say what instant matching made of them."""
    reports = sample_reports(engine)
    table = load_table()
    receipts = [match_report(engine, file_report(engine, r, filed_by, table)) for r in reports]
    with session_scope(engine) as s:
        stored = s.scalars(select(Report).where(Report.receipt.in_([r.receipt for r in receipts]))).all()
        hits = [h for r in stored for h in r.matches or [] if h.get("person_id")]
    matched = len({h["record"] for h in hits})
    by_context = sum(h.get("found_by") == "context" for h in hits)
    kinds = ", ".join(
        "a duty to report" if r.kind == "duty_to_report" else "a hotel concern" for r in reports
    )
    return f"{len(reports)} filed ({kinds}): {matched} people named matched at once, {by_context} by context"
