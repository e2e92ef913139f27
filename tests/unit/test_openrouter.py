"""The OpenRouter client against the fake server: results, errors, headers, timeouts."""

from __future__ import annotations

import email.utils
import json
import time

import pytest

import openrouter
from tests.support import CANARY_KEY, free_port
from tests.support.fake_openrouter import Error, Raw, Reply


@pytest.fixture
def api(fake):
    client = openrouter.OpenRouterClient(fake.url, connect_timeout=2, read_timeout=2)
    yield client
    client.close()


def test_chat_returns_text_model_and_usage(api, fake):
    fake.queue(
        Reply("Torque spec is in the service manual.", prompt_tokens=30, completion_tokens=9)
    )
    result = api.chat(CANARY_KEY, "openai/gpt-4o-mini", [{"role": "user", "content": "hi"}])
    assert result.content == "Torque spec is in the service manual."
    assert result.model == "openai/gpt-4o-mini"
    assert result.provider == "FakeProvider"
    assert result.usage.prompt_tokens == 30
    assert result.usage.completion_tokens == 9
    assert result.finish_reason == "stop"
    sent = fake.chat_requests[0]
    assert sent.body == {
        "model": "openai/gpt-4o-mini",
        "messages": [{"role": "user", "content": "hi"}],
    }


def test_max_tokens_is_sent_when_given(api, fake):
    api.chat(CANARY_KEY, "m", [{"role": "user", "content": "x"}], max_tokens=512)
    assert fake.chat_requests[0].body["max_tokens"] == 512


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, openrouter.BadRequestError),
        (401, openrouter.AuthenticationError),
        (402, openrouter.InsufficientCreditsError),
        (403, openrouter.PermissionDeniedError),  # moderation only when the body says so
        (404, openrouter.NotFoundError),
        (408, openrouter.RequestTimeoutError),
        (429, openrouter.RateLimitError),
        (500, openrouter.ProviderError),
        (502, openrouter.ProviderError),
        (503, openrouter.ProviderError),
        (504, openrouter.ProviderError),
    ],
)
def test_each_status_raises_its_own_error(api, fake, status, cls):
    fake.queue(Error(status, f"upstream said {status}"))
    with pytest.raises(cls) as info:
        api.chat(CANARY_KEY, "m", [])
    assert info.value.status_code == status
    assert info.value.reason == f"upstream said {status}"
    assert isinstance(info.value, openrouter.APIStatusError)


def test_error_inside_a_200_body_is_raised_by_its_code(api, fake):
    fake.queue(Error(429, "Provider rate limited", in_body_of_200=True))
    with pytest.raises(openrouter.RateLimitError):
        api.chat(CANARY_KEY, "m", [])


def test_error_detail_includes_provider_and_raw(api, fake):
    fake.queue(
        Error(
            502, "Provider returned error", metadata={"provider_name": "Groq", "raw": "overloaded"}
        )
    )
    with pytest.raises(openrouter.ProviderError) as info:
        api.chat(CANARY_KEY, "m", [])
    assert info.value.provider == "Groq"
    assert info.value.reason == "Provider returned error — overloaded"


@pytest.mark.parametrize("header", ["12", "12.0"])
def test_retry_after_seconds(api, fake, header):
    fake.queue(Error(429, "slow down", retry_after=header))
    with pytest.raises(openrouter.RateLimitError) as info:
        api.chat(CANARY_KEY, "m", [])
    assert info.value.retry_after == 12.0


def test_retry_after_http_date():
    now = time.time()
    header = email.utils.formatdate(now + 30, usegmt=True)
    assert 28 <= openrouter.parse_retry_after(header, now=now) <= 31
    assert openrouter.parse_retry_after("soon") is None
    assert openrouter.parse_retry_after(None) is None


def test_non_json_error_page_keeps_its_status(api, fake):
    fake.queue(Raw(502, b"Bad Gateway", "text/plain"))
    with pytest.raises(openrouter.ProviderError) as info:
        api.chat(CANARY_KEY, "m", [])
    assert info.value.status_code == 502
    assert info.value.reason == "Bad Gateway"


def test_read_timeout(fake):
    client = openrouter.OpenRouterClient(fake.url, connect_timeout=1, read_timeout=0.2)
    fake.queue(Reply("late", delay=0.8))
    with pytest.raises(openrouter.APITimeoutError):
        client.chat(CANARY_KEY, "m", [])
    client.close()


def test_connection_refused():
    client = openrouter.OpenRouterClient(f"http://127.0.0.1:{free_port()}/api/v1")
    with pytest.raises(openrouter.APIConnectionError) as info:
        client.chat(CANARY_KEY, "m", [])
    assert not isinstance(info.value, openrouter.APITimeoutError)
    assert CANARY_KEY not in str(info.value)
    client.close()


def test_refusal_is_a_moderation_error(api, fake):
    fake.queue(
        Raw(
            200,
            b'{"choices":[{"message":{"role":"assistant","content":null,'
            b'"refusal":"I cannot help with that."},"finish_reason":"stop"}]}',
            "application/json",
        )
    )
    with pytest.raises(openrouter.ModerationError, match="cannot help"):
        api.chat(CANARY_KEY, "m", [])


def test_key_info(api, fake):
    info = api.key_info(CANARY_KEY)
    assert info.label == "sk-or-v1-ca...4n4"
    assert (info.limit, info.usage, info.limit_remaining) == (25.0, 3.5, 21.5)
    assert info.is_free_tier is False
    request = fake.requests[0]
    assert (request.method, request.path) == ("GET", "/api/v1/key")


def test_key_info_rejected(api, fake):
    fake.reject_key(CANARY_KEY)
    with pytest.raises(openrouter.AuthenticationError, match="User not found"):
        api.key_info(CANARY_KEY)


def test_headers_identify_the_app(fake):
    client = openrouter.OpenRouterClient(
        fake.url, app_url="https://cars.example", app_title="Garage Helper"
    )
    client.chat(CANARY_KEY, "m", [{"role": "user", "content": "x"}])
    headers = fake.chat_requests[0].headers
    assert headers["HTTP-Referer"] == "https://cars.example"
    assert headers["X-Title"] == "Garage Helper"
    assert headers["Authorization"] == f"Bearer {CANARY_KEY}"
    client.close()


def test_timeouts_are_explicit_connect_and_read():
    client = openrouter.OpenRouterClient("http://x/api/v1", connect_timeout=3, read_timeout=45)
    assert client.timeout == (3, 45)
    adapter = client.http.get_adapter("https://openrouter.ai")
    assert adapter._pool_maxsize == 200
    client.close()


def _sse(*events: dict | str) -> bytes:
    return b"".join(
        f"data: {e if isinstance(e, str) else json.dumps(e)}\n\n".encode() for e in events
    )


def _calls(*deltas: list[dict]) -> bytes:
    chunks = [{"choices": [{"index": 0, "delta": {"tool_calls": d}}]} for d in deltas]
    end = {"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}
    return _sse(*chunks, end, "[DONE]")


def fn(name: str | None = None, arguments: str = "") -> dict:
    return {"name": name, "arguments": arguments} if name else {"arguments": arguments}


@pytest.mark.parametrize(
    "body",
    [
        # The usual shape: each call has its own index; arguments arrive in pieces.
        _calls(
            [{"index": 0, "id": "a", "function": fn("decode_vin", '{"vin": ')}],
            [{"index": 0, "function": fn(None, '"X"}')}],
            [{"index": 1, "id": "b", "function": fn("explain_dtc", '{"code": "P0420"}')}],
        ),
        # No index at all: a new id starts a new call.
        _calls(
            [{"id": "a", "function": fn("decode_vin", '{"vin": ')}],
            [{"function": fn(None, '"X"}')}],
            [{"id": "b", "function": fn("explain_dtc", '{"code": "P0420"}')}],
        ),
        # Every call numbered 0.
        _calls(
            [{"index": 0, "id": "a", "function": fn("decode_vin", '{"vin": ')}],
            [{"index": 0, "function": fn(None, '"X"}')}],
            [{"index": 0, "id": "b", "function": fn("explain_dtc", '{"code": ')}],
            [{"index": 0, "function": fn(None, '"P0420"}')}],
        ),
    ],
    ids=["indexed", "no-index", "all-zero"],
)
def test_streamed_tool_calls_are_assembled_whatever_the_numbering(api, fake, body):
    fake.queue(Raw(200, body, "text/event-stream"))
    with api.stream(CANARY_KEY, "m", [{"role": "user", "content": "hi"}]) as stream:
        list(stream)
    assert stream.result.tool_calls == (
        openrouter.ToolCall("a", "decode_vin", '{"vin": "X"}'),
        openrouter.ToolCall("b", "explain_dtc", '{"code": "P0420"}'),
    )


def test_reasoning_details_come_back_with_tool_calls(api, fake):
    details = [{"type": "reasoning.encrypted", "data": "opaque", "id": "r1"}]
    message = {
        "role": "assistant",
        "content": None,
        "reasoning_details": details,
        "tool_calls": [{"id": "a", "type": "function", "function": fn("get_my_vehicle", "{}")}],
    }
    choice = {"index": 0, "finish_reason": "tool_calls", "message": message}
    fake.queue(Raw(200, json.dumps({"choices": [choice]}).encode(), "application/json"))
    result = api.chat(CANARY_KEY, "m", [{"role": "user", "content": "hi"}])
    assert result.reasoning_details == tuple(details)
    assert result.tool_calls[0].name == "get_my_vehicle"
