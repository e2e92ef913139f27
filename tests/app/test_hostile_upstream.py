"""Hostile and broken upstreams: what the visitor reads is plain words, never a secret.

Each fault goes through the three ways a message is sent (JSON, a plain form post, a
stream) and is checked where a visitor meets it: the answer, the conversation page and
the stored row.
"""

from __future__ import annotations

import html
import re

import pytest

from tests.support import CANARY_KEY, Visitor, conversation_id_from, free_port
from tests.support.fake_openrouter import Error, Raw, Reply, Reset, Stream, Trickle
from tests.support.streaming import messages_in_db, stream_chat

MODES = ["json", "form", "stream"]
# "ChunkedEncodingError", "ConnectionResetError", "RemoteDisconnected": a class name is
# not words a visitor can act on.
CLASS_NAME = re.compile(
    r"\b(?:[A-Z][a-z0-9]+)+(?:Error|Exception|Disconnected|Read|Timeout)\b|\b[a-z]+_[a-z_]+\b"
)

CLOUDFLARE_403 = b"""<!DOCTYPE html>
<html lang="en-US"><head><title>Attention Required! | Cloudflare</title>
<meta charset="UTF-8"><style>body{font-family:sans-serif}</style></head>
<body><div id="cf-wrapper"><h1>Sorry, you have been blocked</h1>
<p>You are unable to access openrouter.ai</p></div></body></html>"""

NGINX_502 = b"""<html>
<head><title>502 Bad Gateway</title></head>
<body>
<center><h1>502 Bad Gateway</h1></center>
<hr><center>nginx</center>
</body>
</html>"""


def turn(visitor: Visitor, mode: str, text: str) -> tuple[dict, str]:
    """Send ``text`` one way; return the error as the answer gave it and the page after."""
    if mode == "json":
        response = visitor.send_json(text)
        body = response.get_json()
        error, cid = body["error"], body["conversation_id"]
    elif mode == "form":
        cid = conversation_id_from(visitor.send(text))
        error = None
    else:
        _response, events = stream_chat(visitor, text)
        name, data = events[-1]
        assert name == "error", events
        error, cid = data["error"], events[0][1]["conversation_id"]
    page = html.unescape(visitor.get(f"/c/{cid}").get_data(as_text=True))
    if error is None:
        match = re.search(r'<div class="msg-notice markdown"[^>]*>\s*<p>(.*?)</p>', page, re.S)
        assert match, "the page shows the failure"
        error = {"kind": None, "message": re.sub(r"<[^>]+>", "", match.group(1)).strip()}
    return error, page


@pytest.fixture
def local_key_app(make_app):
    """A model server whose key looks like nobody's: only the exact key can be recognised."""
    return make_app()


# ---------------------------------------------------------------- 2. secrets in what it says


@pytest.mark.parametrize("mode", MODES)
def test_a_rejected_key_quoted_back_is_redacted_everywhere(keyed_visitor, fake, migrated, mode):
    fake.queue(Error(401, f"Incorrect API key provided: {CANARY_KEY}. Find yours at ..."))
    error, page = turn(keyed_visitor, mode, "Brake pedal goes to the floor")
    assert error["kind"] in ("invalid_key", None)
    assert "sk-or-v1-[redacted]" in error["message"]
    assert CANARY_KEY not in error["message"] and CANARY_KEY not in page
    assert "Brake pedal goes to the floor" in page
    stored = messages_in_db(migrated)
    assert stored[0][2] == "Brake pedal goes to the floor"
    assert all(CANARY_KEY not in str(row) for row in stored)
    # The canary watch (tests/conftest.py) also fails the test if the key reached a log line.


@pytest.mark.parametrize(
    "quoted",
    [
        "sk-proj-AbCdEf0123456789AbCdEf0123456789",  # another provider's key shape
        "sk-or-v1-abc1***************************wxyz",  # a masked key
        "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl",  # an echoed header
    ],
)
def test_anything_shaped_like_a_key_is_redacted(keyed_visitor, fake, migrated, quoted):
    fake.queue(Error(401, f"Rejected credential {quoted} for this route"))
    error, page = turn(keyed_visitor, "json", "Coolant smell")
    secret_part = quoted.split()[-1][-12:]
    assert secret_part not in error["message"] and secret_part not in page
    assert "[redacted]" in error["message"]
    assert all(secret_part not in str(row) for row in messages_in_db(migrated))


def test_a_local_servers_own_key_and_the_server_key_are_redacted(make_app, fake, migrated):
    own_key, server_key = "local-secret-token-31337", "server-wide-key-for-everyone-0042"
    app = make_app(OPENROUTER_API_KEY=server_key)
    visitor = Visitor(app.test_client())
    fake.queue(Error(401, f"key {server_key} is revoked"))
    error, page = turn(visitor, "json", "Oil pressure light")  # the server's key is used
    assert server_key not in error["message"] and server_key not in page
    visitor.save_key(own_key)
    fake.queue(Error(403, f"token {own_key} lacks the chat scope"))
    error, page = turn(visitor, "stream", "Oil pressure light again")
    assert own_key not in error["message"] and own_key not in page
    assert "[redacted]" in error["message"]
    assert all(
        own_key not in str(row) and server_key not in str(row) for row in messages_in_db(migrated)
    )


# ---------------------------------------------------------------- 5. proxy pages


@pytest.mark.parametrize("mode", MODES)
def test_a_cdn_block_page_is_named_by_its_title_and_is_not_moderation(keyed_visitor, fake, mode):
    fake.queue(Raw(403, CLOUDFLARE_403, "text/html; charset=UTF-8"))
    error, page = turn(keyed_visitor, mode, "Tire pressure warning")
    message = error["message"]
    assert error["kind"] in ("forbidden", None)
    assert "refused access (403: Attention Required! | Cloudflare" in message
    assert "<" not in message and "cf-wrapper" not in message and "font-family" not in message
    assert "moderation" not in message.lower() and "rephrase" not in message.lower()
    assert "Access refused" in page  # the badge


def test_a_proxy_error_page_says_its_status_and_title(keyed_visitor, fake):
    fake.queue(Raw(502, NGINX_502, "text/html"))
    error, _page = turn(keyed_visitor, "json", "Alternator whine")
    assert error["kind"] == "provider_unavailable"
    assert "502: 502 Bad Gateway — a web page, not an API answer" in error["message"]
    assert "<center>" not in error["message"]


def test_a_web_page_instead_of_an_answer_is_named(keyed_visitor, fake):
    page = b"<html><head><title>Hotel Wi-Fi login</title></head><body>Sign in</body></html>"
    fake.queue(Raw(200, page, "text/html"))
    error, _ = turn(keyed_visitor, "json", "Check engine light")
    assert error["kind"] == "invalid_response"
    assert "Hotel Wi-Fi login" in error["message"] and "<title>" not in error["message"]


def test_a_moderation_refusal_is_still_moderation(keyed_visitor, fake):
    fake.queue(Error(403, "Your chosen model requires moderation and your input was flagged"))
    error, _ = turn(keyed_visitor, "json", "How do I disable the airbag light")
    assert error["kind"] == "moderation"
    assert "Rephrase" in error["message"]


# ---------------------------------------------------------------- 8. plain words, right cause


@pytest.mark.parametrize(
    ("behaviour", "kind", "words"),
    [
        (Reset(midway=True), "connection_lost", "reached, but the connection broke"),
        (Reset(), "connection_lost", "broke (before it answered)"),
    ],
    ids=["reset-mid-body", "reset-before-answer"],
)
@pytest.mark.parametrize("mode", ["json", "form"])
def test_a_broken_connection_is_told_in_words(
    keyed_visitor, fake, migrated, mode, behaviour, kind, words
):
    fake.queue(behaviour)
    error, page = turn(keyed_visitor, mode, "Squeaky serpentine belt")
    assert error["kind"] in (kind, None)
    assert words in error["message"]
    assert "Could not reach" not in error["message"]
    assert not CLASS_NAME.search(error["message"]), error["message"]
    assert "Squeaky serpentine belt" in page


def test_a_stream_cut_mid_body_keeps_its_text_and_says_why(keyed_visitor, fake, migrated):
    fake.queue(Reset(midway=True))
    error, _page = turn(keyed_visitor, "stream", "Grinding in second gear")
    assert error["kind"] == "connection_lost"
    assert "reached, but the connection broke" in error["message"]
    assert not CLASS_NAME.search(error["message"]), error["message"]
    assert messages_in_db(migrated)[-1][2].startswith("Half an answer")


@pytest.mark.parametrize("mode", MODES)
def test_a_server_that_is_not_there_is_named_with_the_cause(make_app, mode):
    app = make_app(OPENROUTER_BASE_URL=f"http://127.0.0.1:{free_port()}/api/v1")
    visitor = Visitor(app.test_client())
    visitor.save_key(CANARY_KEY)
    error, _ = turn(visitor, mode, "Battery light flickers")
    assert "Could not reach OpenRouter (the connection was refused)" in error["message"]
    assert not CLASS_NAME.search(error["message"]), error["message"]


# ---------------------------------------------------------------- 4. one deadline per turn


@pytest.fixture
def short_turns(make_app):
    """Turns of 2 s at most (a 1 s connect timeout leaves room for that)."""
    visitor = Visitor(
        make_app(OPENROUTER_READ_TIMEOUT="2", OPENROUTER_CONNECT_TIMEOUT="1").test_client()
    )
    visitor.save_key(CANARY_KEY)
    return visitor


@pytest.mark.parametrize("mode", ["json", "form"])
def test_a_trickling_answer_ends_at_the_turns_deadline(short_turns, fake, migrated, mode):
    # A piece every 0.4 s for 8 s: never silent for a whole read timeout (2 s).
    fake.queue(Trickle("Replace the thermostat.", pieces=20, interval=0.4))
    error, page = turn(short_turns, mode, "Temperature gauge climbs")
    assert error["kind"] in ("timeout", None)
    assert "did not answer in time (no whole answer within 2 seconds)" in error["message"]
    assert "Replace the thermostat." not in page
    assert messages_in_db(migrated)[0][2] == "Temperature gauge climbs"


def test_a_stream_that_never_ends_stops_at_the_deadline_with_its_text(short_turns, fake, migrated):
    fake.queue(Stream([f"word{n} " for n in range(40)], delay=0.2))
    error, page = turn(short_turns, "stream", "Explain the whole ABS system")
    assert error["kind"] == "timeout"
    assert "no whole answer within 2 seconds" in error["message"]
    kept = messages_in_db(migrated)[-1]
    assert kept[1] == "error" and kept[2].startswith("word0 word1 ")
    assert "word39" not in kept[2]
    assert 'action="/c/' in page and "/retry" in page


def test_a_whole_answer_inside_the_deadline_is_delivered(short_turns, fake):
    fake.queue(Trickle("Replace the thermostat.", pieces=3, interval=0.2), Reply("unused"))
    response = short_turns.send_json("Temperature gauge climbs")
    assert response.status_code == 200
    assert response.get_json()["reply"] == "Replace the thermostat."
