"""Streaming replies end to end through the app, against the fake's real SSE."""

from __future__ import annotations

import re
import threading
import time

import pytest
import requests

from tests.support import CANARY_KEY, Visitor, history_window, serving
from tests.support.fake_openrouter import Error, Reply, Stream
from tests.support.streaming import SSE_HEADERS, messages_in_db, read_events, stream_chat


def test_stream_headers_and_event_order(keyed_visitor, fake):
    fake.queue(Stream(["Low ", "coolant ", "can cause this."], comments=2))
    response, events = stream_chat(keyed_visitor, "Temperature gauge climbs in traffic")
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["X-Accel-Buffering"] == "no"

    names = [name for name, _ in events]
    assert names[0] == "conversation"
    assert names.count("comment") == 2  # upstream ": OPENROUTER PROCESSING" relayed as keepalives
    assert [d["text"] for n, d in events if n == "delta"] == ["Low ", "coolant ", "can cause this."]
    assert names[-1] == "done"
    first = events[0][1]
    assert re.fullmatch(r"[0-9a-f]{32}", first["conversation_id"])
    assert first["url"] == f"/c/{first['conversation_id']}"
    done = events[-1][1]
    assert done["reply"] == "Low coolant can cause this."
    assert done["status"] == "ok"
    assert done["usage"] == {"prompt_tokens": 50, "completion_tokens": 12, "cost": 0.0}
    assert '<div class="msg-body markdown"><p>Low coolant can cause this.</p>' in done["html"]
    assert done["totals"]["tokens"] == 62


@pytest.mark.parametrize("shape", ["empty_choices", "empty_delta"])
def test_both_usage_chunk_shapes_are_read(keyed_visitor, fake, shape):
    fake.queue(Stream(["ok"], usage_shape=shape, prompt_tokens=321, completion_tokens=7))
    _, events = stream_chat(keyed_visitor, "Shape test")
    usage = events[-1][1]["usage"]
    assert (usage["prompt_tokens"], usage["completion_tokens"]) == (321, 7)


def test_reported_cost_is_used_and_shown(keyed_visitor, fake):
    fake.queue(Stream(["Rotate tires every 5,000 to 7,500 miles."], cost=0.00123))
    _response, events = stream_chat(keyed_visitor, "Tire rotation interval?")
    cid = events[0][1]["conversation_id"]
    assert events[-1][1]["usage"]["cost"] == pytest.approx(0.00123)
    page = keyed_visitor.get(f"/c/{cid}").get_data(as_text=True)
    assert "50 prompt + 12 completion tokens" in page
    assert "$0.00123" in page
    assert "62 tokens · $0.00123 so far" in page


def test_stream_keeps_the_history_window(keyed_visitor, fake, app):
    fake.queue(Stream(["First answer."]), Stream(["Second answer."]))
    _, events = stream_chat(keyed_visitor, "First question")
    cid = events[0][1]["conversation_id"]
    stream_chat(keyed_visitor, "Second question", cid)
    sent = [m["content"] for m in fake.chat_requests[-1].messages[1:]]
    assert sent == ["First question", "First answer.", "Second question"]
    window = history_window(app, keyed_visitor)["messages"]
    assert [m["content"] for m in window][-2:] == ["Second question", "Second answer."]


def test_mid_stream_error_keeps_the_partial_text(keyed_visitor, fake, migrated):
    fake.queue(Stream(["The knock ", "suggests rod ", "bearing wear"], error_after=2))
    _, events = stream_chat(keyed_visitor, "Deep knock under load")
    assert [d["text"] for n, d in events if n == "delta"] == ["The knock ", "suggests rod "]
    name, data = events[-1]
    assert name == "error"
    assert data["error"]["kind"] == "provider_unavailable"
    assert "Provider disconnected unexpectedly" in data["error"]["message"]
    assert "The knock suggests rod" in data["html"]
    assert "Retry" in data["html"]
    row = messages_in_db(migrated)[-1]
    assert row[:3] == ("assistant", "error", "The knock suggests rod ")
    assert "Provider disconnected unexpectedly" in row[3]


def test_empty_stream_is_a_failure(keyed_visitor, fake):
    fake.queue(Stream([]))
    _, events = stream_chat(keyed_visitor, "Anything?")
    assert events[-1][0] == "error"
    assert events[-1][1]["error"]["kind"] == "empty_reply"


def test_upstream_error_before_streaming_is_an_error_event(keyed_visitor, fake):
    fake.queue(Error(402, "Insufficient credits"))
    response, events = stream_chat(keyed_visitor, "Cost of brake pads?")
    assert response.status_code == 200
    assert [name for name, _ in events] == ["conversation", "error"]
    assert "out of credits" in events[-1][1]["error"]["message"]


def test_offline_stream_answers_with_the_notice(visitor, fake):
    _, events = stream_chat(visitor, "What is a CV joint?")
    assert [name for name, _ in events] == ["conversation", "done"]
    assert events[-1][1]["status"] == "offline"
    assert fake.chat_requests == []


def test_bad_input_before_a_stream_is_a_json_error(keyed_visitor, fake):
    response, _ = (
        keyed_visitor.client.post(
            "/chat",
            data={"message": "x", "csrf_token": "bogus"},
            headers=SSE_HEADERS,
        ),
        None,
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["kind"] == "csrf_failed"
    token = re.search(r'name="csrf_token" value="([^"]+)"', keyed_visitor.get("/").text).group(1)
    empty = keyed_visitor.client.post(
        "/chat", data={"message": " ", "csrf_token": token}, headers=SSE_HEADERS
    )
    assert empty.status_code == 400
    assert empty.get_json()["error"]["kind"] == "empty_message"


def test_no_database_connection_is_held_while_the_model_answers(keyed_visitor, fake, app):
    from models import db

    seen = []

    def count_checked_out(_record):
        with app.app_context():
            seen.append(db.engine.pool.checkedout())

    fake.state.on_chat = count_checked_out
    fake.queue(Stream(["streamed"]))
    stream_chat(keyed_visitor, "Streaming turn")
    keyed_visitor.send_json("Plain turn")
    assert seen == [0, 0]


# ---------------------------------------------------------------- real server


def live_visitor(base: str) -> requests.Session:
    """A requests session that saved the canary key in Settings."""
    session = requests.Session()
    page = session.get(base + "/settings", timeout=5)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    saved = session.post(
        base + "/settings", data={"csrf_token": token, "api_key": CANARY_KEY}, timeout=5
    )
    assert saved.status_code == 200
    return session


def open_stream(base: str, message: str, session: requests.Session):
    page = session.get(base + "/", timeout=5)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return session.post(
        base + "/chat",
        data={"csrf_token": token, "message": message},
        headers=SSE_HEADERS,
        stream=True,
        timeout=10,
    )


def test_text_arrives_before_the_reply_ends(live_server, fake):
    gate = threading.Event()
    fake.queue(Stream(["First words", " and the rest."], gate=gate))
    browser = live_visitor(live_server)
    response = open_stream(live_server, "Why does my car shake at 60 mph?", browser)
    seen = []
    for name, data in read_events(response):
        seen.append(name)
        if name == "delta" and not gate.is_set():
            # The upstream is still held back, yet the first text is here.
            assert data["text"] == "First words"
            gate.set()
        if name in ("done", "error"):
            break
    assert seen[0] == "conversation"
    assert seen[-1] == "done"
    assert seen.count("delta") == 2
    response.close()


def test_stopping_closes_upstream_and_saves_the_partial(live_server, fake, migrated):
    gate = threading.Event()
    fake.queue(Stream(["Partial answer", *["."] * 200], gate=gate, delay=0.02))
    browser = live_visitor(live_server)
    response = open_stream(live_server, "Long explanation please", browser)
    for name, _data in read_events(response):
        if name == "delta":
            break
    response.close()  # the visitor pressed Stop / closed the tab
    gate.set()
    deadline = time.monotonic() + 15
    while fake.state.disconnects == 0:
        assert time.monotonic() < deadline, "the upstream request was never closed"
        time.sleep(0.05)
    assert fake.state.completed_streams == 0
    while not any(row[1] == "stopped" for row in messages_in_db(migrated)):
        assert time.monotonic() < deadline, "the partial reply was not saved"
        time.sleep(0.05)
    stopped = next(row for row in messages_in_db(migrated) if row[1] == "stopped")
    assert stopped[2].startswith("Partial answer")
    assert len(stopped[2]) < len("Partial answer") + 200

    page = browser.get(live_server + "/", timeout=5).text
    cid = re.search(r'href="/c/([0-9a-f]{32})"', page).group(1)
    conversation = browser.get(f"{live_server}/c/{cid}", timeout=5).text
    assert "stopped" in conversation
    assert "Partial answer" in conversation
    assert f'action="/c/{cid}/retry"' in conversation


def test_stream_uses_the_visitors_key(keyed_visitor, fake):
    stream_chat(keyed_visitor, "Key check")
    request = fake.chat_requests[-1]
    assert request.headers["Authorization"] == f"Bearer {CANARY_KEY}"
    assert request.body["stream"] is True
    assert request.body["stream_options"] == {"include_usage": True}


def test_stop_before_the_first_token_closes_upstream(make_app, fake, migrated):
    app = make_app(STREAM_KEEPALIVE="0.2")
    fake.queue(Stream(["Too late"], first_delay=5, comments=0))
    with serving(app) as base:
        browser = live_visitor(base)
        response = open_stream(base, "Stop me before anything arrives", browser)
        for name, _data in read_events(response):
            if name == "conversation":
                break
        response.close()
        deadline = time.monotonic() + 3  # well before the upstream's first byte at 5 s
        while not any(row[1] == "stopped" for row in messages_in_db(migrated)):
            assert time.monotonic() < deadline, "the closed tab was not noticed"
            time.sleep(0.05)
        # The fake can only see the closed connection when it next writes, at 5 s.
        deadline = time.monotonic() + 6
        while fake.state.disconnects == 0:
            assert time.monotonic() < deadline, "the upstream request was not closed"
            time.sleep(0.05)
    assert fake.state.completed_streams == 0
    stopped = next(row for row in messages_in_db(migrated) if row[1] == "stopped")
    assert stopped[2] == ""


def test_app_keepalives_fill_upstream_silence(make_app, fake):
    app = make_app(STREAM_KEEPALIVE="0.1")
    fake.queue(Stream(["Finally."], first_delay=0.5, comments=0))
    visitor = Visitor(app.test_client())
    visitor.save_key(CANARY_KEY)
    _, events = stream_chat(visitor, "Slow to start")
    names = [name for name, _ in events]
    assert names.index("comment") < names.index("delta")
    assert names[-1] == "done"


def test_a_body_cut_off_without_done_is_a_failure(keyed_visitor, fake, migrated):
    fake.queue(Stream(["Half of ", "the answer"], done=False, finish=False))
    _, events = stream_chat(keyed_visitor, "Cut me off")
    name, data = events[-1]
    assert name == "error"
    assert data["error"]["kind"] == "connection_error"
    assert "ended before the reply was finished" in data["error"]["message"]
    assert messages_in_db(migrated)[-1][2] == "Half of the answer"


@pytest.mark.parametrize("crlf", [False, True])
def test_utf8_split_across_network_chunks_and_crlf_lines(keyed_visitor, fake, crlf):
    fake.queue(Stream(["Ölwechsel ", "— 🚗 ", "prüfen"], split=True, crlf=crlf))
    _, events = stream_chat(keyed_visitor, "Unicode")
    assert events[-1][1]["reply"] == "Ölwechsel — 🚗 prüfen"


@pytest.mark.parametrize("mode", ["plain", "stream"])
def test_a_turn_does_not_undo_settings_saved_meanwhile(keyed_visitor, fake, app, mode):
    other = Visitor(app.test_client())
    other.client.set_cookie("session", keyed_visitor.client.get_cookie("session").value)

    def change_model(_record):
        other.save_key("", model="openai/gpt-4o-mini")

    fake.state.on_chat = change_model
    fake.queue(Stream(["ok"]) if mode == "stream" else Reply("ok"))
    if mode == "stream":
        stream_chat(keyed_visitor, "Chat while another tab saves settings")
    else:
        keyed_visitor.send("Chat while another tab saves settings")
    fake.state.on_chat = None
    page = keyed_visitor.get("/settings").get_data(as_text=True)
    assert '<code id="current-model">openai/gpt-4o-mini</code>' in page
