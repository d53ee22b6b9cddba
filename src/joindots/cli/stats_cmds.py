"""`joindots stats --out DIR`: aggregate statistics with disclosure control (CSV, HTML, xlsx)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from joindots.cli.common import clear_errors, console, ready_engine
from joindots.settings import get_settings
from joindots.stats.service import assumptions, describe_settings, recorded_base, release_log, run_stats
from joindots.store.db import session_scope


def stats_cmd(
    out: Annotated[Path, typer.Option("--out", help="Folder for tables/*.csv, stats.html and stats.xlsx.")],
    actor: Annotated[str, typer.Option("--actor", help="Who is acting (written to the access log).")] = "cli",
) -> None:
    """Publish suspect and victim tables with small counts suppressed as \\[c], logged as a release with
    its threshold and rounding base."""
    with clear_errors():
        engine = ready_engine()
        with console.status("building statistics"):
            release, tables, basis = run_stats(engine, out, actor)
    suppressed = sum(len(t.protected.suppressed) for t in tables)
    console.print(f"release {release}: {len(tables)} tables, {suppressed} cells suppressed; counted {basis}")
    settings = get_settings()
    recorded = recorded_base(settings.disclosure_round_totals)
    console.print(f"protected: {describe_settings(settings.disclosure_threshold, recorded)}", markup=False)
    for line in assumptions(tables):
        console.print(f"difference check: {line}", markup=False)
    console.print(f"written to {out}")


def stats_releases_cmd(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the log as JSON instead of a table.")
    ] = False,
) -> None:
    """The statistics release log, newest first: each release's date, who made it, its tables, the
    cells it suppressed and the protection it was made with (threshold and rounding base). No counts."""
    with clear_errors(), session_scope(ready_engine()) as session:
        log = release_log(session)
    if as_json:
        typer.echo(json.dumps(log, indent=2))
        return
    table = Table(title=f"statistics releases ({len(log)})")
    for name in ("release", "when (UTC)", "by", "tables", "cells suppressed", "protection"):
        table.add_column(name)
    for r in log:
        cells = r["cells_suppressed"]
        table.add_row(
            str(r["release"]),
            r["released_at"],
            r["released_by"],
            str(len(cells)),
            str(sum(cells.values())),
            r["protection"],
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("stats")(stats_cmd)
    app.command("stats-releases")(stats_releases_cmd)
