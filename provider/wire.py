"""The OpenAI chat-completions format: the request payload we send, the JSON reply we read.

Streamed replies are read by ``provider.stream``; this module reads whole bodies.
"""

from __future__ import annotations

import json
from typing import Any

from provider.errors import (
    EmptyReplyError,
    LengthLimitError,
    ModerationError,
    OpenRouterError,
    ProviderError,
    error_from_body,
)
from provider.types import ChatResult, ToolCall, Usage

__all__ = [
    "chat_payload",
    "chat_result",
    "reasoning_details_of",
    "reasoning_text_of",
    "tool_calls_of",
]


def chat_payload(
    model: str,
    messages: list[dict[str, Any]],
    max_tokens: int | None,
    tools: list[dict[str, Any]] | None = None,
    tool_choice: str | None = None,
) -> dict:
    """Build the body of ``POST /chat/completions``, leaving out what was not asked for."""
    payload: dict[str, Any] = {"model": model, "messages": messages}
    if max_tokens:
        payload["max_tokens"] = max_tokens
    if tools:
        payload["tools"] = tools
        if tool_choice:
            payload["tool_choice"] = tool_choice
    return payload


def chat_result(body: dict[str, Any]) -> ChatResult:
    """Read a non-streamed completion; raise the matching error when it holds no reply."""
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices:
        raise EmptyReplyError("the answer had no choices")
    choice = choices[0] if isinstance(choices[0], dict) else {}
    if isinstance(choice.get("error"), dict):
        raise error_from_body({"error": choice["error"]}, 200, None)
    message = choice.get("message") or {}
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, list):  # some providers send content parts
        content = "".join(str(part.get("text") or "") for part in content if isinstance(part, dict))
    if not isinstance(message, dict):
        message = {}
    try:
        return _reply(body, choice, message, content)
    except OpenRouterError as exc:
        # A failure after thinking keeps the thoughts (a reasoning model can spend the
        # whole budget on them), as a streamed reply keeps what it streamed.
        exc.reasoning = reasoning_text_of(message, separator="\n\n")
        raise


def _reply(
    body: dict[str, Any], choice: dict[str, Any], message: dict[str, Any], content: Any
) -> ChatResult:
    finish_reason = choice.get("finish_reason")
    if finish_reason == "error":
        raise ProviderError("the model stopped with an error", provider=body.get("provider"))
    calls = tool_calls_of(message.get("tool_calls"))
    if calls:
        content = content if isinstance(content, str) else ""
    elif not isinstance(content, str) or not content.strip():
        if finish_reason == "length":
            # A reasoning model can spend the whole reply budget before answering.
            raise LengthLimitError(
                "the model reached the length limit before writing any answer",
                provider=body.get("provider") if isinstance(body.get("provider"), str) else None,
            )
        refusal = message.get("refusal")
        if refusal:
            raise ModerationError(str(refusal), status_code=200)
        raise EmptyReplyError("the model returned no text", provider=body.get("provider"))
    model = body.get("model")
    provider = body.get("provider")
    return ChatResult(
        content=content,
        model=model if isinstance(model, str) else None,
        provider=provider if isinstance(provider, str) else None,
        finish_reason=finish_reason if isinstance(finish_reason, str) else None,
        generation_id=body.get("id") if isinstance(body.get("id"), str) else None,
        usage=Usage.from_body(body.get("usage")),
        tool_calls=calls,
        reasoning_details=reasoning_details_of(message),
        reasoning=reasoning_text_of(message, separator="\n\n"),
    )


def reasoning_details_of(part: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    """Read ``reasoning_details`` of a message or a stream delta; non-objects are dropped."""
    details = part.get("reasoning_details")
    if not isinstance(details, list):
        return ()
    return tuple(item for item in details if isinstance(item, dict))


def reasoning_text_of(part: dict[str, Any], separator: str = "") -> str:
    """Read the thinking text of a message or a stream delta.

    ``reasoning`` (OpenRouter) or ``reasoning_content`` (DeepSeek, vLLM, llama.cpp); when
    only ``reasoning_details`` came, their ``reasoning.text`` texts and ``reasoning.summary``
    summaries, joined by ``separator`` (encrypted details carry no text).
    """
    for key in ("reasoning", "reasoning_content"):
        value = part.get(key)
        if isinstance(value, str) and value:
            return value
    pieces = []
    for item in reasoning_details_of(part):
        key = "summary" if item.get("type") == "reasoning.summary" else "text"
        value = item.get(key)
        if isinstance(value, str) and value:
            pieces.append(value)
    return separator.join(pieces)


def tool_calls_of(parts: Any) -> tuple[ToolCall, ...]:
    """Read ``message.tool_calls``; entries without a function name are dropped."""
    if not isinstance(parts, list):
        return ()
    calls = []
    for index, part in enumerate(parts):
        function = part.get("function") if isinstance(part, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            continue
        arguments = function.get("arguments")
        if not isinstance(arguments, str):
            arguments = json.dumps(arguments) if arguments is not None else ""
        call_id = part.get("id") if isinstance(part.get("id"), str) else f"call_{index}"
        calls.append(ToolCall(call_id, function["name"], arguments))
    return tuple(calls)
