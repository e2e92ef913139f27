"""full-text search over conversation titles and message text

PostgreSQL: expression GIN indexes on to_tsvector('simple', ...) (language-neutral: codes,
VINs and any language's words are kept as written). SQLite: FTS5 tables kept in step by
triggers (unicode61, diacritics removed). Existing rows are indexed by the upgrade.

Everything here is named search_* and is not declared by the models (migrations/env.py
leaves search_* out of autogenerate's comparison). The expressions match search.py.

Note for later migrations on SQLite: a batch operation that recreates the message or
conversation table drops its triggers; create them again (``_sqlite_triggers``) after it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 05:15:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# The same expressions as search.PG_MESSAGE_VECTOR / PG_TITLE_VECTOR (kept literal here:
# a migration must not change when the app's code does).
PG_INDEXES = {
    "search_message_content": (
        "message",
        "to_tsvector('simple'::regconfig, left(content, 100000))",
    ),
    "search_conversation_title": ("conversation", "to_tsvector('simple'::regconfig, title)"),
}

TOKENIZER = "unicode61 remove_diacritics 2"

SQLITE_TABLES = [
    # The message index holds no copy of the text: it reads message.content (external content).
    "CREATE VIRTUAL TABLE search_message USING fts5("
    f"content, content='message', content_rowid='id', tokenize='{TOKENIZER}')",
    # Titles with their conversation id (a text key: no stable rowid to point at); the id is
    # indexed too, so the triggers find a conversation's row without a scan.
    "CREATE VIRTUAL TABLE search_conversation USING fts5("
    f"title, conversation_id, tokenize='{TOKENIZER}')",
]

_FORGET_MESSAGE = (
    "INSERT INTO search_message(search_message, rowid, content) "
    "VALUES ('delete', old.id, old.content);"
)
_ADD_MESSAGE = "INSERT INTO search_message(rowid, content) VALUES (new.id, new.content);"
_FORGET_TITLE = (
    "DELETE FROM search_conversation WHERE search_conversation MATCH "
    "'conversation_id : \"' || replace(old.id, '\"', '\"\"') || '\"';"
)
_ADD_TITLE = "INSERT INTO search_conversation(title, conversation_id) VALUES (new.title, new.id);"

SQLITE_TRIGGERS = {
    # Deleting a conversation deletes its messages by cascade, which fires these too.
    "search_message_insert": f"AFTER INSERT ON message BEGIN {_ADD_MESSAGE} END",
    "search_message_delete": f"AFTER DELETE ON message BEGIN {_FORGET_MESSAGE} END",
    "search_message_update": (
        f"AFTER UPDATE OF content ON message BEGIN {_FORGET_MESSAGE} {_ADD_MESSAGE} END"
    ),
    "search_conversation_insert": f"AFTER INSERT ON conversation BEGIN {_ADD_TITLE} END",
    "search_conversation_delete": f"AFTER DELETE ON conversation BEGIN {_FORGET_TITLE} END",
    "search_conversation_update": (
        f"AFTER UPDATE OF id, title ON conversation BEGIN {_FORGET_TITLE} {_ADD_TITLE} END"
    ),
}


def _sqlite_triggers():
    for name, body in SQLITE_TRIGGERS.items():
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute(f"CREATE TRIGGER {name} {body}")


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for name, (table, expression) in PG_INDEXES.items():
            op.execute(f"CREATE INDEX {name} ON {table} USING gin (({expression}))")
        return
    for statement in SQLITE_TABLES:
        op.execute(statement)
    _sqlite_triggers()
    # The rows already there.
    op.execute("INSERT INTO search_message(search_message) VALUES ('rebuild')")
    op.execute(
        "INSERT INTO search_conversation(title, conversation_id) SELECT title, id FROM conversation"
    )


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for name in PG_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
        return
    for name in SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS search_conversation")
    op.execute("DROP TABLE IF EXISTS search_message")
