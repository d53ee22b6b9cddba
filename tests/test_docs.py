"""Docs that cannot go stale: every setting and every command is documented."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from joindots.cli.main import app
from joindots.settings import Settings

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_every_setting_is_documented():
    table = (DOCS / "settings.md").read_text(encoding="utf-8")
    missing = [
        name
        for name in Settings.model_fields
        if f"| {name} |" not in table or f"JOINDOTS_{name.upper()}" not in table
    ]
    assert missing == [], f"document these settings in docs/settings.md: {missing}"


def _command_paths(group: Any, prefix: str) -> list[str]:
    paths: list[str] = []
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            paths.extend(_command_paths(command, f"{prefix} {name}"))
        else:
            paths.append(f"{prefix} {name}")
    return paths


def test_every_command_is_documented():
    root = typer.main.get_command(app)
    assert hasattr(root, "commands")
    reference = (DOCS / "cli.md").read_text(encoding="utf-8")
    missing = [path for path in _command_paths(root, "joindots") if f"## `{path}`" not in reference]
    assert missing == [], f"run scripts/make_cli_docs.py to document: {missing}"
