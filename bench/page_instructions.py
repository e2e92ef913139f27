"""How many CPU instructions does one page view cost the app, counted by callgrind?

On a shared machine a rate moves by a fifth from run to run, so a change worth 5 % of a
page view cannot be seen in ``page_throughput.py``. Instructions counted by valgrind's
callgrind do not move: the same code, data and inputs give the same count whatever else
the machine is doing. This counts them for ``/health``, ``/`` (the sidebar, session and
composer, no messages) and a 40-message conversation page, per view, in the app's
process (the test client, no server, no gevent; PostgreSQL's and Redis's own work is not
in it: ``page_throughput.py`` measures the whole stack).

Each tree (this checkout, and with ``--baseline REF`` a git commit's code) serves the
same private database (``autochat_bench_instr_<pid>``, seeded as ``page_throughput.py``
seeds it: a full sidebar of 50) from a process run under
``valgrind --tool=callgrind``, which counts only the views asked for (a few warm-up views
first). Needs valgrind and a C compiler (for the 10-line helper that switches counting
on and off).

    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \\
    TEST_REDIS_URL=redis://127.0.0.1:6379/0 \\
    .venv/bin/python bench/page_instructions.py --baseline HEAD~1   # --views 20
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.concurrency import baseline_tree, upgrade  # noqa: E402
from bench.page_throughput import clean_up, seed  # noqa: E402

# Counting starts with zeroed counters and stops with a dump named after the address.
HELPER = r"""
#include <valgrind/callgrind.h>
void count_from_here(void) { CALLGRIND_ZERO_STATS; CALLGRIND_START_INSTRUMENTATION; }
void count_until_here(const char *name) {
    CALLGRIND_DUMP_STATS_AT(name); CALLGRIND_STOP_INSTRUMENTATION;
}
"""
WARM_VIEWS = 5


def serve(tree: str, helper: str, settings: str) -> None:
    """The measured process: the app of ``tree`` behind a test client, counting views of
    the paths read from stdin (``<path> <views>``), one line of output each."""
    import ctypes

    sys.path.insert(0, tree)
    os.chdir(tree)
    env = json.loads(Path(settings).read_text())
    os.environ.update(env)
    from app import create_app

    app = create_app(env=env, instance_path=env["INSTANCE_PATH"])
    client = app.test_client()
    client.set_cookie(app.config["OWNER_COOKIE_NAME"], env["BENCH_OWNER_COOKIE"])
    counter = ctypes.CDLL(helper)
    print("ready", flush=True)
    for line in sys.stdin:
        path, views = line.split()
        for _ in range(WARM_VIEWS):
            client.get(path)
        counter.count_from_here()
        for _ in range(int(views)):
            status = client.get(path).status_code
            if status != 200:
                raise SystemExit(f"GET {path} answered {status}")
        counter.count_until_here(path.encode())
        print("done", flush=True)


def instructions_per_view(process: subprocess.Popen, dumps: Path, path: str, views: int) -> float:
    """Millions of instructions per view of ``path`` in a process started by ``main``."""
    before = set(dumps.iterdir())
    process.stdin.write(f"{path} {views}\n")
    process.stdin.flush()
    if process.stdout.readline().strip() != "done":
        raise SystemExit(f"the measured process stopped on {path}")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        new = [dump for dump in set(dumps.iterdir()) - before if dump.stat().st_size]
        if new:
            time.sleep(0.2)  # written whole
            for line in new[0].read_text().splitlines():
                if line.startswith(("summary:", "totals:")):
                    return int(line.split()[1]) / views / 1e6
        time.sleep(0.1)
    raise SystemExit(f"callgrind wrote no counts for {path}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--serve", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL"))
    parser.add_argument("--redis-url", default=os.environ.get("TEST_REDIS_URL"))
    parser.add_argument("--views", type=int, default=20, help="views counted per address")
    parser.add_argument("--baseline", metavar="REF", help="also count this git commit's code")
    args = parser.parse_args()
    if args.serve:
        serve(*args.serve)
        return
    if not args.database_url or not args.database_url.startswith("postgresql"):
        raise SystemExit("Set TEST_DATABASE_URL (or --database-url) to a PostgreSQL server.")
    for tool in ("valgrind", "cc"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is needed (Debian: apt-get install valgrind gcc)")

    import sqlalchemy as sa
    from itsdangerous import URLSafeSerializer

    from config import normalize_database_url

    name = f"autochat_bench_instr_{os.getpid()}"
    admin = sa.create_engine(
        normalize_database_url(args.database_url), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    workdir = Path(tempfile.mkdtemp(prefix="autochat-instr-"))
    prefix = f"autochat-bench-instr-{os.getpid()}:"
    processes: list[subprocess.Popen] = []
    try:
        env = {
            "INSTANCE_PATH": str(workdir),
            "DATABASE_URL": sa.make_url(normalize_database_url(args.database_url))
            .set(database=name)
            .render_as_string(hide_password=False),
            "SESSION_KEY_PREFIX": f"{prefix}session:",
            "CATALOG_CACHE_PREFIX": prefix,
            # Nothing listens there: the catalog falls back to its built-in list.
            "OPENROUTER_BASE_URL": "http://127.0.0.1:9",
            "SESSION_SECRET": "bench-" + "i" * 40,
            "LOG_LEVEL": "CRITICAL",
            **({"REDIS_URL": args.redis_url} if args.redis_url else {}),
        }
        full_env = {**os.environ, **env}
        full_env.pop("FLASK_ENV", None)
        upgrade(full_env)
        owner = URLSafeSerializer(env["SESSION_SECRET"], salt="owner-id").dumps(
            "bench-visitor-" + "0" * 18
        )
        conversation = seed(full_env, owner, [40], others=48)[40]
        settings = workdir / "settings.json"
        settings.write_text(json.dumps({**env, "BENCH_OWNER_COOKIE": owner}))
        (workdir / "helper.c").write_text(HELPER)
        helper = workdir / "helper.so"
        subprocess.run(
            ["cc", "-O2", "-shared", "-fPIC", "-o", helper, workdir / "helper.c"], check=True
        )

        trees = [("current", ROOT)]
        if args.baseline:
            trees.insert(0, (args.baseline, baseline_tree(args.baseline, workdir / "baseline")))
        paths = {"/health": "/health", "/ (none)": "/", "40 msgs": f"/c/{conversation}"}
        counts: dict[str, dict[str, float]] = {}
        for label, tree in trees:
            dumps = workdir / f"dumps-{len(counts)}"
            dumps.mkdir()
            process = subprocess.Popen(
                [
                    "valgrind",
                    "--tool=callgrind",
                    "--instr-atstart=no",
                    f"--callgrind-out-file={dumps}/callgrind.%p",
                    sys.executable,
                    __file__,
                    "--serve",
                    str(tree),
                    str(helper),
                    str(settings),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                # Python's own allocator hides nothing from callgrind, but plain malloc
                # keeps the counts of two trees comparable run to run.
                env={**full_env, "PYTHONMALLOC": "malloc"},
            )
            processes.append(process)
            if process.stdout.readline().strip() != "ready":
                raise SystemExit(f"{label}: the app did not start")
            (dumps / f"callgrind.{process.pid}").unlink(missing_ok=True)
            counts[label] = {
                name_: instructions_per_view(process, dumps, path, args.views)
                for name_, path in paths.items()
            }
            process.kill()
            print(
                f"{label:>12}: " + "  ".join(f"{n} {m:6.2f} M" for n, m in counts[label].items()),
                flush=True,
            )
        print(f"\nmillions of instructions per view ({args.views} views each, after warm-up)")
        print(f"{'tree':>12}  " + "".join(f"{n:>18}" for n in paths))
        for label, row in counts.items():
            cells = [f"{row[n]:8.2f} ({row[n] / row['/health']:4.1f}x)" for n in paths]
            print(f"{label:>12}  " + "".join(f"{c:>18}" for c in cells))
        if len(counts) == 2:
            old, new = counts.values()
            print(f"{'change':>12}  " + "".join(f"{new[n] / old[n] - 1:>+18.1%}" for n in paths))
    finally:
        for process in processes:
            process.kill()
        clean_up(admin, name, args.redis_url, prefix, workdir)


if __name__ == "__main__":
    main()
