"""The failures of talking to a provider, one class per ``FailureKind``.

Also builds the matching error from an HTTP status or an ``{"error": {...}}`` body.
"""

from __future__ import annotations

from typing import Any, ClassVar

from states import FailureKind

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "EmptyReplyError",
    "InsufficientCreditsError",
    "InvalidResponseError",
    "ModerationError",
    "NotFoundError",
    "OpenRouterError",
    "ProviderError",
    "RateLimitError",
    "RequestTimeoutError",
    "ToolLoopError",
    "error_class_for",
    "error_from_body",
]


class OpenRouterError(Exception):
    """Base of every failure talking to OpenRouter.

    ``kind`` is a stable machine name; ``reason`` is the upstream's own wording
    (message, provider, raw detail) when it gave one.
    """

    kind: ClassVar[FailureKind] = FailureKind.UPSTREAM_ERROR

    def __init__(
        self,
        reason: str = "",
        *,
        status_code: int | None = None,
        retry_after: float | None = None,
        provider: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(reason or str(self.kind))
        self.reason = reason
        self.status_code = status_code
        self.retry_after = retry_after
        self.provider = provider
        self.metadata = metadata or {}


class APIConnectionError(OpenRouterError):
    """OpenRouter could not be reached (DNS, refused, reset)."""

    kind = FailureKind.CONNECTION_ERROR


class APITimeoutError(APIConnectionError):
    """OpenRouter did not answer within the configured timeout."""

    kind = FailureKind.TIMEOUT


class InvalidResponseError(OpenRouterError):
    """OpenRouter answered with something that is not the documented format."""

    kind = FailureKind.INVALID_RESPONSE


class EmptyReplyError(OpenRouterError):
    """The model finished without producing any text."""

    kind = FailureKind.EMPTY_REPLY


class ToolLoopError(OpenRouterError):
    """The model kept calling tools past the allowed rounds and never answered."""

    kind = FailureKind.TOOL_LOOP


class APIStatusError(OpenRouterError):
    """OpenRouter answered with an error code (in the status line or the body)."""

    kind = FailureKind.UPSTREAM_ERROR


class BadRequestError(APIStatusError):
    kind = FailureKind.BAD_REQUEST


class AuthenticationError(APIStatusError):
    kind = FailureKind.INVALID_KEY


class InsufficientCreditsError(APIStatusError):
    kind = FailureKind.INSUFFICIENT_CREDITS


class ModerationError(APIStatusError):
    kind = FailureKind.MODERATION


class NotFoundError(APIStatusError):
    kind = FailureKind.NOT_FOUND


class RequestTimeoutError(APIStatusError):
    kind = FailureKind.UPSTREAM_TIMEOUT


class RateLimitError(APIStatusError):
    kind = FailureKind.RATE_LIMITED


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
    429: RateLimitError,
}


def error_class_for(status: int) -> type[APIStatusError]:
    """Pick the error class for an HTTP-style error code."""
    if status in _STATUS_ERRORS:
        return _STATUS_ERRORS[status]
    if status >= 500:
        return ProviderError
    return APIStatusError


def error_from_body(body: dict[str, Any], status: int, retry_after: float | None) -> APIStatusError:
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
