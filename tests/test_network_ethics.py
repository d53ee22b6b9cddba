"""Group detection never uses ethnicity, IC code or nationality: on a synthetic world, permuting them
across every record leaves every group, tie and victim list as it was, and no query that building the
network sends to the database names those columns."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine, event, insert, select

from joindots.ingest.load import ingest_dir
from joindots.network.groups import build_groups
from joindots.network.service import neighbourhood
from joindots.network.tables import GroupMember, GroupTie, OffenderGroup
from joindots.store.db import session_scope
from joindots.store.link_tables import LinkRun, Person, RecordPerson
from joindots.store.schema import PersonRecord
from joindots.synth import generate_world

PROTECTED = ("ethnicity", "ic_code", "nationality")


def load_world(engine: Engine, tmp_path: Path) -> None:
    """A small synthetic world, with persons as the truth has them (linkage is tested on its own)."""
    world = tmp_path / "world"
    generate_world(world, 2000, 3)
    ingest_dir(engine, world, actor="test")
    truth = pd.read_csv(world / "truth" / "records.csv", dtype=str)
    with session_scope(engine) as s:
        ids = {(src, rid): pk for pk, src, rid in s.execute(select(PersonRecord.id, PersonRecord.source,
                                                                   PersonRecord.record_id))}  # fmt: skip
        run = LinkRun(status="done", threshold=0.9, loose_threshold=0.5)
        s.add(run)
        s.flush()
        people = sorted(set(truth["person_id"]))
        s.execute(insert(Person), [{"id": "P" + p[1:], "created_run_id": run.id} for p in people])
        s.execute(
            insert(RecordPerson),
            [
                {"person_record_id": ids[(src, rid)], "person_id": "P" + p[1:], "run_id": run.id}
                for src, rid, p in truth[["source", "record_id", "person_id"]].itertuples(index=False)
                if (src, rid) in ids
            ],
        )


def snapshot(engine: Engine, build_id: int) -> dict[str, Any]:
    with session_scope(engine) as s:
        groups = s.scalars(select(OffenderGroup).where(OffenderGroup.build_id == build_id)).all()
        out = {}
        for g in groups:
            members = s.scalars(select(GroupMember).where(GroupMember.group_id == g.id)).all()
            ties = s.scalars(select(GroupTie).where(GroupTie.group_id == g.id)).all()
            out[g.group_key] = (
                g.view, g.stability, tuple(g.victims), g.uncertain_ties,
                tuple(sorted((m.person_id, m.degree, m.betweenness, m.eigenvector) for m in members)),
                tuple(sorted((t.person_a, t.person_b, tuple(t.kinds), t.weight) for t in ties)),
            )  # fmt: skip
    return out


def test_permuting_protected_fields_changes_no_group(sqlite_engine: Engine, tmp_path: Path) -> None:
    load_world(sqlite_engine, tmp_path)
    statements: list[str] = []

    def capture(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement.lower())

    event.listen(sqlite_engine, "before_cursor_execute", capture)
    try:
        first = build_groups(sqlite_engine, "tester")
        some_member = next(iter(snapshot(sqlite_engine, first.id).values()))[4][0][0]
        neighbourhood(sqlite_engine, some_member, hops=2)
    finally:
        event.remove(sqlite_engine, "before_cursor_execute", capture)
    assert statements and not [s for s in statements if any(p in s for p in PROTECTED)]
    before = snapshot(sqlite_engine, first.id)
    assert sum(1 for v in before.values() if v[0] == "strict") >= 3  # a world with groups in it

    rng = random.Random(3)
    with session_scope(sqlite_engine) as s:
        recs = s.scalars(select(PersonRecord)).all()
        for name in PROTECTED:
            values = [getattr(r, name) for r in recs]
            assert len(set(values)) > 1  # the world has more than one value to permute
            rng.shuffle(values)
            for rec, value in zip(recs, values, strict=True):
                setattr(rec, name, value)
    second = build_groups(sqlite_engine, "tester")
    assert snapshot(sqlite_engine, second.id) == before  # same keys, members, measures, ties, victims
