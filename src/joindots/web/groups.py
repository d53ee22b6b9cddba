"""One offender group for its page: who is in it (with the names their records give and the measures
analysts use), the victims linked to it, every tie with its evidence, its network and its timeline,
all read through the network part. A member merged into another person since the build (an analyst's
decision, a later run) says so, and the page says how many decisions were made since the build."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Engine, func, or_, select
from sqlalchemy.orm import Session

from joindots.errors import NotFound
from joindots.network.pole import cytoscape, whole_graph
from joindots.network.service import group_members, group_persons, timeline
from joindots.network.tables import GroupMember, GroupTie, NetworkBuild, OffenderGroup
from joindots.store.link_tables import MatchDecision, RecordPerson
from joindots.store.schema import PersonRecord
from joindots.web.people import group_hits, successor

GROUP_KEY = re.compile(r"^G\d{1,9}$")


def _group(session: Session, key: str) -> OffenderGroup:
    found = None
    if GROUP_KEY.match(key):
        query = select(OffenderGroup).where(OffenderGroup.group_key == key)
        found = session.scalars(query.order_by(OffenderGroup.build_id.desc()).limit(1)).first()
    if found is None:
        raise NotFound(f"no group {key} in any network build (keys look like G00012)")
    return found


def _people(session: Session, person_ids: list[str]) -> list[dict[str, Any]]:
    """One row per person: names, dates of birth and sources from their records."""
    rows = session.execute(
        select(PersonRecord, RecordPerson.person_id)
        .join(RecordPerson, RecordPerson.person_record_id == PersonRecord.id)
        .where(RecordPerson.person_id.in_(person_ids))
        .order_by(RecordPerson.person_id, PersonRecord.id)
    ).all()
    found = {h["key"]: h for h in group_hits(rows, limit=None)}
    return [found.get(p) or _gone(session, p) for p in person_ids]


def _gone(session: Session, key: str) -> dict[str, Any]:
    """A person with no records now: where their records went since the build, if anywhere."""
    return {
        "key": key,
        "names": [],
        "dobs": [],
        "sources": [],
        "records": 0,
        "merged_into": successor(session, key),
    }


def decisions_since(session: Session, build_id: int) -> int:
    """Match decisions made or withdrawn since a network build: its groups may no longer hold."""
    built = session.scalar(select(NetworkBuild.built_at).where(NetworkBuild.id == build_id))
    if built is None:
        return 0
    later = or_(MatchDecision.decided_at > built, MatchDecision.withdrawn_at > built)
    return int(session.scalar(select(func.count()).select_from(MatchDecision).where(later)) or 0)


def _measured(session: Session, group_id: int, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each member's row with their degree, betweenness and eigenvector centrality in the group."""
    measures = {
        m.person_id: m for m in session.scalars(select(GroupMember).where(GroupMember.group_id == group_id))
    }
    out = []
    for row in rows:
        m = measures.get(row["key"])
        out.append({
            **row, "degree": m.degree if m else 0, "betweenness": m.betweenness if m else 0.0,
            "eigenvector": m.eigenvector if m else 0.0,
            "identity_probability": m.identity_probability if m else 1.0,
            "joins": [x for x in (m.merged_ids if m else []) if x != row["key"]],
        })  # fmt: skip
    return out


def describe_evidence(item: dict[str, Any]) -> str:
    """One piece of a tie's evidence in words."""
    text = _describe(item)
    if item.get("victim_age_unknown"):
        text += "; the victim's age is not known"
    if item.get("joined"):
        text += "; rests on a loose join (possibly the same person), uncertain"
    return text


def _describe(item: dict[str, Any]) -> str:
    kind = item.get("kind")
    if kind == "co_offender" and item.get("host_records"):
        return f"lives where the missing child was found ({item.get('event')})"
    if kind == "co_offender":
        return f"offenders on the same event ({item.get('event')})"
    if kind == "shared_victim":
        return f"offenders against the same victim {item.get('victim')} ({', '.join(map(str, item.get('events', [])))})"
    if kind == "name_mention":
        carried = item.get("people_with_name")
        return (
            f"'{item.get('mention')}' (a name, no date of birth) may be this person: the only known offender "
            f"of that name, which {carried} {'person' if carried == 1 else 'people'} with a date of birth on record "
            f"{'carries' if carried == 1 else 'carry'}"
        )
    if kind in ("shared_phone", "shared_vehicle"):
        return f"both use {item.get('object')}"
    return str(kind)


def _ties(session: Session, group_id: int) -> list[dict[str, Any]]:
    """The group's ties, uncertain ones first, each with its evidence in words."""
    ties = session.scalars(select(GroupTie).where(GroupTie.group_id == group_id)).all()
    rows = [
        {
            "a": t.person_a,
            "b": t.person_b,
            "kinds": sorted(t.kinds),
            "weight": t.weight,
            "identity_probability": t.identity_probability,
            "uncertain": t.uncertain,
            "evidence": [describe_evidence(e) for e in t.evidence],
        }  # fmt: skip
        for t in ties
    ]
    return sorted(rows, key=lambda r: (not r["uncertain"], -r["weight"], r["a"], r["b"]))


def group_detail(session: Session, engine: Engine, key: str) -> dict[str, Any]:
    group = _group(session, key)
    members = group_members(session, group.build_id, group.id)
    victims = sorted(group.victims)
    return {
        "key": group.group_key,
        "view": group.view,
        "stability": group.stability,
        "size": group.size,
        "build_id": group.build_id,
        "members": _measured(session, group.id, _people(session, members)),
        "uncertain_ties": group.uncertain_ties,
        "ties": _ties(session, group.id),
        "victims": _people(session, victims),
        "timeline": timeline(engine, group.group_key) if members else [],
        "joins": list((group.summary or {}).get("joins", [])),
        "decisions_since": decisions_since(session, group.build_id),
    }


def group_network(session: Session, key: str) -> dict[str, Any]:
    """The group's members and linked victims with what their records hang off, for Cytoscape.js:
    person nodes carry `person` (their key, for a link to their page) and members and victims a kind."""
    group = _group(session, key)
    members = set(group_persons(session, group.id))
    victims = set(group.victims)
    data = cytoscape(whole_graph(session, sorted(members | victims)))
    for node in data["nodes"]:
        info = node["data"]
        if info.get("kind") == "person":
            info["person"] = str(info["id"]).split(":", 1)[1]
            info["kind"] = (
                "member" if info["person"] in members else "victim" if info["person"] in victims else "person"
            )
    for edge in data["edges"]:
        edge["data"]["label"] = edge["data"].get("type", "")
    return {"nodes": data["nodes"], "edges": data["edges"], "truncated": False}
