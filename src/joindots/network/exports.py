"""Exports of groups and the network: groups CSV, i2 Analyst's Notebook ANX (XML), GraphML and CSV.

Match probability becomes i2 link strength: confirmed at or above the strict threshold, unconfirmed at
or above the loose one, tentative below. Identity of a person entity is its stable person id, so
charts from successive exports merge in Analyst's Notebook. Every cell is CSV-injection safe.
"""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import networkx as nx
from sqlalchemy import select
from sqlalchemy.orm import Session

from joindots.errors import NotFound
from joindots.network.pole import whole_graph
from joindots.network.service import group_members, latest_build_id
from joindots.network.tables import OffenderGroup

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "|")
ICONS = {"person": "Person", "phone": "Phone", "vehicle": "Car", "address": "House", "place": "Hotel",
         "event": "Event", "email": "Email"}  # fmt: skip


def safe(value: Any) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def strength(p: float | None, threshold: float, loose: float) -> str:
    if p is None or p >= threshold:
        return "confirmed"
    return "unconfirmed" if p >= loose else "tentative"


def group_rows(session: Session, view: str | None = None) -> list[tuple[str, str, str]]:
    """(group_id, person_id, role) for the groups of the latest build (of one view, or both):
    offenders, then linked victims."""
    build_id = latest_build_id(session)
    if build_id is None:
        raise NotFound("no groups yet: run `joindots groups` first")
    rows: list[tuple[str, str, str]] = []
    q = select(OffenderGroup).where(OffenderGroup.build_id == build_id).order_by(OffenderGroup.group_key)
    if view is not None:
        q = q.where(OffenderGroup.view == view)
    for g in session.scalars(q):
        rows += [(g.group_key, p, "offender") for p in group_members(session, build_id, g.id)]
        rows += [(g.group_key, v, "victim") for v in g.victims]
    return rows


def write_groups_csv(rows: list[tuple[str, str, str]], out: Path) -> None:
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["group_id", "person_id", "role"])
        writer.writerows([safe(c) for c in row] for row in rows)


def network_graph(session: Session, group: str | None) -> nx.MultiGraph:
    """The whole POLE graph, or the part around one group's offenders and victims."""
    if group is None:
        return whole_graph(session)
    people = [p for g, p, _ in group_rows(session) if g == group]
    if not people:
        raise NotFound(f"no group {group} in the latest build")
    return whole_graph(session, people)


def write_anx(graph: nx.MultiGraph, out: Path, threshold: float, loose: float) -> None:
    """An i2 ANX chart: entity types, link types, then a ChartItem per entity (End) and per link."""
    chart = ET.Element("Chart", IdReferenceLinking="true")
    types = ET.SubElement(chart, "EntityTypeCollection")
    for kind in sorted({d["kind"] for _, d in graph.nodes(data=True)}):
        ET.SubElement(types, "EntityType", Name=kind, IconFile=ICONS.get(kind, "General"))
    links = ET.SubElement(chart, "LinkTypeCollection")
    for kind in sorted({d["type"] for _, _, d in graph.edges(data=True)}):
        ET.SubElement(links, "LinkType", Name=kind)
    ET.SubElement(chart, "AttributeClassCollection")
    items = ET.SubElement(chart, "ChartItemCollection")
    ids: dict[str, str] = {}
    for n, (node, data) in enumerate(sorted(graph.nodes(data=True)), start=1):
        ids[node] = f"id{n}"
        item = ET.SubElement(items, "ChartItem", Label=str(data.get("label", node)))
        end = ET.SubElement(item, "End")
        entity = ET.SubElement(end, "Entity", EntityId=ids[node], Identity=_identity(node, data))
        ET.SubElement(entity, "Icon").append(ET.Element("IconStyle", Type=data["kind"]))
        if data.get("source"):
            _card(entity, str(data["source"]), data.get("date"))
    for a, b, data in sorted(graph.edges(data=True), key=lambda e: (e[0], e[1], str(e[2]))):
        item = ET.SubElement(items, "ChartItem", Label=data["type"])
        link = ET.SubElement(item, "Link", End1Id=ids[a], End2Id=ids[b])
        ET.SubElement(link, "LinkStyle", Type=data["type"], ArrowStyle="ArrowNone",
                      Strength=strength(data.get("match_probability"), threshold, loose))  # fmt: skip
        _card(link, str(data.get("source", "")), None, data.get("match_probability"))
    ET.ElementTree(chart).write(out, encoding="utf-8", xml_declaration=True)


def _identity(node: str, data: dict[str, Any]) -> str:
    """What i2 merges charts on: the stable person id, the event's source reference, the phone number or
    plate; a place or an address by name and postcode (two hotels of one name are two entities)."""
    if data.get("kind") in ("place", "address"):
        return node.split(":", 1)[1]
    return str(data.get("label", node))


def _card(parent: ET.Element, source: str, date: Any, p: float | None = None) -> None:
    cards = ET.SubElement(parent, "CardCollection")
    summary = f"match probability {p:.4f}" if p is not None else ""
    card = ET.SubElement(cards, "Card", SourceReference=source, Summary=summary)
    if date:
        card.set("DateTime", f"{date}T00:00:00")


def write_graphml(graph: nx.MultiGraph, out: Path) -> None:
    clean = nx.MultiGraph()
    for node, data in graph.nodes(data=True):
        clean.add_node(node, **{k: "" if v is None else v for k, v in data.items()})
    for a, b, data in graph.edges(data=True):
        clean.add_edge(a, b, **{k: "" if v is None else v for k, v in data.items()})
    nx.write_graphml(clean, out)


def write_network_csv(graph: nx.MultiGraph, out: Path) -> None:
    """Two files: OUT (links) and OUT with '_nodes' before the suffix (entities)."""
    nodes_path = out.with_name(out.stem + "_nodes" + (out.suffix or ".csv"))
    with nodes_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "kind", "label"])
        for node, data in sorted(graph.nodes(data=True)):
            writer.writerow([safe(node), safe(data.get("kind")), safe(data.get("label"))])
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["source_id", "target_id", "type", "source_record", "match_probability"])
        for a, b, data in sorted(graph.edges(data=True), key=lambda e: (e[0], e[1], str(e[2]))):
            p = data.get("match_probability")
            writer.writerow(
                [safe(a), safe(b), safe(data["type"]), safe(data.get("source")), "" if p is None else p]
            )
