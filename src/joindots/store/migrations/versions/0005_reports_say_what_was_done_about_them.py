"""reports say what was done about them (triage)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 15:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('intake_report', schema=None) as batch_op:
        batch_op.add_column(sa.Column('triage', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('triaged_by', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('triaged_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('triage_note', sa.String(length=500), nullable=True))
        batch_op.create_index('ix_intake_report_triage', ['triage'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('intake_report', schema=None) as batch_op:
        batch_op.drop_index('ix_intake_report_triage')
        batch_op.drop_column('triage_note')
        batch_op.drop_column('triaged_at')
        batch_op.drop_column('triaged_by')
        batch_op.drop_column('triage')
