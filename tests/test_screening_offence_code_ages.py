"""A girl raped at 14 may tell the police at 19: a case reviewer's stories.

police_south's files give the date a crime was reported, not the date it happened, so on a case
reported years later the victim's age on the case's date is her age when she came forward. The
offence code says what that date cannot: 19D, 19G and 22B are for victims of 13 to 15 at the offence
(under-13s have codes of their own). Under the built-in rules (`offence_code_ages: true`) such a
victim counts as 13-15 for the 13-15 rules, and as a child victim for the rule on suspects linked to
other victims; the reasons say why. An age on the offence date is never loosened.
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

REPORTED = dt.date(2021, 4, 2)
NINETEEN = dt.date(2002, 1, 5)  # 19 on REPORTED: 14 in 2016
ELEVEN = dt.date(2010, 1, 5)  # 11 on REPORTED: younger than any 19D victim of 13 to 15
CODE_AGES = "offence_code_ages: true"


def _crime(f: Factory, ref: str, born: dt.date, *, offence: str, original: str | None, outcome: str,
           date_column: str, suspect: str = "P9", victim: str = "P1") -> None:  # fmt: skip
    """A crime of one girl and one suspect, each record's row naming the column of the case's date."""
    row = {"OccurrenceNo": ref, date_column: REPORTED.isoformat()}
    ev = f.event("police_south", ref, "crime", force="south", offence_code=offence,
                 offence_code_original=original, outcome_code=outcome, date=REPORTED)  # fmt: skip
    f.person(ev, "victim", "Amy Test", born, victim, original=row)
    f.person(ev, "suspect", "Sam Sample", ADULT, suspect, original=row)


def _queue(engine, rules=None) -> dict[str, tuple[list, list, dict]]:
    screen(engine, "tester", rules)
    with session_scope(engine) as s:
        return {
            i.case_ref: (list(i.rules), list(i.reasons), dict(i.evidence))
            for i in s.scalars(select(ReviewItem).where(ReviewItem.active.is_(True)))
        }


def _without_code_ages():
    text = BUILT_IN.read_text(encoding="utf-8")
    assert text.count(CODE_AGES) == 3  # both 13-15 rules and the rule on other victims
    return parse_rules(text.replace(CODE_AGES, "offence_code_ages: false"))


def test_a_rape_of_a_child_reported_five_years_later_is_put_forward_and_the_code_is_the_reason(engine):
    """Recorded as rape of a child under 16 (19D), reclassified as 22B, closed: she is 19 when reported."""
    with session_scope(engine) as s:
        _crime(Factory(s), "2021-0000007", NINETEEN, offence="22B", original="19D", outcome="15",
               date_column="ReportedDate")  # fmt: skip
    rules, reasons, evidence = _queue(engine)["2021-0000007"]
    assert rules[0] == "rape_reclassified_child_13_15"
    assert reasons[0] == (
        "Recorded as rape (19D), then reclassified as 22B; the victim, P1, was aged 19 when reported "
        "(2021-04-02); the offence code 19D (rape of a female child under 16) says aged 13 to 15 at the "
        "offence (the source gives the report date, not the offence date); born 2002-01-05 per the "
        "victim record."
    )
    assert evidence["rape_reclassified_child_13_15"]["ages_from_offence_code"] == {
        "age_on_date": 19, "date_is": "reported", "offence_code": "19D", "ages_at_offence": [13, 15]
    }  # fmt: skip
    assert "closed_evidential_child_13_15" in rules  # closed 15, a sexual offence: the same reason


def test_under_rules_without_code_ages_the_same_case_is_not_put_forward(engine):
    with session_scope(engine) as s:
        _crime(Factory(s), "2021-0000007", NINETEEN, offence="22B", original="19D", outcome="15",
               date_column="ReportedDate")  # fmt: skip
    assert _queue(engine, _without_code_ages()) == {}


@pytest.mark.parametrize(
    ("column", "born"),
    [("OFFENCE_DATE", NINETEEN), ("ReportedDate", ELEVEN)],
    ids=["19 at the offence", "11 when reported"],
)
def test_an_age_the_code_cannot_explain_is_left_alone(engine, column, born):
    """Where the date is the offence date her age is known (a code that disagrees is a recording
    error for a person to see, not a reason); a girl 11 when reported was not 13 to 15 before."""
    with session_scope(engine) as s:
        _crime(
            Factory(s), "2021-0000008", born, offence="22B", original="19D", outcome="15", date_column=column
        )
    queued = _queue(engine)
    rules = queued.get("2021-0000008", ([], [], {}))[0]
    assert "rape_reclassified_child_13_15" not in rules and "closed_evidential_child_13_15" not in rules


def test_a_code_for_victims_of_13_and_over_says_nothing_of_15(engine):
    """20A is a sexual assault on a female aged 13 and over: it states no upper age."""
    with session_scope(engine) as s:
        _crime(Factory(s), "2021-0000009", NINETEEN, offence="20A", original=None, outcome="16",
               date_column="ReportedDate")  # fmt: skip
    assert _queue(engine) == {}


@pytest.mark.parametrize(
    ("other_code", "counted"), [("22B", True), ("71", False)], ids=["child under 16", "no age in the code"]
)
def test_a_suspect_whose_other_victim_came_forward_as_an_adult_is_linked_to_a_child_victim(
    engine, other_code, counted
):
    """The suspect's case of an adult (20A, closed 16) is screened; he is also the suspect in a case of
    another girl, reported when she was 21. Coded 22B (a child under 16) she was a child victim; coded
    71 (exploitation, no age in the code) her age when reported is all there is."""
    with session_scope(engine) as s:
        f = Factory(s)
        _crime(f, "2021-0000010", dt.date(1990, 1, 1), offence="20A", original=None, outcome="16",
               date_column="ReportedDate")  # fmt: skip
        _crime(f, "2021-0000011", dt.date(2000, 1, 1), offence=other_code, original=None, outcome="1",
               date_column="ReportedDate", victim="P2")  # fmt: skip
    queued = _queue(engine)
    if not counted:
        assert "2021-0000010" not in queued
        return
    rules, reasons, evidence = queued["2021-0000010"]
    assert rules[0] == "closed_suspect_linked_other_victims"
    assert "linked to 1 other child victim(s) in police_south/2021-0000011" in reasons[0]
    assert evidence["closed_suspect_linked_other_victims"]["other_victims"] == ["P2"]
    assert "2021-0000010" not in _queue(engine, _without_code_ages())


@pytest.mark.parametrize("value", ['"yes"', "1", "null"])
def test_code_ages_is_true_or_false(value):
    text = BUILT_IN.read_text(encoding="utf-8").replace(CODE_AGES, f"offence_code_ages: {value}", 1)
    with pytest.raises(InvalidInput, match="offence_code_ages is true or false"):
        parse_rules(text)
