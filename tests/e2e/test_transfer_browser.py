"""Export a conversation from the Actions menu and import it back from Settings, with and
without JavaScript; a bad file keeps Settings with the reason beside the field. The
Settings section on a phone (390×844) and a desktop, light and dark: axe-clean, no overflow."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.browser import LAYOUTS, PHONE, blocking_violations, horizontal_overflow

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots_transfer")
VIN = "1HGCM82633A004352"


def send_first_message(page, base: str, text: str) -> str:
    """Start a conversation from the chat page (answered offline: no key); return its URL."""
    page.goto(base + "/")
    page.fill("#message", text)
    page.click("#send")
    page.wait_for_url(re.compile(r".*/c/[0-9a-f]{32}.*"))
    page.locator(".msg-assistant:not(.status-streaming)").first.wait_for()
    url = page.url.split("#")[0]
    page.goto(url)  # a streamed first reply leaves the header as it was on the empty page
    return url


def texts(page) -> list[str]:
    return [t.strip() for t in page.locator(".msg .msg-body, .msg .content").all_inner_texts()]


def test_export_json_from_the_actions_menu_and_import_it_from_settings(page, live_server, tmp_path):
    url = send_first_message(page, live_server, f"My VIN is {VIN}, what car is it?")
    shown = page.locator(".msg").all_inner_texts()
    assert any(VIN in text for text in shown)

    page.click("#conv-actions summary")
    link = page.get_by_role("link", name="Export as JSON")
    expect(link).to_be_visible()
    expect(page.get_by_role("link", name="Export as Markdown")).to_be_visible()
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "actions-menu.png"))
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    # The browser takes the UTF-8 name (filename*): the title's own letters and case.
    assert re.fullmatch(
        r"My-VIN-is-1HGCM82633A004352-what-car-is-it-\d{4}-\d\d-\d\d\.json",
        download.suggested_filename,
    ), download.suggested_filename
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    document = json.loads(saved.read_text())
    assert document["format"] == "autochat.conversation"
    assert [m["role"] for m in document["conversation"]["messages"]] == ["user", "assistant"]

    page.goto(live_server + "/settings")
    page.set_input_files("#import-file", str(saved))
    page.click("#import-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/c/[0-9a-f]{32}.*"))
    assert page.url.split("#")[0] != url
    expect(page.locator(".flash")).to_contain_text("Imported “My VIN is")
    expect(page.locator(".flash")).to_contain_text("(2 messages)")
    imported = page.locator(".msg").all_inner_texts()
    assert imported == shown


def test_a_bad_file_shows_the_reason_beside_the_field_and_keeps_the_page(
    page, live_server, tmp_path
):
    bad = tmp_path / "broken.json"
    bad.write_text('{"format": "autochat.conversation", "version": 2, "conversation": {}}')
    page.goto(live_server + "/settings")
    page.set_input_files("#import-file", str(bad))
    page.click("#import-form button[type=submit]")
    error = page.locator("#import-file-error")
    expect(error).to_contain_text(
        "version “2” (made by a newer release) is not one this server reads"
    )
    expect(page.locator("#import-file")).to_have_attribute("aria-invalid", "true")
    # Still Settings, with the rest of the page.
    expect(page.locator("h1")).to_have_text("Settings")
    expect(page.locator("#api_key")).to_be_visible()
    # (axe needs scripts; the layouts test below runs it on this same state.)


@pytest.mark.parametrize(("viewport", "scheme"), LAYOUTS)
def test_the_settings_section_fits_and_passes_axe(
    open_page, live_server, viewport, scheme, tmp_path
):
    page = open_page(viewport, scheme)
    page.goto(live_server + "/settings")
    section = page.locator("#transfer")
    section.scroll_into_view_if_needed()
    expect(page.get_by_role("heading", name="Your conversations")).to_be_visible()
    expect(page.get_by_role("link", name="Export all conversations")).to_be_visible()
    expect(page.get_by_label("Import conversations")).to_have_attribute(
        "accept", ".json,.zip,application/json,application/zip"
    )
    assert horizontal_overflow(page) == 0
    assert blocking_violations(page, f"Settings ({scheme})") == []
    SHOTS.mkdir(exist_ok=True)
    name = f"settings-{'phone' if viewport == PHONE else 'desktop'}-{scheme}"
    section.screenshot(path=str(SHOTS / f"{name}.png"))

    bad = tmp_path / "not.json"
    bad.write_bytes(b"\xff\xfe not text")
    page.set_input_files("#import-file", str(bad))
    page.click("#import-form button[type=submit]")
    expect(page.locator("#import-file-error")).to_contain_text("is not UTF-8 text")
    assert horizontal_overflow(page) == 0
    assert blocking_violations(page, f"Settings with an error ({scheme})") == []
    page.locator("#transfer").screenshot(path=str(SHOTS / f"{name}-error.png"))


def test_the_archive_downloads_from_settings(js_page, live_server):
    send_first_message(js_page, live_server, "Brakes squeal when cold")
    js_page.goto(live_server + "/settings")
    with js_page.expect_download() as download_info:
        js_page.click("#export-all")
    assert re.fullmatch(
        r"autochat-conversations-\d{4}-\d\d-\d\d\.zip", download_info.value.suggested_filename
    )
