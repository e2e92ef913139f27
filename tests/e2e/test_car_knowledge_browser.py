"""Car knowledge in a real browser: My vehicle, fact cards while streaming, tool calls."""

from __future__ import annotations

import pytest

from tests.support.browser import (
    DESKTOP,
    PHONE,
    blocking_violations,
    box,
    horizontal_overflow,
    save_key,
)
from tests.support.fake_openrouter import Stream, ToolCalls

pytestmark = pytest.mark.browser


def test_vehicle_from_a_vin_shows_in_the_chat_header(js_page, live_server):
    page = js_page
    page.goto(live_server + "/vehicle")
    page.fill("#vin", "JM1NDAB71G0100001")
    page.fill("#mileage", "84000")
    page.click("button:has-text('Save vehicle')")
    page.locator(".flash", has_text="The VIN decodes to a 2016 Mazda MX-5").wait_for()
    assert page.input_value("#make") == "Mazda"
    page.click("nav >> text=Chat")
    header = page.locator("#my-vehicle")
    assert "2016 Mazda MX-5 Sport/GX · 84,000 mi" in header.inner_text()


def test_a_bad_vehicle_field_is_named_and_nothing_typed_is_lost(js_page, live_server):
    page = js_page
    page.goto(live_server + "/vehicle")
    page.fill("#make", "Honda")
    page.fill("#year", "20O9")
    page.click("button:has-text('Save vehicle')")
    assert "four-digit model year" in page.locator("#year-error").inner_text()
    assert page.input_value("#make") == "Honda"
    assert page.input_value("#year") == "20O9"


def test_fact_cards_appear_under_the_message_as_soon_as_it_is_stored(js_page, live_server, fake):
    page = js_page
    save_key(page, live_server)
    fake.queue(Stream(["Misfire on cylinder 1: ", "check the coil first."], delay=0.2))
    page.goto(live_server + "/")
    page.fill("#message", "p0301 and my check engine light is flashing")
    page.press("#message", "Enter")
    # A flashing check-engine light is the stop-now part; it comes first, then the code.
    warning = page.locator(".msg-user .fact.fact-warning").first
    warning.wait_for()
    assert "Stop:" in warning.inner_text()
    assert "flash" in warning.inner_text().lower()
    card = page.locator(".msg-user .fact-dtc")
    assert "P0301: Cylinder 1 Misfire Detected" in card.inner_text()
    assert page.locator(".msg-user .fact").first.get_attribute("class").count("fact-warning") == 1
    page.locator(".msg-assistant .msg-body", has_text="check the coil first.").wait_for()
    # The stored page shows the same card.
    page.reload()
    assert page.locator(".msg-user .fact-dtc").count() == 1


def test_tool_calls_are_shown_on_the_reply(js_page, live_server, fake):
    page = js_page
    save_key(page, live_server)
    page.goto(live_server + "/settings")
    page.check("input[name=model][value='openai/gpt-4o-mini']")
    page.click("button:has-text('Save')")
    fake.queue(
        ToolCalls([("decode_tire_size", '{"size": "LT265/75R16"}')]),
        Stream(["That is a light-truck tire, ", "about 31.6 inches tall."], delay=0.2),
    )
    page.goto(live_server + "/")
    page.fill("#message", "what does LT265/75R16 mean")
    page.press("#message", "Enter")
    page.locator(".msg-assistant .tool-note", has_text="Looked up: decode_tire_size").wait_for()
    summary = page.locator(".msg-assistant .tool-calls summary")
    summary.filter(has_text="Used 1 tool call: decode_tire_size").wait_for()
    summary.click()
    assert '"service_type"' in page.locator(".msg-assistant .tool-result").inner_text()


@pytest.mark.parametrize(
    ("viewport", "scheme"),
    [
        pytest.param(PHONE, "dark", id="phone-dark"),
        pytest.param(DESKTOP, "light", id="desktop-light"),
    ],
)
@pytest.mark.parametrize(
    "message",
    [
        "oil pressure light came on",
        "temperature gauge in the red and steam from the hood",
        "brake pedal goes to the floor",
    ],
)
def test_a_red_flag_is_answered_first_and_offline(
    open_page, live_server, viewport, scheme, message
):
    # Issue 15, item 7: the one moment a driver needs an answer without a network or a key.
    page = open_page(viewport, scheme)
    page.goto(live_server + "/")
    page.fill("#message", message)
    page.press("#message", "Enter")
    reply = page.locator(".msg-assistant.status-offline")
    reply.wait_for()
    first_card = page.locator(".msg-user .fact").first
    assert "fact-red_flag" in first_card.get_attribute("class")
    assert "Stop:" in first_card.inner_text()
    # The card spans the message's width, and the answer opens with the red caution.
    assert (
        box(page, ".msg-user .fact-red_flag")["width"] >= box(page, ".msg-user .facts")["width"] - 1
    )
    caution = reply.locator(".markdown > *").nth(1)
    assert "note-caution" in caution.get_attribute("class")
    assert "Stop safely now" in caution.inner_text()
    assert horizontal_overflow(page) == 0
    assert blocking_violations(page, "red flag") == []
    page.screenshot(path=f"/tmp/shots/red-flag-{viewport['width']}-{scheme}.png", full_page=True)
