"""Reports from professionals: filed, committed, acknowledged with a receipt, routed, turned into
an event and person records (source 'intake'), and seen only by their reporter and by analysts."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from joindots.audit.tables import AccessLog
from joindots.intake.routing import DEFAULT_TABLE, load_table, postcode_district, route
from joindots.intake.schemas import MakesafeIndicator
from joindots.intake.tables import Report
from joindots.store.db import session_scope
from joindots.store.schema import Event, PersonRecord, RecordObject
from web_world import add_user, build_world, make_client, sign_in

DUTY = {
    "kind": "duty_to_report",
    "reporter": {
        "name": "Harriet Oakenshaw",
        "role": "designated safeguarding lead",
        "organisation": "Moorside Academy",
    },
    "child": {
        "forename": "MAISIE",
        "surname": "tenterden",
        "dob": "2009-01-04",
        "sex": "F",
        "postcode": "bd7 1aa",
    },
    "suspects": [
        {
            "forename": "Dorian",
            "surname": "Quillfeather",
            "phones": ["07700 900123"],
            "vehicle_marks": ["yx19 abc"],
        }
    ],
    "what_happened": "Pupil disclosed being given lifts and alcohol by an older man.",
    "occurred_on": "2024-03-01",
}
MAKESAFE = {
    "kind": "makesafe",
    "reporter": {"name": "Tobias Wrenfield", "role": "night manager", "organisation": "Canal Side Hotel"},
    "business": "hotel",
    "business_name": "Canal Side Hotel",
    "location_postcode": "OL11 1AA",
    "indicators": ["no luggage for an overnight stay", "several visitors to one room"],
    "names_as_given": [{"name": "jay smithers", "who": "adult"}, {"name": "Kayleigh", "who": "young_person"}],
    "phones": ["+44 7700 900456"],
    "vehicle_marks": ["MA66 XYZ"],
    "what_happened": "Room booked in cash by a local man; two girls arrived after midnight.",
    "occurred_on": "2024-02-11",
}


@pytest.fixture
def reporter(engine):
    add_user(engine, "reporter1", "reporter")
    client = make_client(engine)
    return client, sign_in(client, "reporter1")


def test_a_duty_report_is_stored_routed_and_acknowledged(engine, reporter):
    client, csrf = reporter
    reply = client.post("/api/reports", json=DUTY, headers={"X-CSRF-Token": csrf})
    assert reply.status_code == 201
    receipt = reply.json()
    assert receipt["receipt"].startswith("JD-") and receipt["police_area"] == "West Yorkshire Police"
    assert receipt["local_authority"] == "Bradford" and receipt["routed_by_postcode"] is True
    assert receipt["match_status"] == "pending"  # no linkage model yet: the next run reconciles
    with session_scope(engine) as s:
        event = s.scalars(select(Event).where(Event.ref == receipt["receipt"])).one()
        people = list(
            s.scalars(select(PersonRecord).where(PersonRecord.event_id == event.id).order_by(PersonRecord.id))
        )
        objects = sorted(s.scalars(select(RecordObject.value)))
        logged = s.scalars(select(AccessLog).where(AccessLog.subject == f"report {receipt['receipt']}")).one()
    assert (event.source, event.type, event.date) == ("intake", "professional_report", dt.date(2024, 3, 1))
    assert [(p.record_id, p.role) for p in people] == [
        (receipt["receipt"], "vulnerable_child"),
        (receipt["receipt"] + "#1", "suspect"),
    ]
    assert (people[0].forename, people[0].surname, people[0].postcode) == ("Maisie", "Tenterden", "BD7 1AA")
    assert objects == ["+447700900123", "YX19ABC"]
    assert logged.action == "collection" and logged.actor == "reporter1"


def test_a_hotel_concern_names_people_as_given(engine, reporter):
    client, csrf = reporter
    receipt = client.post("/api/reports", json=MAKESAFE, headers={"X-CSRF-Token": csrf}).json()
    assert (receipt["police_area"], receipt["local_authority"]) == ("Greater Manchester Police", "Rochdale")
    with session_scope(engine) as s:
        event = s.scalars(select(Event).where(Event.ref == receipt["receipt"])).one()
        people = {(p.forename, p.surname, p.role) for p in s.scalars(select(PersonRecord))}
    assert event.type == "hotel_report" and event.location_name == "Canal Side Hotel"
    assert people == {("Jay", "Smithers", "person_of_interest"), ("Kayleigh", None, "vulnerable_child")}


def test_resending_with_the_same_client_key_files_once(engine, reporter):
    client, csrf = reporter
    body = DUTY | {"client_key": "sender-7f3a9c21"}
    first = client.post("/api/reports", json=body, headers={"X-CSRF-Token": csrf}).json()
    second = client.post("/api/reports", json=body, headers={"X-CSRF-Token": csrf}).json()
    assert first["receipt"] == second["receipt"]
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Report)) == 1


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"occurred_on": "2999-01-01"}, "occurred_on"),
        ({"what_happened": "short"}, "what_happened"),
        ({"child": {}}, "child"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_a_report_that_cannot_be_acted_on_is_refused_clearly(sqlite_engine, change, where):
    add_user(sqlite_engine, "reporter1", "reporter")
    client = make_client(sqlite_engine)
    csrf = sign_in(client, "reporter1")
    reply = client.post("/api/reports", json=DUTY | change, headers={"X-CSRF-Token": csrf})
    assert reply.status_code == 422
    assert any(where in d["loc"] for d in reply.json()["error"]["details"])


def test_reporters_see_only_their_own_receipts_and_no_people(sqlite_engine):
    world = build_world(sqlite_engine)
    add_user(sqlite_engine, "reporter1", "reporter")
    add_user(sqlite_engine, "reporter2", "reporter")
    one, two = make_client(sqlite_engine), make_client(sqlite_engine)
    mine = one.post("/api/reports", json=DUTY, headers={"X-CSRF-Token": sign_in(one, "reporter1")}).json()
    theirs = two.post(
        "/api/reports", json=MAKESAFE, headers={"X-CSRF-Token": sign_in(two, "reporter2")}
    ).json()
    listed = [r["receipt"] for r in one.get("/api/reports/mine").json()]
    assert listed == [mine["receipt"]] and theirs["receipt"] not in one.get("/reports/mine").text
    assert one.get(f"/people/{world.alpha}").status_code == 403
    assert one.get("/api/reports").status_code == 403


def test_the_form_files_a_report_and_shows_the_receipt(sqlite_engine):
    add_user(sqlite_engine, "reporter1", "reporter")
    client = make_client(sqlite_engine)
    csrf = sign_in(client, "reporter1")
    form = {
        "csrf_token": csrf,
        "reporter_name": "Harriet Oakenshaw",
        "reporter_role": "DSL",
        "reporter_organisation": "Moorside Academy",
        "child_forename": "Maisie",
        "suspect_forename": "Dorian",
        "suspect_phones": "07700 900123, 07700 900124",
        "what_happened": "Disclosed lifts and alcohol.",
        "occurred_on": "2024-03-01",
        "location_postcode": "LS1 4AP",
    }
    reply = client.post("/reports/new/duty", data=form)
    assert reply.status_code == 303 and reply.headers["location"].startswith("/reports/mine/JD-")
    receipt = client.get(reply.headers["location"])
    assert "Your receipt reference" in receipt.text and "Leeds" in receipt.text
    bad = client.post("/reports/new/duty", data=form | {"occurred_on": ""})
    assert bad.status_code == 422 and "When: this is required" in bad.text and "Harriet Oakenshaw" in bad.text


def test_pressing_file_twice_or_refreshing_files_one_report(sqlite_engine):
    add_user(sqlite_engine, "reporter1", "reporter")
    add_user(sqlite_engine, "reporter2", "reporter")
    client = make_client(sqlite_engine)
    csrf = sign_in(client, "reporter1")
    key = re.search(r'name="client_key" value="([^"]+)"', client.get("/reports/new/makesafe").text)
    assert key, "the form carries its own key"
    form = {
        "csrf_token": csrf,
        "client_key": key.group(1),
        "reporter_name": "Idris Penhallow",
        "reporter_role": "Night manager",
        "reporter_organisation": "Canal Street Hotel",
        "business": "hotel",
        "business_name": "Canal Street Hotel",
        "indicators": [MakesafeIndicator.SOMETHING_ELSE.value],
        "adult_names": "Smith, John\nDaz",
        "what_happened": "A girl in school uniform was taken up to room 12 by two men at 1am.",
        "occurred_on": "2024-03-01",
    }
    first, again = (
        client.post("/reports/new/makesafe", data=form),
        client.post("/reports/new/makesafe", data=form),
    )
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"]  # the same receipt, not a second report
    with session_scope(sqlite_engine) as s:
        filed = s.scalars(select(Report)).all()
        assert len(filed) == 1
        names = [n["name"] for n in filed[0].payload["names_as_given"]]
    assert names == ["Smith, John", "Daz"]  # one name a line, commas and all
    other = make_client(sqlite_engine)
    sign_in(other, "reporter2")
    assert other.get(first.headers["location"]).status_code == 404  # a reporter reads only their own
    receipt = first.headers["location"].rsplit("/", 1)[1]
    assert f'<a href="/reports/mine/{receipt}">' in client.get("/reports/mine").text
    assert receipt not in other.get("/reports/mine").text
    mine = client.get("/api/reports/mine?limit=1")
    assert [r["receipt"] for r in mine.json()] == [receipt] and mine.headers["X-Total-Count"] == "1"


def test_a_refused_form_keeps_what_was_typed_and_says_what_to_fix_in_the_forms_words(sqlite_engine):
    add_user(sqlite_engine, "reporter1", "reporter")
    client = make_client(sqlite_engine)
    csrf = sign_in(client, "reporter1")
    ticked = MakesafeIndicator.NO_LUGGAGE.value
    form = {
        "csrf_token": csrf,
        "reporter_name": "Idris Penhallow",
        "reporter_role": "Driver",
        "reporter_organisation": "Rapid Cars",
        "business": "taxi",
        "business_name": "Rapid Cars",
        "indicators": [ticked],
        "phones": "0770",
        "reporter_email": "dispatch.rapidcars.example",
        "what_happened": "Picked up a girl of about 13 from a care home at 2am with two men.",
        "occurred_on": "2024-03-01",
    }
    page = client.post("/reports/new/makesafe", data=form)
    assert page.status_code == 422
    assert "Phones: string should have at least 5 characters" in page.text
    assert "Your email: this does not look right; check it" in page.text
    assert f'value="{ticked}" checked' in page.text and '<option value="taxi" selected>' in page.text
    assert 'name="client_key" value="' in page.text  # the key survives, so a fixed resend files once


def test_analysts_read_all_reports_and_it_is_logged(sqlite_engine):
    add_user(sqlite_engine, "reporter1", "reporter")
    add_user(sqlite_engine, "analyst1", "analyst")
    rep, ana = make_client(sqlite_engine), make_client(sqlite_engine)
    receipt = rep.post(
        "/api/reports", json=MAKESAFE, headers={"X-CSRF-Token": sign_in(rep, "reporter1")}
    ).json()
    sign_in(ana, "analyst1")
    listed = ana.get("/api/reports").json()
    assert listed[0]["receipt"] == receipt["receipt"] and listed[0]["filed_by"] == "reporter1"
    assert [(p["label"], p["person_id"]) for p in listed[0]["people"]] == [
        ("person of interest Jay Smithers", None),
        ("vulnerable child Kayleigh", None),
    ]
    key = f"R{_first_record(sqlite_engine)}"
    assert ana.get(f"/people/{key}").status_code == 200  # readable at once, before any linkage run
    page = ana.get("/reports").text  # each person named, and that no run has matched them yet
    assert "person of interest Jay Smithers: not matched yet" in page
    assert "vulnerable child Kayleigh: not matched yet" in page


def _first_record(engine) -> int:
    with session_scope(engine) as s:
        return s.scalar(select(func.min(PersonRecord.id)))


@pytest.mark.parametrize(
    ("postcode", "district", "authority"),
    [
        ("BD7 1AA", "BD7", "Bradford"),
        ("s60 2aa", "S60", "Rotherham"),
        ("S1 2HH", "S1", "Sheffield"),
        ("OL11", "OL11", "Rochdale"),
        ("ZZ9 9ZZ", "ZZ9", "To be determined"),
        (None, None, "To be determined"),
        ("not a postcode", None, "To be determined"),
    ],
)
def test_routing_takes_the_longest_district_prefix(postcode, district, authority):
    assert postcode_district(postcode) == district
    assert route(postcode, load_table(DEFAULT_TABLE)).local_authority == authority
