"""How many true groups (from a synthetic world's truth) the latest build found: for each true group, the
best member F1 over our groups of one view, with our persons mapped to true people by their records
(a loose person by the records of every strict person it joins, `GroupMember.merged_ids`).
Also counted on the members on record (those with a record in some source; a synthetic group can hold
an offender no agency ever recorded): the share that measures the tool rather than the data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from joindots.errors import NotFound
from joindots.network.service import latest_build_id
from joindots.network.tables import GroupMember, OffenderGroup
from joindots.store.link_tables import RecordPerson
from joindots.store.schema import PersonRecord

GOOD = 0.8


def person_to_truth(session: Session, records_csv: Path) -> dict[str, str]:
    """Our person id -> the true person most of its records belong to."""
    truth = pd.read_csv(records_csv, dtype=str)
    rows = session.execute(
        select(
            PersonRecord.id, PersonRecord.source, PersonRecord.record_id, RecordPerson.person_id
        ).outerjoin(RecordPerson, RecordPerson.person_record_id == PersonRecord.id)
    ).all()
    ours = pd.DataFrame(rows, columns=["rid", "source", "record_id", "pid"])
    ours["pid"] = ours["pid"].fillna("R" + ours["rid"].astype(str))
    merged = ours.merge(truth.rename(columns={"person_id": "true"}), on=["source", "record_id"])
    top = (
        merged.groupby(["pid", "true"])
        .size()
        .reset_index(name="n")
        .sort_values(["pid", "n"], ascending=[True, False])
    )
    return dict(top.drop_duplicates("pid")[["pid", "true"]].itertuples(index=False, name=None))


def f1(found: set[str], true: set[str]) -> float:
    hit = len(found & true)
    return 0.0 if hit == 0 else 2 * hit / (len(found) + len(true))


def evaluate_groups(
    session: Session, groups_csv: Path, records_csv: Path, view: str = "strict"
) -> dict[str, Any]:
    if not groups_csv.is_file() or not records_csv.is_file():
        raise NotFound(f"truth files missing: {groups_csv} or {records_csv}")
    build_id = latest_build_id(session)
    if build_id is None:
        raise NotFound("no groups yet: run `joindots groups` first")
    mapping = person_to_truth(session, records_csv)
    ours = groups_in_truth(session, build_id, view, mapping)
    truth = pd.read_csv(groups_csv, dtype=str)
    offenders = truth[truth["role"] == "offender"].groupby("group_id")["person_id"].apply(set)
    on_record = set(pd.read_csv(records_csv, dtype=str, usecols=["person_id"])["person_id"])
    per_group = []
    for gid, members in offenders.items():
        best_key, best = _best(ours, members)
        seen = members & on_record  # a member with no record in any source: no tool can find them
        per_group.append(
            {"true_group": gid, "size": len(members), "best_group": best_key, "f1": round(best, 4),
             "on_record": len(seen), "f1_on_record": round(_best(ours, seen)[1], 4)}
        )  # fmt: skip
    found = sum(g["f1"] >= GOOD for g in per_group)
    found_on_record = sum(g["f1_on_record"] >= GOOD for g in per_group)
    members = set().union(*offenders) if len(offenders) else set()
    return {
        "view": view, "true_groups": len(per_group), "our_groups": len(ours), "found": found,
        "share_found": round(found / len(per_group), 4) if per_group else 0.0, "groups": per_group,
        "members_without_record": len(members - on_record), "found_on_record": found_on_record,
        "share_found_on_record": round(found_on_record / len(per_group), 4) if per_group else 0.0,
    }  # fmt: skip


def groups_in_truth(
    session: Session, build_id: int, view: str, mapping: dict[str, str]
) -> dict[str, set[str]]:
    """Group key -> the true people of its members, each member expanded through its merged ids."""
    rows = session.execute(
        select(OffenderGroup.group_key, GroupMember.person_id, GroupMember.merged_ids)
        .join(GroupMember, GroupMember.group_id == OffenderGroup.id)
        .where(OffenderGroup.build_id == build_id, OffenderGroup.view == view)
    ).all()
    ours: dict[str, set[str]] = {}
    for key, pid, merged in rows:
        ours.setdefault(key, set()).update(mapping[p] for p in (merged or [pid]) if p in mapping)
    return ours


def _best(ours: dict[str, set[str]], members: set[str]) -> tuple[str, float]:
    return max(((k, f1(m, members)) for k, m in ours.items()), key=lambda kv: kv[1], default=("", 0.0))
