"""The client's face: ``OpenRouterClient`` talks to OpenRouter over one pooled HTTP session.

Also serves any OpenAI-compatible server (Ollama, llama.cpp, vLLM, LiteLLM) through the base
URL. Errors, types, wire parsing, retry policy and the stream live in provider/; every name
they export that callers used from here is re-exported. This module knows nothing of Flask.
"""

from __future__ import annotations

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
    ContextLengthError,
    DailyLimitError,
    EmptyReplyError,
    InsufficientCreditsError,
    InvalidResponseError,
    LengthLimitError,
    ModerationError,
    NotFoundError,
    OpenRouterError,
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
from provider.stream import ChatStream
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
        if error_payload(body) is not None:
            # {"error": {...}}, or a top-level {"object": "error", "message": ...} (vLLM).
            return error_from_body(body, response.status_code, retry_after, response.headers)
        text = response.text.strip()[:200] if response.text else ""
        return status_error(
            response.status_code,
            text or response.reason or f"HTTP {response.status_code}",
            retry_after=retry_after,
            headers=response.headers,
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
            if data.get("error") or data.get("object") == "error":
                # A 200 whose body carries an error: the model failed after routing.
                raise error_from_body(data, 200, None, response.headers)
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
    ) -> ChatStream:
        """Open a streaming chat completion; failures before the first byte are retried."""
        payload = chat_payload(model, messages, max_tokens, tools, tool_choice)
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
