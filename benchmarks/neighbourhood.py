"""How fast a person's 2-hop neighbourhood comes back on a big store (issue 4: "well under a second on a
1,000,000-record world").

    .venv/bin/python benchmarks/neighbourhood.py [--people 850000] [--seed 1] [--queries 200]
                                                 [--identity link|truth] [--keep DIR] [--postcode-index]

Makes a synthetic world (850,000 people give about 1,000,000 person records), loads it, resolves
people, and times two queries for random persons, reporting p50, p95 and the slowest:
- `joindots.network.service.neighbourhood(engine, person_id, hops=2)`: the POLE graph two links out
  (person -> event, phone, vehicle, address -> the other people there), as Cytoscape.js JSON;
- `joindots.web.neighbourhood.neighbourhood(session, key)`: what the web's person page draws
  (the person's events and who else was in them, and who shares their phones and vehicles).
Persons are drawn half uniformly from everyone with a record and half from suspects (the people
analysts look at, with the most links).

--identity link runs `run_linkage` (the product's linkage); --identity truth writes the synthetic
truth's persons into record_person instead (when linkage at this size takes longer than one wants to
wait: query latency depends on the shape of the graph, which truth gives at its fullest).
--keep DIR keeps the world and SQLite file and reuses them on the next run. --postcode-index adds an
index on person_record.postcode to the benchmark's database before timing (to measure what the
address hop costs without one).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine, insert, select, text

from joindots.ingest.load import ingest_dir
from joindots.network.service import neighbourhood
from joindots.store.db import make_engine, migrate, session_scope
from joindots.store.link_tables import LinkRun, Person, RecordPerson
from joindots.store.schema import PersonRecord
from joindots.synth import generate_world
from joindots.web.neighbourhood import neighbourhood as web_neighbourhood


def timed(label: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    print(f"{label}: {time.perf_counter() - started:.1f} s", flush=True)
    return result


def truth_identity(engine: Engine, world: Path) -> None:
    """record_person from the synthetic truth (person T0001234 becomes P0001234)."""
    truth = pd.read_csv(world / "truth" / "records.csv", dtype=str)
    with engine.connect() as conn:
        ids = pd.DataFrame(
            conn.execute(select(PersonRecord.id, PersonRecord.source, PersonRecord.record_id)).all(),
            columns=["id", "source", "record_id"],
        )
    rows = ids.merge(truth, on=["source", "record_id"])
    rows["person_id"] = "P" + rows["person_id"].str[1:]
    with session_scope(engine) as session:
        run = LinkRun(status="done", threshold=0.9, loose_threshold=0.5)
        session.add(run)
        session.flush()
        run_id = run.id
    with engine.begin() as conn:
        people = [{"id": p, "created_run_id": run_id} for p in sorted(set(rows["person_id"]))]
        for i in range(0, len(people), 50_000):
            conn.execute(insert(Person), people[i : i + 50_000])
        links = [
            {"person_record_id": int(r), "person_id": p, "run_id": run_id, "match_probability": 1.0}
            for r, p in zip(rows["id"], rows["person_id"], strict=True)
        ]
        for i in range(0, len(links), 50_000):
            conn.execute(insert(RecordPerson), links[i : i + 50_000])
    print(f"identity from truth: {len(rows):,} records -> {len(people):,} persons")


def pick(engine: Engine, n: int, seed: int) -> list[str]:
    with engine.connect() as conn:
        everyone = sorted(set(conn.execute(select(RecordPerson.person_id)).scalars()))
        suspects = sorted(
            set(
                conn.execute(
                    select(RecordPerson.person_id)
                    .join(PersonRecord, PersonRecord.id == RecordPerson.person_record_id)
                    .where(PersonRecord.role == "suspect")
                ).scalars()
            )
        )
    rng = random.Random(seed)
    return rng.sample(everyone, n // 2) + rng.sample(suspects, n - n // 2)


def report(label: str, seconds: list[float], sizes: list[int]) -> None:
    ordered = sorted(seconds)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    print(
        f"{label}: {len(seconds)} queries, p50 {statistics.median(seconds) * 1000:.0f} ms, "
        f"p95 {p95 * 1000:.0f} ms, slowest {ordered[-1] * 1000:.0f} ms; "
        f"nodes median {statistics.median(sizes):.0f}, most {max(sizes)}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=850_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--identity", choices=["link", "truth"], default="link")
    parser.add_argument("--keep", type=Path, default=None, help="Keep (and reuse) world and database here.")
    parser.add_argument("--postcode-index", action="store_true")
    args = parser.parse_args()
    print(f"people={args.people} seed={args.seed} identity={args.identity}", flush=True)
    with tempfile.TemporaryDirectory() as scratch:
        tmp = args.keep or Path(scratch)
        tmp.mkdir(parents=True, exist_ok=True)
        world = tmp / "world"
        engine = make_engine(f"sqlite:///{tmp / 'bench.db'}")
        if not (tmp / "resolved").exists():
            migrate(engine)
            timed("synth", generate_world, world, args.people, args.seed)
            timed("ingest", ingest_dir, engine, world, actor="benchmark")
            if args.identity == "link":
                from joindots.link.run import run_linkage

                timed("link", run_linkage, engine, actor="benchmark")
            else:
                timed("identity", truth_identity, engine, world)
            (tmp / "resolved").touch()
        with engine.connect() as conn:
            records = conn.execute(text("select count(*) from person_record")).scalar()
            persons = conn.execute(text("select count(distinct person_id) from record_person")).scalar()
        print(f"store: {records:,} person records, {persons:,} persons")
        if args.postcode_index:
            with engine.begin() as conn:
                conn.execute(text("create index if not exists bench_pr_postcode on person_record (postcode)"))
            print("added an index on person_record.postcode")
        picks = pick(engine, args.queries, args.seed)
        neighbourhood(engine, picks[0], hops=2)  # warm the connection and the page cache a little
        for label, query in (
            ("network.service.neighbourhood (2 hops)", lambda p: neighbourhood(engine, p, hops=2)["nodes"]),
            ("web.neighbourhood (person page)", lambda p: _web(engine, p)),
        ):
            seconds, sizes = [], []
            for pid in picks:
                started = time.perf_counter()
                nodes = query(pid)
                seconds.append(time.perf_counter() - started)
                sizes.append(len(nodes))
            report(label, seconds, sizes)
        engine.dispose()


def _web(engine: Engine, key: str) -> list[Any]:
    with session_scope(engine) as session:
        return list(web_neighbourhood(session, key)["nodes"])


if __name__ == "__main__":
    main()
