"""Filing a report: validated, committed (with its event, person records and access-log entry)
before it is acknowledged, routed, and then matched at once against the people already known."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from joindots.audit import Action, record_access
from joindots.domain.pole import EventType, ObjectKind, Role
from joindots.errors import Conflict
from joindots.intake import normalise
from joindots.intake.routing import RoutingTable, route
from joindots.intake.schemas import DutyToReport, MakesafeConcern, PersonGiven, Receipt
from joindots.intake.tables import Report
from joindots.store.base import utcnow
from joindots.store.db import session_scope
from joindots.store.schema import Event, LoadBatch, PersonRecord, RecordObject, SourceRow

SOURCE = "intake"
_RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread on the phone


@dataclass
class PersonMention:
    """One person a report names, with the role they play and the objects given for them."""

    role: str
    forename: str | None = None
    middle_names: str | None = None
    surname: str | None = None
    dob: object = None
    sex: str | None = None
    postcode: str | None = None
    phones: list[str] = field(default_factory=list)
    vehicles: list[str] = field(default_factory=list)


def new_receipt() -> str:
    """A receipt reference a person can read out: 'JD-' and 10 unambiguous characters (~50 bits)."""
    return "JD-" + "".join(secrets.choice(_RECEIPT_ALPHABET) for _ in range(10))


def _mention(given: PersonGiven, role: Role) -> PersonMention:
    return PersonMention(
        role=role.value,
        forename=normalise.display_name(given.forename),
        surname=normalise.display_name(given.surname),
        dob=given.dob,
        sex=given.sex,
        postcode=normalise.postcode(given.postcode),
        phones=list(given.phones),
        vehicles=list(given.vehicle_marks),
    )


_MAKESAFE_ROLES = {"young_person": Role.VULNERABLE_CHILD, "guest": Role.GUEST}


def mentions(report: DutyToReport | MakesafeConcern) -> list[PersonMention]:
    """The people a report names, child first. The reporter is a professional, not a subject."""
    if isinstance(report, DutyToReport):
        return [_mention(report.child, Role.VULNERABLE_CHILD)] + [
            _mention(s, Role.SUSPECT) for s in report.suspects
        ]
    people = []
    for given in report.names_as_given:
        forename, middle, surname = normalise.split_name(given.name)
        role = _MAKESAFE_ROLES.get(given.who, Role.PERSON_OF_INTEREST)
        people.append(PersonMention(role.value, forename, middle, surname))
    if people:  # phones and marks given for the concern belong with the first adult named, if any
        adult = next((p for p in people if p.role != Role.VULNERABLE_CHILD), people[0])
        adult.phones, adult.vehicles = list(report.phones), list(report.vehicle_marks)
    elif report.phones or report.vehicle_marks:
        people.append(
            PersonMention(Role.PERSON_OF_INTEREST.value, phones=report.phones, vehicles=report.vehicle_marks)
        )
    return people


def _event_type(report: DutyToReport | MakesafeConcern) -> EventType:
    if isinstance(report, MakesafeConcern) and report.business == "hotel":
        return EventType.HOTEL_REPORT
    return EventType.PROFESSIONAL_REPORT


def _add_objects(session: Session, record: PersonRecord, mention: PersonMention) -> None:
    values = [(ObjectKind.PHONE, normalise.phone_e164(p)) for p in mention.phones]
    values += [(ObjectKind.VEHICLE, normalise.vehicle_mark(v)) for v in mention.vehicles]
    for kind, value in values:
        if value:
            session.add(RecordObject(person_record_id=record.id, kind=kind.value, value=value))


def _add_people(
    session: Session, report_rows: tuple[LoadBatch, SourceRow, Event], people: list[PersonMention]
) -> None:
    batch, row, event = report_rows
    for i, mention in enumerate(people):
        record = PersonRecord(
            source_row_id=row.id,
            batch_id=batch.id,
            source=SOURCE,
            record_id=row.source_record_id if i == 0 else f"{row.source_record_id}#{i}",
            event_id=event.id,
            role=mention.role,
            forename=mention.forename,
            middle_names=mention.middle_names,
            surname=mention.surname,
            dob=mention.dob,
            sex=mention.sex,
            postcode=mention.postcode,
        )
        session.add(record)
        session.flush()
        _add_objects(session, record, mention)


def _core_rows(
    session: Session, receipt: str, report: DutyToReport | MakesafeConcern, payload: dict
) -> tuple[LoadBatch, SourceRow, Event]:
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
    now = utcnow()
    batch = LoadBatch(
        source=SOURCE,
        file_name=f"report {receipt}",
        file_sha256=digest,
        mapping_sha256="intake-form-v1",
        started_at=now,
        finished_at=now,
        rows_read=1,
        rows_loaded=1,
    )
    session.add(batch)
    session.flush()
    row = SourceRow(
        batch_id=batch.id, source=SOURCE, source_record_id=receipt, row_number=1, original=payload
    )
    event = Event(
        batch_id=batch.id,
        source=SOURCE,
        ref=receipt,
        type=_event_type(report).value,
        date=report.occurred_on,
        notes=report.what_happened,
        location_postcode=normalise.postcode(report.location_postcode),
        location_name=report.business_name if isinstance(report, MakesafeConcern) else None,
        location_type=report.business if isinstance(report, MakesafeConcern) else None,
    )
    session.add_all([row, event])
    session.flush()
    return batch, row, event


def _routing_postcode(report: DutyToReport | MakesafeConcern) -> str | None:
    if report.location_postcode:
        return report.location_postcode
    return report.child.postcode if isinstance(report, DutyToReport) else None


def _existing(session: Session, client_key: str | None, actor: str) -> Report | None:
    if client_key is None:
        return None
    found = session.scalars(select(Report).where(Report.client_key == client_key)).first()
    if found is not None and found.filed_by != actor:
        raise Conflict("this client_key was used for another reporter's report")
    return found


def _store(
    session: Session, report: DutyToReport | MakesafeConcern, actor: str, table: RoutingTable
) -> Report:
    payload = report.model_dump(mode="json")
    receipt = new_receipt()
    rows = _core_rows(session, receipt, report, payload)
    people = mentions(report)
    _add_people(session, rows, people)
    where = route(_routing_postcode(report), table)
    stored = Report(
        receipt=receipt,
        kind=report.kind,
        filed_by=actor,
        client_key=report.client_key,
        payload=payload,
        postcode_district=where.district,
        police_area=where.police_area,
        local_authority=where.local_authority,
        routed_by_postcode=where.by_postcode,
        event_id=rows[2].id,
        match_status="pending",
    )
    stored.filed_at = rows[0].started_at
    session.add(stored)
    record_access(
        session,
        actor=actor,
        action=Action.COLLECTION,
        subject=f"report {receipt}",
        justification=f"{report.kind.replace('_', ' ')} filed by a professional",
        details={"routed_to": where.police_area, "people_named": len(people)},
    )
    session.flush()
    return stored


def to_receipt(stored: Report) -> Receipt:
    return Receipt(
        receipt=stored.receipt,
        kind=stored.kind,
        filed_at=stored.filed_at,
        police_area=stored.police_area or "",
        local_authority=stored.local_authority or "",
        routed_by_postcode=stored.routed_by_postcode,
        match_status=stored.match_status,
    )


def file_report(
    engine: Engine, report: DutyToReport | MakesafeConcern, actor: str, table: RoutingTable
) -> Receipt:
    """Store the report and everything made from it in one transaction, and only then return its
    receipt. A resend with the same `client_key` returns the first receipt instead of a duplicate."""
    try:
        with session_scope(engine) as session:
            stored = _existing(session, report.client_key, actor) or _store(session, report, actor, table)
    except IntegrityError:  # two resends raced; the other one won, so return its receipt
        with session_scope(engine) as session:
            winner = _existing(session, report.client_key, actor)
        if winner is None:
            raise
        stored = winner
    return to_receipt(stored)
