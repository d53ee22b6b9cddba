"""`joindots screen`, `joindots review assign|decide` and `joindots export review-queue`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from joindots.cli.common import clear_errors, console, ready_engine
from joindots.cli.export_cmds import export_app
from joindots.screening import ScreenReport, screen
from joindots.screening.service import DECISIONS, assign_item, decide_item, export_queue, queue
from joindots.screening.tables import ReviewItem
from joindots.store.db import session_scope

ACTOR = typer.Option("--actor", help="Who is acting (written to the access log).")
review_app = typer.Typer(help="Assign review items and record decisions on them.", no_args_is_help=True)


def queue_table(items: list[ReviewItem]) -> Table:
    table = Table(title="review queue (highest priority first)")
    for name in ("item", "case", "priority", "status", "why (weight)"):
        table.add_column(name, justify="right" if name in ("item", "priority") else "left")
    for item in items:
        parts = ", ".join(f"{p['rule']} {p['weight']}" for p in item.parts)
        why = parts + "\n" + "\n".join(f"- {r}" for r in item.reasons)
        table.add_row(str(item.id), f"{item.source} {item.case_ref}", str(item.priority), item.status, why)
    return table


def changes_table(report: ScreenReport, limit: int) -> Table:
    table = Table(title=f"changes since the last screen ({len(report.changes)})")
    for name in ("item", "case", "change", "priority", "why"):
        table.add_column(name)
    for c in report.changes[:limit]:
        table.add_row(str(c.item_id), f"{c.source} {c.case_ref}", c.change, f"{c.before} -> {c.after}", c.why)
    return table


def screen_cmd(
    top: Annotated[int, typer.Option("--top", help="How many queue items to show.")] = 20,
    rules: Annotated[Path | None, typer.Option("--rules", help="A rule file to use instead.")] = None,
    actor: Annotated[str, ACTOR] = "cli",
) -> None:
    """Screen every case against the review rules and show the queue and what changed."""
    with clear_errors():
        engine = ready_engine()
        with console.status("screening cases"):
            report = screen(engine, actor, rules)
        with session_scope(engine) as session:
            items = queue(session, limit=top)
            console.print(queue_table(items))
    console.print(changes_table(report, top))
    counts = ", ".join(f"{report.count(c)} {c}" for c in ("new", "raised", "lowered", "resolved"))
    console.print(f"rules {report.rules_version}: {report.active} cases on the queue; {counts}")
    if not report.resolved_links:
        console.print(
            "[yellow]no linkage results yet: people are matched on exact name and birth date only[/]"
        )


@review_app.command("assign")
def assign_cmd(
    item: Annotated[int, typer.Argument(help="The review item's number.")],
    to: Annotated[str, typer.Option("--to", help="The reviewer it goes to.")],
    actor: Annotated[str, ACTOR] = "cli",
) -> None:
    """Assign a review item to a reviewer."""
    with clear_errors(), session_scope(ready_engine()) as session:
        found = assign_item(session, item, to, actor)
        console.print(f"item {found.id} ({found.source} {found.case_ref}) assigned to {found.assigned_to}")


@review_app.command("decide")
def decide_cmd(
    item: Annotated[int, typer.Argument(help="The review item's number.")],
    decision: Annotated[str, typer.Argument(help="One of: " + ", ".join(DECISIONS) + ".")],
    reason: Annotated[str, typer.Option("--reason", help="Why, in words.")],
    actor: Annotated[str, ACTOR] = "cli",
) -> None:
    """Record a decision on a review item (kept through later screens)."""
    with clear_errors(), session_scope(ready_engine()) as session:
        decide_item(session, item, decision, reason, actor)
        console.print(f"item {item}: {decision} recorded")


@export_app.command("review-queue")
def export_review_queue(
    out: Annotated[Path, typer.Option("--out", help="The CSV file to write.")],
    actor: Annotated[str, ACTOR] = "cli",
) -> None:
    """Export the review queue as CSV: case_ref, priority, rules, reasons (logged as a disclosure)."""
    with clear_errors(), session_scope(ready_engine()) as session:
        n = export_queue(session, out, actor)
    console.print(f"{n} review items written to {out}")


def register(app: typer.Typer) -> None:
    app.command("screen")(screen_cmd)
    app.add_typer(review_app, name="review")
