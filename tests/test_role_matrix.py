"""Every route x every role (and nobody signed in) against the declared permission table.

A route added without a table entry fails here, and so does a route whose behaviour disagrees with
the table: the one authorisation dependency is what decides, and this proves it for every route.
"""

from __future__ import annotations

import re

import pytest

from joindots.auth.roles import Permission, Role, allowed
from joindots.web.access import ROUTE_PERMISSIONS, declared_routes
from web_world import add_user, build_world, make_client, sign_in

DENIED = {401, 403}


def _fill(path: str, world) -> str:
    values = {
        "key": world.alpha,
        "pair_id": str(world.pair_id),
        "item_id": "1",
        "kind": "duty",
        "receipt": "JD-NOSUCH",
        "username": "nosuch",
        "token_id": "999",
    }
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


def _call(client, method: str, path: str, csrf: str | None):
    headers = {"X-CSRF-Token": csrf} if csrf else {}
    if method == "GET":
        return client.get(path, headers=headers)
    if path.startswith("/api/"):
        return client.request(method, path, json={}, headers=headers)
    return client.request(method, path, data={"csrf_token": csrf or ""}, headers=headers)


def _refused(reply) -> bool:
    """401/403, or a page sent to sign in (signing out also ends at /login, but clears the cookie)."""
    to_login = reply.status_code == 303 and reply.headers.get("location") == "/login"
    signed_out = "jd_session=" in reply.headers.get("set-cookie", "")
    return reply.status_code in DENIED or (to_login and not signed_out)


@pytest.fixture
def world_and_engine(sqlite_engine):
    world = build_world(sqlite_engine)
    for role in Role:
        add_user(sqlite_engine, f"{role.value}1", role)
    return world, sqlite_engine


def test_every_route_has_a_declared_permission():
    app_routes = set(declared_routes(make_client_app()))
    undeclared = [r for r in app_routes if r[0] != "MOUNT" and r not in ROUTE_PERMISSIONS]
    stale = [r for r in ROUTE_PERMISSIONS if r not in app_routes]
    assert undeclared == [], f"declare these routes in joindots.web.access.ROUTE_PERMISSIONS: {undeclared}"
    assert stale == [], f"these declared routes no longer exist: {stale}"


def make_client_app():
    from joindots.settings import Settings
    from joindots.web import create_app

    return create_app(Settings(database_url="sqlite://"))


@pytest.mark.parametrize("role", [None, *Role], ids=lambda r: r.value if r else "anonymous")
def test_role_matrix(world_and_engine, role):
    world, engine = world_and_engine
    client = make_client(engine)
    csrf = sign_in(client, f"{role.value}1") if role else None
    routes = [r for r in declared_routes(client.app) if r[0] != "MOUNT"]
    # signing out ends the session, so it goes last
    routes.sort(key=lambda r: r == ("POST", "/logout"))
    wrong = []
    for method, path in routes:
        expected = allowed(role, ROUTE_PERMISSIONS[(method, path)])
        reply = _call(client, method, _fill(path, world), csrf)
        if _refused(reply) == expected or reply.status_code >= 500:
            wrong.append(
                f"{method} {path}: expected {'allow' if expected else 'deny'}, got {reply.status_code}"
            )
    assert wrong == [], "\n".join(wrong)


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_static_files_and_health_are_public(world_and_engine, role):
    _, engine = world_and_engine
    client = make_client(engine)
    assert client.get("/static/app.css").status_code == 200
    assert client.get("/api/health").json() == {"status": "ok"}


def test_the_table_gives_a_statistician_aggregates_only():
    stat = {p for p in Permission if allowed(Role.STATISTICIAN, p)} - {
        Permission.PUBLIC,
        Permission.SIGNED_IN,
    }
    assert stat == {Permission.READ_AGGREGATES}


def test_a_reporter_can_file_and_read_own_receipts_but_no_personal_data():
    granted = {p for p in Permission if allowed(Role.REPORTER, p)} - {Permission.PUBLIC, Permission.SIGNED_IN}
    assert granted == {Permission.FILE_REPORTS, Permission.READ_OWN_RECEIPTS}
