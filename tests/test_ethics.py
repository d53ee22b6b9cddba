"""Ethnicity and nationality are never evidence, proved end to end.

One synthetic world is loaded twice. In the second copy every record's self-defined ethnicity, IC code
and nationality are shuffled between records, and half are replaced with other codes. Both copies are
then linked (the model trained afresh on each), their groups found and their cases screened. Who is
the same person, who is in which group and what is on the review queue, with what priority and why,
must come out the same.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update

from joindots.ingest.load import ingest_dir
from joindots.link.run import run_linkage
from joindots.network.tables import GroupMember, NetworkBuild, OffenderGroup
from joindots.pipeline import after_link
from joindots.screening.tables import ReviewItem
from joindots.store.db import make_engine, migrate, session_scope
from joindots.store.link_tables import RecordPerson
from joindots.store.schema import PersonRecord
from joindots.synth import generate_world

pytestmark = pytest.mark.slow
SEED = 11
OTHER_CODES = [
    ("W1", "1", "GBR"),
    ("A1", "4", "PAK"),
    ("B2", "3", "NGA"),
    ("O9", "6", "ROU"),
    (None, None, None),
]


def _scramble_protected_fields(engine: Engine, seed: int) -> int:
    print(f"scramble seed={seed}")
    rng = random.Random(seed)
    cols = (PersonRecord.ethnicity, PersonRecord.ic_code, PersonRecord.nationality)
    with session_scope(engine) as session:
        rows = session.execute(select(PersonRecord.id, *cols)).all()
        values = [tuple(r[1:]) for r in rows]
        rng.shuffle(values)
        changed = 0
        for (rid, *old), new in zip(rows, values, strict=True):
            eth, ic, nat = rng.choice(OTHER_CODES) if rng.random() < 0.5 else new
            changed += (eth, ic, nat) != tuple(old)
            session.execute(
                update(PersonRecord)
                .where(PersonRecord.id == rid)
                .values(ethnicity=eth, ic_code=ic, nationality=nat)
            )
    return changed


def _persons(engine: Engine) -> set[frozenset[str]]:
    """Who is the same person, as sets of source record ids (person IDs themselves are labels)."""
    with session_scope(engine) as session:
        rows = session.execute(
            select(RecordPerson.person_id, PersonRecord.source, PersonRecord.record_id).join(
                PersonRecord, PersonRecord.id == RecordPerson.person_record_id
            )
        ).all()
    by_person: dict[str, set[str]] = {}
    for pid, source, record in rows:
        by_person.setdefault(pid, set()).add(f"{source}:{record}")
    return {frozenset(v) for v in by_person.values()}


def _groups(engine: Engine) -> set[tuple[str, frozenset[str]]]:
    with session_scope(engine) as session:
        latest = session.scalar(select(NetworkBuild.id).order_by(NetworkBuild.id.desc()).limit(1))
        rows = session.execute(
            select(OffenderGroup.view, OffenderGroup.id, GroupMember.person_id)
            .join(GroupMember, GroupMember.group_id == OffenderGroup.id)
            .where(OffenderGroup.build_id == latest)
        ).all()
    members: dict[tuple[str, int], set[str]] = {}
    for view, gid, pid in rows:
        members.setdefault((view, gid), set()).add(pid)
    return {(view, frozenset(m)) for (view, _gid), m in members.items()}


def _queue(engine: Engine) -> set[tuple[str, str, int, tuple[str, ...]]]:
    with session_scope(engine) as session:
        rows = session.execute(
            select(ReviewItem.source, ReviewItem.case_ref, ReviewItem.priority, ReviewItem.rules).where(
                ReviewItem.active.is_(True)
            )
        ).all()
    return {(s, c, p, tuple(sorted(r))) for s, c, p, r in rows}


def _analyse(path: Path, world: Path, scramble: bool) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    ingest_dir(engine, world, actor="test")
    if scramble:
        assert _scramble_protected_fields(engine, SEED) > 100
    run_linkage(engine, retrain=True, actor="test")
    after_link(engine, "test")
    return engine


def test_scrambling_ethnicity_ic_code_and_nationality_changes_no_person_group_or_queue_item(tmp_path):
    world = tmp_path / "world"
    generate_world(world, 1500, seed=SEED)
    plain = _analyse(tmp_path / "plain.db", world, scramble=False)
    scrambled = _analyse(tmp_path / "scrambled.db", world, scramble=True)
    try:
        persons = _persons(plain)
        assert len(persons) > 500
        assert _persons(scrambled) == persons
        groups = _groups(plain)
        assert groups, "the world has groups to find"
        assert _groups(scrambled) == groups
        queue = _queue(plain)
        assert queue, "the world has cases to review"
        assert _queue(scrambled) == queue
    finally:
        plain.dispose()
        scrambled.dispose()
