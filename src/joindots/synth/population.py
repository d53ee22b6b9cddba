"""The people of the synthetic world: who they are, where they live, their phones and vehicles.

Everything is drawn with numpy in whole columns (one pass per attribute), so a million people take
seconds. The cast (children at risk, offenders in groups and alone, taxi drivers) is chosen here;
what they do is in ``scenario.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from joindots.synth.names import draw_names

# England and Wales 2021 census, self-defined ethnicity shares (rounded; NS takes the remainder).
POPULATION_ETHNICITY: dict[str, float] = {
    "W1": 0.744,
    "W2": 0.009,
    "W3": 0.001,
    "W9": 0.062,
    "M1": 0.009,
    "M2": 0.004,
    "M3": 0.008,
    "M9": 0.007,
    "A1": 0.031,
    "A2": 0.027,
    "A3": 0.011,
    "A4": 0.007,
    "A9": 0.016,
    "B1": 0.010,
    "B2": 0.025,
    "B9": 0.005,
    "O2": 0.006,
    "O9": 0.016,
    "NS": 0.002,
}
# Nationality given ethnicity: most people are British; others by the tradition of their name.
NATIONALITY_BY_ETHNICITY: dict[str, dict[str, float]] = {
    "W2": {"IRL": 0.5, "GBR": 0.5},
    "W9": {"POL": 0.3, "ROU": 0.2, "LTU": 0.1, "ITA": 0.1, "PRT": 0.1, "SVK": 0.1, "HUN": 0.1},
    "A1": {"GBR": 0.8, "IND": 0.2},
    "A2": {"GBR": 0.85, "PAK": 0.15},
    "A3": {"GBR": 0.85, "BGD": 0.15},
    "A4": {"GBR": 0.6, "CHN": 0.4},
    "A9": {"GBR": 0.6, "LKA": 0.2, "VNM": 0.2},
    "B2": {"GBR": 0.6, "NGA": 0.2, "KEN": 0.1, "GHA": 0.1},
    "O2": {"GBR": 0.4, "IRQ": 0.2, "SYR": 0.2, "EGY": 0.2},
    "O9": {"GBR": 0.5, "TUR": 0.5},
}
# Each force covers its own postcode areas and towns (fictional towns; real-looking postcodes).
AREAS: dict[str, dict[str, tuple[str, ...]]] = {
    "north": {
        "postcode": ("BD", "HX", "HD", "WF", "LS"),
        "town": ("Calderbrook", "Moorgate", "Oakenshaw Vale", "Brighouse End", "Thornleigh"),
    },
    "south": {
        "postcode": ("RG", "SL", "OX", "HP", "MK"),
        "town": ("Kennet Abbey", "Thamesford", "Chilworth Green", "Ashbury", "Whitcombe"),
    },
}
STREET_WORDS = (
    "Mill",
    "Church",
    "Station",
    "Park",
    "Victoria",
    "Albert",
    "Queen",
    "King",
    "High",
    "Manor",
    "Chapel",
    "Bridge",
    "Green",
    "Grove",
    "Hill",
    "Lark",
    "Willow",
    "Cedar",
    "Beech",
    "Holly",
    "Rowan",
    "Heather",
    "Moor",
    "Valley",
    "Brook",
    "Meadow",
    "Orchard",
    "Croft",
    "Fold",
    "Field",
)
STREET_KINDS = ("Road", "Street", "Lane", "Avenue", "Close", "Drive", "Terrace", "Way", "Crescent", "Gardens")
INWARD_LETTERS = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))
PLATE_LETTERS = np.array(list("ABCDEFGHJKLMNOPRSTUVWXY"))

EPOCH_2010 = int(np.datetime64("2010-01-01", "D").astype(int))
END_2025 = int(np.datetime64("2025-12-31", "D").astype(int))
DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class CastSizes:
    """How many of each kind of person the world holds."""

    children: int
    groups: int
    lone_offenders: int
    drivers: int
    hotel_staff: int


def hotel_count(people: int) -> int:
    """One fictional hotel per 5,000 people, at least 8 and at most 200."""
    return int(min(200, max(8, people // 5000)))


def cast_sizes(people: int, child_rate: float) -> CastSizes:
    """Children 0.5-1% of people; a group for every ~6 children; drivers ~0.4%; staff ~0.2%, at
    least six for each hotel."""
    children = max(8, round(people * child_rate))
    groups = max(2, round(children / 6))
    return CastSizes(
        children=children,
        groups=groups,
        lone_offenders=max(1, round(groups * 0.8)),
        drivers=max(6, round(people * 0.004)),
        hotel_staff=max(6 * hotel_count(people), round(people * 0.002)),
    )


def draw_categorical(rng: np.random.Generator, weights: dict[str, float], size: int) -> np.ndarray:
    keys = np.asarray(list(weights), dtype=object)
    probs = np.asarray(list(weights.values()), dtype=float)
    return keys[rng.choice(len(keys), size=size, p=probs / probs.sum())]


def draw_nationality(rng: np.random.Generator, ethnicity: np.ndarray) -> np.ndarray:
    nationality = np.full(len(ethnicity), "GBR", dtype=object)
    for code, weights in NATIONALITY_BY_ETHNICITY.items():
        idx = np.flatnonzero(ethnicity == code)
        if len(idx):
            nationality[idx] = draw_categorical(rng, weights, len(idx))
    return nationality


def draw_addresses(rng: np.random.Generator, area: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A house, street and town in the person's force area, and a postcode 'AB12 3CD'."""
    n = len(area)
    postcode = np.empty(n, dtype=object)
    address = np.empty(n, dtype=object)
    for name, spec in AREAS.items():
        idx = np.flatnonzero(area == name)
        k = len(idx)
        if k == 0:
            continue
        outward = np.asarray(spec["postcode"], dtype=object)[rng.integers(0, len(spec["postcode"]), k)]
        district = rng.integers(1, 30, k).astype(str)
        inward = (
            rng.integers(0, 10, k).astype(str).astype(object)
            + INWARD_LETTERS[rng.integers(0, len(INWARD_LETTERS), k)].astype(object)
            + INWARD_LETTERS[rng.integers(0, len(INWARD_LETTERS), k)].astype(object)
        )
        postcode[idx] = outward + district.astype(object) + " " + inward
        street = (
            np.asarray(STREET_WORDS, dtype=object)[rng.integers(0, len(STREET_WORDS), k)]
            + " "
            + np.asarray(STREET_KINDS, dtype=object)[rng.integers(0, len(STREET_KINDS), k)]
        )
        town = np.asarray(spec["town"], dtype=object)[rng.integers(0, len(spec["town"]), k)]
        address[idx] = rng.integers(1, 250, k).astype(str).astype(object) + " " + street + ", " + town
    return postcode, address


def draw_plates(rng: np.random.Generator, size: int) -> np.ndarray:
    """Unique current-style registration marks 'AB12CDE' (age identifier 02-25 or 51-75)."""
    plates = np.empty(0, dtype=object)
    while len(plates) < size:
        k = int((size - len(plates)) * 1.05) + 10
        age = np.where(rng.random(k) < 0.5, rng.integers(2, 26, k), rng.integers(51, 76, k))
        letters = [PLATE_LETTERS[rng.integers(0, len(PLATE_LETTERS), k)].astype(object) for _ in range(5)]
        fresh = letters[0] + letters[1] + np.char.zfill(age.astype(str), 2).astype(object)
        fresh = fresh + letters[2] + letters[3] + letters[4]
        plates = pd.unique(np.concatenate([plates, fresh]))
    return plates[:size]


def draw_phone_numbers(rng: np.random.Generator, size: int, cast: bool) -> np.ndarray:
    """Unique UK mobiles as national digits '07700900123'.

    The cast use Ofcom's drama block 07700 9xxxxx; everyone else draws from the rest of 0770
    (random digits tied to nobody, never the drama block, so no two people share a number by chance).
    """
    if cast:
        suffix = rng.choice(100_000, size=size, replace=False)
        return np.char.add("077009", np.char.zfill(suffix.astype(str), 5)).astype(object)
    suffix = rng.choice(9_900_000, size=size, replace=False)
    suffix = np.where(suffix >= 900_000, suffix + 100_000, suffix)
    return np.char.add("0770", np.char.zfill(suffix.astype(str), 7)).astype(object)


def assign_kinds(rng: np.random.Generator, people: int, sizes: CastSizes) -> pd.DataFrame:
    """Kind, group and driver flag for every person; the cast is a random subset."""
    order = rng.permutation(people)
    kind = np.full(people, "general", dtype=object)
    group = np.full(people, -1, dtype=np.int64)
    driver = np.zeros(people, dtype=bool)
    staff = np.zeros(people, dtype=bool)
    pos = 0
    children = order[pos : pos + sizes.children]
    kind[children] = "child_at_risk"
    pos += sizes.children
    group_sizes = rng.integers(2, 9, sizes.groups)
    members = order[pos : pos + int(group_sizes.sum())]
    pos += len(members)
    kind[members] = "offender"
    group[members] = np.repeat(np.arange(sizes.groups), group_sizes)
    lone = order[pos : pos + sizes.lone_offenders]
    pos += len(lone)
    kind[lone] = "offender"
    drivers = order[pos : pos + sizes.drivers]
    pos += len(drivers)
    kind[drivers] = "driver"
    driver[drivers] = True
    # About a third of groups include a licensed taxi driver.
    starts = np.concatenate([[0], np.cumsum(group_sizes)[:-1]])
    with_driver = rng.random(sizes.groups) < 0.35
    driver[members[starts[with_driver]]] = True
    staff[order[pos : pos + sizes.hotel_staff]] = True
    return pd.DataFrame({"kind": kind, "group": group, "is_driver": driver, "is_staff": staff})


def draw_dobs(rng: np.random.Generator, kind: np.ndarray) -> np.ndarray:
    """Days since 1970: general 1935-2015; offenders and drivers adults born 1955-1999.

    Children at risk get their birth dates in ``scenario.py`` (they must be 11-17 when abused).
    """
    lo = np.where(np.isin(kind, ["offender", "driver"]), -15 * 365, -35 * 365)
    hi = np.where(np.isin(kind, ["offender", "driver"]), 29 * 365, 45 * 365)
    return rng.integers(lo, hi).astype(np.int64)


def build_population(
    rng: np.random.Generator, people: int, sizes: CastSizes, offender_ethnicity: dict[str, float] | None
) -> pd.DataFrame:
    """One row per true person with their true (clean) details."""
    frame = assign_kinds(rng, people, sizes)
    kind = frame["kind"].to_numpy()
    female = rng.random(people) < 0.51
    female[kind == "offender"] = rng.random(int((kind == "offender").sum())) < 0.08
    female[kind == "driver"] = rng.random(int((kind == "driver").sum())) < 0.1
    female[kind == "child_at_risk"] = rng.random(int((kind == "child_at_risk").sum())) < 0.85
    ethnicity = draw_categorical(rng, POPULATION_ETHNICITY, people)
    if offender_ethnicity is not None:
        offenders = np.flatnonzero(kind == "offender")
        ethnicity[offenders] = draw_categorical(rng, offender_ethnicity, len(offenders))
    forename, middle, surname = draw_names(rng, ethnicity, female)
    area = np.where(rng.random(people) < 0.5, "north", "south").astype(object)
    postcode, address = draw_addresses(rng, area)
    old_postcode, old_address = draw_addresses(rng, area)
    moved = rng.random(people) < 0.35
    frame = frame.assign(
        person_id=[f"T{i:07d}" for i in range(1, people + 1)],
        sex=np.where(female, "F", "M"),
        dob=draw_dobs(rng, kind),
        forename=forename,
        middle=middle,
        surname=surname,
        ethnicity=ethnicity,
        nationality=draw_nationality(rng, ethnicity),
        area=area,
        postcode=postcode,
        address=address,
        old_postcode=np.where(moved, old_postcode, ""),
        old_address=np.where(moved, old_address, ""),
    )
    return _with_objects(rng, frame)


def _with_objects(rng: np.random.Generator, frame: pd.DataFrame) -> pd.DataFrame:
    """Phones (1-3; the cast 2-3) and vehicles (most adults 0-1; offenders and drivers 1-2)."""
    n = len(frame)
    cast = (frame["kind"] != "general").to_numpy() | frame["is_staff"].to_numpy()
    phones = np.empty((n, 3), dtype=object)
    phones[:] = ""
    n_phones = np.where(cast, rng.integers(2, 4, n), rng.choice([1, 2, 3], n, p=[0.7, 0.25, 0.05]))
    for is_cast in (True, False):
        idx = np.flatnonzero(cast == is_cast)
        numbers = draw_phone_numbers(rng, 3 * len(idx), cast=is_cast).reshape(-1, 3)
        for k in range(3):
            phones[idx, k] = np.where(n_phones[idx] > k, numbers[:, k], "")
    keen = frame["kind"].isin(["offender", "driver"]).to_numpy()
    n_cars = np.where(keen, rng.integers(1, 3, n), rng.choice([0, 1, 2], n, p=[0.45, 0.45, 0.1]))
    plates = draw_plates(rng, 2 * n).reshape(-1, 2)
    return frame.assign(
        phone1=phones[:, 0],
        phone2=phones[:, 1],
        phone3=phones[:, 2],
        vrm1=np.where(n_cars > 0, plates[:, 0], ""),
        vrm2=np.where(n_cars > 1, plates[:, 1], ""),
    )
