"""DPA 2018 s.62 through the web: every consultation, alteration and disclosure is logged with who,
what and the justification the user gave; admins search the log; `joindots audit verify` checks it."""

from __future__ import annotations

import json

from sqlalchemy import select, update
from typer.testing import CliRunner

from joindots.audit.tables import AccessLog
from joindots.auth.users import issue_token
from joindots.cli.main import app as cli
from joindots.store.db import session_scope
from web_world import PURPOSE, add_user, build_world, make_client, sign_in


def _log(engine) -> list[AccessLog]:
    with session_scope(engine) as s:
        return list(s.scalars(select(AccessLog).order_by(AccessLog.id)))


def test_reading_a_person_is_logged_with_the_session_purpose(engine):
    world = build_world(engine)
    add_user(engine, "analyst1", "analyst")
    client = make_client(engine)
    sign_in(client, "analyst1")
    assert client.get(f"/people/{world.alpha}").status_code == 200
    entry = _log(engine)[-1]
    assert (entry.actor, entry.action, entry.subject) == ("analyst1", "consultation", f"person {world.alpha}")
    assert entry.justification == PURPOSE
    assert entry.details["records"] == world.alpha_records


def test_a_search_is_logged_without_the_names_searched_for(engine):
    build_world(engine)
    add_user(engine, "analyst1", "analyst")
    client = make_client(engine)
    csrf = sign_in(client, "analyst1")
    client.post("/people/search", data={"name": "Quillfeather", "csrf_token": csrf})
    entry = _log(engine)[-1]
    assert entry.subject == "people search" and entry.details["criteria"] == ["name"]
    assert entry.details["people_shown"] == ["P000001"]
    assert "Quillfeather" not in json.dumps(entry.details)


def test_signing_in_without_a_purpose_is_refused_for_analysts(sqlite_engine):
    add_user(sqlite_engine, "analyst1", "analyst")
    client = make_client(sqlite_engine)
    form = {"username": "analyst1", "password": "correct horse battery staple", "justification": "op"}
    reply = client.post("/login", data=form)
    assert reply.status_code == 422 and "Say why you are signing in" in reply.text
    assert 'value="analyst1"' in reply.text and 'value="op"' in reply.text  # kept to finish, not retyped
    assert "correct horse battery staple" not in reply.text  # never the password


def test_an_export_is_a_disclosure_with_recipient_and_reason(engine):
    world = build_world(engine)
    add_user(engine, "analyst1", "analyst")
    client = make_client(engine)
    csrf = sign_in(client, "analyst1")
    form = {"csrf_token": csrf, "recipient": "CPS North", "reason": "file for charging decision"}
    client.post(f"/people/{world.alpha}/export", data=form)
    entry = _log(engine)[-1]
    assert (entry.action, entry.recipient, entry.justification) == (
        "disclosure",
        "CPS North",
        "file for charging decision",
    )


def test_a_match_decision_is_an_alteration(engine):
    world = build_world(engine)
    add_user(engine, "analyst1", "analyst")
    client = make_client(engine)
    csrf = sign_in(client, "analyst1")
    form = {"csrf_token": csrf, "decision": "different", "reason": "dates of birth differ; different mothers"}
    assert client.post(f"/matches/{world.pair_id}/decision", data=form).status_code == 303
    entry = _log(engine)[-1]
    assert entry.action == "alteration" and entry.justification == form["reason"]
    assert entry.details["decision"] == "different"
    assert client.get("/matches").text.count('class="card pair"') == 0  # decided pairs leave the list
    again = client.post(f"/matches/{world.pair_id}/decision", data=form)
    assert again.status_code == 409


def test_the_api_needs_a_justification_header_for_personal_data(engine):
    world = build_world(engine)
    add_user(engine, "analyst1", "analyst")
    with session_scope(engine) as s:
        token = issue_token(s, "analyst1", "tests")
    client = make_client(engine)
    auth = {"Authorization": f"Bearer {token}"}
    refused = client.get(f"/api/people/{world.alpha}", headers=auth)
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "justification_required"
    ok = client.get(f"/api/people/{world.alpha}", headers=auth | {"X-Justification": "case 24/117 review"})
    assert ok.status_code == 200 and len(ok.json()["records"]) == 2
    entry = _log(engine)[-1]
    assert entry.justification == "case 24/117 review" and entry.details["via"] == "api-token"
    assert client.get("/api/me", headers={"Authorization": "Bearer jd_wrong"}).status_code == 401


def test_admins_search_the_log_in_the_api_and_page(engine):
    world = build_world(engine)
    add_user(engine, "analyst1", "analyst")
    add_user(engine, "admin1", "admin")
    analyst = make_client(engine)
    sign_in(analyst, "analyst1")
    analyst.get(f"/people/{world.alpha}")
    admin = make_client(engine)
    sign_in(admin, "admin1")
    found = admin.get("/api/audit", params={"actor": "analyst1", "action": "consultation"}).json()
    assert found["total"] == 1 and found["entries"][0]["subject"] == f"person {world.alpha}"
    assert admin.get("/api/audit/verify").json()["ok"] is True
    page = admin.get("/audit", params={"subject": world.alpha})
    assert page.status_code == 200 and PURPOSE in page.text


def test_audit_verify_cli_passes_then_fails_after_tampering(db_env):
    with session_scope(db_env) as s:
        from joindots.audit import Action, record_access

        for i in range(3):
            record_access(
                s,
                actor="analyst1",
                action=Action.CONSULTATION,
                subject=f"person P{i:06d}",
                justification="case review",
            )
    runner = CliRunner()
    ok = runner.invoke(cli, ["audit", "verify"])
    assert ok.exit_code == 0 and "3 entries verified" in ok.output
    listed = runner.invoke(cli, ["audit", "search", "--subject", "P000001"])
    assert listed.exit_code == 0 and "1 entries match" in listed.output
    with session_scope(db_env) as s:
        s.execute(update(AccessLog).where(AccessLog.id == 2).values(justification="nothing to see"))
    broken = runner.invoke(cli, ["audit", "verify"])
    assert broken.exit_code == 1 and "BROKEN at entry 2" in broken.output
