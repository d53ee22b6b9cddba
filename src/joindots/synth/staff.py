"""Hotel staff and where they work: the people who write Operation Makesafe reports.

A member of staff is an adult who works at one hotel in their own force area for a spell of years,
and some move once to another hotel in the area. A report names a member of staff only if they were
working at that hotel that day, aged 18 to 67; a hotel with nobody on duty sends an unsigned report.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from joindots.synth.population import END_2025, EPOCH_2010
from joindots.synth.tables import Hotels

YEAR = 365
FIRST_BORN, LAST_BORN = -15 * YEAR, 25 * YEAR  # 1955 to 1994: of working age for part of 2010-2025
WORKING_AGES = (18, 67)
MOVE_SHARE = 0.3  # staff who move once to another hotel in their area


@dataclass
class Rota:
    """One row per spell: who (person index) worked at which hotel from ``start`` to ``end`` (days)."""

    person: np.ndarray
    hotel: np.ndarray
    start: np.ndarray
    end: np.ndarray

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame({"pid": self.person, "hotel": self.hotel, "start": self.start, "end": self.end})

    def reporters(self, hotels: np.ndarray, dates: np.ndarray, pick: np.ndarray) -> np.ndarray:
        """For each report (hotel, date, a random whole number ``pick``; -1 where the report is unsigned):
        a member of staff on duty at that hotel that day, or -1 where nobody was."""
        out = np.full(len(hotels), -1, dtype=np.int64)
        for i in np.flatnonzero(pick >= 0):
            on_duty = np.flatnonzero(
                (self.hotel == hotels[i]) & (self.start <= dates[i]) & (self.end >= dates[i])
            )
            if len(on_duty):
                out[i] = self.person[on_duty[int(pick[i]) % len(on_duty)]]
        return out


def hire_staff(rng: np.random.Generator, people: pd.DataFrame, hotels: Hotels) -> Rota:
    """Give every member of staff an adult's birth date (in ``people``) and their spells at hotels."""
    staff = np.flatnonzero(people["is_staff"].to_numpy())
    dob = rng.integers(FIRST_BORN, LAST_BORN, len(staff)).astype(np.int64)
    people.loc[people.index[staff], "dob"] = dob
    hotel_area = np.asarray(hotels.area, dtype=object)
    area = people["area"].to_numpy()[staff]
    spells: list[tuple[int, int, int, int]] = []
    for who, born, home in zip(staff.tolist(), dob.tolist(), area, strict=True):
        local = np.flatnonzero(hotel_area == home)
        local = local if len(local) else np.arange(len(hotel_area))
        first = max(EPOCH_2010, born + WORKING_AGES[0] * YEAR)
        last = min(END_2025, born + WORKING_AGES[1] * YEAR)
        start = int(rng.integers(first, max(first + 1, last - 2 * YEAR)))
        end = min(last, start + int((2 + rng.exponential(5)) * YEAR))
        hotel = int(rng.choice(local))
        if rng.random() < MOVE_SHARE and len(local) > 1 and end - start > 2 * YEAR:
            moved = int(rng.integers(start + YEAR, end - YEAR + 1))
            other = int(rng.choice(local[local != hotel]))
            spells += [(who, hotel, start, moved - 1), (who, other, moved, end)]
        else:
            spells.append((who, hotel, start, end))
    cols = np.asarray(spells, dtype=np.int64).reshape(-1, 4)
    return Rota(cols[:, 0], cols[:, 1], cols[:, 2], cols[:, 3])
