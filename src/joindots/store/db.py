"""One door to the system of record: engines, sessions and migrations."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from joindots.settings import get_settings

MIGRATIONS = Path(__file__).parent / "migrations"


class JsonText(threading.local):
    """The engines' JSON serializer: `json.dumps`, except that inside `remembering()` an object
    passed again is not encoded again. A million stored pairs share about a quarter of a million
    explanation objects. Each remembered object is held until the block ends, so its id cannot be
    reused by another object meanwhile; only the thread in the block remembers (a web request
    beside a run encodes as ever)."""

    known: dict[int, tuple[Any, str]] | None = None

    def __call__(self, value: Any) -> str:
        if self.known is None:
            return json.dumps(value)
        found = self.known.get(id(value))
        if found is None or found[0] is not value:
            found = self.known[id(value)] = (value, json.dumps(value))
        return found[1]

    @contextmanager
    def remembering(self) -> Iterator[None]:
        """Encode each object once in this block (objects must not change inside it)."""
        self.known = {}
        try:
            yield
        finally:
            self.known = None


json_text = JsonText()

# SQLite's page cache (KiB) while a run writes its pairs and assignments. Their index on the right-hand
# record takes ids in no order, and with SQLite's default 2 MB cache each insert reads index pages
# back: two million pairs stored in 31.9 s with the default, 24.4 s with this, 22.9 s with 1 GB.
BULK_CACHE_KIB = 262_144


@contextmanager
def bulk_writes(session: Session) -> Iterator[None]:
    """A larger page cache on the session's SQLite connection for the block (it grows only as it is
    used, and is set back after); other databases are left as they are."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size = {int(before or -2000)}")


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, json_serializer=json_text)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, json_serializer=json_text)


@lru_cache
def engine_for(url: str) -> Engine:
    return make_engine(url)


def default_engine() -> Engine:
    return engine_for(get_settings().database_url)


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the database to the newest schema (Alembic upgrade head)."""
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    factory = sessionmaker(bind=engine or default_engine(), expire_on_commit=False)
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
