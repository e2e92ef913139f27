"""Does recycling a worker (max_requests) under load add latency?

Runs the fake OpenRouter with a slow reply (5 s by default) and drives N concurrent
chats through the app under Gunicorn with the shipped gunicorn.conf.py, in three
configurations, one after the other in the same run (``--rounds`` repeats the three,
in a rotated order, so a busy moment of the machine does not fall on one only):

- off: no recycling (MAX_REQUESTS=0), the baseline
- gunicorn: Gunicorn's own recycling, what shipped before (the worker stops accepting,
  drains, and the master forks its replacement only once it has exited)
- ours: gunicorn.conf.py's (a replacement accepts before the worker drains, and one
  worker drains at a time)

The recycling point is set so each worker reaches it halfway through the chats (1,000
+ 50 jitter is the shipped value; a run of N chats uses 0.75 N + 5 %, as 2 workers see
about N/2 page loads then N/2 sends each). Printed per configuration:

- added p50 / p99: the chat's latency minus the upstream's own (same run), and the
  difference with "off" of the same round
- TTFB added: time to the first byte of the reply (plain) or to the first text
  (streamed), minus the upstream's own
- recycles, and whether workers drained together: from Gunicorn's log, followed live;
  "no worker accepting" adds up the time when every worker was draining or gone
- idle RSS (master + workers, just started); RSS per chat (growth at peak / chats, as
  bench/concurrency.py counts it: a replacement worker adds its whole RSS, most of it
  pages shared with the master); PSS per chat (the same with shared pages split between
  the processes sharing them: the memory the chats and the extra worker really cost)
- peak workers: the most worker processes at once (a replacement overlaps its drain)

``--growth W`` measures instead whether a worker's memory keeps growing without
recycling: W waves of N chats (plain and streamed in turn), worker RSS after each.

    .venv/bin/python bench/recycling.py                # 1000 chats, 5 s replies
    .venv/bin/python bench/recycling.py --chats 300    # a quick run

Set BENCH_DATABASE_URL / BENCH_REDIS_URL as for bench/concurrency.py.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.concurrency import (
    ROOT,
    Chat,
    DirectChat,
    Outcome,
    app_env,
    drive,
    forget_keys,
    free_port,
    ms,
    percentile,
    process_tree,
    rss_kb,
    start_app,
    start_fake,
    stop,
)

# Gunicorn's own recycling, from the shipped file with the handshake turned off.
STOCK_CONF = f"""
import runpy

globals().update(runpy.run_path({str(ROOT / "gunicorn.conf.py")!r}))


class StockRecyclingWorker(PatchedGeventWorker):
    replace_before_drain = False


worker_class = StockRecyclingWorker
"""

BOOT = re.compile(r"Booting worker with pid: (\d+)")
EXIT = re.compile(r"Worker exiting \(pid: (\d+)\)")
# Gunicorn's line (the worker's pid is the bracketed one) and ours.
DRAIN_STOCK = re.compile(r"\[(\d+)\] \[INFO\] Autorestarting worker after current request")
DRAIN_OURS = re.compile(r"Worker (\d+) stops accepting")


class StampedConnection(http.client.HTTPConnection):
    """Notes when the request went out and when the reply's status line came back."""

    sent_at = 0.0
    first_byte_at = 0.0

    def request(self, *args, **kwargs):
        self.sent_at = time.perf_counter()
        super().request(*args, **kwargs)

    def getresponse(self):
        response = super().getresponse()
        self.first_byte_at = time.perf_counter()
        return response


class FirstByte:
    """Plain replies report their time to first byte in place of the first text's."""

    def connection(self, *args, **kwargs):
        self.last = StampedConnection(*args, **kwargs)
        return self.last

    def send(self, stream: bool) -> tuple[float, float | None]:
        total, first = super().send(stream)
        return total, first if stream else self.last.first_byte_at - self.last.sent_at


class TimedChat(FirstByte, Chat):
    pass


class TimedDirectChat(FirstByte, DirectChat):
    pass


@dataclass
class Timeline:
    """Worker boots, drain starts and exits, seconds since the chats started."""

    boots: dict[int, float] = field(default_factory=dict)
    drains: dict[int, float] = field(default_factory=dict)
    exits: dict[int, float] = field(default_factory=dict)
    initial: set[int] = field(default_factory=set)

    def not_accepting(self, start: float, end: float) -> float:
        """Seconds in [start, end] when no worker was accepting."""
        events = sorted(
            [(t, +1) for pid, t in self.boots.items() if pid not in self.initial]
            + [(t, -1) for pid, t in self.drains.items()]
            + [(t, -1) for pid, t in self.exits.items() if pid not in self.drains]
            + [(float("-inf"), +1) for _ in self.initial]
        )
        accepting, total, since = 0, 0.0, None
        for moment, change in events:
            accepting += change
            if accepting <= 0 and since is None:
                since = moment
            elif accepting > 0 and since is not None:
                total += max(0.0, min(moment, end) - max(since, start))
                since = None
        if since is not None:
            total += max(0.0, end - max(since, start))
        return total

    def overlap(self) -> float:
        """Seconds when two or more recycled workers were draining at once."""
        spans = sorted((t, self.exits.get(pid, t)) for pid, t in self.drains.items())
        total = 0.0
        for i, (a_start, a_end) in enumerate(spans):
            for b_start, b_end in spans[i + 1 :]:
                total += max(0.0, min(a_end, b_end) - max(a_start, b_start))
        return total


def follow_log(path: Path, timeline: Timeline, origin: list[float], done: threading.Event):
    """Read the log as Gunicorn writes it; stamp each event with the time it appeared."""
    with path.open() as log:
        while not done.is_set():
            line = log.readline()
            if not line:
                time.sleep(0.02)
                continue
            now = time.perf_counter() - origin[0]
            for pattern, events in (
                (BOOT, timeline.boots),
                (DRAIN_STOCK, timeline.drains),
                (DRAIN_OURS, timeline.drains),
                (EXIT, timeline.exits),
            ):
                match = pattern.search(line)
                if match:
                    events.setdefault(int(match.group(1)), now)


@dataclass
class Run:
    outcome: Outcome
    timeline: Timeline
    idle_rss_kb: int
    worker_rss_kb: tuple[int, int]  # a worker's at start, and the largest at the end
    end: float
    pss_kb: tuple[int, int]  # idle, peak
    peak_workers: int


def run_config(name, conf_args, env, chats_count, stream, ramp, timeout) -> Run:
    port = free_port()
    server = start_app(name, conf_args, env, port)
    log_path = Path(env["INSTANCE_PATH"]) / f"gunicorn-{name}.log"
    timeline = Timeline()
    origin = [time.perf_counter()]
    done = threading.Event()
    follower = threading.Thread(
        target=follow_log, args=(log_path, timeline, origin, done), daemon=True
    )
    try:
        time.sleep(0.5)  # both workers booted
        timeline.initial = set(process_tree(server.pid)[1:])
        idle = rss_kb(server.pid)
        worker_start = max(rss_kb(pid) for pid in timeline.initial)
        chats = [TimedChat("127.0.0.1", port, timeout) for _ in range(chats_count)]
        loaders = [threading.Thread(target=chat.prepare) for chat in chats]
        for thread in loaders:
            thread.start()
        for thread in loaders:
            thread.join()
        follower.start()
        idle_pss = pss_kb(server.pid)
        sampled = {"pss": idle_pss, "workers": 0}
        sampling = threading.Event()

        def sample() -> None:
            while not sampling.wait(0.25):
                sampled["pss"] = max(sampled["pss"], pss_kb(server.pid))
                sampled["workers"] = max(sampled["workers"], len(process_tree(server.pid)) - 1)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        origin[0] = time.perf_counter()
        outcome = drive(chats, stream, server.pid, ramp)
        end = time.perf_counter() - origin[0]
        sampling.set()
        sampler.join()
        worker_end = max(rss_kb(pid) for pid in process_tree(server.pid)[1:])
        time.sleep(1.5)  # the last drains and exits reach the log
    finally:
        stop(server)
        done.set()
    return Run(
        outcome,
        timeline,
        idle,
        (worker_start, worker_end),
        end,
        (idle_pss, sampled["pss"]),
        sampled["workers"],
    )


def pss_kb(root_pid: int) -> int:
    """Sum the proportional set size of a process and its children."""
    total = 0
    for pid in process_tree(root_pid):
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def growth(env: dict[str, str], chats_count: int, waves: int, timeout: float) -> None:
    """Worker RSS after each wave of chats, without recycling."""
    port = free_port()
    server = start_app("growth", ["-c", "gunicorn.conf.py"], {**env, "MAX_REQUESTS": "0"}, port)
    try:
        time.sleep(0.5)
        sizes = [rss_kb(pid) // 1024 for pid in process_tree(server.pid)[1:]]
        print(f"  started: worker RSS {sizes} MB", flush=True)
        for wave in range(waves):
            chats = [Chat("127.0.0.1", port, timeout) for _ in range(chats_count)]
            loaders = [threading.Thread(target=chat.prepare) for chat in chats]
            for thread in loaders:
                thread.start()
            for thread in loaders:
                thread.join()
            outcome = drive(chats, wave % 2 == 1, server.pid, 1.0)
            time.sleep(1)
            sizes = [rss_kb(pid) // 1024 for pid in process_tree(server.pid)[1:]]
            print(
                f"  after wave {wave + 1} ({outcome.ok} chats answered, "
                f"{2 * chats_count * (wave + 1)} requests in all): worker RSS {sizes} MB",
                flush=True,
            )
    finally:
        stop(server)


def describe(run: Run) -> str:
    t = run.timeline
    recycled = sorted(t.drains.items(), key=lambda item: item[1])
    parts = []
    for pid, began in recycled:
        exited = t.exits.get(pid)
        parts.append(
            f"{pid} drained {began:.1f}–{exited:.1f} s" if exited else f"{pid} from {began:.1f} s"
        )
    if len(recycled) >= 2:
        exits = sorted(t.exits[pid] for pid, _ in recycled if pid in t.exits)
        if len(exits) >= 2:
            gaps = ", ".join(f"{b - a:.1f} s" for a, b in itertools.pairwise(exits))
            parts.append(f"gap between exits {gaps}")
    parts.append(f"drains overlapping {t.overlap():.1f} s")
    parts.append(f"no worker accepting {t.not_accepting(0.0, run.end):.1f} s")
    return "; ".join(parts) if recycled else "no recycle"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--chats", type=int, default=1000)
    parser.add_argument("--reply-seconds", type=float, default=5.0)
    parser.add_argument("--client-timeout", type=float, default=30.0)
    parser.add_argument("--ramp", type=float, default=None, help="default: one reply")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--stream", action="store_true", help="streamed chats (default: plain)")
    parser.add_argument("--max-requests", type=int, default=None, help="default: 0.75 x chats")
    parser.add_argument("--jitter", type=int, default=None, help="default: 5 %% of max-requests")
    parser.add_argument("--growth", type=int, default=0, metavar="W", help="see above")
    args = parser.parse_args()
    ramp = args.reply_seconds if args.ramp is None else args.ramp
    limit = args.max_requests or round(args.chats * 0.75)
    jitter = args.jitter if args.jitter is not None else round(limit * 0.05)

    if args.growth:
        fake, fake_url = start_fake(1.0)
        env = {**app_env(fake_url), "WORKERS": "2"}
        print(f"{args.growth} waves of {args.chats} chats, 1 s replies, no recycling")
        try:
            growth(env, args.chats, args.growth, args.client_timeout)
        finally:
            stop(fake)
            forget_keys(env)
        return
    fake, fake_url = start_fake(args.reply_seconds)
    fake_parts = urlsplit(fake_url)
    env = app_env(fake_url)
    stock_conf = Path(tempfile.mkdtemp(prefix="autochat-bench-conf-")) / "stock.conf.py"
    stock_conf.write_text(STOCK_CONF)
    recycling = {"MAX_REQUESTS": str(limit), "MAX_REQUESTS_JITTER": str(jitter)}
    configs = [
        ("off", ["-c", "gunicorn.conf.py"], {"MAX_REQUESTS": "0"}),
        ("gunicorn", ["-c", str(stock_conf)], recycling),
        ("ours", ["-c", "gunicorn.conf.py"], recycling),
    ]
    mode = "streamed" if args.stream else "plain"
    print(
        f"{args.chats} concurrent {mode} chats, upstream reply {args.reply_seconds:g} s, "
        f"started over {ramp:g} s, 2 workers, max_requests {limit} + jitter {jitter}, "
        f"{os.cpu_count()} cores, "
        f"database {'PostgreSQL' if 'DATABASE_URL' in env else 'SQLite'}, "
        f"sessions {'Redis' if 'REDIS_URL' in env else 'files'}",
        flush=True,
    )
    rows: list[list[str]] = []
    notes: list[str] = []
    runs_by_config: dict[str, list[tuple[Run, Outcome]]] = {name: [] for name, _, _ in configs}
    try:
        for round_number in range(args.rounds):
            direct = [
                TimedDirectChat(
                    fake_parts.hostname,
                    fake_parts.port,
                    args.client_timeout,
                    fake_parts.path + "/chat/completions",
                )
                for _ in range(args.chats)
            ]
            base = drive(direct, args.stream, None, ramp)
            order = configs[round_number % 3 :] + configs[: round_number % 3]
            runs: dict[str, Run] = {}
            for name, conf_args, extra in order:
                runs[name] = run_config(
                    f"{name}-{round_number}",
                    conf_args,
                    {**env, "WORKERS": "2", **extra},
                    args.chats,
                    args.stream,
                    ramp,
                    args.client_timeout,
                )
                print(f"  round {round_number + 1}: {name} done", flush=True)
            off = runs["off"].outcome
            for name, _, _ in configs:
                runs_by_config[name].append((runs[name], off))
                rows.append(row(f"{name} (round {round_number + 1})", runs[name], off, base))
                notes.append(f"{name} (round {round_number + 1}): {describe(runs[name])}")
    finally:
        stop(fake)
        forget_keys(env)
    print()
    print_table(rows)
    print()
    for note in notes:
        print(note)
    if args.rounds > 1:
        print()
        print(f"median of {args.rounds} rounds, against off in the same round:")
        for name, pairs in runs_by_config.items():
            print(f"  {name}: {summary(pairs)}")


def summary(pairs: list[tuple[Run, Outcome]]) -> str:
    def median_delta(pct: float) -> float:
        deltas = [
            percentile(run.outcome.latencies, pct) - percentile(off.latencies, pct)
            for run, off in pairs
            if run.outcome.latencies and off.latencies
        ]
        return statistics.median(deltas) if deltas else 0.0

    stalled = [run.timeline.not_accepting(0.0, run.end) for run, _ in pairs]
    overlap = [run.timeline.overlap() for run, _ in pairs]
    return (
        f"p50 {ms(median_delta(50))}, p99 {ms(median_delta(99))}; "
        f"drains overlapping {min(overlap):.1f}-{max(overlap):.1f} s, "
        f"no worker accepting {min(stalled):.1f}-{max(stalled):.1f} s"
    )


def row(label: str, run: Run, off: Outcome, base: Outcome) -> list[str]:
    outcome = run.outcome
    p50, p99 = percentile(outcome.latencies, 50), percentile(outcome.latencies, 99)
    b50, b99 = percentile(base.latencies, 50), percentile(base.latencies, 99)
    o50, o99 = percentile(off.latencies, 50), percentile(off.latencies, 99)
    first, base_first = percentile(outcome.ttfts, 50), percentile(base.ttfts, 50)
    first99, base_first99 = percentile(outcome.ttfts, 99), percentile(base.ttfts, 99)

    def added(value, against):
        return ms(value - against) if value is not None and against is not None else "–"

    def ratio(value, against, upstream):
        if None in (value, against, upstream) or against - upstream <= 0:
            return "–"
        return f"×{(value - upstream) / (against - upstream):.1f}"

    grown = max(outcome.peak_rss_kb - outcome.idle_rss_kb, 0)
    grown_pss = max(run.pss_kb[1] - run.pss_kb[0], 0)
    errors = ", ".join(f"{k}×{v}" for k, v in sorted(outcome.error_kinds.items())) or "none"
    return [
        label,
        f"{outcome.ok}/{outcome.ok + outcome.errors}",
        added(p50, b50),
        added(p99, b99),
        f"{added(p50, o50)} / {added(p99, o99)}",
        f"{ratio(p50, o50, b50)} / {ratio(p99, o99, b99)}",
        f"{added(first, base_first)} / {added(first99, base_first99)}",
        str(len(run.timeline.drains)),
        f"{run.idle_rss_kb / 1024:.0f} MB",
        f"{grown / max(outcome.ok, 1):.0f} KiB",
        f"{grown_pss / max(outcome.ok, 1):.0f} KiB",
        str(run.peak_workers),
        f"{run.worker_rss_kb[0] / 1024:.0f}→{run.worker_rss_kb[1] / 1024:.0f} MB",
        errors,
    ]


def print_table(rows: list[list[str]]) -> None:
    header = [
        "configuration",
        "answered",
        "added p50",
        "added p99",
        "vs off p50 / p99",
        "added ÷ off's p50 / p99",
        "TTFB added p50 / p99",
        "recycles",
        "idle RSS",
        "RSS/chat",
        "PSS/chat",
        "peak workers",
        "worker RSS",
        "errors",
    ]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for line in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)))


if __name__ == "__main__":
    main()
