"""The client's face: ``OpenRouterClient`` talks to OpenRouter over one pooled HTTP session.

Also serves any OpenAI-compatible server (Ollama, llama.cpp, vLLM, LiteLLM) through the base
URL. Errors, types, wire parsing, retry policy and the stream live in provider/; every name
they export that callers used from here is re-exported. This module knows nothing of Flask.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from http.cookiejar import DefaultCookiePolicy
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from provider.base import ChatProvider, upstream_name
from provider.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConnectionLostError,
    ContextLengthError,
    DailyLimitError,
    EmptyReplyError,
    InsufficientCreditsError,
    InvalidResponseError,
    LengthLimitError,
    ModerationError,
    NotFoundError,
    OpenRouterError,
    PermissionDeniedError,
    ProviderError,
    RateLimitError,
    RequestTimeoutError,
    ToolLoopError,
    ToolsUnsupportedError,
    error_class_for,
    error_from_body,
    error_payload,
    status_error,
)
from provider.retry import (
    MAX_RETRY_AFTER,
    RETRYABLE_STATUS,
    RetryPolicy,
    is_retryable,
    parse_retry_after,
)
from provider.stream import ChatStream, WholeReply
from provider.transport import connection_error, late_error, page_reason, read_body
from provider.types import (
    ChatResult,
    Delta,
    Heartbeat,
    KeyInfo,
    ModelInfo,
    Reasoning,
    ToolCall,
    Usage,
)
from provider.wire import chat_payload, chat_result

__all__ = [
    "MAX_RETRY_AFTER",
    "RETRYABLE_STATUS",
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ChatProvider",
    "ChatResult",
    "ChatStream",
    "ConnectionLostError",
    "ContextLengthError",
    "DailyLimitError",
    "Delta",
    "EmptyReplyError",
    "Heartbeat",
    "InsufficientCreditsError",
    "InvalidResponseError",
    "KeyInfo",
    "LengthLimitError",
    "ModelInfo",
    "ModerationError",
    "NotFoundError",
    "OpenRouterClient",
    "OpenRouterError",
    "PermissionDeniedError",
    "ProviderError",
    "RateLimitError",
    "Reasoning",
    "RequestTimeoutError",
    "RetryPolicy",
    "ToolCall",
    "ToolLoopError",
    "ToolsUnsupportedError",
    "Usage",
    "error_class_for",
    "error_from_body",
    "error_payload",
    "is_retryable",
    "parse_retry_after",
    "status_error",
]


# A whole answer larger than this is not a chat reply (a catalog is about 1 MB today).
_BODY_BYTES = 32 * 1024 * 1024
# Enough of an error body for its message or a page's title.
_ERROR_BYTES = 64 * 1024


class OpenRouterClient:
    """Talk to an OpenRouter-compatible API; safe to share between threads.

    Implements ``provider.base.ChatProvider``.
    """

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
        name: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._name = name
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
    def name(self) -> str:
        """The upstream's name for sentences: as configured, else "OpenRouter" or host[:port]."""
        return self._name or upstream_name(self.base_url)

    @property
    def timeout(self) -> tuple[float, float]:
        """The (connect, read) timeouts of every request."""
        return (self.connect_timeout, self.read_timeout)

    def close(self) -> None:
        """Release pooled connections."""
        self.http.close()

    # -------------------------------------------------------- transport

    def _deadline(self, budget: float | None = None) -> float:
        """When a call's time is up: one read timeout from now, or ``budget`` s if sooner."""
        return time.monotonic() + min(self.read_timeout, budget or self.read_timeout)

    def _attempt(
        self,
        method: str,
        path: str,
        api_key: str | None,
        json_body: Any,
        *,
        deadline: float,
        stream: bool = False,
    ) -> requests.Response:
        """Send one request and return the response once its status line is in.

        The body is left unread: ``read_body`` (whole answers) and ``ChatStream`` (streams)
        read it within the same ``deadline``.
        """
        url = f"{self.base_url}/{path.lstrip('/')}"
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        if stream:
            headers["Accept"] = "text/event-stream"
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise late_error(self.read_timeout)
        try:
            response = self.http.request(
                method,
                url,
                json=json_body,
                headers=headers,
                timeout=(min(self.connect_timeout, remaining), min(self.read_timeout, remaining)),
                stream=True,
            )
        except requests.ConnectTimeout:
            raise APIConnectionError(
                f"no connection within {self.connect_timeout:g} seconds"
            ) from None
        except requests.Timeout:
            if time.monotonic() >= deadline - 0.05:
                raise late_error(self.read_timeout) from None
            raise APITimeoutError(f"no answer within {self.read_timeout:g} seconds") from None
        except requests.RequestException as exc:
            raise connection_error(exc) from None
        if response.status_code >= 400:
            raise self._status_error(response, deadline)
        return response

    def _status_error(self, response: requests.Response, deadline: float) -> APIStatusError:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        try:
            raw = read_body(response, deadline, self.read_timeout, self.read_timeout, _ERROR_BYTES)
        except OpenRouterError:
            raw = b""  # the status line says enough
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        if error_payload(body) is not None:
            # {"error": {...}}, or a top-level {"object": "error", "message": ...} (vLLM).
            return error_from_body(body, response.status_code, retry_after, response.headers)
        text = raw.decode("utf-8", errors="replace")
        # A proxy's or CDN's HTML error page is named by its title, never shown as source.
        reason = page_reason(text, response.headers.get("Content-Type", ""))
        if reason is None:
            reason = " ".join(text.split())[:200]
        return status_error(
            response.status_code,
            reason or response.reason or f"HTTP {response.status_code}",
            retry_after=retry_after,
            headers=response.headers,
        )

    def _with_retries(self, call: Callable[[float], Any], deadline: float) -> Any:
        """Run ``call(deadline)`` with retries, all before ``deadline``."""
        attempt = 0
        while True:
            try:
                return call(deadline)
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
        def call(deadline: float) -> dict[str, Any]:
            response = self._attempt(method, path, api_key, body, deadline=deadline)
            raw = read_body(response, deadline, self.read_timeout, self.read_timeout, _BODY_BYTES)
            try:
                data = json.loads(raw)
            except ValueError:
                page = page_reason(raw.decode("utf-8", errors="replace"))
                raise InvalidResponseError(
                    f"the answer was not JSON ({page})" if page else "the answer was not JSON",
                    status_code=response.status_code,
                ) from None
            if not isinstance(data, dict):
                raise InvalidResponseError("the answer was not a JSON object")
            if data.get("error") or data.get("object") == "error":
                # A 200 whose body carries an error: the model failed after routing.
                raise error_from_body(data, 200, None, response.headers)
            return data

        try:
            return self._with_retries(call, self._deadline(budget))
        except OpenRouterError as exc:
            exc.redact([api_key])
            raise

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
        """Send one non-streaming chat completion and return the reply (within ``budget`` s).

        The whole exchange, retries and the body's last byte included, ends within one read
        timeout (or ``budget``): a body that trickles in is cut off as a timeout.
        """
        payload = chat_payload(model, messages, max_tokens, tools, tool_choice)
        body = self._json("POST", "chat/completions", api_key, payload, budget=budget)
        try:
            return chat_result(body)
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
    ) -> ChatStream | WholeReply:
        """Open a streaming chat completion; failures before the first byte are retried.

        The stream ends within one read timeout (or ``budget``) from now, as a timeout
        keeping the text that arrived.
        """
        payload = chat_payload(model, messages, max_tokens, tools, tool_choice)
        payload["stream"] = True
        payload["stream_options"] = {"include_usage": True}
        deadline = self._deadline(budget)

        def call(deadline: float) -> requests.Response:
            return self._attempt(
                "POST", "chat/completions", api_key, payload, deadline=deadline, stream=True
            )

        try:
            response = self._with_retries(call, deadline)
            whole = self._not_a_stream(response, deadline)
        except OpenRouterError as exc:
            exc.redact([api_key])
            raise
        if whole is not None:
            return WholeReply(whole)
        return ChatStream(response, model, self.read_timeout, deadline=deadline, secrets=(api_key,))

    def _not_a_stream(self, response: requests.Response, deadline: float) -> ChatResult | None:
        """Read a 200 that is not an event stream: a whole reply, an error body, a web page.

        Returns the reply of a server that answered in one piece; raises what an error
        body or a page says. Read as SSE, each would look like a stream with no text ("an
        empty reply"), and the upstream's own reason would be lost.
        """
        content_type = response.headers.get("Content-Type", "")
        if not content_type or "event-stream" in content_type.lower():
            return None
        raw = read_body(response, deadline, self.read_timeout, self.read_timeout, _BODY_BYTES)
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if error_payload(body) is not None:
            raise error_from_body(body, 200, None, response.headers)
        if isinstance(body, dict) and "choices" in body:
            try:
                return chat_result(body)
            except (AttributeError, KeyError, TypeError, ValueError):
                raise InvalidResponseError("the answer did not have the expected shape") from None
        page = page_reason(raw.decode("utf-8", errors="replace"), content_type)
        raise InvalidResponseError(
            f"the answer was not a stream ({page})" if page else "the answer was not a stream",
            status_code=response.status_code,
        )

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
        deadline = time.monotonic() + timeout
        response = self._attempt("GET", "models", api_key, None, deadline=deadline)
        raw = read_body(response, deadline, timeout, timeout, _BODY_BYTES)
        try:
            body = json.loads(raw)
        except ValueError:
            raise InvalidResponseError("the model list was not JSON") from None
        if not isinstance(body, dict):
            raise InvalidResponseError("the model list was not a JSON object")
        entries = body.get("data")
        if not isinstance(entries, list):
            raise InvalidResponseError("the model list had no data")
        models = [ModelInfo.from_body(entry) for entry in entries if isinstance(entry, dict)]
        return [model for model in models if model is not None]
