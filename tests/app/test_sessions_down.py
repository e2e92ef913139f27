"""Redis (the session store) unreachable: the visitor is told so, keeps their text, and can
go on chatting with the server's key; their stored session waits intact for Redis."""

from __future__ import annotations

import re

import pytest

from tests.support import CANARY_KEY, TEST_REDIS_URL, Visitor, free_port
from tests.support.fake_openrouter import Reply
from tests.support.streaming import messages_in_db

SERVER_KEY = "sk-or-v1-server0000000000000000000000000000000000000000000000000000k3y"
DOWN = "Sessions are unavailable right now"


def closed_redis() -> str:
    return f"redis://127.0.0.1:{free_port()}/0"


def token_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def post_form(visitor: Visitor, page: str, text: str):
    return visitor.client.post("/chat", data={"csrf_token": token_of(page), "message": text})


@pytest.fixture
def down_with_server_key(make_app):
    return Visitor(make_app(REDIS_URL=closed_redis(), OPENROUTER_API_KEY=SERVER_KEY).test_client())


@pytest.fixture
def down_without_server_key(make_app):
    return Visitor(make_app(REDIS_URL=closed_redis()).test_client())


def test_a_form_sent_while_sessions_are_down_keeps_its_text_then_goes_through(
    down_with_server_key, fake, migrated
):
    visitor = down_with_server_key
    first = visitor.get("/").get_data(as_text=True)  # its form token needed a session
    text = "Clicking noise when turning at full lock"
    refused = post_form(visitor, first, text)
    assert refused.status_code == 503
    page = refused.get_data(as_text=True)
    assert DOWN in page and "Your text is kept" in page and text in page
    assert "expired" not in page.lower()
    assert messages_in_db(migrated) == []  # nothing was half sent
    # The page it came back on carries a token that works without a session.
    fake.queue(Reply("Likely a worn CV joint."))
    sent = post_form(visitor, page, text)
    assert sent.status_code == 303
    answered = visitor.get(sent.headers["Location"]).get_data(as_text=True)
    assert "Likely a worn CV joint." in answered
    assert DOWN in answered and "Chats use this server's key meanwhile." in answered
    assert fake.chat_requests[-1].headers["Authorization"] == f"Bearer {SERVER_KEY}"
    # The conversation is the visitor's (the owner cookie needs no session).
    assert answered.count("Clicking noise when turning") >= 2  # sidebar and message


def test_a_script_gets_a_token_that_works_without_sessions(down_with_server_key, fake):
    visitor = down_with_server_key
    # The first page's token was made before the app knew the store was down.
    stale = token_of(visitor.get("/").get_data(as_text=True))
    first = visitor.client.post(
        "/chat",
        json={"message": "Brake squeal in the rain"},
        headers={"X-CSRFToken": stale, "Accept": "application/json"},
    )
    assert first.status_code == 503
    body = first.get_json()
    assert body["error"]["kind"] == "session_store_unavailable"
    assert DOWN in body["error"]["message"] and "Your text is kept" in body["error"]["message"]
    fake.queue(Reply("Normal for some pad compounds."))
    again = visitor.client.post(
        "/chat",
        json={"message": "Brake squeal in the rain"},
        headers={"X-CSRFToken": body["csrf_token"], "Accept": "application/json"},
    )
    assert again.status_code == 200
    assert again.get_json()["reply"] == "Normal for some pad compounds."


def test_without_a_server_key_sending_waits_and_the_text_is_kept(
    down_without_server_key, fake, migrated
):
    visitor = down_without_server_key
    page = post_form(visitor, visitor.get("/").get_data(as_text=True), "Oil light").get_data(
        as_text=True
    )
    refused = post_form(visitor, page, "Oil light at idle")
    assert refused.status_code == 503
    again = refused.get_data(as_text=True)
    assert "saved API keys can&#39;t be read" in again and "Oil light at idle" in again
    assert "Sending waits for them" in again
    assert fake.chat_requests == [] and messages_in_db(migrated) == []


def test_a_key_cannot_be_saved_while_sessions_are_down(down_without_server_key):
    visitor = down_without_server_key
    visitor.get("/settings")
    page = visitor.get("/settings").get_data(as_text=True)
    response = visitor.client.post(
        "/settings", data={"csrf_token": token_of(page), "api_key": CANARY_KEY}
    )
    assert response.status_code == 503
    assert "Sessions are unavailable right now, so nothing was saved" in response.get_data(
        as_text=True
    )


@pytest.mark.skipif(not TEST_REDIS_URL, reason="needs Redis: the embedded store is files")
def test_the_stored_session_survives_an_outage_untouched(make_app, fake):
    """Same secret, same cookies: one app with Redis, one whose Redis is unreachable."""
    up = make_app()
    down = make_app(REDIS_URL=closed_redis())
    visitor = Visitor(up.test_client())
    visitor.save_key(CANARY_KEY)
    cookie = visitor.client.get_cookie("session").value
    outage = Visitor(down.test_client())
    for name in ("session", "owner"):
        outage.client.set_cookie(name, visitor.client.get_cookie(name).value)
    page = outage.get("/")
    assert DOWN in page.get_data(as_text=True)
    assert not any(h.startswith("session=") for h in page.headers.getlist("Set-Cookie"))
    assert outage.client.get_cookie("session").value == cookie
    # Redis is back: the same browser's key is there, as it was.
    assert "Using your API key" in visitor.get("/").get_data(as_text=True)
