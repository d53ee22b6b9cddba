"""Hand-built person records and a small rule-based scorer for the identity tests (synthetic people
only). The scorer stands in for the Splink model so that these tests check clustering, IDs, decisions
and lineage, quickly and exactly: same forename, surname and birth date score 0.99; same surname and
birth date with another forename 0.6 (kept as a loose pair, not joined)."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Engine, select

from joindots.store.db import session_scope
from joindots.store.schema import LoadBatch, PersonRecord, SourceRow
from joindots.synth import generate_world


def add_records(engine: Engine, source: str, people: list[tuple[str, str, str]]) -> list[int]:
    """people: (record id, 'Forename Surname', 'YYYY-MM-DD'); returns the PersonRecord ids."""
    ids = []
    with session_scope(engine) as s:
        batch = LoadBatch(
            source=source, file_name=f"{source}.csv", file_sha256="0" * 64, mapping_sha256="0" * 64
        )
        s.add(batch)
        s.flush()
        for n, (rid, name, dob) in enumerate(people, start=1):
            row = SourceRow(batch_id=batch.id, source=source, source_record_id=rid, row_number=n, original={})
            s.add(row)
            s.flush()
            fore, sur = name.split(" ", 1)
            rec = PersonRecord(source_row_id=row.id, batch_id=batch.id, source=source, record_id=rid,
                               role="subject", forename=fore, surname=sur, dob=dt.date.fromisoformat(dob))  # fmt: skip
            s.add(rec)
            s.flush()
            ids.append(rec.id)
    return ids


class RuleScorer:
    """Scores every pair of records by the rule in the module docstring; counts its trainings."""

    def __init__(self, fail_on_score: bool = False) -> None:
        self.trainings = 0
        self.fail_on_score = fail_on_score

    def frame(self, engine: Engine) -> pd.DataFrame:
        with session_scope(engine) as s:
            rows = s.execute(
                select(PersonRecord.id, PersonRecord.forename, PersonRecord.surname, PersonRecord.dob)
            )
            return pd.DataFrame(rows.all(), columns=["unique_id", "forename", "surname", "dob"])

    def train(self, frame: pd.DataFrame) -> dict[str, Any]:
        self.trainings += 1
        return {"rule": "forename+surname+dob", "trained_on": len(frame)}

    def score(
        self, frame: pd.DataFrame, model: dict[str, Any], threshold: float, backend: str
    ) -> pd.DataFrame:
        if self.fail_on_score:
            raise RuntimeError("scoring broke half way")
        out = []
        rows = sorted(frame.itertuples(index=False), key=lambda r: r.unique_id)
        for a, b in itertools.combinations(rows, 2):
            if (a.surname, a.dob) != (b.surname, b.dob):
                continue
            p = 0.99 if a.forename == b.forename else 0.6
            if p >= threshold:
                expl = {
                    "forename": {"level": "exact" if p > 0.9 else "else", "weight": 3.0 if p > 0.9 else -1.0}
                }
                out.append((a.unique_id, b.unique_id, p, 6.0 if p > 0.9 else 0.5, expl))
        return pd.DataFrame(
            out, columns=["record_l", "record_r", "match_probability", "match_weight", "explanation"]
        )

    def context(
        self,
        engine: Engine,
        frame: pd.DataFrame,
        model: dict[str, Any],
        clusters: Any,
        recluster: Any,
        cannot: Any,
    ) -> tuple[pd.DataFrame, Any]:
        """The rule knows no context: nothing more is linked."""
        return pd.DataFrame(), clusters

    def contradictions(
        self, frame: pd.DataFrame, model: dict[str, Any], clusters: Any, must: Any, scored: Any
    ) -> list:
        """The rule never contradicts itself."""
        return []


WORLD_SEED = 1


def make_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic world of 1,000 people (seed printed), for module-scoped fixtures."""
    print(f"world seed={WORLD_SEED}")
    out = tmp_path_factory.mktemp("world")
    generate_world(out, 1000, WORLD_SEED)
    return out
