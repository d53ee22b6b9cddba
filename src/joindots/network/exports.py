"""Exports of groups and the network: groups CSV, i2 Analyst's Notebook ANX (XML), GraphML and CSV.

Match probability becomes i2 link strength (`STRENGTHS`, declared in the chart's StrengthCollection):
Confirmed at or above the strict threshold, Unconfirmed at or above the loose one, Tentative below; a
link that rests on a join linkage did not make (the loose view's "possibly the same person", a tie
through one) is never Confirmed. Besides the POLE links the network carries the groups' person-person
ties (kinds, evidence count, identity probability) and the loose view's joins. Identity of a person
entity is its stable person id, so charts from successive exports merge in Analyst's Notebook. Every
cell is CSV-injection safe.
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
from joindots.network.tables import GroupMember, GroupTie, OffenderGroup

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "|")
ICONS = {"person": "Person", "phone": "Phone", "vehicle": "Car", "address": "House", "place": "Hotel",
         "event": "Event", "email": "Email"}  # fmt: skip


def safe(value: Any) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


# i2 strength name -> line style: solid, dashed, dotted
STRENGTHS = {"Confirmed": "DotStyleSolid", "Unconfirmed": "DotStyleDashed", "Tentative": "DotStyleDotted"}
TIE = "associate"  # two members of a group and why (DOMAIN.md: person-person links are associations)
SAME = "possibly_same_person"  # two strict persons the loose view joined


def strength(p: float | None, threshold: float, loose: float, uncertain: bool = False) -> str:
    """Confirmed at or above the strict threshold (unless it rests on a join linkage did not make),
    Unconfirmed at or above the loose threshold, Tentative below."""
    if p is None or (p >= threshold and not uncertain):
        return "Confirmed"
    return "Unconfirmed" if p >= loose else "Tentative"


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
    """The whole POLE graph with every group's ties and the loose view's joins, or the part around one
    group: its offenders (a loose member with every strict person it joins) and victims, with its ties
    and joins."""
    build_id = latest_build_id(session)
    if build_id is None:
        if group is not None:
            raise NotFound("no groups yet: run `joindots groups` first")
        return whole_graph(session)
    q = select(OffenderGroup).where(OffenderGroup.build_id == build_id)
    if group is None:
        graph = whole_graph(session)
        chosen = list(session.scalars(q.order_by(OffenderGroup.view.desc(), OffenderGroup.group_key)))
    else:
        found = session.scalars(q.where(OffenderGroup.group_key == group)).first()
        if found is None:
            raise NotFound(f"no group {group} in the latest build")
        graph = whole_graph(session, sorted(_persons_of(session, found)))
        chosen = [found]
    for g in chosen:  # strict groups first: a tie both views hold is drawn once, as the strict view has it
        _add_group_links(session, graph, g, build_id)
    return graph


def _persons_of(session: Session, group: OffenderGroup) -> set[str]:
    """The strict persons behind a group's members and victims (a loose person: every one it joins)."""
    rows = session.execute(
        select(GroupMember.person_id, GroupMember.merged_ids).where(GroupMember.group_id == group.id)
    )
    persons = {p for pid, merged in rows for p in (merged or [pid])}
    persons |= set(group.victims)
    for join in (group.summary or {}).get("joins", []):
        persons |= {join["a"], join["b"]}
    return persons


def _add_group_links(session: Session, graph: nx.MultiGraph, group: OffenderGroup, build_id: int) -> None:
    """A group's ties between members, and the loose view's joins among its persons, as person-person links."""
    source = f"network_build:{build_id} {group.group_key} ({group.view})"
    for t in session.scalars(select(GroupTie).where(GroupTie.group_id == group.id)):
        label = f"{', '.join(sorted(t.kinds))} ({len(t.evidence)})"
        _person_link(graph, t.person_a, t.person_b, TIE, label=label, kinds=",".join(sorted(t.kinds)),
                     evidence=len(t.evidence), match_probability=round(t.identity_probability, 4),
                     uncertain=bool(t.uncertain), source=source)  # fmt: skip
    for join in (group.summary or {}).get("joins", []):
        _person_link(graph, join["a"], join["b"], SAME, label="possibly the same person",
                     match_probability=join["probability"], uncertain=True, source=source)  # fmt: skip


def _person_link(graph: nx.MultiGraph, a: str, b: str, kind: str, **data: Any) -> None:
    ends = sorted((f"person:{a}", f"person:{b}"))
    if any(d.get("type") == kind for d in graph.get_edge_data(*ends, default={}).values()):
        return
    for end in ends:
        if end not in graph:
            graph.add_node(end, kind="person", label=end.split(":", 1)[1])
    graph.add_edge(*ends, type=kind, **data)


def write_anx(graph: nx.MultiGraph, out: Path, threshold: float, loose: float) -> None:
    """An i2 ANX chart: strengths, entity types, link types, then a ChartItem per entity (End) and per link."""
    chart = ET.Element("Chart", IdReferenceLinking="true")
    declared = ET.SubElement(chart, "StrengthCollection")
    for n, (name, dots) in enumerate(STRENGTHS.items(), start=1):
        ET.SubElement(declared, "Strength", Id=f"ST{n}", Name=name, DotStyle=dots)
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
        p = data.get("match_probability")
        item = ET.SubElement(items, "ChartItem", Label=str(data.get("label", data["type"])))
        link = ET.SubElement(item, "Link", End1Id=ids[a], End2Id=ids[b])
        ET.SubElement(link, "LinkStyle", Type=data["type"], ArrowStyle="ArrowNone",
                      Strength=strength(p, threshold, loose, bool(data.get("uncertain"))))  # fmt: skip
        _card(link, str(data.get("source", "")), None, p, _summary(data))
    ET.ElementTree(chart).write(out, encoding="utf-8", xml_declaration=True)


def _summary(data: dict[str, Any]) -> str:
    """What a person-person link's card says beside its probability."""
    if data.get("type") == TIE:
        return f"{data.get('kinds')}; evidence {data.get('evidence')}" + (
            "; uncertain: rests on an identity link below the strict threshold or a loose join"
            if data.get("uncertain")
            else ""
        )
    if data.get("type") == SAME:
        return "possibly the same person: a scored pair linkage did not join"
    return ""


def _identity(node: str, data: dict[str, Any]) -> str:
    """What i2 merges charts on: the stable person id, the event's source reference, the phone number or
    plate; a place or an address by name and postcode (two hotels of one name are two entities)."""
    if data.get("kind") in ("place", "address"):
        return node.split(":", 1)[1]
    return str(data.get("label", node))


def _card(parent: ET.Element, source: str, date: Any, p: float | None = None, note: str = "") -> None:
    cards = ET.SubElement(parent, "CardCollection")
    summary = "; ".join(x for x in (f"match probability {p:.4f}" if p is not None else "", note) if x)
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
