"""named states and failure details: CHECK constraints on status and role, failures
kept as kind + detail instead of stored sentences

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 23:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

STATUSES = ('ok', 'error', 'offline', 'stopped')
ROLES = ('user', 'assistant')
OFFLINE_MARK = '**The assistant is offline:**'


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade():
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('error_detail', sa.JSON(), nullable=True))

    message = sa.table(
        'message',
        sa.column('id', sa.Integer),
        sa.column('content', sa.Text),
        sa.column('status', sa.String),
        sa.column('notice', sa.Text),
    )
    connection = op.get_bind()
    # A failure without partial text stored its sentence as the content: the page now
    # words it from the kind, so the stored sentence goes.
    connection.execute(
        message.update()
        .where(message.c.status == 'error', message.c.notice.is_(None))
        .values(content='')
    )
    # The offline notice was appended to the built-in answer; the page adds it now.
    rows = connection.execute(
        sa.select(message.c.id, message.c.content).where(message.c.status == 'offline')
    ).all()
    for row_id, content in rows:
        kept = content.split(OFFLINE_MARK, 1)[0].rstrip()
        if kept != content:
            connection.execute(
                message.update().where(message.c.id == row_id).values(content=kept)
            )
    connection.execute(
        message.update().where(message.c.status.notin_(STATUSES)).values(status='error')
    )

    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_column('notice')
        batch_op.create_check_constraint('status', _in('status', STATUSES))
        batch_op.create_check_constraint('role', _in('role', ROLES))


def downgrade():
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_constraint('ck_message_role', type_='check')
        batch_op.drop_constraint('ck_message_status', type_='check')
        batch_op.add_column(sa.Column('notice', sa.Text(), nullable=True))
        batch_op.drop_column('error_detail')
