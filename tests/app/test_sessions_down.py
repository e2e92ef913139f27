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


def page_from_before(make_app, visitor: Visitor) -> str:
    """A page loaded while Redis still answered (another app on the same secret, cookies
    carried over): its form token was made for a session the store can no longer show."""
    before = Visitor(make_app().test_client())
    page = before.get("/").get_data(as_text=True)
    for name in ("session", "owner"):
        cookie = before.client.get_cookie(name)
        if cookie is not None:
            visitor.client.set_cookie(name, cookie.value)
    return page


def test_a_page_drawn_while_sessions_are_down_sends_at_once(down_with_server_key, fake):
    visitor = down_with_server_key
    page = visitor.get("/").get_data(as_text=True)
    assert DOWN in page  # a new visitor's first page already knows
    fake.queue(Reply("Check the brake fluid level."))
    sent = post_form(visitor, page, "Soft brake pedal")
    assert sent.status_code == 303
    assert "brake fluid" in visitor.get(sent.headers["Location"]).get_data(as_text=True)


def test_a_form_sent_while_sessions_are_down_keeps_its_text_then_goes_through(
    make_app, down_with_server_key, fake, migrated
):
    visitor = down_with_server_key
    first = page_from_before(make_app, visitor)
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


def test_a_script_gets_a_token_that_works_without_sessions(make_app, down_with_server_key, fake):
    visitor = down_with_server_key
    stale = token_of(page_from_before(make_app, visitor))
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
    refused = post_form(visitor, visitor.get("/").get_data(as_text=True), "Oil light at idle")
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


def test_a_send_long_after_the_store_went_down_still_goes_through(make_app, fake):
    """The store is asked again only every few seconds; a visitor who takes longer than
    that to send from the page that refused them is still let through."""
    app = make_app(REDIS_URL=closed_redis(), OPENROUTER_API_KEY=SERVER_KEY)
    app.session_interface.retry_seconds = 0  # every request finds out for itself
    visitor = Visitor(app.test_client())
    refused = post_form(visitor, page_from_before(make_app, visitor), "Wipers stop mid-sweep")
    assert refused.status_code == 503
    fake.queue(Reply("Check the wiper motor's park switch."))
    sent = post_form(visitor, refused.get_data(as_text=True), "Wipers stop mid-sweep")
    assert sent.status_code == 303
    assert "park switch" in visitor.get(sent.headers["Location"]).get_data(as_text=True)
