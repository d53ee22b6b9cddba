"""Who looked at person X? Every page that shows or touches persons names them in its access-log
entry (details["people"]), an index written with the entry answers "every entry about P000002" on
both databases, and the index is checked with the hash chain. Synthetic people only."""

from __future__ import annotations

from alembic import command
from sqlalchemy import delete, inspect, select, text
from typer.testing import CliRunner

from joindots.audit import Action, LogQuery, people_of, record_access, search_log, verify_chain
from joindots.audit.tables import AccessLog, AccessLogPerson
from joindots.cli.main import app as cli
from joindots.link.decisions import decide, undo
from joindots.store.db import alembic_config, migrate, session_scope
from joindots.store.link_tables import RecordPerson
from web_world import add_user, build_world, make_client, sign_in


def _last(engine) -> AccessLog:
    with session_scope(engine) as s:
        return s.scalars(select(AccessLog).order_by(AccessLog.id.desc()).limit(1)).one()


def _admin(engine):
    add_user(engine, "admin1", "admin")
    admin = make_client(engine)
    sign_in(admin, "admin1")
    return admin


def test_an_auditor_finds_every_page_that_showed_a_child(engine):
    """The analyst reviews matches (the child's record beside another), opens the suspect, his
    network (the child is in it) and searches; the auditor asks who saw the child and gets exactly
    the pages that showed her, not the search that did not."""
    world = build_world(engine)
    _, other_record = world.pair_records
    add_user(engine, "analyst1", "analyst")
    analyst = make_client(engine)
    csrf = sign_in(analyst, "analyst1")
    assert analyst.get("/matches").status_code == 200
    assert _last(engine).details["people"] == ["P000002", f"R{other_record}"]
    assert analyst.get(f"/people/{world.alpha}").status_code == 200
    assert analyst.get(f"/people/{world.alpha}/network.json").status_code == 200
    assert "P000002" in _last(engine).details["people"]  # the child was at the suspect's crime
    analyst.post("/people/search", data={"name": "Quillfeather", "csrf_token": csrf})

    admin = _admin(engine)
    child = admin.get("/api/audit", params={"person": "P000002"}).json()
    assert [e["subject"] for e in child["entries"]] == [f"network of person {world.alpha}", "match review"]
    assert child["total"] == 2 and all(e["actor"] == "analyst1" for e in child["entries"])
    suspect = admin.get("/api/audit", params={"person": world.alpha}).json()
    assert [e["subject"] for e in suspect["entries"]] == [
        "people search",
        f"network of person {world.alpha}",
        f"person {world.alpha}",
    ]
    unlinked = admin.get("/api/audit", params={"person": f"R{other_record}"}).json()  # shares his phone
    assert [e["subject"] for e in unlinked["entries"]] == [f"network of person {world.alpha}", "match review"]


def test_a_match_decision_names_the_persons_it_changed(engine):
    world = build_world(engine)
    child_record, other_record = world.pair_records
    add_user(engine, "analyst1", "analyst")
    analyst = make_client(engine)
    csrf = sign_in(analyst, "analyst1")
    form = {"csrf_token": csrf, "decision": "same", "reason": "same child, day and month swapped"}
    assert analyst.post(f"/matches/{world.pair_id}/decision", data=form).status_code == 303
    entry = _last(engine)
    assert (entry.action, entry.subject) == ("alteration", f"records {child_record} and {other_record}")
    assert entry.details["people"] == ["P000002"]  # the other record was added to the child
    with session_scope(engine) as s:
        assert s.get_one(RecordPerson, other_record).person_id == "P000002"
        total, found = search_log(s, LogQuery(person="P000002"))
    assert found[0].id == entry.id


def test_a_merge_names_the_person_merged_away_and_its_undo_both(engine):
    world = build_world(engine)
    child_record, _ = world.pair_records
    outcome = decide(engine, world.alpha_records[0], child_record, "same", "analyst1", "a test of merges")
    assert _last(engine).details["people"] == ["P000001", "P000002"]  # one kept, one retired
    undo(engine, outcome.lineage_ids[0], "analyst1")
    entry = _last(engine)
    assert entry.subject.startswith("persons") and entry.details["people"] == ["P000001", "P000002"]


def test_the_cli_lists_what_touched_a_person(db_env):
    with session_scope(db_env) as s:
        for subject, people in [("group G00001", ["P000007", "P000009"]), ("people search", ["P000009"])]:
            record_access(
                s,
                actor="Analyst1",
                action=Action.CONSULTATION,
                subject=subject,
                justification="operation review",
                details={"people": people},
            )
        record_access(
            s, actor="admin1", action=Action.CONSULTATION, subject="person P000007", justification="x"
        )
    runner = CliRunner()
    found = runner.invoke(cli, ["audit", "search", "--person", "p000007"])
    assert found.exit_code == 0, found.output
    assert "2 entries match" in found.output and "G00001" in found.output
    by_prefix = runner.invoke(cli, ["audit", "search", "--actor", "analyst"])
    assert "2 entries match" in by_prefix.output


def test_a_removed_index_row_is_found_by_verify(engine):
    """Hiding a look by deleting its index row breaks verification, as altering the entry would."""
    with session_scope(engine) as s:
        for i in range(3):
            record_access(
                s,
                actor="analyst1",
                action=Action.CONSULTATION,
                subject="group G00001",
                justification="operation review",
                details={"people": [f"P{i:06d}", "P000009"]},
            )
    with session_scope(engine) as s:
        assert verify_chain(s).ok
        s.execute(
            delete(AccessLogPerson).where(
                AccessLogPerson.entry_id == 2, AccessLogPerson.person_id == "P000009"
            )
        )
    with session_scope(engine) as s:
        report = verify_chain(s)
    assert not report.ok and report.first_bad_id == 2 and "index" in (report.problem or "")


def test_entries_written_before_the_index_are_indexed_by_the_upgrade(engine):
    """A log kept at 0005 (no index) upgrades in place: its older entries are found by person."""
    with session_scope(engine) as s:
        record_access(
            s, actor="a1", action=Action.CONSULTATION, subject="person P000004", justification="why"
        )
        record_access(
            s,
            actor="a1",
            action=Action.CONSULTATION,
            subject="people search",
            justification="why",
            details={"people_shown": ["P000004", "P000005"]},  # as searches logged it before
        )
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0005")
        assert "access_log_person" not in inspect(engine).get_table_names()
    finally:
        migrate(engine)
    with session_scope(engine) as s:
        total, found = search_log(s, LogQuery(person="P000004"))
        assert total == 2 and verify_chain(s).ok
        assert search_log(s, LogQuery(person="P000005"))[0] == 1


def test_people_of_reads_the_subject_and_the_people_listed():
    assert people_of("person P000123", {}) == ["P000123"]
    assert people_of("network of person R42", {"people": ["R42", "P000001", 7, None, "x" * 30]}) == [
        "P000001",
        "R42",
    ]
    assert people_of("file police_north.csv", {"records": [1, 2]}) == []


def test_finding_a_person_uses_the_index_on_sqlite(sqlite_engine):
    with sqlite_engine.connect() as conn:
        plan = conn.execute(
            text(
                "EXPLAIN QUERY PLAN SELECT access_log.id FROM access_log JOIN access_log_person"
                " ON access_log_person.entry_id = access_log.id WHERE access_log_person.person_id = 'P000001'"
            )
        ).all()
    steps = " ".join(str(row[-1]) for row in plan)
    assert "SEARCH access_log_person USING" in steps and "SCAN access_log_person" not in steps
