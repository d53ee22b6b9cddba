"""`joindots demo`: the whole job on a synthetic world, then the web app to look at it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from joindots.auth.roles import Role
from joindots.cli.common import clear_errors, console, ready_engine
from joindots.cli.web_cmds import serve_app
from joindots.pipeline import STEPS, PipelineSummary, demo_users, describe, run_pipeline
from joindots.settings import get_settings


def _steps_table(summary: PipelineSummary) -> Table:
    table = Table(title=f"demo world in {summary.world_dir}")
    table.add_column("step")
    table.add_column("what it did")
    table.add_column("seconds", justify="right")
    for row in describe(summary):
        table.add_row(row["step"], row["result"], f"{row['seconds']:.1f}")
    return table


def _users_table(users: dict[str, tuple[Role, str]]) -> Table:
    table = Table(title="sign in as (one-time passwords, shown once, not stored)")
    for name in ("username", "role", "password"):
        table.add_column(name, no_wrap=True)
    for username, (role, secret) in users.items():
        table.add_row(username, role.value, secret)
    return table


def demo(
    people: Annotated[int, typer.Option("--people", "-n", help="People in the synthetic world.")] = 10_000,
    seed: Annotated[int, typer.Option("--seed", "-s", help="Seed of the synthetic world.")] = 1,
    work: Annotated[
        Path | None, typer.Option("--work", help="Folder for the world and outputs (default: WORK_DIR/demo).")
    ] = None,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve the web app afterwards.")] = True,
    host: Annotated[str, typer.Option(help="Address to serve on (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8000,
) -> None:
    """Make a synthetic world, ingest, link, find groups, screen, score quality, publish stats, file
    sample reports about its people (matched at once), serve."""
    work_dir = work or get_settings().work_dir / "demo"
    with clear_errors():
        engine = ready_engine()
        with Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), TimeElapsedColumn(),
            console=console, transient=True,
        ) as bar:  # fmt: skip
            task = bar.add_task("demo", total=len(STEPS))

            def tell(step: str) -> None:
                bar.update(task, description=step, completed=STEPS.index(step))

            summary = run_pipeline(engine, work_dir, people=people, seed=seed, actor="demo", tell=tell)
        console.print(_steps_table(summary))
        users = demo_users(engine, actor="demo")
    console.print(_users_table(users))
    console.print(
        f"Open [bold]http://{host}:{port}/[/] and sign in (you will choose your own password first), "
        f"giving the purpose of your session "
        f"(10 characters or more, e.g. 'Demo: exploring the synthetic world'). "
        f"Truth for checking: {summary.world_dir / 'truth'}."
    )
    if not serve:
        console.print("Serve it later with: joindots serve")
        return
    serve_app(engine, host, port)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
