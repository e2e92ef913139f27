"""The chat page as a visitor sees it, on a phone (390×844) and a desktop (1366×900), light
and dark: layout, drawer, themes, local times, screen readers, right-to-left text, code,
the offline summary, the vehicle form, error badges and example questions."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.support.browser import (
    DESKTOP,
    LAYOUTS,
    NARROW,
    PHONE,
    blocking_violations,
    box,
    css,
    horizontal_overflow,
    save_key,
    send,
)
from tests.support.fake_openrouter import Error, Reply, Stream

pytestmark = pytest.mark.browser


CODE_LINE = (
    "print('the downstream oxygen sensor should stay steady while the upstream one switches')"
)
LONG_REPLY = f"""**P0420** means the converter stores less oxygen than it should.

> [!WARNING] Before you start
> Let the exhaust cool down first.

```python
def catalyst_ok(swing_up: float, swing_down: float) -> bool:
    return swing_down < 0.2 * swing_up  # rule of thumb
{CODE_LINE}
```

| Reading | Healthy converter | Worn converter | Cost | Where | Notes |
|---|---|---|---|---|---|
| Downstream O2 | steady<br>0.6–0.7 V | mirrors upstream | $900+ | after it | Supercalifragilistic |

Recalls: https://www.nhtsa.gov/recalls?vin=1HGCM82633A004352&component=exhaust-system-catalytic

The end of the reply."""


def send_without_js(page, text: str) -> None:
    page.fill("#message", text)
    page.click("#send")
    page.wait_for_url(re.compile(r".*/c/[0-9a-f]{32}(#m\d+)?$"))


def luminance(rgb: str) -> float:
    """Relative luminance of a computed "rgb(r, g, b)" colour."""
    channels = [int(c) / 255 for c in re.findall(r"\d+", rgb)[:3]]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


# ---------------------------------------------------------------- 1, 2: layout


@pytest.mark.parametrize(("viewport", "scheme"), LAYOUTS)
def test_newest_text_and_retry_stay_above_the_composer_and_nothing_is_too_wide(
    open_page, live_server, fake, viewport, scheme
):
    page = open_page(viewport, scheme)
    save_key(page, live_server)
    page.goto(live_server + "/")
    fake.queue(Reply(LONG_REPLY))
    send(page, "What does P0420 mean?")

    assert horizontal_overflow(page) == 0
    composer = box(page, "#composer")
    last = box(page, ".msg-assistant >> nth=-1")
    assert last["bottom"] <= composer["top"] + 0.5, (last, composer)
    assert page.get_by_text("The end of the reply.").is_visible()
    # Wide things scroll inside themselves: the code block and the table.
    code = page.locator(".msg-assistant pre.code").first
    table = page.locator(".msg-assistant .table-wrap").first
    assert code.evaluate("el => getComputedStyle(el).overflowX") == "auto"
    assert table.evaluate("el => getComputedStyle(el).overflowX") == "auto"
    if viewport is PHONE:
        assert code.evaluate("el => el.scrollWidth > el.clientWidth")
        # Cells break between words, never letter by letter.
        word = page.locator(".table-wrap td", has_text="Supercalifragilistic")
        lines = (
            "el => { const r = document.createRange(); r.selectNodeContents(el);"
            " return r.getClientRects().length; }"
        )
        assert word.evaluate(lines) == 1

    fake.queue(Error(429, "Rate limited upstream", retry_after="30"))
    send(page, "And the oxygen sensor?")
    retry = box(page, "form.retry button")
    composer = box(page, "#composer")
    assert retry["bottom"] <= composer["top"] + 0.5, (retry, composer)
    assert retry["top"] >= box(page, "#scroller")["top"]  # on screen, not scrolled away
    assert page.locator("form.retry button").is_visible()
    assert horizontal_overflow(page) == 0


def test_nothing_is_wider_than_a_320_pixel_screen(open_page, live_server, fake):
    page = open_page(NARROW)
    save_key(page, live_server)
    for path in ("/", "/settings", "/vehicle", "/nowhere"):
        page.goto(live_server + path)
        assert horizontal_overflow(page) == 0, path
    page.goto(live_server + "/")
    fake.queue(Reply(LONG_REPLY))
    send(page, "What does P0420 mean?")
    assert horizontal_overflow(page) == 0
    assert box(page, "#send")["right"] <= NARROW["width"]


def test_without_javascript_the_composer_covers_nothing_either(open_page, live_server, fake):
    page = open_page(PHONE, js=False)
    save_key(page, live_server)
    page.goto(live_server + "/")
    fake.queue(Reply(LONG_REPLY))
    send_without_js(page, "What does P0420 mean?")
    assert horizontal_overflow(page) == 0
    # The conversation scrolls in its own box, which ends where the composer begins.
    assert box(page, "#scroller")["bottom"] <= box(page, "#composer")["top"] + 0.5
    assert page.locator("button.copy").count() == 0  # copy buttons come with JavaScript


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_the_sidebar_is_a_drawer_on_a_phone(open_page, live_server, fake, js):
    page = open_page(PHONE, js=js)
    save_key(page, live_server)
    page.goto(live_server + "/")
    send(page, "Brakes squeal") if js else send_without_js(page, "Brakes squeal")
    sidebar = page.locator("#conversations")
    assert sidebar.is_hidden()
    page.click("#drawer-open")
    assert sidebar.is_visible()
    assert page.locator(".conversation-list a", has_text="Brakes squeal").is_visible()
    assert horizontal_overflow(page) == 0
    if js:
        assert page.get_attribute("#drawer-open", "aria-expanded") == "true"
        # Tab stays in the drawer: the conversation behind the overlay is inert.
        for _ in range(6):
            page.keyboard.press("Tab")
            focused_in = page.evaluate(
                "() => document.activeElement.closest('#conversations, #chat, .topbar')?.id"
                " || document.activeElement.closest('.topbar')?.className || 'body'"
            )
            assert focused_in != "chat", "focus went behind the open drawer"
        page.keyboard.press("Escape")
        assert sidebar.is_hidden()
        assert page.get_attribute("#drawer-open", "aria-expanded") == "false"
        page.click("#drawer-open")
    page.click("#drawer-close")
    assert sidebar.is_hidden()

    desktop = open_page(DESKTOP, js=js)
    desktop.goto(live_server + "/")
    assert desktop.locator("#conversations").is_visible()
    assert desktop.locator("#drawer-open").is_hidden()


# ---------------------------------------------------------------- 4: themes


def page_colours(page) -> tuple[str, str]:
    return css(page, "body", "background-color"), css(page, "body", "color")


def test_themes_follow_the_browser_and_the_switch_is_remembered(open_page, live_server):
    light = open_page(DESKTOP, "light")
    light.goto(live_server + "/")
    dark = open_page(DESKTOP, "dark")
    dark.goto(live_server + "/")
    light_bg, light_text = page_colours(light)
    dark_bg, dark_text = page_colours(dark)
    assert luminance(light_bg) > 0.8 and luminance(light_text) < 0.05
    assert luminance(dark_bg) < 0.02 and luminance(dark_text) > 0.7

    # The visitor picks light on a browser that asks for dark: it stays after a reload,
    # and is on the page before any of it is shown (no flash of the dark theme).
    dark.add_init_script(
        """new MutationObserver((_, observer) => {
            if (document.body) {
                window.themeAtFirstBody = document.documentElement.getAttribute("data-theme");
                observer.disconnect();
            }
        }).observe(document, {childList: true, subtree: true});"""
    )
    assert dark.locator("#theme").is_visible()
    assert dark.input_value("#theme") == "system"
    dark.select_option("#theme", "light")
    assert page_colours(dark) == (light_bg, light_text)
    dark.reload()
    assert dark.evaluate("window.themeAtFirstBody") == "light"
    assert page_colours(dark) == (light_bg, light_text)
    assert dark.input_value("#theme") == "light"
    dark.goto(live_server + "/settings")  # every page
    assert page_colours(dark) == (light_bg, light_text)
    dark.select_option("#theme", "system")
    assert page_colours(dark) == (dark_bg, dark_text)
    dark.reload()
    assert dark.evaluate("window.themeAtFirstBody") is None


def test_without_javascript_the_theme_follows_the_browser_and_no_switch_shows(
    open_page, live_server
):
    page = open_page(DESKTOP, "dark", js=False)
    page.goto(live_server + "/")
    assert luminance(css(page, "body", "background-color")) < 0.02
    assert page.locator("#theme-switch").is_hidden()


# ---------------------------------------------------------------- 5: local times


def test_times_are_local_with_the_date_when_not_today(open_page, live_server, fake, app):
    from models import Message, db

    zone = "Asia/Tokyo"
    page = open_page(DESKTOP, timezone_id=zone, locale="en-GB")
    save_key(page, live_server)
    page.goto(live_server + "/")
    send(page, "Brakes squeal")
    page.reload()
    with app.app_context():
        first = db.session.scalars(db.select(Message).order_by(Message.id)).first()
        created = first.created_at.replace(tzinfo=first.created_at.tzinfo or UTC)
        local = created.astimezone(ZoneInfo(zone))
    stamp = page.locator(".msg-user time").first
    assert stamp.inner_text() == local.strftime("%H:%M")
    assert stamp.get_attribute("datetime").endswith("Z")
    assert "UTC" not in stamp.inner_text()

    # Three days ago: the date is shown too.
    with app.app_context():
        old = datetime.now(UTC) - timedelta(days=3)
        db.session.execute(db.update(Message).where(Message.id == first.id).values(created_at=old))
        db.session.commit()
    page.reload()
    local_old = old.astimezone(ZoneInfo(zone))
    text = page.locator(".msg-user time").first.inner_text()
    # en-GB: "28 Nov, 09:16" (the month's short name is the browser's: "Sept" in September).
    # Early in January it is last year's date, and the year is shown.
    year = f" {local_old.year}" if local_old.year != datetime.now(ZoneInfo(zone)).year else ""
    assert re.fullmatch(rf"{local_old.day} [A-Z][a-z]{{2,4}}{year}, {local_old:%H:%M}", text), text

    plain = open_page(DESKTOP, js=False)
    plain.context.add_cookies(page.context.cookies())
    plain.goto(page.url)
    utc_text = plain.locator(".msg-user time").first.inner_text()
    assert utc_text == f"{old:%Y-%m-%d %H:%M} UTC"


# ---------------------------------------------------------------- 6, 7: screen readers, RTL


def test_screen_readers_hear_replies_and_errors(open_page, live_server, fake):
    page = open_page(DESKTOP)
    save_key(page, live_server)
    page.goto(live_server + "/")
    assert page.get_attribute("#announce-polite", "aria-live") == "polite"
    assert page.get_attribute("#announce-assertive", "aria-live") == "assertive"
    fake.queue(Reply("Check the brake pads first."))
    send(page, "Brakes squeal")
    polite = page.locator("#announce-polite")
    polite.filter(has_text="The assistant replied: Check the brake pads first.").wait_for()

    fake.queue(Error(503, "No provider available"))
    send(page, "And the rotors?")
    page.locator("#announce-assertive", has_text="The reply failed.").wait_for()
    assert "No provider available" in page.locator("#announce-assertive").inner_text()


def test_escape_stops_a_streaming_reply(open_page, live_server, fake):
    page = open_page(PHONE)
    save_key(page, live_server)
    gate = threading.Event()
    fake.queue(Stream(["The first part arrives", *[" more"] * 200], gate=gate, delay=0.02))
    page.goto(live_server + "/")
    page.fill("#message", "Explain a torque converter")
    page.press("#message", "Enter")
    page.locator(".status-streaming .msg-body", has_text="The first part").wait_for()
    page.keyboard.press("Escape")
    page.locator(".msg-assistant.status-stopped .badge-stopped").wait_for()
    gate.set()
    assert page.locator("#stop").is_hidden()
    page.locator("#announce-polite", has_text="Stopped").wait_for()


def test_skip_links_focus_styles_and_dir_auto(open_page, live_server, fake):
    page = open_page(DESKTOP, "dark")
    save_key(page, live_server)
    page.goto(live_server + "/")
    fake.queue(Reply("Fine."))
    send(page, "Brakes squeal")
    # The skip links come first: before the brand link, in the order they are read.
    page.focus(".brand")
    page.keyboard.press("Shift+Tab")
    assert page.locator(":focus").inner_text() == "Skip to the messages"
    page.keyboard.press("Shift+Tab")
    skip = page.locator(":focus")
    assert skip.inner_text() == "Skip to the message box"
    assert skip.is_visible()
    assert skip.evaluate("el => getComputedStyle(el).outlineStyle") != "none"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "message"

    page.locator("#send").focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")  # keyboard focus: :focus-visible
    assert css(page, "#send", "outline-style") == "solid"
    assert page.get_attribute("#message", "dir") == "auto"
    for body in page.locator(".msg-user .msg-body, .msg-assistant .msg-content").all():
        assert body.get_attribute("dir") == "auto"

    for path in ("/settings", "/vehicle"):
        page.goto(live_server + path)
        page.keyboard.press("Tab")
        assert page.locator(":focus").inner_text() == "Skip to the content"
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"


@pytest.mark.parametrize(("viewport", "scheme"), LAYOUTS)
def test_right_to_left_text_is_laid_out_right_to_left(
    open_page, live_server, fake, viewport, scheme
):
    page = open_page(viewport, scheme)
    save_key(page, live_server)
    page.goto(live_server + "/")
    fake.queue(Reply("مرحبا! ضوء فحص المحرك يعني وجود عطل.\n\n- افحص غطاء الوقود"))
    send(page, "מה פירוש נורית בדיקת המנוע?")
    fake.queue(Reply("The fuel cap is the usual suspect."))
    send(page, "And in English?")
    directions = page.locator(".msg .msg-body").evaluate_all(
        "nodes => nodes.map(n => getComputedStyle(n).direction)"
    )
    assert directions == ["rtl", "rtl", "ltr", "ltr"]
    hebrew = page.locator(".msg-user .msg-body").first
    meta = page.locator(".msg-user").first
    # Right-aligned: the text ends at the bubble's right edge, not its left.
    text_box = hebrew.evaluate(
        """el => { const r = document.createRange(); r.selectNodeContents(el);
            const t = r.getBoundingClientRect(), b = el.getBoundingClientRect();
            return {gapLeft: t.left - b.left, gapRight: b.right - t.right}; }"""
    )
    assert text_box["gapRight"] < text_box["gapLeft"], text_box
    assert meta.evaluate("el => getComputedStyle(el).direction") == "ltr"
    page.locator("#message").fill("שלום")
    assert css(page, "#message", "direction") in ("ltr", "rtl")  # dir=auto decides per text


# ---------------------------------------------------------------- 8: code, copy, links, <br>, notes


@pytest.mark.parametrize(("viewport", "scheme"), LAYOUTS)
def test_code_is_highlighted_and_copied_and_urls_become_links(
    open_page, live_server, fake, viewport, scheme
):
    page = open_page(viewport, scheme)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    save_key(page, live_server)
    page.goto(live_server + "/")
    fake.queue(Reply(LONG_REPLY))
    send(page, "What does P0420 mean?")
    reply = page.locator(".msg-assistant").last

    keyword = reply.locator("pre.code span.k").first
    assert keyword.inner_text() == "def"
    comment = reply.locator("pre.code span.c1").first
    assert css(page, ".msg-assistant pre.code span.k", "color") != css(
        page, ".msg-assistant pre.code span.c1", "color"
    )
    assert comment.inner_text() == "# rule of thumb"
    assert reply.locator("pre.code").get_attribute("data-lang") == "Python"
    assert reply.locator(".table-wrap td br").count() == 1
    assert "&lt;br" not in reply.inner_html() and "<br>" not in reply.inner_text()
    link = reply.locator("a[href^='https://www.nhtsa.gov/recalls']")
    assert link.get_attribute("rel") == "noopener noreferrer nofollow"
    note = reply.locator("blockquote.note-warning")
    assert note.locator("strong").first.inner_text() == "Before you start"
    assert css(page, ".msg-assistant blockquote.note-warning", "border-inline-start-style") == (
        "solid"
    )

    reply.locator("button", has_text="Copy code").click()
    reply.locator("button", has_text="Copied").wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("def catalyst_ok(") and copied.endswith(CODE_LINE)
    reply.locator("button", has_text="Copy reply").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("P0420 means the converter") and copied.endswith(
        "The end of the reply."
    )
    page.locator("#announce-polite", has_text="copied to the clipboard").wait_for()


def test_code_colours_differ_between_themes(open_page, live_server, fake):
    colours = {}
    for scheme in ("light", "dark"):
        page = open_page(DESKTOP, scheme)
        save_key(page, live_server)
        page.goto(live_server + "/")
        fake.queue(Reply(LONG_REPLY))
        send(page, "What does P0420 mean?")
        colours[scheme] = (
            css(page, "pre.code", "background-color"),
            css(page, "pre.code span.k", "color"),
        )
    assert colours["light"][0] != colours["dark"][0]
    assert colours["light"][1] != colours["dark"][1]


# ---------------------------------------------------------------- 9: the offline answer


@pytest.mark.parametrize(("viewport", "scheme"), LAYOUTS)
def test_the_offline_answer_summarises_and_links_to_the_cards(
    open_page, live_server, fake, viewport, scheme
):
    page = open_page(viewport, scheme)
    page.goto(live_server + "/")
    send(page, "P0420 and P0524 on 1HGCM82633A004352, can I fit 225/45R17 instead of 205/55R16?")
    reply = page.locator(".msg-assistant.status-offline")
    cards = page.locator(".msg-user .fact")
    assert cards.count() == 6  # a VIN, two codes, two tire sizes and their comparison
    # The stop-driving item comes first, in a red caution note.
    first = reply.locator(".markdown > *").nth(1)
    assert "note-caution" in first.get_attribute("class")
    assert "P0524: Engine Oil Pressure Too Low" in first.inner_text()
    assert first.locator("strong").first.inner_text() == "Stop driving"
    title_colour = first.locator("strong").first.evaluate("el => getComputedStyle(el).color")
    red, green, blue = (int(c) for c in re.findall(r"\d+", title_colour)[:3])
    assert red > green + 60 and red > blue + 60, title_colour
    headings = reply.locator("h3").all_inner_texts()
    assert headings[0].startswith("P0524") and headings[1].startswith("P0420")
    # A summary, not a copy of the cards: one line each, no bullet lists.
    assert reply.locator("li").count() == 0
    assert reply.inner_text().count("Most likely causes") == 0
    # Every card is linked, and the links lead to this message's cards.
    links = reply.locator("a[href*='-fact-']")
    assert links.count() == 6
    targets = set(links.evaluate_all("nodes => nodes.map(n => n.getAttribute('href'))"))
    ids = {"#" + card for card in cards.evaluate_all("nodes => nodes.map(n => n.id)")}
    assert targets == ids
    links.first.click()
    page.locator(".fact:target").wait_for()
    assert page.locator(".fact:target").is_visible()
    # No key: no Retry under a full offline answer.
    assert page.locator("form.retry").count() == 0
    page.reload()
    assert page.locator("form.retry").count() == 0

    save_key(page, live_server)
    page.go_back()
    page.go_back()
    page.reload()
    assert page.locator("form.retry button").is_visible()


# ---------------------------------------------------------------- 10: the vehicle form


@pytest.mark.parametrize(("viewport", "scheme"), [LAYOUTS[0], LAYOUTS[3]])
def test_the_vehicle_form_keeps_its_attributes(open_page, live_server, viewport, scheme):
    page = open_page(viewport, scheme)
    page.goto(live_server + "/vehicle")
    assert page.get_attribute("#make", "placeholder") == "Mazda"
    assert page.get_attribute("#model", "placeholder") == "MX-5 Miata"
    assert page.get_attribute("#engine", "placeholder") == "2.0L 4-cylinder"
    for field, length in (("year", "4"), ("mileage", "12")):
        assert page.get_attribute(f"#{field}", "inputmode") == "numeric"
        assert page.get_attribute(f"#{field}", "maxlength") == length
    assert page.get_attribute("#vin", "maxlength") == "20"
    assert page.get_attribute("#vin", "spellcheck") == "false"
    assert page.get_attribute("#vin", "aria-describedby") == "vin-hint"
    assert horizontal_overflow(page) == 0


# ---------------------------------------------------------------- 14: badges and examples


def test_error_badges_are_worded_for_people(open_page, live_server, fake):
    page = open_page(PHONE, "dark")
    save_key(page, live_server)
    page.goto(live_server + "/")
    fake.queue(Error(429, "Rate limited upstream", retry_after="30"))
    send(page, "Oil light on")
    badge = page.locator(".msg-assistant .badge-error")
    assert badge.inner_text() == "Rate limited"
    page.reload()
    assert page.locator(".msg-assistant .badge-error").inner_text() == "Rate limited"


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_example_questions_show_what_the_assistant_knows(open_page, live_server, fake, js):
    page = open_page(PHONE, js=js)
    page.goto(live_server + "/")
    examples = page.locator(".examples .example-button")
    kinds = page.locator(".examples .example-kind").all_inner_texts()
    assert [k.lower() for k in kinds] == [
        "a trouble code",
        "a vin",
        "a warning light",
        "a tire size",
    ]
    assert horizontal_overflow(page) == 0
    vin = examples.filter(has_text="1HGCM82633A004352")
    vin.click()
    if js:
        assert page.input_value("#message") == "Decode this VIN: 1HGCM82633A004352"
        assert page.evaluate("document.activeElement.id") == "message"
        assert page.locator(".msg").count() == 0  # filled, not sent
    else:
        page.wait_for_url(re.compile(r".*/c/[0-9a-f]{32}(#m\d+)?$"))
        assert page.locator(".msg-user .msg-body").inner_text() == (
            "Decode this VIN: 1HGCM82633A004352"
        )
        assert page.locator(".msg-user .fact-vin").count() == 1


# ---------------------------------------------------------------- axe-core, every page


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_nothing_critical_or_serious_on_any_page(open_page, live_server, fake, scheme):
    page = open_page(DESKTOP, scheme)
    phone = open_page(PHONE, scheme)
    found: list[str] = []
    page.goto(live_server + "/")
    found += blocking_violations(page, "chat, empty (no key)")
    page.goto(live_server + "/")
    send(page, "P0301 on 1HGCM82633A004352 with 225/45R17")
    found += blocking_violations(page, "chat, offline answer")

    save_key(page, live_server)
    page.goto(live_server + "/")
    found += blocking_violations(page, "chat, empty")
    fake.queue(Reply(LONG_REPLY))
    send(page, "What does P0420 mean?")
    fake.queue(Reply("Check the **fuel cap** first."))
    send(page, "And the light?")
    found += blocking_violations(page, "chat with replies")

    gate = threading.Event()
    fake.queue(Stream(["The first part arrives", *[" more"] * 100], gate=gate, delay=0.01))
    page.fill("#message", "Explain the catalyst monitor")
    page.press("#message", "Enter")
    page.locator(".status-streaming .msg-body", has_text="The first part").wait_for()
    found += blocking_violations(page, "chat, streaming")
    gate.set()
    page.locator(".msg-assistant.status-ok").nth(2).wait_for()

    fake.queue(Error(429, "Rate limited upstream", retry_after="30"))
    send(page, "And the oxygen sensor?")
    found += blocking_violations(page, "chat, error reply")
    phone.context.add_cookies(page.context.cookies())
    phone.goto(page.url)
    found += blocking_violations(phone, "chat on a phone")
    phone.click("#drawer-open")
    found += blocking_violations(phone, "chat on a phone, drawer open")

    for path, where in (("/settings", "settings"), ("/vehicle", "vehicle"), ("/no-such", "404")):
        page.goto(live_server + path)
        found += blocking_violations(page, where)
    page.goto(live_server + "/vehicle")
    page.fill("#year", "20O9")
    page.click("button:has-text('Save vehicle')")
    page.locator("#year-error").wait_for()
    found += blocking_violations(page, "vehicle, a field refused")
    assert found == []


def test_the_axe_check_fails_when_a_violation_appears(open_page, live_server):
    page = open_page(DESKTOP)
    page.goto(live_server + "/")
    assert blocking_violations(page, "clean") == []
    page.evaluate(
        """() => {
            const button = document.createElement("button");  // no name at all
            document.querySelector("#composer").appendChild(button);
            const faint = document.createElement("p");
            faint.textContent = "grey on grey";
            faint.style.color = "#c8c8c8";  // through the CSSOM, which the CSP allows
            document.querySelector(".welcome").appendChild(faint);
            document.documentElement.removeAttribute("lang");
        }"""
    )
    found = blocking_violations(page, "broken")
    assert any("button-name" in line for line in found), found
    assert any("html-has-lang" in line for line in found), found
    assert any("color-contrast" in line for line in found), found
