"""`joindots quality --out DIR`: the data-quality scorecard and feedback for each data owner."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from joindots.cli.common import clear_errors, console, ready_engine
from joindots.quality.service import run_quality


def quality_cmd(
    out: Annotated[Path, typer.Option("--out", help="Folder for scorecard.csv, scorecard.html, feedback/.")],
    mappings: Annotated[
        Path | None,
        typer.Option("--mappings", help="Folder of the sources' mapping files (bundled if unset)."),
    ] = None,
    actor: Annotated[str, typer.Option("--actor", help="Who is acting (written to the access log).")] = "cli",
) -> None:
    """Score every source's data quality by field and year, and list failing records per source."""
    with clear_errors():
        engine = ready_engine()
        with console.status("scoring data quality"):
            card = run_quality(engine, out, actor, mappings)
    failing = len(card.feedback)
    console.print(f"{len(card.rows)} scorecard rows, {failing} failing record checks; written to {out}")


def register(app: typer.Typer) -> None:
    app.command("quality")(quality_cmd)
