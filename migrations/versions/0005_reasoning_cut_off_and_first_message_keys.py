"""reasoning and finish reason of replies; the idempotency key of a conversation's first
message, unique per owner, so a double submit cannot open two conversations

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 00:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reasoning', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('finish_reason', sa.String(length=32), nullable=True))
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_msg_id', sa.String(length=64), nullable=True))
        batch_op.create_index(
            'uq_conversation_owner_client_msg', ['owner_id', 'client_msg_id'], unique=True
        )


def downgrade():
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.drop_index('uq_conversation_owner_client_msg')
        batch_op.drop_column('client_msg_id')
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_column('finish_reason')
        batch_op.drop_column('reasoning')
