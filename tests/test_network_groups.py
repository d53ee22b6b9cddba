"""Offender groups on a small hand-built world: ties, communities, strict/loose views, stability,
uncertain ties, analysts' decisions, stable keys, measures, and that protected fields change nothing."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import Engine, select

from joindots.audit.tables import AccessLog
from joindots.network.groups import build_groups
from joindots.network.tables import GroupMember, GroupTie, OffenderGroup
from joindots.store.db import make_engine, migrate, session_scope
from network_factory import small_world


def groups_of(engine: Engine, build_id: int) -> dict[str, dict]:
    out = {}
    with session_scope(engine) as s:
        for g in s.scalars(select(OffenderGroup).where(OffenderGroup.build_id == build_id)):
            members = s.scalars(select(GroupMember).where(GroupMember.group_id == g.id)).all()
            ties = s.scalars(select(GroupTie).where(GroupTie.group_id == g.id)).all()
            out[g.group_key] = {
                "view": g.view, "stability": g.stability, "counterpart": g.counterpart_key,
                "members": frozenset(m.person_id for m in members), "victims": g.victims,
                "uncertain": g.uncertain_ties, "member_rows": {m.person_id: m for m in members},
                "ties": {(t.person_a, t.person_b): t for t in ties},
            }  # fmt: skip
    return out


def by_members(groups: dict[str, dict], view: str) -> dict[frozenset[str], dict]:
    return {g["members"]: g for g in groups.values() if g["view"] == view}


def test_strict_and_loose_groups(engine: Engine) -> None:
    small_world(engine)
    build = build_groups(engine, "analyst1")
    groups = groups_of(engine, build.id)
    strict = by_members(groups, "strict")
    assert set(strict) == {
        frozenset({"P000002", "P000003", "P000004"}),  # co-suspects and a shared victim
        frozenset({"P000006", "P000007", "P000008"}),  # found with the same child, shared phone
        frozenset({"P000010", "P000011"}),
    }
    abc = strict[frozenset({"P000002", "P000003", "P000004"})]
    assert abc["victims"] == ["P000001"]
    assert abc["stability"] == "stable"
    assert abc["uncertain"] == 0
    assert set(abc["ties"][("P000002", "P000004")].kinds) == {"shared_victim"}
    assert {e["victim"] for e in abc["ties"][("P000002", "P000004")].evidence} == {"P000001"}
    # loose view: E (P000007) and E2/E3 (P000010) are one person by a 0.7 pair; the tie rests on it
    loose = by_members(groups, "loose")
    eg = loose[frozenset({"P000007", "P000011"})]
    assert eg["member_rows"]["P000007"].merged_ids == ["P000007", "P000010"]
    assert eg["member_rows"]["P000007"].identity_probability == pytest.approx(0.7)
    assert eg["uncertain"] == 1
    assert eg["ties"][("P000007", "P000011")].uncertain
    assert eg["stability"] == "stable"
    assert sorted(eg["victims"]) == ["P000005", "P000009"]
    changed = strict[frozenset({"P000006", "P000007", "P000008"})]
    assert changed["stability"] == "changed"
    assert groups[changed["counterpart"]]["members"] == frozenset({"P000006", "P000008"})


def test_different_decision_is_honoured_and_lone_people_form_no_group(engine: Engine) -> None:
    small_world(engine)
    build = build_groups(engine, "analyst1")
    groups = groups_of(engine, build.id)
    everyone = set().union(*(g["members"] for g in groups.values()))
    assert "P000013" not in everyone  # X: loose pair to B refused by an analyst
    assert "P000014" not in everyone  # H: a hotel guest with no tie
    for g in groups.values():
        if "P000003" in g["members"]:
            assert g["member_rows"]["P000003"].merged_ids == ["P000003"]


def test_measures_inside_group(sqlite_engine: Engine) -> None:
    small_world(sqlite_engine)
    build = build_groups(sqlite_engine, "analyst1")
    group = by_members(groups_of(sqlite_engine, build.id), "strict")[
        frozenset({"P000006", "P000007", "P000008"})
    ]
    rows = group["member_rows"]
    # F - D - E: D sits between the other two
    assert rows["P000006"].degree == 2 and rows["P000008"].degree == 1
    assert rows["P000006"].betweenness == pytest.approx(1.0)
    assert rows["P000008"].betweenness == 0.0
    assert rows["P000006"].eigenvector > rows["P000008"].eigenvector


def test_keys_stable_across_builds_and_build_logged(sqlite_engine: Engine) -> None:
    small_world(sqlite_engine)
    first = groups_of(sqlite_engine, build_groups(sqlite_engine, "analyst1").id)
    second_build = build_groups(sqlite_engine, "analyst2")
    second = groups_of(sqlite_engine, second_build.id)
    assert {k: g["members"] for k, g in first.items()} == {k: g["members"] for k, g in second.items()}
    with session_scope(sqlite_engine) as s:
        logged = s.scalars(select(AccessLog.subject).where(AccessLog.action == "combination")).all()
    assert f"network_build:{second_build.id}" in logged


def test_protected_fields_change_no_group(sqlite_engine: Engine, tmp_path) -> None:
    seed = 1234
    print(f"seed={seed}")
    rng = random.Random(seed)
    names = ["A", "A2", "B", "C", "D", "E", "E2", "E3", "F", "G", "G2", "X", "H", "V1", "V2", "V3"]
    codes = [("A2", "IC4", "PAK"), ("W1", "IC1", "GBR"), ("B2", "IC3", "NGA"), ("O2", "IC6", "IRQ")]
    protected = {n: rng.choice(codes) for n in names}
    small_world(sqlite_engine, protected=protected)
    engine2 = make_engine(f"sqlite:///{tmp_path / 'other.db'}")
    migrate(engine2)
    small_world(engine2, protected={n: rng.choice(codes) for n in names})
    g1 = groups_of(sqlite_engine, build_groups(sqlite_engine, "a").id)
    g2 = groups_of(engine2, build_groups(engine2, "a").id)
    engine2.dispose()
    assert _essence(g1) == _essence(g2)


def _essence(groups: dict[str, dict]) -> dict[str, tuple]:
    return {k: (g["members"], g["stability"], g["uncertain"], tuple(g["victims"])) for k, g in groups.items()}
