"""Streaming replies through the app (the Flask test client), against the fake's real SSE.

Request/response checks only: what depends on the server's concurrency (text arriving
before the end, Stop, a closed tab, heartbeat timing, cut-off bodies) runs under real
Gunicorn in tests/server/test_streaming.py and tests/server/test_chat_loop.py.
"""

from __future__ import annotations

import re

import pytest

from tests.support import CANARY_KEY, Visitor, history_window
from tests.support.fake_openrouter import Error, Reply, Stream
from tests.support.streaming import SSE_HEADERS, messages_in_db, stream_chat


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
    # Pieces that arrive together go out as one event (at most 20 a second).
    assert "".join(d["text"] for n, d in events if n == "delta") == "Low coolant can cause this."
    assert events[names.index("delta")][1]["html"]  # the first text comes formatted
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
    assert "".join(d["text"] for n, d in events if n == "delta") == "The knock suggests rod "
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


def test_stream_uses_the_visitors_key(keyed_visitor, fake):
    stream_chat(keyed_visitor, "Key check")
    request = fake.chat_requests[-1]
    assert request.headers["Authorization"] == f"Bearer {CANARY_KEY}"
    assert request.body["stream"] is True
    assert request.body["stream_options"] == {"include_usage": True}


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


def test_many_small_pieces_go_out_as_few_events_with_every_word(keyed_visitor, fake):
    words = [f"w{n} " for n in range(300)]  # a model sending a token at a time
    fake.queue(Stream(words))
    _, events = stream_chat(keyed_visitor, "Explain the whole cooling system")
    deltas = [data["text"] for name, data in events if name == "delta"]
    assert "".join(deltas) == "".join(words)
    assert len(deltas) < len(words) / 5  # gathered into frames, not one event per token


def test_pieces_that_come_slowly_are_not_held_back(keyed_visitor, fake):
    fake.queue(Stream(["Check ", "the ", "thermostat."], delay=0.12))
    _, events = stream_chat(keyed_visitor, "Gauge drops on the highway")
    # More than a frame apart: each piece is its own event, sent as it arrives.
    assert [data["text"] for name, data in events if name == "delta"] == [
        "Check ",
        "the ",
        "thermostat.",
    ]
