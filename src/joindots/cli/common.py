"""Helpers every CLI module shares: the console, the engine, and turning domain errors into exits."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from sqlalchemy import Engine

from joindots.errors import JoindotsError
from joindots.store.db import default_engine, migrate

console = Console(stderr=False)
err_console = Console(stderr=True)


def ready_engine() -> Engine:
    """The configured database, migrated to the newest schema."""
    engine = default_engine()
    migrate(engine)
    return engine


@contextmanager
def clear_errors() -> Iterator[None]:
    """Turn a domain error into a clear message and a non-zero exit, with no traceback."""
    try:
        yield
    except JoindotsError as exc:
        err_console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(code=exc.exit_code) from exc
