"""Migration 0007 on data made by the schema before it: old conversations become one branch,
a retried reply's earlier version steps back, and the way down works. On SQLite and on
PostgreSQL (a private database this test creates and drops)."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from tests.support import SECRET


def migrate_to(url: str, revision: str, tmp_path, down: bool = False) -> None:
    from flask_migrate import downgrade, upgrade

    from app import create_app
    from models import db

    app = create_app(
        env={"SESSION_SECRET": SECRET, "DATABASE_URL": url}, instance_path=str(tmp_path / "i")
    )
    with app.app_context():
        (downgrade if down else upgrade)(revision=revision)
        db.engine.dispose()


OLD_ROWS = [
    # id, role, content, status, reply_to_id
    (1, "user", "Q1", "ok", None),
    (2, "assistant", "A1", "ok", 1),
    (3, "user", "Q2", "ok", None),
    (4, "assistant", "A2 stopped", "stopped", 3),
    (5, "assistant", "A2 retried", "ok", 3),
    (6, "user", "Q3 unanswered", "ok", None),
]


CID = "c" + "0" * 31


def fill_old_schema(url: str, tmp_path) -> None:
    """Migrate to 0006 and store a conversation as that schema did."""
    migrate_to(url, "0006", tmp_path)
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO conversation (id, owner_id, title, created_at, updated_at) "
                "VALUES (:cid, 'owner', 'Old chat', :now, :now)"
            ),
            {"cid": CID, "now": "2026-11-01 10:00:00"},
        )
        for row_id, role, content, status, reply_to in OLD_ROWS:
            connection.execute(
                sa.text(
                    "INSERT INTO message (id, conversation_id, role, content, status, "
                    "reply_to_id, created_at) VALUES (:id, :cid, :role, :content, :status, "
                    ":reply_to, :now)"
                ),
                {
                    "id": row_id,
                    "cid": CID,
                    "role": role,
                    "content": content,
                    "status": status,
                    "reply_to": reply_to,
                    "now": "2026-11-01 10:00:00",
                },
            )
        if engine.dialect.name == "postgresql":  # rows with their own ids: move the sequence on
            connection.execute(
                sa.text("SELECT setval(pg_get_serial_sequence('message', 'id'), 100)")
            )
    engine.dispose()


def test_old_conversations_become_one_branch(empty_database, tmp_path):
    fill_old_schema(empty_database, tmp_path)
    migrate_to(empty_database, "head", tmp_path)
    engine = sa.create_engine(empty_database)
    with engine.connect() as connection:
        rows = {
            row.content: row
            for row in connection.execute(
                sa.text("SELECT id, content, parent_id, reply_to_id, chosen, on_path FROM message")
            )
        }
        pinned = connection.execute(sa.text("SELECT pinned_at, deleted_at FROM conversation")).one()
    engine.dispose()
    assert {name: rows[name].parent_id for name in rows} == {
        "Q1": None,
        "A1": 1,
        "Q2": 2,
        "A2 stopped": 3,
        "A2 retried": 3,
        "Q3 unanswered": 5,
    }
    # SQLite copies the table to add the foreign key: the links must survive the copy.
    assert {name: rows[name].reply_to_id for name in rows} == {
        name: reply_to for _id, _role, name, _status, reply_to in OLD_ROWS
    }
    shown = [name for name, row in sorted(rows.items(), key=lambda r: r[1].id) if row.on_path]
    assert shown == ["Q1", "A1", "Q2", "A2 retried", "Q3 unanswered"]
    assert not rows["A2 stopped"].chosen and rows["A2 retried"].chosen
    assert tuple(pinned) == (None, None)

    # And back down: the columns go, the rows stay.
    migrate_to(empty_database, "0006", tmp_path, down=True)
    engine = sa.create_engine(empty_database)
    with engine.connect() as connection:
        columns = {c["name"] for c in sa.inspect(connection).get_columns("message")}
        links = dict(connection.execute(sa.text("SELECT content, reply_to_id FROM message")).all())
    engine.dispose()
    assert "parent_id" not in columns and "on_path" not in columns
    assert links == {name: reply_to for _id, _role, name, _status, reply_to in OLD_ROWS}


def test_the_app_reads_a_migrated_conversation_as_one_branch(empty_database, tmp_path, fake):
    """An old conversation opens with its retried answer as version 2 / 2 and goes on
    from the end of its branch."""
    from itsdangerous import URLSafeSerializer

    from tests.support import AppFactory, Visitor, csrf_token
    from tests.support.fake_openrouter import Reply

    fill_old_schema(empty_database, tmp_path)
    migrate_to(empty_database, "head", tmp_path)
    factory = AppFactory(fake, empty_database, f"mig-{uuid.uuid4().hex[:6]}:", tmp_path)
    try:
        app = factory(OPENROUTER_API_KEY="sk-or-v1-" + "5" * 64)
        client = app.test_client()
        owner = URLSafeSerializer(app.config["SECRET_KEY"], salt="owner-id").dumps("owner")
        client.set_cookie(app.config["OWNER_COOKIE_NAME"], owner)
        page = client.get(f"/c/{CID}").get_data(as_text=True)
        assert "A2 retried" in page and "A2 stopped" not in page
        assert '<span class="version-count">2 / 2</span>' in page
        fake.queue(Reply("A4"))
        response = client.post(
            "/chat",
            data={"message": "Q4", "conversation_id": CID, "csrf_token": csrf_token(client)},
        )
        assert response.status_code == 303
        history = [m["content"] for m in fake.chat_requests[-1].messages[1:]]
        assert history == ["Q1", "A1", "Q2", "A2 retried", "Q4"]
        assert Visitor(client).get(f"/c/{CID}").status_code == 200
    finally:
        factory.close()
