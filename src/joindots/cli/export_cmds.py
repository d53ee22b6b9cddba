"""`joindots export ...`: one command group for every export. Each part adds its own export command to
`export_app` from its CLI module (persons from link, groups and the network from network, the review
queue from screening); every export of personal data is logged as a disclosure."""

from __future__ import annotations

import typer

export_app = typer.Typer(
    help="Export persons, groups, the network or the review queue to files.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(export_app, name="export")
