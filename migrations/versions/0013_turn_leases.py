"""turn leases on questions (message.answering_until, answered_by, answer_so_far): the
worker answering a message holds it and renews the hold with the text so far; a lapsed
hold with no reply is a turn whose worker died, shown as interrupted with Retry

Plain ADD / DROP COLUMN, no batch, as in 0012: a batch copy of the message table on
SQLite would drop its search triggers and null its links.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 11:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

COLUMNS = ('answering_until', 'answered_by', 'answer_so_far')


def upgrade():
    # Nullable: turns before this migration carry no lease and keep the age rule.
    op.add_column('message', sa.Column('answering_until', sa.DateTime(timezone=True), nullable=True))
    op.add_column('message', sa.Column('answered_by', sa.String(length=80), nullable=True))
    op.add_column('message', sa.Column('answer_so_far', sa.Text(), nullable=True))


def downgrade():
    for name in reversed(COLUMNS):
        op.execute(f'ALTER TABLE message DROP COLUMN {name}')
