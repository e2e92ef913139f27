"""Configuration, fail-fast production start-up, migrations, and the real Gunicorn server."""

from __future__ import annotations

import re
import runpy
import socket
import subprocess
import sys
import time
from types import SimpleNamespace

import pytest
import requests

from config import ConfigError, from_env, normalize_database_url
from tests.support import BIN, ROOT, free_port, gunicorn_env, start_gunicorn


def test_embedded_defaults_need_no_environment(tmp_path):
    config = from_env({}, str(tmp_path))
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'automotive_chat.db'}"
    assert config["REDIS_URL"] is None
    assert config["SESSION_FILE_DIR"] == str(tmp_path / "sessions")
    assert config["DEFAULT_MODEL"] == "deepseek/deepseek-chat-v3-0324:free"
    assert config["OPENROUTER_BASE_URL"] == "https://openrouter.ai/api/v1"
    assert config["MAX_MESSAGE_LENGTH"] == 8000
    assert config["PERMANENT_SESSION_LIFETIME"].total_seconds() == 3600
    # A generated secret is kept so sessions survive a laptop restart.
    assert from_env({}, str(tmp_path))["SECRET_KEY"] == config["SECRET_KEY"]
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"FLASK_ENV": "production", "DATABASE_URL": "postgresql://db/x"}, "SESSION_SECRET"),
        ({"FLASK_ENV": "production", "SESSION_SECRET": "s" * 40}, "DATABASE_URL"),
        (
            {"FLASK_ENV": "production", "SESSION_SECRET": "short", "DATABASE_URL": "x"},
            "SESSION_SECRET must be at least 32",
        ),
        ({"MAX_MESSAGE_LENGTH": "lots"}, "MAX_MESSAGE_LENGTH"),
        ({"OPENROUTER_READ_TIMEOUT": "-1"}, "OPENROUTER_READ_TIMEOUT"),
        ({"SESSION_LIFETIME": "5"}, "SESSION_LIFETIME"),
        ({"OPENROUTER_READ_TIMEOUT": "150"}, "must be below GUNICORN_TIMEOUT"),
        # No room for a retry's connect inside the read timeout: retries would never happen.
        (
            {"OPENROUTER_READ_TIMEOUT": "10", "OPENROUTER_CONNECT_TIMEOUT": "10"},
            r"OPENROUTER_READ_TIMEOUT \(10\) must be above OPENROUTER_CONNECT_TIMEOUT \(10\)",
        ),
        ({"FLASK_ENV": "prod"}, "FLASK_ENV must be development or production"),
    ],
)
def test_bad_settings_stop_start_up_naming_the_variable(tmp_path, env, variable):
    with pytest.raises(ConfigError, match=variable):
        from_env(env, str(tmp_path))


def test_production_uses_secure_cookies(tmp_path):
    config = from_env(
        {"FLASK_ENV": "production", "SESSION_SECRET": "s" * 40, "DATABASE_URL": "postgres://h/db"},
        str(tmp_path),
    )
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg2://h/db"
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u:p@h/db", "postgresql+psycopg2://u:p@h/db"),
        ("postgresql://h/db", "postgresql+psycopg2://h/db"),
        ("postgresql+psycopg2://h/db", "postgresql+psycopg2://h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_database_url_spellings(url, expected):
    assert normalize_database_url(url) == expected


def test_production_start_without_secret_prints_one_line_and_exits(tmp_path):
    for command in (
        [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "main:app"],
        [sys.executable, "-c", "import main"],
        [str(BIN / "flask"), "--app", "main", "db", "upgrade"],
    ):
        result = subprocess.run(
            command,
            cwd=ROOT,
            env=gunicorn_env(tmp_path, FLASK_ENV="production", BIND=f"127.0.0.1:{free_port()}"),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode != 0, command
        lines = [line for line in result.stderr.splitlines() if "configuration error" in line]
        assert lines == [
            "automotive-chat: configuration error: "
            "SESSION_SECRET is required when FLASK_ENV=production"
        ], result.stderr
        assert "Traceback" not in result.stderr


def test_a_taken_port_stops_start_up_with_one_line_and_no_retries(tmp_path):
    """Gunicorn alone logs "Connection in use" five times over five seconds, then exits."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        started = time.monotonic()
        result = subprocess.run(
            [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "main:app"],
            cwd=ROOT,
            env=gunicorn_env(
                tmp_path, BIND=f"127.0.0.1:{port}", PIDFILE=str(tmp_path / "gunicorn.pid")
            ),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=60,
        )
        elapsed = time.monotonic() - started
    assert result.returncode != 0, result.stdout
    lines = [line for line in result.stdout.splitlines() if "already in use" in line]
    assert len(lines) == 1, result.stdout
    assert re.fullmatch(
        rf"error: 127\.0\.0\.1:{port} is already in use; pick another port: "
        r"make run PORT=\d+ \(or set BIND=host:port\)",
        lines[0],
    ), lines[0]
    assert "Connection in use" not in result.stdout
    assert "Retrying" not in result.stdout
    assert "Traceback" not in result.stdout
    assert not (tmp_path / "gunicorn.pid").exists()
    # The app's import (preloaded) is all it waits for: Gunicorn's retries alone take 5 s.
    assert elapsed < 10, elapsed


@pytest.fixture
def gunicorn_conf(monkeypatch, tmp_path):
    """gunicorn.conf.py's names, loaded as Gunicorn loads it (no temporary metrics folder)."""
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    for name in ("LISTEN_FDS", "LISTEN_PID", "GUNICORN_FD"):
        monkeypatch.delenv(name, raising=False)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def _listening(reuse_port: bool = False) -> socket.socket:
    holder = socket.socket()
    if reuse_port:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    return holder


def test_the_port_check_skips_what_gunicorn_does_not_bind_itself(
    gunicorn_conf, monkeypatch, tmp_path
):
    in_use = gunicorn_conf["_addresses_in_use"]
    with _listening() as holder:
        taken = ("127.0.0.1", holder.getsockname()[1])
        free = ("127.0.0.1", free_port())
        # Unix sockets (Gunicorn replaces a stale file) and fd:// binds are never checked.
        cfg = SimpleNamespace(
            address=[free, str(tmp_path / "app.sock"), 5, taken], reuse_port=False
        )
        assert in_use(cfg) == [taken]
        # Sockets handed over by systemd, or by the old master on USR2, are already bound.
        for name in ("LISTEN_FDS", "GUNICORN_FD"):
            monkeypatch.setenv(name, "3")
            assert in_use(cfg) == []
            monkeypatch.delenv(name)


@pytest.mark.skipif(not hasattr(socket, "SO_REUSEPORT"), reason="no SO_REUSEPORT here")
def test_the_port_check_lets_reuse_port_share_a_port(gunicorn_conf):
    in_use = gunicorn_conf["_addresses_in_use"]
    with _listening(reuse_port=True) as holder:
        address = ("127.0.0.1", holder.getsockname()[1])
        assert in_use(SimpleNamespace(address=[address], reuse_port=True)) == []
        assert in_use(SimpleNamespace(address=[address], reuse_port=False)) == [address]


def test_migrations_match_the_models(app):
    from flask_migrate import check

    with app.app_context():
        check()  # raises when models and migrations disagree


@pytest.mark.slow
def test_make_run_path_serves_with_gunicorn(tmp_path, fake):
    """Migrate with the Flask CLI, then serve with gunicorn.conf.py as `make run` does."""
    port = free_port()
    env = gunicorn_env(
        tmp_path, BIND=f"127.0.0.1:{port}", OPENROUTER_BASE_URL=fake.url, WORKERS="2"
    )
    migrate = subprocess.run(
        [str(BIN / "flask"), "--app", "main", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert migrate.returncode == 0, migrate.stderr
    assert (tmp_path / "instance" / "automotive_chat.db").exists()

    log = (tmp_path / "gunicorn.log").open("w+")
    server, base = start_gunicorn(env, port, log)
    try:
        health = requests.get(f"{base}/health", timeout=5)
        assert health.status_code == 200
        assert health.json()["status"] == "healthy"

        browser = requests.Session()
        page = browser.get(base + "/", timeout=5)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        sent = browser.post(
            base + "/chat",
            data={"csrf_token": token, "message": "Wipers stopped working"},
            timeout=10,
        )
        assert sent.status_code == 200  # followed the 303 to the conversation
        assert re.search(r"/c/[0-9a-f]{32}(#m\d+)?$", sent.url)
        assert "Wipers stopped working" in sent.text
        assert "The assistant is offline" in sent.text

        log.flush()
        log.seek(0)
        assert f"running at http://127.0.0.1:{port}/" in log.read()
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
