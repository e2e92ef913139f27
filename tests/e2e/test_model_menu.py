"""The model menu in the chat header, on a phone (390×844) and a desktop (1366×900), light
and dark: search, free only, choosing for the next message without leaving the page (the
draft stays), the keyboard, accessibility, and the way through /settings/model without
JavaScript."""

from __future__ import annotations

import re
import threading

import pytest
from playwright.sync_api import expect

from tests.support.browser import (
    DESKTOP,
    LAYOUTS,
    PHONE,
    blocking_violations,
    box,
    horizontal_overflow,
    save_key,
    send,
)
from tests.support.fake_openrouter import DEFAULT_MODELS, Reply, Stream

pytestmark = pytest.mark.browser

DEFAULT = "deepseek/deepseek-chat-v3-0324:free"
SHOWN = "#model-menu-list [role=option]:not([hidden])"


def open_menu(page) -> None:
    page.click("#model-menu summary")
    expect(page.locator(SHOWN)).to_have_count(len(DEFAULT_MODELS))


def focused(page) -> str:
    """The focused element, as "tag#id.class" (enough to tell which one it is)."""
    return page.evaluate(
        "() => { const el = document.activeElement;"
        " return el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')"
        " + (el.className ? '.' + el.className : ''); }"
    )


@pytest.mark.parametrize(("viewport", "scheme"), LAYOUTS)
def test_choosing_a_model_keeps_the_page_and_the_draft_and_answers_the_next_message(
    open_page, live_server, fake, viewport, scheme
):
    page = open_page(viewport, scheme)
    save_key(page, live_server)
    page.goto(live_server + "/")
    fake.queue(Reply("Use 0W-20."), Reply("About 4.4 litres."))
    send(page, "Which oil for a 2018 Civic?")
    assert fake.chat_requests[-1].body["model"] == DEFAULT
    conversation_url = page.url.split("#")[0]  # a send lands at its reply (#m<id>)
    page.fill("#message", "How much of it?")
    expect(page.locator("#current-model-facts")).to_have_text("164k context · free")

    open_menu(page)
    panel = page.locator("#model-menu-panel")
    expect(panel).to_be_visible()
    current = page.locator("#model-menu-list [aria-selected=true]")
    expect(current).to_have_count(1)
    expect(current).to_contain_text(DEFAULT)
    expect(current).to_contain_text("current")
    mini = page.locator(SHOWN, has_text="openai/gpt-4o-mini")
    expect(mini).to_contain_text("128k context · $0.15 / $0.60 per M tokens")
    assert blocking_violations(page, f"model menu open ({scheme})") == []
    # The panel fits the screen and scrolls inside itself.
    assert horizontal_overflow(page) == 0
    edges = box(page, "#model-menu-panel")
    assert edges["left"] >= 0 and edges["right"] <= viewport["width"], edges
    assert edges["bottom"] <= viewport["height"], edges
    assert (
        page.locator("#model-menu-list").evaluate("el => getComputedStyle(el).overflowY") == "auto"
    )

    page.fill("#model-menu-q", "claude")
    expect(page.locator(SHOWN)).to_have_count(1)
    expect(page.locator(SHOWN)).to_contain_text("anthropic/claude-3.5-haiku")
    page.fill("#model-menu-q", "")
    page.check("#model-menu-free")
    expect(page.locator(SHOWN)).to_have_count(2)
    expect(page.locator(f"{SHOWN} .badge-free")).to_have_count(2)
    page.fill("#model-menu-q", "nothing like it")
    expect(page.locator("#model-menu-status")).to_have_text("No model matches.")
    page.uncheck("#model-menu-free")
    page.fill("#model-menu-q", "mini")
    expect(page.locator("#model-menu-status")).to_have_text(
        f"1 of {len(DEFAULT_MODELS)} models shown."
    )
    page.click(f"{SHOWN} >> text=openai/gpt-4o-mini")

    expect(page.locator("#current-model")).to_have_text("openai/gpt-4o-mini")
    expect(page.locator("#current-model-facts")).to_have_text(
        "128k context · $0.15 / $0.60 per M tokens"
    )
    expect(page.locator("#announce-polite")).to_have_text(
        "Model changed to openai/gpt-4o-mini; it answers your next message."
    )
    assert page.locator("#model-menu").evaluate("el => el.open") is False
    assert focused(page).startswith("summary")
    # No page was loaded: same address, and the draft is still in the box.
    assert page.url == conversation_url
    assert page.input_value("#message") == "How much of it?"

    page.press("#message", "Enter")
    page.locator(".msg-assistant", has_text="About 4.4 litres.").wait_for()
    assert fake.chat_requests[-1].body["model"] == "openai/gpt-4o-mini"
    assert [m["content"] for m in fake.chat_requests[-1].messages[1:]] == [
        "Which oil for a 2018 Civic?",
        "Use 0W-20.",
        "How much of it?",
    ]
    page.reload()
    expect(page.locator("#current-model")).to_have_text("openai/gpt-4o-mini")


def test_the_keyboard_moves_through_the_list_and_escape_closes_it(open_page, live_server, fake):
    page = open_page(DESKTOP)
    save_key(page, live_server)
    page.goto(live_server + "/")
    page.focus("#model-menu summary")
    page.keyboard.press("Enter")
    expect(page.locator(SHOWN)).to_have_count(len(DEFAULT_MODELS))
    assert focused(page) == "input#model-menu-q"  # typing searches at once

    page.keyboard.type("instruct")
    expect(page.locator(SHOWN)).to_have_count(1)
    page.fill("#model-menu-q", "")
    page.keyboard.press("ArrowDown")
    first = page.locator(SHOWN).first
    expect(first).to_be_focused()
    # The focused option is plainly marked, in both themes (the outline of :focus-visible).
    assert first.evaluate("el => getComputedStyle(el).outlineStyle") == "solid"
    page.keyboard.press("End")
    expect(page.locator(SHOWN).last).to_be_focused()
    page.keyboard.press("Home")
    expect(first).to_be_focused()
    page.keyboard.press("ArrowUp")
    assert focused(page) == "input#model-menu-q"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    second = page.locator(SHOWN).nth(1)
    expect(second).to_be_focused()
    chosen = second.locator(".model-id").inner_text()
    page.keyboard.press("Enter")
    expect(page.locator("#current-model")).to_have_text(chosen)
    assert focused(page).startswith("summary")

    page.keyboard.press("Enter")  # opens again, on the summary
    expect(page.locator("#model-menu-q")).to_be_focused()
    page.keyboard.press("Escape")
    assert page.locator("#model-menu").evaluate("el => el.open") is False
    assert focused(page).startswith("summary")
    expect(page.locator("#current-model")).to_have_text(chosen)  # Escape chose nothing

    # A click elsewhere closes it too.
    page.click("#model-menu summary")
    page.click("#message")
    assert page.locator("#model-menu").evaluate("el => el.open") is False


def test_escape_closes_the_menu_without_stopping_a_streaming_reply(open_page, live_server, fake):
    page = open_page(PHONE)
    save_key(page, live_server)
    gate = threading.Event()
    fake.queue(Stream(["The first part arrives", " and the rest."], gate=gate))
    page.goto(live_server + "/")
    page.fill("#message", "Explain a torque converter")
    page.press("#message", "Enter")
    page.locator(".status-streaming .msg-body", has_text="The first part").wait_for()
    open_menu(page)
    page.keyboard.press("Escape")
    assert page.locator("#model-menu").evaluate("el => el.open") is False
    gate.set()
    page.locator(".msg-assistant.status-ok", has_text="and the rest.").wait_for()
    assert page.locator(".badge-stopped").count() == 0


def test_a_refused_choice_is_said_in_the_menu_and_changes_nothing(open_page, live_server, fake):
    page = open_page(DESKTOP)
    save_key(page, live_server)
    page.goto(live_server + "/")
    open_menu(page)
    # The model left the catalog after the list was fetched (the post names one it lacks).
    page.route(
        "**/settings/model",
        lambda route: (
            route.continue_(post_data='{"model": "gone/model"}')
            if route.request.method == "POST"
            else route.continue_()
        ),
    )
    page.locator(SHOWN).nth(1).click()
    alert = page.locator("#model-menu-panel [role=alert]")
    expect(alert).to_contain_text("not in the model list")
    expect(alert).to_contain_text(f"The model is still {DEFAULT}.")
    expect(page.locator("#current-model")).to_have_text(DEFAULT)
    assert page.locator("#model-menu").evaluate("el => el.open") is True

    # The server does not answer: said the same way.
    page.unroute("**/settings/model")
    page.route("**/settings/model", lambda route: route.abort())
    page.locator(SHOWN).nth(2).click()
    expect(alert).to_contain_text("The server did not answer, so the model was not changed.")
    expect(page.locator("#current-model")).to_have_text(DEFAULT)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_without_javascript_the_menu_leads_to_a_page_that_comes_back(
    open_page, live_server, fake, viewport
):
    page = open_page(viewport, js=False)
    save_key(page, live_server)
    page.goto(live_server + "/")
    fake.queue(Reply("Use 0W-20."), Reply("About 4.4 litres."))
    page.fill("#message", "Which oil for a 2018 Civic?")
    page.click("#send")
    page.wait_for_url(re.compile(r".*/c/[0-9a-f]{32}(#m\d+)?$"))
    conversation_url = page.url.split("#")[0]  # a send lands at its reply (#m<id>)
    at_conversation = re.compile(re.escape(conversation_url) + r"(#m\d+)?$")

    page.click("#model-menu summary")
    expect(page.locator("#model-menu-panel")).to_be_visible()
    assert horizontal_overflow(page) == 0
    page.fill("#model-menu-q", "gpt")
    page.click("#model-menu-find")
    page.wait_for_url(re.compile(r".*/settings/model\?"))
    expect(page.locator("h1")).to_have_text("Choose a model")
    assert horizontal_overflow(page) == 0
    radios = page.locator("input[type=radio][name=model]")
    expect(radios).to_have_count(2)  # the match, and the current model kept in view
    page.check("input[value='openai/gpt-4o-mini']")
    page.click("button:has-text('Choose')")

    page.wait_for_url(at_conversation)
    expect(page.locator(".flash")).to_have_text(
        "Model changed to openai/gpt-4o-mini. It answers your next message."
    )
    expect(page.locator("#current-model")).to_have_text("openai/gpt-4o-mini")
    page.fill("#message", "How much of it?")
    page.click("#send")
    page.wait_for_url(at_conversation)
    assert fake.chat_requests[-1].body["model"] == "openai/gpt-4o-mini"

    # The way back without choosing.
    page.goto(live_server + "/settings/model?next=" + conversation_url.removeprefix(live_server))
    page.click("text=Back to the conversation")
    page.wait_for_url(at_conversation)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_chooser_page_passes_axe_and_fits_a_phone(open_page, live_server, fake, scheme):
    # axe-core runs as a script, so on a page that has them; the page needs none.
    page = open_page(PHONE, scheme)
    page.goto(live_server + "/settings/model?next=/")
    assert blocking_violations(page, f"chooser page ({scheme})") == []
    assert horizontal_overflow(page) == 0
    page.goto(live_server + "/settings/model?q=no+such+model&free=1")
    assert blocking_violations(page, f"chooser page, no match ({scheme})") == []
    # The Choose button stays on screen under a long list.
    page.goto(live_server + "/settings/model")
    assert box(page, ".model-page-actions")["bottom"] <= PHONE["height"]
