"""Share links and pairing in Chromium, on a phone (390×844) and a desktop, light and dark:
share from the Actions menu, read the link in a browser with no cookies, revoke it in
Settings (then 404); make a pairing link (with its QR code) in one browser, confirm it in
another, which then sees the first one's conversation. axe-core finds nothing serious."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.browser import (
    DESKTOP,
    PHONE,
    blocking_violations,
    horizontal_overflow,
    save_key,
)
from tests.support.fake_openrouter import Reply

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("SHARING_SHOTS", "/tmp/shots_sharing"))
LAYOUTS = [
    pytest.param(PHONE, "light", True, id="phone-light"),
    pytest.param(PHONE, "dark", False, id="phone-dark-no-js"),
    pytest.param(DESKTOP, "light", False, id="desktop-light-no-js"),
    pytest.param(DESKTOP, "dark", True, id="desktop-dark"),
]
ANSWER = "A **P0420** means the catalytic converter works below threshold."


def axe_clean(page, where: str, js: bool) -> bool:
    """No serious axe-core finding. axe runs as a script, so only where JavaScript is on;
    the no-JS layouts serve the same markup, checked in the other layouts."""
    if js:
        assert blocking_violations(page, where) == []
    return True


def shot(page, name: str, viewport: dict, scheme: str, full: bool = True) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    size = "phone" if viewport == PHONE else "desktop"
    page.screenshot(path=str(SHOTS / f"{name}-{size}-{scheme}.png"), full_page=full)


def start_conversation(page, base: str, question: str) -> str:
    """Send a question with the page's form (streamed with JavaScript); return /c/<id>."""
    page.goto(base + "/")
    page.fill("#message", question)
    page.click("#send")
    page.locator(".msg-assistant", has_text="catalytic converter").wait_for()
    page.wait_for_url(re.compile(r"/c/[0-9a-f]{32}"))
    path = re.search(r"/c/[0-9a-f]{32}", page.url).group(0)
    page.goto(base + path)  # a streamed first reply leaves the header of a new chat
    return path


@pytest.mark.parametrize(("viewport", "scheme", "js"), LAYOUTS)
def test_share_from_the_menu_read_it_elsewhere_and_revoke_it(
    open_page, live_server, fake, viewport, scheme, js
):
    owner = open_page(viewport, scheme, js=js)
    save_key(owner, live_server)
    fake.queue(Reply(ANSWER))
    conversation = start_conversation(owner, live_server, "What does P0420 mean?")

    owner.click("#conv-actions summary")
    owner.click("text=Share a read-only link")
    expect(owner.locator("h1", has_text="Read-only link made")).to_be_visible()
    field = owner.locator("#share-url")
    expect(field).to_be_visible()
    link = field.input_value()
    assert re.fullmatch(r"https?://\S+/s/[A-Za-z0-9_-]{43}", link)
    assert field.get_attribute("readonly") is not None
    box = field.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
    copy = owner.locator("#share-copy")
    if js:  # the Copy button is the script's; without it the field selects itself
        expect(copy).to_be_visible()
        field.focus()
        assert owner.evaluate(
            "() => { const f = document.getElementById('share-url');"
            " return f.selectionStart === 0 && f.selectionEnd === f.value.length; }"
        )
        copy.click()
        expect(owner.locator("#share-copy-status")).not_to_be_empty()
    else:
        expect(copy).to_be_hidden()
    expect(
        owner.locator(f'a[href$="{conversation}"]', has_text="Back to the conversation")
    ).to_be_visible()
    assert horizontal_overflow(owner) == 0
    shot(owner, "share-made", viewport, scheme, full=False)

    reader = open_page(viewport, scheme, js=js)  # a fresh context: no cookies at all
    response = reader.goto(link)
    assert response.status == 200
    assert response.headers["x-robots-tag"] == "noindex, nofollow"
    assert response.headers["referrer-policy"] == "no-referrer"
    expect(reader.locator("h1")).to_have_text("What does P0420 mean?")
    expect(reader.locator(".msg-user")).to_have_text(re.compile("What does P0420 mean"))
    expect(reader.locator(".msg-assistant strong")).to_have_text("P0420")
    expect(reader.locator("form")).to_have_count(0)
    expect(reader.locator("textarea")).to_have_count(0)
    assert reader.locator('meta[name="robots"]').get_attribute("content") == "noindex, nofollow"
    assert horizontal_overflow(reader) == 0
    assert axe_clean(reader, f"shared page ({scheme})", js)
    shot(reader, "share-page", viewport, scheme)

    owner.goto(live_server + "/settings#shares")
    section = owner.locator("#shares")
    expect(section).to_contain_text("What does P0420 mean?")
    section.scroll_into_view_if_needed()
    assert axe_clean(owner, f"settings with shares ({scheme})", js)
    section.screenshot(path=str(SHOTS / f"settings-shares-{viewport['width']}-{scheme}.png"))
    section.get_by_role("button", name=re.compile("Revoke")).click()
    expect(owner.locator(".flash")).to_contain_text("is revoked")
    expect(owner.locator("#shares")).to_contain_text("You have no shared links.")

    assert reader.goto(link).status == 404


@pytest.mark.parametrize(("viewport", "scheme", "js"), LAYOUTS)
def test_pair_another_browser_which_then_sees_the_conversation(
    open_page, live_server, fake, viewport, scheme, js
):
    first = open_page(viewport, scheme, js=js)
    save_key(first, live_server)
    fake.queue(Reply(ANSWER))
    conversation = start_conversation(first, live_server, "Is P0420 serious?")

    first.goto(live_server + "/settings#devices")
    first.get_by_role("button", name="Make a pairing link").click()
    devices = first.locator("#devices")
    qr = devices.locator("img.pairing-qr")
    expect(qr).to_be_visible()
    # The QR code is a data: image the CSP admits, drawn at its full size.
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    assert qr.get_attribute("src").startswith("data:image/svg+xml")
    link = devices.locator("#pairing-url").input_value()
    assert re.fullmatch(r"https?://\S+/pair/[A-Za-z0-9_-]{22}", link)
    assert horizontal_overflow(first) == 0
    assert axe_clean(first, f"settings with a pairing link ({scheme})", js)
    devices.screenshot(path=str(SHOTS / f"settings-devices-qr-{viewport['width']}-{scheme}.png"))

    second = open_page(viewport, scheme, js=js)
    second.goto(link)
    expect(second.locator("h1")).to_have_text("Attach this browser?")
    expect(second.locator("main")).to_contain_text("same conversations and vehicle")
    assert axe_clean(second, f"pairing confirm page ({scheme})", js)
    shot(second, "pair-confirm", viewport, scheme)
    second.get_by_role("button", name="Attach this browser").click()
    expect(second.locator(".flash")).to_contain_text("now shows the same conversations")
    second.goto(live_server + conversation)
    expect(second.locator(".msg-user")).to_contain_text("Is P0420 serious?")

    # The link is spent; the first browser lists the second and can sign it out.
    again = open_page(viewport, scheme, js=js)
    assert again.goto(link).status == 410
    expect(again.locator("h1")).to_have_text("This pairing link was already used")
    first.reload()  # (a goto to the same address with its #devices would not reload)
    rows = first.locator("#devices .item-row")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("Chrome on Linux")
    first.locator("#devices").screenshot(
        path=str(SHOTS / f"settings-devices-list-{viewport['width']}-{scheme}.png")
    )
    rows.get_by_role("button", name=re.compile("Sign out")).click()
    expect(first.locator(".flash")).to_contain_text("is signed out")

    assert second.goto(live_server + conversation).status == 404
    second.goto(live_server + "/")
    expect(second.locator("h1")).to_have_text("New conversation")


def test_a_shared_photo_shows_to_a_stranger_and_goes_with_the_link(
    open_page, live_server, fake, tmp_path
):
    """Issue 14: the shared page shows the question's photo to a browser with no cookies,
    from the share's own address (never the owner's /attachments one); revoked, 404."""
    from PIL import Image

    photo = tmp_path / "tire.jpg"
    Image.new("RGB", (640, 480), (120, 90, 60)).save(photo, "JPEG")
    owner = open_page(DESKTOP, "light", js=False)
    save_key(owner, live_server)
    owner.goto(live_server + "/settings")
    owner.check('input[name="model"][value="openai/gpt-4o-mini"]')  # a model that sees
    owner.click("button:has-text('Save')")
    owner.wait_for_selector(".masked-key")
    fake.queue(Reply("Replace that tire."))
    owner.goto(live_server + "/")
    owner.fill("#message", "Is this bulge dangerous?")
    owner.set_input_files("#images", str(photo))
    owner.click("#send")
    owner.wait_for_url(re.compile(r"/c/[0-9a-f]{32}"))
    expect(owner.locator(".msg-user img")).to_have_count(1)
    owner.click("#conv-actions summary")
    owner.click("text=Share a read-only link")
    link = owner.locator("#share-url").input_value()

    reader = open_page(DESKTOP, "light", js=True)
    assert reader.goto(link).status == 200
    thumbnail = reader.locator(".msg-user .msg-pictures img")
    expect(thumbnail).to_have_attribute("alt", "tire.jpg")
    thumbnail.scroll_into_view_if_needed()
    reader.wait_for_function(
        "() => { const i = document.querySelector('.msg-pictures img');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    assert "/attachments/" not in reader.content()
    full = reader.locator(".msg-pictures a").get_attribute("href")
    assert full.endswith("/pictures/1")
    response = reader.goto(live_server + full)
    assert response.status == 200 and response.headers["content-type"] == "image/jpeg"
    assert response.headers["x-content-type-options"] == "nosniff"

    owner.goto(live_server + "/settings#shares")
    owner.locator("#shares").get_by_role("button", name=re.compile("Revoke")).click()
    expect(owner.locator(".flash")).to_contain_text("is revoked")
    assert reader.goto(live_server + full).status == 404
