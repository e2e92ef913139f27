"""Fixtures: a fake OpenRouter, an isolated database and Redis prefix per run, the app.

With TEST_DATABASE_URL / TEST_REDIS_URL set, the suite runs against real PostgreSQL
and Redis: each run creates its own database and key prefix and removes them after.
Without them it runs on the embedded defaults (SQLite and file sessions). Under CI
both must be set and reachable, or the run fails.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
import requests
import sqlalchemy as sa
from flask import request as flask_request
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config import normalize_database_url  # noqa: E402
from tests.fake_openrouter import FakeOpenRouter  # noqa: E402

TEST_DATABASE_URL = normalize_database_url(os.environ.get("TEST_DATABASE_URL", "").strip())
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "").strip()
IN_CI = bool(os.environ.get("CI"))
RUN_ID = uuid.uuid4().hex[:10]
SECRET = "test-session-secret-" + "x" * 32
CANARY_KEY = "sk-or-v1-canary0000000000000000000000000000000000000000000000000c4n4"


def _require_services() -> None:
    problems = []
    if IN_CI and not TEST_DATABASE_URL:
        problems.append("TEST_DATABASE_URL is not set")
    if IN_CI and not TEST_REDIS_URL:
        problems.append("TEST_REDIS_URL is not set")
    if TEST_DATABASE_URL:
        try:
            engine = sa.create_engine(TEST_DATABASE_URL, connect_args={"connect_timeout": 5})
            with engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
            engine.dispose()
        except Exception as exc:
            problems.append(
                f"PostgreSQL at TEST_DATABASE_URL is unreachable ({exc.__class__.__name__})"
            )
    if TEST_REDIS_URL:
        try:
            redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=3).ping()
        except Exception as exc:
            problems.append(f"Redis at TEST_REDIS_URL is unreachable ({exc.__class__.__name__})")
    if problems:
        pytest.exit("real services required: " + "; ".join(problems), returncode=1)


class CanaryWatch(logging.Handler):
    """Watch every log line (tracebacks included) and every page for the canary key."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines_seen = 0
        self.responses_seen = 0
        self.rows_seen = 0
        self.leaks: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines_seen += 1
        text = self.format(record)  # includes the formatted traceback, if any
        if CANARY_KEY in text or CANARY_KEY[-12:] in text:
            self.leaks.append(f"log line: {text[:200]}")

    def check_text(self, text: str, where: str) -> None:
        if CANARY_KEY in text or CANARY_KEY[-12:] in text:
            self.leaks.append(where)

    def check_response(self, response):
        self.responses_seen += 1
        where = f"response to {flask_request.path}"
        if not response.is_streamed:
            self.check_text(response.get_data(as_text=True), where)
            return response
        chunks = response.response

        def watched():
            # Streamed answers (SSE) are checked chunk by chunk as they are sent.
            for chunk in chunks:
                self.check_text(chunk.decode() if isinstance(chunk, bytes) else chunk, where)
                yield chunk

        response.response = watched()
        return response


CANARY_WATCH = CanaryWatch()


def pytest_sessionstart(session: pytest.Session) -> None:
    _require_services()
    # Debug logging on for the whole run, so a leak at any level is seen.
    root = logging.getLogger()
    root.setLevel(logging.DEBUG)
    root.addHandler(CANARY_WATCH)


def pytest_report_header(config: pytest.Config) -> list[str]:
    database = "PostgreSQL (TEST_DATABASE_URL)" if TEST_DATABASE_URL else "SQLite (embedded)"
    sessions = "Redis (TEST_REDIS_URL)" if TEST_REDIS_URL else "files (embedded)"
    return [f"automotive-chat: database={database} sessions={sessions} run={RUN_ID}"]


def with_database(url: str, name: str) -> str:
    """Return the same server URL pointing at another database."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def wait_until_serving(server: subprocess.Popen, base: str, seconds: float) -> bool:
    """Wait until a server we started answers /health; False if it exited or never did."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            requests.get(f"{base}/health", timeout=2)
            return True
        except (requests.ConnectionError, requests.Timeout):
            if time.monotonic() > deadline or server.poll() is not None:
                return False
            time.sleep(0.2)


def free_port() -> int:
    """Return a loopback port nothing is listening on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------- services


@pytest.fixture(scope="session")
def fake_server() -> Iterator[FakeOpenRouter]:
    server = FakeOpenRouter()
    yield server
    server.close()


@pytest.fixture
def fake(fake_server: FakeOpenRouter) -> FakeOpenRouter:
    fake_server.reset()
    return fake_server


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not TEST_DATABASE_URL:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    name = f"autochat_test_{RUN_ID}"
    admin = sa.create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield with_database(TEST_DATABASE_URL, name)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def redis_prefix() -> Iterator[str]:
    prefix = f"autochat-test-{RUN_ID}:"
    yield prefix
    if TEST_REDIS_URL:
        client = redis.Redis.from_url(TEST_REDIS_URL)
        for key in client.scan_iter(match=f"*{prefix}*"):  # rate limits add their own prefix
            client.delete(key)
        client.close()


@pytest.fixture(scope="session")
def migrated(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Apply the real migrations once per run, as `flask db upgrade` does."""
    from flask_migrate import upgrade

    from app import create_app

    app = create_app(
        env={"SESSION_SECRET": SECRET, "DATABASE_URL": database_url},
        instance_path=str(tmp_path_factory.mktemp("migrate-instance")),
    )
    with app.app_context():
        upgrade()
        from models import db

        db.engine.dispose()
    return database_url


def base_env(fake: FakeOpenRouter, database_url: str, **extra: str) -> dict[str, str]:
    """Return the environment an app under test starts with."""
    env = {
        "SESSION_SECRET": SECRET,
        "DATABASE_URL": database_url,
        "OPENROUTER_BASE_URL": fake.url,
        # The fake plays OpenRouter, and is named as it would be.
        "UPSTREAM_NAME": "OpenRouter",
        "OPENROUTER_READ_TIMEOUT": "5",
        "OPENROUTER_CONNECT_TIMEOUT": "2",
        # Error-display tests see each failure once; retry tests turn retries back on.
        "OPENROUTER_MAX_RETRIES": "0",
        # Rate-limit tests set their own limits; the rest of the suite should not hit them.
        "RATE_LIMIT_CHAT": "1000 per minute",
        "RATE_LIMIT_CHAT_IP": "1000 per minute",
        "RATE_LIMIT_KEY_TEST": "1000 per minute",
        "RATE_LIMIT_KEY_TEST_IP": "1000 per minute",
    }
    if TEST_REDIS_URL:
        env["REDIS_URL"] = TEST_REDIS_URL
    env.update(extra)
    return env


# ---------------------------------------------------------------- the app


class AppFactory:
    """Build apps sharing the run's database; tear all of them down after the test."""

    def __init__(self, fake, database_url, redis_prefix, tmp_path) -> None:
        self.fake = fake
        self.database_url = database_url
        self.redis_prefix = redis_prefix
        self.instance_path = str(tmp_path / "instance")
        # Apps of one test share a catalog cache; tests never see each other's.
        self.catalog_prefix = f"{redis_prefix}{uuid.uuid4().hex[:8]}:"
        self.apps = []

    def __call__(self, config: dict | None = None, **env_extra: str):
        from app import create_app

        env = base_env(self.fake, self.database_url, **env_extra)
        overrides = {
            "TESTING": True,
            "SESSION_KEY_PREFIX": self.redis_prefix + "session:",
            "CATALOG_CACHE_PREFIX": self.catalog_prefix,
            "RATELIMIT_KEY_PREFIX": self.catalog_prefix + "limits",
        }
        overrides.update(config or {})
        app = create_app(overrides, env=env, instance_path=self.instance_path)
        app.after_request(CANARY_WATCH.check_response)
        self.apps.append(app)
        return app

    def close(self) -> None:
        from models import db

        for app in self.apps:
            with app.app_context():
                for engine in db.engines.values():
                    engine.dispose()
            app.extensions["openrouter"].close()
            client = app.extensions.get("redis")
            if client is not None:
                client.close()


@pytest.fixture
def make_app(fake, migrated, redis_prefix, tmp_path) -> Iterator[AppFactory]:
    factory = AppFactory(fake, migrated, redis_prefix, tmp_path)
    yield factory
    factory.close()
    _empty_tables(migrated)


def _empty_tables(database_url: str) -> None:
    engine = sa.create_engine(database_url)
    with engine.begin() as connection:
        for table in ("conversation", "message"):
            for row in connection.execute(sa.text(f"SELECT * FROM {table}")):  # noqa: S608
                CANARY_WATCH.rows_seen += 1
                if CANARY_KEY[-12:] in repr(tuple(row)):
                    CANARY_WATCH.leaks.append(f"{table} row {tuple(row)[:2]}")
        connection.execute(sa.text("DELETE FROM message"))
        connection.execute(sa.text("DELETE FROM conversation"))
        connection.execute(sa.text("DELETE FROM vehicle"))
    engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@contextlib.contextmanager
def serving(app):
    """Serve an app on a real loopback port (threaded), for streams and browsers."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def live_server(app):
    with serving(app) as url:
        yield url


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# ---------------------------------------------------------------- page helpers


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client, path: str = "/") -> str:
    """Fetch a page and return the CSRF token its forms carry."""
    page = client.get(path)
    match = CSRF_RE.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


class Visitor:
    """A browser-like visitor: keeps cookies, sends forms with their CSRF token."""

    def __init__(self, client) -> None:
        self.client = client
        self.pages: list[str] = []

    def get(self, path: str, **kwargs):
        response = self.client.get(path, **kwargs)
        self.pages.append(response.get_data(as_text=True))
        return response

    def post(self, path: str, data: dict | None = None, *, source: str = "/", **kwargs):
        form = {"csrf_token": csrf_token(self.client, source), **(data or {})}
        response = self.client.post(path, data=form, **kwargs)
        self.pages.append(response.get_data(as_text=True))
        return response

    def send(self, message: str, conversation_id: str | None = None, headers=None, **fields):
        data = {"message": message, **fields}
        if conversation_id:
            data["conversation_id"] = conversation_id
        return self.post("/chat", data, headers=headers)

    def send_json(self, message: str, conversation_id: str | None = None, **fields):
        body = {"message": message, **fields}
        if conversation_id:
            body["conversation_id"] = conversation_id
        token = csrf_token(self.client)
        response = self.client.post(
            "/chat",
            json=body,
            headers={"X-CSRFToken": token, "Accept": "application/json"},
        )
        self.pages.append(response.get_data(as_text=True))
        return response

    def save_key(self, key: str, model: str | None = None):
        data = {"api_key": key}
        if model:
            data["model"] = model
        return self.post("/settings", data, source="/settings")


@pytest.fixture
def visitor(client) -> Visitor:
    return Visitor(client)


@pytest.fixture
def keyed_visitor(visitor: Visitor) -> Visitor:
    """A visitor who saved the canary key in Settings."""
    response = visitor.save_key(CANARY_KEY)
    assert response.status_code == 303
    return visitor


def conversation_id_from(response) -> str:
    """Read the conversation id from a 303 to /c/<id>."""
    location = response.headers["Location"]
    match = re.search(r"/c/([0-9a-f]{32})$", location)
    assert match, location
    return match.group(1)


def history_window(app, visitor: Visitor) -> dict:
    """Read the history window kept beside this visitor's session."""
    sid = visitor.client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    key = f"{app.config['SESSION_KEY_PREFIX']}history:{sid}"
    return app.session_interface.read_extra(key)
