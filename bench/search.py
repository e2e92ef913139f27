"""How fast is search with 10,000 conversations and 200,000 messages in the database?

Fills a fresh database (SQLite file, and PostgreSQL when a server is given) through the
real migrations, with automotive text (trouble codes, VINs, German and Japanese lines)
spread over several owners, then times, for several kinds of query, in one run:

- search: ``Message.search`` for one owner (the full-text query, the page's rows and
  their snippets), as ``GET /search`` runs it
- like: the same words through an unindexed ``LIKE '%word%'`` scan of that owner's
  messages (what search would cost without the index)
- pk: a primary-key read of one message (the floor for any query)

and prints p50 / p95 of each with the ratios search/like and search/pk.

    .venv/bin/python bench/search.py
    .venv/bin/python bench/search.py --conversations 1000 --messages 20000 --repeats 20
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python bench/search.py

PostgreSQL: the server of BENCH_DATABASE_URL (else TEST_DATABASE_URL, else DATABASE_URL);
a private database ``autochat_bench_search`` is created there and dropped after.
``--backends sqlite`` skips it.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from config import normalize_database_url  # noqa: E402

BENCH_DB = "autochat_bench_search"
SECRET = "bench-session-secret-" + "x" * 32
VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
MAKES = [
    ("Honda", "Civic"), ("Toyota", "Corolla"), ("Ford", "F-150"), ("VW", "Golf"),
    ("BMW", "320d"), ("Mazda", "MX-5"), ("Subaru", "Outback"), ("Hyundai", "i30"),
]  # fmt: skip
PARTS = [
    "catalytic converter", "oxygen sensor", "brake pads", "rotor", "timing belt",
    "spark plugs", "ignition coil", "alternator", "water pump", "thermostat",
    "fuel pump", "mass airflow sensor", "EGR valve", "wheel bearing", "CV joint",
]  # fmt: skip
SYMPTOMS = [
    "a rough idle", "a squeal when braking", "the check engine light", "a misfire under load",
    "poor fuel economy", "a rattle from underneath", "hard starting when cold",
    "a burning smell", "the battery light flickering", "vibration at highway speed",
]  # fmt: skip
OTHER = [
    "Die Bremsbeläge vorne quietschen, und beim Ölwechsel kam 5W-30 hinein.",
    "Der Motor ruckelt im Leerlauf, die Kontrollleuchte blinkt.",
    "エンジン 警告灯 が点灯しました。修理 工場 に 行くべきですか",
    "Le voyant moteur s'allume et la voiture broute à froid.",
]


COMMON_CODES = ["P0420", "P0300", "P0171", "P0128", "P0455", "P0442", "P0301", "P0174"]


def code(rng: random.Random) -> str:
    """A trouble code: a common one a third of the time, else any powertrain code."""
    if rng.random() < 0.33:
        return rng.choice(COMMON_CODES)
    return f"P{rng.choice('0123')}{rng.randint(100, 999)}"


def vin(rng: random.Random) -> str:
    return "".join(rng.choice(VIN_CHARS) for _ in range(17))


def question(rng: random.Random) -> str:
    make, model = rng.choice(MAKES)
    text = (
        f"My {rng.randint(2005, 2024)} {make} {model} has {rng.choice(SYMPTOMS)} "
        f"and the scanner shows {code(rng)}."
    )
    if rng.random() < 0.15:
        text += f" VIN {vin(rng)}."
    if rng.random() < 0.05:
        text += " " + rng.choice(OTHER)
    return text


def answer(rng: random.Random) -> str:
    part, other = rng.sample(PARTS, 2)
    c = code(rng)
    return (
        f"{c} usually points at the {part}. Before replacing it, check the {other} and "
        f"look for exhaust or vacuum leaks; clear the code and drive a full cycle. "
        f"If {c} comes back with {rng.choice(SYMPTOMS)}, have the {part} tested under load. "
        f"Typical cost is {rng.randint(80, 900)} dollars with {rng.randint(1, 4)} hours of labour."
    )


# ---------------------------------------------------------------- databases


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


@contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    """A private, empty database on the server; dropped after."""
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{BENCH_DB}"'))
    try:
        yield with_database(server_url, BENCH_DB)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)'))
        admin.dispose()


def make_app(url: str, instance: str):
    from app import create_app

    return create_app(
        {"TESTING": True, "RATELIMIT_ENABLED": False},
        env={"SESSION_SECRET": SECRET, "DATABASE_URL": url},
        instance_path=instance,
    )


def fill(app, conversations: int, messages: int, owners: int, seed: int) -> list[str]:
    """Bulk-insert the rows (the search index is kept by the database as they arrive)."""
    from models import db

    rng = random.Random(seed)  # noqa: S311  # nosec B311 (sample data, not a secret)
    owner_ids = [f"bench-owner-{n:03d}" for n in range(owners)]
    per = messages // conversations
    start = datetime(2025, 1, 1, tzinfo=UTC)
    conversation_rows, message_rows = [], []
    for n in range(conversations):
        cid = f"{n:032x}"
        at = start + timedelta(minutes=n * 5)
        make, model = rng.choice(MAKES)
        conversation_rows.append(
            {
                "id": cid,
                "owner_id": owner_ids[n % owners],
                "title": f"{code(rng)} on my {make} {model}",
                "created_at": at,
                "updated_at": at + timedelta(minutes=per),
            }
        )
        for k in range(per):
            role = "user" if k % 2 == 0 else "assistant"
            message_rows.append(
                {
                    "conversation_id": cid,
                    "role": role,
                    "content": question(rng) if role == "user" else answer(rng),
                    "status": "ok",
                    "created_at": at + timedelta(seconds=k * 30),
                }
            )
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO conversation (id, owner_id, title, created_at, updated_at) "
                "VALUES (:id, :owner_id, :title, :created_at, :updated_at)"
            ),
            conversation_rows,
        )
        for begin in range(0, len(message_rows), 10_000):
            connection.execute(
                sa.text(
                    "INSERT INTO message (conversation_id, role, content, status, "
                    "created_at) VALUES (:conversation_id, :role, :content, :status, "
                    ":created_at)"
                ),
                message_rows[begin : begin + 10_000],
            )
        # Fresh statistics, as autovacuum (PostgreSQL) or `PRAGMA optimize` would give.
        connection.execute(sa.text("ANALYZE"))
    return owner_ids


# ---------------------------------------------------------------- timing


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def timed(run: Callable[[], object], repeats: int) -> list[float]:
    run()  # warm the caches and the statement cache
    samples = []
    for _ in range(repeats):
        began = time.perf_counter()
        run()
        samples.append((time.perf_counter() - began) * 1000)
    return samples


def like_scan(owner: str, words: list[str]):
    """The same words as an unindexed substring scan of the owner's messages."""
    from models import db

    conditions = " AND ".join(f"lower(m.content) LIKE :w{n}" for n in range(len(words)))
    statement = sa.text(
        "SELECT m.id, m.conversation_id, m.role, m.content FROM message m "  # noqa: S608
        "JOIN conversation c ON c.id = m.conversation_id "
        f"WHERE c.owner_id = :owner AND c.deleted_at IS NULL AND {conditions} "
        "ORDER BY m.id DESC LIMIT 21"
    )
    params = {"owner": owner, **{f"w{n}": f"%{w.lower()}%" for n, w in enumerate(words)}}
    return db.session.execute(statement, params).all()


def run_backend(name: str, url: str, args, instance: str) -> list[tuple]:
    from flask_migrate import upgrade

    import search as fulltext
    from models import Message, db

    app = make_app(url, instance)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    began = time.perf_counter()
    owners = fill(app, args.conversations, args.messages, args.owners, args.seed)
    print(
        f"[{name}] filled {args.conversations:,} conversations / {args.messages:,} messages "
        f"for {args.owners} owners in {time.perf_counter() - began:.1f} s",
        flush=True,
    )
    rows = []
    with app.app_context():
        planted = db.session.execute(
            sa.text(
                "SELECT m.content, c.owner_id FROM message m JOIN conversation c "
                "ON c.id = m.conversation_id WHERE m.content LIKE '%VIN %' ORDER BY m.id LIMIT 1"
            )
        ).one()
        planted_vin = planted.content.split("VIN ")[1][:17]
        queries = [
            ("code (P0420)", "P0420"),
            ("VIN (17 chars)", planted_vin),
            ("prefix (p04)", "p04"),
            ("common word (engine)", "engine"),
            ("two words", "brake squeal"),
            ("German (Bremsbeläge)", "Bremsbeläge"),
            ("no match", "zzyzx"),
        ]
        some_id = db.session.scalar(sa.text("SELECT max(id) FROM message")) // 2
        for label, query in queries:
            # The VIN's own owner; for the rest, the owners in turn.
            turn = iter(range(10**9))

            def owner_for(label=label, turn=turn) -> str:
                if label.startswith("VIN"):
                    return planted.owner_id
                return owners[next(turn) % len(owners)]

            found = len(Message.search(owner_for(), query, limit=21))
            search_ms = timed(
                lambda q=query: Message.search(owner_for(), q, limit=21), args.repeats
            )
            db.session.rollback()
            like_ms = timed(lambda q=query: like_scan(owner_for(), fulltext.terms(q)), args.repeats)
            db.session.rollback()
            pk_ms = timed(
                lambda: db.session.execute(
                    sa.text("SELECT * FROM message WHERE id = :id"), {"id": some_id}
                ).all(),
                args.repeats,
            )
            db.session.rollback()
            rows.append((name, label, found, percentiles(search_ms), percentiles(like_ms),
                         percentiles(pk_ms)))  # fmt: skip
        db.session.remove()
        db.engine.dispose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--owners", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    backends = args.backends.split(",")
    server = normalize_database_url(
        os.environ.get("BENCH_DATABASE_URL")
        or os.environ.get("TEST_DATABASE_URL")
        or os.environ.get("DATABASE_URL")
        or ""
    )
    results = []
    with tempfile.TemporaryDirectory() as folder:
        if "sqlite" in backends:
            url = f"sqlite:///{folder}/bench.db"
            results += run_backend("SQLite", url, args, f"{folder}/instance-sqlite")
        if "postgresql" in backends:
            if not server.startswith("postgresql"):
                print("[PostgreSQL] skipped: set BENCH_DATABASE_URL (or TEST_DATABASE_URL)")
            else:
                with postgres_database(server) as url:
                    results += run_backend("PostgreSQL", url, args, f"{folder}/instance-pg")
    print()
    print(f"{args.repeats} runs each; times in ms (p50 / p95); 21 rows asked (a page and one)")
    print(
        f"{'backend':<11} {'query':<22} {'hits':>4}  {'search p50/p95':>16}  "
        f"{'LIKE scan p50/p95':>18}  {'pk p50/p95':>12}  {'search/LIKE':>11}  {'search/pk':>9}"
    )
    for name, label, found, search_ms, like_ms, pk_ms in results:
        print(
            f"{name:<11} {label:<22} {found:>4}  {search_ms[0]:>7.2f}/{search_ms[1]:<8.2f} "
            f"{like_ms[0]:>8.2f}/{like_ms[1]:<9.2f} {pk_ms[0]:>5.2f}/{pk_ms[1]:<6.2f} "
            f"{search_ms[1] / like_ms[1]:>10.2f}×  {search_ms[1] / pk_ms[1]:>8.1f}×"
        )


if __name__ == "__main__":
    main()
