"""Train the Splink model and score record pairs with it, on DuckDB (default) or Spark.

The model is a Splink settings JSON with trained parameters: saved with every link run, so any
score can be recomputed and explained later.
"""

from __future__ import annotations

import logging
import math
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import duckdb
import pandas as pd
from splink import DuckDBAPI, Linker, block_on
from splink.internals.database_api import DatabaseAPISubClass
from splink.internals.exceptions import EMTrainingException
from splink.internals.splink_dataframe import SplinkDataFrame

from joindots.link.comparisons import settings_creator, training_blocking_rules
from joindots.link.explain import explanations
from joindots.settings import get_settings

log = logging.getLogger(__name__)
Backend = Literal["duckdb", "spark"]
# EM pairs per session. At 1M records: 2M pairs trained in 62 s, 1M in 37 s, m moving at most 0.13 bits;
# 500k (session 8) 36 s against 1M's 53 s on a slower day, m moving at most 0.05 bits, F1 the same at
# 10k, 100k, 1M and on FEBRL4
EM_MAX_PAIRS = 500_000
EM_COUNT_RECORDS = 100_000  # records each side of the pass that estimates a rule's pairs, before sampling
U_MAX_PAIRS = 5_000_000
PRIOR_RECALL = 0.7  # share of true matches the deterministic rule below is believed to find
PRIOR_RULE = block_on("forename_fold", "surname_fold", "dob")
SEED = 42
M_FLOOR = 1e-4  # no level is impossible for a true match: EM's zero would veto on one typo


def duckdb_api() -> DuckDBAPI:
    """DuckDB in memory that never downloads anything, held to the configured memory and spilling
    to a temporary folder beyond it."""
    settings = get_settings()
    spill = Path(tempfile.gettempdir()) / f"joindots-duckdb-{os.getpid()}"  # one per process: no clashes
    config: dict[str, str | bool | int | float | list[str]] = {
        "autoinstall_known_extensions": False,
        "memory_limit": settings.link_memory_limit,
        "temp_directory": str(spill),
    }
    return DuckDBAPI(connection=duckdb.connect(":memory:", config=config))


def db_api_for(backend: Backend) -> DatabaseAPISubClass:
    if backend == "spark":
        from joindots.link.spark import spark_api

        return spark_api()
    return duckdb_api()


def linker_for(frame: pd.DataFrame, model: dict[str, Any] | Any, backend: Backend = "duckdb") -> Linker:
    """A Splink linker over `frame` with a model (trained JSON dict or settings creator)."""
    return _linker(frame, model, db_api_for(backend), backend)


def _linker(
    frame: pd.DataFrame, model: dict[str, Any] | Any, db_api: DatabaseAPISubClass, backend: Backend
) -> Linker:
    if backend == "spark" and isinstance(model, dict):
        from joindots.link.spark import spark_model

        model = spark_model(model)
    if isinstance(db_api, DuckDBAPI):
        table = db_api.register(_duckdb_table(db_api, frame), dataset_display_name="person_records")
    else:
        table = db_api.register(_for_backend(frame, backend), dataset_display_name="person_records")
    return Linker(table, model, log_level=None)  # Splink keeps its notes to the logging setup we have


def _duckdb_table(db_api: DuckDBAPI, frame: pd.DataFrame) -> str:
    """The frame copied into a DuckDB table once: registered as a view of the pandas frame, each of the
    blocking rules' joins converted its Python strings again (1M records, blocking and scoring: 99 ->
    51 s; the same pairs)."""
    con = db_api.duckdb_con
    con.register("person_records_frame", frame)
    con.execute("CREATE TABLE person_records_table AS SELECT * FROM person_records_frame")
    con.unregister("person_records_frame")
    return "person_records_table"


@contextmanager
def _database(backend: Backend) -> Iterator[DatabaseAPISubClass]:
    """A database for one step, closed at its end: DuckDB gives its memory back at once, not when the
    garbage collector gets round to the linker (a million records: a gigabyte or more)."""
    db_api = db_api_for(backend)
    try:
        yield db_api
    finally:
        if isinstance(db_api, DuckDBAPI):
            db_api.duckdb_con.close()


def _for_backend(frame: pd.DataFrame, backend: Backend) -> Any:
    if backend == "spark":
        from joindots.link.spark import to_spark

        return to_spark(frame)
    return frame


def train_model(frame: pd.DataFrame, em_max_pairs: float = EM_MAX_PAIRS) -> dict[str, Any]:
    """Prior from a strict rule, u by random sampling, m by EM over several blocking rules."""
    with _database("duckdb") as db_api:
        model = _trained(_linker(frame, settings_creator(), db_api, "duckdb"), em_max_pairs, len(frame))
    return floor_m(model)


def _trained(linker: Linker, em_max_pairs: float, records: int) -> dict[str, Any]:
    training = linker.training
    counted = min(1.0, EM_COUNT_RECORDS / max(records, 1))  # a sample estimates the count well enough
    training.estimate_probability_two_random_records_match([PRIOR_RULE], recall=PRIOR_RECALL)
    training.estimate_u_using_random_sampling(max_pairs=U_MAX_PAIRS, seed=SEED)
    for rule in training_blocking_rules():
        try:
            training.estimate_parameters_using_expectation_maximisation(
                rule, max_pairs=em_max_pairs, record_sample_proportion=counted
            )
        except EMTrainingException:  # no pairs under this rule (e.g. no phones at all): skip it
            log.info("EM session skipped, no pairs: %s", rule)
        except ValueError as error:  # Splink refuses an m EM drove below 1e-300 (tiny worlds): go on
            log.warning("EM session %s skipped: %s", rule, error)
    return linker.misc.save_model_to_json()


def floor_m(model: dict[str, Any], floor: float = M_FLOOR) -> dict[str, Any]:
    """The model with every trained m probability at least `floor`: a level EM never saw among
    matches (a sex recorded wrongly, a move within a district) weighs against a match, not infinitely."""
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            m = level.get("m_probability")
            if m is not None and m < floor:
                level["m_probability"] = floor
    return model


def score_pairs(
    frame: pd.DataFrame, model: dict[str, Any], threshold: float, backend: Backend = "duckdb"
) -> pd.DataFrame:
    """Every blocked pair scoring at least `threshold`, with its explanation (field -> level, weight)."""
    with _database(backend) as db_api:
        linker = _linker(frame, scoring_model(model), db_api, backend)
        predictions = linker.inference.predict(threshold_match_probability=threshold, warning_mode="never")
        slim = _slim(predictions)
        predictions.drop_table_from_database_and_remove_from_cache()
        scored = _to_pandas(slim)
    return pairs_frame(scored, model)


def _to_pandas(table: SplinkDataFrame) -> pd.DataFrame:
    """The table through Arrow, each column handed to pandas as it is converted: two million pairs
    are held once while they come out of the database, not twice."""
    return table.as_pyarrow_table().to_pandas(split_blocks=True, self_destruct=True)


PAIR_COLUMNS = ("match_probability", "match_weight")


def _slim(predictions: SplinkDataFrame) -> SplinkDataFrame:
    """Only what pairs and explanations need (ids, score, each field's gamma and weights): the
    records' own columns, kept for Splink's per-field output, would double the memory of a run.
    Each pair comes out once as record_l < record_r."""
    names = [c.unquote().name for c in predictions.columns]
    keep = [n for n in names if n in PAIR_COLUMNS or n.startswith(("gamma_", "mw_"))]
    ids = "least(unique_id_l, unique_id_r) AS record_l, greatest(unique_id_l, unique_id_r) AS record_r"
    return predictions.query_sql(f"SELECT {ids}, {', '.join(keep)} FROM {{this}}")


def scoring_model(model: dict[str, Any]) -> dict[str, Any]:
    """The model with Splink's per-field columns kept (gamma level and weight), for explanations."""
    return {**model, "retain_matching_columns": True, "retain_intermediate_calculation_columns": True}


def pairs_frame(scored: pd.DataFrame, model: dict[str, Any]) -> pd.DataFrame:
    """The slim prediction rows, sorted -> record_l < record_r, probability, weight, explanation."""
    scored = scored.sort_values(["record_l", "record_r"], ignore_index=True)
    out = pd.DataFrame(
        {
            "record_l": scored["record_l"].to_numpy(dtype="int64"),
            "record_r": scored["record_r"].to_numpy(dtype="int64"),
            "match_probability": scored["match_probability"].to_numpy(dtype=float),
            "match_weight": scored["match_weight"].to_numpy(dtype=float),
        }
    )
    out["explanation"] = explanations(scored, model)
    return out


def probability(weight: float) -> float:
    return 1.0 - 1.0 / (1.0 + math.pow(2.0, weight))
