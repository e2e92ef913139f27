"""the owner's vehicle, fact cards and tool calls

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 20:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'vehicle',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('owner_id', sa.String(length=64), nullable=False),
        sa.Column('year', sa.Integer(), nullable=True),
        sa.Column('make', sa.String(length=60), nullable=True),
        sa.Column('model', sa.String(length=60), nullable=True),
        sa.Column('engine', sa.String(length=60), nullable=True),
        sa.Column('mileage', sa.Integer(), nullable=True),
        sa.Column('mileage_unit', sa.String(length=2), nullable=False),
        sa.Column('vin', sa.String(length=17), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_vehicle')),
        sa.UniqueConstraint('owner_id', name=op.f('uq_vehicle_owner_id')),
    )
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('facts', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('tool_calls', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_column('tool_calls')
        batch_op.drop_column('facts')
    op.drop_table('vehicle')
