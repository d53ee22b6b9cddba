"""API tokens as their holders meet them: they expire, a password change revokes them, they wait
for a one-time password to be replaced, a token cannot issue another, and issuing one is logged."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from joindots.audit.tables import AccessLog
from joindots.auth.accounts import mint_token
from joindots.auth.tables import ApiToken, User
from joindots.auth.users import issue_token, token_principal
from joindots.errors import Conflict, InvalidInput
from joindots.store.db import session_scope
from web_world import PASSWORD, PURPOSE, add_user, make_client, sign_in


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _entries(engine, subject: str) -> list[AccessLog]:
    with session_scope(engine) as s:
        return list(s.scalars(select(AccessLog).where(AccessLog.subject == subject).order_by(AccessLog.id)))


def test_changing_my_password_revokes_my_tokens(sqlite_engine):
    """An analyst who fears their nightly-export token leaked changes their password: the token dies."""
    add_user(sqlite_engine, "analyst1", "analyst")
    with session_scope(sqlite_engine) as s:
        token = issue_token(s, "analyst1", "nightly export")
    client = make_client(sqlite_engine)
    assert client.get("/api/me", headers=_bearer(token)).status_code == 200
    csrf = sign_in(client, "analyst1")
    form = {
        "csrf_token": csrf,
        "current": PASSWORD,
        "new": "a brand new passphrase",
        "repeat": "a brand new passphrase",
    }
    assert client.post("/account/password", data=form).status_code == 303
    refused = client.get("/api/me", headers=_bearer(token))
    assert refused.status_code == 401 and "revoked" in refused.json()["error"]["message"]


def test_a_token_expires(engine):
    add_user(engine, "analyst1", "analyst")
    with session_scope(engine) as s:
        token = issue_token(s, "analyst1", "short job", days=1)
        stored = s.scalars(select(ApiToken)).one()
        assert dt.timedelta(hours=23) < stored.expires_at - stored.created_at <= dt.timedelta(days=1)
        assert token_principal(s, token).username == "analyst1"
    with session_scope(engine) as s:  # a day and a minute later
        s.execute(update(ApiToken).values(expires_at=dt.datetime.now(dt.UTC).replace(tzinfo=None)))
    with session_scope(engine) as s:
        assert token_principal(s, token) is None
    reply = make_client(engine).get("/api/me", headers=_bearer(token))
    assert reply.status_code == 401 and "expired" in reply.json()["error"]["message"]


def test_a_token_lasts_the_configured_days_and_no_longer(sqlite_engine):
    add_user(sqlite_engine, "analyst1", "analyst")
    with session_scope(sqlite_engine) as s:
        issued = mint_token(s, "analyst1", "export", actor="admin1", why="nightly export job", max_days=7)
        assert dt.timedelta(days=6, hours=23) < issued.expires_at - dt.datetime.now(dt.UTC).replace(
            tzinfo=None
        )
        try:
            mint_token(s, "analyst1", "export", actor="admin1", why="nightly export job", days=8, max_days=7)
        except InvalidInput as exc:
            assert "at most 7 days" in str(exc)
        else:
            raise AssertionError("a token longer than the setting allows was issued")


def test_a_token_waits_until_a_one_time_password_is_replaced(sqlite_engine):
    """A token issued (before this release) to a user still on their one-time password is refused
    everywhere in the API until they choose their own; no new one is issued meanwhile."""
    add_user(sqlite_engine, "analyst1", "analyst")
    with session_scope(sqlite_engine) as s:
        token = issue_token(s, "analyst1", "nightly export")
        s.execute(update(User).values(password_must_change=True))
    reply = make_client(sqlite_engine).get(
        "/api/people/P000001", headers=_bearer(token) | {"X-Justification": "case 24/117"}
    )
    assert reply.status_code == 403 and reply.json()["error"]["code"] == "password_change_required"
    with session_scope(sqlite_engine) as s:
        try:
            issue_token(s, "analyst1", "another")
        except Conflict as exc:
            assert "one-time password" in str(exc)
        else:
            raise AssertionError("a token was issued to a user on a one-time password")


def test_i_issue_my_own_token_from_the_browser_and_it_is_logged(engine):
    add_user(engine, "analyst1", "analyst")
    client = make_client(engine)
    csrf = sign_in(client, "analyst1")
    reply = client.post(
        "/api/tokens", json={"label": "case notebook", "days": 30}, headers={"X-CSRF-Token": csrf}
    )
    assert reply.status_code == 201, reply.text
    issued = reply.json()
    assert client.get("/api/me", headers=_bearer(issued["token"])).json()["username"] == "analyst1"
    entry = _entries(engine, "user analyst1")[-1]
    assert (entry.actor, entry.action, entry.justification) == ("analyst1", "alteration", PURPOSE)
    assert entry.details["what"] == "API token issued" and entry.details["token_id"] == issued["id"]
    assert issued["token"] not in str(entry.details)
    listed = client.get("/api/tokens").json()
    assert [(t["label"], t["state"]) for t in listed] == [("case notebook", "live")]
    assert "token" not in listed[0] and "token_hash" not in listed[0]


def test_a_token_cannot_issue_another(sqlite_engine):
    """Else a stolen token could renew itself for ever and no expiry would hold."""
    add_user(sqlite_engine, "analyst1", "analyst")
    with session_scope(sqlite_engine) as s:
        token = issue_token(s, "analyst1", "nightly export")
    reply = make_client(sqlite_engine).post("/api/tokens", json={"label": "fresh"}, headers=_bearer(token))
    assert reply.status_code == 403 and "cannot issue another" in reply.json()["error"]["message"]


def test_asking_for_a_token_longer_than_the_setting_is_refused(sqlite_engine):
    add_user(sqlite_engine, "analyst1", "analyst")
    client = make_client(sqlite_engine, api_token_days=30)
    csrf = sign_in(client, "analyst1")
    reply = client.post("/api/tokens", json={"label": "long", "days": 60}, headers={"X-CSRF-Token": csrf})
    assert reply.status_code == 422 and "at most 30 days" in reply.json()["error"]["message"]


def test_i_revoke_my_own_token_on_my_account_page_and_it_is_logged(sqlite_engine):
    add_user(sqlite_engine, "analyst1", "analyst")
    add_user(sqlite_engine, "analyst2", "analyst")
    with session_scope(sqlite_engine) as s:
        mine, theirs = issue_token(s, "analyst1", "laptop"), issue_token(s, "analyst2", "laptop")
        ids = dict(
            s.execute(select(User.username, ApiToken.id).join(User, User.id == ApiToken.user_id)).all()
        )
    client = make_client(sqlite_engine)
    csrf = sign_in(client, "analyst1")
    assert f'action="/account/tokens/{ids["analyst1"]}/revoke"' in client.get("/account").text
    refused = client.post(f"/account/tokens/{ids['analyst2']}/revoke", data={"csrf_token": csrf})
    assert refused.status_code == 409  # only my own
    done = client.post(f"/account/tokens/{ids['analyst1']}/revoke", data={"csrf_token": csrf})
    assert done.status_code == 200 and f"Token {ids['analyst1']} revoked." in done.text
    assert client.get("/api/me", headers=_bearer(mine)).status_code == 401
    assert client.get("/api/me", headers=_bearer(theirs)).status_code == 200
    entry = _entries(sqlite_engine, "user analyst1")[-1]
    assert (entry.actor, entry.details["what"], entry.justification) == (
        "analyst1",
        "API tokens revoked",
        "revoked by its holder",
    )
