"""What the tests share: the run's settings, the canary watch, the app factory, page helpers.

Test files import from here (and from the modules beside it: the fake upstream, the
deployment helpers, the SSE readers, real Gunicorn and a browser-like visitor (``live``),
the evaluation set); never from another test file or from conftest.py, which holds only
fixtures and hooks.

With TEST_DATABASE_URL / TEST_REDIS_URL set, the suite runs against real PostgreSQL
and Redis: each run creates its own database and key prefix and removes them after.
Without them it runs on the embedded defaults (SQLite and file sessions). Under CI
both must be set and reachable, or the run fails.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
import requests
import sqlalchemy as sa
from flask import request as flask_request

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))

from config import normalize_database_url  # noqa: E402

if TYPE_CHECKING:
    from tests.support.fake_openrouter import FakeOpenRouter

TEST_DATABASE_URL = normalize_database_url(os.environ.get("TEST_DATABASE_URL", "").strip())
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "").strip()
IN_CI = bool(os.environ.get("CI"))
RUN_ID = uuid.uuid4().hex[:10]
SECRET = "test-session-secret-" + "x" * 32
CANARY_KEY = "sk-or-v1-canary0000000000000000000000000000000000000000000000000c4n4"
BIN = Path(sys.executable).parent


def require_services() -> None:
    """Stop the run when CI lacks the real services, or when a configured one is down."""
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


# ---------------------------------------------------------------- the canary watch


class CanaryWatch(logging.Handler):
    """Watch every log line (tracebacks included), every page and every row for the canary key.

    The key is saved in Settings and sent upstream in most tests, including forced 401s
    and 500s, with debug logging on. tests/conftest.py fails the session if it leaked.
    """

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
            # Binary downloads (a .zip export) are read as far as they are text.
            self.check_text(response.get_data().decode(errors="replace"), where)
            return response
        chunks = response.response

        def watched():
            # Streamed answers (SSE) are checked chunk by chunk as they are sent.
            for chunk in chunks:
                text = chunk.decode(errors="replace") if isinstance(chunk, bytes) else chunk
                self.check_text(text, where)
                yield chunk

        response.response = watched()
        return response


CANARY_WATCH = CanaryWatch()


# ---------------------------------------------------------------- servers


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


def gunicorn_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """This machine's environment without app settings, with this venv first on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "DATABASE", "REDIS"))}
    env.update({"INSTANCE_PATH": str(tmp_path / "instance"), "PATH": f"{BIN}:{env['PATH']}"})
    env.update(extra)
    return env


def start_gunicorn(env: dict[str, str], port: int, log=subprocess.DEVNULL):
    """Start Gunicorn with gunicorn.conf.py and wait until /health answers."""
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "main:app"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    if not wait_until_serving(server, base, 30):
        server.kill()
        raise AssertionError("gunicorn did not start")
    return server, base


# ---------------------------------------------------------------- the app


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
        "NHTSA_RECALLS_URL": "http://127.0.0.1:9",  # closed: no test asks NHTSA (fake_nhtsa.py)
        # Rate-limit tests set their own limits; the rest of the suite should not hit them.
        "RATE_LIMIT_CHAT": "1000 per minute",
        "RATE_LIMIT_CHAT_IP": "1000 per minute",
        "RATE_LIMIT_KEY_TEST": "1000 per minute",
        "RATE_LIMIT_KEY_TEST_IP": "1000 per minute",
        "RATE_LIMIT_IMPORT": "1000 per minute",
        "RATE_LIMIT_SEARCH": "1000 per minute",
        "RATE_LIMIT_SEARCH_IP": "1000 per minute",
        "RATE_LIMIT_PAIR": "1000 per minute",
    }
    if TEST_REDIS_URL:
        env["REDIS_URL"] = TEST_REDIS_URL
    env.update(extra)
    return env


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


def empty_tables(database_url: str) -> None:
    """Scan the rows a test left for the canary key (counting them), then delete them."""
    engine = sa.create_engine(database_url)
    with engine.begin() as connection:
        for table in ("conversation", "message"):
            for row in connection.execute(sa.text(f"SELECT * FROM {table}")):  # noqa: S608
                CANARY_WATCH.rows_seen += 1
                if CANARY_KEY[-12:] in repr(tuple(row)):
                    CANARY_WATCH.leaks.append(f"{table} row {tuple(row)[:2]}")
        from models import db

        # Every table the models declare, children first (new tables are covered too).
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())
    engine.dispose()


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


def tiny_picture(message_id: int, filename: str):
    """An Attachment row for a test page: a 40×30 "JPEG" of four bytes (the page shows its
    facts, never decodes it)."""
    from models import Attachment

    return Attachment(
        message_id=message_id,
        filename=filename,
        content_type="image/jpeg",
        width=40,
        height=30,
        byte_size=4,
        data=b"jpeg",
        thumbnail_type="image/jpeg",
        thumbnail=b"jpeg",
    )


def conversation_id_from(response) -> str:
    """Read the conversation id from a 303 to /c/<id>."""
    location = response.headers["Location"]
    match = re.search(r"/c/([0-9a-f]{32})(?:#m\d+)?$", location)
    assert match, location
    return match.group(1)


def history_window(app, visitor: Visitor) -> dict:
    """Read the history window kept beside this visitor's session."""
    sid = visitor.client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    key = f"{app.config['SESSION_KEY_PREFIX']}history:{sid}"
    return app.session_interface.read_extra(key)


# ---------------------------------------------------------------- the documentation

SETTING_SOURCES = ["config.py", "gunicorn.conf.py", "app.py"]


def settings_read_by_the_code() -> set[str]:
    """The environment variables config.py, gunicorn.conf.py and app.py read."""
    text = "\n".join((ROOT / name).read_text() for name in SETTING_SOURCES)
    found = set(re.findall(r'(?:env|environ)\.get\(\s*"([A-Z][A-Z0-9_]+)"', text))
    found |= set(re.findall(r'_(?:int|float)\(env, "([A-Z][A-Z0-9_]+)"', text))
    found |= set(re.findall(r'_env_int\(\s*"([A-Z][A-Z0-9_]+)"', text))  # gunicorn.conf.py
    return found
