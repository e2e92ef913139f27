"""message.revision: a number that changes whenever a message changes as the page shows it,
so a page can keep each message's HTML and know, from one narrow read, which are still
right (views/fragments.py)

Set by the database, not the app, so every writer is covered (the ORM, bulk UPDATEs,
plain SQL): PostgreSQL takes the next value of message_revision_seq on INSERT (column
default) and on UPDATE (a BEFORE trigger); SQLite writes random() after INSERT and
UPDATE (ids can be reused there, so a counter per row could repeat an old pair).

An UPDATE that sets only the stored HTML (the page writing back what it rendered) or
the turn's lease (renewals while a reply streams) leaves the revision alone: neither
changes what the page shows. A later migration that adds a column to message must
recreate the triggers with it (tests/app/test_page_fragments.py checks every column).

Plain ADD COLUMN, no batch, as in 0012: a batch copy of the message table on SQLite
would drop its search triggers and null its links.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 09:00:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# Every column of message as of 0013 except the revision itself, the stored HTML and the
# lease (kept literal: a migration must not change when the models do).
SHOWN = (
    "id",
    "conversation_id",
    "role",
    "content",
    "status",
    "error_kind",
    "error_detail",
    "model",
    "client_msg_id",
    "reply_to_id",
    "parent_id",
    "chosen",
    "on_path",
    "prompt_tokens",
    "completion_tokens",
    "cost",
    "context_dropped",
    "reasoning",
    "finish_reason",
    "facts",
    "tool_calls",
    "created_at",
)

PG = [
    # Not OWNED BY the column: TRUNCATE ... RESTART IDENTITY must not hand out old numbers.
    "CREATE SEQUENCE message_revision_seq",
    "ALTER TABLE message ADD COLUMN revision BIGINT NOT NULL DEFAULT 0",
    "ALTER TABLE message ALTER COLUMN revision SET DEFAULT nextval('message_revision_seq')",
    "CREATE FUNCTION message_revision_next() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN NEW.revision := nextval('message_revision_seq'); RETURN NEW; END $$",
    f"CREATE TRIGGER message_revision BEFORE UPDATE OF {', '.join(SHOWN)} ON message "
    "FOR EACH ROW EXECUTE FUNCTION message_revision_next()",
]

_NEW = "BEGIN UPDATE message SET revision = random() WHERE id = new.id; END"
SQLITE = [
    "ALTER TABLE message ADD COLUMN revision INTEGER NOT NULL DEFAULT 0",
    # Existing rows: ids may have been reused before, so none keeps the shared 0.
    "UPDATE message SET revision = random()",
    # The trigger's own UPDATE sets only revision, which is not in its column list.
    f"CREATE TRIGGER message_revision_insert AFTER INSERT ON message {_NEW}",
    f"CREATE TRIGGER message_revision_update AFTER UPDATE OF {', '.join(SHOWN)} ON message {_NEW}",
]


def upgrade():
    for statement in PG if op.get_bind().dialect.name == "postgresql" else SQLITE:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS message_revision ON message")
        op.execute("DROP FUNCTION IF EXISTS message_revision_next()")
        op.execute("ALTER TABLE message DROP COLUMN revision")
        op.execute("DROP SEQUENCE IF EXISTS message_revision_seq")
        return
    op.execute("DROP TRIGGER IF EXISTS message_revision_insert")
    op.execute("DROP TRIGGER IF EXISTS message_revision_update")
    op.execute("ALTER TABLE message DROP COLUMN revision")
