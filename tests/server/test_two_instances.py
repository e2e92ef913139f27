"""Two app instances behind one Nginx, as on two machines (README, "Deployment").

Two Gunicorn masters (gunicorn.conf.py, gevent) on two loopback ports, each with its own
instance and metrics folders, share the run's PostgreSQL database, one Redis key prefix
and the session secret. The shipped deploy/nginx/automotive-chat.conf balances them
round-robin over TLS; its upstream block lists both. The fake OpenRouter answers both.

Each test is what a visitor notices when consecutive requests land on different
machines: a saved key, a conversation, a stopped reply, the send limit, each machine's
/metrics, and a rolling restart under load that loses nothing.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import requests
import sqlalchemy as sa

from tests.support import CANARY_KEY, TEST_DATABASE_URL, TEST_REDIS_URL, empty_tables
from tests.support.cluster import Cluster, Instance
from tests.support.deploy import require_tool
from tests.support.fake_openrouter import FakeOpenRouter, Reply, Stream
from tests.support.live import Browser, events_until_end, server_env, value, wait_for
from tests.support.live import scrape as live_scrape

pytestmark = pytest.mark.slow

SERVER_KEY = "sk-or-v1-server-wide-key-of-the-two-instances-0000000000000000000000"
METRICS_TOKEN = "metrics-token-" + "t" * 24
NAMES = ("a", "b")


# ---------------------------------------------------------------- the pair


def pair_envs(tmp, upstream: FakeOpenRouter, database_url: str, prefix: str, **extra: str):
    """Each instance's environment: shared database, Redis prefix, secret and upstream;
    its own instance and metrics folders, as on a machine of its own."""
    envs = {}
    for name in NAMES:
        folder = tmp / name
        folder.mkdir(parents=True, exist_ok=True)
        envs[name] = server_env(
            folder,
            upstream.url,
            database_url,
            prefix,
            WORKERS="2",
            PROXY_COUNT="1",  # Nginx in front, as deployed
            OPENROUTER_API_KEY=SERVER_KEY,
            METRICS_TOKEN=METRICS_TOKEN,
            PROMETHEUS_MULTIPROC_DIR=str(folder / "metrics"),
            # A stopped stream is noticed at the next keepalive.
            STREAM_KEEPALIVE="0.2",
            # Machines x workers x (pool + overflow) stay well under PostgreSQL's
            # max_connections, which other test runs on this server share.
            DB_POOL_SIZE="4",
            DB_MAX_OVERFLOW="2",
            **extra,
        )
    return envs


def start_pair(tmp, upstream, database_url, redis_prefix, **extra) -> Cluster:
    nginx = require_tool("nginx", "/usr/sbin/nginx")
    if not (TEST_DATABASE_URL and TEST_REDIS_URL):
        pytest.skip("machines share PostgreSQL and Redis: TEST_DATABASE_URL, TEST_REDIS_URL")
    # One prefix for both: their sessions, limits and catalog cache are the same keys.
    prefix = f"{redis_prefix}two-{uuid.uuid4().hex[:6]}:"
    return Cluster.start(nginx, tmp, pair_envs(tmp, upstream, database_url, prefix, **extra))


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeOpenRouter]:
    fake = FakeOpenRouter()
    yield fake
    fake.close()


@pytest.fixture(scope="module")
def started(upstream, migrated, redis_prefix, tmp_path_factory) -> Iterator[Cluster]:
    cluster = start_pair(tmp_path_factory.mktemp("two"), upstream, migrated, redis_prefix)
    yield cluster
    cluster.close()


@pytest.fixture
def pair(started: Cluster, upstream: FakeOpenRouter, migrated: str) -> Iterator[Cluster]:
    upstream.reset()
    upstream.default = None
    started.mark()
    yield started
    empty_tables(migrated)
    assert started.trouble() == {}


class Visitor:
    """One browser (one cookie jar), able to reach Nginx or either instance directly."""

    def __init__(self, cluster: Cluster) -> None:
        self.session = cluster.proxy.session()
        self.nginx = Browser(cluster.base, self.session)
        self.direct = {i.name: Browser(i.base, self.session) for i in cluster.instances}

    def __getitem__(self, name: str) -> Browser:
        return self.direct[name]

    def close(self) -> None:
        self.session.close()


def other(name: str) -> str:
    return "b" if name == "a" else "a"


def query(database_url: str, sql: str, **params) -> list[dict]:
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        found = [dict(row._mapping) for row in connection.execute(sa.text(sql), params)]
    engine.dispose()
    return found


def user_texts(request) -> list[str]:
    return [m["content"] for m in request.messages if m["role"] == "user"]


def last_user_text(request) -> str:
    return user_texts(request)[-1]


def scrape(instance: Instance) -> dict[tuple[str, tuple], float]:
    return live_scrape(instance.base, METRICS_TOKEN)


# ---------------------------------------------------------------- round-robin


def test_nginx_alternates_between_the_two_instances(pair):
    session = pair.proxy.session()
    served = []
    for _ in range(10):
        response = session.get(pair.base + "/settings", timeout=15)
        assert response.status_code == 200
        served.append(pair.instance_for(response))
    # One after the other, never twice in a row on the same machine.
    assert all(one != two for one, two in itertools.pairwise(served)), served
    assert Counter(served) == {"a": 5, "b": 5}
    # Each saw only its own: no request id is in both access logs.
    assert not pair["a"].request_ids() & pair["b"].request_ids()


# ---------------------------------------------------------------- (a) the key


def test_a_key_saved_through_one_instance_is_used_by_the_other(pair, upstream):
    visitor = Visitor(pair)
    visitor["a"].save_settings(api_key=CANARY_KEY)

    answered = visitor["b"].send_json("What oil does a 2012 Civic take?")
    assert answered.status_code == 200, answered.text[:500]
    assert answered.json()["status"] == "ok"
    assert upstream.chat_requests[-1].headers["Authorization"] == f"Bearer {CANARY_KEY}"
    cid = answered.json()["conversation_id"]

    # Through Nginx, whichever machine answers, the visitor's key is the one used.
    served = set()
    for n in range(4):
        response = visitor.nginx.send_json(f"Oil question {n} through the proxy", cid)
        assert response.status_code == 200, response.text[:500]
        served.add(pair.instance_for(response))
        assert upstream.chat_requests[-1].headers["Authorization"] == f"Bearer {CANARY_KEY}"
    assert served == {"a", "b"}
    for name in NAMES:
        page = visitor[name].get("/settings").text
        assert "Saved for this session" in page and CANARY_KEY not in page

    # A visitor who saved nothing is answered with the server's key, on either machine.
    stranger = Visitor(pair)
    for name in NAMES:
        assert stranger[name].send_json("Tyre pressure for a Clio?").status_code == 200
        assert upstream.chat_requests[-1].headers["Authorization"] == f"Bearer {SERVER_KEY}"
    visitor.close()
    stranger.close()


# ---------------------------------------------------------------- (b) the conversation


def test_b_a_conversation_started_on_one_instance_continues_on_the_other(pair, upstream):
    visitor = Visitor(pair)
    first_question = "My 2015 Golf's DPF light came on. What now?"
    first = visitor["a"].send_json(first_question)
    assert first.status_code == 200, first.text[:500]
    cid, first_reply = first.json()["conversation_id"], first.json()["reply"]

    second_question = "And if it stays on after a highway drive?"
    second = visitor["b"].send_json(second_question, cid)
    assert second.status_code == 200, second.text[:500]
    assert second.json()["conversation_id"] == cid
    asked = upstream.chat_requests[-1]
    turns = [(m["role"], m["content"]) for m in asked.messages if m["role"] != "system"]
    assert [role for role, _ in turns[-3:]] == ["user", "assistant", "user"]
    assert first_question in turns[-3][1]
    assert turns[-2][1] == first_reply
    assert second_question in turns[-1][1]

    # A third turn through Nginx sees both earlier turns too, and either page shows all.
    third = visitor.nginx.send_json("Can I clean the filter myself?", cid)
    assert third.status_code == 200, third.text[:500]
    history = user_texts(upstream.chat_requests[-1])
    assert any(first_question in text for text in history)
    assert any(second_question in text for text in history)
    for name in NAMES:
        page = visitor[name].conversation(cid)
        for text in (first_question, "stays on after a highway drive", "clean the filter"):
            assert text.replace("'", "&#39;") in page or text in page, (name, text)
    visitor.close()


# ---------------------------------------------------------------- (c) Stop


def test_c_stopping_a_stream_through_nginx_keeps_the_partial_on_both(pair, upstream, migrated):
    gate = threading.Event()
    upstream.queue(Stream(["Partial answer about the misfire", *["."] * 200], gate=gate))
    visitor = Visitor(pair)
    visitor.nginx.fresh_token()
    response = visitor.nginx.open_stream("Explain a misfire on cylinder 3, at length")
    assert response.status_code == 200
    seen = events_until_end(response, stop_at="delta")
    cid = seen[0][1]["conversation_id"]
    assert seen[-1][0] == "delta" and seen[-1][1]["text"] == "Partial answer about the misfire"
    streamed_by = pair.instance_for(response)
    # Stop: the page's script aborts the fetch, which closes the connection to Nginx.
    response.close()
    visitor.session.close()

    def stopped() -> list[dict]:
        return query(
            migrated,
            "SELECT status, content FROM message WHERE conversation_id = :c AND role = 'assistant'",
            c=cid,
        )

    wait_for(lambda: bool(stopped()), 15, "the partial reply to be saved")
    gate.set()
    [reply] = stopped()
    assert reply["status"] == "stopped"
    assert reply["content"].startswith("Partial answer about the misfire")
    wait_for(lambda: upstream.state.disconnects == 1, 15, "the upstream call to be closed")
    assert upstream.state.completed_streams == 0

    # The other machine shows it as a reload would, with its Retry.
    page = visitor[other(streamed_by)].conversation(cid)
    assert "badge-stopped" in page and "Partial answer about the misfire" in page
    assert f'action="/c/{cid}/retry"' in page
    # And the retry, through Nginx, answers in full.
    upstream.queue(Reply("The whole answer this time."))
    retried = visitor.nginx.post_json(f"/c/{cid}/retry", {})
    assert retried.status_code == 200, retried.text[:500]
    assert retried.json()["reply"] == "The whole answer this time."
    visitor.close()


# ---------------------------------------------------------------- (d) the limits


@pytest.fixture
def limited(upstream, migrated, redis_prefix, tmp_path) -> Iterator[Cluster]:
    """A pair whose per-visitor send limit is low (the shared pair's is not)."""
    upstream.reset()
    upstream.default = None
    cluster = start_pair(tmp_path, upstream, migrated, redis_prefix, RATE_LIMIT_CHAT="4 per minute")
    try:
        yield cluster
        assert cluster.trouble() == {}
    finally:
        cluster.close()
        empty_tables(migrated)


def test_d_the_send_limit_is_shared_by_both_instances(limited, upstream):
    visitor = Visitor(limited)
    visitor.nginx.fresh_token()
    served, cid = [], None
    for n in range(4):
        response = visitor.nginx.send_json(f"Limit question {n}: brake fluid type?", cid)
        assert response.status_code == 200, response.text[:500]
        cid = response.json()["conversation_id"]
        served.append(limited.instance_for(response))
    assert set(served) == {"a", "b"}, served

    # The fifth and sixth land on both machines; each knows the visitor already sent four.
    refused = []
    for n in range(2):
        response = visitor.nginx.send_json(f"One too many {n}", cid)
        assert response.status_code == 429, response.text[:500]
        assert response.json()["error"]["kind"] == "rate_limited"
        assert int(response.headers["Retry-After"]) >= 1
        refused.append(limited.instance_for(response))
    assert set(refused) == {"a", "b"}, refused
    for name in NAMES:  # and directly, too
        assert visitor[name].send_json("Still too many", cid).status_code == 429
    assert len(upstream.chat_requests) == 4

    # Another visitor has a limit of their own.
    newcomer = Visitor(limited)
    assert newcomer.nginx.send_json("A newcomer's question").status_code == 200
    newcomer.close()
    visitor.close()


# ---------------------------------------------------------------- (e) metrics


def test_e_each_instance_counts_only_its_own_requests(pair):
    before = {i.name: scrape(i) for i in pair.instances}
    session = pair.proxy.session()
    served = []
    for _ in range(20):
        response = session.get(pair.base + "/health", timeout=15)
        assert response.status_code == 200
        served.append(pair.instance_for(response))
    session.close()

    visitor = Visitor(pair)
    visitor.nginx.fresh_token()
    chats = []
    for n in range(2):  # one after the other: one on each machine
        response = visitor.nginx.send_json(f"Metrics question {n}: coolant colour?")
        assert response.status_code == 200, response.text[:500]
        chats.append(pair.instance_for(response))
    assert sorted(chats) == ["a", "b"]
    visitor.close()

    after = {i.name: scrape(i) for i in pair.instances}
    health = {"method": "GET", "endpoint": "/health", "status": "200"}
    counted = {}
    for instance in pair.instances:
        name = instance.name

        def delta(metric, **labels):
            return value(after[name], metric, **labels) - value(before[name], metric, **labels)  # noqa: B023

        counted[name] = delta("http_requests_total", **health)
        in_log = sum(
            1 for line in instance.access() if line["method"] == "GET" and line["path"] == "/health"
        )
        # What its own access log shows, which is what Nginx sent it.
        assert counted[name] == in_log == served.count(name), name
        assert delta("chat_messages_total", status="ok") == 1, name
        assert delta("openrouter_api_calls_total", status="ok") == 1, name
        assert value(after[name], "http_requests_in_progress") == 0
    assert counted == {"a": 10, "b": 10}
    assert sum(counted.values()) == len(served)
    # Through Nginx, /metrics does not exist.
    assert pair.proxy.session().get(pair.base + "/metrics", timeout=10).status_code == 404


# ---------------------------------------------------------------- (f) a rolling restart


@dataclass
class Sent:
    """One message a load client sent, with every attempt until it was answered."""

    text: str
    client_msg_id: str
    attempts: list[object] = field(default_factory=list)  # status codes or exceptions
    failures: list[str] = field(default_factory=list)  # what each failed attempt said
    body: dict | None = None

    @property
    def answered(self) -> bool:
        return self.attempts[-1] == 200 and bool(self.body) and self.body.get("status") == "ok"


def nginx_found_no_answer(attempt: object, said: str) -> bool:
    """Nginx's own error page (a server refused or dropped the request before answering),
    or a dropped connection: nothing was answered, so sending again is safe."""
    if isinstance(attempt, int):
        return attempt in (502, 504) and "nginx" in said
    return "Connection" in said


# Nginx's error log line for a connection an app server refused or dropped.
UPSTREAM_ERROR = re.compile(r'\[error\].*upstream.*request: "([A-Z]+) ')


def test_f_a_rolling_restart_under_load_loses_nothing(pair, upstream, migrated, capsys):
    # Replies take a moment, so some are in flight whenever an instance is told to stop.
    upstream.default = lambda: Reply(delay=0.3)
    stop = threading.Event()
    lock = threading.Lock()
    gets: list[tuple[str, object]] = []
    sent: list[Sent] = []

    def reader(n: int) -> None:
        visitor = Visitor(pair)
        paths = ("/", "/settings", "/health")
        k = 0
        while not stop.is_set():
            path = paths[k % len(paths)]
            k += 1
            try:
                outcome: object = visitor.nginx.get(path).status_code
            except requests.RequestException as exc:
                outcome = repr(exc)
            with lock:
                gets.append((path, outcome))
            time.sleep(0.1)
        visitor.close()

    def writer(n: int) -> None:
        visitor = Visitor(pair)
        cid = None
        k = 0
        while not stop.is_set():
            k += 1
            message = Sent(f"Load {n}-{k}: how often should I rotate my tyres?", uuid.uuid4().hex)
            # As the page's script does after a failure: the same text, the same id, again.
            for _attempt in range(8):
                try:
                    response = visitor.nginx.send_json(
                        message.text, cid, client_msg_id=message.client_msg_id
                    )
                except requests.RequestException as exc:
                    message.attempts.append(type(exc).__name__)
                    message.failures.append(repr(exc))
                else:
                    message.attempts.append(response.status_code)
                    if response.status_code == 200:
                        message.body = response.json()
                        cid = message.body["conversation_id"]
                        break
                    message.failures.append(response.text[:300])
                time.sleep(0.3)
            with lock:
                sent.append(message)
        visitor.close()

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(5)]
    threads += [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()

    def served_since(instance: Instance, offset: int) -> bool:
        """Nginx sent the instance a request (anything but our own direct health check)."""
        return any(
            not (line["method"] == "GET" and line["path"] == "/health")
            for line in instance.access_since(offset)
        )

    def in_flight_stream(instance: Instance) -> tuple[threading.Thread, dict]:
        """A reply streaming from the instance, still being written when it is told to stop."""
        visitor = Visitor(pair)
        question = f"Long answer from {instance.name}: why does my clutch judder?"
        visitor[instance.name].fresh_token()
        result: dict = {"question": question}

        def read() -> None:
            try:
                result["events"] = visitor[instance.name].stream(question)[1]
            except requests.RequestException as exc:
                result["events"] = [("exception", repr(exc))]
            visitor.close()

        thread = threading.Thread(target=read)
        thread.start()
        wait_for(
            lambda: any(question in user_texts(r)[-1] for r in upstream.chat_requests),
            30,
            "the long reply to be asked for",
        )
        return thread, result

    # The long replies: upstream silence (keepalives go out meanwhile), then the answer.
    upstream.state.on_chat = lambda request: (
        time.sleep(2) if "Long answer" in last_user_text(request) else None
    )
    figures: dict[str, dict[str, float]] = {}
    streams = []
    try:
        for instance in pair.instances:
            wait_for(lambda i=instance: served_since(i, 0), 30, f"load on {instance.name}")
        for instance in pair.instances:
            streams.append(in_flight_stream(instance))
            began = time.monotonic()
            instance.terminate()
            assert instance.wait_stopped(90) == 0, instance.log()[-2000:]
            stopped = time.monotonic()
            offset = instance.offset()
            instance.start()
            ready = time.monotonic()
            # Nginx sends a failed server requests again after fail_timeout (10 s by default).
            wait_for(lambda i=instance, o=offset: served_since(i, o), 60, f"{instance.name} back")
            back = time.monotonic()
            figures[instance.name] = {
                "stop": stopped - began,
                "start": ready - stopped,
                "rotation": back - ready,
                "away": back - began,
            }
        # Both machines carry the load again before the clients stop.
        for instance in pair.instances:
            offset = instance.offset()
            wait_for(lambda i=instance, o=offset: served_since(i, o), 30, "load after restarts")
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        for thread, _result in streams:
            thread.join(timeout=60)

    # The replies streaming when their instance was told to stop arrived whole.
    for _thread, result in streams:
        events = result["events"]
        assert events[-1][0] == "done", events[-3:]
        assert events[-1][1]["reply"].startswith("Fake mechanic answer about: Long answer")

    # Reads: none failed (Nginx retried them on the other machine).
    failed_gets = [(path, outcome) for path, outcome in gets if outcome != 200]
    assert failed_gets == []
    assert len(gets) > 50

    # Messages: every one answered in the end, each exactly once.
    assert sent and all(message.answered for message in sent), [
        (m.text, m.attempts, m.failures) for m in sent if not m.answered
    ]
    retried_by_clients = [m for m in sent if len(m.attempts) > 1]
    for message in retried_by_clients:
        # Only failures a client may safely send again: Nginx found no server to take it.
        for attempt, said in zip(message.attempts, message.failures, strict=False):
            assert nginx_found_no_answer(attempt, said), (message.text, attempt, said)
    rows = query(
        migrated,
        "SELECT m.id, m.content, m.client_msg_id, r.status AS reply_status"
        " FROM message m LEFT JOIN message r ON r.reply_to_id = m.id AND r.role = 'assistant'"
        " WHERE m.role = 'user' AND m.content LIKE 'Load %'",
    )
    by_id = Counter(row["client_msg_id"] for row in rows)
    assert len(rows) == len(sent), "a message saved twice, or one not saved"
    for message in sent:
        assert by_id[message.client_msg_id] == 1, message.text
        [row] = [row for row in rows if row["client_msg_id"] == message.client_msg_id]
        assert row["content"] == message.text and row["reply_status"] == "ok", message.text
    asked = Counter(last_user_text(request) for request in upstream.chat_requests)
    assert all(asked[message.text] == 1 for message in sent), [
        (m.text, asked[m.text]) for m in sent if asked[m.text] != 1
    ]

    # What Nginx did: every connection an instance refused or dropped, and the
    # requests it then sent to the other one (its access log leaves out /health).
    nginx_errors = Counter(
        match.group(1) for match in UPSTREAM_ERROR.finditer(pair.proxy.error_log())
    )
    proxied = [line for line in pair.proxy.access_lines() if ", " in line["upstream"]]
    retried_by_nginx = Counter(line["method"] for line in proxied)
    assert not [line for line in proxied if line["status"] != "200"]
    with capsys.disabled():
        print(
            "\nrolling restart: "
            f"{len(gets)} GETs and {sum(len(m.attempts) for m in sent)} POSTs sent "
            f"({len(sent)} messages), 2 replies streaming across a stop; lost: "
            f"{len(failed_gets)} GETs, 0 messages; Nginx saw {sum(nginx_errors.values())} "
            f"failed upstream attempts {dict(nginx_errors)}, retried on the other instance "
            f"(logged): {dict(retried_by_nginx)}; messages a client had to send again: "
            f"{len(retried_by_clients)} {[m.attempts for m in retried_by_clients]}"
        )
        for name, times in figures.items():
            print(
                f"  instance {name}: SIGTERM to exit {times['stop']:.1f} s, start to ready "
                f"{times['start']:.1f} s, ready to its first request from Nginx "
                f"{times['rotation']:.1f} s (out of rotation {times['away']:.1f} s in all)"
            )
