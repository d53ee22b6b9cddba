"""How old a victim or missing child was, as an analyst reads it on the queue: a birth date their own
record lacks comes from the rest of their person's records (and the reason says which); the age is
on the date the source gives (the offence, or the report); a rule's age parameter is the one used;
and a decision, or a reopening, reads as it happened."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from joindots.errors import Conflict, InvalidInput
from joindots.screening import load_rules, parse_rules, screen
from joindots.screening.rules import BUILT_IN
from joindots.screening.service import assign_item, decide_item, web_summary
from joindots.screening.tables import ReviewItem
from joindots.store.db import session_scope
from screening_factory import ADULT, Factory

OFFENCE_DAY = dt.date(2022, 9, 27)
BORN = dt.date(2007, 8, 22)  # 15 on OFFENCE_DAY
NORTH_ROW = {"CRIME_REF": "NC/22/000017", "OFFENCE_DATE": "27/09/2022", "OUTCOME_DATE": "01/12/2022"}
SOUTH_ROW = {"OccurrenceNo": "2022-0000017", "ReportedDate": "2022-09-27", "OutcomeDate": "2022-12-01"}


def _person_elsewhere(f: Factory, person: str, births: list[dt.date | None]) -> None:
    """The person's records in other agencies' files: one referral each, with these birth dates."""
    for i, born in enumerate(births):
        ev = f.event("social_care", f"CSC-{person}-{i}", "referral", date=dt.date(2021, 1, 1 + i))
        f.person(ev, "subject", "Amy Test", born, person)


def _closed_crime(
    f: Factory, ref: str, person: str, *, original: dict | None = None, source: str = "police_north"
) -> None:
    """A sexual assault (20A) on a child closed with outcome 16; the victim record gives no birth date."""
    ev = f.event(source, ref, "crime", force=source.split("_")[1], offence_code="20A", outcome_code="16",
                 date=OFFENCE_DAY)  # fmt: skip
    f.person(ev, "victim", "Amy Test", None, person, original=original)
    f.person(ev, "suspect", "Sam Sample", ADULT, None, original=original)


def _active(engine) -> dict[str, ReviewItem]:
    with session_scope(engine) as s:
        return {i.case_ref: i for i in s.scalars(select(ReviewItem).where(ReviewItem.active.is_(True)))}


def test_a_victim_whose_record_lacks_a_birth_date_is_aged_from_their_persons_records(engine):
    """Audit finding: NC/22/000017's victim record had no birth date, though six of the person's seven
    records say 15; the case was not queued. Now it is, and the reason says where the age came from."""

    def fill(f: Factory) -> None:
        _person_elsewhere(f, "P1", [BORN] * 6)
        _closed_crime(f, "NC/22/000017", "P1", original=NORTH_ROW)

    with session_scope(engine) as s:
        fill(Factory(s))
    screen(engine, "tester")
    item = _active(engine)["NC/22/000017"]
    assert item.rules[0] == "closed_evidential_child_13_15"
    reason = item.reasons[0]
    assert reason.startswith("Sexual offence (20A) closed with outcome 16 (evidential difficulties)")
    assert "the victim, P1, was aged 15 at the offence (2022-09-27)" in reason
    assert "born 2007-08-22 per 6 of the person's 7 records (none on the victim record)" in reason
    assert "disagree" not in reason
    born = item.evidence["closed_evidential_child_13_15"]["birth_date"]
    assert born["date"] == "2007-08-22" and born["person_records"] == 7 and len(born["from"]) == 6
    assert all(r.startswith("social_care/CSC-P1-") for r in born["from"])


def test_without_the_persons_records_the_same_victim_is_not_queued(engine):
    """The near miss: a victim of unknown age, alone in their person, gives no age to screen on."""
    with session_scope(engine) as s:
        _closed_crime(Factory(s), "NC/22/000017", "P1", original=NORTH_ROW)
    screen(engine, "tester")
    assert "NC/22/000017" not in _active(engine)


def test_a_report_date_is_called_one(engine):
    """police_south's event date is the ReportedDate: the age is 'when reported', not 'at the offence'."""

    with session_scope(engine) as s:
        f = Factory(s)  # one load batch: police_south's file
        _person_elsewhere(f, "P1", [BORN] * 2)
        _closed_crime(f, "2022-0000017", "P1", original=SOUTH_ROW, source="police_south")
        f = Factory(s)  # another file, by another mapping, whose rows do not say which date theirs is
        f.batch.mapping_sha256 = "1" * 64
        _person_elsewhere(f, "P2", [BORN] * 2)
        _closed_crime(f, "X-1", "P2", source="police_west")
    screen(engine, "tester")
    got = _active(engine)
    assert "was aged 15 when reported (2022-09-27)" in got["2022-0000017"].reasons[0]
    assert "at the offence" not in got["2022-0000017"].reasons[0]
    unknown = got["X-1"].reasons[0]
    assert (
        "aged 15 on the case's date (2022-09-27; the source does not say whether that is the offence"
        in unknown
    )


@pytest.mark.parametrize(
    ("births", "says"),
    [
        ([BORN, BORN, BORN, dt.date(2004, 1, 1), dt.date(2004, 1, 1)],
         "born 2007-08-22 per 3 of the person's 6 records (none on the victim record); the person's records "
         "disagree (more than a year apart): also 2004-01-01 (2)"),
        ([BORN, BORN, dt.date(2007, 9, 1), dt.date(2007, 9, 1)],
         "born 2007-08-22 per 2 of the person's 5 records (none on the victim record); the person's records "
         "disagree (as many give another date, the earliest is taken): also 2007-09-01 (2)"),
        ([BORN, BORN, None, dt.date(2007, 8, 23)],
         "born 2007-08-22 per 2 of the person's 5 records (none on the victim record)."),
    ],
    ids=["more than a year apart", "a tie", "a day apart is not worth saying"],
)  # fmt: skip
def test_when_the_persons_records_disagree_the_reason_says_so(engine, births, says):
    def fill(f: Factory) -> None:
        _person_elsewhere(f, "P1", births)
        _closed_crime(f, "NC/22/000017", "P1", original=NORTH_ROW)

    with session_scope(engine) as s:
        fill(Factory(s))
    screen(engine, "tester")
    assert says in _active(engine)["NC/22/000017"].reasons[0]


def _missing_at_16(f: Factory) -> None:
    child = ("Mia Test", dt.date(2004, 1, 1), "C1")  # 16 at both episodes
    f.missing("MP1", child, where="Hotel", date=dt.date(2020, 6, 1))
    f.missing("MP2", child, where="Address", date=dt.date(2020, 7, 1))


def test_the_missing_child_rules_max_age_is_the_one_used(engine):
    with session_scope(engine) as s:
        _missing_at_16(Factory(s))
    screen(engine, "tester")
    assert _active(engine)["MP2"].rules[0] == "missing_child_no_investigation"  # built-in: max_age 17

    text = BUILT_IN.read_text(encoding="utf-8")
    assert "      max_age: 17" in text
    stricter = parse_rules(text.replace("      max_age: 17", "      max_age: 15"))
    report = screen(engine, "tester", stricter)
    assert [(c.case_ref, c.change) for c in report.changes] == [("MP2", "resolved")]
    assert "MP2" not in _active(engine)


@pytest.mark.parametrize(
    ("replace", "message"),
    [
        (("      max_age: 17", "      max_age: 18"), "max_age is at most 17"),
        (("      min_concerning: 2", "      min_concerning: 2\n      max_agee: 3"), "reads no parameter ['max_agee']"),
        (("{min_episodes: 3}", "{min_episodes: 3, only_when: 2}"), "reads no parameter ['only_when']"),
    ],
)  # fmt: skip
def test_a_parameter_the_check_does_not_read_is_refused(replace, message):
    text = BUILT_IN.read_text(encoding="utf-8")
    assert replace[0] in text
    with pytest.raises(InvalidInput, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_rules(text.replace(*replace))


def test_every_built_in_parameter_is_one_its_check_reads():
    assert load_rules(BUILT_IN).rules  # validation refuses any other


def test_rape_reason_reads_as_an_analyst_would_write_it(engine):
    def fill(f: Factory) -> None:
        _person_elsewhere(f, "P1", [BORN] * 2)
        ev = f.event("police_north", "NC/22/000018", "crime", force="north", offence_code="22B",
                     offence_code_original="19D", outcome_code="16", date=OFFENCE_DAY)  # fmt: skip
        f.person(ev, "victim", "Amy Test", None, "P1", original=NORTH_ROW)

    with session_scope(engine) as s:
        fill(Factory(s))
    screen(engine, "tester")
    item = _active(engine)["NC/22/000018"]
    reasons = dict(zip(item.rules, item.reasons, strict=True))
    assert reasons["rape_reclassified_child_13_15"].startswith(
        "Recorded as rape (19D), then reclassified as 22B; the victim, P1, was aged 15 at the offence (2022-09-27)"
    )
    assert reasons["rape_offence"] == "The offence was first recorded as rape (19D)."


def test_reopen_needs_a_decision_to_reopen_and_puts_the_case_back_in_review(engine):
    with session_scope(engine) as s:
        _person_elsewhere(Factory(s), "P1", [BORN] * 2)
        _closed_crime(Factory(s), "NC/22/000017", "P1", original=NORTH_ROW)
    screen(engine, "tester")
    item_id = _active(engine)["NC/22/000017"].id
    with session_scope(engine) as s:
        with pytest.raises(Conflict, match="is open: no decision to reopen") as refused:
            decide_item(s, item_id, "reopen", "Reopen it.", "rev1")
        assert refused.value.status_code == 409
    with session_scope(engine) as s:
        (row,) = web_summary(s)
        assert row["status"] == "open" and row["reasons"][-1].startswith("No reviewer had decided")
        decide_item(s, item_id, "no_further_action", "Charged under another reference.", "rev1")
    with session_scope(engine) as s:
        (row,) = web_summary(s)
        assert row["status"] == "decided" and row["decision"] == "no_further_action"
        assert row["reasons"][-1] == (
            "Decided since it was screened (no further action); the 5 points for not yet being reviewed "
            "go at the next screen."
        )
        decide_item(s, item_id, "reopen", "The other reference was a different child.", "rev2")
    with session_scope(engine) as s:
        (row,) = web_summary(s)
        assert row["status"] == "open" and row["decision"] == "reopen"
        with pytest.raises(Conflict):
            decide_item(s, item_id, "reopen", "Again.", "rev2")
        decide_item(s, item_id, "refer", "Refer to the CSE team.", "rev2")
        assign_item(s, item_id, "rev3", "lead")
        decide_item(s, item_id, "reopen", "Needs another look by rev3.", "lead")
    with session_scope(engine) as s:
        item = s.get(ReviewItem, item_id)
        assert item is not None and item.status == "assigned" and item.assigned_to == "rev3"
    screen(engine, "tester")  # a decided case is no longer 'not reviewed'
    assert "not_reviewed_before" not in _active(engine)["NC/22/000017"].rules
