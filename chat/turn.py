"""The shapes a turn hands from step to step: the saved message, the prepared call, the result."""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from automotive import facts as grounding
from automotive.vehicle import VehicleProfile
from chat.failures import TurnError
from context_window import fit_history
from models import Message, Picture
from openrouter import ModelInfo
from states import Role

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
    pictures: tuple[Picture, ...] = ()  # sent with it, as stored
    held: bool = True  # saved with this worker's lease on its turn (chat.lease.first_hold)
    # A new question with no versions beside it and no pictures: its page fragment needs
    # no query for either, and it has no earlier replies to replace.
    alone: bool = False


@dataclass
class PreparedTurn:
    """Everything the upstream call needs, gathered before the connection is released.

    Built inside the request; the steps after it (ask, stream, tool rounds) may run
    beside the request, where no app context exists, so they read only this. What a
    refusal teaches during the turn (``learned``) is stored by ``record``.
    """

    conversation_id: str
    message_id: int
    text: str
    title: str
    api_key: str | None
    model: str
    model_info: ModelInfo | None
    window: list[dict[str, Any]]  # the session's history window
    system: dict[str, Any]  # the brief, the vehicle and the facts
    facts: list[grounding.Fact]
    available: int  # earlier messages that could serve as context
    context_length: int  # tokens: the window this turn is fitted into
    max_reply_tokens: int  # MAX_REPLY_TOKENS
    read_timeout: float  # seconds: the whole answer, every tool round included
    upstream_name: str = "OpenRouter"  # who is asked, for the sentences a failure gets
    vehicle: VehicleProfile | None = None
    tools: list[dict[str, Any]] | None = None  # function schemas, for models that call tools
    reserve_tokens: int = 0  # room kept for tool schemas and results
    # A new version of an answer (Retry, Regenerate): the reply shown before steps back.
    regenerate: bool = False
    # The pictures sent with the message (for a model that takes them), and what they
    # cost in prompt tokens (images.image_tokens: the window keeps room for them).
    pictures: tuple[Picture, ...] = ()
    picture_tokens: int = 0
    # Set by fit():
    upstream: list[dict[str, Any]] = field(default_factory=list)  # system, history, message
    context_dropped: int = 0
    max_tokens: int = 1
    # What upstream refusals taught during this turn, and which were already acted on.
    learned: dict[str, Any] = field(default_factory=dict)
    recovered: set[str] = field(default_factory=set)
    # When the whole turn's time is up (time.monotonic()): every attempt, tool round and
    # recovery of this turn shares one read timeout, whatever the mode (JSON, form, stream).
    deadline: float = 0.0
    # The question's row already holds this worker's lease (a new message); a Retry or a
    # Regenerate takes the turn when it starts (chat.lease).
    leased: bool = False
    alone: bool = False  # SavedMessage.alone: a plain new question, asked for the first time

    @property
    def first_answer(self) -> bool:
        """A new question's first answer (not a Retry, a Regenerate or an edit's)."""
        return self.leased and self.alone and not self.regenerate

    def __post_init__(self) -> None:
        if not self.upstream:
            self.fit(self.context_length)
        if not self.deadline:
            self.deadline = time.monotonic() + self.read_timeout

    @cached_property
    def new_message(self) -> dict[str, Any]:
        """The visitor's message as the upstream receives it: text, or with pictures the
        OpenAI content parts (``text``, then one ``image_url`` data URL per picture)."""
        if not self.pictures:
            return {"role": Role.USER.value, "content": self.text}
        parts: list[dict[str, Any]] = []
        if self.text:
            parts.append({"type": "text", "text": self.text})
        for picture in self.pictures:
            encoded = base64.b64encode(picture.data).decode("ascii")
            parts.append(
                {
                    "type": "image_url",
                    "image_url": {"url": f"data:{picture.content_type};base64,{encoded}"},
                }
            )
        return {"role": Role.USER.value, "content": parts}

    def fit(self, context_length: int) -> None:
        """Fit the history into a window of ``context_length`` tokens and size the reply."""
        self.context_length = context_length
        fit = fit_history(
            self.system,
            self.window,
            self.new_message,
            context_length,
            self.max_reply_tokens,
            reserve_tokens=(self.reserve_tokens if self.tools else 0) + self.picture_tokens,
        )
        self.upstream = [self.system, *fit.kept, self.new_message]
        self.context_dropped = max(0, self.available - len(fit.kept))
        self.max_tokens = fit.max_tokens

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
    # The stored reply itself, held so the page fragment is drawn from it without reading
    # it back (the session keeps only weak references to what it loaded).
    message: Message | None = field(default=None, compare=False, repr=False)

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
            message=reply,
        )
