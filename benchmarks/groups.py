"""How many true offender groups the network finds, and how fast a person's neighbourhood comes back.

    .venv/bin/python benchmarks/groups.py [--people 10000] [--seed 1] [--db sqlite:///x.db] [--queries 50]
                                          [--keep DIR]

Makes a synthetic world, loads it, links it (`run_linkage` with its defaults), builds the groups
(`build_groups`), and compares them with truth/groups.csv: for each true group the best member F1
over our groups of the strict and of the loose view (our persons mapped to true people by their
records). Prints the share of true groups found with F1 >= 0.8 (target 0.9), the time of every step,
and the median and 95th-percentile latency of 2-hop neighbourhood queries for random group members.
With --keep DIR the world and the SQLite file stay in DIR, and a later run with the same DIR reuses
them (skipping synth, ingest and link) so group detection can be rerun alone.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

from joindots.ingest.load import ingest_dir
from joindots.link.run import run_linkage
from joindots.network.evaluate import evaluate_groups
from joindots.network.groups import build_groups
from joindots.network.service import neighbourhood, web_summary
from joindots.store.db import make_engine, migrate, session_scope
from joindots.synth import generate_world


def timed(label: str, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    print(f"{label}: {time.perf_counter() - started:.1f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db", default=None, help="Database URL (default: a SQLite file in a temp dir).")
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--keep", type=Path, default=None, help="Keep (and reuse) world and database here.")
    args = parser.parse_args()
    print(f"people={args.people} seed={args.seed}")
    with tempfile.TemporaryDirectory() as scratch:
        tmp = args.keep or Path(scratch)
        tmp.mkdir(parents=True, exist_ok=True)
        world = tmp / "world"
        reuse = args.keep is not None and (tmp / "linked").exists()
        engine = make_engine(args.db or f"sqlite:///{tmp / 'bench.db'}")
        if not reuse:
            migrate(engine)
            timed("synth", generate_world, world, args.people, args.seed)
            timed("ingest", ingest_dir, engine, world, actor="benchmark")
            timed("link", run_linkage, engine, actor="benchmark")
            (tmp / "linked").touch()
        build = timed("groups", build_groups, engine, "benchmark")
        print(f"build stats: {build.stats}")
        truth = world / "truth"
        with session_scope(engine) as session:
            summary = web_summary(session)
            stability = {g["key"]: g["stability"] for g in summary}
            for view in ("strict", "loose"):
                mine = [g for g in summary if g["view"] == view]
                split = Counter(g["stability"] for g in mine)
                shaky = sum(1 for g in mine if g["uncertain_ties"])
                print(f"{view} view: {len(mine)} groups, {dict(sorted(split.items()))}; "
                      f"{shaky} with a tie resting on an uncertain identity link")  # fmt: skip
            for view in ("strict", "loose"):
                r = evaluate_groups(session, truth / "groups.csv", truth / "records.csv", view)
                print(f"{view}: {r['found']} of {r['true_groups']} true groups found with member F1 >= 0.8 "
                      f"(share {r['share_found']:.3f}); {r['our_groups']} groups built")  # fmt: skip
                print(f"  on the members on record ({r['members_without_record']} have no record): "
                      f"{r['found_on_record']} of {r['true_groups']} (share {r['share_found_on_record']:.3f})")  # fmt: skip
                found = Counter(stability[g["best_group"]] for g in r["groups"] if g["f1"] >= 0.8)
                print(f"  the found groups' stability: {dict(sorted(found.items()))}")
                missed = [g for g in r["groups"] if g["f1"] < 0.8]
                print(
                    "  missed:",
                    ", ".join(f"{g['true_group']} (size {g['size']}, F1 {g['f1']})" for g in missed),
                )
            members = sorted({p for g in summary for p in g["members"]})
        rng = random.Random(args.seed)
        picks = rng.sample(members, min(args.queries, len(members)))
        latencies, sizes = [], []
        for pid in picks:
            started = time.perf_counter()
            hood = neighbourhood(engine, pid, hops=2)
            latencies.append(time.perf_counter() - started)
            sizes.append(len(hood["nodes"]))
        if latencies:
            p95 = sorted(latencies)[int(0.95 * (len(latencies) - 1))]
            print(f"2-hop neighbourhood: {len(picks)} queries, median {statistics.median(latencies) * 1000:.0f} ms, "
                  f"p95 {p95 * 1000:.0f} ms, median {statistics.median(sizes):.0f} nodes")  # fmt: skip
        engine.dispose()


if __name__ == "__main__":
    main()
