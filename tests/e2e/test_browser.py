"""A visitor in a real browser, with JavaScript on and off."""

from __future__ import annotations

import re

import pytest

from tests.support import CANARY_KEY
from tests.support.fake_openrouter import Reply

pytestmark = pytest.mark.browser


def send(page, text: str) -> None:
    """Type and send a message, then wait for the assistant's finished reply."""
    before = page.locator(".msg-assistant").count()
    page.fill("#message", text)
    page.click("button:has-text('Send')")
    page.wait_for_function(
        "n => document.querySelectorAll('.msg-assistant:not(.status-streaming)').length > n",
        arg=before,
    )
    page.wait_for_function("() => location.pathname.startsWith('/c/')")


def test_offline_chat_then_key_then_answer(page, live_server, fake):
    page.goto(live_server + "/")
    send(page, "My check engine light is flashing")
    conversation_url = page.url
    assert re.search(r"/c/[0-9a-f]{32}(#m\d+)?$", conversation_url)
    assert page.locator(".msg-user .msg-text").inner_text() == "My check engine light is flashing"
    assert "The assistant is offline" in page.locator(".status-offline").inner_text()

    page.click("a:has-text('Settings')")
    page.fill("#api_key", CANARY_KEY)
    page.click("button:has-text('Save')")
    page.wait_for_url(re.compile(r".*/settings$"))
    assert page.locator(".masked-key").inner_text() == "sk-or-…c4n4"
    assert CANARY_KEY not in page.content()

    page.goto(conversation_url)
    fake.queue(Reply("A **flashing** light means an active misfire. Stop driving."))
    page.click("button:has-text('Retry')")
    page.wait_for_selector(".msg-assistant.status-ok")
    answer = page.locator(".msg-assistant.status-ok .markdown").inner_text()
    assert "active misfire" in answer
    assert page.locator(".msg-assistant.status-ok strong").inner_text() == "flashing"


def test_too_long_message_stays_in_the_box(page, live_server, fake):
    text = "Knocking noise. " * 600
    page.goto(live_server + "/")
    page.fill("#message", text)
    page.click("button:has-text('Send')")
    page.wait_for_selector(".form-error")
    page.wait_for_load_state()
    assert "the limit is 8,000" in page.locator(".form-error").inner_text()
    assert page.input_value("#message") == text
    assert fake.chat_requests == []


def test_sidebar_lists_conversations_and_new_conversation_starts_fresh(page, live_server, fake):
    page.goto(live_server + "/settings")
    page.fill("#api_key", CANARY_KEY)
    page.click("button:has-text('Save')")
    for question in ("Brakes squeal", "Battery drains overnight"):
        page.goto(live_server + "/")
        send(page, question)
    page.reload()
    titles = page.locator(".conversation-list .conv-title").all_inner_texts()
    assert titles == ["Battery drains overnight", "Brakes squeal"]
    page.click("a:has-text('New conversation')")
    assert page.locator("h1").inner_text() == "New conversation"
    assert page.locator(".msg").count() == 0
