"""On a real linked world (as `joindots demo` makes it): the groups list, a group, its network and
the review queue each log the persons they show, so an auditor asking about one group member finds
every page that showed them. Synthetic people only."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from joindots.audit.tables import AccessLog
from joindots.store.db import session_scope
from web_world import linked_world, make_client, sign_in

pytestmark = pytest.mark.slow  # the shared world takes ~10 s to build once per session


@pytest.fixture
def linked(tmp_path_factory, tmp_path):
    engine = linked_world(tmp_path_factory, tmp_path)
    yield engine
    engine.dispose()


def _last(engine) -> AccessLog:
    with session_scope(engine) as s:
        return s.scalars(select(AccessLog).order_by(AccessLog.id.desc()).limit(1)).one()


def test_an_auditor_finds_the_group_pages_that_showed_a_member(linked):
    reviewer = make_client(linked)
    sign_in(reviewer, "reviewer1")
    groups = reviewer.get("/api/groups", params={"limit": 3}).json()["items"]
    listed = _last(linked).details["people"]
    assert listed == sorted({p for g in groups for p in g["members"] + g["victims"]}) and listed
    group = groups[0]
    member = group["members"][0]
    assert reviewer.get(f"/groups/{group['key']}").status_code == 200
    assert member in _last(linked).details["people"]
    graph = reviewer.get(f"/groups/{group['key']}/network.json").json()
    shown = _last(linked).details["people"]
    assert set(group["members"]) <= set(shown) and _last(linked).details["nodes"] == len(graph["nodes"])

    auditor = make_client(linked)
    sign_in(auditor, "admin1")
    found = auditor.get("/api/audit", params={"person": member}).json()
    assert [e["subject"] for e in found["entries"]][:3] == [
        f"network of group {group['key']}",
        f"group {group['key']}",
        "offender groups",
    ]
    assert all(e["actor"] == "reviewer1" for e in found["entries"][:3])


def test_the_review_queue_logs_the_persons_its_reasons_name(linked):
    reviewer = make_client(linked)
    sign_in(reviewer, "reviewer1")
    page = reviewer.get("/review")
    assert page.status_code == 200
    named = sorted(set(re.findall(r'href="/people/(P\d{6,12})"', page.text)))
    entry = _last(linked)
    assert entry.subject == "case review queue" and entry.details["people"] == named and named
