"""How one source records a person it meets: the true details passed through that source's noise."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from joindots.synth.noise import NoiseProfile, blank, noisy_dob, noisy_names

# Officer-observed IC code most often given for each self-defined ethnicity (observation can differ).
IC_FOR_ETHNICITY = {
    "W1": "IC1",
    "W2": "IC1",
    "W3": "IC1",
    "W9": "IC2",
    "M1": "IC3",
    "M2": "IC3",
    "M3": "IC4",
    "M9": "IC1",
    "A1": "IC4",
    "A2": "IC4",
    "A3": "IC4",
    "A4": "IC5",
    "A9": "IC4",
    "B1": "IC3",
    "B2": "IC3",
    "B9": "IC3",
    "O2": "IC6",
    "O9": "IC6",
    "NS": "IC9",
}


@dataclass
class Recorded:
    """Columns of identity as written by one source, one entry per mention."""

    forename: np.ndarray
    middle: np.ndarray
    surname: np.ndarray
    dob: tuple[np.ndarray, np.ndarray, np.ndarray]
    sex: np.ndarray
    postcode: np.ndarray
    address: np.ndarray
    phone: np.ndarray
    vrm: np.ndarray
    ethnicity: np.ndarray
    nationality: np.ndarray
    ic_code: np.ndarray


def record_people(
    rng: np.random.Generator, people: pd.DataFrame, pids: np.ndarray, profile: NoiseProfile
) -> Recorded:
    """Every mention of ``pids`` (all >= 0) as this source writes it, with its noise."""
    rows = people.iloc[pids]
    forename, surname = noisy_names(
        rng, rows["forename"].to_numpy().copy(), rows["surname"].to_numpy().copy(), profile
    )
    old = rows["old_address"].to_numpy() != ""
    stale = old & (rng.random(len(pids)) < profile.stale_address)
    postcode = np.where(stale, rows["old_postcode"].to_numpy(), rows["postcode"].to_numpy())
    address = np.where(stale, rows["old_address"].to_numpy(), rows["address"].to_numpy())
    return Recorded(
        forename=forename,
        middle=rows["middle"].to_numpy().copy(),
        surname=surname,
        dob=noisy_dob(rng, rows["dob"].to_numpy(), profile),
        sex=rows["sex"].to_numpy().copy(),
        postcode=blank(rng, postcode.astype(object), profile.postcode_missing),
        address=address.astype(object),
        phone=blank(rng, _one_of(rng, rows, ("phone1", "phone2", "phone3")), profile.phone_missing),
        vrm=blank(rng, _one_of(rng, rows, ("vrm1", "vrm2")), profile.vrm_missing),
        ethnicity=rows["ethnicity"].to_numpy().copy(),
        nationality=rows["nationality"].to_numpy().copy(),
        ic_code=observed_ic(rng, rows["ethnicity"].to_numpy()),
    )


def _one_of(rng: np.random.Generator, rows: pd.DataFrame, columns: tuple[str, ...]) -> np.ndarray:
    """One of the person's phones (or vehicles), the first most often; '' when they have none."""
    values = rows[list(columns)].to_numpy()
    have = (values != "").sum(axis=1)
    pick = (rng.random(len(rows)) ** 2 * np.maximum(have, 1)).astype(int)
    return values[np.arange(len(rows)), np.minimum(pick, len(columns) - 1)].astype(object)


def observed_ic(rng: np.random.Generator, ethnicity: np.ndarray) -> np.ndarray:
    """What an officer records by eye: usually the expected IC code, one time in ten another one."""
    expected = pd.Series(ethnicity).map(IC_FOR_ETHNICITY).fillna("IC9").to_numpy().astype(object)
    other = np.asarray(["IC1", "IC2", "IC3", "IC4", "IC5", "IC6"], dtype=object)[
        rng.integers(0, 6, len(ethnicity))
    ]
    return np.where(rng.random(len(ethnicity)) < 0.1, other, expected)


def with_recorded_share(
    rng: np.random.Generator, values: np.ndarray, share: np.ndarray | float
) -> np.ndarray:
    """Keep each value with the given probability (per row or overall), else ''."""
    keep = rng.random(len(values)) < share
    return np.where(keep, values, "").astype(object)
