"""`joindots groups`, `evaluate-groups`, `timeline`, and `export groups` / `export network`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from joindots.audit import Action, record_access
from joindots.cli.common import clear_errors, console, ready_engine
from joindots.cli.export_cmds import export_app
from joindots.errors import InvalidInput
from joindots.settings import get_settings
from joindots.store.db import session_scope

ACTOR = typer.Option("--actor", help="Who is acting (written to the access log).")
WHY = typer.Option("--why", help="Why (written to the access log).")


def groups_cmd(actor: Annotated[str, ACTOR] = "cli") -> None:
    """Find offender groups at the strict and the loose identity threshold and show how stable they are."""
    from joindots.network.groups import build_groups
    from joindots.network.service import web_summary

    with clear_errors():
        engine = ready_engine()
        with console.status("building the network and finding groups"):
            build = build_groups(engine, actor)
        with session_scope(engine) as session:
            groups = web_summary(session)
    table = Table(title=f"network build {build.id}: {len(groups)} groups")
    for name in ("group", "view", "size", "stability", "victims", "uncertain ties", "members"):
        table.add_column(name)
    for g in groups:
        members = ", ".join(g["members"][:6]) + (" ..." if len(g["members"]) > 6 else "")
        table.add_row(g["key"], g["view"], str(g["size"]), g["stability"], str(len(g["victims"])),
                      str(g["uncertain_ties"]), members)  # fmt: skip
    console.print(table)


def evaluate_groups_cmd(
    truth: Annotated[Path, typer.Option("--truth", help="The world's truth/groups.csv.")],
    view: Annotated[str, typer.Option("--view", help="strict or loose.")] = "strict",
) -> None:
    """Share of true groups found (best member F1 >= 0.8), with truth/records.csv beside groups.csv."""
    from joindots.network.evaluate import evaluate_groups

    with clear_errors(), session_scope(ready_engine()) as session:
        if view not in ("strict", "loose"):
            raise InvalidInput(f"unknown view {view!r}: use strict or loose")
        result = evaluate_groups(session, truth, truth.with_name("records.csv"), view)
    table = Table(title=f"groups found ({result['view']} view)")
    for name in ("true group", "size", "best match", "member F1"):
        table.add_column(name)
    for g in result["groups"]:
        table.add_row(g["true_group"], str(g["size"]), g["best_group"], f"{g['f1']:.3f}")
    console.print(table)
    console.print(
        f"{result['found']} of {result['true_groups']} true groups found with member F1 >= 0.8 "
        f"(share {result['share_found']:.3f}); {result['our_groups']} groups built"
    )
    console.print(
        f"on the members on record ({result['members_without_record']} without a record in any "
        f"source): {result['found_on_record']} of {result['true_groups']} "
        f"(share {result['share_found_on_record']:.3f})"
    )


def timeline_cmd(
    key: Annotated[str, typer.Argument(help="A person ID (P000123) or a group key (G00012).")],
    actor: Annotated[str, ACTOR] = "cli",
    why: Annotated[str, WHY] = "timeline review",
) -> None:
    """Events of a person or a group in date order, with their sources."""
    from joindots.network.service import timeline

    with clear_errors():
        engine = ready_engine()
        events = timeline(engine, key)
        with session_scope(engine) as session:
            record_access(session, actor=actor, action=Action.CONSULTATION, subject=key, justification=why)
    table = Table(title=f"timeline of {key}")
    for name in ("date", "type", "event", "place", "people", "sources"):
        table.add_column(name)
    for e in events:
        table.add_row(e["date"] or "?", e["type"], e["event"], e["place"] or "", ", ".join(e["people"]),
                      ", ".join(e["sources"]))  # fmt: skip
    console.print(table)


@export_app.command("groups")
def export_groups_cmd(
    out: Annotated[Path, typer.Option("--out", help="CSV file to write.")],
    view: Annotated[str, typer.Option("--view", help="strict, loose or all.")] = "strict",
    actor: Annotated[str, ACTOR] = "cli",
    why: Annotated[str, WHY] = "export of offender groups",
) -> None:
    """Groups of the latest build as CSV: group_id, person_id, role (offender or victim)."""
    from joindots.network.exports import group_rows, write_groups_csv

    with clear_errors(), session_scope(ready_engine()) as session:
        if view not in ("strict", "loose", "all"):
            raise InvalidInput(f"unknown view {view!r}: use strict, loose or all")
        rows = group_rows(session, None if view == "all" else view)
        write_groups_csv(rows, out)
        record_access(session, actor=actor, action=Action.DISCLOSURE, subject="groups export",
                      justification=why, recipient=str(out), details={"rows": len(rows)})  # fmt: skip
    console.print(f"{len(rows)} rows written to {out}")


@export_app.command("network")
def export_network_cmd(
    out: Annotated[Path, typer.Option("--out", help="File to write.")],
    fmt: Annotated[str, typer.Option("--format", help="anx, graphml or csv.")] = "anx",
    group: Annotated[str | None, typer.Option("--group", help="Only this group (key).")] = None,
    actor: Annotated[str, ACTOR] = "cli",
    why: Annotated[str, WHY] = "export of the network",
) -> None:
    """The POLE network (or one group's part) as i2 ANX, GraphML or CSV (logged as a disclosure)."""
    from joindots.network import exports

    with clear_errors():
        if fmt not in ("anx", "graphml", "csv"):
            raise InvalidInput(f"unknown format {fmt!r}: use anx, graphml or csv")
        settings = get_settings()
        with session_scope(ready_engine()) as session:
            graph = exports.network_graph(session, group)
            if fmt == "anx":
                exports.write_anx(graph, out, settings.match_threshold, settings.loose_match_threshold)
            elif fmt == "graphml":
                exports.write_graphml(graph, out)
            else:
                exports.write_network_csv(graph, out)
            details = {
                "format": fmt,
                "group": group,
                "nodes": graph.number_of_nodes(),
                "links": graph.number_of_edges(),
            }
            record_access(session, actor=actor, action=Action.DISCLOSURE, subject=f"network export {group or 'all'}",
                          justification=why, recipient=str(out), details=details)  # fmt: skip
    console.print(f"{graph.number_of_nodes()} entities and {graph.number_of_edges()} links written to {out}")


def register(app: typer.Typer) -> None:
    app.command("groups")(groups_cmd)
    app.command("evaluate-groups")(evaluate_groups_cmd)
    app.command("timeline")(timeline_cmd)
