"""PostgreSQL and Redis that a test owns: started on their own ports, stopped, restarted, flushed.

The machine's shared services are never touched: an outage test needs a service it may
kill, and the shared ones serve every other run on the machine. Each instance keeps its
port across restarts, so a running app (whose DATABASE_URL / REDIS_URL name that port)
sees the same service come back, as it would after a real outage.

``PrivateRedis`` runs ``redis-server`` with nothing persisted (a restart starts empty, as a
Redis without AOF or RDB does). ``PrivatePostgres`` runs PostgreSQL 15's ``initdb`` once,
then ``pg_ctl`` start / stop (fast). Under root the cluster belongs to the ``postgres`` OS
user (``initdb`` refuses root), in a folder under /tmp that user can reach.

Missing binaries skip the test locally and fail it under CI (``require_tool``).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import ClassVar

import pytest
import redis
import requests
import sqlalchemy as sa

from tests.support import IN_CI, RUN_ID, SECRET, free_port
from tests.support.deploy import require_tool
from tests.support.fake_openrouter import FakeOpenRouter
from tests.support.live import LiveServer, LiveServers, workers

PG_BIN_DIRS = ("/usr/local/bin", "/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin")


def port_open(port: int) -> bool:
    """True when something accepts connections on 127.0.0.1:port."""
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


class PrivateRedis:
    """A ``redis-server`` of this test run on a free loopback port."""

    def __init__(self, folder: Path) -> None:
        self.binary = require_tool("redis-server", "/usr/bin/redis-server")
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.log_path = folder / "redis.log"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        """Start on this instance's port (the same one after a stop) and wait for PING."""
        if self.running:
            return
        with self.log_path.open("a") as log:
            self.process = subprocess.Popen(
                [self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
                 "--save", "", "--appendonly", "no", "--daemonize", "no",
                 "--dir", str(self.folder)],
                stdout=log,
                stderr=subprocess.STDOUT,
            )  # fmt: skip

        def answers() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"redis-server exited: {self.log_path.read_text()[-2000:]}")
            try:
                return bool(self.client().ping())
            except redis.RedisError:
                return False

        wait_until(answers, 20, f"redis-server on port {self.port}")

    def stop(self) -> None:
        """SIGTERM, as an orchestrator stops it; wait until the port is closed."""
        if not self.running:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        wait_until(lambda: not port_open(self.port), 10, "the Redis port to close")

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_timeout=3, socket_connect_timeout=3)

    def flushall(self) -> None:
        client = self.client()
        try:
            client.flushall()
        finally:
            client.close()

    def close(self) -> None:
        self.stop()


class PrivatePostgres:
    """A PostgreSQL cluster of this test run: ``initdb`` once, start and stop on one port."""

    DATABASE = "autochat_faults"

    def __init__(self) -> None:
        self.initdb = require_tool("initdb", *(f"{d}/initdb" for d in PG_BIN_DIRS))
        self.pg_ctl = require_tool("pg_ctl", *(f"{d}/pg_ctl" for d in PG_BIN_DIRS))
        require_tool("postgres", *(f"{d}/postgres" for d in PG_BIN_DIRS))
        self.port = free_port()
        # Not under pytest's tmp folder: under root that is 0700, closed to the postgres user.
        self.folder = Path(tempfile.mkdtemp(prefix="autochat-faults-pg-"))
        self.data = self.folder / "data"
        self.sockets = self.folder / "sockets"
        self.log_path = self.folder / "postgres.log"
        self.sockets.mkdir()
        self.user = None
        if os.geteuid() == 0:
            try:
                self.user = pwd.getpwnam("postgres")
            except KeyError:
                shutil.rmtree(self.folder, ignore_errors=True)
                message = "initdb refuses root, and there is no postgres OS user to run it as"
                if IN_CI:
                    pytest.fail(message)
                pytest.skip(message)
            for path in (self.folder, self.sockets):
                os.chown(path, self.user.pw_uid, self.user.pw_gid)
        try:
            self._run(
                [self.initdb, "-D", str(self.data), "-U", "postgres", "-A", "trust",
                 "-E", "UTF8", "--locale=C", "--no-sync"]
            )  # fmt: skip
            self.start()
            admin = sa.create_engine(self.url_of("postgres"), isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(sa.text(f'CREATE DATABASE "{self.DATABASE}"'))
            admin.dispose()
        except BaseException:
            self.close()  # no cluster left running behind a failed start
            raise

    def url_of(self, database: str) -> str:
        """A URL for this process's own engines (the psycopg2 driver named)."""
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/{database}"

    @property
    def url(self) -> str:
        """The app's DATABASE_URL, written as a deployment writes it."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{self.DATABASE}"

    @property
    def engine_url(self) -> str:
        return self.url_of(self.DATABASE)

    def _run(self, command: list[str], timeout: float = 60) -> None:
        if self.user is not None:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            log = self.log_path.read_text()[-2000:] if self.log_path.exists() else ""
            raise AssertionError(f"{command[-1]} failed: {result.stdout}{result.stderr}{log}")

    @property
    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists() and port_open(self.port)

    def start(self) -> None:
        """Start on this cluster's port and return once it accepts connections (``-w``)."""
        if self.running:
            return
        options = (
            f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200"
        )
        self._run(
            [self.pg_ctl, "-D", str(self.data), "-l", str(self.log_path), "-o", options,
             "-w", "-t", "60", "start"]
        )  # fmt: skip

    def stop(self) -> None:
        """Stop fast: open sessions are cut off, as when the database host goes away."""
        if not (self.data / "postmaster.pid").exists():
            return
        self._run([self.pg_ctl, "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop"])
        wait_until(lambda: not port_open(self.port), 10, "the PostgreSQL port to close")

    def close(self) -> None:
        with contextlib.suppress(AssertionError, subprocess.SubprocessError):
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


# ---------------------------------------------------------------- an upstream that breaks sockets


# ---------------------------------------------------------------- the rig


# Figures a fault test measured (times to recover), printed in the run's summary.
FIGURES: list[str] = []


def record_figure(line: str) -> None:
    FIGURES.append(line)


def migrate_database(url: str, instance_path: str) -> None:
    """Apply the real migrations, as ``flask db upgrade`` does."""
    from flask_migrate import upgrade

    from app import create_app
    from models import db

    app = create_app(
        env={"SESSION_SECRET": SECRET, "DATABASE_URL": url}, instance_path=instance_path
    )
    with app.app_context():
        upgrade()
        db.engine.dispose()


class FaultRig:
    """Real Gunicorn (gunicorn.conf.py, gevent, 2 workers) on this run's private PostgreSQL
    and Redis, talking to a ``FakeOpenRouter``; and what a test reads back.

    Upstream timeouts are short (read 2 s, connect 1 s) so a silent upstream costs a test
    two seconds; every setting can be overridden per server by name.

    Killing a worker mid-stream::

        live = rig.server()
        browser = live.browser()
        pid = live.worker_for(browser.get("/"))  # this kept-alive connection's worker
        response = browser.open_stream("...")  # the same connection, so the same worker
        events_until_end(response, stop_at="delta")
        rig.kill_worker(live, pid)  # SIGKILL, then wait for the master's replacement
    """

    DEFAULTS: ClassVar[dict[str, str]] = {
        "WORKERS": "2",
        "OPENROUTER_READ_TIMEOUT": "2",
        "OPENROUTER_CONNECT_TIMEOUT": "1",
        "DB_POOL_SIZE": "5",
        "DB_MAX_OVERFLOW": "5",
        # Seconds Redis may take: an unreachable store is told quickly.
        "HEALTH_TIMEOUT": "1",
    }

    def __init__(
        self,
        upstream: FakeOpenRouter,
        postgres: PrivatePostgres,
        redis_server: PrivateRedis,
        tmp: Path,
    ) -> None:
        self.upstream = upstream
        self.postgres = postgres
        self.redis = redis_server
        self.servers = LiveServers(upstream.url, postgres.url, f"faults-{RUN_ID}:", tmp)

    def server(self, name: str = "main", **env: str | None) -> LiveServer:
        """The Gunicorn called ``name``, started the first time with ``env`` over DEFAULTS."""
        settings = {**self.DEFAULTS, "REDIS_URL": self.redis.url, **env}
        live = self.servers.start(name, **settings)
        return live

    def ensure_services(self) -> None:
        """Bring back whatever an earlier test left stopped."""
        self.postgres.start()
        self.redis.start()

    @staticmethod
    def worker_pids(live: LiveServer) -> list[int]:
        """The master's worker processes, oldest pid first."""
        return sorted(workers(live.server))

    def kill_worker(self, live: LiveServer, pid: int, timeout: float = 30) -> list[int]:
        """SIGKILL one worker and wait until the master has replaced it; the new pids."""
        count = len(self.worker_pids(live))
        os.kill(pid, signal.SIGKILL)
        wait_until(
            lambda: pid not in self.worker_pids(live) and len(self.worker_pids(live)) == count,
            timeout,
            f"a replacement for worker {pid}",
        )
        return self.worker_pids(live)

    def health(self, live: LiveServer) -> int:
        """/health's status, or 0 when the server did not answer at all."""
        try:
            return requests.get(f"{live.base}/health", timeout=10).status_code
        except requests.RequestException:
            return 0

    def messages(self, conversation_id: str) -> list[dict]:
        """The conversation's messages as stored, oldest first."""
        engine = sa.create_engine(self.postgres.engine_url)
        try:
            with engine.connect() as connection:
                found = connection.execute(
                    sa.text(
                        "SELECT id, role, status, content, error_kind FROM message"
                        " WHERE conversation_id = :c ORDER BY id"
                    ),
                    {"c": conversation_id},
                ).all()
        finally:
            engine.dispose()
        return [dict(row._mapping) for row in found]

    def user_texts(self) -> list[str]:
        """Every user message's text in the database."""
        engine = sa.create_engine(self.postgres.engine_url)
        try:
            with engine.connect() as connection:
                found = connection.execute(
                    sa.text("SELECT content FROM message WHERE role = 'user'")
                ).scalars()
                return list(found)
        finally:
            engine.dispose()

    def close(self) -> None:
        self.servers.close()
