"""The named states of a chat turn: message roles, message statuses and failure kinds.

Each is a ``StrEnum``, so a member equals its plain string: rows, JSON bodies, metrics
labels and templates all carry the same words. Nothing here imports anything of the app,
so the provider client, the models and the views can all share it.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """Who wrote a message (the OpenAI chat format's ``role``)."""

    USER = "user"
    ASSISTANT = "assistant"


class MessageStatus(StrEnum):
    """How an assistant reply ended; a user message is always ``ok``.

    The database refuses any other value (a CHECK constraint, migration 0004).
    """

    OK = "ok"  # a delivered reply
    ERROR = "error"  # the upstream failed; ``error_kind`` says how
    OFFLINE = "offline"  # no API key: the built-in tools' answer, not a model's
    STOPPED = "stopped"  # the visitor stopped it; ``content`` is what had arrived

    @property
    def retryable(self) -> bool:
        """Tell whether a reply that ended this way may be asked for again."""
        return self is not MessageStatus.OK


class FailureKind(StrEnum):
    """Why a turn failed: a stable machine name, shown in JSON, metrics and the page."""

    # The provider answered with an error status (or an error body).
    BAD_REQUEST = "bad_request"
    INVALID_KEY = "invalid_key"
    INSUFFICIENT_CREDITS = "insufficient_credits"
    MODERATION = "moderation"
    NOT_FOUND = "not_found"
    UPSTREAM_TIMEOUT = "upstream_timeout"
    RATE_LIMITED = "rate_limited"
    DAILY_LIMIT = "daily_limit"  # a 429 for the free models' daily cap: no retry helps today
    CONTEXT_LENGTH = "context_length_exceeded"  # a 400 saying the prompt is over the window
    TOOLS_UNSUPPORTED = "tools_unsupported"  # a 404: no provider of the model takes tools
    PROVIDER_UNAVAILABLE = "provider_unavailable"
    FORBIDDEN = "forbidden"  # a 403 that is not moderation: a proxy, a firewall, a region
    UPSTREAM_ERROR = "upstream_error"
    # The exchange itself went wrong.
    CONNECTION_ERROR = "connection_error"  # never reached: refused, unresolved, TLS failed
    CONNECTION_LOST = "connection_lost"  # reached, then the connection broke before the end
    TIMEOUT = "timeout"
    INVALID_RESPONSE = "invalid_response"
    EMPTY_REPLY = "empty_reply"
    TOOL_LOOP = "tool_loop"
    LENGTH_LIMIT = "length_limit"  # the reply budget ran out before any answer text
    # Our side: the worker answering was killed or lost its database before it finished.
    INTERRUPTED = "interrupted"
