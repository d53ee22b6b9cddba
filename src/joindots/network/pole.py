"""The POLE graph: people, phones, vehicles, addresses, places and events with typed links, each link
carrying its source record and (for identity) the match probability of that record to its person.

Built from column-listed queries (never ethnicity, IC code or nationality), either whole (for exports)
or grown a hop at a time around one person (for the web page's neighbourhood, fast on a big store).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import networkx as nx
from sqlalchemy import select
from sqlalchemy.orm import Session

from joindots.store.link_tables import RecordPerson
from joindots.store.schema import Event, PersonRecord, RecordObject

ROLE_LINK = {
    "victim": "victim_of", "suspect": "suspect_in", "witness": "witness_to", "found_with": "found_with",
    "missing_person": "missing_in", "subject": "subject_of", "alleged_perpetrator": "alleged_perpetrator_in",
    "guest": "guest_in", "licence_holder": "licensed_for", "patient": "patient_in",
    "person_reporting": "reported",
}  # fmt: skip
OBJECT_LINK = {"phone": "uses_phone", "vehicle": "drives", "email": "uses_email"}
CHUNK = 500


def _record_query() -> Any:
    return (
        select(
            PersonRecord.id, PersonRecord.source, PersonRecord.record_id, PersonRecord.role,
            PersonRecord.event_id, PersonRecord.postcode, PersonRecord.address,
            RecordPerson.person_id, RecordPerson.match_probability,
        )
        .outerjoin(RecordPerson, RecordPerson.person_record_id == PersonRecord.id)
    )  # fmt: skip


def _chunks(values: Iterable[Any]) -> Iterable[list[Any]]:
    items = sorted(set(values), key=str)
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


def _person(pid: str | None, rec_id: int) -> str:
    return f"person:{pid or f'R{rec_id}'}"


class Builder:
    """Adds records (and what hangs off them) to a MultiGraph, reading only named columns."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.graph = nx.MultiGraph()
        self.seen: set[int] = set()

    def add_records(self, rows: Iterable[Any]) -> None:
        fresh = [r for r in rows if r.id not in self.seen]
        self.seen |= {r.id for r in fresh}
        events = {r.event_id for r in fresh if r.event_id is not None}
        for ev in self._events(events):
            self.graph.add_node(f"event:{ev.id}", kind="event", label=f"{ev.source}:{ev.ref}", type=ev.type,
                                date=ev.date.isoformat() if ev.date else None, source=ev.source)  # fmt: skip
            if ev.location_name:
                place = f"place:{ev.location_name}|{ev.location_postcode or ''}"
                self.graph.add_node(place, kind="place", label=ev.location_name, type=ev.location_type or "")
                self.graph.add_edge(
                    f"event:{ev.id}", place, type="occurred_at", source=f"{ev.source}:{ev.ref}"
                )
        for r in fresh:
            self._add_record(r)
        by_id = {r.id: r for r in fresh}
        for rec_id, kind, value in self._objects(list(by_id)):
            row = by_id[rec_id]
            node = f"{kind}:{value}"
            self.graph.add_node(node, kind=kind, label=value)
            self._link(row, node, OBJECT_LINK.get(kind, "has"))

    def _add_record(self, r: Any) -> None:
        pid = _person(r.person_id, r.id)
        self.graph.add_node(pid, kind="person", label=pid.split(":", 1)[1])
        if r.event_id is not None:
            self._link(r, f"event:{r.event_id}", ROLE_LINK.get(r.role, r.role))
        if r.postcode:
            node = f"address:{(r.address or '').upper()}|{r.postcode}"
            self.graph.add_node(node, kind="address", label=f"{r.address or ''} {r.postcode}".strip())
            self._link(r, node, "lives_at")

    def _link(self, r: Any, node: str, kind: str) -> None:
        p = 1.0 if r.match_probability is None else float(r.match_probability)
        self.graph.add_edge(_person(r.person_id, r.id), node, type=kind, source=f"{r.source}:{r.record_id}",
                            match_probability=round(p, 4))  # fmt: skip

    def _events(self, ids: set[int]) -> list[Any]:
        out: list[Any] = []
        for chunk in _chunks(ids):
            out += self.session.execute(
                select(Event.id, Event.source, Event.ref, Event.type, Event.date, Event.location_name,
                       Event.location_postcode, Event.location_type).where(Event.id.in_(chunk))
            ).all()  # fmt: skip
        return out

    def _objects(self, record_ids: list[int]) -> list[Any]:
        out: list[Any] = []
        for chunk in _chunks(record_ids):
            q = select(RecordObject.person_record_id, RecordObject.kind, RecordObject.value)
            out += self.session.execute(q.where(RecordObject.person_record_id.in_(chunk))).all()
        return out


def records_of(session: Session, person_ids: Iterable[str]) -> list[Any]:
    """The records of persons ('P...' linked, 'R<id>' an unlinked record)."""
    ids = list(person_ids)
    linked = [p for p in ids if not p.startswith("R")]
    bare = [int(p[1:]) for p in ids if p.startswith("R") and p[1:].isdigit()]
    rows: list[Any] = []
    for chunk in _chunks(linked):
        rows += session.execute(_record_query().where(RecordPerson.person_id.in_(chunk))).all()
    for chunk in _chunks(bare):
        rows += session.execute(_record_query().where(PersonRecord.id.in_(chunk))).all()
    return rows


def _records_touching(session: Session, nodes: list[str]) -> list[Any]:
    """Records attached to the given event, object and address nodes."""
    events = [int(n.split(":", 1)[1]) for n in nodes if n.startswith("event:")]
    objects = [n.split(":", 1) for n in nodes if n.split(":", 1)[0] in OBJECT_LINK]
    postcodes = [n.rsplit("|", 1)[1] for n in nodes if n.startswith("address:")]
    rows: list[Any] = []
    q = _record_query()
    for chunk in _chunks(events):
        rows += session.execute(q.where(PersonRecord.event_id.in_(chunk))).all()
    for chunk in _chunks(v for _, v in objects):
        hit = select(RecordObject.person_record_id).where(RecordObject.value.in_(chunk))
        rows += session.execute(q.where(PersonRecord.id.in_(hit))).all()
    addresses = {n.split(":", 1)[1] for n in nodes if n.startswith("address:")}
    for chunk in _chunks(postcodes):
        found = session.execute(q.where(PersonRecord.postcode.in_(chunk))).all()
        rows += [r for r in found if f"{(r.address or '').upper()}|{r.postcode}" in addresses]
    return rows


def person_graph(session: Session, person_id: str, hops: int = 2) -> nx.MultiGraph:
    """The POLE graph within `hops` links of a person (person -> thing is one hop, thing -> person two)."""
    b = Builder(session)
    b.add_records(records_of(session, [person_id]))
    start = f"person:{person_id}"
    if start not in b.graph:
        return b.graph
    for _ in range(max(hops - 1, 0)):
        dist = nx.single_source_shortest_path_length(b.graph, start, cutoff=hops)
        edge_nodes = [n for n, d in dist.items() if d < hops and not n.startswith("person:")]
        people = [n.split(":", 1)[1] for n, d in dist.items() if d < hops - 1 and n.startswith("person:")]
        before = b.graph.number_of_nodes()
        b.add_records(_records_touching(session, edge_nodes))
        b.add_records(records_of(session, people))
        if b.graph.number_of_nodes() == before:
            break
    keep = nx.single_source_shortest_path_length(b.graph, start, cutoff=hops)
    return b.graph.subgraph(keep).copy()


def whole_graph(session: Session, person_ids: Iterable[str] | None = None) -> nx.MultiGraph:
    """All of the POLE graph, or the part around the given persons (their records and what hangs off them)."""
    b = Builder(session)
    if person_ids is None:
        b.add_records(session.execute(_record_query()).all())
    else:
        b.add_records(records_of(session, person_ids))
    return b.graph


def cytoscape(graph: nx.MultiGraph) -> dict[str, list[dict[str, Any]]]:
    """Cytoscape.js elements JSON (an edge's source record is its `record`: `source` is its first node)."""
    nodes = [{"data": {"id": n, **attrs}} for n, attrs in sorted(graph.nodes(data=True))]
    edges = [
        {
            "data": {
                **{("record" if k == "source" else k): v for k, v in attrs.items()},
                "id": f"e{i}",
                "source": a,
                "target": b,
            }
        }
        for i, (a, b, attrs) in enumerate(
            sorted(graph.edges(data=True), key=lambda e: (e[0], e[1], str(e[2])))
        )
    ]
    return {"nodes": nodes, "edges": edges}
