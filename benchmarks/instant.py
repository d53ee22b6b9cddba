"""Instant matching latency: one new record scored against N existing records.

Queries are existing records with each field but the surname dropped at random (10%), matched as
records not yet stored (`match_frame_row`); "own record found" is the recall of the record a query
was made from. Prints warm-up time, the matcher's memory, latency p50/p95/p99 and recall; with
--splink-queries also Splink's `predict_between` on the same queries, and whether the two agree.

    .venv/bin/python benchmarks/instant.py --records 100000
    .venv/bin/python benchmarks/instant.py --records 1000000 --cache /tmp/world_1m   # reuse the world

The model is trained on at most --train-records records (training is not what is measured); the
matcher holds every record, with term frequencies from all of them.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

from joindots.ingest.load import ingest_dir
from joindots.link.frame import load_person_frame
from joindots.link.instant import Matcher, matcher_for
from joindots.link.model import train_model
from joindots.store.db import make_engine, migrate
from joindots.synth import generate_world

RECORDS_PER_PERSON = 1.18
FIELDS = ("forename", "surname", "dob", "sex", "postcode", "phones", "vehicles")


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def world(records: int, seed: int, train_records: int, where: Path) -> tuple[Any, dict[str, Any], float]:
    """The world's database and a trained model, built once per directory."""
    start = time.perf_counter()
    db = where / "world.db"
    if not db.exists():
        generate_world(where / "world", int(records / RECORDS_PER_PERSON), seed=seed)
        print(f"generated in {time.perf_counter() - start:.0f} s", flush=True)
        engine = make_engine(f"sqlite:///{db}")
        migrate(engine)
        ingest_dir(engine, where / "world")
        print(f"ingested in {time.perf_counter() - start:.0f} s", flush=True)
    engine = make_engine(f"sqlite:///{db}")
    model_path = where / f"model_{train_records}.json"
    if not model_path.exists():
        frame = load_person_frame(engine)
        sample = frame.sample(min(train_records, len(frame)), random_state=seed)
        model_path.write_text(json.dumps(train_model(sample)))
        print(f"trained in {time.perf_counter() - start:.0f} s", flush=True)
    return engine, json.loads(model_path.read_text()), time.perf_counter() - start


def queries(frame: pd.DataFrame, n: int, seed: int) -> list[tuple[int, dict[str, Any]]]:
    rng = random.Random(seed)
    rows = frame.sample(min(n, len(frame)), random_state=seed).to_dict("records")
    out = []
    for row in rows:
        query = {k: row[k] for k in FIELDS if rng.random() < 0.9 or k == "surname"}
        out.append((int(row["unique_id"]), query))
    return out


def percentile(times: list[float], p: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def timed(matcher: Matcher, qs: list[tuple[int, dict[str, Any]]]) -> tuple[list[float], int, list[Any]]:
    times, found, results = [], 0, []
    for own, query in qs:
        t0 = time.perf_counter()
        candidates = matcher.match_frame_row(query)
        times.append(time.perf_counter() - t0)
        found += any(c["record_id"] == own for c in candidates)
        results.append({c["record_id"]: c["match_probability"] for c in candidates})
    return times, found, results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--train-records", type=int, default=100_000)
    parser.add_argument("--splink-queries", type=int, default=0, help="also time Splink on this many")
    parser.add_argument("--cache", type=Path, help="keep the world and model here and reuse them")
    args = parser.parse_args()
    print(
        f"records={args.records} queries={args.queries} seed={args.seed} train_records={args.train_records}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        where = args.cache or Path(tmp)
        where.mkdir(parents=True, exist_ok=True)
        engine, model, built = world(args.records, args.seed, args.train_records, where)
        frame = load_person_frame(engine)
        qs = queries(frame, args.queries, args.seed)
        n_existing = len(frame)
        del frame
        gc.collect()
        before = rss_mib()
        start = time.perf_counter()
        matcher = matcher_for(engine, model)
        warm = time.perf_counter() - start
        gc.collect()
        held = rss_mib() - before
        print(f"world ready in {built:.0f} s; existing records {n_existing}")
        print(f"matcher warm-up {warm:.1f} s; memory held {held:.0f} MiB (RSS growth)")
        assert matcher.fast is not None, "the fast scorer could not mirror this model"
        timed(matcher, qs[:20])  # first-touch effects out of the figures
        times, found, fast_results = timed(matcher, qs)
        p50, p95, p99 = (percentile(times, p) * 1000 for p in (0.5, 0.95, 0.99))
        print(
            f"latency p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms, max {max(times) * 1000:.1f} ms; "
            f"own record found {found}/{len(qs)}"
        )
        print(
            f"peak RSS of the whole run {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
        )
        if args.splink_queries:
            start = time.perf_counter()
            splink = Matcher(engine, model, use_splink=True)
            print(f"splink matcher warm-up {time.perf_counter() - start:.1f} s")
            sq = qs[: args.splink_queries]
            s_times, s_found, s_results = timed(splink, sq)
            same = sum(
                set(a) == set(b) and all(abs(a[k] - b[k]) < 1e-6 for k in a)
                for a, b in zip(fast_results, s_results, strict=False)
            )
            print(
                f"splink latency p50 {percentile(s_times, 0.5) * 1000:.0f} ms, p95 "
                f"{percentile(s_times, 0.95) * 1000:.0f} ms; own record found {s_found}/{len(sq)}; "
                f"same candidates and probabilities (1e-6) as the fast scorer on {same}/{len(sq)} queries"
            )


if __name__ == "__main__":
    main()
