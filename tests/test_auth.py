"""Users, passwords and tokens: no default password, nothing secret stored in the clear, sessions
that end, and the commands an admin uses to let people in."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from typer.testing import CliRunner

from joindots.auth.ratelimit import LoginLimiter
from joindots.auth.tables import ApiToken, User, WebSession
from joindots.auth.users import authenticate, create_user, issue_token, set_password, token_principal
from joindots.cli.main import app as cli
from joindots.errors import Conflict, InvalidInput
from joindots.store.db import session_scope
from web_world import PASSWORD, add_user, make_client, sign_in


def test_a_new_user_gets_a_one_time_secret_stored_only_as_argon2(engine):
    with session_scope(engine) as s:
        secret = create_user(s, "analyst1", "analyst", created_by="admin1")
    with session_scope(engine) as s:
        user = s.scalars(select(User)).one()
        assert user.password_hash.startswith("$argon2id$") and secret not in user.password_hash
        assert authenticate(s, "analyst1", secret) is not None
        assert authenticate(s, "analyst1", secret + "x") is None
        assert authenticate(s, "nobody", secret) is None


def test_usernames_roles_and_duplicates_are_checked(sqlite_engine):
    with session_scope(sqlite_engine) as s:
        create_user(s, "analyst1", "analyst", created_by="t")
        for bad in (("Analyst 2", "analyst"), ("analyst2", "superuser")):
            try:
                create_user(s, *bad, created_by="t")
            except InvalidInput:
                continue
            raise AssertionError(f"{bad} was accepted")
        try:
            create_user(s, "analyst1", "analyst", created_by="t")
        except Conflict:
            return
    raise AssertionError("a duplicate username was accepted")


def test_api_tokens_are_stored_hashed_and_can_be_revoked(engine):
    add_user(engine, "analyst1", "analyst")
    with session_scope(engine) as s:
        token = issue_token(s, "analyst1", "nightly export")
    with session_scope(engine) as s:
        stored = s.scalars(select(ApiToken)).one()
        assert token not in stored.token_hash and token_principal(s, token).username == "analyst1"
        stored.revoked_at = dt.datetime(2024, 1, 1)
    with session_scope(engine) as s:
        assert token_principal(s, token) is None


def test_an_idle_session_ends(sqlite_engine):
    add_user(sqlite_engine, "analyst1", "analyst")
    client = make_client(sqlite_engine, session_idle_minutes=5)
    sign_in(client, "analyst1")
    assert client.get("/").status_code == 200
    with session_scope(sqlite_engine) as s:
        s.execute(update(WebSession).values(last_seen_at=dt.datetime(2020, 1, 1)))
    assert client.get("/").headers["location"] == "/login"


def test_signing_out_ends_the_session_on_the_server(sqlite_engine):
    add_user(sqlite_engine, "analyst1", "analyst")
    client = make_client(sqlite_engine)
    csrf = sign_in(client, "analyst1")
    cookie = client.cookies.get("jd_session")
    client.post("/logout", data={"csrf_token": csrf})
    client.cookies.set("jd_session", cookie)  # replaying the old cookie does not work
    assert client.get("/").status_code == 303
    with session_scope(sqlite_engine) as s:
        assert s.scalars(select(WebSession)).one().ended_at is not None
        assert cookie not in s.scalars(select(WebSession.id_hash)).one()


def test_create_admin_prints_a_one_time_secret_that_works(db_env):
    runner = CliRunner()
    made = runner.invoke(cli, ["create-admin", "admin1"])
    assert made.exit_code == 0, made.output
    secret = made.output.strip().splitlines()[-1].strip()
    with session_scope(db_env) as s:
        assert authenticate(s, "admin1", secret).role == "admin"
    again = runner.invoke(cli, ["create-admin", "admin1"])
    assert again.exit_code == 1 and "already exists" in again.output


def test_user_add_and_token_commands(db_env):
    runner = CliRunner()
    added = runner.invoke(cli, ["user", "add", "reporter7", "--role", "reporter"])
    assert added.exit_code == 0 and "reporter7" in added.output
    bad = runner.invoke(cli, ["user", "add", "x7", "--role", "overlord"])
    assert bad.exit_code != 0
    with session_scope(db_env) as s:  # a token waits until they have chosen their own password
        set_password(s, "reporter7", PASSWORD)
    token = runner.invoke(
        cli, ["user", "token", "reporter7", "--why", "reports from the hotel desk"]
    ).stdout.strip()
    client = make_client(db_env)
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).json() == {
        "username": "reporter7",
        "role": "reporter",
    }


def test_the_limiter_counts_per_key_within_its_window():
    limiter = LoginLimiter(max_failures=2, window_seconds=60)
    limiter.failed("user:a", "addr:1")
    assert limiter.retry_after("user:a") == 0
    limiter.failed("user:a", "addr:1")
    assert limiter.retry_after("user:a") > 0 and limiter.retry_after("addr:1") > 0
    assert limiter.retry_after("user:b", "addr:2") == 0
    limiter.succeeded("user:a")
    assert limiter.retry_after("user:a") == 0


def test_a_reporter_signs_in_without_a_purpose(sqlite_engine):
    add_user(sqlite_engine, "reporter1", "reporter")
    client = make_client(sqlite_engine)
    reply = client.post("/login", data={"username": "reporter1", "password": PASSWORD})
    assert reply.status_code == 303 and reply.headers["location"] == "/reports/mine"
