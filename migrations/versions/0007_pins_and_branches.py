"""pinned conversations; deleted conversations kept for the few seconds of Undo; messages as a tree: a parent, the version chosen among its
siblings (edits and regenerations) and whether it is on the branch shown

Existing conversations become one branch: a reply's parent is the message it answers,
a question's parent the message before it. Where a message had several replies (a
stopped reply, then its retry) the newest is the version shown and the older ones
become earlier versions.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 05:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def _sqlite_foreign_keys(on):
    # SQLite cannot add a foreign key in place: the batch copies the message table and
    # drops the old one, and with foreign keys on, that drop would fire ON DELETE SET NULL
    # on the copy's links (reply_to_id, parent_id). The pragma only works outside a
    # transaction, which is where SQLite migrations run.
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('PRAGMA foreign_keys=ON' if on else 'PRAGMA foreign_keys=OFF')


def upgrade():
    _sqlite_foreign_keys(False)
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pinned_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_conversation_deleted_at', ['deleted_at'], unique=False)
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parent_id', sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column('chosen', sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(
            sa.Column('on_path', sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.create_foreign_key(
            'fk_message_parent_id_message', 'message', ['parent_id'], ['id'], ondelete='SET NULL'
        )
        batch_op.create_index('ix_message_parent_id', ['parent_id'], unique=False)
        batch_op.create_index(
            'ix_message_conversation_path', ['conversation_id', 'on_path', 'id'], unique=False
        )

    # Replies hang under the message they answer; questions under the message before them.
    op.execute(
        "UPDATE message SET parent_id = reply_to_id "
        "WHERE role = 'assistant' AND reply_to_id IS NOT NULL"
    )
    op.execute(
        "UPDATE message SET parent_id = ("
        " SELECT max(earlier.id) FROM message AS earlier"
        " WHERE earlier.conversation_id = message.conversation_id AND earlier.id < message.id"
        ") WHERE role = 'user'"
    )
    # Of several replies to one question, the newest is shown; the others are versions.
    op.execute(
        "UPDATE message SET chosen = false, on_path = false "
        "WHERE role = 'assistant' AND reply_to_id IS NOT NULL AND EXISTS ("
        " SELECT 1 FROM message AS newer"
        " WHERE newer.reply_to_id = message.reply_to_id AND newer.role = 'assistant'"
        " AND newer.id > message.id)"
    )
    _sqlite_foreign_keys(True)


def downgrade():
    _sqlite_foreign_keys(False)
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_index('ix_message_conversation_path')
        batch_op.drop_index('ix_message_parent_id')
        batch_op.drop_constraint('fk_message_parent_id_message', type_='foreignkey')
        batch_op.drop_column('on_path')
        batch_op.drop_column('chosen')
        batch_op.drop_column('parent_id')
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.drop_index('ix_conversation_deleted_at')
        batch_op.drop_column('deleted_at')
        batch_op.drop_column('pinned_at')
    _sqlite_foreign_keys(True)
