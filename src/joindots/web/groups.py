"""One offender group for its page: who is in it (with the names their records give), the victims
linked to it, its network and its timeline, all read through the network part."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from joindots.errors import NotFound
from joindots.network.pole import cytoscape, whole_graph
from joindots.network.service import group_members, timeline
from joindots.network.tables import OffenderGroup
from joindots.store.link_tables import RecordPerson
from joindots.store.schema import PersonRecord
from joindots.web.people import group_hits

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
    return [
        found.get(p, {"key": p, "names": [], "dobs": [], "sources": [], "records": 0}) for p in person_ids
    ]


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
        "members": _people(session, members),
        "victims": _people(session, victims),
        "timeline": timeline(engine, group.group_key) if members else [],
    }


def group_network(session: Session, key: str) -> dict[str, Any]:
    """The group's members and linked victims with what their records hang off, for Cytoscape.js:
    person nodes carry `person` (their key, for a link to their page) and members and victims a kind."""
    group = _group(session, key)
    members = set(group_members(session, group.build_id, group.id))
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
