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
import contextlib
import ctypes
import gc
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from joindots.ingest.load import ingest_dir
from joindots.link.frame import load_person_frame
from joindots.link.instant import Matcher, matcher_for
from joindots.link.model import train_model
from joindots.store.db import make_engine, migrate
from joindots.store.schema import PersonRecord
from joindots.synth import generate_world

RECORDS_PER_PERSON = 1.18
FIELDS = ("forename", "surname", "dob", "sex", "postcode", "phones", "vehicles", "address")


def rss_mib() -> float:
    """Resident memory, after handing freed heap back to the system (else freed pages still count)."""
    gc.collect()
    with contextlib.suppress(OSError):  # glibc only
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def world(records: int, seed: int, train_records: int, where: Path) -> float:
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
    engine.dispose()
    return time.perf_counter() - start


def queries(engine: Any, n: int, seed: int) -> list[tuple[int, dict[str, Any]]]:
    """Existing records as new ones: each field but the surname dropped with probability 0.1."""
    rng = random.Random(seed)
    with engine.connect() as conn:
        ids = sorted(conn.scalars(select(PersonRecord.id)))
    rows = load_person_frame(engine, rng.sample(ids, min(n, len(ids)))).to_dict("records")
    rng.shuffle(rows)
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


def measure(args: argparse.Namespace, where: Path) -> None:
    """In a fresh process, so the memory figure is the matcher's own."""
    engine = make_engine(f"sqlite:///{where / 'world.db'}")
    model = json.loads((where / f"model_{args.train_records}.json").read_text())
    gc.collect()
    before = rss_mib()
    start = time.perf_counter()
    matcher = matcher_for(engine, model)
    warm = time.perf_counter() - start
    gc.collect()
    held = rss_mib() - before
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"existing records {matcher.count}; matcher warm-up {warm:.1f} s (load from SQLite + index)")
    print(f"memory: matcher holds {held:.0f} MiB (RSS after warm-up - before); process peak {peak:.0f} MiB")
    print(
        f"scorer: {'fast' if matcher.fast is not None else 'splink'}; new records derived by "
        f"{'frame_row' if matcher.quick_rows else 'build_frame'}"
    )
    qs = queries(engine, args.queries, args.seed)
    timed(matcher, qs[:20])  # first-touch effects out of the figures
    times, found, fast_results = timed(matcher, qs)
    p50, p95, p99 = (percentile(times, p) * 1000 for p in (0.5, 0.95, 0.99))
    print(
        f"latency over {len(qs)} queries: p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms, "
        f"max {max(times) * 1000:.1f} ms; own record found {found}/{len(qs)}"
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--train-records", type=int, default=100_000)
    parser.add_argument("--splink-queries", type=int, default=0, help="also time Splink on this many")
    parser.add_argument("--cache", type=Path, help="keep the world and model here and reuse them")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args, args.cache)
        return
    print(
        f"records={args.records} queries={args.queries} seed={args.seed} train_records={args.train_records}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        where = args.cache or Path(tmp)
        where.mkdir(parents=True, exist_ok=True)
        built = world(args.records, args.seed, args.train_records, where)
        print(f"world and model ready in {built:.0f} s", flush=True)
        argv = [
            f"--{k.replace('_', '-')}={v}" for k, v in vars(args).items() if k not in ("cache", "measure")
        ]
        subprocess.run([sys.executable, __file__, *argv, f"--cache={where}", "--measure"], check=True)


if __name__ == "__main__":
    main()
