"""Streaming in a real browser: text appears as it arrives, Stop aborts, Enter sends."""

from __future__ import annotations

import threading
import time

import pytest

from tests.support.browser import save_key
from tests.support.fake_openrouter import Stream

pytestmark = pytest.mark.browser


def test_text_streams_in_then_stop_keeps_the_partial(js_page, live_server, fake):
    page = js_page
    save_key(page, live_server)
    gate = threading.Event()
    fake.queue(Stream(["The first part arrives", *[" more"] * 400], gate=gate, delay=0.02))
    page.goto(live_server + "/")
    page.fill("#message", "Explain how an automatic transmission works")
    page.press("#message", "Enter")  # Enter sends

    streaming = page.locator(".msg-assistant.status-streaming .msg-body")
    streaming.wait_for()
    streaming.filter(has_text="The first part arrives").wait_for()
    assert not gate.is_set()  # the upstream is still holding the rest back
    assert page.locator("#stop").is_visible()
    assert page.input_value("#message") == ""
    assert page.url.rstrip("/") != live_server  # the address now names the conversation
    conversation_url = page.url

    gate.set()
    streaming.filter(has_text="more more").wait_for()
    page.click("#stop")
    page.locator(".msg-assistant.status-stopped .badge-stopped").wait_for()
    assert page.locator("#stop").is_hidden()

    deadline = time.monotonic() + 15
    while fake.state.disconnects == 0:
        assert time.monotonic() < deadline, "Stop did not close the upstream request"
        time.sleep(0.05)
    assert fake.state.completed_streams == 0

    # The server stores the partial once it notices the closed stream (its next write
    # after Stop): a moment after the upstream is let go, so a reload may come first.
    page.goto(conversation_url)
    stored = page.locator(".msg-assistant.status-stopped")
    deadline = time.monotonic() + 15
    while stored.count() == 0:
        assert time.monotonic() < deadline, "the stopped reply was not stored"
        time.sleep(0.25)
        page.reload()
    assert "The first part arrives" in stored.inner_text()
    page.locator("form.retry button").wait_for()  # visible: the stopped answer can be retried


def test_finished_stream_is_swapped_for_server_rendered_markdown(js_page, live_server, fake):
    page = js_page
    save_key(page, live_server)
    fake.queue(Stream(["**Bold** advice", "\n\n- check the fuse"]))
    page.goto(live_server + "/")
    page.fill("#message", "Headlights out")
    page.click("#send")
    page.locator(".msg-assistant.status-ok strong").wait_for()
    assert page.locator(".msg-assistant.status-ok strong").inner_text() == "Bold"
    assert page.locator(".msg-assistant.status-ok li").inner_text() == "check the fuse"
    page.locator("#totals").filter(has_text="62 tokens").wait_for()


def test_shift_enter_adds_a_line_instead_of_sending(js_page, live_server, fake):
    page = js_page
    page.goto(live_server + "/")
    page.fill("#message", "line one")
    page.press("#message", "Shift+Enter")
    page.type("#message", "line two")
    assert page.input_value("#message") == "line one\nline two"
    assert page.locator(".msg").count() == 0
    assert fake.chat_requests == []
