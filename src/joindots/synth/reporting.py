"""When crimes come to the police: the report date, days to years after the offence.

Most ordinary crimes are reported the same day or within days. Sexual offences against children often
are not: a child may disclose months later, or as an adult years later (non-recent reporting: many
sexual offences the police record are reported more than a year after they happened). The south force's export gives only the report date (`ReportedDate`), so its cases
show a victim's age when reported, not at the offence, as such exports do; the north force's gives
the offence date. Outcomes follow the report, not the offence.

The delays are drawn from their own random stream, so every other part of a world of a given seed is
the same as before report dates were drawn.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from joindots.synth.population import END_2025

YEAR = 365
# exploitation crimes (the cast's): within two weeks, within a year, or one to eight years later
CHILD_DELAYS = ((0.5, 0, 14), (0.25, 15, YEAR), (0.25, YEAR, 8 * YEAR))
# ordinary crimes: the same day or the next, else within two months
ORDINARY_DELAYS = ((0.8, 0, 1), (0.2, 2, 60))


def _delays(rng: np.random.Generator, n: int, bands: tuple[tuple[float, int, int], ...]) -> np.ndarray:
    shares = np.asarray([share for share, _, _ in bands])
    band = rng.choice(len(bands), size=n, p=shares / shares.sum())
    low = np.asarray([lo for _, lo, _ in bands])[band]
    high = np.asarray([hi for _, _, hi in bands])[band]
    return low + (rng.random(n) * (high - low + 1)).astype(np.int64)


def with_report_dates(rng: np.random.Generator, crimes: pd.DataFrame) -> pd.DataFrame:
    """`crimes` with a `reported` day (the offence's day plus a delay, at the latest the end of 2025)
    and each outcome moved back by the same delay. Exploitation crimes (the cast's, negative keys)
    take the long delays of sexual offences against children."""
    out = crimes.copy()
    date = out["date"].to_numpy(dtype=np.int64)
    cast = out["crime_key"].to_numpy() < 0
    delay = np.where(cast, _delays(rng, len(out), CHILD_DELAYS), _delays(rng, len(out), ORDINARY_DELAYS))
    delay = np.minimum(delay, np.maximum(END_2025 - date, 0))
    out["reported"] = date + delay
    out["outcome_date"] = out["outcome_date"].to_numpy(dtype=np.int64) + delay
    return out
