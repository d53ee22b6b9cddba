"""`joindots init-db`: create or upgrade the system of record."""

from __future__ import annotations

import typer

from joindots.cli.common import console, ready_engine


def init_db() -> None:
    """Create the database, or bring it to the newest schema."""
    engine = ready_engine()
    console.print(f"database ready: {engine.url.render_as_string(hide_password=True)}")


def register(app: typer.Typer) -> None:
    app.command("init-db")(init_db)
