"""What a visitor sees when things fail on our side, in Chromium at phone and desktop size,
light and dark: sessions down (the notice, a send that goes through), an interrupted answer
(its text and Retry), and the page Nginx shows when no app server answers."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from models import utcnow
from tests.support import free_port
from tests.support.browser import (
    DESKTOP,
    LAYOUTS,
    blocking_violations,
    horizontal_overflow,
    save_key,
    send,
)
from tests.support.fake_openrouter import Reply

pytestmark = pytest.mark.browser

# Screenshots for a person to look at (kept out of the checkout).
SHOTS = Path(os.environ.get("SCREENSHOT_DIR", "/tmp/automotive-chat-screenshots"))


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


@pytest.fixture
def sessions_down(gunicorn_servers, migrated):
    """The shipped server whose Redis does not answer; it has a key of its own."""
    server = gunicorn_servers.start(
        "redis-down-browser", REDIS_URL=f"redis://127.0.0.1:{free_port()}/0"
    )
    return server.base


@pytest.mark.parametrize(("viewport", "scheme"), LAYOUTS)
def test_sessions_down_says_so_and_a_message_still_goes_through(
    open_page, sessions_down, fake, viewport, scheme, request
):
    page = open_page(viewport, scheme)
    page.goto(sessions_down + "/")
    fake.queue(Reply("Check the battery terminals for corrosion first."))
    # The first page's token was made before the server knew; the page renews it and
    # sends again by itself.
    send(page, "Car cranks slowly on cold mornings")
    page.locator(".msg-assistant.status-ok", has_text="Check the battery terminals").wait_for()
    notice = page.locator(".flash-error", has_text="Sessions are unavailable right now")
    page.reload()
    assert notice.is_visible()
    assert "Chats use this server's key meanwhile." in notice.inner_text()
    assert horizontal_overflow(page) == 0
    assert blocking_violations(page, "sessions down") == []
    shot(page, f"sessions-down-{request.node.callspec.id}")


@pytest.fixture
def interrupted(live_server, app, migrated, fake, open_page):
    """A conversation whose last question's worker died after writing a few words."""
    page = open_page(DESKTOP, "light")
    save_key(page, live_server)
    page.goto(live_server + "/")
    fake.queue(Reply("A misfire under load is often a coil."))
    send(page, "Misfire on cylinder 3")
    cookies = page.context.cookies()
    conversation_id = page.url.split("/c/", 1)[1].split("#", 1)[0]
    engine = sa.create_engine(migrated)
    with engine.begin() as connection:
        tip = connection.execute(
            sa.text("SELECT max(id) FROM message WHERE conversation_id = :c"),
            {"c": conversation_id},
        ).scalar()
        connection.execute(
            sa.text(
                "INSERT INTO message (conversation_id, role, content, status, parent_id,"
                " chosen, on_path, created_at, answering_until, answered_by, answer_so_far)"
                " VALUES (:c, 'user', 'And it shakes at idle now', 'ok', :p, true, true, :t,"
                " :u, 'a-machine-elsewhere:1', :s)"
            ),
            {
                "c": conversation_id,
                "p": tip,
                "t": utcnow(),
                "u": utcnow() - timedelta(seconds=1),
                "s": "A shake at idle with a misfire points to the same coil:",
            },
        )
    engine.dispose()
    return conversation_id, cookies


@pytest.mark.parametrize(("viewport", "scheme"), LAYOUTS)
def test_an_interrupted_answer_shows_its_text_and_retry_answers_it(
    open_page, live_server, interrupted, fake, viewport, scheme, request
):
    conversation_id, cookies = interrupted
    page = open_page(viewport, scheme)
    page.context.add_cookies(cookies)
    page.goto(f"{live_server}/c/{conversation_id}")
    card = page.locator(".msg-assistant").last
    assert "Interrupted" in card.inner_text()
    assert "points to the same coil" in card.inner_text()
    assert "The answer was interrupted" in card.inner_text()
    assert horizontal_overflow(page) == 0
    assert blocking_violations(page, "interrupted answer") == []
    shot(page, f"interrupted-{request.node.callspec.id}")
    fake.queue(Reply("Swap coils 3 and 2 and see whether the misfire follows."))
    page.locator("form.retry button").last.click()
    page.wait_for_selector("text=Swap coils 3 and 2")
    assert page.locator(".msg-assistant", has_text="The answer was interrupted").count() == 0


@pytest.mark.parametrize(("viewport", "scheme"), LAYOUTS)
def test_the_page_for_no_app_server_reads_well(open_page, live_server, viewport, scheme, request):
    page = open_page(viewport, scheme)
    page.goto(live_server + "/static/errors/unavailable.html")
    assert page.get_by_text("If you sent a message, it was saved").is_visible()
    assert horizontal_overflow(page) == 0
    assert blocking_violations(page, "no app server page") == []
    shot(page, f"unavailable-{request.node.callspec.id}")
