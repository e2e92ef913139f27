"""How much slower is a long conversation's page than a short one?

Builds conversations with typical replies (headings, lists, a code block, a table,
fact cards), 10, 40 (one page), 300 and 2,000 messages long, and measures in one run:

- server time: the median time to serve ``GET /c/<id>`` through the app (in process)
- page size: the bytes of that page
- browser time: the median time from navigation start to the load event in Chromium
  (``/usr/bin/chromium``; skipped when it is missing)

and prints each figure and its ratio to the 10-message conversation's. The page shows
the newest 40 messages ("Show earlier" for the rest), so from 40 messages on the
figures should stay flat.

    .venv/bin/python bench/page_render.py
    .venv/bin/python bench/page_render.py --repeats 50 --sizes 10,300

Set BENCH_DATABASE_URL to run against PostgreSQL; otherwise SQLite in a temporary folder.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUESTION = "My 2014 Civic shows P0420 and the idle is rough at 215/55R16 tire pressure checks."
REPLY = """### What P0420 means

The catalytic converter on **bank 1** is below its efficiency threshold.

1. Check for exhaust leaks ahead of the downstream oxygen sensor.
2. Compare the upstream and downstream sensor signals.
3. Fix any misfire codes first.

| Check | Tool | Time |
|---|---|---|
| Exhaust leak | smoke machine | 20 min |
| O2 sensors | scan tool | 10 min |

```python
def fuel_trim(short, long):
    return short + long
```

> Safe to drive if the engine runs normally; get it checked soon.
"""


def build(app, count: int, owner: str) -> str:
    from automotive.facts import facts_for
    from models import Conversation, Message, db

    facts = [fact.to_dict() for fact in facts_for(QUESTION)]
    with app.app_context():
        conversation = Conversation(owner_id=owner, title=f"{count} messages")
        db.session.add(conversation)
        db.session.flush()
        tip = None
        for n in range(count // 2):
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
                content=REPLY + f"\n\nReply {n}.",
                model="fake/model",
                reply_to_id=question.id,
                parent_id=question.id,
                prompt_tokens=500,
                completion_tokens=200,
                cost=0.0001,
            )
            db.session.add(answer)
            db.session.flush()
            tip = answer.id
        db.session.commit()
        return conversation.id


def server_times(client, path: str, repeats: int) -> tuple[float, int]:
    sizes, times = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - start)
        sizes.append(len(response.data))
        if response.status_code != 200:
            raise SystemExit(f"GET {path} answered {response.status_code}")
    return statistics.median(times) * 1000, sizes[-1]


def browser_times(base: str, cookie: tuple[str, str], paths: list[str], repeats: int):
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        return None
    from playwright.sync_api import sync_playwright

    results = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context(viewport={"width": 1366, "height": 900})
        context.add_cookies([{"name": cookie[0], "value": cookie[1], "url": base}])
        page = context.new_page()
        for path in paths:
            page.goto(base + path)  # warm caches (CSS, JS)
            samples = []
            for _ in range(repeats):
                page.goto(base + path, wait_until="load")
                samples.append(
                    page.evaluate(
                        "() => { const n = performance.getEntriesByType('navigation')[0];"
                        " return n.loadEventEnd - n.startTime; }"
                    )
                )
            results[path] = statistics.median(samples)
        browser.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--browser-repeats", type=int, default=7)
    parser.add_argument("--sizes", default="10,40,300,2000", help="message counts, base first")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]

    from flask_migrate import upgrade
    from werkzeug.serving import make_server

    from app import create_app

    with tempfile.TemporaryDirectory() as tmp:
        database = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.db"
        app = create_app(
            {"TESTING": True, "RATE_LIMIT_CHAT": "10000 per minute"},
            env={
                "SESSION_SECRET": "bench-" + "x" * 40,
                "DATABASE_URL": database,
                "LOG_LEVEL": "WARNING",
                # Nothing leaves the machine: the catalog refresh fails fast on loopback.
                "OPENROUTER_BASE_URL": "http://127.0.0.1:9/api/v1",
            },
            instance_path=tmp,
        )
        with app.app_context():
            upgrade()
        client = app.test_client()
        client.get("/")  # mints the owner cookie
        cookie = client.get_cookie(app.config["OWNER_COOKIE_NAME"])
        from itsdangerous import URLSafeSerializer

        owner = URLSafeSerializer(app.config["SECRET_KEY"], salt="owner-id").loads(cookie.value)
        paths = [f"/c/{build(app, size, owner)}" for size in sizes]
        rows = {path: server_times(client, path, args.repeats) for path in paths}

        import logging

        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{server.server_port}"
        try:
            browser = browser_times(base, (cookie.key, cookie.value), paths, args.browser_repeats)
        finally:
            server.shutdown()
        with contextlib.suppress(Exception), app.app_context():
            from models import db

            db.engine.dispose()

    report(sizes, [rows[path] for path in paths], browser and [browser[p] for p in paths])


def report(sizes: list[int], served: list[tuple[float, int]], loads: list[float] | None) -> None:
    """Print one line per figure: each size's value, then each size's ratio to the first."""
    head = "".join(f"{f'{size} messages':>15}" for size in sizes)
    ratios = "".join(f"{f'{size}/{sizes[0]}':>12}" for size in sizes[1:])
    print(f"{'':24}{head}{ratios}")

    def line(name: str, values: list[float], unit: str) -> None:
        cells = "".join(f"{value:>12.1f} {unit:<2}" for value in values)
        ratio_cells = "".join(f"{value / values[0]:>11.1f}x" for value in values[1:])
        print(f"{name:24}{cells}{ratio_cells}")

    line("server time (median)", [ms for ms, _ in served], "ms")
    line("page size", [size / 1024 for _, size in served], "KB")
    if loads:
        line("browser load (median)", loads, "ms")
    else:
        print("browser load: skipped (no /usr/bin/chromium)")


if __name__ == "__main__":
    main()
