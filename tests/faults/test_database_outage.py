"""PostgreSQL stopped while visitors chat, then started again on the same port.

What a visitor must see: while the database is down, a plain "the conversation store is
not answering" (503, their text on the page), never a server error; /health says 503 so a
load balancer can act; once it is back, chats work again without restarting anything; and
every message the app answered as saved is in the database.
"""

from __future__ import annotations

import html
import threading
import time
import uuid
from dataclasses import dataclass

import pytest
import requests

from tests.support.fake_openrouter import Reply
from tests.support.live import Browser, wait_for
from tests.support.private_services import FaultRig, record_figure

pytestmark = pytest.mark.slow

CLIENTS = 4
DOWN_WORDS = "conversation store is not answering"


@dataclass
class Sent:
    client: int
    text: str
    status: int  # 0: no HTTP answer at all
    body: dict | str
    at: float


def send_all_the_time(browser: Browser, client: int, log: list[Sent], stop: threading.Event):
    n = 0
    while not stop.is_set():
        text = f"Client {client} message {n}: brake pedal feels soft {uuid.uuid4().hex[:8]}"
        try:
            response = browser.send_json(text)
            try:
                body = response.json()
            except ValueError:
                body = response.text
            log.append(Sent(client, text, response.status_code, body, time.monotonic()))
        except requests.RequestException as exc:
            log.append(Sent(client, text, 0, repr(exc), time.monotonic()))
        n += 1
        time.sleep(0.05)


def health(live) -> tuple[int, dict]:
    response = requests.get(f"{live.base}/health", timeout=10)
    return response.status_code, response.json()


def test_postgres_stopped_under_load_is_told_and_recovers(rig: FaultRig, upstream):
    live = rig.server()
    live.mark()
    # Each reply takes a moment, so some sends are mid-turn when the database goes.
    upstream.default = lambda: Reply(delay=0.2)
    browsers = [live.browser() for _ in range(CLIENTS)]
    for browser in browsers:
        browser.fresh_token()  # the page, read while the database answers
    log: list[Sent] = []
    stop = threading.Event()
    threads = [
        threading.Thread(target=send_all_the_time, args=(browser, n, log, stop), daemon=True)
        for n, browser in enumerate(browsers)
    ]
    for thread in threads:
        thread.start()

    def each_client_has(status: int, since: float, times: int = 1) -> bool:
        seen = list(log)
        return all(
            sum(s.client == n and s.status == status and s.at > since for s in seen) >= times
            for n in range(CLIENTS)
        )

    outage_at = restart_at = 0.0
    try:
        wait_for(lambda: each_client_has(200, 0), 60, "every client's first answers")
        outage_at = time.monotonic()
        rig.postgres.stop()
        # Several refusals each: every pooled connection of both workers has met the outage.
        wait_for(lambda: each_client_has(503, outage_at, 3), 60, "every client to be told")
        status, body = health(live)
        assert status == 503 and body["checks"]["database"] == "unavailable", body

        # The page's form, without JavaScript: the text comes back on the page.
        draft = f"Form during the outage: coolant on the driveway {uuid.uuid4().hex[:8]}"
        form = browsers[0].twin().send(draft)
        assert form.status_code == 503, form.text[:1000]
        assert DOWN_WORDS in form.text and html.escape(draft, quote=False) in form.text
        assert "Traceback" not in form.text
        # The page's script asking for a stream is told the same, in its own format.
        streamed = browsers[1].twin().open_stream(f"Stream during the outage {uuid.uuid4()}")
        with streamed:
            said = streamed.text
        assert streamed.status_code == 503, said[:1000]
        assert streamed.json()["error"]["kind"] == "database_unavailable"
        # A page that reads conversations says so too, rather than failing.
        page = browsers[2].twin().get("/")
        assert page.status_code == 503 and DOWN_WORDS in page.text, page.text[:1000]
        assert "Traceback" not in said + page.text

        rig.postgres.start()
        restart_at = time.monotonic()
        wait_for(lambda: health(live)[0] == 200, 120, "/health to say 200 again")
        healthy_after = time.monotonic() - restart_at
        probe = live.browser()

        def answered() -> bool:
            response = probe.send_json("Is the database back? My wipers are slow.")
            return response.status_code == 200 and response.json().get("status") == "ok"

        wait_for(answered, 120, "a chat to be answered again")
        answered_after = time.monotonic() - restart_at
        wait_for(lambda: each_client_has(200, restart_at, 2), 120, "every client to chat again")
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        rig.postgres.start()

    record_figure(
        f"PostgreSQL restart (down {restart_at - outage_at:.1f} s, {CLIENTS} clients chatting): "
        f"/health 200 after {healthy_after:.2f} s, a chat answered after {answered_after:.2f} s"
    )

    statuses = sorted({s.status for s in log})
    assert set(statuses) <= {200, 503}, [s for s in log if s.status not in (200, 503)][:5]
    for sent in log:
        if sent.status == 503:
            assert isinstance(sent.body, dict), sent
            assert sent.body["error"]["kind"] == "database_unavailable", sent
            assert DOWN_WORDS in sent.body["error"]["message"]
        assert "Traceback" not in str(sent.body)
    saved = [s for s in log if s.status == 200]
    stored = set(rig.user_texts())
    missing = [s.text for s in saved if s.text not in stored]
    assert missing == [], f"{len(missing)} answered-as-saved messages are missing: {missing[:3]}"
    assert live.trouble() == [], live.log()[-3000:]
    # Each client's own conversations open again, with the text it sent.
    for sent in saved[-CLIENTS:]:
        page = browsers[sent.client].conversation(sent.body["conversation_id"])
        assert html.escape(sent.text, quote=False) in page
