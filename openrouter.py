"""OpenRouter client: chat completions and key information over one pooled session.

Also serves any OpenAI-compatible server (Ollama, llama.cpp, vLLM, LiteLLM) through
the base URL. This module knows nothing of Flask.
"""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass, field
from http.cookiejar import DefaultCookiePolicy
from typing import Any

import requests
from requests.adapters import HTTPAdapter

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ChatResult",
    "EmptyReplyError",
    "InsufficientCreditsError",
    "InvalidResponseError",
    "KeyInfo",
    "ModerationError",
    "NotFoundError",
    "OpenRouterClient",
    "OpenRouterError",
    "ProviderError",
    "RateLimitError",
    "RequestTimeoutError",
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


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Read a Retry-After header given in seconds or as an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


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
class ChatResult:
    content: str
    model: str | None = None
    provider: str | None = None
    finish_reason: str | None = None
    generation_id: str | None = None
    usage: Usage = field(default_factory=Usage)


@dataclass(frozen=True)
class KeyInfo:
    label: str | None
    limit: float | None
    usage: float | None
    limit_remaining: float | None
    is_free_tier: bool | None


# ---------------------------------------------------------------- client


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
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout, read_timeout)
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

    def close(self) -> None:
        """Release pooled connections."""
        self.http.close()

    def _request(
        self, method: str, path: str, api_key: str, json_body: Any = None
    ) -> dict[str, Any]:
        url = f"{self.base_url}/{path.lstrip('/')}"
        headers = {"Authorization": f"Bearer {api_key}"}
        try:
            response = self.http.request(
                method, url, json=json_body, headers=headers, timeout=self.timeout
            )
        except requests.Timeout:
            raise APITimeoutError(f"no answer within {self.timeout[1]:g} seconds") from None
        except requests.RequestException as exc:
            raise APIConnectionError(type(exc).__name__) from None
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code >= 400:
            if isinstance(body, dict) and "error" in body:
                raise _error_from_body(body, response.status_code, retry_after)
            text = response.text.strip()[:200] if response.text else ""
            raise error_class_for(response.status_code)(
                text or response.reason or f"HTTP {response.status_code}",
                status_code=response.status_code,
                retry_after=retry_after,
            )
        if not isinstance(body, dict):
            raise InvalidResponseError("the answer was not JSON", status_code=response.status_code)
        if body.get("error"):
            # A 200 whose body carries an error: the model failed after routing.
            raise _error_from_body(body, 200, retry_after)
        return body

    def chat(
        self,
        api_key: str,
        model: str,
        messages: list[dict[str, Any]],
        *,
        max_tokens: int | None = None,
    ) -> ChatResult:
        """Send one non-streaming chat completion and return the reply."""
        payload: dict[str, Any] = {"model": model, "messages": messages}
        if max_tokens:
            payload["max_tokens"] = max_tokens
        body = self._request("POST", "chat/completions", api_key, payload)
        choices = body.get("choices")
        if not isinstance(choices, list) or not choices:
            raise EmptyReplyError("the answer had no choices")
        choice = choices[0] if isinstance(choices[0], dict) else {}
        if isinstance(choice.get("error"), dict):
            raise _error_from_body({"error": choice["error"]}, 200, None)
        message = choice.get("message") or {}
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list):  # some providers send content parts
            content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
        finish_reason = choice.get("finish_reason")
        if finish_reason == "error":
            raise ProviderError("the model stopped with an error", provider=body.get("provider"))
        if not isinstance(content, str) or not content.strip():
            refusal = message.get("refusal") if isinstance(message, dict) else None
            if refusal:
                raise ModerationError(str(refusal), status_code=200)
            raise EmptyReplyError("the model returned no text", provider=body.get("provider"))
        return ChatResult(
            content=content,
            model=body.get("model"),
            provider=body.get("provider"),
            finish_reason=finish_reason,
            generation_id=body.get("id"),
            usage=Usage.from_body(body.get("usage")),
        )

    def key_info(self, api_key: str) -> KeyInfo:
        """Describe a key (label, limit, usage) without spending a completion."""
        body = self._request("GET", "key", api_key)
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
