"""Instant matching by context, measured: reports naming people by name alone.

A synthetic world is made and ingested. A sample of its events of one shape is held out: their
records and events are deleted before linking, so the run never sees them. The rest is linked as
`joindots link` links it. Each held-out event is then filed through intake and matched at once, and
the world's truth says whether the best candidate of the person named by name alone is right.

- `--shape duty` (default): telling events (missing episodes, referrals, sexual crimes) that name a
  child with a date of birth and another person by name only (no date of birth, postcode or address:
  "found with: Ricky"), filed as a duty-to-report (the child as recorded, the other as a suspect by
  the name recorded, on the event's date);
- `--shape hotel`: hotel reports at a named place with a guest by name only, filed as a hotel concern
  at that place on that date naming the guest as recorded.

Printed, for the persons asked: how many the model alone matches (best candidate at or above 0.5)
and how many of those are right; the same with context matching (the shipped behaviour), with the
matches found by context apart; and the latency of matching a whole report (p50, p95): as intake does
it (the warm matcher takes in the report's records, then matches them with context), and again once
warm, with the model alone and with context. The matcher is warmed up before the first report, as
the web app warms it at start; its warm-up is printed apart.
Only persons who in truth have a fuller record elsewhere are held out; `--unknown` holds out those
who have none instead, for whom any match is wrong.

    .venv/bin/python benchmarks/instant_context.py --people 20000 --held-out 300
    .venv/bin/python benchmarks/instant_context.py --people 20000 --held-out 300 --shape hotel
"""

from __future__ import annotations

import argparse
import logging
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import delete, select

from joindots.ingest.load import ingest_dir
from joindots.intake.routing import load_table
from joindots.intake.schemas import (
    DutyToReport,
    MakesafeConcern,
    MakesafeIndicator,
    NameGiven,
    PersonGiven,
    Reporter,
)
from joindots.intake.service import file_report
from joindots.link import instant
from joindots.link.evaluate import truth_labels
from joindots.link.frame import load_person_frame
from joindots.link.run import run_linkage
from joindots.network.ties import exploitation_events
from joindots.store.db import make_engine, migrate, session_scope
from joindots.store.link_tables import LinkRun
from joindots.store.schema import Event, PersonRecord, RecordObject
from joindots.synth import generate_world

CHILD_ROLES = {"missing_person", "subject", "victim", "vulnerable_child"}
REPORTER = Reporter(name="Bench Reporter", role="Designated safeguarding lead", organisation="Bench School")


def held_out(
    engine: Any, frame: pd.DataFrame, truth: dict[int, str], args: argparse.Namespace
) -> list[tuple[int, int | None, int]]:
    """Events of the shape asked for: (event, child record or None, the record named by name only).
    duty: a telling event with a dated, named child and a person by name only; hotel: a hotel report
    at a named place with a guest by name only."""
    with engine.connect() as conn:
        cols = ["id", "type", "offence_code", "offence_code_original", "cse_flag", "date", "location_name"]
        events = pd.DataFrame(conn.execute(select(*(getattr(Event, c) for c in cols))).all(), columns=cols)
        roles = dict(conn.execute(select(PersonRecord.id, PersonRecord.role)).all())
        event_of = dict(conn.execute(select(PersonRecord.id, PersonRecord.event_id)).all())
    if args.shape == "duty":
        wanted = exploitation_events(events)
    else:
        wanted = set(events.loc[(events["type"] == "hotel_report") & events["location_name"].notna(), "id"])
    date_of = dict(zip(events["id"], events["date"], strict=True))
    rows = frame.set_index("unique_id")
    full = rows["dob"].notna() & rows["forename"].notna() & rows["surname"].notna()
    bare = rows["dob"].isna() & rows["postcode"].isna() & rows["address"].isna() & rows["forename"].notna()
    fuller_of: dict[str, int] = defaultdict(int)  # truth person -> records with a date of birth
    for uid in rows.index[rows["dob"].notna()]:
        fuller_of[truth[int(uid)]] += 1
    on: dict[int, list[int]] = defaultdict(list)
    for record, event in event_of.items():
        if event in wanted:
            on[event].append(int(record))
    chosen = []
    for event, records in sorted(on.items()):
        if args.shape == "duty":
            children: list[int | None] = [r for r in records if roles[r] in CHILD_ROLES and full[r]][:1]
            others = [r for r in records if roles[r] not in CHILD_ROLES and bare[r]]
        else:
            children, others = [None], [r for r in records if roles[r] == "guest" and bare[r]]
        for child in children:
            for other in others[:1]:
                person = truth[other]
                here = sum(truth[r] == person for r in records if pd.notna(rows.at[r, "dob"]))
                known = fuller_of[person] - here > 0
                if known != args.unknown and date_of[event] is not None:
                    chosen.append((event, child, other))
    random.Random(args.seed).shuffle(chosen)
    return chosen[: args.held_out]


def report_of(event: Event, child: pd.Series | None, named: pd.Series) -> DutyToReport | MakesafeConcern:
    """The held-out event as a professional would report it."""
    said = "Held-out event filed as a report for the benchmark."
    if child is not None:
        return DutyToReport(
            reporter=REPORTER,
            child=given(child, with_dob=True),
            suspects=[given(named, with_dob=False)],
            what_happened=said,
            occurred_on=event.date,
        )
    name = " ".join(str(v) for v in (named["forename"], named["surname"]) if isinstance(v, str))
    return MakesafeConcern(
        reporter=REPORTER,
        business="hotel",
        business_name=event.location_name,
        location_postcode=event.location_postcode,
        indicators=[MakesafeIndicator.PAID_CASH_OR_BY_ANOTHER],
        names_as_given=[NameGiven(name=name, who="guest")],
        what_happened=said,
        occurred_on=event.date,
    )


def given(row: pd.Series, with_dob: bool) -> PersonGiven:
    def text(v: Any) -> str | None:
        return None if v is None or (isinstance(v, float) and v != v) else str(v)

    fields: dict[str, Any] = {"forename": text(row["forename"]), "surname": text(row["surname"])}
    if with_dob:
        fields |= {"dob": row["dob"], "sex": text(row["sex"]) if text(row["sex"]) in ("M", "F") else None}
        fields |= {"postcode": text(row["postcode"])}
    return PersonGiven(**fields)


def match(engine: Any, record_ids: list[int], run: LinkRun, shares: dict[str, Any]) -> tuple[dict, float]:
    """A report's records matched as intake matches them: the warm matcher brought up to date (the
    report's records join its index), then every record matched. Milliseconds, all of it."""
    start = time.perf_counter()
    matcher = instant.matcher_for(engine, run.model)
    found = matcher.match_event_records(record_ids, shares, run.threshold)
    return found, (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=20000)
    parser.add_argument("--held-out", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--unknown", action="store_true", help="hold out suspects with no fuller record")
    parser.add_argument(
        "--shape", choices=["duty", "hotel"], default="duty", help="duty reports or hotel concerns"
    )
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    logging.getLogger("splink").setLevel(logging.ERROR)
    where = args.dir or Path(tempfile.mkdtemp(prefix="instant_context_"))
    where.mkdir(parents=True, exist_ok=True)
    print(f"world: {args.people:,} people, seed {args.seed}, in {where}")
    engine = make_engine(f"sqlite:///{where / 'world.db'}")
    migrate(engine)
    generate_world(where / "world", args.people, seed=args.seed)
    ingest_dir(engine, where / "world", "bench")
    frame = load_person_frame(engine)
    truth = truth_labels(frame, where / "world" / "truth" / "records.csv")
    cases = held_out(engine, frame, truth, args)
    if not cases:
        sys.exit("no events of that shape in this world")
    rows = frame.set_index("unique_id")
    with session_scope(engine) as s:
        events = {e.id: e for e in s.scalars(select(Event).where(Event.id.in_([e for e, _, _ in cases])))}
        for event in events.values():
            s.expunge(event)
        gone = list(s.scalars(select(PersonRecord.id).where(PersonRecord.event_id.in_(list(events)))))
        s.execute(delete(RecordObject).where(RecordObject.person_record_id.in_(gone)))
        s.execute(delete(PersonRecord).where(PersonRecord.id.in_(gone)))
        s.execute(delete(Event).where(Event.id.in_(list(events))))
    print(f"held out {len(cases)} events ({len(gone)} records); linking the rest")
    start = time.perf_counter()
    summary = run_linkage(engine, actor="bench")
    print(
        f"linked {summary.records:,} records into {summary.persons:,} persons in {time.perf_counter() - start:.1f} s"
    )
    with session_scope(engine) as s:
        run = s.scalars(select(LinkRun).where(LinkRun.id == summary.run_id)).one()
        s.expunge(run)
    shares = run.stats.get("context_shares") or {}
    start = time.perf_counter()
    instant.matcher_for(engine, run.model)  # as the web app warms it at start, before any report
    print(f"instant matcher warmed up in {time.perf_counter() - start:.1f} s")
    table = load_table()
    tally = {way: defaultdict(int) for way in ("model", "context")}
    latency: dict[str, list[float]] = defaultdict(list)
    for event, child, suspect in cases:
        child_row = rows.loc[child] if child is not None else None
        report = report_of(events[event], child_row, rows.loc[suspect])
        receipt = file_report(engine, report, "bench", table)
        with session_scope(engine) as s:
            records = list(
                s.scalars(select(PersonRecord.id).where(PersonRecord.record_id.like(f"{receipt.receipt}%")))
            )
        for way, used in (("context", shares), ("model", {}), ("context again", shares)):
            found, ms = match(engine, sorted(records), run, used)  # the first pass pays the index update
            latency[way].append(ms)
            if way == "context again":
                continue
            hits = found[max(records)]  # the suspect is the report's last record
            best = hits[0] if hits else None
            t = tally[way]
            t["asked"] += 1
            if best is None:
                continue
            right = truth.get(best["record_id"]) == truth[suspect]
            by = best.get("found_by", "model")
            t["matched"] += 1
            t["right"] += right
            t[f"{by} matched"] += 1
            t[f"{by} right"] += right
            if best["match_probability"] >= run.threshold:
                t[f"{by} sure"] += 1
                t[f"{by} sure right"] += right

    def spread(way: str) -> str:
        lat = sorted(latency[way])
        return (
            f"p50 {statistics.median(lat):.1f} ms, p95 {lat[min(len(lat) - 1, int(0.95 * len(lat)))]:.1f} ms"
        )

    print(f"report matched as shipped (index update, model, context): {spread('context')}")
    print(f"again, warm: model alone {spread('model')}; with context {spread('context again')}")
    for way in ("model", "context"):
        t = tally[way]
        print(
            f"{way:>8}: asked {t['asked']}, matched {t['matched']}: right {t['right']}, "
            f"wrong {t['matched'] - t['right']} (by context {t['context matched']}: right "
            f"{t['context right']}, wrong {t['context matched'] - t['context right']}; at or above "
            f"{run.threshold}: {t['context sure right']} right, {t['context sure'] - t['context sure right']} "
            "wrong)"
        )
    print("context shares by kind:", {k: [round(x, 3) for x in v] for k, v in shares.items()})


if __name__ == "__main__":
    main()
