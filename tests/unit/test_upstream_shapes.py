"""What OpenRouter and the OpenAI-compatible servers really send, read by the client.

Each shape is served by the fake upstream over loopback exactly as the provider's documentation
gives it: context-window refusals (OpenRouter, OpenAI, vLLM, llama.cpp, Ollama), vLLM's
top-level error body, "no tools" refusals, the free models' daily cap, the 402 that says how
many tokens the credits still buy, reasoning (streamed and whole), replies cut off at the
length limit, and the context windows of each server's model list.
"""

from __future__ import annotations

import pytest

import openrouter
from provider.retry import RetryPolicy, is_retryable
from states import FailureKind
from tests.support import CANARY_KEY
from tests.support.fake_openrouter import (
    REASONING_SHAPES,
    Error,
    Raw,
    Reply,
    Stream,
    llamacpp_model_entry,
    model_entry,
    vllm_model_entry,
)

ASK = [{"role": "user", "content": "My horn stopped working"}]


@pytest.fixture
def api(fake):
    client = openrouter.OpenRouterClient(fake.url, connect_timeout=2, read_timeout=5)
    yield client
    client.close()


@pytest.fixture
def retrying(fake):
    """A client that would retry twice at once; ``waits`` records each wait it took."""
    waits: list[float] = []
    client = openrouter.OpenRouterClient(
        fake.url,
        connect_timeout=2,
        read_timeout=5,
        retry=RetryPolicy(max_retries=2, base_delay=0.01, max_delay=0.01),
        sleep=waits.append,
    )
    yield client, waits
    client.close()


# ------------------------------------------------------------------ context length

OPENROUTER_CONTEXT = (
    "This endpoint's maximum context length is 8192 tokens. However, you requested about "
    "9100 tokens (7052 of text input, 2048 in the output). Please reduce the length of either "
    'one, or use the "middle-out" transform to compress your prompt automatically.'
)
OPENAI_CONTEXT = (
    "This model's maximum context length is 8192 tokens. However, your messages resulted in "
    "9000 tokens. Please reduce the length of the messages."
)
VLLM_CONTEXT = (
    "This model's maximum context length is 2048 tokens. However, you requested 2600 tokens "
    "(552 in the messages, 2048 in the completion). Please reduce the length of the messages "
    "or completion."
)
VLLM_NEW_CONTEXT = (
    "'max_tokens' or 'max_completion_tokens' is too large: 2048. This model's maximum context "
    "length is 2048 tokens and your request has 552 input tokens (2048 > 2048 - 552)."
)
LLAMACPP_CONTEXT = "the request exceeds the available context size, try increasing it"
LLAMACPP_OLD_CONTEXT = (
    "the request exceeds the available context size. try increasing the context size or "
    "enable context shift"
)
OLLAMA_FIELDS = {"type": "api_error", "param": None, "code": None}

CONTEXT_SHAPES = {
    "openrouter": (Error(400, OPENROUTER_CONTEXT), 400, 8192),
    "openrouter-in-200": (Error(400, OPENROUTER_CONTEXT, in_body_of_200=True), 400, 8192),
    "openrouter-413": (Error(413, OPENROUTER_CONTEXT), 413, 8192),
    "openai": (
        Error(
            400,
            OPENAI_CONTEXT,
            fields={
                "code": "context_length_exceeded",
                "type": "invalid_request_error",
                "param": "messages",
            },
        ),
        400,
        8192,
    ),
    "openrouter-provider-raw": (
        Error(
            400,
            "Provider returned error",
            metadata={
                "raw": '{"error":{"message":"This model\'s maximum context length is '
                '65536 tokens."}}',
                "provider_name": "DeepInfra",
            },
        ),
        400,
        65536,
    ),
    "litellm-anthropic": (
        Error(
            400,
            "litellm.BadRequestError: AnthropicException - prompt is too long: 210000 tokens > "
            "200000 maximum",
            fields={"type": None, "param": None, "code": "400"},
        ),
        400,
        200000,
    ),
    "vllm": (Error(400, VLLM_CONTEXT, top_level=True), 400, 2048),
    "vllm-new": (Error(400, VLLM_NEW_CONTEXT, top_level=True), 400, 2048),
    "llamacpp": (
        Error(
            400,
            LLAMACPP_CONTEXT,
            fields={"type": "exceed_context_size_error", "n_prompt_tokens": 2300, "n_ctx": 2048},
        ),
        400,
        2048,
    ),
    "llamacpp-old": (
        Error(400, LLAMACPP_OLD_CONTEXT, fields={"type": "invalid_request_error"}),
        400,
        None,
    ),
    "ollama-400": (
        Error(400, "input length exceeds the context length", fields=OLLAMA_FIELDS),
        400,
        None,
    ),
    "ollama-500": (
        Error(500, "input length exceeds the context length", fields=OLLAMA_FIELDS),
        500,
        None,
    ),
    "ollama-stated": (
        Error(
            400,
            "the input length of 2600 tokens exceeds the context length of 2048 tokens",
            fields=OLLAMA_FIELDS,
        ),
        400,
        2048,
    ),
}


@pytest.mark.parametrize(("error", "status", "limit"), CONTEXT_SHAPES.values(), ids=CONTEXT_SHAPES)
def test_context_length_refusals_are_recognised_with_their_window(api, fake, error, status, limit):
    fake.queue(error)
    with pytest.raises(openrouter.ContextLengthError) as info:
        api.chat(CANARY_KEY, "m", ASK, max_tokens=2048)
    exc = info.value
    assert exc.kind is FailureKind.CONTEXT_LENGTH
    assert isinstance(exc, openrouter.BadRequestError)
    assert exc.limit == limit
    assert exc.status_code == status
    assert exc.reason.startswith(error.message)  # the server's own words, not the raw body
    assert not is_retryable(exc)
    assert len(fake.chat_requests) == 1


@pytest.mark.parametrize("name", ["openrouter", "vllm", "llamacpp"])
def test_context_length_refusal_of_a_stream(api, fake, name):
    error, _, limit = CONTEXT_SHAPES[name]
    fake.queue(error)
    with pytest.raises(openrouter.ContextLengthError) as info:
        api.stream(CANARY_KEY, "m", ASK)
    assert info.value.limit == limit


def test_other_bad_requests_stay_bad_requests(api, fake):
    fake.queue(Error(400, "temperature must be at most 2"))
    with pytest.raises(openrouter.BadRequestError) as info:
        api.chat(CANARY_KEY, "m", ASK)
    assert type(info.value) is openrouter.BadRequestError
    assert not hasattr(info.value, "limit")


# ------------------------------------------------------------------ vLLM's top-level errors


@pytest.mark.parametrize(
    ("status", "message", "cls"),
    [
        (400, "temperature must be non-negative, got -1.0.", openrouter.BadRequestError),
        (401, "Unauthorized", openrouter.AuthenticationError),
        (404, "The model `mistral-7b` does not exist.", openrouter.NotFoundError),
        (500, "Internal server error", openrouter.ProviderError),
        (501, "The engine does not serve this route", openrouter.ProviderError),
    ],
)
def test_top_level_error_bodies_give_their_message(api, fake, status, message, cls):
    fake.queue(Error(status, message, top_level=True))
    with pytest.raises(cls) as info:
        api.chat(CANARY_KEY, "m", ASK)
    assert type(info.value) is cls
    assert info.value.reason == message  # not the first 200 characters of the JSON
    assert info.value.status_code == status


def test_a_top_level_error_inside_a_200_is_an_error(api, fake):
    fake.queue(Error(400, VLLM_CONTEXT, top_level=True, in_body_of_200=True))
    with pytest.raises(openrouter.ContextLengthError) as info:
        api.chat(CANARY_KEY, "m", ASK)
    assert info.value.limit == 2048


def test_a_framework_detail_body_gives_its_detail(api, fake):
    fake.queue(Raw(404, b'{"detail":"Not Found"}', "application/json"))
    with pytest.raises(openrouter.NotFoundError) as info:
        api.chat(CANARY_KEY, "m", ASK)
    assert info.value.reason == "Not Found"


def test_a_top_level_error_mid_stream_is_raised(api, fake):
    body = b'{"object": "error", "message": "Provider disconnected", "type": "x", "code": 502}'
    stream_body = b"data: " + body + b"\n\n"
    fake.queue(Raw(200, stream_body, "text/event-stream"))
    stream = api.stream(CANARY_KEY, "m", ASK)
    with pytest.raises(openrouter.ProviderError) as info:
        list(stream)
    assert info.value.reason == "Provider disconnected"


# ------------------------------------------------------------------ tools unsupported

OPENROUTER_NO_TOOLS = (
    "No endpoints found that support tool use. To learn more about provider routing, visit: "
    "https://openrouter.ai/docs/provider-routing"
)
OLLAMA_NO_TOOLS = "registry.ollama.ai/library/gemma:2b does not support tools"


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (Error(404, OPENROUTER_NO_TOOLS), 404),
        (
            Error(
                400,
                OLLAMA_NO_TOOLS,
                fields={"type": "invalid_request_error", "param": None, "code": None},
            ),
            400,
        ),
    ],
    ids=["openrouter", "ollama"],
)
def test_a_model_without_tools_is_named_so(api, fake, error, status):
    fake.queue(error)
    tools = [{"type": "function", "function": {"name": "decode_vin", "parameters": {}}}]
    with pytest.raises(openrouter.ToolsUnsupportedError) as info:
        api.chat(CANARY_KEY, "m", ASK, tools=tools)
    exc = info.value
    assert exc.kind is FailureKind.TOOLS_UNSUPPORTED
    assert isinstance(exc, openrouter.NotFoundError)
    assert exc.status_code == status
    assert exc.reason == error.message


def test_a_plain_404_is_not_about_tools(api, fake):
    fake.queue(Error(404, "No endpoints found for some/model."))
    with pytest.raises(openrouter.NotFoundError) as info:
        api.chat(CANARY_KEY, "m", ASK)
    assert type(info.value) is openrouter.NotFoundError


# ------------------------------------------------------------------ the daily cap

DAILY = (
    "Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model "
    "requests per day"
)
RESET_MS = "1764633600000"
DAILY_METADATA = {
    "headers": {
        "X-RateLimit-Limit": "50",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": RESET_MS,
    },
    "provider_name": None,
}


@pytest.mark.parametrize(
    ("error", "resets_at"),
    [
        (Error(429, DAILY, metadata=DAILY_METADATA), 1764633600.0),
        (Error(429, DAILY, headers={"X-RateLimit-Reset": RESET_MS}), 1764633600.0),
        (Error(429, DAILY, metadata=DAILY_METADATA, in_body_of_200=True), 1764633600.0),
        (Error(429, DAILY), None),
    ],
    ids=["metadata-headers", "response-header", "in-200", "no-reset"],
)
def test_the_daily_cap_is_its_own_kind_and_never_retried(retrying, fake, error, resets_at):
    client, waits = retrying
    fake.queue(error, Reply("unused"))
    with pytest.raises(openrouter.DailyLimitError) as info:
        client.chat(CANARY_KEY, "deepseek/deepseek-chat-v3-0324:free", ASK)
    exc = info.value
    assert exc.kind is FailureKind.DAILY_LIMIT
    assert isinstance(exc, openrouter.RateLimitError)
    assert exc.resets_at == resets_at
    assert exc.retry_after is None
    assert exc.reason.startswith("Rate limit exceeded: free-models-per-day")
    assert not openrouter.is_retryable(exc)
    assert len(fake.chat_requests) == 1
    assert waits == []


def test_the_daily_cap_of_a_stream_is_not_retried(retrying, fake):
    client, waits = retrying
    fake.queue(Error(429, DAILY, metadata=DAILY_METADATA), Stream())
    with pytest.raises(openrouter.DailyLimitError) as info:
        client.stream(CANARY_KEY, "m", ASK)
    assert info.value.resets_at == 1764633600.0
    assert len(fake.chat_requests) == 1
    assert waits == []


def test_a_per_minute_limit_is_still_retried(retrying, fake):
    client, waits = retrying
    fake.queue(Error(429, "Rate limit exceeded: free-models-per-min."), Reply("Check the fuse."))
    assert client.chat(CANARY_KEY, "m", ASK).content == "Check the fuse."
    assert len(fake.chat_requests) == 2
    assert len(waits) == 1


# ------------------------------------------------------------------ credits

AFFORD = (
    "This request requires more credits, or fewer max_tokens. You requested up to 2048 tokens, "
    "but can only afford 1310. To increase, visit https://openrouter.ai/settings/credits and "
    "upgrade to a paid account"
)


@pytest.mark.parametrize(
    ("message", "affordable"),
    [(AFFORD, 1310), ("Insufficient credits. Add more using https://openrouter.ai/credits", None)],
    ids=["can-only-afford", "no-figure"],
)
def test_insufficient_credits_say_what_is_affordable(api, fake, message, affordable):
    fake.queue(Error(402, message))
    with pytest.raises(openrouter.InsufficientCreditsError) as info:
        api.chat(CANARY_KEY, "m", ASK, max_tokens=2048)
    assert info.value.kind is FailureKind.INSUFFICIENT_CREDITS
    assert info.value.affordable_tokens == affordable
    assert info.value.status_code == 402


def test_every_error_answers_affordable_tokens():
    assert openrouter.OpenRouterError("x").affordable_tokens is None
    assert openrouter.RateLimitError("x").affordable_tokens is None
    assert openrouter.APIConnectionError("x").affordable_tokens is None


# ------------------------------------------------------------------ reasoning

THOUGHTS = ["The horn ", "needs power through ", "its relay."]


@pytest.mark.parametrize("shape", REASONING_SHAPES)
def test_streamed_reasoning_comes_as_its_own_events(api, fake, shape):
    fake.queue(Stream(["Check ", "fuse 12."], reasoning=THOUGHTS, reasoning_shape=shape))
    with api.stream(CANARY_KEY, "m", ASK) as stream:
        events = list(stream)
    thoughts = [e.text for e in events if isinstance(e, openrouter.Reasoning)]
    deltas = [e.text for e in events if isinstance(e, openrouter.Delta)]
    assert thoughts == THOUGHTS
    assert deltas == ["Check ", "fuse 12."]
    first_delta = next(i for i, e in enumerate(events) if isinstance(e, openrouter.Delta))
    assert all(isinstance(e, openrouter.Reasoning) for e in events[1:first_delta])
    assert stream.text == "Check fuse 12."  # thinking is never part of the reply
    assert stream.reasoning == "".join(THOUGHTS)
    result = stream.result
    assert result.content == "Check fuse 12."
    assert result.reasoning == "".join(THOUGHTS)
    # The details go back upstream unchanged with the next request.
    if shape == "reasoning_content":
        assert result.reasoning_details == ()
    else:
        assert result.reasoning_details
        kinds = {d["type"] for d in result.reasoning_details}
        assert kinds <= {"reasoning.text", "reasoning.summary", "reasoning.encrypted"}
    if shape == "summary":
        assert any(d["type"] == "reasoning.encrypted" for d in result.reasoning_details)


@pytest.mark.parametrize("shape", REASONING_SHAPES)
def test_reasoning_of_a_whole_reply(api, fake, shape):
    fake.queue(Reply("Check fuse 12.", reasoning="The horn needs power.", reasoning_shape=shape))
    result = api.chat(CANARY_KEY, "m", ASK)
    assert result.content == "Check fuse 12."
    assert result.reasoning == "The horn needs power."
    assert bool(result.reasoning_details) is (shape != "reasoning_content")


def test_a_reply_without_reasoning_has_none(api, fake):
    fake.queue(Reply("Check fuse 12."))
    assert api.chat(CANARY_KEY, "m", ASK).reasoning == ""
    fake.queue(Stream(["Check fuse 12."]))
    with api.stream(CANARY_KEY, "m", ASK) as stream:
        assert not [e for e in stream if isinstance(e, openrouter.Reasoning)]
    assert stream.reasoning == ""
    assert stream.result.reasoning == ""


# ------------------------------------------------------------------ the length limit


def test_a_reply_cut_off_with_text_is_a_reply(api, fake):
    fake.queue(Reply("The relay is under the", finish_reason="length"))
    result = api.chat(CANARY_KEY, "m", ASK)
    assert result.content == "The relay is under the"
    assert result.finish_reason == "length"
    fake.queue(Stream(["The relay ", "is under the"], finish_reason="length"))
    with api.stream(CANARY_KEY, "m", ASK) as stream:
        list(stream)
    assert stream.result.finish_reason == "length"
    assert stream.text == "The relay is under the"


def test_a_budget_spent_thinking_is_a_length_limit_error(api, fake):
    fake.queue(Reply("", reasoning="Let me think about horns...", finish_reason="length"))
    with pytest.raises(openrouter.LengthLimitError) as info:
        api.chat(CANARY_KEY, "m", ASK, max_tokens=256)
    assert info.value.kind is FailureKind.LENGTH_LIMIT
    assert isinstance(info.value, openrouter.EmptyReplyError)


def test_a_stream_that_spent_its_budget_thinking_is_a_length_limit_error(api, fake):
    fake.queue(Stream([], reasoning=["Let me think ", "about horns..."], finish_reason="length"))
    stream = api.stream(CANARY_KEY, "m", ASK, max_tokens=256)
    seen = []
    with pytest.raises(openrouter.LengthLimitError) as info:
        seen.extend(stream)
    assert info.value.kind is FailureKind.LENGTH_LIMIT
    assert [e.text for e in seen if isinstance(e, openrouter.Reasoning)] == [
        "Let me think ",
        "about horns...",
    ]
    assert stream.reasoning == "Let me think about horns..."
    assert stream.text == ""


def test_an_empty_reply_that_stopped_is_still_an_empty_reply(api, fake):
    fake.queue(Reply(""))
    with pytest.raises(openrouter.EmptyReplyError) as info:
        api.chat(CANARY_KEY, "m", ASK)
    assert type(info.value) is openrouter.EmptyReplyError
    fake.queue(Stream([]))
    with pytest.raises(openrouter.EmptyReplyError) as info:
        list(api.stream(CANARY_KEY, "m", ASK))
    assert type(info.value) is openrouter.EmptyReplyError


# ------------------------------------------------------------------ model-list windows


def test_each_servers_model_list_gives_its_context_window(api, fake):
    fake.state.models = [
        model_entry("openai/gpt-4o-mini", context_length=128000),
        {"id": "top/only", "context_length": None, "top_provider": {"context_length": 32768}},
        vllm_model_entry("Qwen/Qwen2.5-7B-Instruct", max_model_len=32768),
        llamacpp_model_entry("llama-3.1-8b.gguf", n_ctx_train=131072),
        llamacpp_model_entry("llama-3.1-8b-served.gguf", n_ctx_train=131072, n_ctx=8192),
        {"id": "gpt-4o", "object": "model", "owned_by": "openai", "context_window": 128000},
        {"id": "gemma3:4b", "object": "model", "created": 1735689600, "owned_by": "library"},
        {"id": "nonsense", "context_length": 0, "max_model_len": "big", "context_window": True},
    ]
    windows = {model.id: model.context_length for model in api.models()}
    assert windows == {
        "openai/gpt-4o-mini": 128000,
        "top/only": 32768,
        "Qwen/Qwen2.5-7B-Instruct": 32768,
        "llama-3.1-8b.gguf": 131072,
        "llama-3.1-8b-served.gguf": 8192,
        "gpt-4o": 128000,
        "gemma3:4b": None,
        "nonsense": None,
    }
