"""An analyst records what was done about each report, and why: the reports awaiting triage are one
click away, an outcome can be changed, and each outcome is an alteration in the access log (the
national audit found cases dropped with no record of why)."""

from __future__ import annotations

from typing import get_args

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from joindots.audit.tables import AccessLog
from joindots.auth.users import issue_token
from joindots.cli.common import console
from joindots.cli.main import app
from joindots.intake.routing import load_table
from joindots.intake.samples import as_given, child_with_someone_around
from joindots.intake.schemas import DutyToReport, PersonGiven, Reporter
from joindots.intake.service import file_report
from joindots.intake.triage import OUTCOMES
from joindots.settings import get_settings
from joindots.store.db import session_scope
from joindots.web.api.models import TriageRequest
from web_world import add_user, linked_world, make_client, sign_in

REPORTER = Reporter(name="Wren Ashdown", role="Youth worker", organisation="Eastgate Youth Club")


@pytest.fixture
def linked(tmp_path_factory, tmp_path):
    engine = linked_world(tmp_path_factory, tmp_path)
    yield engine
    engine.dispose()


def _filed(engine, suspect: str = "Ricky") -> str:
    known = child_with_someone_around(engine)
    assert known is not None
    report = DutyToReport(
        reporter=REPORTER,
        child=as_given(known.child),
        suspects=[PersonGiven(forename=suspect)],
        what_happened="Seen being driven away from the club by an older man, twice this week.",
        occurred_on=known.date,
    )
    return file_report(engine, report, "reporter1", load_table()).receipt


def _alterations(engine, receipt: str) -> list[AccessLog]:
    with session_scope(engine) as s:
        query = select(AccessLog).where(
            AccessLog.subject == f"report {receipt}", AccessLog.action == "alteration"
        )
        rows = s.scalars(query.order_by(AccessLog.id)).all()
        for row in rows:
            s.expunge(row)
        return rows


def test_an_analyst_records_what_was_done_and_the_report_leaves_the_awaiting_list(linked):
    receipt, other = _filed(linked), _filed(linked, "Sonny")
    admin = make_client(linked)
    add_user(linked, "admin9", "admin")
    csrf = sign_in(admin, "admin9")
    awaiting = admin.get("/reports?awaiting=1").text
    assert receipt in awaiting and other in awaiting and "Awaiting triage (2)" in awaiting
    assert "Awaiting triage: no one has recorded" in admin.get(f"/reports/{receipt}").text

    why = "Referred to the CSE team for the strategy discussion on Monday."
    form = {"csrf_token": csrf, "outcome": "referred", "reason": why}
    reply = admin.post(f"/reports/{receipt}/triage", data=form)
    assert reply.status_code == 303 and reply.headers["location"] == f"/reports/{receipt}#triage"
    page = admin.get(f"/reports/{receipt}").text
    assert "<strong>Referred for a strategy discussion</strong>: by admin9" in page and why in page
    awaiting = admin.get("/reports?awaiting=1").text
    assert receipt not in awaiting and other in awaiting and "Awaiting triage (1)" in awaiting
    assert "referred for a strategy discussion" in admin.get("/reports").text  # the list says what was done

    form = {"csrf_token": csrf, "outcome": "existing", "reason": "Already part of Operation Larch."}
    assert admin.post(f"/reports/{receipt}/triage", data=form).status_code == 303
    logged = _alterations(linked, receipt)
    assert [(e.actor, e.details["triage"], e.details["was"]) for e in logged] == [
        ("admin9", "referred", None),
        ("admin9", "existing", "referred"),
    ]
    assert logged[0].justification == why


def test_no_further_action_needs_its_reason_too(linked):
    receipt = _filed(linked)
    admin = make_client(linked)
    add_user(linked, "admin9", "admin")
    csrf = sign_in(admin, "admin9")
    form = {"csrf_token": csrf, "outcome": "no_further_action", "reason": ""}
    assert admin.post(f"/reports/{receipt}/triage", data=form).status_code == 422
    form = {"csrf_token": csrf, "outcome": "shelved", "reason": "Not our area, someone else will."}
    assert admin.post(f"/reports/{receipt}/triage", data=form).status_code == 422
    assert _alterations(linked, receipt) == []
    assert receipt in admin.get("/reports?awaiting=1").text


def test_the_api_and_the_command_line_triage_and_list_what_awaits(linked, monkeypatch):
    receipt, other = _filed(linked), _filed(linked, "Sonny")
    with session_scope(linked) as s:
        token = issue_token(s, "analyst1", "tests")
    client = make_client(linked)
    api = {"Authorization": f"Bearer {token}", "X-Justification": "daily intake triage"}
    body = {"outcome": "referred", "reason": "Strategy discussion with children's social care."}
    reply = client.post(f"/api/reports/{receipt}/triage", json=body, headers=api)
    assert reply.status_code == 200, reply.text
    assert (reply.json()["triage"], reply.json()["triaged_by"]) == ("referred", "analyst1")
    waiting = client.get("/api/reports?awaiting=true", headers=api)
    assert [r["receipt"] for r in waiting.json()] == [other] and waiting.headers["X-Total-Count"] == "1"
    assert client.post("/api/reports/JD-NOSUCH/triage", json=body, headers=api).status_code == 404

    monkeypatch.setenv("JOINDOTS_DATABASE_URL", linked.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    monkeypatch.setattr(console, "width", 300)
    runner = CliRunner()
    done = runner.invoke(
        app, ["triage", other, "--outcome", "no_further_action", "--why", "Duplicate of JD report."]
    )
    assert done.exit_code == 0, done.output
    assert f"{other}: no further action, by cli" in done.output
    bad = runner.invoke(app, ["triage", other, "--outcome", "shelved", "--why", "whatever it is"])
    assert bad.exit_code != 0 and "one of: referred, existing, no_further_action" in bad.output
    left = runner.invoke(app, ["reports", "--awaiting", "--why", "what is left to triage"])
    get_settings.cache_clear()
    assert receipt not in left.output and other not in left.output


def test_the_form_offers_exactly_the_outcomes_the_service_takes():
    assert set(get_args(TriageRequest.model_fields["outcome"].annotation)) == set(OUTCOMES)
