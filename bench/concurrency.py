"""How many chats can one server hold while the model thinks?

Runs the fake OpenRouter with a slow reply (5 s by default) and drives N concurrent
chats, plain and streamed, first straight at the fake (the baseline), then through
the app under Gunicorn in each configuration, and prints them side by side:

- chats held: answered without error within the client timeout
- added p50 / p99: the app's latency minus the upstream's own, from the same run
- TTFT added: time to the first streamed text, minus the upstream's own
- RSS per chat: the server's memory growth at peak, divided by the chats in flight

    .venv/bin/python bench/concurrency.py               # 500 chats, 5 s replies
    .venv/bin/python bench/concurrency.py --chats 200 --reply-seconds 3

Set BENCH_DATABASE_URL / BENCH_REDIS_URL to run against PostgreSQL and Redis;
otherwise SQLite and file sessions in a temporary folder.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def process_tree(root_pid: int) -> list[int]:
    pids = [root_pid]
    try:
        children = Path(f"/proc/{root_pid}/task/{root_pid}/children").read_text().split()
        pids += [int(child) for child in children]
    except OSError:
        pass
    return pids


def cpu_seconds(root_pid: int) -> float:
    """Sum the user and system CPU time of a process and its children."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in process_tree(root_pid):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / ticks


def rss_kb(root_pid: int) -> int:
    """Sum the resident memory of a process and its children."""
    total = 0
    for pid in process_tree(root_pid):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


@dataclass
class Outcome:
    ok: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    ttfts: list[float] = field(default_factory=list)
    error_kinds: dict[str, int] = field(default_factory=dict)
    peak_rss_kb: int = 0
    idle_rss_kb: int = 0
    in_flight: int = 0
    peak_in_flight: int = 0
    cpu_seconds: float = 0.0

    def fail(self, kind: str) -> None:
        self.errors += 1
        self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1


def percentile(values: list[float], pct: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


# ---------------------------------------------------------------- one chat


class Chat:
    """One visitor: fetches the page (cookies + CSRF token), then sends when told."""

    connection = http.client.HTTPConnection  # a subclass may time the reply's first byte

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.cookies = ""
        self.token = ""

    def prepare(self) -> None:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        conn.request("GET", "/")
        response = conn.getresponse()
        body = response.read().decode()
        cookies = [c.split(";", 1)[0] for c in response.headers.get_all("Set-Cookie") or []]
        self.cookies = "; ".join(cookies)
        self.token = CSRF_RE.search(body).group(1)
        conn.close()

    def send(self, stream: bool) -> tuple[float, float | None]:
        """Return (total seconds, seconds to first text or None)."""
        conn = self.connection(self.host, self.port, timeout=self.timeout)
        body = f"csrf_token={self.token}&message=Why+is+my+check+engine+light+on%3F"
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": self.cookies,
            "Accept": "text/event-stream" if stream else "application/json",
        }
        start = time.perf_counter()
        conn.request("POST", "/chat", body=body, headers=headers)
        return read_reply(conn, start, stream)


def read_reply(conn: http.client.HTTPConnection, start: float, stream: bool):
    response = conn.getresponse()
    if response.status != 200:
        response.read()
        conn.close()
        raise RuntimeError(f"http_{response.status}")
    if not stream:
        data = json.loads(response.read())
        conn.close()
        if data.get("status") != "ok" and "choices" not in data:
            raise RuntimeError(data.get("error", {}).get("kind", "bad_reply"))
        return time.perf_counter() - start, None
    first = None
    buffer = b""
    while True:
        chunk = response.read1(65536)
        if not chunk:
            break
        buffer += chunk
        if first is None and (b"event: delta" in buffer or b"piece " in buffer):
            first = time.perf_counter() - start
        if b"event: error" in buffer:
            raise RuntimeError("stream_error")
    conn.close()
    if first is None:
        raise RuntimeError("no_text")
    return time.perf_counter() - start, first


class DirectChat(Chat):
    """The baseline: the same request shape sent straight to the fake OpenRouter."""

    def __init__(self, host: str, port: int, timeout: float, path: str) -> None:
        super().__init__(host, port, timeout)
        self.path = path

    def prepare(self) -> None:
        pass

    def send(self, stream: bool) -> tuple[float, float | None]:
        conn = self.connection(self.host, self.port, timeout=self.timeout)
        body = json.dumps(
            {"model": "m", "stream": stream, "messages": [{"role": "user", "content": "hi"}]}
        )
        headers = {"Content-Type": "application/json", "Authorization": "Bearer sk-or-bench"}
        start = time.perf_counter()
        conn.request("POST", self.path, body=body, headers=headers)
        return read_reply(conn, start, stream)


def drive(chats: list[Chat], stream: bool, server_pid: int | None, ramp: float) -> Outcome:
    """Start the chats evenly over ``ramp`` seconds and gather what happened.

    With the ramp as long as one reply, every chat is in flight at the end of it:
    the server holds all N at once, as it would under steady traffic, without
    turning the measurement into a test of one instant's burst.
    """
    outcome = Outcome()
    lock = threading.Lock()
    barrier = threading.Barrier(len(chats) + 1)
    if server_pid:
        outcome.idle_rss_kb = rss_kb(server_pid)
        cpu_before = cpu_seconds(server_pid)
    step = ramp / max(len(chats), 1)

    def run(index: int, chat: Chat) -> None:
        barrier.wait()
        time.sleep(index * step)
        with lock:
            outcome.in_flight += 1
            outcome.peak_in_flight = max(outcome.peak_in_flight, outcome.in_flight)
        try:
            total, first = chat.send(stream)
        except (OSError, RuntimeError, http.client.HTTPException) as exc:
            kind = str(exc) if isinstance(exc, RuntimeError) else type(exc).__name__
            with lock:
                outcome.in_flight -= 1
                outcome.fail(kind)
            return
        with lock:
            outcome.in_flight -= 1
            outcome.ok += 1
            outcome.latencies.append(total)
            if first is not None:
                outcome.ttfts.append(first)

    threads = [
        threading.Thread(target=run, args=(index, chat), daemon=True)
        for index, chat in enumerate(chats)
    ]
    for thread in threads:
        thread.start()
    barrier.wait()
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.25):
            if server_pid:
                outcome.peak_rss_kb = max(outcome.peak_rss_kb, rss_kb(server_pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    for thread in threads:
        thread.join()
    done.set()
    if server_pid:
        outcome.cpu_seconds = cpu_seconds(server_pid) - cpu_before
    return outcome


# ---------------------------------------------------------------- servers


def start_fake(reply_seconds: float, pieces: int = 10) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.support.fake_openrouter",
            "--reply-seconds",
            str(reply_seconds),
            "--pieces",
            str(pieces),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    url = process.stdout.readline().strip()
    return process, url


def baseline_tree(ref: str, into: Path) -> Path:
    """The project's files at a git commit, unpacked into a folder (git state untouched)."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", ref], cwd=ROOT, capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def start_app(
    name: str, args: list[str], env: dict[str, str], port: int, cwd: Path = ROOT
) -> subprocess.Popen:
    """Gunicorn serving the code in ``cwd`` (this checkout, or a baseline's tree)."""
    log = open(Path(env["INSTANCE_PATH"]) / f"gunicorn-{name}.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), *args, "--bind", f"127.0.0.1:{port}", "main:app"],
        cwd=cwd,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"{name}: the app did not start; see {log.name}")


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def app_env(fake_url: str) -> dict[str, str]:
    """The app's environment for a bench run (a new instance folder, migrated)."""
    workdir = tempfile.mkdtemp(prefix="autochat-bench-")
    env = {
        **os.environ,
        "INSTANCE_PATH": workdir,
        "OPENROUTER_BASE_URL": fake_url,
        "OPENROUTER_API_KEY": "sk-or-v1-bench-server-key",
        "OPENROUTER_MAX_RETRIES": "0",
        "SESSION_SECRET": "bench-" + "s" * 40,
        # Every chat comes from 127.0.0.1: limits stay on (their cost is measured) but
        # high enough that the per-IP limit does not turn the run into a 429 test.
        "RATE_LIMIT_CHAT_IP": "100000 per minute",
        "RATE_LIMIT_CHAT": "100000 per minute",
    }
    env.pop("FLASK_ENV", None)
    if os.environ.get("BENCH_DATABASE_URL"):
        env["DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
    if os.environ.get("BENCH_REDIS_URL"):
        env["REDIS_URL"] = os.environ["BENCH_REDIS_URL"]
        env["SESSION_KEY_PREFIX"] = f"autochat-bench-{os.getpid()}:session:"
        env["CATALOG_CACHE_PREFIX"] = f"autochat-bench-{os.getpid()}:"
    upgrade(env)
    return env


def upgrade(env: dict[str, str]) -> None:
    """Bring the database of ``env`` (``DATABASE_URL``) to the newest schema."""
    subprocess.run(
        [str(BIN / "flask"), "--app", "main", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


def forget_keys(env: dict[str, str]) -> None:
    """Delete the Redis keys this run made (its own prefix)."""
    if "REDIS_URL" in env:
        import redis

        client = redis.Redis.from_url(env["REDIS_URL"])
        for key in client.scan_iter(match=f"autochat-bench-{os.getpid()}:*"):
            client.delete(key)
        client.close()


def cooperation_check(database_url: str, env: dict[str, str], chats: int = 20) -> str:
    """Show that a chat waiting on PostgreSQL does not stall the worker's other requests.

    A lock on the message table makes every new chat wait inside the database for
    two seconds. With a cooperative driver the same workers keep answering /health
    at once; a blocking driver would freeze each worker for the whole wait.
    """
    import psycopg2

    port = free_port()
    server = start_app("cooperation", ["-c", "gunicorn.conf.py"], env, port)
    try:
        waiting = [Chat("127.0.0.1", port, 30) for _ in range(chats)]
        for chat in waiting:
            chat.prepare()
        lock = psycopg2.connect(database_url.replace("+psycopg2", ""))
        health: list[float] = []
        try:
            cursor = lock.cursor()
            cursor.execute("LOCK TABLE message IN ACCESS EXCLUSIVE MODE")
            senders = [
                threading.Thread(target=chat.send, args=(False,), daemon=True) for chat in waiting
            ]
            for thread in senders:
                thread.start()
            time.sleep(0.5)  # every chat is now blocked inside PostgreSQL
            for _ in range(10):
                start = time.perf_counter()
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3)
                    conn.request("GET", "/health")
                    conn.getresponse().read()
                    conn.close()
                except OSError:
                    pass  # counted at its full wait
                health.append(time.perf_counter() - start)
                if sum(health) > 1.5:
                    break
            time.sleep(max(0.0, 1.5 - sum(health)))
        finally:
            lock.rollback()
            lock.close()
        for thread in senders:
            thread.join(timeout=30)
    finally:
        stop(server)
    return (
        f"/health while {chats} chats wait on a PostgreSQL lock: "
        f"p50 {statistics.median(health) * 1000:.0f} ms, max {max(health) * 1000:.0f} ms "
        "(with a blocking driver each one waits for the lock: 1,500 ms or more)"
    )


# ---------------------------------------------------------------- report


def ms(value: float | None) -> str:
    return "–" if value is None else f"{value * 1000:+.0f} ms"


def row(label: str, outcome: Outcome, base: Outcome, n: int) -> list[str]:
    p50 = percentile(outcome.latencies, 50)
    p99 = percentile(outcome.latencies, 99)
    b50, b99 = percentile(base.latencies, 50), percentile(base.latencies, 99)
    ttft = percentile(outcome.ttfts, 50)
    base_ttft = percentile(base.ttfts, 50)
    rss = "–"
    if outcome.peak_rss_kb and outcome.ok:
        grown = max(outcome.peak_rss_kb - outcome.idle_rss_kb, 0)
        rss = f"{grown / max(outcome.ok, 1):.0f} KiB"
    errors = ", ".join(f"{k}×{v}" for k, v in sorted(outcome.error_kinds.items())) or "none"
    return [
        label,
        f"{outcome.ok}/{n}",
        str(outcome.peak_in_flight),
        ms(p50 - b50) if p50 and b50 else "–",
        ms(p99 - b99) if p99 and b99 else "–",
        ms(ttft - base_ttft) if ttft and base_ttft else "–",
        f"{outcome.cpu_seconds / outcome.ok * 1000:.1f} ms"
        if outcome.cpu_seconds and outcome.ok
        else "–",
        rss,
        errors,
    ]


def print_table(rows: list[list[str]]) -> None:
    header = [
        "configuration",
        "answered",
        "in flight",
        "added p50",
        "added p99",
        "TTFT added",
        "CPU/chat",
        "RSS/chat",
        "errors",
    ]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for line in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--chats", type=int, default=500)
    parser.add_argument("--reply-seconds", type=float, default=5.0)
    parser.add_argument("--client-timeout", type=float, default=25.0)
    parser.add_argument(
        "--ramp", type=float, default=None, help="seconds to start all chats (default: one reply)"
    )
    parser.add_argument("--skip-guide", action="store_true", help="skip the 4 sync workers run")
    parser.add_argument("--skip-threads", action="store_true", help="skip the threaded alternative")
    parser.add_argument(
        "--pieces", type=int, default=10, help="pieces of a streamed reply (a model: 30-80/s)"
    )
    parser.add_argument(
        "--baseline",
        metavar="REF",
        help="also serve a git commit's code (git archive), side by side: before and after",
    )
    args = parser.parse_args()
    ramp = args.reply_seconds if args.ramp is None else args.ramp

    fake, fake_url = start_fake(args.reply_seconds, args.pieces)
    fake_parts = urlsplit(fake_url)
    env = app_env(fake_url)
    configs: list[tuple[str, list[str], Path]] = [
        ("ours: gunicorn.conf.py (gevent)", ["-c", "gunicorn.conf.py"], ROOT),
        (
            "alternative: 2 x 256 threads",
            ["-c", "gunicorn.conf.py", "--worker-class", "gthread", "--threads", "256"],
            ROOT,
        ),
    ]
    if args.skip_threads:
        configs = configs[:1]
    if args.baseline:
        tree = baseline_tree(args.baseline, Path(tempfile.mkdtemp(prefix="autochat-baseline-")))
        configs.insert(0, (f"before: {args.baseline} (gevent)", ["-c", "gunicorn.conf.py"], tree))
    for extra in os.environ.get("BENCH_EXTRA_CONFIGS", "").split(","):
        if extra:
            configs.append((f"extra: {extra}", ["-c", extra], ROOT))
    if not args.skip_guide:
        configs.insert(0, ("guide: 4 sync workers", ["--workers", "4", "--worker-class", "sync",
                                                     "--timeout", "120"], ROOT))  # fmt: skip

    print(
        f"{args.chats} concurrent chats, upstream reply {args.reply_seconds:g} s "
        f"({args.pieces} pieces when streamed), "
        f"started over {ramp:g} s, client timeout {args.client_timeout:g} s, "
        f"{os.cpu_count()} cores, "
        f"database {'PostgreSQL' if 'DATABASE_URL' in env else 'SQLite'}, "
        f"sessions {'Redis' if 'REDIS_URL' in env else 'files'}"
    )
    results: list[list[str]] = []
    try:
        for stream in (False, True):
            mode = "streamed" if stream else "plain"
            direct = [
                DirectChat(
                    fake_parts.hostname,
                    fake_parts.port,
                    args.client_timeout,
                    fake_parts.path + "/chat/completions",
                )
                for _ in range(args.chats)
            ]
            base = drive(direct, stream, None, ramp)
            results.append(row(f"upstream alone ({mode})", base, base, args.chats))
            for name, gunicorn_args, tree in configs:
                port = free_port()
                server = start_app(name.split(":")[0], gunicorn_args, env, port, tree)
                try:
                    chats = [
                        Chat("127.0.0.1", port, args.client_timeout) for _ in range(args.chats)
                    ]
                    prepare = [threading.Thread(target=c.prepare) for c in chats]
                    for thread in prepare:
                        thread.start()
                    for thread in prepare:
                        thread.join()
                    outcome = drive(chats, stream, server.pid, ramp)
                finally:
                    stop(server)
                results.append(row(f"{name} ({mode})", outcome, base, args.chats))
        cooperation = cooperation_check(env["DATABASE_URL"], env) if "DATABASE_URL" in env else None
    finally:
        stop(fake)
        forget_keys(env)
    print()
    print_table(results)
    if cooperation:
        print()
        print(cooperation)


if __name__ == "__main__":
    main()
