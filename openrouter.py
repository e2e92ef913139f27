"""OpenRouter client: chat completions and key information over one pooled session.

Also serves any OpenAI-compatible server (Ollama, llama.cpp, vLLM, LiteLLM) through
the base URL. This module knows nothing of Flask.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import math
import random
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.cookiejar import DefaultCookiePolicy
from typing import Any

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ReadTimeoutError

__all__ = [
    "RETRYABLE_STATUS",
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ChatResult",
    "Delta",
    "EmptyReplyError",
    "Heartbeat",
    "InsufficientCreditsError",
    "InvalidResponseError",
    "KeyInfo",
    "ModelInfo",
    "ModerationError",
    "NotFoundError",
    "OpenRouterClient",
    "OpenRouterError",
    "ProviderError",
    "RateLimitError",
    "RequestTimeoutError",
    "RetryPolicy",
    "ToolCall",
    "ToolLoopError",
    "Usage",
]


# ---------------------------------------------------------------- errors


class OpenRouterError(Exception):
    """Base of every failure talking to OpenRouter.

    ``kind`` is a stable machine name; ``reason`` is the upstream's own wording
    (message, provider, raw detail) when it gave one.
    """

    kind = "upstream_error"

    def __init__(
        self,
        reason: str = "",
        *,
        status_code: int | None = None,
        retry_after: float | None = None,
        provider: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(reason or self.kind)
        self.reason = reason
        self.status_code = status_code
        self.retry_after = retry_after
        self.provider = provider
        self.metadata = metadata or {}


class APIConnectionError(OpenRouterError):
    """OpenRouter could not be reached (DNS, refused, reset)."""

    kind = "connection_error"


class APITimeoutError(APIConnectionError):
    """OpenRouter did not answer within the configured timeout."""

    kind = "timeout"


class InvalidResponseError(OpenRouterError):
    """OpenRouter answered with something that is not the documented format."""

    kind = "invalid_response"


class EmptyReplyError(OpenRouterError):
    """The model finished without producing any text."""

    kind = "empty_reply"


class ToolLoopError(OpenRouterError):
    """The model kept calling tools past the allowed rounds and never answered."""

    kind = "tool_loop"


class APIStatusError(OpenRouterError):
    """OpenRouter answered with an error code (in the status line or the body)."""

    kind = "upstream_error"


class BadRequestError(APIStatusError):
    kind = "bad_request"


class AuthenticationError(APIStatusError):
    kind = "invalid_key"


class InsufficientCreditsError(APIStatusError):
    kind = "insufficient_credits"


class ModerationError(APIStatusError):
    kind = "moderation"


class NotFoundError(APIStatusError):
    kind = "not_found"


class RequestTimeoutError(APIStatusError):
    kind = "upstream_timeout"


class RateLimitError(APIStatusError):
    kind = "rate_limited"


class ProviderError(APIStatusError):
    """5xx: the model or every provider for it is down."""

    kind = "provider_unavailable"


_STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: InsufficientCreditsError,
    403: ModerationError,
    404: NotFoundError,
    408: RequestTimeoutError,
    429: RateLimitError,
}


def error_class_for(status: int) -> type[APIStatusError]:
    """Pick the error class for an HTTP-style error code."""
    if status in _STATUS_ERRORS:
        return _STATUS_ERRORS[status]
    if status >= 500:
        return ProviderError
    return APIStatusError


MAX_RETRY_AFTER = 24 * 3600.0


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Read a Retry-After header given in seconds or as an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        # "inf", "nan" and absurd values are treated as no usable hint.
        return min(max(0.0, seconds), MAX_RETRY_AFTER) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return min(max(0.0, when.timestamp() - (time.time() if now is None else now)), MAX_RETRY_AFTER)


def _error_from_body(
    body: dict[str, Any], status: int, retry_after: float | None
) -> APIStatusError:
    """Build the matching error from an OpenRouter ``{"error": {...}}`` body."""
    err = body.get("error")
    if not isinstance(err, dict):
        err = {"message": str(err) if err else ""}
    code = err.get("code")
    if isinstance(code, str) and code.isdigit():
        code = int(code)
    if not isinstance(code, int) or code < 400:
        code = status if status >= 400 else 502
    metadata = err.get("metadata") if isinstance(err.get("metadata"), dict) else {}
    provider = metadata.get("provider_name")
    parts = [str(err.get("message") or "").strip()]
    raw = metadata.get("raw")
    if raw:
        raw_text = raw if isinstance(raw, str) else str(raw)
        if raw_text not in parts[0]:
            parts.append(raw_text.strip()[:500])
    reasons = metadata.get("reasons")
    if isinstance(reasons, list) and reasons:
        parts.append("flagged for: " + ", ".join(str(r) for r in reasons))
    reason = " — ".join(p for p in parts if p)
    return error_class_for(code)(
        reason,
        status_code=code,
        retry_after=retry_after,
        provider=provider if isinstance(provider, str) else None,
        metadata=metadata,
    )


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None
    cost: float | None = None

    @classmethod
    def from_body(cls, data: Any) -> Usage:
        """Read the ``usage`` object, tolerating missing fields."""
        if not isinstance(data, dict):
            return cls()

        def number(key: str) -> Any:
            value = data.get(key)
            return value if isinstance(value, int | float) else None

        return cls(
            prompt_tokens=number("prompt_tokens"),
            completion_tokens=number("completion_tokens"),
            total_tokens=number("total_tokens"),
            cost=number("cost"),
        )


@dataclass(frozen=True)
class ToolCall:
    """A function the model asked to call; ``arguments`` is the JSON text it wrote."""

    id: str
    name: str
    arguments: str

    def as_message_part(self) -> dict[str, Any]:
        """Return the call as it goes back upstream in the assistant message."""
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments},
        }


@dataclass(frozen=True)
class ChatResult:
    content: str
    model: str | None = None
    provider: str | None = None
    finish_reason: str | None = None
    generation_id: str | None = None
    usage: Usage = field(default_factory=Usage)
    tool_calls: tuple[ToolCall, ...] = ()
    # Reasoning models return these with their tool calls and need them sent back
    # unchanged with the next request, or they lose the thread (OpenRouter's docs).
    reasoning_details: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class Delta:
    """A piece of reply text as it arrives."""

    text: str


@dataclass(frozen=True)
class Heartbeat:
    """The upstream is still working (an SSE comment such as ``: OPENROUTER PROCESSING``)."""


@dataclass(frozen=True)
class ModelInfo:
    id: str
    name: str
    context_length: int | None
    prompt_price: float | None  # USD per token
    completion_price: float | None
    supported_parameters: tuple[str, ...] = ()

    @property
    def is_free(self) -> bool:
        """Tell whether both prompt and completion cost nothing."""
        return self.id.endswith(":free") or (self.prompt_price == 0 and self.completion_price == 0)

    @classmethod
    def from_body(cls, data: dict[str, Any]) -> ModelInfo | None:
        """Read one entry of ``GET /models``; None when it has no id."""
        model_id = data.get("id")
        if not isinstance(model_id, str) or not model_id:
            return None
        pricing = data.get("pricing") if isinstance(data.get("pricing"), dict) else {}

        def price(key: str) -> float | None:
            try:
                value = float(pricing.get(key))
            except (TypeError, ValueError):
                return None
            return value if value >= 0 else None

        context = data.get("context_length")
        top = data.get("top_provider")
        if not isinstance(context, int) and isinstance(top, dict):
            context = top.get("context_length")
        params = data.get("supported_parameters")
        return cls(
            id=model_id,
            name=str(data.get("name") or model_id),
            context_length=context if isinstance(context, int) and context > 0 else None,
            prompt_price=price("prompt"),
            completion_price=price("completion"),
            supported_parameters=tuple(p for p in params or () if isinstance(p, str)),
        )


@dataclass(frozen=True)
class KeyInfo:
    label: str | None
    limit: float | None
    usage: float | None
    limit_remaining: float | None
    is_free_tier: bool | None


# ---------------------------------------------------------------- client


RETRYABLE_STATUS = frozenset({408, 429, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries with exponential backoff and full jitter.

    Only failures that happen before any reply text exists are retried: connection
    errors and the statuses in RETRYABLE_STATUS. A ``Retry-After`` longer than
    ``retry_after_cap`` is not waited out; the error goes to the user with its delay.
    """

    max_retries: int = 2
    base_delay: float = 0.5
    max_delay: float = 4.0
    retry_after_cap: float = 10.0

    def delay(self, attempt: int, retry_after: float | None) -> float | None:
        """Seconds to wait before retry number ``attempt`` (0-based), or None to give up."""
        if attempt >= self.max_retries:
            return None
        if retry_after is not None:
            return retry_after if retry_after <= self.retry_after_cap else None
        # Jitter, not a secret: any generator will do.
        return random.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))  # noqa: S311  # nosec B311


def is_retryable(error: OpenRouterError) -> bool:
    """Tell whether a failure before any reply text may be tried again."""
    if isinstance(error, APITimeoutError):
        return False  # a slow model is not helped by asking twice
    if isinstance(error, APIConnectionError):
        return True
    return isinstance(error, APIStatusError) and error.status_code in RETRYABLE_STATUS


class OpenRouterClient:
    """Talk to an OpenRouter-compatible API; safe to share between threads."""

    def __init__(
        self,
        base_url: str,
        *,
        connect_timeout: float = 10.0,
        read_timeout: float = 90.0,
        pool_size: int = 200,
        app_url: str = "http://localhost:8000",
        app_title: str = "Automotive Chat Assistant",
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self.http = requests.Session()
        # One pool per host, as large as the number of chats a server holds at once.
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size, max_retries=0)
        self.http.mount("https://", adapter)
        self.http.mount("http://", adapter)
        # A shared session must not carry one visitor's cookies into another's call.
        self.http.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        self.http.headers.update(
            {
                "HTTP-Referer": app_url,
                "X-Title": app_title,
                "User-Agent": "automotive-chat/1",
            }
        )

    @property
    def timeout(self) -> tuple[float, float]:
        """The (connect, read) timeouts of every request."""
        return (self.connect_timeout, self.read_timeout)

    def close(self) -> None:
        """Release pooled connections."""
        self.http.close()

    # -------------------------------------------------------- transport

    def _attempt(
        self,
        method: str,
        path: str,
        api_key: str | None,
        json_body: Any,
        *,
        stream: bool,
        read_timeout: float,
    ) -> requests.Response:
        url = f"{self.base_url}/{path.lstrip('/')}"
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        if stream:
            headers["Accept"] = "text/event-stream"
        try:
            response = self.http.request(
                method,
                url,
                json=json_body,
                headers=headers,
                timeout=(self.connect_timeout, read_timeout),
                stream=stream,
            )
        except requests.ConnectTimeout:
            raise APIConnectionError(
                f"no connection within {self.connect_timeout:g} seconds"
            ) from None
        except requests.Timeout:
            raise APITimeoutError(f"no answer within {self.read_timeout:g} seconds") from None
        except requests.RequestException as exc:
            raise APIConnectionError(type(exc).__name__) from None
        if response.status_code >= 400:
            raise self._status_error(response)
        return response

    @staticmethod
    def _status_error(response: requests.Response) -> APIStatusError:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        try:
            body = response.json()
        except ValueError:
            body = None
        finally:
            response.close()
        if isinstance(body, dict) and "error" in body:
            return _error_from_body(body, response.status_code, retry_after)
        text = response.text.strip()[:200] if response.text else ""
        return error_class_for(response.status_code)(
            text or response.reason or f"HTTP {response.status_code}",
            status_code=response.status_code,
            retry_after=retry_after,
        )

    def _with_retries(self, call: Callable[[float], Any], budget: float | None = None) -> Any:
        """Run ``call(read_timeout)`` with retries, all within one read timeout (or ``budget``)."""
        deadline = time.monotonic() + min(self.read_timeout, budget or self.read_timeout)
        attempt = 0
        while True:
            remaining = deadline - time.monotonic()
            try:
                return call(max(remaining, 0.1))
            except OpenRouterError as error:
                if not is_retryable(error):
                    raise
                wait = self.retry.delay(attempt, error.retry_after)
                # Leave the next attempt at least a connect timeout of the budget.
                budget = deadline - time.monotonic() - self.connect_timeout
                if wait is None or wait >= budget:
                    raise
                self._sleep(wait)
                attempt += 1

    def _json(
        self,
        method: str,
        path: str,
        api_key: str | None,
        body: Any = None,
        *,
        budget: float | None = None,
    ) -> dict:
        def call(read_timeout: float) -> dict[str, Any]:
            response = self._attempt(
                method, path, api_key, body, stream=False, read_timeout=read_timeout
            )
            try:
                data = response.json()
            except ValueError:
                raise InvalidResponseError(
                    "the answer was not JSON", status_code=response.status_code
                ) from None
            if not isinstance(data, dict):
                raise InvalidResponseError("the answer was not a JSON object")
            if data.get("error"):
                # A 200 whose body carries an error: the model failed after routing.
                raise _error_from_body(data, 200, None)
            return data

        return self._with_retries(call, budget)

    # -------------------------------------------------------- API

    def chat(
        self,
        api_key: str,
        model: str,
        messages: list[dict[str, Any]],
        *,
        max_tokens: int | None = None,
        tools: list[dict[str, Any]] | None = None,
        tool_choice: str | None = None,
        budget: float | None = None,
    ) -> ChatResult:
        """Send one non-streaming chat completion and return the reply (within ``budget`` s)."""
        payload = _payload(model, messages, max_tokens, tools, tool_choice)
        body = self._json("POST", "chat/completions", api_key, payload, budget=budget)
        try:
            return _chat_result(body)
        except (AttributeError, KeyError, TypeError, ValueError):
            # A body that breaks the documented shape is the upstream's failure, not ours.
            raise InvalidResponseError("the answer did not have the expected shape") from None

    def stream(
        self,
        api_key: str,
        model: str,
        messages: list[dict[str, Any]],
        *,
        max_tokens: int | None = None,
        tools: list[dict[str, Any]] | None = None,
        tool_choice: str | None = None,
        budget: float | None = None,
    ) -> ChatStream:
        """Open a streaming chat completion; failures before the first byte are retried."""
        payload = _payload(model, messages, max_tokens, tools, tool_choice)
        payload["stream"] = True
        payload["stream_options"] = {"include_usage": True}

        def call(read_timeout: float) -> requests.Response:
            return self._attempt(
                "POST", "chat/completions", api_key, payload, stream=True, read_timeout=read_timeout
            )

        return ChatStream(self._with_retries(call, budget), model, self.read_timeout)

    def key_info(self, api_key: str) -> KeyInfo:
        """Describe a key (label, limit, usage) without spending a completion."""
        body = self._json("GET", "key", api_key)
        data = body.get("data")
        if not isinstance(data, dict):
            raise InvalidResponseError("the key answer had no data")

        def number(key: str) -> float | None:
            value = data.get(key)
            return float(value) if isinstance(value, int | float) else None

        free = data.get("is_free_tier")
        return KeyInfo(
            label=data.get("label") if isinstance(data.get("label"), str) else None,
            limit=number("limit"),
            usage=number("usage"),
            limit_remaining=number("limit_remaining"),
            is_free_tier=free if isinstance(free, bool) else None,
        )

    def models(self, api_key: str | None = None, *, timeout: float = 10.0) -> list[ModelInfo]:
        """Fetch the model catalog (``GET /models``; no key needed), once, within ``timeout``."""
        try:
            response = self._attempt(
                "GET", "models", api_key, None, stream=False, read_timeout=timeout
            )
            body = response.json()
        except ValueError:
            raise InvalidResponseError("the model list was not JSON") from None
        if not isinstance(body, dict):
            raise InvalidResponseError("the model list was not a JSON object")
        entries = body.get("data")
        if not isinstance(entries, list):
            raise InvalidResponseError("the model list had no data")
        models = [ModelInfo.from_body(entry) for entry in entries if isinstance(entry, dict)]
        return [model for model in models if model is not None]


def _chat_result(body: dict[str, Any]) -> ChatResult:
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices:
        raise EmptyReplyError("the answer had no choices")
    choice = choices[0] if isinstance(choices[0], dict) else {}
    if isinstance(choice.get("error"), dict):
        raise _error_from_body({"error": choice["error"]}, 200, None)
    message = choice.get("message") or {}
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, list):  # some providers send content parts
        content = "".join(str(part.get("text") or "") for part in content if isinstance(part, dict))
    finish_reason = choice.get("finish_reason")
    if finish_reason == "error":
        raise ProviderError("the model stopped with an error", provider=body.get("provider"))
    calls = _tool_calls(message.get("tool_calls") if isinstance(message, dict) else None)
    if calls:
        content = content if isinstance(content, str) else ""
    elif not isinstance(content, str) or not content.strip():
        refusal = message.get("refusal") if isinstance(message, dict) else None
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
        reasoning_details=_reasoning_details(message if isinstance(message, dict) else {}),
    )


def _reasoning_details(part: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    details = part.get("reasoning_details")
    if not isinstance(details, list):
        return ()
    return tuple(item for item in details if isinstance(item, dict))


def _tool_calls(parts: Any) -> tuple[ToolCall, ...]:
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


def _payload(
    model: str,
    messages: list[dict[str, Any]],
    max_tokens: int | None,
    tools: list[dict[str, Any]] | None = None,
    tool_choice: str | None = None,
) -> dict:
    payload: dict[str, Any] = {"model": model, "messages": messages}
    if max_tokens:
        payload["max_tokens"] = max_tokens
    if tools:
        payload["tools"] = tools
        if tool_choice:
            payload["tool_choice"] = tool_choice
    return payload


# ---------------------------------------------------------------- streaming


class ChatStream:
    """Iterate a streaming reply as Delta and Heartbeat events.

    Raises an OpenRouterError if the stream fails; ``text`` then holds the partial
    reply. ``close()`` (or leaving the ``with`` block) closes the upstream request,
    which is how a stopped reply stops costing tokens.
    """

    def __init__(self, response: requests.Response, model: str, read_timeout: float) -> None:
        self._response = response
        self._read_timeout = read_timeout
        self.model = response.headers.get("X-Model") or model
        self.provider: str | None = None
        self.generation_id: str | None = response.headers.get("X-Generation-Id")
        self.finish_reason: str | None = None
        self.usage = Usage()
        self.text = ""
        self.closed = False
        self.finished = False  # [DONE] or a finish_reason arrived
        # Tool calls arrive in pieces keyed by index: id and name first, then the
        # arguments' JSON text a fragment at a time.
        self._tool_parts: dict[int, dict[str, str]] = {}
        self._reasoning: list[dict[str, Any]] = []
        self._slot_of: dict[int, int] = {}  # the index a piece names -> its call's slot

    def __enter__(self) -> ChatStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the upstream connection (idempotent), even while another thread reads it."""
        if not self.closed:
            self.closed = True
            # A read blocked in another thread holds the response's buffer lock, so a
            # plain close would wait for the next byte; shutting the socket down first
            # wakes that read at once.
            connection = getattr(self._response.raw, "_connection", None)
            sock = getattr(connection, "sock", None)
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            self._response.close()

    @property
    def result(self) -> ChatResult:
        """The finished reply, once iteration ended without an error."""
        return ChatResult(
            content=self.text,
            model=self.model,
            provider=self.provider,
            finish_reason=self.finish_reason,
            generation_id=self.generation_id,
            usage=self.usage,
            tool_calls=self.tool_calls,
            reasoning_details=tuple(self._reasoning),
        )

    @property
    def tool_calls(self) -> tuple[ToolCall, ...]:
        """The tool calls assembled from the stream so far."""
        return tuple(
            ToolCall(part["id"] or f"call_{index}", part["name"], part["arguments"])
            for index, part in sorted(self._tool_parts.items())
            if part["name"]
        )

    def _raw_chunks(self) -> Iterator[bytes]:
        raw = self._response.raw
        try:
            while True:
                # read1 hands over whatever arrived, so text is not held back.
                chunk = raw.read1(65536)
                if not chunk:
                    return
                yield chunk
        except (ReadTimeoutError, TimeoutError):
            raise APITimeoutError(
                f"the stream stalled for {self._read_timeout:g} seconds"
            ) from None
        except (urllib3.exceptions.HTTPError, requests.RequestException, OSError) as exc:
            raise APIConnectionError(f"the stream broke ({type(exc).__name__})") from None

    def _events(self) -> Iterator[str | None]:
        """Yield each SSE data payload, and None for each comment line."""
        buffer = b""
        data: list[str] = []
        for chunk in self._raw_chunks():
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for raw_line in lines:
                line = raw_line.rstrip(b"\r").decode("utf-8", errors="replace")
                if not line:
                    if data:
                        yield "\n".join(data)
                        data = []
                elif line.startswith(":"):
                    yield None
                elif line.startswith("data:"):
                    data.append(line[5:].removeprefix(" "))
                # event:, id: and retry: fields carry nothing we use.
        if data:
            yield "\n".join(data)

    def _release(self) -> None:
        """Hand a fully read connection back to the pool instead of closing it."""
        raw = self._response.raw
        try:
            while raw.read1(65536):  # the end of the chunked body follows [DONE]
                pass
        except (urllib3.exceptions.HTTPError, OSError):
            return  # close() will drop it
        raw.release_conn()
        self.closed = True

    def __iter__(self) -> Iterator[Delta | Heartbeat]:
        try:
            for payload in self._events():
                if payload is None:
                    yield Heartbeat()
                    continue
                if payload.strip() == "[DONE]":
                    self.finished = True
                    self._release()
                    break
                try:
                    delta = self._read_chunk(payload)
                except (AttributeError, KeyError, TypeError, ValueError):
                    raise InvalidResponseError("a stream chunk had an unexpected shape") from None
                if delta:
                    self.text += delta
                    yield Delta(delta)
        finally:
            self.close()
        if not self.text.strip() and not self.tool_calls:
            raise EmptyReplyError("the model streamed no text", provider=self.provider)
        if not self.finished:
            # The body ended without [DONE] or a finish reason: the reply was cut off.
            raise APIConnectionError("the stream ended before the reply was finished")

    def _read_chunk(self, payload: str) -> str:
        try:
            chunk = json.loads(payload)
        except ValueError:
            raise InvalidResponseError("a stream chunk was not JSON") from None
        if not isinstance(chunk, dict):
            return ""
        for attribute, key in (
            ("provider", "provider"),
            ("model", "model"),
            ("generation_id", "id"),
        ):
            value = chunk.get(key)
            if isinstance(value, str) and value:
                setattr(self, attribute, value)
        if chunk.get("usage"):
            self.usage = Usage.from_body(chunk["usage"])
        if chunk.get("error"):
            error = _error_from_body(chunk, 200, None)
            error.provider = error.provider or self.provider
            raise error
        choices = chunk.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            return ""  # e.g. the final usage chunk with empty choices
        choice = choices[0]
        finish = choice.get("finish_reason")
        if finish:
            self.finish_reason = finish
            self.finished = True
        delta = choice.get("delta") if isinstance(choice.get("delta"), dict) else {}
        self._add_tool_parts(delta.get("tool_calls"))
        self._reasoning.extend(_reasoning_details(delta))
        text = delta.get("content")
        if finish == "error":
            self.text += text or ""
            raise ProviderError("the model stopped with an error", provider=self.provider)
        return text if isinstance(text, str) else ""

    def _add_tool_parts(self, parts: Any) -> None:
        if not isinstance(parts, list):
            return
        for part in parts:
            if not isinstance(part, dict):
                continue
            call_id = part.get("id") if isinstance(part.get("id"), str) else ""
            raw = part.get("index")
            last = max(self._tool_parts, default=-1)
            if isinstance(raw, int):
                index = self._slot_of.get(raw, raw if raw not in self._tool_parts else last + 1)
            else:
                # No index (some OpenAI-compatible servers): a new id starts a new call,
                # a piece without one continues the last call.
                index = last + 1 if call_id or last < 0 else last
            slot = self._tool_parts.get(index)
            if slot is not None and call_id and slot["id"] and call_id != slot["id"]:
                # A server that numbers every call 0: a different id is a different call.
                index, slot = last + 1, None
            if isinstance(raw, int):
                self._slot_of[raw] = index
            if slot is None:
                slot = self._tool_parts[index] = {"id": "", "name": "", "arguments": ""}
            if call_id:
                slot["id"] = call_id
            function = part.get("function") if isinstance(part.get("function"), dict) else {}
            name = function.get("name")
            # Most providers send the name once; some repeat it in every piece.
            if isinstance(name, str) and name != slot["name"]:
                slot["name"] += name
            if isinstance(function.get("arguments"), str):
                slot["arguments"] += function["arguments"]
