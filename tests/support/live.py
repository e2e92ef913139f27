"""Real Gunicorn, run with the shipped gunicorn.conf.py, and a browser-like visitor talking HTTP.

``LiveServers`` starts servers on demand (one per name, kept for a test module: start-up
costs a second or two) and stops them after; each ``LiveServer`` keeps its log (stdout and
stderr of the master and its workers) so a test can read what its own requests wrote.
``Browser`` is a ``requests`` session that fetches the form token as a page would and
sends forms, JSON and Server-Sent Events requests.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import requests

from tests.support import CANARY_KEY, base_env, free_port, gunicorn_env, start_gunicorn
from tests.support.streaming import SSE_HEADERS, parse_sse, read_events

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
ACCESS_LINE = re.compile(
    r'"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/1\.1" (?P<status>\d+) .* pid=<(?P<pid>\d+)>'
)
# Lines a healthy server never writes (the server key is the canary: it must never show).
TROUBLE = ("Traceback", "reentrant call", "Working outside of", "WORKER TIMEOUT", CANARY_KEY[-12:])


# ---------------------------------------------------------------- processes


def server_env(
    tmp_path: Path,
    upstream_url: str,
    database_url: str,
    prefix: str,
    **extra: str,
) -> dict[str, str]:
    """The environment of a Gunicorn under test: this run's database, a key prefix, the fake.

    A server key is set (every chat goes upstream without visiting Settings); ``extra``
    overrides anything, and a value of ``None`` removes the setting.
    """
    settings = base_env(
        SimpleNamespace(url=upstream_url),
        database_url,
        SESSION_KEY_PREFIX=prefix + "session:",
        CATALOG_CACHE_PREFIX=prefix,
        RATELIMIT_KEY_PREFIX=prefix + "limits",
        OPENROUTER_API_KEY=CANARY_KEY,
        LOG_FORMAT="json",
    )
    for name, value in extra.items():
        if value is None:
            settings.pop(name, None)
        else:
            settings[name] = value
    return gunicorn_env(tmp_path, **settings)


def workers(server: subprocess.Popen) -> set[int]:
    """The master's child processes (its workers)."""
    try:
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text()
    except OSError:
        return set()
    return {int(pid) for pid in children.split()}


def wait_for(condition, timeout: float = 20.0, what: str = "a condition") -> None:
    """Poll ``condition`` until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@contextlib.contextmanager
def gunicorn(env: dict[str, str], tmp_path: Path) -> Iterator[tuple[subprocess.Popen, str, Path]]:
    """Run gunicorn.conf.py on a free port; stop it (and wait) afterwards."""
    port = free_port()
    env = {**env, "BIND": f"127.0.0.1:{port}"}
    log_path = tmp_path / f"gunicorn-{port}.log"
    with log_path.open("w") as log:
        server, base = start_gunicorn(env, port, log)
        try:
            wait_for(
                lambda: len(workers(server)) == int(env.get("WORKERS", "2")),
                what="the workers",
            )
            yield server, base, log_path
        finally:
            stop(server)


def stop(server: subprocess.Popen) -> None:
    """Stop a master and its workers; kill them if a stuck worker holds the shutdown."""
    children = workers(server)
    if not getattr(server, "stopping", False):
        server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        for pid in children | workers(server):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        server.kill()
        server.wait(timeout=10)


class LiveServer:
    """One running Gunicorn: its base URL, its process and its log."""

    def __init__(self, server: subprocess.Popen, base: str, log_path: Path, prefix: str) -> None:
        self.server = server
        self.base = base
        self.log_path = log_path
        self.prefix = prefix  # of its keys in Redis (sessions, catalog, learned facts, limits)
        self._mark = 0
        self._browsers: list[Browser] = []

    def mark(self) -> None:
        """Start a new slice of the log (a test's own lines come after it)."""
        self._mark = self.log_path.stat().st_size

    def log(self) -> str:
        """What the server logged since the last mark."""
        with self.log_path.open("rb") as log:
            log.seek(self._mark)
            return log.read().decode("utf-8", errors="replace")

    def served(self, method: str, path: str) -> list[int]:
        """The workers (pids) that answered ``method`` ``path`` since the mark, in order."""
        return [
            int(match["pid"])
            for match in ACCESS_LINE.finditer(self.log())
            if match["method"] == method and match["path"] == path
        ]

    def worker_for(self, response: requests.Response, timeout: float = 3.0) -> int:
        """The worker (pid) that answered ``response``, found by its request id in the log."""
        request_id = response.headers["X-Request-ID"]
        pattern = re.compile(rf"request_id={re.escape(request_id)} pid=<(\d+)>")
        found: list[int] = []

        def logged() -> bool:  # the access line is written once the response is sent
            found.extend(int(pid) for pid in pattern.findall(self.log()))
            return bool(found)

        wait_for(logged, timeout, what=f"the access log line of {request_id}")
        return found[0]

    def browser_per_worker(self, workers: int = 2, rounds: int = 10) -> list[Browser]:
        """One visitor held on each worker: a kept-alive connection stays with the worker
        that accepted it, so each visitor's requests reach that worker (``worker_for``
        tells when one did not). Ordered by pid.

        Visitors connect a few at a time: one after another, an idle server's connections
        often all go to the same worker.
        """
        found: dict[int, Browser] = {}
        for _ in range(rounds):
            batch = [self.browser() for _ in range(8)]
            pages = run_together(*(lambda b=browser: b.get("/") for browser in batch))
            for browser, page in zip(batch, pages, strict=True):
                pid = self.worker_for(page) if isinstance(page, requests.Response) else None
                if pid is None or pid in found:
                    browser.session.close()
                else:
                    found[pid] = browser
            if len(found) == workers:
                return [found[pid] for pid in sorted(found)]
        raise AssertionError(f"only workers {sorted(found)} answered in {rounds} rounds")

    def trouble(self) -> list[str]:
        """The lines since the mark that a healthy server never writes."""
        return [line for line in self.log().splitlines() if any(t in line for t in TROUBLE)]

    def browser(self, *, new_connections: bool = False) -> Browser:
        """A new visitor; ``new_connections``: each request on a connection of its own, so
        consecutive requests may reach different workers."""
        browser = Browser(self.base)
        if new_connections:
            browser.session.headers["Connection"] = "close"
        self._browsers.append(browser)
        return browser

    def close_browsers(self) -> None:
        """Hang up every visitor's kept-alive connection (a stopping worker waits for them)."""
        for browser in self._browsers:
            for session in [browser.session, *(twin.session for twin in browser.twins)]:
                session.close()
        self._browsers.clear()


class LiveServers:
    """Gunicorn servers started on demand by name and kept until ``close()``."""

    def __init__(self, upstream_url: str, database_url: str, redis_prefix: str, tmp: Path):
        self.upstream_url = upstream_url
        self.database_url = database_url
        self.redis_prefix = redis_prefix
        self.tmp = tmp
        self.running: dict[str, LiveServer] = {}
        self._stack = contextlib.ExitStack()

    def start(self, name: str, **env: Any) -> LiveServer:
        """Return the server called ``name``, starting it with ``env`` the first time."""
        if name not in self.running:
            # Each server its own sessions, catalog cache, learned facts and limits.
            prefix = f"{self.redis_prefix}{name}-{uuid.uuid4().hex[:6]}:"
            folder = self.tmp / name
            folder.mkdir(parents=True, exist_ok=True)
            settings = server_env(
                folder,
                env.pop("OPENROUTER_BASE_URL", self.upstream_url),
                self.database_url,
                prefix,
                **env,
            )
            server, base, log_path = self._stack.enter_context(gunicorn(settings, folder))
            self.running[name] = LiveServer(server, base, log_path, prefix)
        return self.running[name]

    def close(self) -> None:
        # All at once: a gevent worker takes about a second to stop.
        for live in self.running.values():
            live.close_browsers()
            live.server.terminate()
            live.server.stopping = True
        self._stack.close()


# ---------------------------------------------------------------- a visitor


class Browser:
    """A browser-like visitor: one session cookie, the form token read from the page."""

    def __init__(self, base: str, session: requests.Session | None = None) -> None:
        self.base = base
        self.session = session or requests.Session()
        self.token = ""
        self.twins: list[Browser] = []

    def twin(self) -> Browser:
        """Another connection of the same browser (a second tab, a double click)."""
        session = requests.Session()
        session.headers.update(self.session.headers)
        session.cookies.update(self.session.cookies)
        twin = Browser(self.base, session)
        twin.token = self.token
        self.twins.append(twin)
        return twin

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 15)
        response = self.session.get(self.base + path, **kwargs)
        match = CSRF_RE.search(response.text)
        if match:
            self.token = match.group(1)
        return response

    def fresh_token(self) -> str:
        if not self.token:
            self.get("/")
        return self.token

    def post(self, path: str, data: dict[str, str] | None = None, **kwargs: Any):
        """A form post, as the page's form sends it (redirects are not followed)."""
        kwargs.setdefault("timeout", 30)
        kwargs.setdefault("allow_redirects", False)
        form = {"csrf_token": self.fresh_token(), **(data or {})}
        return self.session.post(self.base + path, data=form, **kwargs)

    def post_json(self, path: str, body: dict[str, Any], *, token: str | None = None, **kwargs):
        """A script's JSON post, the token in the X-CSRFToken header."""
        kwargs.setdefault("timeout", 30)
        headers = {
            "Accept": "application/json",
            "X-CSRFToken": self.fresh_token() if token is None else token,
            **kwargs.pop("headers", {}),
        }
        return self.session.post(self.base + path, json=body, headers=headers, **kwargs)

    def send(self, message: str, conversation_id: str | None = None, **fields: str):
        data = {"message": message, **fields}
        if conversation_id:
            data["conversation_id"] = conversation_id
        return self.post("/chat", data)

    def send_json(self, message: str, conversation_id: str | None = None, **fields: Any):
        body = {"message": message, **fields}
        if conversation_id:
            body["conversation_id"] = conversation_id
        return self.post_json("/chat", body)

    def open_stream(self, message: str, conversation_id: str | None = None, **fields: str):
        """Send a message as the page's script does; return the open SSE response."""
        data = {"message": message, **fields}
        if conversation_id:
            data["conversation_id"] = conversation_id
        return self.post("/chat", data, headers=SSE_HEADERS, stream=True)

    def stream(self, message: str, conversation_id: str | None = None, **fields: str):
        """Send a message and read the whole stream: (response, [(event, data), ...])."""
        with self.open_stream(message, conversation_id, **fields) as response:
            body = "".join(response.iter_content(chunk_size=None, decode_unicode=True))
        return response, parse_sse(body)

    def save_settings(self, **fields: str) -> requests.Response:
        self.get("/settings")
        response = self.post("/settings", fields)
        assert response.status_code in (200, 303), response.text[:500]
        return response

    def conversation(self, conversation_id: str) -> str:
        """The conversation's page, as a reload shows it."""
        response = self.get(f"/c/{conversation_id}")
        assert response.status_code == 200
        return response.text


def events_until_end(response: requests.Response, stop_at: str | None = None):
    """Read events as they arrive; stop after ``stop_at`` (or at done / error)."""
    seen = []
    for name, data in read_events(response):
        seen.append((name, data))
        if name == stop_at or name in ("done", "error"):
            break
    return seen


def run_together(*calls) -> list[Any]:
    """Run the calls in threads released at the same instant; return their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except Exception as exc:  # reported by the caller's assertions
            results[index] = exc

    threads = [threading.Thread(target=run, args=(n, call)) for n, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def scrape(base: str, token: str) -> dict[tuple[str, tuple], float]:
    """One server's /metrics (read with its METRICS_TOKEN): {(sample name, labels): value}.

    The canary key never appears there.
    """
    from prometheus_client.parser import text_string_to_metric_families

    response = requests.get(
        base + "/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert response.status_code == 200, response.text[:300]
    assert CANARY_KEY[-12:] not in response.text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: dict[tuple[str, tuple], float], name: str, **labels: str) -> float:
    """A sample of ``scrape``'s result (0 when it was never counted)."""
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)
