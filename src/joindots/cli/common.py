"""Helpers every CLI module shares: the console, the engine, and turning domain errors into exits."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from joindots.errors import JoindotsError
from joindots.settings import get_settings
from joindots.store.db import default_engine, migrate

console = Console(stderr=False)
err_console = Console(stderr=True)
DATABASE_EXIT = 2


def shown_url(url: str) -> str:
    """A database URL fit to print: the password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:  # not a URL at all: hide anything between ':' and '@' all the same
        return re.sub(r"(//[^:/@]*:)[^@]*@", r"\1***@", url)


def ready_engine() -> Engine:
    """The configured database, migrated to the newest schema; a database that cannot be opened
    (a missing folder, a server refusing, a bogus URL) is a clear message and a non-zero exit."""
    try:
        engine = default_engine()
        migrate(engine)
    except (SQLAlchemyError, ImportError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        err_console.print(
            f"[bold red]error:[/] cannot open the database {escape(shown_url(get_settings().database_url))}: "
            f"{escape(reason)}; set --db or JOINDOTS_DATABASE_URL"
        )
        raise typer.Exit(code=DATABASE_EXIT) from exc
    return engine


@contextmanager
def clear_errors() -> Iterator[None]:
    """Turn a domain error into a clear message and a non-zero exit, with no traceback."""
    try:
        yield
    except JoindotsError as exc:
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}")
        raise typer.Exit(code=exc.exit_code) from exc
