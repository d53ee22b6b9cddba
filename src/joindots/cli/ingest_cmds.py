"""`joindots ingest` and `joindots ingest-dir`: load agency files by their mappings."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from joindots.cli.common import clear_errors, console, ready_engine
from joindots.ingest.load import LoadReport, PartialLoad, ingest_dir, ingest_file

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


def _notes(r: LoadReport) -> list[str]:
    """What a report's notes column says: why a file failed or was skipped, then what happened."""
    if r.status in {"failed", "skipped"}:
        return [f"{r.status}: {r.error}"]
    notes = [f"{k}: {v}" for k, v in r.quarantined_by_reason.items()]
    notes += [f"{k}: {v}" for k, v in r.values.items()]
    if r.missing_optional_columns:
        notes.append(f"missing optional columns: {', '.join(r.missing_optional_columns)}")
    if r.rows_changed_since_loaded:
        more = " ..." if r.rows_changed_since_loaded > len(r.changed_record_ids) else ""
        notes.append(
            f"changed since loaded, not loaded again: {r.rows_changed_since_loaded} "
            f"({', '.join(r.changed_record_ids)}{more})"
        )
    if r.status == "unchanged":
        notes.insert(0, "unchanged: every row already loaded")
    return notes


def report_table(reports: list[LoadReport], by_file: bool = False) -> Table:
    """Rows read, loaded, quarantined and already loaded per source (or per file, for a folder),
    with what normalising changed and why a file failed or was skipped."""
    table = Table(title="load report")
    first = "file" if by_file else "source"
    for name in (first, "read", "loaded", "quarantined", "already", "persons", "events"):
        table.add_column(name, justify="left" if name == first else "right", no_wrap=True)
    table.add_column("notes")
    for r in reports:
        table.add_row(
            escape(r.file_name if by_file else r.source), f"{r.rows_read:,}", f"{r.rows_loaded:,}",
            f"{r.rows_quarantined:,}", f"{r.rows_already_loaded:,}", f"{r.person_records:,}",
            f"{r.events:,}", escape("\n".join(_notes(r))),
        )  # fmt: skip
    return table


def ingest(
    file: Annotated[Path, typer.Argument(help="The agency's file (CSV, Excel or Parquet).")],
    mapping: Annotated[Path, typer.Option("--mapping", "-m", help="The mapping file (YAML) for it.")],
    actor: Annotated[str, ACTOR] = "cli",
    force: Annotated[
        bool, typer.Option("--force", help="Load a file even if it was loaded before under another source.")
    ] = False,
) -> None:
    """Load one file by its mapping: one atomic batch; bad rows are quarantined with a reason."""
    with clear_errors():
        engine = ready_engine()
        with _progress() as bar:
            task = bar.add_task(escape(file.name), total=None)
            report = ingest_file(
                engine,
                file,
                mapping,
                actor,
                lambda _name, done: bar.update(task, completed=done),
                force=force,
            )
    console.print(report_table([report]))


def ingest_dir_cmd(
    world_dir: Annotated[Path, typer.Argument(help="A folder with sources/ and mappings/<source>.yaml.")],
    actor: Annotated[str, ACTOR] = "cli",
) -> None:
    """Load every file in WORLD_DIR/sources by WORLD_DIR/mappings/<file stem>.yaml, each in its own
    batch; every file is reported (loaded, unchanged, skipped or failed, with why), and the exit is
    non-zero when any failed."""
    with clear_errors():
        engine = ready_engine()
        tasks: dict[str, TaskID] = {}
        try:
            with _progress() as bar:

                def tell(name: str, done: int) -> None:
                    if name not in tasks:
                        tasks[name] = bar.add_task(escape(name), total=None)
                    bar.update(tasks[name], completed=done)

                reports = ingest_dir(engine, world_dir, actor, tell)
        except PartialLoad as exc:
            console.print(report_table(exc.reports, by_file=True))
            raise
    console.print(report_table(reports, by_file=True))


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)
    app.command("ingest-dir")(ingest_dir_cmd)
