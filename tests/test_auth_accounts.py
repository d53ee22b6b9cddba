"""An admin at the command line: disables and enables a user, lists and revokes their tokens, resets
a forgotten password; each is in the access log with who and why. The last active admin cannot be
disabled, so someone can always manage users."""

from __future__ import annotations

from sqlalchemy import select
from typer.testing import CliRunner

from joindots.audit import verify_chain
from joindots.audit.tables import AccessLog
from joindots.auth.users import authenticate, issue_token, user_named
from joindots.cli.main import app as cli
from joindots.store.db import session_scope
from web_world import PASSWORD, add_user, make_client, sign_in

WHY = "left the team, ticket HR-1044"


def _run(*args: str):
    return CliRunner().invoke(cli, list(args), env={"JOINDOTS_USER": "admin1"})


def _user_entries(engine, username: str) -> list[AccessLog]:
    with session_scope(engine) as s:
        found = s.scalars(
            select(AccessLog).where(AccessLog.subject == f"user {username}").order_by(AccessLog.id)
        )
        return list(found)


def _token(engine, username: str, label: str = "nightly export") -> str:
    with session_scope(engine) as s:
        return issue_token(s, username, label)


def test_a_disabled_user_is_out_at_once_and_enabling_does_not_bring_their_tokens_back(db_env):
    add_user(db_env, "analyst1", "analyst")
    token = _token(db_env, "analyst1")
    browser = make_client(db_env)
    sign_in(browser, "analyst1")

    done = _run("user", "disable", "analyst1", "--why", WHY)
    assert done.exit_code == 0, done.output
    assert "1 token(s) revoked" in done.stdout
    assert browser.get("/").headers["location"] == "/login"  # their open session ended
    assert browser.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert (
        browser.post(
            "/login", data={"username": "analyst1", "password": PASSWORD, "justification": "x" * 12}
        ).status_code
        == 401
    )

    assert _run("user", "enable", "analyst1", "--why", "back from secondment").exit_code == 0
    sign_in(make_client(db_env), "analyst1")
    assert browser.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401

    entries = _user_entries(db_env, "analyst1")
    assert [(e.actor, e.action, e.details["what"], e.justification) for e in entries] == [
        ("admin1", "alteration", "disabled", WHY),
        ("admin1", "alteration", "enabled", "back from secondment"),
    ]
    with session_scope(db_env) as s:
        assert verify_chain(s).ok


def test_disabling_twice_or_without_a_reason_is_refused(cli_db):
    add_user(cli_db, "analyst1", "analyst")
    assert _run("user", "disable", "analyst1").exit_code == 2  # --why is required
    assert _run("user", "disable", "analyst1", "--why", "no").exit_code == 2
    assert _run("user", "disable", "analyst1", "--why", WHY).exit_code == 0
    again = _run("user", "disable", "analyst1", "--why", WHY)
    assert again.exit_code == 1 and "already disabled" in again.output
    assert _run("user", "disable", "nobody", "--why", WHY).exit_code == 1


def test_an_admin_lists_a_users_tokens_and_revokes_one_then_all(cli_db):
    add_user(cli_db, "analyst1", "analyst")
    first, second = _token(cli_db, "analyst1", "nightly export"), _token(cli_db, "analyst1", "case notebook")
    listed = _run("user", "tokens", "analyst1")
    assert listed.exit_code == 0 and "nightly export" in listed.stdout and "case notebook" in listed.stdout
    assert first not in listed.stdout and second not in listed.stdout

    one = _run("user", "revoke-tokens", "analyst1", "--token", "1", "--why", "laptop stolen, ticket 88")
    assert one.exit_code == 0 and "1 token(s)" in one.stdout
    client = make_client(cli_db)
    assert client.get("/api/me", headers={"Authorization": f"Bearer {first}"}).status_code == 401
    assert client.get("/api/me", headers={"Authorization": f"Bearer {second}"}).status_code == 200

    assert _run("user", "revoke-tokens", "analyst1", "--why", "rotating all credentials").exit_code == 0
    assert client.get("/api/me", headers={"Authorization": f"Bearer {second}"}).status_code == 401
    assert "revoked" in _run("user", "tokens", "analyst1").stdout
    whats = [(e.details["what"], e.details["tokens"]) for e in _user_entries(cli_db, "analyst1")]
    assert whats == [("API tokens revoked", 1), ("API tokens revoked", 1)]


def test_issuing_a_token_at_the_command_line_is_logged_and_it_expires(cli_db):
    add_user(cli_db, "reporter7", "reporter")
    made = _run(
        "user", "token", "reporter7", "--label", "hotel desk", "--days", "7", "--why", "hotel desk intake"
    )
    assert made.exit_code == 0, made.output
    token = made.stdout.strip()
    assert "expires" in made.stderr and token.startswith("jd_")
    entry = _user_entries(cli_db, "reporter7")[-1]
    assert (entry.actor, entry.details["what"], entry.details["label"]) == (
        "admin1",
        "API token issued",
        "hotel desk",
    )
    too_long = _run("user", "token", "reporter7", "--days", "400", "--why", "hotel desk intake")
    assert too_long.exit_code == 2


def test_a_forgotten_password_is_reset_to_a_one_time_one(cli_db):
    add_user(cli_db, "analyst1", "analyst")
    token = _token(cli_db, "analyst1")
    reset = _run("user", "reset-password", "analyst1", "--why", "forgot password, phoned the desk")
    assert reset.exit_code == 0, reset.output
    secret = reset.stdout.strip().splitlines()[-1].strip()
    with session_scope(cli_db) as s:
        assert authenticate(s, "analyst1", PASSWORD) is None
        user = authenticate(s, "analyst1", secret)
        assert user is not None and user.password_must_change
    client = make_client(cli_db)
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert "one-time" in _run("user", "list").stdout
    assert _user_entries(cli_db, "analyst1")[-1].details["what"] == "password reset"
    assert secret not in str(_user_entries(cli_db, "analyst1")[-1].details)


def test_adding_a_user_is_in_the_access_log_with_who_added_them_as_what_and_why(db_env):
    made = _run("user", "add", "reviewer7", "--role", "reviewer", "--why", "joins Operation Larch, ticket 88")
    admin = _run("create-admin", "admin7")
    assert made.exit_code == 0 and admin.exit_code == 0, made.output + admin.output
    (added,) = _user_entries(db_env, "reviewer7")
    assert (added.actor, added.action, added.details, added.justification) == (
        "admin1",
        "alteration",
        {"what": "created", "role": "reviewer"},
        "joins Operation Larch, ticket 88",
    )
    assert [e.details["role"] for e in _user_entries(db_env, "admin7")] == ["admin"]
    with session_scope(db_env) as s:
        assert verify_chain(s).ok


def _active(engine, username: str) -> bool:
    with session_scope(engine) as s:
        return user_named(s, username).active


def test_the_only_active_admin_cannot_be_disabled_at_the_command_line(cli_db):
    add_user(cli_db, "root", "admin")
    add_user(cli_db, "analyst1", "analyst")

    refused = _run("user", "disable", "root", "--why", WHY)
    assert refused.exit_code == 1
    assert "last active admin" in refused.output and "Traceback" not in refused.output
    assert _active(cli_db, "root")
    assert _user_entries(cli_db, "root") == []  # nothing logged as if it had happened
    assert _run("user", "disable", "analyst1", "--why", WHY).exit_code == 0  # other roles as ever


def test_with_two_admins_one_may_be_disabled_and_then_the_other_may_not(db_env):
    add_user(db_env, "root", "admin")
    add_user(db_env, "deputy", "admin")

    assert _run("user", "disable", "deputy", "--why", WHY).exit_code == 0
    refused = _run("user", "disable", "root", "--why", WHY)
    assert refused.exit_code == 1 and "'root' is the last active admin" in refused.output
    assert _active(db_env, "root") and not _active(db_env, "deputy")

    assert _run("user", "enable", "deputy", "--why", "back from secondment").exit_code == 0
    assert _run("user", "disable", "root", "--why", WHY).exit_code == 0  # deputy can manage users now
    assert [e.details["what"] for e in _user_entries(db_env, "root")] == ["disabled"]
