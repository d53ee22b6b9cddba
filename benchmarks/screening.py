"""How well the review queue finds the cases the synthetic truth says deserve a review.

    .venv/bin/python benchmarks/screening.py [--people 10000] [--seed 1] [--k 10,25,50,100]

Makes a world, loads it, runs linkage and group detection where those parts are in this build
(`joindots link` and `joindots groups` with their defaults; otherwise people are matched on exact
name and birth date only, which the output says), screens, and compares the queue, highest priority
first, with truth/cases.csv (should_review). Prints recall in the top K, and the precision at the
smallest K whose recall is at least 0.95 (or says that recall never reaches it).
"""

from __future__ import annotations

import argparse
import csv
import importlib
import importlib.util
import tempfile
import time
from collections import Counter
from pathlib import Path

import typer
from sqlalchemy import Engine
from typer.testing import CliRunner

from joindots.cli.main import app
from joindots.ingest.load import ingest_dir
from joindots.screening import screen
from joindots.screening.service import queue
from joindots.store.db import make_engine, migrate, session_scope
from joindots.synth import generate_world


def _run_part(command: str, url: str) -> str:
    """Run another part's command (link, groups) when this build has it."""
    root = typer.main.get_command(app)
    if command not in getattr(root, "commands", {}):
        return f"{command}: not in this build"
    started = time.perf_counter()
    result = CliRunner().invoke(app, ["--db", url, command])
    status = "ok" if result.exit_code == 0 else f"failed ({result.exit_code}): {result.output[-300:]}"
    return f"{command}: {status} in {time.perf_counter() - started:.1f} s"


def _link(engine: Engine, url: str) -> str:
    """Linkage by its command when the CLI has one, else by its run function when the part is here."""
    root = typer.main.get_command(app)
    if "link" in getattr(root, "commands", {}) or importlib.util.find_spec("joindots.link.run") is None:
        return _run_part("link", url)
    run = importlib.import_module("joindots.link.run")
    started = time.perf_counter()
    summary = run.run_linkage(engine, actor="benchmark")
    return f"link: {summary.records:,} records -> {summary.persons:,} persons in {time.perf_counter() - started:.1f} s"


def _truth(world: Path) -> set[tuple[str, str]]:
    with (world / "truth" / "cases.csv").open(encoding="utf-8") as fh:
        return {(r["source"], r["case_ref"]) for r in csv.DictReader(fh) if r["should_review"] == "True"}


def _report(
    ranked: list[tuple[str, str]],
    truth: set[tuple[str, str]],
    ks: list[int],
    rules: dict[tuple[str, str], list[str]],
) -> None:
    print(f"truth: {len(truth)} cases should be reviewed; queue: {len(ranked)} items")
    for k in ks:
        hits = sum(1 for key in ranked[:k] if key in truth)
        print(
            f"  top {k:>5}: recall {hits / max(len(truth), 1):.3f}  precision {hits / max(min(k, len(ranked)), 1):.3f}"
        )
    hits = 0
    for k, key in enumerate(ranked, start=1):
        hits += key in truth
        if hits >= 0.95 * len(truth):
            print(f"recall >= 0.95 at K = {k}: precision {hits / k:.3f}")
            wrong = Counter(r for key in ranked[:k] if key not in truth for r in rules[key])
            right = Counter(r for key in ranked[:k] if key in truth for r in rules[key])
            print(f"  rules on the {k - hits} not in the truth: {dict(wrong.most_common())}")
            print(f"  rules on the {hits} in the truth: {dict(right.most_common())}")
            break
    else:
        print(f"recall never reaches 0.95: whole queue recall {hits / max(len(truth), 1):.3f}")
    missed = sorted(truth - set(ranked))
    by_source = Counter(source for source, _ in missed)
    print(f"missed by source: {dict(sorted(by_source.items()))}")
    print(f"missed ({len(missed)}): {', '.join(f'{s} {r}' for s, r in missed[:10])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--k", default="10,25,50,100,200,400,800")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        world = Path(tmp) / "world"
        generate_world(world, args.people, args.seed)
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
        migrate(engine)
        started = time.perf_counter()
        ingest_dir(engine, world, actor="benchmark")
        print(
            f"world: {args.people:,} people, seed {args.seed}; ingest {time.perf_counter() - started:.1f} s"
        )
        print(_link(engine, url))
        print(_run_part("groups", url))
        started = time.perf_counter()
        report = screen(engine, "benchmark")
        print(
            f"screen: {time.perf_counter() - started:.1f} s, {report.active} on the queue, "
            f"linkage results used: {report.resolved_links}"
        )
        with session_scope(engine) as session:
            items = queue(session)
            ranked = [(i.source, i.case_ref) for i in items]
            rules = {(i.source, i.case_ref): list(i.rules) for i in items}
        _report(ranked, _truth(world), [int(k) for k in args.k.split(",")], rules)


if __name__ == "__main__":
    main()
