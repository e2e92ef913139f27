"""stored HTML of replies (message.content_html, reasoning_html, html_version): a page
shows it while html_version matches the renderer and the text, else renders again

Plain ADD / DROP COLUMN, no batch: on SQLite a batch copy of the message table would
drop its search triggers (0008) and, with foreign keys on, null its links (0007).
SQLite drops a column in place from 3.35 on.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

COLUMNS = ('content_html', 'reasoning_html', 'html_version')


def upgrade():
    # Nullable, no default: no row is rewritten here; each reply gets its HTML on the
    # first view of its page.
    op.add_column('message', sa.Column('content_html', sa.Text(), nullable=True))
    op.add_column('message', sa.Column('reasoning_html', sa.Text(), nullable=True))
    op.add_column('message', sa.Column('html_version', sa.Integer(), nullable=True))


def downgrade():
    for name in reversed(COLUMNS):
        op.execute(f'ALTER TABLE message DROP COLUMN {name}')
