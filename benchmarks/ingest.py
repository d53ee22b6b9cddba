"""How fast a synthetic world loads into SQLite: rows and person records per second.

    .venv/bin/python benchmarks/ingest.py [--people 100000] [--seed 1] [--db sqlite:///path.db]
                                          [--in-process] [--world DIR]

Makes the world (not timed; or reuses --world), then times `ingest_dir` into a fresh SQLite database
(or --db), with normalising, quarantine and the bulk inserts included. Files of 256 KiB or more are
read and mapped by a worker process while this one writes; --in-process loads everything in one
process. Prints per-source rows and seconds, the CPU seconds of the loader and its workers, the
load average (other work on the machine slows the figures), peak memory and the totals. The
target: at least 20,000 person records per second on SQLite.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

from joindots.ingest import load
from joindots.ingest.load import ingest_dir
from joindots.store.db import make_engine, migrate
from joindots.synth import generate_world


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    parser.add_argument("--in-process", action="store_true", help="no worker process")
    parser.add_argument("--world", type=Path, help="an existing world folder (--people is ignored)")
    args = parser.parse_args()
    if args.in_process:
        load.PARALLEL_BYTES = 1 << 62
    with tempfile.TemporaryDirectory() as tmp:
        world = args.world or Path(tmp) / "world"
        if not args.world:
            generate_world(world, args.people, args.seed)
        engine = make_engine(args.db or f"sqlite:///{Path(tmp) / 'bench.db'}")
        migrate(engine)
        load_average = os.getloadavg()[0]
        children = _children_cpu()
        started, cpu = time.perf_counter(), time.process_time()
        reports = ingest_dir(engine, world, actor="benchmark")
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        workers_cpu = _children_cpu() - children
    rows = sum(r.rows_read for r in reports)
    persons = sum(r.person_records for r in reports)
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    label = f"world {args.world}" if args.world else f"{args.people:,} people's world"
    mode = "one process" if args.in_process else "worker process for files >= 256 KiB"
    print(
        f"ingest: {label} on {engine.dialect.name} in {seconds:.1f} s ({mode}), "
        f"CPU: loader {cpu:.1f} s, workers {workers_cpu:.1f} s; load average at start {load_average:.2f}; "
        f"peak {peak_gib:.2f} GiB"
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
