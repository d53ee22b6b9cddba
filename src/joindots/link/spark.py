"""The same saved model on Splink's Spark backend, for runs that outgrow one machine.

Here Spark runs locally (`local[1]`, few shuffle partitions); a deployment points
`JOINDOTS_SPARK_MASTER` (the standard `spark.master`) at its cluster instead.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

import pandas as pd

SHUFFLE_PARTITIONS = "1"


@lru_cache(maxsize=1)
def spark_session() -> Any:
    """One Spark session per process, with Splink's similarity functions on its class path."""
    from pyspark.sql import SparkSession
    from splink.internals.spark.jar_location import similarity_jar_location

    builder = SparkSession.builder.master(os.environ.get("JOINDOTS_SPARK_MASTER", "local[1]"))
    builder = builder.appName("joindots-linkage").config("spark.jars", similarity_jar_location())
    builder = builder.config("spark.sql.shuffle.partitions", SHUFFLE_PARTITIONS)
    builder = builder.config("spark.ui.enabled", "false").config("spark.driver.memory", "2g")
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    session.sparkContext.setCheckpointDir("/tmp/joindots-spark-checkpoints")
    return session


def spark_api() -> Any:
    from splink import SparkAPI

    return SparkAPI(spark_session=spark_session(), break_lineage_method="persist")


def _type(frame: pd.DataFrame, column: str) -> Any:
    from pyspark.sql import types as T

    if column == "unique_id":
        return T.LongType()
    if column == "dob_ambiguous":
        return T.BooleanType()
    if column.startswith("tf_"):
        return T.DoubleType()
    if column in ("phones", "vehicles") or column.endswith("_keys"):
        return T.ArrayType(T.StringType())
    return T.StringType()


def to_spark(frame: pd.DataFrame) -> Any:
    """The linkage frame as a Spark DataFrame with an explicit schema (all-null columns included)."""
    from pyspark.sql import types as T

    schema = T.StructType([T.StructField(c, _type(frame, c), True) for c in frame.columns])
    rows = [
        tuple(None if not isinstance(v, list | bool) and pd.isna(v) else v for v in row)
        for row in frame.itertuples(index=False, name=None)
    ]
    return spark_session().createDataFrame(rows, schema)


TRAINED_KEYS = ("m_probability", "u_probability", "tf_adjustment_weight", "tf_minimum_u_value")


def spark_model(model: dict[str, Any]) -> dict[str, Any]:
    """The saved model with its SQL written for Spark: our comparisons rendered in Spark's dialect,
    every trained parameter copied level by level from the saved model."""
    from joindots.link.comparisons import settings_creator

    spark = settings_creator().create_settings_dict("spark")
    for new, old in zip(spark["comparisons"], model["comparisons"], strict=True):
        if new["output_column_name"] != old["output_column_name"]:
            raise ValueError(
                f"saved model has comparison {old['output_column_name']!r} where ours has {new['output_column_name']!r}"
            )
        for new_level, old_level in zip(new["comparison_levels"], old["comparison_levels"], strict=True):
            new_level.update({k: old_level[k] for k in TRAINED_KEYS if k in old_level})
    spark["probability_two_random_records_match"] = model["probability_two_random_records_match"]
    for key in ("retain_matching_columns", "retain_intermediate_calculation_columns"):
        spark[key] = model.get(key, spark.get(key))
    return spark
