"""reply notices, cost and context

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 17:02:28.770107

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notice', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('cost', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('context_dropped', sa.Integer(), nullable=True))



def downgrade():
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_column('context_dropped')
        batch_op.drop_column('cost')
        batch_op.drop_column('notice')

