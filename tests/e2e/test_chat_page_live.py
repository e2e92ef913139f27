"""The chat page against the shipped server (real Gunicorn, gevent workers), in Chromium at
390×844 and 1366×900, light and dark: Markdown while a reply streams (issue 13, item 3),
Retry that streams and replaces the failed card (item 11), and a long conversation that
opens at its newest messages with the rest a "Show earlier" away (item 13)."""

from __future__ import annotations

import re
import threading

import pytest
import sqlalchemy as sa

from tests.support import empty_tables
from tests.support.browser import (
    DESKTOP,
    LAYOUTS,
    PHONE,
    blocking_violations,
    box,
    horizontal_overflow,
    save_key,
)
from tests.support.fake_openrouter import Error, Reply, Stream
from tests.support.live import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]


TABLE = (
    "\n\n| Reading | Healthy converter | Worn converter |\n|---|---|---|\n"
    "| Downstream O2 | steady 0.6–0.7 V | mirrors upstream |\n"
)


@pytest.fixture
def live(gunicorn_servers, fake, migrated):
    # A turn may last 30 s here: the streams below are held open while the browser looks.
    server = gunicorn_servers.start(
        "page", WORKERS="2", STREAM_KEEPALIVE="0.2", OPENROUTER_READ_TIMEOUT="30"
    )
    server.mark()
    yield server
    empty_tables(migrated)
    assert server.trouble() == [], server.log()[-3000:]


def keyed_page(open_page, live, viewport, scheme, js=True):
    page = open_page(viewport, scheme, js=js)
    save_key(page, live.base)
    page.goto(live.base + "/")
    return page


# ---------------------------------------------------------------- 3: Markdown while streaming


@pytest.mark.parametrize(("viewport", "scheme"), LAYOUTS)
def test_a_streaming_reply_reads_as_formatted_text(open_page, live, fake, viewport, scheme):
    gate = threading.Event()
    fake.queue(
        Stream(
            # The tail lasts 4 s: the table is looked for while the reply still streams
            # (previews come at most every 0.25 s, text events at most 20 a second).
            ["**P0420** means", " a tired converter.", TABLE, *[" More."] * 40],
            gate=gate,
            delay=0.1,
        )
    )
    page = keyed_page(open_page, live, viewport, scheme)
    page.fill("#message", "What does P0420 mean?")
    page.press("#message", "Enter")
    streaming = page.locator(".msg-assistant.status-streaming .msg-body")
    streaming.locator("strong", has_text="P0420").wait_for()
    assert not gate.is_set()  # the rest is held back upstream: this is mid-stream
    assert "**" not in streaming.inner_text()
    gate.set()
    # The table is a table before the reply ends, and no wider than the screen.
    streaming.locator("table td", has_text="Downstream O2").wait_for()
    assert page.locator(".msg-assistant.status-streaming").count() == 1
    assert "|---|" not in streaming.inner_text()
    assert horizontal_overflow(page) == 0
    page.screenshot(path=f"/tmp/shots/streaming-{viewport['width']}-{scheme}.png")
    assert blocking_violations(page, "streaming") == []
    page.locator(".msg-assistant.status-ok table").wait_for()
    assert page.locator(".msg-assistant .stream-tail").count() == 0


def stored_statuses(database_url: str) -> list[str]:
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        found = (
            connection.execute(sa.text("SELECT status FROM message ORDER BY id")).scalars().all()
        )
    engine.dispose()
    return list(found)


def test_stop_keeps_the_formatted_partial(open_page, live, fake, migrated):
    gate = threading.Event()
    fake.queue(Stream(["- check the **fuse**\n", *["- and more\n"] * 100], gate=gate, delay=0.05))
    page = keyed_page(open_page, live, PHONE, "light")
    page.fill("#message", "Horn does not work")
    page.press("#message", "Enter")
    page.locator(".status-streaming li strong", has_text="fuse").wait_for()
    gate.set()
    page.locator(".status-streaming .msg-body", has_text="and more").wait_for()
    page.keyboard.press("Escape")
    page.locator(".msg-assistant.status-stopped .badge-stopped").wait_for()
    assert page.locator(".status-stopped li strong", has_text="fuse").count() == 1
    wait_for(lambda: stored_statuses(migrated)[-1:] == ["stopped"], 10, "the partial to be saved")


# ---------------------------------------------------------------- 11: Retry streams


@pytest.mark.parametrize(("viewport", "scheme"), LAYOUTS)
def test_retry_streams_and_the_answer_replaces_the_failed_card(
    open_page, live, fake, viewport, scheme
):
    fake.queue(Error(503, "No instances available"))
    page = keyed_page(open_page, live, viewport, scheme)
    page.fill("#message", "Coolant light on")
    page.press("#message", "Enter")
    page.locator(".msg-assistant.status-error").wait_for()
    retry = page.locator("form.retry button")
    retry.wait_for()
    url = page.url
    page.fill("#message", "a draft I am still typing")

    gate = threading.Event()
    fake.queue(Stream(["Check the **coolant level**", " when the engine is cold."], gate=gate))
    retry.click()
    streaming = page.locator(".msg-assistant.status-streaming .msg-body")
    streaming.locator("strong", has_text="coolant level").wait_for()
    # The failed card went at once; the new answer streams where it was.
    assert page.locator(".msg-assistant.status-error").count() == 0
    assert page.locator("form.retry").count() == 0
    assert page.locator("#stop").is_visible()
    gate.set()
    page.locator(".msg-assistant.status-ok", has_text="when the engine is cold").wait_for()
    assert page.url == url  # no page load
    assert page.input_value("#message") == "a draft I am still typing"
    assert page.locator(".msg-assistant").count() == 1
    page.locator("#announce-polite", has_text="The assistant replied").wait_for()
    assert blocking_violations(page, "after retry") == []

    page.reload()  # the database agrees: one answer, no failure, no Retry
    assert page.locator(".msg-assistant").count() == 1
    assert page.locator(".msg-assistant.status-ok").count() == 1
    assert page.locator("form.retry").count() == 0


def test_a_retry_that_fails_again_shows_one_failure_with_its_retry(open_page, live, fake):
    fake.queue(Error(503, "No instances available"), Error(502, "Bad gateway upstream"))
    page = keyed_page(open_page, live, PHONE, "dark")
    page.fill("#message", "ABS light")
    page.press("#message", "Enter")
    page.locator("form.retry button").click()
    page.locator(".msg-assistant.status-error", has_text="Bad gateway upstream").wait_for()
    assert page.locator(".msg-assistant").count() == 1
    assert page.locator("form.retry button").count() == 1
    # The Retry button is above the composer, not under it.
    assert box(page, "form.retry button")["bottom"] <= box(page, "#composer")["top"] + 1
    page.locator("#announce-assertive", has_text="The reply failed.").wait_for()


def test_retry_without_javascript_still_works(open_page, live, fake):
    fake.queue(Error(503, "No instances available"), Reply("Check the ABS sensor wiring."))
    page = keyed_page(open_page, live, DESKTOP, "light", js=False)
    page.fill("#message", "ABS light")
    page.click("#send")
    page.locator("form.retry button").click()
    page.locator(".msg-assistant.status-ok", has_text="ABS sensor wiring").wait_for()
    assert page.locator(".msg-assistant").count() == 1


# ---------------------------------------------------------------- 13: long conversations


def add_turns(database_url: str, conversation_id: str, turns: int) -> None:
    """Store ``turns`` more question-and-answer pairs in the conversation."""
    engine = sa.create_engine(database_url)
    with engine.begin() as connection:
        for n in range(1, turns + 1):
            question = connection.execute(
                sa.text(
                    "INSERT INTO message (conversation_id, role, content, status, created_at)"
                    " VALUES (:c, 'user', :t, 'ok', CURRENT_TIMESTAMP) RETURNING id"
                ),
                {"c": conversation_id, "t": f"Question {n}"},
            ).scalar_one()
            connection.execute(
                sa.text(
                    "INSERT INTO message (conversation_id, role, content, status, reply_to_id,"
                    " created_at) VALUES (:c, 'assistant', :t, 'ok', :q, CURRENT_TIMESTAMP)"
                ),
                {"c": conversation_id, "t": f"**Answer {n}**", "q": question},
            )
    engine.dispose()


def long_conversation(open_page, live, fake, migrated, viewport, scheme, js=True):
    fake.queue(Reply("The first answer."))
    page = keyed_page(open_page, live, viewport, scheme, js=js)
    page.fill("#message", "The first question")
    if js:
        page.press("#message", "Enter")
        page.locator(".msg-assistant.status-ok").wait_for()
    else:
        page.click("#send")
    conversation_id = re.search(r"/c/([0-9a-f]{32})", page.url).group(1)
    add_turns(migrated, conversation_id, 60)  # 122 messages in all
    page.goto(live.base + f"/c/{conversation_id}")
    return page


@pytest.mark.parametrize(("viewport", "scheme"), LAYOUTS)
def test_a_long_conversation_opens_at_the_end_and_loads_earlier_in_place(
    open_page, live, fake, migrated, viewport, scheme
):
    page = long_conversation(open_page, live, fake, migrated, viewport, scheme)
    assert page.locator("#messages > li").count() == 40
    newest = page.locator("#messages > li").last
    assert newest.inner_text().endswith("Answer 60") or "Answer 60" in newest.inner_text()
    assert box(page, "#messages > li:last-child")["bottom"] <= box(page, "#composer")["top"] + 1
    assert blocking_violations(page, "long conversation") == []

    oldest_shown = page.locator("#messages > li").first
    oldest_id = oldest_shown.get_attribute("id")
    page.locator("#earlier a").click()
    page.wait_for_function("() => document.querySelectorAll('#messages > li').length === 80")
    # The message that was on top is where it was: the new ones are above it.
    top = box(page, f"#{oldest_id}")["top"]
    assert 0 <= top <= viewport["height"]
    assert page.locator("#earlier a").inner_text() == "Show 40 earlier messages"
    page.locator("#announce-polite", has_text="40 earlier messages shown").wait_for()

    # Scrolling to the top brings the next page by itself, then the last 2.
    page.locator("#scroller").evaluate("el => { el.scrollTop = 0; }")
    page.wait_for_function("() => document.querySelectorAll('#messages > li').length === 120")
    page.locator("#scroller").evaluate("el => { el.scrollTop = 0; }")
    page.wait_for_function("() => document.querySelectorAll('#messages > li').length === 122")
    assert page.locator("#earlier").count() == 0
    assert page.locator("#messages > li").first.inner_text().find("The first question") != -1
    # The fetched messages are finished pages: their replies have copy buttons.
    assert page.locator("#messages > li.msg-assistant .msg-actions").count() == 61
    assert horizontal_overflow(page) == 0


def test_show_earlier_works_without_javascript(open_page, live, fake, migrated):
    page = long_conversation(open_page, live, fake, migrated, PHONE, "light", js=False)
    assert page.locator("#messages > li").count() == 40
    first_id = page.locator("#messages > li").first.get_attribute("id")
    page.locator("#earlier a").click()
    page.wait_for_url(re.compile(rf".*\?show=80#{first_id}$"))
    assert page.locator("#messages > li").count() == 80
    # The browser took the reader to the message that was on top.
    top = box(page, f"#{first_id}")["top"]
    assert 0 <= top <= PHONE["height"]
