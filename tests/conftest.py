"""Shared fixtures: real databases (SQLite file and PostgreSQL), each migrated with Alembic."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text

from joindots.store.db import make_engine, migrate
from joindots.store.tables import metadata

PG_ADMIN_URL = os.environ.get(
    "JOINDOTS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_available() -> bool:
    try:
        with create_engine(PG_ADMIN_URL).connect() as conn:
            conn.execute(text("select 1"))
        return True
    except Exception:
        return False


POSTGRES = _postgres_available()


def pytest_report_header(config: pytest.Config) -> str:
    if POSTGRES:
        return f"PostgreSQL tests: ON ({PG_ADMIN_URL})"
    return "!!! PostgreSQL tests: SKIPPED - no server answers at " + PG_ADMIN_URL + " !!!"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
    if not POSTGRES:
        pytest.skip("no PostgreSQL server answers (set JOINDOTS_TEST_POSTGRES_URL)")
    name = f"joindots_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    migrate(make_engine(url))
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_all(engine: Engine) -> None:
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
def sqlite_engine(tmp_path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'joindots.db'}")
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request, tmp_path) -> Iterator[Engine]:
    """A migrated, empty database: each test runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'joindots.db'}")
        migrate(eng)
    else:
        eng = make_engine(request.getfixturevalue("postgres_url"))
        _truncate_all(eng)
    yield eng
    eng.dispose()


def _settings_pointing_at(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    from joindots.settings import get_settings

    monkeypatch.setenv("JOINDOTS_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    yield engine
    get_settings.cache_clear()


@pytest.fixture
def db_env(engine, monkeypatch) -> Iterator[Engine]:
    """Point the settings (and so the CLI and web app) at the test database."""
    yield from _settings_pointing_at(engine, monkeypatch)


@pytest.fixture
def cli_db(sqlite_engine, monkeypatch) -> Iterator[Engine]:
    """The CLI and settings pointed at a SQLite test database (for the slower stories run once)."""
    yield from _settings_pointing_at(sqlite_engine, monkeypatch)
