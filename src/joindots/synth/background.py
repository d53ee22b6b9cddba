"""Everyone else's records: ordinary crimes, hospital attendances, referrals, missing episodes, hotel
reports and taxi licences of the general population, drawn in whole columns.

These are the haystack the cast hides in and the cases that do NOT deserve review. A person's
activity is a lognormal propensity, so many people appear in no source and a few in many.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from joindots.synth.population import END_2025, EPOCH_2010
from joindots.synth.staff import Rota
from joindots.synth.tables import Hotels, WorldTables

YEAR = 365
ORDINARY_OFFENCES = {
    "8N": 0.2,
    "105A": 0.2,
    "46": 0.15,
    "28E": 0.1,
    "58A": 0.12,
    "45": 0.08,
    "92A": 0.05,
    "20A": 0.04,
    "19C": 0.03,
    "22B": 0.03,
}
ORDINARY_OUTCOMES = {
    "1": 0.2,
    "3": 0.05,
    "8": 0.08,
    "14": 0.12,
    "15": 0.1,
    "16": 0.12,
    "18": 0.25,
    "21": 0.05,
    "10": 0.03,
}
ORDINARY_NOTES = (
    "Victim reports assault outside pub.",
    "Items taken from vehicle overnight.",
    "Shop theft, CCTV requested.",
    "Damage to front door.",
    "Dispute between neighbours.",
    "Burglary, rear door forced.",
    "Victim does not wish to proceed.",
    "",
)
COMPLAINTS = (
    ("ED", "Chest pain"),
    ("ED", "Fall"),
    ("ED", "Laceration"),
    ("ED", "Fracture"),
    ("ED", "Abdominal pain"),
    ("Minor Injuries", "Sprain"),
    ("Sexual Health", "STI screen"),
    ("Sexual Health", "Contraception advice"),
    ("ED", "Injury - assault"),
)


# Sexual offence codes by kind: by the victim's sex (female first), then age band (under 13, 13 to 15,
# 16 and over). A sexual activity with a child of 16 or over is no such offence: a sexual assault.
SEXUAL_CODES: dict[str, tuple[tuple[str, str, str], tuple[str, str, str]]] = {
    "rape": (("19E", "19D", "19C"), ("19H", "19G", "19F")),
    "assault": (("20B", "20A", "20A"), ("17B", "17A", "17A")),
    "activity": (("21", "22B", "20A"), ("21", "22B", "17A")),
}
KIND_OF_CODE = {code: kind for kind, sexes in SEXUAL_CODES.items() for codes in sexes for code in codes}
KIND_OF_CODE["20A"] = KIND_OF_CODE["17A"] = "assault"


def fit_to_victim(offence: np.ndarray, age: np.ndarray, female: np.ndarray) -> np.ndarray:
    """Sexual offence codes that fit the victim's age and sex at the offence, as the Home Office codes
    define them: a rape of a girl of 14 is 19D, of a boy of 10 19H; a sexual assault on a man 17A, on
    a child under 13 20B or 17B; sexual activity with a child under 16 is 21 under 13 and, with
    someone of 16 or over, a sexual assault. Other codes are left as they are."""
    out = np.asarray(offence, dtype=object).copy()
    band = np.select([age < 13, age < 16], [0, 1], 2)
    kind = np.asarray([KIND_OF_CODE.get(str(c), "") for c in out], dtype=object)
    for name, (girls, boys) in SEXUAL_CODES.items():
        for is_female, codes in ((True, girls), (False, boys)):
            chosen = (kind == name) & (female == is_female)
            out[chosen] = np.asarray(codes, dtype=object)[band[chosen]]
    return out


def _choice(rng: np.random.Generator, weights: dict[str, float], size: int) -> np.ndarray:
    keys = np.asarray(list(weights), dtype=object)
    probs = np.asarray(list(weights.values()))
    return keys[rng.choice(len(keys), size=size, p=probs / probs.sum())]


def _weighted_people(
    rng: np.random.Generator, propensity: np.ndarray, eligible: np.ndarray, size: int
) -> np.ndarray:
    idx = np.flatnonzero(eligible)
    if len(idx) == 0 or size == 0:
        return np.empty(0, dtype=np.int64)
    p = propensity[idx] / propensity[idx].sum()
    return idx[rng.choice(len(idx), size=size, p=p)]


def _local_people(
    rng: np.random.Generator,
    propensity: np.ndarray,
    eligible: np.ndarray,
    area: np.ndarray,
    wanted_area: np.ndarray,
) -> np.ndarray:
    """People for each slot, from the wanted force area 85% of the time (crime is mostly local)."""
    out = _weighted_people(rng, propensity, eligible, len(wanted_area))
    for name in ("north", "south"):
        slots = np.flatnonzero((wanted_area == name) & (rng.random(len(wanted_area)) < 0.85))
        out[slots] = _weighted_people(rng, propensity, eligible & (area == name), len(slots))
    return out


def _dates_when_aged(rng: np.random.Generator, dob: np.ndarray, lo_age: float, hi_age: float) -> np.ndarray:
    """A date inside 2010-2025 when the person is between the two ages; -1 where impossible."""
    lo = np.maximum(EPOCH_2010, dob + int(lo_age * YEAR))
    hi = np.minimum(END_2025, dob + int(hi_age * YEAR))
    ok = hi > lo
    out = np.full(len(dob), -1, dtype=np.int64)
    out[ok] = lo[ok] + (rng.random(int(ok.sum())) * (hi[ok] - lo[ok])).astype(np.int64)
    return out


def background_crimes(
    rng: np.random.Generator,
    people: pd.DataFrame,
    propensity: np.ndarray,
    per_person: float,
    tables: WorldTables,
) -> None:
    """Ordinary crimes: 1 victim, 0-2 suspects, 0-1 witness; the force is the victim's area."""
    dob = people["dob"].to_numpy()
    n = int(len(people) * per_person)
    victims = _weighted_people(rng, propensity, dob < END_2025 - 12 * YEAR, n)
    date = _dates_when_aged(rng, dob[victims], 12, 90)
    keep = date >= 0
    victims, date = victims[keep], date[keep]
    n = len(victims)
    female = people["sex"].to_numpy()[victims] == "F"
    age = ((date - dob[victims]) / 365.25).astype(int)  # whole years at the offence, as the truth counts
    offence = fit_to_victim(_choice(rng, ORDINARY_OFFENCES, n), age, female)
    keys = np.arange(1, n + 1)
    crimes = pd.DataFrame(
        {
            "crime_key": keys,
            "force": people["area"].to_numpy()[victims],
            "date": date,
            "offence_code": offence,
            "offence_orig": "",
            "outcome": _choice(rng, ORDINARY_OUTCOMES, n),
            "outcome_date": date + rng.integers(10, 300, n),
            "cse": False,
            "notes": np.asarray(ORDINARY_NOTES, dtype=object)[rng.integers(0, len(ORDINARY_NOTES), n)],
        }
    )
    n_suspects = rng.choice([0, 1, 2], n, p=[0.3, 0.5, 0.2])
    n_witness = (rng.random(n) < 0.35).astype(int)
    adults = dob < END_2025 - 16 * YEAR
    area = people["area"].to_numpy()
    suspects = _local_people(rng, propensity, adults, area, np.repeat(crimes["force"].to_numpy(), n_suspects))
    witnesses = _local_people(rng, propensity, adults, area, np.repeat(crimes["force"].to_numpy(), n_witness))
    nominals = pd.concat(
        [
            pd.DataFrame({"crime_key": keys, "pid": victims, "role": "victim"}),
            pd.DataFrame({"crime_key": np.repeat(keys, n_suspects), "pid": suspects, "role": "suspect"}),
            pd.DataFrame({"crime_key": np.repeat(keys, n_witness), "pid": witnesses, "role": "witness"}),
        ],
        ignore_index=True,
    )
    tables.crimes.append(crimes)
    victim_of = np.zeros(n + 1, dtype=np.int64)
    victim_of[keys] = victims
    is_victim = (nominals["role"] == "victim").to_numpy()
    not_self = nominals["pid"].to_numpy() != victim_of[nominals["crime_key"].to_numpy()]
    tables.nominals.append(nominals[is_victim | not_self].drop_duplicates(["crime_key", "pid"]))


def background_attendances(
    rng: np.random.Generator,
    people: pd.DataFrame,
    propensity: np.ndarray,
    per_person: float,
    tables: WorldTables,
) -> None:
    dob = people["dob"].to_numpy()
    n = int(len(people) * per_person)
    pid = _weighted_people(rng, propensity, np.ones(len(people), dtype=bool), n)
    date = _dates_when_aged(rng, dob[pid], 0.5, 95)
    keep = date >= 0
    pid, date = pid[keep], date[keep]
    pick = rng.integers(0, len(COMPLAINTS), len(pid))
    tables.attendances.append(
        pd.DataFrame(
            {
                "date": date,
                "pid": pid,
                "department": [COMPLAINTS[i][0] for i in pick],
                "complaint": [COMPLAINTS[i][1] for i in pick],
                "safeguarding": rng.random(len(pid)) < 0.02,
            }
        )
    )


def background_children(
    rng: np.random.Generator,
    people: pd.DataFrame,
    propensity: np.ndarray,
    tables: WorldTables,
    rates: tuple[float, float],
) -> None:
    """Referrals about ordinary children and their missing episodes (found at home, with friends)."""
    dob = people["dob"].to_numpy()
    general = (people["kind"] == "general").to_numpy()
    young = general & (dob > EPOCH_2010 - 17 * YEAR) & (dob < END_2025 - 2 * YEAR)
    n_ref = int(len(people) * rates[0])
    child = _weighted_people(rng, propensity, young, n_ref)
    date = _dates_when_aged(rng, dob[child], 1, 17.9)
    keep = date >= 0
    m = int(keep.sum())
    tables.referrals.append(
        pd.DataFrame(
            {
                "date": date[keep],
                "child": child[keep],
                "perp": -1,
                "referrer": np.asarray(["School", "Police", "Health", "Neighbour", "Parent"], dtype=object)[
                    rng.integers(0, 5, m)
                ],
                "concerns": np.asarray(
                    [
                        "Neglect concerns.",
                        "Domestic abuse at home.",
                        "Poor school attendance.",
                        "Parental substance misuse.",
                    ],
                    dtype=object,
                )[rng.integers(0, 4, m)],
                "risk": np.asarray(["Low", "Medium"], dtype=object)[rng.integers(0, 2, m)],
            }
        )
    )
    teen = general & (dob > EPOCH_2010 - 17 * YEAR) & (dob < END_2025 - 12 * YEAR)
    n_miss = int(len(people) * rates[1])
    child = _weighted_people(rng, propensity, teen, n_miss)
    date = _dates_when_aged(rng, dob[child], 12, 17.9)
    keep = date >= 0
    m = int(keep.sum())
    home = rng.random(m) < 0.6
    tables.episodes.append(
        pd.DataFrame(
            {
                "date": date[keep],
                "found_date": date[keep] + rng.integers(0, 2, m),
                "child": child[keep],
                "loc_type": np.where(home, "Friend's address", "Street"),
                "loc_name": np.where(home, "", "Park"),
                "loc_postcode": "",
                "with_pid": -1,
                "risk": "Low",
                "notes": np.asarray(
                    ["Returned home by self.", "Stayed at a friend's.", "Argument with parents."],
                    dtype=object,
                )[rng.integers(0, 3, m)],
            }
        )
    )


def background_hotel(
    rng: np.random.Generator,
    people: pd.DataFrame,
    propensity: np.ndarray,
    hotels: Hotels,
    rota: Rota,
    per_person: float,
    tables: WorldTables,
) -> None:
    """Reports about ordinary guests (indicators mostly absent): the noise hotel staff also send."""
    dob = people["dob"].to_numpy()
    n = int(len(people) * per_person)
    adults = (dob < END_2025 - 25 * YEAR) & (people["kind"] == "general").to_numpy()
    guest = _weighted_people(rng, propensity, adults, n)
    date = rng.integers(EPOCH_2010, END_2025, n)
    hotel = rng.integers(0, len(hotels.name), n)
    pick = np.where(rng.random(n) < 0.7, rng.integers(0, 1 << 30, n), -1)
    tables.hotel_reports.append(
        pd.DataFrame(
            {
                "date": date,
                "hotel": hotel,
                "guest": guest,
                "staff": rota.reporters(hotel, date, pick),
                "cash": rng.random(n) < 0.2,
                "refused_id": rng.random(n) < 0.05,
                "isolated": rng.random(n) < 0.1,
                "child_adults": False,
                "visitors": rng.integers(0, 2, n),
                "car": rng.random(n) < 0.4,
                "notes": np.asarray(
                    [
                        "Guest paid cash, gave ID.",
                        "Noise complaint from other guests.",
                        "Left without paying.",
                        "",
                    ],
                    dtype=object,
                )[rng.integers(0, 4, n)],
            }
        )
    )


def licences(rng: np.random.Generator, people: pd.DataFrame, tables: WorldTables) -> None:
    """Every licensed driver (including offenders who drive) holds licences renewed every 3 years."""
    drivers = np.flatnonzero(people["is_driver"].to_numpy())
    first = rng.integers(EPOCH_2010, EPOCH_2010 + 9 * YEAR, len(drivers))
    terms = ((END_2025 - first) // (3 * YEAR)).clip(1, 6)
    pid = np.repeat(drivers, terms)
    term_no = np.concatenate([np.arange(t) for t in terms]) if len(terms) else np.empty(0, dtype=np.int64)
    issued = np.repeat(first, terms) + term_no * 3 * YEAR
    area = people["area"].to_numpy()[pid]
    has_old = people["old_address"].to_numpy()[pid] != ""
    tables.licences.append(
        pd.DataFrame(
            {
                "pid": pid,
                "issued": issued,
                "expires": issued + 3 * YEAR - 1,
                "licence_type": np.where(
                    np.repeat(rng.random(len(drivers)) < 0.3, terms), "Hackney Carriage", "Private Hire"
                ),
                "council": np.where(area == "north", "Calderbrook MBC", "Thamesford BC"),
                "vrm_slot": np.where((term_no >= 2) & (people["vrm2"].to_numpy()[pid] != ""), 2, 1),
                "old_address": has_old & (term_no == 0),
            }
        )
    )
