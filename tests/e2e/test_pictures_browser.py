"""Pictures in Chromium against the shipped server: chosen with the file picker, dropped on
the message box or pasted into it, previewed and removable, refused at once when they would
be refused, sent with the streamed message and shown as thumbnails that open the picture;
and the plain file field without JavaScript. Phone and desktop, light and dark, axe-clean."""

from __future__ import annotations

import base64
import io
import os
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.support.browser import (
    DESKTOP,
    LAYOUTS,
    PHONE,
    blocking_violations,
    horizontal_overflow,
    save_key,
)
from tests.support.fake_openrouter import Reply, picture_parts

pytestmark = pytest.mark.browser

VISION = "openai/gpt-4o-mini"
SHOTS = os.environ.get("SHOTS_DIR")


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png")


def photo(color=(150, 80, 40), size=(640, 480)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG", quality=85)
    return out.getvalue()


def choose_vision_model(page, base: str) -> None:
    save_key(page, base)
    page.goto(base + "/settings")
    page.locator(f"input[name=model][value='{VISION}']").check()
    page.click("button:has-text('Save')")


def drop(page, selector: str, name: str, data: bytes, mime: str = "image/jpeg") -> None:
    """Drop a file on an element as a drag from the desktop would."""
    page.evaluate(
        """([selector, name, b64, mime]) => {
            const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, {type: mime}));
            const target = document.querySelector(selector);
            for (const type of ["dragenter", "dragover", "drop"]) {
                target.dispatchEvent(new DragEvent(type, {bubbles: true, cancelable: true,
                                                          dataTransfer: transfer}));
            }
        }""",
        [selector, name, base64.b64encode(data).decode(), mime],
    )


def paste(page, selector: str, name: str, data: bytes) -> None:
    page.evaluate(
        """([selector, name, b64]) => {
            const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, {type: "image/png"}));
            const event = new ClipboardEvent("paste", {bubbles: true, cancelable: true,
                                                       clipboardData: transfer});
            document.querySelector(selector).dispatchEvent(event);
        }""",
        [selector, name, base64.b64encode(data).decode()],
    )


@pytest.mark.parametrize(("viewport", "scheme"), LAYOUTS)
def test_pictures_are_chosen_previewed_and_sent_with_the_streamed_message(
    open_page, live_server, fake, viewport, scheme
):
    page = open_page(viewport, scheme)
    choose_vision_model(page, live_server)
    page.goto(live_server + "/")
    name = f"{viewport['width']}-{scheme}"

    page.set_input_files(
        "#images", files=[{"name": "tire.jpg", "mimeType": "image/jpeg", "buffer": photo()}]
    )
    drop(page, "#composer", "leak.jpg", photo((30, 90, 160)))
    png = io.BytesIO()
    Image.new("RGB", (200, 100), (10, 10, 10)).save(png, "PNG")
    paste(page, "#message", "screenshot.png", png.getvalue())
    previews = page.locator(".picture-preview")
    expect(previews).to_have_count(3)
    expect(previews.locator("img").first).to_be_visible()
    page.get_by_role("button", name="Remove picture 3, screenshot.png").click()
    expect(previews).to_have_count(2)
    shot(page, f"composer-pictures-{name}")
    assert horizontal_overflow(page) == 0
    assert blocking_violations(page, f"pictures chosen ({name})") == []

    fake.queue(Reply("The tread is worn to the wear bars: replace both tires."))
    page.fill("#message", "How worn is this tread?")
    page.press("#message", "Enter")
    expect(page.locator("#messages > li.msg-assistant:not(.status-streaming)")).to_have_count(1)
    thumbs = page.locator("#messages > li.msg-user .msg-pictures img")
    expect(thumbs).to_have_count(2)
    assert thumbs.first.get_attribute("alt") == "tire.jpg"
    expect(previews).to_have_count(0)  # the box let go of them once the message was stored
    assert len(picture_parts(fake.chat_requests[-1].body)) == 2
    # A thumbnail loads and opens the full picture.
    assert thumbs.first.evaluate("img => img.complete && img.naturalWidth > 0")
    href = page.locator("#messages > li.msg-user .msg-pictures a").first.get_attribute("href")
    full = page.request.get(live_server + href)
    assert full.status == 200 and full.headers["content-type"] == "image/jpeg"
    shot(page, f"sent-pictures-{name}")
    assert blocking_violations(page, f"pictures sent ({name})") == []


def test_what_would_be_refused_is_said_at_once_and_the_text_stays(open_page, live_server, fake):
    page = open_page(PHONE, "light")
    choose_vision_model(page, live_server)
    page.goto(live_server + "/")
    page.fill("#message", "Keep this text")
    drop(page, "#composer", "notes.txt", b"hello", "text/plain")
    expect(page.locator(".composer-pictures .form-error")).to_contain_text("notes.txt")
    page.set_input_files(
        "#images",
        files=[
            {"name": f"p{n}.jpg", "mimeType": "image/jpeg", "buffer": photo()} for n in range(5)
        ],
    )
    expect(page.locator(".picture-preview")).to_have_count(4)
    expect(page.locator(".composer-pictures .form-error")).to_contain_text("up to 4 pictures")
    expect(page.locator("#message")).to_have_value("Keep this text")
    assert fake.chat_requests == []


def test_a_model_that_cannot_see_offers_one_that_can_and_keeps_everything(
    open_page, live_server, fake
):
    page = open_page(DESKTOP, "dark")
    save_key(page, live_server)  # the default model takes no pictures
    page.goto(live_server + "/")
    page.set_input_files(
        "#images", files=[{"name": "dash.jpg", "mimeType": "image/jpeg", "buffer": photo()}]
    )
    page.fill("#message", "Which warning light is this?")
    page.press("#message", "Enter")
    error = page.locator("#composer .form-error[role=alert]").first
    expect(error).to_contain_text("cannot see pictures")
    expect(page.locator("#message")).to_have_value("Which warning light is this?")
    expect(page.locator(".picture-preview")).to_have_count(1)
    assert fake.chat_requests == []
    shot(page, "blind-model-desktop-dark")
    error.get_by_role("button", name=f"Use {VISION}").click()
    expect(page.locator("#current-model")).to_have_text(VISION)
    fake.queue(Reply("That is the tire pressure warning light (ISO 2575 symbol)."))
    page.press("#message", "Enter")
    expect(page.locator("#messages > li.msg-user .msg-pictures img")).to_have_count(1)
    # The question shows as soon as it is stored, before the model is asked: the reply
    # on screen is what says the request was made.
    expect(page.locator("#messages > li.msg-assistant").last).to_contain_text(
        "tire pressure warning light"
    )
    assert fake.chat_requests[-1].body["model"] == VISION


def test_without_javascript_the_file_field_sends_pictures(open_page, live_server, fake):
    page = open_page(PHONE, "dark", js=False)
    choose_vision_model(page, live_server)
    page.goto(live_server + "/")
    page.set_input_files(
        "#images", files=[{"name": "bulge.jpg", "mimeType": "image/jpeg", "buffer": photo()}]
    )
    fake.queue(Reply("A sidewall bulge: replace the tire before driving on."))
    page.fill("#message", "Is this bulge safe?")
    page.click("#send")
    expect(page.locator("#messages > li.msg-user .msg-pictures img")).to_have_count(1)
    assert len(picture_parts(fake.chat_requests[-1].body)) == 1
    # A picture alone is a message too (the text box is not required).
    page.set_input_files(
        "#images", files=[{"name": "tread.jpg", "mimeType": "image/jpeg", "buffer": photo()}]
    )
    fake.queue(Reply("The tread looks fine."))
    page.click("#send")
    expect(page.locator("#messages > li.msg-user .msg-pictures img")).to_have_count(2)
    # A refusal keeps the text (the file must be chosen again: browsers never refill it).
    page.set_input_files(
        "#images",
        files=[{"name": "x.gif", "mimeType": "image/gif", "buffer": b"GIF89a" + b"0" * 40}],
    )
    page.fill("#message", "And this one?")
    page.click("#send")
    expect(page.locator("#message-error")).to_contain_text("x.gif")
    expect(page.locator("#message")).to_have_value("And this one?")
    shot(page, "refused-no-js-phone-dark")


def test_a_narrow_phone_keeps_long_names_inside_the_screen(open_page, live_server, fake):
    from tests.support.browser import NARROW

    page = open_page(NARROW, "light")
    choose_vision_model(page, live_server)
    page.goto(live_server + "/")
    long_name = "IMG_" + "9" * 120 + ".jpg"
    page.set_input_files(
        "#images",
        files=[
            {"name": name, "mimeType": "image/jpeg", "buffer": photo()}
            for name in (long_name, "b.jpg", "c.jpg", "d.jpg")
        ],
    )
    expect(page.locator(".picture-preview")).to_have_count(4)
    shot(page, "narrow-long-names")
    wide = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1)
            .map(el => el.tagName + '.' + el.className).slice(0, 8)"""
    )
    assert horizontal_overflow(page) == 0, wide
    remove = page.get_by_role("button", name=f"Remove picture 1, {long_name}")
    box = remove.bounding_box()
    assert box["x"] + box["width"] <= 320
    shot(page, "narrow-long-names")
