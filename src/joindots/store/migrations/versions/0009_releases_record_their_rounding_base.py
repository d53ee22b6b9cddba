"""statistics releases record their rounding base

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 10:00:00.000000

Each release now records the base its published totals were rounded to (1 for exact totals), beside
the suppression threshold it already recorded, so the difference check reads an earlier release as
it was made. Releases logged before this revision get NULL: their base was not recorded, and today's
setting is not invented for them (the check says what it assumed for each).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('stats_release', schema=None) as batch_op:
        batch_op.add_column(sa.Column('round_totals', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('stats_release', schema=None) as batch_op:
        batch_op.drop_column('round_totals')
