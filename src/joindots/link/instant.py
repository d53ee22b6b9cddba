"""Instant matching: score one new record against every existing record with the saved model.

The existing records are held warm in a candidate index built once from the linkage frame with the
model's own blocking rules, and a new record is scored by `joindots.link.scorer.FastScorer`: the
model's comparison levels, match weights and term-frequency adjustments mirrored in numpy, giving the
probabilities Splink's `predict_between` gives (new record on the left) in milliseconds. A model
with a condition the fast scorer cannot mirror is scored with Splink itself (`predict_between`).

`matcher_for` keeps one warm matcher per database and model: records stored since its warm-up are
added to it before it is handed out, and it is rebuilt once a removed record turns up. The person each
candidate belongs to is read at query time, so decisions and runs since the warm-up are seen.
"""

from __future__ import annotations

import itertools
import logging
import threading
from typing import Any

import pandas as pd
from sqlalchemy import Engine, func, select

from joindots.link.explain import explanations
from joindots.link.frame import (
    PLAIN_COLUMNS,
    _blank_to_none,
    _iso,
    _list,
    _postcode_parts,
    _swap_day_month,
    build_frame,
    load_person_frame,
    load_person_rows,
)
from joindots.link.model import linker_for, scoring_model
from joindots.link.names import fold, fold_address, name_keys, phonetic
from joindots.link.scorer import FastScorer, Scored, Unsupported
from joindots.store.link_tables import RecordPerson
from joindots.store.schema import PersonRecord

TF_COLUMNS = ("forename_fold", "surname_fold")
DEFAULT_THRESHOLD = 0.5
log = logging.getLogger("joindots.link")


class SplinkScorer:
    """The existing records in a warm DuckDB table with their term frequencies; Splink scores."""

    def __init__(self, existing: pd.DataFrame, model: dict[str, Any]):
        self.model = scoring_model(model)
        self.linker = linker_for(existing, self.model)
        for column in TF_COLUMNS:
            self.linker.table_management.compute_tf_table(column)
        self._table = self.linker._input_tables_dict  # noqa: SLF001 - the registered existing records
        self._names = itertools.count()

    def score(self, frame: pd.DataFrame, threshold: float) -> pd.DataFrame:
        db_api = self.linker._db_api  # noqa: SLF001 - register the new record beside the existing ones
        new = db_api.register(frame, dataset_display_name=f"new_record_{next(self._names)}")
        return self.linker.inference.predict_between(
            new, list(self._table.values()), threshold_match_probability=threshold, warning_mode="never"
        ).as_pandas_dataframe()


class Matcher:
    """Existing records, warm, ready to score new ones against.

    `use_splink=True` scores with Splink's `predict_between` (the reference the fast scorer is tested
    against); otherwise the fast scorer, falling back to Splink for a model it cannot mirror.
    """

    def __init__(
        self,
        engine: Engine,
        model: dict[str, Any],
        threshold: float = DEFAULT_THRESHOLD,
        *,
        use_splink: bool = False,
        existing: pd.DataFrame | None = None,
    ):
        self.engine, self.threshold, self.model = engine, threshold, model
        self.existing = load_person_frame(engine) if existing is None else existing
        self.max_id = int(self.existing["unique_id"].max()) if len(self.existing) else 0
        self.stale = False  # a record it holds was removed from the database since
        # one report at a time: the web serves reports from a thread pool, and neither the index being
        # extended nor a Splink scorer's DuckDB connection is safe to use from two threads at once
        self.lock = threading.RLock()
        self.fast: FastScorer | None = None
        self.splink: SplinkScorer | None = None
        if not use_splink:
            try:
                self.fast = FastScorer(model, self.existing)
            except Unsupported as why:
                log.warning("instant matching scores with Splink: %s", why)
        if self.fast is None:
            self.splink = SplinkScorer(self.existing, model)
        else:
            self.existing = self.existing.iloc[
                0:0
            ].copy()  # the index holds what it needs (a view would keep all)
        self.count = len(self.fast) if self.fast is not None else len(self.existing)
        self.quick_rows = rows_like_build_frame()
        if not self.quick_rows:
            log.warning("instant matching derives new records with build_frame (slower)")

    def add_records(self, frame: pd.DataFrame) -> None:
        """Records stored since the warm-up become candidates."""
        if frame.empty:
            return
        with self.lock:
            self._add_records(frame)

    def _add_records(self, frame: pd.DataFrame) -> None:
        if self.fast is not None:
            self.fast.append(frame)
        else:
            self.existing = pd.concat([self.existing, frame], ignore_index=True)
            self.splink = SplinkScorer(self.existing, self.model)
        self.count += len(frame)
        self.max_id = max(self.max_id, int(frame["unique_id"].max()))

    def match_record_id(self, record_id: int) -> list[dict[str, Any]]:
        """Best person candidates for a stored PersonRecord (itself excluded)."""
        rows = load_person_rows(self.engine, [record_id])
        if not rows:
            return []
        row = frame_row(rows[0]) if self.quick_rows else build_frame(pd.DataFrame(rows)).to_dict("records")[0]
        return [m for m in self._match(row) if m["record_id"] != record_id]

    def match_event_records(
        self, record_ids: list[int], shares: dict[str, list[float]], strict: float
    ) -> dict[int, list[dict[str, Any]]]:
        """Best person candidates for each stored record of one event (a report); a partial record
        left without a candidate at `strict` (the run's match threshold) is also asked of the context
        of the persons the others matched at `strict`, with the run's `shares` of the context's tiers
        (joindots.link.instant_context). A context match comes first in its record's list."""
        with self.lock:
            return self._match_event_records(record_ids, shares, strict)

    def _match_event_records(
        self, record_ids: list[int], shares: dict[str, list[float]], strict: float
    ) -> dict[int, list[dict[str, Any]]]:
        found = {record_id: self.match_record_id(record_id) for record_id in record_ids}
        if self.fast is None or not shares:
            return found
        from joindots.link.instant_context import match_in_context

        by_context = match_in_context(
            self.engine, self.fast, record_ids, found, shares, strict, self.threshold
        )
        for record_id, hit in by_context.items():
            rest = [
                c for c in found[record_id] if c["person_id"] is None or c["person_id"] != hit["person_id"]
            ]
            found[record_id] = [hit, *rest]
        return found

    def match_frame_row(self, row: dict[str, Any]) -> list[dict[str, Any]]:
        """Best person candidates for a record not (yet) stored: identity fields as a dict."""
        raw = {"unique_id": -1, **row}
        if self.quick_rows:
            return self._match(frame_row(raw))
        return self._match(build_frame(pd.DataFrame([raw])).to_dict("records")[0])

    def _match(self, row: dict[str, Any]) -> list[dict[str, Any]]:
        with self.lock:
            return self._score(row)

    def _score(self, row: dict[str, Any]) -> list[dict[str, Any]]:
        if self.fast is not None:
            scored = self.fast.score(row, self.threshold)
            rows = _fast_rows(scored, self.fast.labels())
        else:
            assert self.splink is not None
            predictions = self.splink.score(build_frame(pd.DataFrame([row])), self.threshold)
            rows = _splink_rows(predictions, self.splink.model)
        return self._candidates(rows)

    def _candidates(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """One candidate per person, best first; a record removed since the warm-up is never one
        (and marks the matcher stale, so `matcher_for` builds it again)."""
        stored, person_of = _persons(self.engine, [r["record_id"] for r in rows])
        if len(stored) < len({r["record_id"] for r in rows}):
            self.stale = True
            rows = [r for r in rows if r["record_id"] in stored]
        best: dict[str, dict[str, Any]] = {}
        for row in rows:
            person = person_of.get(row["record_id"])
            key = person or f"record:{row['record_id']}"
            if key not in best:
                best[key] = {"person_id": person, **row}
        return list(best.values())


def frame_row(raw: dict[str, Any]) -> dict[str, Any]:
    """`build_frame` for one record, without pandas: the same derived columns, in a few microseconds
    (tests/test_link_instant.py checks it against `build_frame`)."""
    out: dict[str, Any] = {"unique_id": int(raw["unique_id"])}
    for col in PLAIN_COLUMNS:
        out[col] = _blank_to_none(raw.get(col))
    dob = _iso(raw.get("dob"))
    ambiguous = _blank_to_none(raw.get("dob_ambiguous"))
    out["dob"], out["dob_ambiguous"] = dob, bool(ambiguous) if ambiguous is not None else False
    out["dob_swapped"] = _swap_day_month(dob)
    out["dob_month_day"], out["dob_year"] = (dob[5:], dob[:4]) if dob else (None, None)
    out["postcode_district"], out["postcode_sector"] = _postcode_parts(out["postcode"])
    for part in ("forename", "surname"):
        folded = fold(out[part])
        out[f"{part}_fold"], out[f"{part}_keys"], out[f"{part}_phonetic"] = (
            folded,
            name_keys(folded),
            phonetic(folded),
        )
    out["forename_initial"] = out["forename_fold"][0] if out["forename_fold"] else None
    out["surname_start"] = out["surname_fold"][:3] if out["surname_fold"] else None
    out["address_fold"] = fold_address(out["address"])
    out["address_keys"] = sorted(set(out["address_fold"].split())) if out["address_fold"] else None
    for col in ("phones", "vehicles"):
        out[col] = _list(raw.get(col)) or None
    return out


# Records of every shape `frame_row` must derive exactly as `build_frame` does.
PROBES: tuple[dict[str, Any], ...] = (
    {
        "unique_id": 1,
        "forename": "Jim",
        "surname": "O'Neil",
        "dob": "1990-03-04",
        "sex": "M",
        "postcode": "AB1 2CD",
        "address": "30 Church Rd.,  Leeds",
        "phones": ["+447700900001", "+447700900002"],
        "vehicles": ["AB12CDE"],
        "email": "a@example.org",
        "middle_names": "Lee",
        "dob_ambiguous": True,
        "source": "police",
        "record_id": "P1",
    },
    {"unique_id": 2, "forename": "S", "surname": "Wójcik", "postcode": "M1", "phones": [], "dob": None},
    {
        "unique_id": 3,
        "forename": "  ",
        "surname": None,
        "dob": "2001-12-31",
        "sex": "",
        "vehicles": "XY1",
        "address": " ",
    },
)


def _same(a: Any, b: Any) -> bool:
    a, b = (None if isinstance(v, float) and v != v else v for v in (a, b))
    return bool(a == b) if not isinstance(a, list | tuple) else list(a) == list(b or [])


def rows_like_build_frame() -> bool:
    """Whether `frame_row` still derives what `build_frame` derives (columns and values)."""
    for probe in PROBES:
        expected = build_frame(pd.DataFrame([probe])).to_dict("records")[0]
        mine = frame_row(probe)
        if set(expected) - set(mine) or not all(_same(mine[k], v) for k, v in expected.items()):
            return False
    return True


def _fast_rows(scored: Scored, labels: dict[str, dict[int, str]]) -> list[dict[str, Any]]:
    return [
        {"record_id": record, "match_probability": probability, "explanation": scored.explanation(i, labels)}
        for i, (record, probability) in enumerate(
            zip(scored.record_ids.tolist(), scored.match_probability.tolist(), strict=True)
        )
    ]


def _splink_rows(scored: pd.DataFrame, model: dict[str, Any]) -> list[dict[str, Any]]:
    if scored.empty:
        return []
    scored = scored.assign(explanation=explanations(scored, model), record=scored["unique_id_r"].astype(int))
    scored = scored.sort_values(["match_probability", "record"], ascending=[False, True])
    return [
        {
            "record_id": int(row["record"]),
            "match_probability": float(row["match_probability"]),
            "explanation": row["explanation"],
        }
        for row in scored.to_dict("records")
    ]


def _persons(engine: Engine, record_ids: list[int]) -> tuple[set[int], dict[int, str]]:
    """Which of these records are still stored, and the person each placed one is in now."""
    if not record_ids:
        return set(), {}
    query = select(PersonRecord.id, RecordPerson.person_id).outerjoin(
        RecordPerson, RecordPerson.person_record_id == PersonRecord.id
    )
    with engine.connect() as conn:
        rows = conn.execute(query.where(PersonRecord.id.in_(record_ids))).all()
    return {int(r) for r, _ in rows}, {int(r): p for r, p in rows if p is not None}


_CACHE: dict[tuple[str, int], tuple[dict[str, Any], float, Matcher]] = {}
_LOCK = threading.Lock()
CACHED_MATCHERS = 2


def _top(engine: Engine) -> int:
    """The highest record id stored (an index lookup: counting a million records took 80-150 ms,
    paid by every report)."""
    with engine.connect() as conn:
        return int(conn.execute(select(func.max(PersonRecord.id))).scalar() or 0)


def matcher_for(engine: Engine, model: dict[str, Any], threshold: float = DEFAULT_THRESHOLD) -> Matcher:
    """A warm matcher for this database and model, kept between calls and brought up to date: records
    stored since are added; it is built again once a removed record has turned up as a candidate
    (never listed) or the newest ones were removed."""
    key = (str(engine.url), id(engine))
    with _LOCK:
        top = _top(engine)
        cached = _CACHE.get(key)
        if cached is not None and cached[0] == model and cached[1] == threshold:
            matcher = cached[2]
            if not matcher.stale and top >= matcher.max_id:
                if top > matcher.max_id:
                    matcher.add_records(_records_after(engine, matcher.max_id, matcher.quick_rows))
                return matcher
        _CACHE.pop(key, None)
        while len(_CACHE) >= CACHED_MATCHERS:  # the oldest database's matcher goes first
            _CACHE.pop(next(iter(_CACHE)))
        matcher = Matcher(engine, model, threshold)
        _CACHE[key] = (model, threshold, matcher)
        return matcher


FEW = 100  # records stored since the warm-up derived one by one (`frame_row`), not through pandas


def _records_after(engine: Engine, record_id: int, quick_rows: bool) -> pd.DataFrame:
    """Records stored since `record_id`, derived as `build_frame` derives them (a report's few
    records by `frame_row`: pandas' fixed cost per call was most of a report's index update)."""
    with engine.connect() as conn:
        ids = list(conn.scalars(select(PersonRecord.id).where(PersonRecord.id > record_id)))
    if not ids:
        return pd.DataFrame()
    if quick_rows and len(ids) <= FEW:
        return pd.DataFrame([frame_row(row) for row in load_person_rows(engine, ids)])
    return load_person_frame(engine, ids)
