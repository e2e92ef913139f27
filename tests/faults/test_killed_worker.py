"""A worker SIGKILLed while it answers: the turn is shown as interrupted at once, with the
text that had arrived, and Retry answers it; nothing the visitor typed is lost."""

from __future__ import annotations

import html
import threading
import time

import pytest
import requests
import sqlalchemy as sa

from tests.support.fake_openrouter import Reply, Stream, Timed
from tests.support.live import Browser, events_until_end, wait_for
from tests.support.private_services import FaultRig, record_figure

pytestmark = pytest.mark.slow

INTERRUPTED = "The answer was interrupted"


def so_far(rig: FaultRig, text: str) -> str | None:
    """The reply text the question's lease keeps (what a killed worker leaves behind)."""
    engine = sa.create_engine(rig.postgres.engine_url)
    try:
        with engine.connect() as connection:
            return connection.execute(
                sa.text("SELECT answer_so_far FROM message WHERE role = 'user' AND content = :t"),
                {"t": text},
            ).scalar()
    finally:
        engine.dispose()


def retry(browser: Browser, conversation_id: str) -> requests.Response:
    return browser.post(f"/c/{conversation_id}/retry", {})


def test_a_stream_whose_worker_is_killed_is_interrupted_with_its_text_and_retried(
    rig: FaultRig, upstream
):
    live = rig.server()
    live.mark()
    browser = live.browser()
    pid = live.worker_for(browser.get("/"))
    gate = threading.Event()
    upstream.queue(Stream(["The misfire points to ", "coil pack 3."], gate=gate))
    text = "Misfire on cylinder 3 under load"
    response = browser.open_stream(text)
    seen = events_until_end(response, stop_at="delta")
    cid = seen[0][1]["conversation_id"]
    # The first words are kept about a second after they arrive, before the worker dies.
    wait_for(lambda: so_far(rig, text) == "The misfire points to ", 10, what="the text so far")
    killed_at = time.monotonic()
    rig.kill_worker(live, pid)
    gate.set()
    response.close()

    other = live.browser()  # a new visitor's connection: the surviving or new worker
    other.session.cookies.update(browser.session.cookies)
    page = html.unescape(other.conversation(cid))
    record_figure(
        f"killed worker: its turn shown as interrupted {time.monotonic() - killed_at:.2f} s "
        "after the kill (no lease wait: the worker's process is gone)"
    )
    assert text in page
    assert INTERRUPTED in page and "Interrupted" in page  # the sentence and the badge
    assert "The misfire points to" in page  # the text that arrived is kept
    assert f'action="/c/{cid}/retry"' in page
    stored = rig.messages(cid)
    assert [(m["role"], m["status"], m["error_kind"]) for m in stored] == [
        ("user", "ok", None),
        ("assistant", "error", "interrupted"),
    ]

    upstream.queue(Reply("Swap coil 3 with coil 2 and see if the misfire follows."))
    other.token = browser.token
    answered = retry(other, cid)
    assert answered.status_code == 303, answered.text[:500]
    page = html.unescape(other.conversation(cid))
    assert "Swap coil 3 with coil 2" in page and INTERRUPTED not in page
    assert [m["role"] for m in rig.messages(cid)] == ["user", "assistant"]
    assert "Traceback" not in live.log()


def test_a_form_post_whose_worker_is_killed_keeps_the_message_with_retry(rig: FaultRig, upstream):
    live = rig.server()
    live.mark()
    browser = live.browser()
    pid = live.worker_for(browser.get("/"))
    upstream.queue(Timed(seconds=1.8, pieces=1))  # slow enough to be killed while waiting
    text = "Steering wheel shakes at 60 mph"
    outcome: dict[str, object] = {}

    def send() -> None:
        try:
            outcome["response"] = browser.send(text)
        except requests.RequestException as exc:
            outcome["error"] = exc

    sender = threading.Thread(target=send)
    sender.start()
    wait_for(lambda: text in rig.user_texts(), 10, what="the message saved before the call")
    rig.kill_worker(live, pid)
    sender.join(30)
    assert "error" in outcome  # the connection broke: no answer came (Nginx shows a page)

    other = live.browser()
    other.session.cookies.update(browser.session.cookies)
    listed = other.get("/").text
    cid = listed.split('href="/c/', 1)[1].split("#", 1)[0]
    page = html.unescape(other.conversation(cid))
    assert text in page and INTERRUPTED in page and f'action="/c/{cid}/retry"' in page
