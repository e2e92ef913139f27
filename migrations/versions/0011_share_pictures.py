"""pictures of share links (share_picture): a copy of each picture a snapshot shows, made
when the link is made, deleted with the link

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 07:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'share_picture',
        sa.Column('share_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('item', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('content_type', sa.String(length=32), nullable=False),
        sa.Column('width', sa.Integer(), nullable=False),
        sa.Column('height', sa.Integer(), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('thumbnail_type', sa.String(length=32), nullable=False),
        sa.Column('thumbnail', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ['share_id'], ['share.id'],
            name='fk_share_picture_share_id_share', ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('share_id', 'number', name='pk_share_picture'),
    )


def downgrade():
    op.drop_table('share_picture')
