"""When a person in a case was born, and where that comes from.

A record that gives its own birth date is taken at its word. A record without one falls back on its
person's birth date: the date most of the person's records give, ties going to the earliest (as the
ages on reports do, `joindots.intake.queries.ages_then`). The words say which records gave it, and
say so when the person's records disagree: a tie, or dates more than a year apart.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from joindots.intake.queries import age_on as _whole_years

MATERIAL_DAYS = 366  # birth dates further apart than this are a disagreement worth saying


@dataclass(frozen=True)
class PersonBirths:
    """The birth dates a person's records give (date -> the records giving it, "source/record_id")
    and how many records the person has in all."""

    by_date: dict[dt.date, tuple[str, ...]]
    records: int

    def chosen(self) -> dt.date | None:
        """The date most records give; ties go to the earliest."""
        if not self.by_date:
            return None
        return max(self.by_date.items(), key=lambda kv: (len(kv[1]), -kv[0].toordinal()))[0]

    def others(self, date: dt.date) -> list[tuple[dt.date, int]]:
        """The other dates given, most records first."""
        found = [(d, len(r)) for d, r in self.by_date.items() if d != date]
        return sorted(found, key=lambda dn: (-dn[1], dn[0]))


@dataclass(frozen=True)
class Born:
    """A record's birth date for the rules, with where it came from."""

    date: dt.date
    own: bool  # the record gives it itself
    births: PersonBirths | None = None  # the person's records, where the person has more than this one

    def words(self, role: str) -> str:
        """'born 2007-08-22 per 6 of the person's 7 records (none on the victim record)', and any
        disagreement between the person's records."""
        if self.own or self.births is None:
            text = f"born {self.date.isoformat()} per the {role} record"
        else:
            agree = len(self.births.by_date[self.date])
            text = (
                f"born {self.date.isoformat()} per {agree} of the person's {self.births.records} "
                f"records (none on the {role} record)"
            )
        return text + self._disagreement()

    def _disagreement(self) -> str:
        if self.births is None:
            return ""
        others = self.births.others(self.date)
        agree = len(self.births.by_date.get(self.date, ()))
        tie = not self.own and any(n == agree for _, n in others)
        if not tie and not any(abs((d - self.date).days) > MATERIAL_DAYS for d, _ in others):
            return ""
        listed = ", ".join(f"{d.isoformat()} ({n})" for d, n in others[:3])
        why = "as many give another date, the earliest is taken" if tie else "more than a year apart"
        return f"; the person's records disagree ({why}): also {listed}"

    def evidence(self) -> dict[str, Any]:
        """Which records the birth date came from."""
        if self.own or self.births is None:
            return {"date": self.date.isoformat(), "from": "the record itself"}
        return {
            "date": self.date.isoformat(),
            "from": list(self.births.by_date[self.date]),
            "person_records": self.births.records,
            "other_dates": {d.isoformat(): n for d, n in self.births.others(self.date)},
        }


def age_on(dob: dt.date | None, day: dt.date | None) -> int | None:
    """Whole years on `day`; None without both dates."""
    if dob is None or day is None:
        return None
    return _whole_years(dob, day)


def born_for(own: dt.date | None, births: PersonBirths | None) -> Born | None:
    """The record's own birth date if it gives one, else its person's; None when neither is known."""
    if births is not None and births.records < 2:
        births = None  # a person of one record: nothing to add to what the record says
    if own is not None:
        return Born(own, True, births)
    chosen = births.chosen() if births else None
    return Born(chosen, False, births) if chosen else None
