"""Managing conversations in Chromium against the shipped server: edit a question and
regenerate an answer (streamed, then moving between versions), rename in place, delete
with a confirmation and Undo, pin, a sidebar grouped by the visitor's day that loads older
conversations; each with JavaScript and through the plain forms without it. Phone
(390×844) and desktop (1366×900), light and dark, axe-clean."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.browser import (
    DESKTOP,
    LAYOUTS,
    PHONE,
    blocking_violations,
    horizontal_overflow,
    save_key,
    send,
)
from tests.support.fake_openrouter import Reply

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("SHOTS_DIR")  # set it to keep screenshots for a look


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png")


def texts(page) -> list[str]:
    return [t.strip() for t in page.locator("#messages > li .msg-body").all_inner_texts()]


def open_drawer_on_phone(page, viewport) -> None:
    if viewport == PHONE:
        page.click("#drawer-open")
        expect(page.locator("#conversations")).to_have_class("sidebar open")


@pytest.mark.parametrize(("viewport", "scheme"), LAYOUTS)
def test_edit_and_regenerate_stream_and_keep_every_version(
    open_page, live_server, fake, viewport, scheme
):
    page = open_page(viewport, scheme)
    save_key(page, live_server)
    page.goto(live_server + "/")
    fake.queue(Reply("Worn pads, most likely."), Reply("Check the caliper slides."))
    send(page, "My brakes squeal")
    send(page, "Only when cold")
    name = f"{viewport['width']}-{scheme}"

    # Edit the first question: it and everything after it make way for the new version.
    first = page.locator("#messages > li.msg-user").first
    first.locator("details.edit > summary").click()
    field = first.locator("textarea")
    expect(field).to_be_focused()
    shot(page, f"edit-open-{name}")
    fake.queue(Reply("Grinding means metal on metal: stop and inspect."))
    field.fill("My brakes grind")
    field.press("Enter")
    expect(page.locator("#messages > li.msg-assistant:not(.status-streaming)")).to_have_count(1)
    assert texts(page) == ["My brakes grind", "Grinding means metal on metal: stop and inspect."]
    expect(page.locator("#messages > li.msg-user .version-count")).to_have_text("2 / 2")
    assert fake.chat_requests[-1].messages[1:] == [{"role": "user", "content": "My brakes grind"}]
    assert horizontal_overflow(page) == 0
    assert blocking_violations(page, f"after an edit ({name})") == []

    # Regenerate the answer: streamed in place, the first answer kept as 1 / 2.
    fake.queue(Reply("It may be the rotors."))
    page.locator("#messages > li.msg-assistant form.regenerate button").click()
    expect(page.locator("#messages > li.msg-assistant .version-count")).to_have_text("2 / 2")
    assert texts(page)[-1] == "It may be the rotors."
    shot(page, f"versions-{name}")

    # ‹ on the question goes back to the first version, with its whole branch.
    page.get_by_role("button", name="Previous version of this question").click()
    expect(page.locator("#messages > li.msg-user").first.locator(".version-count")).to_have_text(
        "1 / 2"
    )
    assert texts(page) == [
        "My brakes squeal",
        "Worn pads, most likely.",
        "Only when cold",
        "Check the caliper slides.",
    ]
    assert blocking_violations(page, f"versions ({name})") == []


def test_a_refused_edit_keeps_its_text_and_the_page(open_page, live_server, fake):
    page = open_page(PHONE, "light")
    save_key(page, live_server)
    page.goto(live_server + "/")
    fake.queue(Reply("Check the belt."))
    send(page, "A squeal at start-up")
    first = page.locator("#messages > li.msg-user").first
    first.locator("details.edit > summary").click()
    first.locator("textarea").fill("   ")
    first.locator("textarea").press("Enter")
    expect(first.locator(".form-error")).to_have_text("Type a message before sending.")
    assert texts(page) == ["A squeal at start-up", "Check the belt."]
    assert len(fake.chat_requests) == 1


def test_without_javascript_edit_regenerate_and_versions_are_forms(open_page, live_server, fake):
    page = open_page(DESKTOP, "light", js=False)
    save_key(page, live_server)
    page.goto(live_server + "/")
    fake.queue(Reply("Worn pads."))
    page.fill("#message", "My brakes squeal")
    page.click("#send")
    page.locator("details.edit > summary").first.click()
    fake.queue(Reply("Stop and inspect."))
    page.locator("details.edit textarea").first.fill("My brakes grind")
    page.locator("details.edit button:has-text('Save and send')").first.click()
    assert texts(page) == ["My brakes grind", "Stop and inspect."]
    fake.queue(Reply("Rotors, maybe."))
    page.locator("form.regenerate button").click()
    expect(page.locator("#messages > li.msg-assistant .version-count")).to_have_text("2 / 2")
    expect(page.get_by_role("button", name="Next version of this answer")).to_be_disabled()
    page.get_by_role("button", name="Previous version of this answer").click()
    expect(page.locator("#messages > li.msg-assistant .version-count")).to_have_text("1 / 2")
    assert texts(page)[-1] == "Stop and inspect."
    page.get_by_role("button", name="Previous version of this question").click()
    assert texts(page) == ["My brakes squeal", "Worn pads."]


@pytest.mark.parametrize(("viewport", "scheme"), LAYOUTS)
def test_rename_in_place_and_delete_with_undo(open_page, live_server, fake, viewport, scheme):
    page = open_page(viewport, scheme)
    save_key(page, live_server)
    page.goto(live_server + "/")
    fake.queue(Reply("Every 10,000 km."), Reply("32 psi cold."))
    send(page, "Oil change interval")
    page.goto(live_server + "/")
    send(page, "Tire pressure")
    name = f"{viewport['width']}-{scheme}"

    # Rename the conversation on screen from the sidebar: no reload, header follows.
    open_drawer_on_phone(page, viewport)
    item_id = page.locator(".conv-item", has_text="Tire pressure").get_attribute("id")
    item = page.locator(f"#{item_id}")  # by id: its text changes with the rename
    item.locator("details.item-menu > summary").click()
    shot(page, f"item-menu-{name}")
    item.locator("input[name=title]").fill("Front tires 32 psi")
    item.locator("button:has-text('Rename')").click()
    expect(page.locator(".chat-header h1")).to_have_text("Front tires 32 psi")
    expect(item.locator(".conv-title")).to_have_text("Front tires 32 psi")
    expect(item.locator("summary .visually-hidden")).to_have_text("Actions for Front tires 32 psi")
    expect(item.locator("details.item-menu > summary")).to_be_focused()
    assert page.title().startswith("Front tires 32 psi")

    # An empty name is refused in place; the old one stays.
    item.locator("details.item-menu > summary").click()
    item.locator("input[name=title]").fill("   ")
    item.locator("button:has-text('Rename')").click()
    expect(item.locator(".form-error")).to_contain_text("needs a name")
    expect(page.locator(".chat-header h1")).to_have_text("Front tires 32 psi")
    item.locator("input[name=title]").press("Escape")

    # Delete the other conversation: asked first, gone at once, Undo brings it back.
    other = page.locator(".conv-item", has_text="Oil change interval")
    other.locator("details.item-menu > summary").click()
    other.locator("a.delete-link").click()
    dialog = page.locator("dialog.confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Oil change interval")
    shot(page, f"delete-dialog-{name}")
    assert blocking_violations(page, f"delete dialog ({name})") == []
    dialog.get_by_role("button", name="Delete").click()
    expect(page.locator(".conv-item", has_text="Oil change interval")).to_have_count(0)
    toast = page.locator(".toast")
    expect(toast).to_contain_text("Deleted “Oil change interval”")
    shot(page, f"undo-toast-{name}")
    toast.get_by_role("button", name="Undo").click()
    expect(page.locator(".conv-item", has_text="Oil change interval")).to_have_count(1)
    assert horizontal_overflow(page) == 0

    # Deleting the conversation on screen (its Actions menu came with the first reply,
    # no reload needed) lands on a new chat that offers Undo.
    page.click("#conv-actions > summary")
    page.locator("#conv-actions a.delete-link").click()
    page.locator("dialog.confirm-dialog").get_by_role("button", name="Delete").click()
    expect(page.locator(".undo-notice")).to_contain_text("Deleted “Front tires 32 psi”")
    assert blocking_violations(page, f"undo notice ({name})") == []
    shot(page, f"undo-notice-{name}")
    page.locator(".undo-notice button").click()
    expect(page.locator(".chat-header h1")).to_have_text("Front tires 32 psi")


def test_without_javascript_rename_pin_and_delete_are_forms(open_page, live_server, fake):
    page = open_page(PHONE, "dark", js=False)
    save_key(page, live_server)
    page.goto(live_server + "/")
    for text in ("Oil change interval", "Tire pressure"):
        fake.queue(Reply("Noted."))
        page.goto(live_server + "/")
        page.fill("#message", text)
        page.click("#send")
    page.click("#conv-actions > summary")
    page.fill("#head-title", "Front tires")
    page.locator("#conv-actions button:has-text('Rename')").click()
    expect(page.locator(".chat-header h1")).to_have_text("Front tires")
    page.click("#conv-actions > summary")
    page.fill("#head-title", " ")
    page.locator("#conv-actions button:has-text('Rename')").click()
    expect(page.locator(".flash-error")).to_contain_text("needs a name")
    expect(page.locator(".chat-header h1")).to_have_text("Front tires")

    page.goto(live_server + "/")
    page.click("#drawer-open")  # a link to #conversations: the drawer opens without script
    oil = page.locator(".conv-item", has_text="Oil change interval")
    oil.locator("details.item-menu > summary").click()
    oil.locator("button:has-text('Pin to the top')").click()
    labels = page.locator(".conv-group-label").all_inner_texts()
    assert [label.strip().lower() for label in labels] == ["pinned", "today"]

    page.click("#drawer-open")
    page.locator(".conv-item", has_text="Front tires").locator("summary").click()
    page.locator(".conv-item", has_text="Front tires").locator("a.delete-link").click()
    expect(page.locator("h1")).to_have_text("Delete this conversation?")
    confirm_url = page.url
    page.get_by_role("button", name="Delete").click()
    expect(page.locator(".undo-notice")).to_contain_text("Front tires")
    page.locator(".undo-notice button").click()
    expect(page.locator(".chat-header h1")).to_have_text("Front tires")

    # axe needs script: the confirmation page is checked in a page that runs it.
    checker = page.context.browser.new_context(viewport=PHONE, color_scheme="dark")
    try:
        checker.add_cookies(page.context.cookies())
        other = checker.new_page()
        other.goto(confirm_url)
        assert blocking_violations(other, "the delete confirmation page") == []
    finally:
        checker.close()


def test_the_sidebar_groups_by_local_day_and_loads_older_ones(open_page, live_server, fake, app):
    from models import Conversation, db

    # Late evening in Honolulu is already tomorrow in UTC: the groups follow the browser.
    page = open_page(DESKTOP, "light", timezone_id="Pacific/Honolulu")
    save_key(page, live_server)
    page.goto(live_server + "/")
    fake.queue(Reply("Noted."))
    send(page, "Newest")
    with app.app_context():
        owner = db.session.scalars(db.select(Conversation.owner_id)).first()
        now = datetime.now(UTC)
        for n in range(70):
            db.session.add(
                Conversation(
                    owner_id=owner,
                    title=f"Older chat {n:02}",
                    updated_at=now - timedelta(days=1 + n),
                )
            )
        db.session.commit()
        oldest = db.session.scalar(
            db.select(Conversation.id).where(Conversation.title == "Older chat 69")
        )
    # Open one that is not on the sidebar's first page: once loaded, it is marked as open.
    page.goto(f"{live_server}/c/{oldest}")
    labels = [
        label.strip().lower() for label in page.locator(".conv-group-label").all_inner_texts()
    ]
    assert labels == ["today", "yesterday", "last 7 days", "older"]
    expect(page.locator(".conv-item")).to_have_count(50)
    expect(page.locator(".conv-link[aria-current=page]")).to_have_count(0)
    page.click("#more-conversations a")
    expect(page.locator(".conv-item")).to_have_count(71)
    expect(page.locator(".conv-link[aria-current=page]")).to_have_count(1)
    expect(page.locator(f"#conv-{oldest} .conv-link")).to_have_attribute("aria-current", "page")
    expect(page.locator("#more-conversations")).to_have_count(0)
    assert page.locator(".conv-group[data-group=Older] .conv-item").count() == 71 - 7
    assert blocking_violations(page, "a long sidebar") == []


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_opening_a_long_conversation_at_a_version_keeps_the_page_in_place(
    open_page, live_server, fake, js
):
    """The page opens at #m<id>: only the conversation scrolls there, never the page (the
    top bar stays in view and nothing empty shows below the message box)."""
    page = open_page(DESKTOP, "light", js=js)
    save_key(page, live_server)
    page.goto(live_server + "/")
    long_answer = "\n\n".join(f"Step {n}: check part {n} of the brake system." for n in range(40))
    fake.queue(Reply(long_answer), Reply("Short answer."), Reply("Another try."))
    answered = "#messages > li.msg-assistant:not(.status-streaming)"
    for count, question in enumerate(("My brakes squeal", "Only when cold"), start=1):
        page.fill("#message", question)
        if js:
            page.press("#message", "Enter")
            expect(page.locator(answered)).to_have_count(count)
        else:
            page.click("#send")
    page.locator("#messages > li.msg-assistant form.regenerate button").last.click()
    expect(page.locator("#messages > li.msg-assistant .version-count").last).to_have_text("2 / 2")
    page.get_by_role("button", name="Previous version of this answer").last.click()
    expect(page.locator("#messages > li.msg-assistant .version-count").last).to_have_text("1 / 2")
    assert page.evaluate(
        "() => [window.scrollY, document.documentElement.scrollHeight - window.innerHeight]"
    ) == [0, 0]
    expect(page.locator("header.topbar")).to_be_in_viewport()
