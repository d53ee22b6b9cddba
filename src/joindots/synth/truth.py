"""Ground truth: which person each record is, who is in which group, which cases deserve review."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from joindots.domain.codes import CHILD_RAPE_CODES, CLOSED_WITHOUT_CHARGE, OFFENCE_CODES, RAPE_CODES
from joindots.synth.scenario import CONSENT_NOTES, Plan
from joindots.synth.sources import SourceOutput, crime_refs
from joindots.synth.staff import Rota
from joindots.synth.tables import Hotels

YEAR_DAYS = 365.25


def record_truth(outputs: list[SourceOutput], people: pd.DataFrame) -> pd.DataFrame:
    """source, record_id, person_id for every person record ingest will make (the id convention: R, R#i)."""
    ids = people["person_id"].to_numpy()
    parts = []
    for out in outputs:
        for i, pids in enumerate(out.persons):
            named = pids >= 0
            rid = out.record_ids[named].astype(object)
            parts.append(
                pd.DataFrame(
                    {
                        "source": out.name,
                        "record_id": rid if i == 0 else rid + f"#{i}",
                        "person_id": ids[pids[named]],
                    }
                )
            )
    return pd.concat(parts, ignore_index=True)


def people_truth(people: pd.DataFrame) -> pd.DataFrame:
    dob = pd.to_datetime(people["dob"].to_numpy().astype(np.int64), unit="D").strftime("%Y-%m-%d")
    return pd.DataFrame(
        {
            "person_id": people["person_id"],
            "kind": people["kind"],
            "group_id": _group_ids(people["group"].to_numpy()),
            "is_driver": people["is_driver"].astype(int),
            "is_hotel_staff": people["is_staff"].astype(int),
            "forename": people["forename"],
            "middle_names": people["middle"],
            "surname": people["surname"],
            "dob": dob,
            "sex": people["sex"],
            "area": people["area"],
            "postcode": people["postcode"],
            "ethnicity": people["ethnicity"],
            "nationality": people["nationality"],
        }
    )


def staff_truth(people: pd.DataFrame, rota: Rota, hotels: Hotels) -> pd.DataFrame:
    """Each spell a member of hotel staff worked at a hotel: person, hotel, first and last day."""

    def day(days: np.ndarray) -> np.ndarray:
        return np.asarray(pd.to_datetime(days.astype(np.int64), unit="D").strftime("%Y-%m-%d"))

    return pd.DataFrame(
        {
            "person_id": people["person_id"].to_numpy()[rota.person],
            "hotel": np.asarray(hotels.name, dtype=object)[rota.hotel],
            "start": day(rota.start),
            "end": day(rota.end),
        }
    )


def _group_ids(group: np.ndarray) -> np.ndarray:
    return np.where(group >= 0, np.char.add("G", np.char.zfill(np.maximum(group, 0).astype(str), 4)), "")


def groups_truth(people: pd.DataFrame, plans: list[Plan]) -> pd.DataFrame:
    """Each group's offenders (role 'offender') and the children they exploited (role 'victim')."""
    ids = people["person_id"].to_numpy()
    group = people["group"].to_numpy()
    rows = []
    for plan in plans:
        if len(plan.members) < 2:
            continue
        gid = _group_ids(group[plan.members[:1]])[0]
        rows += [(gid, ids[m], "offender") for m in plan.members]
        rows += [(gid, ids[c], "victim") for c in plan.children]
    return pd.DataFrame(rows, columns=["group_id", "person_id", "role"]).sort_values(
        ["group_id", "role", "person_id"]
    )


def _linked_offenders(
    people: pd.DataFrame, plans: list[Plan]
) -> tuple[dict[int, set[int]], dict[int, set[str]]]:
    """offender pid -> their plan's children; offender pid -> the forces those children live in."""
    children: dict[int, set[int]] = {}
    forces: dict[int, set[str]] = {}
    area = people["area"].to_numpy()
    for plan in plans:
        kids = set(plan.children)
        for m in plan.members:
            children[int(m)] = kids
            forces[int(m)] = {str(area[c]) for c in kids}
    return children, forces


def crime_cases(
    crimes: pd.DataFrame, nominals: pd.DataFrame, people: pd.DataFrame, plans: list[Plan]
) -> pd.DataFrame:
    """Every police crime with should_review and the reasons a reviewer would give.

    Only crimes that could qualify (a reclassification, consent language, or a suspect who is a true
    offender) are examined one by one; every other crime is an ordinary case that needs no review.
    """
    kids, forces = _linked_offenders(people, plans)
    dob = people["dob"].to_numpy()
    suspects = nominals[(nominals["role"] == "suspect") & nominals["pid"].isin(list(kids))]
    candidate = (crimes["offence_orig"] != "") | crimes["notes"].isin(CONSENT_NOTES)
    candidate |= crimes["crime_key"].isin(suspects["crime_key"])
    examined = crimes[candidate]
    involved = nominals[nominals["crime_key"].isin(examined["crime_key"])].groupby("crime_key")
    reasons = {
        int(row.crime_key): ";".join(
            _crime_reasons(row, involved.get_group(row.crime_key), dob, kids, forces)
        )
        for row in examined.itertuples(index=False)
    }
    parts = []
    for force, source, style, prefix in (
        ("north", "police_north", "north", "NC"),
        ("south", "police_south", "south", ""),
    ):
        refs = crime_refs(crimes[crimes["force"] == force], prefix, style)
        keys = np.asarray(list(refs), dtype=np.int64)
        why = np.asarray([reasons.get(int(k), "") for k in keys], dtype=object)
        parts.append(
            pd.DataFrame(
                {
                    "source": source,
                    "case_ref": [refs[k] for k in keys.tolist()],
                    "should_review": why != "",
                    "reasons": why,
                }
            )
        )
    return pd.concat(parts, ignore_index=True).sort_values(["source", "case_ref"], kind="stable")


def _crime_reasons(
    crime: Any, nominal: pd.DataFrame, dob: np.ndarray, kids: dict[int, set[int]], forces: dict[int, set[str]]
) -> list[str]:
    victims = nominal.loc[nominal["role"] == "victim", "pid"].astype(int).tolist()
    suspects = nominal.loc[nominal["role"] == "suspect", "pid"].astype(int).tolist()
    ages = [(int(crime.date) - int(dob[v])) / YEAR_DAYS for v in victims]
    child_13_15 = any(13 <= a < 16 for a in ages)
    under_16 = any(a < 16 for a in ages)
    closed = str(crime.outcome) in CLOSED_WITHOUT_CHARGE
    reasons = []
    original, offence = str(crime.offence_orig), str(crime.offence_code)
    if original in CHILD_RAPE_CODES and offence not in RAPE_CODES and child_13_15:
        reasons.append("rape_reclassified_victim_13_15")
    if closed and under_16 and str(crime.notes) in CONSENT_NOTES:
        reasons.append("closed_consent_language_victim_under_16")
    linked = [s for s in suspects if kids.get(s, set()) - set(victims)]
    if closed and offence in OFFENCE_CODES and linked:
        reasons.append("closed_suspect_linked_to_other_victims")
        if any(len(forces.get(s, set())) > 1 for s in linked):
            reasons.append("suspect_linked_across_forces")
    return reasons


def missing_cases(out: SourceOutput, episodes: pd.DataFrame, crime_victims: set[int]) -> pd.DataFrame:
    """One case per child with missing episodes (its latest episode's ref): review when the child was
    found at a hotel, an adult's address or with a named adult at least twice and no crime was recorded."""
    rows = episodes.sort_values(["date", "child"], kind="stable").reset_index(drop=True)
    rows = rows.assign(ref=out.record_ids)
    concerning = (rows["loc_type"].isin(["Hotel", "Address"]) | (rows["with_pid"] >= 0)).astype(int)
    per_child = (
        rows.assign(concerning=concerning).groupby("child").agg(ref=("ref", "last"), n=("concerning", "sum"))
    )
    review = (per_child["n"] >= 2) & ~per_child.index.isin(list(crime_victims))
    reason = np.where(review, "repeat_missing_found_at_hotel_or_with_adults;no_police_investigation", "")
    return pd.DataFrame(
        {
            "source": "missing",
            "case_ref": per_child["ref"].to_numpy(),
            "should_review": review.to_numpy(),
            "reasons": reason,
        }
    ).sort_values("case_ref")
