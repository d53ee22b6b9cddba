"""Instant matching latency: one new record scored against N existing records (p50/p95 over a sample).

.venv/bin/python benchmarks/instant.py --records 100000
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from joindots.ingest.load import ingest_dir
from joindots.link.frame import load_person_frame
from joindots.link.instant import matcher_for
from joindots.link.model import train_model
from joindots.store.db import make_engine, migrate
from joindots.synth import generate_world

RECORDS_PER_PERSON = 1.18
FIELDS = ("forename", "surname", "dob", "sex", "postcode", "phones")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(f"records={args.records} queries={args.queries} seed={args.seed}")
    with tempfile.TemporaryDirectory() as tmp:
        generate_world(Path(tmp) / "world", int(args.records / RECORDS_PER_PERSON), seed=args.seed)
        engine = make_engine(f"sqlite:///{Path(tmp) / 'world.db'}")
        migrate(engine)
        ingest_dir(engine, Path(tmp) / "world")
        frame = load_person_frame(engine)
        model = train_model(frame)
        start = time.perf_counter()
        matcher = matcher_for(engine, model)
        warm = time.perf_counter() - start
        rng = random.Random(args.seed)
        rows = frame.sample(args.queries, random_state=args.seed).to_dict("records")
        times, found = [], 0
        for row in rows:
            query = {k: row[k] for k in FIELDS if rng.random() < 0.9 or k == "surname"}
            t0 = time.perf_counter()
            candidates = matcher.match_frame_row(query)
            times.append(time.perf_counter() - t0)
            found += any(c["record_id"] == row["unique_id"] for c in candidates)
        times.sort()
        p50, p95 = times[len(times) // 2], times[int(len(times) * 0.95) - 1]
        print(f"existing records {len(frame)}; matcher warm-up {warm:.2f} s")
        print(
            f"latency p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms; own record found {found}/{len(rows)}"
        )


if __name__ == "__main__":
    main()
