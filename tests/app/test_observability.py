"""JSON logs with request ids, metrics, Sentry scrubbing, and the session backup commands."""

from __future__ import annotations

import gzip
import json
import logging
import re
import threading
import time
import uuid
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sentry_sdk
from prometheus_client.parser import text_string_to_metric_families

import observability
from tests.support import CANARY_KEY, CANARY_WATCH, SECRET, TEST_REDIS_URL, Visitor
from tests.support.fake_openrouter import Error

HEX_ID = re.compile(r"[0-9a-f]{32}")


def log_lines(capsys) -> list[dict]:
    """Read what the app wrote to stderr: every line must be one JSON object."""
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    parsed = []
    for line in lines:
        entry = json.loads(line)  # fails the test on any line that is not JSON
        assert isinstance(entry, dict), line
        parsed.append(entry)
    return parsed


def events(entries: list[dict], name: str) -> list[dict]:
    return [entry for entry in entries if entry.get("event") == name]


@pytest.fixture
def json_app(make_app):
    return make_app(LOG_FORMAT="json")


# ---------------------------------------------------------------- logs


def test_a_request_logs_one_json_line_with_its_fields(json_app, capsys):
    capsys.readouterr()
    response = json_app.test_client().get("/settings")
    assert response.status_code == 200
    request_id = response.headers["X-Request-ID"]
    assert HEX_ID.fullmatch(request_id)  # generated: the caller sent none

    [line] = events(log_lines(capsys), "Request handled")
    assert line["route"] == "/settings"
    assert line["method"] == "GET"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], int | float) and line["duration_ms"] >= 0
    assert line["level"] == "info"
    assert line["request_id"] == request_id
    stamp = datetime.fromisoformat(line["timestamp"].replace("Z", "+00:00"))
    assert stamp.utcoffset().total_seconds() == 0
    assert line["timestamp"].endswith("Z")


def test_routes_are_logged_as_templates_never_raw_paths(json_app, capsys):
    capsys.readouterr()
    json_app.test_client().get("/c/" + "a" * 32)  # someone else's (or no) conversation
    [line] = events(log_lines(capsys), "Request handled")
    assert line["route"] == "/c/<conversation_id>"
    assert line["status"] == 404
    assert "a" * 32 not in json.dumps(line)


def test_a_sane_request_id_from_the_caller_is_kept(json_app, capsys):
    capsys.readouterr()
    given = "nginx-0123456789abcdef0123456789abcdef"
    response = json_app.test_client().get("/settings", headers={"X-Request-ID": given})
    assert response.headers["X-Request-ID"] == given
    [line] = events(log_lines(capsys), "Request handled")
    assert line["request_id"] == given


@pytest.mark.parametrize(
    "given",
    [
        "short",  # too short to be an id
        "a" * 129,  # too long
        'x" injected="yes',
        "id with spaces 1234",
        "../../../etc/passwd",
        "{\\u000a}{json}-12345",
        "-starts-with-a-dash",
    ],
)
def test_an_unsafe_request_id_is_replaced(json_app, capsys, given):
    capsys.readouterr()
    response = json_app.test_client().get("/settings", headers={"X-Request-ID": given})
    replaced = response.headers["X-Request-ID"]
    assert replaced != given
    assert HEX_ID.fullmatch(replaced)
    entries = log_lines(capsys)
    assert given not in json.dumps(entries)
    assert events(entries, "Request handled")[0]["request_id"] == replaced


def test_refused_requests_are_logged_and_carry_an_id_too(json_app, capsys):
    capsys.readouterr()
    # No CSRF token: refused by a before-request hook that runs before any view.
    response = json_app.test_client().post("/chat", data={"message": "Oil light on"})
    assert response.status_code == 400
    assert HEX_ID.fullmatch(response.headers["X-Request-ID"])
    [line] = events(log_lines(capsys), "Request handled")
    assert (line["route"], line["status"]) == ("/chat", 400)


def test_chat_logs_length_and_model_never_the_text_or_the_key(json_app, capsys, fake):
    visitor = Visitor(json_app.test_client())
    assert visitor.save_key(CANARY_KEY).status_code == 303
    capsys.readouterr()
    text = "My 2014 Corolla squeals when braking downhill, pads are new"
    response = visitor.send_json(text)
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"

    entries = log_lines(capsys)
    [chat] = events(entries, "Chat request received")
    assert chat["message_length"] == len(text)
    assert chat["model"] == json_app.config["DEFAULT_MODEL"]
    assert chat["request_id"] == response.headers["X-Request-ID"]
    dumped = json.dumps(entries)
    assert "squeals" not in dumped
    assert CANARY_KEY[-12:] not in dumped
    sid = visitor.client.get_cookie(json_app.config["SESSION_COOKIE_NAME"]).value
    assert sid not in dumped


def test_library_log_records_become_json_lines_with_the_request_id(json_app, capsys):
    capsys.readouterr()
    library = logging.getLogger("tests.some_library")
    with json_app.test_request_context("/", headers={"X-Request-ID": "req-library-0001"}):
        library.warning("disk %s at %d%%", "full", 97)
        try:
            raise ZeroDivisionError("no fuel")
        except ZeroDivisionError:
            library.exception("gauge failed")
    entries = log_lines(capsys)
    [warning] = events(entries, "disk full at 97%")
    assert warning["logger"] == "tests.some_library"
    assert warning["level"] == "warning"
    assert warning["request_id"] == "req-library-0001"
    [failure] = events(entries, "gauge failed")
    assert failure["level"] == "error"
    assert "ZeroDivisionError: no fuel" in failure["exception"]  # the traceback, one line


def test_every_line_still_reaches_the_standard_logging_handlers(json_app, caplog):
    """The canary watch (tests/support) hooks the root logger: it must see our events."""
    seen = CANARY_WATCH.lines_seen
    with caplog.at_level(logging.INFO):
        json_app.test_client().get("/settings")
        observability.log_chat_received(12, "fake/model")
    assert CANARY_WATCH.lines_seen >= seen + 2
    assert any("Chat request received" in record.getMessage() for record in caplog.records)


def test_console_format_is_the_development_default(make_app, capsys):
    app = make_app()
    assert app.config["LOG_FORMAT"] == "console"
    capsys.readouterr()
    app.test_client().get("/settings")
    err = capsys.readouterr().err
    assert "Request handled" in err
    assert not err.lstrip().startswith("{")


def test_log_level_hides_lower_levels(make_app, capsys):
    app = make_app(LOG_FORMAT="json", LOG_LEVEL="WARNING")
    capsys.readouterr()
    app.test_client().get("/settings")
    assert events(log_lines(capsys), "Request handled") == []
    # The run's debug watch is not turned down by a quieter app.
    assert logging.getLogger().isEnabledFor(logging.DEBUG)


def test_health_checks_are_logged_at_debug_only(json_app, capsys):
    capsys.readouterr()
    json_app.test_client().get("/health")
    assert events(log_lines(capsys), "Request handled") == []


# ---------------------------------------------------------------- metrics


def scrape(client) -> dict[tuple[str, tuple], float]:
    """Read /metrics into {(sample name, sorted labels): value}."""
    response = client.get("/metrics")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert CANARY_KEY[-12:] not in text
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_upstream_calls_latency_and_tokens_are_counted(app, fake):
    visitor = Visitor(app.test_client())
    assert visitor.save_key(CANARY_KEY).status_code == 303
    before = scrape(visitor.client)
    assert visitor.send_json("Check engine light after refuel").status_code == 200
    fake.queue(Error(429, "slow down", retry_after="3"))
    assert visitor.send_json("And now?").status_code == 429
    after = scrape(visitor.client)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("chat_messages_total", status="ok") == 1
    assert delta("chat_messages_total", status="error") == 1
    assert delta("openrouter_api_calls_total", status="ok") == 1
    assert delta("openrouter_api_calls_total", status="rate_limited") == 1
    assert delta("openrouter_tokens_total", kind="prompt") == 42  # the fake's usage
    assert delta("openrouter_tokens_total", kind="completion") == 17
    duration = "openrouter_request_duration_seconds_count"
    assert delta(duration, endpoint="chat/completions", status="200") == 1
    assert delta(duration, endpoint="chat/completions", status="429") == 1
    assert delta("http_requests_total", method="POST", endpoint="/chat", status="200") == 1
    assert delta("http_request_duration_seconds_count", method="POST", endpoint="/chat") == 2
    assert value(after, "http_requests_in_progress") == 0  # /metrics itself is not counted


def test_a_retired_workers_samples_are_folded_into_the_archive(tmp_path):
    """Recycled workers (max_requests) must not leave a growing pile of files behind."""
    from prometheus_client import CollectorRegistry
    from prometheus_client.mmap_dict import MmapedDict, mmap_key
    from prometheus_client.multiprocess import MultiProcessCollector

    key = mmap_key("jobs", "jobs_total", ["kind"], ["oil"], "Jobs done")
    for name, amount in (("counter_archive.db", 5.0), ("counter_111.db", 3.0)):
        samples = MmapedDict(str(tmp_path / name))
        samples.write_value(key, amount, 0.0)
        samples.close()
    MmapedDict(str(tmp_path / "gauge_livesum_111.db")).close()  # its requests in flight

    def total() -> float:
        registry = CollectorRegistry()
        MultiProcessCollector(registry, str(tmp_path))
        return registry.get_sample_value("jobs_total", {"kind": "oil"})

    assert total() == 8
    observability.retire_worker(111, str(tmp_path))
    assert total() == 8  # nothing lost, nothing counted twice
    assert sorted(path.name for path in tmp_path.glob("*.db")) == ["counter_archive.db"]
    observability.retire_worker(111, str(tmp_path))  # a second call changes nothing
    assert total() == 8


# ---------------------------------------------------------------- Sentry


class EnvelopeSink:
    """A local stand-in for Sentry: collects the envelopes the SDK posts."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                sink.bodies.append(body)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.dsn = f"http://public@127.0.0.1:{self.server.server_address[1]}/1"

    def events(self) -> list[dict]:
        found = []
        for body in self.bodies:
            lines = body.split(b"\n")
            for header, payload in zip(lines[1::2], lines[2::2], strict=False):
                if json.loads(header).get("type") == "event":
                    found.append(json.loads(payload))
        return found

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# Built here, away from the view that raises: Sentry sends the source lines around each
# frame, and the test must find these values only if the app let them through.
SENTRY_COOKIE = "session-id-" + "that-must-not-leave"
SENTRY_BODY = "private words " + "about my car"
SENTRY_CSRF = "csrf-secret-" + "value"
# Not the suite's canary: this key is put in an exception on purpose, and the error log
# (which the canary watch reads) prints exception messages.
SENTRY_KEY = "sk-or-v1-" + "sentry0123456789abcdef0123456789abcdef"


@pytest.fixture
def sentry_sink():
    sink = EnvelopeSink()
    yield sink
    sentry_sdk.get_client().close(timeout=2)
    sentry_sdk.get_global_scope().set_client(None)  # back to the inactive client
    sink.close()


def test_sentry_is_off_without_a_dsn(make_app):
    app = make_app()
    assert app.config["SENTRY_DSN"] is None
    assert sentry_sdk.get_client().is_active() is False


def test_sentry_reports_errors_without_cookies_bodies_or_keys(make_app, sentry_sink):
    app = make_app(
        config={"PROPAGATE_EXCEPTIONS": False, "WTF_CSRF_ENABLED": False},
        SENTRY_DSN=sentry_sink.dsn,
        VERSION="4.2.0",
        OPENROUTER_API_KEY="server-key-without-the-usual-prefix",
    )
    assert sentry_sdk.get_client().is_active()

    def boom():
        raise RuntimeError(f"upstream refused {SENTRY_KEY} and server-key-without-the-usual-prefix")

    app.add_url_rule("/boom", "boom", boom, methods=["POST"])
    client = app.test_client()
    client.set_cookie("session", SENTRY_COOKIE)
    response = client.post(
        "/boom",
        data={"message": SENTRY_BODY, "api_key": SENTRY_KEY},
        headers={"Authorization": f"Bearer {SENTRY_KEY}", "X-CSRFToken": SENTRY_CSRF},
    )
    assert response.status_code == 500
    sentry_sdk.flush(timeout=5)
    deadline = time.monotonic() + 5
    while not sentry_sink.events() and time.monotonic() < deadline:
        time.sleep(0.05)
    [event] = sentry_sink.events()

    assert event["environment"] == "development"
    assert event["release"] == "4.2.0"
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    request = event["request"]
    assert "cookies" not in request
    assert "data" not in request
    assert {name.lower() for name in request.get("headers", {})}.isdisjoint(
        {"cookie", "authorization", "x-csrftoken"}
    )
    everything = b"\n".join(sentry_sink.bodies).decode()
    for secret in (
        SENTRY_KEY[-12:],
        "server-key-without-the-usual-prefix",
        SENTRY_COOKIE,
        SENTRY_BODY,
        SENTRY_CSRF,
        SECRET,
    ):
        assert secret not in everything, secret
    assert "[Filtered]" in event["exception"]["values"][-1]["value"]


def test_scrubbing_reaches_every_corner_of_an_event():
    event = {
        "message": "key sk-or-v1-abcdef0123456789",
        "breadcrumbs": {
            "values": [
                {"message": "called with sk-or-v1-zzzzzzzzzzzz"},
                {"message": "GET autochat:session:Zx9_-abcDEF", "data": {"k": "configured-secret"}},
                {"message": "SET autochat:session:history:Zx9_-abcDEF"},
            ]
        },
        "extra": {"nested": [{"deep": "sk-proj-0123456789abcdef"}], "count": 3},
        "request": {
            "headers": {"Cookie": "a=b", "X-Csrftoken": "t", "Accept": "text/html"},
            "cookies": {"session": "x"},
            "data": {"message": "hello"},
        },
    }
    scrubbed = observability.scrub_event(event, ("configured-secret",), "autochat:session:")
    text = json.dumps(scrubbed)
    assert "sk-or-" not in text and "sk-proj" not in text
    assert "Zx9_-abcDEF" not in text and "configured-secret" not in text
    crumbs = [crumb["message"] for crumb in scrubbed["breadcrumbs"]["values"]]
    assert crumbs[1:] == [
        "GET autochat:session:[Filtered]",
        "SET autochat:session:history:[Filtered]",
    ]
    assert scrubbed["request"] == {"headers": {"Accept": "text/html"}}
    assert scrubbed["extra"]["count"] == 3


# ---------------------------------------------------------------- session backup


def _store_app(make_app, store: str, **env):
    if store == "redis" and not TEST_REDIS_URL:
        pytest.skip("needs TEST_REDIS_URL")
    prefix = f"{make_app.redis_prefix}backup-{uuid.uuid4().hex[:8]}:session:"
    extra = {"REDIS_URL": ""} if store == "file" else {}
    return make_app({"SESSION_KEY_PREFIX": prefix}, **{**extra, **env})


def _export(app, path) -> str:
    result = app.test_cli_runner().invoke(args=["sessions", "export", "--output", str(path)])
    assert result.exit_code == 0, result.output
    return result.output


def _import(app, path) -> str:
    result = app.test_cli_runner().invoke(args=["sessions", "import", "--input", str(path)])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("store", ["file", "redis"])
def test_sessions_export_keeps_keys_encrypted_and_import_brings_them_back(
    make_app, fake, tmp_path, store
):
    app = _store_app(make_app, store)
    visitor = Visitor(app.test_client())
    assert visitor.save_key(CANARY_KEY, model="openai/gpt-4o-mini").status_code == 303
    assert visitor.send_json("Coolant smells sweet in the cabin").status_code == 200
    sid = visitor.client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value

    backup = tmp_path / "sessions.jsonl"
    said = _export(app, backup)
    assert "Exported 1 sessions (1 with a saved API key, encrypted)" in said
    text = backup.read_text()
    assert oct(backup.stat().st_mode & 0o777) == "0o600"
    assert CANARY_KEY not in text and CANARY_KEY[-12:] not in text
    assert "Coolant" not in text  # history windows are rebuilt from the database
    [record] = [json.loads(line) for line in text.splitlines()]
    assert record["format"] == "automotive-chat-sessions/1"
    assert record["store"] == store
    assert record["data"]["api_key_enc"].startswith("v1:")
    assert record["data"]["model"] == "openai/gpt-4o-mini"
    assert record["expires_at"] > time.time() + 3000

    # The store loses everything (Redis flushed, files deleted)...
    interface = app.session_interface
    if store == "redis":
        for key in interface.client.scan_iter(match=interface.key_prefix + "*"):
            interface.client.delete(key)
    else:
        interface.cache.clear()
    assert interface._retrieve_session_data(interface.key_prefix + sid) is None

    # ...and the backup brings the visitor's key and model back, under the same cookie.
    said = _import(app, backup)
    assert "Restored 1 sessions (1 with a saved API key)" in said
    assert "cannot be opened" not in said
    calls = len(fake.chat_requests)
    response = visitor.send_json("Still smells sweet after the restore")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"
    assert len(fake.chat_requests) == calls + 1
    upstream = fake.chat_requests[-1]
    assert upstream.headers["Authorization"] == f"Bearer {CANARY_KEY}"
    assert upstream.body["model"] == "openai/gpt-4o-mini"

    # Importing twice keeps what is there.
    assert "kept 1 already present" in _import(app, backup)


def test_a_redis_backup_restores_into_file_sessions(make_app, fake, tmp_path):
    source = _store_app(make_app, "redis")
    visitor = Visitor(source.test_client())
    assert visitor.save_key(CANARY_KEY).status_code == 303
    backup = tmp_path / "sessions.jsonl"
    _export(source, backup)

    target = make_app({"SESSION_KEY_PREFIX": source.config["SESSION_KEY_PREFIX"]}, REDIS_URL="")
    assert "Restored 1 sessions (1 with a saved API key)" in _import(target, backup)
    cookie = visitor.client.get_cookie(source.config["SESSION_COOKIE_NAME"])
    moved = Visitor(target.test_client())
    moved.client.set_cookie(cookie.key, cookie.value)
    assert moved.send_json("Which oil for a Civic?").get_json()["status"] == "ok"
    assert fake.chat_requests[-1].headers["Authorization"] == f"Bearer {CANARY_KEY}"


def test_import_with_another_secret_warns_that_keys_cannot_be_opened(make_app, fake, tmp_path):
    source = _store_app(make_app, "file")
    assert Visitor(source.test_client()).save_key(CANARY_KEY).status_code == 303
    backup = tmp_path / "sessions.jsonl"
    _export(source, backup)
    other = make_app(
        {"SESSION_FILE_DIR": str(tmp_path / "other-sessions")},
        REDIS_URL="",
        SESSION_SECRET="another-secret-" + "y" * 32,
    )
    said = _import(other, backup)
    assert "Restored 1 sessions" in said
    assert "1 saved keys cannot be opened with this SESSION_SECRET" in said


def test_import_skips_unreadable_expired_and_hostile_lines(make_app, tmp_path):
    app = _store_app(make_app, "file")
    future = int(time.time()) + 600
    lines = [
        "not json",
        json.dumps({"format": "something-else/1", "store": "redis", "id": "abc", "data": {}}),
        json.dumps(
            {
                "format": "automotive-chat-sessions/1",
                "store": "redis",
                "id": "old",
                "expires_at": int(time.time()) - 5,
                "data": {"model": "x"},
            }
        ),
        json.dumps(
            {
                "format": "automotive-chat-sessions/1",
                "store": "file",
                "id": "../../escape",
                "expires_at": future,
                "data": {"model": "x"},
            }
        ),
    ]
    backup = tmp_path / "hostile.jsonl"
    backup.write_text("\n".join(lines) + "\n")
    said = _import(app, backup)
    assert "Restored 0 sessions" in said
    assert "skipped 1 expired" in said
    assert "3 unreadable lines" in said
    assert not (tmp_path / "escape").exists()
