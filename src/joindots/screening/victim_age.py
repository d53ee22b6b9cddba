"""How old a case's victim was at the offence, as far as the case's date can tell.

An age is on the event's date, and `ingest/date_kinds.py` says which date that is. On the offence date, or on a
date the source does not name, the age is taken as it stands: an age that is known is never loosened.
On a later date, the report or the recording, a victim one year over a rule's `max_age` may still have
been within it at the offence: a girl 15 at the offence is 16 when reported if her birthday fell in
between, and the 2025 audit found 13-15-year-olds' cases dropped or downgraded. Such a victim counts
as *possibly* within the ages when the offence may have been before that birthday, that is when the
date is fewer than `report_date_grace_days` days after it, and the words say so.

A victim may also be reported years after the offence: a girl raped at 14 who tells the police at 19.
Where the rule asks for it (`offence_code_ages`), the offence code then says what the date cannot: the
"under 16" codes (19D, 19G, 22B) are for victims of 13 to 15 at the offence, those under 13 having
codes of their own (`CODE_VICTIM_AGES`). On a report or recording date a victim older than the rule's
ages counts as within them when the case's code, as first recorded or now, states ages that meet
them, and the words say so. A victim younger on the date than the code's ages is left alone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from joindots.domain.codes import CODE_VICTIM_AGES, OFFENCE_CODES
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
    code: str | None = None  # the offence code that states the victim's ages at the offence

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
        if self.code is not None:
            low, high = CODE_VICTIM_AGES[self.code]
            return (
                f"{text}; the offence code {self.code} ({OFFENCE_CODES[self.code].lower()}) says "
                f"{_ages(low, high)} at the offence (the source gives {LATER_DATES[ev.date_kind]}, "
                "not the offence date)" + (f"; {born}" if born else "")
            )
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
        if self.code is not None:
            low, high = CODE_VICTIM_AGES[self.code]
            return {
                "ages_from_offence_code": {
                    "age_on_date": self.age,
                    "date_is": ev.date_kind,
                    "offence_code": self.code,
                    "ages_at_offence": [low, high],
                }
            }
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


def _ages(low: int, high: int) -> str:
    return f"under {high + 1}" if low == 0 else f"aged {low} to {high}"


def code_ages(ev: Ev) -> tuple[str, tuple[int, int]] | None:
    """The offence code (as first recorded, else now) that states the victim's ages at the offence,
    with those ages, where the case's date is a report or recording date; else None."""
    if ev.date_kind not in LATER_DATES:
        return None
    for code in (ev.offence_code_original, ev.offence_code):
        if code in CODE_VICTIM_AGES:
            return code, CODE_VICTIM_AGES[code]
    return None


def _coded(rec: Rec, ev: Ev, age: int, low: int, high: int) -> VictimAge | None:
    """A victim over `high` on a later date whose case's code states ages meeting `low` to `high`."""
    stated = code_ages(ev)
    if stated is None or age <= high:
        return None
    code, (code_low, code_high) = stated
    if code_high < low or code_low > high or age < code_low:
        return None
    return VictimAge(rec, age, code=code)


def victim_in_ages(
    ev: Ev, low: int, high: int, grace_days: int, offence_code_ages: bool = False
) -> VictimAge | None:
    """The first victim aged `low` to `high` on the case's date; else the first the offence code says
    was (`offence_code_ages`, on a report or recording date); else the first who possibly was at the
    offence (a report or recording date just after the birthday that took them over `high`)."""
    coded: VictimAge | None = None
    possible: VictimAge | None = None
    for rec in ev.role("victim"):
        age = age_on(rec.birth, ev.date)
        if age is None:
            continue
        if low <= age <= high:
            return VictimAge(rec, age)
        if offence_code_ages:
            coded = coded or _coded(rec, ev, age, low, high)
        possible = possible or _possibly(rec, ev, age, high, grace_days)
    return coded or possible
