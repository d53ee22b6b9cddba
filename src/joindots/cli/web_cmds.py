"""`joindots serve`, users (`create-admin`, `user add`, `user token`, `user tokens`, `user
revoke-tokens`, `user disable`, `user enable`, `user reset-password`, `user list`) and the access log
(`audit verify`, `audit search`). What is done to an account is logged with who (`JOINDOTS_USER` or
the login name) and why (`--why`)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import Engine

from joindots.audit import Action, LogQuery, people_of, search_log, verify_chain
from joindots.auth import accounts
from joindots.auth.roles import Role
from joindots.cli.common import clear_errors, console, err_console, ready_engine
from joindots.settings import get_settings
from joindots.store.db import session_scope

user_app = typer.Typer(help="Users of the web app and API.", no_args_is_help=True)
WHY = typer.Option("--why", help="Why (5 characters or more; written to the access log).")
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


def create_admin(
    username: Annotated[str, typer.Argument(help="The admin's username.")],
    why: Annotated[
        str, typer.Option("--why", help="Why (written to the access log).")
    ] = "an admin for this joindots",
) -> None:
    """Create an admin and print a one-time password (there is never a default password)."""
    with clear_errors(), session_scope(ready_engine()) as session:
        secret = accounts.add_user(session, username, Role.ADMIN, actor=_actor(), why=why)
    _print_secret(username, "admin", secret)


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="Lower-case username.")],
    role: Annotated[Role, typer.Option(help="What the user may do.")],
    why: Annotated[str, typer.Option("--why", help="Why (written to the access log).")] = "a new user",
) -> None:
    """Add a user with a role and print their one-time password (logged, with who added them)."""
    with clear_errors(), session_scope(ready_engine()) as session:
        secret = accounts.add_user(session, username, role, actor=_actor(), why=why)
    _print_secret(username, role.value, secret)


@user_app.command("token")
def user_token(
    username: Annotated[str, typer.Argument(help="Whose token.")],
    why: Annotated[str, WHY],
    label: Annotated[str, typer.Option(help="What the token is for.")] = "api",
    days: Annotated[
        int | None, typer.Option(min=1, help="Days it lasts (at most, and by default, api_token_days).")
    ] = None,
) -> None:
    """Issue an API bearer token for a user (printed once, stored only as a hash); it expires."""
    with clear_errors(), session_scope(ready_engine()) as session:
        issued = accounts.mint_token(
            session,
            username,
            label,
            actor=_actor(),
            why=why,
            days=days,
            max_days=get_settings().api_token_days,
        )
    err_console.print(f"token {issued.id} for {username}, expires {_when(issued.expires_at)} UTC:")
    console.print(issued.token, highlight=False, soft_wrap=True)


def _when(at: dt.datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M") if at else ""


@user_app.command("tokens")
def user_tokens(username: Annotated[str, typer.Argument(help="Whose tokens.")]) -> None:
    """List a user's API tokens (never their secrets): live, expired or revoked."""
    with clear_errors(), session_scope(ready_engine()) as session:
        tokens = accounts.tokens_of(session, username)
    table = Table("id", "label", "issued (UTC)", "expires (UTC)", "state")
    for t in tokens:
        table.add_row(str(t.id), t.label, _when(t.created_at), _when(t.expires_at), t.state)
    console.print(table)


@user_app.command("revoke-tokens")
def user_revoke_tokens(
    username: Annotated[str, typer.Argument(help="Whose tokens.")],
    why: Annotated[str, WHY],
    token: Annotated[int | None, typer.Option(help="Only this token (its id in `user tokens`).")] = None,
) -> None:
    """Revoke a user's live API tokens (or one of them) at once."""
    with clear_errors(), session_scope(ready_engine()) as session:
        count = accounts.revoke_user_tokens(session, username, actor=_actor(), why=why, token_id=token)
    console.print(f"{count} token(s) of {username} revoked")


@user_app.command("disable")
def user_disable(username: Annotated[str, typer.Argument(help="Who.")], why: Annotated[str, WHY]) -> None:
    """Stop a user signing in or using the API: their sessions end and their tokens are revoked. The
    last active admin cannot be disabled: add or enable another first."""
    with clear_errors(), session_scope(ready_engine()) as session:
        count = accounts.disable_user(session, username, actor=_actor(), why=why)
    console.print(f"{username} disabled; sessions ended, {count} token(s) revoked")


@user_app.command("enable")
def user_enable(username: Annotated[str, typer.Argument(help="Who.")], why: Annotated[str, WHY]) -> None:
    """Let a disabled user sign in again with their password (old tokens stay revoked)."""
    with clear_errors(), session_scope(ready_engine()) as session:
        accounts.enable_user(session, username, actor=_actor(), why=why)
    console.print(f"{username} enabled")


@user_app.command("reset-password")
def user_reset_password(
    username: Annotated[str, typer.Argument(help="Who.")], why: Annotated[str, WHY]
) -> None:
    """Give a user a new one-time password (printed once): their sessions end, their tokens are revoked."""
    with clear_errors(), session_scope(ready_engine()) as session:
        secret = accounts.reset_password(session, username, actor=_actor(), why=why)
    console.print(f"{username}: sessions ended, tokens revoked. One-time password (shown once, not stored):")
    console.print(f"  {secret}", highlight=False, soft_wrap=True)


@user_app.command("list")
def user_list() -> None:
    """Every user: role, whether active or still on a one-time password, live tokens."""
    with session_scope(ready_engine()) as session:
        users = accounts.accounts(session)
    table = Table("user", "role", "state", "live tokens", "created (UTC)", "by")
    for u in users:
        state = "disabled" if not u.active else "one-time password" if u.must_change_password else "active"
        table.add_row(u.username, u.role, state, str(u.live_tokens), _when(u.created_at), u.created_by)
    console.print(table)


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
    actor: Annotated[str | None, typer.Option(help="Who acted (start of the username, any case).")] = None,
    action: Annotated[Action | None, typer.Option(help="What kind of processing.")] = None,
    subject: Annotated[str | None, typer.Option(help="Part of the subject, e.g. P000123.")] = None,
    person: Annotated[
        str | None, typer.Option(help="Every entry that showed or touched this person, e.g. P000123.")
    ] = None,
    since: Annotated[dt.datetime | None, typer.Option(help="From this UTC time.")] = None,
    until: Annotated[dt.datetime | None, typer.Option(help="Before this UTC time.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
) -> None:
    """Search the access log, newest first."""
    query = LogQuery(
        actor=actor,
        action=action.value if action else None,
        subject=subject,
        since=since,
        until=until,
        limit=limit,
        person=person.strip().upper() if person else None,
    )
    with session_scope(ready_engine()) as session:
        total, entries = search_log(session, query)
    table = Table("id", "when (UTC)", "who", "action", "subject", "why", "recipient", "people")
    for e in entries:
        table.add_row(
            str(e.id),
            e.at.strftime("%Y-%m-%d %H:%M:%S"),
            e.actor,
            e.action,
            e.subject,
            e.justification,
            e.recipient or "",
            ", ".join(people_of(e.subject, e.details or {})),
        )
    console.print(table)
    console.print(f"{total} entries match; {len(entries)} shown")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("create-admin")(create_admin)
    app.add_typer(user_app, name="user")
    app.add_typer(audit_app, name="audit")
