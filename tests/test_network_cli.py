"""The network from the command line and its exports, on the small hand-built world: build groups,
timeline, export groups CSV, and the network as ANX (parsed back), GraphML and CSV; neighbourhood JSON
and the web summary."""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET
from pathlib import Path

import networkx as nx
import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from joindots.audit.tables import AccessLog
from joindots.cli.main import app
from joindots.network.service import neighbourhood, timeline, web_summary
from joindots.settings import get_settings
from joindots.store.db import session_scope
from network_factory import World, small_world

runner = CliRunner()


@pytest.fixture
def cli_db(sqlite_engine: Engine, monkeypatch) -> Engine:
    monkeypatch.setenv("JOINDOTS_DATABASE_URL", sqlite_engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    small_world(sqlite_engine)
    yield sqlite_engine
    get_settings.cache_clear()


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def abc_key(engine: Engine) -> str:
    with session_scope(engine) as s:
        return next(g["key"] for g in web_summary(s) if g["view"] == "strict" and "P000002" in g["members"])


def test_groups_and_export_groups(cli_db: Engine, tmp_path: Path) -> None:
    out = invoke("groups")
    assert "stable" in out and "changed" in out
    invoke("export", "groups", "--out", str(tmp_path / "g.csv"))
    rows = list(csv.DictReader((tmp_path / "g.csv").open()))
    key = abc_key(cli_db)
    mine = {(r["person_id"], r["role"]) for r in rows if r["group_id"] == key}
    assert mine == {
        ("P000002", "offender"),
        ("P000003", "offender"),
        ("P000004", "offender"),
        ("P000001", "victim"),
    }
    with session_scope(cli_db) as s:
        actions = s.scalars(select(AccessLog.action)).all()
    assert "disclosure" in actions and "combination" in actions


def test_export_anx_parses_back(cli_db: Engine, tmp_path: Path) -> None:
    invoke("groups")
    path = tmp_path / "g.anx"
    invoke("export", "network", "--format", "anx", "--group", "G00003", "--out", str(path))
    chart = ET.parse(path).getroot()
    assert chart.tag == "Chart"
    items = chart.find("ChartItemCollection")
    assert items is not None
    entities = {e.get("EntityId"): e.get("Identity") for e in items.iter("Entity")}
    assert len(set(entities.values())) == len(entities)  # identities unique
    assert {"P000010", "P000011", "P000009"} <= set(entities.values())
    links = list(items.iter("Link"))
    assert links and all(link.get("End1Id") in entities and link.get("End2Id") in entities for link in links)
    strengths = {link.find("LinkStyle").get("Strength") for link in links}  # type: ignore[union-attr]
    assert strengths == {"Confirmed"}  # every record and tie of this strict group is linked at 0.99
    assert strengths <= {s.get("Name") for s in chart.iter("Strength")}  # declared in StrengthCollection
    assert any(link.find("LinkStyle").get("Type") == "associate" for link in links)  # type: ignore[union-attr]
    sources = {c.get("SourceReference") for c in items.iter("Card")}
    assert "police_south:S9#1" in sources


def test_whole_network_anx_has_unique_identities(cli_db: Engine, tmp_path: Path) -> None:
    """Two hotels of one name in different postcodes are two entities; the whole chart parses back."""
    w = World(cli_db)
    w.event("hotel", "H7", "hotel_report", "2021-07-02", [("Q", "guest")], location="Synthetic Inn",
            postcode="ZZ9 9ZZ")  # fmt: skip
    w.event("hotel", "H8", "hotel_report", "2021-07-03", [("Q2", "guest")], location="Synthetic Inn",
            postcode="AB1 1AA")  # fmt: skip
    path = tmp_path / "all.anx"
    invoke("export", "network", "--format", "anx", "--out", str(path))
    items = ET.parse(path).getroot().find("ChartItemCollection")
    assert items is not None
    identities = [e.get("Identity") for e in items.iter("Entity")]
    assert len(identities) == len(set(identities))
    assert {"Synthetic Inn|ZZ9 9ZZ", "Synthetic Inn|AB1 1AA", "P000013", "police_north:N1"} <= set(identities)
    ends = {e.get("EntityId") for e in items.iter("Entity")}
    assert all(link.get("End1Id") in ends and link.get("End2Id") in ends for link in items.iter("Link"))


def test_export_graphml_and_csv(cli_db: Engine, tmp_path: Path) -> None:
    invoke("groups")
    invoke("export", "network", "--format", "graphml", "--out", str(tmp_path / "n.graphml"))
    g = nx.read_graphml(tmp_path / "n.graphml")
    assert g.nodes["person:P000006"]["kind"] == "person"
    assert g.has_edge("person:P000006", "phone:+447700900001")
    invoke("export", "network", "--format", "csv", "--out", str(tmp_path / "n.csv"))
    nodes = list(csv.DictReader((tmp_path / "n_nodes.csv").open()))
    phone = next(r for r in nodes if r["kind"] == "phone")
    assert phone["label"] == "'+447700900001"  # a leading + would run as a formula in a spreadsheet
    result = runner.invoke(app, ["export", "network", "--format", "pdf", "--out", str(tmp_path / "x")])
    assert result.exit_code != 0


def test_timeline_and_neighbourhood(cli_db: Engine) -> None:
    invoke("groups")
    events = timeline(cli_db, abc_key(cli_db))
    assert [e["event"] for e in events] == ["police_north:N1", "social_care:S1", "police_north:N2"]
    assert "police_north:N1#1" in events[0]["sources"]
    out = invoke("timeline", "P000006")
    assert "missing:M1" in out
    hood = neighbourhood(cli_db, "P000006", hops=2)
    ids = {n["data"]["id"] for n in hood["nodes"]}
    # D: the missing episode and his phone (1 hop), the child, E and the guest F (2 hops); not F's vehicle
    assert {"event:4", "phone:+447700900001", "person:P000005", "person:P000007", "person:P000008"} <= ids
    assert "vehicle:AB12CDE" not in ids
    assert all(e["data"]["source"] in ids and e["data"]["target"] in ids for e in hood["edges"])
    types = {e["data"]["type"] for e in hood["edges"]}
    assert {"found_with", "uses_phone", "missing_in"} <= types
    assert "vehicle:AB12CDE" in {n["data"]["id"] for n in neighbourhood(cli_db, "P000006", hops=3)["nodes"]}


def test_evaluate_groups_against_truth(cli_db: Engine, tmp_path: Path) -> None:
    records = [("police_north", "N1#1", "T1"), ("social_care", "S1#1", "T1"), ("police_north", "N1#2", "T2"),
               ("police_north", "N2#1", "T3"), ("missing", "M1#1", "T4"), ("missing", "M1#2", "T5"),
               ("police_south", "S9#1", "T5"), ("police_south", "S10#2", "T5"), ("hotel", "H1", "T6"),
               ("police_south", "S9#2", "T7"), ("police_south", "S10#1", "T7")]  # fmt: skip
    with (tmp_path / "records.csv").open("w", newline="") as fh:
        csv.writer(fh).writerows([("source", "record_id", "person_id"), *records])
    groups = [
        ("G0", "T1"),
        ("G0", "T2"),
        ("G0", "T3"),
        ("G1", "T4"),
        ("G1", "T5"),
        ("G1", "T7"),
        ("G1", "T9"),
    ]
    with (tmp_path / "groups.csv").open("w", newline="") as fh:
        csv.writer(fh).writerows(
            [("group_id", "person_id", "role"), *((g, p, "offender") for g, p in groups)]
        )
    invoke("groups")
    out = invoke("evaluate-groups", "--truth", str(tmp_path / "groups.csv"))
    # G0 is found whole; G1's best match is {E, G} (2 of 4 true members, F1 2*2/(2+4) = 0.667)
    assert "1 of 2 true groups found" in out
    assert "0.667" in out and "1.000" in out
    # T9 has no record in any source: on the 3 members on record, {E, G} has F1 2*2/(2+3) = 0.8
    assert "on the members on record (1 without a record in any source): 2 of 2" in out


def test_web_summary_empty_then_filled_and_export_by_view(cli_db: Engine, tmp_path: Path) -> None:
    with session_scope(cli_db) as s:
        assert web_summary(s) == []
    assert runner.invoke(app, ["export", "groups", "--out", str(tmp_path / "x.csv")]).exit_code != 0
    invoke("groups")
    with session_scope(cli_db) as s:
        summary = web_summary(s)
    assert {g["view"] for g in summary} == {"strict", "loose"}
    assert set(summary[0]) == {"key", "view", "stability", "size", "members", "victims", "uncertain_ties"}
    invoke("export", "groups", "--view", "loose", "--out", str(tmp_path / "loose.csv"))
    loose_keys = {g["key"] for g in summary if g["view"] == "loose"}
    assert {r["group_id"] for r in csv.DictReader((tmp_path / "loose.csv").open())} == loose_keys
