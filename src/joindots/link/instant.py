"""Instant matching: score one new record against every existing record with the saved model.

The existing records sit in a warm DuckDB table with their term frequencies computed once; a new
record is blocked against them with the model's own blocking rules (Splink `predict_between`), so a
match takes milliseconds and scores exactly as a full run would.
"""

from __future__ import annotations

import itertools
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select

from joindots.link.explain import explanations
from joindots.link.frame import build_frame, load_person_frame
from joindots.link.model import linker_for, scoring_model
from joindots.store.link_tables import RecordPerson

TF_COLUMNS = ("forename_fold", "surname_fold")
DEFAULT_THRESHOLD = 0.5


class Matcher:
    """Existing records, warm, ready to score new ones against."""

    def __init__(self, engine: Engine, model: dict[str, Any], threshold: float = DEFAULT_THRESHOLD):
        self.engine, self.threshold = engine, threshold
        self.model = scoring_model(model)
        self.existing = load_person_frame(engine)
        self.linker = linker_for(self.existing, self.model)
        for column in TF_COLUMNS:
            self.linker.table_management.compute_tf_table(column)
        self._table = self.linker._input_tables_dict  # noqa: SLF001 - the registered existing records
        self._names = itertools.count()
        self.person_of = _persons(engine)

    def match_record_id(self, record_id: int) -> list[dict[str, Any]]:
        """Best person candidates for a stored PersonRecord (itself excluded)."""
        frame = load_person_frame(self.engine, [record_id])
        return [m for m in self._match(frame) if m["record_id"] != record_id]

    def match_frame_row(self, row: dict[str, Any]) -> list[dict[str, Any]]:
        """Best person candidates for a record not (yet) stored: identity fields as a dict."""
        frame = build_frame(pd.DataFrame([{"unique_id": -1, **row}]))
        return self._match(frame)

    def _match(self, frame: pd.DataFrame) -> list[dict[str, Any]]:
        if frame.empty:
            return []
        db_api = self.linker._db_api  # noqa: SLF001 - register the new record beside the existing ones
        new = db_api.register(frame, dataset_display_name=f"new_record_{next(self._names)}")
        existing = list(self._table.values())
        scored = self.linker.inference.predict_between(
            new, existing, threshold_match_probability=self.threshold, warning_mode="never"
        ).as_pandas_dataframe()
        return self._candidates(scored)

    def _candidates(self, scored: pd.DataFrame) -> list[dict[str, Any]]:
        if scored.empty:
            return []
        scored = scored.assign(explanation=explanations(scored, self.model))
        best: dict[str, dict[str, Any]] = {}
        for row in scored.sort_values("match_probability", ascending=False).to_dict("records"):
            record = int(row["unique_id_r"])
            person = self.person_of.get(record)
            key = person or f"record:{record}"
            if key not in best:
                best[key] = {
                    "person_id": person,
                    "record_id": record,
                    "match_probability": float(row["match_probability"]),
                    "explanation": row["explanation"],
                }
        return list(best.values())


def _persons(engine: Engine) -> dict[int, str]:
    with engine.connect() as conn:
        rows = conn.execute(select(RecordPerson.person_record_id, RecordPerson.person_id)).all()
    return {int(r): p for r, p in rows}


def matcher_for(engine: Engine, model: dict[str, Any], threshold: float = DEFAULT_THRESHOLD) -> Matcher:
    return Matcher(engine, model, threshold)
