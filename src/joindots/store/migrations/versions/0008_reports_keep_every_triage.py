"""reports keep every triage outcome, not only the latest

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 18:40:00.000000

Before this revision a report held only its latest triage; an outcome that was changed survived
only in the access log. Each report already triaged gets one history entry from its own columns (the
latest outcome, who, when and why); the outcomes it replaced, if any, are in the access log as ever.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'intake_report_triage',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('report_id', sa.Integer(), nullable=False),
        sa.Column('outcome', sa.String(length=20), nullable=False),
        sa.Column('triaged_by', sa.String(length=100), nullable=False),
        sa.Column('triaged_at', sa.DateTime(), nullable=False),
        sa.Column('note', sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(['report_id'], ['intake_report.id'], name=op.f('fk_intake_report_triage_report_id_intake_report')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_intake_report_triage')),
    )
    with op.batch_alter_table('intake_report_triage', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_intake_report_triage_report_id'), ['report_id'], unique=False)
    _backfill_latest_triage()


def _backfill_latest_triage() -> None:
    """One entry for each report already triaged, from its latest-triage columns (one statement on
    either database; `triage_report` has always set the four together)."""
    report = sa.table('intake_report', sa.column('id', sa.Integer), sa.column('triage', sa.String),
                      sa.column('triaged_by', sa.String), sa.column('triaged_at', sa.DateTime),
                      sa.column('triage_note', sa.String))  # fmt: skip
    history = sa.table('intake_report_triage', sa.column('report_id', sa.Integer), sa.column('outcome', sa.String),
                       sa.column('triaged_by', sa.String), sa.column('triaged_at', sa.DateTime),
                       sa.column('note', sa.String))  # fmt: skip
    triaged = (
        sa.select(report.c.id, report.c.triage, report.c.triaged_by, report.c.triaged_at, report.c.triage_note)
        .where(report.c.triage.is_not(None))
        .order_by(report.c.id)
    )
    op.get_bind().execute(
        history.insert().from_select(['report_id', 'outcome', 'triaged_by', 'triaged_at', 'note'], triaged)
    )


def downgrade() -> None:
    with op.batch_alter_table('intake_report_triage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_intake_report_triage_report_id'))
    op.drop_table('intake_report_triage')
