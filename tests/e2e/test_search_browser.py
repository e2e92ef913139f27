"""Search in Chromium, with and without JavaScript: from the sidebar's form to the results
page (matches highlighted, markup shown as text) and through a result to its message, also
in a conversation too long for the page to show it at first. Phone (390×844) and desktop,
light and dark: no overflow, axe clean."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.browser import LAYOUTS, PHONE, blocking_violations, horizontal_overflow

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots_search")


def become_owner(page, base: str, app) -> str:
    """Send a first message from the page (offline: no key) and return the owner id."""
    from models import Conversation, db

    page.goto(base + "/")
    page.fill("#message", "Hello, my car needs a check")
    page.click("#send")
    page.wait_for_url(re.compile(r"/c/[0-9a-f]{32}"))
    page.wait_for_selector(".msg-assistant:not(.status-streaming)")  # the answer is in
    cid = re.search(r"/c/([0-9a-f]{32})", page.url).group(1)
    with app.app_context():
        return db.session.get(Conversation, cid).owner_id


def store(app, owner: str, title: str, texts: list[str]) -> tuple[str, list[int]]:
    from models import Conversation, Message, db, utcnow

    with app.app_context():
        conversation = Conversation(owner_id=owner, title=title)
        db.session.add(conversation)
        db.session.flush()
        start = utcnow() - timedelta(hours=1)
        ids = []
        for n, text in enumerate(texts):
            message = Message(
                conversation_id=conversation.id,
                role="user" if n % 2 == 0 else "assistant",
                content=text,
                created_at=start + timedelta(seconds=n),
            )
            db.session.add(message)
            db.session.flush()
            ids.append(message.id)
        db.session.commit()
        return conversation.id, ids


def search_from_sidebar(page, query: str) -> None:
    if not page.locator("#sidebar-search-q").is_visible():  # a phone: the sidebar is a drawer
        page.click("#drawer-open")
    page.fill("#sidebar-search-q", query)
    page.press("#sidebar-search-q", "Enter")
    page.wait_for_url(re.compile(r"/search\?q="))


def test_search_from_the_sidebar_and_open_the_message(page, live_server, app):
    owner = become_owner(page, live_server, app)
    # The match is the oldest of 90 messages: the page shows 40 unless the link asks for more.
    texts = ["The <b>catalytic</b> converter rattles, code P0420"] + [
        f"Filler line {n}" for n in range(89)
    ]
    cid, ids = store(app, owner, "Exhaust noise", texts)
    page.goto(live_server + "/")
    search_from_sidebar(page, "p0420")

    results = page.locator(".result")
    expect(results).to_have_count(1)
    expect(results.locator("mark")).to_have_text(["P0420"])
    # Markup typed into a message is text on the results page.
    expect(results.locator(".result-snippet")).to_contain_text("<b>catalytic</b>")
    assert results.locator(".result-snippet b").count() == 0
    expect(page.locator("#search-page-q")).to_have_value("p0420")

    results.locator("a.result-link").click()
    page.wait_for_url(re.compile(rf"/c/{cid}\?show=90#m{ids[0]}$"))
    target = page.locator(f"#m{ids[0]}")
    expect(target).to_be_visible()
    expect(target).to_contain_text("P0420")
    assert page.evaluate("() => document.querySelector(':target')?.id") == f"m{ids[0]}"


def test_no_results_and_a_hostile_query(page, live_server, app):
    become_owner(page, live_server, app)
    search_from_sidebar(page, '"P0420 OR (engine*) -x <script>')
    expect(page.locator(".no-results")).to_contain_text("No conversation matches")
    page.goto(live_server + "/search")
    expect(page.locator(".search-prompt")).to_be_visible()


@pytest.mark.parametrize(("viewport", "scheme"), LAYOUTS)
def test_the_search_page_fits_and_is_accessible(open_page, live_server, app, viewport, scheme):
    page = open_page(viewport, scheme)
    owner = become_owner(page, live_server, app)
    store(
        app,
        owner,
        "Bremsbeläge quietschen nach dem Ölwechsel",
        [
            "Die Bremsbeläge vorne quietschen seit dem Wechsel; VIN 1HGCM82633A004352.",
            "Quietschende Bremsbeläge sind oft verglast. " + "Prüfen Sie die Scheiben. " * 12,
        ],
    )
    name = f"{'phone' if viewport == PHONE else 'desktop'}-{scheme}"
    SHOTS.mkdir(exist_ok=True)
    page.goto(live_server + "/")
    if viewport == PHONE:
        page.click("#drawer-open")
    page.screenshot(path=str(SHOTS / f"sidebar-{name}.png"))
    search_from_sidebar(page, "bremsbeläge")
    expect(page.locator(".result")).to_have_count(3)  # the title and two messages
    assert horizontal_overflow(page) == 0
    page.screenshot(path=str(SHOTS / f"results-{name}.png"), full_page=True)
    assert blocking_violations(page, f"search results {name}") == []
    page.goto(live_server + "/search")
    assert blocking_violations(page, f"search prompt {name}") == []
