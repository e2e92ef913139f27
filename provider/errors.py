"""The failures of talking to a provider, one class per ``FailureKind``.

Also builds the matching error from an HTTP status and an error body: OpenRouter's and
OpenAI's ``{"error": {...}}``, vLLM's top-level ``{"object": "error", "message": ...}``, and
the wordings by which OpenRouter, OpenAI, vLLM, llama.cpp and Ollama say that a prompt is
over the context window, that a model takes no tools, that the free daily cap is reached, or
how many tokens the credits still buy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from provider.redact import redact
from states import FailureKind

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConnectionLostError",
    "ContextLengthError",
    "DailyLimitError",
    "EmptyReplyError",
    "InsufficientCreditsError",
    "InvalidResponseError",
    "LengthLimitError",
    "ModerationError",
    "NotFoundError",
    "OpenRouterError",
    "PermissionDeniedError",
    "ProviderError",
    "RateLimitError",
    "RequestTimeoutError",
    "ToolLoopError",
    "ToolsUnsupportedError",
    "error_class_for",
    "error_from_body",
    "error_payload",
    "status_error",
]


class OpenRouterError(Exception):
    """Base of every failure talking to OpenRouter.

    ``kind`` is a stable machine name; ``reason`` is the upstream's own wording
    (message, provider, raw detail) when it gave one.
    """

    kind: ClassVar[FailureKind] = FailureKind.UPSTREAM_ERROR
    # How many tokens the key's credits still pay for, when the upstream said (a 402).
    affordable_tokens: int | None = None
    # What a reasoning model thought before the failure (a whole, non-streamed answer).
    reasoning: str = ""

    def __init__(
        self,
        reason: str = "",
        *,
        status_code: int | None = None,
        retry_after: float | None = None,
        provider: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        # What an upstream says may quote the key it rejected: never kept as said.
        reason = redact(reason)
        super().__init__(reason or str(self.kind))
        self.reason = reason
        self.status_code = status_code
        self.retry_after = retry_after
        self.provider = redact(provider) if provider else provider
        self.metadata = metadata or {}

    def redact(self, secrets: Iterable[str | None]) -> None:
        """Replace the exact ``secrets`` (the key the call used) wherever this error quotes them."""
        self.reason = redact(self.reason, secrets)
        self.args = (self.reason or str(self.kind),)
        if self.provider:
            self.provider = redact(self.provider, secrets)


class APIConnectionError(OpenRouterError):
    """OpenRouter could not be reached (DNS, refused, TLS); ``reason`` says which in words."""

    kind = FailureKind.CONNECTION_ERROR


class ConnectionLostError(APIConnectionError):
    """OpenRouter was reached, but the connection broke before the whole answer arrived.

    A reset before the status line, a body cut off mid-way, a stream that ended without
    ``[DONE]``. Retried like any connection error while no reply text exists.
    """

    kind = FailureKind.CONNECTION_LOST


class APITimeoutError(APIConnectionError):
    """OpenRouter did not answer within the configured timeout."""

    kind = FailureKind.TIMEOUT


class InvalidResponseError(OpenRouterError):
    """OpenRouter answered with something that is not the documented format."""

    kind = FailureKind.INVALID_RESPONSE


class EmptyReplyError(OpenRouterError):
    """The model finished without producing any text."""

    kind = FailureKind.EMPTY_REPLY


class LengthLimitError(EmptyReplyError):
    """The model hit the length limit (``finish_reason: "length"``) before any answer text.

    A reasoning model can spend the whole ``max_tokens`` budget thinking.
    """

    kind = FailureKind.LENGTH_LIMIT


class ToolLoopError(OpenRouterError):
    """The model kept calling tools past the allowed rounds and never answered."""

    kind = FailureKind.TOOL_LOOP


class APIStatusError(OpenRouterError):
    """OpenRouter answered with an error code (in the status line or the body)."""

    kind = FailureKind.UPSTREAM_ERROR


class BadRequestError(APIStatusError):
    kind = FailureKind.BAD_REQUEST


class ContextLengthError(BadRequestError):
    """The prompt (with the reply budget) is over the model's context window.

    ``limit`` is the window in tokens when the server stated it, else None.
    """

    kind = FailureKind.CONTEXT_LENGTH

    def __init__(self, reason: str = "", *, limit: int | None = None, **kwargs: Any) -> None:
        super().__init__(reason, **kwargs)
        self.limit = limit


class AuthenticationError(APIStatusError):
    kind = FailureKind.INVALID_KEY


class InsufficientCreditsError(APIStatusError):
    """A 402: the key's credits do not cover the request.

    ``affordable_tokens`` is how many reply tokens they still pay for, when OpenRouter said
    ("... but can only afford 1310"), else None.
    """

    kind = FailureKind.INSUFFICIENT_CREDITS

    def __init__(
        self, reason: str = "", *, affordable_tokens: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(reason, **kwargs)
        self.affordable_tokens = affordable_tokens


class ModerationError(APIStatusError):
    kind = FailureKind.MODERATION


class PermissionDeniedError(APIStatusError):
    """A 403 that is not a moderation verdict: a proxy, firewall, CDN or region block refused.

    OpenRouter's moderation 403 carries ``metadata.reasons`` / ``flagged_input`` or says it
    was flagged; anything else must not tell the visitor to rephrase.
    """

    kind = FailureKind.FORBIDDEN


class NotFoundError(APIStatusError):
    kind = FailureKind.NOT_FOUND


class ToolsUnsupportedError(NotFoundError):
    """The model (or every provider of it) takes no tools.

    OpenRouter says so with a 404, Ollama with a 400; ``status_code`` keeps the real one.
    """

    kind = FailureKind.TOOLS_UNSUPPORTED


class RequestTimeoutError(APIStatusError):
    kind = FailureKind.UPSTREAM_TIMEOUT


class RateLimitError(APIStatusError):
    kind = FailureKind.RATE_LIMITED


class DailyLimitError(RateLimitError):
    """A 429 for a per-day cap (OpenRouter's ``free-models-per-day``): no retry helps today.

    ``resets_at`` is when the cap resets (epoch seconds) when the upstream said, else None.
    ``retry_after`` is always None, and the error is never retried.
    """

    kind = FailureKind.DAILY_LIMIT

    def __init__(self, reason: str = "", *, resets_at: float | None = None, **kwargs: Any) -> None:
        kwargs["retry_after"] = None
        super().__init__(reason, **kwargs)
        self.resets_at = resets_at


class ProviderError(APIStatusError):
    """5xx: the model or every provider for it is down."""

    kind = FailureKind.PROVIDER_UNAVAILABLE


_STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: InsufficientCreditsError,
    403: ModerationError,
    404: NotFoundError,
    408: RequestTimeoutError,
    # Too large a request (many pictures, a long history): asking again as is cannot help.
    413: BadRequestError,
    429: RateLimitError,
}


def error_class_for(status: int) -> type[APIStatusError]:
    """Pick the error class for an HTTP-style error code."""
    if status in _STATUS_ERRORS:
        return _STATUS_ERRORS[status]
    if status >= 500:
        return ProviderError
    return APIStatusError


def error_payload(body: Any) -> dict[str, Any] | None:
    """Return the error object of a JSON body, or None when the body is not an error.

    ``{"error": {...}}`` (OpenRouter, OpenAI, llama.cpp, Ollama, LiteLLM) gives its inner
    object; ``{"error": "text"}`` gives ``{"message": "text"}``; a top-level error (vLLM's
    ``{"object": "error", "message": ..., "type": ..., "code": 400}``) or a framework's
    ``{"detail": "..."}`` gives the body itself.
    """
    if not isinstance(body, dict):
        return None
    if "error" in body:
        err = body["error"]
        if isinstance(err, dict):
            return err
        return {"message": str(err) if err else ""}
    if body.get("object") == "error" or (
        isinstance(body.get("message"), str) and "choices" not in body and "data" not in body
    ):
        return body
    if isinstance(body.get("detail"), str):  # FastAPI's own errors (vLLM, LiteLLM routes)
        return {"message": body["detail"]}
    return None


def error_from_body(
    body: dict[str, Any],
    status: int,
    retry_after: float | None,
    headers: Mapping[str, str] | None = None,
) -> APIStatusError:
    """Build the matching error from an error body (see ``error_payload``) and its status.

    ``headers`` are the response's, read for ``X-RateLimit-Reset``.
    """
    err = error_payload(body) or {"message": ""}
    code = err.get("code")
    if isinstance(code, str) and code.isdigit():
        code = int(code)
    if not isinstance(code, int) or isinstance(code, bool) or code < 400:
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
    return status_error(
        code,
        reason,
        retry_after=retry_after,
        provider=provider if isinstance(provider, str) else None,
        metadata=metadata,
        err=err,
        headers=headers,
    )


def status_error(
    status: int,
    reason: str,
    *,
    retry_after: float | None = None,
    provider: str | None = None,
    metadata: dict[str, Any] | None = None,
    err: dict[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> APIStatusError:
    """Build the error for ``status`` and the upstream's wording, recognising the special kinds.

    ``err`` is the error object the reason came from (for its ``type``, ``code``, ``n_ctx``).
    """
    err = err or {}
    cls = error_class_for(status)
    common: dict[str, Any] = {
        "status_code": status,
        "retry_after": retry_after,
        "provider": provider,
        "metadata": metadata,
    }
    if _is_context_error(reason, err):
        return ContextLengthError(reason, limit=_context_limit(reason, err), **common)
    if status in (400, 404) and _TOOLS_UNSUPPORTED.search(reason):
        return ToolsUnsupportedError(reason, **common)
    if cls is ModerationError and not _is_moderation(reason, metadata or {}):
        return PermissionDeniedError(reason, **common)
    if status == 429 and _PER_DAY.search(reason):
        reset = _header(metadata.get("headers") if metadata else None, "X-RateLimit-Reset")
        if reset is None:
            reset = _header(headers, "X-RateLimit-Reset")
        return DailyLimitError(reason, resets_at=_epoch_seconds(reset), **common)
    if cls is InsufficientCreditsError:
        match = _AFFORD.search(reason)
        return InsufficientCreditsError(
            reason, affordable_tokens=int(match.group(1)) if match else None, **common
        )
    return cls(reason, **common)


# "This endpoint's maximum context length is 8192 tokens" (OpenRouter), "This model's
# maximum context length is 8192 tokens" (OpenAI, vLLM), "the request exceeds the available
# context size" (llama.cpp), "input length exceeds the context length" and "context length of
# 2048" (Ollama), "prompt is too long: 210000 tokens > 200000 maximum" (Anthropic via LiteLLM).
_CONTEXT_WORDS = re.compile(
    r"maximum context length|exceeds? the (?:available )?context (?:size|length|window)"
    r"|context length of \d|context[_ ]length[_ ]exceeded|context window (?:is )?exceeded"
    r"|exceeds? (?:the )?(?:model'?s? )?context window|prompt is too long",
    re.IGNORECASE,
)
_CONTEXT_CODES = frozenset({"context_length_exceeded", "exceed_context_size_error"})
_CONTEXT_LIMIT = (
    re.compile(r"maximum context length is (\d[\d,]*)", re.IGNORECASE),
    re.compile(r"context length of (\d[\d,]*)", re.IGNORECASE),
    re.compile(r"context (?:size|window|length) (?:is|of) (\d[\d,]*)", re.IGNORECASE),
    re.compile(r"tokens > (\d[\d,]*) maximum", re.IGNORECASE),
)
# "No endpoints found that support tool use" (OpenRouter, 404), "... does not support tools"
# (Ollama, 400), vLLM started without "--enable-auto-tool-choice", llama.cpp without "--jinja".
_TOOLS_UNSUPPORTED = re.compile(
    r"support tool use|does not support tools|enable-auto-tool-choice"
    r"|tools param requires --jinja",
    re.IGNORECASE,
)
# "Rate limit exceeded: free-models-per-day. Add 10 credits to unlock ..." (OpenRouter).
_PER_DAY = re.compile(r"per[- ]day\b", re.IGNORECASE)
# "Your chosen model requires moderation and your input was flagged" (OpenRouter, 403), and
# OpenAI-compatible servers' content-policy refusals.
_MODERATION = re.compile(r"moderat|flagged|content[ _-]?(?:policy|filter)|safety system", re.I)
# "You requested up to 2048 tokens, but can only afford 1310." (OpenRouter, 402)
_AFFORD = re.compile(r"can only afford (\d[\d,]*)", re.IGNORECASE)


def _is_moderation(reason: str, metadata: dict[str, Any]) -> bool:
    """Whether a 403 is a moderation verdict: OpenRouter's flagged-input metadata or wording."""
    if metadata.get("reasons") or metadata.get("flagged_input"):
        return True
    return bool(_MODERATION.search(reason))


def _is_context_error(reason: str, err: dict[str, Any]) -> bool:
    codes = {err.get("code"), err.get("type")}
    return bool(_CONTEXT_CODES & {c for c in codes if isinstance(c, str)}) or bool(
        _CONTEXT_WORDS.search(reason)
    )


def _context_limit(reason: str, err: dict[str, Any]) -> int | None:
    """Read the window the server stated: llama.cpp's ``n_ctx``, else from the wording."""
    n_ctx = err.get("n_ctx")
    if isinstance(n_ctx, int) and not isinstance(n_ctx, bool) and n_ctx > 0:
        return n_ctx
    for pattern in _CONTEXT_LIMIT:
        match = pattern.search(reason)
        if match:
            value = int(match.group(1).replace(",", ""))
            if value > 0:
                return value
    return None


def _header(headers: Any, name: str) -> str | None:
    """Look a header up case-insensitively in a mapping (a plain dict from a JSON body too)."""
    if not isinstance(headers, Mapping):
        return None
    wanted = name.lower()
    for key, value in headers.items():
        if isinstance(key, str) and key.lower() == wanted and value is not None:
            return str(value)
    return None


def _epoch_seconds(value: str | None) -> float | None:
    """Read an ``X-RateLimit-Reset`` time: OpenRouter gives epoch milliseconds, as a string."""
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    if not number > 0 or number == float("inf"):
        return None
    # Epoch milliseconds are 13 digits today; seconds are 10.
    return number / 1000.0 if number >= 1e11 else number
