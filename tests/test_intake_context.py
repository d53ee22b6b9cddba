"""A report naming a known child and a suspect by first name only: the suspect is matched at once to
the person around that child whose name fits (found by context), and to no one when no one around
the child fits, when the child is not known, or by anything but the names, places and events.

The world is the shared linked web world (made, ingested and linked as `joindots demo` does).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re

import pytest
from sqlalchemy import Engine, select, update
from typer.testing import CliRunner

from joindots.audit.tables import AccessLog
from joindots.cli.common import console
from joindots.cli.main import app
from joindots.intake.matching import match_report
from joindots.intake.queries import age_on, ages_then, people_named
from joindots.intake.routing import load_table
from joindots.intake.samples import Around, as_given, child_with_someone_around, guest_seen_at_a_hotel
from joindots.intake.schemas import (
    DutyToReport,
    MakesafeConcern,
    MakesafeIndicator,
    NameGiven,
    PersonGiven,
    Reporter,
)
from joindots.intake.service import file_report
from joindots.intake.tables import Report
from joindots.link.instant import matcher_for
from joindots.link.run import run_linkage
from joindots.settings import get_settings
from joindots.store.db import session_scope
from joindots.store.link_tables import LinkRun, RecordPerson
from joindots.store.schema import PersonRecord
from joindots.web.pages import report_pages
from web_world import add_user, linked_world, make_client, sign_in

pytestmark = pytest.mark.slow

REPORTER = Reporter(
    name="Imogen Larkspur", role="Designated safeguarding lead", organisation="Fellside School"
)


@pytest.fixture
def linked(tmp_path_factory, tmp_path):
    engine = linked_world(tmp_path_factory, tmp_path)
    yield engine
    engine.dispose()


def _a_child_with_someone_around(engine: Engine) -> Around:
    known = child_with_someone_around(engine)
    assert known is not None, "no known child in this world has a named person around them"
    return known


def _file(engine: Engine, child: PersonGiven, suspect: PersonGiven, date: object) -> Report:
    report = DutyToReport(
        reporter=REPORTER,
        child=child,
        suspects=[suspect],
        what_happened="Pupil disclosed lifts and gifts from an older man known to her.",
        occurred_on=date,
    )
    receipt = match_report(engine, file_report(engine, report, "reporter1", load_table()))
    with session_scope(engine) as s:
        stored = s.scalars(select(Report).where(Report.receipt == receipt.receipt)).one()
        s.expunge(stored)
        return stored


def _suspect_hits(engine: Engine, report: Report) -> list[dict]:
    with session_scope(engine) as s:
        suspect = s.scalar(select(PersonRecord.id).where(PersonRecord.record_id == f"{report.receipt}#1"))
    return [m for m in report.matches if m["record"] == suspect]


def test_a_suspect_named_by_first_name_is_matched_to_the_one_person_around_the_child(linked):
    known = _a_child_with_someone_around(linked)
    report = _file(linked, as_given(known.child), PersonGiven(forename=known.forename), known.date)
    hits = _suspect_hits(linked, report)
    assert hits, "the suspect was matched to no one"
    best = hits[0]
    assert best["person_id"] == known.suspect and best["found_by"] == "context"
    assert best["match_probability"] >= 0.5
    context = best["explanation"]["context"]
    assert "around it" in context["level"] and context["weight"] > 0
    assert best["explanation"]["forename"]["weight"] > 0  # the name is part of the evidence
    with session_scope(linked) as s:  # the model alone gives a first name too little
        run = s.scalars(select(LinkRun).order_by(LinkRun.id.desc())).first()
        model, threshold, shares = run.model, run.threshold, run.stats["context_shares"]
    assert shares[""] and len(shares[""]) == 3
    record = hits[0]["record"]
    alone = matcher_for(linked, model).match_event_records([record], {}, threshold)[record]
    assert all(c["person_id"] != known.suspect or c["match_probability"] < 0.5 for c in alone)


def test_the_analyst_sees_which_match_came_from_context(linked):
    known = _a_child_with_someone_around(linked)
    _file(linked, as_given(known.child), PersonGiven(forename=known.forename), known.date)
    admin = make_client(linked)
    add_user(linked, "admin9", "admin")
    sign_in(admin, "admin9")
    page = admin.get("/reports").text
    hit = page[page.index(f"suspect {known.forename}: ") :]
    assert hit.startswith(f'suspect {known.forename}: <a href="/people/{known.suspect}">')
    assert "by context: fits best of" in hit[: hit.index("</li>")]


def test_after_the_next_full_run_the_page_shows_where_the_run_placed_the_suspect(linked):
    known = _a_child_with_someone_around(linked)
    _file(linked, as_given(known.child), PersonGiven(forename=known.forename), known.date)
    run_linkage(linked, actor="test")
    admin = make_client(linked)
    add_user(linked, "admin9", "admin")
    sign_in(admin, "admin9")
    page = admin.get("/reports").text
    placed = (
        f'suspect {known.forename}: in <a href="/people/{known.suspect}">{known.suspect}</a> since a full run'
    )
    assert placed in page  # the full run's context step agrees with the instant match
    aged = _age_shown(page[page.index(placed) :].split("</li>")[0])
    people = admin.get("/api/reports").json()[0]["people"]
    assert [p["age_then"] for p in people if p["person_id"] == known.suspect] == [aged]
    assert {"label": f"suspect {known.forename}", "person_id": known.suspect} in [
        {k: p[k] for k in ("label", "person_id")} for p in people
    ]


def test_a_first_name_no_one_around_the_child_has_matches_no_one(linked):
    known = _a_child_with_someone_around(linked)
    report = _file(linked, as_given(known.child), PersonGiven(forename="Zebediah"), known.date)
    assert not [h for h in _suspect_hits(linked, report) if h.get("found_by") == "context"]
    assert any(m["person_id"] for m in report.matches)  # the child was known


def test_without_a_known_child_there_is_no_context(linked):
    known = _a_child_with_someone_around(linked)
    stranger = PersonGiven(forename="Persephone", surname="Quillfeather", dob=known.child.dob)
    report = _file(linked, stranger, PersonGiven(forename=known.forename), known.date)
    assert not [h for h in _suspect_hits(linked, report) if h.get("found_by") == "context"]


def _match_again(engine: Engine, report: Report) -> dict[int, list[dict]]:
    """The report's records matched again as intake matches them (with the latest run)."""
    with session_scope(engine) as s:
        run = s.scalars(select(LinkRun).order_by(LinkRun.id.desc())).first()
        model, threshold, shares = run.model, run.threshold, run.stats["context_shares"]
        records = sorted(s.scalars(select(PersonRecord.id).where(PersonRecord.event_id == report.event_id)))
    return matcher_for(engine, model).match_event_records(records, shares, threshold)


def test_ethnicity_and_nationality_do_not_change_a_context_match(linked):
    known = _a_child_with_someone_around(linked)
    report = _file(linked, as_given(known.child), PersonGiven(forename=known.forename), known.date)
    first = _match_again(linked, report)
    assert any(h.get("found_by") == "context" for hits in first.values() for h in hits)
    with session_scope(linked) as s:
        rows = s.execute(select(PersonRecord.id, PersonRecord.ethnicity, PersonRecord.nationality)).all()
        shuffled = [(e, n) for _, e, n in rows]
        random.Random(7).shuffle(shuffled)
        print("shuffle seed 7")
        for (record, _, _), (ethnicity, nationality) in zip(rows, shuffled, strict=True):
            s.execute(
                update(PersonRecord)
                .where(PersonRecord.id == record)
                .values(ethnicity=ethnicity, nationality=nationality)
            )
    assert _match_again(linked, report) == first


def _a_guest_seen_at_a_hotel(engine: Engine) -> tuple[str, str, str, str, object]:
    seen = guest_seen_at_a_hotel(engine)
    assert seen is not None, "no hotel in this world has a known person seen there"
    return seen.person, seen.forename, seen.hotel, seen.postcode, seen.date


def test_a_guest_who_gave_a_first_name_is_matched_to_the_known_person_seen_at_the_hotel(linked):
    person, name, hotel, postcode, date = _a_guest_seen_at_a_hotel(linked)
    concern = MakesafeConcern(
        reporter=REPORTER,
        business="hotel",
        business_name=hotel,
        location_postcode=postcode,
        indicators=[MakesafeIndicator.PAID_CASH_OR_BY_ANOTHER],
        names_as_given=[NameGiven(name=name, who="guest")],
        what_happened="Room paid in cash by an older man for a girl who looked about fourteen.",
        occurred_on=date,
    )
    receipt = match_report(linked, file_report(linked, concern, "reporter1", load_table()))
    with session_scope(linked) as s:
        report = s.scalars(select(Report).where(Report.receipt == receipt.receipt)).one()
        hits = [m for m in report.matches if m.get("found_by") == "context"]
    assert [h["person_id"] for h in hits] == [person]
    assert "seen within a year or living at" in hits[0]["explanation"]["context"]["level"]


def test_the_command_line_lists_who_each_report_names_and_logs_the_reading(linked, monkeypatch):
    known = _a_child_with_someone_around(linked)
    report = _file(linked, as_given(known.child), PersonGiven(forename=known.forename), known.date)
    monkeypatch.setenv("JOINDOTS_DATABASE_URL", linked.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    monkeypatch.setattr(console, "width", 400)  # a wide terminal: each person on one line
    shown = CliRunner().invoke(app, ["reports", "--why", "weekly intake check"])
    get_settings.cache_clear()
    assert shown.exit_code == 0, shown.output
    assert report.receipt in shown.output
    assert f"suspect {known.forename}: {known.suspect} (" in shown.output
    assert "by context: fits best of" in shown.output
    with session_scope(linked) as s:
        logged = s.scalars(select(AccessLog).where(AccessLog.justification == "weekly intake check")).one()
    assert logged.action == "consultation" and report.receipt in logged.details["receipts"]


def _person_of(engine: Engine, record: int) -> tuple[str, set]:
    """A record's person and the birth dates that person's records give."""
    with session_scope(engine) as s:
        person = s.scalar(select(RecordPerson.person_id).where(RecordPerson.person_record_id == record))
        births = s.scalars(
            select(PersonRecord.dob)
            .join(RecordPerson, RecordPerson.person_record_id == PersonRecord.id)
            .where(RecordPerson.person_id == person, PersonRecord.dob.is_not(None))
        )
        return person, set(births)


def _age_shown(line: str) -> int:
    said = re.search(r"aged (\d+) at the time", line)
    assert said, f"no age in {line!r}"
    return int(said.group(1))


def test_each_person_a_report_names_shows_their_age_on_the_reports_date(linked, monkeypatch):
    """A victim of fourteen, or a 'suspect' matched to a child, shows at once: the page, the API and
    the command line give each matched person's age on the report's date, from their birth date."""
    known = _a_child_with_someone_around(linked)
    report = _file(linked, as_given(known.child), PersonGiven(forename=known.forename), known.date)
    child, child_births = _person_of(linked, known.child.id)
    suspect, suspect_births = _person_of(linked, _suspect_hits(linked, report)[0]["record_id"])
    assert suspect == known.suspect and suspect_births  # a full record: a birth date
    could_be = {
        p: {age_on(born, known.date) for born in b}
        for p, b in ((child, child_births), (suspect, suspect_births))
    }

    admin = make_client(linked)
    add_user(linked, "admin9", "admin")
    sign_in(admin, "admin9")
    page = admin.get("/reports").text
    lines = {p: page[page.index(f'<a href="/people/{p}">') :].split("</li>")[0] for p in could_be}
    shown = {p: _age_shown(line) for p, line in lines.items()}
    assert all(shown[p] in could_be[p] for p in could_be)
    assert shown[child] < 18  # a child on the report's date

    matches = admin.get("/api/reports").json()[0]["matches"]
    assert {m["person_id"]: m["age_then"] for m in matches if m["person_id"] in shown} == shown

    monkeypatch.setenv("JOINDOTS_DATABASE_URL", linked.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    monkeypatch.setattr(console, "width", 400)
    told = CliRunner().invoke(app, ["reports", "--why", "ages check"])
    get_settings.cache_clear()
    assert f"suspect {known.forename}: {suspect} (" in told.output
    assert f"aged {shown[suspect]} at the time" in told.output.split(f"suspect {known.forename}:")[1]


def test_a_person_born_after_the_reports_date_has_no_age(linked):
    known = _a_child_with_someone_around(linked)
    before = known.child.dob - dt.timedelta(days=30)
    report = _file(linked, as_given(known.child), PersonGiven(forename=known.forename), before)
    child, _ = _person_of(linked, known.child.id)
    with session_scope(linked) as s:
        stored = s.scalars(select(Report).where(Report.id == report.id)).one()
        ages = ages_then(s, [stored], people_named(s, [stored]))
    assert any(m["person_id"] == child for m in report.matches)  # matched, yet no age
    assert (report.id, child) not in ages


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        (dt.date(2010, 3, 2), dt.date(2024, 3, 1), 13),
        (dt.date(2010, 3, 2), dt.date(2024, 3, 2), 14),
        (dt.date(2008, 2, 29), dt.date(2024, 2, 28), 15),
        (dt.date(2008, 2, 29), dt.date(2024, 2, 29), 16),
        (dt.date(2008, 2, 29), dt.date(2023, 3, 1), 15),
    ],
)
def test_an_age_is_counted_in_whole_years_birthdays_included(born, on, age):
    assert age_on(born, on) == age


def test_the_suspects_page_shows_the_report_at_once_until_the_next_run_places_it(linked):
    """An analyst who opens the suspect's page after the report is filed sees it there before any
    run: which report, as named, how sure and how found; the next run makes its record his own."""
    known = _a_child_with_someone_around(linked)
    report = _file(linked, as_given(known.child), PersonGiven(forename=known.forename), known.date)
    admin = make_client(linked)
    add_user(linked, "admin9", "admin")
    sign_in(admin, "admin9")

    page = admin.get(f"/people/{known.suspect}").text
    section = page[page.index("Named in reports since the last linkage run") :].split("</ul>")[0]
    assert f"{report.receipt}</a>, duty to report of {known.date}: suspect {known.forename} (" in section
    assert "by context: fits best of" in section
    profile = admin.get(f"/api/people/{known.suspect}").json()
    assert [(r["receipt"], r["found_by"]) for r in profile["reports"]] == [(report.receipt, "context")]
    assert report.receipt not in admin.get(f"/people/{_a_stranger(linked, known)}").text
    reviewer = make_client(linked)  # reads people, not reports from professionals
    add_user(linked, "reviewer9", "reviewer")
    sign_in(reviewer, "reviewer9")
    assert report.receipt not in reviewer.get(f"/people/{known.suspect}").text
    assert reviewer.get(f"/api/people/{known.suspect}").json()["reports"] == []
    with session_scope(linked) as s:  # what the analyst saw is in the access log
        seen = s.scalars(
            select(AccessLog).where(
                AccessLog.subject == f"person {known.suspect}", AccessLog.actor == "admin9"
            )
        ).all()
    assert seen and all(log.details.get("reports") == [report.receipt] for log in seen)

    run_linkage(linked, actor="test")
    page = admin.get(f"/people/{known.suspect}").text
    assert "Named in reports since the last linkage run" not in page
    assert admin.get(f"/api/people/{known.suspect}").json()["reports"] == []
    suspect_record = _suspect_hits(linked, report)[0]["record"]
    with session_scope(linked) as s:  # placed where the instant match said
        placed = s.scalar(
            select(RecordPerson.person_id).where(RecordPerson.person_record_id == suspect_record)
        )
    assert placed == known.suspect


def _a_stranger(engine: Engine, known: Around) -> str:
    """A person the report does not name."""
    with session_scope(engine) as s:
        return s.scalars(
            select(RecordPerson.person_id)
            .where(RecordPerson.person_id != known.suspect)
            .order_by(RecordPerson.person_id)
        ).first()


def test_an_analyst_reads_one_report_whole_with_the_evidence_for_each_match(linked):
    known = _a_child_with_someone_around(linked)
    report = _file(linked, as_given(known.child), PersonGiven(forename=known.forename), known.date)
    admin = make_client(linked)
    add_user(linked, "admin9", "admin")
    sign_in(admin, "admin9")
    assert f'<a href="/reports/{report.receipt}">' in admin.get("/reports").text

    page = admin.get(f"/reports/{report.receipt}").text
    assert "Pupil disclosed lifts and gifts from an older man known to her." in page  # in full
    assert f"{REPORTER.name}, {REPORTER.role}, {REPORTER.organisation}" in page  # who to call back
    assert f"<dt>Suspect</dt><dd>{known.forename}</dd>" in page
    suspect = page[page.index(f"<h3>suspect {known.forename}</h3>") :].split("</section>")[0]
    assert f'<a href="/people/{known.suspect}">{known.suspect}</a> (by context)' in suspect
    assert "forename: " in suspect and "fits best of" in suspect  # the name's evidence, the context's
    with session_scope(linked) as s:
        logged = s.scalars(
            select(AccessLog).where(
                AccessLog.subject == f"report {report.receipt}", AccessLog.actor == "admin9"
            )
        ).all()
    assert [entry.action for entry in logged] == ["consultation"]
    assert known.suspect in logged[0].details["people"]  # who looked at the suspect, answered
    found = admin.get(f"/api/audit?person={known.suspect}").json()
    assert f"report {report.receipt}" in [e["subject"] for e in found["entries"]]

    detail = admin.get(f"/api/reports/{report.receipt}").json()
    assert detail["receipt"] == report.receipt and detail["payload"]["what_happened"].startswith("Pupil")
    assert known.suspect in [m["person_id"] for m in detail["matches"] if m.get("found_by") == "context"]
    assert admin.get("/reports/JD-NOSUCH").status_code == 404
    assert admin.get("/api/reports/JD-NOSUCH").status_code == 404


def test_the_command_line_reads_one_report_whole_and_logs_the_reading(linked, monkeypatch):
    known = _a_child_with_someone_around(linked)
    report = _file(linked, as_given(known.child), PersonGiven(forename=known.forename), known.date)
    monkeypatch.setenv("JOINDOTS_DATABASE_URL", linked.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    monkeypatch.setattr(console, "width", 400)
    runner = CliRunner()
    shown = runner.invoke(app, ["report", report.receipt, "--why", "strategy meeting prep"])
    assert shown.exit_code == 0, shown.output
    out = shown.output
    assert "what happened: Pupil disclosed lifts and gifts from an older man known to her." in out
    assert f"reporter: {REPORTER.name}, {REPORTER.role}, {REPORTER.organisation}" in out
    assert f"suspect: {known.forename}\n" in out and "triage: awaiting" in out
    assert f"suspect {known.forename}: {known.suspect} (" in out and "by context: fits best of" in out
    evidence = out[out.index(f"  {known.suspect}: ") :].splitlines()[0]
    assert "forename " in evidence and "context: fits best of" in evidence  # each match's evidence
    as_json = runner.invoke(app, ["report", report.receipt, "--json", "--why", "export for the file"])
    missing = runner.invoke(app, ["report", "JD-NOSUCH", "--why", "a typo"])
    get_settings.cache_clear()
    detail = json.loads(as_json.output)
    assert detail["receipt"] == report.receipt and detail["triage"] is None
    assert known.suspect in [m["person_id"] for m in detail["matches"] if m.get("found_by") == "context"]
    assert missing.exit_code != 0 and "no report JD-NOSUCH" in missing.output
    with session_scope(linked) as s:
        logged = s.scalars(
            select(AccessLog).where(
                AccessLog.subject == f"report {report.receipt}", AccessLog.action == "consultation"
            )
        ).all()
    assert [(e.action, e.justification) for e in logged] == [
        ("consultation", "strategy meeting prep"),
        ("consultation", "export for the file"),
    ]


def test_the_same_child_reported_twice_shows_the_earlier_report(linked, monkeypatch):
    known = _a_child_with_someone_around(linked)
    first = _file(linked, as_given(known.child), PersonGiven(forename="Alder"), known.date)
    again = _file(linked, as_given(known.child), PersonGiven(forename="Birch"), known.date)
    earlier = [h for h in again.matches if h["person_id"] is None and h["record"] != h["record_id"]]
    assert earlier, "the second report's child matches the first report's record, not yet placed"
    record = earlier[0]["record_id"]
    admin = make_client(linked)
    add_user(linked, "admin9", "admin")
    sign_in(admin, "admin9")
    shown = f'<a href="/people/R{record}">record {record}</a> of report <a href="/reports/{first.receipt}">'
    assert shown in admin.get(f"/reports/{again.receipt}").text and shown in admin.get("/reports").text
    monkeypatch.setenv("JOINDOTS_DATABASE_URL", linked.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    monkeypatch.setattr(console, "width", 400)
    told = CliRunner().invoke(app, ["report", again.receipt, "--why", "same child twice?"])
    get_settings.cache_clear()
    assert (
        f"record {record} of report {first.receipt} (" in told.output and "not yet in a person" in told.output
    )


def test_reports_received_come_a_page_at_a_time_newest_first(linked, monkeypatch):
    known = _a_child_with_someone_around(linked)
    filed = [
        _file(linked, as_given(known.child), PersonGiven(forename=name), known.date).receipt
        for name in ("Alder", "Birch", "Cedar")
    ]
    monkeypatch.setattr(report_pages, "REPORTS_PAGE", 2)
    admin = make_client(linked)
    add_user(linked, "admin9", "admin")
    sign_in(admin, "admin9")
    first, second = admin.get("/reports").text, admin.get("/reports?page=2").text
    assert "Showing 1–2 of 3" in first and "Page 1 of 2" in first

    def rows(page: str) -> list[str]:
        return re.findall(r'<td><a href="/reports/(JD-\w+)">', page)

    assert rows(first) == [filed[2], filed[1]] and rows(second) == [filed[0]]
    assert rows(admin.get("/reports?page=9").text) == [filed[0]]  # past the end: the last page

    reply = admin.get("/api/reports?offset=1&limit=1")
    assert reply.headers["X-Total-Count"] == "3"
    assert [r["receipt"] for r in reply.json()] == [filed[1]]
