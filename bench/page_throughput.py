"""How many conversation pages a second does the shipped server give, against /health?

Starts the fake OpenRouter and real Gunicorn with the shipped ``gunicorn.conf.py`` (2 gevent
workers) on PostgreSQL and Redis, seeds one visitor's conversations of 40 and 300 messages
(questions with fact cards, replies in the Markdown the assistant writes about a P0420
code: headings, lists, a table, code blocks, a note) and 48 short ones (``--others``: a
full first page of the sidebar, as a regular user has), then drives each address with wrk
(``/usr/bin/wrk``, 32 connections, the visitor's cookies) and prints, per round and as
the median of the rounds:

- requests/s of ``/health`` (a database query and a Redis ping through the same stack),
  the mean of a run before and a run after the pages
- requests/s of ``/`` (a new conversation: sidebar, session and composer, no messages:
  the floor a conversation page stands on) and of ``/c/<id>`` for each conversation,
  each with its ratio to /health's rate measured in the same round
- the page's size, and the time of the very first view (before anything is stored)

``--baseline REF`` also serves the code of a git commit (``git archive``, read-only) on
another port against the same database, and alternates the two in every round, so
before and after come from one run on one machine.

    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \\
    TEST_REDIS_URL=redis://127.0.0.1:6379/0 \\
    .venv/bin/python bench/page_throughput.py                 # --rounds 3 --duration 10
    .venv/bin/python bench/page_throughput.py --baseline HEAD  # side by side

The database is a private one (``autochat_bench_pages_<pid>``), created and dropped;
the Redis keys carry a private prefix and are deleted after.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.concurrency import (  # noqa: E402
    baseline_tree,
    free_port,
    start_app,
    start_fake,
    stop,
    upgrade,
)

WRK = shutil.which("wrk") or "/usr/bin/wrk"

QUESTION = (
    "My 2014 Honda Civic 1.8 (VIN 2HGFB2F59EH512345) shows P0420 and P0171, and the "
    "idle is a bit rough. Is it safe to drive, and what should I check first?"
)
REPLY = """## What P0420 means on your Civic

**P0420 — Catalyst system efficiency below threshold (bank 1).** The engine computer
compares the *upstream* and *downstream* oxygen sensors; when the downstream signal
starts to switch like the upstream one, the converter is no longer storing oxygen.

> [!WARNING] Stop driving if the engine misfires
> A flashing check-engine light means raw fuel is reaching the converter: it can overheat
> and melt inside within minutes.

### Likely causes, most likely first

1. **The lean code comes first.** P0171 (system too lean) makes the converter look bad;
   fix the vacuum or fuel problem before judging the catalyst.
2. An exhaust leak ahead of the downstream sensor (cracked flex pipe, loose flange).
3. A lazy downstream O2 sensor (slow to switch, stuck near 0.45 V).
4. The converter itself — at {miles:,} miles it may simply be worn out.

### Checks you can do at home

- Read **fuel trims** at idle and at 2,500 rpm: long-term above +10 % points to a leak.
- Listen for a *tick* near the manifold on a cold start.
- Look for oil or coolant consumption: both poison the catalyst.

| Check | Tool | Time | Cost |
|---|---|:---:|---:|
| Fuel trims (STFT + LTFT) | OBD-II scan tool | 10 min | $0 |
| Smoke test for vacuum leaks | smoke machine | 30 min | $40–$90 |
| Downstream O2 response | scan tool graph | 15 min | $0 |
| Exhaust back-pressure | gauge in O2 port | 20 min | $25 |
| Catalyst temperature drop | infrared thermometer | 5 min | $20 |

A quick way to read the trims from a log your scanner exported:

```python
import csv

def average_trim(path: str, column: str = "LTFT B1 (%)") -> float:
    with open(path, newline="") as handle:
        rows = [float(row[column]) for row in csv.DictReader(handle) if row[column]]
    return sum(rows) / len(rows)

if average_trim("idle.csv") > 10:
    print("Lean at idle: look for a vacuum leak before the catalyst.")
```

To watch the sensors live with an ELM327 adapter:

```bash
obd-monitor --pids 0x14,0x15 --interval 0.2 --port /dev/ttyUSB0
```

### Is it safe to drive?

Yes, for now — P0420 alone does not harm the engine. Fix P0171 first, clear the codes,
drive 50–100 miles of mixed roads, and see whether P0420 returns. If it does, budget
**$900–$1,800** for an OEM-grade converter (an aftermarket one may fail the readiness
monitor again). See https://www.nhtsa.gov/recalls for open recalls on your VIN.

Reply {n}."""


@dataclass
class Served:
    """What one server gave for one address: requests/s of each round."""

    rates: list[float] = field(default_factory=list)
    errors: int = 0


def wrk(port: int, path: str, cookie: str, args) -> tuple[float, int]:
    """Return (requests/s, non-2xx responses and socket errors) of one wrk run."""
    out = subprocess.run(
        [
            WRK,
            f"-t{args.threads}",
            f"-c{args.connections}",
            f"-d{args.duration}s",
            "--timeout",
            "10s",
            "-H",
            f"Cookie: {cookie}",
            f"http://127.0.0.1:{port}{path}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if socket:
        bad += sum(int(n) for n in socket.groups())
    return rate, bad


def get(port: int, path: str, cookie: str = "") -> tuple[int, bytes, list[str], float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    start = time.perf_counter()
    conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    response = conn.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - start
    cookies = response.headers.get_all("Set-Cookie") or []
    conn.close()
    return response.status, body, cookies, elapsed


def seed(
    env: dict[str, str], owner_cookie: str, sizes: list[int], others: int = 0
) -> dict[int, str]:
    """Make one conversation of each size for the visitor, and ``others`` short ones (a
    question and its reply) for their sidebar; return {size: conversation id}."""
    from itsdangerous import URLSafeSerializer

    from app import create_app
    from automotive.facts import facts_for
    from models import Conversation, Message, db

    app = create_app(env=env, instance_path=env["INSTANCE_PATH"])
    owner = URLSafeSerializer(app.config["SECRET_KEY"], salt="owner-id").loads(owner_cookie)
    facts = [fact.to_dict() for fact in facts_for(QUESTION)]
    made = {}
    with app.app_context():
        for n in range(others):
            conversation = Conversation(owner_id=owner, title=f"Earlier question {n + 1}")
            db.session.add(conversation)
            db.session.flush()
            question = Message(conversation_id=conversation.id, role="user", content=QUESTION)
            db.session.add(question)
            db.session.flush()
            db.session.add(
                Message(
                    conversation_id=conversation.id,
                    role="assistant",
                    content="Check the fuel trims first.",
                    reply_to_id=question.id,
                    parent_id=question.id,
                )
            )
        for size in sizes:
            conversation = Conversation(owner_id=owner, title=f"P0420, {size} messages")
            db.session.add(conversation)
            db.session.flush()
            tip = None
            for n in range(size // 2):
                question = Message(
                    conversation_id=conversation.id,
                    role="user",
                    content=QUESTION,
                    facts=facts,
                    parent_id=tip,
                )
                db.session.add(question)
                db.session.flush()
                answer = Message(
                    conversation_id=conversation.id,
                    role="assistant",
                    content=REPLY.format(n=n, miles=90_000 + 1_000 * n),
                    model="deepseek/deepseek-chat-v3-0324:free",
                    reply_to_id=question.id,
                    parent_id=question.id,
                    prompt_tokens=900 + n,
                    completion_tokens=700,
                    cost=0.00012,
                )
                db.session.add(answer)
                db.session.flush()
                tip = answer.id
            made[size] = conversation.id
        db.session.commit()
        db.engine.dispose()
    return made


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL")
                        or os.environ.get("TEST_DATABASE_URL"))  # fmt: skip
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL")
                        or os.environ.get("TEST_REDIS_URL"))  # fmt: skip
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sizes", default="40,300", help="message counts")
    parser.add_argument(
        "--others",
        type=int,
        default=48,
        help="more conversations of the visitor, in the sidebar (48: its first page of 50)",
    )
    parser.add_argument("--baseline", metavar="REF", help="also serve this git commit's code")
    parser.add_argument(
        "--pool",
        type=int,
        default=8,
        help="DB_POOL_SIZE per worker (overflow 0): a shared PostgreSQL has 100 connections",
    )
    args = parser.parse_args()
    if not args.database_url or not args.database_url.startswith("postgresql"):
        raise SystemExit("Set TEST_DATABASE_URL (or --database-url) to a PostgreSQL server.")
    if not args.redis_url:
        raise SystemExit("Set TEST_REDIS_URL (or --redis-url) to a Redis server.")
    sizes = [int(size) for size in args.sizes.split(",")]

    import sqlalchemy as sa

    from config import normalize_database_url

    name = f"autochat_bench_pages_{os.getpid()}"
    admin = sa.create_engine(
        normalize_database_url(args.database_url), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    prefix = f"autochat-bench-pages-{os.getpid()}:"
    workdir = Path(tempfile.mkdtemp(prefix="autochat-pages-"))
    fake, fake_url = start_fake(5.0)
    servers: list[tuple[str, subprocess.Popen, int]] = []
    try:
        env = {
            **os.environ,
            "INSTANCE_PATH": str(workdir),
            "DATABASE_URL": sa.make_url(normalize_database_url(args.database_url))
            .set(database=name)
            .render_as_string(hide_password=False),
            "REDIS_URL": args.redis_url,
            "SESSION_KEY_PREFIX": f"{prefix}session:",
            "CATALOG_CACHE_PREFIX": prefix,
            "OPENROUTER_BASE_URL": fake_url,
            "SESSION_SECRET": "bench-" + "p" * 40,
            "LOG_LEVEL": "WARNING",
            # The run's rate is bound by CPU, not connections; the default pool (20 + 10 per
            # worker, two servers) would take most of a shared server's 100 connections.
            "DB_POOL_SIZE": str(args.pool),
            "DB_MAX_OVERFLOW": "0",
        }
        env.pop("FLASK_ENV", None)
        upgrade(env)
        trees = [("current", ROOT)]
        if args.baseline:
            old = baseline_tree(args.baseline, workdir / "baseline")
            trees.insert(0, (f"baseline {args.baseline}", old))
        for label, tree in trees:
            port = free_port()
            process = start_app(label.split()[0], ["-c", "gunicorn.conf.py"], env, port, cwd=tree)
            servers.append((label, process, port))

        # The visitor: the cookies the first page gives (owner, session), as a browser keeps.
        _, _, set_cookies, _ = get(servers[-1][2], "/")
        jar = dict(c.split(";", 1)[0].split("=", 1) for c in set_cookies)
        cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
        conversations = seed(env, jar["owner"], sizes, args.others)
        # "/" (a new conversation: the same sidebar, session and composer, no messages)
        # is the floor a conversation page stands on.
        paths = ["/health", "/"] + [f"/c/{conversations[size]}" for size in sizes]
        names = dict(
            zip(paths, ["/health", "/ (none)"] + [f"{n} msgs" for n in sizes], strict=True)
        )

        first_view: dict[tuple[str, str], float] = {}
        page_size: dict[tuple[str, str], int] = {}
        for label, _process, port in servers:
            for path in paths[1:]:
                status, body, _, elapsed = get(port, path, cookie)
                if status != 200:
                    raise SystemExit(f"{label}: GET {path} answered {status}")
                first_view[label, path] = elapsed
                page_size[label, path] = len(body)
            for path in paths:  # warm: imports, templates, pools, stored HTML
                wrk_args = argparse.Namespace(**{**vars(args), "duration": 2})
                wrk(port, path, cookie, wrk_args)

        results = {(label, path): Served() for label, _p, _port in servers for path in paths}
        print(
            f"wrk: {args.connections} connections, {args.threads} thread(s), "
            f"{args.duration} s per run, {args.rounds} rounds; {os.cpu_count()} cores; "
            f"Gunicorn gunicorn.conf.py (pool {args.pool} per worker) on PostgreSQL + Redis",
            flush=True,
        )
        for n in range(args.rounds):
            for label, _process, port in servers:
                # /health before and after the pages, their mean as the round's measure:
                # on a shared machine one run of it moves by a third.
                for path in [*paths, "/health"]:
                    rate, bad = wrk(port, path, cookie, args)
                    results[label, path].rates.append(rate)
                    results[label, path].errors += bad
                after = results[label, "/health"].rates.pop()
                results[label, "/health"].rates[-1] = (
                    results[label, "/health"].rates[-1] + after
                ) / 2
                health = results[label, "/health"].rates[-1]
                cells = [f"/health {health:7.1f}/s"] + [
                    f"{names[path]} {results[label, path].rates[-1]:6.1f}/s "
                    f"({results[label, path].rates[-1] / health:4.0%})"
                    for path in paths[1:]
                ]
                print(f"round {n + 1} {label:>18}: " + "  ".join(cells), flush=True)
        report(servers, paths, names, results, page_size, first_view)
    finally:
        for _label, process, _port in servers:
            stop(process)
        stop(fake)
        clean_up(admin, name, args.redis_url, prefix, workdir)


def clean_up(admin, name: str, redis_url: str | None, prefix: str, workdir: Path) -> None:
    """Drop the private database ``name`` (through ``admin``, an engine on the server),
    delete the Redis keys carrying ``prefix`` and remove ``workdir``."""
    import sqlalchemy as sa

    if redis_url:
        import redis

        client = redis.Redis.from_url(redis_url)
        for key in client.scan_iter(match=f"*{prefix}*"):
            client.delete(key)
        client.close()
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
    shutil.rmtree(workdir, ignore_errors=True)


def report(servers, paths, names, results, page_size, first_view) -> None:
    """One line per server and address: median rate, ratio to /health, size, first view."""
    print()
    print(f"{'server':22}{'address':14}{'req/s (median)':>16}{'x /health':>11}"
          f"{'page size':>11}{'first view':>12}{'errors':>8}")  # fmt: skip
    for label, _process, _port in servers:
        health = results[label, "/health"]
        for path in paths:
            served = results[label, path]
            rate = statistics.median(served.rates)
            if path == "/health":
                ratio, size_kb, first = "", "", ""
            else:
                ratios = [r / h for r, h in zip(served.rates, health.rates, strict=True)]
                ratio = f"{statistics.median(ratios):.0%}"
                size_kb = f"{page_size[label, path] / 1024:.0f} KB"
                first = f"{first_view[label, path] * 1000:.0f} ms"
            print(f"{label:22}{names[path]:14}{rate:>16.1f}{ratio:>11}{size_kb:>11}{first:>12}"
                  f"{served.errors:>8}")  # fmt: skip


if __name__ == "__main__":
    main()
