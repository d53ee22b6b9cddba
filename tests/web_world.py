"""Worlds for the web tests. Synthetic people only.

`build_world`: a tiny world built through the ORM (two sources, linked people, a pair to review, a
shared phone), for tests of rules that need exact names. `linked_world`: a real one, a synthetic world
of LINKED_PEOPLE made, ingested, linked by the real model, grouped, screened, scored for quality and
published as statistics, exactly as `joindots demo` does it; built once per test session and copied
for each test. Users of every role have known passwords.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import shutil
from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from joindots.auth.roles import Role
from joindots.auth.users import create_user, set_password
from joindots.settings import Settings
from joindots.store.db import make_engine, migrate, session_scope
from joindots.store.link_tables import LinkRun, MatchPair, Person, RecordPerson
from joindots.store.schema import Event, LoadBatch, PersonRecord, RecordObject, SourceRow
from joindots.web import create_app

PASSWORD = "correct horse battery staple"
PURPOSE = "Operation Testbed: reviewing referral 24/117"


@dataclass
class World:
    alpha: str  # person key of the suspect with two records
    alpha_records: list[int]
    pair_id: int  # an undecided pair between the thresholds
    pair_records: tuple[int, int]


def _batch(session, source: str) -> LoadBatch:
    batch = LoadBatch(source=source, file_name=f"{source}.csv", file_sha256="0" * 64, mapping_sha256="0" * 64)
    session.add(batch)
    session.flush()
    return batch


def _record(session, batch: LoadBatch, n: int, event: Event, **fields) -> PersonRecord:
    row = SourceRow(
        batch_id=batch.id,
        source=batch.source,
        source_record_id=f"{batch.source}-{n}",
        row_number=n,
        original={"n": n},
    )
    session.add(row)
    session.flush()
    record = PersonRecord(
        source_row_id=row.id,
        batch_id=batch.id,
        source=batch.source,
        record_id=row.source_record_id,
        event_id=event.id,
        **fields,
    )
    session.add(record)
    session.flush()
    return record


def _events(session, north: LoadBatch, health: LoadBatch) -> tuple[Event, Event]:
    crime = Event(
        batch_id=north.id, source="police_north", ref="CR/0001/24", type="crime", date=dt.date(2024, 3, 2)
    )
    visit = Event(
        batch_id=health.id, source="health", ref="AE-77", type="attendance", date=dt.date(2024, 3, 9)
    )
    session.add_all([crime, visit])
    session.flush()
    return crime, visit


def build_world(engine: Engine) -> World:
    with session_scope(engine) as s:
        north, health = _batch(s, "police_north"), _batch(s, "health")
        crime, visit = _events(s, north, health)
        a1 = _record(
            s,
            north,
            1,
            crime,
            role="suspect",
            forename="Dorian",
            surname="Quillfeather",
            dob=dt.date(1988, 5, 17),
            sex="M",
            postcode="BD7 1AA",
            ethnicity="W1",
            nationality="GBR",
        )
        a2 = _record(
            s,
            health,
            2,
            visit,
            role="associate",
            forename="Dorian",
            surname="Quilfeather",
            dob=dt.date(1988, 5, 17),
            sex="M",
        )
        child = _record(
            s,
            north,
            3,
            crime,
            role="victim",
            forename="Maisie",
            surname="Tenterden",
            dob=dt.date(2009, 1, 4),
            sex="F",
        )
        other = _record(
            s,
            health,
            4,
            visit,
            role="patient",
            forename="Maisy",
            surname="Tenterden",
            dob=dt.date(2009, 4, 1),
            sex="F",
        )
        s.add_all(
            [
                RecordObject(person_record_id=a1.id, kind="phone", value="+447700900123"),
                RecordObject(person_record_id=other.id, kind="phone", value="+447700900123"),
                RecordObject(person_record_id=a2.id, kind="vehicle", value="YX19ABC"),
            ]
        )
        run = LinkRun(status="done", threshold=0.9, loose_threshold=0.5, model={"note": "test"})
        s.add(run)
        s.flush()
        s.add_all([Person(id="P000001", created_run_id=run.id), Person(id="P000002", created_run_id=run.id)])
        s.flush()
        s.add_all(
            [
                RecordPerson(person_record_id=a1.id, person_id="P000001", run_id=run.id),
                RecordPerson(
                    person_record_id=a2.id, person_id="P000001", run_id=run.id, match_probability=0.97
                ),
                RecordPerson(person_record_id=child.id, person_id="P000002", run_id=run.id),
            ]
        )
        strong = MatchPair(
            run_id=run.id,
            record_l=a1.id,
            record_r=a2.id,
            match_probability=0.97,
            match_weight=5.0,
            explanation={
                "surname": {"label": "Jaro-Winkler > 0.9", "bayes_factor": 30.0},
                "dob": {"label": "exact", "bayes_factor": 80.0},
            },
        )
        doubtful = MatchPair(
            run_id=run.id,
            record_l=child.id,
            record_r=other.id,
            match_probability=0.7,
            match_weight=1.2,
            explanation={"dob": {"label": "day and month swapped", "bayes_factor": 4}},
        )
        s.add_all([strong, doubtful])
        s.flush()
        return World("P000001", [a1.id, a2.id], doubtful.id, (child.id, other.id))


def add_user(engine: Engine, username: str, role: Role | str) -> None:
    with session_scope(engine) as s:
        create_user(s, username, role, created_by="test")
        set_password(s, username, PASSWORD)


def make_client(engine: Engine, **settings) -> TestClient:
    url = engine.url.render_as_string(hide_password=False)
    app = create_app(Settings(database_url=url, **settings), engine=engine)
    return TestClient(app, base_url="http://testserver", follow_redirects=False)


def sign_in(client: TestClient, username: str, purpose: str = PURPOSE) -> str:
    """Sign in through the form; returns the session's CSRF token (read from the home page)."""
    reply = client.post("/login", data={"username": username, "password": PASSWORD, "justification": purpose})
    assert reply.status_code == 303, reply.text
    page = client.get("/reports/mine" if username.startswith("reporter") else "/")
    marker = 'name="csrf_token" value="'
    start = page.text.index(marker) + len(marker)
    return page.text[start : page.text.index('"', start)]


LINKED_PEOPLE, LINKED_SEED = 500, 1
LINKED_USERS = {role: f"{role.value}1" for role in Role}


def _build_linked(folder: Path) -> Path:
    from joindots.ingest.load import ingest_dir
    from joindots.link.run import run_linkage
    from joindots.network.groups import build_groups
    from joindots.quality.service import run_quality
    from joindots.screening.queue import screen
    from joindots.stats.service import run_stats
    from joindots.synth import generate_world

    print(f"linked web world: people={LINKED_PEOPLE} seed={LINKED_SEED}")
    db = folder / "building.db"  # renamed once complete, so a failed build is never reused
    engine = make_engine(f"sqlite:///{db}")
    migrate(engine)
    generate_world(folder / "world", LINKED_PEOPLE, LINKED_SEED)
    ingest_dir(engine, folder / "world", "test")
    run_linkage(engine, actor="test")
    build_groups(engine, "test")
    screen(engine, "test")
    run_quality(engine, folder / "outputs" / "quality", "test")
    run_stats(engine, folder / "outputs" / "stats", "test")
    for role, username in LINKED_USERS.items():
        add_user(engine, username, role)
    engine.dispose()
    return db


def linked_world(tmp_path_factory, into: Path) -> Engine:
    """A copy, in `into`, of the session's linked world (built by the first test that asks)."""
    folder = tmp_path_factory.getbasetemp() / "linked-web-world"
    folder.mkdir(exist_ok=True)
    with (folder / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        built = folder / "linked.db"
        if not built.exists():
            _build_linked(folder).rename(built)
    copy = into / "linked.db"
    shutil.copy(built, copy)
    return make_engine(f"sqlite:///{copy}")
