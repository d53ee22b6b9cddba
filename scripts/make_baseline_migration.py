"""Regenerate the baseline migration from the table metadata.

Pre-release only: while no deployment exists, the schema is one baseline revision. After the first
release, add new revisions with `alembic revision --autogenerate` instead of running this.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command

from joindots.store.db import MIGRATIONS, alembic_config

VERSIONS = MIGRATIONS / "versions"

for old in VERSIONS.glob("*.py"):
    old.unlink()
with tempfile.TemporaryDirectory() as tmp:
    cfg = alembic_config(f"sqlite:///{Path(tmp) / 'empty.db'}")
    command.revision(cfg, message="baseline schema", autogenerate=True, rev_id="0001")
print("wrote", *VERSIONS.glob("*.py"))
