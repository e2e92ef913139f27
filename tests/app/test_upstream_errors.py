"""Each upstream failure reaches the user as a specific sentence; nothing typed is lost."""

from __future__ import annotations

import pytest

from tests.support import CANARY_KEY, Visitor, conversation_id_from, free_port
from tests.support.fake_openrouter import Error, Raw, Reply

CASES = [
    pytest.param(
        Error(401, "User not found."),
        "invalid_key",
        401,
        ["rejected the API key", "401: User not found.", 'href="/settings"'],
        id="401",
    ),
    pytest.param(
        Error(402, "Insufficient credits. Add more using https://openrouter.ai/credits"),
        "insufficient_credits",
        402,
        ["out of credits", "402: Insufficient credits", ":free"],
        id="402",
    ),
    pytest.param(
        Error(
            403,
            "deepseek/deepseek-chat requires moderation on OpenAI",
            metadata={"reasons": ["harassment"], "provider_name": "OpenAI", "flagged_input": "x"},
        ),
        "moderation",
        403,
        ["blocked by moderation (OpenAI)", "requires moderation", "flagged for: harassment"],
        id="403",
    ),
    pytest.param(
        Error(404, "No endpoints found for nonexistent/model."),
        "not_found",
        404,
        ["is not available", "No endpoints found", "Pick another model"],
        id="404",
    ),
    pytest.param(
        Error(408, "Request timed out"),
        "upstream_timeout",
        504,
        ["did not answer in time", "try again"],
        id="408",
    ),
    pytest.param(
        Error(429, "Rate limit exceeded: free-models-per-min", retry_after="7"),
        "rate_limited",
        429,
        ["rate limiting", "Retry in 7 s."],
        id="429",
    ),
    pytest.param(
        Error(500, "Internal Server Error"),
        "provider_unavailable",
        502,
        ["unavailable right now (500: Internal Server Error)", "Try again"],
        id="500",
    ),
    pytest.param(
        Error(
            502,
            "Provider returned error",
            metadata={"provider_name": "Chutes", "raw": "upstream connect error"},
        ),
        "provider_unavailable",
        502,
        ["provider (Chutes) is unavailable", "upstream connect error"],
        id="502-with-raw",
    ),
    pytest.param(
        Error(503, "No instances available"),
        "provider_unavailable",
        503,
        ["unavailable right now (503: No instances available)"],
        id="503",
    ),
    pytest.param(
        Error(502, "Provider returned error", in_body_of_200=True),
        "provider_unavailable",
        502,
        ["unavailable right now", "Provider returned error"],
        id="error-inside-200",
    ),
    pytest.param(
        Raw(200, b'{"id": "gen-1", "choices": []}', "application/json"),
        "empty_reply",
        502,
        ["returned an empty reply"],
        id="no-choices",
    ),
    pytest.param(
        Reply(text=""),
        "empty_reply",
        502,
        ["returned an empty reply"],
        id="empty-content",
    ),
    pytest.param(
        Raw(200, b"<html>gateway</html>", "text/html"),
        "invalid_response",
        502,
        ["could not be used"],
        id="not-json",
    ),
]


@pytest.mark.parametrize(("behaviour", "kind", "status", "phrases"), CASES)
def test_error_is_shown_in_the_conversation_with_a_retry(
    keyed_visitor, fake, behaviour, kind, status, phrases
):
    fake.queue(behaviour)
    response = keyed_visitor.send("Why is my ABS light on?")
    assert response.status_code == 303
    cid = conversation_id_from(response)
    page = keyed_visitor.get(f"/c/{cid}").get_data(as_text=True)
    assert "Why is my ABS light on?" in page  # the user's text is kept
    assert f"failed: {kind}" in page
    for phrase in phrases:
        assert phrase.replace('"', "&#34;") in page or phrase in page
    assert f'action="/c/{cid}/retry"' in page


@pytest.mark.parametrize(("behaviour", "kind", "status", "phrases"), CASES)
def test_json_callers_get_the_matching_status_and_kind(
    keyed_visitor, fake, behaviour, kind, status, phrases
):
    fake.queue(behaviour)
    response = keyed_visitor.send_json("Why is my ABS light on?")
    assert response.status_code == status
    body = response.get_json()
    assert body["error"]["kind"] == kind
    assert phrases[0] in body["error"]["message"]
    assert body["conversation_id"] and body["message_id"]
    if kind == "rate_limited":
        assert response.headers["Retry-After"] == "7"


def test_timeout_is_reported_and_the_message_kept(make_app, fake):
    app = make_app(OPENROUTER_READ_TIMEOUT="0.3", OPENROUTER_CONNECT_TIMEOUT="0.2")
    visitor = Visitor(app.test_client())
    visitor.save_key(CANARY_KEY)
    fake.queue(Reply("too late", delay=1.0))
    response = visitor.send_json("Engine overheats on the highway")
    assert response.status_code == 504
    body = response.get_json()
    assert body["error"]["kind"] == "timeout"
    assert "did not answer in time (no whole answer within 0.3 seconds)" in body["error"]["message"]
    page = visitor.get(f"/c/{body['conversation_id']}").get_data(as_text=True)
    assert "Engine overheats on the highway" in page


def test_unreachable_openrouter_is_a_connection_error(make_app, fake):
    app = make_app(OPENROUTER_BASE_URL=f"http://127.0.0.1:{free_port()}/api/v1")
    visitor = Visitor(app.test_client())
    visitor.save_key(CANARY_KEY)
    response = visitor.send_json("Squeal when braking")
    assert response.status_code == 502
    assert response.get_json()["error"]["kind"] == "connection_error"
    assert "Could not reach OpenRouter" in response.get_json()["error"]["message"]


def test_retry_answers_the_failed_message_without_duplicating_it(keyed_visitor, fake, app):
    fake.queue(Error(503, "No instances available"), Reply("Likely a worn wheel bearing."))
    cid = conversation_id_from(keyed_visitor.send("Humming noise that rises with speed"))
    response = keyed_visitor.post(f"/c/{cid}/retry", source=f"/c/{cid}")
    assert response.status_code == 303
    page = keyed_visitor.get(f"/c/{cid}").get_data(as_text=True)
    assert page.count('msg-text">Humming noise that rises with speed') == 1
    assert "Likely a worn wheel bearing." in page
    assert f'action="/c/{cid}/retry"' not in page  # nothing left to retry

    retried = fake.chat_requests[-1].messages
    assert [m["content"] for m in retried if m["role"] == "user"] == [
        "Humming noise that rises with speed"
    ]

    nothing = keyed_visitor.post(f"/c/{cid}/retry", source=f"/c/{cid}")
    assert nothing.status_code == 409
    assert "no failed message to retry" in nothing.get_data(as_text=True)


def test_failed_turns_are_left_out_of_later_history(keyed_visitor, fake):
    fake.queue(Reply("Answer one."), Error(500, "boom"), Reply("Answer three."))
    cid = conversation_id_from(keyed_visitor.send("First question"))
    keyed_visitor.send("Second question", cid)
    keyed_visitor.send("Third question", cid)
    contents = [m["content"] for m in fake.chat_requests[-1].messages[1:]]
    assert contents == ["First question", "Answer one.", "Third question"]
