"""an index on message.reply_to_id: a message's replies are looked up (and a retry's
superseded failures deleted) on every turn, and a message's deletion nulls its replies'
links

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 03:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.create_index('ix_message_reply_to_id', ['reply_to_id'], unique=False)


def downgrade():
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_index('ix_message_reply_to_id')
