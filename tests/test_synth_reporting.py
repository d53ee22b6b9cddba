"""Crimes reach the police days to years after they happen (synth/reporting.py): the south force's
export gives only that report date, so the world holds victims who came forward as adults."""

from __future__ import annotations

import numpy as np
import pandas as pd

from joindots.synth.population import END_2025, EPOCH_2010
from joindots.synth.reporting import YEAR, with_report_dates


def _crimes(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    date = rng.integers(EPOCH_2010, END_2025, 2 * n)
    keys = np.concatenate([-np.arange(1, n + 1), np.arange(1, n + 1)])  # the cast's crimes: negative keys
    return pd.DataFrame({"crime_key": keys, "date": date, "outcome_date": date + 30})


def test_reports_follow_offences_and_children_often_come_forward_years_later():
    crimes = _crimes(4000)
    out = with_report_dates(np.random.default_rng(1), crimes)
    delay = out["reported"] - out["date"]
    cast = out["crime_key"] < 0
    assert (delay >= 0).all() and (out["reported"] <= END_2025).all()
    assert (out["outcome_date"] - out["reported"] == 30).all()  # the outcome follows the report
    assert delay[~cast].max() <= 60 and (delay[~cast] <= 1).mean() > 0.75
    late = (delay[cast] > YEAR).mean()  # a quarter drawn one to eight years late, some cut at 2025
    assert 0.12 < late < 0.27
    assert delay[cast].max() > 5 * YEAR
    assert crimes.columns.tolist() == ["crime_key", "date", "outcome_date"]  # the input is left alone


def test_the_same_stream_gives_the_same_dates():
    crimes = _crimes(500)
    a = with_report_dates(np.random.default_rng(9), crimes)
    b = with_report_dates(np.random.default_rng(9), crimes)
    assert a.equals(b)
