"""`joindots serve`, users (`create-admin`, `user add`, `user token`) and the access log
(`audit verify`, `audit search`)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import Engine

from joindots.audit import Action, LogQuery, search_log, verify_chain
from joindots.auth.roles import Role
from joindots.auth.users import create_user, issue_token
from joindots.cli.common import clear_errors, console, err_console, ready_engine
from joindots.store.db import session_scope

user_app = typer.Typer(help="Users of the web app and API.", no_args_is_help=True)
audit_app = typer.Typer(
    help="The access log (DPA 2018 s.62): verify its chain, search it.", no_args_is_help=True
)


def _actor() -> str:
    import getpass
    import os

    return os.environ.get("JOINDOTS_USER", getpass.getuser())


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Serve the web app and JSON API (OpenAPI at /openapi.json)."""
    engine = ready_engine()
    console.print(f"joindots on http://{host}:{port}/  (sign in; create users with `joindots user add`)")
    serve_app(engine, host, port)


def serve_app(engine: Engine, host: str, port: int) -> None:
    """Serve until stopped, warming the instant matcher in the background meanwhile."""
    import threading

    import uvicorn

    from joindots.intake.matching import warm_up
    from joindots.web import create_app

    threading.Thread(target=warm_up, args=(engine,), name="instant-warm-up", daemon=True).start()
    uvicorn.run(create_app(engine=engine), host=host, port=port, log_level="info", access_log=False)


def _print_secret(username: str, role: str, secret: str) -> None:
    console.print(f"user [bold]{username}[/] ({role}) created. One-time password (shown once, not stored):")
    console.print(f"  {secret}", highlight=False, soft_wrap=True)


def create_admin(username: Annotated[str, typer.Argument(help="The admin's username.")]) -> None:
    """Create an admin and print a one-time password (there is never a default password)."""
    with clear_errors(), session_scope(ready_engine()) as session:
        secret = create_user(session, username, Role.ADMIN, created_by=_actor())
    _print_secret(username, "admin", secret)


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="Lower-case username.")],
    role: Annotated[Role, typer.Option(help="What the user may do.")],
) -> None:
    """Add a user with a role and print their one-time password."""
    with clear_errors(), session_scope(ready_engine()) as session:
        secret = create_user(session, username, role, created_by=_actor())
    _print_secret(username, role.value, secret)


@user_app.command("token")
def user_token(
    username: Annotated[str, typer.Argument(help="Whose token.")],
    label: Annotated[str, typer.Option(help="What the token is for.")] = "api",
) -> None:
    """Issue an API bearer token for a user (printed once, stored only as a hash)."""
    with clear_errors(), session_scope(ready_engine()) as session:
        token = issue_token(session, username, label)
    console.print(token, highlight=False, soft_wrap=True)


@audit_app.command("verify")
def audit_verify() -> None:
    """Recompute the hash chain of the access log; exit 1 if any entry was altered or removed."""
    with session_scope(ready_engine()) as session:
        report = verify_chain(session)
    if report.ok:
        console.print(f"access log intact: {report.entries} entries verified")
        return
    err_console.print(f"[bold red]access log BROKEN[/] at entry {report.first_bad_id}: {report.problem}")
    raise typer.Exit(code=1)


@audit_app.command("search")
def audit_search(
    actor: Annotated[str | None, typer.Option(help="Who acted.")] = None,
    action: Annotated[Action | None, typer.Option(help="What kind of processing.")] = None,
    subject: Annotated[str | None, typer.Option(help="Part of the subject, e.g. P000123.")] = None,
    since: Annotated[dt.datetime | None, typer.Option(help="From this UTC time.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
) -> None:
    """Search the access log, newest first."""
    query = LogQuery(actor, action.value if action else None, subject, since, None, limit)
    with session_scope(ready_engine()) as session:
        total, entries = search_log(session, query)
    table = Table("id", "when (UTC)", "who", "action", "subject", "why", "recipient")
    for e in entries:
        table.add_row(
            str(e.id),
            e.at.strftime("%Y-%m-%d %H:%M:%S"),
            e.actor,
            e.action,
            e.subject,
            e.justification,
            e.recipient or "",
        )
    console.print(table)
    console.print(f"{total} entries match; {len(entries)} shown")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("create-admin")(create_admin)
    app.add_typer(user_app, name="user")
    app.add_typer(audit_app, name="audit")
