"""The facts the network is drawn from, read from the system of record in a few column-listed queries.

Only the columns named here are read: ethnicity, IC code and nationality are never selected, so no
step of graph building or group detection can use them (tests/test_network_ethics.py proves it).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, Select, select

from joindots.store.link_tables import LinkRun, MatchDecision, MatchPair, RecordPerson
from joindots.store.schema import Event, PersonRecord, RecordObject

RECORD_COLUMNS = (
    "id", "source", "record_id", "event_id", "role", "forename", "surname", "dob", "address", "postcode",
)  # fmt: skip
EVENT_COLUMNS = (
    "id",
    "source",
    "ref",
    "type",
    "date",
    "force",
    "offence_code",
    "offence_code_original",
    "outcome_code",
    "cse_flag",
    "location_name",
    "location_postcode",
    "location_type",
)


@dataclass(frozen=True)
class Facts:
    """Everything group detection needs, as tables keyed by database ids."""

    records: pd.DataFrame  # id, source, record_id, event_id, role, forename, surname, dob, address, postcode
    events: pd.DataFrame  # id, source, ref, type, date, force, offence/outcome, location
    objects: pd.DataFrame  # person_record_id, kind, value
    assignments: pd.DataFrame  # person_record_id, person_id, match_probability
    pairs: pd.DataFrame  # record_l, record_r, match_probability (latest finished run)
    cannot_link: pd.DataFrame  # record_l, record_r (analysts' 'different' decisions in force)
    link_run_id: int | None


def _frame(engine: Engine, query: Select, columns: list[str]) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return pd.DataFrame(rows, columns=columns)


def latest_run_id(engine: Engine) -> int | None:
    """The newest finished link run, whose scored pairs give the loose view."""
    query = select(LinkRun.id).where(LinkRun.status == "done").order_by(LinkRun.id.desc()).limit(1)
    with engine.connect() as conn:
        return conn.execute(query).scalar()


def load_pairs(engine: Engine, run_id: int | None, loose_threshold: float) -> pd.DataFrame:
    """The model's scored pairs of one run down to the loose threshold. The context step's pairs are
    left out: its joins are inside the strict persons already, and its suggestions below the threshold
    wait for an analyst (on the 100,000-person demo world, 144 of them, 114 right, took the loose
    view from 86 to 80 of 117 true groups: a wrong one can merge a child with a "found with" adult)."""
    columns = ["record_l", "record_r", "match_probability"]
    if run_id is None:
        return pd.DataFrame(columns=columns)
    query = select(MatchPair.record_l, MatchPair.record_r, MatchPair.match_probability).where(
        MatchPair.run_id == run_id,
        MatchPair.match_probability >= loose_threshold,
        MatchPair.found_by == "model",
    )
    return _frame(engine, query, columns)


def load_facts(engine: Engine, loose_threshold: float) -> Facts:
    """Read records, events, objects, identities, scored pairs and decisions (never protected fields)."""
    records = _frame(
        engine,
        select(*(getattr(PersonRecord, c) for c in RECORD_COLUMNS)),
        list(RECORD_COLUMNS),
    )
    events = _frame(engine, select(*(getattr(Event, c) for c in EVENT_COLUMNS)), list(EVENT_COLUMNS))
    objects = _frame(
        engine,
        select(RecordObject.person_record_id, RecordObject.kind, RecordObject.value),
        ["person_record_id", "kind", "value"],
    )
    assignments = _frame(
        engine,
        select(RecordPerson.person_record_id, RecordPerson.person_id, RecordPerson.match_probability),
        ["person_record_id", "person_id", "match_probability"],
    )
    decisions = _frame(
        engine,
        select(MatchDecision.record_l, MatchDecision.record_r).where(
            MatchDecision.decision == "different", MatchDecision.withdrawn_at.is_(None)
        ),
        ["record_l", "record_r"],
    )
    run_id = latest_run_id(engine)
    return Facts(
        records=records,
        events=events,
        objects=objects,
        assignments=assignments,
        pairs=load_pairs(engine, run_id, loose_threshold),
        cannot_link=decisions,
        link_run_id=run_id,
    )
