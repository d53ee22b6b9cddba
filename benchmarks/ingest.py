"""How fast a synthetic world loads into SQLite: rows and person records per second.

    .venv/bin/python benchmarks/ingest.py [--people 100000] [--seed 1] [--db sqlite:///path.db]

Makes the world (not timed), then times `ingest_dir` into a fresh SQLite database (or --db), with
normalising, quarantine and the bulk inserts included. Prints per-source rows and seconds, peak
memory, and the totals. The target: at least 20,000 person records per second on SQLite.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from joindots.ingest.load import ingest_dir
from joindots.store.db import make_engine, migrate
from joindots.synth import generate_world


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        world = Path(tmp) / "world"
        generate_world(world, args.people, args.seed)
        engine = make_engine(args.db or f"sqlite:///{Path(tmp) / 'bench.db'}")
        migrate(engine)
        started = time.perf_counter()
        reports = ingest_dir(engine, world, actor="benchmark")
        seconds = time.perf_counter() - started
    rows = sum(r.rows_read for r in reports)
    persons = sum(r.person_records for r in reports)
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(
        f"ingest: {args.people:,} people's world on {engine.dialect.name} in {seconds:.1f} s, peak {peak_gib:.2f} GiB"
    )
    print(
        f"rows: {rows:,} ({rows / seconds:,.0f}/s); person records: {persons:,} ({persons / seconds:,.0f}/s)"
    )
    for r in reports:
        print(
            f"  {r.source:<13} rows {r.rows_read:>9,}  loaded {r.rows_loaded:>9,}  quarantined "
            f"{r.rows_quarantined:>5,}  persons {r.person_records:>9,}  {r.seconds:>6.1f} s"
        )


if __name__ == "__main__":
    main()
