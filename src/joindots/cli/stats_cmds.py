"""`joindots stats --out DIR`: aggregate statistics with disclosure control (CSV, HTML, xlsx)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from joindots.cli.common import clear_errors, console, ready_engine
from joindots.settings import get_settings
from joindots.stats.service import assumptions, describe_settings, recorded_base, run_stats


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


def register(app: typer.Typer) -> None:
    app.command("stats")(stats_cmd)
