"""The session store (Redis) flushed under a visitor, and stopped then started again.

Flushed: the visitor's session is gone while their browser still names it. The README and
DESIGN promise that conversations belong to an owner (a signed cookie of its own), not to
the session, and that history is rebuilt from the database; the next send is refused as an
expired session with the text kept, and sent again it is answered in the same conversation.

Stopped: the degraded mode. A send with a token made before the outage is refused in
words ("Sessions are unavailable right now"), its text kept, with a token that needs no
session; sent again, it is answered with the server's key. /health says 503 meanwhile, and
chats are answered again once Redis is back.
"""

from __future__ import annotations

import html
import re
import time
import uuid

import pytest
import requests

from tests.support.fake_openrouter import Reply
from tests.support.live import Browser, wait_for
from tests.support.private_services import FaultRig, record_figure
from tests.support.streaming import parse_sse

pytestmark = pytest.mark.slow


def post(browser: Browser, mode: str, text: str, conversation_id: str, token: str):
    """Send as the page does: its form, its script's JSON, or its script's stream."""
    fields = {"message": text, "conversation_id": conversation_id}
    if mode == "json":
        return browser.post_json("/chat", fields, token=token)
    headers = {"Accept": "text/event-stream", "X-CSRFToken": token} if mode == "stream" else {}
    return browser.session.post(
        browser.base + "/chat",
        data={**fields, "csrf_token": token},
        headers=headers,
        timeout=30,
        allow_redirects=False,
    )


def no_internals(response: requests.Response) -> None:
    assert response.status_code < 500 or response.status_code == 503, response.text[:1000]
    assert "Traceback" not in response.text and 'File "/' not in response.text


@pytest.mark.parametrize("mode", ["form", "json", "stream"])
def test_a_flushed_session_store_keeps_the_text_and_the_conversations(
    rig: FaultRig, upstream, mode
):
    live = rig.server()
    live.mark()
    browser = live.browser()
    first = browser.send_json("My check engine light blinks under load")
    assert first.status_code == 200, first.text
    cid = first.json()["conversation_id"]
    stale = browser.fresh_token()

    rig.redis.flushall()

    text = f"And it smells of fuel ({mode}) {uuid.uuid4().hex[:8]}"
    asked = len(upstream.chat_requests)
    refused = post(browser, mode, text, cid, stale)
    no_internals(refused)
    assert refused.status_code == 400, refused.text[:1000]
    assert len(upstream.chat_requests) == asked  # nothing was sent
    if mode == "form":
        page = html.unescape(refused.text)
        assert "Your session expired" in page
        assert f">{text}</textarea>" in page  # the text, back in the message box
        browser.get("/")
        fresh = browser.token
    else:
        error = refused.json()
        assert error["error"]["kind"] == "csrf_failed"
        assert "session expired" in error["error"]["message"]
        assert "Your text is still here" in error["error"]["message"]
        fresh = error["csrf_token"]
    assert fresh and fresh != stale
    browser.token = fresh

    # The owner cookie outlives the session: the conversation is still the visitor's.
    listed = browser.session.get(f"{live.base}/", timeout=15)
    assert f'href="/c/{cid}#end"' in listed.text  # listed in the sidebar
    assert "My check engine light blinks under load" in browser.conversation(cid)

    again = post(browser, mode, text, cid, fresh)
    no_internals(again)
    if mode == "form":
        assert again.status_code == 303, again.text[:1000]
    elif mode == "json":
        assert again.status_code == 200, again.text[:1000]
        assert again.json()["conversation_id"] == cid
    else:
        events = parse_sse(again.text)
        assert events[-1][0] == "done", events[-3:]
        assert events[0][1]["conversation_id"] == cid
    # The history went upstream, rebuilt from the database.
    sent = [m["content"] for m in upstream.chat_requests[-1].messages if m["role"] == "user"]
    assert sent == ["My check engine light blinks under load", text]
    assert html.escape(text, quote=False) in browser.conversation(cid)
    assert live.trouble() == [], live.log()[-3000:]


def test_a_stopped_session_store_is_survived_and_recovers(rig: FaultRig, upstream):
    live = rig.server()
    live.mark()
    upstream.default = lambda: Reply("Check the fuel pressure regulator.")
    browser = live.browser()
    first = browser.send_json("Engine stumbles at idle")
    assert first.status_code == 200, first.text
    cid = first.json()["conversation_id"]
    token = browser.fresh_token()

    stopped_at = time.monotonic()
    rig.redis.stop()
    try:
        wait_for(lambda: rig.health(live) == 503, 30, "/health to say 503")
        body = requests.get(f"{live.base}/health", timeout=10).json()
        assert body["checks"]["redis"] == "unavailable", body
        assert body["checks"]["database"] == "ok", body

        # The degraded mode: a token made before the outage is refused in words, with the
        # text kept and a token that works without sessions; sent again with it, the chat
        # goes on with the server's key.
        for mode in ("form", "json", "stream"):
            text = f"While the store is down ({mode}): idle stumble {uuid.uuid4().hex[:8]}"
            response = post(browser, mode, text, cid, token)
            no_internals(response)
            assert response.status_code == 503, response.text[:1000]
            if mode == "form":
                page = html.unescape(response.text)
                assert "Sessions are unavailable right now" in page
                assert f">{text}</textarea>" in page  # the text, back in the message box
                fresh = re.search(r'name="csrf_token" value="([^"]+)"', response.text).group(1)
            else:
                error = response.json()
                assert error["error"]["kind"] == "session_store_unavailable"
                assert "Your text is kept" in error["error"]["message"]
                fresh = error["csrf_token"]
            again = post(browser, mode, text, cid, fresh)
            no_internals(again)
            if mode == "form":
                assert again.status_code == 303, again.text[:1000]
            elif mode == "json":
                assert again.status_code == 200 and again.json()["status"] == "ok", again.text
            else:
                assert parse_sse(again.text)[-1][0] == "done", again.text[-500:]
            assert html.escape(text, quote=False) in browser.conversation(cid)
        notice = browser.get(f"/c/{cid}").text
        assert "Chats use this server's key meanwhile." in html.unescape(notice)

        # README: "If Redis is unreachable, pages still render".
        page = browser.get(f"/c/{cid}")
        no_internals(page)
        assert page.status_code == 200, page.text[:1000]
        assert "Engine stumbles at idle" in page.text
        assert live.trouble() == [], live.log()[-3000:]
    finally:
        rig.redis.start()
    restarted_at = time.monotonic()

    wait_for(lambda: rig.health(live) == 200, 60, "/health to say 200 again")
    healthy_after = time.monotonic() - restarted_at
    # Redis keeps nothing across the restart (no AOF, no RDB): a new session, a new token.
    visitor = live.browser()

    def answered() -> bool:
        visitor.token = ""
        response = visitor.send_json("Is the store back? The idle is still rough.")
        return response.status_code == 200 and response.json().get("status") == "ok"

    wait_for(answered, 60, "a chat to be answered again")
    answered_after = time.monotonic() - restarted_at
    record_figure(
        f"Redis restart (down {restarted_at - stopped_at:.1f} s): /health 200 after "
        f"{healthy_after:.2f} s, a chat answered after {answered_after:.2f} s"
    )

    # The first visitor's conversation is still theirs, and they can carry on in it.
    assert "Engine stumbles at idle" in browser.conversation(cid)
    browser.token = ""
    carried_on = browser.send_json("Carrying on after the outage", cid)
    assert carried_on.status_code == 200, carried_on.text[:1000]
    assert carried_on.json()["conversation_id"] == cid
