"""Every upstream fault the fake can produce, over real Gunicorn on private PostgreSQL and
Redis, sent the three ways a visitor sends: the page's form (no JavaScript), a script's JSON
and the page's stream.

For each one a visitor must find: the message they typed, saved with its exact text; an
answer that is not a server error and shows no internals; a sentence that says in plain
words what went wrong; and, on reloading the conversation, the message and a Retry.
"""

from __future__ import annotations

import html
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest

from tests.support import free_port
from tests.support.fake_openrouter import TOOLS_REFUSED, Error, Raw, Reply, Reset, Stream, ToolCalls
from tests.support.live import LiveServer
from tests.support.private_services import FaultRig
from tests.support.streaming import parse_sse

pytestmark = pytest.mark.slow

MODES = ("form", "json", "stream")
TOOL_MODEL = "openai/gpt-4o-mini"  # offered tools: the catalog lists them
TOOLLESS_MODEL = "anthropic/claude-3.5-haiku"  # learns it takes none: kept apart from the rest

MODERATION_BODY = Error(
    403,
    "openai/gpt-4o-mini requires moderation on OpenAI. Your input was flagged for "
    '"harassment". No credits were charged.',
    metadata={
        "reasons": ["harassment"],
        "flagged_input": "...you useless mechanic...",
        "provider_name": "OpenAI",
        "model_slug": "openai/gpt-4o-mini",
    },
)
CONTEXT_TOO_LONG = Error(
    400,
    "This endpoint's maximum context length is 163840 tokens. However, you requested about "
    "170000 tokens (167952 of text input, 2048 in the output). Please reduce the length of "
    'either one, or use the "middle-out" transform to compress your prompt automatically.',
)
DAILY_CAP = Error(
    429,
    "Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model "
    "requests per day",
)


@dataclass
class Fault:
    """One fault: what the upstream does, and what the visitor must be told.

    ``behaviours``: queued on the fake, in order (a turn may ask more than once: a
    refusal the app recovers from is asked again). ``phrases``: each must appear in the
    sentence the visitor reads. ``server``: the Gunicorn to send through (one whose
    upstream port is closed, for "connect refused").
    """

    kind: str
    status: int  # what a JSON caller gets
    phrases: list[str]
    behaviours: list[Any] = field(default_factory=list)
    modes: tuple[str, ...] = MODES
    model: str | None = None
    server: str = "main"
    retry_after: str | None = None
    partial: str = ""  # text that arrived before the fault (streams): kept with the failure
    xfail: dict[str, str] = field(default_factory=dict)  # mode -> the app bug it shows


FAULTS: dict[str, Fault] = {
    "400": Fault(
        "bad_request", 400, ["refused the request", "400: Invalid request: unknown field"],
        [Error(400, "Invalid request: unknown field 'temperatur'")],
    ),
    "401": Fault(
        "invalid_key", 401, ["rejected the API key", "Settings"], [Error(401, "User not found.")]
    ),
    "402": Fault(
        "insufficient_credits", 402, ["out of credits", "Add credits"],
        [Error(402, "Insufficient credits. Add more using https://openrouter.ai/credits")],
    ),
    "403-moderation": Fault(
        "moderation", 403,
        ["blocked by moderation (OpenAI)", "flagged for: harassment", "Rephrase"],
        [MODERATION_BODY],
    ),
    "403-not-moderation": Fault(
        "forbidden", 502, ["OpenRouter refused access", "not about your message"],
        [Raw(403, b"<html><body>Access denied | openrouter.ai used Cloudflare</body></html>",
             "text/html")],
    ),
    "404": Fault(
        "not_found", 404, ["is not available", "Pick another model"],
        [Error(404, "No endpoints found for deepseek/deepseek-chat-v3-0324:free.")],
    ),
    "408": Fault(
        "upstream_timeout", 504, ["did not answer in time"], [Error(408, "Request timed out")]
    ),
    "413": Fault(
        "bad_request", 400, ["refused the request (413: Request payload too large)"],
        [Error(413, "Request payload too large")],
    ),
    "429-retry-after": Fault(
        "rate_limited", 429, ["rate limiting", "Retry in 7 s."],
        [Error(429, "Rate limit exceeded: free-models-per-min", retry_after="7")],
        retry_after="7",
    ),
    "429-no-retry-after": Fault(
        "rate_limited", 429, ["rate limiting", "retry"],
        [Error(429, "Rate limit exceeded: free-models-per-min")],
    ),
    "429-daily-cap": Fault(
        "daily_limit", 429, ["daily free-model limit is reached", "resets"], [DAILY_CAP]
    ),
    "500": Fault(
        "provider_unavailable", 502, ["unavailable right now (500: Internal Server Error)"],
        [Error(500, "Internal Server Error")],
    ),
    "502": Fault(
        "provider_unavailable", 502, ["provider (Chutes) is unavailable", "upstream connect"],
        [Error(502, "Provider returned error",
               metadata={"provider_name": "Chutes", "raw": "upstream connect error"})],
    ),
    "503": Fault(
        "provider_unavailable", 503, ["unavailable right now (503: No instances available)"],
        [Error(503, "No instances available")],
    ),
    "504": Fault(
        "provider_unavailable", 502, ["unavailable right now (504: Gateway Timeout)"],
        [Error(504, "Gateway Timeout")],
    ),
    "error-inside-200": Fault(
        "provider_unavailable", 502, ["unavailable right now", "Provider returned error"],
        [Error(502, "Provider returned error", in_body_of_200=True)],
    ),
    "html-502-page": Fault(
        "provider_unavailable", 502, ["unavailable right now", "502"],
        [Raw(502, b"<html><body><h1>502 Bad Gateway</h1>nginx</body></html>", "text/html")],
    ),
    "html-200": Fault(
        "invalid_response", 502, ["could not be used"],
        [Raw(200, b"<html><body>Cloudflare: checking your browser</body></html>", "text/html")],
    ),
    "empty-choices": Fault(
        "empty_reply", 502, ["returned an empty reply"],
        [Raw(200, b'{"id": "gen-1", "object": "chat.completion", "choices": []}',
             "application/json")],
    ),
    "empty-content": Fault("empty_reply", 502, ["returned an empty reply"], [Reply(text="")]),
    "thought-past-the-budget": Fault(
        "length_limit", 502, ["used its whole reply budget"],
        [Reply("", reasoning="Let me weigh every relay ever made...", finish_reason="length")],
    ),
    "context-length": Fault(
        "context_length_exceeded", 400, ["longer than the model's context window"],
        [CONTEXT_TOO_LONG, CONTEXT_TOO_LONG, CONTEXT_TOO_LONG],
    ),
    "stream-cut-without-done": Fault(
        "connection_lost", 502,
        ["OpenRouter was reached, but the connection broke",
         "the stream ended before the reply was finished"],
        [Stream(["Check the ", "spark plug gap"], done=False, finish=False)],
        modes=("stream",), partial="Check the spark plug gap",
    ),
    "mid-stream-error": Fault(
        "provider_unavailable", 502, ["unavailable right now", "Provider disconnected"],
        [Stream(["Check the ", "spark plug gap", " never sent"], error_after=2)],
        modes=("stream",), partial="Check the spark plug gap",
    ),
    "reset-before-response": Fault(
        "connection_lost", 502, ["OpenRouter was reached, but the connection broke"], [Reset()]
    ),
    "reset-mid-body": Fault(
        "connection_lost", 502, ["OpenRouter was reached, but the connection broke"],
        [Reset(midway=True, chunks=["Check the ", "spark plug "])],
        partial="Check the spark plug",
    ),
    "connect-refused": Fault(
        "connection_error", 502, ["Could not reach OpenRouter"], server="refused"
    ),
    "read-timeout": Fault(
        "timeout", 504, ["did not answer in time"], [Reply("too late", delay=3.5)]
    ),
    "tool-loop": Fault(
        "tool_loop", 502, ["kept calling tools"],
        [ToolCalls([("decode_vin", '{"vin": "1HGCM82633A004352"}')])] * 8,
        model=TOOL_MODEL,
    ),
    "tools-refused-twice": Fault(
        "tools_unsupported", 404, ["cannot use tools"], [TOOLS_REFUSED] * 3,
        model=TOOLLESS_MODEL,
    ),
}  # fmt: skip

CASES = [
    pytest.param(
        name,
        mode,
        id=f"{name}-{mode}",
        marks=[pytest.mark.xfail(strict=True, reason=fault.xfail[mode])]
        if mode in fault.xfail
        else [],
    )
    for name, fault in FAULTS.items()
    for mode in fault.modes
]


@pytest.fixture(scope="module")
def servers(rig: FaultRig):
    def start(name: str) -> LiveServer:
        if name == "refused":
            return rig.server("refused", OPENROUTER_BASE_URL=f"http://127.0.0.1:{free_port()}/v1")
        return rig.server(name)

    return start


class _MessageText(HTMLParser):
    """The text and attribute values of one ``<li id="m<id>">``, nested lists included."""

    def __init__(self, message_id: int) -> None:
        super().__init__()
        self.wanted = f"m{message_id}"
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth == 0 and tag == "li" and ("id", self.wanted) in attrs:
            self.depth = 1
        elif self.depth and tag == "li":
            self.depth += 1
        if self.depth:
            self.parts.extend(value for _, value in attrs if value)

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag == "li":
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.parts.append(data)


def message_block(page: str, message_id: int) -> str:
    """What one message of a conversation page says (its text and its titles)."""
    parser = _MessageText(message_id)
    parser.feed(page)
    assert parser.parts, f"message {message_id} is not on the page"
    return " ".join(" ".join(parser.parts).split())


def no_internals(text: str) -> None:
    assert "Traceback" not in text and 'File "/' not in text, text[:2000]


@pytest.mark.parametrize(("name", "mode"), CASES)
def test_an_upstream_fault_keeps_the_message_and_says_why(servers, upstream, rig, name, mode):
    fault = FAULTS[name]
    live = servers(fault.server)
    live.mark()
    browser = live.browser()
    if fault.model:
        browser.save_settings(model=fault.model)
    upstream.queue(*fault.behaviours)
    text = f"Fault {name} ({mode}): my ABS light — ünïcode & <b>tags</b> stay {uuid.uuid4().hex}"

    if mode == "json":
        response = browser.send_json(text)
        no_internals(response.text)
        assert response.status_code == fault.status, response.text[:1000]
        body = response.json()
        error, cid = body["error"], body["conversation_id"]
        if fault.retry_after:
            assert response.headers["Retry-After"] == fault.retry_after
        told = error["message"]
    elif mode == "stream":
        with browser.open_stream(text) as response:
            raw = "".join(response.iter_content(chunk_size=None, decode_unicode=True))
        no_internals(raw)
        assert response.status_code == 200
        events = parse_sse(raw)
        assert events[0][0] == "conversation", events[:3]
        name_, body = events[-1]
        assert name_ == "error", events[-3:]
        error, cid = body["error"], events[0][1]["conversation_id"]
        told = error["message"]
    else:
        response = browser.send(text)
        no_internals(response.text)
        assert response.status_code == 303, response.text[:1000]
        cid = response.headers["Location"].rsplit("/c/", 1)[1].split("#", 1)[0]
        error = None
        told = ""  # the page the redirect leads to is the reload below

    if error is not None:
        assert error["kind"] == fault.kind, error
        for phrase in fault.phrases:
            assert phrase in told, f"{phrase!r} not in {told!r}"

    stored = rig.messages(cid)
    users = [row for row in stored if row["role"] == "user"]
    assert [row["content"] for row in users] == [text]
    assert stored[-1]["role"] == "assistant" and stored[-1]["status"] == "error", stored
    assert stored[-1]["error_kind"] == fault.kind
    if fault.partial and mode == "stream":
        assert stored[-1]["content"].startswith(fault.partial), stored[-1]

    page = browser.conversation(cid)  # the reload (where a form post is redirected)
    no_internals(page)
    assert html.escape(text, quote=False) in page
    reply = message_block(page, stored[-1]["id"])
    assert f"failed: {fault.kind}" in reply
    for phrase in fault.phrases:
        assert phrase in reply, f"{phrase!r} not in {reply!r}"
    assert f'action="/c/{cid}/retry"' in page
    assert live.trouble() == [], live.log()[-3000:]
