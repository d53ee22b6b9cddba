"""The world's canonical event tables, before any source writes them down its own way.

Each table holds true person indices (``pid``; -1 where nobody is named), whole days since 1970 for
dates, and the facts of the event. ``sources.py`` turns them into each agency's file with its habits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

CRIME_COLUMNS = (
    "crime_key",
    "force",
    "date",
    "offence_code",
    "offence_orig",
    "outcome",
    "outcome_date",
    "cse",
    "notes",
)
NOMINAL_COLUMNS = ("crime_key", "pid", "role")
REFERRAL_COLUMNS = ("date", "child", "perp", "referrer", "concerns", "risk")
ATTENDANCE_COLUMNS = ("date", "pid", "department", "complaint", "safeguarding")
EPISODE_COLUMNS = (
    "date",
    "found_date",
    "child",
    "loc_type",
    "loc_name",
    "loc_postcode",
    "with_pid",
    "risk",
    "notes",
)
HOTEL_COLUMNS = (
    "date",
    "hotel",
    "guest",
    "staff",
    "cash",
    "refused_id",
    "isolated",
    "child_adults",
    "visitors",
    "notes",
    "car",
)
LICENCE_COLUMNS = ("pid", "issued", "expires", "licence_type", "council", "vrm_slot", "old_address")


@dataclass
class Hotels:
    """Fictional hotels: name, force area and postcode."""

    name: list[str]
    area: list[str]
    postcode: list[str]


@dataclass
class WorldTables:
    """Every canonical table, filled by ``scenario`` (the cast) and ``background`` (everyone else)."""

    crimes: list[pd.DataFrame] = field(default_factory=list)
    nominals: list[pd.DataFrame] = field(default_factory=list)
    referrals: list[pd.DataFrame] = field(default_factory=list)
    attendances: list[pd.DataFrame] = field(default_factory=list)
    episodes: list[pd.DataFrame] = field(default_factory=list)
    hotel_reports: list[pd.DataFrame] = field(default_factory=list)
    licences: list[pd.DataFrame] = field(default_factory=list)

    def frame(self, name: str, columns: tuple[str, ...]) -> pd.DataFrame:
        parts = [p for p in getattr(self, name) if len(p)]
        if not parts:
            return pd.DataFrame({c: [] for c in columns})
        return pd.concat(parts, ignore_index=True)[list(columns)]
