"""What the match review card tells a reviewer beyond the scores: how old the dated record's person was
at the other record's event, were they the same, so a child put forward as a "found with" adult shows."""

from __future__ import annotations

from joindots.web.decisions import age_if_same


def _record(dob: str | None = None, event_date: str | None = None, role: str = "found_with") -> dict:
    event = {"type": "missing_episode", "date": event_date} if event_date else None
    return {"dob": dob, "event": event, "role": role}


def test_a_child_put_forward_as_the_adult_found_with_a_missing_child_shows_their_age() -> None:
    known = _record(dob="2010-06-15", role="patient")
    found_with = _record(event_date="2019-03-02")
    assert (
        age_if_same(known, found_with) == "aged 8 at the missing episode of 2019-03-02, named as found_with"
    )
    assert age_if_same(found_with, known) == age_if_same(known, found_with)  # either side of the pair


def test_the_birthday_counts_on_the_day() -> None:
    assert age_if_same(_record(dob="1980-03-02"), _record(event_date="2019-03-02")).startswith("aged 39 ")
    assert age_if_same(_record(dob="1980-03-03"), _record(event_date="2019-03-02")).startswith("aged 38 ")


def test_someone_not_yet_born_at_the_event_is_said_so() -> None:
    said = age_if_same(_record(dob="2020-01-01"), _record(event_date="2019-03-02"))
    assert said == "not born yet at the missing episode of 2019-03-02"


def test_nothing_to_say_without_one_birth_date_and_one_event_date() -> None:
    assert age_if_same(_record(dob="1980-01-01"), _record(dob="1981-01-01")) is None  # both dated
    assert age_if_same(_record(), _record(event_date="2019-03-02")) is None  # neither dated
    assert age_if_same(_record(dob="1980-01-01"), _record()) is None  # no event date
    assert age_if_same(None, _record(event_date="2019-03-02")) is None  # a record gone
