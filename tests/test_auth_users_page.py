"""An admin on the Users page: sees who may sign in, disables a leaver (their session ends at once),
cannot lock themselves out, resets a forgotten password (shown once); every act asks why."""

from __future__ import annotations

from sqlalchemy import select

from joindots.audit.tables import AccessLog
from joindots.auth.users import issue_token
from joindots.store.db import session_scope
from web_world import add_user, make_client, sign_in


def _admin_and_analyst(engine):
    add_user(engine, "admin1", "admin")
    add_user(engine, "analyst1", "analyst")
    admin, analyst = make_client(engine), make_client(engine)
    return admin, sign_in(admin, "admin1"), analyst


def test_an_admin_disables_a_leaver_and_their_session_ends(engine):
    admin, csrf, analyst = _admin_and_analyst(engine)
    sign_in(analyst, "analyst1")
    with session_scope(engine) as s:
        token = issue_token(s, "analyst1", "nightly export")
    page = admin.get("/users")
    assert page.status_code == 200 and "analyst1" in page.text and 'href="/users"' in page.text
    assert token not in admin.get("/users/analyst1").text

    done = admin.post("/users/analyst1/disable", data={"csrf_token": csrf, "why": "left the team, HR-1044"})
    assert (
        done.status_code == 200
        and "analyst1 is disabled" in done.text
        and "1 token(s) were revoked" in done.text
    )
    assert analyst.get("/").headers["location"] == "/login"
    assert analyst.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    with session_scope(engine) as s:
        entry = s.scalars(select(AccessLog).order_by(AccessLog.id.desc())).first()
        assert (entry.actor, entry.subject, entry.justification) == (
            "admin1",
            "user analyst1",
            "left the team, HR-1044",
        )

    back = admin.post("/users/analyst1/enable", data={"csrf_token": csrf, "why": "rejoined the team"})
    assert back.status_code == 200 and "may sign in again" in back.text
    sign_in(analyst, "analyst1")


def test_an_admin_cannot_disable_themselves_nor_act_without_saying_why(sqlite_engine):
    admin, csrf, _ = _admin_and_analyst(sqlite_engine)
    own = admin.post("/users/admin1/disable", data={"csrf_token": csrf, "why": "testing the button"})
    assert own.status_code == 409 and "your own account" in own.text
    assert admin.get("/users").status_code == 200  # still signed in
    short = admin.post("/users/analyst1/disable", data={"csrf_token": csrf, "why": "no"})
    assert short.status_code == 422 and "say why" in short.text
    missing = admin.post("/users/analyst1/disable", data={"csrf_token": csrf})
    assert missing.status_code == 422
    assert admin.get("/users/nobody").status_code == 404


def test_a_reset_password_is_shown_once_and_opens_only_the_account_page(sqlite_engine):
    admin, csrf, analyst = _admin_and_analyst(sqlite_engine)
    reset = admin.post(
        "/users/analyst1/reset-password", data={"csrf_token": csrf, "why": "forgot it, phoned the desk"}
    )
    assert reset.status_code == 200
    marker = '<code class="secret">'
    secret = reset.text[reset.text.index(marker) + len(marker) :].split("<", 1)[0]
    assert secret not in admin.get("/users/analyst1").text
    signed = analyst.post(
        "/login", data={"username": "analyst1", "password": secret, "justification": "operation testbed"}
    )
    assert signed.headers["location"] == "/account"
    assert analyst.get("/people").status_code == 403


def test_other_roles_have_no_users_page(sqlite_engine):
    _, _, analyst = _admin_and_analyst(sqlite_engine)
    csrf = sign_in(analyst, "analyst1")
    assert analyst.get("/users").status_code == 403
    assert (
        analyst.post("/users/analyst1/enable", data={"csrf_token": csrf, "why": "let me in"}).status_code
        == 403
    )
    assert 'href="/users"' not in analyst.get("/").text


def test_of_two_admins_one_disables_the_other_and_the_one_left_cannot_be_disabled(sqlite_engine):
    add_user(sqlite_engine, "admin1", "admin")
    add_user(sqlite_engine, "admin2", "admin")
    first, second = make_client(sqlite_engine), make_client(sqlite_engine)
    csrf = sign_in(first, "admin1")
    sign_in(second, "admin2")

    done = first.post("/users/admin2/disable", data={"csrf_token": csrf, "why": "left the team, HR-1044"})
    assert done.status_code == 200 and "admin2 is disabled" in done.text
    assert second.get("/users").headers["location"] == "/login"  # nobody is left to disable admin1

    own = first.post("/users/admin1/disable", data={"csrf_token": csrf, "why": "testing the button"})
    assert own.status_code == 409 and 'class="error"' in own.text
    assert "active" in first.get("/users/admin1").text
    with session_scope(sqlite_engine) as s:
        logged = s.scalars(select(AccessLog.subject).where(AccessLog.subject.like("user %"))).all()
        assert logged == ["user admin2"]  # the refusal is not logged as if it had happened
