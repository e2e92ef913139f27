"""share links (read-only snapshots), pairing codes and paired browsers

New tables only: existing conversations are untouched. A share belongs to its
conversation (deleted with it); the database keeps SHA-256 digests of share tokens and
pairing codes, never the secrets themselves.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 05:15:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "share",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("messages", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversation.id"],
            name=op.f("fk_share_conversation_id_conversation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_share_token_hash")),
    )
    op.create_index(op.f("ix_share_conversation_id"), "share", ["conversation_id"], unique=False)

    op.create_table(
        "pairing_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pairing_code")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_pairing_code_code_hash")),
    )
    op.create_index(op.f("ix_pairing_code_owner_id"), "pairing_code", ["owner_id"], unique=False)

    op.create_table(
        "paired_browser",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("owner_id", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=80), nullable=False),
        sa.Column("paired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paired_browser")),
    )
    op.create_index(
        op.f("ix_paired_browser_owner_id"), "paired_browser", ["owner_id"], unique=False
    )


def downgrade():
    op.drop_index(op.f("ix_paired_browser_owner_id"), table_name="paired_browser")
    op.drop_table("paired_browser")
    op.drop_index(op.f("ix_pairing_code_owner_id"), table_name="pairing_code")
    op.drop_table("pairing_code")
    op.drop_index(op.f("ix_share_conversation_id"), table_name="share")
    op.drop_table("share")
