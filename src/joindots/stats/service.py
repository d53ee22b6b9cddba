"""Build the statistics release: tables by age band, sex, self-defined ethnicity, nationality, force
and year, rates per population with exact Poisson intervals, each protected by disclosure control
against this and every earlier release; stored in the release log and written as CSV, HTML, xlsx."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from scipy.stats import chi2
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from joindots.audit import Action, record_access
from joindots.domain.codes import SELF_DEFINED_ETHNICITY
from joindots.settings import get_settings
from joindots.stats.disclosure import TOTAL, C, Grid, Protected, Release, Share, protect, round_half_up
from joindots.stats.people import AGE_BANDS, NOT_RECORDED, Counted, counted_people
from joindots.stats.tables import ReleaseTable, StatsRelease
from joindots.store.db import session_scope

BUNDLED_BASELINE = Path(__file__).with_name("population_baseline.csv")
WHO = ("Suspects", "Victims")
ORDER = {
    "age_band": [label for _, label in AGE_BANDS] + [NOT_RECORDED],
    "sex": ["Female", "Male", NOT_RECORDED],
    "ethnicity": [f"{c} {label}" for c, label in SELF_DEFINED_ETHNICITY.items()] + [NOT_RECORDED],
}
TITLES = {
    "age_band": "by age band (age at first event)",
    "sex": "by sex",
    "ethnicity": "by self-defined ethnicity (18+1)",
    "nationality": "by nationality (ISO 3166 alpha-3)",
}


@dataclass
class StatsTable:
    name: str
    title: str
    caveat: str
    protected: Protected
    extra: pd.DataFrame | None = field(default=None)  # rates beside a table, suppression applied
    checked_against: list[EarlierRelease] = field(default_factory=list)  # as the difference check read them


def _key(key: tuple[str, str]) -> str:
    return f"{key[0]}|{key[1]}"


def _unkey(text: str) -> tuple[str, str]:
    row, col = text.split("|", 1)
    return row, col


def _grid(people: pd.DataFrame, row: str, col: str, rows: list[str] | None, cols: list[str] | None) -> Grid:
    counts = people.groupby([row, col]).size()
    rows = rows or sorted(set(people[row]) - {NOT_RECORDED}) + [NOT_RECORDED]
    cols = cols or sorted(set(people[col]))
    return Grid(tuple(rows), tuple(cols), {(r, c): int(counts.get((r, c), 0)) for r in rows for c in cols})


def _not_recorded_shares(grid: Grid) -> list[Share]:
    """The share of each column's people with the attribute not recorded (a who-by-attribute table),
    or of all the people counted (a table of one group by force area and year)."""
    if grid.cols == WHO:
        return [Share((NOT_RECORDED, who), (TOTAL, who)) for who in grid.cols]
    return [Share((NOT_RECORDED, TOTAL), (TOTAL, TOTAL))]


def _caveat(protected: Protected, label: str) -> str:
    """How much is not recorded, per column: each share of a published column total, rounded half up
    to the nearest 5%. A share is stated only with its count and total published, and the disclosure
    check counts it among what an attacker knows, so it cannot give back a suppressed count."""
    stated = protected.stated_shares()
    parts = []
    for share in protected.shares:
        whose = share.whole[1].lower() if share.whole[1] != TOTAL else "the people counted"
        if share in stated and protected.grid.value(share.part) == 0:
            parts.append(f"none of {whose}")
        elif share in stated:
            parts.append(f"about {stated[share]}% of {whose}")
        else:
            parts.append(f"not given for {whose} (too few to state safely)")
    step = protected.shares[0].step if protected.shares else 5
    return (
        f"{label.capitalize()} not recorded: {', '.join(parts)} (rounded to the nearest {step}%); "
        "'Not recorded' is its own row and is never imputed."
    )


@dataclass(frozen=True)
class EarlierRelease:
    """How the difference check read an earlier release of a table: the base its totals were taken
    as rounded to (None: exact) and, where the release recorded none, what was assumed and why."""

    release_id: int
    round_totals: int | None
    assumed: str | None = None  # None: the release's own recorded base

    def describe(self) -> str:
        base = f"rounded to a multiple of {self.round_totals}" if self.round_totals else "exact"
        if self.assumed is None:
            return f"release {self.release_id}: totals {base}, as recorded"
        return f"release {self.release_id}: rounding base not recorded; {self.assumed}"


def recorded_base(round_totals: int | None) -> int:
    """What the release log records for a rounding setting: the base, or 1 for exact totals."""
    return round_totals or 1


def describe_settings(threshold: int | None, round_totals: int | None) -> str:
    """A release's disclosure settings in words, from the release log ("not recorded" for a base
    logged as NULL, by a release made before bases were recorded)."""
    if round_totals is None:
        base = "rounding base not recorded"
    elif round_totals == 1:
        base = "totals exact"
    else:
        base = f"totals rounded to a multiple of {round_totals}"
    return f"counts 1 to {threshold} suppressed, {base}"


def _protect(
    session: Session, name: str, grid: Grid, threshold: int, round_totals: int | None
) -> tuple[Protected, list[EarlierRelease]]:
    """Protect a table against its earlier releases, each read with its own rounding base; 'Not
    recorded' cells are the last choice for secondary suppression, since their share is the
    completeness figure people need."""
    history, read_as = _history(session, name, round_totals)
    shares = _not_recorded_shares(grid)
    out = protect(grid, threshold, history, round_totals, shares, last_resort=(NOT_RECORDED,))
    return out, read_as


def _history(session: Session, name: str, today: int | None) -> tuple[list[Release], list[EarlierRelease]]:
    """Earlier releases of a table, each with the rounding base it recorded."""
    rows = session.execute(
        select(ReleaseTable, StatsRelease.round_totals, StatsRelease.threshold)
        .join(StatsRelease, StatsRelease.id == ReleaseTable.release_id)
        .where(ReleaseTable.name == name)
        .order_by(ReleaseTable.id)
    ).all()
    releases, read_as = [], []
    for r, recorded, threshold in rows:
        grid = Grid(tuple(r.rows), tuple(r.cols), {_unkey(k): v for k, v in r.counts.items()})
        earlier = _read_as(r, grid, recorded, today)
        hidden = frozenset(_unkey(k) for k in r.suppressed)
        releases.append(Release(grid, hidden, earlier.round_totals, threshold=threshold))
        read_as.append(earlier)
    return releases, read_as


def _read_as(r: ReleaseTable, grid: Grid, recorded: int | None, today: int | None) -> EarlierRelease:
    """The base to read an earlier release with: its recorded one; for a release that recorded none,
    exact if its printed totals are the true ones, else today's base if that gives every printed
    total, else exact (the strongest assumption: the attacker knows the most)."""
    if recorded is not None:
        return EarlierRelease(r.release_id, recorded if recorded > 1 else None)
    totals = [(r.published.get(_key(k)), grid.value(k) or 0) for k in grid.cells() if TOTAL in k]
    printed = [(shown, true) for shown, true in totals if shown != C]
    if all(shown == true for shown, true in printed):
        return EarlierRelease(r.release_id, None, "its printed totals are the true ones: taken as exact")
    if today and all(shown == round_half_up(true, today) for shown, true in printed):
        return EarlierRelease(r.release_id, today, f"taken as today's base, {today}")
    why = f"today's base ({today})" if today else "today's setting (exact totals)"
    return EarlierRelease(
        r.release_id, None, f"{why} does not give its printed totals: taken as exact (the strictest reading)"
    )


def build_tables(
    session: Session, counted: Counted, threshold: int, round_totals: int | None
) -> list[StatsTable]:
    people = counted.people
    tables = []
    for column, title in TITLES.items():
        grid = _grid(people, column, "who", ORDER.get(column), list(WHO))
        protected, earlier = _protect(session, column, grid, threshold, round_totals)
        label = column.replace("_", " ")
        title = f"Suspects and victims {title}"
        tables.append(
            StatsTable(column, title, _caveat(protected, label), protected, checked_against=earlier)
        )
    for who in WHO:
        part = people[people["who"] == who]
        grid = _grid(part, "force", "year", None, None)
        name = f"{who.lower()}_by_force_year"
        protected, earlier = _protect(session, name, grid, threshold, round_totals)
        caveat = _caveat(protected, "force area")
        table = StatsTable(name, f"{who} by force area and year", caveat, protected, checked_against=earlier)
        table.extra = rates(protected, load_baseline(get_settings().population_baseline))
        tables.append(table)
    return tables


def load_baseline(path: Path | None) -> pd.DataFrame:
    frame = pd.read_csv(path or BUNDLED_BASELINE, dtype={"force": str, "year": str})
    return frame[["force", "year", "population"]]


def poisson_interval(count: int, level: float = 0.95) -> tuple[float, float]:
    """Exact (Garwood) Poisson interval for a count."""
    alpha = 1 - level
    low = 0.0 if count == 0 else chi2.ppf(alpha / 2, 2 * count) / 2
    high = chi2.ppf(1 - alpha / 2, 2 * (count + 1)) / 2
    return float(low), float(high)


def rates(protected: Protected, baseline: pd.DataFrame) -> pd.DataFrame:
    """Rate per 100,000 population for each published force-year cell; suppressed cells stay [c] and a
    missing population is [x]."""
    pop = {(f, y): int(p) for f, y, p in baseline.itertuples(index=False)}
    shown = protected.published()
    out: list[list[object]] = []
    for force in protected.grid.rows:
        for year in protected.grid.cols:
            value = shown[(force, year)]
            population = pop.get((force, year))
            if value == C:
                out.append([force, year, C, population or "[x]", C, C, C])
            elif population is None or not isinstance(value, int):
                out.append([force, year, value, "[x]", "[x]", "[x]", "[x]"])
            else:
                low, high = poisson_interval(value)
                per = 100_000 / population
                out.append(
                    [
                        force,
                        year,
                        value,
                        population,
                        round(value * per, 3),
                        round(low * per, 3),
                        round(high * per, 3),
                    ]
                )
    return pd.DataFrame(
        out, columns=["force", "year", "count", "population", "rate_per_100k", "lower_95", "upper_95"]
    )


def published_frame(table: StatsTable) -> pd.DataFrame:
    shown = table.protected.published()
    grid = table.protected.grid
    rows = [*grid.rows, TOTAL]
    data = [[shown[(r, c)] for c in (*grid.cols, TOTAL)] for r in rows]
    return pd.DataFrame(data, index=pd.Index(rows, name=""), columns=[*grid.cols, TOTAL])


def run_stats(engine: Engine, out_dir: Path, actor: str) -> tuple[int, list[StatsTable], str]:
    """Make, log and write one release (one transaction: a failure leaves the release log as it was)."""
    settings = get_settings()
    threshold, round_totals = settings.disclosure_threshold, settings.disclosure_round_totals
    with session_scope(engine) as session:
        counted = counted_people(session)
        tables = build_tables(session, counted, threshold, round_totals)
        release = StatsRelease(
            released_by=actor,
            basis=counted.basis,
            threshold=threshold,
            round_totals=recorded_base(round_totals),
        )
        session.add(release)
        session.flush()
        for t in tables:
            session.add(_log_row(release.id, t))
        details = {"tables": [t.name for t in tables], "people": len(counted.people)}
        if assumed := assumptions(tables):
            details["earlier releases read without a recorded rounding base"] = assumed
        for action in (Action.CONSULTATION, Action.DISCLOSURE):
            record_access(
                session,
                actor=actor,
                action=action,
                subject=f"statistics release {release.id}",
                justification="aggregate statistics with disclosure control",
                recipient=str(out_dir) if action == Action.DISCLOSURE else None,
                details=details,
            )
        release_id = release.id
    from joindots.stats.output import write_outputs

    settings_text = describe_settings(threshold, recorded_base(round_totals))
    write_outputs(out_dir, release_id, counted.basis, tables, settings_text)
    return release_id, tables, counted.basis


def assumptions(tables: list[StatsTable]) -> list[str]:
    """What the difference check assumed for earlier releases that recorded no rounding base, one
    line per release and reading, with the tables it applied to."""
    found: dict[str, list[str]] = {}
    for t in tables:
        for earlier in t.checked_against:
            if earlier.assumed is not None:
                found.setdefault(earlier.describe(), []).append(t.name)
    return [f"{text} ({', '.join(names)})" for text, names in found.items()]


def _log_row(release_id: int, t: StatsTable) -> ReleaseTable:
    grid = t.protected.grid
    return ReleaseTable(
        release_id=release_id,
        name=t.name,
        title=t.title,
        caveat=t.caveat,
        rows=list(grid.rows),
        cols=list(grid.cols),
        counts={_key(k): grid.value(k) for k in grid.cells()},
        published={_key(k): v for k, v in t.protected.published().items()},
        suppressed=sorted(_key(k) for k in t.protected.suppressed),
    )


def release_log(session: Session) -> list[dict[str, Any]]:
    """Every release in the log, newest first: who made it and when, who was counted, its tables and
    how many cells each hid, and its disclosure settings as recorded and in words (no counts)."""
    releases = session.scalars(select(StatsRelease).order_by(StatsRelease.id.desc())).all()
    tables = session.execute(
        select(ReleaseTable.release_id, ReleaseTable.name, ReleaseTable.suppressed).order_by(ReleaseTable.id)
    ).all()
    hidden: dict[int, dict[str, int]] = {}
    for release_id, name, suppressed in tables:
        hidden.setdefault(release_id, {})[name] = len(suppressed or [])
    return [
        {
            "release": r.id,
            "released_at": r.released_at.isoformat(timespec="seconds"),
            "released_by": r.released_by,
            "basis": r.basis,
            "threshold": r.threshold,
            "round_totals": r.round_totals,
            "protection": describe_settings(r.threshold, r.round_totals),
            "cells_suppressed": hidden.get(r.id, {}),
        }
        for r in releases
    ]


def web_summary(session: Session, release: int | None = None) -> list[dict[str, Any]]:
    """A release's tables as published (the latest, or `release`; none for a release not in the log),
    one item per cell (suppressed already; the true counts never leave this module), each with the
    release's disclosure settings as recorded (a `round_totals` of None: not recorded; 1: exact
    totals) and in words. The first cell of each table carries who was counted and the table's
    completeness caveat."""
    if release is None:
        latest = session.scalars(select(StatsRelease).order_by(StatsRelease.id.desc()).limit(1)).first()
    else:
        latest = session.get(StatsRelease, release)
    if latest is None:
        return []
    tables = session.scalars(
        select(ReleaseTable).where(ReleaseTable.release_id == latest.id).order_by(ReleaseTable.id)
    )
    protection = describe_settings(latest.threshold, latest.round_totals)
    items = []
    for t in tables:
        for n, (row, col) in enumerate((r, c) for r in [*t.rows, TOTAL] for c in [*t.cols, TOTAL]):
            items.append(
                {
                    "release": latest.id,
                    "threshold": latest.threshold,
                    "round_totals": latest.round_totals,
                    "protection": protection,
                    "table": t.name,
                    "row": row,
                    "column": col,
                    "value": t.published[_key((row, col))],
                    "note": f"{latest.basis}. {t.caveat}" if n == 0 else "",
                }
            )
    return items
