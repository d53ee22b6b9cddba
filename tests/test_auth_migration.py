"""Migration 0007 on both databases: tokens issued before tokens expired are given the default life
from when each was issued, so an old one stops working at the upgrade and a recent one goes on."""

from __future__ import annotations

import datetime as dt

from alembic import command
from sqlalchemy import select, text

from joindots.auth.tables import ApiToken
from joindots.store.db import alembic_config, migrate, session_scope


def test_tokens_issued_before_expiry_existed_get_ninety_days_from_issue(engine) -> None:
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    recent = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0) - dt.timedelta(days=3)
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0006")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "insert into app_user (id, username, role, password_hash, active, password_must_change,"
                    " created_at, created_by) values (1, 'analyst1', 'analyst', 'x', true, false, :at, 'test')"
                ),
                {"at": recent},
            )
            conn.execute(
                text(
                    "insert into api_token (id, token_hash, user_id, label, created_at) values"
                    " (1, :old, 1, 'from 2020', :then), (2, :new, 1, 'this week', :recent)"
                ),
                {"old": "a" * 64, "new": "b" * 64, "then": dt.datetime(2020, 1, 1), "recent": recent},
            )
    finally:
        migrate(engine)
    with session_scope(engine) as s:
        tokens = {t.label: t.expires_at for t in s.scalars(select(ApiToken))}
        assert tokens == {"from 2020": dt.datetime(2020, 3, 31), "this week": recent + dt.timedelta(days=90)}
        live = s.scalars(
            select(ApiToken).where(ApiToken.expires_at > dt.datetime.now(dt.UTC).replace(tzinfo=None))
        )
        assert [t.label for t in live] == ["this week"]
