"""One hop around a person for the network view: their events and who else was in them, and the
phones and vehicles they share with others. Shapes nodes and edges for Cytoscape.js."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from joindots.store.link_tables import RecordPerson
from joindots.store.schema import Event, PersonRecord, RecordObject
from joindots.web.people import record_ids_for

MAX_NEIGHBOURS = 300


def _key_of(session: Session, record_ids: set[int]) -> dict[int, str]:
    placed = dict(
        session.execute(
            select(RecordPerson.person_record_id, RecordPerson.person_id).where(
                RecordPerson.person_record_id.in_(record_ids)
            )
        ).all()
    )
    return {rid: placed.get(rid, f"R{rid}") for rid in record_ids}


def _label(record: PersonRecord) -> str:
    return " ".join(p for p in (record.forename, record.surname) if p) or f"record {record.id}"


class _Graph:
    def __init__(self) -> None:
        self.nodes: dict[str, dict[str, Any]] = {}
        self.edges: dict[str, dict[str, Any]] = {}

    def node(self, node_id: str, label: str, kind: str) -> None:
        self.nodes.setdefault(node_id, {"data": {"id": node_id, "label": label, "kind": kind}})

    def edge(self, source: str, target: str, label: str) -> None:
        edge_id = f"{source}->{target}:{label}"
        self.edges.setdefault(
            edge_id, {"data": {"id": edge_id, "source": source, "target": target, "label": label}}
        )

    def as_json(self, truncated: bool) -> dict[str, Any]:
        return {
            "nodes": list(self.nodes.values()),
            "edges": list(self.edges.values()),
            "truncated": truncated,
        }


def _add_events(session: Session, graph: _Graph, key: str, own: list[PersonRecord]) -> bool:
    event_ids = {r.event_id for r in own if r.event_id}
    others = list(
        session.execute(
            select(PersonRecord, Event)
            .join(Event, Event.id == PersonRecord.event_id)
            .where(PersonRecord.event_id.in_(event_ids))
            .limit(MAX_NEIGHBOURS)
        ).all()
    )
    keys = _key_of(session, {r.id for r, _ in others})
    for record, event in others:
        event_node = f"E{event.id}"
        graph.node(event_node, f"{event.type} {event.ref}", "event")
        other = keys[record.id]
        if other != key:
            graph.node(other, _label(record), "person")
        graph.edge(key if other == key else other, event_node, record.role)
    return len(others) >= MAX_NEIGHBOURS


def _add_objects(session: Session, graph: _Graph, key: str, own_ids: list[int]) -> bool:
    mine = list(session.scalars(select(RecordObject).where(RecordObject.person_record_id.in_(own_ids))))
    values = {(o.kind, o.value) for o in mine}
    for kind, value in values:
        graph.node(f"O:{kind}:{value}", value, kind)
        graph.edge(key, f"O:{kind}:{value}", kind)
    sharers = list(
        session.execute(
            select(RecordObject, PersonRecord)
            .join(PersonRecord, PersonRecord.id == RecordObject.person_record_id)
            .where(
                RecordObject.value.in_({v for _, v in values}), RecordObject.person_record_id.not_in(own_ids)
            )
            .limit(MAX_NEIGHBOURS)
        ).all()
    )
    keys = _key_of(session, {r.id for _, r in sharers})
    for obj, record in sharers:
        if (obj.kind, obj.value) in values and keys[record.id] != key:
            graph.node(keys[record.id], _label(record), "person")
            graph.edge(keys[record.id], f"O:{obj.kind}:{obj.value}", obj.kind)
    return len(sharers) >= MAX_NEIGHBOURS


def neighbourhood(session: Session, key: str) -> dict[str, Any]:
    """Nodes and edges one hop from `key`; `truncated` says when the cap cut it short."""
    ids = record_ids_for(session, key)
    own = list(session.scalars(select(PersonRecord).where(PersonRecord.id.in_(ids))))
    graph = _Graph()
    graph.node(key, _label(own[0]) if own else key, "focus")
    truncated = _add_events(session, graph, key, own)
    truncated = _add_objects(session, graph, key, ids) or truncated
    return graph.as_json(truncated)
