"""What the cast does: groups of offenders exploit children across both forces' areas, and the
agencies each see a piece (missing episodes, hotel reports, referrals, attendances, crimes).

The cast is small (about 2% of people), so plain loops over groups and children are fast enough;
the general population's records are drawn in whole columns in ``background.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from joindots.synth.background import fit_to_victim
from joindots.synth.population import AREAS, END_2025, EPOCH_2010, draw_addresses, hotel_count
from joindots.synth.staff import Rota
from joindots.synth.tables import Hotels, WorldTables

YEAR = 365
HOTEL_FIRST = (
    "Larkspur",
    "Moorview",
    "Kestrel",
    "Willowmere",
    "Harrowgate",
    "Fernhill",
    "Bramble",
    "Oakridge",
    "Thistledown",
    "Copperbeech",
    "Ravenscar",
    "Silverbirch",
    "Meadowbank",
    "Foxglove",
    "Stonecroft",
)
HOTEL_SECOND = (
    "Lodge",
    "Inn",
    "Hotel",
    "Court Hotel",
    "House Hotel",
    "Park Hotel",
    "Motor Inn",
    "Guest House",
)
CONSENT_NOTES = (
    "Victim says she is in love with him.",
    "Victim states it was a consensual relationship.",
    "IP describes suspect as her boyfriend and says she consented.",
    "Victim says she is in love with him and does not want him in trouble.",
)
NEUTRAL_CLOSE_NOTES = (
    "Victim not engaging with officers. No further action.",
    "Insufficient evidence to proceed. File closed.",
    "Suspect interviewed, denies offence. NFA.",
    "CPS advice: no realistic prospect of conviction.",
)
CHARGED_NOTES = ("Suspect charged and remanded.", "Charged following interview; CPS authorised.")


@dataclass
class Plan:
    """One group's (or lone offender's) plan: members, victims, where and when."""

    members: np.ndarray
    children: list[int]
    hotels: list[int]
    start: int
    end: int


def make_hotels(rng: np.random.Generator, people: int) -> Hotels:
    """Fictional hotels in both areas (names are invented word pairs)."""
    count = hotel_count(people)
    first = rng.choice(len(HOTEL_FIRST), count)
    second = rng.choice(len(HOTEL_SECOND), count)
    names = [f"The {HOTEL_FIRST[a]} {HOTEL_SECOND[b]}" for a, b in zip(first, second, strict=True)]
    areas = ["north" if i % 2 == 0 else "south" for i in range(count)]
    postcodes, _ = draw_addresses(rng, np.asarray(areas, dtype=object))
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name} {AREAS['north']['town'][seen[name] % 5]}")
    return Hotels(unique, areas, list(postcodes))


def make_plans(rng: np.random.Generator, people: pd.DataFrame, hotels: Hotels) -> list[Plan]:
    """Give every child at risk to a group (most) or a lone offender; each group has victims in both areas."""
    kind = people["kind"].to_numpy()
    group = people["group"].to_numpy()
    children = rng.permutation(np.flatnonzero(kind == "child_at_risk"))
    n_groups = int(group.max()) + 1
    lone = np.flatnonzero((kind == "offender") & (group < 0))
    owners = [np.flatnonzero(group == g) for g in range(n_groups)] + [np.array([p]) for p in lone]
    n_lone_children = max(len(lone), len(children) // 5) if len(children) > 2 * n_groups + len(lone) else 0
    group_children = children[: len(children) - n_lone_children]
    lone_children = children[len(children) - n_lone_children :]
    allotment: list[list[int]] = [[] for _ in owners]
    for i, child in enumerate(group_children):
        allotment[i % n_groups].append(int(child))
    for i, child in enumerate(lone_children):
        allotment[n_groups + i % len(lone)].append(int(child))
    plans = []
    hotel_area = np.asarray(hotels.area)
    for members, kids in zip(owners, allotment, strict=True):
        if not kids:
            continue
        start = int(rng.integers(EPOCH_2010, END_2025 - 3 * YEAR))
        end = min(END_2025 - 30, start + int(rng.integers(1 * YEAR, 4 * YEAR)))
        home = people["area"].iat[int(members[0])]
        local = np.flatnonzero(hotel_area == home)
        away = np.flatnonzero(hotel_area != home)
        chosen = [int(rng.choice(local)), int(rng.choice(away))]
        plans.append(Plan(members, kids, chosen[: 1 + int(rng.random() < 0.6)], start, end))
    return plans


def spread_areas(rng: np.random.Generator, people: pd.DataFrame, plans: list[Plan]) -> None:
    """Make each group's victims (and some members) live in both forces' areas; redraw their addresses."""
    moved: list[int] = []
    for plan in plans:
        if len(plan.members) < 2 or len(plan.children) < 2:
            continue
        home = people["area"].iat[int(plan.members[0])]
        other = "south" if home == "north" else "north"
        for i, child in enumerate(plan.children):
            people.iat[child, people.columns.get_loc("area")] = home if i % 2 == 0 else other
            moved.append(child)
        for member in plan.members[1:]:
            want = other if rng.random() < 0.3 else home
            people.iat[int(member), people.columns.get_loc("area")] = want
            moved.append(int(member))
    if moved:
        idx = np.asarray(moved)
        postcode, address = draw_addresses(rng, people["area"].to_numpy()[idx])
        people.loc[people.index[idx], "postcode"] = postcode
        people.loc[people.index[idx], "address"] = address


def child_windows(
    rng: np.random.Generator, people: pd.DataFrame, plans: list[Plan]
) -> dict[int, tuple[int, int]]:
    """Each child's period of abuse inside the plan's period; their birth date makes them 12-15 at its start."""
    windows: dict[int, tuple[int, int]] = {}
    dob_col = people.columns.get_loc("dob")
    for plan in plans:
        for child in plan.children:
            span = max(30, plan.end - plan.start)
            start = plan.start + int(rng.integers(0, max(1, int(span * 0.6))))
            end = min(END_2025, start + int(rng.integers(180, 900)))
            age_days = int(rng.integers(12 * YEAR + 10, 15 * YEAR + 300))
            people.iat[child, dob_col] = start - age_days
            windows[child] = (start, end)
    return windows


def cast_events(
    rng: np.random.Generator,
    people: pd.DataFrame,
    hotels: Hotels,
    rota: Rota,
    plans: list[Plan],
    tables: WorldTables,
) -> pd.DataFrame:
    """Write every cast event into ``tables``; return the cast crimes' truth (crime_key, reasons)."""
    windows = child_windows(rng, people, plans)
    rows: dict[str, list[dict[str, object]]] = {
        k: [] for k in ("episodes", "hotel", "referrals", "attendances")
    }
    crimes: list[dict[str, object]] = []
    nominals: list[dict[str, object]] = []
    for plan in plans:
        _hotel_reports(rng, people, hotels, plan, rota, rows["hotel"])
        for child in plan.children:
            window = windows[child]
            _missing_episodes(rng, people, hotels, plan, child, window, rows["episodes"])
            _referrals(rng, plan, child, window, rows["referrals"])
            _attendances(rng, child, window, rows["attendances"])
            if rng.random() < 0.65:
                _crime(rng, people, plan, child, window, crimes, nominals)
    tables.episodes.append(pd.DataFrame(rows["episodes"]))
    tables.hotel_reports.append(pd.DataFrame(rows["hotel"]))
    tables.referrals.append(pd.DataFrame(rows["referrals"]))
    tables.attendances.append(pd.DataFrame(rows["attendances"]))
    crime_frame = pd.DataFrame(crimes)
    tables.crimes.append(crime_frame)
    tables.nominals.append(pd.DataFrame(nominals))
    return crime_frame


def _day_in(rng: np.random.Generator, window: tuple[int, int]) -> int:
    return int(rng.integers(window[0], max(window[0] + 1, window[1])))


def _missing_episodes(
    rng: np.random.Generator,
    people: pd.DataFrame,
    hotels: Hotels,
    plan: Plan,
    child: int,
    window: tuple[int, int],
    out: list[dict[str, object]],
) -> None:
    if rng.random() > 0.85:
        return
    for day in sorted(_day_in(rng, window) for _ in range(int(rng.integers(1, 8)))):
        place = rng.choice(["hotel", "address", "street", "home"], p=[0.4, 0.25, 0.15, 0.2])
        with_pid = (
            int(rng.choice(plan.members)) if place in ("hotel", "address") and rng.random() < 0.65 else -1
        )
        loc_type, name, postcode = _found_place(rng, people, hotels, plan, str(place))
        out.append(
            {
                "date": day,
                "found_date": day + int(rng.integers(0, 4)),
                "child": child,
                "loc_type": loc_type,
                "loc_name": name,
                "loc_postcode": postcode,
                "with_pid": with_pid,
                "risk": str(rng.choice(["Medium", "High"])),
                "notes": _return_note(rng, place),
            }
        )


def _found_place(
    rng: np.random.Generator, people: pd.DataFrame, hotels: Hotels, plan: Plan, place: str
) -> tuple[str, str, str]:
    if place == "hotel":
        h = int(rng.choice(plan.hotels))
        return "Hotel", hotels.name[h], hotels.postcode[h]
    if place == "address":
        m = int(rng.choice(plan.members))
        return "Address", str(people["address"].iat[m]), str(people["postcode"].iat[m])
    if place == "street":
        return "Street", "Town centre", ""
    return "Friend's address", "", ""


def _return_note(rng: np.random.Generator, place: object) -> str:
    if place == "hotel":
        return str(
            rng.choice(
                [
                    "Found in hotel room with older males.",
                    "Staff called police; child in room with adults.",
                    "Says she was at a party. Smelled of alcohol.",
                ]
            )
        )
    if place == "address":
        return str(
            rng.choice(
                [
                    "Found at address of adult male known to her.",
                    "Had new phone and gifts; won't say who from.",
                ]
            )
        )
    return str(
        rng.choice(
            [
                "Declined return interview.",
                "Says she was with friends.",
                "Picked up by a taxi; won't say where.",
            ]
        )
    )


def _hotel_reports(
    rng: np.random.Generator,
    people: pd.DataFrame,
    hotels: Hotels,
    plan: Plan,
    rota: Rota,
    out: list[dict[str, object]],
) -> None:
    """Operation Makesafe reports: staff describe adults bringing a child; guests give partial names."""
    for _ in range(int(rng.integers(1, 3 + len(plan.children)))):
        hotel = int(rng.choice(plan.hotels))
        date = int(rng.integers(plan.start, plan.end + 1))
        guest = int(rng.choice(plan.members))
        pick = int(rng.integers(0, 1 << 30)) if rng.random() < 0.8 else -1
        out.append(
            {
                "date": date,
                "hotel": hotel,
                "guest": guest,
                "staff": int(rota.reporters(np.array([hotel]), np.array([date]), np.array([pick]))[0]),
                "cash": rng.random() < 0.85,
                "refused_id": rng.random() < 0.6,
                "isolated": rng.random() < 0.5,
                "child_adults": rng.random() < 0.8,
                "visitors": int(rng.integers(2, 9)),
                "car": rng.random() < 0.6,
                "notes": str(
                    rng.choice(
                        [
                            "Girl looked about 14, came in with two men.",
                            "Several men visited the room overnight.",
                            "Young female with adult males, not family.",
                            "Asked for a room away from reception.",
                        ]
                    )
                ),
            }
        )


def _referrals(
    rng: np.random.Generator, plan: Plan, child: int, window: tuple[int, int], out: list[dict[str, object]]
) -> None:
    if rng.random() > 0.7:
        return
    for _ in range(int(rng.integers(1, 3))):
        out.append(
            {
                "date": _day_in(rng, window),
                "child": child,
                "perp": int(rng.choice(plan.members)) if rng.random() < 0.5 else -1,
                "referrer": str(rng.choice(["School", "Police", "Health", "Parent", "Youth worker"])),
                "concerns": str(
                    rng.choice(
                        [
                            "Older boyfriend, new phone and gifts.",
                            "Going missing, seen getting into cars.",
                            "Disclosed to teacher she has a 'boyfriend' in his 20s.",
                            "Picked up from school by adult males.",
                        ]
                    )
                ),
                "risk": str(rng.choice(["Medium", "High"])),
            }
        )


def _attendances(
    rng: np.random.Generator, child: int, window: tuple[int, int], out: list[dict[str, object]]
) -> None:
    if rng.random() > 0.6:
        return
    for _ in range(int(rng.integers(1, 4))):
        department, complaint = [
            ("Sexual Health", "Emergency contraception"),
            ("Sexual Health", "STI screen"),
            ("ED", "Injury - assault"),
            ("ED", "Intoxication"),
        ][int(rng.integers(0, 4))]
        out.append(
            {
                "date": _day_in(rng, window),
                "pid": child,
                "department": department,
                "complaint": complaint,
                "safeguarding": rng.random() < 0.5,
            }
        )


def _crime(
    rng: np.random.Generator,
    people: pd.DataFrame,
    plan: Plan,
    child: int,
    window: tuple[int, int],
    crimes: list[dict[str, object]],
    nominals: list[dict[str, object]],
) -> None:
    """A crime with the child as victim and 1-3 of the plan's offenders as suspects, in the child's force."""
    dob = int(people["dob"].iat[child])
    lo = max(window[0], dob + 13 * YEAR + 10)
    hi = min(window[1], dob + 16 * YEAR - 10)
    day = int(rng.integers(lo, hi)) if hi > lo else _day_in(rng, window)
    female = people["sex"].iat[child] == "F"
    pattern = rng.choice(["reclassified", "consent", "closed", "charged"], p=[0.25, 0.2, 0.25, 0.3])
    offence, original, outcome, notes = _crime_pattern(rng, str(pattern), female)
    # a child outside 13-15 that day (a plan whose years miss them) gets the codes of their age
    age = int((day - dob) / 365.25)
    offence, original = fit_to_victim(
        np.asarray([offence, original]), np.asarray([age, age]), np.full(2, female)
    )
    key = -(len(crimes) + 1)  # cast crimes take negative keys; background ones are positive
    crimes.append(
        {
            "crime_key": key,
            "force": people["area"].iat[child],
            "date": day,
            "offence_code": offence,
            "offence_orig": original,
            "outcome": outcome,
            "outcome_date": day + int(rng.integers(30, 400)),
            "cse": rng.random() < 0.5,
            "notes": notes,
        }
    )
    nominals.append({"crime_key": key, "pid": child, "role": "victim"})
    count = min(len(plan.members), int(rng.integers(1, 4)))
    for suspect in rng.choice(plan.members, size=count, replace=False):
        nominals.append({"crime_key": key, "pid": int(suspect), "role": "suspect"})


def _crime_pattern(rng: np.random.Generator, pattern: str, female: bool) -> tuple[str, str, str, str]:
    rape = "19D" if female else "19G"
    if pattern == "reclassified":
        return (
            "22B",
            rape,
            str(rng.choice(["15", "16", "21", "1"], p=[0.3, 0.3, 0.2, 0.2])),
            str(rng.choice(NEUTRAL_CLOSE_NOTES)),
        )
    if pattern == "consent":
        return (
            str(rng.choice(["22B", rape])),
            "",
            str(rng.choice(["14", "16"])),
            str(rng.choice(CONSENT_NOTES)),
        )
    if pattern == "closed":
        return (
            str(rng.choice(["71", "22B", "88A"])),
            "",
            str(rng.choice(["15", "16", "21"])),
            str(rng.choice(NEUTRAL_CLOSE_NOTES)),
        )
    return str(rng.choice(["22B", "71", rape])), "", "1", str(rng.choice(CHARGED_NOTES))
