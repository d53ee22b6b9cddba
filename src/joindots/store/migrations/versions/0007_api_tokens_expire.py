"""api tokens expire

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 12:00:00.000000

Tokens issued before this revision never expired; each is given the default life (90 days) from
when it was issued, so one older than that stops working at the upgrade and must be issued anew.
"""

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIFE = dt.timedelta(days=90)


def upgrade() -> None:
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(), nullable=True))
    bind = op.get_bind()
    token = sa.table('api_token', sa.column('id', sa.Integer), sa.column('created_at', sa.DateTime),
                     sa.column('expires_at', sa.DateTime))  # fmt: skip
    for token_id, created in bind.execute(sa.select(token.c.id, token.c.created_at)).all():
        bind.execute(token.update().where(token.c.id == token_id).values(expires_at=created + LIFE))
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.alter_column('expires_at', existing_type=sa.DateTime(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
