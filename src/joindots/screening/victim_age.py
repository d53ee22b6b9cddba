"""How old a case's victim was at the offence, as far as the case's date can tell.

An age is on the event's date, and `dates.py` says which date that is. On the offence date, or on a
date the source does not name, the age is taken as it stands: an age that is known is never loosened.
On a later date, the report or the recording, a victim one year over a rule's `max_age` may still have
been within it at the offence: a girl 15 at the offence is 16 when reported if her birthday fell in
between, and the 2025 audit found 13-15-year-olds' cases dropped or downgraded. Such a victim counts
as *possibly* within the ages when the offence may have been before that birthday, that is when the
date is fewer than `report_date_grace_days` days after it, and the words say so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from joindots.screening.born import age_on
from joindots.screening.facts import Ev, Rec

DATE_WORDS = {
    "offence": "at the offence",
    "reported": "when reported",
    "recorded": "when the crime was recorded",
    "unknown": "on the case's date",
}
# date kinds that come after the offence -> what the source gives, in words
LATER_DATES = {"reported": "the report date", "recorded": "the date the crime was recorded"}


def birthday(born: dt.date, years: int) -> dt.date:
    """The day someone born on `born` turns `years` (born 29 February: 1 March in other years, as
    `age_on` counts)."""
    try:
        return born.replace(year=born.year + years)
    except ValueError:
        return dt.date(born.year + years, 3, 1)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


@dataclass(frozen=True)
class VictimAge:
    """A victim's age on the case's date; `turned` is set where they are only possibly within the ages:
    the birthday that took them over `max_age`, a little before a report or recording date."""

    rec: Rec
    age: int
    turned: dt.date | None = None
    grace_days: int = 0

    def words(self, ev: Ev) -> str:
        """'aged 15 at the offence (2022-09-27), born ...', or 'aged 16 when reported (2019-03-02), 59
        days after their 16th birthday, so possibly 15 at the offence (the source gives the report date,
        not the offence date); born ...'."""
        when = DATE_WORDS.get(ev.date_kind, DATE_WORDS["unknown"])
        day = ev.date.isoformat() if ev.date else "no date"
        if ev.date_kind not in ("offence", "reported", "recorded"):
            day += "; the source does not say whether that is the offence or the report"
        born = self.rec.born.words(self.rec.role) if self.rec.born else ""
        text = f"aged {self.age} {when} ({day})"
        if self.turned is None or ev.date is None:
            return text + (f", {born}" if born else "")
        days = (ev.date - self.turned).days
        after = "on" if days == 0 else f"{days} day{'s' if days != 1 else ''} after"
        return (
            f"{text}, {after} their {_ordinal(self.age)} birthday, so possibly {self.age - 1} at the offence "
            f"(the source gives {LATER_DATES[ev.date_kind]}, not the offence date)"
            + (f"; {born}" if born else "")
        )

    def evidence(self, ev: Ev) -> dict[str, Any]:
        """What makes a victim possibly within the ages; empty where their age on the date is."""
        if self.turned is None or ev.date is None:
            return {}
        return {
            "possibly_in_ages": {
                "age_on_date": self.age,
                "date_is": ev.date_kind,
                "birthday": self.turned.isoformat(),
                "days_after_birthday": (ev.date - self.turned).days,
                "possibly": self.age - 1,
                "report_date_grace_days": self.grace_days,
            }
        }


def _possibly(rec: Rec, ev: Ev, age: int, high: int, grace_days: int) -> VictimAge | None:
    """A victim `high + 1` on a report or recording date fewer than `grace_days` after turning it."""
    if ev.date_kind not in LATER_DATES or age != high + 1 or rec.birth is None or ev.date is None:
        return None
    turned = birthday(rec.birth, high + 1)
    return VictimAge(rec, age, turned, grace_days) if (ev.date - turned).days < grace_days else None


def victim_in_ages(ev: Ev, low: int, high: int, grace_days: int) -> VictimAge | None:
    """The first victim aged `low` to `high` on the case's date; else the first who possibly was at the
    offence (a report or recording date just after the birthday that took them over `high`)."""
    possible: VictimAge | None = None
    for rec in ev.role("victim"):
        age = age_on(rec.birth, ev.date)
        if age is None:
            continue
        if low <= age <= high:
            return VictimAge(rec, age)
        possible = possible or _possibly(rec, ev, age, high, grace_days)
    return possible
