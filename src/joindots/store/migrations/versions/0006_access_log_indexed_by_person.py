"""access log indexed by person: who looked at P000123

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from joindots.audit.log import people_of

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000


def upgrade() -> None:
    op.create_table(
        'access_log_person',
        sa.Column('person_id', sa.String(length=20), nullable=False),
        sa.Column('entry_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['entry_id'], ['access_log.id'], name=op.f('fk_access_log_person_entry_id_access_log'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('person_id', 'entry_id', name=op.f('pk_access_log_person')),
    )
    with op.batch_alter_table('access_log_person', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_log_person_entry_id'), ['entry_id'], unique=False)
    _index_existing_entries()


def _index_existing_entries() -> None:
    """Index the entries written before this revision as `record_access` indexes new ones, a batch
    of entries at a time (keyset by id, so a long log is never held in memory at once)."""
    bind = op.get_bind()
    log = sa.table('access_log', sa.column('id', sa.Integer), sa.column('subject', sa.String),
                   sa.column('details', sa.JSON))  # fmt: skip
    index = sa.table('access_log_person', sa.column('person_id', sa.String), sa.column('entry_id', sa.Integer))
    last = 0
    while True:
        batch = bind.execute(
            sa.select(log.c.id, log.c.subject, log.c.details).where(log.c.id > last).order_by(log.c.id).limit(BATCH)
        ).all()
        if not batch:
            return
        rows = [{'person_id': p, 'entry_id': i} for i, subject, details in batch for p in people_of(subject, details or {})]
        if rows:
            bind.execute(index.insert(), rows)
        last = batch[-1][0]


def downgrade() -> None:
    with op.batch_alter_table('access_log_person', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_log_person_entry_id'))
    op.drop_table('access_log_person')
