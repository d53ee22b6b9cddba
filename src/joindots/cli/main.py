"""`joindots`: the command line. Each part's commands live in their own module and register here."""

from __future__ import annotations

import logging
import os
from typing import Annotated

import typer

from joindots.cli import (
    common,
    db_cmds,
    demo_cmds,
    export_cmds,
    ingest_cmds,
    intake_cmds,
    link_cmds,
    network_cmds,
    quality_cmds,
    screen_cmds,
    stats_cmds,
    synth_cmds,
    web_cmds,
)
from joindots.settings import get_settings

app = typer.Typer(
    name="joindots",
    help="Join the dots between agencies' records: ingest, link, analyse, screen and publish safely.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def main(
    db: Annotated[
        str | None, typer.Option("--db", help="Database URL (overrides JOINDOTS_DATABASE_URL).")
    ] = None,
) -> None:
    logging.getLogger("splink").setLevel(logging.ERROR)  # training notes are for modellers, not analysts
    if db:
        os.environ["JOINDOTS_DATABASE_URL"] = db
        get_settings.cache_clear()


for module in (
    db_cmds,
    synth_cmds,
    web_cmds,
    export_cmds,
    ingest_cmds,
    intake_cmds,
    screen_cmds,
    link_cmds,
    quality_cmds,
    stats_cmds,
    network_cmds,
    demo_cmds,
):
    module.register(app)

__all__ = ["app", "common"]
