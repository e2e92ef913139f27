"""Application factory: configuration, extensions, blueprints, errors, CLI."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from flask_migrate import Migrate
from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError

import config as settings
import nhtsa
import observability
import security
import session_backup
import session_store
from automotive import recalls
from models import as_utc, db
from openrouter import OpenRouterClient, RetryPolicy
from rendering import format_timestamp, per_million, pretty_json, render_markdown

migrate = Migrate()
ROOT = Path(__file__).resolve().parent


def _engine_options(url: str, pool_size: int, max_overflow: int) -> dict[str, Any]:
    # Database errors would otherwise quote the statement's values (a message's text)
    # into logs and error reports.
    hidden = {"hide_parameters": True}
    if url.startswith("postgresql"):
        return {
            **hidden,
            # No ping on every checkout (a round trip each): _ping_when_idle pings only a
            # connection that sat unused long enough to have been dropped.
            "pool_pre_ping": False,
            # Older connections are replaced (a proxy or firewall may drop idle ones).
            "pool_recycle": 1800,
            # Room for every thread's short checkouts without opening and closing
            # overflow connections on each request.
            "pool_size": pool_size,
            "max_overflow": max_overflow,
            # Fail fast when the database is unreachable instead of hanging a worker.
            "connect_args": {"connect_timeout": 5},
        }
    return hidden


# A pooled connection used within this many seconds is handed out without a ping.
IDLE_PING_SECONDS = 10.0


def _note_checkin(dbapi_connection: Any, record: Any) -> None:
    record.info["last_used"] = time.monotonic()
    # A request that only read ran without a transaction (models.read_outside_a_transaction):
    # the next one starts as usual. A client-side switch, no round trip.
    if dbapi_connection is not None and dbapi_connection.autocommit:
        dbapi_connection.autocommit = False


def _ping_when_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """Ping a pooled connection that sat idle; a dead one is replaced, not handed out.

    A connection in steady use is not pinged: under load that saves a round trip on
    every checkout. After a database restart, a connection used in the last few seconds
    fails on its first statement instead; SQLAlchemy then drops the whole pool, so one
    request per worker sees "the conversation store is not answering" (a 503 with the
    text kept), and the next gets new connections (tests/faults measure the recovery).
    """
    if time.monotonic() - record.info.get("last_used", 0.0) < IDLE_PING_SECONDS:
        return
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
    except Exception as exc:
        # The pool discards this connection and checks out another (up to three times).
        raise DisconnectionError(f"idle connection is gone: {type(exc).__name__}") from exc


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers and one writer work at once across Gunicorn workers.
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL is still crash-safe for the database; it skips an fsync per commit.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _new_app(instance_path: str) -> Flask:
    """The Flask object, with this checkout's templates and static files."""
    app = Flask(
        __name__,
        instance_path=instance_path,
        static_folder=str(ROOT / "static"),
        template_folder=str(ROOT / "templates"),
    )
    os.makedirs(app.instance_path, exist_ok=True)
    return app


def _load_config(app: Flask, env: Mapping[str, str], overrides: Mapping[str, Any] | None) -> None:
    """Settings from the environment, then explicit overrides, then derived engine options."""
    app.config.from_mapping(settings.from_env(env, app.instance_path))
    if overrides:
        app.config.from_mapping(overrides)
    app.config.setdefault(
        "SQLALCHEMY_ENGINE_OPTIONS",
        _engine_options(
            app.config["SQLALCHEMY_DATABASE_URI"],
            app.config["DB_POOL_SIZE"],
            app.config["DB_MAX_OVERFLOW"],
        ),
    )


def _init_database(app: Flask) -> None:
    """SQLAlchemy, Alembic migrations, and SQLite's pragmas on each new connection."""
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)
        else:
            # Pool events on the engine: they follow the pool it makes after a fork.
            event.listen(db.engine, "checkout", _ping_when_idle)
            event.listen(db.engine, "checkin", _note_checkin)


def _init_provider(app: Flask) -> None:
    """The model provider's client (one per process, pooled), instrumented for metrics."""
    app.extensions["openrouter"] = OpenRouterClient(
        app.config["OPENROUTER_BASE_URL"],
        connect_timeout=app.config["OPENROUTER_CONNECT_TIMEOUT"],
        read_timeout=app.config["OPENROUTER_READ_TIMEOUT"],
        pool_size=app.config["OPENROUTER_POOL_SIZE"],
        app_url=app.config["APP_URL"],
        app_title=app.config["APP_TITLE"],
        retry=RetryPolicy(
            max_retries=app.config["OPENROUTER_MAX_RETRIES"],
            base_delay=app.config["OPENROUTER_RETRY_BASE_DELAY"],
            retry_after_cap=app.config["OPENROUTER_RETRY_AFTER_CAP"],
        ),
        name=app.config["UPSTREAM_NAME"],
    )
    observability.instrument_openrouter(app.extensions["openrouter"])


def _init_recalls(app: Flask) -> None:
    """NHTSA's recalls (one pooled client per process, cached in Redis when there is one),
    for the My vehicle page and the check_recalls tool."""
    timeout = app.config["RECALLS_TIMEOUT"]
    service = nhtsa.RecallsService(
        nhtsa.NhtsaClient(
            app.config["NHTSA_RECALLS_URL"],
            connect_timeout=min(3.0, timeout),
            read_timeout=timeout,
        ),
        redis_client=app.extensions.get("redis"),
        prefix=app.config["CATALOG_CACHE_PREFIX"],
        fresh_seconds=app.config["RECALLS_CACHE_SECONDS"],
    )
    app.extensions["recalls"] = service
    recalls.connect(service.lookup)


def _register_template_filters(app: Flask) -> None:
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["per_million"] = per_million
    app.jinja_env.filters["timestamp"] = format_timestamp
    app.jinja_env.filters["pretty_json"] = pretty_json
    app.jinja_env.filters["isoformat"] = lambda moment: as_utc(moment).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )


def _register_blueprints(app: Flask) -> None:
    from views import attachments, chat, conversations, errors, ops
    from views import search as search_views
    from views import settings as settings_views
    from views import sharing as sharing_views
    from views import transfer as transfer_views
    from views import vehicle as vehicle_views

    app.register_blueprint(chat.bp)
    app.register_blueprint(search_views.bp)
    app.register_blueprint(conversations.bp)
    app.register_blueprint(attachments.bp)
    app.register_blueprint(settings_views.bp)
    app.register_blueprint(vehicle_views.bp)
    app.register_blueprint(sharing_views.bp)
    app.register_blueprint(transfer_views.bp)
    app.register_blueprint(ops.bp)
    app.register_blueprint(errors.bp)


def create_app(
    config: Mapping[str, Any] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    instance_path: str | None = None,
) -> Flask:
    """Build the app from the environment, then apply explicit overrides."""
    env = os.environ if env is None else env
    app = _new_app(instance_path or env.get("INSTANCE_PATH") or str(ROOT / "instance"))
    _load_config(app, env, config)
    observability.configure_logging(app.config["LOG_LEVEL"], app.config["LOG_FORMAT"])
    _init_database(app)
    security.init_app(app)
    observability.init_app(app)
    session_store.init_app(app)
    _init_provider(app)
    _init_recalls(app)
    app.cli.add_command(session_backup.sessions_cli)
    _register_template_filters(app)
    _register_blueprints(app)
    return app
