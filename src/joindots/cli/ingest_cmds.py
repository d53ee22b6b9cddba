"""`joindots ingest` and `joindots ingest-dir`: load agency files by their mappings."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from joindots.cli.common import clear_errors, console, ready_engine
from joindots.ingest.load import LoadReport, ingest_dir, ingest_file

ACTOR = typer.Option("--actor", help="Who is loading (written to the access log).")


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        TextColumn("{task.completed:,} rows"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def report_table(reports: list[LoadReport]) -> Table:
    """Rows read, loaded, quarantined and already loaded per file, with what normalising changed."""
    table = Table(title="load report")
    for name in ("source", "read", "loaded", "quarantined", "already", "persons", "events"):
        table.add_column(name, justify="left" if name == "source" else "right", no_wrap=True)
    table.add_column("notes")
    for r in reports:
        notes = [f"{k}: {v}" for k, v in r.quarantined_by_reason.items()]
        notes += [f"{k}: {v}" for k, v in r.values.items()]
        if r.missing_optional_columns:
            notes.append(f"missing optional columns: {', '.join(r.missing_optional_columns)}")
        if r.status == "unchanged":
            notes.insert(0, "unchanged: every row already loaded")
        table.add_row(
            r.source, f"{r.rows_read:,}", f"{r.rows_loaded:,}", f"{r.rows_quarantined:,}",
            f"{r.rows_already_loaded:,}", f"{r.person_records:,}", f"{r.events:,}", "\n".join(notes),
        )  # fmt: skip
    return table


def ingest(
    file: Annotated[Path, typer.Argument(help="The agency's file (CSV, Excel or Parquet).")],
    mapping: Annotated[Path, typer.Option("--mapping", "-m", help="The mapping file (YAML) for it.")],
    actor: Annotated[str, ACTOR] = "cli",
) -> None:
    """Load one file by its mapping: one atomic batch; bad rows are quarantined with a reason."""
    with clear_errors(), _progress() as bar:
        task = bar.add_task(file.name, total=None)
        report = ingest_file(
            ready_engine(), file, mapping, actor, lambda _name, done: bar.update(task, completed=done)
        )
    console.print(report_table([report]))


def ingest_dir_cmd(
    world_dir: Annotated[Path, typer.Argument(help="A folder with sources/ and mappings/<source>.yaml.")],
    actor: Annotated[str, ACTOR] = "cli",
) -> None:
    """Load every file in WORLD_DIR/sources by WORLD_DIR/mappings/<file stem>.yaml."""
    with clear_errors(), _progress() as bar:
        tasks: dict[str, TaskID] = {}

        def tell(name: str, done: int) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task(name, total=None)
            bar.update(tasks[name], completed=done)

        reports = ingest_dir(ready_engine(), world_dir, actor, tell)
    console.print(report_table(reports))


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)
    app.command("ingest-dir")(ingest_dir_cmd)
