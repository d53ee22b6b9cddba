"""Reading reports back: a reporter's own receipts, and all reports for analysts."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from joindots.intake.tables import Report
from joindots.store.link_tables import LinkRun, RecordPerson
from joindots.store.schema import Event, PersonRecord


def own_reports(session: Session, username: str, limit: int = 200, offset: int = 0) -> list[Report]:
    """Only what `username` filed, newest first: a reporter never sees anyone else's report."""
    stmt = select(Report).where(Report.filed_by == username).order_by(Report.id.desc())
    return list(session.scalars(stmt.offset(offset).limit(limit)))


def count_own_reports(session: Session, username: str) -> int:
    query = select(func.count()).select_from(Report).where(Report.filed_by == username)
    return session.scalar(query) or 0


def all_reports(session: Session, limit: int = 200, offset: int = 0, awaiting: bool = False) -> list[Report]:
    """Newest first, a page at a time; `awaiting`: only those no one has triaged yet."""
    query = select(Report).where(Report.triage.is_(None)) if awaiting else select(Report)
    return list(session.scalars(query.order_by(Report.id.desc()).offset(offset).limit(limit)))


def count_reports(session: Session, awaiting: bool = False) -> int:
    query = select(func.count()).select_from(Report)
    return session.scalar(query.where(Report.triage.is_(None)) if awaiting else query) or 0


def one_report(session: Session, receipt: str) -> Report | None:
    return session.scalars(select(Report).where(Report.receipt == receipt)).first()


def people_in(reports: list[Report], named: dict[int, list[Named]]) -> list[str]:
    """Every person the reports show (placed by a run or matched at once, an unplaced record as
    R<id>), for the access log's details["people"]: who looked at a report names who it showed."""
    keys = {n.person_id for r in reports for n in named.get(r.event_id, []) if n.person_id}
    for r in reports:
        keys |= {h.get("person_id") or f"R{h['record_id']}" for h in r.matches or [] if h.get("record_id")}
    return sorted(keys)


def unplaced_hits(session: Session, reports: list[Report]) -> dict[int, str]:
    """Records the reports' instant matches found but no run had placed in a person (another report's
    child or suspect, filed since the last run), each with the receipt of the report holding it: the
    same child reported twice in an hour is the strongest signal there is."""
    records = {h["record_id"] for r in reports for h in r.matches or [] if not h.get("person_id")}
    records.discard(None)
    if not records:
        return {}
    query = (
        select(PersonRecord.id, Report.receipt)
        .join(Report, Report.event_id == PersonRecord.event_id)
        .where(PersonRecord.id.in_(sorted(records)))
    )
    return {int(record): receipt for record, receipt in session.execute(query)}


@dataclass(frozen=True)
class Named:
    """One person a report names, as it named them, and the person a full run has placed them in
    since (None until a run has)."""

    record: int
    label: str  # "suspect Ricky"
    person_id: str | None


def people_named(session: Session, reports: list[Report]) -> dict[int, list[Named]]:
    """Each report's people (by the report's event), in the order the report named them: an analyst
    sees which of them each match is for, and where a run has placed them since filing."""
    events = [r.event_id for r in reports if r.event_id is not None]
    if not events:
        return {}
    query = (
        select(PersonRecord.id, PersonRecord.event_id, PersonRecord.role, PersonRecord.forename)
        .add_columns(PersonRecord.surname, RecordPerson.person_id)
        .outerjoin(RecordPerson, RecordPerson.person_record_id == PersonRecord.id)
        .where(PersonRecord.event_id.in_(events))
        .order_by(PersonRecord.id)
    )
    named: dict[int, list[Named]] = defaultdict(list)
    for record, event, role, forename, surname, person in session.execute(query):
        label = " ".join(part for part in (role.replace("_", " "), forename, surname) if part)
        named[int(event)].append(Named(int(record), label, person))
    return dict(named)


def age_on(born: dt.date, on: dt.date) -> int:
    """Whole years from `born` to `on`, the birthday itself counted (born 29 February: 1 March)."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def ages_then(
    session: Session, reports: list[Report], named: dict[int, list[Named]]
) -> dict[tuple[int, str], int]:
    """How old each person a report names or matches was on the report's date: (report id, person
    id) -> years, from the birth date most of that person's records give. A suspect matched to a
    child of eleven, or a victim of fourteen, shows at once; no entry where the report has no date
    or the person no birth date (or was not born yet)."""
    persons_of: dict[int, set[str]] = defaultdict(set)
    for r in reports:
        persons_of[r.id] |= {h["person_id"] for h in r.matches or [] if h.get("person_id")}
        persons_of[r.id] |= {n.person_id for n in named.get(r.event_id or -1, []) if n.person_id}
    wanted = sorted(set().union(*persons_of.values())) if persons_of else []
    events = [r.event_id for r in reports if r.event_id is not None]
    if not wanted or not events:
        return {}
    dates: dict[int, dt.date] = {
        e: on for e, on in session.execute(select(Event.id, Event.date).where(Event.id.in_(events))) if on
    }
    births: dict[str, Counter[dt.date]] = defaultdict(Counter)
    for start in range(0, len(wanted), 5000):
        query = (
            select(RecordPerson.person_id, PersonRecord.dob)
            .join(PersonRecord, PersonRecord.id == RecordPerson.person_record_id)
            .where(RecordPerson.person_id.in_(wanted[start : start + 5000]), PersonRecord.dob.is_not(None))
        )
        for person, born in session.execute(query):
            if born is not None:
                births[person][born] += 1
    birth = {p: max(c.items(), key=lambda kv: (kv[1], -kv[0].toordinal()))[0] for p, c in births.items()}
    return {
        (r.id, person): age_on(birth[person], on)
        for r in reports
        if (on := dates.get(r.event_id or -1)) is not None
        for person in persons_of[r.id]
        if person in birth and birth[person] <= on
    }


def reports_naming(session: Session, person_id: str) -> list[dict[str, Any]]:
    """Reports filed since the last finished link run whose instant matches name this person, for
    records no run has placed yet: what an analyst on the person's page must see before the next run
    reconciles them (after it, the report's records are the person's own). Newest report first."""
    run = session.scalars(
        select(LinkRun).where(LinkRun.status == "done").order_by(LinkRun.id.desc()).limit(1)
    ).first()
    if run is None:
        return []
    since = select(Report).where(Report.filed_at >= run.started_at, Report.match_status == "matched")
    reports = [r for r in session.scalars(since.order_by(Report.id.desc())) if _names(r, person_id)]
    if not reports:
        return []
    named = people_named(session, reports)
    ages = ages_then(session, reports, named)
    out = []
    for report in reports:
        for who in named.get(report.event_id, []):
            hit = next((h for h in _names(report, person_id) if h["record"] == who.record), None)
            if hit is None or who.person_id is not None:  # placed by a run since: the person's own
                continue
            context = (hit.get("explanation") or {}).get("context") or {}
            out.append(
                {
                    "receipt": report.receipt,
                    "kind": report.kind_label,
                    "filed_at": report.filed_at,
                    "occurred_on": (report.payload or {}).get("occurred_on"),
                    "label": who.label,
                    "match_probability": hit.get("match_probability"),
                    "found_by": hit.get("found_by", "model"),
                    "context": context.get("level"),
                    "age_then": ages.get((report.id, person_id)),
                }
            )
    return out


def _names(report: Report, person_id: str) -> list[dict[str, Any]]:
    return [h for h in report.matches or [] if h.get("person_id") == person_id]
