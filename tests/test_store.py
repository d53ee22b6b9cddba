"""The system of record: migrations build exactly the schema the code declares, on both databases;
JSON is written as `json.dumps` writes it."""

from __future__ import annotations

import datetime as dt
import json
import threading

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text

from joindots.intake.queries import count_reports
from joindots.intake.tables import Report
from joindots.store.db import BULK_CACHE_KIB, alembic_config, bulk_writes, json_text, migrate, session_scope
from joindots.store.link_tables import LinkRun
from joindots.store.tables import metadata


def test_migrations_create_every_table(engine):
    tables = set(inspect(engine).get_table_names())
    assert {t.name for t in metadata.sorted_tables} <= tables


def test_migrations_match_the_declared_schema(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), metadata)
    assert diff == [], f"schema and migrations differ; run scripts/make_baseline_migration.py: {diff}"


def test_an_explanation_shared_by_many_pairs_is_encoded_once_while_they_are_stored(monkeypatch) -> None:
    encoded: list[object] = []
    dumps = json.dumps
    monkeypatch.setattr(json, "dumps", lambda value: encoded.append(value) or dumps(value))
    shared = {"forename": {"level": "exact", "weight": 8.36}}
    other = {"forename": {"level": "else", "weight": -7.19}}
    with json_text.remembering():
        texts = [json_text(value) for value in (shared, other, shared, shared)]
    assert texts == [dumps(v) for v in (shared, other, shared, shared)]  # the same text as ever
    assert encoded == [shared, other]
    json_text(shared)  # outside a store, nothing is remembered
    assert encoded == [shared, other, shared]


def test_only_the_storing_thread_remembers_what_it_encoded() -> None:
    seen: list[bool] = []
    with json_text.remembering():
        worker = threading.Thread(target=lambda: seen.append(json_text.known is None))
        worker.start()
        worker.join()
        assert json_text.known == {}
    assert seen == [True]


def test_a_run_writes_its_rows_with_a_larger_sqlite_page_cache_and_sets_it_back(engine) -> None:
    with session_scope(engine) as session:
        sqlite = session.connection().dialect.name == "sqlite"
        pragma = "PRAGMA cache_size"
        before = session.connection().exec_driver_sql(pragma).scalar() if sqlite else None
        with bulk_writes(session):
            session.add(LinkRun(status="running", threshold=0.9, loose_threshold=0.5))
            session.flush()  # writes go on inside the block
            if sqlite:
                assert session.connection().exec_driver_sql(pragma).scalar() == -BULK_CACHE_KIB
        if sqlite:
            assert session.connection().exec_driver_sql(pragma).scalar() == before != -BULK_CACHE_KIB
        assert session.scalars(select(LinkRun)).one().status == "running"  # on PostgreSQL: nothing else


def test_reports_filed_before_triage_existed_are_kept_and_await_it(engine) -> None:
    """Migration 0005 upgrades a database in place: a report stored at 0004 keeps its matches and
    awaits triage (both databases)."""
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    now = dt.datetime(2026, 12, 1, 9, 30)
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0004")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "insert into load_batch (id, source, file_name, file_sha256, mapping_sha256, started_at,"
                    " status, rows_read, rows_loaded, rows_quarantined, rows_already_loaded, report)"
                    " values (1, 'reports', 'report JD-OLD', 'x', 'x', :now, 'loaded', 1, 1, 0, 0, '{}')"
                ),
                {"now": now},
            )
            conn.execute(
                text(
                    "insert into event (id, batch_id, source, ref, type) values (1, 1, 'reports', 'JD-OLD', 'report')"
                )
            )
            conn.execute(
                text(
                    "insert into intake_report (id, receipt, kind, filed_by, filed_at, payload, routed_by_postcode,"
                    " event_id, match_status, matches) values (1, 'JD-OLD', 'duty_to_report', 'reporter1', :now,"
                    " '{}', false, 1, 'matched', '[{\"record\": 7, \"person_id\": \"P000001\"}]')"
                ),
                {"now": now},
            )
    finally:
        migrate(engine)
    with session_scope(engine) as s:
        report = s.scalars(select(Report)).one()
        assert (report.receipt, report.matches[0]["person_id"], report.triage) == ("JD-OLD", "P000001", None)
        assert count_reports(s, awaiting=True) == 1
