"""The production server as configured by gunicorn.conf.py, run for real.

- Preloaded gevent workers stay cooperative: a slow HTTPS call upstream and a slow
  catalog refresh never stop the same worker from answering others.
- Metrics add up across workers (prometheus-client multiprocess mode).
- HUP under steady load, with a streamed reply in flight, drops nothing.
- The per-IP send limit holds across workers (shared through Redis).
"""

from __future__ import annotations

import json
import os
import re
import runpy
import signal
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support import (
    CANARY_KEY,
    ROOT,
    TEST_REDIS_URL,
    free_port,
    gunicorn_env,
    start_gunicorn,
)
from tests.support.deploy import self_signed_certificate
from tests.support.fake_openrouter import FakeOpenRouter, Reply, Timed
from tests.support.live import gunicorn, value, wait_for, workers
from tests.support.live import scrape as live_scrape
from tests.support.live import server_env as live_env

pytestmark = pytest.mark.slow

METRICS_TOKEN = "metrics-token-" + "m" * 24
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
ACCESS_PID = re.compile(r'"GET /health HTTP/1\.1" 200 .* pid=<(\d+)>')


# ---------------------------------------------------------------- helpers


def server_env(make_app, tmp_path: Path, upstream_url: str, **extra: str) -> dict[str, str]:
    """The environment of a Gunicorn under test: this run's database, Redis prefix, fake."""
    return live_env(
        tmp_path,
        upstream_url,
        make_app.database_url,
        make_app.catalog_prefix,
        METRICS_TOKEN=METRICS_TOKEN,
        **extra,
    )


def scrape(base: str) -> dict[tuple[str, tuple], float]:
    return live_scrape(base, METRICS_TOKEN)


def closing_get(url: str) -> requests.Response:
    """A request on a connection of its own, so consecutive ones can reach other workers."""
    return requests.get(url, headers={"Connection": "close"}, timeout=15)


def health_checks(base: str, count: int) -> list[int]:
    """Send health checks at once, each on a new connection; return the statuses."""
    statuses: list[int] = []

    def check() -> None:
        statuses.append(closing_get(base + "/health").status_code)

    threads = [threading.Thread(target=check) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def chat_session(base: str) -> tuple[requests.Session, str]:
    browser = requests.Session()
    page = browser.get(base + "/", timeout=15)
    assert page.status_code == 200
    return browser, CSRF_RE.search(page.text).group(1)


# ---------------------------------------------------------------- an HTTPS upstream


@pytest.fixture
def https_fake(tmp_path) -> Iterator[tuple[FakeOpenRouter, str, Path]]:
    """The fake OpenRouter behind TLS, as the real one is (HTTPS is what preloading broke)."""
    cert_path, key_path = self_signed_certificate(tmp_path)
    fake = FakeOpenRouter()
    fake.server.shutdown()  # serve again once the listening socket speaks TLS
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    fake.server.socket = context.wrap_socket(
        fake.server.socket, server_side=True, do_handshake_on_connect=False
    )
    fake.thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    fake.thread.start()
    yield fake, f"https://127.0.0.1:{fake.server.server_address[1]}/api/v1", cert_path
    fake.close()


# ---------------------------------------------------------------- tests


def test_settings_for_user_group_and_pidfile_apply_only_when_set(monkeypatch, tmp_path):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))  # no temporary folder
    for name in ("GUNICORN_USER", "GUNICORN_GROUP", "PIDFILE"):
        monkeypatch.delenv(name, raising=False)
    plain = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert "user" not in plain and "group" not in plain
    assert plain["pidfile"] is None
    assert plain["preload_app"] is True

    monkeypatch.setenv("GUNICORN_USER", "autochat")
    monkeypatch.setenv("GUNICORN_GROUP", "autochat")
    monkeypatch.setenv("PIDFILE", "/run/automotive-chat/gunicorn.pid")
    configured = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert (configured["user"], configured["group"]) == ("autochat", "autochat")
    assert configured["pidfile"] == "/run/automotive-chat/gunicorn.pid"


def test_preloaded_gevent_worker_stays_cooperative_over_https(make_app, https_fake, tmp_path):
    """One worker: a slow catalog refresh and a slow HTTPS reply never block its other requests.

    Preloading without patching gevent first fails both ways (reproduced): the catalog's
    refresh lock, made before patching, froze the worker; HTTPS calls raised RecursionError.
    """
    fake, url, cert = https_fake
    fake.state.on_models = lambda: time.sleep(5)
    env = server_env(make_app, tmp_path, url, WORKERS="1", REQUESTS_CA_BUNDLE=str(cert))
    with gunicorn(env, tmp_path) as (_server, base, log_path):
        results: dict[str, tuple[int, float]] = {}

        def timed_get(name: str, path: str) -> None:
            started = time.monotonic()
            response = requests.get(base + path, timeout=15)
            results[name] = (response.status_code, time.monotonic() - started)

        # Two first page loads wait on the same catalog refresh (one refreshes, one
        # waits on the lock); the health check must not wait with them.
        pages = [threading.Thread(target=timed_get, args=(f"page{n}", "/")) for n in range(2)]
        for thread in pages:
            thread.start()
        time.sleep(0.4)
        timed_get("health", "/health")
        # The health check was answered while both pages were still waiting.
        blocked_meanwhile = all(thread.is_alive() for thread in pages)
        for thread in pages:
            thread.join()
        assert results["page0"][0] == results["page1"][0] == 200
        assert results["health"][0] == 200 and blocked_meanwhile

        # A chat whose reply takes 4 s over HTTPS; the worker answers others meanwhile.
        fake.queue(Reply(delay=4))  # under the suite's 5 s read timeout
        browser, token = chat_session(base)
        chat: dict[str, requests.Response] = {}
        sender = threading.Thread(
            target=lambda: chat.setdefault(
                "reply",
                browser.post(
                    base + "/chat",
                    data={"csrf_token": token, "message": "Timing belt interval?"},
                    headers={"Accept": "application/json"},
                    timeout=20,
                ),
            )
        )
        sender.start()
        time.sleep(0.5)
        timed_get("health_during_chat", "/health")
        chat_still_waiting = sender.is_alive()
        sender.join()
        assert results["health_during_chat"][0] == 200 and chat_still_waiting
        assert chat["reply"].status_code == 200
        assert chat["reply"].json()["status"] == "ok"
        assert fake.chat_requests[-1].headers["Authorization"] == f"Bearer {CANARY_KEY}"

    log = log_path.read_text()
    for trouble in ("Traceback", "RecursionError", "MonkeyPatchWarning", "WORKER TIMEOUT"):
        assert trouble not in log


def test_metrics_add_up_across_workers(make_app, fake, tmp_path):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = server_env(make_app, tmp_path, fake.url, WORKERS="2", TMPDIR=str(scratch))
    with gunicorn(env, tmp_path) as (server, base, log_path):
        before = scrape(base)

        # Health checks, each on its own connection, until both workers have answered.
        sent, pids = 0, set()
        while len(pids) < 2:
            assert sent < 2000, "every request went to the same worker"
            assert health_checks(base, 40) == [200] * 40
            sent += 40
            time.sleep(0.3)  # the access log line is written after the response
            pids = {int(pid) for pid in ACCESS_PID.findall(log_path.read_text())}

        browser, token = chat_session(base)
        for n in range(3):
            reply = browser.post(
                base + "/chat",
                data={"csrf_token": token, "message": f"Question {n} about tyre pressure"},
                headers={"Accept": "application/json"},
                timeout=15,
            )
            assert reply.status_code == 200 and reply.json()["status"] == "ok"

        traced = requests.get(
            base + "/settings", headers={"X-Request-ID": "trace-0123456789abcdef"}, timeout=15
        )
        assert traced.headers["X-Request-ID"] == "trace-0123456789abcdef"
        after = scrape(base)

        def delta(name, **labels):
            return value(after, name, **labels) - value(before, name, **labels)

        health = {"method": "GET", "endpoint": "/health"}
        assert delta("http_requests_total", status="200", **health) == sent
        assert delta("http_request_duration_seconds_count", **health) == sent
        assert delta("chat_messages_total", status="ok") == 3
        assert delta("openrouter_api_calls_total", status="ok") == 3
        assert delta("openrouter_tokens_total", kind="prompt") == 3 * 42
        assert delta("openrouter_tokens_total", kind="completion") == 3 * 17
        assert (
            delta(
                "openrouter_request_duration_seconds_count",
                endpoint="chat/completions",
                status="200",
            )
            == 3
        )
        assert value(after, "http_requests_in_progress") == 0
        assert len(workers(server)) == 2

        # Every worker keeps its samples in the server's own temporary folder.
        [metrics_dir] = scratch.glob("automotive-chat-metrics-*")
        for pid in pids:
            assert (metrics_dir / f"counter_{pid}.db").exists()

        # One request id ties the access log line to the app's JSON line.
        time.sleep(0.3)
        lines = log_path.read_text().splitlines()
        access = [line for line in lines if '"GET /settings HTTP/1.1"' in line]
        assert re.search(r" \d+ms .*request_id=trace-0123456789abcdef pid=<\d+>$", access[-1])
        app_lines = [json.loads(line) for line in lines if line.startswith("{")]
        [handled] = [
            line
            for line in app_lines
            if line.get("request_id") == "trace-0123456789abcdef"
            and line["event"] == "Request handled"
        ]
        assert handled["route"] == "/settings"
        assert handled["status"] == 200

    assert not list(scratch.glob("automotive-chat-metrics-*"))  # removed on exit


def test_hup_under_steady_load_drops_nothing(make_app, fake, tmp_path):
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_1.db").write_bytes(b"a previous run's samples")
    pidfile = tmp_path / "gunicorn.pid"
    env = server_env(
        make_app,
        tmp_path,
        fake.url,
        WORKERS="2",
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
        PIDFILE=str(pidfile),
    )
    with gunicorn(env, tmp_path) as (server, base, log_path):
        assert not (metrics_dir / "counter_1.db").exists()  # emptied at start
        assert pidfile.read_text().strip() == str(server.pid)
        before = scrape(base)

        # A streamed reply of about 4.5 s, in flight across the reload.
        fake.queue(Timed(seconds=4, pieces=8))
        browser, token = chat_session(base)
        stream: dict[str, str] = {}

        def read_stream() -> None:
            with browser.post(
                base + "/chat",
                data={"csrf_token": token, "message": "Why does my car shake at 100 km/h?"},
                headers={"Accept": "text/event-stream"},
                stream=True,
                timeout=30,
            ) as response:
                stream["body"] = "".join(
                    response.iter_content(chunk_size=None, decode_unicode=True)
                )

        stopping = threading.Event()
        outcomes: list[tuple[str, object]] = []

        def load() -> None:
            while not stopping.is_set():
                for path in ("/health", "/"):
                    try:
                        outcomes.append((path, closing_get(base + path).status_code))
                    except requests.RequestException as exc:
                        outcomes.append((path, repr(exc)))

        streamer = threading.Thread(target=read_stream)
        streamer.start()
        loaders = [threading.Thread(target=load) for _ in range(4)]
        for thread in loaders:
            thread.start()
        time.sleep(1.0)

        old = workers(server)
        os.kill(server.pid, signal.SIGHUP)
        wait_for(lambda: len(workers(server)) == 2 and not workers(server) & old, timeout=30)
        time.sleep(1.0)  # the new workers carry the load for a while
        stopping.set()
        for thread in loaders:
            thread.join()
        streamer.join()

        failures = [outcome for outcome in outcomes if outcome[1] != 200]
        assert failures == []
        assert len(outcomes) > 40
        assert "event: done" in stream["body"]
        assert all(f"piece {n} " in stream["body"] for n in range(8))
        assert "Hang up: Master" in log_path.read_text()

        # Counts of the replaced workers are kept after the reload, folded into the
        # archive instead of left in one file per dead worker.
        after = scrape(base)
        assert not [pid for pid in old if (metrics_dir / f"counter_{pid}.db").exists()]
        assert (metrics_dir / "counter_archive.db").exists()
        answered = sum(1 for path, _ in outcomes if path == "/health")
        labels = {"method": "GET", "endpoint": "/health", "status": "200"}
        assert (
            value(after, "http_requests_total", **labels)
            - value(before, "http_requests_total", **labels)
            == answered
        )

    assert metrics_dir.is_dir()  # a folder given by the operator is kept


# ---------------------------------------------------------------- security across workers


def test_the_limit_is_shared_by_several_gunicorn_workers(tmp_path, fake, migrated, redis_prefix):
    if not TEST_REDIS_URL:
        pytest.skip("a limit shared between processes needs Redis (TEST_REDIS_URL)")
    port = free_port()
    env = gunicorn_env(
        tmp_path,
        BIND=f"127.0.0.1:{port}",
        WORKERS="3",
        DATABASE_URL=migrated,
        REDIS_URL=TEST_REDIS_URL,
        OPENROUTER_BASE_URL=fake.url,
        SESSION_SECRET="w" * 40,
        SESSION_KEY_PREFIX=redis_prefix + "gunicorn-session:",
        RATELIMIT_KEY_PREFIX=redis_prefix + "gunicorn-limits",
        CATALOG_CACHE_PREFIX=redis_prefix + "gunicorn:",
        RATE_LIMIT_CHAT_IP="4 per minute",
    )
    server, base = start_gunicorn(env, port)
    try:
        codes = []
        for _ in range(10):
            browser = requests.Session()  # a new session and connection each time
            page = browser.get(base + "/", timeout=5, headers={"Connection": "close"})
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
            sent = browser.post(
                base + "/chat",
                data={"csrf_token": token, "message": "Across workers"},
                headers={"Accept": "application/json", "Connection": "close"},
                timeout=10,
            )
            codes.append(sent.status_code)
        assert codes.count(429) == 6, codes
        assert codes[:4] == [200] * 4
    finally:
        server.terminate()
        server.wait(timeout=30)


# ---------------------------------------------------------------- recycling under load

from tests.support.fake_openrouter import Stream  # noqa: E402
from tests.support.live import run_together  # noqa: E402

STOPS_ACCEPTING = re.compile(r"Worker (\d+) stops accepting")
# Gunicorn's own line too, so the test tells what happens with its recycling as well.
DRAINING = re.compile(r"\[(\d+)\] \[INFO\] Autorestarting worker|Worker (\d+) stops accepting")
RECYCLING = re.compile(r"Recycling worker (\d+) after")
BOOTING = re.compile(r"Booting worker with pid: (\d+)")
EXITING = re.compile(r"Worker exiting \(pid: (\d+)\)")


def test_recycling_settings_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    for name in ("MAX_REQUESTS", "MAX_REQUESTS_JITTER"):
        monkeypatch.setenv(name, "")
    shipped = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert (shipped["max_requests"], shipped["max_requests_jitter"]) == (1000, 50)
    assert shipped["_recycle_path"] is None  # no folder until the master forks

    monkeypatch.setenv("MAX_REQUESTS", "0")  # off, not the default
    monkeypatch.setenv("MAX_REQUESTS_JITTER", "7")
    configured = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert (configured["max_requests"], configured["max_requests_jitter"]) == (0, 7)


def drains(log: str) -> list[int]:
    """The workers that stopped accepting to drain, in order."""
    return [int(stock or ours) for stock, ours in DRAINING.findall(log)]


def pinned_visitors(base: str, log_path: Path) -> dict[int, tuple[requests.Session, str]]:
    """A visitor kept alive on each of the two workers: {pid: (session, form token)}.

    A kept-alive connection stays with the worker that accepted it; the access log
    (request id, pid) says which one that is.
    """
    found: dict[int, tuple[requests.Session, str]] = {}
    for _ in range(10):
        batch = [requests.Session() for _ in range(4)]
        # Together: one after another, an idle server's connections often all go to
        # the same worker.
        pages = run_together(
            *(lambda s=session: s.get(base + "/", timeout=15) for session in batch)
        )
        for session, page in zip(batch, pages, strict=True):
            assert isinstance(page, requests.Response) and page.status_code == 200
            pattern = re.compile(rf"request_id={page.headers['X-Request-ID']} pid=<(\d+)>")
            wait_for(lambda p=pattern: p.search(log_path.read_text()), what="an access line")
            pid = int(pattern.search(log_path.read_text()).group(1))
            if pid in found:
                session.close()
            else:
                found[pid] = (session, CSRF_RE.search(page.text).group(1))
        if len(found) == 2:
            return found
    raise AssertionError(f"only workers {sorted(found)} answered")


def test_a_recycling_worker_is_replaced_before_it_drains_and_never_with_another(
    make_app, fake, tmp_path
):
    """Both workers reach max_requests under load, each holding a slow streamed reply.

    Gunicorn alone stops both from accepting until their replies end, and forks their
    replacements only then: every request meanwhile waits for a slow reply. Here the
    first worker due is replaced before it stops accepting, the second keeps serving
    until the first has exited, and requests sent during either drain are answered
    while the draining worker's reply is still held open (the fake holds it at a gate).
    """
    env = server_env(
        make_app,
        tmp_path,
        fake.url,
        WORKERS="2",
        MAX_REQUESTS="30",
        MAX_REQUESTS_JITTER="0",
        OPENROUTER_READ_TIMEOUT="60",  # the replies wait at their gates as long as needed
    )
    with gunicorn(env, tmp_path) as (server, base, log_path):
        first_workers = workers(server)
        visitors = pinned_visitors(base, log_path)
        assert set(visitors) == first_workers

        # One slow streamed reply on each worker, held after its first piece.
        gates = {pid: threading.Event() for pid in visitors}
        bodies: dict[int, str] = {}
        streamers: dict[int, threading.Thread] = {}

        def read_stream(pid: int) -> None:
            session, token = visitors[pid]
            with session.post(
                base + "/chat",
                data={"csrf_token": token, "message": "Why does my brake pedal pulse?"},
                headers={"Accept": "text/event-stream"},
                stream=True,
                timeout=90,
            ) as response:
                bodies[pid] = "".join(response.iter_content(chunk_size=None, decode_unicode=True))

        for pid in sorted(visitors):
            sent = len(fake.chat_requests)
            fake.queue(Stream(["Brake ", "rotors ", "warped."], gate=gates[pid]))
            streamers[pid] = threading.Thread(target=read_stream, args=(pid,))
            streamers[pid].start()
            wait_for(lambda n=sent: len(fake.chat_requests) > n, what="the slow reply upstream")

        stopping = threading.Event()
        outcomes: list[object] = []

        def load() -> None:
            while not stopping.is_set():
                try:
                    outcomes.append(closing_get(base + "/health").status_code)
                except requests.RequestException as exc:
                    outcomes.append(repr(exc))

        loaders = [threading.Thread(target=load) for _ in range(4)]
        for thread in loaders:
            thread.start()
        try:
            for turn in (1, 2):
                wait_for(
                    lambda t=turn: len(drains(log_path.read_text())) >= t,
                    timeout=60,
                    what=f"drain number {turn}",
                )
                draining = drains(log_path.read_text())[turn - 1]
                other = next(iter(set(visitors) - {draining}))
                assert draining in visitors and not gates[draining].is_set()
                if turn == 1:
                    # The other worker is due too (it answered past its count) yet is
                    # not draining: one drain at a time.
                    wait_for(
                        lambda o=other: log_path.read_text().count(f"pid=<{o}>") > 30,
                        what="the other worker past its count",
                    )
                    log = log_path.read_text()
                    assert drains(log) == [draining]
                    assert f"Recycling worker {other} " not in log

                # Answered while the draining worker's reply is still held upstream.
                assert closing_get(base + "/health").status_code == 200
                assert streamers[draining].is_alive() and not gates[draining].is_set()

                gates[draining].set()
                streamers[draining].join(timeout=60)
                wait_for(
                    lambda d=draining: f"Worker exiting (pid: {d})" in log_path.read_text(),
                    timeout=60,
                    what=f"worker {draining} to exit",
                )
            wait_for(
                lambda: len(workers(server)) == 2 and not workers(server) & first_workers,
                timeout=30,
                what="two new workers",
            )
        finally:
            for gate in gates.values():
                gate.set()
            stopping.set()
            for thread in loaders:
                thread.join()
            for thread in streamers.values():
                thread.join(timeout=60)

        assert [outcome for outcome in outcomes if outcome != 200] == []
        assert len(outcomes) > 60
        for pid in visitors:
            assert "event: done" in bodies[pid]
            assert "warped." in bodies[pid]

        # In the log: each replacement boots before its worker stops accepting, and a
        # drain ends (the worker exits) before the next one starts.
        events = []
        for line in log_path.read_text().splitlines():
            for kind, pattern in (
                ("recycling", RECYCLING),
                ("boot", BOOTING),
                ("stops", STOPS_ACCEPTING),
                ("exit", EXITING),
            ):
                match = pattern.search(line)
                if match:
                    events.append((kind, int(match.group(1))))
        order = [(kind, pid) for kind, pid in events if pid in visitors or kind == "boot"]
        for pid in visitors:
            asked = order.index(("recycling", pid))
            stopped = order.index(("stops", pid))
            assert any(kind == "boot" for kind, _ in order[asked:stopped])
        first, second = (pid for kind, pid in order if kind == "stops")
        assert order.index(("exit", first)) < order.index(("recycling", second))

        # The master gave back each extra worker (four recycles or more by now): two
        # workers once the last drain is over.
        assert len(STOPS_ACCEPTING.findall(log_path.read_text())) >= 2
        wait_for(lambda: len(workers(server)) == 2, timeout=30, what="the last drain")
        assert health_checks(base, 10) == [200] * 10
        assert "Traceback" not in log_path.read_text()
