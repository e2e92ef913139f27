"""Pooled PostgreSQL connections: no ping per checkout, yet a connection the server
dropped while it sat idle is replaced before a visitor meets it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

import app as app_module
from models import db
from tests.support import TEST_DATABASE_URL

pytestmark = pytest.mark.skipif(not TEST_DATABASE_URL, reason="a PostgreSQL pool")


def drop_pooled_connections(app) -> int:
    """Drop every other connection to the run's database from the server's side, as a
    restart, a failover or an idle-killing proxy would; how many went."""
    with app.app_context():
        url = db.engine.url
    other = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with other.connect() as connection:
        dropped = connection.exec_driver_sql(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).scalar()
    other.dispose()
    return int(dropped or 0)


def statements_on(app, call) -> list[str]:
    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        call()
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
    return seen


def test_a_connection_in_steady_use_is_not_pinged(app, keyed_visitor, monkeypatch):
    keyed_visitor.get("/health")
    with app.app_context():
        dialect = db.engine.dialect
    pings = []
    real_ping = dialect.do_ping
    monkeypatch.setattr(dialect, "do_ping", lambda conn: pings.append(1) or real_ping(conn))
    seen = statements_on(app, lambda: keyed_visitor.get("/health"))
    assert len(seen) == 1  # the health check's own query
    assert pings == []  # no pre-ping round trip before it


def test_an_idle_connection_dropped_by_the_server_is_replaced_unseen(
    app, keyed_visitor, monkeypatch
):
    assert keyed_visitor.get("/health").status_code == 200
    assert drop_pooled_connections(app) >= 1
    monkeypatch.setattr(app_module, "IDLE_PING_SECONDS", 0.0)  # it has been idle "long"
    assert keyed_visitor.get("/health").status_code == 200
    page = keyed_visitor.get("/")
    assert page.status_code == 200
