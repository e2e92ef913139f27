"""Streamed replies through the shipped server: real Gunicorn (gunicorn.conf.py, preloaded
gevent workers) against the fake's real SSE, read as they arrive on the socket.

These depend on how the server writes and notices a closed connection, so they run here and
not on the threaded development server (pure request/response stream checks stay in
tests/app/test_streaming.py). Stop and a tab closed before the first token are in
tests/server/test_chat_loop.py (item 1 of issue 11).
"""

from __future__ import annotations

import threading

import pytest

from tests.support import empty_tables
from tests.support.fake_openrouter import Stream
from tests.support.live import LiveServer
from tests.support.streaming import messages_in_db, read_events

pytestmark = pytest.mark.slow


@pytest.fixture
def live(gunicorn_servers, fake, migrated):
    server = gunicorn_servers.start("streaming", WORKERS="2", STREAM_KEEPALIVE="0.1")
    server.mark()
    yield server
    empty_tables(migrated)
    server.close_browsers()
    assert server.trouble() == [], server.log()[-3000:]


def test_text_arrives_before_the_reply_ends(live: LiveServer, fake):
    gate = threading.Event()
    fake.queue(Stream(["First words", " and the rest."], gate=gate))
    response = live.browser().open_stream("Why does my car shake at 60 mph?")
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


def test_app_keepalives_fill_upstream_silence(live: LiveServer, fake):
    fake.queue(Stream(["Finally."], first_delay=0.5, comments=0))
    _response, events = live.browser().stream("Slow to start")
    names = [name for name, _ in events]
    assert names.index("comment") < names.index("delta")
    assert names.count("comment") >= 2  # one every 0.1 s of the upstream's 0.5 s silence
    assert names[-1] == "done"


def test_a_body_cut_off_without_done_is_a_failure(live: LiveServer, fake, migrated):
    fake.queue(Stream(["Half of ", "the answer"], done=False, finish=False))
    _response, events = live.browser().stream("Cut me off")
    name, data = events[-1]
    assert name == "error"
    assert data["error"]["kind"] == "connection_lost"
    assert "ended before the reply was finished" in data["error"]["message"]
    assert messages_in_db(migrated)[-1][2] == "Half of the answer"


def test_markdown_arrives_formatted_while_the_reply_streams(live: LiveServer, fake):
    # Issue 13, item 3: the first delta and then one every quarter second or so carry the
    # server's sanitized rendering of the reply so far; the pieces between carry text only.
    table = "\n\n| Sensor | Volts |\n|---|---|\n| Upstream | 0.1–0.9 |\n"
    pieces = ["**P0420** means", " a tired converter.", table, *[" More."] * 30]
    fake.queue(Stream(pieces, delay=0.03))
    response = live.browser().open_stream("P0420?")
    deltas = []
    for name, data in read_events(response):
        if name == "delta":
            deltas.append(data)
        if name in ("done", "error"):
            break
    response.close()
    assert "".join(d["text"] for d in deltas).startswith("**P0420** means a tired")
    rendered = [d["html"] for d in deltas if "html" in d]
    assert rendered[0] == "<p><strong>P0420</strong> means</p>\n"
    # Bounded: far fewer renders than pieces, yet more than the first one.
    assert 2 <= len(rendered) < len(deltas) / 2
    assert any("<table>" in html and "<td>Upstream</td>" in html for html in rendered)
    assert not any("**" in html or "|---|" in html for html in rendered[1:])
