"""Migration 0008 (full-text search) on SQLite and on PostgreSQL: rows written by the 0007
schema are found after the upgrade, new rows are indexed, and the downgrade removes it all."""

from __future__ import annotations

import sqlalchemy as sa

from tests.support import SECRET


def search_objects(connection) -> set[str]:
    """The names of the search tables, triggers and indexes present."""
    if connection.dialect.name == "sqlite":
        rows = connection.execute(
            sa.text("SELECT name FROM sqlite_master WHERE name LIKE 'search%'")
        )
    else:
        rows = connection.execute(
            sa.text("SELECT indexname FROM pg_indexes WHERE indexname LIKE 'search%'")
        )
    return {row[0] for row in rows}


def test_upgrade_indexes_old_rows_and_downgrade_removes_the_index(empty_database, tmp_path):
    from flask_migrate import downgrade, upgrade

    from app import create_app
    from models import Message, db

    app = create_app(
        {"TESTING": True},
        env={"SESSION_SECRET": SECRET, "DATABASE_URL": empty_database},
        instance_path=str(tmp_path / "instance"),
    )

    def migrate(step, revision: str = "head") -> None:
        db.session.remove()  # no transaction of ours may hold a lock the migration waits on
        step(revision=revision)
        # As after `flask db upgrade` in its own process: fresh connections (a migration
        # may leave a pooled SQLite connection with its pragmas changed).
        db.engine.dispose()

    with app.app_context():
        migrate(upgrade, "0007")
        # Rows as the 0007 schema has them (plain SQL: the models may be newer).
        db.session.execute(
            sa.text(
                "INSERT INTO conversation (id, owner_id, title, created_at, updated_at) VALUES "
                "('c1', 'owner-1', 'Old P0420 question', :now, :now), "
                "('c2', 'owner-2', 'Someone else', :now, :now)"
            ),
            {"now": "2026-01-01 10:00:00"},
        )
        db.session.execute(
            sa.text(
                "INSERT INTO message (conversation_id, role, content, status, created_at) VALUES "
                "('c1', 'user', 'Bremsbeläge and VIN 1HGCM82633A004352', 'ok', :now), "
                "('c2', 'user', 'Bremsbeläge of another owner', 'ok', :now)"
            ),
            {"now": "2026-01-01 10:00:01"},
        )
        db.session.commit()

        migrate(upgrade, "0008")
        with db.engine.connect() as connection:
            assert search_objects(connection)
        hits = Message.search("owner-1", "bremsbeläge", limit=10)
        assert [(h.conversation_id, h.role) for h in hits] == [("c1", "user")]
        assert [h.conversation_id for h in Message.search("owner-1", "p0420", 10)] == ["c1"]
        assert len(Message.search("owner-1", "1hgcm82633a004352", 10)) == 1
        # New rows are indexed as they are written, deleted ones leave.
        db.session.execute(
            sa.text(
                "INSERT INTO message (conversation_id, role, content, status, created_at) "
                "VALUES ('c1', 'assistant', 'Replace the catalytic converter', 'ok', :now)"
            ),
            {"now": "2026-01-01 10:00:02"},
        )
        db.session.commit()
        assert len(Message.search("owner-1", "catalytic", 10)) == 1
        db.session.execute(sa.text("DELETE FROM conversation WHERE id = 'c1'"))
        db.session.commit()
        assert Message.search("owner-1", "catalytic", 10) == []
        assert Message.search("owner-1", "p0420", 10) == []

        migrate(downgrade, "0007")
        with db.engine.connect() as connection:
            assert search_objects(connection) == set()
            # The data is untouched by the round trip.
            assert connection.execute(sa.text("SELECT count(*) FROM message")).scalar() == 1
        migrate(upgrade)  # and up again to the newest
        assert [h.conversation_id for h in Message.search("owner-2", "another", 10)] == ["c2"]
        db.session.remove()
        db.engine.dispose()
