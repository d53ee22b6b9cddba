"""`joindots synth`: make the synthetic multi-agency world (sources, mappings, ground truth)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from joindots.cli.common import clear_errors, console
from joindots.synth import WorldSummary, generate_world
from joindots.synth.world import STEPS


def synth(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write sources/, mappings/ and truth/ into.")],
    people: Annotated[
        int, typer.Option("--people", "-n", help="How many people live in the world.")
    ] = 10_000,
    seed: Annotated[
        int, typer.Option("--seed", "-s", help="Random seed: the same seed gives the same files.")
    ] = 1,
    child_rate: Annotated[float, typer.Option(help="Children at risk as a share of people.")] = 0.007,
    suspect_ethnicity_recorded: Annotated[
        float, typer.Option(help="Share of suspects whose ethnicity and nationality the police record.")
    ] = 1 / 3,
) -> None:
    """Make a synthetic world of seven agencies' files with ground truth (synthetic people only)."""
    with (
        clear_errors(),
        Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar,
    ):
        task = bar.add_task("people", total=STEPS)

        def tell(what: str, done: int) -> None:
            bar.update(task, description=what, completed=done)

        summary = generate_world(
            out_dir,
            people,
            seed,
            progress=tell,
            child_rate=child_rate,
            suspect_ethnicity_recorded=suspect_ethnicity_recorded,
        )
    console.print(summary_table(summary))


def summary_table(summary: WorldSummary) -> Table:
    """Rows and person records per source, and what the world holds."""
    table = Table(title=f"world in {summary.out_dir} ({summary.people:,} people, seed {summary.seed})")
    table.add_column("source")
    table.add_column("rows", justify="right")
    table.add_column("person records", justify="right")
    for source, rows in summary.rows.items():
        table.add_row(source, f"{rows:,}", f"{summary.records.get(source, 0):,}")
    table.add_row("[bold]total", f"{sum(summary.rows.values()):,}", f"{summary.total_records:,}")
    kinds = ", ".join(f"{k} {v:,}" for k, v in sorted(summary.kinds.items()))
    table.caption = (
        f"{kinds}; {summary.groups} groups; {summary.cases_to_review:,} of {summary.cases:,} cases deserve review; "
        f"{summary.seconds:.1f} s"
    )
    return table


def register(app: typer.Typer) -> None:
    app.command("synth")(synth)
