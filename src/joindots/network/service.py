"""The network's small public face: the latest groups for the web app, a person's neighbourhood as
Cytoscape.js JSON, and timelines of a person or a group."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from joindots.errors import NotFound
from joindots.network.pole import cytoscape, person_graph, records_of
from joindots.network.tables import GroupMember, NetworkBuild, OffenderGroup
from joindots.store.db import session_scope
from joindots.store.schema import Event


def latest_build_id(session: Session) -> int | None:
    return session.scalar(select(NetworkBuild.id).order_by(NetworkBuild.id.desc()).limit(1))


def group_members(session: Session, build_id: int, group_id: int) -> list[str]:
    q = select(GroupMember.person_id).where(GroupMember.group_id == group_id).order_by(GroupMember.person_id)
    return list(session.scalars(q))


def group_persons(session: Session, group_id: int) -> list[str]:
    """A group's members as strict persons: a loose member with every strict person it joins."""
    rows = session.execute(
        select(GroupMember.person_id, GroupMember.merged_ids).where(GroupMember.group_id == group_id)
    )
    return sorted({p for pid, merged in rows for p in (merged or [pid])})


def web_summary(session: Session) -> list[dict[str, Any]]:
    """One dict per group of the latest build: key, view, stability, size, members, victims, uncertain ties."""
    build_id = latest_build_id(session)
    if build_id is None:
        return []
    groups = session.scalars(
        select(OffenderGroup).where(OffenderGroup.build_id == build_id).order_by(OffenderGroup.group_key)
    ).all()
    members: dict[int, list[str]] = {}
    rows = session.execute(  # every group's members in one query, not one per group
        select(GroupMember.group_id, GroupMember.person_id)
        .join(OffenderGroup, OffenderGroup.id == GroupMember.group_id)
        .where(OffenderGroup.build_id == build_id)
        .order_by(GroupMember.group_id, GroupMember.person_id)
    )
    for group_id, person_id in rows:
        members.setdefault(group_id, []).append(person_id)
    return [
        {
            "key": g.group_key,
            "view": g.view,
            "stability": g.stability,
            "size": g.size,
            "members": members.get(g.id, []),
            "victims": list(g.victims),
            "uncertain_ties": g.uncertain_ties,
        }  # fmt: skip
        for g in groups
    ]


def neighbourhood(engine: Engine, person_id: str, hops: int = 2) -> dict[str, list[dict[str, Any]]]:
    """The POLE graph within `hops` links of a person, as Cytoscape.js elements JSON."""
    with session_scope(engine) as session:
        graph = person_graph(session, person_id, hops)
    if graph.number_of_nodes() == 0:
        raise NotFound(f"no person {person_id}")
    return cytoscape(graph)


def persons_for_key(session: Session, key: str) -> list[str]:
    """A person id, or the members of a group key in the latest build that has it."""
    if not key.upper().startswith("G"):
        return [key]
    group = session.scalars(
        select(OffenderGroup).where(OffenderGroup.group_key == key).order_by(OffenderGroup.build_id.desc())
    ).first()
    if group is None:
        raise NotFound(f"no group {key}")
    return group_persons(session, group.id)


def timeline(engine: Engine, key: str) -> list[dict[str, Any]]:
    """Events of a person (or every member of a group) in date order, each with its sources and roles."""
    with session_scope(engine) as session:
        people = persons_for_key(session, key)
        records = records_of(session, people)
        if not records:
            raise NotFound(f"no records for {key}")
        by_event: dict[int, list[Any]] = {}
        for r in records:
            if r.event_id is not None:
                by_event.setdefault(r.event_id, []).append(r)
        events = session.execute(
            select(Event.id, Event.date, Event.type, Event.source, Event.ref, Event.location_name,
                   Event.offence_code, Event.outcome_code).where(Event.id.in_(list(by_event)))
        ).all()  # fmt: skip
    out = []
    for ev in events:
        recs = by_event[ev.id]
        out.append({
            "date": ev.date.isoformat() if ev.date else None, "type": ev.type, "event": f"{ev.source}:{ev.ref}",
            "place": ev.location_name, "offence_code": ev.offence_code, "outcome_code": ev.outcome_code,
            "people": sorted({f"{r.person_id or f'R{r.id}'} ({r.role})" for r in recs}),
            "sources": sorted({f"{r.source}:{r.record_id}" for r in recs}),
        })  # fmt: skip
    return sorted(out, key=lambda e: (e["date"] or "9999", e["event"]))
