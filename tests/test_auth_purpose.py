"""An analyst switches case without signing out: the account page changes the session's purpose,
the switch is logged, and what they look at afterwards is logged with the new purpose."""

from __future__ import annotations

from sqlalchemy import select

from joindots.audit.tables import AccessLog
from joindots.store.db import session_scope
from web_world import PURPOSE, add_user, build_world, make_client, sign_in

NEXT_CASE = "Operation Lantern: strategy discussion for referral 24/131"


def _log(engine) -> list[AccessLog]:
    with session_scope(engine) as s:
        return list(s.scalars(select(AccessLog).order_by(AccessLog.id)))


def test_an_analyst_switches_case_and_later_reads_are_logged_with_the_new_purpose(engine):
    world = build_world(engine)
    add_user(engine, "analyst1", "analyst")
    client = make_client(engine)
    csrf = sign_in(client, "analyst1")
    client.get(f"/people/{world.alpha}")

    switched = client.post("/account/purpose", data={"csrf_token": csrf, "purpose": NEXT_CASE})
    assert switched.status_code == 303 and switched.headers["location"] == "/account?purpose=1"
    assert NEXT_CASE in client.get("/account").text
    client.get(f"/people/{world.alpha}")

    first, change, second = _log(engine)[-3:]
    assert (first.subject, first.justification) == (f"person {world.alpha}", PURPOSE)
    assert (change.actor, change.action, change.subject) == ("analyst1", "alteration", "user analyst1")
    assert change.justification == NEXT_CASE
    assert change.details == {"what": "session purpose changed", "was": PURPOSE}
    assert (second.subject, second.justification) == (f"person {world.alpha}", NEXT_CASE)


def test_a_vague_purpose_is_refused_and_the_old_one_kept(sqlite_engine):
    add_user(sqlite_engine, "analyst1", "analyst")
    client = make_client(sqlite_engine)
    csrf = sign_in(client, "analyst1")
    reply = client.post("/account/purpose", data={"csrf_token": csrf, "purpose": "stuff"})
    assert reply.status_code == 422 and "10 to 500 characters" in reply.text
    assert PURPOSE in client.get("/account").text
    assert client.post("/account/purpose", data={"purpose": NEXT_CASE}).status_code == 403  # no CSRF token
