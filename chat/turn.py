"""The shapes a turn hands from step to step: the saved message, the prepared call, the result."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from automotive import facts as grounding
from automotive.vehicle import VehicleProfile
from chat.failures import TurnError
from models import Message
from openrouter import ModelInfo
from states import MessageStatus

PENDING = "pending"  # a replayed message whose first request is still answering


@dataclass(frozen=True)
class SavedMessage:
    """A user message committed before any upstream call."""

    conversation_id: str
    message_id: int
    text: str
    title: str
    first: bool  # it opened a new conversation
    facts: list[grounding.Fact]


@dataclass
class PreparedTurn:
    """Everything the upstream call needs, gathered before the connection is released.

    Built inside the request; the steps after it (ask, stream, tool rounds) may run
    beside the request, where no app context exists, so they read only this.
    """

    conversation_id: str
    message_id: int
    text: str
    title: str
    api_key: str | None
    model: str
    model_info: ModelInfo | None
    window: list[dict[str, Any]]  # the session's history window
    upstream: list[dict[str, Any]]  # what is sent: system, kept history, the message
    context_dropped: int
    max_tokens: int
    facts: list[grounding.Fact]
    read_timeout: float  # seconds: the whole answer, every tool round included
    upstream_name: str = "OpenRouter"  # who is asked, for the sentences a failure gets
    vehicle: VehicleProfile | None = None
    tools: list[dict[str, Any]] | None = None  # function schemas, for models that call tools

    def result(self, reply: Message, error: TurnError | None = None) -> TurnResult:
        """Describe the recorded reply."""
        return TurnResult.of(self.conversation_id, self.message_id, reply, error)


@dataclass(frozen=True)
class TurnResult:
    """How a turn ended, as the views report it (page, JSON or the last SSE event)."""

    conversation_id: str
    message_id: int
    reply_id: int | None
    reply: str | None
    status: str  # a MessageStatus, or PENDING for a replay still in flight
    error: TurnError | None = None
    model: str | None = None
    duplicate: bool = False
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost: float | None = None
    context_dropped: int = 0

    @classmethod
    def of(
        cls,
        conversation_id: str,
        message_id: int,
        reply: Message,
        error: TurnError | None = None,
        *,
        duplicate: bool = False,
    ) -> TurnResult:
        """Describe a stored reply to a message."""
        return cls(
            conversation_id,
            message_id,
            reply.id,
            reply.content,
            reply.status,
            error,
            reply.model,
            duplicate=duplicate,
            prompt_tokens=reply.prompt_tokens,
            completion_tokens=reply.completion_tokens,
            cost=reply.cost,
            context_dropped=reply.context_dropped or 0,
        )

    @property
    def retryable(self) -> bool:
        """Tell whether the page should offer Retry under this reply."""
        return self.status != PENDING and MessageStatus(self.status).retryable
