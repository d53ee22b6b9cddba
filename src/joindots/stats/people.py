"""Who is counted: the people in offender groups and their victims when groups exist, otherwise the
suspects and victims of CSE-flagged crimes - one row per person with the attributes the tables need.

Attributes come from all of a person's records: the most common recorded value wins; a person with
none is "Not recorded" (never imputed, never dropped)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from joindots.domain.codes import SELF_DEFINED_ETHNICITY
from joindots.network.tables import GroupMember, NetworkBuild, OffenderGroup
from joindots.store.link_tables import RecordPerson
from joindots.store.schema import Event, PersonRecord

NOT_RECORDED = "Not recorded"
CSE_OFFENCES = ("71",)  # abuse of children through sexual exploitation: CSE by definition
AGE_BANDS = (
    (0, "Under 13"),
    (13, "13-15"),
    (16, "16-17"),
    (18, "18-24"),
    (25, "25-34"),
    (35, "35-44"),
    (45, "45 and over"),
)
SEX_LABELS = {"F": "Female", "M": "Male"}


@dataclass
class Counted:
    people: (
        pd.DataFrame
    )  # person, role (Suspects|Victims), age_band, sex, ethnicity, nationality, force, year
    basis: str


def _records(session: Session, where: Any) -> pd.DataFrame:
    stmt = (
        select(
            PersonRecord.id,
            PersonRecord.role,
            PersonRecord.dob,
            PersonRecord.sex,
            PersonRecord.ethnicity,
            PersonRecord.nationality,
            Event.date,
            Event.force,
            RecordPerson.person_id,
        )
        .outerjoin(Event, Event.id == PersonRecord.event_id)
        .outerjoin(RecordPerson, RecordPerson.person_record_id == PersonRecord.id)
        .where(where)
    )
    cols = ["record", "role", "dob", "sex", "ethnicity", "nationality", "date", "force", "person_id"]
    frame = pd.DataFrame(session.execute(stmt).all(), columns=cols)
    # without linkage each record stands for one person (said in the basis)
    frame["person"] = [
        p if p is not None else f"record:{r}"
        for p, r in zip(frame["person_id"], frame["record"], strict=True)
    ]
    return frame


def _latest_groups(session: Session) -> tuple[set[str], set[str]] | None:
    build = session.scalars(select(NetworkBuild).order_by(NetworkBuild.id.desc()).limit(1)).first()
    if build is None:
        return None
    groups = session.scalars(
        select(OffenderGroup).where(OffenderGroup.build_id == build.id, OffenderGroup.view == "strict")
    ).all()
    if not groups:
        return None
    ids = [g.id for g in groups]
    suspects = set(session.scalars(select(GroupMember.person_id).where(GroupMember.group_id.in_(ids))))
    victims = {str(v) for g in groups for v in (g.victims or [])}
    return suspects, victims


def counted_people(session: Session) -> Counted:
    groups = _latest_groups(session)
    if groups is not None:
        suspects, victims = groups
        frame = _records(session, RecordPerson.person_id.in_(suspects | victims))
        frame["who"] = ["Suspects" if p in suspects else "Victims" for p in frame["person"]]
        both = frame[frame["person"].isin(suspects & victims)].assign(who="Victims")
        frame = pd.concat([frame, both], ignore_index=True)
        basis = "people in offender groups (latest network build, strict view) and the victims linked to them"
    else:
        cse = or_(Event.cse_flag.is_(True), Event.offence_code.in_(CSE_OFFENCES))
        frame = _records(session, cse & PersonRecord.role.in_(("suspect", "victim")))
        frame["who"] = frame["role"].map({"suspect": "Suspects", "victim": "Victims"})
        linked = frame["person_id"].notna().all()
        basis = "suspects and victims of CSE-flagged crimes (no offender groups yet)" + (
            "" if linked or frame.empty else "; records not yet linked count as one person each"
        )
    return Counted(_per_person(frame), basis)


def _mode(values: pd.Series, ignore: tuple[Any, ...] = ()) -> Any:
    seen = Counter(v for v in values if v is not None and not pd.isna(v) and v not in ignore)
    return max(sorted(seen), key=lambda v: seen[v]) if seen else None


def age_band(dob: dt.date | None, on: dt.date | None) -> str:
    if dob is None or on is None or pd.isna(dob) or pd.isna(on):
        return NOT_RECORDED
    age = on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))
    if age < 0:
        return NOT_RECORDED
    return [label for low, label in AGE_BANDS if age >= low][-1]


def _per_person(frame: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for (person, who), g in frame.groupby(["person", "who"], sort=True):
        dated = g.dropna(subset=["date"]).sort_values("date")
        first = dated.iloc[0] if len(dated) else None
        ethnicity = _mode(g["ethnicity"], ("NS",))
        rows.append(
            {
                "person": person,
                "who": who,
                "age_band": age_band(_mode(g["dob"]), None if first is None else first["date"]),
                "sex": SEX_LABELS.get(_mode(g["sex"], ("U",)) or "", NOT_RECORDED),
                "ethnicity": _ethnicity_label(ethnicity, g["ethnicity"]),
                "nationality": _mode(g["nationality"]) or NOT_RECORDED,
                "force": _first(dated["force"]) or NOT_RECORDED,
                "year": str(first["date"].year) if first is not None else NOT_RECORDED,
            }
        )
    cols = ["person", "who", "age_band", "sex", "ethnicity", "nationality", "force", "year"]
    return pd.DataFrame(rows, columns=cols)


def _first(values: pd.Series) -> Any:
    """The first recorded value (events in date order): a person's force area is the first force
    that dealt with them, even when an earlier event (a hospital visit) has none."""
    present = values.dropna()
    return present.iloc[0] if len(present) else None


def _ethnicity_label(code: str | None, values: pd.Series) -> str:
    if code in SELF_DEFINED_ETHNICITY:
        return f"{code} {SELF_DEFINED_ETHNICITY[code]}"
    if (values == "NS").any():
        return "NS Not stated"
    return NOT_RECORDED
