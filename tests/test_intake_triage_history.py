"""Every triage outcome stays on the report: an analyst records "no further action", another changes
it to "referred", and a reviewer on the national operation reads both on the report itself, newest
first, with who and why, on the page, in the API and at the command line (the national audit found
cases dropped with no record of why). Reports triaged before the history existed keep theirs."""

from __future__ import annotations

import datetime as dt
import html
import json

import pytest
from alembic import command
from sqlalchemy import inspect, select, text
from typer.testing import CliRunner

from joindots.audit.tables import AccessLog
from joindots.auth.users import issue_token
from joindots.cli.common import console
from joindots.cli.main import app
from joindots.intake.routing import load_table
from joindots.intake.samples import as_given, child_with_someone_around
from joindots.intake.schemas import DutyToReport, PersonGiven, Reporter
from joindots.intake.service import file_report
from joindots.intake.tables import Report, ReportTriage
from joindots.intake.triage import triage_report
from joindots.settings import get_settings
from joindots.store.db import alembic_config, migrate, session_scope
from web_world import add_user, linked_world, make_client, sign_in

REPORTER = Reporter(name="Wren Ashdown", role="Youth worker", organisation="Eastgate Youth Club")
DROPPED = "She says he is her boyfriend and she does not want the police involved."
REFERRED = "A child of 14 cannot consent: referred for a strategy discussion with social care."


@pytest.fixture
def linked(tmp_path_factory, tmp_path):
    engine = linked_world(tmp_path_factory, tmp_path)
    yield engine
    engine.dispose()


def _filed(engine) -> str:
    known = child_with_someone_around(engine)
    assert known is not None
    report = DutyToReport(
        reporter=REPORTER,
        child=as_given(known.child),
        suspects=[PersonGiven(forename="Ricky")],
        what_happened="Seen being driven away from the club by an older man, twice this week.",
        occurred_on=known.date,
    )
    return file_report(engine, report, "reporter1", load_table()).receipt


def _dropped_then_referred(engine) -> str:
    """analyst1 records no further action on the web page; analyst2 changes it to referred by the API."""
    receipt = _filed(engine)
    first = make_client(engine)
    csrf = sign_in(first, "analyst1")
    form = {"csrf_token": csrf, "outcome": "no_further_action", "reason": DROPPED}
    assert first.post(f"/reports/{receipt}/triage", data=form).status_code == 303
    add_user(engine, "analyst2", "analyst")
    with session_scope(engine) as s:
        token = issue_token(s, "analyst2", "tests")
    api = {"Authorization": f"Bearer {token}", "X-Justification": "second look at dropped reports"}
    body = {"outcome": "referred", "reason": REFERRED}
    assert (
        make_client(engine).post(f"/api/reports/{receipt}/triage", json=body, headers=api).status_code == 200
    )
    return receipt


def _viewed(engine, receipt: str) -> list[str]:
    with session_scope(engine) as s:
        query = select(AccessLog.actor).where(
            AccessLog.subject == f"report {receipt}", AccessLog.action == "consultation"
        )
        return list(s.scalars(query.order_by(AccessLog.id)))


def test_a_changed_outcome_keeps_the_one_it_replaced_with_who_and_why_on_the_report_page(linked):
    receipt = _dropped_then_referred(linked)
    reviewer = make_client(linked)
    csrf = sign_in(reviewer, "admin1")
    page = reviewer.get(f"/reports/{receipt}").text
    assert "<strong>Referred for a strategy discussion</strong>: by analyst2" in page  # the latest
    trail = page[
        page.index('id="triage-history"') : page.index("</table>", page.index('id="triage-history"'))
    ]
    rows = trail.split("<tr>")[2:]  # after the header's row
    assert len(rows) == 2
    newest, earlier = rows
    assert "Referred for a strategy discussion" in newest and "analyst2" in newest
    assert html.escape(REFERRED) in newest
    assert "No further action" in earlier and "analyst1" in earlier and html.escape(DROPPED) in earlier
    assert _viewed(linked, receipt) == ["admin1"]  # viewing is a consultation, as ever
    refused = {"csrf_token": csrf, "outcome": "shelved", "reason": "Someone else will deal with it."}
    assert reviewer.post(f"/reports/{receipt}/triage", data=refused).status_code == 422

    with session_scope(linked) as s:
        report = s.scalars(select(Report).where(Report.receipt == receipt)).one()
        latest = (report.triage, report.triaged_by, report.triage_note)
        assert latest == ("referred", "analyst2", REFERRED)  # the filters still read the latest
        stored = s.scalars(select(ReportTriage).where(ReportTriage.report_id == report.id)).all()
        assert [t.outcome for t in stored] == ["no_further_action", "referred"]  # nothing for the refusal
        assert stored[1].triaged_at == report.triaged_at


def test_the_api_and_the_command_line_give_the_whole_trail_newest_first(linked, monkeypatch):
    receipt = _dropped_then_referred(linked)
    with session_scope(linked) as s:
        token = issue_token(s, "analyst1", "tests")
    api = {"Authorization": f"Bearer {token}", "X-Justification": "national operation review"}
    reply = make_client(linked).get(f"/api/reports/{receipt}", headers=api)
    assert reply.status_code == 200, reply.text
    given = reply.json()
    trail = [(t["outcome"], t["triaged_by"], t["note"]) for t in given["triage_history"]]
    assert trail == [("referred", "analyst2", REFERRED), ("no_further_action", "analyst1", DROPPED)]
    assert given["triage_history"][0]["triaged_at"] == given["triaged_at"]
    assert given["triage_history"][0]["triaged_at"] > given["triage_history"][1]["triaged_at"]
    assert given["triage"] == "referred"

    monkeypatch.setenv("JOINDOTS_DATABASE_URL", linked.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    monkeypatch.setattr(console, "width", 300)
    runner = CliRunner()
    printed = runner.invoke(app, ["report", receipt, "--why", "national operation review"])
    as_json = runner.invoke(app, ["report", receipt, "--json", "--why", "national operation review"])
    get_settings.cache_clear()
    assert printed.exit_code == 0, printed.output
    assert "Triage history" in printed.output
    newest = printed.output.index(f"referred for a strategy discussion, by analyst2. \u201c{REFERRED}\u201d")
    earlier = printed.output.index(f"no further action, by analyst1. \u201c{DROPPED}\u201d")
    assert newest < earlier
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.output)["triage_history"] == given["triage_history"]  # the API's shape
    assert _viewed(linked, receipt) == ["analyst1", "cli", "cli"]  # each reading logged


def _report_at_0007(conn, report_id: int, receipt: str, triage: dict | None) -> None:
    triaged = triage or {"triage": None, "by": None, "at": None, "note": None}
    conn.execute(
        text(
            "insert into event (id, batch_id, source, ref, type) values (:id, 1, 'reports', :receipt, 'report')"
        ),
        {"id": report_id, "receipt": receipt},
    )
    conn.execute(
        text(
            "insert into intake_report (id, receipt, kind, filed_by, filed_at, payload, routed_by_postcode,"
            " event_id, match_status, matches, triage, triaged_by, triaged_at, triage_note) values (:id,"
            " :receipt, 'duty_to_report', 'reporter1', :filed, '{}', false, :id, 'matched', '[]', :triage,"
            " :by, :at, :note)"
        ),
        {"id": report_id, "receipt": receipt, "filed": dt.datetime(2026, 12, 1, 9, 0)} | triaged,
    )


def test_reports_triaged_before_the_history_existed_keep_their_triage_in_it(engine) -> None:
    """Migration 0008 on both databases: a report triaged at 0007 has that triage as its first
    history entry, one awaiting triage has none, and the next outcome goes on top."""
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    at = dt.datetime(2026, 12, 2, 14, 5)
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0007")
        assert "intake_report_triage" not in inspect(engine).get_table_names()  # downgrade drops it
        with engine.begin() as conn:
            conn.execute(
                text(
                    "insert into load_batch (id, source, file_name, file_sha256, mapping_sha256, started_at,"
                    " status, rows_read, rows_loaded, rows_quarantined, rows_already_loaded, report)"
                    " values (1, 'reports', 'reports', 'x', 'x', :at, 'loaded', 2, 2, 0, 0, '{}')"
                ),
                {"at": at},
            )
            old = {"triage": "no_further_action", "by": "analyst1", "at": at, "note": DROPPED}
            _report_at_0007(conn, 1, "JD-DROPPED", old)
            _report_at_0007(conn, 2, "JD-WAITING", None)
    finally:
        migrate(engine)
    with session_scope(engine) as s:
        stored = [
            (t.report_id, t.outcome, t.triaged_by, t.triaged_at, t.note)
            for t in s.scalars(select(ReportTriage))
        ]
        assert stored == [(1, "no_further_action", "analyst1", at, DROPPED)]
        triage_report(s, "JD-DROPPED", "referred", REFERRED, "analyst2")
    with session_scope(engine) as s:
        trail = s.scalars(select(ReportTriage).order_by(ReportTriage.triaged_at.desc())).all()
        assert [(t.outcome, t.triaged_by) for t in trail] == [
            ("referred", "analyst2"),
            ("no_further_action", "analyst1"),
        ]
