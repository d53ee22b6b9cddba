"""The hardening an analyst never sees but relies on: headers, CSRF, rate limiting, one error
shape, no personal data in URLs, and CSV downloads a spreadsheet cannot turn into formulas."""

from __future__ import annotations

import pytest

from joindots.web.export import safe_cell, to_csv
from web_world import PASSWORD, add_user, build_world, make_client, sign_in


@pytest.fixture
def analyst(sqlite_engine):
    world = build_world(sqlite_engine)
    add_user(sqlite_engine, "analyst1", "analyst")
    client = make_client(sqlite_engine)
    return client, sign_in(client, "analyst1"), world


def test_every_response_carries_the_security_headers(analyst):
    client, _, world = analyst
    for reply in (client.get("/login"), client.get(f"/people/{world.alpha}"), client.get("/api/health")):
        csp = reply.headers["content-security-policy"]
        assert "script-src 'self';" in csp and "unsafe-inline" not in csp
        assert reply.headers["x-frame-options"] == "DENY"
        assert reply.headers["x-content-type-options"] == "nosniff"
        assert reply.headers["referrer-policy"] == "no-referrer"
    assert client.get(f"/people/{world.alpha}").headers["cache-control"] == "no-store"


def test_the_session_cookie_is_httponly_and_samesite_strict(sqlite_engine):
    add_user(sqlite_engine, "analyst1", "analyst")
    client = make_client(sqlite_engine)
    reply = client.post(
        "/login", data={"username": "analyst1", "password": PASSWORD, "justification": "x" * 12}
    )
    cookie = reply.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


def test_a_form_post_without_the_csrf_token_is_refused(analyst):
    client, csrf, world = analyst
    reply = client.post(
        f"/matches/{world.pair_id}/decision", data={"decision": "same", "reason": "same person"}
    )
    assert reply.status_code == 403 and "did not come from joindots" in reply.text
    reply = client.post("/api/people/search", json={"name": "Dorian"}, headers={"X-CSRF-Token": "forged"})
    assert reply.json()["error"]["code"] == "csrf_failed"
    assert (
        client.post("/api/people/search", json={"name": "Dorian"}, headers={"X-CSRF-Token": csrf}).status_code
        == 200
    )


def test_repeated_wrong_passwords_are_rate_limited(sqlite_engine):
    add_user(sqlite_engine, "analyst1", "analyst")
    client = make_client(sqlite_engine, login_max_failures=3, login_window_seconds=60)
    wrong = {"username": "analyst1", "password": "not the password", "justification": "checking a referral"}
    assert [client.post("/login", data=wrong).status_code for _ in range(3)] == [401, 401, 401]
    right = wrong | {"password": PASSWORD}
    blocked = client.post("/login", data=right)
    assert blocked.status_code == 429 and "Too many failed attempts" in blocked.text


def test_errors_have_one_json_shape(analyst):
    client, csrf, _ = analyst
    headers = {"X-CSRF-Token": csrf}
    invalid = client.post("/api/people/search", json={"dob": "not a date"}, headers=headers)
    assert invalid.status_code == 422
    body = invalid.json()
    assert set(body) == {"error"} and set(body["error"]) == {"status", "code", "message", "details"}
    assert body["error"]["code"] == "invalid_input" and body["error"]["details"][0]["loc"] == ["body", "dob"]
    assert "not a date" not in invalid.text  # submitted values are never echoed back
    empty = client.post("/api/people/search", json={}, headers=headers)  # a domain error
    assert empty.json() == {
        "error": {
            "status": 422,
            "code": "invalid_input",
            "message": "give a name, a date of birth, a phone or a vehicle mark",
        }
    }
    missing = client.get("/api/people/P999999").json()
    assert missing == {"error": {"status": 404, "code": "not_found", "message": "no person P999999"}}


def test_the_api_says_who_must_sign_in_and_who_may_not(sqlite_engine):
    add_user(sqlite_engine, "stat1", "statistician")
    client = make_client(sqlite_engine)
    assert client.get("/api/people/P000001").json()["error"]["code"] == "not_signed_in"
    assert client.get("/people/P000001").headers["location"] == "/login"
    sign_in(client, "stat1")
    assert client.get("/api/people/P000001").json()["error"] == {
        "status": 403,
        "code": "forbidden",
        "message": "your role does not allow this",
    }


def test_search_criteria_never_travel_in_the_url(analyst):
    client, _, _ = analyst
    for url in ("/people/search?name=Dorian", "/api/people/search?name=Dorian"):
        reply = client.get(url)  # there is no GET search to put the name in
        assert reply.status_code in (404, 405, 422) and "Quillfeather" not in reply.text


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x")', "+1+1", "-2", "@SUM(A1)", "\tx", "|cmd"])
def test_csv_cells_that_would_be_formulas_are_defused(text):
    assert safe_cell(text) == "'" + text
    assert to_csv(["name"], [[text]]).splitlines()[1] == '"' + "'" + text.replace('"', '""') + '"'


def test_plain_values_are_left_alone_in_csv():
    assert safe_cell("Dorian") == "Dorian" and safe_cell(None) == "" and safe_cell(3) == "3"


def test_an_export_is_a_safe_csv_download(analyst):
    client, csrf, world = analyst
    reply = client.post(
        f"/people/{world.alpha}/export",
        data={"csrf_token": csrf, "reason": "disclosure to CPS for charging", "recipient": "CPS North"},
    )
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/csv")
    assert "attachment" in reply.headers["content-disposition"]
    assert "Quillfeather" in reply.text and "W1" not in reply.text and "GBR" not in reply.text


def test_a_post_from_another_site_is_refused_even_at_sign_in(sqlite_engine):
    add_user(sqlite_engine, "analyst1", "analyst")
    client = make_client(sqlite_engine)
    form = {"username": "analyst1", "password": PASSWORD, "justification": "checking a referral"}
    reply = client.post("/login", data=form, headers={"Origin": "https://evil.example"})
    assert reply.status_code == 403
    assert client.post("/login", data=form, headers={"Origin": "http://testserver"}).status_code == 303


def test_an_oversized_body_is_refused(analyst):
    client, csrf, _ = analyst
    reply = client.post(
        "/api/people/search",
        content=b"{" + b" " * 300_000 + b"}",
        headers={"X-CSRF-Token": csrf, "Content-Type": "application/json"},
    )
    assert reply.status_code == 413 and reply.json()["error"]["code"] == "too_large"
    assert reply.headers["x-frame-options"] == "DENY"


def test_profiles_never_show_ethnicity_ic_code_or_nationality(analyst):
    client, _, world = analyst
    body = client.get(f"/api/people/{world.alpha}").text
    assert "ethnicity" not in body and "nationality" not in body and "ic_code" not in body
    assert "W1" not in body and "GBR" not in body


def test_a_user_replaces_the_one_time_password_and_every_session_ends(analyst):
    client, csrf, _ = analyst
    new = "a long passphrase of my own"
    form = {"csrf_token": csrf, "current": PASSWORD, "new": new, "repeat": new}
    wrong = client.post("/account/password", data=form | {"current": "not my password"})
    assert wrong.status_code == 422 and "current password is wrong" in wrong.text
    short = client.post("/account/password", data=form | {"new": "short", "repeat": "short"})
    assert short.status_code == 422 and "at least 12 characters" in short.text
    changed = client.post("/account/password", data=form)
    assert changed.status_code == 303 and changed.headers["location"] == "/login?changed=1"
    assert client.get("/").status_code in (303, 401)  # this session ended too
    old = client.post(
        "/login", data={"username": "analyst1", "password": PASSWORD, "justification": "x" * 12}
    )
    assert old.status_code == 401
    again = client.post("/login", data={"username": "analyst1", "password": new, "justification": "x" * 12})
    assert again.status_code == 303


def test_a_one_time_password_opens_only_the_account_page_until_it_is_replaced(sqlite_engine):
    from joindots.auth.users import create_user
    from joindots.store.db import session_scope

    with session_scope(sqlite_engine) as s:
        secret = create_user(s, "newanalyst", "analyst", created_by="admin1")
    client = make_client(sqlite_engine)
    login = {"username": "newanalyst", "password": secret, "justification": "Operation Heron review"}
    signed_in = client.post("/login", data=login)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/account"
    account = client.get("/account")
    assert account.status_code == 200 and "one-time password" in account.text
    for path in ("/people", "/groups", "/stats"):
        refused = client.get(path)
        assert refused.status_code == 403 and "choose your own password first" in refused.text, path
    csrf = account.text.split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post("/api/tokens", data={"label": "x"}, headers={"x-csrf-token": csrf}).status_code == 403
    own = "a passphrase of my own choosing"
    changed = client.post(
        "/account/password", data={"csrf_token": csrf, "current": secret, "new": own, "repeat": own}
    )
    assert changed.status_code == 303
    assert client.post("/login", data={**login, "password": secret}).status_code == 401
    assert client.post("/login", data={**login, "password": own}).headers["location"] != "/account"
    assert client.get("/people").status_code == 200
