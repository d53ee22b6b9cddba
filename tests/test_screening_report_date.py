"""A girl 15 at the offence may be 16 by the time it is reported: a case reviewer's stories.

police_south's files give a crime's report date, not its offence date, so the age screening reads is
her age when reported. The 2025 audit found 13-15-year-olds' cases dropped or downgraded; a source
that records only the report date must not hide them from the 13-15 rules. A victim 16 when reported,
within `report_date_grace_days` (365 unless a rule says otherwise) of her 16th birthday, counts as
possibly 15 at the offence, and the reason says so. An age on the offence date is never loosened.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from joindots.errors import InvalidInput
from joindots.screening import parse_rules, screen
from joindots.screening.rules import BUILT_IN
from joindots.screening.tables import ReviewItem
from joindots.store.db import session_scope
from screening_factory import ADULT, Factory

REPORTED = dt.date(2019, 3, 2)
TWO_MONTHS = dt.date(2003, 1, 2)  # 16 on 2019-01-02: 59 days before REPORTED
TWO_YEARS = dt.date(2001, 3, 2)  # 16 on 2017-03-02: 18 when reported
THIRTEEN_MONTHS = dt.date(2002, 2, 2)  # 16 on 2018-02-02: 17 when reported
GRACE = "report_date_grace_days: 365"


def _closed_crime(f: Factory, ref: str, born: dt.date, *, date_column: str | None, source: str) -> None:
    """A sexual assault (20A) closed with outcome 16 (evidential difficulties), and a rape (19D)
    reclassified as 22B, each of one girl, her birth date on her record. The source's rows name the
    column that holds the case's date (`date_column`), or name none."""
    for suffix, offence, original, outcome in (("", "20A", None, "16"), ("-R", "22B", "19D", "1")):
        row = {"CaseRef": ref + suffix} | ({date_column: REPORTED.isoformat()} if date_column else {})
        ev = f.event(source, ref + suffix, "crime", force="south", offence_code=offence,
                     offence_code_original=original, outcome_code=outcome, date=REPORTED)  # fmt: skip
        f.person(ev, "victim", "Amy Test", born, "P1", original=row)
        f.person(ev, "suspect", "Sam Sample", ADULT, "P9", original=row)


def _screened(engine, born: dt.date, *, date_column: str | None = "ReportedDate", rules=None) -> dict:
    with session_scope(engine) as s:
        _closed_crime(Factory(s), "2019-0000042", born, date_column=date_column, source="police_south")
    screen(engine, "tester", rules)
    with session_scope(engine) as s:
        return {
            i.case_ref: (list(i.rules), list(i.reasons), dict(i.evidence))
            for i in s.scalars(select(ReviewItem).where(ReviewItem.active.is_(True)))
        }


def _with_grace(days: object):
    text = BUILT_IN.read_text(encoding="utf-8")
    assert text.count(GRACE) == 2  # both 13-15 rules
    return parse_rules(text.replace(GRACE, f"report_date_grace_days: {days}"))


@pytest.mark.parametrize(
    ("column", "when", "gives"),
    [
        ("ReportedDate", "when reported", "the report date"),
        ("RecordedDate", "when the crime was recorded", "the date the crime was recorded"),
    ],
)
def test_a_girl_16_when_reported_two_months_after_her_birthday_is_put_forward_as_possibly_15(
    engine, column, when, gives
):
    """She turned 16 on 2 January 2019 and the crime was reported on 2 March: the offence may well
    have been before her birthday. Both 13-15 rules put her cases forward and say why."""
    got = _screened(engine, TWO_MONTHS, date_column=column)
    says = (
        f"the victim, P1, was aged 16 {when} (2019-03-02), 59 days after their 16th birthday, so possibly "
        f"15 at the offence (the source gives {gives}, not the offence date); born 2003-01-02 per the "
        "victim record."
    )
    rules, reasons, evidence = got["2019-0000042"]
    assert rules[0] == "closed_evidential_child_13_15"
    assert reasons[0].endswith(says), reasons[0]
    assert evidence["closed_evidential_child_13_15"]["possibly_in_ages"] == {
        "age_on_date": 16, "date_is": column[:-4].lower(), "days_after_birthday": 59, "birthday": "2019-01-02",
        "possibly": 15, "report_date_grace_days": 365,
    }  # fmt: skip
    rules, reasons, _ = got["2019-0000042-R"]
    assert rules[0] == "rape_reclassified_child_13_15"
    assert reasons[0].startswith("Recorded as rape (19D), then reclassified as 22B;")
    # the rape's code says more than her birthday can: a child under 16 (tests/test_screening_offence_code_ages.py)
    assert reasons[0].endswith(
        f"the victim, P1, was aged 16 {when} (2019-03-02); the offence code 19D (rape of a female child "
        f"under 16) says aged 13 to 15 at the offence (the source gives {gives}, not the offence date); "
        "born 2003-01-02 per the victim record."
    ), reasons[0]


@pytest.mark.parametrize(
    "column", ["OFFENCE_DATE", None], ids=["the offence date", "a date it does not name"]
)
def test_the_same_girl_in_a_source_that_gives_the_offence_date_is_not_put_forward(engine, column):
    """Where the source gives the offence date she was 16 at the offence: her age is known and is not
    loosened. Nor is it where the source does not say which date it gives."""
    assert _screened(engine, TWO_MONTHS, date_column=column) == {}


@pytest.mark.parametrize("born", [TWO_YEARS, THIRTEEN_MONTHS], ids=["two years after", "13 months after"])
def test_a_victim_reported_more_than_a_year_after_her_16th_birthday_is_not_put_forward_on_her_age(
    engine, born
):
    """17 or 18 when reported: a report date a year or more after her 16th birthday says nothing of 15.
    The sexual assault (20A: a female aged 13 and over) is not put forward; the rape of a child under 16
    is, on its code alone (tests/test_screening_offence_code_ages.py)."""
    got = _screened(engine, born)
    assert "2019-0000042" not in got
    assert set(got) == {"2019-0000042-R"} and "possibly" not in got["2019-0000042-R"][1][0]


@pytest.mark.parametrize(
    ("days", "queued"),
    [(365, True), (60, True), (59, False), (0, False)],
    ids=["a year", "60 days", "59 days", "0 switches it off"],
)
def test_the_grace_is_the_rules_parameter(engine, days, queued):
    """Reported 59 days after her birthday: she may have been 15 at an offence up to 60 days before the
    report, not at one at most 59 days before it; 0 days of grace switches the allowance off."""
    got = _screened(engine, TWO_MONTHS, rules=_with_grace(days))
    assert ("2019-0000042" in got) is queued


def test_the_new_rules_put_forward_a_case_the_old_ones_left_and_say_so(engine):
    """Screened under rules without the grace the 20A case is not queued (the 19D one is, on its code);
    the built-in rules (2026.5) put it forward as new at the next screen, and the run records the
    rules' version."""
    old = _with_grace(0)
    assert set(_screened(engine, TWO_MONTHS, rules=old)) == {"2019-0000042-R"}
    report = screen(engine, "tester")
    assert report.rules_version == "2026.5"
    new = {(c.case_ref, c.change) for c in report.changes}
    assert new == {("2019-0000042", "new")}


def test_a_victim_known_to_be_in_the_ages_is_named_before_one_who_possibly_was(engine):
    with session_scope(engine) as s:
        f = Factory(s)
        row = {"CaseRef": "2019-0000043", "ReportedDate": REPORTED.isoformat()}
        ev = f.event("police_south", "2019-0000043", "crime", force="south", offence_code="20A",
                     outcome_code="16", date=REPORTED)  # fmt: skip
        f.person(ev, "victim", "Amy Test", TWO_MONTHS, "P1", original=row)
        f.person(ev, "victim", "Bea Test", dt.date(2004, 5, 5), "P2", original=row)  # 14
    screen(engine, "tester")
    with session_scope(engine) as s:
        item = s.scalars(select(ReviewItem)).one()
        assert "the victim, P2, was aged 14 when reported (2019-03-02), born 2004-05-05" in item.reasons[0]
        assert "possibly" not in item.reasons[0]


@pytest.mark.parametrize(
    ("days", "message"),
    [
        ("-1", "report_date_grace_days is a whole number of days from 0 (no grace) to 365, not -1"),
        ("366", "report_date_grace_days is a whole number of days from 0 (no grace) to 365, not 366"),
        ("a year", "report_date_grace_days is a whole number of days from 0 (no grace) to 365, not 'a year'"),
        ("true", "report_date_grace_days is a whole number of days from 0 (no grace) to 365, not True"),
        ("30.5", "report_date_grace_days is a whole number of days from 0 (no grace) to 365, not 30.5"),
    ],
)
def test_an_invalid_grace_is_refused_with_a_plain_message(days, message):
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        _with_grace(days)


def test_a_grace_on_a_rule_whose_check_does_not_read_it_is_refused():
    text = BUILT_IN.read_text(encoding="utf-8").replace(
        "{min_suspects: 2}", "{min_suspects: 2, " + GRACE + "}"
    )
    with pytest.raises(InvalidInput, match=r"reads no parameter \['report_date_grace_days'\]"):
        parse_rules(text)
