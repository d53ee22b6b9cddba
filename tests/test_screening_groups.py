"""Screening and the network together: `closed_suspect_in_group` fires from the groups that
`build_groups` detected in the latest build (not hand-written group rows), and stops firing when the
latest build no longer has the group."""

from __future__ import annotations

from sqlalchemy import delete, select

from joindots.network.groups import build_groups
from joindots.network.tables import GroupMember, OffenderGroup
from joindots.screening import screen
from joindots.screening.tables import ReviewItem
from joindots.store.db import session_scope
from joindots.store.schema import PersonRecord, RecordObject
from screening_factory import ADULT, DAY, Factory
from test_screening import CHILD_16

PHONE = "+447700900123"


def world(f: Factory) -> None:
    """P9 (suspect on closed C1) shares a phone with P7, a hotel guest; P8 (suspect on closed C2) has
    no tie to anyone; P5 and P6 are co-suspects on closed C3 and nothing else (a detected group of two
    that links C3 to nothing new). Victims are 16, so only the rules about linked suspects can fire."""
    c1 = f.crime("C1", outcome="16", victims=(("Ivy Test", CHILD_16, "P1"),))
    sam = f.person(c1, "suspect", "Sam A", ADULT, "P9")
    f.s.add(RecordObject(person_record_id=sam.id, kind="phone", value=PHONE))
    f.crime("C2", outcome="16", victims=(("Joy Test", CHILD_16, "P2"),), suspects=(("Tom B", ADULT, "P8"),))
    two = (("Ann D", ADULT, "P5"), ("Bob E", ADULT, "P6"))
    f.crime("C3", outcome="16", victims=(("Kay Test", CHILD_16, "P3"),), suspects=two)
    hotel = f.event("hotel", "H1", "hotel_report", date=DAY)
    kim = f.person(hotel, "guest", "Kim C", ADULT, "P7")
    f.s.add(RecordObject(person_record_id=kim.id, kind="phone", value=PHONE))
    f.s.flush()


def active(engine) -> dict[str, ReviewItem]:
    with session_scope(engine) as s:
        return {i.case_ref: i for i in s.scalars(select(ReviewItem).where(ReviewItem.active.is_(True)))}


def test_detected_group_puts_a_closed_case_on_the_queue(engine):
    with session_scope(engine) as s:
        world(Factory(s))
    screen(engine, "tester")
    assert active(engine) == {}  # no network build yet: nothing links either suspect

    build = build_groups(engine, "tester")
    with session_scope(engine) as s:
        groups = s.execute(
            select(OffenderGroup.group_key, OffenderGroup.view, GroupMember.person_id)
            .join(GroupMember, GroupMember.group_id == OffenderGroup.id)
            .where(OffenderGroup.build_id == build.id)
        ).all()
    strict = {(key, pid) for key, view, pid in groups if view == "strict"}
    assert {pid for _, pid in strict} == {"P5", "P6", "P7", "P9"}  # the phone; C3's co-suspects
    key = next(k for k, pid in strict if pid == "P9")

    screen(engine, "tester")
    got = active(engine)
    assert set(got) == {"C1"}  # C2's suspect is in no group; C3's group is only C3's own suspects
    item = got["C1"]
    assert item.rules[0] == "closed_suspect_in_group"
    assert item.evidence["closed_suspect_in_group"]["group"] == key
    assert item.evidence["closed_suspect_in_group"]["persons"] == ["P9"]
    assert item.evidence["closed_suspect_in_group"]["group_others"] == ["P7"]
    assert key in item.reasons[0] and "P9" in item.reasons[0]


def test_only_the_latest_build_counts(engine):
    with session_scope(engine) as s:
        world(Factory(s))
    build_groups(engine, "tester")
    screen(engine, "tester")
    assert set(active(engine)) == {"C1"}
    with session_scope(engine) as s:  # the phone turns out to be a mistake and is removed
        kim = s.scalars(select(PersonRecord.id).where(PersonRecord.forename == "Kim")).one()
        s.execute(delete(RecordObject).where(RecordObject.person_record_id == kim))
    build_groups(engine, "tester")
    report = screen(engine, "tester")
    assert active(engine) == {}
    assert [(c.case_ref, c.change) for c in report.changes] == [("C1", "resolved")]
