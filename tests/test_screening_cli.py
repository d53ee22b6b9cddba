"""The screening faces: `joindots screen`, `joindots review assign|decide`, the review-queue export,
and the web app's view of the queue through its parts module."""

from __future__ import annotations

import csv

from sqlalchemy import select
from typer.testing import CliRunner

from joindots.audit.tables import AccessLog
from joindots.cli.main import app
from joindots.screening.tables import ReviewDecision, ReviewItem
from joindots.store.db import session_scope
from joindots.web.parts import decide_review_item, part_result
from screening_factory import ADULT, CHILD_14, Factory

runner = CliRunner()


def _fill(engine) -> None:
    with session_scope(engine) as s:
        f = Factory(s)
        f.crime("=HYPERLINK(1)", outcome="16", victims=(("Amy Test", CHILD_14, None),))
        f.crime("C2", offence="22B", original="19D", outcome="1", victims=(("Bea Test", CHILD_14, None),),
                suspects=(("Sam A", ADULT, None), ("Tom B", ADULT, None)))  # fmt: skip


def test_screen_review_and_export_from_the_cli(db_env, tmp_path):
    _fill(db_env)
    result = runner.invoke(app, ["screen", "--actor", "analyst1"])
    assert result.exit_code == 0, result.output
    assert "2 cases on the queue; 2 new" in result.output
    with session_scope(db_env) as s:
        top = s.scalars(select(ReviewItem).order_by(ReviewItem.priority.desc())).first()
        assert top is not None and top.case_ref == "C2"
        top_id = top.id

    result = runner.invoke(app, ["review", "assign", str(top_id), "--to", "reviewer2"])
    assert result.exit_code == 0 and "assigned to reviewer2" in result.output
    result = runner.invoke(app, ["review", "decide", str(top_id), "refer", "--reason", "Grounds to reopen."])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["review", "decide", str(top_id), "shred", "--reason", "x"])
    assert result.exit_code == 2 and "decision must be one of" in result.output
    result = runner.invoke(app, ["review", "decide", "4040", "refer", "--reason", "x"])
    assert result.exit_code == 1 and "no review item 4040" in result.output

    out = tmp_path / "queue.csv"
    result = runner.invoke(app, ["export", "review-queue", "--out", str(out)])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["case_ref", "priority", "rules", "reasons"]
    assert [r[0] for r in rows[1:]] == ["C2", "'=HYPERLINK(1)"]  # formula neutralised
    assert rows[1][1] == "65" and rows[1][2].startswith("rape_reclassified_child_13_15;")
    with session_scope(db_env) as s:
        actions = [(e.action, e.actor) for e in s.scalars(select(AccessLog).order_by(AccessLog.id))]
        item = s.get(ReviewItem, top_id)
        assert item is not None and item.status == "decided" and item.assigned_to == "reviewer2"
    assert actions == [("consultation", "analyst1"), ("alteration", "cli"), ("alteration", "cli"),
                       ("disclosure", "cli")]  # fmt: skip


def test_the_web_app_reads_and_decides_through_the_service(sqlite_engine):
    _fill(sqlite_engine)
    with session_scope(sqlite_engine) as s:
        assert not part_result(s, "review").available  # nothing screened yet: says so
    result = runner.invoke(app, ["--db", sqlite_engine.url.render_as_string(), "screen"])
    assert result.exit_code == 0, result.output
    with session_scope(sqlite_engine) as s:
        found = part_result(s, "review")
        assert found.available and [i["case_ref"] for i in found.items] == ["C2", "=HYPERLINK(1)"]
        assert set(found.items[0]) == {
            "id",
            "case_ref",
            "source",
            "priority",
            "rules",
            "reasons",
            "status",
            "decision",
            "assigned_to",
        }
        decide_review_item(s, found.items[0]["id"], "needs_more_information", "Ask for the file.", "web1")
    with session_scope(sqlite_engine) as s:
        assert s.scalars(select(ReviewDecision.decision)).all() == ["needs_more_information"]
        assert part_result(s, "review").items[0]["decision"] == "needs_more_information"
