"""Docs that cannot go stale: every setting is documented."""

from __future__ import annotations

from pathlib import Path

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
