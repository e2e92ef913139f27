"""The XSS corpus, rendered as replies, messages, titles and model names, in Chromium."""

from __future__ import annotations

import pytest

from tests.support import CANARY_KEY
from tests.support.fake_openrouter import DEFAULT_MODELS, Reply, Stream, model_entry
from tests.support.xss_payloads import PAYLOADS

pytestmark = pytest.mark.browser

DANGEROUS_DOM = (
    "script:not([nonce]), [onerror], [onload], [onclick], [onmouseover], [onfocus],"
    " [onbegin], [ontoggle], [onstart], iframe, object, embed, base, meta[http-equiv],"
    " link[href^='http'], img[src^='http'], a[href^='javascript'], a[href^='vbscript'],"
    " a[href^='data'], form[action^='http'], [style]"
)


@pytest.fixture
def watched_page(browser, live_server):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    dialogs: list[str] = []
    foreign: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on(
        "request",
        lambda request: (
            None if request.url.startswith((live_server, "data:")) else foreign.append(request.url)
        ),
    )
    yield page, dialogs, foreign
    context.close()


def test_corpus_is_inert_everywhere(watched_page, live_server, fake):
    page, dialogs, foreign = watched_page
    # Model names in the catalog are attacker text too.
    fake.state.models = [
        *DEFAULT_MODELS,
        *[{**model_entry(f"evil/model-{n}"), "name": p} for n, p in enumerate(PAYLOADS[:20])],
    ]
    page.goto(live_server + "/settings")
    page.fill("#api_key", CANARY_KEY)
    page.click("button:has-text('Save')")
    page.wait_for_selector(".masked-key")
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")

    conversations = []
    for n, payload in enumerate(PAYLOADS):
        # The payload is the user's message (and so the title), the reply and the model name.
        fake.queue(Reply(payload, model=payload[:200]))
        response = page.request.post(
            live_server + "/chat",
            form={"message": payload},
            headers={"Accept": "application/json", "X-CSRFToken": token},
        )
        assert response.ok, (n, response.status)
        conversations.append(response.json()["conversation_id"])

    urls = ["/", "/settings", *[f"/c/{cid}" for cid in conversations]]
    for url in urls:
        page.goto(live_server + url)
        page.wait_for_load_state("load")
        bad = page.locator(DANGEROUS_DOM).evaluate_all(
            "nodes => nodes.map(n => n.outerHTML.slice(0, 120))"
        )
        assert bad == [], (url, bad)

    # A streamed reply is shown as text while it arrives, then swapped for sanitized HTML.
    for payload in PAYLOADS[:5]:
        fake.queue(Stream([payload[: len(payload) // 2], payload[len(payload) // 2 :]]))
        page.goto(live_server + "/")
        page.fill("#message", "stream it")
        page.click("#send")
        page.locator(".msg-assistant.status-ok").wait_for()
        assert page.locator(DANGEROUS_DOM).count() == 0

    assert dialogs == []
    assert foreign == []
