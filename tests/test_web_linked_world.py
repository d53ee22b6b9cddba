"""The web app on a real linked world (made, ingested, linked, grouped, screened, scored, published as
`joindots demo` does): every page the issue lists shows real content, decisions go through the linkage
engine, reads of personal data are logged, and each page says plainly when its step has not run."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from joindots.audit.tables import AccessLog
from joindots.auth.users import issue_token
from joindots.intake.matching import warm_up
from joindots.link import instant
from joindots.link.instant import matcher_for
from joindots.link.review import waiting_pairs
from joindots.link.run import run_linkage
from joindots.network.tables import OffenderGroup
from joindots.screening.tables import ReviewItem
from joindots.store.db import session_scope
from joindots.store.link_tables import Lineage, LinkRun, MatchPair, RecordPerson
from joindots.store.schema import PersonRecord
from web_world import add_user, linked_world, make_client, sign_in

pytestmark = pytest.mark.slow  # the shared world takes ~10 s to build once per session


@pytest.fixture
def linked(tmp_path_factory, tmp_path):
    engine = linked_world(tmp_path_factory, tmp_path)
    yield engine
    engine.dispose()


def _person(engine, record: int) -> str | None:
    with session_scope(engine) as s:
        row = s.get(RecordPerson, record)
        return row.person_id if row else None


def _joined_pair(engine) -> tuple[int, int, int]:
    """The least likely scored pair whose two records the run put in one person: (pair, left, right)."""
    with session_scope(engine) as s:
        left, right = RecordPerson.__table__.alias("l"), RecordPerson.__table__.alias("r")
        row = s.execute(
            select(MatchPair.id, MatchPair.record_l, MatchPair.record_r)
            .join(left, left.c.person_record_id == MatchPair.record_l)
            .join(right, right.c.person_record_id == MatchPair.record_r)
            .where(left.c.person_id == right.c.person_id)
            .order_by(MatchPair.match_probability, MatchPair.id)
            .limit(1)
        ).one()
        return row.id, row.record_l, row.record_r


def _log(engine) -> list[AccessLog]:
    with session_scope(engine) as s:
        return list(s.scalars(select(AccessLog).order_by(AccessLog.id)))


def test_a_web_decision_is_applied_at_once_and_a_rerun_keeps_it(linked):
    pair, a, b = _joined_pair(linked)
    person = _person(linked, a)
    client = make_client(linked)
    csrf = sign_in(client, "analyst1")
    form = {"csrf_token": csrf, "decision": "different", "reason": "different mothers named on the records"}
    reply = client.post(f"/matches/{pair}/decision", data=form)
    assert reply.status_code == 303
    assert _person(linked, a) != _person(linked, b)  # split now, not at the next run
    assert person in (_person(linked, a), _person(linked, b))  # one side keeps the ID
    with session_scope(linked) as s:
        split = s.scalars(select(Lineage).where(Lineage.action == "split")).all()
    assert len(split) == 1 and split[0].other_person_ids == [person]
    assert _log(linked)[-1].action == "alteration"
    page = client.get(reply.headers["location"])
    assert f"Decision recorded for pair {pair}" in page.text
    assert f'href="/people/{_person(linked, b)}"' in page.text

    run_linkage(linked, actor="test")
    assert _person(linked, a) != _person(linked, b)  # the next run honours the decision
    assert client.post(f"/matches/{pair}/decision", data=form).status_code == 409


def test_a_same_decision_through_the_api_merges_two_persons(linked):
    with session_scope(linked) as s:
        left, right = RecordPerson.__table__.alias("l"), RecordPerson.__table__.alias("r")
        pair, a, b = s.execute(
            select(MatchPair.id, MatchPair.record_l, MatchPair.record_r)
            .join(left, left.c.person_record_id == MatchPair.record_l)
            .join(right, right.c.person_record_id == MatchPair.record_r)
            .where(left.c.person_id != right.c.person_id)
            .order_by(MatchPair.match_probability.desc(), MatchPair.id)
            .limit(1)
        ).one()
        token = issue_token(s, "analyst1", "tests")
    before = {_person(linked, a), _person(linked, b)}
    client = make_client(linked)
    body = {"decision": "same", "reason": "same passport number on both files"}
    reply = client.post(
        f"/api/matches/{pair}/decision", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert reply.status_code == 201, reply.text
    made = reply.json()
    assert "merged into" in made["message"] and len(made["lineage_ids"]) == 1
    assert made["persons"][str(a)] == made["persons"][str(b)] == _person(linked, a) == _person(linked, b)
    kept = _person(linked, a)
    (gone,) = before - {kept}
    sign_in(client, "analyst1")
    moved = client.get(f"/people/{gone}")  # the retired ID leads to the person who holds its records
    assert moved.status_code == 303 and moved.headers["location"] == f"/people/{kept}?from={gone}"
    assert f"{gone} was merged into this person" in client.get(moved.headers["location"]).text
    record = client.get(f"/people/R{a}")  # so does a linked record's own key
    assert record.headers["location"] == f"/people/{kept}?from=R{a}"


def test_every_page_shows_real_content(linked):
    with session_scope(linked) as s:
        group = s.scalars(select(OffenderGroup).order_by(OffenderGroup.group_key)).first()
        item = s.scalars(select(ReviewItem).where(ReviewItem.active.is_(True))).first()
        by_person: dict[str, set[str]] = {}
        for pid, source in s.execute(
            select(RecordPerson.person_id, PersonRecord.source).join(
                PersonRecord, PersonRecord.id == RecordPerson.person_record_id
            )
        ):
            by_person.setdefault(pid, set()).add(source)
    assert group is not None and item is not None
    person, sources = max(by_person.items(), key=lambda kv: (len(kv[1]), kv[0]))
    client = make_client(linked)
    sign_in(client, "admin1")
    home = client.get("/").text
    assert home.count('<tr class="done">') == 6 and "not run yet" not in home  # every step has run
    with session_scope(linked) as s:
        waiting = len(waiting_pairs(s, strict=0.9, loose=0.5, limit=100_000))
    assert f"{waiting:,} pairs wait for match review" in home

    profile = client.get(f"/people/{person}").text
    assert profile.count('class="card source"') == len(sources) >= 3  # side by side, one card a source
    assert 'class="tag for"' in profile and "joined" in profile  # identity links, with their evidence
    assert 'id="network"' in profile and profile.count("<time>") >= 1  # network view and timeline
    network = client.get(f"/people/{person}/network.json").json()
    assert len(network["nodes"]) > 2 and network["edges"]

    groups = client.get("/groups").text
    assert f'id="group-{group.group_key}"' in groups and 'href="/people/P' in groups
    one = client.get(f"/groups/{group.group_key}").text  # members with their names, network, timeline
    assert one.count('href="/people/P') >= group.size and 'id="network"' in one and "<time>" in one
    ties = one.split('id="ties"')[1].split("</table>")[0]  # every tie, with its evidence in words
    assert ties.count("<tr") - 1 >= group.size - 1 and "offenders" in ties and "Betweenness" in one
    assert _log(linked)[-1].subject == f"group {group.group_key}"
    drawn = client.get(f"/groups/{group.group_key}/network.json").json()
    kinds = {n["data"]["kind"] for n in drawn["nodes"]}
    assert "member" in kinds and "event" in kinds and all(e["data"]["label"] for e in drawn["edges"])
    review = client.get("/review").text
    assert f'id="item-{item.id}"' in review and item.reasons[0].split()[0] in review
    matches = client.get("/matches").text
    assert matches.count('class="card pair"') >= 1 and 'class="tag for"' in matches
    quality = client.get("/quality").text
    assert quality.count("<tr>") > 20 and "police_north" in quality and "%" in quality
    stats = client.get("/stats").text
    assert stats.count('<table class="stats">') >= 2 and "Suspects" in stats and "[c]" in stats
    assert client.get("/reports/new/duty").status_code == 200
    assert client.get("/reports/new/makesafe").status_code == 200


def test_a_statistician_sees_aggregates_only(linked):
    client = make_client(linked)
    sign_in(client, "statistician1")
    stats = client.get("/stats")
    assert stats.status_code == 200 and "Suspects" in stats.text
    assert re.search(r"P\d{6}", stats.text) is None  # no person ID anywhere
    assert client.get("/quality").status_code == 200
    for path in ("/groups", "/review", "/matches", "/people", "/people/P000001", "/reports", "/audit"):
        assert client.get(path).status_code == 403, path
    menu = client.get("/").text
    assert 'href="/stats"' in menu and 'href="/people"' not in menu


def test_reading_review_queue_groups_and_pairs_is_logged(linked):
    with session_scope(linked) as s:
        token = issue_token(s, "reviewer1", "tests")
    client = make_client(linked)
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/review-queue", headers=auth).status_code == 422  # no justification given
    why = auth | {"X-Justification": "weekly case review, team B"}
    queue = client.get("/api/review-queue", headers=why).json()
    entry = _log(linked)[-1]
    assert (entry.actor, entry.action, entry.subject) == ("reviewer1", "consultation", "case review queue")
    assert entry.justification == why["X-Justification"]
    assert entry.details["shown"] == [i["id"] for i in queue["items"]] and queue["items"]
    page = client.get("/api/groups", headers=why, params={"offset": 1, "limit": 2}).json()
    assert len(page["items"]) == 2 and page["total"] >= 4 and page["offset"] == 1
    entry = _log(linked)[-1]  # only the page shown is logged as shown
    assert entry.subject == "offender groups" and entry.details["shown"] == [g["key"] for g in page["items"]]

    analyst = make_client(linked)
    sign_in(analyst, "analyst1")
    analyst.get("/matches")
    assert (_log(linked)[-1].actor, _log(linked)[-1].subject) == ("analyst1", "match review")
    analyst.get("/review")
    assert _log(linked)[-1].subject == "case review queue"


def test_a_review_decision_from_the_page(linked):
    with session_scope(linked) as s:
        item = s.scalars(select(ReviewItem).where(ReviewItem.active.is_(True))).first()
        assert item is not None
    client = make_client(linked)
    csrf = sign_in(client, "reviewer1")
    form = {"csrf_token": csrf, "decision": "refer", "reason": "pattern matches group G1; refer to CSE team"}
    reply = client.post(f"/review/{item.id}/decision", data=form)
    assert reply.status_code == 303
    entry = _log(linked)[-1]
    assert entry.action == "alteration" and entry.details["decision"] == "refer"
    assert entry.justification == form["reason"]
    page = client.get(reply.headers["location"]).text
    card = page[page.index(f'id="item-{item.id}"') :]
    assert "decided: refer" in card[: card.index("</form>")]


def test_a_broad_search_says_more_match_than_it_shows(linked):
    client = make_client(linked)
    csrf = sign_in(client, "analyst1")
    broad = client.post("/api/people/search", json={"name": "a"}, headers={"X-CSRF-Token": csrf}).json()
    assert len(broad["hits"]) == 50 and broad["more"] is True
    page = client.post("/people/search", data={"name": "a", "csrf_token": csrf}).text
    assert "The first 50 people found: more match, so narrow the search" in page
    one = broad["hits"][0]
    exact = {"name": one["names"][0], "dob": one["dobs"][0]} if one["dobs"] else {"name": one["names"][0]}
    narrow = client.post("/api/people/search", json=exact, headers={"X-CSRF-Token": csrf}).json()
    assert narrow["more"] is False and one["key"] in [h["key"] for h in narrow["hits"]]


def test_a_case_is_given_to_a_reviewer_who_sees_it_as_theirs(linked):
    with session_scope(linked) as s:
        item = s.scalars(select(ReviewItem).where(ReviewItem.active.is_(True))).first()
        assert item is not None
    client = make_client(linked)
    csrf = sign_in(client, "admin1")
    reply = client.post(f"/review/{item.id}/assign", data={"csrf_token": csrf, "to": "reviewer1"})
    assert reply.status_code == 303
    entry = _log(linked)[-1]
    assert entry.action == "alteration" and entry.details["assigned_to"] == "reviewer1"
    page = client.get(reply.headers["location"]).text
    card = page[page.index(f'id="item-{item.id}"') :]
    assert "with reviewer1" in card[: card.index("</h2>")] and "assigned" in card[: card.index("</h2>")]

    token = {"X-CSRF-Token": csrf}
    nobody = client.post(f"/api/review-queue/{item.id}/assign", json={"to": "nosuch"}, headers=token)
    statistician = client.post(
        f"/api/review-queue/{item.id}/assign", json={"to": "statistician1"}, headers=token
    )
    assert nobody.status_code == 404 and statistician.status_code == 422  # only reviewers take cases
    moved = client.post(f"/api/review-queue/{item.id}/assign", json={"to": "analyst1"}, headers=token)
    assert moved.status_code == 200 and moved.json()["assigned_to"] == "analyst1"
    listed = client.get("/api/review-queue?limit=500").json()["items"]
    assert [i["assigned_to"] for i in listed if i["id"] == item.id] == ["analyst1"]


def test_a_report_is_matched_at_once_to_a_known_person(linked):
    with session_scope(linked) as s:
        known = s.execute(
            select(PersonRecord.forename, PersonRecord.surname, PersonRecord.dob, RecordPerson.person_id)
            .join(RecordPerson, RecordPerson.person_record_id == PersonRecord.id)
            .where(PersonRecord.role == "suspect", PersonRecord.dob.is_not(None))
            .where(PersonRecord.forename.is_not(None), PersonRecord.surname.is_not(None))
            .order_by(PersonRecord.id)
            .limit(1)
        ).one()
    reporter = make_client(linked)
    csrf = sign_in(reporter, "reporter1")
    form = {
        "csrf_token": csrf,
        "reporter_name": "Harriet Oakenshaw",
        "reporter_role": "Designated safeguarding lead",
        "reporter_organisation": "Moorside Academy",
        "child_forename": "Keeley",
        "child_surname": "Marchbank",
        "suspect_forename": known.forename,
        "suspect_surname": known.surname,
        "suspect_dob": known.dob.isoformat(),
        "location_postcode": "BD7 1AA",
        "occurred_on": "2024-03-01",
        "what_happened": "Pupil disclosed lifts and alcohol from an older man.",
    }
    filed = reporter.post("/reports/new/duty", data=form)
    assert filed.status_code == 303, filed.text
    filed = reporter.get(filed.headers["location"])
    assert "JD-" in filed.text, filed.text
    assert known.person_id not in filed.text  # the reporter is told nothing about who matched
    admin = make_client(linked)
    sign_in(admin, "admin1")
    received = admin.get("/reports").text
    assert "matched" in received and f'href="/people/{known.person_id}"' in received
    with session_scope(linked) as s:  # matching is a combination of personal data: logged
        combined = s.scalars(select(AccessLog).where(AccessLog.subject.like("report:JD-%"))).all()
    assert [e.action for e in combined] == ["combination"] and combined[0].details["candidates"] >= 1


def test_each_page_says_when_its_step_has_not_run(sqlite_engine):
    add_user(sqlite_engine, "admin1", "admin")
    client = make_client(sqlite_engine)
    sign_in(client, "admin1")
    assert client.get("/").text.count('<tr class="not-run">') == 6
    for path, command in {
        "/groups": "joindots groups",
        "/review": "joindots screen",
        "/quality": "joindots quality",
        "/stats": "joindots stats",
        "/matches": "joindots link",
    }.items():
        page = client.get(path)
        assert page.status_code == 200 and "Not run yet" in page.text or "No linkage run" in page.text, path
        assert command in page.text, path


def test_serving_warms_the_instant_matcher_before_the_first_report(linked, sqlite_engine):
    warm_up(sqlite_engine)  # nothing linked yet: nothing to warm, and no error
    warmed = set(instant._CACHE)
    warm_up(linked)
    (key,) = set(instant._CACHE) - warmed
    with session_scope(linked) as s:
        model = s.scalars(
            select(LinkRun.model).where(LinkRun.status == "done").order_by(LinkRun.id.desc())
        ).first()
    assert matcher_for(linked, model) is instant._CACHE[key][2]  # the first report gets the warm one


def test_match_review_pages_through_every_pair_and_filters_by_who_found_it(linked):
    """The review queue says how many pairs wait, pages through them most likely first, and shows on
    its own the partial records the context step suggested (one pair is marked so here)."""
    with session_scope(linked) as s:
        pairs = waiting_pairs(s, strict=0.9, loose=0.5, limit=100_000)
        assert len(pairs) >= 2
        assert all("context" in p.explanation for p in pairs if p.found_by == "context")  # as stored
        waiting = [{"id": p.id, "found_by": p.found_by} for p in pairs]
        by_context = [p for p in waiting if p["found_by"] == "context"]
        marked = pairs[-1]
        marked.found_by = "context"
        token = issue_token(s, "analyst1", "tests")
    client = make_client(linked)
    api = {"Authorization": f"Bearer {token}", "X-Justification": "match review for a CSE case"}
    first = client.get("/api/matches?limit=1", headers=api)
    assert first.status_code == 200, first.text
    second = client.get("/api/matches?limit=1&offset=1", headers=api)
    assert first.headers["X-Total-Count"] == str(len(waiting))
    assert [p["id"] for p in first.json() + second.json()] == [p["id"] for p in waiting[:2]]
    context = client.get("/api/matches?found_by=context", headers=api)
    ids = {p["id"] for p in by_context} | {marked.id}
    assert {p["id"] for p in context.json()} == ids
    assert context.headers["X-Total-Count"] == str(len(ids))
    assert client.get("/api/matches?found_by=nobody", headers=api).status_code == 422

    sign_in(client, "analyst1")
    page = client.get("/matches?found_by=context").text
    assert f'id="pair-{marked.id}"' in page and page.count('class="card pair"') == len(ids)
    assert '<strong aria-current="page">partial records found by context</strong>' in page
    everything = client.get("/matches").text
    assert f"{len(waiting):,} pair" in everything
    assert client.get("/matches?found_by=context&page=999").headers["location"] == "/matches?found_by=context"

    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    form = {"csrf_token": csrf, "found_by": "context", "decision": "different", "reason": "another man"}
    decided = client.post(f"/matches/{marked.id}/decision", data=form)
    assert decided.headers["location"] == f"/matches?found_by=context&done={marked.id}"  # the filter kept
