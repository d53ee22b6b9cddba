"""`joindots link`, `matches`, `decide`, `withdraw`, `person`, `explain`, `lineage`, `undo`, `evaluate`
and `export persons`: linkage runs, analysts' decisions and stable person IDs from the command line."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import select

from joindots.audit import Action, record_access
from joindots.cli.common import clear_errors, console, ready_engine
from joindots.cli.export_cmds import export_app
from joindots.errors import InvalidInput, NotFound
from joindots.link import decisions, identity, lineage
from joindots.link.review import FoundBy, count_waiting, waiting_pairs
from joindots.link.run import STEPS, RunSummary, explain_records, latest_done_run, run_linkage
from joindots.pipeline import after_link
from joindots.settings import get_settings
from joindots.store.db import session_scope
from joindots.store.link_tables import LinkRun, Person
from joindots.store.schema import PersonRecord

ACTOR = typer.Option("--actor", help="Who is acting (written to the access log).")
WHY = typer.Option("--why", help="Why you are looking (written to the access log).")
RECORD = "A record: its number or source:record_id (e.g. police_north:CR000123#1)."
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "|")


def _safe(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def summary_table(summary: RunSummary, previous: dict[str, Any] | None) -> Table:
    table = Table(title=f"link run {summary.run_id}")
    table.add_column("measure")
    table.add_column("this run", justify="right")
    table.add_column("previous run", justify="right")
    prev = previous or {}
    rows = [("records", summary.records), ("persons", summary.persons), ("pairs kept", summary.pairs)]
    rows += [("pairs at threshold", summary.strong_pairs)]
    keys = {
        "pairs at threshold": "strong_pairs",
        "joined by context": "context_pairs",
        "suggested by context for review": "context_suggestions",
        "kept apart as contradictions": "split_pairs",
        "kept apart as bridges": "bridge_pairs",
    }
    rows += [("joined by context", summary.context_pairs)]
    rows += [("suggested by context for review", summary.context_suggestions)]
    rows += [("kept apart as contradictions", summary.split_pairs)]
    rows += [("kept apart as bridges", summary.bridge_pairs)]
    for name, value in rows:
        key = keys.get(name, name.split()[0])
        table.add_row(name, str(value), str(prev.get(key, "-")))
    for action in ("created", "added", "merged", "moved", "split", "retired"):
        before = prev.get("changes", {}).get(action, 0) if previous else "-"
        table.add_row(f"lineage: {action}", str(summary.changes.get(action, 0)), str(before))
    table.add_row("model", "trained now" if summary.trained else "saved model reused", "")
    table.add_row("seconds", f"{summary.seconds:.1f}", str(prev.get("seconds", "-")))
    return table


def link_cmd(
    retrain: Annotated[
        bool, typer.Option("--retrain", help="Train a new model instead of reusing it.")
    ] = False,
    backend: Annotated[
        str | None, typer.Option("--backend", help="duckdb or spark (default: settings).")
    ] = None,
    analyse: Annotated[
        bool,
        typer.Option("--analyse/--no-analyse", help="Then rebuild the groups and screen the cases again."),
    ] = True,
    actor: Annotated[str, ACTOR] = "cli",
) -> None:
    """Link every record into persons with stable IDs, honouring analysts' decisions."""
    with clear_errors():
        if backend not in (None, "duckdb", "spark"):
            raise InvalidInput(f"--backend must be duckdb or spark, not {backend!r}")
        engine = ready_engine()
        with session_scope(engine) as session:
            last = session.scalars(
                select(LinkRun).where(LinkRun.status == "done").order_by(LinkRun.id.desc()).limit(1)
            ).first()
            previous = dict(last.stats) if last is not None else None
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task("linking", total=len(STEPS))

            def step(name: str) -> None:
                bar.update(task, description=name, completed=STEPS.index(name))

            summary = run_linkage(engine, retrain=retrain, backend=backend, actor=actor, progress=step)
        console.print(summary_table(summary, previous))
        if analyse:
            with console.status("rebuilding groups and screening cases"):
                after = after_link(engine, actor)
            for name, line in after.items():
                console.print(f"{name}: {line}")


def _record_line(record: PersonRecord | None) -> str:
    if record is None:
        return "-"
    name = " ".join(x for x in (record.forename, record.middle_names, record.surname) if x) or "-"
    born = f", born {record.dob}" if record.dob else ""
    return f"{record.id} {record.source}:{record.record_id} ({record.role or '-'}): {name}{born}"


def evidence_line(explanation: dict[str, Any]) -> str:
    """The fields for and against, strongest first; the context's reason in full."""
    parts = sorted(
        ((k, v) for k, v in explanation.items() if k != "context" and abs(v.get("weight", 0.0)) > 0.05),
        key=lambda kv: -abs(kv[1]["weight"]),
    )
    words = [f"{k} {v['level']} ({v['weight']:+.1f})" for k, v in parts]
    if "context" in explanation:
        words.append(f"context: {explanation['context']['level']}")
    return "; ".join(words)


def matches_cmd(
    found_by: Annotated[
        str | None, typer.Option("--found-by", help="Only pairs found by: model or context.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="Pairs to show.")] = 20,
    offset: Annotated[int, typer.Option(min=0, help="Pairs to skip (the next page).")] = 0,
    actor: Annotated[str, ACTOR] = "cli",
    why: Annotated[str, WHY] = "match review",
) -> None:
    """Pairs waiting for an analyst: scored between the loose and strict thresholds, most likely first,
    with their evidence; decide them with `joindots decide`."""
    with clear_errors(), session_scope(ready_engine()) as session:
        if found_by not in (None, "model", "context"):
            raise InvalidInput(f"--found-by must be model or context, not {found_by!r}")
        if latest_done_run(session) is None:
            raise NotFound("no linkage run yet: run `joindots link` first")
        settings = get_settings()
        strict, loose = settings.match_threshold, settings.loose_match_threshold
        which: FoundBy | None = found_by  # type: ignore[assignment]
        pairs = waiting_pairs(session, strict, loose, limit, offset, which)
        total = count_waiting(session, strict, loose, which)
        table = Table(title=f"match review: {total:,} pairs wait (p {loose} to {strict})")
        for name in ("pair", "p", "found by", "records", "evidence"):
            table.add_column(name)
        for pair in pairs:
            left, right = session.get(PersonRecord, pair.record_l), session.get(PersonRecord, pair.record_r)
            records = escape(f"{_record_line(left)}\n{_record_line(right)}")
            table.add_row(
                str(pair.id), f"{pair.match_probability:.3f}", pair.found_by, records,
                escape(evidence_line(pair.explanation or {})),
            )  # fmt: skip
        console.print(table)
        if pairs:
            console.print(
                f"showing {offset + 1}-{offset + len(pairs)} of {total:,}; decide with "
                "`joindots decide RECORD_A RECORD_B same|different --reason ...`"
            )
            details = {"pairs": [p.id for p in pairs]}
            record_access(
                session, actor=actor, action=Action.CONSULTATION, subject="match review",
                justification=why, details=details,
            )  # fmt: skip


def decide_cmd(
    record_a: Annotated[str, typer.Argument(help=RECORD)],
    record_b: Annotated[str, typer.Argument(help=RECORD)],
    decision: Annotated[str, typer.Argument(help="same or different")],
    reason: Annotated[str, typer.Option("--reason", help="Why, in words.")],
    actor: Annotated[str, ACTOR] = "cli",
) -> None:
    """Record that two records are (or are not) the same person; applied now and by every later run."""
    with clear_errors():
        outcome = decisions.decide(ready_engine(), record_a, record_b, decision, actor, reason)
        console.print(f"decision {outcome.decision_id}: {outcome.message}")


def withdraw_cmd(
    decision_id: Annotated[int, typer.Argument(help="The decision's number.")],
    reason: Annotated[str, typer.Option("--reason", help="Why, in words.")],
    actor: Annotated[str, ACTOR] = "cli",
) -> None:
    """Withdraw a decision: the next run no longer honours it."""
    with clear_errors():
        decisions.withdraw(ready_engine(), decision_id, actor, reason)
        console.print(f"decision {decision_id} withdrawn; the next `joindots link` applies it")


def _few(records: list[int], shown: int = 10) -> str:
    text = ", ".join(map(str, records[:shown]))
    return text + (f" ... ({len(records)} in all)" if len(records) > shown else "")


def _lineage_table(rows: list[Any]) -> Table:
    table = Table(title="lineage")
    for name in ("id", "when", "action", "person", "other persons", "records", "caused by"):
        table.add_column(name)
    for r in rows:
        table.add_row(
            str(r.id), f"{r.at:%Y-%m-%d %H:%M}", r.action, r.person_id, ", ".join(r.other_person_ids),
            _few(r.record_ids), r.caused_by,
        )  # fmt: skip
    return table


def _consulted(session: Any, actor: str, subject: str, why: str) -> None:
    record_access(session, actor=actor, action=Action.CONSULTATION, subject=subject, justification=why)


def person_cmd(
    person_id: Annotated[str, typer.Argument(help="A person ID, e.g. P000123.")],
    actor: Annotated[str, ACTOR] = "cli",
    why: Annotated[str, WHY] = "analysis",
) -> None:
    """A person's records side by side, with how sure each link is, and the person's lineage."""
    with clear_errors(), session_scope(ready_engine()) as session:
        person = session.get(Person, person_id)
        if person is None:
            raise NotFound(f"no person {person_id}")
        table = Table(title=f"{person_id} ({person.status})")
        for name in ("record", "source:id", "role", "name", "born", "sex", "postcode", "p", "by"):
            table.add_column(name)
        for rec, rp in identity.person_records(session, person_id):
            name = " ".join(x for x in (rec.forename, rec.middle_names, rec.surname) if x)
            table.add_row(
                str(rec.id), f"{rec.source}:{rec.record_id}", rec.role, name, str(rec.dob or ""),
                rec.sex or "", rec.postcode or "", f"{rp.match_probability:.3f}", rp.assigned_by,
            )  # fmt: skip
        console.print(table)
        console.print(_lineage_table(lineage.history(session, person_id)))
        _consulted(session, actor, f"person {person_id}", why)


def lineage_cmd(person_id: Annotated[str, typer.Argument(help="A person ID, e.g. P000123.")]) -> None:
    """Every merge, split, move and undo that touched a person."""
    with clear_errors(), session_scope(ready_engine()) as session:
        rows = lineage.history(session, person_id)
        if not rows:
            raise NotFound(f"no lineage for {person_id}")
        console.print(_lineage_table(rows))


def undo_cmd(
    lineage_id: Annotated[int, typer.Argument(help="The lineage entry's number (see `joindots lineage`).")],
    actor: Annotated[str, ACTOR] = "cli",
) -> None:
    """Undo a merge, move or split: its records go back to their former person."""
    with clear_errors():
        outcome = decisions.undo(ready_engine(), lineage_id, actor)
        console.print(outcome.message)


def explain_cmd(
    record_a: Annotated[str, typer.Argument(help=RECORD)],
    record_b: Annotated[str, typer.Argument(help=RECORD)],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    actor: Annotated[str, ACTOR] = "cli",
    why: Annotated[str, WHY] = "analysis",
) -> None:
    """Why two records score as they do: each field's level and weight (a waterfall)."""
    with clear_errors():
        engine = ready_engine()
        with session_scope(engine) as session:
            a, b = (decisions.resolve_record(session, r) for r in (record_a, record_b))
            _consulted(session, actor, f"records {a} and {b}", why)
        found = explain_records(engine, a, b)
    if as_json:
        typer.echo(json.dumps(found, indent=2, default=str))
        return
    table = Table(title=f"records {found['record_a']} and {found['record_b']} (run {found['run_id']})")
    for name in ("field", "level", "weight", "running total"):
        table.add_column(name)
    total = float(found.get("prior", {}).get("weight", 0.0))
    if "prior" in found:
        table.add_row("prior", "", f"{total:+.2f}", f"{total:+.2f}")
    for field, part in found["fields"].items():
        total += float(part["weight"])
        table.add_row(field, str(part["level"]), f"{float(part['weight']):+.2f}", f"{total:+.2f}")
    table.add_row("match", "", f"{found['match_weight']:+.2f}", f"p = {found['match_probability']:.4f}")
    console.print(table)


def evaluate_cmd(
    truth: Annotated[Path, typer.Option("--truth", help="The world's truth/records.csv.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the figures in full as JSON instead of tables.")
    ] = False,
) -> None:
    """Precision, recall and F1 (pairwise) and B-cubed of the current persons: overall, by source, and
    by what each record gives (a full name and a birth date, a first name only...)."""
    from joindots.link.evaluate import SHAPE_FIELDS, blocking_recall, evaluate, truth_labels
    from joindots.link.frame import load_person_frame

    with clear_errors():
        if not truth.is_file():
            raise NotFound(f"no truth file {truth}")
        columns = ("id", "source", "record_id", *SHAPE_FIELDS)
        engine = ready_engine()
        with session_scope(engine) as session:
            rows = session.execute(select(*(getattr(PersonRecord, c) for c in columns))).all()
            records = pd.DataFrame(rows, columns=["unique_id", *columns[1:]])
            current = identity.current_persons(session)
            run = latest_done_run(session)
            rules = run.model.get("blocking_rules_to_generate_predictions", []) if run and run.model else []
        clusters = pd.DataFrame({"unique_id": list(current), "person_id": list(current.values())})
        result = evaluate(clusters, truth, records)
    if as_json:
        if rules:
            frame = load_person_frame(engine)
            result["blocking"] = blocking_recall(frame, rules, truth_labels(frame, truth))
        typer.echo(json.dumps(result, indent=2, default=float))
        return
    console.print(
        _scores_table(f"evaluation over {result['records']} records", "source", result, "by_source")
    )
    console.print(_scores_table("by what the record gives", "record gives", result, "by_shape"))
    if rules:
        frame = load_person_frame(engine)
        blocked = blocking_recall(frame, rules, truth_labels(frame, truth))
        console.print(
            f"blocking: {blocked['candidates']:,} of {blocked['true_pairs']:,} true pairs are candidates "
            f"of the last run's blocking rules (blocking recall {blocked['recall']:.4f}); "
            "the context step can join records beyond them"
        )


def _scores_table(title: str, scope_name: str, result: dict[str, Any], by: str) -> Table:
    table = Table(title=title)
    table.add_column(scope_name, no_wrap=True)
    for name in ("records", "precision", "recall", "F1", "B3 precision", "B3 recall", "B3 F1"):
        table.add_column(name, justify="right")
    for scope, r in [("all", result), *result[by].items()]:
        p, b = r["pairwise"], r["bcubed"]
        cells = [p["precision"], p["recall"], p["f1"], b["precision"], b["recall"], b["f1"]]
        table.add_row(scope, str(r["records"]), *(f"{c:.3f}" for c in cells))
    return table


@export_app.command("persons")
def export_persons_cmd(
    out: Annotated[Path, typer.Option("--out", help="CSV file to write.")],
    actor: Annotated[str, ACTOR] = "cli",
    why: Annotated[str, WHY] = "export of resolved persons",
) -> None:
    """Every record with its person ID and match probability, as CSV (logged as a disclosure)."""
    with clear_errors(), session_scope(ready_engine()) as session:
        rows = identity.assignment_rows(session)
        with out.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["source", "record_id", "person_id", "match_probability"])
            for source, record_id, person_id, p in rows:
                writer.writerow(
                    [_safe(source), _safe(record_id), _safe(person_id), "" if p is None else f"{p:.6f}"]
                )
        record_access(
            session, actor=actor, action=Action.DISCLOSURE, subject="persons export", justification=why,
            recipient=str(out), details={"rows": len(rows), "file": str(out)},
        )  # fmt: skip
    console.print(f"{len(rows)} records written to {out}")


def register(app: typer.Typer) -> None:
    app.command("link")(link_cmd)
    app.command("matches")(matches_cmd)
    app.command("decide")(decide_cmd)
    app.command("withdraw")(withdraw_cmd)
    app.command("person")(person_cmd)
    app.command("lineage")(lineage_cmd)
    app.command("undo")(undo_cmd)
    app.command("explain")(explain_cmd)
    app.command("evaluate")(evaluate_cmd)
