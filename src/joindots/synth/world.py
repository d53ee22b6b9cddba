"""``generate_world``: make the whole synthetic multi-agency world with its ground truth.

Stages draw from their own child seeds (``numpy.random.SeedSequence.spawn``), so the same seed gives
the same files byte for byte, and changing one stage does not reshuffle the others.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from joindots.errors import InvalidInput
from joindots.synth import background, reporting, scenario, sources, staff, truth
from joindots.synth.population import build_population, cast_sizes
from joindots.synth.sources import RecordingHabits, SourceOutput
from joindots.synth.tables import (
    ATTENDANCE_COLUMNS,
    CRIME_COLUMNS,
    EPISODE_COLUMNS,
    HOTEL_COLUMNS,
    LICENCE_COLUMNS,
    NOMINAL_COLUMNS,
    REFERRAL_COLUMNS,
    WorldTables,
)

SOURCES: tuple[str, ...] = (
    "police_north",
    "police_south",
    "social_care",
    "health",
    "missing",
    "hotel",
    "taxi",
)
FILE_NAMES: dict[str, str] = {
    "police_north": "police_north.csv",
    "police_south": "police_south.csv",
    "social_care": "social_care.csv",
    "health": "health.parquet",
    "missing": "missing.csv",
    "hotel": "hotel.xlsx",
    "taxi": "taxi.csv",
}
MIN_PEOPLE = 500
FIXED_CREATED = datetime(2025, 1, 1)  # Excel document properties: fixed, so files are reproducible

Progress = Callable[[str, int], None]  # (what is happening, steps done so far out of STEPS)
STEPS = 12


@dataclass
class WorldSummary:
    """What was generated, for the CLI, the demo and the benchmark."""

    out_dir: Path
    people: int
    seed: int
    rows: dict[str, int] = field(default_factory=dict)  # file rows per source
    records: dict[str, int] = field(default_factory=dict)  # person records per source (truth rows)
    kinds: dict[str, int] = field(default_factory=dict)
    groups: int = 0
    cases: int = 0
    cases_to_review: int = 0
    deliberate_faults: dict[str, dict[str, int]] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def total_records(self) -> int:
        return sum(self.records.values())


@dataclass(frozen=True)
class WorldOptions:
    """Knobs of the world; the defaults follow the audit's findings."""

    child_rate: float = 0.007  # children at risk as a share of people
    suspect_ethnicity_recorded: float = 1 / 3  # the national audit: about two thirds of suspects unrecorded
    offender_ethnicity: dict[str, float] | None = None  # None: offenders drawn like everyone else
    crimes_per_person: float = 0.27
    attendances_per_person: float = 0.42
    referrals_per_person: float = 0.03
    missing_per_person: float = 0.02
    hotel_reports_per_person: float = 0.008


def canonical_mappings_dir() -> Path:
    """The versioned mapping files shipped with the package (one per source)."""
    return Path(str(resources.files("joindots.synth") / "mappings"))


def generate_world(
    out_dir: str | Path, people: int, seed: int, progress: Progress | None = None, **options: object
) -> WorldSummary:
    """Write sources/, mappings/ and truth/ for a world of ``people`` people under ``out_dir``."""
    if people < MIN_PEOPLE:
        raise InvalidInput(f"a world needs at least {MIN_PEOPLE} people (got {people})")
    opts = WorldOptions(**options)  # type: ignore[arg-type]
    started = time.perf_counter()
    tell = progress or (lambda _what, _done: None)
    out = Path(out_dir)
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(14)]
    tell("people", 0)
    population = build_population(
        rngs[0], people, cast_sizes(people, opts.child_rate), opts.offender_ethnicity
    )
    tell("groups and children", 1)
    tables, plans, hotels, rota = _events(rngs, population, opts)
    tell("sources", 4)
    crimes = reporting.with_report_dates(rngs[13], tables.frame("crimes", CRIME_COLUMNS))
    outputs = _render(rngs, population, tables, crimes, hotels, opts, tell)
    tell("writing files", 10)
    _write_sources(out, outputs)
    summary = _write_truth(out, population, tables, crimes, plans, outputs)
    truth.staff_truth(population, rota, hotels).to_csv(out / "truth" / "staff.csv", index=False)
    tell("done", STEPS)
    summary.people, summary.seed = people, seed
    summary.seconds = time.perf_counter() - started
    return summary


def _events(
    rngs: list[np.random.Generator], population: pd.DataFrame, opts: WorldOptions
) -> tuple[WorldTables, list[scenario.Plan], scenario.Hotels, staff.Rota]:
    tables = WorldTables()
    hotels = scenario.make_hotels(rngs[1], len(population))
    plans = scenario.make_plans(rngs[1], population, hotels)
    scenario.spread_areas(rngs[1], population, plans)
    rota = staff.hire_staff(rngs[12], population, hotels)
    scenario.cast_events(rngs[2], population, hotels, rota, plans, tables)
    propensity = rngs[3].lognormal(0.0, 1.2, len(population))
    background.background_crimes(rngs[3], population, propensity, opts.crimes_per_person, tables)
    background.background_attendances(rngs[4], population, propensity, opts.attendances_per_person, tables)
    background.background_children(
        rngs[5], population, propensity, tables, (opts.referrals_per_person, opts.missing_per_person)
    )
    background.background_hotel(
        rngs[5], population, propensity, hotels, rota, opts.hotel_reports_per_person, tables
    )
    background.licences(rngs[5], population, tables)
    return tables, plans, hotels, rota


def _render(
    rngs: list[np.random.Generator],
    population: pd.DataFrame,
    tables: WorldTables,
    crimes: pd.DataFrame,
    hotels: scenario.Hotels,
    opts: WorldOptions,
    tell: Progress,
) -> list[SourceOutput]:
    """Each source's file from the world's events (`crimes` with their report dates)."""
    habits = RecordingHabits(suspect_ethnicity=opts.suspect_ethnicity_recorded)
    nominals = tables.frame("nominals", NOMINAL_COLUMNS)
    steps: list[Callable[[], SourceOutput]] = [
        lambda: sources.police_north(rngs[6], population, crimes, nominals, habits),
        lambda: sources.police_south(rngs[7], population, crimes, nominals, habits),
        lambda: sources.social_care(rngs[8], population, tables.frame("referrals", REFERRAL_COLUMNS)),
        lambda: sources.health(rngs[9], population, tables.frame("attendances", ATTENDANCE_COLUMNS)),
        lambda: sources.missing(rngs[10], population, tables.frame("episodes", EPISODE_COLUMNS)),
        lambda: sources.hotel(rngs[11], population, tables.frame("hotel_reports", HOTEL_COLUMNS), hotels),
        lambda: sources.taxi(rngs[11], population, tables.frame("licences", LICENCE_COLUMNS)),
    ]
    outputs = []
    for i, step in enumerate(steps):
        outputs.append(step())
        tell(f"source {outputs[-1].name}", 4 + i * 6 // len(steps))
    return outputs


def _write_sources(out: Path, outputs: list[SourceOutput]) -> None:
    (out / "sources").mkdir(parents=True, exist_ok=True)
    (out / "mappings").mkdir(parents=True, exist_ok=True)
    for output in outputs:
        path = out / "sources" / FILE_NAMES[output.name]
        WRITERS[output.name](output.frame, path)
        shutil.copyfile(
            canonical_mappings_dir() / f"{output.name}.yaml", out / "mappings" / f"{output.name}.yaml"
        )


def _csv(encoding: str, sep: str, crlf: bool = False) -> Callable[[pd.DataFrame, Path], None]:
    def write(frame: pd.DataFrame, path: Path) -> None:
        text = sources.cp1252_safe_frame(frame) if encoding == "cp1252" else frame
        text.to_csv(path, index=False, encoding=encoding, sep=sep, lineterminator="\r\n" if crlf else "\n")

    return write


def _parquet(frame: pd.DataFrame, path: Path) -> None:
    frame.to_parquet(path, index=False, engine="pyarrow", compression="snappy")


def _excel(frame: pd.DataFrame, path: Path) -> None:
    with pd.ExcelWriter(
        path, engine="xlsxwriter", datetime_format="dd/mm/yyyy", date_format="dd/mm/yyyy"
    ) as writer:
        writer.book.set_properties(
            {"created": FIXED_CREATED, "author": "joindots synth", "title": "Makesafe reports"}
        )
        frame.to_excel(writer, index=False, sheet_name="Reports")


WRITERS: dict[str, Callable[[pd.DataFrame, Path], None]] = {
    "police_north": _csv("cp1252", ",", crlf=True),
    "police_south": _csv("utf-8-sig", ";"),
    "social_care": _csv("utf-8", ","),
    "health": _parquet,
    "missing": _csv("utf-8", "|"),
    "hotel": _excel,
    "taxi": _csv("utf-8", ","),
}


def _write_truth(
    out: Path,
    population: pd.DataFrame,
    tables: WorldTables,
    crimes: pd.DataFrame,
    plans: list[scenario.Plan],
    outputs: list[SourceOutput],
) -> WorldSummary:
    folder = out / "truth"
    folder.mkdir(parents=True, exist_ok=True)
    records = truth.record_truth(outputs, population)
    records.to_csv(folder / "records.csv", index=False)
    truth.people_truth(population).to_csv(folder / "people.csv", index=False)
    groups = truth.groups_truth(population, plans)
    groups.to_csv(folder / "groups.csv", index=False)
    nominals = tables.frame("nominals", NOMINAL_COLUMNS)
    victims = set(nominals.loc[nominals["role"] == "victim", "pid"].astype(int).tolist())
    missing_out = next(o for o in outputs if o.name == "missing")
    cases = pd.concat(
        [
            truth.crime_cases(crimes, nominals, population, plans),
            truth.missing_cases(missing_out, tables.frame("episodes", EPISODE_COLUMNS), victims),
        ],
        ignore_index=True,
    )
    cases.to_csv(folder / "cases.csv", index=False)
    return WorldSummary(
        out_dir=out,
        people=len(population),
        seed=0,
        rows={o.name: len(o.frame) for o in outputs},
        records=records.groupby("source").size().astype(int).to_dict(),
        kinds=population["kind"].value_counts().astype(int).to_dict(),
        groups=int(groups["group_id"].nunique()),
        cases=len(cases),
        cases_to_review=int(cases["should_review"].sum()),
        deliberate_faults={o.name: o.bad_rows for o in outputs if o.bad_rows},
    )
