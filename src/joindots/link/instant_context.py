"""Instant matching by context: a report's partial record matched at once to the person around the
report's known people whose name fits.

A duty-to-report naming a known child and a suspect "Ricky" gives the model too little to match Ricky
against everyone on file (thousands share a first name), yet the full run's context step
(joindots.link.context) links him to the Ricky the child was found with last month. This asks that
question of one report, at once, reading the context from the database as the last run left it:

- near: the persons on the telling events (missing episodes, referrals, sexual or CSE-flagged crimes)
  of the persons the report's fuller records matched at the match threshold;
- far: one step further out, and the persons seen at the report's place within a year of it or
  living there (a hotel concern).

The same-role tier of the full run (persons named in that role elsewhere) is not asked: its share
goes to 'elsewhere', which can only make a match less sure. Each candidate's evidence is the saved
model's (the warm matcher's fast scorer, term frequencies included), the shares of the tiers are the
ones the last run estimated for the record's kind, and the posterior is the full run's
(`joindots.link.context._Question.posterior`), as are the caps on a context's width and the rules on
name parts and fragments. Nothing is joined: the match is listed with the report, marked as found by
context, and the next full run reconciles. Only event membership, kinds, places, dates and postcodes
are read besides the matcher's index: never ethnicity or nationality.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, select

from joindots.link.context import (
    AROUND,
    FAR,
    FORENAME,
    MAX_CONTEXT,
    MAX_FAR,
    NEAR,
    SURNAME,
    Candidate,
    _Question,
    context_pair,
)
from joindots.link.scorer import FastScorer
from joindots.network.ties import exploitation_events
from joindots.store.link_tables import RecordPerson
from joindots.store.schema import Event, PersonRecord

log = logging.getLogger("joindots.link")
IN_CHUNK = 5000  # ids in one IN (...) list
PR, RP = PersonRecord, RecordPerson


@dataclass(frozen=True)
class _Record:
    """A stored record as the context reads it."""

    id: int
    person: str  # its person's id, or "record:<id>" where no run has placed it yet
    names: int  # FORENAME | SURNAME bits
    partial: bool  # no date of birth, postcode or address


def _chunks(ids: Iterable[Any]) -> Iterator[list[Any]]:
    items = sorted(set(ids))
    for start in range(0, len(items), IN_CHUNK):
        yield items[start : start + IN_CHUNK]


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _records(conn: Connection, where: Any, placed: bool = False) -> list[_Record]:
    """The records `where` selects; `placed`: only records a run placed (an inner join, which lets
    the database start from the person index)."""
    query = select(PR.id, RP.person_id, PR.forename, PR.surname, PR.dob, PR.postcode, PR.address)
    join = query.join if placed else query.outerjoin
    query = join(RP, RP.person_record_id == PR.id).where(where)
    return [
        _Record(
            int(r.id),
            r.person_id or f"record:{r.id}",
            (not _blank(r.forename)) * FORENAME + (not _blank(r.surname)) * SURNAME,
            all(_blank(v) for v in (r.dob, r.postcode, r.address)),
        )
        for r in conn.execute(query)
    ]


def _on_events(conn: Connection, events: Iterable[int]) -> set[str]:
    return {r.person for chunk in _chunks(events) for r in _records(conn, PR.event_id.in_(chunk))}


def _sharing(conn: Connection, persons: set[str]) -> set[str]:
    """The persons on any telling event of these persons."""
    placed = [p for p in persons if not p.startswith("record:")]
    events: set[int] = set()
    for chunk in _chunks(placed):
        query = select(PR.event_id).join(RP, RP.person_record_id == PR.id)
        events.update(conn.scalars(query.where(RP.person_id.in_(chunk), PR.event_id.is_not(None))))
    columns = ["id", "type", "offence_code", "offence_code_original", "cse_flag"]
    kinds = [
        row
        for chunk in _chunks(events)
        for row in conn.execute(select(*(getattr(Event, c) for c in columns)).where(Event.id.in_(chunk)))
    ]
    telling = exploitation_events(pd.DataFrame(kinds, columns=columns)) if kinds else set()
    return _on_events(conn, telling)


def _place(name: str | None) -> str | None:
    return " ".join(name.lower().split()) if name and name.strip() else None


def _seen_at(conn: Connection, name: str, postcode: str, day: dt.date | None) -> set[str]:
    """The persons on events at this place within AROUND days of `day` (undated events always) or
    giving its postcode as their own."""
    query = select(Event.id, Event.location_name, Event.date).where(Event.location_postcode == postcode)
    events = [
        e
        for e, there, when in conn.execute(query)
        if _place(there) == name and (day is None or when is None or abs((when - day).days) <= AROUND)
    ]
    living = {r.person for r in _records(conn, PR.postcode == postcode)}
    return _on_events(conn, events) | living


def around(conn: Connection, here: set[str], event: Any, own: set[str]) -> tuple[set[str], set[str], str]:
    """Near and far persons of a report whose named people matched `here`; `own`: the report's own
    records as persons (never candidates). Too wide a tier is dropped, as in the full run."""
    near = _sharing(conn, here) - here - own if here else set()
    far = _sharing(conn, near) if near else set()
    via = ["people on other events with those the report names"] if here else []
    name, postcode = _place(event.location_name), (event.location_postcode or "").strip()
    if name and postcode:
        far |= _seen_at(conn, name, postcode, event.date)
        via.append(f"people seen within a year or living at {name}, {postcode}")
    far -= near | here | own
    near = near if len(near) <= MAX_CONTEXT else set()
    far = far if len(far) <= MAX_FAR else set()
    return near, far, "; ".join(via)


def _candidates(
    scorer: FastScorer, asker: _Record, records: list[_Record], tier_of: dict[str, int]
) -> tuple[list[str], list[Candidate], dict[int, int], Any]:
    """Each person's evidence against the asking record: its best fit among its records giving every
    name part the asker gives (where it has such a record), fragments counted as the full run counts
    them. Returns the persons, their candidates, each scored record's row and the scores."""
    ids = np.array([r.id for r in records], np.int64)
    left = scorer.positions(np.full(len(ids), asker.id, np.int64))
    scored = scorer.score_row_pairs(left, scorer.positions(ids))
    fits = scored.match_weight - scorer.prior_weight
    row_of = {r.id: i for i, r in enumerate(records)}
    by_person: dict[str, list[_Record]] = {}
    for r in records:
        by_person.setdefault(r.person, []).append(r)
    best: dict[str, tuple[float, int, bool]] = {}  # person -> weight, record, fragment
    for person, theirs in by_person.items():
        speaking = [r for r in theirs if (r.names & asker.names) == asker.names] or theirs
        weight, record = max((float(fits[row_of[r.id]]), -r.id) for r in speaking)
        best[person] = (weight, -record, all(r.partial for r in theirs))
    top = max((w for w, _, fragment in best.values() if not fragment), default=-np.inf)
    fitting = sorted(
        ((-w, tier_of[p], p, rec) for p, (w, rec, fragment) in best.items() if fragment and w > 0),
    )
    kept = [p for p, (w, _, fragment) in best.items() if not fragment or w <= 0]
    if fitting and -fitting[0][0] > top:  # the best fitting fragment, if it beats every fuller person
        kept.append(fitting[0][2])
    persons = sorted(kept, key=lambda p: (tier_of[p], p))
    candidates = [Candidate(i, best[p][1], best[p][0], tier_of[p]) for i, p in enumerate(persons)]
    return persons, candidates, row_of, scored


def _asking(
    conn: Connection, records: list[int], found: dict[int, list[dict[str, Any]]], strict: float
) -> tuple[list[_Record], dict[int, str], Any]:
    """The event's partial records with a name and no candidate at `strict`, their roles, and their
    one event (None when none asks, or they are not of one event)."""
    mine = {r.id: r for r in _records(conn, PR.id.in_(records))}
    askers = [
        mine[r]
        for r in records
        if r in mine
        and mine[r].partial
        and mine[r].names
        and not any(c["match_probability"] >= strict for c in found.get(r, []))
    ]
    if not askers:
        return [], {}, None
    roles, event_ids = {}, set()
    for record, role, event_id in conn.execute(
        select(PR.id, PR.role, PR.event_id).where(PR.id.in_([a.id for a in askers]))
    ):
        roles[record] = role
        event_ids.add(event_id)
    if len(event_ids) != 1 or None in event_ids:
        return [], {}, None
    columns = (Event.type, Event.location_name, Event.location_postcode, Event.date)
    return askers, roles, conn.execute(select(*columns).where(Event.id == event_ids.pop())).one()


def match_in_context(
    engine: Engine,
    scorer: FastScorer,
    records: list[int],
    found: dict[int, list[dict[str, Any]]],
    shares: dict[str, list[float]],
    strict: float,
    threshold: float,
) -> dict[int, dict[str, Any]]:
    """For each partial record of one event (a report) left without a candidate at `strict` in
    `found`, its best candidate in the context of the persons the event's other records matched at
    `strict` and of the event's place, where the posterior reaches `threshold`: record -> candidate
    (person_id, record_id, match_probability, explanation with its context part, found_by 'context')."""
    here = {c["person_id"] for hits in found.values() for c in hits if c["match_probability"] >= strict}
    here.discard(None)
    if not shares:
        return {}
    with engine.connect() as conn:
        askers, roles, event = _asking(conn, records, found, strict)
        if event is None:
            return {}
        if not here and not (_place(event.location_name) and event.location_postcode):
            return {}  # no one known in the report and no place: no context
        near, far, via = around(conn, here, event, {f"record:{r}" for r in records})
        tier_of = dict.fromkeys(far, FAR) | dict.fromkeys(near, NEAR)
        placed = [p for p in tier_of if not p.startswith("record:")]
        loose = [int(p.split(":")[1]) for p in tier_of if p.startswith("record:")]
        theirs = [r for chunk in _chunks(placed) for r in _records(conn, RP.person_id.in_(chunk), True)]
        theirs += [r for chunk in _chunks(loose) for r in _records(conn, PR.id.in_(chunk))]
    if not theirs:
        return {}
    out: dict[int, dict[str, Any]] = {}
    for asker in askers:
        kind = f"{event.type}/{roles[asker.id]}"
        pi = tuple(shares.get(kind) or shares[""])
        persons, candidates, row_of, scored = _candidates(scorer, asker, theirs, tier_of)
        if not candidates:
            continue
        q = _Question(asker.id, via, candidates, kind)
        posterior = q.posterior(pi)
        i = int(np.argmax(posterior))
        if posterior[i] < threshold:
            continue
        chosen, row = candidates[i], row_of[candidates[i].record]
        fields = scored.explanation(row, scorer.labels())
        pair = context_pair(q, chosen, posterior[i], fields, float(scored.match_weight[row]))
        person = persons[i]
        out[asker.id] = {
            "person_id": None if person.startswith("record:") else person,
            "record_id": chosen.record,
            "match_probability": pair["match_probability"],
            "explanation": pair["explanation"],
            "found_by": "context",
        }
    return out
