"""deploy/maintenance.sh and deploy/start.sh, run for real.

The session clean-up runs against cachelib files written the way the app writes them;
the graceful reload runs against Gunicorn started by deploy/start.sh, mid-stream.
"""

from __future__ import annotations

import socket
import struct
import subprocess
import time
from pathlib import Path

import pytest
import requests
from cachelib.file import FileSystemCache

from tests.support import SECRET, free_port
from tests.support.deploy import DEPLOY, clean_env, start_app, stop
from tests.support.fake_openrouter import Stream
from tests.support.streaming import SSE_HEADERS, read_events

MAINTENANCE = DEPLOY / "maintenance.sh"
PREFIX = "autochat:session:"  # the app's default SESSION_KEY_PREFIX


def run_maintenance(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(MAINTENANCE), *args],
        env=clean_env(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def session_store(instance: Path) -> FileSystemCache:
    # As session_store.init_app builds it for the file store.
    return FileSystemCache(str(instance / "sessions"), threshold=100_000, mode=0o600)


def expire(cache: FileSystemCache, key: str, seconds_ago: int = 60) -> None:
    """Move an entry's expiry time (the file's first 4 bytes) into the past."""
    path = Path(cache._get_filename(key))
    data = path.read_bytes()
    path.write_bytes(struct.pack("I", int(time.time()) - seconds_ago) + data[4:])


def test_clean_sessions_deletes_expired_files_and_keeps_live_ones(tmp_path):
    instance = tmp_path / "instance"
    cache = session_store(instance)
    cache.set(PREFIX + "live", {"model": "a"}, timeout=3600)
    cache.set(PREFIX + "expired", {"model": "b"}, timeout=3600)
    cache.set(PREFIX + "history:live", {"messages": []}, timeout=3600)
    cache.set(PREFIX + "history:expired", {"messages": []}, timeout=3600)
    expire(cache, PREFIX + "expired")
    expire(cache, PREFIX + "history:expired")
    writing = instance / "sessions" / "tmpabc.__wz_cache"  # a write in progress
    writing.write_bytes(b"\x00")

    result = run_maintenance(tmp_path, "clean-sessions", INSTANCE_PATH=str(instance))
    assert result.returncode == 0, result.stderr
    assert "removed 2 expired sessions" in result.stdout

    assert not Path(cache._get_filename(PREFIX + "expired")).exists()
    assert not Path(cache._get_filename(PREFIX + "history:expired")).exists()
    assert writing.exists()
    reopened = FileSystemCache(str(instance / "sessions"), threshold=0)  # threshold 0: no recount
    assert reopened.get(PREFIX + "live") == {"model": "a"}
    assert reopened.get(PREFIX + "history:live") == {"messages": []}
    # cachelib's own count (its size limit) matches what is left.
    assert reopened.get("__wz_cache_count") == 2


def test_clean_sessions_leaves_redis_sessions_alone(tmp_path):
    instance = tmp_path / "instance"
    cache = session_store(instance)
    cache.set(PREFIX + "old", {}, timeout=3600)
    expire(cache, PREFIX + "old")
    result = run_maintenance(
        tmp_path, "clean-sessions", INSTANCE_PATH=str(instance), REDIS_URL="redis://127.0.0.1:1/0"
    )
    assert result.returncode == 0
    assert "Redis" in result.stdout
    assert Path(cache._get_filename(PREFIX + "old")).exists()


def test_logs_hint_and_usage(tmp_path):
    logs = run_maintenance(tmp_path, "logs")
    assert logs.returncode == 0
    assert "journalctl -u automotive-chat" in logs.stdout
    assert "logrotate" in logs.stdout
    usage = run_maintenance(tmp_path, "vacuum")
    assert usage.returncode == 2
    assert "usage:" in usage.stderr


def test_reload_without_a_target_says_how(tmp_path):
    result = run_maintenance(tmp_path, "reload")  # no automotive-chat systemd service here
    assert result.returncode != 0
    assert "PIDFILE" in result.stderr


def children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


@pytest.mark.slow
def test_start_script_notifies_systemd_and_reload_keeps_streams(tmp_path, fake):
    """start.sh: migrations, READY=1 for Type=notify, HUP replaces workers mid-stream."""
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp_path / "notify.sock"))
    notify.settimeout(60)
    port = free_port()
    pidfile = tmp_path / "gunicorn.pid"
    env = clean_env(
        tmp_path,
        SESSION_SECRET=SECRET,
        BIND=f"127.0.0.1:{port}",
        WORKERS="2",
        OPENROUTER_API_KEY="sk-or-v1-reload-test-key",
        OPENROUTER_BASE_URL=fake.url,
        NOTIFY_SOCKET=str(tmp_path / "notify.sock"),
        PIDFILE=str(pidfile),
    )
    server, base = start_app(env, port, tmp_path / "app.log")
    try:
        message = notify.recv(4096).decode()
        assert "READY=1" in message  # what Type=notify waits for
        master = int(pidfile.read_text())
        assert master == server.pid  # start.sh exec'd Gunicorn: systemd's MAINPID
        deadline = time.monotonic() + 30
        while len(before := children(master)) != 2:
            assert time.monotonic() < deadline, "two workers never started"
            time.sleep(0.1)

        fake.queue(Stream([f"part {n} " for n in range(8)], delay=0.4))
        session = requests.Session()
        session.trust_env = False
        page = session.get(base + "/", timeout=10)
        token = page.text.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
        response = session.post(
            base + "/chat",
            data={"message": "Reload while I stream"},
            headers={**SSE_HEADERS, "X-CSRFToken": token},
            stream=True,
            timeout=30,
        )
        events = read_events(response)
        assert next(name for name, _ in events if name == "delta")

        reloaded = run_maintenance(tmp_path, "reload", PIDFILE=str(pidfile))
        assert reloaded.returncode == 0, reloaded.stderr

        names = [name for name, _ in events]
        assert names[-1] == "done"  # the stream in flight finished after the reload
        assert names.count("delta") == 7  # the rest of the eight pieces
        deadline = time.monotonic() + 30
        while children(master) & before or len(children(master)) != 2:
            assert time.monotonic() < deadline, "the workers were not replaced"
            time.sleep(0.2)
        assert int(pidfile.read_text()) == master
        assert requests.get(base + "/health", timeout=5).status_code == 200
    finally:
        stop(server)
        notify.close()
    assert server.returncode == 0  # SIGTERM: a clean, graceful stop


def test_start_script_prefers_the_checkout_venv(tmp_path):
    """start.sh runs .venv/bin/python when the checkout has one, python3 otherwise."""
    calls = tmp_path / "calls"
    fake_python = '#!/bin/sh\necho "$0 $*" >> ' + str(calls) + "\n"
    for layout in ("venv", "system"):
        checkout = tmp_path / layout
        (checkout / "deploy").mkdir(parents=True)
        (checkout / "deploy" / "start.sh").write_bytes((DEPLOY / "start.sh").read_bytes())
        (checkout / "deploy" / "start.sh").chmod(0o755)
        bin_dir = tmp_path / f"{layout}-bin"
        bin_dir.mkdir()
        target = checkout / ".venv" / "bin" / "python" if layout == "venv" else bin_dir / "python3"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(fake_python)
        target.chmod(0o755)
        result = subprocess.run(
            [str(checkout / "deploy" / "start.sh")],
            env={"PATH": f"{bin_dir}:/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert result.returncode == 0, result.stderr
    lines = calls.read_text().splitlines()
    venv, system = (
        tmp_path / "venv" / ".venv" / "bin" / "python",
        tmp_path / "system-bin" / "python3",
    )
    assert lines == [
        f"{venv} -m flask --app main db upgrade",
        f"{venv} -m gunicorn -c gunicorn.conf.py main:app",
        f"{system} -m flask --app main db upgrade",
        f"{system} -m gunicorn -c gunicorn.conf.py main:app",
    ]
