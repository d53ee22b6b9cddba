"""The same saved model scores the same pairs on Spark as on DuckDB."""

from __future__ import annotations

import importlib.util
import shutil

import pytest

from joindots.link.model import score_pairs
from link_model_world import build_world

pytestmark = [
    pytest.mark.spark,
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("pyspark") is None or shutil.which("java") is None,
        reason="needs PySpark and Java",
    ),
]


def test_spark_scores_equal_duckdb(tmp_path) -> None:
    world = build_world(tmp_path)
    frame = world.frame.head(600)
    duck = score_pairs(frame, world.model, 0.5, backend="duckdb")
    spark = score_pairs(frame, world.model, 0.5, backend="spark")
    assert len(duck) > 100
    assert spark[["record_l", "record_r"]].values.tolist() == duck[["record_l", "record_r"]].values.tolist()
    assert spark["match_probability"].tolist() == pytest.approx(duck["match_probability"].tolist(), rel=1e-6)
    assert [{k: v["level"] for k, v in e.items()} for e in spark["explanation"]] == [
        {k: v["level"] for k, v in e.items()} for e in duck["explanation"]
    ]
    world.engine.dispose()
