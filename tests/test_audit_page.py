"""The access log's page, as an auditor uses it: 50 entries a page with the total, who by the start
of a username in any case, a person, dates, each entry's details in one line; and every look at the
log is itself logged. Synthetic people only."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from joindots.audit import Action, record_access
from joindots.audit.tables import AccessLog
from joindots.store.db import session_scope
from web_world import add_user, build_world, make_client, sign_in


def _write(engine, n: int) -> None:
    """n consultations by two analysts, each of a group of people (the last one of sixty)."""
    with session_scope(engine) as s:
        for i in range(n):
            people = [f"P{p:06d}" for p in range(1, 61)] if i == n - 1 else [f"P{i:06d}", "P000999"]
            record_access(
                s,
                actor="analyst1" if i % 2 else "Analyst2",
                action=Action.CONSULTATION,
                subject=f"group G{i:05d}",
                justification="Operation Testbed: weekly review",
                details={"people": people},
            )


def _rows(page: str) -> int:
    return page.count("<tr><td>")


def _auditor(engine):
    add_user(engine, "admin1", "admin")
    client = make_client(engine)
    sign_in(client, "admin1")
    return client


def test_the_log_pages_fifty_at_a_time_and_keeps_the_filters(engine):
    _write(engine, 120)
    auditor = _auditor(engine)
    first = auditor.get("/audit", params={"actor": "ANALYST"})
    assert first.status_code == 200 and _rows(first.text) == 50
    assert "120 entries match" in first.text and "Page 1 of 3" in first.text
    assert 'href="/audit?actor=ANALYST&amp;page=2"' in first.text
    last = auditor.get("/audit", params={"actor": "ANALYST", "page": 3})
    assert _rows(last.text) == 20 and "Showing 101–120 of 120" in last.text
    assert "analyst1" in last.text and "Analyst2" in last.text
    nobody = auditor.get("/audit", params={"actor": "admin9"})
    assert "0 entries match" in nobody.text


def test_details_are_shown_in_one_line_with_long_lists_cut_short(engine):
    _write(engine, 3)
    page = _auditor(engine).get("/audit", params={"subject": "G00002"}).text
    assert "people: " in page and "+52 more" in page  # sixty people: eight shown, then how many more
    assert '<a href="/people/P000001">P000001</a>' in page
    assert "via:" not in page


def test_a_person_and_whole_days_narrow_the_log(engine):
    _write(engine, 5)
    auditor = _auditor(engine)
    page = auditor.get("/audit", params={"person": "p000999"})  # any case
    assert "4 entries match" in page.text and _rows(page.text) == 4
    today = dt.datetime.now(dt.UTC).date()
    yesterday = today - dt.timedelta(days=1)
    assert "0 entries match" in auditor.get("/audit", params={"until": yesterday.isoformat()}).text
    todays = auditor.get("/audit", params={"since": today.isoformat(), "until": today.isoformat()}).text
    assert (
        re.search(r"\b\d+ entries match", todays) and "0 entries match" not in todays
    )  # until includes its day
    assert auditor.get("/audit", params={"since": "yesterday"}).status_code == 422
    assert auditor.get("/audit", params={"person": "Dorian"}).status_code == 422


def test_looking_at_the_log_is_logged_with_the_query(engine):
    _write(engine, 3)
    auditor = _auditor(engine)
    auditor.get("/audit", params={"person": "P000999", "actor": "analyst", "page": 1})
    with session_scope(engine) as s:
        entry = s.scalars(select(AccessLog).order_by(AccessLog.id.desc()).limit(1)).one()
    assert (entry.actor, entry.action, entry.subject) == ("admin1", "consultation", "access log")
    assert entry.details["query"] == {"actor": "analyst", "person": "P000999", "offset": 0, "limit": 50}
    assert entry.details["total"] == 2
    api = auditor.get("/api/audit", params={"subject": "access log"}).json()
    assert api["total"] == 1 and api["entries"][0]["details"]["query"]["person"] == "P000999"


def test_the_person_page_links_to_who_looked_for_those_who_may_read_the_log(engine):
    world = build_world(engine)
    auditor = _auditor(engine)
    link = f'href="/audit?person={world.alpha}"'
    assert link in auditor.get(f"/people/{world.alpha}").text
    add_user(engine, "analyst1", "analyst")
    analyst = make_client(engine)
    sign_in(analyst, "analyst1")
    assert link not in analyst.get(f"/people/{world.alpha}").text
    assert analyst.get("/audit", params={"person": world.alpha}).status_code == 403
    who = auditor.get(f"/audit?person={world.alpha}").text
    assert "analyst1" in who and "admin1" in who  # both looked at him
